package provxml

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/provpack/provpack/internal/imagegen"
)

var (
	benchOnce  sync.Once
	benchFiles [][]byte
	benchBytes int64
)

// benchCorpus is the small synthetic image's provisioning files
// (200 packages × 5 files × ~4 KB), generated once.
func benchCorpus(b *testing.B) ([][]byte, int64) {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "provxml-bench-")
		if err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(dir)
		if _, err := imagegen.Generate(dir, imagegen.Small); err != nil {
			b.Fatal(err)
		}
		paths, _ := filepath.Glob(filepath.Join(dir, "provxml", "*", "*.provxml"))
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				b.Fatal(err)
			}
			benchFiles = append(benchFiles, data)
			benchBytes += int64(len(data))
		}
	})
	return benchFiles, benchBytes
}

// benchDocs is benchCorpus parsed.
func benchDocs(b *testing.B) ([]*Document, int64) {
	files, n := benchCorpus(b)
	docs := make([]*Document, len(files))
	for i, data := range files {
		docs[i], _ = Parse("bench.provxml", data, ParseOptions{})
	}
	return docs, n
}

func BenchmarkParseCheck(b *testing.B) {
	files, n := benchCorpus(b)
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		for _, data := range files {
			if _, fs := Lint("bench.provxml", data, ParseOptions{}, Options{}); len(fs) != 0 {
				b.Fatal(fs)
			}
		}
	}
}

func BenchmarkParse(b *testing.B) {
	files, n := benchCorpus(b)
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		for _, data := range files {
			if _, err := Parse("bench.provxml", data, ParseOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkCanonicalWrite(b *testing.B) {
	docs, n := benchDocs(b)
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			Canonical(d)
		}
	}
}

func BenchmarkFlattenDigest(b *testing.B) {
	docs, n := benchDocs(b)
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			Flatten(d)
			Digest(d)
		}
	}
}

// BenchmarkParseCheckW10M checks the same files against the w10m rules,
// which walk the CSP descriptions (the image's CSPs are Registry and
// CM_* ones, so this mostly measures the first-level lookups).
func BenchmarkParseCheckW10M(b *testing.B) {
	files, n := benchCorpus(b)
	b.SetBytes(n)
	b.ReportAllocs()
	opt := Options{Target: TargetW10M}
	for b.Loop() {
		for _, data := range files {
			Lint("bench.provxml", data, ParseOptions{}, opt)
		}
	}
}

// BenchmarkCSPTable is the one-time cost of reading the embedded CSP
// table, paid by the first w10m check of a run.
func BenchmarkCSPTable(b *testing.B) {
	b.SetBytes(int64(len(cspTableText)))
	b.ReportAllocs()
	for b.Loop() {
		parseCSPTable(cspTableText)
	}
}
