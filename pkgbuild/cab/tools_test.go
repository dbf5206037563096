package cab

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// requireTool skips the test when cmd is not installed, or fails it when
// PROVPACK_REQUIRE_TOOLS=1 (as CI sets it).
func requireTool(t testing.TB, cmd, debPackage string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("runs %s; runs without -short", cmd)
	}
	if _, err := exec.LookPath(cmd); err == nil {
		return
	}
	if os.Getenv("PROVPACK_REQUIRE_TOOLS") == "1" {
		t.Fatalf("%s not installed: apt-get install %s", cmd, debPackage)
	}
	t.Skipf("%s not installed: apt-get install %s", cmd, debPackage)
}

// runTool runs a command with a UTF-8 locale and returns its combined
// output, failing the test when it exits non-zero.
func runTool(t testing.TB, dir string, name string, args ...string) string {
	t.Helper()
	out, err := toolOutput(dir, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func toolOutput(dir string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "LANG=C.UTF-8")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// extractors are the independent readers every cabinet must satisfy: a
// test command and an extraction command writing into a directory.
var extractors = []struct {
	name, pkg string
	test      func(cab string) []string
	extract   func(cab, dir string) []string
}{
	{
		name: "cabextract", pkg: "cabextract",
		test:    func(cab string) []string { return []string{"-t", cab} },
		extract: func(cab, dir string) []string { return []string{"-q", "-d", dir, cab} },
	},
	{
		name: "7zz", pkg: "7zip",
		test:    func(cab string) []string { return []string{"t", cab} },
		extract: func(cab, dir string) []string { return []string{"x", "-y", "-o" + dir, cab} },
	},
	{
		name: "bsdtar", pkg: "libarchive-tools",
		test:    func(cab string) []string { return []string{"-tf", cab} },
		extract: func(cab, dir string) []string { return []string{"-xf", cab, "-C", dir} },
	},
	{
		name: "gcab", pkg: "gcab",
		test:    func(cab string) []string { return []string{"-l", cab} },
		extract: func(cab, dir string) []string { return []string{"-x", "-C", dir, cab} },
	},
}

// checkWithTools writes data to a file, runs every tool's test command on
// it and checks that every tool extracts exactly files (names with '\'
// become directories).
func checkWithTools(t *testing.T, data []byte, files []File) {
	t.Helper()
	checkWithToolsExcept(t, data, files)
}

// checkWithToolsExcept is checkWithTools without the tools named in skip.
func checkWithToolsExcept(t *testing.T, data []byte, files []File, skip ...string) {
	t.Helper()
	if testing.Short() {
		return // the independent readers run without -short
	}
	dir := t.TempDir()
	cabPath := filepath.Join(dir, "test.cab")
	if err := os.WriteFile(cabPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, x := range extractors {
		if slices.Contains(skip, x.name) {
			continue
		}
		requireTool(t, x.name, x.pkg)
		runTool(t, dir, x.name, x.test(cabPath)...)
		out := filepath.Join(dir, "out-"+x.name)
		if err := os.Mkdir(out, 0o755); err != nil {
			t.Fatal(err)
		}
		runTool(t, dir, x.name, x.extract(cabPath, out)...)
		compareTree(t, x.name, out, files)
	}
}

// compareTree checks that dir holds exactly the members of files with
// their exact bytes.
func compareTree(t *testing.T, tool, dir string, files []File) {
	t.Helper()
	want := map[string][]byte{}
	for _, f := range files {
		want[strings.ReplaceAll(f.Name, `\`, "/")] = f.Data
	}
	got := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		got[rel] = true
		w, ok := want[rel]
		if !ok {
			t.Errorf("%s extracted unexpected file %q", tool, rel)
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !bytes.Equal(b, w) {
			t.Errorf("%s extracted %q with %d bytes differing from the %d input bytes", tool, rel, len(b), len(w))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name := range want {
		if !got[name] {
			t.Errorf("%s did not extract %q", tool, name)
		}
	}
}
