package pkgbuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/provpack/provpack/internal/testutil"
	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/archive"
	"github.com/provpack/provpack/pkgbuild/catalog"
	"github.com/provpack/provpack/pkgbuild/report"
)

// writeRealLikeOwner is writeRealLike with the manifest's Identity/Owner
// and the package's name (its .spkg name less the extension) given.
func writeRealLikeOwner(t *testing.T, dir, owner, name string, files []testutil.RealFile) string {
	t.Helper()
	dsm := testutil.RealLikeDSM(owner, "Thing", "PROVXML", "de-de", "10.0.13080.107", name, files)
	var members []archive.Member
	var cm []catalog.Member
	for _, f := range append(files, testutil.RealFile{CabPath: archive.ManifestW10M, Data: dsm}) {
		members = append(members, archive.Member{Name: f.CabPath, Data: f.Data})
		cm = append(cm, catalog.Member{Name: f.CabPath, Data: f.Data})
	}
	cat, err := catalog.Write(cm, catalog.Options{Time: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	members = append(members, archive.Member{Name: archive.CatalogW10M, Data: cat})
	var b bytes.Buffer
	if err := archive.Write(&b, manifest.FormatCab, members, time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".spkg")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// editFile replaces old with new in path, once; the test fails when old
// is not there.
func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// importFails runs Import and wants an ImportError holding every one of
// want, and nothing written.
func importFails(t *testing.T, paths []string, opt ImportOptions, want ...string) *ImportError {
	t.Helper()
	if opt.Dir == "" {
		opt.Dir = filepath.Join(t.TempDir(), "imported")
	}
	_, err := Import(context.Background(), paths, opt)
	var ie *ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v; want an ImportError", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("err lacks %q:\n%v", w, err)
		}
	}
	if _, err := os.Stat(opt.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s was created by a refused import", opt.Dir)
	}
	return ie
}

// TestImportW10MIdentity: w10m packages that disagree on company, cpu or
// release type are refused, naming both packages and values; a company
// no package records is never invented.
func TestImportW10MIdentity(t *testing.T) {
	ctx := context.Background()
	contoso := filepath.Join(t.TempDir(), "contoso")
	buildInto(t, copyFixture(t, "w10m"), contoso, BuildOptions{}, Options{})
	m := copyFixture(t, "w10m")
	editFile(t, m, "company: Contoso\ncpu: arm", "company: Fabrikam\ncpu: x86\nreleaseType: test")
	fabrikam := filepath.Join(t.TempDir(), "fabrikam")
	buildInto(t, m, fabrikam, BuildOptions{}, Options{})

	importFails(t, []string{filepath.Join(contoso, "Contoso.OEM_Phone.PROVXML.spkg"), filepath.Join(fabrikam, "Fabrikam.OPR_Fabrikam.spkg")}, ImportOptions{},
		"Fabrikam.OPR_Fabrikam.spkg (package OPR_Fabrikam) has company Fabrikam, but "+filepath.Join(contoso, "Contoso.OEM_Phone.PROVXML.spkg")+" (package OEM_Phone) has company Contoso",
		"has cpu x86, but", "(package OEM_Phone) has cpu arm",
		"has releaseType test, but", "has releaseType production")

	// One company: imported with its identity, and --company may not
	// contradict it.
	res, err := Import(ctx, []string{fabrikam}, ImportOptions{Dir: filepath.Join(t.TempDir(), "imp")})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(res.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"company: Fabrikam\n", "cpu: x86\n", "releaseType: test\n"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("manifest lacks %q:\n%s", want, data)
		}
	}
	importFails(t, []string{fabrikam}, ImportOptions{Company: "Contoso"}, "--company Contoso, but", "records company Fabrikam")

	// A package made by another tool whose manifest names no company:
	// refused until --company names it.
	in := t.TempDir()
	spkg := writeRealLikeOwner(t, in, "", "Contoso.Thing.PROVXML_Lang_de-de", []testutil.RealFile{
		{FileType: "Regular", CabPath: "1_mxipupd.provxml", DevicePath: `\Windows\Migrators\DuMigrationProvisionerOEM\provxml\mxipupdate_Thing_002.provxml`, Data: []byte(realUpdateDoc)},
	})
	importFails(t, []string{spkg}, ImportOptions{Image: "contoso"}, "no package records its company (Identity/Owner)", "name it with --company")
	res, err = Import(ctx, []string{spkg}, ImportOptions{Image: "contoso", Company: "Northwind", Dir: filepath.Join(t.TempDir(), "imp")})
	if err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(res.Manifest); !strings.Contains(string(data), "company: Northwind\n") {
		t.Errorf("manifest:\n%s", data)
	}
}

