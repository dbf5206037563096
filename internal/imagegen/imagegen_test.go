package imagegen_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provpack/provpack/internal/imagegen"
	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/provxml"
)

// sources returns the bytes of every .provxml file under dir, by path.
func sources(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".provxml") {
			return err
		}
		data, err := os.ReadFile(path)
		out[strings.TrimPrefix(path, dir)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func total(files map[string][]byte) int {
	n := 0
	for _, data := range files {
		n += len(data)
	}
	return n
}

// The realistic shape has the tidy image's file count and total size, is
// deterministic, and its manifest and files carry no error-level finding.
func TestRealisticShape(t *testing.T) {
	tidyDir, realDir, againDir := t.TempDir(), t.TempDir(), t.TempDir()
	if _, err := imagegen.Generate(tidyDir, imagegen.Small); err != nil {
		t.Fatal(err)
	}
	path, err := imagegen.Generate(realDir, imagegen.SmallRealistic)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := imagegen.Generate(againDir, imagegen.SmallRealistic); err != nil {
		t.Fatal(err)
	}
	tidy, realistic, again := sources(t, tidyDir), sources(t, realDir), sources(t, againDir)
	if len(realistic) != len(tidy) {
		t.Errorf("realistic image has %d files, tidy %d", len(realistic), len(tidy))
	}
	if a, b := total(realistic), total(tidy); a < b*99/100 || a > b*101/100 {
		t.Errorf("realistic image has %d bytes, tidy %d: want within 1%%", a, b)
	}
	for name, data := range realistic {
		if !bytes.Equal(again[name], data) {
			t.Fatalf("%s differs between two runs with the same options", name)
		}
		if _, findings := provxml.Lint(name, data, provxml.ParseOptions{}, provxml.Options{}); provxml.HasErrors(findings) {
			t.Errorf("%s: %v", name, findings)
		}
	}

	m, err := manifest.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	owners := map[manifest.Owner]int{}
	severalCold, severalUpdate := 0, 0
	for _, p := range m.Packages {
		owners[p.Owner]++
		if len(p.Cold) >= 2 {
			severalCold++
		}
		if n := len(p.Update); n >= 2 || n == 1 && strings.Contains(p.Update[0].File, "*") {
			severalUpdate++
		}
	}
	if len(owners) != 4 {
		t.Errorf("owners %v: want all four", owners)
	}
	if severalCold < len(m.Packages)*3/4 || severalUpdate < len(m.Packages)/2 {
		t.Errorf("%d packages with several cold sources, %d with several update sources, of %d", severalCold, severalUpdate, len(m.Packages))
	}
}

func TestTidyUnchanged(t *testing.T) {
	// The tidy shape is what earlier figures were measured on: its bytes
	// must not change.
	dir := t.TempDir()
	if _, err := imagegen.Generate(dir, imagegen.Small); err != nil {
		t.Fatal(err)
	}
	if n := total(sources(t, dir)); n != 4212227 {
		t.Errorf("tidy small image has %d bytes, want 4212227", n)
	}
}
