// Package verify checks what a build left: one archive (through
// pkgbuild/archive), or a whole output directory — its SHA256SUMS, its
// report.json and every archive in it, each member read once — and
// describes an archive for inspect, the settings of its provisioning
// files included.
//
// It reads and vouches; it never writes, and it knows nothing of how a
// build plans.
package verify
