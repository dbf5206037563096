package main

import (
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/provpack/provpack/manifest"
)

// streamingGC tunes the garbage collector for commands whose live heap
// stays small however large the image (lint, and build without
// --release): collect when the heap has grown to five times what is live
// rather than twice, which profiles of the small image showed costing
// 8% of a build in collection and page faults, but keep the heap under a
// soft limit, so a large image still builds in little memory. The limit
// is 128 MiB plus four times the size of the release lock beside
// manifest (if any): the lock is read whole, and a limit below what is
// live makes the collector run without pause. GOGC and GOMEMLIMIT, when
// set, win.
func streamingGC(manifestPath string) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		limit := int64(128 << 20)
		if manifestPath != "" {
			if fi, err := os.Stat(filepath.Join(filepath.Dir(manifestPath), manifest.DefaultLockName)); err == nil {
				limit += 4 * fi.Size()
			}
		}
		debug.SetMemoryLimit(limit)
	}
}
