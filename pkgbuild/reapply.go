package pkgbuild

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/report"
	"github.com/provpack/provpack/provxml"
)

// Release rules (PP02xx): what an image update will and will not do on
// devices in the field (docs/domain.md §3, docs/processing-order.md).
var (
	// RuleColdOnly: a setting of a cold-boot-only file changed. Cold files
	// run at cold boot only, so devices updated in the field never see it
	// (bb737254).
	RuleColdOnly = provxml.Rule{ID: "PP0201", Severity: provxml.Warning, Summary: "a cold-only setting changed: it reaches newly flashed devices only"}
	// RuleBumpNoChange: a package version rose but none of its provisioning
	// files changed; its update files re-run anyway and overwrite what
	// users changed since (bb737254).
	RuleBumpNoChange = provxml.Rule{ID: "PP0202", Severity: provxml.Warning, Summary: "version raised without a provisioning change: update files re-run and overwrite user changes"}
	// RuleConflict: two packages write the same setting; the one processed
	// last wins.
	RuleConflict = provxml.Rule{ID: "PP0203", Severity: provxml.Warning, Summary: "a setting is written by two packages"}
	// RuleShadowing: a non-Microsoft package writes a setting a
	// Microsoft-owned package writes; the platform documentation warns
	// operators against shadowing Microsoft-owned provisioning (bb737254).
	RuleShadowing = provxml.Rule{ID: "PP0204", Severity: provxml.Warning, Summary: "a package overrides a setting of a Microsoft-owned package"}
	// RuleFieldVsFresh: the image update re-runs a package's write of a
	// setting that another package's write overrides at cold boot, so
	// devices updated in the field end with another value than devices
	// flashed with the image.
	RuleFieldVsFresh = provxml.Rule{ID: "PP0205", Severity: provxml.Warning, Summary: "devices updated in the field and freshly flashed devices end with different values"}
)

// ProcessingOrder explains the order provpack assumes; see
// docs/processing-order.md.
const ProcessingOrder = "files are assumed to be processed in byte order of their names (mxipcold_ before mxipupdate_, then package name, then ordinal); Windows Mobile documents no order, and this is the order the three-digit naming scheme was designed for; Windows 10 Mobile applies update files in order of their number"

// writer is one package's effective write of a setting: an index into a
// file's settings, kept small because there is one per setting.
type writer struct {
	pkg   *PackagePlan
	file  *FilePlan
	idx   int32 // into file.Settings
	order int32 // of file in processing order
}

func (w writer) setting() provxml.Setting { return w.file.Settings[w.idx] }

func (w writer) finding() Finding {
	s := w.setting()
	return Finding{File: w.file.Origins[w.idx], Line: s.Pos.Line, Col: s.Pos.Col, Package: w.pkg.Name}
}

// valueText is a setting's effect as a short phrase: "1" (integer), or
// "deleted".
func valueText(s provxml.Setting) string {
	if s.Op == provxml.OpDelete {
		return "deleted"
	}
	v := fmt.Sprintf("%q", report.ShowValue(s.Value))
	if s.Datatype != "" {
		v += " (" + s.Datatype + ")"
	}
	return v
}

func describeWrite(s provxml.Setting) string {
	if s.Op == provxml.OpDelete {
		return "deletes it"
	}
	return "sets " + valueText(s)
}

// analyzePackage returns the release findings about one package alone:
// cold-only changes and a bump without change. It runs where the package
// was planned, while its settings are at hand.
func analyzePackage(pl *Plan, p *PackagePlan) []Finding {
	out := coldOnly(pl, p)
	if p.OldVersion != "" && p.Version != p.OldVersion && p.Status == StatusUpdated {
		changed := false
		var update *FilePlan
		for _, f := range p.Files {
			changed = changed || f.Status != StatusUnchanged
			if f.Class == manifest.ClassUpdate {
				update = f
			}
		}
		if !changed && len(p.Removed) == 0 && update != nil {
			at := p.src.At("version")
			overwrite := "overwrite"
			if update.SettingCount == 1 {
				overwrite = "overwrites"
			}
			out = append(out, planFinding(pl.Manifest, p.Name, at, &RuleBumpNoChange,
				"package %s: version %s → %s but no provisioning file changed; every device re-runs %s and its %s %s what users changed since: if the bump is for other content that is intended, otherwise keep %s",
				p.Name, p.OldVersion, p.Version, update.Name, report.Plural(update.SettingCount, "setting"), overwrite, p.OldVersion))
		}
	}
	return out
}

