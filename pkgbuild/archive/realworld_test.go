package archive

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/provpack/provpack/internal/testutil"
	"github.com/provpack/provpack/pkgbuild/cab"
)

// realworldRefusals are the cabinets of ../shared/realworld/cab that
// provpack must refuse, with a part of the message that says why.
var realworldRefusals = map[string]string{
	// The file table at coffFiles is not the one after the folder table.
	"libmspack_hidden-files.cab":                      "ambiguous cabinet, refused: the file table is at 0x64 by coffFiles, but the folder table ends at 0x2c, where Windows' cabinet code and cabextract read it",
	"libmspack_mszip_lzx_qtm.cab":                     "unsupported compression 0x1222 (Quantum)",
	"libmspack_qtm-max-size-block.cab":                "unsupported compression 0x1572 (Quantum)",
	"libmspack_multi_basic_pt1.cab":                   "multi-cabinet set",
	"libmspack_multi_basic_pt2.cab":                   "multi-cabinet set",
	"libmspack_split-1.cab":                           "multi-cabinet set",
	"libmspack_split-2.cab":                           "multi-cabinet set",
	"libmspack_partial_nodata.cab":                    "header says the cabinet is 253 bytes (cbCabinet), the input is only 94 bytes: the file is truncated",
	"libmspack_cve-2010-2800-mszip-infinite-loop.cab": "MSZIP block decompresses to 1 bytes, header says 16",
	"libmspack_cve-2015-4471-lzx-under-read.cab":      "must be 0",
	"libmspack_cve-2014-9732-folders-segfault.cab":    "unsupported compression",
}

// realworldReads are the cabinets provpack must read, with cabextract's
// bytes.
var realworldReads = []string{
	"libmspack_normal_255c_filename.cab", // a 255-byte member name
	"libmspack_normal_2files_2folders.cab",
	"libmspack_reserve_-F-.cab",
	"libmspack_reserve_HFD.cab",
	"libmspack_large-files-cab.cab",
	// An empty CFDATA header of zeros after the tables, at the offset
	// of a folder that counts no blocks (its members are all empty):
	// read by no reader, so it cannot change what is extracted.
	"libmspack_case-utf8.cab",
	"libmspack_utf8-stresstest.cab", // names extract refuses; inspect reads it
}

