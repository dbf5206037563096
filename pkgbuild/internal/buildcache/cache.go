package buildcache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/provpack/provpack/internal/boundedread"

	"github.com/provpack/provpack/pkgbuild/internal/outdir"
	"github.com/provpack/provpack/pkgbuild/report"
)

// FileName is the cache's file in an output directory.
const FileName = ".provpack-cache.json"

// version changes whenever archive bytes could change for the same inputs
// (writer, compression settings, package manifest layout).
const version = 1

// maxSize bounds what Load reads: a cache names each output once.
const maxSize = 64 << 20

// Entry is what an archive was built from and what it was.
type Entry struct {
	Key    string `json:"key"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Cache is the cache of one output directory during a build: what the
// last build left (Last, and its archives), and what this one records.
type Cache struct {
	mu      sync.Mutex
	old     map[string]Entry
	entries map[string]Entry
	// Last is the last build's memo (nil if none); Next is this build's.
	Last, Next *Memo
}

// Load reads dir's cache; a missing, unreadable or foreign one is empty.
func Load(dir string) *Cache {
	c := &Cache{old: map[string]Entry{}, entries: map[string]Entry{}}
	var f file
	data, err := boundedread.File(filepath.Join(dir, FileName), maxSize)
	if err == nil && json.Unmarshal(data, &f) == nil && f.Version == version {
		if f.Archives != nil {
			c.old = f.Archives
		}
		c.Last = f.Build
	}
	return c
}

// KeyPart is one member of an archive as its key sees it.
type KeyPart struct {
	Name   string
	Size   int
	SHA256 string // hex
}

// ArchiveKey hashes everything an archive's bytes depend on: its format,
// epoch, compression level, signer (the identity of the certificate and
// key, and the signing time; "" when unsigned) and members.
func ArchiveKey(format string, epoch int64, level int, signer string, members []KeyPart) string {
	h := sha256.New()
	fmt.Fprintf(h, "provpack-archive %d %s %d cab-level-%d\n", version, format, epoch, level)
	if signer != "" {
		fmt.Fprintf(h, "signed %s\n", signer)
	}
	for _, m := range members {
		fmt.Fprintf(h, "%s %d %s\n", m.Name, m.Size, m.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Reuse reports whether dir/name still holds the archive the last build
// recorded for key.
func (c *Cache) Reuse(dir, name, key string) (Entry, bool) {
	c.mu.Lock()
	e, ok := c.old[name]
	c.mu.Unlock()
	if !ok || e.Key != key {
		return Entry{}, false
	}
	path := filepath.Join(dir, name)
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != e.Size {
		return Entry{}, false
	}
	_, sum, err := outdir.FileSHA256(path)
	return e, err == nil && sum == e.SHA256
}

// Record notes the archive name this build leaves.
func (c *Cache) Record(name string, e Entry) {
	c.mu.Lock()
	c.entries[name] = e
	c.mu.Unlock()
}

// KeepLast makes this build's record the last one's archives with memo:
// for a build that changed no output.
func (c *Cache) KeepLast(memo *Memo) {
	c.mu.Lock()
	c.entries, c.Next = c.old, memo
	c.mu.Unlock()
}

// file is the layout of FileName.
type file struct {
	Version  int              `json:"version"`
	Archives map[string]Entry `json:"archives"`
	Build    *Memo            `json:"build,omitempty"`
}

// Marshal is the cache this build leaves.
func (c *Cache) Marshal() ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return json.Marshal(file{version, c.entries, c.Next})
}

// Memo is a build remembered: a digest of everything its outputs depend
// on, the stamps of the outputs it left, and what its report said, as
// far as the command line shows it.
type Memo struct {
	Inputs   string           `json:"inputs"`
	Outputs  map[string]Stamp `json:"outputs"`
	Findings []report.Finding `json:"findings"`
	Packages []MemoPackage    `json:"packages"`

	// The quick check: the manifest's absolute path and what the report
	// needs of it, the watched paths (relative to the manifest's
	// directory, slash-separated) and the digest of their stamps.
	Manifest string   `json:"manifest,omitempty"`
	Image    string   `json:"image,omitempty"`
	Release  string   `json:"release,omitempty"`
	Target   string   `json:"target,omitempty"`
	Watch    []string `json:"watch,omitempty"`
	WatchKey string   `json:"watchKey,omitempty"`
}

// MemoPackage is one package of a remembered build.
type MemoPackage struct {
	Name       string `json:"name"`
	OldVersion string `json:"oldVersion,omitempty"`
	Version    string `json:"version"`
	Archive    string `json:"archive"`
	Size       int64  `json:"size"`
	SHA256     string `json:"sha256"`
}

// Intact reports whether every output the memo names is still the file
// that build left in dir.
func (m *Memo) Intact(dir string) bool {
	if len(m.Outputs) == 0 {
		return false
	}
	for name, want := range m.Outputs {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() || StampOf(fi) != want {
			return false
		}
	}
	return true
}

// StampOutputs records the stamps of the outputs names in dir, now in
// place.
func (m *Memo) StampOutputs(dir string, names []string) error {
	m.Outputs = map[string]Stamp{}
	for _, name := range names {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		m.Outputs[name] = StampOf(fi)
	}
	return nil
}
