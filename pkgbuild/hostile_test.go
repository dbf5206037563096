package pkgbuild

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/klauspost/compress/zstd"

	"github.com/provpack/provpack/internal/imagegen"
	"github.com/provpack/provpack/internal/testutil"
	"github.com/provpack/provpack/manifest"
)

// bigPackage builds a one-package image whose cabinet has several files
// and several CFDATA blocks, and returns the output directory and the
// archive's path.
func bigPackage(t *testing.T, format manifest.Format) (out, archive string) {
	t.Helper()
	dir := t.TempDir()
	m, err := imagegen.Generate(dir, imagegen.Options{Packages: 1, Files: 2, Size: 70_000})
	if err != nil {
		t.Fatal(err)
	}
	if format != manifest.FormatCab {
		data, _ := os.ReadFile(m)
		os.WriteFile(m, []byte(strings.Replace(string(data), "target: wm6\n", "target: wm6\nformat: "+string(format)+"\n", 1)), 0o644)
	}
	out = filepath.Join(dir, "out")
	rep := buildInto(t, m, out, BuildOptions{}, Options{})
	return out, filepath.Join(out, rep.Packages[0].Archive)
}

// boundary is an offset in a cabinet where one structure ends and the
// next begins.
type boundary struct {
	off  int
	what string
}

// cabBoundaries lists where every structure of cabinet b starts, and its
// end.
func cabBoundaries(t *testing.T, b []byte) []boundary {
	t.Helper()
	le := binary.LittleEndian
	bs := []boundary{{0, "CFHEADER"}, {36, "CFFOLDER table"}}
	coffFiles := int(le.Uint32(b[0x10:]))
	nfolders := int(le.Uint16(b[0x1A:]))
	nfiles := int(le.Uint16(b[0x1C:]))
	if le.Uint16(b[0x1E:]) != 0 {
		t.Fatal("cabinet has flags; the boundaries below assume none")
	}
	for i := 1; i < nfolders; i++ {
		bs = append(bs, boundary{36 + 8*i, fmt.Sprintf("CFFOLDER %d", i)})
	}
	off := coffFiles
	for i := range nfiles {
		bs = append(bs, boundary{off, fmt.Sprintf("CFFILE %d", i)})
		name := bytes.IndexByte(b[off+16:], 0)
		bs = append(bs, boundary{off + 16, fmt.Sprintf("name of CFFILE %d", i)})
		off += 16 + name + 1
	}
	for f := range nfolders {
		at := int(le.Uint32(b[36+8*f:]))
		for k := range int(le.Uint16(b[36+8*f+4:])) {
			bs = append(bs, boundary{at, fmt.Sprintf("CFDATA %d of folder %d", k, f)}, boundary{at + 8, fmt.Sprintf("payload of CFDATA %d of folder %d", k, f)})
			at += 8 + int(le.Uint16(b[at+4:]))
		}
	}
	bs = append(bs, boundary{len(b), "end"})
	return bs
}

// checkRefused runs inspect, verify (of the archive and of its output
// directory) and extract on a broken archive: each must fail naming the
// archive, and extract must write nothing.
func checkRefused(t *testing.T, out, archive, what string, dirToo bool) {
	t.Helper()
	if _, err := Inspect(archive); err == nil || !strings.Contains(err.Error(), archive) {
		t.Errorf("%s: inspect: want an error naming %s, got %v", what, archive, err)
	}
	ps, err := Verify(archive)
	if err != nil || len(ps) == 0 {
		t.Errorf("%s: verify of the archive: want problems, got %v %v", what, ps, err)
	}
	for _, p := range ps {
		if p.File != archive {
			t.Errorf("%s: verify: problem not naming the archive: %v", what, p)
		}
	}
	if dirToo {
		ps, err = Verify(out)
		if err != nil || !slices.ContainsFunc(ps, func(p Problem) bool { return p.File == archive }) {
			t.Errorf("%s: verify of the output directory: want a problem naming the archive, got %v %v", what, ps, err)
		}
	}
	// One parent for every call (creating directories is slow on some
	// file systems); it must stay empty.
	parent := filepath.Join(filepath.Dir(out), "extract")
	os.Mkdir(parent, 0o755)
	defer os.RemoveAll(filepath.Join(parent, "x"))
	dest := filepath.Join(parent, "x")
	if _, err := Extract(archive, dest, true); err == nil || !strings.Contains(err.Error(), archive) {
		t.Errorf("%s: extract: want an error naming %s, got %v", what, archive, err)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("%s: extract wrote %v", what, ents)
	}
}

