//go:build linux

package pkgbuild

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// syncStaged makes the staged files durable before they are renamed into
// place. One syncfs(2) per file system replaces an fsync per file: with
// hundreds of packages the per-file fsyncs were the largest single cost
// of a small build. The output directory's file system is synced, and
// that of any staged file elsewhere (the lock and the manifest, when the
// output directory is on another file system).
func syncStaged(dir string, files []string) error {
	dirs := []string{dir}
	seen := map[string]bool{dir: true}
	for _, f := range files {
		if d := filepath.Dir(f); !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	synced := map[uint64]bool{}
	for _, d := range dirs {
		var st unix.Stat_t
		if err := unix.Stat(d, &st); err != nil {
			return err
		}
		if synced[st.Dev] {
			continue
		}
		synced[st.Dev] = true
		if err := syncFS(d); err != nil {
			// Fall back to one fsync per file.
			if ferr := syncEach(files); ferr != nil {
				return fmt.Errorf("syncing %s: %w", d, ferr)
			}
			return nil
		}
	}
	return nil
}

func syncFS(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return unix.Syncfs(int(d.Fd()))
}

// rename renames a staged file over its destination. os.Rename first
// looks at the destination to refuse a directory, which rename(2) itself
// refuses (EISDIR); a build renames hundreds of files.
func rename(tmp, dest string) error {
	for {
		err := unix.Rename(tmp, dest)
		switch err {
		case nil:
			return nil
		case unix.EINTR: // as os.Rename retries, on network and FUSE file systems
			continue
		}
		return &os.LinkError{Op: "rename", Old: tmp, New: dest, Err: err}
	}
}

// renameNoReplace renames tmp to dest unless dest exists.
func renameNoReplace(tmp, dest string) error {
	for {
		err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dest, unix.RENAME_NOREPLACE)
		if err != unix.EINTR {
			return err
		}
	}
}
