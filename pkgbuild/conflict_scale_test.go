package pkgbuild

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestConflictCheckLinear: hostile case "every package of a large image
// writes the same setting" (issue 20 item 9). Dropping a package's earlier
// write from the key's writer list on every write, and naming every writer
// in every shadowing finding, made the conflict check quadratic in the
// writers of one key. Doubling the packages must not quadruple the time,
// and a finding names a bounded number of writers.
func TestConflictCheckLinear(t *testing.T) {
	n := 8000
	if testing.Short() {
		n = 1000
	}
	plan := func(n int) (time.Duration, []Finding) {
		t.Chdir(t.TempDir())
		var m strings.Builder
		m.WriteString("image: x\nrelease: 1.0.0\ntarget: wm6\npackages:\n")
		for i := range n {
			owner := "oem"
			if i == 0 {
				owner = "microsoft"
			}
			fmt.Fprintf(&m, "  - {name: P%06d, version: 1.0.0, owner: %s, update: [{settings: [{csp: Registry, characteristic: 'HKLM\\Software\\X', parms: [{name: V, value: \"%d\", datatype: integer}]}]}]}\n", i, owner, i)
		}
		if err := os.WriteFile("provpack.yaml", []byte(m.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		pl, err := Load(context.Background(), "provpack.yaml", Options{})
		if err != nil {
			t.Fatal(err)
		}
		return time.Since(start), pl.Findings
	}
	small, _ := plan(n / 2)
	big, fs := plan(n)
	t.Logf("%d packages: %v; %d packages: %v", n/2, small, n, big)
	if big > 4*small+2*time.Second {
		t.Errorf("planning %d packages took %v, %d took %v: worse than linear", n, big, n/2, small)
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
