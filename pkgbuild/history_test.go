package pkgbuild

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/diff"
)

const historyHead = "image: demo\nrelease: %s\ntarget: wm6\npackages:\n"

func historyPkg(name, version, value string) string {
	return "  - name: " + name + "\n    version: " + version + "\n    owner: oem\n    update:\n      - settings:\n          - csp: Registry\n            characteristic: 'HKLM\\Software\\Contoso\\" + name + "'\n            parms:\n              - {name: V, value: \"" + value + "\", datatype: integer}\n"
}

func writeManifest(t *testing.T, release string, pkgs ...string) {
	t.Helper()
	data := strings.Replace(historyHead, "%s", release, 1) + strings.Join(pkgs, "")
	if err := os.WriteFile("provpack.yaml", []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func release(t *testing.T, out string, opt Options) *Plan {
	t.Helper()
	pl, _, err := BuildManifest(context.Background(), "provpack.yaml", opt, BuildOptions{OutDir: out, Release: true})
	if err != nil {
		t.Fatalf("release into %s: %v (%v)", out, err, pl)
	}
	return pl
}

// TestReleaseHistory: the lock remembers removed packages and every
// release; a package added again continues its ordinals and must rise
// above its last version; a recorded release built again gives the same
// reports.
func TestReleaseHistory(t *testing.T) {
	t.Chdir(t.TempDir())
	writeManifest(t, "1.0.0", historyPkg("OEM_A", "1.0.0", "1"), historyPkg("OEM_B", "2.0.0", "1"))
	release(t, "r1", Options{})

	// The recorded release, built again into another directory: the
	// same reports (it plans against what it was planned against).
	if _, _, err := BuildManifest(context.Background(), "provpack.yaml", Options{}, BuildOptions{OutDir: "again"}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"report.json", "report.md", "SHA256SUMS"} {
		a, _ := os.ReadFile(filepath.Join("r1", f))
		b, _ := os.ReadFile(filepath.Join("again", f))
		if string(a) != string(b) {
			t.Errorf("%s of the recorded release built again differs:\n%s\n---\n%s", f, a, b)
		}
	}

	// Release 1.1.0 removes OEM_B after changing it once.
	writeManifest(t, "1.0.1", historyPkg("OEM_A", "1.0.0", "1"), historyPkg("OEM_B", "2.0.1", "2"))
	release(t, "r2", Options{})
	writeManifest(t, "1.1.0", historyPkg("OEM_A", "1.0.0", "1"))
	release(t, "r3", Options{})
	lock, err := manifest.LoadLock(context.Background(), manifest.DefaultLockName)
	if err != nil {
		t.Fatal(err)
	}
	tomb := lock.Tombstone("OEM_B")
	if tomb == nil || tomb.Version != "2.0.1" || tomb.MaxOrdinal.Update != 200 || tomb.RemovedIn != "1.1.0" {
		t.Fatalf("tombstone of OEM_B: %+v", tomb)
	}
	if n := len(lock.Releases); n != 3 || lock.Releases[2].Release != "1.1.0" || lock.Releases[0].Packages[0].SHA256 == "" {
		t.Fatalf("release records: %+v", lock.Releases)
	}

	// Added again at its old version: refused.
	writeManifest(t, "1.2.0", historyPkg("OEM_A", "1.0.0", "1"), historyPkg("OEM_B", "2.0.1", "3"))
	pl, err := Load(context.Background(), "provpack.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ids := findingIDs(pl); ids != RuleVersionDown.ID {
		t.Fatalf("want %s for the re-added package at its old version, got %v", RuleVersionDown.ID, pl.Findings)
	}
	// Above it: the ordinals continue after 200.
	writeManifest(t, "1.2.0", historyPkg("OEM_A", "1.0.0", "1"), historyPkg("OEM_B", "2.1.0", "3"))
	pl = release(t, "r4", Options{})
	if f := pl.Packages[1].Files[0]; f.Name != "mxipupdate_OEM_B_300.provxml" {
		t.Fatalf("the re-added package's update file is %s, want ordinal 300", f.Name)
	}
	lock, _ = manifest.LoadLock(context.Background(), manifest.DefaultLockName)
	if lock.Tombstone("OEM_B") != nil {
		t.Error("the tombstone of a package added again stayed")
	}

	// The change since the last release, from the lock and the manifest,
	// without building.
	writeManifest(t, "1.3.0", historyPkg("OEM_A", "1.0.1", "5"), historyPkg("OEM_B", "2.1.0", "3"))
	oldS, err1 := Snapshot(context.Background(), manifest.DefaultLockName)
	newS, err2 := Snapshot(context.Background(), "provpack.yaml")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if txt := diff.DiffSnapshots(oldS, newS).Text(); !strings.Contains(txt, `Registry/HKLM\Software\Contoso\OEM_A/@V: "1" integer → "5" integer`) || strings.Contains(txt, "OEM_B") {
		t.Errorf("lock against manifest:\n%s", txt)
	}
	writeManifest(t, "1.2.0", historyPkg("OEM_A", "1.0.0", "1"), historyPkg("OEM_B", "2.1.0", "3"))

	// A recorded release number is not recorded again.
	_, _, err = BuildManifest(context.Background(), "provpack.yaml", Options{}, BuildOptions{OutDir: "r5", Release: true})
	if err == nil || !strings.Contains(err.Error(), "error-level") {
		t.Fatalf("a second release 1.2.0: %v", err)
	}
}

// TestBumpReasons: a reason given to provpack bump reaches both reports
// of the next release, for a package released before and one that is
// not; a bump reverted in the manifest is dropped, not kept as a phantom.
func TestBumpReasons(t *testing.T) {
	t.Chdir(t.TempDir())
	writeManifest(t, "1.0.0", historyPkg("OEM_A", "1.0.0", "1"), historyPkg("OEM_B", "1.0.0", "1"))
	if _, err := Bump(context.Background(), "provpack.yaml", "OEM_B", BumpMinor, "new package, first tuned"); err != nil {
		t.Fatal(err)
	}
	release(t, "r1", Options{})
	md, _ := os.ReadFile("r1/report.md")
	js, _ := os.ReadFile("r1/report.json")
	if !strings.Contains(string(md), "Bumped 1.0.0 → 1.1.0: new package, first tuned.") || !strings.Contains(string(js), `"reason":"new package, first tuned"`) {
		t.Fatalf("the reason of a bump of an unreleased package is not in the reports:\n%s", md)
	}
	// Released again unchanged: the same reports, reason included.
	if _, _, err := BuildManifest(context.Background(), "provpack.yaml", Options{}, BuildOptions{OutDir: "again"}); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile("again/report.md")
	if string(again) != string(md) {
		t.Errorf("report.md of the recorded release built again differs:\n%s", again)
	}

	// A bump of OEM_A, reverted in the manifest before the release.
	data, _ := os.ReadFile("provpack.yaml")
	if _, err := Bump(context.Background(), "provpack.yaml", "OEM_A", BumpPatch, "tried"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile("provpack.yaml", []byte(strings.Replace(string(data), "release: 1.0.0", "release: 1.1.0", 1)), 0o644)
	writeManifest(t, "1.1.0", historyPkg("OEM_A", "1.0.0", "2"), historyPkg("OEM_B", "1.1.0", "1"))
	pl, err := Load(context.Background(), "provpack.yaml", Options{Bump: BumpMinor, Reason: "A is now 2"})
	if err != nil {
		t.Fatal(err)
	}
	if b := pl.Packages[0].Bump; b == nil || b.Reason != "A is now 2" {
		t.Fatalf("the reverted bump's reason leaked into the plan: %+v", b)
	}
	release(t, "r2", Options{Bump: BumpMinor, Reason: "A is now 2"})
	lock, _ := manifest.LoadLock(context.Background(), manifest.DefaultLockName)
	if len(lock.Pending) != 0 {
		t.Errorf("pending bumps left after the release: %+v", lock.Pending)
	}
	for _, b := range lock.Package("OEM_A").Bumps {
		if b.Reason == "tried" {
			t.Errorf("the reverted bump was recorded: %+v", b)
		}
	}
}
