// Package manifest owns provpack's two files about an image: the YAML
// manifest (provpack.yaml) users write, and the JSON release lock
// (provpack.lock) that build --release writes.
//
// For the manifest it provides strict decoding with a position on every
// value and every problem, in separate steps:
//
//	m, err := manifest.Load("provpack.yaml") // decode and check; err is an ErrorList
//	m.WithDefaults()                          // format, ordinals, derived GUIDs
//	err = m.CheckSources(dir)                 // globs against the file system; fills Source.Matches
//
// plus SetVersion (a comment-preserving edit for provpack bump), Schema (a
// JSON Schema generated from the same types) and Starter (provpack init).
// For the lock it provides the types, ReadLock/LoadLock and a canonical
// Marshal.
//
// Decoding walks the yaml.v3 node tree against the struct tags of the
// types in types.go, so the set of keys lives in one place. Every problem
// found in one run is reported, each as file:line:col: field.path: message,
// sorted by position. Anchors and aliases are refused, so alias bombs cost
// nothing; collections nested deeper than 64 levels are refused.
//
// What it does not own: the provisioning XML (package provxml), file
// naming, ordinal assignment, bumps and archives (package pkgbuild), and
// anything on the command line. It imports nothing else from provpack.
// docs/manifest.md and docs/lock-format.md describe both formats.
package manifest
