package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/provpack/provpack/internal/testutil"
	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/catalog"
)

var (
	w10mCold   = []byte("<wap-provisioningdoc>\n  <characteristic type=\"Registry\">\n    <characteristic type=\"HKLM\\Software\\Contoso\">\n      <parm name=\"A\" value=\"1\" datatype=\"integer\"/>\n    </characteristic>\n  </characteristic>\n</wap-provisioningdoc>\n")
	w10mUpdate = []byte("<wap-provisioningdoc>\n  <characteristic type=\"Registry\">\n    <characteristic type=\"HKLM\\Software\\Contoso\">\n      <parm name=\"B\" value=\"2\" datatype=\"integer\"/>\n    </characteristic>\n  </characteristic>\n</wap-provisioningdoc>\n")
)

// w10mPackage returns the members of a w10m package with a cold and an
// update file.
func w10mPackage(t testing.TB, owner manifest.Owner, sub string) (*PackageInfo, []Member) {
	t.Helper()
	cold, upd := FileName(manifest.ClassCold, "OEM_Phone", 1), FileName(manifest.ClassUpdate, "OEM_Phone", 2)
	info := &PackageInfo{Name: "OEM_Phone", GUID: "018eb3fa-0ed9-5af3-bb9a-0cc757739352", Version: "1.2.3.4", Owner: owner, Target: "w10m", Image: "contoso-phone",
		Company: "Contoso", SubComponent: sub, CPU: "arm", ReleaseType: "production",
		Files: []FileInfo{
			{Name: cold, Class: manifest.ClassCold, Ordinal: 1, Size: int64(len(w10mCold)), SHA256: SHA256Hex(w10mCold)},
			{Name: upd, Class: manifest.ClassUpdate, Ordinal: 2, Size: int64(len(w10mUpdate)), SHA256: SHA256Hex(w10mUpdate)},
		}}
	ms, err := BuildMembers(context.Background(), info, []Member{{Name: cold, Data: w10mCold}, {Name: upd, Data: w10mUpdate}}, BuildOptions{Epoch: epoch})
	if err != nil {
		t.Fatal(err)
	}
	return info, ms
}

func member(ms []Member, name string) []byte {
	for _, m := range ms {
		if m.Name == name {
			return m.Data
		}
	}
	return nil
}

// TestW10MManifestGolden pins man.dsm.xml of an OEM and a Microsoft
// package.
func TestW10MManifestGolden(t *testing.T) {
	for name, c := range map[string]struct {
		owner manifest.Owner
		sub   string
	}{"w10m-oem": {manifest.OwnerOEM, "PROVXML"}, "w10m-microsoft": {manifest.OwnerMicrosoft, ""}} {
		_, ms := w10mPackage(t, c.owner, c.sub)
		got := member(ms, ManifestW10M)
		path := filepath.Join("testdata", "pkgmanifest", name+"-"+ManifestW10M)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./pkgbuild/archive -run TestW10MManifestGolden -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", path, got, want)
		}
	}
}

