package pkgbuild

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/internal/buildcache"
	"github.com/provpack/provpack/pkgbuild/report"
)

// A build remembers, in the output directory's cache file, a digest of
// everything its outputs depend on and the file stamps of the outputs it
// left. When the next build into that directory finds the same digest
// and its outputs untouched, nothing can differ: it reports the result
// of the last build without planning, compressing or writing anything.
//
// The digest covers the provpack executable, the options, the manifest's
// path as given, and the stamp (device, inode, size, modification and
// change times) of the manifest, the lock and every source file matched,
// as make and git judge files. Source patterns are expanded again, so a
// new file matching a glob changes it. A file whose stamp is less than
// the racy window older than the build may have changed within the file
// system's timestamp granularity without its stamp changing; such a
// build remembers no digest.
//
// A rebuild looks first at what the last build watched (see quickMemo):
// the stamps of the manifest, the lock, every source file and every
// directory a glob read. When none changed, nor the options or
// provpack, the manifest need not even be parsed.

// CacheName is the file in an output directory where a build remembers
// what it left (docs/cache-format.md).
const CacheName = buildcache.FileName

// defaultRacyWindow is how old an input must be for its stamp to be
// trusted.
const defaultRacyWindow = 2 * time.Second

// racyWindow is the build's racy window: the default, or what a test set
// (a negative hook trusts stamps at once).
func (o BuildOptions) racyWindow() time.Duration {
	switch w := o.hooks.racyWindow; {
	case w < 0:
		return 0
	case w > 0:
		return w
	}
	return defaultRacyWindow
}

var toolID = sync.OnceValue(func() string {
	id := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		id = bi.Main.Path + "@" + bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
				id += " " + s.Key + "=" + s.Value
			}
		}
	}
	// The executable's own stamp: a rebuilt provpack may write other
	// bytes, whatever its version says.
	if exe, err := os.Executable(); err == nil {
		if fi, err := os.Stat(exe); err == nil {
			st := buildcache.StampOf(fi)
			id += fmt.Sprintf(" exe=%d/%d/%d/%d", st.Dev, st.Ino, st.Size, st.MTime)
		}
	}
	return id
})

// memoHead is what besides the inputs' stamps a build depends on:
// provpack itself, the options, and the manifest's path as given (the
// findings in the reports name files through it).
func memoHead(path string, popt Options, opt BuildOptions) string {
	return fmt.Sprintf("provpack-memo 3\n%s\nbump=%q reason=%q epoch=%d\nsigner=%q\nmanifest=%q\n", toolID(), popt.Bump, popt.Reason, opt.Epoch.Unix(), signerKey(opt), path)
}

// memoKeys computes, from the stamps the build took of its inputs as it
// read them (Source.Stats, Source.DirStats) and those of the manifest and
// the lock, the digest of its inputs for the full check, and what the
// quick check watches. key is "" when an input is too recent to be judged
// by its stamp or cannot be stamped; w is zero when a watched directory
// is.
func memoKeys(m *manifest.Manifest, path, lockPath string, popt Options, opt BuildOptions, start time.Time) (key string, w watched) {
	if !buildcache.StampsWork() {
		return "", watched{}
	}
	recent := func(st buildcache.Stamp) bool { return st.Recent(start, opt.racyWindow()) }
	mst, ok1 := buildcache.StampPath(m.File)
	lst, ok2 := buildcache.StampPath(lockPath)
	if !ok1 || !ok2 || mst == buildcache.Absent || recent(mst) || recent(lst) {
		return "", watched{}
	}
	head := memoHead(m.File, popt, opt)
	k, wk := buildcache.NewDigest(head), buildcache.NewDigest(head)
	k.Stamp("manifest", mst)
	k.Stamp("lock", lst)
	paths := []string{filepath.ToSlash(filepath.Base(m.File)), manifest.DefaultLockName}
	wk.Stamp(paths[0], mst)
	wk.Stamp(paths[1], lst)
	watchOK := true
	for _, p := range m.Packages {
		k.Text(p.Name)
		for _, c := range [][]*manifest.Source{p.Cold, p.Update} {
			for _, s := range c {
				k.Text(s.File)
				k.Count(len(s.Matches))
				if len(s.Stats) != len(s.Matches) {
					return "", watched{}
				}
				for i, rel := range s.Matches {
					st := buildcache.StampOf(s.Stats[i])
					if recent(st) {
						return "", watched{}
					}
					k.Stamp(rel, st)
					wk.Stamp(rel, st)
					paths = append(paths, rel)
				}
				if len(s.DirStats) != len(s.Dirs) {
					watchOK = false
					continue
				}
				for i, d := range s.Dirs {
					if s.DirStats[i] == nil {
						watchOK = false
						continue
					}
					st := buildcache.StampOf(s.DirStats[i])
					if recent(st) {
						watchOK = false
					}
					wk.Stamp(d, st)
					paths = append(paths, d)
				}
			}
		}
	}
	key = k.Sum()
	abs, err := filepath.Abs(path)
	if !watchOK || err != nil {
		return key, watched{}
	}
	return key, watched{abs, m.Image, m.Release.String(), string(m.Target), paths, wk.Sum()}
}

