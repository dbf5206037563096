package manifest

import (
	"crypto/sha1"
	"strings"
)

// GUIDNamespace is the name-space UUID under which package GUIDs are
// derived (RFC 9562 version 5). It was drawn at random once and must never
// change: every derived GUID depends on it.
var GUIDNamespace = GUID{0x15, 0xfe, 0xf5, 0xf1, 0xdc, 0xc1, 0x49, 0xa1, 0x94, 0x16, 0x08, 0xc4, 0x1a, 0xc9, 0x10, 0xe0}

// DeriveGUID returns the GUID a package gets when the manifest gives none:
// the name-based (SHA-1, version 5) UUID of
//
//	lower(image) + "/" + lower(packageName)
//
// under GUIDNamespace. Both names are lower-cased (they are ASCII) so a
// rename that only changes case keeps the package's identity, as the
// device's case-insensitive file system would.
func DeriveGUID(image, packageName string) GUID {
	h := sha1.New()
	h.Write(GUIDNamespace[:])
	h.Write([]byte(strings.ToLower(image) + "/" + strings.ToLower(packageName)))
	var g GUID
	copy(g[:], h.Sum(nil))
	g[6] = g[6]&0x0f | 0x50 // version 5
	g[8] = g[8]&0x3f | 0x80 // RFC 4122 variant
	return g
}

// WithDefaults fills in what the manifest may leave out and returns m:
//
//   - format: cab;
//   - ordinals: the target's (wm6: start 100, step 100; w10m: start 1,
//     step 1), field by field, so {start: 200} keeps the default step;
//   - each package's GUID, derived with DeriveGUID when not written, with
//     GUIDDerived set;
//   - w10m: cpu arm, releaseType production.
//
// It is idempotent and does not validate; call it on a manifest Parse
// accepted.
func (m *Manifest) WithDefaults() *Manifest {
	if m.Format == "" {
		m.Format = FormatCab
	}
	def := m.Target.DefaultOrdinals()
	if m.Ordinals == nil {
		m.Ordinals = &def
	}
	if m.Ordinals.Start == 0 {
		m.Ordinals.Start = def.Start
	}
	if m.Ordinals.Step == 0 {
		m.Ordinals.Step = def.Step
	}
	if m.Target == TargetW10M {
		if m.CPU == "" {
			m.CPU = CPUARM
		}
		if m.ReleaseType == "" {
			m.ReleaseType = ReleaseProduction
		}
	}
	for _, p := range m.Packages {
		if p != nil && p.GUID.IsZero() {
			p.GUID = DeriveGUID(m.Image, p.Name)
			p.GUIDDerived = true
		}
	}
	return m
}

// Package returns the package named name (compared ignoring case, as
// names are unique that way), or nil.
func (m *Manifest) Package(name string) *Package {
	for _, p := range m.Packages {
		if p != nil && strings.EqualFold(p.Name, name) {
			return p
		}
	}
	return nil
}
