package verify

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/provpack/provpack/internal/boundedread"
	"github.com/provpack/provpack/internal/quote"
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
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist; inspect takes a package archive (.cab, .spkg or .tar.zst)", path)
	}
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
		settings = report.AppendSettings(settings, class, name, provxml.Flatten(doc))
	})
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &Inspection{Inspection: ai, Settings: settings}, nil
}

// Options are the settings of Verify.
type Options struct {
	// Roots, when not nil, are the roots verify --trust trusts: every
	// archive must be signed by a certificate that chains to one of them
	// for code signing.
	Roots *x509.CertPool
}

// Verify checks an archive (see archive.Verify), or an output directory
// (its SHA256SUMS, its report and every archive in it), and returns every
// problem found. An archive the report says was signed must be signed.
// When ctx is done it stops between archives and returns ctx.Err().
func Verify(ctx context.Context, path string, opt Options) ([]archive.Problem, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist; verify takes a package archive (.cab, .spkg or .tar.zst) or a provpack build output directory", path)
	}
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		ps := archive.Verify(path, nil, archive.VerifyOptions{Roots: opt.Roots})
		return ps, ctx.Err()
	}
	return verifyDir(ctx, path, opt)
}

// problem is archive.Problem{File: file, Msg: msg}.
func problem(file, msg string) archive.Problem { return archive.Problem{File: file, Msg: msg} }

// maxSums bounds SHA256SUMS: a line per archive.
const maxSums = 64 << 20

