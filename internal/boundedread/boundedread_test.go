package boundedread

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	os.WriteFile(small, []byte("hello"), 0o644)
	if b, err := File(small, 5); err != nil || string(b) != "hello" {
		t.Fatalf("got %q, %v", b, err)
	}
	var tl *TooLargeError
	if _, err := File(small, 4); !errors.As(err, &tl) {
		t.Fatalf("want TooLargeError, got %v", err)
	}
	if b, err := Prefix(small, 2); err != nil || string(b) != "hel" {
		t.Fatalf("Prefix: got %q, %v", b, err)
	}
	if _, err := File(dir, 10); !errors.Is(err, ErrIsDir) {
		t.Fatalf("directory: %v", err)
	}
	if _, err := File("/dev/zero", 10); !errors.Is(err, ErrNotRegular) {
		t.Fatalf("/dev/zero: %v", err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	done := make(chan error, 1)
	go func() { _, err := File(fifo, 10); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) {
			t.Fatalf("FIFO: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("reading a FIFO blocked")
	}
}
