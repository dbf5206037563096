package archive

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/provpack/provpack/internal/testutil"
	"github.com/provpack/provpack/manifest"
)

// measure runs fn and returns what it allocated (TotalAlloc counts every
// allocation, whatever GOMEMLIMIT or the collector do) and how long it
// took.
func measure(fn func()) (uint64, time.Duration) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	fn()
	d := time.Since(start)
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, d
}

// hostileCase is a small archive that expands to much, and what inspect,
// verify and extract may spend on it.
type hostileCase struct {
	what  string
	data  []byte
	alloc uint64 // bytes each operation may allocate
	// refused is what every operation must say, or "" when the archive
	// reads (verify then finds problems, extract writes its members).
	refused string
}

func hostileCases(t *testing.T) []hostileCase {
	t.Helper()
	var hundred, four []testutil.CabEntry
	for i := range 100 {
		hundred = append(hundred, testutil.CabEntry{Name: fmt.Sprintf("m%03d", i), Size: 64 << 20})
	}
	for i := range 4 {
		four = append(four, testutil.CabEntry{Name: fmt.Sprintf("m%03d", i), Offset: uint32(i) << 26, Size: 64 << 20})
	}
	return []hostileCase{
		// Issue 20, case 1: 117 KB, 100 entries over one 64 MiB folder;
		// inspect took 6.7 GB and 17 s, extract wrote 1 GiB from 16.
		{what: "100 cabinet entries over one 64 MiB folder", data: testutil.ZeroCab(2048, hundred), alloc: 4 << 20,
			refused: `cab: files "m000" (67108864 bytes at offset 0) and "m001" (67108864 bytes at offset 0) overlap in folder 0`},
		// Issue 20, case 5: 449 KB, one 256 MiB folder; 978 MB.
		{what: "a cabinet of one 256 MiB folder", data: testutil.ZeroCab(8192, four), alloc: 4 << 20},
		// Issue 20, case 5: 8.5 KB tar.zst of 4 × 64 MiB; 281 MB. The
		// zstd decoder may keep a window of up to maxZstdWindow.
		{what: "a tar.zst of 4 × 64 MiB", data: testutil.ZeroTarZst([]string{"a", "b", "c", "d"}, 64<<20), alloc: 2*maxZstdWindow + 16<<20},
	}
}

// TestHostileArchivesBounded: archives under 1 MB that expand to
// gigabytes are refused or streamed: inspect, verify and extract each
// allocate a few MiB (the zstd window aside), never the gigabytes the
// issue measured. How long they take is logged, not asserted (a loaded
// machine under -race is many times slower); a hang is caught by the test
// binary's timeout.
func TestHostileArchivesBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("decompresses 256 MiB several times; runs without -short")
	}
	dir := t.TempDir()
	for i, tc := range hostileCases(t) {
		path := filepath.Join(dir, fmt.Sprintf("hostile%d", i))
		if err := os.WriteFile(path, tc.data, 0o644); err != nil {
			t.Fatal(err)
		}
		check := func(op string, err error, alloc uint64, took time.Duration) {
			t.Logf("%s (%d bytes): %s allocated %d KiB in %v", tc.what, len(tc.data), op, alloc>>10, took.Round(time.Millisecond))
			if alloc > tc.alloc {
				t.Errorf("%s: %s allocated %d bytes, more than %d", tc.what, op, alloc, tc.alloc)
			}
			switch {
			case tc.refused != "" && (err == nil || !strings.Contains(err.Error(), tc.refused)):
				t.Errorf("%s: %s: want %q, got %v", tc.what, op, tc.refused, err)
			case tc.refused == "" && op != "verify" && err != nil:
				t.Errorf("%s: %s: %v", tc.what, op, err)
			}
		}
		var in *Inspection
		var err error
		alloc, took := measure(func() { in, err = defaults.inspect(path, nil) })
		check("inspect", err, alloc, took)
		if err == nil && len(in.Members) != 4 {
			t.Errorf("%s: inspect lists %d members", tc.what, len(in.Members))
		}
		var ps []Problem
		alloc, took = measure(func() { ps = defaults.verify(path, nil, VerifyOptions{}) })
		err = nil
		if len(ps) > 0 {
			err = fmt.Errorf("%v", ps)
		}
		check("verify", err, alloc, took)
		if len(ps) == 0 {
			t.Errorf("%s: verify found nothing wrong", tc.what)
		}
		out := filepath.Join(dir, "out")
		alloc, took = measure(func() { _, err = defaults.extract(context.Background(), path, out, false) })
		check("extract", err, alloc, took)
		if tc.refused != "" {
			if _, serr := os.Lstat(out); serr == nil {
				t.Errorf("%s: a refused extract created %s", tc.what, out)
			}
		}
		os.RemoveAll(out)
	}
}

