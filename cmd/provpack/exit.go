package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/provpack/provpack/manifest"
)

// Exit codes. They are documented in the README; change them only with a
// CHANGELOG entry, since pipelines depend on them.
const (
	exitOK          = 0   // success, nothing to report
	exitFailed      = 1   // error-level findings, a failed build or check
	exitUsage       = 2   // bad command line: unknown command or flag, bad argument
	exitDifferences = 3   // diff --exit-code found differences
	exitInterrupted = 130 // interrupted by SIGINT or SIGTERM; outputs left as they were
)

// usageError is a mistake on the command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// reportedError means the command already printed what went wrong (for
// example, lint findings); only the exit code remains to be set.
type reportedError struct{ code int }

func (e reportedError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exitCode maps an error to the process exit code and prints the message
// of any error not yet reported. This is the only place that does so.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var rep reportedError
	if errors.As(err, &rep) {
		return rep.code
	}
	var list manifest.ErrorList
	if asErrorList(err, &list) {
		for _, e := range list {
			fmt.Fprintln(stderr, e)
		}
		fmt.Fprintf(stderr, "%s in %s\n", plural(len(list), "problem"), listFiles(list))
		return exitFailed
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "provpack: %v\nRun 'provpack help' for usage.\n", ue.err)
		return exitUsage
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "provpack: interrupted; earlier outputs were left as they were")
		return exitInterrupted
	}
	fmt.Fprintf(stderr, "provpack: %v\n", err)
	return exitFailed
}

// asErrorList finds a manifest.ErrorList in err's chain.
func asErrorList(err error, list *manifest.ErrorList) bool {
	return errors.As(err, list)
}

// listFiles names the files an ErrorList is about (the manifest, the lock,
// the sources), for the summary line.
func listFiles(list manifest.ErrorList) string {
	var files []string
	for _, e := range list {
		if e.File != "" && !slices.Contains(files, e.File) {
			files = append(files, e.File)
		}
	}
	switch len(files) {
	case 0:
		return "the manifest"
	case 1, 2:
		return strings.Join(files, " and ")
	}
	return fmt.Sprintf("%s and %d other files", files[0], len(files)-1)
}
