package pkgbuild

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConflictCheckLinear: hostile case "every package of a large image
// writes the same setting" (issue 20 item 9). Dropping a package's earlier
// write from the key's writer list on every write, and naming every writer
// in every shadowing finding, made the conflict check quadratic in the
// writers of one key. Four times the packages must not take much more than
// four times as long, and a finding names a bounded number of writers.
func TestConflictCheckLinear(t *testing.T) {
	n, runs := 6000, 2
	if testing.Short() {
		n, runs = 1000, 3
	}
	write := func(dir string, n int) string {
		var m strings.Builder
		m.WriteString("image: x\nrelease: 1.0.0\ntarget: wm6\npackages:\n")
		for i := range n {
			owner := "oem"
			if i == 0 {
				owner = "microsoft"
			}
			fmt.Fprintf(&m, "  - {name: P%06d, version: 1.0.0, owner: %s, update: [{settings: [{csp: Registry, characteristic: 'HKLM\\Software\\X', parms: [{name: V, value: \"%d\", datatype: integer}]}]}]}\n", i, owner, i)
		}
		path := filepath.Join(dir, "provpack.yaml")
		if err := os.WriteFile(path, []byte(m.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// The fastest of a few runs: a busy machine only ever slows one down.
	plan := func(n int) (time.Duration, []Finding) {
		path := write(t.TempDir(), n)
		var best time.Duration
		var fs []Finding
		for range runs {
			start := time.Now()
			pl, err := Load(context.Background(), path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); best == 0 || took < best {
				best = took
			}
			fs = pl.Findings
		}
		return best, fs
	}
	// A quarter of the packages: linear time is 4 times as long for all
	// of them, quadratic 16 times.
	small, _ := plan(n / 4)
	big, fs := plan(n)
	t.Logf("%d packages: %v; %d packages: %v", n/4, small, n, big)
	if big > 8*small+time.Second {
		t.Errorf("planning %d packages took %v, %d took %v: worse than linear", n, big, n/4, small)
	}
	conflicts := 0
	for _, f := range fs {
		if f.ID == RuleShadowing.ID || f.ID == RuleConflict.ID {
			conflicts++
			if len(f.Message) > 4096 {
				t.Fatalf("a finding of %d bytes: %.200s...", len(f.Message), f.Message)
			}
		}
	}
	if conflicts != n-1 {
		t.Errorf("%d conflict findings, want one per package shadowing the Microsoft one (%d)", conflicts, n-1)
	}
}
