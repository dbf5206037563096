package provxml

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: the parser never panics, every error is positioned, and
// anything that parses is checked, flattened and round-trips through the
// canonical writer.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{
		"../../shared/corpus/provxml/*.provxml",
		"../../shared/corpus/provxml/broken/*.provxml",
		"testdata/canonical/*.provxml",
	} {
		files, _ := filepath.Glob(pattern)
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	for _, tc := range ruleTable {
		f.Add([]byte(tc.trip))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Parse("fuzz.provxml", data, ParseOptions{MaxDepth: 64, MaxElements: 5000})
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error is not a *SyntaxError: %v", err)
			}
			if se.Pos.Line < 1 || se.Pos.Col < 1 || se.File != "fuzz.provxml" || se.Rule == nil {
				t.Fatalf("unpositioned error: %#v", se)
			}
			return
		}
		// Both targets: w10m walks the CSP descriptions as well.
		for _, opt := range []Options{{}, {Target: TargetW10M, Class: ClassUpdate}} {
			for _, fd := range Check(doc, opt) {
				if !fd.Pos.IsValid() {
					t.Fatalf("unpositioned finding: %v", fd)
				}
			}
		}
		Flatten(doc)
		first := Canonical(doc)
		doc2, err := Parse("canonical.provxml", first, ParseOptions{MaxDepth: 64, MaxElements: 5000})
		if err != nil {
			t.Fatalf("canonical output does not parse: %v\n%s", err, first)
		}
		if second := Canonical(doc2); !bytes.Equal(first, second) {
			t.Fatalf("canonical output not stable:\n%s\n---\n%s", first, second)
		}
		if Digest(doc) != Digest(doc2) {
			t.Fatal("digest changed across a canonical round trip")
		}
		// Parsed into an arena that holds an earlier input's elements,
		// the document is the same.
		fuzzArena.Reset()
		doc3, err := Parse("fuzz.provxml", data, ParseOptions{MaxDepth: 64, MaxElements: 5000, Arena: &fuzzArena})
		if err != nil {
			t.Fatalf("parses without an arena but not with one: %v", err)
		}
		if third := Canonical(doc3); !bytes.Equal(first, third) {
			t.Fatalf("parsed into a used arena, the document differs:\n%s\n---\n%s", first, third)
		}
	})
}

// fuzzArena carries elements from one fuzz input to the next.
var fuzzArena Arena
