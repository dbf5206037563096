package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/provpack/provpack/internal/testutil"
	"github.com/provpack/provpack/manifest"
)

var formats = []manifest.Format{manifest.FormatCab, manifest.FormatTarZst}

// epoch is pkgbuild.DefaultEpoch, the time a build without
// SOURCE_DATE_EPOCH stamps on every member.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// seedDocs returns provisioning documents to seed fuzzing with: the demo
// fixtures and the shared corpus (when it is there).
func seedDocs(f *testing.F) [][]byte {
	var docs [][]byte
	for _, pattern := range []string{
		filepath.Join(testutil.Root(), "fixtures", "demo", "provxml", "*.provxml"),
		filepath.Join(testutil.Root(), "..", "shared", "corpus", "provxml", "*.provxml"),
		filepath.Join(testutil.Root(), "..", "shared", "corpus", "provxml", "broken", "*.provxml"),
	} {
		files, _ := filepath.Glob(pattern)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				docs = append(docs, b)
			}
		}
	}
	if len(docs) == 0 {
		f.Fatal("no seed documents found")
	}
	return docs
}

// fuzzMembers turns fuzz arguments into archive members: one per line of
// names, sharing content between them.
func fuzzMembers(names string, content []byte) []Member {
	list := strings.Split(names, "\n")
	if len(list) > 20 {
		list = list[:20]
	}
	ms := make([]Member, len(list))
	for i, n := range list {
		lo, hi := i*len(content)/len(list), (i+1)*len(content)/len(list)
		ms[i] = Member{Name: n, Data: content[lo:hi]}
	}
	return ms
}