// TestTruncatedArchives cuts a real cabinet at every structure boundary
// (header, folder, file, name, data block header and payload) and at a few
// offsets inside each structure, and a tar.zst at every byte near its
// ends and every 37th in between: inspect,
// verify and extract each fail naming the file, never panic and never
// write.
func TestTruncatedArchives(t *testing.T) {
	if testing.Short() {
		t.Skip("exhaustive; runs without -short")
	}
	out, archive := bigPackage(t, manifest.FormatCab)
	orig, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	bs := cabBoundaries(t, orig)
	blocks := 0
	for _, b := range bs {
		if strings.HasPrefix(b.what, "CFDATA") {
			blocks++
		}
	}
	if blocks < 3 {
		t.Fatalf("the test cabinet has %d data blocks; want several", blocks)
	}
	cuts := map[int]string{}
	for i, b := range bs {
		cuts[b.off] = "at the start of " + b.what
		if i+1 < len(bs) {
			next := bs[i+1].off
			for _, k := range []int{b.off + 1, (b.off + next) / 2, next - 1} {
				if k > b.off && k < next {
					if _, ok := cuts[k]; !ok {
						cuts[k] = fmt.Sprintf("%d bytes into %s", k-b.off, b.what)
					}
				}
			}
		}
	}
	delete(cuts, len(orig))
	for _, n := range slices.Sorted(func(yield func(int) bool) {
		for k := range cuts {
			if !yield(k) {
				return
			}
		}
	}) {
		os.WriteFile(archive, orig[:n], 0o644)
		checkRefused(t, out, archive, fmt.Sprintf("cut to %d bytes (%s)", n, cuts[n]), strings.HasPrefix(cuts[n], "at the start"))
	}
	t.Logf("%d cuts over %d boundaries of a %d-byte cabinet", len(cuts), len(bs), len(orig))

	out, archive = bigPackage(t, manifest.FormatTarZst)
	orig, _ = os.ReadFile(archive)
	// Every byte near the ends (frame header, the tar end marker and the
	// checksum), every 37th in between.
	for n := 0; n < len(orig); n++ {
		if n > 512 && n < len(orig)-512 && n%37 != 0 {
			continue
		}
		os.WriteFile(archive, orig[:n], 0o644)
		checkRefused(t, out, archive, fmt.Sprintf("tar.zst cut to %d of %d bytes", n, len(orig)), n%111 == 0)
	}
}

// TestVerifyCatchesEveryByteFlipTarZst: flipping any byte of a tar.zst
// makes verify of the lone archive fail: the zstd frame checksum covers
// the tar stream, which is read to the end of the frame.
func TestVerifyCatchesEveryByteFlipTarZst(t *testing.T) {
	if testing.Short() {
		t.Skip("exhaustive; runs without -short")
	}
	var buf bytes.Buffer
	doc, _ := os.ReadFile(filepath.Join(testutil.Root(), "fixtures", "demo", "provxml", "oem-base-registry.provxml"))
	ms := []Member{{Name: "mxipupdate_P_100.provxml", Data: doc}, {Name: "package.xml", Data: []byte("<package/>")}}
	if err := writeArchive(&buf, manifest.FormatTarZst, ms, DefaultEpoch); err != nil {
		t.Fatal(err)
	}
	orig := buf.Bytes()
	var missed []int
	for i := range orig {
		b := bytes.Clone(orig)
		b[i] ^= 0x01
		if _, got, err := readArchive(bytes.NewReader(b), int64(len(b))); err == nil {
			// A flip that leaves every member intact (a frame header bit
			// that changes nothing, say) is harmless.
			if !slices.EqualFunc(got, ms, func(a, b Member) bool { return a.Name == b.Name && bytes.Equal(a.Data, b.Data) }) {
				missed = append(missed, i)
			}
		}
	}
	if len(missed) > 0 {
		t.Errorf("flipping bytes %v of %d changed members without an error", missed, len(orig))
	}
}

