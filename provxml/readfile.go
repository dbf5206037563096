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
	return readFile(path, limit, nil, -1)
}

// ReadFileTo reads as ReadFile does, into the free room of *slab when the
// file fits there, and advances *slab past what it read: a caller reading
// many small files whose contents die together (a package's sources)
// reuses one allocation for all of them by truncating *slab to zero
// length once they are dead. A file that does not fit gets its own
// allocation and leaves *slab as it was. The data returned is capped, so
// appending to it never writes into the slab.
//
// size, when not negative, is the file's size as the caller found it,
// having found it a regular file: the file is then not looked at again
// before it is read (a build stats each source once, when it checks the
// manifest). Otherwise ReadFileTo refuses what is not a regular file, as
// ReadFile does.
func ReadFileTo(slab *[]byte, path string, limit, size int64) ([]byte, error) {
	data, err := readFile(path, limit, slab, size)
	if err == nil && slab != nil && len(data) > 0 && cap(*slab) > len(*slab) && &data[0] == &(*slab)[:len(*slab)+1][len(*slab)] {
		*slab = (*slab)[:len(*slab)+len(data)]
	}
	return data, err
}

// room returns an empty buffer with capacity n: the free room of *slab
// when it is large enough, else a new allocation.
func room(slab *[]byte, n int64) []byte {
	if slab != nil && int64(cap(*slab)-len(*slab)) >= n {
		s := *slab
		return s[len(s) : len(s) : len(s)+int(n)]
	}
	return make([]byte, 0, n)
}

func notRegular(path string, mode fs.FileMode) error {
	if mode.IsDir() {
		return &fs.PathError{Op: "read", Path: path, Err: ErrIsDir}
	}
	return &fs.PathError{Op: "read", Path: path, Err: ErrNotRegular}
}