func verifyDir(ctx context.Context, dir string, opt Options) ([]archive.Problem, error) {
	var ps []archive.Problem
	// An archive listed in both SHA256SUMS and report.json is hashed
	// once.
	type digest struct {
		size int64
		sum  string
		err  error
	}
	hashed := map[string]digest{}
	hash := func(path string) digest {
		d, ok := hashed[path]
		if !ok {
			d.size, d.sum, d.err = outdir.FileSHA256(path)
			hashed[path] = d
		}
		return d
	}
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
			switch d := hash(path); {
			case d.err != nil:
				ps = append(ps, problem(path, fmt.Sprintf("listed in SHA256SUMS but cannot be read: %v", errors.Unwrap(d.err))))
			case d.sum != l.SHA256:
				ps = append(ps, problem(path, fmt.Sprintf("SHA-256 %s, SHA256SUMS says %s", d.sum, l.SHA256)))
			}
		}
	}
	var rep *report.Report
	rj := filepath.Join(dir, "report.json")
	if data, err := boundedread.File(rj, manifest.MaxLockSize); err != nil {
		ps = append(ps, unreadable(rj, err))
	} else if rep, err = report.Read(rj, data); err != nil {
		ps = append(ps, problem(rj, err.Error()))
	}
	reported := map[string]*report.Package{}
	if rep != nil {
		for _, p := range rep.Packages {
			// An archive of the report is a file of DIR itself: a name
			// with a separator or ".." (say ../../etc/passwd) is refused
			// unread.
			if p.Archive == "" || strings.ContainsAny(p.Archive, `/\`) || !filepath.IsLocal(p.Archive) {
				ps = append(ps, problem(rj, fmt.Sprintf("package %q: archive %q is not the name of a file in %s; not read", p.Name, p.Archive, dir)))
				continue
			}
			reported[p.Archive] = p
			path := filepath.Join(dir, p.Archive)
			switch d := hash(path); {
			case d.err != nil:
				ps = append(ps, problem(path, "listed in report.json but missing"))
			case d.sum != p.SHA256 || d.size != p.Size:
				ps = append(ps, problem(path, fmt.Sprintf("%d bytes, SHA-256 %s; report.json says %d bytes, %s", d.size, d.sum, p.Size, p.SHA256)))
			}
			if haveSums && !listed[p.Archive] {
				ps = append(ps, problem(path, "in report.json but not in SHA256SUMS"))
			}
		}
	}
	if rep != nil {
		ps = append(ps, checkMarkdown(dir, rep)...)
	}
	if haveSums {
		for _, name := range []string{"report.json", "report.md"} {
			// A report that is missing is named once, above.
			if _, err := os.Lstat(filepath.Join(dir, name)); !listed[name] && err == nil {
				ps = append(ps, problem(filepath.Join(dir, name), "not listed in SHA256SUMS; a provpack build lists its reports there"))
			}
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		name := e.Name()
		if !archive.IsArchiveName(name) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if haveSums && !listed[name] {
			ps = append(ps, problem(filepath.Join(dir, name), "archive not listed in SHA256SUMS"))
		}
		var want *archive.Expect
		vo := archive.VerifyOptions{Roots: opt.Roots}
		if p := reported[name]; p != nil {
			want = expect(rep, p)
			vo.RequireSigned = p.Signer != nil
		} else if rep != nil {
			ps = append(ps, problem(filepath.Join(dir, name), "archive not listed in report.json; a build lists every archive it writes (an upload of the directory would ship this one): remove it, or build with --clean"))
		}
		ps = append(ps, archive.Verify(filepath.Join(dir, name), want, vo)...)
	}
	slices.SortStableFunc(ps, func(a, b archive.Problem) int { return strings.Compare(a.File, b.File) })
	return ps, ctx.Err()
}

// expect is what report.json says of package p's archive: its identity,
// its provisioning files and the settings of each.
func expect(rep *report.Report, p *report.Package) *archive.Expect {
	files := make([]archive.FileInfo, len(p.Files))
	digests := map[string]string{}
	for i, f := range p.Files {
		files[i] = archive.FileInfo{Name: f.Name, Class: f.Class, Ordinal: f.Ordinal, Size: f.Size, SHA256: f.SHA256}
		digests[f.Name] = f.Digest
	}
	settings := map[string][]report.Setting{}
	for _, s := range p.Settings {
		settings[s.File] = append(settings[s.File], s)
	}
	return &archive.Expect{Name: p.Name, Version: p.Version, GUID: p.GUID, Owner: p.Owner, Image: rep.Image, Target: rep.Target, Files: files, Signer: (*archive.SignerID)(p.Signer),
		Member: func(name string, data []byte, doc *provxml.Document) []string {
			var msgs []string
			if d, ok := digests[name]; ok && d != provxml.DigestCanonical(data) {
				msgs = append(msgs, fmt.Sprintf("%s: digest %s in the archive; report.json says %s", quote.Name(name), provxml.DigestCanonical(data), quote.Name(d)))
			}
			class, _, _, _ := archive.ParseFileName(name)
			if doc == nil {
				return msgs // the lint of the file reports the rest
			}
			got := report.AppendSettings(nil, class, name, provxml.Flatten(doc))
			return append(msgs, compareSettings(quote.Name(name), got, settings[name])...)
		}}
}

// compareSettings says where the settings of a file in the archive (got)
// differ from those report.json lists for it (want): the first
// difference, and the counts when they differ.
func compareSettings(file string, got, want []report.Setting) []string {
	for i := range min(len(got), len(want)) {
		if !sameSetting(got[i], want[i]) {
			return []string{fmt.Sprintf("%s: setting %d is %s in the archive; report.json says %s", file, i+1, showSetting(got[i]), showSetting(want[i]))}
		}
	}
	if len(got) != len(want) {
		return []string{fmt.Sprintf("%s: %s in the archive; report.json lists %d", file, report.Plural(len(got), "setting"), len(want))}
	}
	return nil
}

func sameSetting(a, b report.Setting) bool {
	return a.Class == b.Class && a.CSP == b.CSP && slices.Equal(a.Path, b.Path) && a.Name == b.Name &&
		a.Value == b.Value && a.Datatype == b.Datatype && a.Op == b.Op
}

func showSetting(s report.Setting) string {
	v := fmt.Sprintf("%s %s", s.Op, report.DisplayKey(s.CSP, s.Path, s.Name))
	if s.Op != "delete" && s.Op != "query" {
		v += fmt.Sprintf(" = %q", report.ShowValue(s.Value))
	}
	if s.Datatype != "" {
		v += " (" + string(s.Datatype) + ")"
	}
	return v
}

// checkMarkdown compares report.md with what report.json renders to: a
// reviewer reads report.md, so it must say what the verified report.json
// says, byte for byte.
func checkMarkdown(dir string, rep *report.Report) []archive.Problem {
	path := filepath.Join(dir, "report.md")
	data, err := boundedread.File(path, manifest.MaxLockSize)
	if err != nil {
		return []archive.Problem{unreadable(path, err)}
	}
	want := rep.Markdown()
	if bytes.Equal(data, want) {
		return nil
	}
	got, exp := strings.SplitAfter(string(data), "\n"), strings.SplitAfter(string(want), "\n")
	for i := range max(len(got), len(exp)) {
		g, e := "", ""
		if i < len(got) {
			g = got[i]
		}
		if i < len(exp) {
			e = exp[i]
		}
		if g != e {
			return []archive.Problem{problem(fmt.Sprintf("%s:%d", path, i+1), fmt.Sprintf("says %s; report.json says %s", lineShown(g), lineShown(e)))}
		}
	}
	return nil
}

// unreadable is the problem of a report that cannot be read: missing, or
// a FIFO, a device, a directory or an oversized file.
func unreadable(path string, err error) archive.Problem {
	if errors.Is(err, fs.ErrNotExist) {
		return problem(path, "missing; a provpack output directory has one")
	}
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		err = pe.Err
	}
	return problem(path, fmt.Sprintf("cannot be read: %v", err))
}

// lineShown quotes a line of report.md for a message, cut to 100 bytes.
func lineShown(l string) string {
	if l == "" {
		return "nothing (the file ends)"
	}
	l = strings.TrimSuffix(l, "\n")
	if len(l) > 100 {
		return fmt.Sprintf("%q…", l[:100])
	}
	return fmt.Sprintf("%q", l)
}