// TestExtractRefusesMoreHostileNames: names that land on the same file or
// on a file and a directory at once, "." and empty segments; verify names
// each, extract writes nothing, and writeArchive refuses to write such an
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
			_, err := Extract(archive, filepath.Join(parent, "x"), true)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "nothing was written") {
				t.Errorf("%s %q: extract: want %q, got %v", filepath.Base(archive), tc.names, tc.want, err)
			}
			if ents, _ := os.ReadDir(parent); len(ents) != 0 {
				t.Errorf("%s %q: extract wrote %v", filepath.Base(archive), tc.names, ents)
			}
			ps, _ := Verify(archive)
			if !slices.ContainsFunc(ps, func(p Problem) bool { return strings.Contains(p.Msg, tc.want) }) {
				t.Errorf("%s %q: verify: want %q among %v", filepath.Base(archive), tc.names, tc.want, ps)
			}
		}
		var ms []Member
		for _, n := range tc.names {
			ms = append(ms, Member{Name: n, Data: []byte("x")})
		}
		for _, f := range formats {
			if err := writeArchive(io.Discard, f, ms, DefaultEpoch); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("writeArchive %s %q: want a refusal saying %q, got %v", f, tc.names, tc.want, err)
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
	if err := writeArchive(&buf, manifest.FormatCab, ms, DefaultEpoch); err != nil {
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
		before := tree(t, parent)
		_, err := extract(archive, dir, true, func(name string, w io.Writer) io.Writer {
			if name == "b.provxml" {
				return &failingWriter{w: w, n: 2}
			}
			return w
		})
		if err == nil || !strings.Contains(err.Error(), "no space left") || !strings.Contains(err.Error(), archive) || !strings.Contains(err.Error(), "nothing was written") {
			t.Fatalf("existing=%v: want the write error naming the archive, got %v", existing, err)
		}
		sameTree(t, "after a failed extract", before, tree(t, parent))
		if _, err := os.Stat(filepath.Join(dir, "sub")); err == nil {
			t.Errorf("existing=%v: the failed extract left the directory it created", existing)
		}
		if _, err := os.Stat(dir); (err == nil) != existing {
			t.Errorf("existing=%v: the output directory exists=%v after a failed extract", existing, err == nil)
		}
	}
}

// TestReadLimits: what a hostile archive's headers declare never makes
// provpack allocate beyond its limits: a cabinet whose blocks expand past
// the total is refused before anything is decompressed, a tar.zst member
// or total past the limits is refused before it is read.
func TestReadLimits(t *testing.T) {
	saved := readLimits
	defer func() { readLimits = saved }()
	readLimits.member, readLimits.total = 1<<20, 2<<20
	zeros := make([]byte, 3<<20) // compresses to almost nothing
	for _, tc := range []struct {
		format manifest.Format
		ms     []Member
		want   string
	}{
		{manifest.FormatCab, []Member{{Name: "a", Data: zeros}}, "cab: data expands to 3145728 bytes, more than provpack reads (2097152)"},
		{manifest.FormatCab, []Member{{Name: "a", Data: zeros[:1<<20+1]}}, `cab: member "a": 1048577 bytes is larger than a package member may be (1048576)`},
		{manifest.FormatTarZst, []Member{{Name: "a", Data: zeros[:1<<20+1]}}, `tar.zst: member "a": 1048577 bytes is larger than a package member may be (1048576)`},
		{manifest.FormatTarZst, []Member{{Name: "a", Data: zeros[:1<<20]}, {Name: "b", Data: zeros[:1<<20]}, {Name: "c", Data: zeros[:10]}}, "tar.zst: members add up to more than provpack reads (2097152 bytes)"},
	} {
		var buf bytes.Buffer
		if err := writeArchive(&buf, tc.format, tc.ms, DefaultEpoch); err != nil {
			t.Fatal(err)
		}
		if _, _, err := readArchive(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s of %d bytes: want %q, got %v", tc.format, buf.Len(), tc.want, err)
		}
	}
}

