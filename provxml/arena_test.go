package provxml

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/provpack/provpack/internal/testutil"
)

// TestArenaReuse parses every well-formed corpus and test document into
// one arena, several documents between resets and in two orders, and
// requires each to come out as it does parsed on its own: the same
// canonical bytes, findings and settings. A stale element or attribute
// left from an earlier document would show here.
func TestArenaReuse(t *testing.T) {
	var files []string
	for _, pattern := range []string{filepath.Join(testutil.Corpus(t), "*.provxml"), "testdata/canonical/*.provxml"} {
		m, _ := filepath.Glob(pattern)
		files = append(files, m...)
	}
	type result struct {
		canonical []byte
		findings  []Finding
		settings  []Setting
	}
	lint := func(name string, data []byte, a *Arena) (result, bool) {
		doc, fs := Lint(name, data, ParseOptions{Arena: a}, Options{})
		if doc == nil {
			return result{}, false
		}
		return result{Canonical(doc), fs, Flatten(doc)}, true
	}
	var names []string
	var datas [][]byte
	var want []result
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, ok := lint(f, data, nil)
		if !ok {
			continue
		}
		names, datas, want = append(names, f), append(datas, data), append(want, r)
	}
	if len(names) < 10 {
		t.Fatalf("only %d documents to parse", len(names))
	}
	var a Arena
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	for pass := range 2 {
		if pass == 1 {
			slices.Reverse(order)
		}
		for k, i := range order {
			if k%3 == 0 {
				a.Reset() // three documents alive at once, then reuse
			}
			got, ok := lint(names[i], datas[i], &a)
			if !ok {
				t.Fatalf("%s: does not parse into an arena", names[i])
			}
			if !bytes.Equal(got.canonical, want[i].canonical) {
				t.Errorf("%s (pass %d): canonical output differs when parsed into a used arena", names[i], pass)
			}
			if !slices.Equal(got.findings, want[i].findings) {
				t.Errorf("%s (pass %d): findings differ: %v, want %v", names[i], pass, got.findings, want[i].findings)
			}
			if !slices.EqualFunc(got.settings, want[i].settings, equalSetting) {
				t.Errorf("%s (pass %d): settings differ", names[i], pass)
			}
		}
	}
}

func equalSetting(a, b Setting) bool {
	return a.CSP == b.CSP && slices.Equal(a.Path, b.Path) && a.Name == b.Name && a.Value == b.Value &&
		a.HasValue == b.HasValue && a.Datatype == b.Datatype && a.Op == b.Op && slices.Equal(a.Attrs, b.Attrs) && a.Pos == b.Pos
}
