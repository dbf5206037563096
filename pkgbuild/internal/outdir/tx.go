package outdir

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// ConflictError lists existing outputs that differ from what the build
// would write; Commit replaces them only when forced.
type ConflictError struct {
	Dir   string
	Files []string
	// Others are guarded files outside Dir (see CreateGuarded), by path.
	Others []string
}

func (e *ConflictError) Error() string {
	var parts []string
	if len(e.Files) > 0 {
		parts = append(parts, fmt.Sprintf("%s already holds different %s", e.Dir, strings.Join(e.Files, ", ")))
	}
	if len(e.Others) > 0 {
		verb := "exists"
		if len(e.Others) > 1 {
			verb = "exist"
		}
		parts = append(parts, fmt.Sprintf("%s already %s with different bytes", strings.Join(e.Others, ", "), verb))
	}
	return strings.Join(parts, "; ") + "; nothing was written (use --force to replace them, or build into an empty directory)"
}

// NotRegularError is a destination that exists and is not a regular
// file. No build replaces it, forced or not.
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file; nothing was written (remove or rename it, or build into another directory)", e.Path, kind(e.Mode))
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// Options say how a transaction writes.
type Options struct {
	// Durable syncs every staged file before it is closed, the files
	// kept from an earlier build, and the directories renamed into: a
	// release, whose lock must never survive a crash that the outputs
	// it records did not.
	Durable bool
	// Wrap, when set, wraps the writer of every staged file (tests fail
	// writes half-way with it, as a full disk would).
	Wrap func(name string, w io.Writer) io.Writer
}

// Tx is one transaction on an output directory.
type Tx struct {
	dir     string
	opt     Options
	made    []string // directories Begin created, parents first
	guard   *Guard
	present map[string]bool

	mu     sync.Mutex
	staged []*File
	kept   []string // outputs left from an earlier build, unchanged
	// scratch are the caller's temporary files, removed by End.
	scratch []string
	// removals are outputs of an earlier build the commit removes.
	removals []string
	done     bool
}

// BeginFiles begins a transaction on files outside any output
// directory, staged with CreateAt: the manifest and its lock, which the
// caller guards.
func BeginFiles(opt Options) *Tx { return &Tx{opt: opt} }

// Begin creates dir if needed, guards it (see Lock) and notes what it
// holds.
func Begin(dir string, opt Options) (*Tx, error) {
	if dir == "" {
		return nil, errors.New("no output directory given")
	}
	if err := NotADir(dir); err != nil {
		return nil, err
	}
	made, err := MkdirAll(dir)
	if err != nil {
		RemoveDirs(made)
		return nil, fmt.Errorf("creating output directory: %w", err)
	}
	g, err := Lock(dir, "the output directory")
	if err != nil {
		RemoveDirs(made)
		return nil, err
	}
	names, err := list(dir)
	if err != nil {
		g.Unlock()
		RemoveDirs(made)
		return nil, err
	}
	return &Tx{dir: dir, opt: opt, made: made, guard: g, present: names}, nil
}

