package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/provpack/provpack/internal/testutil"

	"github.com/klauspost/compress/zstd"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/cab"
)

// hostileTarZst writes a tar.zst with the given member names.
func hostileTarZst(t *testing.T, names ...string) string {
	var buf bytes.Buffer
	zw, _ := zstd.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, n := range names {
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: n, Mode: 0o644, Size: 1, ModTime: time.Unix(0, 0)})
		tw.Write([]byte("x"))
	}
	tw.Close()
	zw.Close()
	p := filepath.Join(t.TempDir(), "hostile.tar.zst")
	os.WriteFile(p, buf.Bytes(), 0o644)
	return p
}

// hostileCab writes a cabinet and then renames its members in place
// (names are not covered by any checksum), to names cab.Write refuses.
func hostileCab(t *testing.T, names ...string) string {
	var files []cab.File
	for i, n := range names {
		files = append(files, cab.File{Name: fmt.Sprintf("%c%s", 'a'+i, strings.Repeat("z", len(n)-1)), Data: []byte("x")})
	}
	var buf bytes.Buffer
	if err := cab.Write(&buf, files, cab.WriteOptions{ModTime: epoch}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	for i, n := range names {
		placeholder := []byte(files[i].Name + "\x00")
		k := bytes.Index(b, placeholder)
		if k < 0 {
			t.Fatalf("placeholder %q not found", placeholder)
		}
		copy(b[k:], n)
	}
	p := filepath.Join(t.TempDir(), "hostile.cab")
	os.WriteFile(p, b, 0o644)
	return p
}

func TestExtractRefusesHostileNames(t *testing.T) {
	cases := []struct {
		names []string
		want  string
	}{
		{[]string{"../evil"}, `".." segment`},
		{[]string{`..\evil`}, `".." segment`},
		{[]string{`a/../../evil`}, `".." segment`},
		{[]string{"/etc/evil"}, "absolute path"},
		{[]string{`\evil`}, "absolute path"},
		{[]string{`C:evil`}, "drive-qualified"},
		{[]string{"same", "SAME"}, "differ only in case"},
		{[]string{"dup", "dup"}, "appears twice"},
	}
	for _, tc := range cases {
		for _, mk := range []func(*testing.T, ...string) string{hostileTarZst, hostileCab} {
			archive := mk(t, tc.names...)
			if strings.HasSuffix(archive, ".cab") && tc.names[0] == "dup" {
				continue // the cab placeholders must differ; the tar case covers it
			}
			parent := t.TempDir()
			dir := filepath.Join(parent, "x")
			_, err := Extract(context.Background(), archive, dir, false)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s %q: want %q, got %v", filepath.Base(archive), tc.names, tc.want, err)
			}
			if got := testutil.Tree(t, parent); len(got) != 0 {
				t.Errorf("%s %q: wrote %v", filepath.Base(archive), tc.names, got)
			}
		}
	}
}

