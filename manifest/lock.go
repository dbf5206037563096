package manifest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// MaxLockSize is the largest lock ReadLock accepts. A lock records every
// setting of an image (about three times its provisioning sources), so
// it is far larger than a manifest; the bound only keeps a hostile file
// from exhausting memory.
const MaxLockSize = 1 << 30

// LockVersion is the lock format this package writes. It reads this one
// and version 1, which had no history: no tombstones, no release records
// and no base.
const LockVersion = 2

// Default file names, next to each other in the image's directory.
const (
	DefaultManifestName = "provpack.yaml"
	DefaultLockName     = "provpack.lock"
)

// Lock is the release lock: what was last released with build --release.
// docs/lock-format.md describes the format and its invariants.
type Lock struct {
	LockVersion int           `json:"lockVersion"`
	Image       string        `json:"image"`
	Release     string        `json:"release"`
	Target      Target        `json:"target"`
	Packages    []LockPackage `json:"packages"`
	// Removed holds a tombstone for every package released once and
	// removed since, so that a package added again continues its ordinals
	// and rises above its last version.
	Removed []Tombstone `json:"removed,omitempty"`
	// Releases records every release made with this lock format, oldest
	// first; the last is Release.
	Releases []ReleaseRecord `json:"releases,omitempty"`
	// Base is what Release was planned against, so that the release can
	// be planned again, and its report rebuilt, after it is recorded
	// (nil in a version 1 lock).
	Base *LockBase `json:"base,omitempty"`
	// Pending are the version raises provpack bump made since the last
	// release, with their reasons; the next release records those the
	// manifest still has and drops the rest.
	Pending []PendingBump `json:"pending,omitempty"`

	// byName indexes Packages by lower-cased name; validate builds it
	// (ReadLock), and without it Package searches.
	byName map[string]int
}

// LockPackage is one released package.
type LockPackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	GUID    string `json:"guid"`
	Owner   Owner  `json:"owner"`
	// Identity is a w10m package's identity on the device,
	// <company>.<name>[.<subcomponent>] (its .spkg name less the
	// extension); "" for wm6, and in locks written before it was
	// recorded.
	Identity string `json:"identity,omitempty"`
	// MaxOrdinal is the highest ordinal ever released per class, kept so a
	// removed file's ordinal is never handed out again.
	MaxOrdinal ClassOrdinals `json:"maxOrdinal"`
	Bumps      []Bump        `json:"bumps"`
	Files      []LockFile    `json:"files"`
	Settings   []FlatSetting `json:"settings"`
}

// PendingBump is a version raise made with provpack bump, not released yet.
type PendingBump struct {
	Package string `json:"package"`
	Bump
}

// PendingBump returns the pending bump of package name (ignoring case),
// or nil. It is safe on a nil Lock.
func (l *Lock) PendingBump(name string) *PendingBump {
	if l == nil {
		return nil
	}
	for i := range l.Pending {
		if strings.EqualFold(l.Pending[i].Package, name) {
			return &l.Pending[i]
		}
	}
	return nil
}

// Tombstone is a package released once and removed since.
type Tombstone struct {
	Name    string `json:"name"`
	Version string `json:"version"` // the last version released
	GUID    string `json:"guid"`
	Owner   Owner  `json:"owner"`
	// MaxOrdinal is the highest ordinal released per class.
	MaxOrdinal ClassOrdinals `json:"maxOrdinal"`
	RemovedIn  string        `json:"removedIn"` // the release that removed it
}

// ReleaseRecord is one recorded release: its packages' versions, files,
// ordinals and archives.
type ReleaseRecord struct {
	Release  string            `json:"release"`
	Packages []ReleasedPackage `json:"packages"`
	Removed  []string          `json:"removed,omitempty"` // packages this release removed
}

// ReleasedPackage is one package of a recorded release.
type ReleasedPackage struct {
	Name    string     `json:"name"`
	Version string     `json:"version"`
	Archive string     `json:"archive"`
	SHA256  string     `json:"sha256"` // of the archive, hex
	Files   []LockFile `json:"files"`
}