// TestReleaseLockTooBigIsRefused: a release whose lock would be larger
// than provpack reads back is refused before anything is written (it
// would otherwise make every later plan fail).
func TestReleaseLockTooBigIsRefused(t *testing.T) {
	dir := t.TempDir()
	const maxLock = 1 << 20
	m, err := imagegen.Generate(dir, imagegen.Options{Packages: 10, Files: 4, Size: 20_000})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := Load(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if lock, _ := pl.NextLock().Marshal(); len(lock) <= maxLock {
		t.Fatalf("the lock is only %d bytes; make the image bigger", len(lock))
	}
	out := filepath.Join(dir, "out")
	bo := BuildOptions{OutDir: out, Release: true}
	bo.hooks.maxLock = maxLock
	_, err = Build(context.Background(), pl, bo)
	if err == nil || !strings.Contains(err.Error(), "more than the 1 MiB provpack reads back") {
		t.Fatalf("want a refusal, got %v", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused release left %s", out)
	}
	if _, err := os.Stat(pl.LockPath); !errors.Is(err, os.ErrNotExist) {
		t.Error("the refused release wrote the lock")
	}
}

// TestTarZstReadToTheEnd: a tar.zst is read to the end of its zstd
// stream, past the tar end-of-archive marker, so that corruption or junk
// after it is not silently ignored, while the zero padding tar writes
// (records of 10 KiB) is accepted.
func TestTarZstReadToTheEnd(t *testing.T) {
	var buf bytes.Buffer
	ms := []Member{{Name: "package.xml", Data: []byte("<package/>")}}
	if err := writeArchive(&buf, manifest.FormatTarZst, ms, DefaultEpoch); err != nil {
		t.Fatal(err)
	}
	frame := func(data []byte) []byte {
		var b bytes.Buffer
		zw, _ := zstd.NewWriter(&b, zstd.WithEncoderCRC(true))
		zw.Write(data)
		zw.Close()
		return b.Bytes()
	}
	badCRC := frame(make([]byte, 100))
	badCRC[len(badCRC)-1] ^= 0xFF
	for _, tc := range []struct {
		what  string
		after []byte
		want  string // "" when the archive must read
	}{
		{"tar padding in a second frame", frame(make([]byte, 9*1024)), ""},
		{"junk after the frame", []byte("junk after the archive"), "tar.zst: reading the archive: "},
		{"a second frame with a bad checksum", badCRC, "tar.zst: reading the archive: "},
		{"2 MiB after the end of the tar archive", frame(make([]byte, 2<<20)), "tar.zst: more than 1048576 bytes follow the end of the tar archive"},
	} {
		b := append(bytes.Clone(buf.Bytes()), tc.after...)
		_, got, err := readArchive(bytes.NewReader(b), int64(len(b)))
		switch {
		case tc.want == "" && (err != nil || len(got) != 1):
			t.Errorf("%s: want the archive read, got %v", tc.what, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: want %q, got %v", tc.what, tc.want, err)
		}
	}
}

// TestFailedBuildRemovesCreatedDir: a build that fails into a directory
// it created removes that directory again.
func TestFailedBuildRemovesCreatedDir(t *testing.T) {
	parent := t.TempDir()
	pl, _ := Load(copyDemo(t), Options{})
	bo := BuildOptions{OutDir: filepath.Join(parent, "a", "b")}
	bo.hooks.wrap = func(name string, w io.Writer) io.Writer { return &failingWriter{w: w, n: 10} }
	_, err := Build(context.Background(), pl, bo)
	if err == nil {
		t.Fatal("the build did not fail")
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("a failed build left %v", ents)
	}
}
