package manifest

import (
	"os"
	"path/filepath"
	"testing"
)

func addSeeds(f *testing.F, pattern string) {
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds for %s", pattern)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzParse: Parse never panics, returns a manifest or an error but not
// both, and every error is positioned (or about the whole file, naming it).
// A manifest it accepts survives WithDefaults, Schema-independent
// re-parsing and SetVersion of its first package.
func FuzzParse(f *testing.F) {
	addSeeds(f, "testdata/valid/*.yaml")
	addSeeds(f, "testdata/errors/*.yaml")
	f.Add(Starter("x", "wm6"))
	f.Add(Starter("x", "w10m"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse("fuzz.yaml", data)
		if err != nil {
			if m != nil {
				t.Fatal("manifest and error")
			}
			checkPositioned(t, "fuzz.yaml", err)
			for _, e := range err.(ErrorList) {
				if e.Line < 1 && e.File == "" {
					t.Fatalf("unpositioned error without a file: %#v", e)
				}
			}
			return
		}
		m.WithDefaults()
		if len(m.Packages) == 0 {
			t.Fatal("accepted a manifest without packages")
		}
		p := m.Packages[0]
		out, err := SetVersion(data, p.Name, "99.0.0")
		if err != nil {
			return // unusual spellings of a version are refused, not mangled
		}
		m2, err := Parse("fuzz.yaml", out)
		if err == nil {
			if got := m2.Package(p.Name).Version.String(); got != "99.0.0" {
				t.Fatalf("SetVersion wrote %q", got)
			}
		}
	})
}

// FuzzReadLock: ReadLock never panics, and what it accepts marshals and
// reads back to the same bytes.
func FuzzReadLock(f *testing.F) {
	addSeeds(f, "testdata/*.json")
	f.Add([]byte(`{"lockVersion": 1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ReadLock("fuzz.lock", data)
		if err != nil {
			checkPositioned(t, "fuzz.lock", err)
			return
		}
		b, err := l.Marshal()
		if err != nil {
			t.Fatalf("accepted lock does not marshal: %v", err)
		}
		l2, err := ReadLock("fuzz.lock", b)
		if err != nil {
			t.Fatalf("marshalled lock does not read back: %v\n%s", err, b)
		}
		b2, err := l2.Marshal()
		if err != nil || string(b) != string(b2) {
			t.Fatalf("not stable: %v\n%s\n%s", err, b, b2)
		}
	})
}
