package pkgbuild

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provpack/provpack/internal/testutil"
	"github.com/provpack/provpack/manifest"
)

const realUpdateDoc = `<wap-provisioningdoc><characteristic type="Registry"><characteristic type="HKLM\Software\Contoso"><parm name="Mode" value="1" datatype="integer"/></characteristic></characteristic></wap-provisioningdoc>`

// writeRealLike writes a package shaped like the platform's own (see
// testutil.RealLikeDSM: no provpack attributes, four-part version,
// shortened member names) with files, its catalog listing every member,
// packed by provpack's cab writer.
func writeRealLike(t *testing.T, dir string, files []testutil.RealFile) string {
	t.Helper()
	return writeRealLikeOwner(t, dir, "Contoso", "Contoso.Thing.PROVXML_Lang_de-de", files)
}

// TestImportRealSpkg imports a real-like .spkg (its provisioning files
// found by where they install, under shortened member names) beside
// the real navigation-bar package, which has none: the first gives the
// package, its identity and its files; the second is noted and left
// alone. The navigation-bar package alone is an error that says why.
func TestImportRealSpkg(t *testing.T) {
	nav := filepath.Join(testutil.Root(), "..", "shared", "realworld", "cab", "ms_navigationbar_en-us.spkr.cab")
	if _, err := os.Stat(nav); err != nil {
		if testutil.Required() {
			t.Fatal(err)
		}
		t.Skipf("%v; the real packages sit beside the project in ../shared", err)
	}
	in := t.TempDir()
	spkg := writeRealLike(t, in, []testutil.RealFile{
		{FileType: "Regular", CabPath: "1_Tokens_.xml", DevicePath: `\windows\System32\Speech_OneCore\Tokens.xml`, Data: []byte("<Tokens/>")},
		{FileType: "Regular", CabPath: "2_mxipupd.provxml", DevicePath: `\Windows\Migrators\DuMigrationProvisionerOEM\provxml\mxipupdate_Thing_002.provxml`, Data: []byte(realUpdateDoc)},
		{FileType: "Regular", CabPath: "3_oem.provxml", DevicePath: `\Programs\PhoneProvisioner_OEM\OEM\oem.provxml`, Data: []byte(strings.Replace(realUpdateDoc, "Mode", "Cold", 1))},
	})
	imp := filepath.Join(t.TempDir(), "imported")
	res, err := Import(context.Background(), []string{spkg, nav}, ImportOptions{Dir: imp, Image: "contoso", Release: "3.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Packages) != 1 {
		t.Fatalf("packages: %+v", res.Packages)
	}
	p := res.Packages[0]
	if p.Name != "Thing" || p.Version != "10.0.13080.107" || p.Owner != manifest.OwnerOEM || len(p.Files) != 2 || res.Target != "w10m" {
		t.Fatalf("package: %+v, target %s", p, res.Target)
	}
	skipped := map[string]string{}
	for _, s := range res.Skipped {
		skipped[filepath.Base(s.Archive)+":"+s.Member] = s.Why
	}
	if why := skipped[filepath.Base(spkg)+":1_Tokens_.xml"]; !strings.Contains(why, `installed at \windows\System32\Speech_OneCore\Tokens.xml`) {
		t.Errorf("skipped: %v", skipped)
	}
	if _, ok := skipped["ms_navigationbar_en-us.spkr.cab:man.dsm.xml"]; ok {
		t.Errorf("the package manifest is listed as left alone: %v", skipped)
	}
	notes := strings.Join(res.Notes, "\n")
	for _, want := range []string{"ms_navigationbar_en-us.spkr.cab holds no provisioning file", "Contoso.Thing.PROVXML_Lang_de-de", "oem.provxml carries no ordinal"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	for name, want := range map[string]string{"mxipupdate_Thing_002.provxml": realUpdateDoc, "oem.provxml": strings.Replace(realUpdateDoc, "Mode", "Cold", 1)} {
		got, err := os.ReadFile(filepath.Join(imp, "Thing", name))
		if err != nil || string(got) != want {
			t.Errorf("source %s: %q, %v", name, got, err)
		}
	}
	m, err := os.ReadFile(res.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"target: w10m", "company: Contoso", "version: 10.0.13080.107", "subcomponent: PROVXML"} {
		if !strings.Contains(string(m), want) {
			t.Errorf("manifest lacks %q:\n%s", want, m)
		}
	}
	lock, err := manifest.LoadLock(context.Background(), res.Lock)
	if err != nil {
		t.Fatal(err)
	}
	if lp := lock.Package("Thing"); lp == nil || lp.Version != "10.0.13080.107" || lp.MaxOrdinal.Update != 2 || len(lp.Files) != 1 {
		t.Fatalf("lock package: %+v", lp)
	}
	// The next plan keeps the update file as it shipped.
	pl, err := Load(context.Background(), res.Manifest, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range pl.Packages[0].Files {
		if f.Class == manifest.ClassUpdate && (f.Name != "mxipupdate_Thing_002.provxml" || f.Status != StatusUnchanged) {
			t.Errorf("update file: %+v", f)
		}
	}

	// The navigation-bar package alone: nothing to import, said so.
	_, err = Import(context.Background(), []string{nav}, ImportOptions{Dir: filepath.Join(t.TempDir(), "x"), Image: "contoso"})
	var ie *ImportError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "no provisioning file in "+nav+": nothing to import") {
		t.Errorf("import of a package without provisioning files: %v", err)
	}
}