// coldOnly flags settings of a changed cold file that differ from the
// release, unless an update file of the package now carries the new value.
func coldOnly(pl *Plan, p *PackagePlan) []Finding {
	old := pl.Lock.Package(p.Name)
	if old == nil {
		return nil
	}
	var cold, update *FilePlan
	for _, f := range p.Files {
		switch f.Class {
		case manifest.ClassCold:
			cold = f
		case manifest.ClassUpdate:
			update = f
		}
	}
	if cold == nil || cold.Status != StatusChanged {
		return nil
	}
	before := map[string]manifest.FlatSetting{}
	for _, s := range old.Settings {
		if s.Class == manifest.ClassCold && s.Op != manifest.OpQuery {
			before[report.SettingKey(s.CSP, s.Path, s.Name)] = s
		}
	}
	inUpdate := map[string]provxml.Setting{}
	if update != nil {
		for _, s := range update.Settings {
			inUpdate[report.SettingKey(s.CSP, s.Path, s.Name)] = s
		}
	}
	after := map[string]int{}
	for i, s := range cold.Settings {
		if s.Op != provxml.OpQuery {
			after[report.SettingKey(s.CSP, s.Path, s.Name)] = i
		}
	}
	var out []Finding
	flag := func(key string, s provxml.Setting, origin string, msg string) {
		if u, ok := inUpdate[key]; ok && u.Value == s.Value && u.Op == s.Op {
			return // the update file carries it to devices in the field
		}
		f := Finding{File: origin, Line: s.Pos.Line, Col: s.Pos.Col, ID: RuleColdOnly.ID, Severity: RuleColdOnly.Severity, Package: p.Name,
			Message: fmt.Sprintf("package %s: %s %s in %s; cold files run only at cold boot, so only newly flashed devices get it: to reach devices in the field, set it in an update file and raise the version", p.Name, report.DisplayKey(s.CSP, s.Path, s.Name), msg, cold.Name)}
		if !s.Pos.IsValid() {
			at := p.src.Pos
			f.File, f.Line, f.Col = pl.Manifest.File, at.Line, at.Col
		}
		out = append(out, f)
	}
	keys := make([]string, 0, len(after))
	for k := range after {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Compare(after[a], after[b]) })
	for _, k := range keys {
		i := after[k]
		s := cold.Settings[i]
		b, ok := before[k]
		switch {
		case !ok:
			flag(k, s, cold.Origins[i], "is new")
		case b.Value != s.Value || string(b.Datatype) != s.Datatype || string(b.Op) != string(s.Op):
			flag(k, s, cold.Origins[i], fmt.Sprintf("changed from %s to %s", valueText(provxml.Setting{Value: b.Value, Datatype: string(b.Datatype), Op: provxml.Op(b.Op)}), valueText(s)))
		}
	}
	for k, b := range before {
		if _, ok := after[k]; ok {
			continue
		}
		if _, ok := inUpdate[k]; ok {
			// Moved into the update file, which reaches devices in the
			// field (and if the version did not rise, PP0101 says so).
			continue
		}
		flag(k, provxml.Setting{CSP: b.CSP, Path: b.Path, Name: b.Name, Op: provxml.OpDelete}, "", "was removed")
	}
	return out
}

// orderedFiles lists the plan's files in the assumed processing order.
func orderedFiles(pl *Plan, include func(*PackagePlan, *FilePlan) bool) []packageFile {
	var out []packageFile
	for _, p := range pl.Packages {
		for _, f := range p.Files {
			if include(p, f) {
				out = append(out, packageFile{p, f})
			}
		}
	}
	sortByProcessingOrder(out)
	return out
}

// keySeed seeds the key hash for the whole process, so that the workers
// planning packages hash alike.
var keySeed = maphash.MakeSeed()

// settingKeys returns the sorted, distinct hashes of the keys the
// settings of p write (queries and empty characteristics do not
// conflict): 8 bytes per key is all a build keeps of a package's settings
// once it is archived.
func settingKeys(p *PackagePlan, hash func([]byte) uint64) []uint64 {
	n := 0
	for _, f := range p.Files {
		n += len(f.Settings)
	}
	out := make([]uint64, 0, n)
	var kb []byte
	for _, f := range p.Files {
		for i := range f.Settings {
			s := &f.Settings[i]
			if !writes(s) {
				continue
			}
			kb = report.AppendSettingKey(kb[:0], s.CSP, s.Path, s.Name)
			out = append(out, hash(kb))
		}
	}
	slices.Sort(out)
	return slices.Clip(slices.Compact(out))
}

