package manifest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sampleLock() *Lock {
	d := "sha256:" + strings.Repeat("ab", 32)
	return &Lock{
		Image:   "contoso-mc55",
		Release: "2.1.0",
		Target:  TargetWM6,
		Packages: []LockPackage{
			{
				Name: "OEM_Scanner", Version: "1.4.0", GUID: "0b6c7a52-0f51-4c1e-9a43-5b0d1c1f7e21", Owner: OwnerOEM,
				Bumps: []Bump{{From: "1.3.0", To: "1.4.0", Reason: "scanner timeout <changed> & more"}},
				Files: []LockFile{
					{Class: ClassUpdate, Name: "mxipupdate_OEM_Scanner_300.provxml", Ordinal: 300, Digest: d},
					{Class: ClassCold, Name: "mxipcold_OEM_Scanner_100.provxml", Ordinal: 100, Digest: d},
				},
				Settings: []FlatSetting{
					{Class: ClassUpdate, File: "mxipupdate_OEM_Scanner_300.provxml", CSP: "Registry", Path: []string{`HKLM\Software\Contoso`}, Name: "Enabled", Value: "1", Datatype: DatatypeInteger, Op: OpSet},
					{Class: ClassCold, File: "mxipcold_OEM_Scanner_100.provxml", CSP: "Registry", Path: []string{`HKLM\Software\Contoso`}, Name: "Mode", Value: "", Op: OpDelete},
					{Class: ClassUpdate, File: "mxipupdate_OEM_Scanner_300.provxml", CSP: "Registry", Path: []string{`HKLM\Software\Contoso`}, Name: "Level", Value: "2", Op: OpSet},
				},
			},
			{Name: "OEM_Base", Version: "1.0.0", GUID: "91d7aa4d-d2ba-5a08-a4a4-2fa9adfacc7f", Owner: OwnerOEM},
		},
	}
}

func TestLockRoundTrip(t *testing.T) {
	l := sampleLock()
	b, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/lock.golden.json", b)
	if !bytes.HasSuffix(b, []byte("}\n")) || bytes.Contains(b, []byte("\t")) || bytes.Contains(b, []byte("null")) {
		t.Errorf("not canonical:\n%s", b)
	}
	r, err := ReadLock("provpack.lock", b)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Errorf("Marshal(ReadLock(Marshal(l))) differs:\n%s\n%s", b, b2)
	}
	// Marshal does not change its receiver.
	if l.Packages[0].Name != "OEM_Scanner" || l.Packages[0].Files[0].Ordinal != 300 || l.LockVersion != 0 || l.Packages[0].MaxOrdinal.Update != 0 {
		t.Error("Marshal changed the lock")
	}
	if r.Packages[1].MaxOrdinal != (ClassOrdinals{Cold: 100, Update: 300}) {
		t.Errorf("maxOrdinal %+v", r.Packages[1].MaxOrdinal)
	}
	if p := r.Package("oem_scanner"); p == nil || p.Version != "1.4.0" {
		t.Errorf("Package lookup: %+v", p)
	}
	var nilLock *Lock
	if nilLock.Package("x") != nil {
		t.Error("nil lock lookup")
	}
}

func TestLockDeterministic(t *testing.T) {
	a, err := sampleLock().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	l := sampleLock()
	l.Packages[0], l.Packages[1] = l.Packages[1], l.Packages[0]
	p := &l.Packages[1]
	p.Files[0], p.Files[1] = p.Files[1], p.Files[0]
	b, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("order of input changes output:\n%s\n%s", a, b)
	}
}

func TestLockInvalid(t *testing.T) {
	l := sampleLock()
	l.Packages[0].Files[1].Ordinal = 300
	l.Packages[0].Files[1].Class = ClassUpdate
	l.Packages[0].Files[0].Digest = "md5:abc"
	l.Packages[0].Bumps[0].From = "1.5.0"
	l.Packages[1].Name = "oem_scanner"
	l.Packages[1].GUID = "{x}"
	_, err := l.Marshal()
	if err == nil || !strings.HasPrefix(err.Error(), "refusing to write an invalid lock:\n") {
		t.Fatalf("got %v", err)
	}
	// Paths refer to the canonical (sorted) order.
	for _, frag := range []string{
		`provpack.lock: packages[0].bumps[0]: a bump must raise the version (1.5.0 to 1.4.0)`,
		`provpack.lock: packages[0].files[1].ordinal: update ordinal 300 is also used by "mxipcold_OEM_Scanner_100.provxml"`,
		`provpack.lock: packages[0].files[1].digest: "md5:abc" is not a digest (want sha256: and 64 lower-case hex digits)`,
		`provpack.lock: packages[0].settings[0].class: cold, but file "mxipcold_OEM_Scanner_100.provxml" is update`,
		`provpack.lock: packages[1].name: package "oem_scanner" is locked twice (also as "OEM_Scanner")`,
		`provpack.lock: packages[1].guid: "{x}" is not a GUID`,
	} {
		if !strings.Contains(err.Error(), frag) {
			t.Errorf("missing %q in:\n%v", frag, err)
		}
	}
}

