package pkgbuild

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/provpack/provpack/internal/testutil"
	"github.com/provpack/provpack/pkgbuild/verify"
)

// TestW10MFixture builds fixtures/w10m (cold and update sources) and
// checks each .spkg with independent tools: cabextract and 7-Zip read it;
// xmllint reads its man.dsm.xml, which has every element the platform's
// OEM packages carry, with the self and catalog entries and all sizes;
// openssl parses content.cat and finds the SHA-256 of every other member
// in it. provpack verify passes on the output directory.
func TestW10MFixture(t *testing.T) {
	cabextract := testutil.Tool(t, "cabextract", "cabextract")
	sevenZip := testutil.Tool(t, "7zz", "7zip")
	xmllint := testutil.Tool(t, "xmllint", "libxml2-utils")
	openssl := testutil.Tool(t, "openssl", "openssl")
	out := t.TempDir()
	rep := buildInto(t, copyFixture(t, "w10m"), out, BuildOptions{}, Options{})
	var names []string
	for _, p := range rep.Packages {
		names = append(names, p.Archive)
	}
	if want := []string{"Contoso.OEM_Phone.PROVXML.spkg", "Contoso.OPR_Fabrikam.spkg"}; !slices.Equal(names, want) {
		t.Fatalf("archives %v, want %v", names, want)
	}
	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if !strings.Contains(string(sums), "  "+name+"\n") {
			t.Errorf("SHA256SUMS does not list %s:\n%s", name, sums)
		}
		spkg := filepath.Join(out, name)
		run := func(name string, args ...string) string {
			t.Helper()
			b, err := exec.Command(name, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("%s %v: %v\n%s", filepath.Base(name), args, err, b)
			}
			return string(b)
		}
		run(cabextract, "-t", spkg)
		run(sevenZip, "t", spkg)
		dir := t.TempDir()
		run(cabextract, "-q", "-d", dir, spkg)
		dsmPath := filepath.Join(dir, "man.dsm.xml")
		run(xmllint, "--noout", dsmPath)
		dsm, err := os.ReadFile(dsmPath)
		if err != nil {
			t.Fatal(err)
		}
		text := string(dsm)
		last := -1
		for _, el := range []string{"<Identity>", "<Owner>Contoso</Owner>", "<Version Major=", "<ReleaseType>Production</ReleaseType>", "<OwnerType>",
			"<BuildType>Retail</BuildType>", "<CpuType>ARM</CpuType>", "<Platform>Generic</Platform>", "<Partition>MainOS</Partition>", "<IsRemoval>false</IsRemoval>", "<Files>"} {
			i := strings.Index(text, el)
			if i < 0 || i < last {
				t.Errorf("%s: %s missing or out of order", name, el)
			}
			last = i
		}
		for _, el := range []string{"<FileType>Manifest</FileType>", "<FileType>Catalog</FileType>", `\Windows\Packages\DsmFiles\` + strings.TrimSuffix(name, ".spkg") + ".dsm.xml",
			`\Windows\System32\catroot\{F750E6C3-38EE-11D1-85E5-00C04FC295EE}\` + strings.TrimSuffix(name, ".spkg") + ".cat"} {
			if !strings.Contains(text, el) {
				t.Errorf("%s: no %s", name, el)
			}
		}
		entries := strings.Count(text, "<FileEntry")
		for _, el := range []string{"<FileSize>", "<CompressedFileSize>", "<StagedFileSize>"} {
			if n := strings.Count(text, el); n != entries {
				t.Errorf("%s: %d of %d entries have %s", name, n, entries, el)
			}
		}
		asn := run(openssl, "asn1parse", "-inform", "DER", "-in", filepath.Join(dir, "content.cat"))
		members, _ := os.ReadDir(dir)
		for _, m := range members {
			if m.Name() == "content.cat" {
				continue
			}
			b, _ := os.ReadFile(filepath.Join(dir, m.Name()))
			s := sha256.Sum256(b)
			if !strings.Contains(asn, strings.ToUpper(hex.EncodeToString(s[:]))) {
				t.Errorf("%s: content.cat lacks the SHA-256 of %s", name, m.Name())
			}
		}
	}
	ps, err := verify.Verify(context.Background(), out, verify.Options{})
	if err != nil || len(ps) != 0 {
		t.Errorf("verify: %v %v", err, ps)
	}
}
