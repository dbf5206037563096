package pkgbuild

import (
	"path/filepath"
	"sync"
	"time"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/report"
	"github.com/provpack/provpack/provxml"
)

// reportHead is the head of the report of a build of pl.
func (pl *Plan) reportHead(epoch time.Time) report.Head {
	return report.Head{SchemaVersion: report.SchemaVersion, Image: pl.Image, Release: pl.Release, PreviousRelease: pl.PreviousRelease,
		Target: pl.Target, Format: pl.format(), SourceDateEpoch: epoch.Unix()}
}

// newReport is the report of a build of pl whose packages' entries are
// pkgs (filled as each package was archived). Its findings name files
// relative to the manifest's directory, however the manifest was named,
// so that the report does not depend on where provpack ran.
func newReport(pl *Plan, epoch time.Time, pkgs []*report.Package) *report.Report {
	r := &report.Report{Head: pl.reportHead(epoch), RemovedPackages: pl.RemovedPackages, Findings: relativeFindings(pl.Dir, pl.Findings),
		Packages: pkgs, Reapply: pl.Reapply()}
	r.Reapply.Flags = relativeFindings(pl.Dir, r.Reapply.Flags)
	return r
}

// relativeFindings is fs with each file named relative to dir, with
// forward slashes, where it lies under dir.
func relativeFindings(dir string, fs []Finding) []Finding {
	out := make([]Finding, len(fs))
	for i, f := range fs {
		if rel, err := filepath.Rel(dir, f.File); err == nil && filepath.IsLocal(rel) {
			f.File = filepath.ToSlash(rel)
		}
		out[i] = f
	}
	return out
}

// newReportPackage is the report entry of p, without the archive. Its
// settings are read from p's files while they are held.
func newReportPackage(p *PackagePlan) *report.Package {
	rp := &report.Package{Name: p.Name, GUID: p.GUID, Version: p.Version, OldVersion: p.OldVersion, Owner: p.Owner, Status: p.Status,
		Bump: p.Bump, Files: []report.File{}}
	for _, f := range p.Files {
		rp.Files = append(rp.Files, report.File{Class: f.Class, Name: f.Name, Ordinal: f.Ordinal, OldOrdinal: f.OldOrdinal, Status: f.Status, Digest: f.Digest})
	}
	rp.Each = func(fn func(class manifest.Class, file string, s *provxml.Setting)) {
		for _, f := range p.Files {
			for i := range f.Settings {
				fn(f.Class, f.Name, &f.Settings[i])
			}
		}
	}
	return rp
}

// renderScratch holds a worker's reusable buffers for a package's part
// of the reports: growing fresh buffers per package was a large share of
// a build's allocations.
type renderScratch struct{ json, md []byte }

var scratchBuffers = sync.Pool{New: func() any { return new(renderScratch) }}

// renderPackage renders p's report.json line and report.md section into
// sc, reusing its buffers.
func renderPackage(p *report.Package, sc *renderScratch) error {
	var err error
	if sc.json, err = p.AppendJSON(sc.json[:0]); err != nil {
		return err
	}
	sc.md = p.AppendMarkdown(sc.md[:0])
	return nil
}
