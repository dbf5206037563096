package pkgbuild

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/provpack/provpack/internal/parallel"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/archive"
	"github.com/provpack/provpack/pkgbuild/report"
	"github.com/provpack/provpack/provxml"
)

// Options are the decisions a user can ask of plan and build.
type Options struct {
	// Bump raises the version of every package whose update file
	// changed while its version did not. Empty means such a package is
	// an error.
	Bump BumpKind
	// Reason is recorded in the lock with each bump.
	Reason string
	// Release plans the build that build --release records: a release
	// number the lock already records is then an error (PP0109).
	Release bool
	// BumpRelease raises the image release by this kind when it is not
	// above the release the lock records (build --release --bump-release).
	BumpRelease BumpKind

	// onBase plans against the lock's base (see newPlan); probed says
	// newPlan has already looked whether to.
	onBase, probed bool
	// collide makes every setting key hash the same (a test of the
	// conflict check).
	collide bool
}

// Package and file statuses.
const (
	StatusNew       = report.StatusNew
	StatusChanged   = report.StatusChanged
	StatusUnchanged = report.StatusUnchanged
	StatusUpdated   = report.StatusUpdated // a package whose version changes
	StatusRemoved   = report.StatusRemoved
)

// Plan is what a build will do, decided before anything is written.
type Plan struct {
	Manifest *manifest.Manifest `json:"-"`
	// Dir is the manifest's directory; sources and the lock are relative
	// to it.
	Dir      string         `json:"-"`
	LockPath string         `json:"lock"`
	Lock     *manifest.Lock `json:"-"`
	Image    string         `json:"image"`
	Release  string         `json:"release"`
	Target   string         `json:"target"`
	// Company, CPU and ReleaseType are the w10m package identity
	// (manifest keys company, cpu, releaseType; the defaults filled).
	Company     string `json:"company,omitempty"`
	CPU         string `json:"cpu,omitempty"`
	ReleaseType string `json:"releaseType,omitempty"`
	// ReleaseBump, when set, is the raise of the image release that
	// --bump-release made: the release writes it back to the manifest.
	ReleaseBump *manifest.Bump `json:"releaseBump,omitempty"`
	// PreviousRelease is the release recorded in the lock ("" before the
	// first release).
	PreviousRelease string         `json:"previousRelease,omitempty"`
	Packages        []*PackagePlan `json:"packages"`
	// RemovedPackages were released but are no longer in the manifest.
	RemovedPackages []string  `json:"removedPackages,omitempty"`
	Findings        []Finding `json:"findings"`

	// lockRead is the lock as read; Lock is what the plan compares with,
	// which for a release the lock already records is what that release
	// was planned against.
	lockRead *manifest.Lock
	// replan plans package i again, for the content of a shed package;
	// replanErr is set when that content differs from the first time.
	replan    func(i int) *PackagePlan
	replanErr error
}

// PackagePlan is the plan for one package.
type PackagePlan struct {
	Name        string         `json:"name"`
	GUID        string         `json:"guid"`
	GUIDDerived bool           `json:"guidDerived"`
	Owner       manifest.Owner `json:"owner"`
	// SubComponent is the w10m package's SubComponent ("" for none).
	SubComponent string         `json:"subcomponent,omitempty"`
	OldVersion   string         `json:"oldVersion,omitempty"`
	Version      string         `json:"version"`
	Status       report.Status  `json:"status"`
	Bump         *manifest.Bump `json:"bump,omitempty"`
	Files        []*FilePlan    `json:"files"`
	Removed      []*FilePlan    `json:"removedFiles,omitempty"`
	Why          []string       `json:"why"`

	src   *manifest.Package
	index int // in Plan.Packages
	// shed is set once Canonical, Settings and Origins of the files were
	// dropped (a build keeps memory bounded by the largest package).
	shed bool
	// settingsKept: shed, but the settings and origins were kept.
	settingsKept bool
	// sharesKeys: a setting key of the package was seen in a package
	// planned before it (as far as keysSeen looked), so the conflict check
	// will want its settings.
	sharesKeys bool
}

// FilePlan is one generated provisioning file.
type FilePlan struct {
	Class      manifest.Class `json:"class"`
	Name       string         `json:"name"`
	Ordinal    int            `json:"ordinal"`
	OldName    string         `json:"oldName,omitempty"`
	OldOrdinal int            `json:"oldOrdinal,omitempty"`
	Status     report.Status  `json:"status"`
	Digest     string         `json:"digest"`
	OldDigest  string         `json:"oldDigest,omitempty"`
	Sources    []string       `json:"sources"`
	Why        string         `json:"why"`

	Canonical []byte            `json:"-"`
	Settings  []provxml.Setting `json:"-"`
	// Origins[i] is the source file Settings[i] was written in.
	Origins []string `json:"-"`
	// SettingCount is len(Settings), kept when Settings is shed.
	SettingCount int `json:"-"`

	// reapplyJSON and reapplyMD are the settings of an update file as the
	// re-apply manifest lists them, rendered before Settings is shed.
	reapplyJSON, reapplyMD []byte
}

