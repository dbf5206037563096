package pkgbuild

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/provpack/provpack/internal/boundedread"
	"github.com/provpack/provpack/internal/quote"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/archive"
	"github.com/provpack/provpack/pkgbuild/internal/outdir"
	"github.com/provpack/provpack/pkgbuild/report"
	"github.com/provpack/provpack/pkgbuild/verify"
	"github.com/provpack/provpack/provxml"
)

// ImportOptions say where Import writes and what it cannot learn from the
// packages themselves.
type ImportOptions struct {
	// Dir receives provpack.yaml, provpack.lock and one folder of sources
	// per package.
	Dir string
	// Image and Release, when set, name the image and its release;
	// otherwise the image comes from the packages' own manifests and the
	// release from the report.json of a build output directory, or is
	// 1.0.0.
	Image, Release string
	// Company is the company of w10m packages whose manifests do not
	// record one (Identity/Owner); it may not contradict one that does.
	Company string
	// Force replaces an existing manifest, lock or source file.
	Force bool
}

// ImportResult is what Import wrote and what it left alone.
type ImportResult struct {
	Manifest string            `json:"manifest"`
	Lock     string            `json:"lock"`
	Image    string            `json:"image"`
	Release  string            `json:"release"`
	Target   string            `json:"target"`
	Packages []ImportedPackage `json:"packages"`
	// Skipped are the members that are not provisioning files: listed,
	// not imported.
	Skipped []SkippedMember `json:"skipped"`
	// Notes are what the packages did not say and Import assumed, or
	// what the next build will do differently; each is for a person to
	// review.
	Notes []string `json:"notes"`
}

// ImportedPackage is one package Import turned into manifest entries.
type ImportedPackage struct {
	Name    string         `json:"name"`
	Version string         `json:"version"`
	Archive string         `json:"archive"`
	Files   []ImportedFile `json:"files"`
	Owner   manifest.Owner `json:"owner"`
}

// ImportedFile is one provisioning file written as a source.
type ImportedFile struct {
	Member  string         `json:"member"`
	Source  string         `json:"source"` // relative to the manifest
	Class   manifest.Class `json:"class"`
	Ordinal int            `json:"ordinal"`
}

// SkippedMember is a member Import left alone, and why.
type SkippedMember struct {
	Archive string `json:"archive"`
	Member  string `json:"member"`
	Why     string `json:"why"`
}

// ImportError lists every problem that stopped an import; nothing was
// written.
type ImportError struct{ Problems []string }

