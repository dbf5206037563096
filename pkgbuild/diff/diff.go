package diff

import (
	"bytes"
	"encoding/json"
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
	"github.com/provpack/provpack/pkgbuild/report"
)

// Snapshot is a release as diff sees it: packages with versions, files
// and settings. It comes from a build output (report.json) or a lock.
type Snapshot struct {
	Source   string
	Image    string
	Target   string
	Release  string
	Packages []SnapshotPackage
}

// SnapshotPackage is one package of a snapshot.
type SnapshotPackage struct {
	Name     string
	Version  string
	Files    []report.File
	Settings []report.Setting
}

// maxSnapshot is the largest report.json or lock LoadSnapshot reads: what
// a release lock may be.
const maxSnapshot = manifest.MaxLockSize

// compares is what diff takes, for messages.
const compares = "diff compares build output directories, report.json files, provpack.lock files and manifests (provpack.yaml)"

// NotExist is the error for an argument of diff that does not exist.
func NotExist(path string) error {
	return fmt.Errorf("%s does not exist; %s", path, compares)
}

// LoadSnapshot reads a build output directory (its report.json), a
// report.json, or a release lock.
func LoadSnapshot(path string) (*Snapshot, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, NotExist(path)
	}
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		if _, err := os.Stat(filepath.Join(path, "report.json")); err != nil {
			return nil, fmt.Errorf("%s has no report.json or provpack.yaml; give a provpack build output directory, a report.json, a provpack.lock or a manifest", path)
		}
		path = filepath.Join(path, "report.json")
	}
	data, err := boundedread.File(path, maxSnapshot)
	if err != nil {
		return nil, err
	}
	if err := snapshotLike(path, data); err != nil {
		return nil, err
	}
	if strings.Contains(string(data[:min(len(data), 200)]), `"lockVersion"`) {
		lock, err := manifest.ReadLock(path, data)
		if err != nil {
			return nil, err
		}
		return snapshotFromLock(path, lock), nil
	}
	rep, err := report.Read(path, data)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{Source: path, Image: rep.Image, Target: rep.Target, Release: rep.Release}
	for _, p := range rep.Packages {
		s.Packages = append(s.Packages, SnapshotPackage{Name: p.Name, Version: p.Version, Files: p.Files, Settings: p.Settings})
	}
	return s, nil
}

// snapshotLike refuses a file that is neither a report.json nor a lock
// (an archive, a certificate, report.md, another JSON document) with a
// message saying what diff takes, rather than a JSON syntax error. A JSON
// object with a lockVersion or a schemaVersion is left to the readers,
// which name what is wrong with it.
func snapshotLike(path string, data []byte) error {
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\uFEFF")), " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var head struct {
			LockVersion   json.RawMessage `json:"lockVersion"`
			SchemaVersion json.RawMessage `json:"schemaVersion"`
		}
		if json.Unmarshal(data, &head) != nil || head.LockVersion != nil || head.SchemaVersion != nil {
			return nil
		}
	}
	if len(trimmed) == 0 {
		return fmt.Errorf("%s is empty; %s", path, compares)
	}
	hint := ""
	if looksLikeArchive(path, data) {
		hint = " (for an archive, use provpack inspect)"
	}
	return fmt.Errorf("%s is not a build output directory, report.json, provpack.lock or manifest; diff compares those%s", path, hint)
}

