package manifest

import (
	"fmt"
	"sort"
	"strings"
)

// validate checks what needs more than one value at a time: names unique
// across packages, requirements and target-specific rules.
// It only reads m. Values that failed to decode are zero and are skipped
// here, so one mistake is reported once.
func validate(e *errs, m *Manifest) {
	if m.Target == TargetW10M && m.Ordinals != nil {
		o := m.Ordinals
		if (o.Start != 0 && o.Start != 1) || (o.Step != 0 && o.Step != 1) {
			e.add(m.At("ordinals"), "ordinals", "w10m ordinals are fixed (start 1, step 1); remove the key")
		}
	}
	if m.Signing == SigningRequired && m.Format == FormatTarZst {
		e.add(m.At("signing"), "signing", "signing: required needs format: cab; a tar.zst archive has no Authenticode signature")
	}
	validateTarget(e, m)

	byName := make(map[string]*Package) // lower-case name -> first package
	byGUID := make(map[GUID]int)        // GUID -> index of the first package writing it
	for i, p := range m.Packages {
		if p == nil {
			continue
		}
		pp := index("packages", i)
		if p.Name != "" && CheckPackageName(p.Name) == nil {
			low := strings.ToLower(p.Name)
			if first := byName[low]; first != nil {
				if first.Name == p.Name {
					e.add(p.At("name"), pp+".name", "duplicate package name %q (first used at line %d)", p.Name, first.At("name").Line)
				} else {
					e.add(p.At("name"), pp+".name", "package name %q differs only in case from %q at line %d; the device file system ignores case", p.Name, first.Name, first.At("name").Line)
				}
			} else {
				byName[low] = p
			}
		}
		if !p.GUID.IsZero() {
			if j, dup := byGUID[p.GUID]; dup {
				first := m.Packages[j]
				e.add(p.At("guid"), pp+".guid", "GUID %s is already used by package %q at line %d", p.GUID, first.Name, first.At("guid").Line)
			} else {
				byGUID[p.GUID] = i
			}
		}
	}
	// A written GUID must not collide with one another package would get
	// by derivation.
	if CheckImageName(m.Image) == nil {
		for _, p := range m.Packages {
			if p == nil || !p.GUID.IsZero() || p.Name == "" {
				continue
			}
			if j, hit := byGUID[DeriveGUID(m.Image, p.Name)]; hit {
				other := m.Packages[j]
				e.add(other.At("guid"), index("packages", j)+".guid", "GUID %s is the one derived for package %q at line %d; give one of them another GUID", other.GUID, p.Name, p.At("name").Line)
			}
		}
	}

	for i, p := range m.Packages {
		if p == nil {
			continue
		}
		validatePackage(e, m, p, index("packages", i), byName)
	}
}

// validateTarget checks the keys and values only one target has: the
// w10m package identity (company, cpu, releaseType, subcomponent), the
// w10m archive format and the version forms each target's package
// manifest can hold.
func validateTarget(e *errs, m *Manifest) {
	if err := m.Release.checkRelease(); err != nil {
		e.add(m.At("release"), "release", "%v", err)
	}
	switch m.Target {
	case TargetW10M:
		if m.Company == "" && !m.Has("company") {
			e.add(m.At("target"), "company", "w10m packages name the company that owns them (Identity/Owner, the first part of every .spkg name): add e.g. company: Contoso")
		}
		if m.Format == FormatTarZst {
			e.add(m.At("format"), "format", "w10m packages are cabinets (.spkg), which the platform's tools read; tar.zst is for wm6 only: remove the key or write format: cab")
		}
	case TargetWM6:
		for _, k := range []struct{ key, what string }{{"company", "company"}, {"cpu", "cpu"}, {"releaseType", "releaseType"}} {
			if m.Has(k.key) {
				e.add(m.At(k.key), k.key, "%s is a w10m key (it fills the w10m package manifest); wm6 packages have no such field: remove it", k.what)
			}
		}
	}
	for i, p := range m.Packages {
		if p == nil {
			continue
		}
		pp := index("packages", i)
		if m.Target == TargetWM6 && p.Has("subcomponent") {
			e.add(p.At("subcomponent"), pp+".subcomponent", "subcomponent is a w10m key; wm6 packages have no SubComponent: remove it")
		}
		if p.Version.IsZero() {
			continue
		}
		switch m.Target {
		case TargetW10M:
			if err := p.Version.CheckW10M(); err != nil {
				e.add(p.At("version"), pp+".version", "%v", err)
			}
		case TargetWM6:
			if p.Version.IsFourPart() {
				e.add(p.At("version"), pp+".version", "version %s: four-part versions are for w10m packages; wm6 package versions are semver (MAJOR.MINOR.PATCH)", p.Version)
			}
		}
	}
}

