// Package pkgbuild turns a manifest into packages: plan → render →
// archive → report.
//
// Plan decides, for every package of a manifest against the release lock,
// its version and the name, ordinal and status of each generated
// provisioning file, with the reason for each decision and every finding
// of its sources; the re-apply analysis adds what an image update re-runs,
// conflicts between packages and shadowing. Render merges a package's
// sources of one class into one canonical document. Build runs the
// pipeline: each package archived and its report parts rendered as soon
// as it is planned, everything committed to the output directory at once.
//
// pkgbuild owns ordinals, version discipline, the PP rules, the order of
// the pipeline and the check of a whole output directory (verify). The
// bytes of archives (pkgbuild/archive, pkgbuild/cab) and reports
// (pkgbuild/report), the diff (pkgbuild/diff), the output-directory
// transaction (internal/outdir) and the cache (internal/buildcache) live
// in subpackages, none of which imports this one. See
// docs/architecture.md.
package pkgbuild
