package pkgbuild

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/provpack/provpack/internal/imagegen"
	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/diff"
	"github.com/provpack/provpack/pkgbuild/report"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/release/name, rewriting it with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(testdataDir, name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pkgbuild -update)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (review, then go test ./pkgbuild -update):\n--- got\n%s", name, got)
	}
}

var testdataDir, _ = filepath.Abs(filepath.Join("testdata", "release"))

const releaseOne = `image: handheld
release: 1.0.0
target: wm6
packages:
  - name: MS_Shell
    version: 6.5.0
    owner: microsoft
    update:
      - settings:
          - {csp: Registry, characteristic: 'HKLM\Software\Microsoft\Shell', parms: [{name: Theme, value: Blue, datatype: string}]}
  - name: OEM_Base
    version: 1.0.0
    owner: oem
    cold:
      - settings:
          - {csp: Registry, characteristic: 'HKLM\Software\Contoso\Cold', parms: [{name: A, value: "1", datatype: integer}, {name: Keep, value: "1", datatype: integer}]}
    update:
      - settings:
          - {csp: Registry, characteristic: 'HKLM\Software\Contoso\Shared', parms: [{name: Volume, value: "3", datatype: integer}]}
  - name: OEM_Extra
    version: 1.0.0
    owner: oem
    update:
      - settings:
          - {csp: Registry, characteristic: 'HKLM\Software\Contoso\Extra', parms: [{name: Y, value: "1", datatype: integer}]}
  - name: OPR_Net
    version: 2.0.0
    owner: operator
    update:
      - file: apn.provxml
`

const apnOne = `<wap-provisioningdoc>
  <characteristic type="CM_GPRSEntries">
    <characteristic type="Net">
      <characteristic type="DevSpecificCellular">
        <parm name="GPRSInfoAccessPointName" value="internet"/>
      </characteristic>
    </characteristic>
  </characteristic>
</wap-provisioningdoc>
`

// releaseTwo changes OEM_Base's cold file, OPR_Net's update file (APN
// renamed, and it now writes a setting OEM_Base writes and one the
// Microsoft package writes) and raises OEM_Extra without a change.
func releaseTwo(s string) string {
	s = strings.Replace(s, "release: 1.0.0", "release: 1.1.0", 1)
	s = strings.Replace(s, `{name: A, value: "1", datatype: integer}`, `{name: A, value: "2", datatype: integer}`, 1)
	s = strings.Replace(s, "  - name: OEM_Extra\n    version: 1.0.0", "  - name: OEM_Extra\n    version: 1.0.1", 1)
	return s
}

const apnTwo = `<wap-provisioningdoc>
  <characteristic type="CM_GPRSEntries">
    <characteristic type="Net">
      <characteristic type="DevSpecificCellular">
        <parm name="GPRSInfoAccessPointName" value="web"/>
      </characteristic>
    </characteristic>
  </characteristic>
  <characteristic type="Registry">
    <characteristic type="HKLM\Software\Contoso\Shared">
      <parm name="Volume" value="5" datatype="integer"/>
    </characteristic>
    <characteristic type="HKLM\SOFTWARE\Microsoft\Shell">
      <parm name="Theme" value="Fabrikam Red" datatype="string"/>
    </characteristic>
  </characteristic>
</wap-provisioningdoc>
`

