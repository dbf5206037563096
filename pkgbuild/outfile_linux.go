package pkgbuild

import (
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// outFile is a staged output being written, held as a bare descriptor:
// an *os.File costs a regular file three more system calls (the runtime
// tries to register it with its poller, fails, and resets the flags),
// and a build stages hundreds of files.
type outFile struct {
	fd   int
	name string
}

// createTemp creates a new file in dir, as os.CreateTemp does: pattern
// with its last "*" replaced by a random string, opened exclusively,
// mode 0600 until committed.
func createTemp(dir, pattern string) (*outFile, error) {
	prefix, suffix := pattern, ""
	if i := strings.LastIndexByte(pattern, '*'); i >= 0 {
		prefix, suffix = pattern[:i], pattern[i+1:]
	}
	for try := 0; ; try++ {
		name := filepath.Join(dir, prefix+strconv.FormatUint(rand.Uint64()>>16, 36)+suffix)
		fd, err := unix.Open(name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o600)
		switch {
		case err == nil:
			return &outFile{fd: fd, name: name}, nil
		case err == unix.EINTR || (err == unix.EEXIST && try < 100):
			continue
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
}

func (f *outFile) Name() string { return f.name }

func (f *outFile) Write(p []byte) (int, error) {
	return f.writeAll(p, func(b []byte, _ int) (int, error) { return unix.Write(f.fd, b) })
}

// WriteAt writes p at offset off.
func (f *outFile) WriteAt(p []byte, off int64) (int, error) {
	return f.writeAll(p, func(b []byte, done int) (int, error) { return unix.Pwrite(f.fd, b, off+int64(done)) })
}

// writeAll calls write with what of p is left, and the bytes written so
// far, until all of p is written, retrying on EINTR.
func (f *outFile) writeAll(p []byte, write func(b []byte, done int) (int, error)) (int, error) {
	n := 0
	for n < len(p) {
		k, err := write(p[n:], n)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, &fs.PathError{Op: "write", Path: f.name, Err: err}
		}
		n += k
	}
	return n, nil
}

// seek moves the offset the next Write writes at.
func (f *outFile) seek(off int64) error {
	if _, err := unix.Seek(f.fd, off, 0); err != nil {
		return &fs.PathError{Op: "seek", Path: f.name, Err: err}
	}
	return nil
}

func (f *outFile) Chmod(mode os.FileMode) error {
	for {
		err := unix.Fchmod(f.fd, uint32(mode.Perm()))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &fs.PathError{Op: "chmod", Path: f.name, Err: err}
		}
		return nil
	}
}

// Close closes the descriptor; it is not retried on EINTR (the
// descriptor is gone either way, as os.File.Close assumes too).
func (f *outFile) Close() error {
	if f.fd < 0 {
		return os.ErrClosed
	}
	err := unix.Close(f.fd)
	f.fd = -1
	if err != nil && err != unix.EINTR {
		return &fs.PathError{Op: "close", Path: f.name, Err: err}
	}
	return nil
}

// startWriteback asks the kernel to start writing f's pages now, without
// waiting: by the time syncStaged runs, most of the data is on its way,
// and the writing overlaps the rest of the build.
func startWriteback(f *outFile) {
	_ = unix.SyncFileRange(f.fd, 0, 0, unix.SYNC_FILE_RANGE_WRITE)
}
