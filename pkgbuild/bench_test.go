package pkgbuild

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/provpack/provpack/internal/imagegen"
)

// benchImage generates the small image into a temporary directory.
func benchImage(b *testing.B) (string, int64) { return benchImageOf(b, imagegen.Small) }

// benchImageOf generates an image of the given options.
func benchImageOf(b *testing.B, opt imagegen.Options) (string, int64) {
	dir := b.TempDir()
	path, err := imagegen.Generate(dir, opt)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	filepath.WalkDir(filepath.Join(dir, "provxml"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			info, _ := d.Info()
			n += info.Size()
		}
		return nil
	})
	return path, n
}

func BenchmarkPlan(b *testing.B) {
	path, n := benchImage(b)
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(context.Background(), path, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuild is a whole cold build, as provpack build does it:
// plan, render, archive, report in one pass. Each iteration writes into
// a new directory; the old ones are removed after timing
// (docs/benchmarking.md: deleting then creating many files measures the
// file system).
func BenchmarkBuild(b *testing.B) { benchBuild(b, imagegen.Small) }

// BenchmarkBuildRealistic is BenchmarkBuild on the small image's realistic
// shape: settings shared across packages, several files per class, mixed
// datatypes.
func BenchmarkBuildRealistic(b *testing.B) { benchBuild(b, imagegen.SmallRealistic) }

func benchBuild(b *testing.B, opt imagegen.Options) {
	path, n := benchImageOf(b, opt)
	out := b.TempDir()
	b.SetBytes(n)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, _, err := BuildManifest(context.Background(), path, Options{}, BuildOptions{OutDir: filepath.Join(out, fmt.Sprint(i))}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkRebuild builds into a directory that already holds the
// outputs of the same inputs: nothing changes on disk. The sources are
// first left to age past the racy window, as real sources have, so that the
// first build may remember them (see memo.go).
func BenchmarkRebuild(b *testing.B) {
	path, n := benchImage(b)
	time.Sleep(defaultRacyWindow + 100*time.Millisecond)
	out := filepath.Join(b.TempDir(), "out")
	if _, _, err := BuildManifest(context.Background(), path, Options{}, BuildOptions{OutDir: out}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		_, rep, err := BuildManifest(context.Background(), path, Options{}, BuildOptions{OutDir: out})
		if err != nil {
			b.Fatal(err)
		}
		if !rep.UpToDate {
			b.Fatal("the rebuild was not up to date")
		}
	}
	os.RemoveAll(out)
}
