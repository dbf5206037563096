package manifest

import (
	"strings"
	"testing"
	"time"
)

// TestLongLinePositionsLinear: hostile case "a one-line suppress list of
// megabytes" (issue 20 item 6). Every node's position is converted from
// yaml.v3's character column to a byte column; walking the line from its
// start for each node made this quadratic (3.5 MB did not finish in 60 s).
func TestLongLinePositionsLinear(t *testing.T) {
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
			size := 3_500_000
			if testing.Short() {
				size = 300_000
			}
			var b strings.Builder
			b.WriteString("image: x\nrelease: 1.0.0\ntarget: wm6\npackages:\n  - name: P\n    version: 1.0.0\n    owner: oem\n    suppress: [")
			for b.Len() < size {
				b.WriteString(tc.item)
				b.WriteString(", ")
			}
			b.WriteString("é]\n")
			start := time.Now()
			_, err := Parse("big.yaml", []byte(b.String()))
			took := time.Since(start)
			t.Logf("%d bytes parsed in %v", b.Len(), took)
			if took > 10*time.Second {
				t.Errorf("parsing a %d-byte one-line list took %v", b.Len(), took)
			}
			if err == nil {
				return
			}
			// Whatever is reported must be positioned on line 8.
			list, ok := err.(ErrorList)
			if !ok {
				t.Fatalf("not an ErrorList: %v", err)
			}
			if len(list) > 0 && list[0].Line == 0 {
				t.Errorf("unpositioned: %v", list[0])
			}
		})
	}
}
