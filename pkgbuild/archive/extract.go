package archive

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

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
// (with '/' or '\'), duplicates, names that collide ignoring case, a file
// that another member needs as a directory, and any name that
// filepath.IsLocal does not accept, refuse the whole archive. Then every
// destination is checked: a symlink on the way, a directory or anything
// but a regular file where a member goes, or an existing file with
// different bytes (without force) refuses it too. Everything under dir
// goes through an os.Root opened on it, so no file is ever written
// outside dir, not even through a symlink already inside it or put there
// meanwhile.
//
// Members are staged in temporary files beside their destinations and
// renamed into place only when all are staged, so a failure (a full disk,
// say) leaves dir as it was. So does ctx being done before the commit:
// Extract then removes what it staged and returns ctx.Err(). It returns
// the paths of the members, in archive order.
func Extract(ctx context.Context, path, dir string, force bool) ([]string, error) {
	return defaults.extract(ctx, path, dir, force)
}

func (c config) extract(ctx context.Context, path, dir string, force bool) ([]string, error) {
	// First pass: names, sizes and hashes, the whole archive checked;
	// nothing is held but the hash of each member.
	_, members, err := c.scan(path, nil, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if probs := nameProblems(namesOnly(members)); len(probs) > 0 {
		return nil, &ExtractError{Archive: path, Problems: probs}
	}
	if err := outdir.NotADir(dir); err != nil {
		return nil, err
	}
	// A missing dir has nothing in the way; it is created only when the
	// first member is staged.
	st := &staging{dir: cmp.Or(dir, "."), wrap: c.wrap}
	defer st.close()
	if st.root, err = os.OpenRoot(st.dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	type job struct {
		rel  string // local to dir, with the system's separator
		show string // as the user named it: under dir
		m    MemberInfo
		tmp  string // the staged file, relative to dir
		same bool   // an identical file is already there
	}
	var jobs []*job
	var probs []string
	for _, m := range members {
		rel := filepath.FromSlash(strings.ReplaceAll(m.Name, `\`, "/"))
		if !filepath.IsLocal(rel) {
			probs = append(probs, fmt.Sprintf("member %q resolves outside %s", m.Name, dir))
			continue
		}
		same, msg := checkDest(st.root, dir, rel, m, force)
		if msg != "" {
			probs = append(probs, fmt.Sprintf("member %q: %s", m.Name, msg))
			continue
		}
		jobs = append(jobs, &job{rel: rel, show: filepath.Join(dir, rel), m: m, same: same})
	}
	if len(probs) > 0 {
		return nil, &ExtractError{Archive: path, Problems: probs}
	}

	// Second pass: stage every member, streaming it to its file and
	// creating directories as needed; undo it all on the first failure
	// or when ctx is done.
	// Names are unique, so members and jobs pair up in order.
	i := 0
	var stageErr error
	_, err = c.walkFile(path, func(name string, size int64, r io.Reader) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if i >= len(jobs) || jobs[i].m.Name != name {
			return fmt.Errorf("member %q was not there on the first read; the archive changed", name)
		}
		j := jobs[i]
		i++
		if j.same {
			return nil
		}
		if j.tmp, stageErr = st.stage(j.rel, r, j.m); stageErr != nil {
			stageErr = fmt.Errorf("writing %s: %w", j.show, stageErr)
			return stageErr
		}
		return nil
	}, nil)
	if cerr := ctx.Err(); cerr != nil {
		st.undo()
		return nil, cerr
	}
	switch {
	case stageErr != nil:
		err = fmt.Errorf("extracting %s: %w; nothing was written", path, stageErr)
	case err != nil:
		err = fmt.Errorf("extracting %w; nothing was written", err) // err names path
	case i != len(jobs):
		err = fmt.Errorf("extracting %s: the archive changed since it was first read; nothing was written", path)
	}
	if err != nil {
		st.undo()
		return nil, err
	}
	// Commit, unless interrupted: the renames are quick, and once begun
	// they run to the end.
	if err := ctx.Err(); err != nil {
		st.undo()
		return nil, err
	}
	var out []string
	for _, j := range jobs {
		out = append(out, j.show)
		if j.tmp == "" {
			continue
		}
		if err := st.root.Rename(j.tmp, j.rel); err != nil {
			st.undo()
			return nil, fmt.Errorf("extracting %s: writing %s: %w", path, j.show, pathErr(err))
		}
		st.committed(j.tmp)
	}
	return out, nil
}

// staging is an extraction in progress: the root it writes through, and
// what it created, so that a failure can take it back.
type staging struct {
	dir   string
	root  *os.Root // nil until dir exists
	wrap  func(name string, w io.Writer) io.Writer
	outer []string // dir and its missing parents, made by outdir.MkdirAll
	inner []string // directories under dir, relative, parents first
	tmps  []string // staged files not yet renamed, relative
}

// stage writes r to a temporary file in the directory of rel (creating
// it as needed) and returns the file's name, relative to dir; renaming it
// to rel is the caller's commit. What it writes must be m (its size and
// SHA-256 when first read).
func (s *staging) stage(rel string, r io.Reader, m MemberInfo) (string, error) {
	if s.root == nil {
		made, err := outdir.MkdirAll(s.dir)
		s.outer = made
		if err != nil {
			return "", err
		}
		if s.root, err = os.OpenRoot(s.dir); err != nil {
			return "", err
		}
	}
	if err := s.mkdirAll(filepath.Dir(rel)); err != nil {
		return "", pathErr(err)
	}
	f, tmp, err := s.createTemp(filepath.Dir(rel))
	if err != nil {
		return "", err
	}
	s.tmps = append(s.tmps, tmp)
	var w io.Writer = f
	if s.wrap != nil {
		w = s.wrap(filepath.Base(rel), f)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), r)
	if err == nil && (n != m.Size || hex.EncodeToString(h.Sum(nil)) != m.SHA256) {
		err = errors.New("the member changed since it was first read")
	}
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", pathErr(err)
	}
	return tmp, nil
}

// mkdirAll creates directory rel under dir and its missing parents,
// recording each one it made.
func (s *staging) mkdirAll(rel string) error {
	if rel == "." {
		return nil
	}
	if err := s.mkdirAll(filepath.Dir(rel)); err != nil {
		return err
	}
	err := s.root.Mkdir(rel, 0o755)
	if err == nil {
		s.inner = append(s.inner, rel)
	}
	if errors.Is(err, fs.ErrExist) {
		return nil // checkDest saw a directory there (a file would fail the create)
	}
	return err
}

// createTemp creates a new temporary file in directory rel under dir.
func (s *staging) createTemp(rel string) (*os.File, string, error) {
	for try := 0; ; try++ {
		var b [6]byte
		rand.Read(b[:])
		name := filepath.Join(rel, outdir.TempPrefix+"x-"+hex.EncodeToString(b[:]))
		f, err := s.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			return f, name, nil
		}
		if errors.Is(err, fs.ErrExist) && try < 100 {
			continue
		}
		return nil, "", pathErr(err)
	}
}

// committed records that the staged file tmp was renamed into place.
func (s *staging) committed(tmp string) {
	s.tmps = slices.DeleteFunc(s.tmps, func(t string) bool { return t == tmp })
}

// undo removes the staged files not yet renamed, then the directories
// this extraction made, deepest first, if they are empty.
func (s *staging) undo() {
	if s.root != nil {
		for _, t := range s.tmps {
			s.root.Remove(t)
		}
		for _, d := range slices.Backward(s.inner) {
			s.root.Remove(d)
		}
		s.root.Close()
		s.root = nil
	}
	s.tmps, s.inner = nil, nil
	outdir.RemoveDirs(s.outer)
	s.outer = nil
}

func (s *staging) close() {
	if s.root != nil {
		s.root.Close()
	}
}

// checkDest looks at where member rel would go under root (nil when dir
// does not exist yet). It reports whether an identical file is already
// there, or why the member must not be written: a symlink or a
// non-directory on the way, or something other than a regular file at
// the destination, or (without force) a file with different bytes.
func checkDest(root *os.Root, dir, rel string, m MemberInfo, force bool) (same bool, problem string) {
	if root == nil {
		return false, ""
	}
	parts := strings.Split(rel, string(filepath.Separator))
	cur, show := "", dir
	for i, part := range parts {
		cur, show = filepath.Join(cur, part), filepath.Join(show, part)
		st, err := root.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return false, ""
		}
		if err != nil {
			return false, fmt.Sprintf("%s: %v", show, pathErr(err))
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
	size, sum, err := rootSHA256(root, cur)
	if err != nil {
		return false, fmt.Sprintf("reading %s: %v", show, pathErr(err))
	}
	if size == m.Size && sum == m.SHA256 {
		return true, ""
	}
	if !force {
		return false, fmt.Sprintf("%s exists with different content (use --force to replace it)", show)
	}
	return false, ""
}

// rootSHA256 returns the size and SHA-256 of the regular file rel under
// root.
func rootSHA256(root *os.Root, rel string) (int64, string, error) {
	f, err := root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return 0, "", err
	} else if !st.Mode().IsRegular() {
		return 0, "", errors.New("not a regular file")
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// pathErr drops the name from a *fs.PathError: it is relative to the
// root, or a temporary file's; the caller names the file the user knows.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
