package provxml

import (
	"cmp"
	"fmt"
	"slices"
)

// Severity is how much a finding matters.
type Severity int

const (
	// Warning marks something that works but is risky or unusual; it can
	// be silenced per rule.
	Warning Severity = iota
	// Error marks something the device would reject or get wrong.
	Error
)

func (s Severity) String() string {
	if s == Error {
		return "error"
	}
	return "warning"
}

// MarshalText renders the severity as "error" or "warning".
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads "error" or "warning".
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = Error
	case "warning":
		*s = Warning
	default:
		return fmt.Errorf("severity %q: want error or warning", b)
	}
	return nil
}

// Rule is one check with a stable ID. IDs never change meaning; a retired
// rule's ID is not reused.
type Rule struct {
	ID       string
	Severity Severity
	// Summary is the one-line explanation shown by documentation and
	// `provpack lint --rules`.
	Summary string
}

// Finding is one problem found in one document.
type Finding struct {
	File string
	Pos  Pos
	Rule *Rule
	Msg  string
}

// Severity returns the severity of the finding's rule.
func (f Finding) Severity() Severity { return f.Rule.Severity }

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s: %s", f.File, f.Pos.Line, f.Pos.Col, f.Rule.ID, f.Rule.Severity, f.Msg)
}

// SortFindings orders findings by file, position, then rule ID.
func SortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Rule.ID, b.Rule.ID),
		)
	})
}

// HasErrors reports whether any finding is error-level.
func HasErrors(fs []Finding) bool {
	for _, f := range fs {
		if f.Rule.Severity == Error {
			return true
		}
	}
	return false
}

// Source citations below use the key of docs/domain.md §8 in the shared
// research: a bare id such as bb737266 is
// https://learn.microsoft.com/en-us/previous-versions/<id>(v=msdn.10).

// Reading the file (PX00xx).
var (
	// RuleSyntax: the file is not well-formed XML 1.0. Well-formedness is
	// fatal by XML 1.0 §1.2; CfgMgr rejects such a document whole
	// (E_INVALIDARG, gg155003).
	RuleSyntax = Rule{"PX0001", Error, "the document is not well-formed XML"}
	// RuleEncoding: the bytes are not UTF-8 (UTF-16, UTF-32, a legacy code
	// page, NUL bytes). Only UTF-8 provisioning XML is supported
	// (bb737266, bb737422, bb737493).
	RuleEncoding = Rule{"PX0002", Error, "the document is not UTF-8"}
	// RuleDeclaredEncoding: the XML declaration names an encoding other
	// than UTF-8 (bb737266, bb737422).
	RuleDeclaredEncoding = Rule{"PX0003", Error, "the XML declaration names an encoding other than UTF-8"}
	// RuleBOM: the file starts with a UTF-8 byte-order mark; whether the
	// device tolerates it is undocumented (domain research §8 rule 1).
	RuleBOM = Rule{"PX0004", Warning, "the file starts with a UTF-8 byte-order mark"}
	// RuleDTD: an internal DTD subset or entity declaration. The MSPROV
	// DTD is fixed (bb737266); declarations in a document only open the
	// door to entity expansion attacks, so provpack refuses them.
	RuleDTD = Rule{"PX0005", Error, "internal DTD subsets and entity declarations are refused"}
	// RuleLimit: the document exceeds provpack's size, depth or element
	// limits, which exist to bound memory on hostile input.
	RuleLimit = Rule{"PX0006", Error, "the document exceeds a size, depth or element-count limit"}
)