// LockBase is the state a release was planned against: the release
// before it ("" for the first) and its packages as the lock then held
// them.
type LockBase struct {
	Release  string        `json:"release"`
	Packages []LockPackage `json:"packages"`
	Removed  []Tombstone   `json:"removed,omitempty"`
}

// BaseLock is the lock Release was planned against, as a lock: nil when
// Release was the first release. ok is false when the lock does not know
// (a version 1 lock, or none).
func (l *Lock) BaseLock() (base *Lock, ok bool) {
	if l == nil || l.Base == nil {
		return nil, false
	}
	if l.Base.Release == "" {
		return nil, true
	}
	b := &Lock{LockVersion: l.LockVersion, Image: l.Image, Release: l.Base.Release, Target: l.Target, Packages: l.Base.Packages, Removed: l.Base.Removed}
	b.index()
	return b, true
}

// Tombstone returns the tombstone of the removed package name (ignoring
// case), or nil. It is safe on a nil Lock.
func (l *Lock) Tombstone(name string) *Tombstone {
	if l == nil {
		return nil
	}
	for i := range l.Removed {
		if strings.EqualFold(l.Removed[i].Name, name) {
			return &l.Removed[i]
		}
	}
	return nil
}

// index builds byName from Packages.
func (l *Lock) index() {
	l.byName = make(map[string]int, len(l.Packages))
	for i, p := range l.Packages {
		if _, dup := l.byName[strings.ToLower(p.Name)]; !dup {
			l.byName[strings.ToLower(p.Name)] = i
		}
	}
}

// ClassOrdinals holds one ordinal per file class; 0 means none yet.
type ClassOrdinals struct {
	Cold   int `json:"cold"`
	Update int `json:"update"`
}

// Of is the ordinal of class.
func (o ClassOrdinals) Of(class Class) int {
	if class == ClassCold {
		return o.Cold
	}
	return o.Update
}

// Raise raises the ordinal of class to at least ordinal.
func (o *ClassOrdinals) Raise(class Class, ordinal int) {
	switch class {
	case ClassCold:
		o.Cold = max(o.Cold, ordinal)
	case ClassUpdate:
		o.Update = max(o.Update, ordinal)
	}
}

// Bump records a version raise and why it was made.
type Bump struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason"`
}

// LockFile is one generated provisioning file.
type LockFile struct {
	Class   Class  `json:"class"`
	Name    string `json:"name"`
	Ordinal int    `json:"ordinal"`
	Digest  string `json:"digest"` // "sha256:" and 64 lower-case hex digits of the canonical content
}

// FlatSetting is one setting of a generated provisioning file in flat
// form, enough for a semantic diff: what the release lock records, what
// report.json lists and what diff compares (the report and the diff use
// this type too).
type FlatSetting struct {
	Class    Class    `json:"class"`
	File     string   `json:"file"` // a LockFile.Name of the same package
	CSP      string   `json:"csp"`
	Path     []string `json:"path"` // characteristic types below the CSP, outermost first
	Name     string   `json:"name,omitempty"`
	Value    string   `json:"value,omitempty"`
	Datatype Datatype `json:"datatype,omitempty"` // "" when the source gave none
	Op       Op       `json:"op"`
}

// Class is a provisioning file class.
type Class string

// The file classes.
const (
	ClassCold   Class = "cold"
	ClassUpdate Class = "update"
)

func (Class) values() []string { return []string{string(ClassCold), string(ClassUpdate)} }

// Op is what a flat setting does.
type Op string

// The setting operations.
const (
	OpSet    Op = "set"
	OpDelete Op = "delete"
	OpQuery  Op = "query"
)

func (Op) values() []string { return []string{string(OpSet), string(OpDelete), string(OpQuery)} }

// Package returns the locked package named name (ignoring case), or nil.
// It is safe on a nil Lock.
func (l *Lock) Package(name string) *LockPackage {
	if l == nil {
		return nil
	}
	if l.byName != nil {
		// One lookup instead of a scan: planning asks once per package.
		// validate admits ASCII names only, where lower-casing and
		// EqualFold agree; another name is searched for.
		if i, ok := l.byName[strings.ToLower(name)]; ok && i < len(l.Packages) && strings.EqualFold(l.Packages[i].Name, name) {
			return &l.Packages[i]
		}
		if isASCII(name) {
			return nil
		}
	}
	for i := range l.Packages {
		if strings.EqualFold(l.Packages[i].Name, name) {
			return &l.Packages[i]
		}
	}
	return nil
}