// Names lists, sorted, what the directory held when Begin looked, but
// provpack's own temporary files.
func (t *Tx) Names() []string {
	var names []string
	for n := range t.present {
		if !strings.HasPrefix(n, TempPrefix) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// Keep records an output that an earlier build left in place and this
// one keeps as it is; a durable commit syncs it.
func (t *Tx) Keep(name string) {
	t.mu.Lock()
	t.kept = append(t.kept, name)
	t.mu.Unlock()
}

// Create stages the output name of the directory. Its SHA-256 is
// computed while it is written when hashed is set, and always when the
// directory already holds a file of that name, so that Close can tell an
// identical output from a changed one.
func (t *Tx) Create(name string, hashed bool) (*File, error) {
	f, err := t.create(filepath.Join(t.dir, name), name, 0o644, hashed)
	if f != nil {
		f.output = true
	}
	return f, err
}

// CreateAt stages a file for dest outside the output directory (the
// manifest, the release lock), with permissions perm. The caller guards
// dest's directory. Commit renames such files after the outputs, in the
// order they were created.
func (t *Tx) CreateAt(dest string, perm fs.FileMode) (*File, error) {
	return t.create(dest, filepath.Base(dest), perm, false)
}

// CreateGuarded is CreateAt for a file that, like an output, Commit
// replaces only when forced if it exists with other bytes (a generated
// project beside the outputs, say).
func (t *Tx) CreateGuarded(dest string, perm fs.FileMode) (*File, error) {
	f, err := t.create(dest, filepath.Base(dest), perm, false)
	if f != nil {
		f.guarded = true
	}
	return f, err
}

func (t *Tx) create(dest, name string, perm fs.FileMode, hashed bool) (*File, error) {
	existing, err := regular(dest)
	if err != nil {
		return nil, err
	}
	f, tmp, err := createTemp(filepath.Dir(dest), filepath.Base(dest))
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", dest, err)
	}
	sf := &File{tx: t, dest: dest, name: name, tmp: tmp, f: f, w: f, perm: perm, existed: existing}
	if t.opt.Wrap != nil {
		sf.w = t.opt.Wrap(name, f)
	}
	if hashed || existing {
		sf.h = sha256.New()
	}
	t.mu.Lock()
	t.staged = append(t.staged, sf)
	t.mu.Unlock()
	return sf, nil
}

// Scratch creates a temporary file in the directory for the caller's own
// use (a spill file, say); End removes it. It is never committed.
func (t *Tx) Scratch() (*os.File, error) {
	f, tmp, err := createTemp(t.dir, "scratch")
	if err != nil {
		return nil, fmt.Errorf("writing a temporary file in %s: %w", t.dir, err)
	}
	t.mu.Lock()
	t.scratch = append(t.scratch, tmp)
	t.mu.Unlock()
	return f, nil
}

// Remove makes the commit remove name, a regular file the directory
// holds, together with the renames: it is gone only if the commit
// succeeds.
func (t *Tx) Remove(name string) {
	t.mu.Lock()
	t.removals = append(t.removals, name)
	t.mu.Unlock()
}

// Commit renames every staged file into place, outputs first and the
// files for CreateAt last, each over its destination. Before renaming
// anything it checks every destination: one that is not a regular file
// is a *NotRegularError; one that holds other bytes is a *ConflictError
// unless force is set. If a rename fails, the ones before it are undone.
// Commit fails if a staged file is still open.
func (t *Tx) Commit(force bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return errors.New("output transaction already committed")
	}
	var moves []*File
	var conflicts, others []string
	for _, f := range t.staged {
		if f.f != nil {
			return fmt.Errorf("writing %s: still open at commit", f.dest)
		}
		if f.unchanged || f.tmp == "" {
			continue
		}
		exists, err := regular(f.dest)
		if err != nil {
			return err
		}
		switch {
		case !exists || force:
		case f.inDir():
			conflicts = append(conflicts, f.name)
		case f.guarded:
			others = append(others, f.dest)
		}
		moves = append(moves, f)
	}
	if len(conflicts) > 0 || len(others) > 0 {
		slices.Sort(conflicts)
		slices.Sort(others)
		return &ConflictError{Dir: t.dir, Files: conflicts, Others: others}
	}
	// Outputs first, then the files beside the manifest in the order
	// they were staged: the lock last.
	slices.SortStableFunc(moves, func(a, b *File) int {
		switch {
		case a.inDir() == b.inDir():
			return 0
		case a.inDir():
			return -1
		}
		return 1
	})
	if t.opt.Durable {
		for _, name := range t.kept {
			if err := syncFile(filepath.Join(t.dir, name)); err != nil {
				return err
			}
		}
	}
	var removals []string
	for _, name := range t.removals {
		path := filepath.Join(t.dir, name)
		exists, err := regular(path)
		if err != nil {
			return err
		}
		if exists {
			removals = append(removals, path)
		}
	}
	if err := renameAll(moves, removals); err != nil {
		return err
	}
	t.done = true
	if t.opt.Durable {
		dirs := map[string]bool{}
		if t.dir != "" {
			dirs[t.dir] = true
		}
		for _, f := range moves {
			dirs[filepath.Dir(f.dest)] = true
		}
		for d := range dirs {
			if err := syncFile(d); err != nil {
				return err
			}
		}
	}
	return nil
}

