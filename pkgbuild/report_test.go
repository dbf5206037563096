package pkgbuild

import (
	"bytes"
	"encoding/xml"
	"testing"

	"github.com/provpack/provpack/manifest"
)

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
