package manifest

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with the golden file, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

// checkPositioned asserts the property every Parse error must have: a
// line, or else it is about the file as a whole and names the file.
func checkPositioned(t testing.TB, name string, err error) {
	t.Helper()
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error is %T, not an ErrorList: %v", err, err)
	}
	if len(list) == 0 {
		t.Fatalf("empty ErrorList returned as an error")
	}
	for _, e := range list {
		if e.File != name {
			t.Errorf("error names file %q, want %q: %v", e.File, name, e)
		}
		if e.Line < 1 && e.Line != 0 || e.Col < 0 {
			t.Errorf("bad position in %v", e)
		}
		if e.Msg == "" {
			t.Errorf("empty message in %v", e)
		}
	}
	for i := 1; i < len(list); i++ {
		a, b := list[i-1], list[i]
		if a.Line > b.Line || a.Line == b.Line && a.Col > b.Col {
			t.Errorf("errors out of order: %v before %v", a, b)
		}
	}
}

func TestErrorsGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatal("no test files", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Base(f)
			m, err := Parse(name, data)
			if err == nil {
				t.Fatalf("Parse accepted a bad manifest: %+v", m)
			}
			if m != nil {
				t.Errorf("Parse returned a manifest with an error")
			}
			checkPositioned(t, name, err)
			for _, e := range err.(ErrorList) {
				if e.Line == 0 {
					t.Errorf("error without a line: %v", e)
				}
			}
			golden(t, strings.TrimSuffix(f, ".yaml")+".golden", []byte(err.Error()+"\n"))
		})
	}
}

// The examples from the brief, spelled out, so a change in wording is a
// deliberate one.
func TestErrorFormat(t *testing.T) {
	data := []byte("image: x\nrelease: 1.0.0\ntarget: wm6\npackages:\n  - name: A\n    owner: oem\n    vesion: 1.4.0\n  - name: B\n    owner: oem\n    version: 1.4\n")
	_, err := Parse("provpack.yaml", data)
	want := `provpack.yaml:5:5: packages[0].version: required key is missing
provpack.yaml:7:5: packages[0].vesion: unknown key "vesion" (did you mean "version"?)
provpack.yaml:10:14: packages[1].version: "1.4" is not strict semver (want MAJOR.MINOR.PATCH, e.g. 1.4.0)`
	if err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
	e := &Error{File: "f", Msg: "m"}
	if e.Error() != "f: m" {
		t.Errorf("file-level error prints %q", e.Error())
	}
}

func deepFlow(n int) []byte {
	return []byte("image: x\npackages: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n")
}

func deepBlock(n int) []byte {
	return []byte("image: x\npackages:\n" + strings.Repeat("- ", n) + "x\n")
}

func TestDeepNesting(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"flow-10000", deepFlow(10000), "deep.yaml:2:74: nested more than 64 levels deep; a manifest needs about 10"},
		{"flow-10001", deepFlow(10001), "deep.yaml:2:1: YAML syntax: exceeded max depth of 10000"},
		{"block-10000", deepBlock(10000), "deep.yaml:3:127: nested more than 64 levels deep; a manifest needs about 10"},
		{"flow-100000", deepFlow(100000), "deep.yaml:2:1: YAML syntax: exceeded max depth of 10000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := Parse("deep.yaml", tc.data)
			if err == nil {
				t.Fatal("accepted")
			}
			checkPositioned(t, "deep.yaml", err)
			if !strings.Contains("\n"+err.Error()+"\n", "\n"+tc.want+"\n") {
				t.Errorf("errors:\n%v\nwant among them:\n%s", err, tc.want)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %v", d) // a hang guard, not a benchmark
			}
		})
	}
}

func TestAliasBombIsCheap(t *testing.T) {
	data, err := os.ReadFile("testdata/errors/alias_bomb.yaml")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Parse("bomb.yaml", data)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "anchors and aliases are not allowed") {
			t.Errorf("got %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Parse hangs on an alias bomb")
	}
}

