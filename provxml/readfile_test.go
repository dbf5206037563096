package provxml

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, n int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, bytes.Repeat([]byte("x"), n), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		size, limit, want int
	}{
		{0, 10, 0},
		{1, 10, 1},
		{10, 10, 10},
		{11, 10, 11}, // one beyond the limit: the caller sees it is too large
		{5000, 10, 11},
		{70000, 1 << 20, 70000},
	} {
		p := write("f", tc.size)
		got, err := ReadFile(p, int64(tc.limit))
		if err != nil {
			t.Fatalf("size %d limit %d: %v", tc.size, tc.limit, err)
		}
		if len(got) != tc.want {
			t.Errorf("size %d limit %d: read %d bytes, want %d", tc.size, tc.limit, len(got), tc.want)
		}
	}
}

func TestReadFileRefuses(t *testing.T) {
	dir := t.TempDir()
	_, err := ReadFile(filepath.Join(dir, "missing"), 10)
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Op != "open" || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want open …: no such file", err)
	}
	if _, err := ReadFile(dir, 10); !errors.Is(err, ErrIsDir) {
		t.Errorf("directory: %v, want ErrIsDir", err)
	}
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	// Nobody writes to the pipe: a blocking open would hang the test.
	if _, err := ReadFile(fifo, 10); !errors.Is(err, ErrNotRegular) {
		t.Errorf("named pipe: %v, want ErrNotRegular", err)
	}
}
