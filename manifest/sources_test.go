package manifest

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, dir string, files ...string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("<wap-provisioningdoc/>\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCheckSources(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "image")
	writeFiles(t, dir,
		"provxml/scanner/b.provxml", "provxml/scanner/a.provxml", "provxml/scanner/c.txt",
		"provxml/defaults.provxml", "provxml/dir.provxml/x", "other/z.provxml")
	writeFiles(t, root, "outside.provxml")
	if err := os.Symlink(filepath.Join(root, "outside.provxml"), filepath.Join(dir, "provxml", "evil.provxml")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if err := os.Symlink("scanner/a.provxml", filepath.Join(dir, "provxml", "inside.provxml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("missing.provxml", filepath.Join(dir, "provxml", "broken.provxml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(root, filepath.Join(dir, "up")); err != nil {
		t.Fatal(err)
	}

	good := `image: x
release: 1.0.0
target: wm6
packages:
  - name: A
    version: 1.0.0
    owner: oem
    cold:
      - file: provxml/defaults.provxml
    update:
      - file: provxml/scanner/*.provxml
      - file: ./other/../provxml/inside.provxml
      - settings:
          - {csp: Registry, characteristic: K, delete: [x]}
`
	m, err := Parse("provpack.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.CheckSources(dir); err != nil {
		t.Fatal(err)
	}
	p := m.Packages[0]
	if !reflect.DeepEqual(p.Cold[0].Matches, []string{"provxml/defaults.provxml"}) ||
		!reflect.DeepEqual(p.Update[0].Matches, []string{"provxml/scanner/a.provxml", "provxml/scanner/b.provxml"}) ||
		!reflect.DeepEqual(p.Update[1].Matches, []string{"provxml/inside.provxml"}) ||
		p.Update[2].Matches != nil {
		t.Errorf("matches: %v %v %v %v", p.Cold[0].Matches, p.Update[0].Matches, p.Update[1].Matches, p.Update[2].Matches)
	}
	// A glob notes the directories it read (a build watches them for
	// new files); a plain path reads none.
	if !reflect.DeepEqual(p.Update[0].Dirs, []string{"provxml/scanner"}) || p.Cold[0].Dirs != nil {
		t.Errorf("directories read: %q %q", p.Update[0].Dirs, p.Cold[0].Dirs)
	}

	bad := `image: x
release: 1.0.0
target: wm6
packages:
  - name: A
    version: 1.0.0
    owner: oem
    update:
      - file: provxml/nothing*.provxml
      - file: provxml/evil.provxml
      - file: provxml/broken.provxml
      - file: provxml/dir.provxml
      - file: up/outside.provxml
      - file: provxml/scanner/a.provxml
      - file: provxml/scanner/*.provxml
`
	m, err = Parse("provpack.yaml", []byte(bad))
	if err != nil {
		t.Fatal(err)
	}
	err = m.CheckSources(dir)
	if err == nil {
		t.Fatal("bad sources accepted")
	}
	checkPositioned(t, "provpack.yaml", err)
	got := strings.ReplaceAll(err.Error(), root, "ROOT")
	want := `provpack.yaml:9:15: packages[0].update[0].file: "provxml/nothing*.provxml" matches no file
provpack.yaml:10:15: packages[0].update[1].file: provxml/evil.provxml resolves to ROOT/outside.provxml, outside the manifest's directory
provpack.yaml:11:15: packages[0].update[2].file: provxml/broken.provxml: broken symlink or unreadable path: no such file or directory
provpack.yaml:12:15: packages[0].update[3].file: "provxml/dir.provxml" matches only directories; name the files (e.g. provxml/dir.provxml/*.provxml)
provpack.yaml:13:15: packages[0].update[4].file: up/outside.provxml resolves to ROOT/outside.provxml, outside the manifest's directory
provpack.yaml:15:15: packages[0].update[6].file: provxml/scanner/a.provxml is already included by packages[0].update[5]; it would be merged twice`
	// EvalSymlinks of the temp dir may differ from root (e.g. /tmp being a link).
	if real, err := filepath.EvalSymlinks(root); err == nil {
		got = strings.ReplaceAll(got, real, "ROOT")
	}
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestCheckSourcesW10MCold: w10m has a cold-boot class; its sources are
// checked like any other.
func TestCheckSourcesW10MCold(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.provxml"), []byte("<wap-provisioningdoc/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := &Manifest{File: "m.yaml", Target: TargetW10M, Packages: []*Package{{Name: "A", Cold: []*Source{{File: "a.provxml"}}}}}
	if err := m.CheckSources(dir); err != nil {
		t.Errorf("got %v", err)
	}
	if got := m.Packages[0].Cold[0].Matches; len(got) != 1 || got[0] != "a.provxml" {
		t.Errorf("matches %v", got)
	}
}

// TestCheckSourcesThroughSymlinkedWorkingDirectory: the working
// directory reached through a symlink (as /tmp is on macOS) is still the
// manifest's directory, for plain files and for symlinked ones.
func TestCheckSourcesThroughSymlinkedWorkingDirectory(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "real")
	writeFiles(t, real, "provxml/a.provxml")
	link := filepath.Join(root, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if err := os.Symlink("a.provxml", filepath.Join(real, "provxml", "b.provxml")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(link)
	t.Setenv("PWD", link) // as a shell that cd'ed through the link has it
	m := &Manifest{File: "provpack.yaml", Target: TargetWM6, Packages: []*Package{{Name: "A",
		Update: []*Source{{File: "provxml/a.provxml"}, {File: "provxml/b.provxml"}}}}}
	if err := m.CheckSources("."); err != nil {
		t.Fatalf("sources refused from a symlinked working directory: %v", err)
	}
}
