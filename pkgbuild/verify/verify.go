package verify

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/provpack/provpack/internal/boundedread"
	"github.com/provpack/provpack/manifest"

	"github.com/provpack/provpack/pkgbuild/internal/outdir"

	"github.com/provpack/provpack/pkgbuild/archive"
	"github.com/provpack/provpack/pkgbuild/report"
	"github.com/provpack/provpack/provxml"
)

// Inspection is what inspect shows of an archive: what archive.Inspect
// describes, and the settings of its provisioning files.
type Inspection struct {
	*archive.Inspection
	Settings []report.Setting `json:"settings"`
}

// Inspect reads an archive and describes it: identity, members and the
// settings of its provisioning files, each parsed as it streams by. When
// ctx is done it parses no more and returns ctx.Err().
func Inspect(ctx context.Context, path string) (*Inspection, error) {
	settings := []report.Setting{}
	ai, err := archive.Inspect(path, func(name string, data []byte) {
		if ctx.Err() != nil {
			return
		}
		class, _, _, _ := archive.ParseFileName(name)
		doc, err := provxml.Parse(name, data, provxml.ParseOptions{})
		if err != nil {
			return // verify reports it
		}
		for _, s := range provxml.Flatten(doc) {
			settings = append(settings, report.SettingOf(class, name, &s))
		}
	})
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &Inspection{Inspection: ai, Settings: settings}, nil
}

// Verify checks an archive (see archive.Verify), or an output directory
// (its SHA256SUMS, its report and every archive in it), and returns every
// problem found. When ctx is done it stops between archives and returns
// ctx.Err().
func Verify(ctx context.Context, path string) ([]archive.Problem, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		ps := archive.Verify(path, nil)
		return ps, ctx.Err()
	}
	return verifyDir(ctx, path)
}

// problem is archive.Problem{File: file, Msg: msg}.
func problem(file, msg string) archive.Problem { return archive.Problem{File: file, Msg: msg} }

// maxSums bounds SHA256SUMS: a line per archive.
const maxSums = 64 << 20

func verifyDir(ctx context.Context, dir string) ([]archive.Problem, error) {
	var ps []archive.Problem
	sums := filepath.Join(dir, "SHA256SUMS")
	listed := map[string]bool{}
	haveSums := false
	data, err := boundedread.File(sums, maxSums)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		ps = append(ps, problem(sums, "missing; a provpack output directory has one"))
	case err != nil:
		return nil, err
	default:
		// Every line is parsed, however long: a line the parser gave up
		// on must not leave the rest unchecked and the directory "OK".
		haveSums = true
		lines, bad := report.ParseSums(data)
		for _, e := range bad {
			ps = append(ps, problem(fmt.Sprintf("%s:%d", sums, e.Line), e.Msg))
		}
		for _, l := range lines {
			listed[l.Name] = true
			path := filepath.Join(dir, l.Name)
			_, got, err := outdir.FileSHA256(path)
			switch {
			case err != nil:
				ps = append(ps, problem(path, fmt.Sprintf("listed in SHA256SUMS but cannot be read: %v", errors.Unwrap(err))))
			case got != l.SHA256:
				ps = append(ps, problem(path, fmt.Sprintf("SHA-256 %s, SHA256SUMS says %s", got, l.SHA256)))
			}
		}
	}
	var rep *report.Report
	if data, err := boundedread.File(filepath.Join(dir, "report.json"), manifest.MaxLockSize); err == nil {
		if rep, err = report.Read(filepath.Join(dir, "report.json"), data); err != nil {
			ps = append(ps, problem(filepath.Join(dir, "report.json"), err.Error()))
		}
	} else if errors.Is(err, fs.ErrNotExist) {
		ps = append(ps, problem(filepath.Join(dir, "report.json"), "missing; a provpack output directory has one"))
	} else {
		// A FIFO, a device, a directory or an oversized file.
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			err = pe.Err
		}
		ps = append(ps, problem(filepath.Join(dir, "report.json"), fmt.Sprintf("cannot be read: %v", err)))
	}
	reported := map[string]*report.Package{}
	if rep != nil {
		for _, p := range rep.Packages {
			// An archive of the report is a file of DIR itself: a name
			// with a separator or ".." (say ../../etc/passwd) is refused
			// unread.
			if p.Archive == "" || strings.ContainsAny(p.Archive, `/\`) || !filepath.IsLocal(p.Archive) {
				ps = append(ps, problem(filepath.Join(dir, "report.json"), fmt.Sprintf("package %q: archive %q is not the name of a file in %s; not read", p.Name, p.Archive, dir)))
				continue
			}
			reported[p.Archive] = p
			path := filepath.Join(dir, p.Archive)
			size, sum, err := outdir.FileSHA256(path)
			switch {
			case err != nil:
				ps = append(ps, problem(path, "listed in report.json but missing"))
			case sum != p.SHA256 || size != p.Size:
				ps = append(ps, problem(path, fmt.Sprintf("%d bytes, SHA-256 %s; report.json says %d bytes, %s", size, sum, p.Size, p.SHA256)))
			}
			if haveSums && !listed[p.Archive] {
				ps = append(ps, problem(path, "in report.json but not in SHA256SUMS"))
			}
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, ".cab") && !strings.HasSuffix(name, ".tar.zst") {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if haveSums && !listed[name] {
			ps = append(ps, problem(filepath.Join(dir, name), "archive not listed in SHA256SUMS"))
		}
		var want *archive.Expect
		if p := reported[name]; p != nil {
			want = &archive.Expect{Name: p.Name, Version: p.Version, GUID: p.GUID}
		}
		ps = append(ps, archive.Verify(filepath.Join(dir, name), want)...)
	}
	slices.SortStableFunc(ps, func(a, b archive.Problem) int { return strings.Compare(a.File, b.File) })
	return ps, ctx.Err()
}
