package pkgbuild

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/provpack/provpack/pkgbuild/verify"

	"github.com/provpack/provpack/pkgbuild/archive"
	"github.com/provpack/provpack/pkgbuild/report"
)

// demoOut builds the demo image and returns its output directory.
func demoOut(t *testing.T) string {
	t.Helper()
	m := copyDemo(t)
	out := filepath.Join(t.TempDir(), "out")
	buildInto(t, m, out, BuildOptions{}, Options{})
	return out
}

func problemsText(ps []archive.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}

// TestVerifyDirLongSumsLine guards issue 20's second case: a first line
// of SHA256SUMS over 64 KiB stopped bufio.Scanner, whose error went
// unchecked, and a SHA256SUMS where every hash was wrong verified "OK".
// Every line is parsed now, however long, and each malformed one is
// named with its line number.
func TestVerifyDirLongSumsLine(t *testing.T) {
	out := demoOut(t)
	sums := filepath.Join(out, "SHA256SUMS")
	orig, err := os.ReadFile(sums)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSuffix(string(orig), "\n"), "\n")
	var wrong strings.Builder
	wrong.WriteString(strings.Repeat("#", 70_000) + "\n")
	for _, l := range lines {
		wrong.WriteString(strings.Repeat("0", 64) + l[64:])
	}
	wrong.WriteString("\n\n") // the last line's end, then an empty line
	if err := os.WriteFile(sums, []byte(wrong.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ps, err := verify.Verify(context.Background(), out, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := problemsText(ps)
	if !strings.Contains(got, sums+`:1: not "<64 hex digits>  <file name>": "########`) || !strings.Contains(got, "… (70000 bytes)") {
		t.Errorf("the long first line is not named:\n%s", got)
	}
	if n := strings.Count(got, ", SHA256SUMS says "+strings.Repeat("0", 64)); n != len(lines) {
		t.Errorf("%d wrong hashes reported, want %d:\n%s", n, len(lines), got)
	}
	if !strings.Contains(got, sums+":"+strconv.Itoa(len(lines)+2)+": ") {
		t.Errorf("the empty last line is not named:\n%s", got)
	}
}

// TestVerifyDirReportNamesStayInDir guards issue 20's fourth case: an
// archive name in report.json was joined to DIR unchecked, and
// ../../../../../../etc/passwd made verify print that file's size and
// SHA-256. Such a name is refused unread.
func TestVerifyDirReportNamesStayInDir(t *testing.T) {
	out := demoOut(t)
	secret := filepath.Join(filepath.Dir(out), "secret")
	if err := os.WriteFile(secret, []byte("top secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, "report.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep map[string]any
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	pkgs := rep["packages"].([]any)
	for i, name := range []string{"../secret", `..\secret`, ""} {
		if i < len(pkgs) {
			pkgs[i].(map[string]any)["archive"] = name
		}
	}
	data, _ = json.Marshal(rep)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ps, err := verify.Verify(context.Background(), out, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := problemsText(ps)
	if !strings.Contains(got, `archive "../secret" is not the name of a file in `+out+"; not read") {
		t.Errorf("../secret not refused:\n%s", got)
	}
	if strings.Contains(got, "secret: ") || strings.Contains(got, "11 bytes") {
		t.Errorf("verify read a file outside DIR:\n%s", got)
	}
	if !bytes.Contains([]byte(got), []byte(`archive "" is not`)) {
		t.Errorf("an empty archive name not refused:\n%s", got)
	}
}

// TestVerifyDirReports: the reports are part of what verify proves
// (issue 15, item 3). Each edit below is made as a tamperer would, with
// SHA256SUMS brought up to date afterwards, so only the deeper checks can
// catch it: report.json against each archive's package manifest and
// settings, and report.md against report.json.
func TestVerifyDirReports(t *testing.T) {
	out := demoOut(t)
	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"report.json", "report.md"} {
		if !strings.Contains(string(sums), "  "+name+"\n") {
			t.Errorf("SHA256SUMS does not list %s:\n%s", name, sums)
		}
	}
	if ps, err := verify.Verify(context.Background(), out, verify.Options{}); err != nil || len(ps) > 0 {
		t.Fatalf("verify of a fresh build: %v\n%s", err, problemsText(ps))
	}
	for _, c := range []struct {
		name, file string
		edit       func(string) string
		want       string
		regen      bool
	}{
		{"setting value", "report.json", replaceFirst(`"value":"MC55"`, `"value":"MC56"`), `report.json says set Registry/HKLM\Software\Contoso\Device/@Model = "MC56"`, false},
		{"setting dropped", "report.json", dropSetting, `@Model = "MC55" (string) in the archive; report.json says set Registry/HKLM\Software\Contoso\Device/@ServiceMode`, false},
		{"owner", "report.md", replaceFirst("| oem |", "| operator |"), "report.md:7: says", false},
		{"release", "report.json", replaceFirst(`"release":"`, `"release":"9`), "report.md:1: says", false},
		{"ordinal", "report.json", replaceFirst(`"ordinal":100`, `"ordinal":105`), "the report says class cold, ordinal 105", false},
		{"file size", "report.json", replaceFirst(`"class":"cold","name":"mxipcold_OEM_Base_100.provxml","ordinal":100,"status":"new","size":`, `"class":"cold","name":"mxipcold_OEM_Base_100.provxml","ordinal":100,"status":"new","size":1`), "the package manifest says cold, 100", false},
		{"report.md line", "report.md", func(s string) string { return s + "Approved by: nobody\n" }, `says "Approved by: nobody"; report.json says nothing (the file ends)`, false},
		{"sums drop report.md", "SHA256SUMS", dropLine("report.md"), "report.md: not listed in SHA256SUMS", false},
		// With report.md rendered again from the edited report.json.
		{name: "owner, md too", file: "report.json", regen: true, edit: replaceFirst(`"owner":"oem"`, `"owner":"microsoft"`), want: `package manifest says owner oem, the report microsoft`},
		{name: "image, md too", file: "report.json", regen: true, edit: replaceFirst(`"image":"contoso-mc55"`, `"image":"evil"`), want: `package manifest says image contoso-mc55, the report evil`},
		{name: "target, md too", file: "report.json", regen: true, edit: replaceFirst(`"target":"wm6"`, `"target":"w10m"`), want: `package manifest says target wm6, the report w10m`},
		{name: "digest, md too", file: "report.json", regen: true, edit: replaceFirst(`"digest":"sha256:19`, `"digest":"sha256:20`), want: `mxipcold_OEM_Base_100.provxml: digest sha256:19`},
		{name: "package dropped, md too", file: "report.json", regen: true, edit: dropPackage("OEM_Certs"), want: `OEM_Certs-1.0.0.cab: archive not listed in report.json`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			copyDir(t, out, dir)
			path := filepath.Join(dir, c.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			edited := c.edit(string(data))
			if edited == string(data) {
				t.Fatalf("the edit changed nothing in %s", c.file)
			}
			if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
				t.Fatal(err)
			}
			if c.file == "report.json" && c.regen {
				// A careful tamperer renders report.md again, so that
				// only the archives can tell.
				rep, err := report.Read(path, []byte(edited))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "report.md"), rep.Markdown(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if c.file != "SHA256SUMS" {
				resum(t, dir)
			}
			ps, err := verify.Verify(context.Background(), dir, verify.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := problemsText(ps); !strings.Contains(got, c.want) {
				t.Errorf("verify after editing %s (%s): want a problem containing %q, got:\n%s", c.file, c.name, c.want, got)
			}
		})
	}
}

func replaceFirst(old, new string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, new, 1) }
}

// dropSetting removes the first setting object of report.json's first
// package.
func dropSetting(s string) string {
	i := strings.Index(s, `"settings":[{`)
	if i < 0 {
		return s
	}
	i += len(`"settings":[`)
	j := strings.Index(s[i:], "},{")
	if j < 0 {
		return s
	}
	return s[:i] + s[i+j+2:]
}

func dropLine(name string) func(string) string {
	return func(s string) string {
		var keep []string
		for _, l := range strings.SplitAfter(s, "\n") {
			if !strings.HasSuffix(l, "  "+name+"\n") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "")
	}
}

// resum rewrites SHA256SUMS for the files it lists, as they are now.
func resum(t *testing.T, dir string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		name := l[66:]
		f, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(archive.SHA256Hex(f) + "  " + name + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyDir copies the regular files of src into a new directory dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// dropPackage removes package name's line from report.json.
func dropPackage(name string) func(string) string {
	return func(s string) string {
		lines := strings.SplitAfter(s, "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, `{"name":"`+name+`"`) {
				if i > 0 && !strings.HasSuffix(l, ",\n") {
					lines[i-1] = strings.TrimSuffix(lines[i-1], ",\n") + "\n"
				}
				return strings.Join(append(lines[:i:i], lines[i+1:]...), "")
			}
		}
		return s
	}
}
