package archive

import (
	"context"
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provpack/provpack/internal/testutil"
	"github.com/provpack/provpack/pkgbuild/catalog"
)

// realLikeFiles are the members of a package as the platform's package
// generator makes one: shortened cabinet names, files of several kinds
// installed all over the device, a provisioning file among them.
var realLikeFiles = []testutil.RealFile{
	{FileType: "Regular", CabPath: "1_Tokens_.xml", DevicePath: `\windows\System32\Speech_OneCore\common\de-de\Tokens_SR_de-DE-N_Download.xml`,
		Data: []byte("<?xml version=\"1.0\"?>\r\n<Tokens><Token Name=\"de-DE\"/></Tokens>\r\n")},
	{FileType: "Registry", CabPath: "2_Contoso.reg", DevicePath: `\Windows\Packages\RegistryFiles\Contoso.Thing.PROVXML_Lang_de-de.reg`,
		Data: []byte("Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\Software\\Contoso]\r\n\"Mode\"=dword:00000001\r\n")},
	{FileType: "Policy", CabPath: "3_Contoso.policy.xml", DevicePath: `\Windows\Packages\PolicyFiles\Contoso.Thing.PROVXML_Lang_de-de.policy.xml`,
		Data: []byte("<PhoneSecurityPolicy/>\r\n")},
	{FileType: "Regular", CabPath: "4_mxipupd.provxml", DevicePath: `\Windows\Migrators\DuMigrationProvisionerOEM\provxml\mxipupdate_Thing_002.provxml`,
		Data: []byte(`<wap-provisioningdoc><characteristic type="Registry"><characteristic type="HKLM\Software\Contoso"><parm name="Mode" value="1" datatype="integer"/></characteristic></characteristic></wap-provisioningdoc>`)},
}

// realLikePackage writes the members of a real-like package (with its
// manifest and an unsigned content catalog listing every member) into a
// new directory and returns it and the member names.
func realLikePackage(t *testing.T, files []testutil.RealFile) (string, []string) {
	t.Helper()
	dsm := testutil.RealLikeDSM("Contoso", "Thing", "PROVXML", "de-de", "10.0.13080.107", "Contoso.Thing.PROVXML_Lang_de-de", files)
	var cm []catalog.Member
	dir := t.TempDir()
	names := []string{ManifestW10M, CatalogW10M}
	put := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		put(f.CabPath, f.Data)
		cm = append(cm, catalog.Member{Name: f.CabPath, Data: f.Data})
		names = append(names, f.CabPath)
	}
	put(ManifestW10M, dsm)
	cat, err := catalog.Write(append(cm, catalog.Member{Name: ManifestW10M, Data: dsm}), catalog.Options{Time: epoch})
	if err != nil {
		t.Fatal(err)
	}
	put(CatalogW10M, cat)
	return dir, names
}

// gcabPack packs the named files of dir with gcab (MSZIP), a cabinet
// writer that is not provpack's.
func gcabPack(t *testing.T, dir string, names []string, out string) {
	t.Helper()
	gcab := testutil.Tool(t, "gcab", "gcab")
	cmd := exec.Command(gcab, append([]string{"-c", "-z", out}, names...)...)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gcab: %v\n%s", err, b)
	}
}

