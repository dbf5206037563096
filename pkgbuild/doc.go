// Package pkgbuild turns a manifest into packages: plan → render →
// archive → report.
//
// Plan decides, for every package of a manifest against the release lock,
// its version and the name, ordinal and status of each generated
// provisioning file, with the reason for each decision and every finding
// of its sources. Render merges a package's sources of one class into one
// canonical document. The archive writers (see pkgbuild/cab) and the build
// report come after.
//
// pkgbuild reads manifests and provisioning documents through the manifest
// and provxml packages; it owns naming, ordinals, version discipline and
// everything written to an output directory.
package pkgbuild