// Load reads the manifest at path, checks its sources, applies defaults,
// reads the lock beside it and plans. Manifest problems come back as a
// manifest.ErrorList; source and release problems as Plan.Findings.
// When ctx is done, Load stops between packages (or while the lock is
// decoded) and returns ctx.Err().
func Load(ctx context.Context, path string, opt Options) (*Plan, error) {
	m, dir, lock, check, err := loadInputs(ctx, path)
	if err != nil {
		return nil, err
	}
	pl, err := newPlan(ctx, m, dir, lock, opt, check, nil)
	if err != nil {
		return nil, err
	}
	pl.LockPath = filepath.Join(dir, manifest.DefaultLockName)
	return pl, nil
}

// loadInputs reads the manifest at path, applies defaults and reads the
// lock beside it. The sources are checked package by package while
// planning, with the checker it returns.
func loadInputs(ctx context.Context, path string) (*manifest.Manifest, string, *manifest.Lock, *manifest.SourceChecker, error) {
	m, dir, check, err := loadManifest(path)
	if err != nil {
		return nil, "", nil, nil, err
	}
	lock, err := manifest.LoadLock(ctx, filepath.Join(dir, manifest.DefaultLockName))
	if err != nil {
		return nil, "", nil, nil, err
	}
	return m, dir, lock, check, nil
}

// loadManifest reads the manifest at path and applies defaults; the
// checker it returns checks the sources.
func loadManifest(path string) (*manifest.Manifest, string, *manifest.SourceChecker, error) {
	m, err := manifest.LoadPartial(path)
	dir := filepath.Dir(path)
	if err != nil {
		var list manifest.ErrorList
		if m != nil && errors.As(err, &list) {
			return nil, "", nil, withSourceProblems(m, dir, list)
		}
		return nil, "", nil, err
	}
	check, err := m.NewSourceChecker(dir)
	if err != nil {
		return nil, "", nil, err
	}
	m.WithDefaults()
	return m, dir, check, nil
}

// NewPlan plans manifest m (defaults applied, sources checked) against
// the last release recorded in lock (nil before the first release).
func NewPlan(m *manifest.Manifest, dir string, lock *manifest.Lock, opt Options) (*Plan, error) {
	return newPlan(context.Background(), m, dir, lock, opt, nil, nil)
}

