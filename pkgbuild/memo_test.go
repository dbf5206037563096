package pkgbuild

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/provpack/provpack/pkgbuild/report"
)

// memoImage writes the release-one image with one glob source. The
// builds of these tests trust stamps at once (see trusting), as if the
// files were old.
func memoImage(t *testing.T) {
	t.Helper()
	t.Chdir(t.TempDir())
	os.Mkdir("apn", 0o755)
	writeFiles(t, map[string]string{
		"provpack.yaml": strings.Replace(releaseOne, "file: apn.provxml", "file: apn/*.provxml", 1),
		"apn/a.provxml": apnOne,
	})
}

// trusting is bo with no racy window: stamps are trusted at once.
func trusting(bo BuildOptions) BuildOptions {
	if bo.hooks.racyWindow == 0 {
		bo.hooks.racyWindow = -1
	}
	return bo
}

func buildOnce(t *testing.T, opt Options, bo BuildOptions) *report.Report {
	t.Helper()
	if bo.OutDir == "" {
		bo.OutDir = "out"
	}
	_, rep, err := BuildManifest(context.Background(), "provpack.yaml", opt, trusting(bo))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// stamps returns every file of dir with its modification time.
func stamps(t *testing.T, dir string) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		fi, _ := e.Info()
		out[e.Name()] = fi.ModTime()
	}
	return out
}