// LoadLock reads the lock at path. A missing file is not an error: it
// means nothing has been released yet, and LoadLock returns nil, nil.
//
// A lock may be hundreds of megabytes, and decoding it takes seconds that
// nothing can interrupt; LoadLock returns ctx.Err() as soon as ctx is
// done, leaving the decoding to finish in the background and be dropped.
func LoadLock(ctx context.Context, path string) (*Lock, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	type result struct {
		l   *Lock
		err error
	}
	done := make(chan result, 1)
	go func() {
		l, err := loadLock(path)
		done <- result{l, err}
	}()
	select {
	case r := <-done:
		return r.l, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func loadLock(path string) (*Lock, error) {
	data, err := readLimited(path, MaxLockSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading lock: %w", err)
	}
	return ReadLock(path, data)
}

// ReadLock decodes and checks a lock. name is used in errors only. Every
// problem is reported in an ErrorList: JSON syntax and type errors with
// line:col, the rest with the field path.
func ReadLock(name string, data []byte) (*Lock, error) {
	e := &errs{file: name}
	if len(bytes.TrimSpace(data)) == 0 {
		e.add(Pos{}, "", "empty lock file; delete it if nothing has been released")
		return nil, e.list.err()
	}
	if len(data) > MaxLockSize {
		e.add(Pos{}, "", "lock file is larger than %d MiB", MaxLockSize>>20)
		return nil, e.list.err()
	}

	if trimmed := bytes.TrimLeft(data, " \t\r\n"); trimmed[0] != '{' && json.Valid(data) {
		kind := map[byte]string{'[': "an array", '"': "a string", 't': "a boolean", 'f': "a boolean", 'n': "null"}[trimmed[0]]
		if kind == "" {
			kind = "a number"
		}
		e.add(jsonPos(data, len(data)-len(trimmed)), "", "a lock is a JSON object, got %s", kind)
		return nil, e.list.err()
	}

	// The version first, so a newer format gets a clear message rather than
	// a list of unknown fields.
	var head struct {
		LockVersion *json.RawMessage `json:"lockVersion"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		jsonError(e, data, err)
		return nil, e.list.err()
	}
	switch {
	case head.LockVersion == nil:
		e.add(Pos{}, "lockVersion", "missing; this is not a provpack lock")
		return nil, e.list.err()
	case string(*head.LockVersion) != fmt.Sprint(LockVersion) && string(*head.LockVersion) != "1":
		e.add(Pos{}, "lockVersion", "%s is not supported (this provpack reads lockVersion 1 and %d); use the provpack that wrote it, or a newer one", *head.LockVersion, LockVersion)
		return nil, e.list.err()
	}

	var l Lock
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		jsonError(e, data, err)
		return nil, e.list.err()
	}
	if _, err := dec.Token(); err != io.EOF {
		e.add(jsonPos(data, int(dec.InputOffset())), "", "unexpected data after the lock's JSON object")
		return nil, e.list.err()
	}
	l.validate(e)
	if err := e.list.err(); err != nil {
		return nil, err
	}
	return &l, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// jsonError turns an encoding/json error into a positioned Error.
func jsonError(e *errs, data []byte, err error) {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off := int(syn.Offset) - 1
		if int(syn.Offset) >= len(data) {
			off = len(data)
		}
		e.add(jsonPos(data, off), "", "JSON syntax: %s", syn.Error())
	case errors.As(err, &typ):
		e.add(jsonPos(data, int(typ.Offset)-1), typ.Field, "expected %s, got a JSON %s", jsonKind(typ.Type), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		e.add(jsonPos(data, len(data)), "", "JSON syntax: unexpected end of file")
	default:
		e.add(Pos{}, "", "%s", strings.TrimPrefix(err.Error(), "json: "))
	}
}

// jsonKind names what a Go type is written as in JSON.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "a number"
	}
	return t.String()
}

// jsonPos converts a byte offset to line:col (byte column), counting LF.
func jsonPos(data []byte, off int) Pos {
	off = min(max(off, 0), len(data))
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	col := off - (bytes.LastIndexByte(data[:off], '\n') + 1) + 1
	return Pos{Line: line, Col: col}
}

// digestRE is compiled when a lock is first read.
var digestRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^sha256:[0-9a-f]{64}$`) })

// validate checks the lock's invariants; see docs/lock-format.md.
func (l *Lock) validate(e *errs) {
	if l.LockVersion != LockVersion && l.LockVersion != 1 {
		e.add(Pos{}, "lockVersion", "%d is not supported (want 1 or %d)", l.LockVersion, LockVersion)
	}
	if err := CheckImageName(l.Image); err != nil {
		e.add(Pos{}, "image", "%w", err)
	}
	// A lock with no release yet holds only pending bumps.
	if l.Release != "" || len(l.Packages)+len(l.Removed)+len(l.Releases) > 0 || l.Base != nil {
		if _, err := ParseVersion(l.Release); err != nil {
			e.add(Pos{}, "release", "%w", err)
		}
	}
	for i, b := range l.Pending {
		bp := index("pending", i)
		if err := CheckPackageName(b.Package); err != nil {
			e.add(Pos{}, bp+".package", "%w", err)
		}
		from, err1 := ParseVersion(b.From)
		to, err2 := ParseVersion(b.To)
		if err1 != nil || err2 != nil {
			e.add(Pos{}, bp, "from %q to %q: not versions", b.From, b.To)
		} else if from.Compare(to) >= 0 {
			e.add(Pos{}, bp, "a bump must raise the version (%s to %s)", b.From, b.To)
		}
	}
	if err := checkEnum(l.Target, "target", string(l.Target)); err != nil {
		e.add(Pos{}, "target", "%w", err)
	}
	l.byName = validatePackages(e, "packages", l.Packages, l.Target)
	validateTombstones(e, "removed", l.Removed, l.byName)
	for i, r := range l.Releases {
		rp := index("releases", i)
		if _, err := ParseVersion(r.Release); err != nil {
			e.add(Pos{}, rp+".release", "%w", err)
		}
		if i == len(l.Releases)-1 && r.Release != l.Release {
			e.add(Pos{}, rp+".release", "the last release recorded is %s, but the lock's release is %s", r.Release, l.Release)
		}
	}
	if l.Base != nil {
		if l.Base.Release != "" {
			if _, err := ParseVersion(l.Base.Release); err != nil {
				e.add(Pos{}, "base.release", "%w", err)
			}
		}
		names := validatePackages(e, "base.packages", l.Base.Packages, l.Target)
		validateTombstones(e, "base.removed", l.Base.Removed, names)
	}
}

// checkIdentity says what is wrong with the identity of a package name
// in a lock of target, or "".
func checkIdentity(id, name string, target Target) string {
	if target != TargetW10M {
		return "is a w10m package identity; a " + string(target) + " lock has none"
	}
	parts := strings.Split(id, ".")
	switch {
	case len(parts) != 2 && len(parts) != 3, CheckCompanyName(parts[0]) != nil:
		return "is not <company>.<package>[.<subcomponent>]"
	case parts[1] != name:
		return fmt.Sprintf("is not an identity of package %s (want <company>.%s[.<subcomponent>])", name, name)
	case len(parts) == 3 && CheckSubcomponentName(parts[2]) != nil:
		return "is not <company>.<package>[.<subcomponent>]"
	}
	return ""
}

// validatePackages checks a list of locked packages and returns their
// index by lower-cased name.
func validatePackages(e *errs, prefix string, pkgs []LockPackage, target Target) map[string]int {
	byName := make(map[string]int, len(pkgs))
	for i := range pkgs {
		p := &pkgs[i]
		pp := index(prefix, i)
		if err := CheckPackageName(p.Name); err != nil {
			e.add(Pos{}, pp+".name", "%w", err)
		} else if first, dup := byName[strings.ToLower(p.Name)]; dup {
			e.add(Pos{}, pp+".name", "package %q is locked twice (also as %q)", p.Name, pkgs[first].Name)
		} else {
			byName[strings.ToLower(p.Name)] = i
		}
		if _, err := ParseVersion(p.Version); err != nil {
			e.add(Pos{}, pp+".version", "%w", err)
		}
		if _, err := ParseGUID(p.GUID); err != nil {
			e.add(Pos{}, pp+".guid", "%w", err)
		}
		if err := checkEnum(p.Owner, "owner", string(p.Owner)); err != nil {
			e.add(Pos{}, pp+".owner", "%w", err)
		}
		if p.Identity != "" {
			if msg := checkIdentity(p.Identity, p.Name, target); msg != "" {
				e.add(Pos{}, pp+".identity", "%q %s", p.Identity, msg)
			}
		}
		for j, b := range p.Bumps {
			bp := index(pp+".bumps", j)
			from, err1 := ParseVersion(b.From)
			if err1 != nil {
				e.add(Pos{}, bp+".from", "%v", err1)
			}
			to, err2 := ParseVersion(b.To)
			if err2 != nil {
				e.add(Pos{}, bp+".to", "%v", err2)
			}
			if err1 == nil && err2 == nil && from.Compare(to) >= 0 {
				e.add(Pos{}, bp, "a bump must raise the version (%s to %s)", b.From, b.To)
			}
		}
		p.validateFiles(e, target, pp)
	}
	return byName
}

// validateTombstones checks tombstones; none may name a locked package.
func validateTombstones(e *errs, prefix string, ts []Tombstone, live map[string]int) {
	seen := map[string]bool{}
	for i, t := range ts {
		tp := index(prefix, i)
		if err := CheckPackageName(t.Name); err != nil {
			e.add(Pos{}, tp+".name", "%w", err)
		} else if _, ok := live[strings.ToLower(t.Name)]; ok {
			e.add(Pos{}, tp+".name", "package %q is both locked and removed", t.Name)
		} else if seen[strings.ToLower(t.Name)] {
			e.add(Pos{}, tp+".name", "package %q is removed twice", t.Name)
		}
		seen[strings.ToLower(t.Name)] = true
		if _, err := ParseVersion(t.Version); err != nil {
			e.add(Pos{}, tp+".version", "%w", err)
		}
		if _, err := ParseVersion(t.RemovedIn); err != nil {
			e.add(Pos{}, tp+".removedIn", "%w", err)
		}
		for _, o := range []struct {
			key string
			n   int
		}{{"cold", t.MaxOrdinal.Cold}, {"update", t.MaxOrdinal.Update}} {
			if o.n < 0 || o.n > 999 {
				e.add(Pos{}, tp+".maxOrdinal."+o.key, "%d is out of range (want 0 to 999)", o.n)
			}
		}
	}
}

func (p *LockPackage) validateFiles(e *errs, target Target, pp string) {
	for _, o := range []struct {
		key string
		n   int
	}{{"cold", p.MaxOrdinal.Cold}, {"update", p.MaxOrdinal.Update}} {
		if o.n < 0 || o.n > 999 {
			e.add(Pos{}, pp+".maxOrdinal."+o.key, "%d is out of range (want 0 to 999)", o.n)
		}
	}
	files := make(map[string]Class)
	type slot struct {
		class   Class
		ordinal int
	}
	slots := make(map[slot]string)
	for j, f := range p.Files {
		fp := index(pp+".files", j)
		classOK := checkEnum(f.Class, "class", string(f.Class)) == nil
		if !classOK {
			e.add(Pos{}, fp+".class", "%v", checkEnum(f.Class, "class", string(f.Class)))
		}
		switch {
		case f.Name == "" || strings.ContainsAny(f.Name, `/\`) || f.Name == "." || f.Name == "..":
			e.add(Pos{}, fp+".name", "%q is not a file name", f.Name)
		default:
			if _, dup := files[f.Name]; dup {
				e.add(Pos{}, fp+".name", "file %q is locked twice", f.Name)
			}
			files[f.Name] = f.Class
		}
		if f.Ordinal < 1 || f.Ordinal > 999 {
			e.add(Pos{}, fp+".ordinal", "%d is out of range (want 1 to 999)", f.Ordinal)
		} else if classOK {
			s := slot{f.Class, f.Ordinal}
			if other, dup := slots[s]; dup {
				e.add(Pos{}, fp+".ordinal", "%s ordinal %d is also used by %q", f.Class, f.Ordinal, other)
			}
			slots[s] = f.Name
			if max := p.MaxOrdinal.Of(f.Class); f.Ordinal > max {
				e.add(Pos{}, fp+".ordinal", "%d is above maxOrdinal.%s (%d)", f.Ordinal, f.Class, max)
			}
		}
		if !digestRE().MatchString(f.Digest) {
			e.add(Pos{}, fp+".digest", "%q is not a digest (want sha256: and 64 lower-case hex digits)", f.Digest)
		}
	}
	for j, s := range p.Settings {
		sp := index(pp+".settings", j)
		if err := checkEnum(s.Class, "class", string(s.Class)); err != nil {
			e.add(Pos{}, sp+".class", "%w", err)
		}
		if c, ok := files[s.File]; !ok {
			e.add(Pos{}, sp+".file", "%q is not one of this package's files", s.File)
		} else if c != s.Class {
			e.add(Pos{}, sp+".class", "%s, but file %q is %s", s.Class, s.File, c)
		}
		if s.CSP == "" {
			e.add(Pos{}, sp+".csp", "empty CSP")
		}
		if s.Datatype != "" {
			if err := checkEnum(s.Datatype, "datatype", string(s.Datatype)); err != nil {
				e.add(Pos{}, sp+".datatype", "%w", err)
			}
		}
		if err := checkEnum(s.Op, "op", string(s.Op)); err != nil {
			e.add(Pos{}, sp+".op", "%w", err)
		}
	}
}

// Marshal returns the lock in its canonical form: JSON with two-space
// indentation, fields in a fixed order, packages sorted by name, files by
// name, settings grouped by file in file order (keeping their order within
// a file), every list present (never null) and a trailing newline. It sets
// lockVersion and raises each maxOrdinal to at least the highest ordinal of
// its files; it does not change l. A lock that breaks an invariant is
// refused, so a bad lock is never written.
func (l *Lock) Marshal() ([]byte, error) {
	c := *l
	c.LockVersion = LockVersion
	c.Packages = canonicalPackages(l.Packages)
	c.Removed = append([]Tombstone(nil), l.Removed...)
	sort.SliceStable(c.Removed, func(i, j int) bool { return c.Removed[i].Name < c.Removed[j].Name })
	c.Pending = append([]PendingBump(nil), l.Pending...)
	sort.SliceStable(c.Pending, func(i, j int) bool { return c.Pending[i].Package < c.Pending[j].Package })
	if l.Base != nil {
		b := *l.Base
		b.Packages = canonicalPackages(b.Packages)
		b.Removed = append([]Tombstone(nil), b.Removed...)
		sort.SliceStable(b.Removed, func(i, j int) bool { return b.Removed[i].Name < b.Removed[j].Name })
		c.Base = &b
	}
	e := &errs{file: DefaultLockName}
	c.validate(e)
	if err := e.list.err(); err != nil {
		return nil, fmt.Errorf("refusing to write an invalid lock:\n%w", err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&c); err != nil {
		return nil, fmt.Errorf("encoding lock: %w", err)
	}
	return b.Bytes(), nil
}

// canonicalPackages copies pkgs in their canonical form and order (see
// Marshal).
func canonicalPackages(pkgs []LockPackage) []LockPackage {
	out := append([]LockPackage{}, pkgs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	for i := range out {
		p := &out[i]
		p.Bumps = append([]Bump{}, p.Bumps...)
		p.Files = append([]LockFile{}, p.Files...)
		sort.SliceStable(p.Files, func(i, j int) bool { return p.Files[i].Name < p.Files[j].Name })
		p.Settings = append([]FlatSetting{}, p.Settings...)
		sort.SliceStable(p.Settings, func(i, j int) bool { return p.Settings[i].File < p.Settings[j].File })
		for k := range p.Settings {
			p.Settings[k].Path = append([]string{}, p.Settings[k].Path...)
		}
		for _, f := range p.Files {
			p.MaxOrdinal.Raise(f.Class, f.Ordinal)
		}
	}
	return out
}