func TestReadLockErrors(t *testing.T) {
	good, err := sampleLock().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "provpack.lock: empty lock file; delete it if nothing has been released"},
		{"syntax", "{\n  \"lockVersion\": 1,\n  \"image\": \"x\"\n  \"release\": \"1.0.0\"\n}\n", "provpack.lock:4:3: JSON syntax: invalid character '\"' after object key:value pair"},
		{"truncated", "{\n  \"lockVersion\": 1,\n", "provpack.lock:3:1: JSON syntax: unexpected end of JSON input"},
		{"string", ` "x"`, "provpack.lock:1:2: a lock is a JSON object, got a string"},
		{"version", `{"lockVersion": 3, "image": "x"}`, "provpack.lock: lockVersion: 3 is not supported (this provpack reads lockVersion 1 and 2); use the provpack that wrote it, or a newer one"},
		{"noversion", `{"image": "x"}`, "provpack.lock: lockVersion: missing; this is not a provpack lock"},
		{"array", `[1]`, "provpack.lock:1:1: a lock is a JSON object, got an array"},
		{"unknown", strings.Replace(string(good), `"image"`, `"imgae": "x", "image"`, 1), `provpack.lock: unknown field "imgae"`},
		{"type", strings.Replace(string(good), `"ordinal": 100`, `"ordinal": "100"`, 1), `provpack.lock:40:26: packages.files.ordinal: expected a number, got a JSON string`},
		{"trailing", string(good) + "{}", "provpack.lock:88:1: JSON syntax: invalid character '{' after top-level value"},
		{"bool", strings.Replace(string(good), `"bumps": [],`, `"bumps": true,`, 1), `provpack.lock:16:19: packages.bumps: expected an array, got a JSON bool`},
	} {
		_, err := ReadLock("provpack.lock", []byte(tc.in))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: got\n%v\nwant\n%s", tc.name, err, tc.want)
		}
	}
}

func TestLoadLock(t *testing.T) {
	dir := t.TempDir()
	l, err := LoadLock(context.Background(), filepath.Join(dir, DefaultLockName))
	if l != nil || err != nil {
		t.Errorf("missing lock: %v %v", l, err)
	}
	b, err := sampleLock().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, DefaultLockName)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if l, err = LoadLock(context.Background(), p); err != nil || l.Image != "contoso-mc55" {
		t.Errorf("LoadLock: %v %v", l, err)
	}
	if _, err := LoadLock(context.Background(), dir); err == nil {
		t.Error("reading a directory as a lock succeeded")
	}
}

// The example in docs/lock-format.md is a valid lock in canonical form.
func TestLockDocExample(t *testing.T) {
	doc, err := os.ReadFile("../docs/lock-format.md")
	if err != nil {
		t.Skip("docs not beside the package:", err)
	}
	s := string(doc)
	start := strings.Index(s, "```json\n")
	end := strings.Index(s[start+8:], "```")
	if start < 0 || end < 0 {
		t.Fatal("no JSON example in docs/lock-format.md")
	}
	example := s[start+8 : start+8+end]
	l, err := ReadLock("lock-format.md", []byte(example))
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.Marshal()
	if err != nil || string(b) != example {
		t.Errorf("example is not canonical: %v\n%s", err, b)
	}
}

// TestLockPackageLookup: a read lock finds packages through its index,
// case-insensitively, as a hand-built one does by searching.
func TestLockPackageLookup(t *testing.T) {
	built := sampleLock()
	b, err := built.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	read, err := ReadLock("provpack.lock", b)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []*Lock{built, read} {
		for _, p := range built.Packages {
			for _, name := range []string{p.Name, strings.ToUpper(p.Name), strings.ToLower(p.Name)} {
				if got := l.Package(name); got == nil || got.Name != p.Name {
					t.Errorf("Package(%q) = %v", name, got)
				}
			}
		}
		if got := l.Package("NoSuchPackage"); got != nil {
			t.Errorf("Package(NoSuchPackage) = %v", got)
		}
	}
}

// TestReadVersion1Lock: a lock written before the history was kept reads
// as having none: no tombstones, no release records, no base.
func TestReadVersion1Lock(t *testing.T) {
	b, err := sampleLock().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	v1 := strings.Replace(string(b), `"lockVersion": 2`, `"lockVersion": 1`, 1)
	l, err := ReadLock("provpack.lock", []byte(v1))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := l.BaseLock(); ok || l.Tombstone("OEM_Base") != nil || len(l.Releases) != 0 {
		t.Errorf("a version 1 lock has history: %+v", l)
	}
	if l.Package("oem_scanner") == nil {
		t.Error("a version 1 lock lost its packages")
	}
}
