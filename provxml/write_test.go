package provxml

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provpack/provpack/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite golden files")

func mustParse(t testing.TB, name string, data []byte) *Document {
	t.Helper()
	d, err := Parse(name, data, ParseOptions{})
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return d
}

// TestCanonicalGolden pins the canonical form byte for byte.
func TestCanonicalGolden(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/canonical/*.provxml")
	if len(inputs) == 0 {
		t.Fatal("no golden inputs")
	}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got := Canonical(mustParse(t, in, data))
			golden := strings.TrimSuffix(in, ".provxml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("canonical output differs from %s:\n--- got\n%s\n--- want\n%s", golden, got, want)
			}
			assertIdempotent(t, in, got)
		})
	}
}

// assertIdempotent checks write(parse(write(d))) == write(d).
func assertIdempotent(t testing.TB, name string, canonical []byte) {
	t.Helper()
	again := Canonical(mustParse(t, name+" (canonical)", canonical))
	if !bytes.Equal(again, canonical) {
		t.Errorf("%s: canonical form is not stable:\n--- first\n%s\n--- second\n%s", name, canonical, again)
	}
}

// canonicalCorpus returns the canonical bytes of every well-formed corpus
// document and golden input, keyed by name.
func canonicalCorpus(t *testing.T) map[string][]byte {
	out := map[string][]byte{}
	files, _ := filepath.Glob(filepath.Join(testutil.Corpus(t), "*.provxml"))
	local, _ := filepath.Glob("testdata/canonical/*.provxml")
	for _, f := range append(files, local...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = Canonical(mustParse(t, f, data))
	}
	return out
}

func TestCanonicalIdempotentOnCorpus(t *testing.T) {
	for name, c := range canonicalCorpus(t) {
		assertIdempotent(t, name, c)
	}
}

// TestCanonicalPassesXmllint: an independent parser accepts every
// canonical document.
func TestCanonicalPassesXmllint(t *testing.T) {
	xmllint := testutil.Tool(t, "xmllint", "libxml2-utils")
	dir := t.TempDir()
	var args []string
	args = append(args, "--noout", "--nonet")
	for name, c := range canonicalCorpus(t) {
		p := filepath.Join(dir, filepath.Base(name))
		if err := os.WriteFile(p, c, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	out, err := exec.Command(xmllint, args...).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Fatalf("xmllint rejects canonical output: %v\n%s", err, out)
	}
}

// TestDigest: the digest ignores layout, attribute order, quoting,
// character references and comments, and nothing else.
func TestDigest(t *testing.T) {
	base := mustParse(t, "a", []byte(`<wap-provisioningdoc><characteristic type="Registry"><characteristic type="HKLM\S"><parm name="A" value="é1" datatype="integer"/></characteristic></characteristic></wap-provisioningdoc>`))
	same := []string{
		"<?xml version='1.0' encoding='UTF-8'?>\n<!-- changed -->\n<wap-provisioningdoc>\n\t<characteristic type='Registry'>\r\n   <characteristic type=\"HKLM\\S\">\n<parm datatype=\"integer\" value=\"&#xe9;1\" name='A' />\n</characteristic></characteristic>\n</wap-provisioningdoc>\n",
		`<wap-provisioningdoc><characteristic type="Registry"><characteristic type="HKLM&#92;S"><parm name="A" value="&#233;&#x31;" datatype="integer"></parm></characteristic></characteristic></wap-provisioningdoc>`,
	}
	for _, s := range same {
		if got, want := Digest(mustParse(t, "b", []byte(s))), Digest(base); got != want {
			t.Errorf("digest changed for an equivalent document:\n%s", s)
		}
	}
	differ := []string{
		`<wap-provisioningdoc><characteristic type="Registry"><characteristic type="HKLM\S"><parm name="A" value="é2" datatype="integer"/></characteristic></characteristic></wap-provisioningdoc>`,
		`<wap-provisioningdoc><characteristic type="Registry"><characteristic type="HKLM\S"><parm name="A" value="é1" datatype="string"/></characteristic></characteristic></wap-provisioningdoc>`,
		`<wap-provisioningdoc><characteristic type="Registry"><characteristic type="HKLM\T"><parm name="A" value="é1" datatype="integer"/></characteristic></characteristic></wap-provisioningdoc>`,
		`<wap-provisioningdoc><characteristic type="Registry"><characteristic type="HKLM\S"><parm name="A" value="é1 " datatype="integer"/></characteristic></characteristic></wap-provisioningdoc>`,
	}
	for _, s := range differ {
		if Digest(mustParse(t, "c", []byte(s))) == Digest(base) {
			t.Errorf("digest did not change for a different document:\n%s", s)
		}
	}
	if d := Digest(base); !strings.HasPrefix(d, "sha256:") || len(d) != 7+64 {
		t.Errorf("digest %q is not sha256:<64 hex>", d)
	}
}

func TestFlatten(t *testing.T) {
	d := mustParse(t, "f", []byte(`<wap-provisioningdoc>
<characteristic type="Registry">
  <characteristic type="HKLM\Software\Contoso"><parm name="A" value="1" datatype="integer"/><noparm name="Old"/></characteristic>
  <nocharacteristic type="HKLM\Software\Legacy"/>
</characteristic>
<characteristic type="CM_GPRSEntries"><characteristic type="Net" mwid="1"><characteristic type="DevSpecificCellular"><parm name="APN" value="internet"/></characteristic></characteristic></characteristic>
<characteristic type="FileOperation"><characteristic type="\Windows\X" translation="install"><characteristic type="MakeDir"/></characteristic></characteristic>
<characteristic-query type="Clock"/>
</wap-provisioningdoc>`))
	var got []string
	for _, s := range Flatten(d) {
		got = append(got, fmt.Sprintf("%s %s value=%q dt=%q attrs=%q", s.Op, s.Key(), s.Value, s.Datatype, s.Attrs))
	}
	want := []string{
		`set Registry/HKLM\Software\Contoso/@A value="1" dt="integer" attrs=[]`,
		`delete Registry/HKLM\Software\Contoso/@Old value="" dt="" attrs=[]`,
		`delete Registry/HKLM\Software\Legacy value="" dt="" attrs=[]`,
		`set CM_GPRSEntries/Net/DevSpecificCellular/@APN value="internet" dt="" attrs=[]`,
		`set FileOperation/\Windows\X/MakeDir value="" dt="" attrs=[]`,
		`query Clock value="" dt="" attrs=[]`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Flatten:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestCanonicalEscapesOnlyF000: of the characters whose UTF-8 starts with
// the byte 0xEF, only U+F000 is written as a reference.
func TestCanonicalEscapesOnlyF000(t *testing.T) {
	doc := mustParse(t, "x.provxml", []byte("<wap-provisioningdoc><parm name=\"a\" value=\"\uf000\uf001\ufffd\uefff\u00e9\uf000\"/></wap-provisioningdoc>"))
	got := string(Canonical(doc))
	want := `value="&#xF000;` + "\uf001\ufffd\uefff\u00e9" + `&#xF000;"`
	if !strings.Contains(got, want) {
		t.Errorf("canonical form:\n%s\nwant it to contain %s", got, want)
	}
}
