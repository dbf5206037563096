package cab

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// hiddenTable builds the libmspack hidden-files case from a cabinet of
// Write's: the file record of normal.txt right after the folder table,
// and coffFiles pointing at a second record, hidden.txt, behind it. Both
// claim the same bytes of the one folder.
func hiddenTable(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, []File{{Name: "normal.txt", Data: []byte("what Windows installs\n")}}, WriteOptions{ModTime: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	good := b.Bytes()
	coffFiles := int(le.Uint32(good[0x10:]))
	dataAt := int(le.Uint32(good[headerSize:]))
	record := good[coffFiles:dataAt] // the one CFFILE record and its name
	hidden := slices.Clone(record)
	copy(hidden[fileSize:], "hidden.txt")
	out := slices.Clone(good[:dataAt])
	out = append(out, hidden...)
	out = append(out, good[dataAt:]...)
	le.PutUint32(out[0x08:], uint32(len(out)))              // cbCabinet
	le.PutUint32(out[0x10:], uint32(coffFiles+len(record))) // coffFiles: the second record
	le.PutUint32(out[headerSize:], uint32(dataAt+len(hidden)))
	return out
}

func TestAmbiguousFileTable(t *testing.T) {
	data := hiddenTable(t)
	_, err := Read(bytes.NewReader(data), int64(len(data)))
	if !errors.Is(err, ErrAmbiguous) {
		t.Fatalf("Read: %v; want ErrAmbiguous", err)
	}
	want := "cab: ambiguous cabinet, refused: the file table is at 0x47 by coffFiles, but the folder table ends at 0x2c, where Windows' cabinet code and cabextract read it; 7-Zip and bsdtar read the one at coffFiles, so readers list different members (27 bytes between them)"
	if err.Error() != want {
		t.Errorf("Read:\n got %s\nwant %s", err, want)
	}

	// The readers the message names do disagree on this cabinet.
	dir := t.TempDir()
	path := filepath.Join(dir, "hidden.cab")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("cabextract", func(t *testing.T) {
		requireTool(t, "cabextract", "cabextract")
		out := runTool(t, dir, "cabextract", "-l", path)
		if !strings.Contains(out, "normal.txt") || strings.Contains(out, "hidden.txt") {
			t.Errorf("cabextract -l lists:\n%s\nwant normal.txt, the record after the folder table", out)
		}
	})
	t.Run("bsdtar", func(t *testing.T) {
		requireTool(t, "bsdtar", "libarchive-tools")
		out := runTool(t, dir, "bsdtar", "-tf", path)
		if strings.TrimSpace(out) != "hidden.txt" {
			t.Errorf("bsdtar -tf lists:\n%s\nwant hidden.txt, the record at coffFiles", out)
		}
	})
}

// TestHiddenFilesCab checks libmspack's own case: refused, while
// cabextract lists the records after the folder table.
func TestHiddenFilesCab(t *testing.T) {
	path := filepath.Join(realworldCabs(t), "libmspack_hidden-files.cab")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Read(bytes.NewReader(data), int64(len(data))); !errors.Is(err, ErrAmbiguous) {
		t.Fatalf("Read: %v; want ErrAmbiguous", err)
	}
	requireTool(t, "cabextract", "cabextract")
	out := runTool(t, filepath.Dir(path), "cabextract", "-l", path)
	if !strings.Contains(out, "normal1.txt") || !strings.Contains(out, "normal2.txt") || strings.Contains(out, "hidden1") {
		t.Errorf("cabextract -l lists:\n%s", out)
	}
}