// quickMemo is the quick check of a rebuild, before the manifest is
// read: the last build into opt.OutDir built the manifest at path with
// the same options and provpack, none of the files it watched changed
// and its outputs are untouched. It only reads, so it needs no lock on
// the output directory: a build committing meanwhile changes outputs
// the memo names, and the check fails.
func quickMemo(path string, popt Options, opt BuildOptions, start time.Time) (*Plan, *report.Report, bool) {
	if opt.OutDir == "" || opt.Release || opt.PkgGenDir != "" {
		return nil, nil, false
	}
	mm := buildcache.Load(opt.OutDir).Last
	if mm == nil || mm.WatchKey == "" {
		return nil, nil, false
	}
	if abs, err := filepath.Abs(path); err != nil || abs != mm.Manifest {
		return nil, nil, false
	}
	opt = opt.withDefaults() // as startBuild, which the full check follows
	dir := filepath.Dir(path)
	if buildcache.WatchDigest(memoHead(path, popt, opt), dir, mm.Watch, start, opt.racyWindow()) != mm.WatchKey || !mm.Intact(opt.OutDir) {
		return nil, nil, false
	}
	pl := &Plan{Dir: dir, LockPath: filepath.Join(dir, manifest.DefaultLockName), Image: mm.Image, Release: mm.Release, Target: mm.Target, Findings: mm.Findings}
	if pl.Findings == nil {
		pl.Findings = []Finding{}
	}
	return pl, memoReport(mm, pl), true
}

// watched is what a build remembers for the next one's quick check.
type watched struct {
	manifest, image, release, target string
	paths                            []string
	key                              string
}

// memoReport is the report of the remembered build, as far as the
// command line shows it.
func memoReport(mm *buildcache.Memo, pl *Plan) *report.Report {
	rep := &report.Report{Head: report.Head{SchemaVersion: report.SchemaVersion, Image: pl.Image, Release: pl.Release, Target: pl.Target}, Findings: mm.Findings, UpToDate: true}
	for _, p := range mm.Packages {
		rep.Packages = append(rep.Packages, &report.Package{Name: p.Name, OldVersion: p.OldVersion, Version: p.Version, Archive: p.Archive, Size: p.Size, SHA256: p.SHA256})
	}
	return rep
}

// newMemo records a finished build: its inputs digest, the stamps of
// its outputs, now in place, its findings and packages, and what the
// quick check watches.
func newMemo(key string, w watched, dir string, outs []string, rep *report.Report) (*buildcache.Memo, error) {
	mm := &buildcache.Memo{Inputs: key, Findings: rep.Findings,
		Manifest: w.manifest, Image: w.image, Release: w.release, Target: w.target, Watch: w.paths, WatchKey: w.key}
	if err := mm.StampOutputs(dir, outs); err != nil {
		return nil, err
	}
	for _, p := range rep.Packages {
		mm.Packages = append(mm.Packages, buildcache.MemoPackage{Name: p.Name, OldVersion: p.OldVersion, Version: p.Version, Archive: p.Archive, Size: p.Size, SHA256: p.SHA256})
	}
	return mm, nil
}
