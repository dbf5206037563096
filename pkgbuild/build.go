package pkgbuild

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/provpack/provpack/internal/boundedread"

	"github.com/provpack/provpack/internal/parallel"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/archive"
	"github.com/provpack/provpack/pkgbuild/cab"
	"github.com/provpack/provpack/pkgbuild/internal/buildcache"
	"github.com/provpack/provpack/pkgbuild/internal/outdir"
	"github.com/provpack/provpack/pkgbuild/report"
	"github.com/provpack/provpack/pkgbuild/sign"
)

// DefaultEpoch is the time stamped on archive members when
// SOURCE_DATE_EPOCH is not set, so that two builds of the same inputs are
// byte-identical without any set-up: 2000-01-01T00:00:00Z.
var DefaultEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// ParseSourceDateEpoch reads a SOURCE_DATE_EPOCH value (seconds since
// 1970, UTC). An empty value means "not set" and returns DefaultEpoch; a
// malformed one, or one outside the DOS date range of cabinets
// (1980..2107), is an error rather than a silent fallback.
func ParseSourceDateEpoch(s string) (time.Time, error) {
	if s == "" {
		return DefaultEpoch, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a whole number of seconds since 1970-01-01 UTC", s)
	}
	t := time.Unix(n, 0).UTC()
	if t.Year() < 1980 || t.Year() > 2107 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%s is %s, outside the 1980..2107 range archive dates can hold", s, t.Format(time.RFC3339))
	}
	return t, nil
}

// BuildOptions control where and how a plan is built.
type BuildOptions struct {
	OutDir string
	// Release records the build in the lock (and writes bumped versions
	// back to the manifest) after every output is in place.
	Release bool
	// Force replaces existing outputs whose bytes differ.
	Force bool
	// Clean removes, in the same commit, the archives the output
	// directory holds that this build does not produce.
	Clean bool
	// PkgGenDir, when set (w10m only), also receives per package a
	// package project for Microsoft's package generator
	// (<Owner>.<Component>[.<SubComponent>].pkg.xml) and the provisioning
	// files it installs, committed with the outputs.
	PkgGenDir string
	// Epoch is stamped on archive members (see ParseSourceDateEpoch).
	Epoch time.Time
	// Signer, when set, signs every archive (cabinets only) with an
	// Authenticode signature.
	Signer *sign.Signer
	// SigningTime, when not zero, is the signing time the signatures
	// carry: SOURCE_DATE_EPOCH when it is set. Zero leaves it out.
	SigningTime time.Time
	// Jobs bounds parallel archive writers; ≤ 0 means the number of CPUs.
	Jobs int
	// Progress, when set, is called after each package is archived.
	Progress func(done, total int, pkg string)
	// Check, when set, is called by BuildManifest with the finished plan
	// before anything is committed; an error stops the build.
	Check func(*Plan) error

	hooks testHooks
}

// withDefaults fills in what a zero BuildOptions field means: the
// default epoch.
func (o BuildOptions) withDefaults() BuildOptions {
	if o.Epoch.IsZero() {
		o.Epoch = DefaultEpoch
	}
	return o
}

// ConflictError lists existing outputs that differ from what the build
// would write; --force replaces them.
type ConflictError = outdir.ConflictError

// NotRegularError is an output path that holds something other than a
// regular file; no build replaces it.
type NotRegularError = outdir.NotRegularError

// BusyError says another provpack command holds the output directory or
// the manifest's directory.
type BusyError = outdir.BusyError

// output is one archive of the build: staged, or kept as the output
// directory already holds it.
type output struct {
	name   string // base name in OutDir
	size   int64
	sha256 string
	file   *outdir.File // nil when kept
}

// testHooks are what tests change in a build.
type testHooks struct {
	// wrap wraps the writer of every staged file (a full disk, say).
	wrap func(name string, w io.Writer) io.Writer
	// maxLock is the largest release lock a build writes; 0 means
	// manifest.MaxLockSize.
	maxLock int
	// shedAll sheds every package once archived, whatever its size, so
	// that tests of shedding and planning again need no large image;
	// keepAll sheds none.
	shedAll, keepAll bool
	// racyWindow replaces the default racy window (memo.go); negative
	// means none.
	racyWindow time.Duration
}

