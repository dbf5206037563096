package pkgbuild

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/report"
)

const scenarioManifest = `# scenario image
image: scenario
release: 1.0.0
target: wm6
packages:
  - name: OEM_Base
    version: 1.0.0     # keep this comment
    owner: oem
    cold:
      - file: cold.provxml
    update:
      - file: update.provxml
      - settings:
          - csp: Registry
            characteristic: 'HKLM\Software\Contoso'
            parms:
              - {name: Inline, value: "1", datatype: integer}
`

const coldXML = `<wap-provisioningdoc><characteristic type="Registry"><characteristic type="HKLM\Software\Contoso\Cold"><parm name="A" value="1" datatype="integer"/></characteristic></characteristic></wap-provisioningdoc>`
const updateXML = `<wap-provisioningdoc><characteristic type="Registry"><characteristic type="HKLM\Software\Contoso\Update"><parm name="B" value="1" datatype="integer"/></characteristic></characteristic></wap-provisioningdoc>`

type scenario struct {
	t   *testing.T
	dir string
}

func newScenario(t *testing.T) *scenario {
	s := &scenario{t: t, dir: t.TempDir()}
	s.write("provpack.yaml", scenarioManifest)
	s.write("cold.provxml", coldXML)
	s.write("update.provxml", updateXML)
	return s
}

