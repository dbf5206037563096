package pkgbuild

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/cab"
	"github.com/provpack/provpack/pkgbuild/internal/outdir"
)

// CacheName is the file in an output directory that lets a rebuild keep an
// archive without recompressing it: for each archive, a key over
// everything its bytes depend on, and the SHA-256 and size it had.
const CacheName = ".provpack-cache.json"

// cacheVersion changes whenever archive bytes could change for the same
// inputs (writer, compression settings, package manifest layout).
const cacheVersion = 1

type cacheEntry struct {
	Key    string `json:"key"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

type buildCache struct {
	mu      sync.Mutex
	old     map[string]cacheEntry
	entries map[string]cacheEntry
	// memo is the last build's (nil if none); next is this build's.
	memo, next *buildMemo
	// present names what the output directory held when the build
	// began (read-only once the build starts).
	present map[string]bool
}

func loadCache(dir string) *buildCache {
	c := &buildCache{old: map[string]cacheEntry{}, entries: map[string]cacheEntry{}}
	var f cacheFile
	data, err := os.ReadFile(filepath.Join(dir, CacheName))
	if err == nil && json.Unmarshal(data, &f) == nil && f.Version == cacheVersion {
		c.old, c.memo = f.Archives, f.Build
	}
	return c
}

// archiveKey hashes everything an archive's bytes depend on. sums[i] is
// the hex SHA-256 of members[i] when already known, or "".
func archiveKey(format manifest.Format, epoch time.Time, members []Member, sums []string) string {
	h := sha256.New()
	fmt.Fprintf(h, "provpack-archive %d %s %d cab-level-%d\n", cacheVersion, format, epoch.Unix(), cab.DefaultLevel)
	for i, m := range members {
		sum := sums[i]
		if sum == "" {
			sum = sha256Hex(m.Data)
		}
		fmt.Fprintf(h, "%s %d %s\n", m.Name, len(m.Data), sum)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// reuse reports whether dir/name already holds the archive for key, as
// recorded by an earlier build and still unchanged on disk.
func (c *buildCache) reuse(dir, name, key string) (cacheEntry, bool) {
	c.mu.Lock()
	e, ok := c.old[name]
	c.mu.Unlock()
	if !ok || e.Key != key {
		return cacheEntry{}, false
	}
	fi, err := os.Lstat(filepath.Join(dir, name))
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != e.Size {
		return cacheEntry{}, false
	}
	sum, err := outdir.FileSHA256(filepath.Join(dir, name))
	return e, err == nil && sum == e.SHA256
}

func (c *buildCache) record(name string, e cacheEntry) {
	c.mu.Lock()
	c.entries[name] = e
	c.mu.Unlock()
}

// cacheFile is the layout of CacheName.
type cacheFile struct {
	Version  int                   `json:"version"`
	Archives map[string]cacheEntry `json:"archives"`
	Build    *buildMemo            `json:"build,omitempty"`
}

func (c *buildCache) marshal() ([]byte, error) {
	return json.Marshal(cacheFile{cacheVersion, c.entries, c.next})
}
