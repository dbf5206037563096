package pkgbuild

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/provpack/provpack/manifest"
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
// racyWindow older than the build may have changed within the file
// system's timestamp granularity without its stamp changing; such a
// build remembers no digest.
//
// A rebuild looks first at what the last build watched (see quickMemo):
// the stamps of the manifest, the lock, every source file and every
// directory a glob read. When none changed, nor the options or
// provpack, the manifest need not even be parsed.

// racyWindow is how old an input must be for its stamp to be trusted
// (tests change it).
var racyWindow = 2 * time.Second

// buildMemo is the remembered build.
type buildMemo struct {
	Inputs   string               `json:"inputs"`
	Outputs  map[string]fileStamp `json:"outputs"`
	Findings []Finding            `json:"findings"`
	Packages []memoPackage        `json:"packages"`

	// The quick check: the manifest's absolute path and what the
	// report needs of it, the watched paths (relative to the manifest's
	// directory, slash-separated) and the digest of their stamps.
	Manifest string   `json:"manifest,omitempty"`
	Image    string   `json:"image,omitempty"`
	Release  string   `json:"release,omitempty"`
	Target   string   `json:"target,omitempty"`
	Watch    []string `json:"watch,omitempty"`
	WatchKey string   `json:"watchKey,omitempty"`
}

type memoPackage struct {
	Name       string `json:"name"`
	OldVersion string `json:"oldVersion,omitempty"`
	Version    string `json:"version"`
	Archive    string `json:"archive"`
	Size       int64  `json:"size"`
	SHA256     string `json:"sha256"`
}

// fileStamp identifies one state of a file without reading it.
type fileStamp struct {
	Dev   uint64 `json:"dev"`
	Ino   uint64 `json:"ino"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime"` // nanoseconds since 1970
	CTime int64  `json:"ctime"`
}

func stampOf(fi fs.FileInfo) fileStamp {
	st := fileStamp{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
	st.Dev, st.Ino, st.CTime, _ = sysStamp(fi)
	return st
}

// stampsWork reports whether this system gives the change time and inode
// a stamp needs: without them a file restored with its old modification
// time (cp -p, tar x) would look unchanged, so builds remember nothing.
var stampsWork = sync.OnceValue(func() bool {
	fi, err := os.Stat(".")
	if err != nil {
		return false
	}
	_, _, _, ok := sysStamp(fi)
	return ok
})

// recent reports whether the stamp is too close to t to be trusted.
func (s fileStamp) recent(t time.Time) bool {
	limit := t.Add(-racyWindow).UnixNano()
	return s.MTime >= limit || s.CTime >= limit
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
			st := stampOf(fi)
			id += fmt.Sprintf(" exe=%d/%d/%d/%d", st.Dev, st.Ino, st.Size, st.MTime)
		}
	}
	return id
})

// memoHead is what besides the inputs' stamps a build depends on:
// provpack itself, the options, and the manifest's path as given (the
// findings in the reports name files through it).
func memoHead(path string, popt Options, opt BuildOptions) string {
	return fmt.Sprintf("provpack-memo 3\n%s\nbump=%q reason=%q epoch=%d\nmanifest=%q\n", toolID(), popt.Bump, popt.Reason, opt.Epoch.Unix(), path)
}

// absent is the stamp of a file that does not exist (the lock, before
// the first release).
var absent = fileStamp{Size: -1}

// stampPath stamps the file at path (following symlinks, as sources are
// stamped); a missing one is absent. ok is false when it cannot be
// stamped.
func stampPath(path string) (st fileStamp, ok bool) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return absent, true
	case err != nil:
		return fileStamp{}, false
	}
	return stampOf(fi), true
}