// TestW10MMembers: the package holds the manifest, the catalog and the
// provisioning files; the manifest lists itself, the catalog and every
// file with all three sizes; the catalog lists every other member.
func TestW10MMembers(t *testing.T) {
	info, ms := w10mPackage(t, manifest.OwnerOEM, "PROVXML")
	var names []string
	for _, m := range ms {
		names = append(names, m.Name)
	}
	want := []string{CatalogW10M, ManifestW10M, "mxipcold_OEM_Phone_001.provxml", "mxipupdate_OEM_Phone_002.provxml"}
	if !slices.Equal(names, want) {
		t.Fatalf("members %v, want %v", names, want)
	}
	dsm := member(ms, ManifestW10M)
	got, err := ParseManifest(ManifestW10M, dsm)
	if err != nil {
		t.Fatal(err)
	}
	if got.Company != "Contoso" || got.Name != "OEM_Phone" || got.SubComponent != "PROVXML" || got.Version != "1.2.3.4" || got.GUID != info.GUID || got.CPU != "arm" {
		t.Errorf("read back %+v", got)
	}
	paths := map[string]string{}
	for _, e := range got.Entries {
		paths[e.CabPath] = e.DevicePath
		if e.FileSize <= 0 || e.CompressedFileSize <= 0 || e.StagedFileSize != e.CompressedFileSize {
			t.Errorf("%s: sizes %d/%d/%d", e.CabPath, e.FileSize, e.CompressedFileSize, e.StagedFileSize)
		}
	}
	for cab, dev := range map[string]string{
		ManifestW10M:                       `\Windows\Packages\DsmFiles\Contoso.OEM_Phone.PROVXML.dsm.xml`,
		CatalogW10M:                        `\Windows\System32\catroot\{F750E6C3-38EE-11D1-85E5-00C04FC295EE}\Contoso.OEM_Phone.PROVXML.cat`,
		"mxipcold_OEM_Phone_001.provxml":   `\Programs\PhoneProvisioner_OEM\OEM\mxipcold_OEM_Phone_001.provxml`,
		"mxipupdate_OEM_Phone_002.provxml": `\windows\Migrators\DuMigrationProvisionerOEM\provxml\mxipupdate_OEM_Phone_002.provxml`,
	} {
		if paths[cab] != dev {
			t.Errorf("%s goes to %q, want %q", cab, paths[cab], dev)
		}
	}
	if self := got.Entries[0]; self.FileSize != manifestSelfSize(int64(len(dsm)), got.Entries) {
		t.Errorf("self size %d for %d bytes", self.FileSize, len(dsm))
	}
	cat, err := catalog.Parse(member(ms, CatalogW10M))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		s := sha256.Sum256(m.Data)
		if listed := cat.Has(s[:]); listed != (m.Name != CatalogW10M) {
			t.Errorf("%s: listed in the catalog %v", m.Name, listed)
		}
	}
	if e := got.Entries[1]; e.FileSize != int64(len(member(ms, CatalogW10M))) {
		t.Errorf("unsigned catalog is %d bytes, its entry says %d", len(member(ms, CatalogW10M)), e.FileSize)
	}
	// Microsoft's packages go to Microsoft's directories.
	_, ms = w10mPackage(t, manifest.OwnerMicrosoft, "")
	dsm = member(ms, ManifestW10M)
	for _, want := range []string{`\windows\Migrators\DuMigrationProvisionerMicrosoft\provxml\mxipupdate_`, `\Programs\PhoneProvisioner\Microsoft\mxipcold_`, `\DsmFiles\Contoso.OEM_Phone.dsm.xml`} {
		if !bytes.Contains(dsm, []byte(want)) {
			t.Errorf("Microsoft package: no %s", want)
		}
	}
	if bytes.Contains(dsm, []byte("<Platform>")) {
		t.Error("a Microsoft package carries Platform")
	}
}

