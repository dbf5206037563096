package pkgbuild

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/provxml"
)

// TestAppendSettingMatchesEncodingJSON: the hand-written encoder gives
// exactly what encoding/json gives, for awkward strings too.
func TestAppendSettingMatchesEncodingJSON(t *testing.T) {
	for _, s := range []ReportSetting{
		{Class: "cold", File: "f", CSP: "Registry", Path: []string{`HKLM\S`}, Name: "A", Value: "1", Datatype: "integer", Op: "set"},
		{Class: "update", File: "f", CSP: "C", Path: []string{}, Op: "delete"},
		{Class: "update", File: "f", CSP: "C", Path: []string{"a\"b", "<&>"}, Name: "\x01\t\n\r", Value: "x\uF000y\u2028z\xffé😀", Op: "set"},
	} {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		ps := provxml.Setting{CSP: s.CSP, Path: s.Path, Name: s.Name, Value: s.Value, Datatype: s.Datatype, Op: provxml.Op(s.Op)}
		if got := appendSettingJSON(nil, s.Class, s.File, &ps); string(got) != string(want) {
			t.Errorf("appendSetting:\n got %s\nwant %s", got, want)
		}
	}
}

// TestAppendMDMatchesMD: the allocation-free Markdown cells are exactly
// md's, for plain and awkward text.
func TestAppendMDMatchesMD(t *testing.T) {
	for _, s := range []string{"", "plain", "a|b", "line\nbreak", "back`tick", "x\uF000y", "\uF8FFé", "``", `HKLM\Software`} {
		if got, want := string(appendMD(nil, s)), md(s); got != want {
			t.Errorf("appendMD(%q) = %q, md gives %q", s, got, want)
		}
		for _, path := range [][]string{{s}, {"HKLM", s}, {s, s}} {
			if got, want := string(appendMDPath(nil, path)), md(strings.Join(path, `\`)); got != want {
				t.Errorf("appendMDPath(%q) = %q, md gives %q", path, got, want)
			}
		}
	}
	if got := string(appendMDPath(nil, nil)); got != "" {
		t.Errorf("appendMDPath(nil) = %q", got)
	}
}

// TestAppendJSONStringMatchesEncodingJSON: every byte value, alone and
// in company, and some awkward runes, encode as encoding/json encodes.
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	var cases []string
	for c := 0; c < 256; c++ {
		cases = append(cases, string(rune(c)), "a"+string([]byte{byte(c)})+"z")
	}
	cases = append(cases, "\u2028\u2029", "\uF000", "😀", "\xff\xfe", "<&>")
	for _, s := range cases {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("appendJSONString(%q) = %s, encoding/json gives %s", s, got, want)
		}
	}
}

// TestWM6ManifestMatchesEncodingXML holds the hand-written WM6 package
// manifest to what encoding/xml writes for the same values, for plain
// values (which take the hand-written path) and for values that need
// escaping (which do not).
func TestWM6ManifestMatchesEncodingXML(t *testing.T) {
	viaXML := func(info *PackageInfo) []byte {
		p := xmlPackage{Name: info.Name, GUID: info.GUID, Version: info.Version, Owner: string(info.Owner), Target: info.Target, Image: info.Image}
		for _, f := range info.Files {
			p.Files = append(p.Files, xmlFile{f.Name, string(f.Class), f.Ordinal, f.Size, f.SHA256})
		}
		var b bytes.Buffer
		b.WriteString(xml.Header)
		enc := xml.NewEncoder(&b)
		enc.Indent("", "  ")
		if err := enc.Encode(p); err != nil {
			t.Fatal(err)
		}
		b.WriteByte('\n')
		return b.Bytes()
	}
	file := FileInfo{Name: "mxipupdate_OEM_Base_100.provxml", Class: manifest.ClassUpdate, Ordinal: 100, Size: 4711,
		SHA256: "7bb3d69c057f0dfafb1484e44d78bf36bc112f6454cea240882db32929be7bf8"}
	plain := PackageInfo{Name: "OEM_Base", GUID: "018eb3fa-0ed9-5af3-bb9a-0cc757739352", Version: "1.2.3-rc.1+build.7",
		Owner: manifest.OwnerOEM, Target: "wm6", Image: "contoso.mc55_eu"}
	cases := map[string]PackageInfo{"no files": plain}
	two := plain
	two.Files = []FileInfo{file, file}
	two.Files[1].Class, two.Files[1].Ordinal, two.Files[1].Size = manifest.ClassCold, 7, 0
	cases["two files"] = two
	for _, odd := range []string{`a"b`, "a'b", "a&b", "a<b>", "a\tb", "a\nb", "é", "a b"} {
		c := two
		c.Image = odd
		cases["image "+odd] = c
		c = two
		c.Files = []FileInfo{file}
		c.Files[0].Name = odd
		cases["file "+odd] = c
	}
	var fast int
	for name, info := range cases {
		got, err := func() ([]byte, error) { _, b, err := marshalPackageManifest(&info); return b, err }()
		if err != nil {
			t.Fatal(err)
		}
		if want := viaXML(&info); !bytes.Equal(got, want) {
			t.Errorf("%s:\n%s\nwant\n%s", name, got, want)
		}
		if _, ok := appendWM6Manifest(nil, &info); ok {
			fast++
		}
	}
	if fast != 2 {
		t.Errorf("%d cases took the hand-written path, want the 2 plain ones", fast)
	}
}