// Structure (PX01xx).
var (
	// RuleRoot: the root element must be wap-provisioningdoc (bb737266).
	RuleRoot = Rule{"PX0101", Error, "the root element must be wap-provisioningdoc"}
	// RuleVersion: wap-provisioningdoc version, when present, is 1.0 or 1.1
	// (bb737517).
	RuleVersion = Rule{"PX0102", Error, "wap-provisioningdoc version must be 1.0 or 1.1"}
	// RuleUnknownElement: an element the MSPROV DTD does not declare
	// (bb737266, bb737235).
	RuleUnknownElement = Rule{"PX0103", Error, "element not declared by the MSPROV DTD"}
	// RulePlacement: an element where its parent's content model does not
	// allow it, e.g. parm directly under the root (bb737266).
	RulePlacement = Rule{"PX0104", Error, "element not allowed inside its parent"}
	// RuleRequiredAttr: characteristic and nocharacteristic need a
	// non-empty type; parm, noparm and parm-query a non-empty name
	// (bb737266 #REQUIRED, aa455936).
	RuleRequiredAttr = Rule{"PX0105", Error, "a required type or name attribute is missing or empty"}
	// RuleUnknownAttr: an attribute the MSPROV DTD does not declare for
	// the element; CfgMgr ignores or rejects it depending on the CSP
	// (bb737266, bb737503).
	RuleUnknownAttr = Rule{"PX0106", Warning, "attribute not declared by the MSPROV DTD for this element"}
	// RuleContent: parm and the other EMPTY elements have no content;
	// characteristic holds elements, never text (bb737266).
	RuleContent = Rule{"PX0107", Error, "text or child elements where the DTD allows none"}
	// RuleResponseElement: *-error elements exist only in device
	// responses; a ROM file is a request (bb737235, bb737691, bb737603).
	RuleResponseElement = Rule{"PX0108", Error, "a response-only *-error element in a request document"}
	// RuleQuery: characteristic-query and parm-query ask the device for
	// values; in a ROM file nobody reads the answer (bb737359, gg155033).
	RuleQuery = Rule{"PX0109", Warning, "a query has no effect in a ROM provisioning file"}
)

// Datatypes and values (PX02xx).
var (
	// RuleDatatypeOutsideRegistry: datatype is only meaningful for the
	// Registry CSP (bb737503).
	RuleDatatypeOutsideRegistry = Rule{"PX0201", Warning, "datatype is only meaningful under the Registry CSP"}
	// RuleDatatype: datatype must be integer, string, float, boolean,
	// binary or multiplestring; time and date only for w10m
	// (bb737266, ms844861, registry-csp.md).
	RuleDatatype = Rule{"PX0202", Error, "unknown datatype, or one the target does not support"}
	// RuleInteger: integer values are signed 32-bit decimal numbers;
	// values outside that range make the Registry CSP fail (bb737304).
	RuleInteger = Rule{"PX0203", Error, "integer value is not a signed 32-bit decimal number"}
	// RuleBoolean: boolean Registry values are 0 or 1 (registry-csp.md).
	RuleBoolean = Rule{"PX0204", Error, "boolean value is not 0 or 1"}
	// RuleBinary: binary values are Base64 (registry-csp.md).
	RuleBinary = Rule{"PX0205", Error, "binary value is not valid Base64"}
	// RuleMultiString: multiplestring items are separated by U+F000 and
	// the list ends with two U+F000 (bb737503, registry-csp.md).
	RuleMultiString = Rule{"PX0206", Error, "multiplestring value does not end with two U+F000 separators"}
	// RuleFloat: float values are decimal floating-point text
	// (registry-csp.md).
	RuleFloat = Rule{"PX0207", Error, "float value is not a decimal number"}
	// RuleTime: time and date values are ISO 8601 (registry-csp.md).
	RuleTime = Rule{"PX0208", Error, "time or date value is not ISO 8601"}
)

// Other attributes (PX03xx).
var (
	// RuleTranslation: translation is filesystem or install (bb737304,
	// bb737563, bb737323).
	RuleTranslation = Rule{"PX0301", Error, "translation must be filesystem or install"}
	// RuleTranslationPlace: translation is valid only for the
	// FileOperation, Metabase and Registry CSPs (bb737304, bb737563).
	RuleTranslationPlace = Rule{"PX0302", Warning, "translation is only honoured by FileOperation, Metabase and Registry"}
	// RuleMwid: mwid, when present, is 1 (bb737323).
	RuleMwid = Rule{"PX0303", Error, "mwid must be 1"}
	// RuleRecursive: recursive on characteristic-query is true or false,
	// compared case-insensitively (bb737359).
	RuleRecursive = Rule{"PX0304", Error, "recursive must be true or false"}
)

