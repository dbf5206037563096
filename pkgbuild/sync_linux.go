//go:build linux

package pkgbuild

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// syncStaged makes the staged files durable before they are renamed into
// place. One syncfs(2) on the output directory's file system replaces an
// fsync per file: with hundreds of packages the per-file fsyncs were the
// largest single cost of a small build.
func syncStaged(dir string, files []string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := unix.Syncfs(int(d.Fd())); err != nil {
		// Fall back to one fsync per file.
		if ferr := syncEach(files); ferr != nil {
			return fmt.Errorf("syncing %s: %w", dir, ferr)
		}
	}
	return nil
}

// startWriteback asks the kernel to start writing f's pages now, without
// waiting: by the time syncStaged runs, most of the data is on its way,
// and the writing overlaps the rest of the build.
func startWriteback(f *os.File) {
	_ = unix.SyncFileRange(int(f.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WRITE)
}
