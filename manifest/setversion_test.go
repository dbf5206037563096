package manifest

import (
	"bytes"
	"strings"
	"testing"
)

const bumpInput = "# provpack manifest\r\n" + `
image: contoso-mc55   # the image

release: 2.1.0
target: wm6
packages:
    # the base package
    - name: OEM_Base
      version: 1.2.0      # keep this comment
      owner: oem

    - {name: OEM_Flow, version: "3.0.0", owner: oem}   # flow, double-quoted
    - name: 'OEM_Single'
      version: '0.9.0-rc.1'   # single-quoted
      owner: oem
      requires: {OEM_Base: ">=1.0.0"}
    - {name: OEM_Uni, suppress: [PXé1, PXü2], version: 1.0.0, owner: oem}
# trailing comment, no newline at the end`

// onlyChange asserts that out differs from in by replacing exactly one
// occurrence of old with new, every other byte untouched.
func onlyChange(t *testing.T, in, out []byte, old, new string) {
	t.Helper()
	p := 0
	for p < len(in) && p < len(out) && in[p] == out[p] {
		p++
	}
	s := 0
	for s < len(in)-p && s < len(out)-p && in[len(in)-1-s] == out[len(out)-1-s] {
		s++
	}
	gotOld, gotNew := string(in[p:len(in)-s]), string(out[p:len(out)-s])
	// The common prefix/suffix may eat shared characters of the tokens:
	// compare the expanded tokens instead.
	if !strings.Contains(string(in), old) || !bytes.Equal(out, bytes.Replace(in, []byte(old), []byte(new), 1)) {
		t.Errorf("changed %q to %q; want only %q to %q\n%s", gotOld, gotNew, old, new, out)
	}
}

func TestSetVersion(t *testing.T) {
	in := []byte(bumpInput)
	if _, err := Parse("m.yaml", in); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pkg, v   string
		old, new string
	}{
		{"OEM_Base", "1.3.0", "version: 1.2.0      # keep", "version: 1.3.0      # keep"},
		{"oem_base", "10.0.0", "version: 1.2.0 ", "version: 10.0.0 "},
		{"OEM_Flow", "3.0.1", `version: "3.0.0"`, `version: "3.0.1"`},
		{"OEM_Single", "1.0.0", `version: '0.9.0-rc.1'`, `version: '1.0.0'`},
		{"OEM_Uni", "1.0.1", "PXü2], version: 1.0.0,", "PXü2], version: 1.0.1,"},
	} {
		out, err := SetVersion(in, tc.pkg, tc.v)
		if err != nil {
			t.Errorf("%s: %v", tc.pkg, err)
			continue
		}
		onlyChange(t, in, out, tc.old, tc.new)
	}
	// A byte-order mark and CR line ends do not shift the splice.
	bom := []byte("\xef\xbb\xbfpackages: [{name: A, version: 1.0.0, owner: oem}]\r\n# é\r\n")
	out, err := SetVersion(bom, "A", "1.0.1")
	if err != nil {
		t.Fatal(err)
	}
	onlyChange(t, bom, out, "version: 1.0.0,", "version: 1.0.1,")

	// Bumping OEM_Base past OEM_Single's requirement is SetVersion's
	// business only as far as the bytes go; Parse reports the rest.
	out, err = SetVersion(in, "OEM_Base", "0.1.0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse("m.yaml", out); err == nil || !strings.Contains(err.Error(), `OEM_Base 0.1.0 (line 10) does not satisfy ">=1.0.0"`) {
		t.Errorf("parse after bump: %v", err)
	}
}

func TestSetVersionErrors(t *testing.T) {
	in := []byte(bumpInput)
	for _, tc := range []struct{ pkg, v, want string }{
		{"OEM_Bsae", "1.0.0", `no package "OEM_Bsae" in the manifest (did you mean "OEM_Base"?)`},
		{"Nothing", "1.0.0", `no package "Nothing" in the manifest`},
		{"OEM_Base", "1.3", `"1.3" is not strict semver (want MAJOR.MINOR.PATCH, e.g. 1.3.0)`},
	} {
		_, err := SetVersion(in, tc.pkg, tc.v)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s %s: got %v, want %s", tc.pkg, tc.v, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"packages:\n  - name: A\n    owner: oem\n", `package "A" has no version key to change`},
		{"packages:\n  - name: A\n    version: |\n      1.0.0\n", `line 3: cannot edit the version of package "A": block scalars are not supported here`},
		{"packages:\n  - name: A\n    version: [1]\n", `line 3: the version of package "A" is not a plain value; write it as version: 1.0.0`},
		{"image: x\n", `the manifest has no packages list`},
		{"\tbad", "cannot edit the manifest:\nmanifest:1:1: tab character in indentation; YAML indents with spaces only"},
	} {
		_, err := SetVersion([]byte(tc.in), "A", "1.0.1")
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: got %v, want %s", tc.in, err, tc.want)
		}
	}
}

func TestSetRelease(t *testing.T) {
	in := "# image\nimage: demo\nrelease: '1.2.3'   # quoted\ntarget: wm6\n"
	out, err := SetRelease([]byte(in), "1.3.0")
	if err != nil {
		t.Fatal(err)
	}
	if want := "# image\nimage: demo\nrelease: '1.3.0'   # quoted\ntarget: wm6\n"; string(out) != want {
		t.Errorf("got %q", out)
	}
	if _, err := SetRelease([]byte("image: demo\n"), "1.0.0"); err == nil || !strings.Contains(err.Error(), "no release key") {
		t.Errorf("no release key: %v", err)
	}
	if _, err := SetRelease([]byte(in), "1.x"); err == nil {
		t.Error("a bad version was accepted")
	}
}
