package pkgbuild

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// tempPrefix marks provpack's temporary files so an interrupted run's
// leftovers are recognisable (and removable) in an output directory.
const tempPrefix = ".provpack-tmp-"

// WriteFileAtomic writes data to path so that readers see either the old
// file or the complete new one: a temporary file in the same directory,
// synced, renamed over path, and the directory synced. On error the
// temporary file is removed and path is untouched.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	return writeAtomic(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeAtomic is WriteFileAtomic for content produced by a function.
func writeAtomic(path string, perm os.FileMode, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tempPrefix+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = write(f); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	if serr != nil {
		return fmt.Errorf("syncing %s: %w", dir, serr)
	}
	return cerr
}

// stageFile writes data to a synced temporary file beside dest, with
// permissions perm, and returns its name; renaming it to dest is the
// caller's commit. On error nothing is left behind.
func stageFile(dest string, data []byte, perm os.FileMode) (tmp string, err error) {
	f, err := os.CreateTemp(filepath.Dir(dest), tempPrefix+filepath.Base(dest)+"-*")
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", dest, pathErr(err))
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	var w io.Writer = f
	if testWriteHook != nil {
		w = testWriteHook(filepath.Base(dest), w)
	}
	if _, err = w.Write(data); err == nil {
		if err = f.Chmod(perm); err == nil {
			err = f.Sync()
		}
	}
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", dest, err)
	}
	if err = f.Close(); err != nil {
		return "", fmt.Errorf("writing %s: %w", dest, err)
	}
	return f.Name(), nil
}

// mkdirAll is os.MkdirAll that returns the directories it created,
// parents first, so that a failed run can remove them again.
func mkdirAll(dir string) ([]string, error) {
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

// removeDirs removes directories made by mkdirAll, deepest first, if they
// are empty.
func removeDirs(made []string) {
	for _, d := range slices.Backward(made) {
		os.Remove(d)
	}
}

// notADir reports an output path that is, or lies under, something other
// than a directory.
func notADir(dir string) error {
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