// Build writes the plan's archives, SHA256SUMS, report.json and report.md
// into opt.OutDir. Every output, and with Release the lock (and the
// manifest, when --bump raised versions), is first staged in a temporary
// file beside its destination; only when all are staged are they renamed
// into place, the lock last. (Archives whose names are new in OutDir may
// go into place while the reports are finished, and are moved back if
// anything fails: see earlyRenames.) A release syncs them before
// renaming. On error or cancellation the staged files are removed, an
// output directory Build created is removed again, and OutDir, the lock
// and the manifest are as they were.
func Build(ctx context.Context, pl *Plan, opt BuildOptions) (*report.Report, error) {
	if HasErrors(pl.Findings) {
		return nil, errors.New("the plan has error-level findings; fix them before building")
	}
	if err := checkPkgGen(opt, pl.Image, pl.Target); err != nil {
		return nil, err
	}
	if opt.Release && pl.releaseRecorded() {
		return nil, fmt.Errorf("release %s is not above %s, the release the lock records: a release number is recorded once; nothing was written", pl.Release, pl.Lock.Release)
	}
	if pl.Manifest != nil {
		if err := signingRequired(pl.Manifest, opt); err != nil {
			return nil, err
		}
	}
	b, err := startBuild(ctx, opt, pl.Dir, len(pl.Packages))
	if err != nil {
		return nil, err
	}
	defer b.end()
	parallel.For(b.ctx, len(pl.Packages), opt.Jobs, func(i int) { b.stagePackage(pl, pl.Packages[i]) })
	return b.finish(pl)
}

// BuildManifest plans the manifest at path (as Load does) and builds it
// (as Build does) in one pass: each package is archived, and its part of
// the reports rendered, by the worker that planned it, after which its
// documents and settings are dropped unless the release lock needs them.
// Memory is so bounded by the largest package rather than the image, and
// parsing one package overlaps writing another.
//
// Findings across packages are known only at the end; opt.Check, when
// set, sees the finished plan before anything is committed and may stop
// the build by returning an error. A plan with error-level findings
// never commits. Either way nothing in OutDir changes; the plan is
// returned with its findings.
func BuildManifest(ctx context.Context, path string, popt Options, opt BuildOptions) (*Plan, *report.Report, error) {
	popt.Release = popt.Release || opt.Release
	start := time.Now()
	if pl, rep, ok := quickMemo(path, popt, opt, start); ok {
		if opt.Check != nil {
			if err := opt.Check(pl); err != nil {
				return pl, nil, err
			}
		}
		return pl, rep, nil
	}
	// A release guards the manifest's directory before the manifest and
	// the lock are read, so that no other provpack changes them until
	// the release is recorded.
	b, err := startBuild(ctx, opt, filepath.Dir(path), 0)
	if err != nil {
		return nil, nil, err
	}
	defer b.end()
	m, dir, check, err := loadManifest(path)
	if err != nil {
		return nil, nil, err
	}
	if err := signingRequired(m, opt); err != nil {
		return nil, nil, err
	}
	b.sized(len(m.Packages))
	opt = b.opt
	if err := checkPkgGen(opt, m.Image, string(m.Target)); err != nil {
		return nil, nil, err
	}
	lockPath := filepath.Join(dir, manifest.DefaultLockName)
	key, keyed := "", false // the digest of the inputs, once computed
	if last := b.cache.Last; last != nil && !opt.Release && opt.PkgGenDir == "" {
		// The last build into this directory remembered its inputs: if
		// none changed and its outputs are untouched, they are what this
		// build would write. The digest needs every source's stamp, so
		// the sources are checked first.
		parallel.For(b.ctx, len(m.Packages), 0, func(i int) { check.Check(i) })
		if err := b.ctx.Err(); err != nil {
			return nil, nil, err
		}
		if err := check.Err(); err != nil {
			return nil, nil, err
		}
		check = nil
		key, b.watch = memoKeys(m, path, lockPath, popt, opt, start)
		keyed = true
		if key != "" && key == last.Inputs && last.Intact(b.dir) {
			b.refreshWatch(last)
			pl := &Plan{Manifest: m, Dir: dir, LockPath: lockPath, Image: m.Image, Release: m.Release.String(), Target: string(m.Target), Findings: last.Findings}
			if pl.Findings == nil {
				pl.Findings = []Finding{}
			}
			if opt.Check != nil {
				if err := opt.Check(pl); err != nil {
					return pl, nil, err
				}
			}
			return pl, memoReport(last, pl), nil
		}
	}
	lock, err := manifest.LoadLock(b.ctx, lockPath)
	if err != nil {
		return nil, nil, err
	}
	pl, err := newPlan(b.ctx, m, dir, lock, popt, check, func(pl *Plan, pp *PackagePlan, fs []Finding) {
		if HasErrors(fs) {
			b.skip(pl, pp) // the build stops; archiving it would be wasted
			return
		}
		b.stagePackage(pl, pp)
		if !opt.Release {
			pl.shed(pp, pp.sharesKeys && !b.overBudget(pp))
		}
	})
	if err := b.err(); err != nil {
		return pl, nil, err
	}
	if err != nil {
		return nil, nil, err
	}
	pl.LockPath = lockPath
	if opt.Check != nil {
		if err := opt.Check(pl); err != nil {
			return pl, nil, err
		}
	}
	if HasErrors(pl.Findings) {
		return pl, nil, errors.New("the plan has error-level findings; nothing was written")
	}
	if !opt.Release {
		if !keyed {
			key, b.watch = memoKeys(m, path, lockPath, popt, opt, start)
		}
		b.memoKey = key
	}
	rep, err := b.finish(pl)
	return pl, rep, err
}

