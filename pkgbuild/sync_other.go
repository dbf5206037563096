//go:build !linux

package pkgbuild

// syncStaged makes the staged files durable before they are renamed.
func syncStaged(dir string, files []string) error { return syncEach(files) }