// keyHash is the hash of setting keys the conflict check uses; a test
// makes every key collide (Options.collide).
func (o Options) keyHash() func([]byte) uint64 {
	if o.collide {
		return func([]byte) uint64 { return 42 }
	}
	return func(b []byte) uint64 { return maphash.Bytes(keySeed, b) }
}

func writes(s *provxml.Setting) bool {
	return s.Op != provxml.OpQuery && !(s.Name == "" && s.Op == provxml.OpSet)
}

// conflicts finds settings written by more than one package, in cold-boot
// processing order, and names the one that wins. keys[i] are the
// settingKeys of package i. A key hash only one package writes cannot
// conflict; the packages writing the other hashes are looked at setting
// by setting, comparing keys exactly, so a hash collision never makes a
// conflict.
func conflicts(pl *Plan, keys [][]uint64, hash func([]byte) uint64) []Finding {
	hashes, pkgs := sharedKeys(keys)
	if len(hashes) == 0 {
		return nil
	}
	var files []packageFile
	for _, p := range pl.Packages {
		if pkgs[p.index] {
			for _, f := range pl.files(p) {
				files = append(files, packageFile{p, f})
			}
		}
	}
	sortByProcessingOrder(files)
	var rerun func(*PackagePlan, *FilePlan) bool
	if pl.PreviousRelease != "" {
		rerun = pl.inUpdate
	}
	return conflictsAmong(files, hashes, hash, rerun)
}

// sharedKeys returns the hashes found in more than one of the per-package
// hash lists (each sorted, each hash once), and the indexes of the lists
// holding them. The hash space is cut into ranges taken one at a time, so
// that the (hash, package) pairs sorted at once are a sixteenth of an
// image's: the memory a large image needs here stays small.
func sharedKeys(keys [][]uint64) (map[uint64]bool, map[int]bool) {
	type pair struct {
		hash uint64
		pkg  int32
	}
	const parts = 16
	hashes, pkgs := map[uint64]bool{}, map[int]bool{}
	var buf []pair
	for part := range uint64(parts) {
		lo, hi := part<<60, (part+1)<<60 // hi is 0 for the last part
		buf = buf[:0]
		for i, ks := range keys {
			a, _ := slices.BinarySearch(ks, lo)
			b := len(ks)
			if hi != 0 {
				b, _ = slices.BinarySearch(ks, hi)
			}
			for _, k := range ks[a:b] {
				buf = append(buf, pair{k, int32(i)})
			}
		}
		slices.SortFunc(buf, func(a, b pair) int { return cmp.Compare(a.hash, b.hash) })
		for i := 0; i < len(buf); {
			j := i + 1
			for j < len(buf) && buf[j].hash == buf[i].hash {
				j++
			}
			if j-i > 1 { // each list holds a hash once: more than one package
				hashes[buf[i].hash] = true
				for _, p := range buf[i:j] {
					pkgs[int(p.pkg)] = true
				}
			}
			i = j
		}
	}
	return hashes, pkgs
}

// packageFile is a provisioning file with its package.
type packageFile struct {
	p *PackagePlan
	f *FilePlan
}

func sortByProcessingOrder(files []packageFile) {
	slices.SortStableFunc(files, func(a, b packageFile) int { return strings.Compare(a.f.Name, b.f.Name) })
}