// builder is one build in progress: the output-directory transaction,
// the guard on the manifest's directory for a release, and the report
// entries the workers fill.
type builder struct {
	// ctx is cancelled on the first failure; parent is the caller's (an
	// interruption).
	ctx, parent context.Context
	cancel      context.CancelFunc
	opt         BuildOptions
	dir         string
	tx          *outdir.Tx
	cache       *buildcache.Cache
	// guard holds the manifest's directory during a release, from before
	// the manifest and lock are read until after they are written.
	guard *outdir.Guard
	// pkggen guards the PkgGen directory (BuildOptions.PkgGenDir);
	// pkggenMade are the directories made for it, removed again (when
	// empty) if the build commits nothing.
	pkggen     *outdir.Guard
	pkggenMade []string

	mu   sync.Mutex
	pkgs []*report.Package // by package index
	outs []*output         // archives, by package index
	errs []error
	done int
	rs   *reportStream
	// kept counts the canonical bytes of the packages kept in memory.
	kept atomic.Int64
	// memoKey, when set, is remembered with the outputs for the next
	// build (see memo.go), and with it what the quick check watches.
	memoKey string
	watch   watched
}

// startBuild begins the output transaction; with Release it first guards
// manifestDir (see outdir.Lock).
func startBuild(ctx context.Context, opt BuildOptions, manifestDir string, n int) (*builder, error) {
	opt = opt.withDefaults()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var guard, pkggen *outdir.Guard
	if opt.Release {
		var err error
		if guard, err = outdir.Lock(manifestDir, "the manifest and its release lock"); err != nil {
			return nil, err
		}
	}
	var pkggenMade []string
	if opt.PkgGenDir != "" {
		made, err := outdir.MkdirAll(opt.PkgGenDir)
		if err == nil {
			pkggen, err = outdir.Lock(opt.PkgGenDir, "the PkgGen project")
		}
		if err != nil {
			outdir.RemoveDirs(made)
			guard.Unlock()
			return nil, fmt.Errorf("--pkggen: %w", err)
		}
		pkggenMade = made
	}
	tx, err := outdir.Begin(opt.OutDir, outdir.Options{Durable: opt.Release, Wrap: opt.hooks.wrap})
	if err != nil {
		pkggen.Unlock()
		outdir.RemoveDirs(pkggenMade)
		guard.Unlock()
		return nil, err
	}
	b := &builder{opt: opt, dir: opt.OutDir, tx: tx, guard: guard, pkggen: pkggen, pkggenMade: pkggenMade, cache: buildcache.Load(opt.OutDir),
		pkgs: make([]*report.Package, n), outs: make([]*output, n), errs: make([]error, n)}
	b.rs = newReportStream(tx, opt.Epoch)
	b.parent = ctx
	b.ctx, b.cancel = context.WithCancel(ctx)
	return b, nil
}

