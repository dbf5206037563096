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

	"github.com/provpack/provpack/pkgbuild/verify"

	"github.com/provpack/provpack/internal/imagegen"
	"github.com/provpack/provpack/internal/testutil"
	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/archive"
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
func checkRefused(t *testing.T, out, path, what string, dirToo bool) {
	t.Helper()
	if _, err := verify.Inspect(context.Background(), path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("%s: inspect: want an error naming %s, got %v", what, path, err)
	}
	ps, err := verify.Verify(context.Background(), path, verify.Options{})
	if err != nil || len(ps) == 0 {
		t.Errorf("%s: verify of the archive: want problems, got %v %v", what, ps, err)
	}
	for _, p := range ps {
		if p.File != path {
			t.Errorf("%s: verify: problem not naming the archive: %v", what, p)
		}
	}
	if dirToo {
		ps, err = verify.Verify(context.Background(), out, verify.Options{})
		if err != nil || !slices.ContainsFunc(ps, func(p archive.Problem) bool { return p.File == path }) {
			t.Errorf("%s: verify of the output directory: want a problem naming the archive, got %v %v", what, ps, err)
		}
	}
	// One parent for every call (creating directories is slow on some
	// file systems); it must stay empty.
	parent := filepath.Join(filepath.Dir(out), "extract")
	os.Mkdir(parent, 0o755)
	defer os.RemoveAll(filepath.Join(parent, "x"))
	dest := filepath.Join(parent, "x")
	if _, err := archive.Extract(context.Background(), path, dest, true); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("%s: extract: want an error naming %s, got %v", what, path, err)
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
	pl, err := Load(context.Background(), m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if lock, _ := pl.NextLock(nil).Marshal(); len(lock) <= maxLock {
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

// TestFailedBuildRemovesCreatedDir: a build that fails into a directory
// it created removes that directory again.
func TestFailedBuildRemovesCreatedDir(t *testing.T) {
	parent := t.TempDir()
	pl, _ := Load(context.Background(), copyDemo(t), Options{})
	bo := BuildOptions{OutDir: filepath.Join(parent, "a", "b")}
	bo.hooks.wrap = func(name string, w io.Writer) io.Writer { return testutil.FailAfter(w, 10) }
	_, err := Build(context.Background(), pl, bo)
	if err == nil {
		t.Fatal("the build did not fail")
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("a failed build left %v", ents)
	}
}