// renameAll renames each staged file over its destination, then moves
// each of removals aside. A destination about to be replaced is first
// hard-linked to a temporary name, and a file to remove is renamed to
// one, so that a failure can put back every file replaced or removed
// before it; only when all succeeded are the temporary names removed.
func renameAll(moves []*File, removals []string) error {
	type undo struct{ dest, backup string }
	var undos []undo
	rollback := func() {
		for _, u := range slices.Backward(undos) {
			if u.backup != "" {
				os.Rename(u.backup, u.dest)
			} else {
				os.Remove(u.dest)
			}
		}
	}
	for _, f := range moves {
		u := undo{dest: f.dest}
		if _, err := os.Lstat(f.dest); err == nil {
			u.backup = filepath.Join(filepath.Dir(f.dest), TempPrefix+"old-"+randomName())
			if err := os.Link(f.dest, u.backup); err != nil {
				rollback()
				return fmt.Errorf("writing %s: keeping the old file until the commit: %w", f.dest, err)
			}
		}
		if err := os.Rename(f.tmp, f.dest); err != nil {
			if u.backup != "" {
				os.Remove(u.backup)
			}
			rollback()
			return fmt.Errorf("writing %s: %w", f.dest, err)
		}
		f.tmp = ""
		undos = append(undos, u)
	}
	for _, path := range removals {
		u := undo{dest: path, backup: filepath.Join(filepath.Dir(path), TempPrefix+"old-"+randomName())}
		if err := os.Rename(path, u.backup); err != nil {
			rollback()
			return fmt.Errorf("removing %s: %w", path, err)
		}
		undos = append(undos, u)
	}
	for _, u := range undos {
		if u.backup != "" {
			os.Remove(u.backup)
		}
	}
	return nil
}

// End removes every staged file that was not committed and releases the
// directory; when nothing was committed, it also removes the directories
// Begin created, if still empty.
func (t *Tx) End() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, f := range t.staged {
		f.discard()
	}
	for _, tmp := range t.scratch {
		os.Remove(tmp)
	}
	t.guard.Unlock()
	if !t.done {
		RemoveDirs(t.made)
	}
}

// Committed reports whether Commit renamed the staged files into place.
func (t *Tx) Committed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.done
}

// File is one staged file being written.
type File struct {
	tx      *Tx
	dest    string // where it goes
	name    string // its name to the user, in errors
	tmp     string // "" once renamed or discarded
	f       *os.File
	w       io.Writer
	h       hash.Hash
	n       int64
	perm    fs.FileMode
	existed bool
	output  bool
	guarded bool // CreateGuarded: a conflict like an output

	sum       string
	unchanged bool
}

// inDir reports whether f is an output of the directory rather than a
// file for CreateAt.
func (f *File) inDir() bool { return f.output }

// Write writes to the staged file, hashing as it goes.
func (f *File) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if f.h != nil {
		f.h.Write(p[:n])
	}
	f.n += int64(n)
	return n, err
}

// Close finishes the staged file: its permissions, a sync when the
// transaction is durable, and its size and hash. When the destination
// already holds the same bytes, the staged file is dropped and the
// output counts as unchanged.
func (f *File) Close() error {
	if f.f == nil {
		return nil
	}
	err := f.f.Chmod(f.perm)
	if err == nil && f.tx.opt.Durable {
		err = f.f.Sync()
	}
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	f.f = nil
	if err != nil {
		return fmt.Errorf("writing %s: %w", f.name, pathErr(err))
	}
	if f.h == nil {
		return nil
	}
	f.sum = hex.EncodeToString(f.h.Sum(nil))
	if f.existed && sameContent(f.dest, f.n, f.sum) {
		os.Remove(f.tmp)
		f.tmp, f.unchanged = "", true
	}
	return nil
}

