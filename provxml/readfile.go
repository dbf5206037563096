package provxml

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrIsDir and ErrNotRegular are the reasons ReadFile refuses a path,
// wrapped in an *fs.PathError with Op "read"; callers word them as
// their users expect.
var (
	ErrIsDir      = errors.New("is a directory")
	ErrNotRegular = errors.New("not a regular file")
)

// ReadFile reads the regular file at path whole, or, when it is larger
// than limit, its first limit+1 bytes: a caller recognises an oversized
// file by len(data) > limit without the file being read whole.
//
// The file is opened non-blocking and looked at before it is read, so a
// named pipe or a device is refused instead of hanging or running on.
func ReadFile(path string, limit int64) ([]byte, error) {
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