// TestVerifyListedManyTimes guards issue 20's third case: a 30 KB
// cabinet whose package manifest lists a 1 MB member 1,000 times made
// verify lint it 1,000 times (14 s). Each member is checked once, and
// the repetition is a problem of its own.
func TestVerifyListedManyTimes(t *testing.T) {
	var doc strings.Builder
	doc.WriteString("<wap-provisioningdoc>\n  <characteristic type=\"Registry\">\n")
	for i := 0; doc.Len() < 1<<20; i++ {
		fmt.Fprintf(&doc, "    <characteristic type=\"HKLM\\Software\\Contoso\\K%d\">\n      <parm name=\"V\" value=\"%d\" datatype=\"integer\"/>\n    </characteristic>\n", i, i)
	}
	doc.WriteString("  </characteristic>\n</wap-provisioningdoc>\n")
	data := []byte(doc.String())
	name := FileName(manifest.ClassUpdate, "P", 100)
	info := &PackageInfo{Name: "P", GUID: "018eb3fa-0ed9-5af3-bb9a-0cc757739352", Version: "1.0.0", Owner: manifest.OwnerOEM, Target: "wm6", Image: "x"}
	for range 1000 {
		info.Files = append(info.Files, FileInfo{Name: name, Class: manifest.ClassUpdate, Ordinal: 100, Size: int64(len(data)), SHA256: SHA256Hex(data)})
	}
	mn, md, err := MarshalManifest(info)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, manifest.FormatCab, []Member{{Name: name, Data: data}, {Name: mn, Data: md}}, epoch); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "P-1.0.0.cab")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var ps []Problem
	_, took := measure(func() { ps = Verify(path, nil, VerifyOptions{}) })
	t.Logf("%d-byte cabinet listing a %d-byte member 1,000 times: verify took %v", buf.Len(), len(data), took)
	want := []Problem{{File: path, Msg: name + " is listed 1000 times in the package manifest"}}
	if fmt.Sprint(ps) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", ps, want)
	}
	if took > 5*time.Second {
		t.Errorf("verify took %v; one lint of 1 MB takes a fraction of a second", took)
	}
}

// TestVerifyReadsEveryByte guards issue 20's "verify reads all of every
// file it vouches for": bytes of a cabinet outside every checked
// structure (here after the last data block, with cbCabinet grown to
// match) would pass unseen, so the archive is refused.
func TestVerifyReadsEveryByte(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, manifest.FormatCab, packageOf("P", manifest.TargetWM6, []byte("<wap-provisioningdoc/>\n")), epoch); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "P-1.0.0.cab")
	os.WriteFile(path, buf.Bytes(), 0o644)
	if ps := Verify(path, nil, VerifyOptions{}); len(ps) != 0 {
		t.Fatalf("the archive as written: %v", ps)
	}
	padded := append(bytes.Clone(buf.Bytes()), "hidden"...)
	binary.LittleEndian.PutUint32(padded[8:], uint32(len(padded))) // cbCabinet
	os.WriteFile(path, padded, 0o644)
	want := "cab: 6 bytes after the last data block, within cbCabinet, belong to no structure of the cabinet (padding or hidden data); a package archive has none"
	if ps := Verify(path, nil, VerifyOptions{}); len(ps) != 1 || ps[0].Msg != want {
		t.Errorf("got %v, want %q", ps, want)
	}
}
