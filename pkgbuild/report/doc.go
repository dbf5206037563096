// Package report owns what a build says about itself: the types of
// report.json (docs/report-format.md), their JSON and Markdown renderings
// (report.md, the re-apply manifest), SHA256SUMS, and reading a
// report.json back.
//
// It renders; it does not decide. What goes into a report (versions,
// statuses, the re-apply analysis, findings) is computed by the pkgbuild
// root, which fills these types; where the files go is the output
// transaction's business.
package report
