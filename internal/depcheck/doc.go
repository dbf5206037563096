// Package depcheck holds only a test that keeps the project's imports
// pointing one way: cmd/provpack → pkgbuild → {manifest, provxml}, with
// manifest and provxml importing nothing of ours.
package depcheck
