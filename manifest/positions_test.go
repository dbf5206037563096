package manifest

import (
	"strings"
	"testing"
	"time"
)

// TestLongLinePositionsLinear: hostile case "a one-line suppress list of
// megabytes" (issue 20 item 6). Every node's position is converted from
// yaml.v3's character column to a byte column; walking the line from its
// start for each node made this quadratic (300 KB took 10 s, 3.5 MB did
// not finish in 60 s). The same list written one item per line, which
// was always linear, is the yardstick, so that a busy machine does not
// fail the test.
func TestLongLinePositionsLinear(t *testing.T) {
	size := 3_500_000
	if testing.Short() {
		size = 300_000
	}
	head := "image: x\nrelease: 1.0.0\ntarget: wm6\npackages:\n  - name: P\n    version: 1.0.0\n    owner: oem\n    suppress:"
	parse := func(data string) time.Duration {
		start := time.Now()
		_, err := Parse("big.yaml", []byte(data))
		took := time.Since(start)
		if list, ok := err.(ErrorList); ok && len(list) > 0 && list[0].Line == 0 {
			t.Errorf("unpositioned: %v", list[0])
		}
		return took
	}
	for _, tc := range []struct {
		name string
		item string
	}{
		{"ASCII", "PX0201"},
		// Non-ASCII characters before the nodes: a character column is not
		// a byte column.
		{"non-ASCII", "PXé201"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var flow, block strings.Builder
			flow.WriteString(head + " [")
			block.WriteString(head + "\n")
			for flow.Len() < size {
				flow.WriteString(tc.item + ", ")
				block.WriteString("      - " + tc.item + "\n")
			}
			flow.WriteString("é]\n")
			block.WriteString("      - é\n")
			lines := parse(block.String())
			one := parse(flow.String())
			t.Logf("%d bytes on one line: %v; one item per line: %v", flow.Len(), one, lines)
			if one > 4*lines+time.Second || one > time.Minute {
				t.Errorf("a %d-byte one-line list took %v, the same list one item per line %v", flow.Len(), one, lines)
			}
		})
	}
}
