package archive

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/provpack/provpack/pkgbuild/internal/outdir"
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
// checked first: absolute names, drive letters, "." and ".." segments
// (with '/' or '\'), duplicates, names that collide ignoring case and a
// file that another member needs as a directory refuse the whole archive.
// Then every destination is checked: a symlink on the way, a directory
// or anything but a regular file where a member goes, or an existing file
// with different bytes (without force) refuses it too. No file is ever
// written outside dir, not even through a symlink already inside it.
//
// Members are staged in temporary files beside their destinations and
// renamed into place only when all are staged, so a failure (a full disk,
// say) leaves dir as it was. It returns the paths of the members, in
// archive order.
func Extract(path, dir string, force bool) ([]string, error) {
	return defaults.extract(path, dir, force)
}

func (c config) extract(path, dir string, force bool) ([]string, error) {
	_, members, err := c.read(path)
	if err != nil {
		return nil, err
	}
	if probs := nameProblems(members); len(probs) > 0 {
		return nil, &ExtractError{Archive: path, Problems: probs}
	}
	if err := outdir.NotADir(dir); err != nil {
		return nil, err
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	type job struct {
		dest string // absolute
		show string // as the user named it: under dir
		data []byte
		tmp  string
		same bool // an identical file is already there
	}
	var jobs []*job
	var probs []string
	for _, m := range members {
		rel := filepath.FromSlash(strings.ReplaceAll(m.Name, `\`, "/"))
		dest := filepath.Join(root, rel)
		if r, err := filepath.Rel(root, dest); err != nil || r == "." || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			probs = append(probs, fmt.Sprintf("member %q resolves outside %s", m.Name, dir))
			continue
		}
		same, msg := checkDest(root, dir, rel, m.Data, force)
		if msg != "" {
			probs = append(probs, fmt.Sprintf("member %q: %s", m.Name, msg))
			continue
		}
		jobs = append(jobs, &job{dest: dest, show: filepath.Join(dir, rel), data: m.Data, same: same})
	}
	if len(probs) > 0 {
		return nil, &ExtractError{Archive: path, Problems: probs}
	}

	// Stage every member, creating directories as needed; undo it all on
	// the first failure.
	var created []string // directories this call created, parents first
	undo := func() {
		for _, j := range jobs {
			if j.tmp != "" {
				os.Remove(j.tmp)
			}
		}
		outdir.RemoveDirs(created)
	}
	for _, j := range jobs {
		if j.same {
			continue
		}
		made, err := outdir.MkdirAll(filepath.Dir(j.dest))
		created = append(created, made...)
		if err != nil {
			undo()
			return nil, fmt.Errorf("extracting %s: %w; nothing was written", path, err)
		}
		if j.tmp, err = stageFile(j.dest, j.data, c.wrap); err != nil {
			undo()
			return nil, fmt.Errorf("extracting %s: %w; nothing was written", path, err)
		}
	}
	// Commit.
	var out []string
	for _, j := range jobs {
		out = append(out, j.show)
		if j.tmp == "" {
			continue
		}
		if err := os.Rename(j.tmp, j.dest); err != nil {
			undo()
			return nil, fmt.Errorf("extracting %s: writing %s: %w", path, j.show, err)
		}
		j.tmp = ""
	}
	return out, nil
}

// stageFile writes data to a temporary file beside dest and returns its
// name; renaming it to dest is the caller's commit.
func stageFile(dest string, data []byte, wrap func(name string, w io.Writer) io.Writer) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(dest), outdir.TempPrefix+"x-*")
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", dest, err)
	}
	var w io.Writer = f
	if wrap != nil {
		w = wrap(filepath.Base(dest), f)
	}
	_, err = w.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("writing %s: %w", dest, err)
	}
	return f.Name(), nil
}

// checkDest looks at where member rel would go under root. It reports
// whether an identical file is already there, or why the member must not
// be written: a symlink or a non-directory on the way, or something other
// than a regular file at the destination, or (without force) a file with
// different bytes.
func checkDest(root, dir, rel string, data []byte, force bool) (same bool, problem string) {
	parts := strings.Split(rel, string(filepath.Separator))
	cur, show := root, dir
	for i, part := range parts {
		cur, show = filepath.Join(cur, part), filepath.Join(show, part)
		st, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return false, ""
		}
		if err != nil {
			return false, fmt.Sprintf("%s: %v", show, err)
		}
		last := i == len(parts)-1
		switch {
		case st.Mode()&fs.ModeSymlink != 0:
			return false, fmt.Sprintf("%s is a symlink; refusing to write through it", show)
		case !last && !st.IsDir():
			return false, fmt.Sprintf("%s exists and is not a directory", show)
		case last && st.IsDir():
			return false, fmt.Sprintf("%s exists and is a directory", show)
		case last && !st.Mode().IsRegular():
			return false, fmt.Sprintf("%s exists and is not a regular file", show)
		}
	}
	old, err := os.ReadFile(cur)
	if err != nil {
		return false, fmt.Sprintf("reading %s: %v", show, err)
	}
	if bytes.Equal(old, data) {
		return true, ""
	}
	if !force {
		return false, fmt.Sprintf("%s exists with different content (use --force to replace it)", show)
	}
	return false, ""
}