func (e *ImportError) Error() string {
	if len(e.Problems) == 1 {
		return "import: " + e.Problems[0]
	}
	return fmt.Sprintf("import: %d problems, nothing written:\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// importedPkg is a package being imported: its identity and its files.
type importedPkg struct {
	info    archive.PackageInfo // Files unused
	own     bool                // from a package manifest (provpack's own archive)
	foreign bool                // from the manifest of a real .spkg another tool made
	format  manifest.Format
	archive string // path
	sha256  string // of the archive
	files   []importedFile
}

type importedFile struct {
	member  string
	device  string // the name it is installed under, when not member (a real .spkg)
	class   manifest.Class
	ordinal int
	data    []byte
	doc     *provxml.Document
}

// Import reads package archives (paths of archives, or of directories
// whose archives are read) and writes, in opt.Dir, a manifest with each
// package's provisioning files as its sources and a lock that records
// them as the last release: versions, GUIDs, file names, ordinals and
// content digests, as build --release would have recorded them. The next
// plan of that manifest therefore continues the shipped ordinals and
// versions, and reports nothing changed.
//
// Every archive is checked as verify checks it before anything is
// written. Nothing is written when a problem is found; an existing
// manifest, lock or source with other bytes is a problem unless
// opt.Force. Files are staged and renamed into place together, the lock
// last.
func Import(ctx context.Context, paths []string, opt ImportOptions) (*ImportResult, error) {
	if len(paths) == 0 {
		return nil, errors.New("import: no archive or directory given")
	}
	if opt.Dir == "" {
		return nil, errors.New("import: no output directory given")
	}
	res := &ImportResult{Packages: []ImportedPackage{}, Skipped: []SkippedMember{}, Notes: []string{}}
	// Every problem of the inputs is collected, stage after stage, so
	// that one run shows them all; nothing is written if there is one.
	problems := checkImportOptions(opt)
	var archives []string
	var reports []*dirReport
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			problems = append(problems, pathProblem(err))
			continue
		}
		if !st.IsDir() {
			archives = append(archives, p)
			continue
		}
		found, dr, err := archivesIn(p)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if len(found) == 0 {
			problems = append(problems, fmt.Sprintf("%s holds no package archive (*.cab, *.spkg, *.tar.zst)", p))
		}
		archives = append(archives, found...)
		if dr != nil {
			reports = append(reports, dr)
		}
	}
	var pkgs []*importedPkg
	var empty []string          // archives with nothing to import
	failed := map[string]bool{} // archives that do not read or verify
	for _, a := range archives {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ps, skipped, err := importArchive(a)
		if err != nil {
			problems = append(problems, err.Error())
			failed[a] = true
			continue
		}
		res.Skipped = append(res.Skipped, skipped...)
		if len(ps) == 0 {
			// A real package without provisioning files: nothing of it
			// to manage, which is fine while another input has some.
			res.Notes = append(res.Notes, fmt.Sprintf("%s holds no provisioning file (none installed under a provisioning directory, named mxip*_ or *.provxml): nothing imported from it; its members are listed as left alone", a))
			empty = append(empty, a)
		}
		pkgs = append(pkgs, ps...)
	}
	if len(failed) == 0 && len(pkgs) == 0 && len(empty) > 0 {
		problems = append(problems, fmt.Sprintf("no provisioning file in %s: nothing to import (import reads the provisioning files of packages: members installed under a provisioning directory, named mxip*_ or *.provxml); give it the packages that carry your provisioning files", strings.Join(empty, ", ")))
	}
	reportRelease, reportImage, ps, err := checkReports(ctx, reports, failed)
	if err != nil {
		return nil, err
	}
	problems = append(problems, ps...)
	if len(pkgs) == 0 {
		if len(problems) == 0 {
			problems = append(problems, "no package to import")
		}
		return nil, &ImportError{Problems: problems}
	}
	img, target, format, ps := importIdentity(pkgs, opt, reportImage, res)
	problems = append(problems, ps...)
	var id archive.PackageInfo
	if target == manifest.TargetW10M {
		id, ps = w10mIdentity(pkgs, opt.Company)
		problems = append(problems, ps...)
	} else if opt.Company != "" && len(ps) == 0 {
		problems = append(problems, fmt.Sprintf("--company %s is for w10m packages; these are %s packages, which name no company: leave it out", quoteValue(opt.Company), target))
	}
	release := cmp.Or(opt.Release, reportRelease)
	if opt.Release == "" && reportRelease != "" {
		res.Notes = append(res.Notes, fmt.Sprintf("release %s is the one %s names: no archive records the release it shipped in, so check it, or give --release", reportRelease, reports[0].path))
	}
	if release == "" {
		release = "1.0.0"
		res.Notes = append(res.Notes, "release 1.0.0 assumed: no report.json says which release these packages are; give --release to record another")
	}
	if _, err := manifest.ParseRelease(release); err != nil && opt.Release == "" {
		problems = append(problems, fmt.Sprintf("the release report.json names: %v", err))
	}
	res.Image, res.Release, res.Target = img, release, string(target)

	// Names are unique ignoring case (a manifest's rule, and the source
	// folders of two such packages would be one on most file systems).
	slices.SortStableFunc(pkgs, func(a, b *importedPkg) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.info.Name), strings.ToLower(b.info.Name)), cmp.Compare(a.info.Name, b.info.Name))
	})
	for i := 1; i < len(pkgs); i++ {
		if strings.EqualFold(pkgs[i].info.Name, pkgs[i-1].info.Name) {
			what := "package " + pkgs[i].info.Name + " is"
			if pkgs[i].info.Name != pkgs[i-1].info.Name {
				what = fmt.Sprintf("packages %s and %s (one name to provpack and the device: case does not matter) are", pkgs[i-1].info.Name, pkgs[i].info.Name)
			}
			problems = append(problems, fmt.Sprintf("%s in both %s and %s: import one of them (the one that shipped last)", what, pkgs[i-1].archive, pkgs[i].archive))
		}
	}
	for _, p := range pkgs {
		problems = append(problems, p.check(target)...)
	}
	if len(problems) > 0 {
		return nil, &ImportError{Problems: problems}
	}
	// Byte order, as a manifest lists them and a lock sorts them.
	slices.SortStableFunc(pkgs, func(a, b *importedPkg) int { return cmp.Compare(a.info.Name, b.info.Name) })

	files, mdata, lock, err := importOutputs(pkgs, img, release, target, format, id, opt.Dir, res)
	if err != nil {
		return nil, err
	}
	res.Manifest = filepath.Join(opt.Dir, manifest.DefaultManifestName)
	res.Lock = filepath.Join(opt.Dir, manifest.DefaultLockName)
	// The manifest must read back as written: a manifest import cannot
	// plan is worse than none. Its problems are shown with the text
	// that says what they are (%v: not an ErrorList, which would be
	// printed alone).
	if _, err := manifest.Parse(res.Manifest, mdata); err != nil {
		return nil, fmt.Errorf("import: the manifest it would write (nothing was written) does not read back, a provpack bug; please report it: %v", err)
	}
	files = append(files, fileWrite{path: res.Manifest, data: mdata}, fileWrite{path: res.Lock, data: lock})
	if err := writeImport(ctx, opt, files); err != nil {
		return nil, err
	}
	return res, nil
}

