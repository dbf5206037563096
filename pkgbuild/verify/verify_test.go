package verify

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyDirWithoutOutputs: a directory that is not a build output
// is not vouched for: every missing piece is named.
func TestVerifyDirWithoutOutputs(t *testing.T) {
	dir := t.TempDir()
	ps, err := Verify(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, p := range ps {
		all = append(all, p.String())
	}
	if !strings.Contains(strings.Join(all, "\n"), "SHA256SUMS") {
		t.Errorf("an empty directory verified without a word about SHA256SUMS: %q", all)
	}
}

// TestVerifyNamesWhatItCannotRead: a missing path is an error; a file
// that is no archive is a problem naming it, as is a listed archive whose
// bytes differ from SHA256SUMS.
func TestVerifyNamesWhatItCannotRead(t *testing.T) {
	dir := t.TempDir()
	if _, err := Verify(context.Background(), filepath.Join(dir, "missing"), Options{}); err == nil {
		t.Error("a missing path verified")
	}
	junk := filepath.Join(dir, "junk.cab")
	os.WriteFile(junk, []byte("not a cabinet"), 0o644)
	ps, err := Verify(context.Background(), junk, Options{})
	if err != nil && !strings.Contains(err.Error(), junk) {
		t.Fatalf("error does not name the file: %v", err)
	}
	if err == nil && len(ps) == 0 {
		t.Error("a file that is no archive verified")
	}
	if _, err := Inspect(context.Background(), junk); err == nil || !strings.Contains(err.Error(), junk) {
		t.Errorf("inspect of a file that is no archive: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(strings.Repeat("0", 64)+"  junk.cab\n"), 0o644)
	ps, _ = Verify(context.Background(), dir, Options{})
	found := false
	for _, p := range ps {
		found = found || strings.Contains(p.String(), "SHA256SUMS says")
	}
	if !found {
		t.Errorf("a wrong hash in SHA256SUMS went unnoticed: %v", ps)
	}
}