func TestTooLarge(t *testing.T) {
	_, err := Parse("big.yaml", make([]byte, MaxSize+1))
	if err == nil || err.Error() != "big.yaml: file is larger than 8 MiB; a manifest is a few kilobytes" {
		t.Errorf("got %v", err)
	}
}

func TestValid(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid/*.yaml")
	if len(files) == 0 {
		t.Fatal("no valid test files")
	}
	for _, f := range files {
		m, err := Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if m.File != f {
			t.Errorf("File = %q, want %q", m.File, f)
		}
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v, want a not-exist error", err)
	}
}

func TestSpecExample(t *testing.T) {
	m, err := Load("testdata/valid/spec.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if m.Image != "contoso-mc55" || m.Release.String() != "2.1.0" || m.Target != TargetWM6 || m.Format != FormatCab {
		t.Errorf("image fields: %+v", m)
	}
	if m.Ordinals == nil || m.Ordinals.Start != 100 || m.Ordinals.Step != 100 {
		t.Errorf("ordinals: %+v", m.Ordinals)
	}
	p := m.Package("oem_scanner")
	if p == nil || p.Name != "OEM_Scanner" {
		t.Fatalf("Package lookup: %+v", p)
	}
	if p.GUID.String() != "0b6c7a52-0f51-4c1e-9a43-5b0d1c1f7e21" || p.Version.String() != "1.4.0" || p.Owner != OwnerOEM {
		t.Errorf("package fields: %+v", p)
	}
	if c, ok := p.Requires["OEM_Base"]; !ok || c.String() != ">=1.0.0" || !c.Check(m.Package("OEM_Base").Version) {
		t.Errorf("requires: %+v", p.Requires)
	}
	if len(p.Cold) != 1 || p.Cold[0].File != "provxml/scanner-defaults.provxml" {
		t.Errorf("cold: %+v", p.Cold)
	}
	if len(p.Update) != 2 || p.Update[0].File != "provxml/scanner/*.provxml" {
		t.Fatalf("update: %+v", p.Update)
	}
	s := p.Update[1].Settings
	if len(s) != 2 {
		t.Fatalf("settings: %+v", s)
	}
	if !reflect.DeepEqual(s[0].Characteristic, Path{`HKLM\Software\Contoso\Scanner`}) || s[0].CSP != "Registry" {
		t.Errorf("setting 0: %+v", s[0])
	}
	if len(s[0].Parms) != 1 || s[0].Parms[0].Name != "Enabled" || s[0].Parms[0].Value != "1" || s[0].Parms[0].Datatype != DatatypeInteger {
		t.Errorf("parm: %+v", s[0].Parms)
	}
	if !reflect.DeepEqual(s[0].Delete, []string{"OldMode"}) {
		t.Errorf("delete: %v", s[0].Delete)
	}
	if !reflect.DeepEqual(s[1].Characteristic, Path{"Contoso Internet", "DevSpecificCellular"}) {
		t.Errorf("setting 1: %+v", s[1])
	}
	if s[1].Parms[0].Datatype != "" || s[1].Parms[0].Has("datatype") || !s[1].Parms[0].Has("value") {
		t.Errorf("parm without datatype: %+v", s[1].Parms[0])
	}
	if !reflect.DeepEqual(p.Suppress, []string{"PX0201"}) {
		t.Errorf("suppress: %v", p.Suppress)
	}

	// positions
	for _, tc := range []struct {
		got  Pos
		want Pos
	}{
		{m.Pos, Pos{1, 1}},
		{m.At("release"), Pos{2, 10}},
		{m.At("packages"), Pos{7, 3}},
		{p.Pos, Pos{12, 5}},
		{p.At("version"), Pos{14, 14}},
		{p.At("requires.OEM_Base"), Pos{16, 26}},
		{p.At("suppress[0]"), Pos{31, 16}},
		{p.At("nonexistent"), Pos{12, 5}},
		{p.Update[1].Pos, Pos{21, 9}},
		{s[0].Pos, Pos{22, 13}},
		{s[0].At("characteristic"), Pos{23, 29}},
		{s[0].Parms[0].At("datatype"), Pos{25, 55}},
		{s[1].At("characteristic[1]"), Pos{28, 48}},
		{s[0].At("delete[0]"), Pos{26, 22}},
	} {
		if tc.got != tc.want {
			t.Errorf("position %v, want %v", tc.got, tc.want)
		}
	}
}

func TestByteColumns(t *testing.T) {
	// "é" is two bytes: yaml.v3 counts it as one column, we count bytes.
	data := []byte("image: x\nrelease: 1.0.0\ntarget: wm6\npackages:\n  - {name: A, version: 1.0.0, owner: oem, update: [{settings: [{csp: Registry, characteristic: é, parms: [{name: x, value: é, datatype: nope}]}]}]}\n")
	_, err := Parse("m.yaml", data)
	line5 := string(data[strings.Index(string(data), "\n  -")+1:])
	col := strings.Index(line5, "nope") + 1 // byte column; yaml.v3 says two less
	want := fmt.Sprintf(`m.yaml:5:%d: packages[0].update[0].settings[0].parms[0].datatype: "nope" is not a known datatype (want integer, string, float, boolean, binary, multiplestring, time or date)`, col)
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	// A BOM is not a column.
	bom := append([]byte("\xef\xbb\xbf"), []byte("image: x\nrelease: 1.4\ntarget: wm6\npackages: []\n")...)
	_, err = Parse("bom.yaml", bom)
	if err == nil || !strings.HasPrefix(err.Error(), "bom.yaml:2:10: release:") {
		t.Errorf("got %v", err)
	}
}

func TestVersion(t *testing.T) {
	for _, tc := range []struct{ in, err string }{
		{"1.4.0", ""},
		{"0.0.0", ""},
		{"1.4.0-rc.1+build.5", ""},
		{"1.4", `"1.4" is not strict semver (want MAJOR.MINOR.PATCH, e.g. 1.4.0)`},
		{"v1.4.0", `"v1.4.0" is not strict semver (want MAJOR.MINOR.PATCH, e.g. 1.4.0)`},
		{"1", `"1" is not strict semver (want MAJOR.MINOR.PATCH, e.g. 1.0.0)`},
		{"01.2.3", `"01.2.3" is not strict semver (want MAJOR.MINOR.PATCH, e.g. 1.2.3)`},
		{"latest", `"latest" is not strict semver (want MAJOR.MINOR.PATCH, e.g. 1.0.0)`},
		{"", `"" is not strict semver (want MAJOR.MINOR.PATCH, e.g. 1.0.0)`},
	} {
		v, err := ParseVersion(tc.in)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.in, err)
		case tc.err == "" && v.String() != tc.in:
			t.Errorf("%q: String() = %q", tc.in, v)
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("%q: got %v, want %s", tc.in, err, tc.err)
		}
	}
	a, b := MustParseVersion("1.4.0"), MustParseVersion("1.10.0")
	if a.Compare(b) >= 0 || b.Compare(a) <= 0 || a.Compare(a) != 0 || (Version{}).Compare(a) >= 0 {
		t.Error("Compare")
	}
}

func TestGUID(t *testing.T) {
	g, err := ParseGUID("0B6C7A52-0F51-4C1E-9A43-5B0D1C1F7E21")
	if err != nil || g.String() != "0b6c7a52-0f51-4c1e-9a43-5b0d1c1f7e21" {
		t.Errorf("got %v %v", g, err)
	}
	var h GUID
	if err := h.UnmarshalText([]byte(g.String())); err != nil || h != g {
		t.Errorf("text round trip: %v %v", h, err)
	}
}

func TestNames(t *testing.T) {
	for name, ok := range map[string]bool{
		"OEM_Scanner": true, "oem-scanner": true, "7zip": true, "_x": true,
		strings.Repeat("a", 64): true, strings.Repeat("a", 65): false,
		"": false, "OEM Scanner": false, "OEM.Scanner": false, "Ünicode": false, "a/b": false,
	} {
		if err := CheckPackageName(name); (err == nil) != ok {
			t.Errorf("CheckPackageName(%q) = %v", name, err)
		}
	}
	for name, ok := range map[string]bool{
		"contoso-mc55": true, "contoso.mc55_eu": true, "-x": false, ".x": false, "a b": false, "": false,
	} {
		if err := CheckImageName(name); (err == nil) != ok {
			t.Errorf("CheckImageName(%q) = %v", name, err)
		}
	}
}

// TestNameRulesMatchTheirPatterns holds each rule's hand-written check to
// the pattern the schema exports, on every short string over a small
// alphabet that reaches each class, and on lengths around the limit.
func TestNameRulesMatchTheirPatterns(t *testing.T) {
	alphabet := []string{"a", "Z", "7", "_", "-", ".", " ", "/", "é", "\x00"}
	var inputs []string
	var grow func(prefix string, n int)
	grow = func(prefix string, n int) {
		inputs = append(inputs, prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			grow(prefix+c, n-1)
		}
	}
	grow("", 3)
	for _, n := range []int{62, 63, 64, 65, 66} {
		for _, c := range []string{"a", ".", "-"} {
			inputs = append(inputs, strings.Repeat("b", n), c+strings.Repeat("b", n-1), strings.Repeat("b", n-1)+c)
		}
	}
	for name, r := range nameRules {
		re := regexp.MustCompile(r.pattern)
		for _, s := range inputs {
			if got, want := r.match(s), re.MatchString(s); got != want {
				t.Errorf("%s rule on %q: match says %v, the pattern %s says %v", name, s, got, r.pattern, want)
			}
		}
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"name", "guid", "version", "owner", "requires", "cold", "update", "suppress"}
	for in, want := range map[string]string{
		"vesion": "version", "verison": "version", "Version": "version", "VERSION": "version",
		"requries": "requires", "updates": "update", "col": "cold", "nam": "name",
		"x": "", "description": "", "ab": "",
	} {
		if got := suggest(in, keys); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
	if d := editDistance("ca", "abc"); d != 3 {
		t.Errorf("editDistance(ca, abc) = %d (OSA distance is 3)", d)
	}
	if d := editDistance("vesrion", "version"); d != 1 {
		t.Errorf("transposition costs %d", d)
	}
}

// Scalars keep the text as written; YAML's reading of numbers and booleans
// never applies.
func TestScalarsKeepTheirText(t *testing.T) {
	data := []byte(`image: x
release: 1.0.0
target: wm6
packages:
  - name: 7zip
    version: 1.0.0
    owner: oem
    requires: {OEM: 1.2}
    update:
      - settings:
          - csp: CM_Mappings
            characteristic: [10001, 0x1F]
            parms:
              - {name: A, value: 010}
              - {name: B, value: 1.10}
              - {name: C, value: true}
              - {name: D, value: ""}
              - {name: E, value: 'it''s'}
            delete: [1e3]
  - name: OEM
    version: 1.2.9
    owner: oem
`)
	m, err := Parse("m.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	p := m.Packages[0]
	st := p.Update[0].Settings[0]
	var vals []string
	for _, pm := range st.Parms {
		vals = append(vals, pm.Value)
	}
	if got := strings.Join(vals, "|"); got != "010|1.10|true||it's" {
		t.Errorf("values %q", got)
	}
	if !reflect.DeepEqual(st.Characteristic, Path{"10001", "0x1F"}) || st.Delete[0] != "1e3" || p.Name != "7zip" {
		t.Errorf("%+v %v %q", st.Characteristic, st.Delete, p.Name)
	}
	if p.Requires["OEM"].String() != "1.2" {
		t.Errorf("constraint %q", p.Requires["OEM"])
	}
}

// TestErrorUnwraps: a problem that comes from the file system keeps the
// file system's error, so callers can tell a broken source with
// errors.Is.
func TestErrorUnwraps(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink("nowhere.provxml", filepath.Join(dir, "missing.provxml")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	m, err := Parse(filepath.Join(dir, "provpack.yaml"), []byte("image: demo\nrelease: 1.0.0\ntarget: wm6\npackages:\n  - name: OEM_A\n    version: 1.0.0\n    owner: oem\n    update:\n      - file: missing.provxml\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = m.CheckSources(dir)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("want an error that is fs.ErrNotExist, got %v", err)
	}
}