// conflictsAmong finds the conflicts among files (in processing order),
// looking only at settings whose key hash is in hashes. rerun, when set,
// tells the files devices re-run on the image update (see fieldVsFresh).
func conflictsAmong(files []packageFile, hashes map[uint64]bool, hash func([]byte) uint64, rerun func(*PackagePlan, *FilePlan) bool) []Finding {
	// Only settings whose hash two packages share get here, a handful in
	// a real image, so they are keyed by their exact key text. Most keys
	// have one writer: an entry holds the first write and gets a list
	// only when a second package writes the key.
	type keyEntry struct {
		first writer
		multi []writer
	}
	entries := map[string]*keyEntry{}
	var keys []*keyEntry // entries written by two packages, in the order found
	var kb []byte
	for order, pf := range files {
		for i := range pf.f.Settings {
			s := &pf.f.Settings[i]
			if !writes(s) {
				continue
			}
			kb = report.AppendSettingKey(kb[:0], s.CSP, s.Path, s.Name)
			if !hashes[hash(kb)] {
				continue
			}
			w := writer{pkg: pf.p, file: pf.f, idx: int32(i), order: int32(order)}
			ke := entries[string(kb)]
			switch {
			case ke == nil:
				entries[string(kb)] = &keyEntry{first: w}
			case ke.first.pkg == pf.p && ke.multi == nil:
				ke.first = w // the package's later write is its effective one
			default:
				if ke.multi == nil {
					ke.multi = []writer{ke.first}
					keys = append(keys, ke)
				}
				ke.multi = append(ke.multi, w)
			}
		}
	}
	var out []Finding
	for _, k := range keys {
		ws := lastPerPackage(k.multi)
		if len(ws) < 2 {
			continue
		}
		win := ws[len(ws)-1]
		var parts []string
		for i, w := range ws {
			if i == maxWritersShown && len(ws) > maxWritersShown+1 {
				parts = append(parts, fmt.Sprintf("and %d more", len(ws)-i))
				break
			}
			parts = append(parts, fmt.Sprintf("%s (%s, %s) %s", w.pkg.Name, w.pkg.Owner, w.file.Name, describeWrite(w.setting())))
		}
		writers := strings.Join(parts, "; ")
		ws0 := win.setting()
		key := report.DisplayKey(ws0.CSP, ws0.Path, ws0.Name)
		if rerun != nil {
			if f, ok := fieldVsFresh(ws, key, rerun); ok {
				out = append(out, f)
			}
		}
		var ms *writer
		for i := range ws {
			if ws[i].pkg.Owner == manifest.OwnerMicrosoft {
				ms = &ws[i]
			}
		}
		for _, w := range ws {
			f := w.finding()
			switch {
			case ms != nil && w.pkg.Owner != manifest.OwnerMicrosoft:
				f.ID, f.Severity = RuleShadowing.ID, RuleShadowing.Severity
				f.Message = fmt.Sprintf("%s package %s overrides %s of Microsoft-owned package %s: %s; Microsoft warns against shadowing its provisioning: remove the setting, or agree it with the owner and suppress PP0204",
					w.pkg.Owner, w.pkg.Name, key, ms.pkg.Name, writers)
			case ms == nil && w.order == win.order:
				f.ID, f.Severity = RuleConflict.ID, RuleConflict.Severity
				same := "different values"
				if allSame(ws) {
					same = "the same value"
				}
				f.Message = fmt.Sprintf("%s is written by %d packages with %s: %s; %s wins at cold boot (processed last): keep the setting in one package",
					key, len(ws), same, writers, win.pkg.Name)
			default:
				continue
			}
			out = append(out, f)
		}
	}
	return out
}

// maxWritersShown bounds the writers a conflict message names: an image
// where thousands of packages write one key gets findings of a bounded
// size, not a message per writer naming every writer.
const maxWritersShown = 20

// lastPerPackage keeps, of writes in processing order, each package's
// last one (its effective write), in processing order: one pass from the
// end, so a key written by many packages costs linear time.
func lastPerPackage(ws []writer) []writer {
	seen := make(map[*PackagePlan]bool, len(ws))
	out := make([]writer, 0, len(ws))
	for _, w := range slices.Backward(ws) {
		if !seen[w.pkg] {
			seen[w.pkg] = true
			out = append(out, w)
		}
	}
	slices.Reverse(out)
	return out
}

// fieldVsFresh compares, for one setting written by several packages
// (ws: each package's effective write, in processing order), a device
// flashed with the image and a device taking the image update. The flashed
// device runs every file: the last write wins. The updated device runs
// only the update files rerun selects: the last of those wins, whatever
// it held before. They differ when a package that is not re-run writes
// the setting later with another value. And because Windows Mobile
// documents no order among files at cold boot, a cold file of another
// package writing another value makes the flashed device's value rest on
// the order provpack assumes (cold files first); that is flagged too.
func fieldVsFresh(ws []writer, key string, rerun func(*PackagePlan, *FilePlan) bool) (Finding, bool) {
	var field *writer
	for i := range ws {
		if rerun(ws[i].pkg, ws[i].file) {
			field = &ws[i]
		}
	}
	if field == nil {
		return Finding{}, false
	}
	fresh := ws[len(ws)-1]
	where := func(w writer) string { return fmt.Sprintf("%s (%s)", w.pkg.Name, w.file.Name) }
	f := field.finding()
	f.ID, f.Severity = RuleFieldVsFresh.ID, RuleFieldVsFresh.Severity
	if !sameEffect(field.setting(), fresh.setting()) {
		f.Message = fmt.Sprintf("%s: devices taking this image update re-run %s and end with %s; freshly flashed devices end with %s from %s, processed after it at cold boot: keep the setting in one package, or re-run the later one too (raise its version)",
			key, where(*field), valueText(field.setting()), valueText(fresh.setting()), where(fresh))
		return f, true
	}
	for _, w := range ws {
		if w.file.Class == manifest.ClassCold && w.pkg != field.pkg && !sameEffect(w.setting(), field.setting()) {
			f.Message = fmt.Sprintf("%s: devices taking this image update re-run %s and end with %s; freshly flashed devices also run the cold file of %s, which sets %s: they end with %s only if cold files run before update files at cold boot, an order Windows Mobile does not document; keep the setting in one package",
				key, where(*field), valueText(field.setting()), where(w), valueText(w.setting()), valueText(field.setting()))
			return f, true
		}
	}
	return Finding{}, false
}