// newPlan is NewPlan, checking each package's sources with check (when
// set; manifest problems are returned as its ErrorList) in the worker
// that then plans it, and calling each (when set) from that worker as
// soon as the package is planned, with its own findings known; the build
// archives the package there, and may then shed its content. Findings
// across packages (conflicts, the release number) are added after every
// package is planned.
func newPlan(ctx context.Context, m *manifest.Manifest, dir string, lock *manifest.Lock, opt Options, check *manifest.SourceChecker, each func(pl *Plan, pp *PackagePlan, fs []Finding)) (*Plan, error) {
	if lock != nil && !opt.Release && !opt.probed && lock.Release == m.Release.String() && lock.Image == m.Image && lock.Target == m.Target {
		if _, ok := lock.BaseLock(); ok {
			// The release the lock records, built again. If the image is
			// still what that release recorded, plan it against what the
			// release was planned against, so that its report comes out
			// as it did; if it changed since, against the release (and
			// PP0108 says the release number must rise).
			opt.probed = true
			probe, err := newPlan(ctx, m, dir, lock, opt, check, nil)
			if err != nil {
				return nil, err
			}
			if probe.differsFrom(lock) {
				if each == nil {
					return probe, nil
				}
				return newPlan(ctx, m, dir, lock, opt, nil, each)
			}
			opt.onBase = true
			return newPlan(ctx, m, dir, lock, opt, nil, each)
		}
	}
	for _, k := range []BumpKind{opt.Bump, opt.BumpRelease} {
		if k != "" {
			if err := k.Valid(); err != nil {
				return nil, err
			}
		}
	}
	pl := &Plan{Manifest: m, Dir: dir, Lock: lock, Image: m.Image, Release: m.Release.String(), Target: string(m.Target), Findings: []Finding{}}
	if m.Target == manifest.TargetW10M {
		pl.Company, pl.CPU, pl.ReleaseType = m.Company, string(m.CPU), string(m.ReleaseType)
	}
	if opt.BumpRelease != "" && lock != nil && lock.Image == m.Image && lock.Target == m.Target {
		if last, err := manifest.ParseVersion(lock.Release); err == nil && m.Release.Compare(last) <= 0 {
			raised, err := manifest.ParseVersion(bumpVersion(last, opt.BumpRelease))
			if err != nil {
				return nil, err
			}
			pl.ReleaseBump = &manifest.Bump{From: m.Release.String(), To: raised.String(), Reason: "build --bump-release " + string(opt.BumpRelease)}
			m.Release = raised
			pl.Release = raised.String()
		}
	}
	if lock != nil && (lock.Image != m.Image || lock.Target != m.Target) {
		pl.Findings = append(pl.Findings, Finding{File: m.File, Line: m.At("image").Line, Col: m.At("image").Col, ID: RuleLockMismatch.ID, Severity: RuleLockMismatch.Severity,
			Message: fmt.Sprintf("the release lock records image %q, target %s, but the manifest says image %q, target %s; use the lock of this image or remove it to start over", lock.Image, lock.Target, m.Image, m.Target)})
		lock = nil
		pl.Lock = nil
	}
	pl.lockRead = lock
	if opt.onBase {
		base, _ := lock.BaseLock()
		lock, pl.Lock = base, base
	}
	if lock != nil {
		pl.PreviousRelease = lock.Release
		// Known from the manifest and the lock alone: the report's layout
		// and the release check read it.
		for _, lp := range lock.Packages {
			if m.Package(lp.Name) == nil {
				pl.RemovedPackages = append(pl.RemovedPackages, lp.Name)
			}
		}
		for _, p := range m.Packages {
			if old := lock.Package(p.Name); old != nil {
				pl.Findings = append(pl.Findings, identityFindings(m, p, old, lock.Release)...)
			}
		}
	}
	ords := m.Target.DefaultOrdinals()
	if m.Ordinals != nil {
		ords = *m.Ordinals
	}
	// Packages are planned in parallel (parsing and rendering dominate);
	// results keep manifest order.
	pl.Packages = make([]*PackagePlan, len(m.Packages))
	found := make([][]Finding, len(m.Packages))
	keys := make([][]uint64, len(m.Packages))
	pl.replan = func(i int) *PackagePlan {
		p := m.Packages[i]
		return planPackage(m, dir, lock.Package(p.Name), lock.Tombstone(p.Name), pl.pendingBump(p.Name, opt.onBase), p, ords, opt, new([]Finding), nil)
	}
	var badSources atomic.Bool
	seen := newKeysSeen(len(m.Packages))
	parallel.For(ctx, len(m.Packages), 0, func(i int) {
		if check != nil && !check.Check(i) {
			badSources.Store(true)
			return
		}
		p := m.Packages[i]
		// Once a package's sources are refused the build will not run:
		// the rest are planned only for their findings, so that one run
		// shows every problem.
		build := each != nil && !badSources.Load()
		// A package the build sheds once archived gives its memory
		// back for the next one; any other keeps it.
		var sc *scratch
		if build {
			sc = getScratch()
		}
		pp := planPackage(m, dir, lock.Package(p.Name), lock.Tombstone(p.Name), pl.pendingBump(p.Name, opt.onBase), p, ords, opt, &found[i], sc)
		pp.index = i
		found[i] = append(found[i], analyzePackage(pl, pp)...)
		keys[i] = settingKeys(pp, opt.keyHash())
		pl.Packages[i] = pp
		if build {
			pp.sharesKeys = seen.add(i, keys[i])
			each(pl, pp, found[i])
			if pp.shed {
				putScratch(sc)
			}
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if badSources.Load() {
		var list manifest.ErrorList
		errors.As(check.Err(), &list)
		return nil, problemList(m.File, list, slices.Concat(found...))
	}
	for _, fs := range found {
		pl.Findings = append(pl.Findings, fs...)
	}
	pl.Findings = append(pl.Findings, conflicts(pl, keys, opt.keyHash())...)
	if pl.replanErr != nil {
		return nil, pl.replanErr
	}
	pl.Findings = suppressAll(pl, pl.Findings)
	recorded := opt.Release && pl.releaseRecorded()
	if recorded {
		pl.Findings = append(pl.Findings, planFinding(m, "", m.At("release"), &RuleReleaseRecorded,
			"release %s is not above %s, the release the lock records: a release number is recorded once; raise it with 'provpack bump --release patch' or build with --bump-release patch", pl.Release, lock.Release))
	}
	if !recorded && lock != nil && lock.Release == pl.Release && pl.changed() {
		at := m.At("release")
		pl.Findings = append(pl.Findings, planFinding(m, "", at, &RuleSameRelease,
			"release %s is already recorded in the lock, but the image changed since: raise release so this image has its own number", pl.Release))
	}
	sortFindings(pl.Findings)
	return pl, nil
}

func planFinding(m *manifest.Manifest, pkg string, at manifest.Pos, r *provxml.Rule, format string, args ...any) Finding {
	return Finding{File: m.File, Line: at.Line, Col: at.Col, ID: r.ID, Severity: r.Severity, Message: fmt.Sprintf(format, args...), Package: pkg}
}

func planPackage(m *manifest.Manifest, dir string, old *manifest.LockPackage, tomb *manifest.Tombstone, pend *manifest.PendingBump, p *manifest.Package, ords manifest.Ordinals, opt Options, out *[]Finding, sc *scratch) *PackagePlan {
	pp := &PackagePlan{Name: p.Name, GUID: p.GUID.String(), GUIDDerived: p.GUIDDerived, Owner: p.Owner, SubComponent: p.SubComponent, Version: p.Version.String(), Files: []*FilePlan{}, Why: []string{}, src: p}
	if pend != nil && pend.To == pp.Version {
		// provpack bump raised it, and the manifest still has the raise:
		// its reason goes into the reports and, on release, the lock. A
		// raise reverted in the manifest is not shown, and the release
		// drops it.
		b := pend.Bump
		pp.Bump = &b
	}
	var fs []Finding
	suppress := checkSuppress(m, p, &fs)

	versionCmp := 1
	switch {
	case old == nil && tomb != nil:
		// Released once, removed, and back: it continues where it
		// stopped, so that devices that still have it take the update.
		pp.Status = StatusNew
		if last, err := manifest.ParseVersion(tomb.Version); err == nil && p.Version.Compare(last) <= 0 {
			fs = append(fs, planFinding(m, p.Name, p.At("version"), &RuleVersionDown,
				"package %s: version %s is not above %s, the version it had when release %s removed it; a package added again must rise above its last version: set it above %s", p.Name, pp.Version, tomb.Version, tomb.RemovedIn, tomb.Version))
		}
		pp.Why = append(pp.Why, fmt.Sprintf("%s is back at version %s; release %s removed it at version %s: its ordinals continue after %03d (cold) and %03d (update)",
			p.Name, pp.Version, tomb.RemovedIn, tomb.Version, tomb.MaxOrdinal.Cold, tomb.MaxOrdinal.Update))
	case old == nil:
		pp.Status = StatusNew
		pp.Why = append(pp.Why, fmt.Sprintf("first release of %s at version %s", p.Name, pp.Version))
	default:
		pp.OldVersion = old.Version
		oldV, err := manifest.ParseVersion(old.Version)
		if err == nil {
			versionCmp = p.Version.Compare(oldV)
		}
		switch {
		case versionCmp < 0:
			fs = append(fs, planFinding(m, p.Name, p.At("version"), &RuleVersionDown,
				"package %s: version %s is lower than the released %s; Image Update only moves forward: set it to %s or higher", p.Name, pp.Version, old.Version, old.Version))
		case versionCmp > 0:
			pp.Status = StatusUpdated
			how := "raised in the manifest"
			if pp.Bump != nil {
				how = "provpack bump: " + pp.Bump.Reason
			}
			pp.Why = append(pp.Why, fmt.Sprintf("version %s → %s (%s): devices updating to this image re-run its update files", old.Version, pp.Version, how))
		default:
			pp.Status = StatusUnchanged
		}
	}

	if sc == nil {
		// Nothing outlives planning but the canonical bytes and the
		// settings: the memory goes back for the next package.
		sc = getScratch()
		defer putScratch(sc)
		sc.keep = true
	}
	classes := []struct {
		class   manifest.Class
		sources []*manifest.Source
	}{{manifest.ClassCold, p.Cold}, {manifest.ClassUpdate, p.Update}}
	for _, c := range classes {
		var lf *manifest.LockFile
		maxOrd := 0
		if tomb != nil && old == nil {
			maxOrd = tomb.MaxOrdinal.Of(c.class)
		}
		if old != nil {
			for i := range old.Files {
				if old.Files[i].Class == c.class {
					lf = &old.Files[i]
				}
			}
			maxOrd = old.MaxOrdinal.Of(c.class)
			if lf != nil {
				maxOrd = max(maxOrd, lf.Ordinal)
			}
		}
		if len(c.sources) == 0 {
			if lf != nil {
				rf := &FilePlan{Class: c.class, OldName: lf.Name, OldOrdinal: lf.Ordinal, OldDigest: lf.Digest, Status: StatusRemoved,
					Why: fmt.Sprintf("%s has no %s sources any more; %s leaves the package", p.Name, c.class, lf.Name)}
				pp.Removed = append(pp.Removed, rf)
				fs = append(fs, planFinding(m, p.Name, p.Pos, &RuleRemoved, "package %s: %s was released but no %s source produces it now; settings it applied stay on devices", p.Name, lf.Name, c.class))
			}
			continue
		}
		r := renderClass(m, dir, p, c.class, c.sources, sc)
		fs = append(fs, r.Findings...)
		f := &FilePlan{Class: c.class, Sources: r.Sources}
		f.Canonical = provxml.AppendCanonical(reserve(&sc.canonical, r.size+r.size/8+512), r.Doc)
		f.Digest = provxml.DigestCanonical(f.Canonical)
		f.Settings, f.Origins, f.SettingCount = r.Settings, r.Origins, len(r.Settings)
		switch {
		case lf == nil && maxOrd == 0:
			f.Ordinal = ords.Start
			f.Status = StatusNew
			f.Why = fmt.Sprintf("first %s file of %s: the first ordinal, %03d", c.class, p.Name, f.Ordinal)
		case lf != nil && lf.Digest == f.Digest:
			f.Ordinal, f.OldOrdinal, f.OldName, f.OldDigest = lf.Ordinal, lf.Ordinal, lf.Name, lf.Digest
			f.Status = StatusUnchanged
			f.Why = fmt.Sprintf("content unchanged since version %s was released: keeps ordinal %03d", old.Version, lf.Ordinal)
		default:
			f.Ordinal = maxOrd + ords.Step
			f.Status = StatusChanged
			if lf != nil {
				f.OldOrdinal, f.OldName, f.OldDigest = lf.Ordinal, lf.Name, lf.Digest
				f.Why = fmt.Sprintf("content changed (%s → %s): next ordinal %03d after %03d", short(lf.Digest), short(f.Digest), f.Ordinal, maxOrd)
			} else {
				f.Status = StatusNew
				f.Why = fmt.Sprintf("new %s file; ordinals %03d and below were used before: takes %03d", c.class, maxOrd, f.Ordinal)
			}
		}
		f.Name = archive.FileName(c.class, p.Name, f.Ordinal)
		switch {
		case f.Ordinal > archive.MaxOrdinal:
			fs = append(fs, planFinding(m, p.Name, p.Pos, &RuleOrdinalSpent,
				"package %s: the %s file needs ordinal %d, beyond %03d; no three-digit ordinal is left: lower ordinals.step or start a new package name", p.Name, c.class, f.Ordinal, archive.MaxOrdinal))
		case f.Status != StatusUnchanged && f.Ordinal+2*ords.Step > archive.MaxOrdinal:
			fs = append(fs, planFinding(m, p.Name, p.Pos, &RuleOrdinalLow,
				"package %s: %s takes ordinal %03d; only %d more %s change(s) fit in three digits", p.Name, f.Name, f.Ordinal, (archive.MaxOrdinal-f.Ordinal)/ords.Step, c.class))
		}
		pp.Files = append(pp.Files, f)
	}

	if len(p.Cold) == 0 && len(p.Update) == 0 {
		fs = append(fs, planFinding(m, p.Name, p.Pos, &RuleNoSources,
			"package %s has no cold or update sources: its archive would hold only the package manifest; add a file or settings, or remove the package", p.Name))
	}

	if pp.Status == StatusUnchanged && len(pp.Removed) > 0 {
		pp.Status = StatusChanged
	}
	for _, f := range pp.Files {
		if pp.Status == StatusUnchanged && f.Status != StatusUnchanged {
			pp.Status = StatusChanged
		}
	}

	// Version discipline: an update file that is new or changed in a
	// package devices already have is re-run only if the version rises.
	if old != nil && versionCmp == 0 {
		var changed []string
		for _, f := range pp.Files {
			if f.Class == manifest.ClassUpdate && f.Status != StatusUnchanged {
				changed = append(changed, f.Name)
			}
		}
		if len(changed) > 0 {
			if opt.Bump != "" {
				oldV, _ := manifest.ParseVersion(old.Version)
				nv := bumpVersion(oldV, opt.Bump)
				reason := opt.Reason
				if reason == "" {
					reason = fmt.Sprintf("update file %s changed (build --bump %s)", strings.Join(changed, ", "), opt.Bump)
				}
				if m.Target == manifest.TargetW10M {
					if err := manifest.MustParseVersion(nv).CheckW10M(); err != nil {
						fs = append(fs, planFinding(m, p.Name, p.At("version"), &RuleUnbumped,
							"package %s: %s changed, but --bump %s cannot raise the version: %v; raise a larger part with 'provpack bump %s --minor'", p.Name, strings.Join(changed, ", "), opt.Bump, err, p.Name))
					}
				}
				pp.Bump = &manifest.Bump{From: old.Version, To: nv, Reason: reason}
				pp.Version = nv
				pp.Status = StatusUpdated
				pp.Why = append(pp.Why, fmt.Sprintf("version %s → %s (--bump %s): %s changed, and devices re-run update files only when the version rises", old.Version, nv, opt.Bump, strings.Join(changed, ", ")))
			} else {
				fs = append(fs, planFinding(m, p.Name, p.At("version"), &RuleUnbumped,
					"package %s: %s changed but the version stays %s, so devices in the field would never re-run it: raise it with 'provpack bump %s --patch' or build with --bump patch",
					p.Name, strings.Join(changed, ", "), old.Version, p.Name))
			}
		} else if pp.Status == StatusUnchanged {
			pp.Why = append(pp.Why, fmt.Sprintf("version %s unchanged and no provisioning file changed", pp.Version))
		} else {
			pp.Why = append(pp.Why, fmt.Sprintf("version %s unchanged: only cold files changed, which devices updated in the field do not re-run", pp.Version))
		}
	}
	*out = append(*out, applySuppress(fs, suppress)...)
	return pp
}

// identityFindings compares the w10m identity the manifest gives package
// p, <company>.<name>[.<subcomponent>], with the one the lock records
// for it (locks written before provpack recorded it have none): the
// device knows a package by its identity, so another identity is another
// package installing the same files, not an update of the released one.
func identityFindings(m *manifest.Manifest, p *manifest.Package, old *manifest.LockPackage, release string) []Finding {
	if m.Target != manifest.TargetW10M || old.Identity == "" || m.Company == "" {
		return nil
	}
	id := archive.PackageBaseName(&archive.PackageInfo{Company: m.Company, Name: p.Name, SubComponent: p.SubComponent})
	if strings.EqualFold(id, old.Identity) {
		return nil
	}
	// What changed, and where to change it back.
	key, at, was := "company", m.At("company"), strings.SplitN(old.Identity, ".", 3)
	value, back := m.Company, was[0]
	if strings.EqualFold(was[0], m.Company) {
		key, at, value, back = "subcomponent", p.At("subcomponent"), p.SubComponent, ""
		if len(was) == 3 {
			back = was[2]
		}
		if !p.Has("subcomponent") {
			at = p.Pos
		}
	}
	fix := fmt.Sprintf("set %s back to %s", key, back)
	switch {
	case back == "":
		fix = "remove subcomponent"
	case value == "":
		fix = fmt.Sprintf("add subcomponent: %s", back)
	}
	what := key + " " + value
	if value == "" {
		what = "no " + key
	}
	return []Finding{planFinding(m, p.Name, at, &RuleIdentityChanged,
		"package %s: %s makes it %s on the device, but release %s shipped it as %s: devices would see a different package installing the same files, not an update of theirs; %s, or give the package a new name to ship a new package",
		p.Name, what, id, release, old.Identity, fix)}
}

func short(digest string) string {
	d := strings.TrimPrefix(digest, "sha256:")
	if len(d) > 12 {
		d = d[:12]
	}
	return d
}

// bumpVersion raises v by kind (see manifest.Version.Inc: a four-part
// version stays four-part).
func bumpVersion(v manifest.Version, kind BumpKind) string {
	return v.Inc(string(kind)).String()
}

// suppressAll drops the warnings a package's suppress list names from the
// findings about that package (its own were filtered when planned; this
// reaches the release flags found across packages).
func suppressAll(pl *Plan, fs []Finding) []Finding {
	ids := map[string][]string{}
	for _, p := range pl.Packages {
		if len(p.src.Suppress) > 0 {
			ids[p.Name] = p.src.Suppress
		}
	}
	if len(ids) == 0 {
		return fs
	}
	return slices.DeleteFunc(fs, func(f Finding) bool {
		return f.Severity == provxml.Warning && slices.Contains(ids[f.Package], f.ID)
	})
}

// keysSeen remembers which package first wrote each setting key hash, so
// that a build can tell, as packages are planned, those whose settings the
// conflict check across packages will want. It stops remembering beyond
// maxKeysSeen keys: a large image is shed whole and planned again where
// needed, its memory bounded.
type keysSeen struct {
	mu    sync.Mutex
	first map[uint64]int
	full  bool
}

const maxKeysSeen = 1 << 16

func newKeysSeen(packages int) *keysSeen {
	return &keysSeen{first: make(map[uint64]int, min(packages*64, maxKeysSeen))}
}

// add records the key hashes of package i and reports whether one of
// them was seen in another package before.
func (k *keysSeen) add(i int, hashes []uint64) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	shared := false
	for _, h := range hashes {
		if j, ok := k.first[h]; ok {
			shared = shared || j != i
			continue
		}
		if !k.full {
			k.first[h] = i
		}
	}
	k.full = k.full || len(k.first) >= maxKeysSeen
	return shared
}

// shed drops what a build no longer needs of package pp once it is
// archived and its report parts are written: its documents and settings
// (the re-apply list's rendering of them and their counts are kept;
// Plan.files gives them back), and the settings the lock recorded for it,
// which only the package's own analysis reads. A release keeps them all:
// its lock records every setting.
//
// With keepSettings, the settings and their origins are moved out of the
// package's scratch memory and kept, so that the conflict check across
// packages need not plan it again: the build does so while the image is
// small (see keepBudget).
func (pl *Plan) shed(pp *PackagePlan, keepSettings bool) {
	pl.renderReapply(pp)
	for _, f := range pp.Files {
		f.Canonical = nil
		if keepSettings {
			f.Settings, f.Origins = slices.Clone(f.Settings), slices.Clone(f.Origins)
		} else {
			f.Settings, f.Origins = nil, nil
		}
	}
	pp.shed, pp.settingsKept = true, keepSettings
	if lp := pl.Lock.Package(pp.Name); lp != nil {
		lp.Settings = nil
	}
}

// files returns the package's files with their content: its own, or,
// when shed, those of the package planned again. Planning is
// deterministic, so they are the same unless a source changed (or became
// unreadable) during the build; then pl.replanErr says so and the plan
// is refused.
func (pl *Plan) files(pp *PackagePlan) []*FilePlan {
	if !pp.shed || pp.settingsKept {
		return pp.Files
	}
	again := pl.replan(pp.index).Files
	same := len(again) == len(pp.Files)
	for i := 0; same && i < len(again); i++ {
		same = again[i].Name == pp.Files[i].Name && again[i].Digest == pp.Files[i].Digest
	}
	if !same && pl.replanErr == nil {
		pl.replanErr = fmt.Errorf("the sources of package %s changed while provpack read them: nothing was written; build again", pp.Name)
	}
	return again
}

// checkSuppress validates a package's suppress list and returns the IDs
// that may be silenced.
func checkSuppress(m *manifest.Manifest, p *manifest.Package, fs *[]Finding) []string {
	var ids []string
	for i, id := range p.Suppress {
		at := p.At(fmt.Sprintf("suppress[%d]", i))
		r := ruleByID(id)
		switch {
		case r == nil:
			*fs = append(*fs, planFinding(m, p.Name, at, &RuleSuppress, "suppress %s: no such rule (provpack lint --rules lists them)", id))
		case r.Severity == provxml.Error:
			*fs = append(*fs, planFinding(m, p.Name, at, &RuleSuppress, "suppress %s: %s is an error-level rule and cannot be silenced", id, id))
		default:
			ids = append(ids, id)
		}
	}
	return ids
}

func applySuppress(fs []Finding, ids []string) []Finding {
	if len(ids) == 0 {
		return fs
	}
	return slices.DeleteFunc(fs, func(f Finding) bool {
		return f.Severity == provxml.Warning && slices.Contains(ids, f.ID)
	})
}

// identity is the w10m identity of package pp on the device,
// <company>.<name>[.<subcomponent>]; "" for wm6.
func (pl *Plan) identity(pp *PackagePlan) string {
	if pl.Target != string(manifest.TargetW10M) || pl.Company == "" {
		return ""
	}
	return archive.PackageBaseName(&archive.PackageInfo{Company: pl.Company, Name: pp.Name, SubComponent: pp.SubComponent})
}

// NextLock returns the lock that records this plan as released, with
// the archives of rep (nil when there are none yet) in its release
// record. It extends the lock as read: its tombstones, releases and, as
// base, the state this release was planned against.
func (pl *Plan) NextLock(rep *report.Report) *manifest.Lock {
	prev := pl.lockRead
	l := &manifest.Lock{LockVersion: manifest.LockVersion, Image: pl.Image, Release: pl.Release, Target: manifest.Target(pl.Target)}
	archives := map[string]*report.Package{}
	if rep != nil {
		for _, p := range rep.Packages {
			archives[p.Name] = p
		}
	}
	record := manifest.ReleaseRecord{Release: pl.Release, Packages: []manifest.ReleasedPackage{}, Removed: pl.RemovedPackages}
	for _, pp := range pl.Packages {
		lp := manifest.LockPackage{Name: pp.Name, Version: pp.Version, GUID: pp.GUID, Owner: pp.Owner, Bumps: []manifest.Bump{}, Files: []manifest.LockFile{}, Settings: []manifest.FlatSetting{}}
		lp.Identity = pl.identity(pp)
		if old := prev.Package(pp.Name); old != nil {
			lp.MaxOrdinal = old.MaxOrdinal
			lp.Bumps = append(lp.Bumps, old.Bumps...)
			recorded := len(old.Bumps) > 0 && old.Bumps[len(old.Bumps)-1].To == pp.Version
			if pp.Bump == nil && old.Version != pp.Version && !recorded {
				lp.Bumps = append(lp.Bumps, manifest.Bump{From: old.Version, To: pp.Version, Reason: manualRaise})
			}
		} else if t := prev.Tombstone(pp.Name); t != nil {
			lp.MaxOrdinal = t.MaxOrdinal
		}
		if pp.Bump != nil {
			lp.Bumps = append(lp.Bumps, *pp.Bump)
		}
		rp := manifest.ReleasedPackage{Name: pp.Name, Version: pp.Version, Files: []manifest.LockFile{}}
		if a := archives[pp.Name]; a != nil {
			rp.Archive, rp.SHA256 = a.Archive, a.SHA256
		}
		for _, f := range pp.Files {
			lp.MaxOrdinal.Raise(f.Class, f.Ordinal)
			lf := manifest.LockFile{Class: f.Class, Name: f.Name, Ordinal: f.Ordinal, Digest: f.Digest}
			lp.Files = append(lp.Files, lf)
			rp.Files = append(rp.Files, lf)
			lp.Settings = report.AppendSettings(lp.Settings, f.Class, f.Name, f.Settings)
		}
		l.Packages = append(l.Packages, lp)
		record.Packages = append(record.Packages, rp)
	}
	l.Base = &manifest.LockBase{Packages: []manifest.LockPackage{}}
	if prev != nil {
		l.Base = &manifest.LockBase{Release: prev.Release, Packages: prev.Packages, Removed: prev.Removed}
		l.Releases = append(l.Releases, prev.Releases...)
		// Tombstones: those of packages still away, and one for each
		// package this release removes.
		for _, t := range prev.Removed {
			if pl.Manifest == nil || pl.Manifest.Package(t.Name) == nil {
				l.Removed = append(l.Removed, t)
			}
		}
		for _, lp := range prev.Packages {
			if pl.Manifest != nil && pl.Manifest.Package(lp.Name) != nil {
				continue
			}
			t := manifest.Tombstone{Name: lp.Name, Version: lp.Version, GUID: lp.GUID, Owner: lp.Owner, MaxOrdinal: lp.MaxOrdinal, RemovedIn: pl.Release}
			for _, f := range lp.Files {
				t.MaxOrdinal.Raise(f.Class, f.Ordinal)
			}
			l.Removed = append(l.Removed, t)
		}
	}
	l.Releases = append(l.Releases, record)
	return l
}

// format is the archive format of the build: the manifest's, or cab.
func (pl *Plan) format() manifest.Format {
	if pl.Manifest != nil && pl.Manifest.Format != "" {
		return pl.Manifest.Format
	}
	return manifest.FormatCab
}

// changed reports whether anything differs from the last release.
// manualRaise is the reason a release records for a version raised by
// hand in the manifest rather than with provpack bump or --bump.
const manualRaise = "version raised in the manifest"

// pendingBump is the bump provpack bump made of package name that waits
// for the next release; planning the recorded release again (onBase), the
// bump that release recorded.
func (pl *Plan) pendingBump(name string, onBase bool) *manifest.PendingBump {
	if !onBase {
		return pl.lockRead.PendingBump(name)
	}
	if lp := pl.lockRead.Package(name); lp != nil && len(lp.Bumps) > 0 {
		if b := lp.Bumps[len(lp.Bumps)-1]; b.Reason != manualRaise {
			return &manifest.PendingBump{Package: name, Bump: b}
		}
	}
	return nil
}

// releaseRecorded reports whether the lock records the plan's release
// number, or a higher one.
func (pl *Plan) releaseRecorded() bool {
	if pl.lockRead == nil {
		return false
	}
	last, err1 := manifest.ParseVersion(pl.lockRead.Release)
	cur, err2 := manifest.ParseVersion(pl.Release)
	return err1 == nil && err2 == nil && cur.Compare(last) <= 0
}

// differsFrom reports whether the plan's packages differ from those l
// records: another set of packages, a version or a file.
func (pl *Plan) differsFrom(l *manifest.Lock) bool {
	if len(l.Packages) != len(pl.Packages) {
		return true
	}
	for _, p := range pl.Packages {
		lp := l.Package(p.Name)
		if lp == nil || lp.Version != p.Version || len(lp.Files) != len(p.Files) {
			return true
		}
		if lp.Identity != "" && !strings.EqualFold(lp.Identity, pl.identity(p)) {
			return true // another package on the device: PP0111
		}
		for _, f := range p.Files {
			same := false
			for _, lf := range lp.Files {
				same = same || (lf.Name == f.Name && lf.Digest == f.Digest)
			}
			if !same {
				return true
			}
		}
	}
	return false
}

func (pl *Plan) changed() bool {
	if len(pl.RemovedPackages) > 0 {
		return true
	}
	for _, p := range pl.Packages {
		if p.Status != StatusUnchanged || len(p.Removed) > 0 {
			return true
		}
		for _, f := range p.Files {
			if f.Status != StatusUnchanged {
				return true
			}
		}
	}
	return false
}
