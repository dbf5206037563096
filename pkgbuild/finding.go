package pkgbuild

import (
	"cmp"
	"slices"

	"github.com/provpack/provpack/pkgbuild/report"
	"github.com/provpack/provpack/provxml"
)

// Finding is a problem found while planning: in a provisioning source
// (a provxml rule) or in the release itself (a planning rule below). Its
// type is the report's, where findings are written.
type Finding = report.Finding

// FindingOf is a provisioning-XML finding of package pkg ("" outside a
// package) in the shape lint, plan and build print and write.
func FindingOf(pkg string, f provxml.Finding) Finding {
	return Finding{File: f.File, Line: f.Pos.Line, Col: f.Pos.Col, ID: f.Rule.ID, Severity: f.Rule.Severity, Message: f.Msg, Package: pkg}
}

func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col), cmp.Compare(a.ID, b.ID))
	})
}

// HasErrors reports whether any finding is error-level.
func HasErrors(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == provxml.Error {
			return true
		}
	}
	return false
}

// Planning rules (PP01xx): the version and ordinal discipline of
// docs/domain.md §3 and SPEC §3.
var (
	// RuleUnbumped: an update file changed while its package version did
	// not; devices re-run update files only when the package is updated,
	// so they would never see the change (bb737254).
	RuleUnbumped = provxml.Rule{ID: "PP0101", Severity: provxml.Error, Summary: "update file changed without a package version bump"}
	// RuleVersionDown: a package version lower than the released one;
	// Image Update only moves forward.
	RuleVersionDown = provxml.Rule{ID: "PP0102", Severity: provxml.Error, Summary: "package version is lower than the released version"}
	// RuleOrdinalSpent: no three-digit ordinal is left for a changed file.
	RuleOrdinalSpent = provxml.Rule{ID: "PP0103", Severity: provxml.Error, Summary: "the three-digit ordinal space is spent"}
	// RuleOrdinalLow: at most one further change fits in three digits.
	RuleOrdinalLow = provxml.Rule{ID: "PP0104", Severity: provxml.Warning, Summary: "the three-digit ordinal space is nearly spent"}
	// RuleLockMismatch: the lock records another image or target.
	RuleLockMismatch = provxml.Rule{ID: "PP0105", Severity: provxml.Error, Summary: "the release lock belongs to another image or target"}
	// RuleSuppress: a suppress entry that names no rule or an error rule.
	RuleSuppress = provxml.Rule{ID: "PP0106", Severity: provxml.Error, Summary: "suppress names an unknown rule or an error-level rule"}
	// RuleRemoved: a class that was released has no sources any more; its
	// file disappears from the package.
	RuleRemoved = provxml.Rule{ID: "PP0107", Severity: provxml.Warning, Summary: "a released provisioning file is no longer produced"}
	// RuleSameRelease: something changed since the release recorded in the
	// lock, but the image release number did not.
	RuleSameRelease = provxml.Rule{ID: "PP0108", Severity: provxml.Warning, Summary: "the image changed but its release number did not"}
	// RuleReleaseRecorded: build --release of a release number the lock
	// already records (or a lower one); a release is recorded once.
	RuleReleaseRecorded = provxml.Rule{ID: "PP0109", Severity: provxml.Error, Summary: "build --release of a release number the lock already records"}
	// RuleNoSources: a package with neither cold nor update sources; its
	// archive would hold only the package manifest.
	RuleNoSources = provxml.Rule{ID: "PP0110", Severity: provxml.Warning, Summary: "a package has no sources: its archive holds only the package manifest"}
	// RuleIdentityChanged: a released w10m package whose identity
	// (<company>.<name>[.<subcomponent>]) the manifest changed; the device
	// would see another package installing the same files.
	RuleIdentityChanged = provxml.Rule{ID: "PP0111", Severity: provxml.Error, Summary: "a released w10m package's identity (company, subcomponent) changed"}
)

// PlanRules lists the planning rules (PP01xx) and the release rules
// (PP02xx, in reapply.go).
var PlanRules = []*provxml.Rule{&RuleUnbumped, &RuleVersionDown, &RuleOrdinalSpent, &RuleOrdinalLow, &RuleLockMismatch, &RuleSuppress, &RuleRemoved, &RuleSameRelease, &RuleReleaseRecorded, &RuleNoSources, &RuleIdentityChanged,
	&RuleColdOnly, &RuleBumpNoChange, &RuleConflict, &RuleShadowing, &RuleFieldVsFresh}

// ruleByID finds a provxml or planning rule.
func ruleByID(id string) *provxml.Rule {
	if r := provxml.RuleByID(id); r != nil {
		return r
	}
	for _, r := range PlanRules {
		if r.ID == id {
			return r
		}
	}
	return nil
}