// appendStamp appends a name and a stamp to a digest's input.
func appendStamp(b []byte, name string, st fileStamp) []byte {
	b = append(b, name...)
	b = append(b, 0)
	for _, v := range [...]uint64{st.Dev, st.Ino, uint64(st.Size), uint64(st.MTime), uint64(st.CTime)} {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	return b
}

func digestHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// memoKeys computes, from the stamps the build took of its inputs as it
// read them (Source.Stats, Source.DirStats) and those of the manifest and
// the lock, the digest of its inputs for the full check, and what the
// quick check watches. key is "" when an input is too recent to be judged
// by its stamp or cannot be stamped; w is zero when a watched directory
// is.
func memoKeys(m *manifest.Manifest, path, lockPath string, popt Options, opt BuildOptions, start time.Time) (key string, w watched) {
	if !stampsWork() {
		return "", watched{}
	}
	mst, ok1 := stampPath(m.File)
	lst, ok2 := stampPath(lockPath)
	if !ok1 || !ok2 || mst == absent || mst.recent(start) || lst.recent(start) {
		return "", watched{}
	}
	head := memoHead(m.File, popt, opt)
	k := appendStamp(appendStamp([]byte(head), "manifest", mst), "lock", lst)
	paths := []string{filepath.ToSlash(filepath.Base(m.File)), manifest.DefaultLockName}
	wk := appendStamp(appendStamp([]byte(head), paths[0], mst), paths[1], lst)
	watchOK := true
	for _, p := range m.Packages {
		k = append(k, p.Name...)
		k = append(k, 0)
		for _, c := range [][]*manifest.Source{p.Cold, p.Update} {
			for _, s := range c {
				k = append(k, s.File...)
				k = binary.LittleEndian.AppendUint64(append(k, 0), uint64(len(s.Matches)))
				if len(s.Stats) != len(s.Matches) {
					return "", watched{}
				}
				for i, rel := range s.Matches {
					st := stampOf(s.Stats[i])
					if st.recent(start) {
						return "", watched{}
					}
					k = appendStamp(k, rel, st)
					wk = appendStamp(wk, rel, st)
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
					st := stampOf(s.DirStats[i])
					if st.recent(start) {
						watchOK = false
					}
					wk = appendStamp(wk, d, st)
					paths = append(paths, d)
				}
			}
		}
	}
	key = digestHex(k)
	abs, err := filepath.Abs(path)
	if !watchOK || err != nil {
		return key, watched{}
	}
	return key, watched{abs, m.Image, m.Release.String(), string(m.Target), paths, digestHex(wk)}
}

// watchDigest digests head and the stamps of the watched paths under
// dir, taken now, as memoKeys digests those taken by a build. It is ""
// when a stamp is too recent to be trusted or a path cannot be stamped.
func watchDigest(head, dir string, paths []string, start time.Time) string {
	if !stampsWork() || len(paths) == 0 {
		return ""
	}
	stamps := make([]fileStamp, len(paths))
	var bad atomic.Bool
	parallel(context.Background(), len(paths), 0, func(i int) {
		st, ok := stampPath(filepath.Join(dir, filepath.FromSlash(paths[i])))
		if !ok || st.recent(start) {
			bad.Store(true)
		}
		stamps[i] = st
	})
	if bad.Load() {
		return ""
	}
	b := []byte(head)
	for i, p := range paths {
		b = appendStamp(b, p, stamps[i])
	}
	return digestHex(b)
}

// quickMemo is the quick check of a rebuild, before the manifest is
// read: the last build into opt.OutDir built the manifest at path with
// the same options and provpack, none of the files it watched changed
// and its outputs are untouched. It only reads, so it needs no lock on
// the output directory: a build committing meanwhile changes outputs
// the memo names, and the check fails.
func quickMemo(path string, popt Options, opt BuildOptions, start time.Time) (*Plan, *report.Report, bool) {
	if opt.OutDir == "" || opt.Release {
		return nil, nil, false
	}
	mm := loadCache(opt.OutDir).memo
	if mm == nil || mm.WatchKey == "" {
		return nil, nil, false
	}
	if abs, err := filepath.Abs(path); err != nil || abs != mm.Manifest {
		return nil, nil, false
	}
	opt = opt.withDefaults() // as startBuild, which the full check follows
	dir := filepath.Dir(path)
	if watchDigest(memoHead(path, popt, opt), dir, mm.Watch, start) != mm.WatchKey || !mm.intact(opt.OutDir) {
		return nil, nil, false
	}
	pl := &Plan{Dir: dir, LockPath: filepath.Join(dir, manifest.DefaultLockName), Image: mm.Image, Release: mm.Release, Target: mm.Target, Findings: mm.Findings}
	if pl.Findings == nil {
		pl.Findings = []Finding{}
	}
	return pl, mm.report(pl), true
}

// watched is what a build remembers for the next one's quick check.
type watched struct {
	manifest, image, release, target string
	paths                            []string
	key                              string
}

// intact reports whether every output the memo names is still the file
// that build left.
func (mm *buildMemo) intact(dir string) bool {
	if len(mm.Outputs) == 0 {
		return false
	}
	for name, want := range mm.Outputs {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() || stampOf(fi) != want {
			return false
		}
	}
	return true
}

// report is the report of the remembered build, as far as the command
// line shows it.
func (mm *buildMemo) report(pl *Plan) *report.Report {
	rep := &report.Report{Head: report.Head{SchemaVersion: report.SchemaVersion, Image: pl.Image, Release: pl.Release, Target: pl.Target}, Findings: mm.Findings, UpToDate: true}
	for _, p := range mm.Packages {
		rep.Packages = append(rep.Packages, &report.Package{Name: p.Name, OldVersion: p.OldVersion, Version: p.Version, Archive: p.Archive, Size: p.Size, SHA256: p.SHA256})
	}
	return rep
}

// newMemo records a finished build: its inputs digest, the stamps of
// its outputs, now in place, its findings and packages, and what the
// quick check watches.
func newMemo(key string, w watched, dir string, outs []string, rep *report.Report) (*buildMemo, error) {
	mm := &buildMemo{Inputs: key, Outputs: map[string]fileStamp{}, Findings: rep.Findings,
		Manifest: w.manifest, Image: w.image, Release: w.release, Target: w.target, Watch: w.paths, WatchKey: w.key}
	for _, name := range outs {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		mm.Outputs[name] = stampOf(fi)
	}
	for _, p := range rep.Packages {
		mm.Packages = append(mm.Packages, memoPackage{Name: p.Name, OldVersion: p.OldVersion, Version: p.Version, Archive: p.Archive, Size: p.Size, SHA256: p.SHA256})
	}
	return mm, nil
}
