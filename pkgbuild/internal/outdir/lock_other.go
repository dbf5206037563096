//go:build !unix

package outdir

import "os"

// flock is not available here; directories are not guarded.
func flock(*os.File) (held bool, err error) { return false, nil }
