package archive

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/provpack/provpack/internal/testutil"
	"github.com/provpack/provpack/manifest"
)

// TestPkgGenProjectGolden pins the package project of an OEM and a
// Microsoft package; xmllint finds each well-formed.
func TestPkgGenProjectGolden(t *testing.T) {
	for name, owner := range map[string]manifest.Owner{"oem": manifest.OwnerOEM, "microsoft": manifest.OwnerMicrosoft} {
		sub := "PROVXML"
		if owner == manifest.OwnerMicrosoft {
			sub = ""
		}
		info, _ := w10mPackage(t, owner, sub)
		file, got, err := PkgGenProject(info)
		if err != nil {
			t.Fatal(err)
		}
		if want := "Contoso.OEM_Phone" + map[bool]string{true: ".PROVXML", false: ""}[sub != ""] + ".pkg.xml"; file != want {
			t.Errorf("name %s, want %s", file, want)
		}
		path := filepath.Join("testdata", "pkggen", name+".pkg.xml")
		if *update {
			os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./pkgbuild/archive -run TestPkgGenProjectGolden -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", path, got, want)
		}
	}
}

func TestPkgGenProjectXmllint(t *testing.T) {
	xmllint := testutil.Tool(t, "xmllint", "libxml2-utils")
	for _, owner := range []manifest.Owner{manifest.OwnerOEM, manifest.OwnerMicrosoft} {
		info, _ := w10mPackage(t, owner, "PROVXML")
		info.Image = `a&b<"c">`
		_, data, err := PkgGenProject(info)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "p.pkg.xml")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(xmllint, "--noout", p).CombinedOutput(); err != nil {
			t.Errorf("xmllint: %v\n%s\n%s", err, out, data)
		}
	}
}
