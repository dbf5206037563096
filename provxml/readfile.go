package provxml

import (
	"errors"
	"io/fs"
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
// Compared with os.ReadFile it costs four or five system calls per file
// (open, fstat, read until end, close) instead of a dozen: the file is
// opened non-blocking, so a named pipe is refused instead of hanging the
// build, the size from fstat sizes the buffer so one read usually
// suffices, and the descriptor never enters the runtime's poller.
func ReadFile(path string, limit int64) ([]byte, error) {
	return readFile(path, limit)
}

func notRegular(path string, mode fs.FileMode) error {
	if mode.IsDir() {
		return &fs.PathError{Op: "read", Path: path, Err: ErrIsDir}
	}
	return &fs.PathError{Op: "read", Path: path, Err: ErrNotRegular}
}