// keepBudget is how many bytes of provisioning XML (counted as canonical
// bytes) a build keeps the settings of once their packages are archived:
// below it, the conflict check across packages finds every package's
// settings at hand instead of planning packages again; beyond it, memory
// stays bounded by the packages in flight. An image of a few MiB of
// sources fits (see docs/performance.md).
const keepBudget = 8 << 20

// overBudget reports whether package pp, archived, must be shed whole:
// the settings kept so far and pp's would stand for more than keepBudget.
func (b *builder) overBudget(pp *PackagePlan) bool {
	n := 0
	for _, f := range pp.Files {
		n += len(f.Canonical)
	}
	if b.opt.hooks.keepAll {
		return false
	}
	return b.kept.Add(int64(n)) > keepBudget || b.opt.hooks.shedAll
}

// sized makes room for n packages.
func (b *builder) sized(n int) {
	b.pkgs, b.outs, b.errs = make([]*report.Package, n), make([]*output, n), make([]error, n)
}

// end removes whatever was staged and not committed, and releases the
// directories.
func (b *builder) end() {
	b.cancel()
	b.rs.close()
	b.tx.End()
	b.guard.Unlock()
	b.pkggen.Unlock()
	if !b.tx.Committed() {
		outdir.RemoveDirs(b.pkggenMade)
	}
}

// err is the first failure of a worker, or the cancellation.
func (b *builder) err() error {
	if err := b.parent.Err(); err != nil {
		return err // interrupted
	}
	// The first failure cancels the other workers: their cancellations
	// are its echo, not problems of their own, and must not make the
	// failure look like an interruption.
	var errs []error
	for _, err := range b.errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := errors.Join(b.errs...); err != nil {
		return err
	}
	return b.ctx.Err()
}

// stagePackage writes one package's archive and renders its part of the
// reports; a failure cancels the build.
func (b *builder) stagePackage(pl *Plan, p *PackagePlan) {
	rp := newReportPackage(p)
	o, err := b.stageArchive(pl, p, rp)
	if err == nil {
		sc := scratchBuffers.Get().(*renderScratch)
		if err = renderPackage(rp, sc); err != nil {
			err = fmt.Errorf("package %s: %w", p.Name, err)
		} else {
			err = b.rs.add(pl, p.index, rp, sc)
		}
		scratchBuffers.Put(sc)
	}
	b.pkgs[p.index], b.outs[p.index], b.errs[p.index] = rp, o, err
	if err != nil {
		b.cancel()
		return
	}
	if b.opt.Progress != nil {
		b.mu.Lock()
		b.done++
		b.opt.Progress(b.done, len(b.pkgs), p.Name)
		b.mu.Unlock()
	}
}

// skip records that package p is not archived (it has errors: the build
// will not commit).
func (b *builder) skip(pl *Plan, p *PackagePlan) {
	if err := b.rs.add(pl, p.index, nil, nil); err != nil {
		b.errs[p.index] = err
		b.cancel()
	}
}

// finish stages the rest of the reports and, with Release, the lock and
// the manifest, then commits everything at once.
func (b *builder) finish(pl *Plan) (*report.Report, error) {
	if err := b.err(); err != nil {
		return nil, err
	}
	rep := newReport(pl, b.opt.Epoch, b.pkgs)
	reports, err := b.rs.finish(pl, rep)
	if err != nil {
		return nil, err
	}
	sums, err := b.tx.Create("SHA256SUMS", false)
	if err != nil {
		return nil, err // names the file
	}
	if _, err = sums.Write(report.Sums(rep, reports)); err != nil {
		return nil, fmt.Errorf("writing %s: %w", filepath.Join(b.dir, "SHA256SUMS"), err)
	}
	if err := sums.Close(); err != nil {
		return nil, err
	}
	if b.opt.Release {
		if err := b.stageRelease(pl, rep); err != nil {
			return nil, err
		}
	}
	rep.Stale = b.staleArchives(rep)
	if b.opt.Clean {
		for _, name := range rep.Stale {
			b.tx.Remove(name)
		}
		rep.Cleaned = len(rep.Stale) > 0
	}
	if err := b.ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.tx.Commit(b.opt.Force); err != nil {
		return nil, err
	}
	b.writeCache(rep)
	return rep, nil
}

