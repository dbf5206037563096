//go:build !linux

package pkgbuild

import (
	"errors"
	"os"
)

// syncStaged makes the staged files durable before they are renamed.
func syncStaged(dir string, files []string) error { return syncEach(files) }

// rename renames a staged file over its destination.
func rename(tmp, dest string) error { return os.Rename(tmp, dest) }

// renameNoReplace is not available here: archives wait for the commit.
func renameNoReplace(tmp, dest string) error { return errors.ErrUnsupported }