func (s *scenario) write(name, data string) {
	s.t.Helper()
	if err := os.WriteFile(filepath.Join(s.dir, name), []byte(data), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

func (s *scenario) plan(opt Options) *Plan {
	s.t.Helper()
	pl, err := Load(context.Background(), filepath.Join(s.dir, "provpack.yaml"), opt)
	if err != nil {
		s.t.Fatalf("plan: %v", err)
	}
	// These scenarios never raise the image release; PP0108 is tested in
	// cmd/provpack/testdata/script/release.txtar.
	pl.Findings = slices.DeleteFunc(pl.Findings, func(f Finding) bool { return f.ID == RuleSameRelease.ID })
	return pl
}

// release records the plan in the lock, as build --release will.
func (s *scenario) release(pl *Plan) {
	s.t.Helper()
	if HasErrors(pl.Findings) {
		s.t.Fatalf("releasing a plan with errors: %v", pl.Findings)
	}
	b, err := pl.NextLock(nil).Marshal()
	if err != nil {
		s.t.Fatal(err)
	}
	s.write("provpack.lock", string(b))
	if _, err := manifest.ReadLock("provpack.lock", b); err != nil {
		s.t.Fatalf("the lock we wrote does not read back: %v", err)
	}
}

func files(pl *Plan) map[manifest.Class]*FilePlan {
	out := map[manifest.Class]*FilePlan{}
	for _, f := range pl.Packages[0].Files {
		out[f.Class] = f
	}
	return out
}

func findingIDs(pl *Plan) string {
	var ids []string
	for _, f := range pl.Findings {
		ids = append(ids, f.ID)
	}
	return strings.Join(ids, ",")
}

func expectFile(t *testing.T, f *FilePlan, name string, ordinal int, status report.Status) {
	t.Helper()
	if f == nil {
		t.Fatalf("no file, want %s", name)
	}
	if f.Name != name || f.Ordinal != ordinal || f.Status != status {
		t.Errorf("file %s ordinal %d %s; want %s %d %s (%s)", f.Name, f.Ordinal, f.Status, name, ordinal, status, f.Why)
	}
}

func TestMultiReleaseScenario(t *testing.T) {
	s := newScenario(t)

	// Release 1: both classes take the first ordinal.
	pl := s.plan(Options{})
	fs := files(pl)
	expectFile(t, fs[manifest.ClassCold], "mxipcold_OEM_Base_100.provxml", 100, StatusNew)
	expectFile(t, fs[manifest.ClassUpdate], "mxipupdate_OEM_Base_100.provxml", 100, StatusNew)
	if pl.Packages[0].Status != StatusNew || len(pl.Findings) != 0 {
		t.Fatalf("first release: status %s, findings %v", pl.Packages[0].Status, pl.Findings)
	}
	s.release(pl)

	// Nothing changed; whitespace and attribute order are not changes.
	s.write("update.provxml", "<?xml version='1.0'?>\n<wap-provisioningdoc>\n  <characteristic type='Registry'>\n    <characteristic type=\"HKLM\\Software\\Contoso\\Update\">\n      <parm datatype='integer' value='1' name='B'/>\n    </characteristic>\n  </characteristic>\n</wap-provisioningdoc>\n")
	// The release the lock records, unchanged, plans as it did when it
	// was released (its report is rebuilt the same).
	pl = s.plan(Options{})
	fs = files(pl)
	expectFile(t, fs[manifest.ClassUpdate], "mxipupdate_OEM_Base_100.provxml", 100, StatusNew)
	expectFile(t, fs[manifest.ClassCold], "mxipcold_OEM_Base_100.provxml", 100, StatusNew)
	if len(pl.Findings) != 0 || pl.PreviousRelease != "" {
		t.Fatalf("reformatting is not a change, got %v (previous release %q)", pl.Findings, pl.PreviousRelease)
	}

	// A cold file changes: next ordinal, no version bump needed.
	s.write("cold.provxml", strings.Replace(coldXML, `value="1"`, `value="2"`, 1))
	pl = s.plan(Options{})
	fs = files(pl)
	expectFile(t, fs[manifest.ClassCold], "mxipcold_OEM_Base_200.provxml", 200, StatusChanged)
	if fs[manifest.ClassCold].OldOrdinal != 100 || HasErrors(pl.Findings) {
		t.Errorf("cold change: old ordinal %d, findings %v", fs[manifest.ClassCold].OldOrdinal, pl.Findings)
	}

	// An update file changes without a version bump: an error naming the
	// package, the file and the fix, positioned at the version.
	s.write("update.provxml", strings.Replace(updateXML, `value="1"`, `value="2"`, 1))
	pl = s.plan(Options{})
	fs = files(pl)
	expectFile(t, fs[manifest.ClassUpdate], "mxipupdate_OEM_Base_200.provxml", 200, StatusChanged)
	// The cold change above is still pending, so PP0201 (cold-only) comes too.
	if findingIDs(pl) != RuleColdOnly.ID+","+RuleUnbumped.ID {
		t.Fatalf("want %s and %s, got %v", RuleColdOnly.ID, RuleUnbumped.ID, pl.Findings)
	}
	f := pl.Findings[1]
	if f.Line != 7 || f.Col != 14 || !strings.Contains(f.Message, "OEM_Base") || !strings.Contains(f.Message, "mxipupdate_OEM_Base_200.provxml") || !strings.Contains(f.Message, "bump") {
		t.Errorf("unbumped finding: %v", f)
	}

	// The same with --bump: the version rises and the reason is kept.
	pl = s.plan(Options{Bump: "minor", Reason: "B is now 2"})
	if HasErrors(pl.Findings) {
		t.Fatalf("with --bump: %v", pl.Findings)
	}
	p := pl.Packages[0]
	if p.Version != "1.1.0" || p.OldVersion != "1.0.0" || p.Status != StatusUpdated || p.Bump == nil || p.Bump.Reason != "B is now 2" {
		t.Fatalf("bumped package: %+v bump %+v", p, p.Bump)
	}
	s.release(pl)
	lock, err := manifest.LoadLock(context.Background(), filepath.Join(s.dir, "provpack.lock"))
	if err != nil {
		t.Fatal(err)
	}
	lp := lock.Package("OEM_Base")
	if lp.Version != "1.1.0" || len(lp.Bumps) != 1 || lp.Bumps[0].Reason != "B is now 2" || lp.MaxOrdinal.Update != 200 || lp.MaxOrdinal.Cold != 200 {
		t.Fatalf("lock after bumped release: %+v", lp)
	}

	// Going back to the first content is still a change: ordinals are never
	// reused, so it takes 300, not 100. The manifest now says 1.0.0 while
	// 1.1.0 was released: versions never go down.
	s.write("update.provxml", updateXML)
	pl = s.plan(Options{})
	fs = files(pl)
	expectFile(t, fs[manifest.ClassUpdate], "mxipupdate_OEM_Base_300.provxml", 300, StatusChanged)
	if !strings.Contains(findingIDs(pl), RuleVersionDown.ID) {
		t.Errorf("want %s for a version below the released one, got %v", RuleVersionDown.ID, pl.Findings)
	}

	// Raising the version in the manifest makes the change legal.
	b, _ := os.ReadFile(filepath.Join(s.dir, "provpack.yaml"))
	s.write("provpack.yaml", strings.Replace(string(b), "version: 1.0.0", "version: 1.2.0", 1))
	pl = s.plan(Options{})
	if len(pl.Findings) != 0 || pl.Packages[0].Status != StatusUpdated {
		t.Fatalf("after raising the version: %s %v", pl.Packages[0].Status, pl.Findings)
	}
	s.release(pl)

	// Dropping the cold sources removes the file (a warning); bringing them
	// back continues after the highest ordinal ever used.
	b, _ = os.ReadFile(filepath.Join(s.dir, "provpack.yaml"))
	noCold := strings.Replace(string(b), "    cold:\n      - file: cold.provxml\n", "", 1)
	s.write("provpack.yaml", noCold)
	pl = s.plan(Options{})
	if findingIDs(pl) != RuleRemoved.ID || len(pl.Packages[0].Removed) != 1 {
		t.Fatalf("removed class: %v %v", pl.Findings, pl.Packages[0].Removed)
	}
	s.release(pl)
	s.write("provpack.yaml", string(b))
	pl = s.plan(Options{})
	expectFile(t, files(pl)[manifest.ClassCold], "mxipcold_OEM_Base_300.provxml", 300, StatusNew)
}

// TestColdSettingMovedToUpdate: moving a setting from the cold file into
// the update file of the same package, with a version bump, is what
// PP0201 tells users to do; it is not itself a cold-only change.
func TestColdSettingMovedToUpdate(t *testing.T) {
	s := newScenario(t)
	s.release(s.plan(Options{}))
	s.write("cold.provxml", `<wap-provisioningdoc><characteristic type="Registry"><characteristic type="HKLM\Software\Contoso\Cold"><parm name="Z" value="9" datatype="integer"/></characteristic></characteristic></wap-provisioningdoc>`)
	s.write("update.provxml", `<wap-provisioningdoc><characteristic type="Registry"><characteristic type="HKLM\Software\Contoso\Update"><parm name="B" value="1" datatype="integer"/></characteristic><characteristic type="HKLM\Software\Contoso\Cold"><parm name="A" value="1" datatype="integer"/></characteristic></characteristic></wap-provisioningdoc>`)
	pl := s.plan(Options{Bump: BumpPatch})
	var cold []string
	for _, f := range pl.Findings {
		if f.ID == RuleColdOnly.ID {
			cold = append(cold, f.Message)
		}
	}
	// Z is new in the cold file and in no update file: still flagged.
	if len(cold) != 1 || !strings.Contains(cold[0], "@Z is new") {
		t.Fatalf("want one PP0201 for the new cold setting Z, got %q", cold)
	}
}

func TestOrdinalSpace(t *testing.T) {
	s := newScenario(t)
	b, _ := os.ReadFile(filepath.Join(s.dir, "provpack.yaml"))
	s.write("provpack.yaml", strings.Replace(string(b), "target: wm6\n", "target: wm6\nordinals: {start: 700, step: 100}\n", 1))
	pl := s.plan(Options{})
	if findingIDs(pl) != "" {
		t.Fatalf("700 leaves room for two more: %v", pl.Findings)
	}
	s.release(pl)
	for _, v := range []string{"2", "3"} { // 800 and 900: one, then no further change fits
		s.write("cold.provxml", strings.Replace(coldXML, `value="1"`, `value="`+v+`"`, 1))
		pl = s.plan(Options{})
		if findingIDs(pl) != RuleColdOnly.ID+","+RuleOrdinalLow.ID {
			t.Fatalf("want %s and %s, got %v", RuleColdOnly.ID, RuleOrdinalLow.ID, pl.Findings)
		}
		s.release(pl)
	}
	s.write("cold.provxml", strings.Replace(coldXML, `value="1"`, `value="4"`, 1))
	pl = s.plan(Options{})
	if findingIDs(pl) != RuleColdOnly.ID+","+RuleOrdinalSpent.ID {
		t.Fatalf("1000 does not fit: want %s, got %v", RuleOrdinalSpent.ID, pl.Findings)
	}
}

// TestW10MNaming: w10m numbers both classes from 001 in steps of 1; a
// cold-only change takes the next cold ordinal without a version raise,
// an update change needs one; a four-part version stays four-part, and
// a bump past 65535 is refused.
func TestW10MNaming(t *testing.T) {
	s := newScenario(t)
	b, _ := os.ReadFile(filepath.Join(s.dir, "provpack.yaml"))
	m := strings.Replace(string(b), "target: wm6", "target: w10m\ncompany: Contoso", 1)
	m = strings.Replace(m, "version: 1.0.0", "version: 1.0.0.65534", 1)
	s.write("provpack.yaml", m)
	pl := s.plan(Options{})
	if HasErrors(pl.Findings) {
		t.Fatal(pl.Findings)
	}
	expectFile(t, files(pl)[manifest.ClassCold], "mxipcold_OEM_Base_001.provxml", 1, StatusNew)
	expectFile(t, files(pl)[manifest.ClassUpdate], "mxipupdate_OEM_Base_001.provxml", 1, StatusNew)
	if pl.Company != "Contoso" || pl.CPU != "arm" || pl.ReleaseType != "production" {
		t.Errorf("identity %q %q %q", pl.Company, pl.CPU, pl.ReleaseType)
	}
	s.release(pl)
	s.write("cold.provxml", strings.Replace(coldXML, `value="1"`, `value="2"`, 1))
	pl = s.plan(Options{})
	expectFile(t, files(pl)[manifest.ClassCold], "mxipcold_OEM_Base_002.provxml", 2, StatusChanged)
	if HasErrors(pl.Findings) || pl.Packages[0].Version != "1.0.0.65534" {
		t.Errorf("a cold-only change: %v, version %s", pl.Findings, pl.Packages[0].Version)
	}
	s.release(pl)
	s.write("update.provxml", strings.Replace(updateXML, `value="1"`, `value="2"`, 1))
	pl = s.plan(Options{Bump: "patch"})
	expectFile(t, files(pl)[manifest.ClassUpdate], "mxipupdate_OEM_Base_002.provxml", 2, StatusChanged)
	if pl.Packages[0].Version != "1.0.0.65535" || HasErrors(pl.Findings) {
		t.Errorf("bumped to %s: %v", pl.Packages[0].Version, pl.Findings)
	}
	s.release(pl)
	s.write("provpack.yaml", strings.Replace(m, "version: 1.0.0.65534", "version: 1.0.0.65535", 1))
	s.write("update.provxml", strings.Replace(updateXML, `value="1"`, `value="3"`, 1))
	pl = s.plan(Options{Bump: "patch"})
	if ids := findingIDs(pl); ids != RuleUnbumped.ID || !strings.Contains(pl.Findings[0].Message, "larger than 65535") {
		t.Errorf("a bump past 65535: %v", pl.Findings)
	}
}

func TestInlineFindingsPointAtManifest(t *testing.T) {
	s := newScenario(t)
	b, _ := os.ReadFile(filepath.Join(s.dir, "provpack.yaml"))
	s.write("provpack.yaml", strings.Replace(string(b), `{name: Inline, value: "1", datatype: integer}`, `{name: Inline, value: "99999999999", datatype: integer}`, 1))
	pl := s.plan(Options{})
	if len(pl.Findings) != 1 {
		t.Fatalf("want one finding, got %v", pl.Findings)
	}
	f := pl.Findings[0]
	if f.ID != "PX0203" || !strings.HasSuffix(f.File, "provpack.yaml") || f.Line != 17 || f.Col != 39 {
		t.Errorf("inline finding should point at the value in the manifest (17:39): %v", f)
	}
}

// TestSourceClassFromManifest: a source is linted as the class the
// manifest lists it under, whatever its file name says, so a NAPDEF in an
// update source is PX0701 and the same file as a cold source is not.
func TestSourceClassFromManifest(t *testing.T) {
	s := newScenario(t)
	napdef := `<wap-provisioningdoc><characteristic type="NAPDEF"><characteristic type="NAP1"><parm name="NAME" value="Contoso"/></characteristic></characteristic></wap-provisioningdoc>`
	s.write("update.provxml", napdef)
	if ids := findingIDs(s.plan(Options{})); !strings.Contains(ids, "PX0701") {
		t.Errorf("NAPDEF in an update source: findings %q, want PX0701", ids)
	}
	s.write("update.provxml", updateXML)
	s.write("cold.provxml", napdef)
	if ids := findingIDs(s.plan(Options{})); strings.Contains(ids, "PX0701") {
		t.Errorf("NAPDEF in a cold source: findings %q, want no PX0701", ids)
	}
}