// checkImportOptions checks what the options name with the manifest's
// rules, before anything is read.
func checkImportOptions(opt ImportOptions) []string {
	var out []string
	if opt.Release != "" {
		if _, err := manifest.ParseRelease(opt.Release); err != nil {
			out = append(out, fmt.Sprintf("--release: %v", err))
		}
	}
	if opt.Image != "" {
		if err := manifest.CheckImageName(opt.Image); err != nil {
			out = append(out, fmt.Sprintf("--image: %v", err))
		}
	}
	if opt.Company != "" {
		if err := manifest.CheckCompanyName(opt.Company); err != nil {
			out = append(out, fmt.Sprintf("--company: %v", err))
		}
	}
	return out
}

// pathProblem is an os error without its "stat" verb.
func pathProblem(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Sprintf("%s: no such file or directory", pe.Path)
		}
		return fmt.Sprintf("%s: %v", pe.Path, pe.Err)
	}
	return err.Error()
}

// dirReport is the report.json of a build output directory given to
// import.
type dirReport struct {
	dir, path string
	rep       *report.Report
	archives  map[string]bool // the paths of the archives it lists
}

// archivesIn lists the package archives in dir (not below it), sorted,
// and its report.json, when it has one; then only the archives the
// report lists.
func archivesIn(dir string) ([]string, *dirReport, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	var archives []string
	for _, e := range ents {
		name := e.Name()
		if e.Type().IsRegular() && (archive.IsArchiveName(name) || strings.HasSuffix(strings.ToLower(name), ".spkg")) {
			archives = append(archives, filepath.Join(dir, name))
		}
	}
	rp := filepath.Join(dir, "report.json")
	data, err := boundedread.File(rp, manifest.MaxLockSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return archives, nil, nil
	case err != nil:
		return nil, nil, fmt.Errorf("reading %s: %w", rp, err)
	}
	rep, err := report.Read(rp, data)
	if err != nil {
		return nil, nil, err
	}
	// A build output directory: its report names the archives of the
	// release; others beside them (an earlier build's) are not it.
	dr := &dirReport{dir: dir, path: rp, rep: rep, archives: map[string]bool{}}
	listed := map[string]bool{}
	for _, p := range rep.Packages {
		if p.Archive == "" || strings.ContainsAny(p.Archive, `/\`) || !filepath.IsLocal(p.Archive) {
			return nil, nil, fmt.Errorf("%s: package %q: archive %q is not the name of a file in %s", rp, p.Name, p.Archive, dir)
		}
		listed[p.Archive] = true
		dr.archives[filepath.Join(dir, p.Archive)] = true
	}
	archives = slices.DeleteFunc(archives, func(a string) bool { return !listed[filepath.Base(a)] })
	var missing []string
	for name := range listed {
		if !slices.Contains(archives, filepath.Join(dir, name)) {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		verb := "is"
		if len(missing) > 1 {
			verb = "are"
		}
		return nil, nil, fmt.Errorf("%s lists %s, which %s not in %s", rp, strings.Join(missing, ", "), verb, dir)
	}
	return archives, dr, nil
}

// checkReports decides whether the report.json of each output directory
// may be trusted, and returns the release and image they name. A report
// is trusted once its directory verifies as verify checks it: its
// SHA256SUMS, its report.md, and every archive it lists against it,
// identity (image and target included) and files; the archives an
// earlier build left beside them are not imported and not held against
// it. Reports of several directories must name one release and one
// image.
func checkReports(ctx context.Context, reports []*dirReport, failed map[string]bool) (release, image string, problems []string, err error) {
	for _, dr := range reports {
		ps, err := verify.Verify(ctx, dr.dir, verify.Options{})
		if err != nil {
			if ctx.Err() != nil {
				return "", "", nil, err
			}
			problems = append(problems, fmt.Sprintf("verifying %s: %v", dr.dir, err))
			continue
		}
		var msgs []string
		for _, p := range ps {
			if a := filepath.Join(dr.dir, filepath.Base(p.File)); archive.IsArchiveName(a) && filepath.Dir(p.File) == filepath.Clean(dr.dir) && (!dr.archives[a] || failed[a]) {
				continue // not the release's (not imported), or reported already
			}
			msgs = append(msgs, p.String())
		}
		if len(msgs) > 0 {
			problems = append(problems, fmt.Sprintf("%s does not verify, so its report.json (release %s) is not trusted: rebuild the release or import its archives with --image and --release:\n  %s", dr.dir, dr.rep.Release, strings.Join(msgs, "\n  ")))
		}
	}
	for i, dr := range reports {
		if i > 0 && (dr.rep.Release != reports[0].rep.Release || dr.rep.Image != reports[0].rep.Image) {
			problems = append(problems, fmt.Sprintf("%s is release %s of image %s, but %s is release %s of image %s: import the output directory of one release (the one that shipped last)", dr.path, dr.rep.Release, dr.rep.Image, reports[0].path, reports[0].rep.Release, reports[0].rep.Image))
		}
	}
	if len(reports) > 0 {
		release, image = reports[0].rep.Release, reports[0].rep.Image
	}
	return release, image, problems, nil
}

// importArchive reads one archive: its packages (one, or for an archive
// with no package manifest, one per package name its provisioning files
// carry) and the members that are not provisioning files.
func importArchive(path string) ([]*importedPkg, []SkippedMember, error) {
	var files []importedFile
	var bad []string
	in, err := archive.Inspect(path, func(name string, data []byte) {
		class, _, ord, _ := archive.ParseFileName(name)
		doc, err := provxml.Parse(name, data, provxml.ParseOptions{})
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %s: %v; fix the file and build the package again", path, quote.Name(name), err))
			return
		}
		files = append(files, importedFile{member: name, class: class, ordinal: ord, data: bytes.Clone(data), doc: doc})
	})
	if err != nil {
		return nil, nil, err
	}
	if len(bad) > 0 {
		return nil, nil, errors.New(strings.Join(bad, "\n  "))
	}
	if in.Package != nil {
		// provpack's own archive: every member against its manifest.
		if ps := archive.Verify(path, nil, archive.VerifyOptions{}); len(ps) > 0 {
			msgs := make([]string, len(ps))
			for i, p := range ps {
				msgs[i] = p.String()
			}
			return nil, nil, fmt.Errorf("%s does not verify, so it is not imported:\n  %s", path, strings.Join(msgs, "\n  "))
		}
	}
	if in.Package != nil && in.Package.GUID == "" && in.Package.Target == string(manifest.TargetW10M) {
		return importForeign(path, in)
	}
	imported := map[string]bool{}
	for _, f := range files {
		imported[f.member] = true
	}
	var skipped []SkippedMember
	for _, m := range in.Members {
		switch {
		case imported[m.Name] || archive.IsManifest(m.Name):
		case m.Name == archive.CatalogW10M && in.Package != nil && in.Package.Target == string(manifest.TargetW10M):
			// the w10m content catalog: a build writes it again
		case isROMName(m.Name):
			skipped = append(skipped, SkippedMember{path, m.Name, fmt.Sprintf("%d bytes is more than a provisioning file may be (%d)", m.Size, provxml.DefaultMaxSize)})
		default:
			skipped = append(skipped, SkippedMember{path, m.Name, "not a provisioning file (mxipcold_, mxip_ or mxipupdate_<package>_<NNN>.provxml)"})
		}
	}
	base := filepath.Base(path)
	if in.Package != nil {
		p := &importedPkg{info: *in.Package, own: true, format: in.Format, archive: path, sha256: in.SHA256}
		p.info.Files = nil
		for _, f := range files {
			if _, pkg, _, _ := archive.ParseFileName(f.member); pkg != p.info.Name {
				skipped = append(skipped, SkippedMember{path, f.member, fmt.Sprintf("a provisioning file of package %s, not of %s, the package this archive holds", pkg, p.info.Name)})
				continue
			}
			p.files = append(p.files, f)
		}
		return []*importedPkg{p}, skipped, nil
	}
	// No package manifest: a Windows Mobile package cabinet as the
	// platform's tools make it. The provisioning files name the package;
	// the archive name may name its version.
	byName := map[string]*importedPkg{}
	var order []string
	for _, f := range files {
		_, pkg, _, _ := archive.ParseFileName(f.member)
		p := byName[pkg]
		if p == nil {
			p = &importedPkg{info: archive.PackageInfo{Name: pkg, Owner: manifest.OwnerOEM}, format: in.Format, archive: path, sha256: in.SHA256}
			byName[pkg] = p
			order = append(order, pkg)
		}
		p.files = append(p.files, f)
	}
	if len(order) == 0 {
		return nil, skipped, fmt.Errorf("%s holds no provisioning file (mxipcold_, mxip_ or mxipupdate_<package>_<NNN>.provxml) and no package manifest: nothing to import from it", path)
	}
	var out []*importedPkg
	for _, name := range order {
		p := byName[name]
		v, ok := versionFromName(base, name)
		if !ok {
			return nil, nil, fmt.Errorf("%s: no package manifest records the version of package %s, and the archive name does not (%s-<version>.cab): rename the archive so, for the version that shipped, and import again", path, name, name)
		}
		p.info.Version = v
		out = append(out, p)
	}
	return out, skipped, nil
}

// isROMName reports whether name is a provisioning file name.
func isROMName(name string) bool {
	_, _, _, ok := archive.ParseFileName(name)
	return ok
}

// versionFromName is the version in an archive named <pkg>-<version>.cab
// (or .tar.zst, .spkg).
func versionFromName(base, pkg string) (string, bool) {
	rest, ok := strings.CutPrefix(base, pkg+"-")
	if !ok {
		return "", false
	}
	for _, ext := range []string{".tar.zst", ".cab", ".spkg"} {
		if v, ok := strings.CutSuffix(rest, ext); ok {
			if _, err := manifest.ParseVersion(v); err == nil {
				return v, true
			}
		}
	}
	return "", false
}

// importIdentity decides the image, target and format of the imported
// manifest from the packages and the options.
func importIdentity(pkgs []*importedPkg, opt ImportOptions, reportImage string, res *ImportResult) (string, manifest.Target, manifest.Format, []string) {
	var problems []string
	images, targets, formats := map[string][]string{}, map[string][]string{}, map[manifest.Format]bool{}
	for _, p := range pkgs {
		formats[p.format] = true
		if p.own {
			images[p.info.Image] = append(images[p.info.Image], p.info.Name)
		}
		if p.own || p.foreign {
			targets[p.info.Target] = append(targets[p.info.Target], p.info.Name)
		}
	}
	img := cmp.Or(opt.Image, reportImage)
	if img == "" {
		switch len(images) {
		case 0:
			problems = append(problems, "no package records the image it belongs to: name it with --image")
		case 1:
			for k := range images {
				img = k
			}
		default:
			problems = append(problems, fmt.Sprintf("the packages belong to %d images (%s): import one image at a time, or name it with --image", len(images), describeGroups(images)))
		}
	}
	if img != "" && opt.Image == "" {
		if err := manifest.CheckImageName(img); err != nil {
			problems = append(problems, fmt.Sprintf("image name %q: %v", img, err))
		}
	}
	target := manifest.TargetWM6
	switch len(targets) {
	case 0:
	case 1:
		for k := range targets {
			target = manifest.Target(k)
		}
	default:
		problems = append(problems, fmt.Sprintf("the packages are for %d targets (%s): import one image at a time", len(targets), describeGroups(targets)))
	}
	if target != manifest.TargetWM6 && target != manifest.TargetW10M {
		problems = append(problems, fmt.Sprintf("target %q is neither wm6 nor w10m", target))
	}
	format := manifest.FormatCab
	if formats[manifest.FormatTarZst] && !formats[manifest.FormatCab] {
		format = manifest.FormatTarZst
	} else if len(formats) > 1 {
		res.Notes = append(res.Notes, "the archives are cab and tar.zst: format cab chosen; change format in the manifest if you want tar.zst")
	}
	return img, target, format, problems
}

// w10mIdentity is the image-level w10m identity of the imported
// packages: the company (Identity/Owner), cpu and release type every
// package records. They are one value each in a manifest, so packages
// that disagree on one cannot be imported together: building them from
// one manifest would give some of them another identity on the device.
// A company no package records comes from company (--company); none at
// all is a problem, never a guess.
func w10mIdentity(pkgs []*importedPkg, company string) (archive.PackageInfo, []string) {
	var id archive.PackageInfo
	var problems []string
	for _, k := range []struct {
		key, flag, why string
		get            func(*archive.PackageInfo) *string
	}{
		{"company", "--company", "give one of them another identity (Identity/Owner, the .spkg name) on the device", func(i *archive.PackageInfo) *string { return &i.Company }},
		{"cpu", "", "build one of them for another processor (CpuType)", func(i *archive.PackageInfo) *string { return &i.CPU }},
		{"releaseType", "", "change the ReleaseType of one of them", func(i *archive.PackageInfo) *string { return &i.ReleaseType }},
	} {
		var first *importedPkg
		for _, p := range pkgs {
			v := *k.get(&p.info)
			if v == "" {
				continue
			}
			if first == nil {
				first = p
				*k.get(&id) = v
				continue
			}
			if w := *k.get(&first.info); !strings.EqualFold(v, w) {
				problems = append(problems, fmt.Sprintf("%s (package %s) has %s %s, but %s (package %s) has %s %s: a manifest has one %s for all its packages, so building both from it would %s; import the packages of one %s at a time, into manifests of their own", p.archive, p.info.Name, k.key, quoteValue(v), first.archive, first.info.Name, k.key, quoteValue(w), k.key, k.why, k.key))
			}
		}
		if k.flag == "" {
			continue
		}
		given := company
		switch {
		case given != "" && first != nil && !strings.EqualFold(given, id.Company):
			problems = append(problems, fmt.Sprintf("--company %s, but %s (package %s) records company %s: the device knows the package by that company; leave --company out, or give %s", quoteValue(given), first.archive, first.info.Name, quoteValue(id.Company), quoteValue(id.Company)))
		case given != "":
			id.Company = given
		case first == nil:
			problems = append(problems, "no package records its company (Identity/Owner), which a w10m manifest needs: name it with --company, as the packages' .spkg names and Identity/Owner would have it")
		}
	}
	return id, problems
}

// quoteValue quotes a value from an archive only when it needs it.
func quoteValue(s string) string {
	if plainScalar.MatchString(s) {
		return s
	}
	return strconv.Quote(s)
}

func describeGroups(m map[string][]string) string {
	var parts []string
	for k, names := range m {
		parts = append(parts, fmt.Sprintf("%q: %s", k, strings.Join(names, ", ")))
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}

// check reports what of a package cannot be recorded: a bad identity, two
// files of one class with one ordinal.
func (p *importedPkg) check(target manifest.Target) []string {
	var out []string
	where := fmt.Sprintf("%s: package %s", p.archive, p.info.Name)
	if err := manifest.CheckPackageName(p.info.Name); err != nil {
		out = append(out, fmt.Sprintf("%s: %v", where, err))
	}
	if _, err := manifest.ParseVersion(p.info.Version); err != nil {
		out = append(out, fmt.Sprintf("%s: version %q: %v", where, p.info.Version, err))
	}
	if p.own {
		if _, err := manifest.ParseGUID(p.info.GUID); err != nil {
			out = append(out, fmt.Sprintf("%s: guid %q: %v", where, p.info.GUID, err))
		}
		switch p.info.Owner {
		case manifest.OwnerMicrosoft, manifest.OwnerSilicon, manifest.OwnerOEM, manifest.OwnerOperator:
		default:
			out = append(out, fmt.Sprintf("%s: owner %q is not microsoft, silicon, oem or operator", where, p.info.Owner))
		}
	}
	slices.SortFunc(p.files, func(a, b importedFile) int {
		return cmp.Or(cmp.Compare(a.class, b.class), cmp.Compare(a.ordinal, b.ordinal), cmp.Compare(a.member, b.member))
	})
	for i, f := range p.files {
		if f.ordinal == 0 && p.foreign {
			continue // a provisioning file by its directory, without a ROM name: not recorded
		}
		if f.ordinal < 1 || f.ordinal > archive.MaxOrdinal {
			out = append(out, fmt.Sprintf("%s: %s: ordinal %d is outside 1..%d", where, f.member, f.ordinal, archive.MaxOrdinal))
		}
		if i > 0 && p.files[i-1].class == f.class && p.files[i-1].ordinal == f.ordinal {
			out = append(out, fmt.Sprintf("%s: %s and %s are both %s files with ordinal %03d; provpack cannot record both: remove one from the package and import again", where, p.files[i-1].member, f.member, f.class, f.ordinal))
		}
	}
	return out
}

// importOutputs renders the sources, the manifest and the lock of the
// imported packages, filling res.Packages and res.Notes.
func importOutputs(pkgs []*importedPkg, img, release string, target manifest.Target, format manifest.Format, id archive.PackageInfo, dir string, res *ImportResult) ([]fileWrite, []byte, []byte, error) {
	var files []fileWrite
	pl := &Plan{Image: img, Release: release, Target: string(target)}
	if target == manifest.TargetW10M {
		pl.Company, pl.CPU, pl.ReleaseType = id.Company, id.CPU, id.ReleaseType
	}
	ords := target.DefaultOrdinals()
	var y strings.Builder
	y.WriteString("# Written by provpack import from the packages of release " + release + ".\n")
	y.WriteString("# Packages do not record what they require: add requires where they had it.\n")
	fmt.Fprintf(&y, "image: %s\nrelease: %s\ntarget: %s\nformat: %s\n", yamlScalar(img), yamlScalar(release), target, format)
	if target == manifest.TargetW10M {
		// The w10m identity every package shares (w10mIdentity
		// refuses packages that disagree, and a missing company).
		fmt.Fprintf(&y, "company: %s\n", yamlScalar(id.Company))
		if id.CPU != "" {
			fmt.Fprintf(&y, "cpu: %s\n", id.CPU)
		}
		if id.ReleaseType != "" {
			fmt.Fprintf(&y, "releaseType: %s\n", id.ReleaseType)
		}
	}
	y.WriteString("packages:\n")
	for i, p := range pkgs {
		ip := ImportedPackage{Name: p.info.Name, Version: p.info.Version, Archive: p.archive, Owner: p.info.Owner, Files: []ImportedFile{}}
		if i > 0 {
			y.WriteString("\n")
		}
		fmt.Fprintf(&y, "  - name: %s\n", yamlScalar(p.info.Name))
		guid := manifest.DeriveGUID(img, p.info.Name)
		if p.own && p.info.GUID != guid.String() {
			fmt.Fprintf(&y, "    guid: %s\n", yamlScalar(p.info.GUID))
			guid, _ = manifest.ParseGUID(p.info.GUID)
		}
		fmt.Fprintf(&y, "    version: %s\n    owner: %s\n", yamlScalar(p.info.Version), p.info.Owner)
		if target == manifest.TargetW10M && p.info.SubComponent != "" {
			fmt.Fprintf(&y, "    subcomponent: %s\n", yamlScalar(p.info.SubComponent))
		}
		if p.foreign {
			res.Notes = append(res.Notes, fmt.Sprintf("package %s: %s was made by another tool: version %s and owner %s are its manifest's, the GUID is derived from image and name (the platform's packages have none)", p.info.Name, filepath.Base(p.archive), p.info.Version, p.info.Owner))
			if p.info.Culture != "" || p.info.Resolution != "" {
				res.Notes = append(res.Notes, fmt.Sprintf("package %s is the package %s; provpack builds it without the culture or resolution suffix", p.info.Name, p.info.Identity))
			}
		} else if !p.own {
			res.Notes = append(res.Notes, fmt.Sprintf("package %s: %s has no package manifest: version %s taken from its name, owner oem assumed and the GUID derived from image and name; correct them in the manifest and the lock if they differ", p.info.Name, filepath.Base(p.archive), p.info.Version))
		}
		pp := &PackagePlan{Name: p.info.Name, Version: p.info.Version, GUID: guid.String(), Owner: p.info.Owner}
		if target == manifest.TargetW10M {
			pp.SubComponent = p.info.SubComponent
		}
		var unnumbered []string // files without an ordinal in their names
		for _, class := range []manifest.Class{manifest.ClassCold, manifest.ClassUpdate} {
			var of []importedFile
			for _, f := range p.files {
				if f.class == class {
					of = append(of, f)
				}
			}
			if len(of) == 0 {
				continue
			}
			fmt.Fprintf(&y, "    %s:\n", class)
			for _, f := range of {
				// The source keeps the name it shipped under, so that
				// a reviewer finds it; a file named mxip_ is cold.
				rel := p.info.Name + "/" + cmp.Or(f.device, f.member)
				fmt.Fprintf(&y, "      - file: %s\n", yamlScalar(rel))
				files = append(files, fileWrite{path: filepath.Join(dir, filepath.FromSlash(rel)), data: f.data})
				ip.Files = append(ip.Files, ImportedFile{Member: f.member, Source: rel, Class: class, Ordinal: f.ordinal})
				if f.ordinal == 0 {
					// No ordinal to record: the next build numbers it
					// (see the note below).
					unnumbered = append(unnumbered, cmp.Or(f.device, f.member))
					continue
				}
				// What the build makes of this file alone: its
				// document merged into one, as renderClass does.
				merged := provxml.NewDocument("")
				merged.Root.Children = f.doc.Root.Children
				canonical := provxml.AppendCanonical(nil, merged)
				fp := &FilePlan{Class: class, Name: archive.FileName(class, p.info.Name, f.ordinal), Ordinal: f.ordinal,
					Digest: provxml.DigestCanonical(canonical), Settings: provxml.AppendSettings(nil, f.doc)}
				pp.Files = append(pp.Files, fp)
			}
			recorded := 0 // files of the class the lock records, and the highest ordinal
			highest := 0
			for _, f := range of {
				if f.ordinal > 0 {
					recorded++
					highest = max(highest, f.ordinal)
				}
			}
			next := ords.Start
			if highest > 0 {
				next = highest + ords.Step
			}
			switch {
			case len(of) > 1:
				res.Notes = append(res.Notes, fmt.Sprintf("package %s has %d %s files; provpack makes one per class, so the next build merges them into one new file, %s%s", p.info.Name, len(of), class, archive.FileName(class, p.info.Name, next), raiseNeeded(class, p.info.Name)))
			case recorded == 0:
				// One file without an ordinal: the note below.
			case cmp.Or(of[0].device, of[0].member) != archive.FileName(class, p.info.Name, of[0].ordinal):
				f := of[0]
				res.Notes = append(res.Notes, fmt.Sprintf("package %s: %s is built as %s from now on (same class, same ordinal)", p.info.Name, cmp.Or(f.device, f.member), archive.FileName(class, p.info.Name, f.ordinal)))
			}
			if len(of) == 1 && recorded == 0 {
				res.Notes = append(res.Notes, fmt.Sprintf("package %s: %s carries no ordinal in its name, so the lock does not record it: the next build makes it a new %s file, %s%s", p.info.Name, unnumbered[len(unnumbered)-1], class, archive.FileName(class, p.info.Name, next), raiseNeeded(class, p.info.Name)))
			}
		}
		if len(unnumbered) > 0 {
			verb := "carries"
			if len(unnumbered) > 1 {
				verb = "carry"
			}
			res.Notes = append(res.Notes, fmt.Sprintf("package %s: the next build changes what devices have (%s %s no ordinal), so the image needs a new release number: plan warns (PP0108) until you raise it with 'provpack bump --release patch'", p.info.Name, strings.Join(unnumbered, ", "), verb))
		}
		pl.Packages = append(pl.Packages, pp)
		res.Packages = append(res.Packages, ip)
	}
	l := pl.NextLock(nil)
	// An imported release was planned against nothing provpack knows:
	// no base, so that planning it again compares with the release
	// itself.
	l.Base = nil
	for i := range l.Releases[0].Packages {
		rp := &l.Releases[0].Packages[i]
		p := pkgs[i]
		rp.Archive, rp.SHA256 = filepath.Base(p.archive), p.sha256
	}
	lock, err := l.Marshal()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("import: recording the lock: %w", err)
	}
	return files, []byte(y.String()), lock, nil
}

// raiseNeeded is what a new file of class in package pkg asks of the
// next release: an update file needs a version raise (PP0101), a cold
// file does not.
func raiseNeeded(class manifest.Class, pkg string) string {
	if class == manifest.ClassUpdate {
		return fmt.Sprintf(", which needs a version raise: plan reports PP0101 until you run 'provpack bump %s --patch'", pkg)
	}
	return " (a cold file needs no version raise: devices run it when they are flashed, not when they are updated)"
}

// plainScalar is what a YAML plain scalar may be and stay a string.
var plainScalar = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_./+-]*$`)

// yamlScalar writes s as a YAML scalar that reads back as the string s:
// plain when it is safe, double-quoted (JSON's escapes are YAML's)
// otherwise.
func yamlScalar(s string) string {
	if plainScalar.MatchString(s) && !strings.Contains(s, "--") {
		_, ferr := strconv.ParseFloat(s, 64)
		_, ierr := strconv.ParseInt(s, 0, 64)
		switch strings.ToLower(s) {
		case "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~":
		default:
			if ferr != nil && ierr != nil {
				return s
			}
		}
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// writeImport writes the files of an import together, the lock last,
// under the guard of the output directory. A file that exists with other
// bytes is refused unless opt.Force.
func writeImport(ctx context.Context, opt ImportOptions, files []fileWrite) error {
	if err := outdir.NotADir(opt.Dir); err != nil {
		return err
	}
	made, err := outdir.MkdirAll(opt.Dir)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			outdir.RemoveDirs(made)
		}
	}()
	guard, err := outdir.Lock(opt.Dir, "the manifest and its release lock")
	if err != nil {
		return err
	}
	defer guard.Unlock()
	var conflicts []string
	for _, f := range files {
		old, err := boundedread.File(f.path, manifest.MaxLockSize)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return fmt.Errorf("import: %s is in the way: %w", f.path, err)
		case !bytes.Equal(old, f.data) && !opt.Force:
			conflicts = append(conflicts, f.path)
		}
	}
	if len(conflicts) > 0 {
		return fmt.Errorf("import: %s already exist with other content; import into an empty directory, or use --force to replace them", strings.Join(conflicts, ", "))
	}
	for _, f := range files {
		d := filepath.Dir(f.path)
		m, err := outdir.MkdirAll(d)
		made = append(made, m...)
		if err != nil {
			return err
		}
	}
	if err := commitFiles(ctx, files...); err != nil {
		return err
	}
	ok = true
	return nil
}

// importForeign reads a real .spkg made by the platform's tools: its
// manifest (already verified, with its catalog and signature) gives the
// identity, and its provisioning files are the members ProvisioningEntries
// finds by where they are installed. It returns no package when there
// is none.
func importForeign(path string, in *archive.Inspection) ([]*importedPkg, []SkippedMember, error) {
	info := *in.Package
	info.Files = nil
	// verify refused unsafe device names already; a source path is made
	// of them, so they are checked here too.
	if ps := archive.ProvisioningEntryProblems(&info); len(ps) > 0 {
		return nil, nil, fmt.Errorf("%s: %s", path, strings.Join(ps, "\n  "))
	}
	want := map[string]archive.ProvisioningEntry{}
	for _, e := range archive.ProvisioningEntries(&info) {
		want[e.Member] = e
	}
	var files []importedFile
	var bad []string
	err := archive.ReadMembers(path, func(name string, size int64) bool {
		_, ok := want[name]
		return ok && size <= provxml.DefaultMaxSize
	}, func(name string, data []byte) error {
		e, ok := want[name]
		if !ok {
			return nil // a second member of that name: verify refused it already
		}
		delete(want, name)
		doc, err := provxml.Parse(e.DeviceName, data, provxml.ParseOptions{})
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %s (%s): %v; fix the file and build the package again", path, quote.Name(name), quote.Name(e.DeviceName), err))
			return nil
		}
		f := importedFile{member: name, class: e.Class, ordinal: e.Ordinal, data: bytes.Clone(data), doc: doc}
		if e.DeviceName != name {
			f.device = e.DeviceName
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if len(bad) > 0 {
		return nil, nil, errors.New(strings.Join(bad, "\n  "))
	}
	devicePath := map[string]string{}
	for _, e := range info.Entries {
		devicePath[e.CabPath] = e.DevicePath
	}
	imported := map[string]bool{}
	for _, f := range files {
		imported[f.member] = true
	}
	var skipped []SkippedMember
	for _, m := range in.Members {
		switch {
		case imported[m.Name] || archive.IsManifest(m.Name) || m.Name == archive.CatalogW10M:
		case want[m.Name].Member != "":
			skipped = append(skipped, SkippedMember{path, m.Name, fmt.Sprintf("a provisioning file (%s), but %d bytes is more than one may be (%d)", quote.Name(want[m.Name].DeviceName), m.Size, provxml.DefaultMaxSize)})
		default:
			skipped = append(skipped, SkippedMember{path, m.Name, "not a provisioning file: installed at " + quote.Name(devicePath[m.Name])})
		}
	}
	if len(files) == 0 {
		return nil, skipped, nil
	}
	if info.Owner == "" {
		info.Owner = manifest.OwnerOEM
	}
	p := &importedPkg{info: info, foreign: true, format: in.Format, archive: path, sha256: in.SHA256, files: files}
	return []*importedPkg{p}, skipped, nil
}
