package diff

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provpack/provpack/manifest"
)

func writeLock(t *testing.T, dir, release, value string, class manifest.Class) string {
	t.Helper()
	file := "mxipupdate_OEM_A_100.provxml"
	if class == manifest.ClassCold {
		file = "mxipcold_OEM_A_100.provxml"
	}
	l := &manifest.Lock{Image: "demo", Release: release, Target: "wm6", Packages: []manifest.LockPackage{{
		Name: "OEM_A", Version: "1.0.0", GUID: "0b6c7a52-0f51-4c1e-9a43-5b0d1c1f7e21", Owner: manifest.OwnerOEM,
		Files:    []manifest.LockFile{{Class: class, Name: file, Ordinal: 100, Digest: "sha256:" + strings.Repeat("0", 64)}},
		Settings: []manifest.FlatSetting{{Class: class, File: file, CSP: "Registry", Path: []string{`HKLM\Software\Contoso`}, Name: "Mode", Value: value, Datatype: manifest.DatatypeInteger, Op: manifest.OpSet}},
	}}}
	if class == manifest.ClassCold {
		l.Packages[0].MaxOrdinal.Cold = 100
	} else {
		l.Packages[0].MaxOrdinal.Update = 100
	}
	data, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, release+".lock")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func load(t *testing.T, path string) *Snapshot {
	t.Helper()
	s, err := LoadSnapshot(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDiffOfLocks: a changed value is one change naming both values; the
// same lock twice is no difference; a setting that moved from the update
// file to the cold file is a move, not a removal and an addition.
func TestDiffOfLocks(t *testing.T) {
	dir := t.TempDir()
	a := load(t, writeLock(t, dir, "1.0.0", "1", manifest.ClassUpdate))
	if d := DiffSnapshots(a, a); !d.Empty() || !strings.Contains(d.Text(), "no differences") {
		t.Errorf("a lock against itself: %s", d.Text())
	}
	b := load(t, writeLock(t, dir, "1.1.0", "2", manifest.ClassUpdate))
	d := DiffSnapshots(a, b)
	if len(d.Packages) != 1 || len(d.Packages[0].Changed) != 1 {
		t.Fatalf("want one changed setting, got %+v", d.Packages)
	}
	if txt := d.Text(); !strings.Contains(txt, `Registry/HKLM\Software\Contoso/@Mode: "1" integer → "2" integer`) {
		t.Errorf("text: %s", txt)
	}
	c := load(t, writeLock(t, dir, "1.2.0", "1", manifest.ClassCold))
	d = DiffSnapshots(a, c)
	if len(d.Packages) != 1 || len(d.Packages[0].Moved) != 1 || len(d.Packages[0].Added)+len(d.Packages[0].Removed) != 0 {
		t.Fatalf("want one moved setting, got %+v", d.Packages)
	}
}

// TestLoadSnapshotRefuses: a directory without report.json and a file
// that is neither a report nor a lock are refused with a message.
func TestLoadSnapshotRefuses(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadSnapshot(dir); err == nil || !strings.Contains(err.Error(), "has no report.json") {
		t.Errorf("empty directory: %v", err)
	}
	bad := filepath.Join(dir, "x.json")
	os.WriteFile(bad, []byte(`{"schemaVersion": 99}`), 0o644)
	if _, err := LoadSnapshot(bad); err == nil {
		t.Error("a report of another schema version was read")
	}
}

// TestLoadSnapshotNotASnapshot: a file that is neither a report.json nor
// a lock, or a path that does not exist, is refused with a message
// saying what diff compares, not a JSON syntax error; an archive gets a
// pointer to inspect.
func TestLoadSnapshotNotASnapshot(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a.cab":       "MSCF\x00\x00\x00\x00",
		"chain.pem":   "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
		"report.md":   "# provpack build report\n",
		"other.json":  `{"archive": "x.cab"}`,
		"empty.json":  " \n",
		"array.json":  `[1, 2]`,
		"future.json": `{"schemaVersion": 99}`,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]string{
		"a.cab":       "a.cab is not a build output directory, report.json, provpack.lock or manifest; diff compares those (for an archive, use provpack inspect)",
		"chain.pem":   "chain.pem is not a build output directory, report.json, provpack.lock or manifest; diff compares those",
		"report.md":   "report.md is not a build output directory",
		"other.json":  "other.json is not a build output directory",
		"array.json":  "array.json is not a build output directory",
		"empty.json":  "empty.json is empty; diff compares build output directories",
		"future.json": "schemaVersion 99 is not one this provpack reads",
		"nosuch":      "nosuch does not exist; diff compares build output directories, report.json files, provpack.lock files and manifests",
	} {
		path := filepath.Join(dir, name)
		_, err := LoadSnapshot(path)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want %q", name, err, want)
			continue
		}
		if name != "a.cab" && strings.Contains(err.Error(), "inspect") {
			t.Errorf("%s: %v points to inspect, but it is no archive", name, err)
		}
	}
}