// looksLikeArchive says whether data is a cabinet or a zstd stream, or
// path is named like a package archive.
func looksLikeArchive(path string, data []byte) bool {
	if bytes.HasPrefix(data, []byte("MSCF")) || bytes.HasPrefix(data, []byte{0x28, 0xB5, 0x2F, 0xFD}) {
		return true
	}
	name := strings.ToLower(path)
	for _, ext := range []string{".cab", ".spkg", ".spkr", ".spku", ".zst"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

func snapshotFromLock(path string, l *manifest.Lock) *Snapshot {
	s := &Snapshot{Source: path, Image: l.Image, Target: string(l.Target), Release: l.Release}
	for _, p := range l.Packages {
		sp := SnapshotPackage{Name: p.Name, Version: p.Version}
		for _, f := range p.Files {
			sp.Files = append(sp.Files, report.File{Class: f.Class, Name: f.Name, Ordinal: f.Ordinal, Digest: f.Digest})
		}
		sp.Settings = p.Settings
		s.Packages = append(s.Packages, sp)
	}
	return s
}

// Diff is the setting-level difference between two snapshots. Settings
// that did not change are not listed.
type Diff struct {
	Old        string `json:"old"`
	New        string `json:"new"`
	OldRelease string `json:"oldRelease"`
	NewRelease string `json:"newRelease"`
	// Warnings say when the two are not releases of one image for one
	// target, which makes the comparison of little use.
	Warnings []string      `json:"warnings,omitempty"`
	Packages []PackageDiff `json:"packages"`
}

// PackageDiff is what changed in one package.
type PackageDiff struct {
	Name       string          `json:"name"`
	Status     string          `json:"status"` // added, removed, changed
	OldVersion string          `json:"oldVersion,omitempty"`
	NewVersion string          `json:"newVersion,omitempty"`
	Files      []FileDiff      `json:"files,omitempty"`
	Added      []SettingChange `json:"added,omitempty"`
	Removed    []SettingChange `json:"removed,omitempty"`
	Changed    []SettingChange `json:"changed,omitempty"`
	Moved      []SettingChange `json:"moved,omitempty"`
}

// FileDiff is a provisioning file whose name or ordinal changed.
type FileDiff struct {
	Class      manifest.Class `json:"class"`
	OldName    string         `json:"oldName,omitempty"`
	NewName    string         `json:"newName,omitempty"`
	OldOrdinal int            `json:"oldOrdinal,omitempty"`
	NewOrdinal int            `json:"newOrdinal,omitempty"`
}

// SettingChange is one setting that was added, removed, changed or moved
// between the cold and update classes.
type SettingChange struct {
	Setting  string         `json:"setting"`
	OldClass manifest.Class `json:"oldClass,omitempty"`
	NewClass manifest.Class `json:"newClass,omitempty"`
	Old      *SettingValue  `json:"old,omitempty"`
	New      *SettingValue  `json:"new,omitempty"`
}

// SettingValue is a setting's effect.
type SettingValue struct {
	Op       string `json:"op"`
	Value    string `json:"value,omitempty"`
	Datatype string `json:"datatype,omitempty"`
	File     string `json:"file"`
}

// Empty reports whether nothing differs.
func (d *Diff) Empty() bool { return len(d.Packages) == 0 }

// effective maps (class, key) to the last write of each setting, and
// remembers the display key and first-seen order.
type effective struct {
	vals  map[manifest.Class]map[string]report.Setting
	shown map[string]string
	order []string
}

func effectiveSettings(ss []report.Setting) *effective {
	e := &effective{vals: map[manifest.Class]map[string]report.Setting{}, shown: map[string]string{}}
	for _, s := range ss {
		if s.Op == manifest.OpQuery {
			continue
		}
		k := report.SettingKey(s.CSP, s.Path, s.Name)
		if e.vals[s.Class] == nil {
			e.vals[s.Class] = map[string]report.Setting{}
		}
		if _, seen := e.shown[k]; !seen {
			e.order = append(e.order, k)
			e.shown[k] = report.DisplayKey(s.CSP, s.Path, s.Name)
		}
		e.vals[s.Class][k] = s
	}
	return e
}

func value(s report.Setting) *SettingValue {
	return &SettingValue{Op: string(s.Op), Value: s.Value, Datatype: string(s.Datatype), File: s.File}
}

func sameEffect(a, b report.Setting) bool {
	return a.Op == b.Op && a.Value == b.Value && a.Datatype == b.Datatype
}

// DiffSnapshots compares two snapshots setting by setting.
func DiffSnapshots(oldS, newS *Snapshot) *Diff {
	d := &Diff{Old: oldS.Source, New: newS.Source, OldRelease: oldS.Release, NewRelease: newS.Release, Packages: []PackageDiff{}}
	if oldS.Image != newS.Image {
		d.Warnings = append(d.Warnings, fmt.Sprintf("different images: %s is of %s, %s of %s", q(oldS.Source), q(oldS.Image), q(newS.Source), q(newS.Image)))
	}
	if oldS.Target != newS.Target {
		d.Warnings = append(d.Warnings, fmt.Sprintf("different targets: %s is for %s, %s for %s", q(oldS.Source), q(oldS.Target), q(newS.Source), q(newS.Target)))
	}
	oldPkgs := map[string]SnapshotPackage{}
	for _, p := range oldS.Packages {
		oldPkgs[strings.ToLower(p.Name)] = p
	}
	seen := map[string]bool{}
	for _, np := range newS.Packages {
		seen[strings.ToLower(np.Name)] = true
		op, ok := oldPkgs[strings.ToLower(np.Name)]
		if !ok {
			pd := PackageDiff{Name: np.Name, Status: "added", NewVersion: np.Version}
			diffPackage(&pd, SnapshotPackage{}, np)
			d.Packages = append(d.Packages, pd)
			continue
		}
		pd := PackageDiff{Name: np.Name, Status: "changed", OldVersion: op.Version, NewVersion: np.Version}
		diffPackage(&pd, op, np)
		if pd.OldVersion != pd.NewVersion || len(pd.Files)+len(pd.Added)+len(pd.Removed)+len(pd.Changed)+len(pd.Moved) > 0 {
			d.Packages = append(d.Packages, pd)
		}
	}
	for _, op := range oldS.Packages {
		if !seen[strings.ToLower(op.Name)] {
			pd := PackageDiff{Name: op.Name, Status: "removed", OldVersion: op.Version}
			diffPackage(&pd, op, SnapshotPackage{})
			d.Packages = append(d.Packages, pd)
		}
	}
	return d
}

var classes = []manifest.Class{manifest.ClassCold, manifest.ClassUpdate}

func diffPackage(pd *PackageDiff, op, np SnapshotPackage) {
	for _, c := range classes {
		var of, nf *report.File
		for i := range op.Files {
			if op.Files[i].Class == c {
				of = &op.Files[i]
			}
		}
		for i := range np.Files {
			if np.Files[i].Class == c {
				nf = &np.Files[i]
			}
		}
		switch {
		case of == nil && nf == nil:
		case of == nil:
			pd.Files = append(pd.Files, FileDiff{Class: c, NewName: nf.Name, NewOrdinal: nf.Ordinal})
		case nf == nil:
			pd.Files = append(pd.Files, FileDiff{Class: c, OldName: of.Name, OldOrdinal: of.Ordinal})
		case of.Name != nf.Name || of.Ordinal != nf.Ordinal:
			pd.Files = append(pd.Files, FileDiff{Class: c, OldName: of.Name, NewName: nf.Name, OldOrdinal: of.Ordinal, NewOrdinal: nf.Ordinal})
		}
	}
	oe, ne := effectiveSettings(op.Settings), effectiveSettings(np.Settings)
	keys := slices.Clone(ne.order)
	for _, k := range oe.order {
		if _, ok := ne.shown[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		shown := ne.shown[k]
		if shown == "" {
			shown = oe.shown[k]
		}
		var onlyOld, onlyNew []manifest.Class
		for _, c := range classes {
			o, inOld := oe.vals[c][k]
			n, inNew := ne.vals[c][k]
			switch {
			case inOld && inNew:
				if !sameEffect(o, n) {
					pd.Changed = append(pd.Changed, SettingChange{Setting: shown, OldClass: c, NewClass: c, Old: value(o), New: value(n)})
				}
			case inOld:
				onlyOld = append(onlyOld, c)
			case inNew:
				onlyNew = append(onlyNew, c)
			}
		}
		if len(onlyOld) == 1 && len(onlyNew) == 1 {
			o, n := oe.vals[onlyOld[0]][k], ne.vals[onlyNew[0]][k]
			pd.Moved = append(pd.Moved, SettingChange{Setting: shown, OldClass: onlyOld[0], NewClass: onlyNew[0], Old: value(o), New: value(n)})
			continue
		}
		for _, c := range onlyOld {
			pd.Removed = append(pd.Removed, SettingChange{Setting: shown, OldClass: c, Old: value(oe.vals[c][k])})
		}
		for _, c := range onlyNew {
			pd.Added = append(pd.Added, SettingChange{Setting: shown, NewClass: c, New: value(ne.vals[c][k])})
		}
	}
}

func valueShort(v *SettingValue) string {
	if v == nil {
		return ""
	}
	if v.Op == "delete" {
		return "(deleted)"
	}
	s := fmt.Sprintf("%q", report.ShowValue(v.Value))
	if v.Datatype != "" {
		s += " " + q(v.Datatype)
	}
	return s
}

// q shows a name from a report or a lock (a package, a setting, a file,
// a class): as it is, or quoted when a character in it is not printable,
// so that it can neither drive a terminal nor forge a line of the diff.
func q[S ~string](s S) string { return quote.Name(string(s)) }

// Text renders a diff for a terminal.
func (d *Diff) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "diff %s (%s) → %s (%s)\n", q(d.Old), q(d.OldRelease), q(d.New), q(d.NewRelease))
	for _, w := range d.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	if d.Empty() {
		b.WriteString("no differences\n")
		return b.String()
	}
	for _, p := range d.Packages {
		fmt.Fprintf(&b, "\npackage %s %s (%s)\n", q(p.Name), report.Arrow(q(p.OldVersion), q(p.NewVersion)), p.Status)
		for _, f := range p.Files {
			fmt.Fprintf(&b, "  file     %-6s %s\n", q(f.Class), fileArrow(f))
		}
		for _, c := range p.Changed {
			fmt.Fprintf(&b, "  changed  %-6s %s: %s → %s\n", q(c.NewClass), q(c.Setting), valueShort(c.Old), valueShort(c.New))
		}
		for _, c := range p.Added {
			fmt.Fprintf(&b, "  added    %-6s %s = %s\n", q(c.NewClass), q(c.Setting), valueShort(c.New))
		}
		for _, c := range p.Removed {
			fmt.Fprintf(&b, "  removed  %-6s %s (was %s)\n", q(c.OldClass), q(c.Setting), valueShort(c.Old))
		}
		for _, c := range p.Moved {
			fmt.Fprintf(&b, "  moved    %s: %s → %s (%s → %s)\n", q(c.Setting), q(c.OldClass), q(c.NewClass), valueShort(c.Old), valueShort(c.New))
		}
	}
	return b.String()
}

func fileArrow(f FileDiff) string {
	switch {
	case f.OldName == "":
		return q(f.NewName) + " (new)"
	case f.NewName == "":
		return q(f.OldName) + " (gone)"
	}
	return q(f.OldName) + " → " + q(f.NewName)
}

// Markdown renders a diff as a review comment.
func (d *Diff) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "## provpack diff %s → %s\n\n", q(d.OldRelease), q(d.NewRelease))
	for _, w := range d.Warnings {
		fmt.Fprintf(&b, "> **Warning:** %s\n\n", w)
	}
	if d.Empty() {
		b.WriteString("No differences.\n")
		return b.String()
	}
	var added, removed, changed int
	for _, p := range d.Packages {
		switch p.Status {
		case "added":
			added++
		case "removed":
			removed++
		default:
			changed++
		}
	}
	fmt.Fprintf(&b, "%s changed, %d added, %d removed. Settings that did not change are not listed.\n", report.Plural(changed, "package"), added, removed)
	for _, p := range d.Packages {
		fmt.Fprintf(&b, "\n### %s %s", q(p.Name), report.Arrow(q(p.OldVersion), q(p.NewVersion)))
		if p.Status != "changed" {
			fmt.Fprintf(&b, " (%s)", p.Status)
		}
		b.WriteString("\n\n")
		for _, f := range p.Files {
			fmt.Fprintf(&b, "- %s file: %s\n", q(f.Class), strings.ReplaceAll(report.MDCode(fileArrow(f)), " → ", "` → `"))
		}
		if len(p.Files) > 0 {
			b.WriteString("\n")
		}
		rows := len(p.Changed) + len(p.Added) + len(p.Removed) + len(p.Moved)
		if rows == 0 {
			if p.OldVersion != p.NewVersion {
				b.WriteString("Version changed; no setting changed.\n")
			}
			continue
		}
		b.WriteString("| change | class | setting | old | new |\n| --- | --- | --- | --- | --- |\n")
		for _, c := range p.Changed {
			fmt.Fprintf(&b, "| changed | %s | %s | %s | %s |\n", q(c.NewClass), report.MDCode(q(c.Setting)), report.MDCode(valueShort(c.Old)), report.MDCode(valueShort(c.New)))
		}
		for _, c := range p.Added {
			fmt.Fprintf(&b, "| added | %s | %s | | %s |\n", q(c.NewClass), report.MDCode(q(c.Setting)), report.MDCode(valueShort(c.New)))
		}
		for _, c := range p.Removed {
			fmt.Fprintf(&b, "| removed | %s | %s | %s | |\n", q(c.OldClass), report.MDCode(q(c.Setting)), report.MDCode(valueShort(c.Old)))
		}
		for _, c := range p.Moved {
			fmt.Fprintf(&b, "| moved | %s → %s | %s | %s | %s |\n", q(c.OldClass), q(c.NewClass), report.MDCode(q(c.Setting)), report.MDCode(valueShort(c.Old)), report.MDCode(valueShort(c.New)))
		}
	}
	return b.String()
}
