package cab

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/provpack/provpack/internal/testutil"
)

// TestOverlappingFilesRefused guards issue 20's first case: a 117 KB
// cabinet whose 100 file entries all cover one 64 MiB folder made
// inspect hand out 6.4 GiB of members (6.7 GB and 17 s). Files of a
// folder may not share a byte: Read refuses the cabinet before anything
// is decompressed, whether the entries repeat or merely overlap, while
// adjacent files and empty files anywhere are fine.
func TestOverlappingFilesRefused(t *testing.T) {
	const mib = 1 << 20
	var hundred []testutil.CabEntry
	for i := range 100 {
		hundred = append(hundred, testutil.CabEntry{Name: fmt.Sprintf("m%03d", i), Size: 64 * mib})
	}
	for _, tc := range []struct {
		what    string
		blocks  int
		entries []testutil.CabEntry
		want    string // "" when the cabinet must read
	}{
		{"100 files over one 64 MiB folder", 2048, hundred,
			`cab: files "m000" (67108864 bytes at offset 0) and "m001" (67108864 bytes at offset 0) overlap in folder 0; a file's data may belong to one file only`},
		{"one byte shared", 4, []testutil.CabEntry{{Name: "a", Size: 65537}, {Name: "b", Offset: 65536, Size: 10}}, `files "a" (65537 bytes at offset 0) and "b" (10 bytes at offset 65536) overlap`},
		{"inside another, listed first", 4, []testutil.CabEntry{{Name: "b", Offset: 10, Size: 10}, {Name: "a", Size: 100}}, `files "a" (100 bytes at offset 0) and "b" (10 bytes at offset 10) overlap`},
		{"adjacent, out of table order", 4, []testutil.CabEntry{{Name: "b", Offset: 100, Size: 50}, {Name: "a", Size: 100}}, ""},
		{"empty files anywhere", 4, []testutil.CabEntry{{Name: "a", Size: 100}, {Name: "e", Offset: 50}, {Name: "f", Offset: 50}, {Name: "g", Offset: 4 * 32768}}, ""},
	} {
		data := testutil.ZeroCab(tc.blocks, tc.entries)
		c, err := Read(bytes.NewReader(data), int64(len(data)))
		if tc.want != "" {
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: want %q, got %v", tc.what, tc.want, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.what, err)
			continue
		}
		got := map[string]int64{}
		err = c.Extract(func(e Entry, r io.Reader) error {
			n, err := io.Copy(io.Discard, r)
			got[e.Name] = n
			return err
		})
		if err != nil || len(got) != len(tc.entries) {
			t.Errorf("%s: Extract: %v, %v", tc.what, err, got)
		}
		for _, e := range tc.entries {
			if got[e.Name] != int64(e.Size) {
				t.Errorf("%s: %s: %d bytes handed out, size %d", tc.what, e.Name, got[e.Name], e.Size)
			}
		}
	}
}

// TestExtractStreams guards issue 20's fifth case: a 449 KB cabinet of
// one 256 MiB folder took 978 MB, because Extract held the folder whole.
// It streams now: allocation stays a few hundred KiB, whatever the
// folder's size, and a callback that reads nothing still gets every
// block checked.
func TestExtractStreams(t *testing.T) {
	blocks := 8192 // 256 MiB, 480 KB of cabinet
	if testing.Short() {
		blocks = 512
	}
	size := uint32(blocks) << 15
	data := testutil.ZeroCab(blocks, []testutil.CabEntry{{Name: "a", Size: size / 4}, {Name: "b", Offset: size / 4, Size: size / 2}, {Name: "c", Offset: 3 * size / 4, Size: size / 4}})
	start := time.Now()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	err = c.Extract(func(e Entry, r io.Reader) error {
		if e.Name == "b" {
			return nil // left unread: Extract reads and checks it
		}
		n, err := io.Copy(io.Discard, r)
		total += n
		return err
	})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if total != int64(size/2) {
		t.Errorf("read %d bytes, want %d", total, size/2)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d-byte cabinet, %d MiB folder: allocated %d KiB in %v", len(data), size>>20, alloc>>10, time.Since(start))
	if alloc > 1<<20 {
		t.Errorf("allocated %d bytes to stream a %d-byte folder", alloc, size)
	}

	// A bad block after the last byte anyone reads is still found.
	bad := bytes.Clone(data)
	bad[len(bad)-1] ^= 0xFF
	c, err = Read(bytes.NewReader(bad), int64(len(bad)))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Extract(func(Entry, io.Reader) error { return nil })
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("data block %d of folder 0", blocks-1)) {
		t.Errorf("a corrupt last block: got %v", err)
	}
}

// TestExtractReadErrorWins: when a callback sees bad data and returns its
// own error, Extract returns the cabinet's error, which says where.
func TestExtractReadErrorWins(t *testing.T) {
	data := testutil.ZeroCab(4, []testutil.CabEntry{{Name: "a", Size: 4 << 15}})
	data[len(data)-1] ^= 0xFF
	c, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Extract(func(_ Entry, r io.Reader) error {
		_, err := io.Copy(io.Discard, r)
		return fmt.Errorf("hashing: %w", err)
	})
	if err == nil || !strings.HasPrefix(err.Error(), "cab: data block 3 of folder 0") {
		t.Errorf("got %v", err)
	}
}

// TestUnread: bytes that belong to no structure are counted, so that
// verify, which vouches for a whole file, can refuse them; Write leaves
// none.
func TestUnread(t *testing.T) {
	data := mustWrite(t, []File{{Name: "a", Data: []byte("hello")}}, WriteOptions{})
	c, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil || c.Unread != 0 {
		t.Fatalf("Write's cabinet: %v, %d bytes unread", err, c.Unread)
	}
	padded := append(bytes.Clone(data), "hidden"...)
	le.PutUint32(padded[8:], uint32(len(padded)))
	c, err = Read(bytes.NewReader(padded), int64(len(padded)))
	if err != nil || c.Unread != 6 {
		t.Fatalf("6 bytes after the data: %v, %d bytes unread", err, c.Unread)
	}
}
