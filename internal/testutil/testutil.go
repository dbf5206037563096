// Package testutil holds what the tests of several packages share: finding
// external verifiers and the shared corpus, honouring
// PROVPACK_REQUIRE_TOOLS. It is imported only by tests.
package testutil

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Required reports whether missing tools and corpus must fail the test
// rather than skip it (CI sets PROVPACK_REQUIRE_TOOLS=1).
func Required() bool { return os.Getenv("PROVPACK_REQUIRE_TOOLS") == "1" }

// Tool returns the path of command cmd, skipping the test with a message
// naming the Debian package to install when it is missing, or failing it
// under PROVPACK_REQUIRE_TOOLS=1. Under go test -short, tests that run
// external tools skip: the edit loop stays fast, and CI runs them.
func Tool(t testing.TB, cmd, debianPackage string) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("runs %s; runs without -short", cmd)
	}
	path, err := exec.LookPath(cmd)
	if err == nil {
		return path
	}
	if Required() {
		t.Fatalf("%s is required (PROVPACK_REQUIRE_TOOLS=1) but not installed: apt-get install %s", cmd, debianPackage)
	}
	t.Skipf("%s not installed; to run this test: apt-get install %s", cmd, debianPackage)
	return ""
}

// Root returns the module's root directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Corpus returns the directory of the shared provisioning-XML corpus
// (../shared/corpus/provxml beside the project), skipping or failing the
// test when it is absent.
func Corpus(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(Root(), "..", "shared", "corpus", "provxml")
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return dir
	}
	if Required() {
		t.Fatalf("shared corpus %s is required (PROVPACK_REQUIRE_TOOLS=1) but missing", dir)
	}
	t.Skipf("shared corpus not found at %s; it sits beside the project in ../shared", dir)
	return ""
}

// Slow skips a test under go test -short, saying why it is left to the
// full run.
func Slow(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("%s; runs without -short", why)
	}
}

// Tree maps every file under dir (by its path relative to dir) to its
// bytes, to compare a directory before and after a command.
func Tree(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(data)
		return nil
	})
	return out
}

// SameTree fails the test, naming what, where two Trees differ.
func SameTree(t testing.TB, what string, a, b map[string]string) {
	t.Helper()
	if len(a) != len(b) {
		t.Errorf("%s: %d files, then %d", what, len(a), len(b))
	}
	for k, v := range a {
		if b[k] != v {
			t.Errorf("%s: %s differs", what, k)
		}
	}
}

// FailAfter is a writer that passes n bytes to w and then fails, as a
// full disk would.
func FailAfter(w io.Writer, n int) io.Writer { return &failingWriter{w: w, n: n} }

type failingWriter struct {
	w io.Writer
	n int
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		f.w.Write(p[:f.n])
		return f.n, errors.New("no space left on device (simulated)")
	}
	f.n -= len(p)
	return f.w.Write(p)
}
