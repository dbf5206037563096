package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/provpack/provpack/internal/testutil"
)

// TestHostileArchivesUnderMemoryLimit runs the real binary on issue 20's
// small archives that expand to much (cases 1 and 5), each under a
// 1 GiB address-space limit (prlimit --as, which no GOMEMLIMIT setting
// can mask): before, inspect of the 117 KB cabinet took 6.7 GB and died
// with "fatal error: out of memory", the 449 KB one 978 MB, the 8.5 KB
// tar.zst 281 MB. Each command must end with its documented exit code,
// no Go stack trace, in seconds. The binary is built without cgo, whose
// thread stacks alone would eat the address space.
func TestHostileArchivesUnderMemoryLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds provpack and decompresses gigabytes' worth of claims; runs without -short")
	}
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("needs prlimit (util-linux)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "provpack")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var hundred, four []testutil.CabEntry
	for i := range 100 {
		hundred = append(hundred, testutil.CabEntry{Name: fmt.Sprintf("m%03d", i), Size: 64 << 20})
	}
	for i := range 4 {
		four = append(four, testutil.CabEntry{Name: fmt.Sprintf("m%03d", i), Offset: uint32(i) << 26, Size: 64 << 20})
	}
	files := map[string][]byte{
		"overlap.cab":   testutil.ZeroCab(2048, hundred),
		"bigfolder.cab": testutil.ZeroCab(8192, four),
		"big.tar.zst":   testutil.ZeroTarZst([]string{"a", "b", "c", "d"}, 64<<20),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"inspect", "overlap.cab"}, 1},
		{[]string{"verify", "overlap.cab"}, 1},
		{[]string{"extract", "overlap.cab", "-o", "x"}, 1},
		{[]string{"inspect", "bigfolder.cab"}, 0},
		{[]string{"verify", "bigfolder.cab"}, 1}, // no package manifest
		{[]string{"extract", "bigfolder.cab", "-o", "y"}, 0},
		{[]string{"inspect", "big.tar.zst"}, 0},
		{[]string{"verify", "big.tar.zst"}, 1},
		{[]string{"extract", "big.tar.zst", "-o", "z"}, 0},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, prlimit, append([]string{fmt.Sprintf("--as=%d", 1<<30), bin}, tc.args...)...)
		cmd.Dir = dir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		err := cmd.Run()
		took := time.Since(start)
		cancel()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		t.Logf("%v: exit %d in %v", tc.args, code, took.Round(time.Millisecond))
		if stackTrace.Match(stderr.Bytes()) || bytes.Contains(stderr.Bytes(), []byte("fatal error")) {
			t.Errorf("%v: a Go stack trace:\n%.2000s", tc.args, stderr.Bytes())
		}
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d\n%.500s", tc.args, code, tc.code, stderr.Bytes())
		}
		if took > 30*time.Second {
			t.Errorf("%v took %v", tc.args, took)
		}
		os.RemoveAll(filepath.Join(dir, "y"))
		os.RemoveAll(filepath.Join(dir, "z"))
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
		t.Error("a refused extract created x")
	}
}