// TestRealLikePackage reads a package shaped like the platform's own
// (a man.dsm.xml without provpack's attributes, four-part version,
// culture, Registry and Policy members, shortened member names) packed
// by gcab: inspect names it as the platform does, verify checks every
// member against the catalog and passes, and fails after a changed
// member or a flipped byte; extract gives cabextract's bytes.
func TestRealLikePackage(t *testing.T) {
	src, names := realLikePackage(t, realLikeFiles)
	pkg := filepath.Join(t.TempDir(), "Contoso.Thing.PROVXML_Lang_de-de.spkg")
	gcabPack(t, src, names, pkg)

	in, err := Inspect(pkg, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := in.Package
	if p == nil || p.Identity != "Contoso.Thing.PROVXML_Lang_de-de" || p.Version != "10.0.13080.107" || p.Culture != "de-de" || p.Company != "Contoso" || p.Name != "Thing" || p.SubComponent != "PROVXML" {
		t.Fatalf("inspect: %+v", p)
	}
	if ps := Verify(pkg, nil, VerifyOptions{}); len(ps) != 0 {
		t.Fatalf("verify of a real-like package: %v", ps)
	}

	out := filepath.Join(t.TempDir(), "out")
	if _, err := Extract(context.Background(), pkg, out, false); err != nil {
		t.Fatal(err)
	}
	ref := t.TempDir()
	if b, err := exec.Command(testutil.Tool(t, "cabextract", "cabextract"), "-q", "-d", ref, pkg).CombinedOutput(); err != nil {
		t.Fatalf("cabextract: %v\n%s", err, b)
	}
	testutil.SameTree(t, "provpack extract against cabextract", testutil.Tree(t, ref), testutil.Tree(t, out))

	// A member changed after the catalog was made: the catalog does
	// not list it.
	if err := os.WriteFile(filepath.Join(src, "2_Contoso.reg"), []byte(strings.Replace(string(realLikeFiles[1].Data), "00000001", "00000000", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	changed := filepath.Join(t.TempDir(), "changed.spkg")
	gcabPack(t, src, names, changed)
	if ps := Verify(changed, nil, VerifyOptions{}); !hasProblem(ps, "content.cat does not list 2_Contoso.reg") {
		t.Errorf("verify of a changed member: %v", ps)
	}

	// A flipped byte anywhere in the data: verify fails.
	data, err := os.ReadFile(pkg)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []int{len(data) - 1, len(data) / 2, len(data) - 200} {
		flipped := append([]byte(nil), data...)
		flipped[at] ^= 0x01
		path := filepath.Join(t.TempDir(), "flipped.spkg")
		if err := os.WriteFile(path, flipped, 0o644); err != nil {
			t.Fatal(err)
		}
		if ps := Verify(path, nil, VerifyOptions{}); len(ps) == 0 {
			t.Errorf("verify passed with byte %d of %d flipped", at, len(data))
		}
	}
}

func hasProblem(ps []Problem, part string) bool {
	for _, p := range ps {
		if strings.Contains(p.Msg, part) {
			return true
		}
	}
	return false
}

// TestCatalogListsByOtherDigests: a member the catalog lists not by the
// SHA-256 of its bytes but by another digest (a PE's image hash, a
// SHA-1) is listed; without that digest it is not.
func TestCatalogListsByOtherDigests(t *testing.T) {
	image := []byte("the bytes the image hash covers")
	cat, err := catalog.Write([]catalog.Member{{Name: "x", Data: image}}, catalog.Options{Time: epoch})
	if err != nil {
		t.Fatal(err)
	}
	info := &PackageInfo{Entries: []DSMEntry{{FileType: "Regular", CabPath: "a.dll", FileSize: 3, CompressedFileSize: 3, StagedFileSize: 3}}}
	members := []MemberInfo{{Name: "a.dll", Size: 3, SHA256: SHA256Hex([]byte("MZ!"))}, {Name: CatalogW10M, Size: int64(len(cat))}}
	const msg = "content.cat does not list a.dll"
	msgs, _ := verifyW10M(info, members, nil, cat)
	if got := strings.Join(msgs, "\n"); !strings.Contains(got, msg) {
		t.Errorf("without the other digest: %s", got)
	}
	sum := sha256.Sum256(image)
	msgs, _ = verifyW10M(info, members, map[string][][]byte{"a.dll": {sum[:]}}, cat)
	if got := strings.Join(msgs, "\n"); strings.Contains(got, msg) {
		t.Errorf("with the image hash: %s", got)
	}
	if tag := hexTag([]byte{0xab, 0x01}); string(tag) != "A\x00B\x000\x001\x00" {
		t.Errorf("hexTag: %q", tag)
	}
}