// TestRealworldCabinets runs every cabinet of libmspack's test suite (and
// the other real cabinets in ../shared/realworld/cab) through inspect,
// verify and extract. None may panic or hang; each either reads, with
// exactly the bytes cabextract extracts, or is refused with a message
// naming the cabinet and the reason, and extract then writes nothing.
func TestRealworldCabinets(t *testing.T) {
	dir := filepath.Join(testutil.Root(), "..", "shared", "realworld", "cab")
	paths, _ := filepath.Glob(filepath.Join(dir, "*.cab"))
	if len(paths) == 0 {
		if testutil.Required() {
			t.Fatalf("no cabinets in %s (PROVPACK_REQUIRE_TOOLS=1)", dir)
		}
		t.Skipf("no cabinets in %s; they sit beside the project in ../shared", dir)
	}
	seen := map[string]bool{}
	for _, path := range paths {
		name := filepath.Base(path)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			var inspectErr error
			within(t, "inspect", func() { _, inspectErr = Inspect(path, func(string, []byte) {}) })
			var problems []Problem
			within(t, "verify", func() { problems = Verify(path, nil, VerifyOptions{}) })
			out := filepath.Join(t.TempDir(), "out")
			var extractErr error
			within(t, "extract", func() { _, extractErr = Extract(context.Background(), path, out, false) })

			want, refuse := realworldRefusals[name]
			mustRead := false
			for _, r := range realworldReads {
				mustRead = mustRead || r == name
			}
			if inspectErr != nil {
				msg := inspectErr.Error()
				if mustRead {
					t.Fatalf("inspect: %v; this cabinet must read", inspectErr)
				}
				if refuse && !strings.Contains(msg, want) {
					t.Errorf("inspect: %q; want it to say %q", msg, want)
				}
				if !strings.HasPrefix(msg, path+": ") {
					t.Errorf("inspect: %q does not name the cabinet", msg)
				}
				if name == "libmspack_hidden-files.cab" && !errors.Is(inspectErr, cab.ErrAmbiguous) {
					t.Errorf("inspect: %v is not cab.ErrAmbiguous", inspectErr)
				}
				if extractErr == nil || !strings.Contains(extractErr.Error(), msg[len(path)+2:]) {
					t.Errorf("extract: %v; want the refusal inspect gave: %s", extractErr, msg)
				}
				if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("a refused extract created %s", out)
				}
				found := false
				for _, p := range problems {
					found = found || strings.Contains(p.Msg, msg[len(path)+2:])
				}
				if !found {
					t.Errorf("verify: %v; want the refusal inspect gave: %s", problems, msg)
				}
				return
			}
			if refuse {
				t.Fatalf("inspect read it; want a refusal saying %q", want)
			}
			if extractErr != nil {
				// Extract refuses member names inspect reports as stored.
				var xe *ExtractError
				if !errors.As(extractErr, &xe) {
					t.Fatalf("extract: %v", extractErr)
				}
				t.Logf("extract refused the names: %v", extractErr)
				return
			}
			switch {
			case name == "ms_navigationbar_en-us.spkr.cab":
				// A real w10m package: its manifest and catalog are
				// checked for what they are, and hold.
				if len(problems) != 0 {
					t.Errorf("verify of a real w10m package: %v", problems)
				}
			case len(problems) == 0:
				t.Error("verify found no problem in a cabinet without a package manifest")
			}
			tool := testutil.Tool(t, "cabextract", "cabextract")
			ref := t.TempDir()
			if b, err := exec.Command(tool, "-q", "-d", ref, path).CombinedOutput(); err != nil {
				t.Fatalf("cabextract: %v\n%s", err, b)
			}
			testutil.SameTree(t, "provpack extract against cabextract", testutil.Tree(t, ref), testutil.Tree(t, out))
		})
	}
	for _, name := range realworldReads {
		if !seen[name] {
			t.Errorf("%s is missing from %s", name, dir)
		}
	}
}

// within runs f, failing the test if it has not returned after a minute
// (a hang).
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%s did not return within a minute", what)
	}
}

// TestTrailingEmptyBlock: the zeros after libmspack_case-utf8.cab's
// tables are read as an empty block of a folder that counts none; the
// same bytes not zero, or beyond one block header, or at no folder's
// offset, are refused as bytes of no structure.
func TestTrailingEmptyBlock(t *testing.T) {
	path := filepath.Join(testutil.Root(), "..", "shared", "realworld", "cab", "libmspack_case-utf8.cab")
	data, err := os.ReadFile(path)
	if err != nil {
		if testutil.Required() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	read := func(b []byte) error {
		_, _, err := defaults.readArchive(bytes.NewReader(b), int64(len(b)))
		return err
	}
	if err := read(data); err != nil {
		t.Fatalf("as it is: %v", err)
	}
	nonzero := bytes.Clone(data)
	nonzero[len(nonzero)-1] = 1
	longer := append(bytes.Clone(data), 0)
	binary.LittleEndian.PutUint32(longer[8:], uint32(len(longer))) // cbCabinet
	elsewhere := bytes.Clone(data)
	binary.LittleEndian.PutUint32(elsewhere[0x24:], uint32(len(elsewhere))) // the folder's coffCabStart: past the zeros
	for name, b := range map[string][]byte{"not zero": nonzero, "9 bytes": longer, "no folder there": elsewhere} {
		if err := read(b); err == nil || !strings.Contains(err.Error(), "after the last data block, within cbCabinet, belong to no structure") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