// staleArchives lists the archives the output directory held when the
// build began that rep does not name: an upload of the directory would
// ship them, and verify fails on them.
func (b *builder) staleArchives(rep *report.Report) []string {
	ours := map[string]bool{}
	for _, p := range rep.Packages {
		ours[p.Archive] = true
	}
	var stale []string
	for _, name := range b.tx.Names() {
		if !ours[name] && archive.IsArchiveName(name) {
			stale = append(stale, name)
		}
	}
	return stale
}

// outputNames lists the outputs of the build that finished with rep.
func outputNames(rep *report.Report) []string {
	names := []string{"SHA256SUMS", "report.json", "report.md"}
	for _, p := range rep.Packages {
		names = append(names, p.Archive)
	}
	return names
}

// writeCache replaces the output directory's cache (docs/cache-format.md)
// once the outputs are in place, so that it records their final stamps
// (renaming a file changes its change time). It is provpack's own
// bookkeeping, not a result: it never counts as a conflict, it is not
// synced, and failing to write it only makes the next build do its
// work again, so a failure here does not fail the build.
func (b *builder) writeCache(rep *report.Report) {
	if b.memoKey != "" {
		if memo, err := newMemo(b.memoKey, b.watch, b.dir, outputNames(rep), rep); err == nil {
			b.cache.Next = memo
		}
	}
	b.writeCacheFile()
}

// writeCacheFile writes the output directory's cache as it stands, in a
// transaction of its own.
func (b *builder) writeCacheFile() {
	data, err := b.cache.Marshal()
	if err != nil {
		return
	}
	tx, err := outdir.Begin(b.dir, outdir.Options{})
	if err != nil {
		return
	}
	defer tx.End()
	f, err := tx.Create(CacheName, false)
	if err != nil {
		return
	}
	if _, err := f.Write(data); err == nil && f.Close() == nil {
		tx.Commit(true)
	}
}

// refreshWatch records what the quick check should watch from now on,
// when a build found the output directory up to date although the quick
// check had missed: a file no pattern matches was added to a globbed
// directory, say (an editor's backup file), which changes the
// directory's stamp but nothing the build reads. Without this, every
// later build would miss the quick check in the same way. Only the
// cache changes, not an output; failing to write it changes nothing
// else.
func (b *builder) refreshWatch(last *buildcache.Memo) {
	if b.watch.key == "" || b.watch.key == last.WatchKey {
		return
	}
	mm := *last
	w := b.watch
	mm.Manifest, mm.Image, mm.Release, mm.Target, mm.Watch, mm.WatchKey = w.manifest, w.image, w.release, w.target, w.paths, w.key
	b.cache.KeepLast(&mm) // the archives it remembers stay
	b.writeCacheFile()
}