// TestRebuildUpToDate: a build with nothing changed reports the last
// build's result and touches no file; any change to what a build reads
// makes the next one build again.
func TestRebuildUpToDate(t *testing.T) {
	memoImage(t)
	first := buildOnce(t, Options{}, BuildOptions{})
	if first.UpToDate {
		t.Fatal("the first build claims to be up to date")
	}
	before := stamps(t, "out")
	if _, _, ok := quickMemo("provpack.yaml", Options{}, trusting(BuildOptions{OutDir: "out"}), time.Now()); !ok {
		t.Error("the quick check, before the manifest is read, missed a build with nothing changed")
	}
	again := buildOnce(t, Options{}, BuildOptions{})
	if !again.UpToDate {
		t.Fatal("a build with nothing changed was not up to date")
	}
	if len(again.Packages) != len(first.Packages) || again.Packages[3].SHA256 != first.Packages[3].SHA256 || again.Packages[3].Archive != first.Packages[3].Archive {
		t.Errorf("the up-to-date report differs: %+v vs %+v", again.Packages, first.Packages)
	}
	after := stamps(t, "out")
	for name, mt := range before {
		if !after[name].Equal(mt) {
			t.Errorf("%s was rewritten by an up-to-date build", name)
		}
	}

	for _, tc := range []struct {
		name   string
		change func()
		opt    Options
		after  BuildOptions // options of the builds after the change
	}{
		{"a source changed", func() { os.WriteFile("apn/a.provxml", []byte(strings.Replace(apnOne, "internet", "web", 1)), 0o644) }, Options{}, BuildOptions{}},
		{"a new file matches a glob", func() { os.WriteFile("apn/b.provxml", []byte(strings.Replace(apnOne, "Net", "Net2", 1)), 0o644) }, Options{}, BuildOptions{}},
		{"the manifest changed", func() {
			data, _ := os.ReadFile("provpack.yaml")
			os.WriteFile("provpack.yaml", []byte(strings.Replace(string(data), "value: Blue", "value: Red", 1)), 0o644)
		}, Options{}, BuildOptions{}},
		{"an output was deleted", func() { os.Remove("out/OEM_Base-1.0.0.cab") }, Options{}, BuildOptions{}},
		{"another SOURCE_DATE_EPOCH", func() {}, Options{}, BuildOptions{Epoch: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"a bump option", func() {}, Options{Bump: "patch"}, BuildOptions{}},
		{"a release was recorded", func() {
			if _, _, err := BuildManifest(context.Background(), "provpack.yaml", Options{}, BuildOptions{OutDir: "released", Release: true}); err != nil {
				t.Fatal(err)
			}
		}, Options{}, BuildOptions{}},
	} {
		before := BuildOptions{Force: true} // the outputs change
		buildOnce(t, Options{}, before)
		if !buildOnce(t, Options{}, before).UpToDate {
			t.Errorf("%s: before the change, the build was not up to date", tc.name)
		}
		tc.change()
		tc.after.Force = true
		quick := trusting(tc.after)
		quick.OutDir = "out"
		if _, _, ok := quickMemo("provpack.yaml", tc.opt, quick, time.Now()); ok {
			t.Errorf("%s: the quick check did not notice it", tc.name)
		}
		if buildOnce(t, tc.opt, tc.after).UpToDate {
			t.Errorf("%s: the build after it claims to be up to date", tc.name)
		}
		if _, err := os.Stat("out/OEM_Base-1.0.0.cab"); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if !buildOnce(t, tc.opt, tc.after).UpToDate {
			t.Errorf("%s: a third build, with nothing changed since, was not up to date", tc.name)
		}
	}
}

// TestQuickMemoFallsBack: a change the quick check cannot judge without
// the manifest (a file that matches no glob added to a globbed
// directory) makes it miss, and the build then finds, by expanding the
// sources again, that it is up to date after all. The manifest named
// another way is another build: findings name files through that path.
func TestQuickMemoFallsBack(t *testing.T) {
	memoImage(t)
	buildOnce(t, Options{}, BuildOptions{})
	wd, _ := os.Getwd()
	os.Mkdir("sub", 0o755)
	os.Symlink(filepath.Join(wd, "provpack.yaml"), "sub/provpack.yaml")
	for _, other := range []string{filepath.Join(wd, "provpack.yaml"), "./provpack.yaml", "sub/provpack.yaml"} {
		if _, _, ok := quickMemo(other, Options{}, trusting(BuildOptions{OutDir: "out"}), time.Now()); ok {
			t.Errorf("the manifest named %s passed the quick check of a build of provpack.yaml", other)
		}
	}
	if _, _, ok := quickMemo("provpack.yaml", Options{}, trusting(BuildOptions{OutDir: "out"}), time.Now()); !ok {
		t.Error("the quick check missed a build with nothing changed")
	}
	os.WriteFile("apn/notes.txt", []byte("not a source\n"), 0o644)
	if _, _, ok := quickMemo("provpack.yaml", Options{}, trusting(BuildOptions{OutDir: "out"}), time.Now()); ok {
		t.Error("the quick check ignored a new file in a globbed directory")
	}
	if !buildOnce(t, Options{}, BuildOptions{}).UpToDate {
		t.Error("a file no glob matches made the build plan again")
	}
	// That build found the directory up to date the long way and
	// remembered the directory's new stamp: the next quick check passes.
	if _, _, ok := quickMemo("provpack.yaml", Options{}, trusting(BuildOptions{OutDir: "out"}), time.Now()); !ok {
		t.Error("after an up-to-date build, the quick check still misses the file no glob matches")
	}
	if !buildOnce(t, Options{}, BuildOptions{}).UpToDate {
		t.Error("the build after the refreshed quick check is not up to date")
	}
	// The archives the cache remembers survived the refresh: a change to
	// the source rebuilds only what changed, reusing the rest.
	data, _ := os.ReadFile(filepath.Join("out", CacheName))
	var c struct{ Archives map[string]json.RawMessage }
	if json.Unmarshal(data, &c) != nil || len(c.Archives) == 0 {
		t.Error("refreshing what the quick check watches dropped the cached archives")
	}
}

// TestReportsNameFilesRelative: findings in the reports name files
// relative to the manifest's directory, so a build of the same manifest
// named another way (an absolute path) writes the same reports; it is
// not taken as up to date (the findings it prints name files as given),
// and finds its outputs identical.
func TestReportsNameFilesRelative(t *testing.T) {
	memoImage(t)
	data, _ := os.ReadFile("apn/a.provxml")
	os.WriteFile("apn/a.provxml", append([]byte("\ufeff"), data...), 0o644) // a warning naming the file
	first := buildOnce(t, Options{}, BuildOptions{})
	if len(first.Findings) == 0 {
		t.Fatal("no finding to name the source")
	}
	before, _ := os.ReadFile("out/report.json")
	wd, _ := os.Getwd()
	pl, rep, err := BuildManifest(context.Background(), filepath.Join(wd, "provpack.yaml"), Options{}, trusting(BuildOptions{OutDir: "out"}))
	if err != nil {
		t.Fatal(err)
	}
	if rep.UpToDate {
		t.Fatal("a build naming the manifest by another path reused findings that name its sources differently")
	}
	if !strings.HasPrefix(pl.Findings[0].File, wd) {
		t.Errorf("the plan's findings should name files as given: %v", pl.Findings[0])
	}
	after, _ := os.ReadFile("out/report.json")
	if string(before) != string(after) || strings.Contains(string(after), wd) {
		t.Errorf("report.json depends on how the manifest was named")
	}
}

// TestRebuildModifiedOutput: an output edited after the build is not
// taken as up to date; the build then finds it differs, as any build
// would.
func TestRebuildModifiedOutput(t *testing.T) {
	memoImage(t)
	buildOnce(t, Options{}, BuildOptions{})
	if err := os.WriteFile("out/report.md", []byte("edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := BuildManifest(context.Background(), "provpack.yaml", Options{}, trusting(BuildOptions{OutDir: "out"}))
	if _, ok := err.(*ConflictError); !ok {
		t.Fatalf("err = %v, want the edited report.md named as differing", err)
	}
	if rep := buildOnce(t, Options{}, BuildOptions{Force: true}); rep.UpToDate {
		t.Error("--force after an edit claims to be up to date")
	}
	if data, _ := os.ReadFile("out/report.md"); string(data) == "edited\n" {
		t.Error("report.md was not restored")
	}
}

// TestRebuildRacySources: sources changed within racyWindow of a build
// leave no memory of it, so the next build plans again even if their
// stamps look the same.
func TestRebuildRacySources(t *testing.T) {
	memoImage(t)
	racy := BuildOptions{}
	racy.hooks.racyWindow = time.Hour
	buildOnce(t, Options{}, racy)
	if buildOnce(t, Options{}, racy).UpToDate {
		t.Error("a build over sources newer than the racy window was taken as up to date")
	}
	data, _ := os.ReadFile(filepath.Join("out", CacheName))
	if strings.Contains(string(data), `"inputs"`) {
		t.Error("the cache remembers inputs it could not judge")
	}
}

// TestReleaseBuildsAreNeverSkipped: --release records the lock, so it
// always plans.
func TestReleaseBuildsAreNeverSkipped(t *testing.T) {
	memoImage(t)
	buildOnce(t, Options{}, BuildOptions{})
	if buildOnce(t, Options{}, BuildOptions{Release: true}).UpToDate {
		t.Error("a release build was skipped")
	}
	if _, err := os.Stat("provpack.lock"); err != nil {
		t.Errorf("no lock written: %v", err)
	}
}