// TestExtractRefusesControlAndWindowsNames: issue 20 item 8. Names with
// control characters (an escape sequence that drives the terminal, a
// bell, a newline that forges a line of output), names that are one file
// on Windows and FAT (trailing dots and spaces dropped), and Windows
// device names refuse the whole archive, in both formats; nothing is
// written.
func TestExtractRefusesControlAndWindowsNames(t *testing.T) {
	cases := []struct {
		names []string
		want  string
	}{
		{[]string{"a\x1b[2Jb.provxml"}, "control character U+001B"},
		{[]string{"bell\a.provxml"}, "control character U+0007"},
		{[]string{"x\nprovpack: all members OK"}, "control character U+000A"},
		{[]string{"del\x7f"}, "control character U+007F"},
		{[]string{"c1\u0085x"}, "control character U+0085"},
		{[]string{"a.provxml", "a.provxml."}, "same file on Windows and FAT"},
		{[]string{"a.provxml", "a.provxml "}, "same file on Windows and FAT"},
		{[]string{"b.provxml.", "B.PROVXML"}, "same file on Windows and FAT"},
		{[]string{"dir./f", "dir/g"}, ""}, // one directory on Windows: allowed, it is the same directory
		{[]string{"...", "x"}, "only dots and spaces"},
		{[]string{"d/ /f"}, "only dots and spaces"},
		{[]string{"CON"}, "device name"},
		{[]string{"nul.txt"}, "device name"},
		{[]string{"sub/Com1.provxml"}, "device name"},
		{[]string{"LPT9 .x"}, "device name"},
		{[]string{"aux."}, "device name"},
		{[]string{"conin$"}, "device name"},
	}
	for _, tc := range cases {
		for _, mk := range []func(*testing.T, ...string) string{hostileTarZst, hostileCab} {
			archive := mk(t, tc.names...)
			parent := t.TempDir()
			dir := filepath.Join(parent, "x")
			_, err := Extract(context.Background(), archive, dir, false)
			if tc.want == "" {
				if err != nil {
					t.Errorf("%s %q: %v", filepath.Base(archive), tc.names, err)
				}
				continue
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s %q: want %q, got %v", filepath.Base(archive), tc.names, tc.want, err)
				continue
			}
			if strings.ContainsAny(err.Error(), "\x1b\a\x7f") || strings.Contains(err.Error(), "\nprovpack") {
				t.Errorf("%s %q: the error holds the raw name: %q", filepath.Base(archive), tc.names, err)
			}
			if got := testutil.Tree(t, parent); len(got) != 0 {
				t.Errorf("%s %q: wrote %v", filepath.Base(archive), tc.names, got)
			}
		}
	}
	// Ordinary names stay allowed.
	for _, n := range []string{"console.provxml", "CONFIG", "com10", "nullable.txt", "a.b.c", "Café.provxml"} {
		if msg := unsafeName(n); msg != "" {
			t.Errorf("unsafeName(%q) = %q, want allowed", n, msg)
		}
	}
}

// TestExtractDoesNotFollowSymlinks: a symlink where a member goes refuses
// the archive, and nothing is written where it points.
func TestExtractDoesNotFollowSymlinks(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, manifest.FormatCab, packageOf("P", manifest.TargetWM6, []byte("<wap-provisioningdoc/>")), epoch); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "P-1.0.0.cab")
	os.WriteFile(archive, buf.Bytes(), 0o644)
	dir, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(filepath.Join(outside, "target"), filepath.Join(dir, "package.xml")); err != nil {
		t.Skip(err)
	}
	_, err := Extract(context.Background(), archive, dir, true)
	if err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Fatalf("want a symlink refusal, got %v", err)
	}
	if got := testutil.Tree(t, outside); len(got) != 0 {
		t.Errorf("wrote outside the target: %v", got)
	}
}

// TestExtractThroughRoot: a directory swapped for a symlink after the
// destinations were checked (here, while the first member is staged) does
// not lead a later member outside the target: every write goes through an
// os.Root, and the extract fails and takes back what it staged.
func TestExtractThroughRoot(t *testing.T) {
	var buf bytes.Buffer
	ms := []Member{{Name: "a.provxml", Data: []byte("first")}, {Name: "sub/b.provxml", Data: []byte("second")}}
	if err := Write(&buf, manifest.FormatTarZst, ms, epoch); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "p.tar.zst")
	os.WriteFile(archive, buf.Bytes(), 0o644)
	dir, outside := t.TempDir(), t.TempDir()
	c := defaults
	c.wrap = func(name string, w io.Writer) io.Writer {
		if name == "a.provxml" {
			if err := os.Symlink(outside, filepath.Join(dir, "sub")); err != nil {
				t.Skip(err)
			}
		}
		return w
	}
	_, err := c.extract(context.Background(), archive, dir, false)
	if err == nil || !strings.Contains(err.Error(), "nothing was written") {
		t.Fatalf("want a failed extract, got %v", err)
	}
	if got := testutil.Tree(t, outside); len(got) != 0 {
		t.Errorf("wrote outside the target: %v", got)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 || ents[0].Name() != "sub" {
		t.Errorf("a failed extract left %v (want only the test's symlink)", ents)
	}
}

