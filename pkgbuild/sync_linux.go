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