// stageRelease stages the lock that records the plan as released and,
// when --bump raised versions or --bump-release the release, the
// manifest with them written back. The
// manifest comes first: the lock is renamed last.
func (b *builder) stageRelease(pl *Plan, rep *report.Report) error {
	lock, err := pl.NextLock(rep).Marshal()
	if err != nil {
		return err
	}
	maxLock := b.opt.hooks.maxLock
	if maxLock == 0 {
		maxLock = manifest.MaxLockSize
	}
	if len(lock) > maxLock {
		// The next plan could not read it back.
		return fmt.Errorf("the release lock would be %d bytes, more than the %d MiB provpack reads back; nothing was written (the lock records every setting: fewer settings per image, or build without --release)",
			len(lock), maxLock>>20)
	}
	var bumped []*PackagePlan
	for _, p := range pl.Packages {
		if p.Bump != nil {
			bumped = append(bumped, p)
		}
	}
	if (len(bumped) > 0 || pl.ReleaseBump != nil) && pl.Manifest != nil && pl.Manifest.File != "" {
		path := pl.Manifest.File
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		data, err := boundedread.File(path, manifest.MaxSize)
		if err != nil {
			return err
		}
		for _, p := range bumped {
			if data, err = manifest.SetVersion(data, p.Name, p.Version); err != nil {
				return err
			}
		}
		if pl.ReleaseBump != nil {
			if data, err = manifest.SetRelease(data, pl.ReleaseBump.To); err != nil {
				return err
			}
		}
		if err := stageAt(b.tx, path, data, st.Mode().Perm()); err != nil {
			return err
		}
	}
	return stageAt(b.tx, pl.LockPath, lock, 0o644)
}

// stageAt stages data for dest outside the output directory.
func stageAt(tx *outdir.Tx, dest string, data []byte, perm os.FileMode) error {
	f, err := tx.CreateAt(dest, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", dest, err)
	}
	return f.Close()
}

// stageArchive writes one package's archive (or finds it in the output
// directory already) and fills its report entry.
func (b *builder) stageArchive(pl *Plan, p *PackagePlan, rp *report.Package) (*output, error) {
	format := pl.format()
	members, info, err := packageMembers(b.ctx, pl, p, b.opt.Epoch)
	if err != nil {
		return nil, err
	}
	if b.opt.PkgGenDir != "" {
		if err := b.stagePkgGen(info, members); err != nil {
			return nil, fmt.Errorf("package %s: %w", p.Name, err)
		}
	}
	for i, f := range info.Files {
		rp.Files[i].Size, rp.Files[i].SHA256 = f.Size, f.SHA256
	}
	rp.Archive = archive.Name(info, format)
	sums := make([]string, len(members))
	for i, m := range members {
		for _, f := range info.Files {
			if f.Name == m.Name {
				sums[i] = f.SHA256
			}
		}
	}
	parts := make([]buildcache.KeyPart, len(members))
	for i, m := range members {
		if sums[i] == "" {
			sums[i] = archive.SHA256Hex(m.Data)
		}
		parts[i] = buildcache.KeyPart{Name: m.Name, Size: len(m.Data), SHA256: sums[i]}
	}
	key := buildcache.ArchiveKey(string(format), b.opt.Epoch.Unix(), cab.DefaultLevel, signerKey(b.opt), parts)
	if e, ok := b.cache.Reuse(b.dir, rp.Archive, key); ok {
		// The same inputs built these bytes before and they are still
		// there: nothing to compress or write.
		rp.Size, rp.SHA256 = e.Size, e.SHA256
		rp.Signer = reportSigner(b.opt.Signer)
		b.cache.Record(rp.Archive, e)
		b.tx.Keep(rp.Archive)
		return &output{name: rp.Archive, size: e.Size, sha256: e.SHA256}, nil
	}
	f, err := b.tx.Create(rp.Archive, true)
	if err != nil {
		return nil, fmt.Errorf("package %s: %w", p.Name, err) // names the file
	}
	if s := b.opt.Signer; s != nil {
		if format != manifest.FormatCab {
			return nil, fmt.Errorf("package %s: %w", p.Name, archive.ErrNotSignable)
		}
		err = archive.WriteSigned(b.ctx, f, members, b.opt.Epoch, s, sign.SignOptions{SigningTime: b.opt.SigningTime})
		rp.Signer = reportSigner(s)
	} else {
		err = archive.Write(f, format, members, b.opt.Epoch)
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("package %s: writing %s: %w", p.Name, filepath.Join(b.dir, rp.Archive), err)
	}
	rp.Size, rp.SHA256 = f.Size(), f.SHA256()
	b.cache.Record(rp.Archive, buildcache.Entry{Key: key, SHA256: f.SHA256(), Size: f.Size()})
	return &output{name: rp.Archive, size: f.Size(), sha256: f.SHA256(), file: f}, nil
}

