package manifest

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
)

// CheckSources resolves every file source against dir, the directory the
// manifest lives in, and fills Source.Matches with the sorted,
// slash-separated paths (relative to dir) of the files each pattern
// matched. It reports, as an ErrorList positioned at each source:
//
//   - a pattern that matches no file (directories do not count);
//   - a match that is a broken symlink, or a symlink (or a path through
//     a symlinked directory) resolving outside dir;
//   - a match that is not a regular file;
//   - a file matched twice within one class of one package (it would be
//     merged into the document twice);
//   - a cold source on w10m (Parse reports that too; it is repeated here
//     for manifests built by hand).
//
// Call it after Parse; it does not re-check what Parse checks.
func (m *Manifest) CheckSources(dir string) error {
	c, err := m.NewSourceChecker(dir)
	if err != nil {
		return err
	}
	for i := range m.Packages {
		c.Check(i)
	}
	return c.Err()
}

// SourceChecker does what CheckSources does one package at a time, so
// that a build can check each package's sources in the worker that then
// reads them. Check may be called from several goroutines at once, for
// different packages.
type SourceChecker struct {
	m    *Manifest
	dir  string
	root string
	fsys fs.FS

	mu       sync.Mutex
	resolved map[string]string // directory -> its real absolute path
	list     ErrorList
}

// NewSourceChecker prepares checking the sources of m against dir.
func (m *Manifest) NewSourceChecker(dir string) (*SourceChecker, error) {
	root, err := filepath.Abs(dir)
	if err == nil {
		root, err = filepath.EvalSymlinks(root)
	}
	if err != nil {
		e := &errs{file: m.File}
		e.add(Pos{}, "", "resolving the manifest's directory: %w", err)
		return nil, e.list.err()
	}
	return &SourceChecker{m: m, dir: dir, root: root, fsys: os.DirFS(dir), resolved: map[string]string{}}, nil
}

// Check checks the sources of package i, fills their Matches and
// reports whether they are all fine.
func (c *SourceChecker) Check(i int) bool {
	m, p := c.m, c.m.Packages[i]
	if p == nil {
		return true
	}
	e := &errs{file: m.File}
	pp := index("packages", i)
	for _, class := range []struct {
		key     string
		sources []*Source
	}{{"cold", p.Cold}, {"update", p.Update}} {
		included := make(map[string]string) // file -> source path that included it first
		for j, s := range class.sources {
			if s == nil || s.File == "" {
				continue
			}
			sp := index(pp+"."+class.key, j)
			s.Matches, s.Stats, s.Dirs, s.DirStats = nil, nil, nil, nil
			files := c.matchFiles(e, s, sp)
			for _, f := range files {
				if first, dup := included[f]; dup {
					e.add(s.At("file"), sp+".file", "%s is already included by %s; it would be merged twice", f, first)
					continue
				}
				included[f] = sp
			}
			s.Matches = files
		}
	}
	if len(e.list) == 0 {
		return true
	}
	c.mu.Lock()
	c.list = append(c.list, e.list...)
	c.mu.Unlock()
	return false
}

// Err returns the problems found by every Check so far, sorted by
// position, as an ErrorList; nil if there were none.
func (c *SourceChecker) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.list).err()
}

// realDir returns the real absolute path of directory d. Directories are
// resolved once per checker, from the top: a directory that is not a
// symlink costs one Lstat once its parent is known, where EvalSymlinks
// would look at every component of every directory again.
func (c *SourceChecker) realDir(d string) (string, error) {
	c.mu.Lock()
	rp, ok := c.resolved[d]
	c.mu.Unlock()
	if ok {
		return rp, nil
	}
	var err error
	parent := filepath.Dir(d)
	fi, lerr := os.Lstat(d)
	switch {
	case parent != d && lerr == nil && fi.IsDir():
		// A plain directory: its parent's real path and its name.
		var rparent string
		if rparent, err = c.realDir(parent); err == nil {
			rp = filepath.Join(rparent, filepath.Base(d))
		}
	default:
		// A symlink, the root, or something odd: resolve it whole. The
		// path is made absolute first: Abs takes the working directory
		// as the shell names it ($PWD), which may itself be reached
		// through a symlink.
		if rp, err = filepath.Abs(d); err == nil {
			rp, err = filepath.EvalSymlinks(rp)
		}
	}
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.resolved[d] = rp
	c.mu.Unlock()
	return rp, nil
}