// TestPlanIdentityChanged: after a release, a w10m package whose company
// or subcomponent changed is another package on the device: PP0111 at
// the key that changed. A lock without identities (written before they
// were recorded) is read and not held against the manifest.
func TestPlanIdentityChanged(t *testing.T) {
	ctx := context.Background()
	m := copyFixture(t, "w10m")
	if _, _, err := BuildManifest(ctx, m, Options{Release: true}, BuildOptions{OutDir: filepath.Join(t.TempDir(), "out"), Release: true}); err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(filepath.Dir(m), manifest.DefaultLockName)
	lockData, err := os.ReadFile(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(lockData, []byte(`"identity": "Contoso.OEM_Phone.PROVXML"`)) {
		t.Fatalf("the lock records no identity:\n%s", lockData)
	}
	orig, _ := os.ReadFile(m)
	identityFindings := func(t *testing.T) []Finding {
		t.Helper()
		pl, err := Load(ctx, m, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var out []Finding
		for _, f := range pl.Findings {
			if f.ID == RuleIdentityChanged.ID {
				out = append(out, f)
			}
		}
		return out
	}
	if fs := identityFindings(t); len(fs) != 0 {
		t.Fatalf("unchanged manifest: %v", fs)
	}
	for _, release := range []string{"1.0.0", "1.0.1"} {
		t.Run("company "+release, func(t *testing.T) {
			os.WriteFile(m, orig, 0o644)
			editFile(t, m, "company: Contoso", "company: Fabrikam")
			editFile(t, m, "release: 1.0.0", "release: "+release)
			fs := identityFindings(t)
			if len(fs) != 2 || fs[0].Line != 7 || fs[0].Severity != RuleIdentityChanged.Severity ||
				!strings.Contains(fs[0].Message, "package OEM_Phone: company Fabrikam makes it Fabrikam.OEM_Phone.PROVXML on the device, but release 1.0.0 shipped it as Contoso.OEM_Phone.PROVXML") ||
				!strings.Contains(fs[0].Message, "set company back to Contoso") {
				t.Fatalf("findings: %+v", fs)
			}
		})
	}
	t.Run("subcomponent", func(t *testing.T) {
		os.WriteFile(m, orig, 0o644)
		editFile(t, m, "subcomponent: PROVXML", "subcomponent: Other")
		fs := identityFindings(t)
		if len(fs) != 1 || !strings.Contains(fs[0].Message, "subcomponent Other makes it Contoso.OEM_Phone.Other") || !strings.Contains(fs[0].Message, "set subcomponent back to PROVXML") {
			t.Fatalf("findings: %+v", fs)
		}
		os.WriteFile(m, orig, 0o644)
		editFile(t, m, "    subcomponent: PROVXML\n", "")
		fs = identityFindings(t)
		if len(fs) != 1 || !strings.Contains(fs[0].Message, "no subcomponent makes it Contoso.OEM_Phone on") || !strings.Contains(fs[0].Message, "add subcomponent: PROVXML") {
			t.Fatalf("findings: %+v", fs)
		}
	})
	t.Run("older lock", func(t *testing.T) {
		os.WriteFile(m, orig, 0o644)
		editFile(t, m, "company: Contoso", "company: Fabrikam")
		old := regexpIdentity.ReplaceAll(lockData, nil)
		if err := os.WriteFile(lockPath, old, 0o644); err != nil {
			t.Fatal(err)
		}
		if fs := identityFindings(t); len(fs) != 0 {
			t.Fatalf("findings: %+v", fs)
		}
	})
}

// TestImportReportChecked: a report.json is trusted only once its
// directory verifies and the image it names is its archives'; reports
// of two directories must agree.
func TestImportReportChecked(t *testing.T) {
	ctx := context.Background()
	out := filepath.Join(t.TempDir(), "out")
	buildInto(t, copyDemo(t), out, BuildOptions{}, Options{})
	copyDir := func(t *testing.T) string {
		t.Helper()
		dst := filepath.Join(t.TempDir(), "out")
		if err := os.CopyFS(dst, os.DirFS(out)); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	// resum makes report.md and SHA256SUMS agree with report.json again,
	// as a careful forger would.
	resum := func(t *testing.T, dir string) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(dir, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := report.Read("report.json", data)
		if err != nil {
			t.Fatal(err)
		}
		md := rep.Markdown()
		if err := os.WriteFile(filepath.Join(dir, "report.md"), md, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
		sums := report.Sums(rep, map[string]string{"report.json": sum(data), "report.md": sum(md)})
		if err := os.WriteFile(filepath.Join(dir, "SHA256SUMS"), sums, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("edited", func(t *testing.T) {
		dir := copyDir(t)
		editFile(t, filepath.Join(dir, "report.json"), `"release":"2.1.0"`, `"release":"9.9.9"`)
		importFails(t, []string{dir}, ImportOptions{}, dir+" does not verify, so its report.json (release 9.9.9) is not trusted", "SHA256SUMS")
	})
	t.Run("image", func(t *testing.T) {
		dir := copyDir(t)
		editFile(t, filepath.Join(dir, "report.json"), `"image":"contoso-mc55"`, `"image":"other-img"`)
		resum(t, dir)
		importFails(t, []string{dir}, ImportOptions{}, filepath.Join(dir, "OEM_Base-1.4.0.cab")+`: package manifest says image contoso-mc55, the report other-img`)
	})
	t.Run("two releases", func(t *testing.T) {
		dir := copyDir(t)
		editFile(t, filepath.Join(dir, "report.json"), `"release":"2.1.0"`, `"release":"9.9.9"`)
		resum(t, dir)
		// The release alone is in no archive: a consistent edit reads,
		// and the note says where the release came from.
		res, err := Import(ctx, []string{dir}, ImportOptions{Dir: filepath.Join(t.TempDir(), "imp")})
		if err != nil {
			t.Fatal(err)
		}
		if res.Release != "9.9.9" || !slices.ContainsFunc(res.Notes, func(n string) bool {
			return strings.Contains(n, "release 9.9.9 is the one "+filepath.Join(dir, "report.json")+" names")
		}) {
			t.Errorf("release %s, notes %v", res.Release, res.Notes)
		}
		other := filepath.Join(t.TempDir(), "other")
		if err := os.MkdirAll(other, 0o755); err != nil {
			t.Fatal(err)
		}
		importFails(t, []string{out, dir}, ImportOptions{}, filepath.Join(dir, "report.json")+" is release 9.9.9 of image contoso-mc55, but "+filepath.Join(out, "report.json")+" is release 2.1.0")
	})
}

var regexpIdentity = regexp.MustCompile(`\n *"identity": "[^"]*",`)

// TestImportCollectsProblems: one run reports the problems of every
// stage, and options are checked with the manifest's rules first.
func TestImportCollectsProblems(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	buildInto(t, copyDemo(t), out, BuildOptions{}, Options{})
	missing := filepath.Join(t.TempDir(), "nonexist")
	ie := importFails(t, []string{missing, out, out}, ImportOptions{Release: "1.0.0.0", Image: "-bad"},
		"--release: release 1.0.0.0: the image release is semver", "--image: image name", missing+": no such file or directory", "package OEM_Base is in both")
	if len(ie.Problems) < 5 {
		t.Errorf("problems: %q", ie.Problems)
	}

	// Names that differ only in case are one package.
	in := t.TempDir()
	a := writeForeign(t, in, "Foreign-1.0.0.cab")
	b := filepath.Join(t.TempDir(), "FOREIGN-1.1.0.cab")
	data, err := os.ReadFile(writeForeign(t, t.TempDir(), "x.cab"))
	if err != nil {
		t.Fatal(err)
	}
	// The member names are in the cabinet's file table: same length.
	data = bytes.ReplaceAll(data, []byte("_Foreign_"), []byte("_FOREIGN_"))
	if err := os.WriteFile(b, data, 0o644); err != nil {
		t.Fatal(err)
	}
	importFails(t, []string{a, b}, ImportOptions{Image: "x"}, "packages FOREIGN and Foreign (one name to provpack and the device: case does not matter) are in both")
}

// TestImportUnsafeDeviceNames: a device name that is not a plain file
// name, or two that differ only in case, fail verify and import, naming
// the DSM entry; nothing is written.
func TestImportUnsafeDeviceNames(t *testing.T) {
	upd := `\Windows\Migrators\DuMigrationProvisionerOEM\provxml\`
	cold := `\Programs\PhoneProvisioner_OEM\OEM\`
	for _, c := range []struct {
		name  string
		files []testutil.RealFile
		want  []string
	}{
		{"escape", []testutil.RealFile{{FileType: "Regular", CabPath: "1_x.provxml", DevicePath: upd + `../../../../escaped.provxml`, Data: []byte(realUpdateDoc)}},
			[]string{`man.dsm.xml entry ` + upd + `../../../../escaped.provxml (CabPath 1_x.provxml): device name ../../../../escaped.provxml holds ".."`}},
		{"slash", []testutil.RealFile{{FileType: "Regular", CabPath: "1_x.provxml", DevicePath: upd + `sub/x.provxml`, Data: []byte(realUpdateDoc)}},
			[]string{`device name sub/x.provxml holds a '/'`}},
		{"control", []testutil.RealFile{{FileType: "Regular", CabPath: "1_x.provxml", DevicePath: upd + "x&#9;.provxml", Data: []byte(realUpdateDoc)}},
			[]string{`holds a control character`}},
		{"case", []testutil.RealFile{
			{FileType: "Regular", CabPath: "1_a.provxml", DevicePath: upd + `a.provxml`, Data: []byte(realUpdateDoc)},
			{FileType: "Regular", CabPath: "2_a.provxml", DevicePath: cold + `A.provxml`, Data: []byte(realUpdateDoc)},
		}, []string{`man.dsm.xml entry ` + cold + `A.provxml (CabPath 2_a.provxml): device name A.provxml is also the name of entry ` + upd + `a.provxml`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			spkg := writeRealLike(t, t.TempDir(), c.files)
			var got []string
			for _, p := range archive.Verify(spkg, nil, archive.VerifyOptions{}) {
				got = append(got, p.Msg)
			}
			for _, w := range c.want {
				if !strings.Contains(strings.Join(got, "\n"), w) {
					t.Errorf("verify: %q lacks %q", got, w)
				}
			}
			importFails(t, []string{spkg}, ImportOptions{Image: "contoso"}, append([]string{"does not verify, so it is not imported"}, c.want...)...)
		})
	}
}

// TestImportUnnumbered: provisioning files of a foreign package without
// an ordinal in their names give one plain account of the next build
// (new files and their names, a version raise, a release raise), and
// the first plan of the imported manifest says exactly that.
func TestImportUnnumbered(t *testing.T) {
	ctx := context.Background()
	upd := `\Windows\Migrators\DuMigrationProvisionerOEM\provxml\`
	doc := func(v string) []byte { return []byte(strings.Replace(realUpdateDoc, `value="1"`, `value="`+v+`"`, 1)) }
	spkg := writeRealLike(t, t.TempDir(), []testutil.RealFile{
		{FileType: "Regular", CabPath: "1_a.provxml", DevicePath: upd + `a.provxml`, Data: doc("1")},
		{FileType: "Regular", CabPath: "2_b.provxml", DevicePath: upd + `b.provxml`, Data: doc("2")},
		{FileType: "Regular", CabPath: "3_oem.provxml", DevicePath: `\Programs\PhoneProvisioner_OEM\OEM\oem.provxml`, Data: doc("3")},
	})
	res, err := Import(ctx, []string{spkg}, ImportOptions{Image: "contoso", Dir: filepath.Join(t.TempDir(), "imp")})
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(res.Notes, "\n")
	for _, want := range []string{
		"package Thing: oem.provxml carries no ordinal in its name, so the lock does not record it: the next build makes it a new cold file, mxipcold_Thing_001.provxml",
		"package Thing has 2 update files; provpack makes one per class, so the next build merges them into one new file, mxipupdate_Thing_001.provxml, which needs a version raise: plan reports PP0101 until you run 'provpack bump Thing --patch'",
		"package Thing: the next build changes what devices have (oem.provxml, a.provxml, b.provxml carry no ordinal), so the image needs a new release number: plan warns (PP0108)",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	for _, bad := range []string{"PP0112", "has no provisioning file", "ordinal 000"} {
		if strings.Contains(notes, bad) {
			t.Errorf("notes say %q:\n%s", bad, notes)
		}
	}
	pl, err := Load(ctx, res.Manifest, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range pl.Findings {
		ids = append(ids, f.ID)
	}
	if want := []string{"PP0108", "PP0101"}; !slices.Equal(ids, want) {
		t.Errorf("plan findings %v, want %v: %+v", ids, want, pl.Findings)
	}
	for _, f := range pl.Packages[0].Files {
		if f.Ordinal != 1 || f.Status != StatusNew {
			t.Errorf("file %+v", f)
		}
	}
}
