// Package boundedread is the one way provpack reads a whole file: a
// regular file only, opened without blocking and looked at before it is
// read, and never more than a stated limit. A FIFO, a device or a
// directory is refused instead of hanging or running on; an oversized file
// is refused without being read whole. It knows nothing of what the files
// hold, and is shared by the manifest, provxml and pkgbuild packages.
package boundedread

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrIsDir and ErrNotRegular are why a path is refused, wrapped in an
// *fs.PathError with Op "read".
var (
	ErrIsDir      = errors.New("is a directory")
	ErrNotRegular = errors.New("not a regular file")
)

// TooLargeError is a file larger than the limit it was read with.
type TooLargeError struct {
	Path  string
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %d bytes, more than provpack reads", e.Path, e.Limit)
}

// Prefix reads the regular file at path whole, or, when it is larger
// than limit, its first limit+1 bytes: a caller that words its own
// message recognises an oversized file by len(data) > limit.
func Prefix(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: ErrIsDir}
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: ErrNotRegular}
	}
	buf := make([]byte, 0, min(st.Size(), limit)+1)
	for int64(len(buf)) <= limit {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):min(int64(cap(buf)), limit+1)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// File reads the regular file at path whole; one larger than limit is a
// *TooLargeError.
func File(path string, limit int64) ([]byte, error) {
	data, err := Prefix(path, limit)
	if err == nil && int64(len(data)) > limit {
		return nil, &TooLargeError{Path: path, Limit: limit}
	}
	return data, err
}