// FuzzArchiveRoundTrip: for both formats, Write either refuses the
// members (exactly when their names are unsafe, by the same rules for
// both formats) or writes an archive that Read reads back to the
// same members, byte for byte, sorted by name (a cabinet stores '\' for
// '/'), and writing again gives the same bytes.
func FuzzArchiveRoundTrip(f *testing.F) {
	docs := seedDocs(f)
	for i, d := range docs {
		f.Add(fmt.Sprintf("mxipupdate_OEM_Base_%03d.provxml\npackage.xml", 100+i), d, uint8(i))
	}
	f.Add("a\nb/c\nd\\e", []byte("hello, world"), uint8(0))
	f.Add("same\nSAME", []byte("case"), uint8(1))
	f.Add("../evil\nok", []byte("dots"), uint8(2))
	f.Add("données/é.txt\n日本", bytes.Repeat([]byte("0123456789abcdef"), 5000), uint8(3))
	f.Add("a\na/b", []byte("file and directory"), uint8(4))
	f.Add("", []byte(nil), uint8(5))
	f.Fuzz(func(t *testing.T, names string, content []byte, mode uint8) {
		members := fuzzMembers(names, content)
		mod := epoch.Add(time.Duration(mode) * 24 * time.Hour)
		unsafe := len(nameProblems(members)) > 0
		for _, format := range formats {
			var buf bytes.Buffer
			err := Write(&buf, format, members, mod)
			if unsafe {
				if err == nil || !strings.Contains(err.Error(), "unsafe member names") {
					t.Fatalf("%s: names %q: want a refusal, got %v", format, names, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: safe names %q refused: %v", format, names, err)
			}
			data := buf.Bytes()
			var again bytes.Buffer
			if err := Write(&again, format, members, mod); err != nil || !bytes.Equal(data, again.Bytes()) {
				t.Fatalf("%s: a second write differs (err %v)", format, err)
			}
			got, ms, err := defaults.readArchive(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatalf("%s: reading back: %v", format, err)
			}
			if got != format {
				t.Fatalf("%s: read back as %s", format, got)
			}
			want := slices.Clone(members)
			if format == manifest.FormatCab {
				for i := range want {
					want[i].Name = strings.ReplaceAll(want[i].Name, "/", `\`)
				}
			}
			want = sortedMembers(want)
			if len(ms) != len(want) {
				t.Fatalf("%s: %d members back, wrote %d", format, len(ms), len(want))
			}
			for i := range want {
				if ms[i].Name != want[i].Name || !bytes.Equal(ms[i].Data, want[i].Data) {
					t.Fatalf("%s: member %d: got %q (%d bytes), want %q (%d bytes)", format, i, ms[i].Name, len(ms[i].Data), want[i].Name, len(want[i].Data))
				}
			}
		}
	})
}

// seedArchives returns archives to seed FuzzReadArchive: each demo
// fixture and a few corpus documents as a package of its own, with a
// package manifest of either layout, in both formats, and a few hostile
// ones.
func seedArchives(f *testing.F) [][]byte {
	var out [][]byte
	add := func(format manifest.Format, ms []Member) {
		var buf bytes.Buffer
		if err := Write(&buf, format, ms, epoch); err != nil {
			f.Fatal(err)
		}
		out = append(out, buf.Bytes())
	}
	demo, _ := filepath.Glob(filepath.Join(testutil.Root(), "fixtures", "demo", "provxml", "*.provxml"))
	if len(demo) == 0 {
		f.Fatal("no demo fixtures found")
	}
	for i, p := range demo {
		doc, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		ms := packageOf("OEM_Demo", manifest.Target([]string{"wm6", "w10m"}[i%2]), doc)
		for _, format := range formats {
			add(format, ms)
		}
	}
	for i, d := range seedDocs(f)[:4] {
		for _, format := range formats {
			add(format, []Member{{Name: fmt.Sprintf("mxipcold_X_%03d.provxml", i+1), Data: d}, {Name: "package.xml", Data: []byte("<package/>")}})
		}
	}
	return out
}

// packageOf returns the members of a one-file package pkg 1.0.0 holding
// doc as its update file, with its package manifest.
func packageOf(pkg string, target manifest.Target, doc []byte) []Member {
	name := FileName(manifest.ClassUpdate, pkg, 100)
	info := &PackageInfo{Name: pkg, GUID: "018eb3fa-0ed9-5af3-bb9a-0cc757739352", Version: "1.0.0", Owner: manifest.OwnerOEM, Target: string(target), Image: "demo",
		Files: []FileInfo{{Name: name, Class: manifest.ClassUpdate, Ordinal: 100, Size: int64(len(doc)), SHA256: SHA256Hex(doc)}}}
	if target == manifest.TargetW10M {
		info.Company = "Contoso"
	}
	ms, err := BuildMembers(context.Background(), info, []Member{{Name: name, Data: doc}}, BuildOptions{Epoch: epoch})
	if err != nil {
		panic(err)
	}
	return ms
}

// FuzzReadArchive: Inspect, Verify and Extract of any file never panic,
// every error names the file, and Extract writes nothing on error and
// nothing but the archive's members on success. Memory: each of them
// allocates at most in proportion to the input, plus the documented
// caps on what is held at once (a zstd window, the members kept whole),
// never in proportion to what the archive expands to (issue 20: 449 KB
// of cabinet took 978 MB). TotalAlloc counts every allocation, whatever
// GOMEMLIMIT or the collector do.
func FuzzReadArchive(f *testing.F) {
	for _, s := range seedArchives(f) {
		f.Add(s)
	}
	f.Add([]byte("MSCF"))
	f.Add([]byte{0x28, 0xB5, 0x2F, 0xFD})
	c := config{limits: limits{member: 1 << 20, total: 4 << 20}}
	work := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		archive := filepath.Join(work, "fuzz.cab")
		if err := os.WriteFile(archive, data, 0o644); err != nil {
			t.Fatal(err)
		}
		limit := uint64(2*maxZstdWindow + keepBudget + 4*c.limits.member + 2048*int64(len(data)))
		bounded := func(op string, fn func()) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			fn()
			runtime.ReadMemStats(&after)
			if n := after.TotalAlloc - before.TotalAlloc; n > limit {
				t.Fatalf("%s of %d bytes allocated %d bytes (limit %d)", op, len(data), n, limit)
			}
		}
		_, members, readErr := c.read(archive)
		if readErr != nil && !strings.HasPrefix(readErr.Error(), archive+": ") {
			t.Fatalf("error does not name the file: %v", readErr)
		}
		var err error
		bounded("inspect", func() { _, err = c.inspect(archive, func(string, []byte) {}) })
		if err != nil && !strings.Contains(err.Error(), archive) {
			t.Fatalf("inspect error does not name the file: %v", err)
		}
		var ps []Problem
		bounded("verify", func() { ps = c.verify(archive, nil, VerifyOptions{}) })
		for _, p := range ps {
			if p.File != archive {
				t.Fatalf("problem not about the archive: %v", p)
			}
		}
		if readErr != nil && len(ps) == 0 {
			t.Fatalf("verify found nothing wrong with an unreadable archive (%v)", readErr)
		}
		out := filepath.Join(work, "out")
		defer os.RemoveAll(out)
		var written []string
		bounded("extract", func() { written, err = c.extract(context.Background(), archive, out, false) })
		got := map[string]bool{}
		filepath.WalkDir(work, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && p != archive {
				got[p] = true
			}
			return err
		})
		if err != nil {
			if !strings.Contains(err.Error(), archive) {
				t.Fatalf("extract error does not name the file: %v", err)
			}
			if len(got) > 0 {
				t.Fatalf("failed extract wrote %v", got)
			}
			if _, serr := os.Lstat(out); serr == nil {
				t.Fatalf("failed extract created %s", out)
			}
			return
		}
		if readErr != nil {
			t.Fatalf("extract succeeded where reading failed: %v", readErr)
		}
		if len(written) != len(members) {
			t.Fatalf("extract returned %d paths for %d members", len(written), len(members))
		}
		for i, p := range written {
			if !got[p] {
				t.Fatalf("extract says it wrote %s, which is not there", p)
			}
			if b, _ := os.ReadFile(p); !bytes.Equal(b, members[i].Data) {
				t.Fatalf("%s does not hold member %q", p, members[i].Name)
			}
			delete(got, p)
		}
		if len(got) > 0 {
			t.Fatalf("extract wrote more than the members: %v", got)
		}
	})
}

// TestPooledZstdEncoder: a reused encoder writes exactly what a new one
// with the pinned options writes, whatever it wrote before.
func TestPooledZstdEncoder(t *testing.T) {
	docs := [][]byte{[]byte("hello"), bytes.Repeat([]byte("provisioning "), 50_000), nil}
	for _, d := range docs {
		ms := []Member{{Name: "a.provxml", Data: d}}
		var pooled bytes.Buffer
		for range 3 {
			pooled.Reset()
			if err := writeTarZst(&pooled, ms, epoch); err != nil {
				t.Fatal(err)
			}
		}
		var fresh bytes.Buffer
		zw, err := zstd.NewWriter(&fresh, zstdOptions...)
		if err != nil {
			t.Fatal(err)
		}
		tw := tar.NewWriter(zw)
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "a.provxml", Mode: 0o644, Size: int64(len(d)), ModTime: epoch, Format: tar.FormatPAX})
		tw.Write(d)
		tw.Close()
		zw.Close()
		if !bytes.Equal(pooled.Bytes(), fresh.Bytes()) {
			t.Errorf("%d-byte member: a pooled encoder wrote %d bytes, a new one %d", len(d), pooled.Len(), fresh.Len())
		}
	}
}
