package provxml

import (
	"runtime"
	"strings"
	"testing"
)

// TestHostileInputMemory: documents built to exhaust memory are refused
// (or parsed) with allocations in proportion to their size, whatever
// they nest, repeat or reference.
func TestHostileInputMemory(t *testing.T) {
	const root = "<wap-provisioningdoc>"
	cases := []struct {
		name string
		doc  string
		rule *Rule // nil when the document parses
	}{
		{"200,000 levels", root + strings.Repeat("<characteristic>", 200_000) + strings.Repeat("</characteristic>", 200_000) + "</wap-provisioningdoc>", &RuleLimit},
		{"more elements than allowed", root + strings.Repeat(`<characteristic type="A"/>`, DefaultMaxElements+1) + "</wap-provisioningdoc>", &RuleLimit},
		{"an attribute of 8 MB less a little", root + `<characteristic type="` + strings.Repeat("A", DefaultMaxSize-100) + `"/></wap-provisioningdoc>`, nil},
		{"a million character references", root + `<characteristic type="` + strings.Repeat("&#x41;", 1_000_000) + `"/></wap-provisioningdoc>`, nil},
		{"undefined entities", root + `<characteristic type="` + strings.Repeat("&lol;", 1_000_000) + `"/></wap-provisioningdoc>`, &RuleSyntax},
		{"an entity bomb", `<!DOCTYPE x [<!ENTITY a "` + strings.Repeat("&b;", 100_000) + `">]>` + root + "&a;</wap-provisioningdoc>", &RuleDTD},
		{"a long comment", root + "<!--" + strings.Repeat("-x", 3_000_000) + "--></wap-provisioningdoc>", nil},
		{"long text", root + strings.Repeat("text ", 1_500_000) + "</wap-provisioningdoc>", nil},
		{"an unclosed attribute", root + `<characteristic type="` + strings.Repeat("A", 7_000_000), &RuleSyntax},
	}
	for _, tc := range cases {
		data := []byte(tc.doc)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := Parse("hostile.provxml", data, ParseOptions{})
		runtime.ReadMemStats(&after)
		alloc := after.TotalAlloc - before.TotalAlloc
		if limit := uint64(24*len(data) + 4<<20); alloc > limit {
			t.Errorf("%s: %d bytes allocated for %d bytes of input (limit %d)", tc.name, alloc, len(data), limit)
		}
		switch se, ok := err.(*SyntaxError); {
		case tc.rule == nil && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.rule != nil && (!ok || se.Rule != tc.rule || !se.Pos.IsValid()):
			t.Errorf("%s: want a positioned %s error, got %v", tc.name, tc.rule.ID, err)
		}
		t.Logf("%s: %d bytes in, %d allocated: %v", tc.name, len(data), alloc, err)
	}
}
