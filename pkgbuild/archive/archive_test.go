package archive

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/provpack/provpack/internal/testutil"
	"github.com/provpack/provpack/manifest"
)

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
	if err := Write(&buf, manifest.FormatTarZst, ms, epoch); err != nil {
		t.Fatal(err)
	}
	orig := buf.Bytes()
	var missed []int
	for i := range orig {
		b := bytes.Clone(orig)
		b[i] ^= 0x01
		if _, got, err := defaults.readArchive(bytes.NewReader(b), int64(len(b))); err == nil {
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

// TestReadLimits: what a hostile archive's headers declare never makes
// provpack allocate beyond its limits: a cabinet whose blocks expand past
// the total is refused before anything is decompressed, a tar.zst member
// or total past the limits is refused before it is read.
func TestReadLimits(t *testing.T) {
	c := config{limits: limits{member: 1 << 20, total: 2 << 20}}
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
		if err := Write(&buf, tc.format, tc.ms, epoch); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.readArchive(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s of %d bytes: want %q, got %v", tc.format, buf.Len(), tc.want, err)
		}
	}
}

// TestTarZstReadToTheEnd: a tar.zst is read to the end of its zstd
// stream, past the tar end-of-archive marker, so that corruption or junk
// after it is not silently ignored, while the zero padding tar writes
// (records of 10 KiB) is accepted.
func TestTarZstReadToTheEnd(t *testing.T) {
	var buf bytes.Buffer
	ms := []Member{{Name: "package.xml", Data: []byte("<package/>")}}
	if err := Write(&buf, manifest.FormatTarZst, ms, epoch); err != nil {
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
		_, got, err := defaults.readArchive(bytes.NewReader(b), int64(len(b)))
		switch {
		case tc.want == "" && (err != nil || len(got) != 1):
			t.Errorf("%s: want the archive read, got %v", tc.what, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: want %q, got %v", tc.what, tc.want, err)
		}
	}
}
