package provxml

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provpack/provpack/internal/testutil"
)

// TestCorpus lints every real document of the shared corpus: the
// well-formed ones parse and their findings match a checked-in summary;
// the broken ones each yield one positioned syntax error.
func TestCorpus(t *testing.T) {
	dir := testutil.Corpus(t)
	var sum bytes.Buffer
	good, _ := filepath.Glob(filepath.Join(dir, "*.provxml"))
	broken, _ := filepath.Glob(filepath.Join(dir, "broken", "*.provxml"))
	if len(good) == 0 || len(broken) == 0 {
		t.Fatalf("corpus at %s is empty", dir)
	}
	for _, f := range good {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		doc, fs := Lint(name, data, ParseOptions{}, Options{})
		if doc == nil {
			t.Errorf("%s: well-formed corpus document did not parse: %v", name, fs)
			continue
		}
		if len(fs) == 0 {
			fmt.Fprintf(&sum, "%s: clean\n", name)
		}
		for _, x := range fs {
			fmt.Fprintf(&sum, "%s:%d:%d: %s\n", x.File, x.Pos.Line, x.Pos.Col, x.Rule.ID)
		}
	}
	for _, f := range broken {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := "broken/" + filepath.Base(f)
		doc, fs := Lint(name, data, ParseOptions{}, Options{})
		if doc != nil || len(fs) != 1 || fs[0].Rule.Severity != Error || !fs[0].Pos.IsValid() {
			t.Errorf("%s: want one positioned error, got %v", name, fs)
			continue
		}
		fmt.Fprintf(&sum, "%s:%d:%d: %s\n", name, fs[0].Pos.Line, fs[0].Pos.Col, fs[0].Rule.ID)
	}
	golden := filepath.Join("testdata", "corpus-findings.golden")
	if *update {
		if err := os.WriteFile(golden, sum.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got := sum.String(); got != string(want) {
		t.Errorf("corpus findings changed; review and run go test -update:\n%s", lineDiff(string(want), got))
	}
}

// lineDiff lists the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	w, g := map[string]bool{}, map[string]bool{}
	for _, l := range strings.Split(want, "\n") {
		w[l] = true
	}
	for _, l := range strings.Split(got, "\n") {
		g[l] = true
	}
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !w[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