// matchFiles expands one source's pattern and checks each match.
func (c *SourceChecker) matchFiles(e *errs, s *Source, sp string) []string {
	fsys, dir, root := c.fsys, c.dir, c.root
	at, field := s.At("file"), sp+".file"
	pattern := path.Clean(s.File)
	if checkGlob(s.File) != "" || !fs.ValidPath(pattern) {
		e.add(at, field, "%q is not a valid relative path", s.File)
		return nil
	}
	// A plain path (most sources) is looked at once, with Lstat, so a
	// broken symlink is found too; a pattern is globbed.
	var matches []string
	var literal fs.FileInfo
	if !strings.ContainsAny(pattern, `*?[\`) {
		if fi, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(pattern))); err == nil {
			matches, literal = []string{pattern}, fi
		}
	} else {
		var err error
		g := &dirsRead{FS: fsys, root: dir}
		if matches, err = fs.Glob(g, pattern); err != nil {
			e.add(at, field, "%q is not a valid glob: %w", s.File, err)
			return nil
		}
		s.Dirs, s.DirStats = g.dirs, g.stats
	}
	sort.Strings(matches)
	var files []string
	var infos []fs.FileInfo
	dirs, before := 0, len(e.list)
	for _, rel := range matches {
		full := filepath.Join(dir, filepath.FromSlash(rel))
		// Resolve each directory once; the file itself needs only an
		// Lstat unless it is a symlink.
		var real string
		fi, err := literal, error(nil)
		if fi == nil {
			fi, err = os.Lstat(full)
		}
		if err == nil && fi.Mode()&fs.ModeSymlink == 0 {
			var rp string
			if rp, err = c.realDir(filepath.Dir(full)); err == nil {
				real = filepath.Join(rp, filepath.Base(full))
			}
		} else if err == nil {
			if real, err = filepath.Abs(full); err == nil {
				real, err = filepath.EvalSymlinks(real)
			}
		}
		if err != nil {
			e.add(at, field, "%s: broken symlink or unreadable path: %w", rel, unwrapPath(err))
			continue
		}
		if r, err := filepath.Rel(root, real); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			e.add(at, field, "%s resolves to %s, outside the manifest's directory", rel, real)
			continue
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if fi, err = os.Stat(real); err != nil {
				e.add(at, field, "%s: %w", rel, unwrapPath(err))
				continue
			}
		}
		switch {
		case fi.IsDir():
			dirs++
			continue
		case !fi.Mode().IsRegular():
			e.add(at, field, "%s is not a regular file", rel)
			continue
		}
		files = append(files, rel)
		infos = append(infos, fi)
	}
	s.Stats = infos
	if len(files) == 0 && len(e.list) == before {
		if dirs > 0 {
			e.add(at, field, "%q matches only directories; name the files (e.g. %s/*.provxml)", s.File, strings.TrimSuffix(s.File, "/"))
		} else {
			e.add(at, field, "%q matches no file", s.File)
		}
	}
	return files
}

// dirsRead is a file system that notes which directories fs.Glob reads,
// and what it saw of each (nil when it could not be looked at) before
// reading it.
type dirsRead struct {
	fs.FS
	root  string
	dirs  []string
	stats []fs.FileInfo
}

func (d *dirsRead) ReadDir(name string) ([]fs.DirEntry, error) {
	fi, _ := os.Stat(filepath.Join(d.root, filepath.FromSlash(name)))
	d.dirs, d.stats = append(d.dirs, name), append(d.stats, fi)
	return fs.ReadDir(d.FS, name)
}

// unwrapPath drops the path from a *fs.PathError, which the caller has
// already named.
func unwrapPath(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}
