package pkgbuild

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ExtractError lists why an archive was not extracted; nothing was
// written.
type ExtractError struct {
	Archive  string
	Problems []string
}

func (e *ExtractError) Error() string {
	return fmt.Sprintf("%s: refusing to extract; nothing was written:\n  %s", e.Archive, strings.Join(e.Problems, "\n  "))
}

// Extract unpacks the archive at path into dir. Every member name is
// checked first: absolute names, drive letters, ".." segments (with '/' or
// '\'), duplicates and names that collide ignoring case refuse the whole
// archive. No file is ever written outside dir, not even through a
// symlink already inside it. An existing file with different bytes is
// replaced only with force. It returns the paths written.
func Extract(path, dir string, force bool) ([]string, error) {
	_, members, err := ReadArchive(path)
	if err != nil {
		return nil, err
	}
	if probs := nameProblems(members); len(probs) > 0 {
		return nil, &ExtractError{Archive: path, Problems: probs}
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return nil, fmt.Errorf("output path %s is a file, not a directory", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	type job struct {
		dest string
		data []byte
	}
	var jobs []job
	var probs []string
	for _, m := range members {
		rel := filepath.FromSlash(strings.ReplaceAll(m.Name, `\`, "/"))
		dest := filepath.Join(root, rel)
		if r, err := filepath.Rel(root, dest); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			probs = append(probs, fmt.Sprintf("member %q resolves outside %s", m.Name, dir))
			continue
		}
		if msg := symlinkOnPath(root, rel); msg != "" {
			probs = append(probs, fmt.Sprintf("member %q: %s", m.Name, msg))
			continue
		}
		if old, err := os.ReadFile(dest); err == nil && !force && !bytes.Equal(old, m.Data) {
			probs = append(probs, fmt.Sprintf("%s exists with different content (use --force to replace it)", dest))
			continue
		}
		jobs = append(jobs, job{dest, m.Data})
	}
	if len(probs) > 0 {
		return nil, &ExtractError{Archive: path, Problems: probs}
	}
	var written []string
	for _, j := range jobs {
		if err := os.MkdirAll(filepath.Dir(j.dest), 0o755); err != nil {
			return written, err
		}
		if err := WriteFileAtomic(j.dest, j.data, 0o644); err != nil {
			return written, err
		}
		written = append(written, j.dest)
	}
	return written, nil
}

// symlinkOnPath reports a symlink at any existing component of rel below
// root: writing through it could land outside root.
func symlinkOnPath(root, rel string) string {
	cur := root
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		cur = filepath.Join(cur, part)
		st, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return ""
		}
		if err != nil {
			return err.Error()
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			return fmt.Sprintf("%s is a symlink; refusing to write through it", cur)
		}
	}
	return ""
}
