package report

import (
	"fmt"
	"strings"
	"testing"
)

// TestParseSums: SHA256SUMS is parsed strictly, line by line, whatever a
// line's length (issue 20: a first line over 64 KiB made every hash pass).
func TestParseSums(t *testing.T) {
	h := strings.Repeat("ab", 32)
	in := strings.Join([]string{
		h + "  a.cab",            // 1: good
		strings.Repeat("x", 1e5), // 2: long
		h + " *b.cab",            // 3: binary marker, not what provpack writes
		strings.ToUpper(h) + "  c.cab",
		h + "  ../d.cab",
		h + "  sub/e.cab",
		h + "  f\x1b[2J.cab",
		h + "  a.cab", // 8: again
		"",
		h + "  g.cab", // 10: good, no final newline
	}, "\n")
	sums, errs := ParseSums([]byte(in))
	if fmt.Sprint(sums) != fmt.Sprintf("[{1 %s a.cab} {10 %s g.cab}]", h, h) {
		t.Errorf("sums: %v", sums)
	}
	var got []string
	for _, e := range errs {
		got = append(got, fmt.Sprintf("%d: %s", e.Line, e.Msg))
	}
	want := []string{
		`2: not "<64 hex digits>  <file name>": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"… (100000 bytes)`,
		`3: not "<64 hex digits>  <file name>"`,
		`4: not "<64 hex digits>  <file name>"`,
		`5: not the name of a file in the output directory`,
		`6: not the name of a file in the output directory`,
		`7: control character in the file name`,
		`8: "a.cab" is listed again (first on line 1)`,
		`9: not "<64 hex digits>  <file name>": ""`,
		`10: the last line does not end with a newline`,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d errors:\n%s", len(got), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error %d: got %s, want %s", i, got[i], want[i])
		}
	}
}
