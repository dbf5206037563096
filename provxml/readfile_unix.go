//go:build unix

package provxml

import (
	"io/fs"

	"golang.org/x/sys/unix"
)

func readFile(path string, limit int64, slab *[]byte, size int64) ([]byte, error) {
	var fd int
	var err error
	for {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if size >= 0 {
		// The caller has looked at the file: a file replaced by a
		// directory since fails to read, one replaced by a pipe reads
		// as empty (the open did not block).
		st.Size = size
	} else if err := unix.Fstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	} else {
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFREG:
		case unix.S_IFDIR:
			return nil, notRegular(path, fs.ModeDir)
		default:
			return nil, notRegular(path, fs.ModeIrregular)
		}
	}
	// One byte beyond the size, so that a file that grew since fstat
	// shows it; such a file is read on up to limit+1 bytes. A read that
	// brings exactly the size fstat gave ends the reading without a
	// further read to see the end of the file: the file is taken as it
	// was at fstat, as a file changed just after the read would be.
	want := min(st.Size, limit) + 1
	buf := room(slab, want)
	for int64(len(buf)) <= limit {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		room := buf[len(buf):min(int64(cap(buf)), limit+1)]
		n, err := unix.Read(fd, room)
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			break
		}
		buf = buf[:len(buf)+n]
		if int64(len(buf)) == st.Size {
			break
		}
	}
	return buf, nil
}
