package pkgbuild

import (
	"slices"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/provxml"
)

// AllRules lists every rule provpack reports: lint's (provxml.Rules), then
// plan's and the release rules (PlanRules).
func AllRules() []*provxml.Rule {
	return append(slices.Clone(provxml.Rules), PlanRules...)
}

// SuppressibleRules returns the IDs of the rules a package's suppress list
// may name, sorted: the warning-level rules of lint (provxml.Rules) and of
// plan (PlanRules). checkSuppress refuses any other ID (PP0106).
func SuppressibleRules() []string {
	var ids []string
	for _, r := range AllRules() {
		if r.Severity != provxml.Error {
			ids = append(ids, r.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// ManifestSchema returns the JSON Schema of the manifest (manifest.Schema)
// with the suppressible rule IDs filled in: what provpack schema prints.
func ManifestSchema() ([]byte, error) {
	return manifest.Schema(SuppressibleRules())
}
