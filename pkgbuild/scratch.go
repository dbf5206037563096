package pkgbuild

import (
	"sync"

	"github.com/provpack/provpack/provxml"
)

// scratch is the memory one package is planned in: the parser's arena
// and the slabs its settings and canonical bytes
// are carved from. A build sheds each package once it is archived; its
// scratch then goes back for the next package, so that a build touches
// about as much fresh memory as two packages take rather than as the
// whole image does (fresh pages were a tenth of a build's time).
//
// A scratch may go back only when nothing holds the package's documents,
// settings or canonical bytes any more.
type scratch struct {
	arena     provxml.Arena
	settings  []provxml.Setting
	origins   []string
	canonical []byte
	// keep: only the arena may be reused when this scratch goes back;
	// the slabs belong to a plan that keeps its settings.
	keep bool
}

// freeScratch keeps scratches for reuse, one per package being planned
// at once. Unlike a sync.Pool it is not emptied by the collector.
var freeScratch struct {
	mu   sync.Mutex
	list []*scratch
}

func getScratch() *scratch {
	freeScratch.mu.Lock()
	defer freeScratch.mu.Unlock()
	if n := len(freeScratch.list); n > 0 {
		sc := freeScratch.list[n-1]
		freeScratch.list = freeScratch.list[:n-1]
		return sc
	}
	return new(scratch)
}

// putScratch hands sc back; see scratch for when that is allowed.
func putScratch(sc *scratch) {
	sc.arena.Reset()
	if sc.keep {
		sc.settings, sc.origins, sc.canonical = nil, nil, nil
		sc.keep = false
	}
	// The slabs are emptied, not cleared: what they held is written
	// over as the next package is read.
	sc.settings, sc.origins, sc.canonical = sc.settings[:0], sc.origins[:0], sc.canonical[:0]
	freeScratch.mu.Lock()
	if len(freeScratch.list) < 16 {
		freeScratch.list = append(freeScratch.list, sc)
	}
	freeScratch.mu.Unlock()
}

// reserve returns an empty slice with room for n items carved from
// *slab, replacing the slab by a larger one when it has no room. The
// slice is capped: appending beyond n moves it out of the slab.
func reserve[T any](slab *[]T, n int) []T {
	if cap(*slab)-len(*slab) < n {
		*slab = make([]T, 0, max(n, 2*cap(*slab), 256))
	}
	s := *slab
	*slab = s[:len(s)+n]
	return s[len(s) : len(s) : len(s)+n]
}