// Configuration service providers (PX04xx).
var (
	// RuleUnknownCSP: a first-level characteristic type that is not a
	// documented CSP for the target (aa457946, ms889539); OEMs can add
	// their own, so this is a warning.
	RuleUnknownCSP = Rule{"PX0401", Warning, "first-level characteristic is not a known CSP"}
	// RuleUninstallAlone: a document with UnInstall must contain nothing
	// else at its top level (aa455977).
	RuleUninstallAlone = Rule{"PX0402", Error, "a document with UnInstall must contain only UnInstall"}
	// RuleApplicationRoot: APPLICATION characteristics belong at the
	// document root (ms890848).
	RuleApplicationRoot = Rule{"PX0403", Error, "APPLICATION must be a first-level characteristic"}
	// RuleFavorite: a BrowserFavorite entry's type is the favourite's
	// name: non-empty and not a URL (bb737405).
	RuleFavorite = Rule{"PX0404", Error, "BrowserFavorite entry name is empty or looks like a URL"}
	// RuleCaseCSP: a first-level type that matches a known CSP only when
	// case is ignored; CSP names are spelt in fixed case (bb737206).
	RuleCaseCSP = Rule{"PX0405", Warning, "CSP name differs from the documented spelling only in case"}
)

// Registry CSP (PX05xx).
var (
	// RuleHive: a Registry key path starts with HKLM\, HKCU\, HKCR\ or
	// HKU\ (ms886046, bb737351).
	RuleHive = Rule{"PX0501", Error, "registry key path does not start with a known hive"}
	// RuleHKU: HKU as the HKEY_USERS abbreviation is not confirmed by a
	// Microsoft source (domain research §2.1).
	RuleHKU = Rule{"PX0502", Warning, "the HKU hive abbreviation is unverified"}
	// RuleKeyPath: no empty segments or trailing backslash in a key path
	// (aa456177).
	RuleKeyPath = Rule{"PX0503", Error, "registry key path has an empty segment or a trailing backslash"}
	// RuleRegistryDatatype: every Registry parm carries a datatype; the
	// store is typed (aa456177, gg155033, registry-csp.md).
	RuleRegistryDatatype = Rule{"PX0504", Error, "registry value has no datatype"}
	// RuleNestedKey: a characteristic inside a key characteristic does not
	// address a subkey (registry-csp.md).
	RuleNestedKey = Rule{"PX0505", Warning, "a characteristic nested in a registry key is not a subkey"}
	// RuleRegistryName: key and value names are at most 255 characters
	// on Windows CE (ms886046).
	RuleRegistryName = Rule{"PX0506", Error, "registry key or value name longer than 255 characters"}
	// RuleRegistryDepth: at most 16 nested subkey levels on Windows CE
	// (ms886046).
	RuleRegistryDepth = Rule{"PX0507", Error, "registry key path deeper than 16 levels"}
	// RuleRegistryData: value data is at most 4 KB on Windows CE
	// (ms886046).
	RuleRegistryData = Rule{"PX0508", Error, "registry value data larger than 4 KB"}
	// RuleRegistryPlace: under the Registry CSP, parms belong inside a key
	// characteristic (gg155033, registry-csp.md).
	RuleRegistryPlace = Rule{"PX0509", Error, "registry value outside a key characteristic"}
)

// Rules lists every rule, ordered by ID.
var Rules = []*Rule{
	&RuleSyntax, &RuleEncoding, &RuleDeclaredEncoding, &RuleBOM, &RuleDTD, &RuleLimit,
	&RuleRoot, &RuleVersion, &RuleUnknownElement, &RulePlacement, &RuleRequiredAttr,
	&RuleUnknownAttr, &RuleContent, &RuleResponseElement, &RuleQuery,
	&RuleDatatypeOutsideRegistry, &RuleDatatype, &RuleInteger, &RuleBoolean, &RuleBinary,
	&RuleMultiString, &RuleFloat, &RuleTime,
	&RuleTranslation, &RuleTranslationPlace, &RuleMwid, &RuleRecursive,
	&RuleUnknownCSP, &RuleUninstallAlone, &RuleApplicationRoot, &RuleFavorite, &RuleCaseCSP,
	&RuleHive, &RuleHKU, &RuleKeyPath, &RuleRegistryDatatype, &RuleNestedKey,
	&RuleRegistryName, &RuleRegistryDepth, &RuleRegistryData, &RuleRegistryPlace,
}

// RuleByID returns the rule with the given ID, or nil.
func RuleByID(id string) *Rule {
	for _, r := range Rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}