// Discard abandons the staged file; Commit then leaves its destination
// alone.
func (f *File) Discard() {
	f.tx.mu.Lock()
	defer f.tx.mu.Unlock()
	f.discard()
	f.unchanged = true
}

func (f *File) discard() {
	if f.f != nil {
		f.f.Close()
		f.f = nil
	}
	if f.tmp != "" {
		os.Remove(f.tmp)
		f.tmp = ""
	}
}

// Size is the number of bytes written.
func (f *File) Size() int64 { return f.n }

// SHA256 is the hex SHA-256 of the bytes written, once closed, when it
// was computed (see Tx.Create).
func (f *File) SHA256() string { return f.sum }

// Unchanged reports whether the destination already held the same bytes.
func (f *File) Unchanged() bool { return f.unchanged }

// TempName is the staged file's path until it is renamed or discarded.
func (f *File) TempName() string { return f.tmp }

// regular reports whether path exists as a regular file. It never opens
// path; anything there that is not a regular file is a
// *NotRegularError.
func regular(path string) (bool, error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("writing %s: %w", path, err)
	case !fi.Mode().IsRegular():
		return false, &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	return true, nil
}

// sameContent reports whether the regular file path holds size bytes
// with the SHA-256 sum.
func sameContent(path string, size int64, sum string) bool {
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != size {
		return false
	}
	_, got, err := FileSHA256(path)
	return err == nil && got == sum
}

// FileSHA256 is the size and hex SHA-256 of the regular file at path;
// anything else is an error, and is never opened.
func FileSHA256(path string) (int64, string, error) {
	if ok, err := regular(path); err != nil {
		return 0, "", err
	} else if !ok {
		return 0, "", &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// createTemp creates a temporary file in dir for the destination base.
// Names are kept short: a destination name may already be as long as the
// file system allows.
func createTemp(dir, base string) (*os.File, string, error) {
	if len(base) > 40 {
		base = base[:40]
	}
	for try := 0; ; try++ {
		name := filepath.Join(dir, TempPrefix+base+"-"+randomName())
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			return f, name, nil
		}
		if errors.Is(err, fs.ErrExist) && try < 100 {
			continue
		}
		return nil, "", pathErr(err)
	}
}

func randomName() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// list returns the names in dir.
func list(dir string) (map[string]bool, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	names := make(map[string]bool, len(ents))
	for _, e := range ents {
		names[e.Name()] = true
	}
	return names, nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	serr := f.Sync()
	cerr := f.Close()
	if serr != nil {
		return fmt.Errorf("syncing %s: %w", path, serr)
	}
	return cerr
}

// MkdirAll is os.MkdirAll that returns the directories it created,
// parents first, so that a failed run can remove them again.
func MkdirAll(dir string) ([]string, error) {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	var made []string
	for _, d := range slices.Backward(missing) {
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return made, err
		} else if err == nil {
			made = append(made, d)
		}
	}
	return made, nil
}

// RemoveDirs removes directories made by MkdirAll, deepest first, if they
// are empty.
func RemoveDirs(made []string) {
	for _, d := range slices.Backward(made) {
		os.Remove(d)
	}
}

// NotADir reports an output path that is, or lies under, something other
// than a directory.
func NotADir(dir string) error {
	clean := filepath.Clean(dir)
	for d := clean; ; d = filepath.Dir(d) {
		if st, err := os.Stat(d); err == nil {
			switch {
			case st.IsDir():
				return nil
			case d == clean:
				return fmt.Errorf("output path %s is a file, not a directory", dir)
			}
			return fmt.Errorf("output path %s: %s is a file, not a directory", dir, d)
		}
		if filepath.Dir(d) == d {
			return nil
		}
	}
}

// pathErr drops the name of a temporary file from a *fs.PathError: the
// caller names the file the user knows.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