// realDSMs returns the real manifests of ../shared/realworld/dsm.
func realDSMs(t *testing.T) map[string][]byte {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(testutil.Root(), "..", "shared", "realworld", "dsm", "*.man.dsm.xml"))
	if len(paths) == 0 {
		if testutil.Required() {
			t.Fatal("../shared/realworld/dsm is required (PROVPACK_REQUIRE_TOOLS=1) but missing")
		}
		t.Skip("../shared/realworld/dsm not found")
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

// structure lists the element paths of an XML document in document order
// (once each), e.g. Package/Files/FileEntry/CabPath.
func structure(t *testing.T, data []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack, out []string
	seen := map[string]bool{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			stack = append(stack, e.Name.Local)
			p := strings.Join(stack, "/")
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
}

// TestW10MAgainstRealManifests compares our manifest with the real ones
// element by element: every element they have is ours, in the same
// order, but for those that describe content provisioning packages do
// not have (Culture, a language; GroupingKey; IsBinaryPartition), and
// ours adds only Platform (which the platform requires of non-Microsoft
// packages).
func TestW10MAgainstRealManifests(t *testing.T) {
	_, ms := w10mPackage(t, manifest.OwnerOEM, "PROVXML")
	ours := structure(t, member(ms, ManifestW10M))
	notOurs := map[string]bool{"Package/Culture": true, "Package/GroupingKey": true, "Package/IsBinaryPartition": true}
	for name, data := range realDSMs(t) {
		real := structure(t, data)
		var common []string
		for _, p := range real {
			switch {
			case notOurs[p]:
			case !slices.Contains(ours, p):
				t.Errorf("%s has %s, ours does not", name, p)
			default:
				common = append(common, p)
			}
		}
		var oursCommon []string
		for _, p := range ours {
			if slices.Contains(real, p) {
				oursCommon = append(oursCommon, p)
			} else if p != "Package/Platform" {
				t.Errorf("ours has %s, %s does not", p, name)
			}
		}
		if !slices.Equal(common, oursCommon) {
			t.Errorf("%s: order differs:\nreal %v\nours %v", name, common, oursCommon)
		}
		// And ParseManifest reads the real one, with its self size as
		// the package generator computes it.
		info, err := ParseManifest(ManifestW10M, data)
		if err != nil {
			t.Fatal(err)
		}
		if info.Company != "Microsoft" || info.Owner != manifest.OwnerMicrosoft || info.CPU != "arm" || strings.Count(info.Version, ".") != 3 {
			t.Errorf("%s read as %+v", name, info)
		}
		self := info.Entries[slices.IndexFunc(info.Entries, func(e DSMEntry) bool { return e.FileType == FileTypeManifest })]
		if got := manifestSelfSize(int64(len(data)), info.Entries); got != self.FileSize {
			t.Errorf("%s: %d bytes recording %d; manifestSelfSize says %d", name, len(data), self.FileSize, got)
		}
	}
}

// TestW10MVerify: verify passes on a package BuildMembers makes, and names
// what is wrong with one whose members or manifest were changed.
func TestW10MVerify(t *testing.T) {
	_, ms := w10mPackage(t, manifest.OwnerOEM, "PROVXML")
	dir := t.TempDir()
	write := func(name string, ms []Member) string {
		var buf bytes.Buffer
		if err := Write(&buf, manifest.FormatCab, ms, epoch); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if ps := Verify(write("Contoso.OEM_Phone.PROVXML.spkg", ms), nil, VerifyOptions{}); len(ps) != 0 {
		t.Errorf("own package: %v", ps)
	}
	replace := func(name string, data []byte) []Member {
		out := slices.Clone(ms)
		for i := range out {
			if out[i].Name == name {
				out[i].Data = data
			}
		}
		return out
	}
	dsm := member(ms, ManifestW10M)
	for name, c := range map[string]struct {
		ms   []Member
		want []string
	}{
		"catalog-other": {replace(CatalogW10M, mustCatalog(t, []catalog.Member{{Name: "x", Data: []byte("x")}})),
			[]string{"content.cat does not list man.dsm.xml", "content.cat does not list mxipcold_OEM_Phone_001.provxml"}},
		"catalog-junk": {replace(CatalogW10M, []byte("not DER")), []string{"content.cat: not a DER PKCS#7 ContentInfo"}},
		"no-catalog":   {slices.DeleteFunc(slices.Clone(ms), func(m Member) bool { return m.Name == CatalogW10M }), []string{"Catalog entry content.cat is missing from the archive"}},
		"buildtype":    {replace(ManifestW10M, bytes.Replace(dsm, []byte("Retail"), []byte("Releas"), 1)), []string{"BuildType Releas is not one the platform accepts"}},
		"no-platform":  {replace(ManifestW10M, bytes.Replace(dsm, []byte("<Platform>Generic</Platform>"), []byte("<!--Platform>Generic</Platf-->"), 1)), []string{"has no Platform element"}},
		"self-size":    {replace(ManifestW10M, append(bytes.Clone(dsm), "\r\n"...)), []string{"the Manifest entry records"}},
	} {
		ps := fmt.Sprint(Verify(write(name+".spkg", c.ms), nil, VerifyOptions{}))
		for _, w := range c.want {
			if !strings.Contains(ps, w) {
				t.Errorf("%s: no %q in %s", name, w, ps)
			}
		}
	}
}

func mustCatalog(t *testing.T, ms []catalog.Member) []byte {
	b, err := catalog.Write(ms, catalog.Options{Time: epoch})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestW10MVerifyRealMembers: the members of a real package made by
// Microsoft's package generator, in a cabinet of ours, pass verify: its
// manifest and catalog are checked as what they are, not linted as
// provisioning XML.
func TestW10MVerifyRealMembers(t *testing.T) {
	cabextract := testutil.Tool(t, "cabextract", "cabextract")
	src := filepath.Join(testutil.Root(), "..", "shared", "realworld", "cab", "ms_navigationbar_en-us.spkr.cab")
	dir := t.TempDir()
	if out, err := exec.Command(cabextract, "-q", "-d", dir, src).CombinedOutput(); err != nil {
		t.Fatalf("cabextract: %v\n%s", err, out)
	}
	var ms []Member
	for _, n := range []string{ManifestW10M, CatalogW10M} {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, Member{Name: n, Data: b})
	}
	var buf bytes.Buffer
	if err := Write(&buf, manifest.FormatCab, ms, epoch); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "Microsoft.MS_NAVIGATIONBAR.MainOS.spkg")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if ps := Verify(p, nil, VerifyOptions{}); len(ps) != 0 {
		t.Errorf("real members: %v", ps)
	}
}

// TestW10MXmllint: the manifest is well-formed XML for xmllint.
func TestW10MXmllint(t *testing.T) {
	xmllint := testutil.Tool(t, "xmllint", "libxml2-utils")
	_, ms := w10mPackage(t, manifest.OwnerOEM, "PROVXML")
	p := filepath.Join(t.TempDir(), ManifestW10M)
	if err := os.WriteFile(p, member(ms, ManifestW10M), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(xmllint, "--noout", p).CombinedOutput(); err != nil {
		t.Errorf("xmllint: %v\n%s", err, out)
	}
}