// TestExtractRefusesMoreHostileNames: names that land on the same file or
// on a file and a directory at once, "." and empty segments; verify names
// each, extract writes nothing, and Write refuses to write such an
// archive in either format.
func TestExtractRefusesMoreHostileNames(t *testing.T) {
	cases := []struct {
		names []string
		want  string
	}{
		// (hostileCab renames placeholders of the same length in place;
		// names of two bytes or more keep them from matching header bytes.)
		{[]string{"ab", "ab"}, `member "ab" appears twice`},
		{[]string{"./ab", "ab"}, `"." segment`},
		{[]string{"ab//c"}, "empty path segment"},
		{[]string{"ab/."}, `"." segment`},
		{[]string{"ab", "ab/c"}, `member "ab/c" needs "ab" to be a directory`},
		{[]string{"AB", "ab/c"}, `member "ab/c" needs "AB" to be a directory`},
		{[]string{`ab\c`, "ab/c"}, "name the same file"},
		{[]string{"x\u017F", "xS"}, "differ only in case"}, // long s folds to s
		{[]string{"x\u212A", "xk"}, "differ only in case"}, // Kelvin sign folds to k
		{[]string{"caf\xe9"}, "not valid UTF-8"},           // tar only: cab names decode as Latin-1
		{[]string{strings.Repeat("n", 256)}, "longer than the 255"},
	}
	for _, tc := range cases {
		mks := []func(*testing.T, ...string) string{hostileTarZst}
		if !slices.ContainsFunc(tc.names, func(n string) bool { return !utf8.ValidString(n) || len(n) > 255 }) {
			// Cabinet names decode as Latin-1 when not UTF-8, and hold
			// at most 255 bytes.
			mks = append(mks, hostileCab)
		}
		for _, mk := range mks {
			archive := mk(t, tc.names...)
			parent := t.TempDir()
			_, err := Extract(context.Background(), archive, filepath.Join(parent, "x"), true)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "nothing was written") {
				t.Errorf("%s %q: extract: want %q, got %v", filepath.Base(archive), tc.names, tc.want, err)
			}
			if ents, _ := os.ReadDir(parent); len(ents) != 0 {
				t.Errorf("%s %q: extract wrote %v", filepath.Base(archive), tc.names, ents)
			}
			ps := Verify(archive, nil, VerifyOptions{})
			if !slices.ContainsFunc(ps, func(p Problem) bool { return strings.Contains(p.Msg, tc.want) }) {
				t.Errorf("%s %q: verify: want %q among %v", filepath.Base(archive), tc.names, tc.want, ps)
			}
		}
		var ms []Member
		for _, n := range tc.names {
			ms = append(ms, Member{Name: n, Data: []byte("x")})
		}
		for _, f := range formats {
			if err := Write(io.Discard, f, ms, epoch); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Write %s %q: want a refusal saying %q, got %v", f, tc.names, tc.want, err)
			}
		}
	}
}

// TestExtractIsAllOrNothing: a write failing on the second member (a full
// disk) leaves the target as it was: no member written, no directory
// created, existing files untouched, no temporary file left.
func TestExtractIsAllOrNothing(t *testing.T) {
	var buf bytes.Buffer
	ms := []Member{{Name: "a.provxml", Data: []byte("first")}, {Name: "sub/dir/b.provxml", Data: []byte("second")}, {Name: "z.provxml", Data: []byte("third")}}
	if err := Write(&buf, manifest.FormatCab, ms, epoch); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "p.cab")
	os.WriteFile(archive, buf.Bytes(), 0o644)
	for _, existing := range []bool{false, true} {
		parent := t.TempDir()
		dir := filepath.Join(parent, "x")
		if existing {
			os.MkdirAll(dir, 0o755)
			os.WriteFile(filepath.Join(dir, "z.provxml"), []byte("keep me"), 0o644)
		}
		before := testutil.Tree(t, parent)
		c := defaults
		c.wrap = func(name string, w io.Writer) io.Writer {
			if name == "b.provxml" {
				return testutil.FailAfter(w, 2)
			}
			return w
		}
		_, err := c.extract(context.Background(), archive, dir, true)
		if err == nil || !strings.Contains(err.Error(), "no space left") || !strings.Contains(err.Error(), archive) || !strings.Contains(err.Error(), "nothing was written") {
			t.Fatalf("existing=%v: want the write error naming the archive, got %v", existing, err)
		}
		testutil.SameTree(t, "after a failed extract", before, testutil.Tree(t, parent))
		if _, err := os.Stat(filepath.Join(dir, "sub")); err == nil {
			t.Errorf("existing=%v: the failed extract left the directory it created", existing)
		}
		if _, err := os.Stat(dir); (err == nil) != existing {
			t.Errorf("existing=%v: the output directory exists=%v after a failed extract", existing, err == nil)
		}
	}
}
