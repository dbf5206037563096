// Command provpack is the command-line front end: one file per command,
// each action turning flags into an options struct, making one library
// call and printing the result. Exit codes are decided in exit.go only.
//
// It owns no YAML, XML or archive code; that lives in manifest, provxml and
// pkgbuild.
package main