func writeFiles(t *testing.T, files map[string]string) {
	t.Helper()
	for name, data := range files {
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReleaseIntelligence takes an image through two releases and pins
// the re-apply manifest (every flag), the build report and the diff.
func TestReleaseIntelligence(t *testing.T) {
	t.Chdir(t.TempDir())
	writeFiles(t, map[string]string{"provpack.yaml": releaseOne, "apn.provxml": apnOne})
	pl, err := Load(context.Background(), "provpack.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Findings) != 0 {
		t.Fatalf("release 1: %v", pl.Findings)
	}
	if _, err := Build(context.Background(), pl, BuildOptions{OutDir: "r1", Release: true}); err != nil {
		t.Fatal(err)
	}

	writeFiles(t, map[string]string{"provpack.yaml": releaseTwo(releaseOne), "apn.provxml": apnTwo})
	pl, err = Load(context.Background(), "provpack.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	ids := findingIDs(pl)
	for _, id := range []string{"PP0101", "PP0201", "PP0202", "PP0203", "PP0204"} {
		if !strings.Contains(ids, id) {
			t.Errorf("plan of release 2 lacks %s: %s", id, ids)
		}
	}
	r := pl.Reapply()
	golden(t, "reapply.txt", []byte(r.Text()))
	golden(t, "reapply.md", []byte(r.Markdown()))
	js, _ := json.MarshalIndent(r, "", "  ")
	golden(t, "reapply.json", append(js, '\n'))

	// With the bump, release 2 builds; its report names the update files
	// devices re-run, with their settings.
	pl, err = Load(context.Background(), "provpack.yaml", Options{Bump: "patch", Reason: "APN renamed"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(context.Background(), pl, BuildOptions{OutDir: "r2", Release: true}); err != nil {
		t.Fatal(err, pl.Findings)
	}
	md, _ := os.ReadFile("r2/report.md")
	golden(t, "report-r2.md", md)
	for _, want := range []string{"**`mxipupdate_OPR_Net_200.provxml`** (OPR_Net, 2.0.0 → 2.0.1)", "| set | `CM_GPRSEntries/Net/DevSpecificCellular/@GPRSInfoAccessPointName` | `web` |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}

	old, err := diff.LoadSnapshot("r1")
	if err != nil {
		t.Fatal(err)
	}
	neu, err := diff.LoadSnapshot("r2/report.json")
	if err != nil {
		t.Fatal(err)
	}
	d := diff.DiffSnapshots(old, neu)
	golden(t, "diff.txt", []byte(d.Text()))
	golden(t, "diff.md", []byte(d.Markdown()))
	js, _ = json.MarshalIndent(d, "", "  ")
	golden(t, "diff.json", append(js, '\n'))
	if strings.Contains(d.Text(), "Keep") {
		t.Error("diff lists a setting that did not change")
	}

	// A release against itself, and the lock against the build it
	// recorded, have no differences.
	if d := diff.DiffSnapshots(neu, neu); !d.Empty() {
		t.Errorf("diff of a build with itself: %s", d.Text())
	}
	lock, err := diff.LoadSnapshot("provpack.lock")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff.DiffSnapshots(lock, neu); !d.Empty() {
		t.Errorf("diff of the lock with the build it recorded: %s", d.Text())
	}
}

// TestConflictsSurviveHashCollisions: conflicts index keys by hash; with
// every key colliding, the findings must be the same as without.
func TestConflictsSurviveHashCollisions(t *testing.T) {
	t.Chdir(t.TempDir())
	writeFiles(t, map[string]string{"provpack.yaml": releaseTwo(releaseOne), "apn.provxml": apnTwo})
	plan := func(opt Options) string {
		pl, err := Load(context.Background(), "provpack.yaml", opt)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, f := range pl.Findings {
			fmt.Fprintln(&b, f)
		}
		return b.String()
	}
	want := plan(Options{})
	if !strings.Contains(want, "PP0203") || !strings.Contains(want, "PP0204") {
		t.Fatalf("the image has no conflict to find:\n%s", want)
	}
	if got := plan(Options{collide: true}); got != want {
		t.Errorf("with every key hash colliding the findings differ:\n%s\nwant:\n%s", got, want)
	}
}

// TestDiffMovedSetting: a setting that moves from the cold to the update
// class is reported as moved, not as removed and added.
func TestDiffMovedSetting(t *testing.T) {
	s := func(class, value string) report.Setting {
		return report.Setting{Class: "cold", CSP: "Registry", Path: []string{`HKLM\S`}, Name: "A", Value: value, Datatype: "integer", Op: "set"}
	}
	a := s("cold", "1")
	b := s("update", "1")
	b.Class = "update"
	d := diff.DiffSnapshots(&diff.Snapshot{Packages: []diff.SnapshotPackage{{Name: "P", Version: "1.0.0", Settings: []report.Setting{a}}}},
		&diff.Snapshot{Packages: []diff.SnapshotPackage{{Name: "P", Version: "1.0.1", Settings: []report.Setting{b}}}})
	if len(d.Packages) != 1 || len(d.Packages[0].Moved) != 1 || len(d.Packages[0].Added)+len(d.Packages[0].Removed) != 0 {
		t.Fatalf("want one moved setting: %s", d.Text())
	}
}

// TestBuildManifestMatchesBuild: the one-pass build, which drops each
// package's settings once archived, writes exactly what planning first
// and building second writes, for an update release with conflicts,
// shadowing and a re-apply list: the reports are the same bytes either
// way.
func TestBuildManifestMatchesBuild(t *testing.T) {
	t.Chdir(t.TempDir())
	writeFiles(t, map[string]string{"provpack.yaml": releaseOne, "apn.provxml": apnOne})
	pl, err := Load(context.Background(), "provpack.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(context.Background(), pl, BuildOptions{OutDir: "r1", Release: true}); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, map[string]string{"provpack.yaml": releaseTwo(releaseOne), "apn.provxml": apnTwo})
	opt := Options{Bump: "patch", Reason: "APN renamed"}
	pl, err = Load(context.Background(), "provpack.yaml", opt)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Build(context.Background(), pl, BuildOptions{OutDir: "two-pass"})
	if err != nil {
		t.Fatal(err)
	}
	var checked *Plan
	bo := BuildOptions{OutDir: "one-pass", Check: func(p *Plan) error { checked = p; return nil }}
	bo.hooks.shedAll = true // as a large image would be
	pl2, rep, err := BuildManifest(context.Background(), "provpack.yaml", opt, bo)
	if err != nil {
		t.Fatal(err)
	}
	if checked != pl2 || rep == nil {
		t.Fatal("Check did not see the plan, or no report")
	}
	if got, want := fmt.Sprint(pl2.Findings), fmt.Sprint(pl.Findings); got != want {
		t.Errorf("findings differ:\n one pass %s\n two pass %s", got, want)
	}
	if !strings.Contains(fmt.Sprint(pl2.Findings), "PP0204") {
		t.Errorf("the release has no shadowing to find: %v", pl2.Findings)
	}
	sameOutputs(t, "two-pass", "one-pass")
	md, _ := os.ReadFile("one-pass/report.md")
	if !strings.Contains(string(md), "| set | `CM_GPRSEntries/Net/DevSpecificCellular/@GPRSInfoAccessPointName` | `web` |") {
		t.Error("report.md of the one-pass build lacks the re-applied settings")
	}
}

// TestBuildManifestStopsOnCheck: an error from Check, like error-level
// findings, leaves the output directory as it was.
func TestBuildManifestStopsOnCheck(t *testing.T) {
	t.Chdir(t.TempDir())
	writeFiles(t, map[string]string{"provpack.yaml": releaseOne, "apn.provxml": apnOne})
	stop := errors.New("stop")
	_, _, err := BuildManifest(context.Background(), "provpack.yaml", Options{}, BuildOptions{OutDir: "out", Check: func(*Plan) error { return stop }})
	if err != stop {
		t.Fatalf("err = %v, want the Check's", err)
	}
	if _, err := os.Stat("out"); !os.IsNotExist(err) {
		ents, _ := os.ReadDir("out")
		t.Errorf("a stopped build left out/ behind: %v", ents)
	}
}

// TestSuppressReachesReleaseFlags: a package's suppress list silences
// the shadowing warning, as PP0204's message tells users to do.
func TestSuppressReachesReleaseFlags(t *testing.T) {
	t.Chdir(t.TempDir())
	writeFiles(t, map[string]string{"provpack.yaml": releaseTwo(releaseOne), "apn.provxml": apnTwo})
	pl, err := Load(context.Background(), "provpack.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var pkg string
	for _, f := range pl.Findings {
		if f.ID == "PP0204" {
			pkg = f.Package
		}
	}
	if pkg == "" {
		t.Fatalf("no PP0204 to suppress: %v", pl.Findings)
	}
	m, err := manifest.Load("provpack.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m.Package(pkg).Suppress = append(m.Package(pkg).Suppress, "PP0204")
	if err := m.CheckSources("."); err != nil {
		t.Fatal(err)
	}
	m.WithDefaults()
	pl, err = NewPlan(m, ".", nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range pl.Findings {
		if f.ID == "PP0204" && f.Package == pkg {
			t.Errorf("suppressed PP0204 still reported: %s", f)
		}
	}
}

func TestSharedKeys(t *testing.T) {
	hashes, pkgs := sharedKeys([][]uint64{{1, 4, 9}, {2, 4}, {}, {3, 9, 10}, {10}, {11}})
	if fmt.Sprint(hashes) != "map[4:true 9:true 10:true]" || fmt.Sprint(pkgs) != "map[0:true 1:true 3:true 4:true]" {
		t.Errorf("shared hashes %v in packages %v", hashes, pkgs)
	}
	if h, p := sharedKeys(nil); len(h)+len(p) != 0 {
		t.Errorf("no lists: %v %v", h, p)
	}
	// Random lists against counting every hash in a map. The hashes are
	// drawn from a pool spread over the whole range, so that lists share
	// some and every range sharedKeys cuts holds some.
	rng := rand.New(rand.NewPCG(1, 2))
	pool := make([]uint64, 200)
	for i := range pool {
		pool[i] = rng.Uint64()
	}
	pool[0], pool[1] = 0, math.MaxUint64
	for range 50 {
		keys := make([][]uint64, rng.IntN(40))
		for i := range keys {
			for range rng.IntN(30) {
				keys[i] = append(keys[i], pool[rng.IntN(len(pool))])
			}
			slices.Sort(keys[i])
			keys[i] = slices.Compact(keys[i])
		}
		owners := map[uint64][]int{}
		for i, ks := range keys {
			for _, k := range ks {
				owners[k] = append(owners[k], i)
			}
		}
		wantH, wantP := map[uint64]bool{}, map[int]bool{}
		for k, o := range owners {
			if len(o) > 1 {
				wantH[k] = true
				for _, i := range o {
					wantP[i] = true
				}
			}
		}
		if h, p := sharedKeys(keys); !maps.Equal(h, wantH) || !maps.Equal(p, wantP) {
			t.Fatalf("lists %v: got %v in %v, want %v in %v", keys, h, p, wantH, wantP)
		}
	}
}

// TestReplanNoticesChangedSources: a shed package planned again for the
// conflict check must give the same files; a source edited meanwhile is
// reported instead of mixing two versions of it.
func TestReplanNoticesChangedSources(t *testing.T) {
	t.Chdir(t.TempDir())
	writeFiles(t, map[string]string{"provpack.yaml": releaseOne, "apn.provxml": apnOne})
	pl, err := Load(context.Background(), "provpack.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var net *PackagePlan
	for _, p := range pl.Packages {
		if p.Name == "OPR_Net" {
			net = p
		}
	}
	pl.shed(net, false)
	if fs := pl.files(net); pl.replanErr != nil || len(fs) != 1 || fs[0].SettingCount != 1 || len(fs[0].Settings) != 1 {
		t.Fatalf("unchanged sources planned again: %v, %d files", pl.replanErr, len(fs))
	}
	writeFiles(t, map[string]string{"apn.provxml": apnTwo})
	pl.files(net)
	if pl.replanErr == nil || !strings.Contains(pl.replanErr.Error(), "OPR_Net changed while provpack read them") {
		t.Errorf("a source changed mid-build went unnoticed: %v", pl.replanErr)
	}
}

// TestRecycledMemoryLeavesNoTrace builds a generated image in one pass,
// where each package's sources, settings and parsed documents go back
// for the next package once it is archived (scratch), and in two passes,
// where nothing is reused, with packages of different sizes so that
// later ones land on what earlier ones left. Every output must be
// byte-identical: report.json and report.md list every setting, so a
// value read from reused memory would show.
func TestRecycledMemoryLeavesNoTrace(t *testing.T) {
	dir := t.TempDir()
	path, err := imagegen.Generate(dir, imagegen.Options{Packages: 24, Files: 4, Size: 3000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	// Packages of very different sizes, largest in the middle.
	for i, size := range []int{200, 40000, 900, 25000} {
		file := filepath.Join(dir, "provxml", fmt.Sprintf("OEM_Pkg%04d", 10+i), "01.provxml")
		other, err := imagegen.Generate(t.TempDir(), imagegen.Options{Packages: 1, Files: 2, Size: size, Seed: int64(i + 1)})
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(filepath.Dir(other), "provxml", "OEM_Pkg0000", "01.provxml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	pl, err := Load(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(context.Background(), pl, BuildOptions{OutDir: filepath.Join(out, "two-pass")}); err != nil {
		t.Fatal(err)
	}
	one := filepath.Join(out, "one-pass")
	bo := BuildOptions{OutDir: one}
	bo.hooks.shedAll = true // as a large image would be
	if _, _, err := BuildManifest(context.Background(), path, Options{}, bo); err != nil {
		t.Fatal(err)
	}
	if n := sameOutputs(t, filepath.Join(out, "two-pass"), one); n < 28 {
		t.Fatalf("two-pass build wrote only %d files", n)
	}
}

// sameOutputs requires every output of the two-pass build in twoPass to
// have the same bytes in onePass, and returns how many files twoPass
// holds. The cache is bookkeeping with file stamps, not an output.
func sameOutputs(t *testing.T, twoPass, onePass string) int {
	t.Helper()
	ents, err := os.ReadDir(twoPass)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() == CacheName {
			continue
		}
		a, _ := os.ReadFile(filepath.Join(twoPass, e.Name()))
		b, err := os.ReadFile(filepath.Join(onePass, e.Name()))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between the one-pass and the two-pass build (%v)", e.Name(), err)
		}
	}
	return len(ents)
}

// TestRemovedPackageNeedsNewRelease: dropping a released package changes
// the image, so keeping the release number is flagged (PP0108), as any
// other change is.
func TestRemovedPackageNeedsNewRelease(t *testing.T) {
	t.Chdir(t.TempDir())
	writeFiles(t, map[string]string{"provpack.yaml": releaseOne, "apn.provxml": apnOne})
	pl, err := Load(context.Background(), "provpack.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(context.Background(), pl, BuildOptions{OutDir: "r1", Release: true}); err != nil {
		t.Fatal(err)
	}
	i := strings.Index(releaseOne, "  - name: OEM_Extra")
	j := strings.Index(releaseOne, "  - name: OPR_Net")
	writeFiles(t, map[string]string{"provpack.yaml": releaseOne[:i] + releaseOne[j:]})
	pl, err = Load(context.Background(), "provpack.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pl.RemovedPackages, []string{"OEM_Extra"}) {
		t.Fatalf("removed packages %v, want [OEM_Extra]", pl.RemovedPackages)
	}
	if !slices.ContainsFunc(pl.Findings, func(f Finding) bool { return f.ID == RuleSameRelease.ID }) {
		t.Errorf("release 1.0.0 kept with OEM_Extra removed is not flagged: %v", pl.Findings)
	}
}
