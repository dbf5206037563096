package manifest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// TestHostileManifestMemory: manifests built to exhaust memory or time
// (alias bombs, deep nesting, huge mappings and scalars) are refused with
// positioned errors and allocations in proportion to their size: aliases
// are never expanded.
func TestHostileManifestMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("exhaustive; runs without -short")
	}
	bomb := "image: x\nrelease: 1.0.0\ntarget: wm6\na0: &a0 [" + strings.Repeat(`"lol",`, 9) + "\"lol\"]\n"
	for i := 1; i < 12; i++ {
		bomb += fmt.Sprintf("a%d: &a%d [%s*a%d]\n", i, i, strings.Repeat(fmt.Sprintf("*a%d,", i-1), 9), i-1)
	}
	bomb += "packages: *a11\n"
	var keys strings.Builder
	keys.WriteString("image: x\n")
	for i := range 200_000 {
		fmt.Fprintf(&keys, "k%d: 1\n", i)
	}
	cases := []struct {
		name, doc string
		want      string // in the first error
	}{
		{"an alias bomb of 10^12 strings", bomb, "anchor &a0: anchors and aliases are not allowed"},
		{"100,000 nested flow sequences", "image: x\npackages: " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "\n", "exceeded max depth"},
		{"100,000 nested flow mappings", "image: x\npackages: " + strings.Repeat("{a: ", 100_000) + "1" + strings.Repeat("}", 100_000) + "\n", "exceeded max depth"},
		{"200,000 unknown keys", keys.String(), `unknown key "k0"`},
		{"a 7 MB scalar", "image: " + strings.Repeat("x", 7<<20) + "\n", "release: required key is missing"},
	}
	for _, tc := range cases {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		m, err := Parse("hostile.yaml", []byte(tc.doc))
		runtime.ReadMemStats(&after)
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s: %d bytes in, %d allocated", tc.name, len(tc.doc), alloc)
		// yaml.v3 nodes, and an error with a suggestion per unknown key,
		// cost a few hundred bytes per input byte; anything superlinear
		// (an alias expanded) is far beyond.
		if limit := uint64(300*len(tc.doc) + 16<<20); alloc > limit {
			t.Errorf("%s: %d bytes allocated for %d bytes of input (limit %d)", tc.name, alloc, len(tc.doc), limit)
		}
		list, ok := err.(ErrorList)
		if m != nil || !ok || len(list) == 0 {
			t.Fatalf("%s: want an ErrorList, got %v", tc.name, err)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: want %q among the errors, got %.300s", tc.name, tc.want, err)
		}
		for _, e := range list {
			if e.File != "hostile.yaml" || e.Line < 1 {
				t.Errorf("%s: unpositioned error %v", tc.name, e)
				break
			}
		}
	}
}
