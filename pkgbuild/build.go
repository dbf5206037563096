package pkgbuild

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/provpack/provpack/manifest"
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
	// Epoch is stamped on archive members (see ParseSourceDateEpoch).
	Epoch time.Time
	// Jobs bounds parallel archive writers; ≤ 0 means the number of CPUs.
	Jobs int
	// Progress, when set, is called after each package is archived.
	Progress func(done, total int, pkg string)
	// Check, when set, is called by BuildManifest with the finished plan
	// before anything is committed; an error stops the build.
	Check func(*Plan) error

	cache *buildCache
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
type ConflictError struct {
	Dir   string
	Files []string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s already holds different %s; nothing was written (use --force to replace them, or build into an empty directory)",
		e.Dir, strings.Join(e.Files, ", "))
}

// output is one file the build produces, staged in a temporary file.
type output struct {
	name      string // base name in OutDir
	tmp       string // staged file; "" when the existing file is identical
	size      int64
	sha256    string
	unchanged bool
	// placed is the file's stamp once in place, when it was taken then
	// (see earlyRenames); the cache records it.
	placed *fileStamp
}

// testWriteHook lets tests wrap the writer of a staged output, for
// example to fail half-way as a full disk would.
var testWriteHook func(name string, w io.Writer) io.Writer

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
func Build(ctx context.Context, pl *Plan, opt BuildOptions) (*Report, error) {
	if HasErrors(pl.Findings) {
		return nil, errors.New("the plan has error-level findings; fix them before building")
	}
	b, err := startBuild(ctx, opt, len(pl.Packages))
	if err != nil {
		return nil, err
	}
	defer b.end()
	parallel(b.ctx, len(pl.Packages), opt.Jobs, func(i int) { b.stagePackage(pl, pl.Packages[i]) })
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
func BuildManifest(ctx context.Context, path string, popt Options, opt BuildOptions) (*Plan, *Report, error) {
	start := time.Now()
	if pl, rep, ok := quickMemo(path, popt, opt, start); ok {
		if opt.Check != nil {
			if err := opt.Check(pl); err != nil {
				return pl, nil, err
			}
		}
		return pl, rep, nil
	}
	m, dir, check, err := loadManifest(path)
	if err != nil {
		return nil, nil, err
	}
	b, err := startBuild(ctx, opt, len(m.Packages))
	if err != nil {
		return nil, nil, err
	}
	defer b.end()
	opt = b.opt
	lockPath := filepath.Join(dir, manifest.DefaultLockName)
	key, keyed := "", false // the digest of the inputs, once computed
	if last := opt.cache.memo; last != nil && !opt.Release {
		// The last build into this directory remembered its inputs: if
		// none changed and its outputs are untouched, they are what this
		// build would write. The digest needs every source's stamp, so
		// the sources are checked first.
		parallel(b.ctx, len(m.Packages), 0, func(i int) { check.Check(i) })
		if err := b.ctx.Err(); err != nil {
			return nil, nil, err
		}
		if err := check.Err(); err != nil {
			return nil, nil, err
		}
		check = nil
		key, b.watch = memoKeys(m, path, lockPath, popt, opt, start)
		keyed = true
		if key != "" && key == last.Inputs && last.intact(b.dir) {
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
			return pl, last.report(pl), nil
		}
	}
	lock, err := manifest.LoadLock(lockPath)
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
			pl.shed(pp)
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

// builder is one build in progress: the locked output directory, the
// staged files, and the report entries the workers fill.
type builder struct {
	ctx    context.Context
	cancel context.CancelFunc
	opt    BuildOptions
	dir    string

	made      []string // directories this build created
	unlock    func()
	staged    []string // temporary files to remove unless committed
	committed bool

	mu   sync.Mutex
	pkgs []*ReportPackage // by package index
	outs []*output        // archives, by package index
	errs []error
	done int
	rs   *reportStream
	// memoKey, when set, is remembered with the outputs for the next
	// build (see memo.go), and with it what the quick check watches.
	memoKey string
	watch   watched
}

func startBuild(ctx context.Context, opt BuildOptions, n int) (*builder, error) {
	opt = opt.withDefaults()
	dir := opt.OutDir
	if dir == "" {
		return nil, errors.New("no output directory given")
	}
	if err := notADir(dir); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	made, err := mkdirAll(dir)
	if err != nil {
		removeDirs(made)
		return nil, fmt.Errorf("creating output directory: %w", err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		removeDirs(made)
		return nil, err
	}
	present := removeStale(dir)
	opt.cache = loadCache(dir)
	opt.cache.present = present
	b := &builder{opt: opt, dir: dir, made: made, unlock: unlock,
		pkgs: make([]*ReportPackage, n), outs: make([]*output, n), errs: make([]error, n), rs: newReportStream(dir, opt.Epoch)}
	b.ctx, b.cancel = context.WithCancel(ctx)
	return b, nil
}

// end removes whatever was staged and not committed, and unlocks.
func (b *builder) end() {
	b.cancel()
	b.rs.remove()
	for _, o := range b.outs {
		if o != nil && o.tmp != "" && !b.committed {
			os.Remove(o.tmp)
		}
	}
	for _, tmp := range b.staged {
		if tmp != "" {
			os.Remove(tmp)
		}
	}
	b.unlock()
	if !b.committed {
		removeDirs(b.made) // only if still empty
	}
}

// err is the first failure of a worker, or the cancellation.
func (b *builder) err() error {
	if err := errors.Join(b.errs...); err != nil {
		return err
	}
	return b.ctx.Err()
}

// stagePackage writes one package's archive and renders its part of the
// reports; a failure cancels the build.
func (b *builder) stagePackage(pl *Plan, p *PackagePlan) {
	rp := newReportPackage(p)
	o, err := stagePackageArchive(pl, p, rp, b.opt)
	if err == nil {
		sc := scratchBuffers.Get().(*renderScratch)
		if err = rp.render(sc); err != nil {
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

// finish writes the documents, checks for conflicts with existing
// outputs, stages the release and commits everything.
func (b *builder) finish(pl *Plan) (*Report, error) {
	if err := b.err(); err != nil {
		return nil, err
	}
	dir, opt := b.dir, b.opt
	rep := newReport(pl, opt.Epoch, b.pkgs)
	outs := slices.Clone(b.outs)
	// Archives whose names are new in the directory are renamed into
	// place while the reports are finished (see renameEarly); anything
	// that fails before the commit moves them back.
	var early *earlyRenames
	if !opt.Release {
		early = b.renameEarly(outs)
	}
	// The packages' parts of the reports were written as they were
	// archived; the reports are finished beside SHA256SUMS.
	docOuts := make([]*output, 3)
	docErrs := make([]error, 2)
	parallel(b.ctx, 2, 2, func(i int) {
		if i == 0 {
			docOuts[0], docErrs[0] = stage(dir, "SHA256SUMS", stagePlain, func(w io.Writer) error { _, err := w.Write(sha256sums(rep)); return err })
			return
		}
		docOuts[1], docOuts[2], docErrs[1] = b.rs.finish(pl, rep)
	})
	for _, o := range docOuts {
		if o != nil {
			outs = append(outs, o)
			b.staged = append(b.staged, o.tmp)
		}
	}
	done := early.wait() // done(i): outs[i] is in place
	if err := errors.Join(docErrs...); err != nil {
		return nil, early.fail(err)
	}
	// One listing of the directory, not a look-up per output.
	present, err := dirNames(dir)
	if err != nil {
		return nil, early.fail(err)
	}
	var conflicts []string
	for i, o := range outs {
		if o.tmp != "" && !done(i) && present[o.name] {
			conflicts = append(conflicts, o.name)
		}
	}
	if len(conflicts) > 0 && !opt.Force {
		return nil, early.fail(&ConflictError{Dir: dir, Files: conflicts})
	}
	// The release (bumped manifest, then the lock) is staged too, so that
	// failing to write it changes nothing either.
	var rel []renaming
	if opt.Release {
		var err error
		if rel, err = stageRelease(pl); err != nil {
			return nil, err
		}
		for _, r := range rel {
			b.staged = append(b.staged, r.tmp)
		}
	}
	if err := b.ctx.Err(); err != nil {
		return nil, early.fail(err)
	}
	// A release makes every output durable before committing, so that
	// the lock, renamed last, never survives a crash that the archives it
	// records did not: the staged files, and those kept from an earlier
	// build, which may not have synced them. Other builds commit without
	// waiting for the disk, as compilers and archivers do: their outputs
	// are reproducible from the sources, and an output a crash truncated
	// no longer matches the cache, so the next build stages it again
	// (and replaces it with --force, as any file that differs).
	if opt.Release {
		var toSync []string
		for _, o := range outs {
			if o.tmp != "" {
				toSync = append(toSync, o.tmp)
			} else {
				toSync = append(toSync, filepath.Join(dir, o.name))
			}
		}
		for _, r := range rel {
			toSync = append(toSync, r.tmp)
		}
		if err := syncStaged(dir, toSync); err != nil {
			return nil, err
		}
	}
	b.committed = true
	var commits []renaming
	for i, o := range outs {
		if o.tmp != "" && !done(i) {
			commits = append(commits, renaming{o.tmp, filepath.Join(dir, o.name)})
		}
	}
	commits = append(commits, rel...)
	dirs := map[string]bool{}
	for i, r := range commits {
		if err := rename(r.tmp, r.dest); err != nil {
			// What is not renamed yet is removed.
			for _, later := range commits[i:] {
				os.Remove(later.tmp)
			}
			return nil, fmt.Errorf("writing %s: %w", r.dest, err)
		}
		dirs[filepath.Dir(r.dest)] = true
	}
	b.staged = nil
	for i := range b.outs {
		b.outs[i] = nil
	}
	if opt.Release {
		dirs[dir] = true // an earlier build's renames into it, too
		for d := range dirs {
			if err := syncDir(d); err != nil {
				return nil, err
			}
		}
	}
	b.writeCache(outs, rep)
	return rep, nil
}

// writeCache replaces the output directory's cache (docs/cache-format.md)
// once the outputs are in place, so that it records their final stamps
// (renaming a file changes its change time). It is provpack's own
// bookkeeping, not a result: it never counts as a conflict, it is not
// synced, and failing to write it only makes the next build do its
// work again, so a failure here does not fail the build.
func (b *builder) writeCache(outs []*output, rep *Report) {
	c := b.opt.cache
	if b.memoKey != "" {
		if memo, err := newMemo(b.memoKey, b.watch, b.dir, outs, rep); err == nil {
			c.next = memo
		}
	}
	b.writeCacheFile()
}

// writeCacheFile writes the output directory's cache as it stands.
func (b *builder) writeCacheFile() {
	data, err := b.opt.cache.marshal()
	if err != nil {
		return
	}
	o, err := stage(b.dir, CacheName, stagePlain, func(w io.Writer) error { _, err := w.Write(data); return err })
	if o != nil && o.tmp != "" {
		if err != nil || rename(o.tmp, filepath.Join(b.dir, CacheName)) != nil {
			os.Remove(o.tmp)
		}
	}
}

// earlyRenames moves archives into place while the reports are being
// finished, when their names were new in the output directory: on a file
// system where renaming costs (ext4: about 13 µs a file, 200 files for
// the small benchmark image), that work then overlaps writing report.md
// instead of following it. Each is renamed without replacing
// (RENAME_NOREPLACE), so a file of that name that appeared during the
// build is never overwritten; that, or a file system that cannot rename
// so, stops the early renaming, and the commit renames the rest as usual,
// conflicts checked. Until the commit, undo moves every early archive
// back to its staged name: a build that fails or is cancelled leaves the
// directory as it was. A crash meanwhile leaves complete archives under
// their own names, as one during the commit's renames does.
type earlyRenames struct {
	dir  string
	outs []*output
	ch   chan struct{}
	in   []bool // in[i]: outs[i] is in place
}

// renameEarly starts renaming the archives of outs whose names the
// output directory did not hold when the build began.
func (b *builder) renameEarly(outs []*output) *earlyRenames {
	e := &earlyRenames{dir: b.dir, outs: outs, ch: make(chan struct{}), in: make([]bool, len(outs))}
	go func() {
		defer close(e.ch)
		for i, o := range outs {
			if o == nil || o.tmp == "" || b.opt.cache.present[o.name] {
				continue
			}
			dest := filepath.Join(e.dir, o.name)
			if b.ctx.Err() != nil || renameNoReplace(o.tmp, dest) != nil {
				return
			}
			e.in[i] = true
			// The stamp the cache records, taken here rather than after
			// the commit: renaming was the last change to the file.
			if fi, err := os.Lstat(dest); err == nil {
				st := stampOf(fi)
				o.placed = &st
			}
		}
	}()
	return e
}

// wait waits for the early renaming to stop and returns whether outs[i]
// is in place; i may be beyond the archives.
func (e *earlyRenames) wait() func(i int) bool {
	if e == nil {
		return func(int) bool { return false }
	}
	<-e.ch
	return func(i int) bool { return i < len(e.in) && e.in[i] }
}

// fail moves the early archives back before the build returns err.
func (e *earlyRenames) fail(err error) error {
	if e == nil {
		return err
	}
	<-e.ch
	var errs []error
	for i, ok := range e.in {
		if !ok {
			continue
		}
		o := e.outs[i]
		o.placed = nil
		if rerr := rename(filepath.Join(e.dir, o.name), o.tmp); rerr != nil {
			errs = append(errs, fmt.Errorf("%s was put in place early and could not be taken back: %w", o.name, rerr))
			continue
		}
		e.in[i] = false
	}
	if len(errs) == 0 {
		return err
	}
	return errors.Join(append([]error{err}, errs...)...)
}

// refreshWatch records what the quick check should watch from now on,
// when a build found the output directory up to date although the quick
// check had missed: a file no pattern matches was added to a globbed
// directory, say (an editor's backup file), which changes the
// directory's stamp but nothing the build reads. Without this, every
// later build would miss the quick check in the same way. Only the
// cache changes, not an output; failing to write it changes nothing
// else.
func (b *builder) refreshWatch(last *buildMemo) {
	if b.watch.key == "" || b.watch.key == last.WatchKey {
		return
	}
	mm := *last
	w := b.watch
	mm.Manifest, mm.Image, mm.Release, mm.Target, mm.Watch, mm.WatchKey = w.manifest, w.image, w.release, w.target, w.paths, w.key
	c := b.opt.cache
	c.mu.Lock()
	c.entries, c.next = c.old, &mm // the archives it remembers stay
	c.mu.Unlock()
	b.writeCacheFile()
}

// renaming is a staged temporary file and where it goes on commit.
type renaming struct{ tmp, dest string }

// stageRelease stages the lock that records the plan as released and,
// when --bump raised versions, the manifest with them written back. The
// manifest comes first: the lock is renamed last.
// maxReleaseLock is the largest lock a release may write: what
// manifest.ReadLock reads back. Tests lower it.
var maxReleaseLock = manifest.MaxLockSize

func stageRelease(pl *Plan) (out []renaming, err error) {
	defer func() {
		if err != nil {
			for _, r := range out {
				os.Remove(r.tmp)
			}
			out = nil
		}
	}()
	lock, err := pl.NextLock().Marshal()
	if err != nil {
		return nil, err
	}
	if len(lock) > maxReleaseLock {
		// The next plan could not read it back.
		return nil, fmt.Errorf("the release lock would be %d bytes, more than the %d MiB provpack reads back; nothing was written (the lock records every setting: fewer settings per image, or build without --release)",
			len(lock), maxReleaseLock>>20)
	}
	var bumped []*PackagePlan
	for _, p := range pl.Packages {
		if p.Bump != nil {
			bumped = append(bumped, p)
		}
	}
	if len(bumped) > 0 && pl.Manifest != nil && pl.Manifest.File != "" {
		path := pl.Manifest.File
		st, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		for _, p := range bumped {
			if data, err = manifest.SetVersion(data, p.Name, p.Version); err != nil {
				return nil, err
			}
		}
		tmp, err := stageFile(path, data, st.Mode().Perm())
		if err != nil {
			return nil, err
		}
		out = append(out, renaming{tmp, path})
	}
	tmp, err := stageFile(pl.LockPath, lock, 0o644)
	if err != nil {
		return out, err
	}
	return append(out, renaming{tmp, pl.LockPath}), nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// removeStale deletes temporary files an interrupted earlier run left,
// and returns the names of everything else in dir.
func removeStale(dir string) map[string]bool {
	present := map[string]bool{}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tempPrefix) && e.Type().IsRegular() {
			os.Remove(filepath.Join(dir, e.Name()))
			continue
		}
		present[e.Name()] = true
	}
	return present
}

// dirNames returns the names of the entries of dir.
func dirNames(dir string) (map[string]bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	present := make(map[string]bool, len(names))
	for _, n := range names {
		present[n] = true
	}
	return present, nil
}

// stage writes one output to a temporary file in dir, hashing it on the
// way. When dir already holds a file with the same bytes, the temporary
// file is dropped and the output marked unchanged.
//
// An archive is always hashed (its SHA-256 is reported); other outputs
// are hashed only when an existing file could be identical. With
// stageWriteback (a release, which syncs before committing) the file's
// writeback to disk is started at once, so that it overlaps the rest of
// the build instead of waiting for the final sync. Only archives ask for
// it: the reports are written last, just before the sync, where starting
// writeback early only made the writing wait on the disk (measured).
func stage(dir, name string, how stageMode, write func(io.Writer) error) (*output, error) {
	sf, err := openStaged(dir, name, how)
	if err != nil {
		return sf.o, err
	}
	if err := write(sf); err != nil {
		sf.abandon()
		return sf.o, fmt.Errorf("writing %s: %w", name, err)
	}
	return sf.commit()
}

// stageMode says how an output is staged.
type stageMode uint8

const (
	stageHash      stageMode = 1 << iota // always hash (archives: their SHA-256 is reported)
	stageWriteback                       // start writeback on commit (the build will sync)
	// stageNew: the destination was not there when the build began, so
	// there is no existing file to compare with. Should one appear
	// meanwhile, the commit finds it as a conflict.
	stageNew
	// stageHashAfter: the file is not written in order (report.md's head
	// goes in last), so an existing file is compared by reading the
	// staged one back at commit rather than hashing as it is written.
	stageHashAfter
	stagePlain stageMode = 0
)

// stagedFile is an output being written to its temporary file.
type stagedFile struct {
	o *output
	f *outFile
	w io.Writer // f, through the test hook
	h hash.Hash // nil unless hashing
	n int64     // bytes written in order, from base
	// base is where the sequential writes began (see seek).
	base int64
	how  stageMode
	// existed: the destination existed when staging began, so the
	// output may turn out unchanged.
	existed bool
}

func openStaged(dir, name string, how stageMode) (*stagedFile, error) {
	sf := &stagedFile{o: &output{name: name}, how: how}
	dest := filepath.Join(dir, name)
	f, err := createTemp(dir, tempPrefix+name+"-*")
	if err != nil {
		return sf, fmt.Errorf("writing %s: %w", dest, pathErr(err))
	}
	sf.f, sf.w, sf.o.tmp = f, f, f.Name()
	if testWriteHook != nil {
		sf.w = testWriteHook(name, sf.w)
	}
	sf.existed = how&stageNew == 0 && exists(dest)
	if how&stageHash != 0 || (sf.existed && how&stageHashAfter == 0) {
		sf.h = sha256.New()
	}
	return sf, nil
}

func (sf *stagedFile) Write(p []byte) (int, error) {
	n, err := sf.w.Write(p)
	if sf.h != nil {
		sf.h.Write(p[:n])
	}
	sf.n += int64(n)
	return n, err
}

// abandon closes the file; the caller removes o.tmp.
func (sf *stagedFile) abandon() { sf.f.Close() }

// writeAt writes p at offset off, below where the sequential writes
// began (see seek).
func (sf *stagedFile) writeAt(p []byte, off int64) error {
	_, err := sf.f.WriteAt(p, off)
	return err
}

// seek makes the sequential writes begin at off, leaving room before
// them for writeAt; it must come before any write.
func (sf *stagedFile) seek(off int64) error {
	if err := sf.f.seek(off); err != nil {
		return err
	}
	sf.base = off
	return nil
}

// commit finishes the file: its mode, its size and hash, and whether an
// identical file is already in place (then the temporary file goes).
func (sf *stagedFile) commit() (*output, error) {
	o, f := sf.o, sf.f
	err := f.Chmod(0o644)
	if err == nil && sf.how&stageWriteback != 0 {
		startWriteback(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return o, fmt.Errorf("writing %s: %w", o.name, err)
	}
	o.size = sf.base + sf.n
	switch {
	case sf.h != nil:
		o.sha256 = hex.EncodeToString(sf.h.Sum(nil))
	case sf.existed && sf.how&stageHashAfter != 0:
		if _, o.sha256, err = fileSHA256(o.tmp); err != nil {
			return o, fmt.Errorf("writing %s: %w", o.name, err)
		}
	default:
		return o, nil
	}
	dest := filepath.Join(filepath.Dir(o.tmp), o.name)
	if !sf.existed {
		return o, nil
	}
	if same, _ := sameSHA256(dest, o.size, o.sha256); same {
		os.Remove(o.tmp)
		o.tmp, o.unchanged = "", true
	}
	return o, nil
}

func sameSHA256(path string, size int64, sum string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() || st.Size() != size {
		f.Close()
		return false, err
	}
	f.Close()
	_, got, err := fileSHA256(path)
	return err == nil && got == sum, err
}

// stagePackageArchive writes one package's archive (or finds it in the
// output directory already) and fills its report entry.
func stagePackageArchive(pl *Plan, p *PackagePlan, rp *ReportPackage, opt BuildOptions) (*output, error) {
	format := pl.format()
	members, info, err := packageMembers(pl, p)
	if err != nil {
		return nil, err
	}
	for i, f := range info.Files {
		rp.Files[i].Size, rp.Files[i].SHA256 = f.Size, f.SHA256
	}
	rp.Archive = ArchiveName(p.Name, p.Version, format)
	sums := make([]string, len(members))
	for i, m := range members {
		for _, f := range info.Files {
			if f.Name == m.Name {
				sums[i] = f.SHA256
			}
		}
	}
	key := archiveKey(format, opt.Epoch, members, sums)
	if e, ok := opt.cache.reuse(opt.OutDir, rp.Archive, key); ok {
		// The same inputs built these bytes before and they are still
		// there: nothing to compress or write.
		rp.Size, rp.SHA256 = e.Size, e.SHA256
		opt.cache.record(rp.Archive, e)
		return &output{name: rp.Archive, size: e.Size, sha256: e.SHA256, unchanged: true}, nil
	}
	how := stageHash
	if opt.Release {
		how |= stageWriteback
	}
	if !opt.cache.present[rp.Archive] {
		how |= stageNew
	}
	o, err := stage(opt.OutDir, rp.Archive, how, func(w io.Writer) error {
		return writeArchive(w, format, members, opt.Epoch)
	})
	if err != nil {
		return o, fmt.Errorf("package %s: %w", p.Name, err)
	}
	rp.Size, rp.SHA256 = o.size, o.sha256
	opt.cache.record(rp.Archive, cacheEntry{Key: key, SHA256: o.sha256, Size: o.size})
	return o, nil
}

// packageMembers returns the members of a package's archive: its
// provisioning files in canonical form and the package manifest.
func packageMembers(pl *Plan, p *PackagePlan) ([]Member, *PackageInfo, error) {
	info := &PackageInfo{Name: p.Name, GUID: p.GUID, Version: p.Version, Owner: p.Owner, Target: pl.Target, Image: pl.Image}
	var members []Member
	for _, f := range p.Files {
		members = append(members, Member{Name: f.Name, Data: f.Canonical})
		info.Files = append(info.Files, FileInfo{Name: f.Name, Class: f.Class, Ordinal: f.Ordinal, Size: int64(len(f.Canonical)), SHA256: strings.TrimPrefix(f.Digest, "sha256:")})
	}
	name, data, err := marshalPackageManifest(info)
	if err != nil {
		return nil, nil, err
	}
	members = append(members, Member{Name: name, Data: data})
	slices.SortFunc(members, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	return members, info, nil
}

// sha256sums renders SHA256SUMS in the format sha256sum -c reads.
func sha256sums(rep *Report) []byte {
	var b strings.Builder
	lines := make([]string, 0, len(rep.Packages))
	for _, p := range rep.Packages {
		lines = append(lines, p.SHA256+"  "+p.Archive+"\n")
	}
	slices.SortFunc(lines, func(a, b string) int { return strings.Compare(a[66:], b[66:]) })
	for _, l := range lines {
		b.WriteString(l)
	}
	return []byte(b.String())
}
