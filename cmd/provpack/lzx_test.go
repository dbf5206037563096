package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provpack/provpack/internal/testutil"
)

// TestLZXCabinets: inspect and extract read the real LZX cabinets in
// ../shared/realworld/cab, and extract writes exactly cabextract's files.
func TestLZXCabinets(t *testing.T) {
	cabextract := testutil.Tool(t, "cabextract", "cabextract")
	dir := filepath.Join(testutil.Root(), "..", "shared", "realworld", "cab")
	if _, err := os.Stat(dir); err != nil {
		if testutil.Required() {
			t.Fatalf("real-world cabinets %s are required (PROVPACK_REQUIRE_TOOLS=1): %v", dir, err)
		}
		t.Skipf("real-world cabinets not found at %s; they sit beside the project in ../shared", dir)
	}
	for _, name := range []string{"libmspack_large-files-cab.cab", "libmspack_normal_2files_2folders.cab"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			var out, errb bytes.Buffer
			if code := run(context.Background(), []string{"provpack", "inspect", path}, nil, &out, &errb); code != 0 {
				t.Fatalf("inspect exited %d: %s", code, errb.String())
			}
			listing := out.String()
			got, want := t.TempDir(), t.TempDir()
			if code := run(context.Background(), []string{"provpack", "extract", path, "-o", got}, nil, &out, &errb); code != 0 {
				t.Fatalf("extract exited %d: %s", code, errb.String())
			}
			if b, err := exec.Command(cabextract, "-q", "-d", want, path).CombinedOutput(); err != nil {
				t.Fatalf("cabextract: %v\n%s", err, b)
			}
			g, w := testutil.Tree(t, got), testutil.Tree(t, want)
			if len(w) == 0 {
				t.Fatal("cabextract extracted nothing")
			}
			testutil.SameTree(t, "provpack extract against cabextract", g, w)
			for f := range w {
				if !strings.Contains(listing, filepath.Base(f)) {
					t.Errorf("inspect does not list %s", f)
				}
			}
		})
	}
}
