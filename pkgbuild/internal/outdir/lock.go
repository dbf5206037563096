package outdir

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// TempPrefix begins the name of every temporary file provpack stages, so
// that what an interrupted run left is recognisable and removable.
const TempPrefix = ".provpack-tmp-"

// BusyError says that another provpack process holds a directory.
type BusyError struct {
	Dir  string
	What string // what the directory is to the user: "the output directory", …
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("another provpack command is writing to %s (%s); wait for it to finish and run this command again", e.Dir, e.What)
}

// Guard is a held lock on a directory.
type Guard struct{ h *held }

// held is one directory lock of this process; a process that asks for a
// directory it already holds (an output directory that is also the
// manifest's) shares the lock, since a second open file description
// would conflict with the first.
type held struct {
	fi    os.FileInfo
	f     *os.File
	count int
}

var holding struct {
	sync.Mutex
	list []*held
}

// Lock guards dir against other provpack processes until Unlock, without
// waiting: a directory another process holds is a *BusyError naming it
// as what. Holding the guard, it removes the temporary files an
// interrupted run left in dir.
func Lock(dir, what string) (*Guard, error) {
	if dir == "" {
		dir = "."
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	holding.Lock()
	defer holding.Unlock()
	for _, h := range holding.list {
		if os.SameFile(h.fi, fi) {
			h.count++
			return &Guard{h}, nil
		}
	}
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	busy, err := flock(f)
	if err != nil || busy {
		f.Close()
		if busy {
			return nil, &BusyError{Dir: dir, What: what}
		}
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	h := &held{fi: fi, f: f, count: 1}
	holding.list = append(holding.list, h)
	removeStale(dir)
	return &Guard{h}, nil
}

// Unlock releases the guard; a second call does nothing.
func (g *Guard) Unlock() {
	if g == nil || g.h == nil {
		return
	}
	holding.Lock()
	defer holding.Unlock()
	h := g.h
	g.h = nil
	if h.count--; h.count > 0 {
		return
	}
	for i, x := range holding.list {
		if x == h {
			holding.list = append(holding.list[:i], holding.list[i+1:]...)
			break
		}
	}
	h.f.Close() // drops the lock
}

// removeStale deletes the regular temporary files an interrupted run left
// in dir. Only the holder of dir's guard calls it, so none of them is
// being written.
func removeStale(dir string) {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), TempPrefix) && e.Type().IsRegular() {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