func validatePackage(e *errs, m *Manifest, p *Package, pp string, byName map[string]*Package) {

	// requires, in the order written
	names := make([]string, 0, len(p.Requires))
	for name := range p.Requires {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := p.At("requires."+names[i]), p.At("requires."+names[j])
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return names[i] < names[j]
	})
	var known []string // the image's package names, for suggestions
	for _, name := range names {
		c := p.Requires[name]
		rp := mapKey(pp+".requires", name)
		at := p.At(mapKey("requires", name))
		if strings.EqualFold(name, p.Name) {
			e.add(at, rp, "a package cannot require itself")
			continue
		}
		dep := byName[strings.ToLower(name)]
		if dep == nil || dep.Name != name {
			msg := fmt.Sprintf("no package %q in this image", name)
			if known == nil {
				// Listed only for a misspelt name: listing the image for
				// every package made validation quadratic.
				known = make([]string, 0, len(m.Packages))
				for _, q := range m.Packages {
					if q != nil && q.Name != "" {
						known = append(known, q.Name)
					}
				}
			}
			if s := suggest(name, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			e.add(at, rp, "%s", msg)
			continue
		}
		if c.c == nil || dep.Version.IsZero() {
			continue // reported while decoding
		}
		if !c.Check(dep.Version) {
			msg := fmt.Sprintf("%s %s (line %d) does not satisfy %q", dep.Name, dep.Version, dep.At("version").Line, c.String())
			if why := c.why(dep.Version); why != "" {
				msg += ": " + why
			}
			e.add(at, rp, "%s", msg)
		}
	}

	for _, class := range []struct {
		key     string
		sources []*Source
	}{{"cold", p.Cold}, {"update", p.Update}} {
		for j, s := range class.sources {
			if s == nil {
				continue
			}
			sp := index(pp+"."+class.key, j)
			for k, st := range s.Settings {
				if st != nil {
					validateSetting(e, m, st, index(sp+".settings", k))
				}
			}
		}
	}
}

func validateSetting(e *errs, m *Manifest, st *Setting, sp string) {
	seen := make(map[string]int) // lower-case parm name -> line
	for i, pm := range st.Parms {
		if pm == nil {
			continue
		}
		pp := index(sp+".parms", i)
		if pm.Datatype != "" && m.Target != "" && !targetHasDatatype(m.Target, pm.Datatype) {
			e.add(pm.At("datatype"), pp+".datatype", "datatype %q is not available on %s (only on w10m)", pm.Datatype, m.Target)
		}
		if pm.Name == "" {
			continue
		}
		low := strings.ToLower(pm.Name)
		if line, dup := seen[low]; dup {
			e.add(pm.At("name"), pp+".name", "parm %q is already set in this setting at line %d", pm.Name, line)
			continue
		}
		seen[low] = pm.At("name").Line
	}
	for i, name := range st.Delete {
		if name == "" {
			continue
		}
		if line, dup := seen[strings.ToLower(name)]; dup {
			e.add(st.At(index("delete", i)), index(sp+".delete", i), "parm %q is both set (line %d) and deleted in this setting", name, line)
		}
	}
}

func targetHasDatatype(t Target, d Datatype) bool {
	for _, x := range t.Datatypes() {
		if x == d {
			return true
		}
	}
	return false
}
