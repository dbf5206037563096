package manifest

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
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
	e := &errs{file: m.File}
	root, err := filepath.Abs(dir)
	if err == nil {
		root, err = filepath.EvalSymlinks(root)
	}
	if err != nil {
		e.add(Pos{}, "", "resolving the manifest's directory: %v", err)
		return e.list.err()
	}
	fsys := os.DirFS(dir)
	resolved := map[string]string{} // directory -> its real absolute path
	for i, p := range m.Packages {
		if p == nil {
			continue
		}
		pp := index("packages", i)
		if m.Target == TargetW10M && len(p.Cold) > 0 {
			e.add(p.At("cold"), pp+".cold", "w10m has no cold-boot class; move these sources to update")
		}
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
				s.Matches = nil
				files := matchFiles(e, fsys, dir, root, resolved, s, sp)
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
	}
	return e.list.err()
}

// matchFiles expands one source's pattern and checks each match.
// resolved caches the real path of each directory met, across sources.
func matchFiles(e *errs, fsys fs.FS, dir, root string, resolved map[string]string, s *Source, sp string) []string {
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
		if matches, err = fs.Glob(fsys, pattern); err != nil {
			e.add(at, field, "%q is not a valid glob: %v", s.File, err)
			return nil
		}
	}
	var files []string
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
			parent := filepath.Dir(full)
			rp, ok := resolved[parent]
			if !ok {
				if rp, err = filepath.EvalSymlinks(parent); err == nil {
					rp, err = filepath.Abs(rp)
				}
				resolved[parent] = rp
			}
			real = filepath.Join(rp, filepath.Base(full))
		} else if err == nil {
			if real, err = filepath.EvalSymlinks(full); err == nil {
				real, err = filepath.Abs(real)
			}
		}
		if err != nil {
			e.add(at, field, "%s: broken symlink or unreadable path: %v", rel, unwrapPath(err))
			continue
		}
		if r, err := filepath.Rel(root, real); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			e.add(at, field, "%s resolves to %s, outside the manifest's directory", rel, real)
			continue
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if fi, err = os.Stat(real); err != nil {
				e.add(at, field, "%s: %v", rel, unwrapPath(err))
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
	}
	sort.Strings(files)
	if len(files) == 0 && len(e.list) == before {
		if dirs > 0 {
			e.add(at, field, "%q matches only directories; name the files (e.g. %s/*.provxml)", s.File, strings.TrimSuffix(s.File, "/"))
		} else {
			e.add(at, field, "%q matches no file", s.File)
		}
	}
	return files
}

// unwrapPath drops the path from a *fs.PathError, which the caller has
// already named.
func unwrapPath(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}
