package pkgbuild

import (
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
// pkgs (filled as each package was archived).
func newReport(pl *Plan, epoch time.Time, pkgs []*report.Package) *report.Report {
	return &report.Report{Head: pl.reportHead(epoch), RemovedPackages: pl.RemovedPackages, Findings: pl.Findings,
		Packages: pkgs, Reapply: pl.Reapply()}
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
