package buildcache

import (
	"context"
	"sync/atomic"

	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/provpack/provpack/internal/parallel"
)

// Stamp identifies one state of a file without reading it, as make and
// git judge files.
type Stamp struct {
	Dev   uint64 `json:"dev"`
	Ino   uint64 `json:"ino"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime"` // nanoseconds since 1970
	CTime int64  `json:"ctime"`
}

// Absent is the stamp of a file that does not exist (the lock, before
// the first release).
var Absent = Stamp{Size: -1}

// StampOf is the stamp of fi.
func StampOf(fi fs.FileInfo) Stamp {
	st := Stamp{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
	st.Dev, st.Ino, st.CTime, _ = sysStamp(fi)
	return st
}

// StampPath stamps the file at path (following symlinks); a missing one
// is Absent. ok is false when it cannot be stamped.
func StampPath(path string) (st Stamp, ok bool) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Absent, true
	case err != nil:
		return Stamp{}, false
	}
	return StampOf(fi), true
}

// StampsWork reports whether this system gives the change time and
// inode a stamp needs: without them a file restored with its old
// modification time (cp -p, tar x) would look unchanged, so builds
// remember nothing.
var StampsWork = sync.OnceValue(func() bool {
	fi, err := os.Stat(".")
	if err != nil {
		return false
	}
	_, _, _, ok := sysStamp(fi)
	return ok
})

// Recent reports whether the stamp is within window of t: the file may
// have changed within the file system's timestamp granularity without
// its stamp changing, so the stamp cannot be trusted.
func (s Stamp) Recent(t time.Time, window time.Duration) bool {
	limit := t.Add(-window).UnixNano()
	return s.MTime >= limit || s.CTime >= limit
}

// Digest accumulates names and stamps into a SHA-256.
type Digest struct{ b []byte }

// NewDigest starts a digest with head: what besides stamps the result
// depends on.
func NewDigest(head string) *Digest { return &Digest{b: []byte(head)} }

// Stamp adds a name and its stamp.
func (d *Digest) Stamp(name string, st Stamp) {
	d.b = append(d.b, name...)
	d.b = append(d.b, 0)
	for _, v := range [...]uint64{st.Dev, st.Ino, uint64(st.Size), uint64(st.MTime), uint64(st.CTime)} {
		d.b = binary.LittleEndian.AppendUint64(d.b, v)
	}
}

// Text adds a string, terminated.
func (d *Digest) Text(s string) {
	d.b = append(d.b, s...)
	d.b = append(d.b, 0)
}

// Count adds a number.
func (d *Digest) Count(n int) { d.b = binary.LittleEndian.AppendUint64(d.b, uint64(n)) }

// Sum is the digest in hex.
func (d *Digest) Sum() string {
	sum := sha256.Sum256(d.b)
	return hex.EncodeToString(sum[:])
}

// WatchDigest digests head and the stamps of paths (slash-separated,
// under dir) taken now. It is "" when a stamp is within window of start
// or a path cannot be stamped. The paths are stamped on every core: a
// rebuild with nothing changed is mostly this.
func WatchDigest(head, dir string, paths []string, start time.Time, window time.Duration) string {
	if !StampsWork() || len(paths) == 0 {
		return ""
	}
	stamps := make([]Stamp, len(paths))
	var bad atomic.Bool
	parallel.For(context.Background(), len(paths), 0, func(i int) {
		st, ok := StampPath(filepath.Join(dir, filepath.FromSlash(paths[i])))
		if !ok || st.Recent(start, window) {
			bad.Store(true)
		}
		stamps[i] = st
	})
	if bad.Load() {
		return ""
	}
	d := NewDigest(head)
	for i, p := range paths {
		d.Stamp(p, stamps[i])
	}
	return d.Sum()
}