func sameEffect(a, b provxml.Setting) bool {
	return a.Value == b.Value && a.Datatype == b.Datatype && a.Op == b.Op
}

func allSame(ws []writer) bool {
	a := ws[0].setting()
	for _, w := range ws[1:] {
		if s := w.setting(); s.Value != a.Value || s.Datatype != a.Datatype || s.Op != a.Op {
			return false
		}
	}
	return true
}

// inUpdate reports whether devices re-run file f of package p on the
// image update to this release.
func (pl *Plan) inUpdate(p *PackagePlan, f *FilePlan) bool {
	if f.Class != manifest.ClassUpdate || pl.PreviousRelease == "" {
		return false
	}
	return p.Status == StatusNew || (p.Version != p.OldVersion && p.OldVersion != "")
}

// renderReapply renders the settings of an update file devices re-run,
// as the re-apply manifest lists them, so that they can be shed.
func (pl *Plan) renderReapply(p *PackagePlan) {
	for _, f := range p.Files {
		if !pl.inUpdate(p, f) {
			continue
		}
		js := append(make([]byte, 0, 64+len(f.Canonical)*2), '[')
		var md []byte
		for i := range f.Settings {
			if i > 0 {
				js = append(js, ',')
			}
			js = report.AppendSettingJSON(js, f.Class, f.Name, &f.Settings[i])
			md = append(md, "   "...)
			md = report.AppendMarkdownSetting(md, &f.Settings[i])
			md = append(md, '\n')
		}
		f.reapplyJSON, f.reapplyMD = append(js, ']'), md
	}
}

func reportSettings(f *FilePlan) []report.Setting {
	return report.AppendSettings(make([]report.Setting, 0, len(f.Settings)), f.Class, f.Name, f.Settings)
}

// Reapply computes the re-apply manifest of the plan.
func (pl *Plan) Reapply() *report.Reapply {
	r := &report.Reapply{Image: pl.Image, Release: pl.Release, PreviousRelease: pl.PreviousRelease, Target: pl.Target, Order: ProcessingOrder,
		Update: []report.ReapplyFile{}, ColdBoot: []report.ReapplyFile{}, Flags: []Finding{}}
	for _, pf := range orderedFiles(pl, pl.inUpdate) {
		why := fmt.Sprintf("package %s %s → %s: devices re-run its update files whether or not they changed", pf.p.Name, pf.p.OldVersion, pf.p.Version)
		if pf.p.Status == StatusNew {
			why = fmt.Sprintf("package %s is new in this release: devices receiving it are assumed to run its update files (undocumented for Windows Mobile)", pf.p.Name)
		}
		rf := report.ReapplyFile{Package: pf.p.Name, OldVersion: pf.p.OldVersion, Version: pf.p.Version, File: pf.f.Name, Class: pf.f.Class,
			Status: pf.f.Status, Why: why, SettingCount: pf.f.SettingCount}
		if pf.p.shed {
			rf.SettingsJSON, rf.SettingsMD = pf.f.reapplyJSON, pf.f.reapplyMD
		} else {
			rf.Settings = reportSettings(pf.f)
		}
		r.Update = append(r.Update, rf)
	}
	for _, pf := range orderedFiles(pl, func(*PackagePlan, *FilePlan) bool { return true }) {
		why := "update files also run at cold boot"
		if pf.f.Class == manifest.ClassCold {
			why = "cold files run at cold boot only"
		}
		r.ColdBoot = append(r.ColdBoot, report.ReapplyFile{Package: pf.p.Name, OldVersion: pf.p.OldVersion, Version: pf.p.Version, File: pf.f.Name, Class: pf.f.Class,
			Status: pf.f.Status, Why: why, SettingCount: pf.f.SettingCount})
	}
	for _, f := range pl.Findings {
		if strings.HasPrefix(f.ID, "PP") {
			r.Flags = append(r.Flags, f)
		}
	}
	return r
}
