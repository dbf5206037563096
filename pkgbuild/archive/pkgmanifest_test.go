package archive

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/provpack/provpack/manifest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestPackageManifestGolden pins the bytes of both package manifest
// layouts, for plain values and for values that need escaping: the
// manifest is a member of every archive, so its bytes are the archive's.
func TestPackageManifestGolden(t *testing.T) {
	file := FileInfo{Name: "mxipupdate_OEM_Base_100.provxml", Class: manifest.ClassUpdate, Ordinal: 100, Size: 4711,
		SHA256: "7bb3d69c057f0dfafb1484e44d78bf36bc112f6454cea240882db32929be7bf8"}
	cold := FileInfo{Name: "mxipcold_OEM_Base_007.provxml", Class: manifest.ClassCold, Ordinal: 7, Size: 0,
		SHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}
	plain := PackageInfo{Name: "OEM_Base", GUID: "018eb3fa-0ed9-5af3-bb9a-0cc757739352", Version: "1.2.3-rc.1+build.7",
		Owner: manifest.OwnerOEM, Target: "wm6", Image: "contoso.mc55_eu", Files: []FileInfo{cold, file}}
	odd := plain
	odd.Image = "a\"b'c&d<e>\tf\ng é"
	odd.Files = []FileInfo{file}
	odd.Files[0].Name = "a&b <c>.provxml"
	none := plain
	none.Files = nil
	for name, info := range map[string]PackageInfo{"wm6-plain": plain, "wm6-escaped": odd, "wm6-no-files": none} {
		for _, target := range []manifest.Target{manifest.TargetWM6} {
			info := info
			info.Target = string(target)
			member, got, err := MarshalManifest(&info)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "pkgmanifest", string(target)+name[len("wm6"):]+"-"+member)
			if *update {
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./pkgbuild/archive -run TestPackageManifestGolden -update)", err)
			}
			if string(got) != string(want) {
				t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", path, got, want)
			}
		}
	}
}

// TestPackageManifestRoundTrip: what MarshalManifest writes, ParseManifest
// reads back.
func TestPackageManifestRoundTrip(t *testing.T) {
	info := PackageInfo{Name: "OEM_Base", GUID: "018eb3fa-0ed9-5af3-bb9a-0cc757739352", Version: "1.2.3", Owner: manifest.OwnerOperator, Target: "wm6",
		Image: "a&b <c>", Files: []FileInfo{{Name: "mxipcold_OEM_Base_007.provxml", Class: manifest.ClassCold, Ordinal: 7, Size: 12, SHA256: "00ff"}}}
	name, data, err := MarshalManifest(&info)
	if err != nil {
		t.Fatal(err)
	}
	if !IsManifest(name) {
		t.Errorf("%s is not a manifest name", name)
	}
	got, err := ParseManifest(name, data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, info) {
		t.Errorf("read back %+v, wrote %+v", *got, info)
	}
}
