// Package diff compares two releases setting by setting: snapshots read
// from a build output directory, a report.json or a release lock, the
// difference between two of them, and its text, Markdown and JSON
// renderings.
//
// It reads what builds and releases left; it plans nothing and writes
// nothing.
package diff
