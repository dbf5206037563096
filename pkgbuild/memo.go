package pkgbuild

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/provpack/provpack/manifest"
)

// A build remembers, in the output directory's cache file, a digest of
// everything its outputs depend on and the file stamps of the outputs it
// left. When the next build into that directory finds the same digest
// and its outputs untouched, nothing can differ: it reports the result
// of the last build without planning, compressing or writing anything.
//
// The digest covers the provpack executable, the options, and the stamp
// (device, inode, size, modification and change times) of the manifest,
// the lock and every source file matched, as make and git judge files.
// Source patterns are expanded again, so a new file matching a glob
// changes it. A file whose stamp is less than racyWindow older than the
// build may have changed within the file system's timestamp granularity
// without its stamp changing; such a build remembers no digest.

// racyWindow is how old an input must be for its stamp to be trusted
// (tests change it).
var racyWindow = 2 * time.Second

// buildMemo is the remembered build.
type buildMemo struct {
	Inputs   string               `json:"inputs"`
	Outputs  map[string]fileStamp `json:"outputs"`
	Findings []Finding            `json:"findings"`
	Packages []memoPackage        `json:"packages"`
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

// memoKey is the digest of a build's inputs, or "" when an input is too
// recent to be judged by its stamp (or cannot be stamped).
func memoKey(m *manifest.Manifest, lockPath string, popt Options, opt BuildOptions, start time.Time) string {
	if !stampsWork() {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "provpack-memo 1\n%s\nbump=%q reason=%q epoch=%d\n", toolID(), popt.Bump, popt.Reason, opt.Epoch.Unix())
	if !stampFile(h, m.File, start, false) || !stampFile(h, lockPath, start, true) {
		return ""
	}
	for _, p := range m.Packages {
		fmt.Fprintf(h, "package %q\n", p.Name)
		for _, c := range [][]*manifest.Source{p.Cold, p.Update} {
			for _, s := range c {
				fmt.Fprintf(h, "source %q %d\n", s.File, len(s.Matches))
				if len(s.Stats) != len(s.Matches) {
					return ""
				}
				for i, rel := range s.Matches {
					st := stampOf(s.Stats[i])
					if st.recent(start) {
						return ""
					}
					fmt.Fprintf(h, "%q %+v\n", rel, st)
				}
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// stampFile adds the stamp of path to h; a missing file is stamped as
// such when it may be missing.
func stampFile(h hash.Hash, path string, start time.Time, mayMiss bool) bool {
	fi, err := os.Stat(path)
	if err != nil {
		if mayMiss && os.IsNotExist(err) {
			fmt.Fprintf(h, "%q absent\n", path)
			return true
		}
		return false
	}
	st := stampOf(fi)
	fmt.Fprintf(h, "%q %+v\n", path, st)
	return !st.recent(start)
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
func (mm *buildMemo) report(pl *Plan) *Report {
	rep := &Report{SchemaVersion: ReportSchemaVersion, Image: pl.Image, Release: pl.Release, Target: pl.Target, Findings: mm.Findings, UpToDate: true}
	for _, p := range mm.Packages {
		rep.Packages = append(rep.Packages, &ReportPackage{Name: p.Name, OldVersion: p.OldVersion, Version: p.Version, Archive: p.Archive, Size: p.Size, SHA256: p.SHA256})
	}
	return rep
}

// newMemo records a finished build: its inputs digest, the stamps of
// its outputs, now in place, its findings and packages.
func newMemo(key, dir string, outs []*output, rep *Report) (*buildMemo, error) {
	mm := &buildMemo{Inputs: key, Outputs: map[string]fileStamp{}, Findings: rep.Findings}
	for _, o := range outs {
		fi, err := os.Lstat(filepath.Join(dir, o.name))
		if err != nil {
			return nil, err
		}
		mm.Outputs[o.name] = stampOf(fi)
	}
	for _, p := range rep.Packages {
		mm.Packages = append(mm.Packages, memoPackage{Name: p.Name, OldVersion: p.OldVersion, Version: p.Version, Archive: p.Archive, Size: p.Size, SHA256: p.SHA256})
	}
	return mm, nil
}