// checkPkgGen refuses a PkgGen directory for an image that is not w10m.
func checkPkgGen(opt BuildOptions, image, target string) error {
	if opt.PkgGenDir != "" && target != string(manifest.TargetW10M) {
		return fmt.Errorf("--pkggen writes Windows Phone package projects, which only w10m images have; %s is a %s image: drop --pkggen", image, target)
	}
	return nil
}

// stagePkgGen stages a package's project for Microsoft's package
// generator and the provisioning files it names in the PkgGen directory.
func (b *builder) stagePkgGen(info *archive.PackageInfo, members []archive.Member) error {
	name, data, err := archive.PkgGenProject(info)
	if err != nil {
		return err
	}
	files := []archive.Member{{Name: name, Data: data}}
	for _, m := range members {
		if _, _, _, rom := archive.ParseFileName(m.Name); rom {
			files = append(files, m)
		}
	}
	for _, m := range files {
		dest := filepath.Join(b.opt.PkgGenDir, m.Name)
		f, err := b.tx.CreateGuarded(dest, 0o644)
		if err != nil {
			return err
		}
		if _, err := f.Write(m.Data); err != nil {
			return fmt.Errorf("writing %s: %w", dest, err)
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// packageMembers returns the members of a package's archive: its
// provisioning files in canonical form, the package manifest and, for
// w10m, the content catalog.
func packageMembers(ctx context.Context, pl *Plan, p *PackagePlan, epoch time.Time) ([]archive.Member, *archive.PackageInfo, error) {
	info := packageInfo(pl, p)
	var files []archive.Member
	for _, f := range p.Files {
		files = append(files, archive.Member{Name: f.Name, Data: f.Canonical})
		info.Files = append(info.Files, archive.FileInfo{Name: f.Name, Class: f.Class, Ordinal: f.Ordinal, Size: int64(len(f.Canonical)), SHA256: strings.TrimPrefix(f.Digest, "sha256:")})
	}
	members, err := archive.BuildMembers(ctx, info, files, archive.BuildOptions{Epoch: epoch})
	if err != nil {
		return nil, nil, err
	}
	return members, info, nil
}

// signerKey is what of the signing options an archive's bytes depend on:
// "" for an unsigned build.
func signerKey(o BuildOptions) string {
	if o.Signer == nil {
		return ""
	}
	t := int64(0)
	if !o.SigningTime.IsZero() {
		t = o.SigningTime.Unix()
	}
	return fmt.Sprintf("%s time=%d", o.Signer.Identity(), t)
}

// reportSigner is how report.json names the signer; nil when unsigned.
func reportSigner(s *sign.Signer) *report.Signer {
	if s == nil {
		return nil
	}
	l := s.Leaf()
	return &report.Signer{Subject: l.Subject.String(), Issuer: l.Issuer.String(), Serial: sign.SerialHex(l.SerialNumber)}
}

// ErrUnsignedRelease is returned by a --release build without a signing
// key of a manifest that says signing: required.
var ErrUnsignedRelease = errors.New("build --release needs a signing key: give --sign-cert and --sign-key, --sign-pkcs12, or --sign-command (or their PROVPACK_SIGN_* variables); the lock was not changed")

// signingRequired refuses an unsigned release of an image whose manifest
// requires signing.
func signingRequired(m *manifest.Manifest, opt BuildOptions) error {
	if !opt.Release || m.Signing != manifest.SigningRequired || opt.Signer != nil {
		return nil
	}
	at := m.At("signing")
	return fmt.Errorf("%s:%d:%d: signing: required: %w", m.File, at.Line, at.Col, ErrUnsignedRelease)
}

// packageInfo is the identity of a package as its package manifest
// records it.
func packageInfo(pl *Plan, p *PackagePlan) *archive.PackageInfo {
	info := &archive.PackageInfo{Name: p.Name, GUID: p.GUID, Version: p.Version, Owner: p.Owner, Target: pl.Target, Image: pl.Image}
	if pl.Target == string(manifest.TargetW10M) {
		info.Company, info.CPU, info.ReleaseType, info.SubComponent = pl.Company, pl.CPU, pl.ReleaseType, p.SubComponent
	}
	return info
}
