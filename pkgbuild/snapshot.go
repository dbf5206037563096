package pkgbuild

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/diff"
	"github.com/provpack/provpack/pkgbuild/report"
)

// Snapshot reads a release for diff: a build output directory, a
// report.json or a lock as diff.LoadSnapshot does, or a manifest (a
// .yaml/.yml file, or a directory holding provpack.yaml and no
// report.json), which is planned without building: what the next build
// would write.
func Snapshot(ctx context.Context, path string) (*diff.Snapshot, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, diff.NotExist(path)
	}
	if m, ok := manifestPath(path); ok {
		pl, err := Load(ctx, m, Options{})
		if err != nil {
			return nil, err
		}
		return PlanSnapshot(pl, m), nil
	}
	return diff.LoadSnapshot(path)
}

// manifestPath says whether path names a manifest, and which file.
func manifestPath(path string) (string, bool) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		return path, true
	}
	st, err := os.Stat(path)
	if err != nil || !st.IsDir() {
		return "", false
	}
	if _, err := os.Stat(filepath.Join(path, "report.json")); err == nil {
		return "", false
	}
	m := filepath.Join(path, manifest.DefaultManifestName)
	if _, err := os.Stat(m); err != nil {
		return "", false
	}
	return m, true
}

// PlanSnapshot is the release pl plans, as diff sees it; source names it.
func PlanSnapshot(pl *Plan, source string) *diff.Snapshot {
	s := &diff.Snapshot{Source: source, Image: pl.Image, Target: pl.Target, Release: pl.Release}
	for _, p := range pl.Packages {
		sp := diff.SnapshotPackage{Name: p.Name, Version: p.Version}
		for _, f := range pl.files(p) {
			sp.Files = append(sp.Files, report.File{Class: f.Class, Name: f.Name, Ordinal: f.Ordinal, Digest: f.Digest})
			sp.Settings = report.AppendSettings(sp.Settings, f.Class, f.Name, f.Settings)
		}
		s.Packages = append(s.Packages, sp)
	}
	return s
}
