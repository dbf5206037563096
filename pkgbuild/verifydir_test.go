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
	ps, err := verify.Verify(context.Background(), out)
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
	ps, err := verify.Verify(context.Background(), out)
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
