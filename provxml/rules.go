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
	// Source names the documents (or the platform tool output) that
	// justify the rule, its severity and where it applies; the citation
	// key is that of docs/domain.md §8.
	Source string
	// Targets is the target the rule applies to, "" for every target.
	Targets string
}

// Doc is the rule's line for `provpack lint --rules`: the summary, then
// where it applies and its source.
func (r *Rule) Doc() string {
	s := r.Summary
	if r.Targets != "" {
		s += " [" + r.Targets + " only]"
	}
	if r.Source != "" {
		s += " (source: " + r.Source + ")"
	}
	return s
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
	RuleSyntax = Rule{ID: "PX0001", Severity: Error, Summary: "the document is not well-formed XML",
		Source: "XML 1.0 §1.2; gg155003 (E_INVALIDARG)"}
	// RuleEncoding: the bytes are not UTF-8 (UTF-16, UTF-32, a legacy code
	// page, NUL bytes). Only UTF-8 provisioning XML is supported
	// (bb737266, bb737422, bb737493).
	RuleEncoding = Rule{ID: "PX0002", Severity: Error, Summary: "the document is not UTF-8",
		Source: "bb737266, bb737422, bb737493"}
	// RuleDeclaredEncoding: the XML declaration names an encoding other
	// than UTF-8 (bb737266, bb737422).
	RuleDeclaredEncoding = Rule{ID: "PX0003", Severity: Error, Summary: "the XML declaration names an encoding other than UTF-8",
		Source: "bb737266, bb737422"}
	// RuleBOM: the file starts with a UTF-8 byte-order mark; whether a
	// Windows Mobile device tolerates it is undocumented (domain research
	// §8 rule 1). Windows 10 Mobile's own generators always write one, so
	// the rule applies to wm6 only.
	RuleBOM = Rule{ID: "PX0004", Severity: Warning, Summary: "the file starts with a UTF-8 byte-order mark",
		Source: "undocumented for Windows Mobile (domain.md §8 rule 1); Windows 10 Mobile's own generators write one", Targets: "wm6"}
	// RuleDTD: an internal DTD subset or entity declaration. The MSPROV
	// DTD is fixed (bb737266); declarations in a document only open the
	// door to entity expansion attacks, so provpack refuses them.
	RuleDTD = Rule{ID: "PX0005", Severity: Error, Summary: "internal DTD subsets and entity declarations are refused",
		Source: "bb737266 (fixed DTD); provpack's hostile-input policy"}
	// RuleLimit: the document exceeds provpack's size, depth or element
	// limits, which exist to bound memory on hostile input.
	RuleLimit = Rule{ID: "PX0006", Severity: Error, Summary: "the document exceeds a size, depth or element-count limit",
		Source: "provpack's hostile-input policy"}
)

// Structure (PX01xx).
var (
	// RuleRoot: the root element must be wap-provisioningdoc (bb737266).
	RuleRoot = Rule{ID: "PX0101", Severity: Error, Summary: "the root element must be wap-provisioningdoc",
		Source: "bb737266"}
	// RuleVersion: wap-provisioningdoc version, when present, is 1.0 or 1.1
	// (bb737517).
	RuleVersion = Rule{ID: "PX0102", Severity: Error, Summary: "wap-provisioningdoc version must be 1.0 or 1.1",
		Source: "bb737517"}
	// RuleUnknownElement: an element the MSPROV DTD does not declare
	// (bb737266, bb737235).
	RuleUnknownElement = Rule{ID: "PX0103", Severity: Error, Summary: "element not declared by the MSPROV DTD",
		Source: "bb737266, bb737235"}
	// RulePlacement: an element where its parent's content model does not
	// allow it, e.g. parm directly under the root (bb737266).
	RulePlacement = Rule{ID: "PX0104", Severity: Error, Summary: "element not allowed inside its parent",
		Source: "bb737266"}
	// RuleRequiredAttr: characteristic and nocharacteristic need a
	// non-empty type; parm, noparm and parm-query a non-empty name
	// (bb737266 #REQUIRED, aa455936).
	RuleRequiredAttr = Rule{ID: "PX0105", Severity: Error, Summary: "a required type or name attribute is missing or empty",
		Source: "bb737266 #REQUIRED, aa455936; an empty registry value name is the key's default value (CabWiz _setup.xml)"}
	// RuleUnknownAttr: an attribute the MSPROV DTD does not declare for
	// the element; CfgMgr ignores or rejects it depending on the CSP
	// (bb737266, bb737503).
	RuleUnknownAttr = Rule{ID: "PX0106", Severity: Warning, Summary: "attribute not declared by the MSPROV DTD for this element",
		Source: "bb737266, bb737503; on w10m exec is accepted (the platform's generators write it)"}
	// RuleContent: parm and the other EMPTY elements have no content;
	// characteristic holds elements, never text (bb737266).
	RuleContent = Rule{ID: "PX0107", Severity: Error, Summary: "text or child elements where the DTD allows none",
		Source: "bb737266 (EMPTY)"}
	// RuleResponseElement: *-error elements exist only in device
	// responses; a ROM file is a request (bb737235, bb737691, bb737603).
	RuleResponseElement = Rule{ID: "PX0108", Severity: Error, Summary: "a response-only *-error element in a request document",
		Source: "bb737235, bb737691, bb737603"}
	// RuleQuery: characteristic-query and parm-query ask the device for
	// values; in a ROM file nobody reads the answer (bb737359, gg155033).
	RuleQuery = Rule{ID: "PX0109", Severity: Warning, Summary: "a query has no effect in a ROM provisioning file",
		Source: "bb737359, gg155033"}
)

// Datatypes and values (PX02xx).
var (
	// RuleDatatypeOutsideRegistry: datatype is only meaningful for the
	// Registry CSP on Windows Mobile (bb737503). Windows 10 Mobile's
	// generators write a datatype on every parm, so wm6 only.
	RuleDatatypeOutsideRegistry = Rule{ID: "PX0201", Severity: Warning, Summary: "datatype is only meaningful under the Registry CSP",
		Source: "bb737503; Windows 10 Mobile's generators write datatype on every parm", Targets: "wm6"}
	// RuleDatatype: datatype must be integer, string, float, boolean,
	// binary or multiplestring; time and date only for w10m
	// (bb737266, ms844861, registry-csp.md).
	RuleDatatype = Rule{ID: "PX0202", Severity: Error, Summary: "unknown datatype, or one the target does not support",
		Source: "bb737266, ms844861, registry-csp.md"}
	// RuleInteger: integer values are signed 32-bit decimal numbers;
	// values outside that range make the Registry CSP fail (bb737304).
	RuleInteger = Rule{ID: "PX0203", Severity: Error, Summary: "integer value is not a signed 32-bit decimal number",
		Source: "bb737304"}
	// RuleBoolean: boolean Registry values are 0 or 1 (registry-csp.md).
	RuleBoolean = Rule{ID: "PX0204", Severity: Error, Summary: "boolean value is not 0 or 1",
		Source: "registry-csp.md"}
	// RuleBinary: binary values are Base64 (registry-csp.md).
	RuleBinary = Rule{ID: "PX0205", Severity: Error, Summary: "binary value is not valid Base64",
		Source: "registry-csp.md"}
	// RuleMultiString: multiplestring items are separated by U+F000 and
	// the list ends with two U+F000 (bb737503, registry-csp.md).
	RuleMultiString = Rule{ID: "PX0206", Severity: Error, Summary: "multiplestring value does not end with two U+F000 separators",
		Source: "bb737503, registry-csp.md"}
	// RuleFloat: float values are decimal floating-point text
	// (registry-csp.md).
	RuleFloat = Rule{ID: "PX0207", Severity: Error, Summary: "float value is not a decimal number",
		Source: "registry-csp.md"}
	// RuleTime: time and date values are ISO 8601 (registry-csp.md).
	RuleTime = Rule{ID: "PX0208", Severity: Error, Summary: "time or date value is not ISO 8601",
		Source: "registry-csp.md"}
)

// Other attributes (PX03xx).
var (
	// RuleTranslation: translation is filesystem or install (bb737304,
	// bb737563, bb737323).
	RuleTranslation = Rule{ID: "PX0301", Severity: Error, Summary: "translation must be filesystem or install",
		Source: "bb737304, bb737563, bb737323"}
	// RuleTranslationPlace: translation is valid only for the
	// FileOperation, Metabase and Registry CSPs (bb737304, bb737563), and
	// on the Install CSP's InstallDir parm (gg155004).
	RuleTranslationPlace = Rule{ID: "PX0302", Severity: Warning, Summary: "translation is only honoured by FileOperation, Metabase, Registry and Install's InstallDir",
		Source: "bb737304, bb737563; gg155004 (Install: translation on InstallDir)"}
	// RuleMwid: mwid, when present, is 1 (bb737323).
	RuleMwid = Rule{ID: "PX0303", Severity: Error, Summary: "mwid must be 1",
		Source: "bb737323"}
	// RuleRecursive: recursive on characteristic-query is true or false,
	// compared case-insensitively (bb737359).
	RuleRecursive = Rule{ID: "PX0304", Severity: Error, Summary: "recursive must be true or false",
		Source: "bb737359"}
)

// Configuration service providers (PX04xx).
var (
	// RuleUnknownCSP: a first-level characteristic type that is not a
	// documented CSP for the target (aa457946, ms889539); OEMs can add
	// their own, so this is a warning.
	RuleUnknownCSP = Rule{ID: "PX0401", Severity: Warning, Summary: "first-level characteristic is not a known CSP",
		Source: "wm6: aa457946, ms889539, bb737452, gg155004; w10m: configuration-service-provider-reference.md (2019, Mobile column; ../shared/ddf/SUPPORT.md)"}
	// RuleUninstallAlone: a document with UnInstall must contain nothing
	// else at its top level (aa455977).
	RuleUninstallAlone = Rule{ID: "PX0402", Severity: Error, Summary: "a document with UnInstall must contain only UnInstall",
		Source: "aa455977"}
	// RuleApplicationRoot: APPLICATION characteristics belong at the
	// document root (ms890848).
	RuleApplicationRoot = Rule{ID: "PX0403", Severity: Error, Summary: "APPLICATION must be a first-level characteristic",
		Source: "ms890848"}
	// RuleFavorite: a BrowserFavorite entry's type is the favourite's
	// name: non-empty and not a URL (bb737405).
	RuleFavorite = Rule{ID: "PX0404", Severity: Error, Summary: "BrowserFavorite entry name is empty or looks like a URL",
		Source: "bb737405"}
	// RuleCaseCSP: a first-level type that matches a known CSP only when
	// case is ignored; CSP names are spelt in fixed case (bb737206).
	RuleCaseCSP = Rule{ID: "PX0405", Severity: Warning, Summary: "CSP name differs from the documented spelling only in case",
		Source: "bb737206"}
	// RuleUnsupportedCSP: on w10m, a CSP that Microsoft documents but whose
	// row in the CSP reference gives no Windows 10 Mobile support (the
	// 2019 version of the page, the last with Mobile columns).
	RuleUnsupportedCSP = Rule{ID: "PX0406", Severity: Warning, Summary: "CSP is documented, but not for Windows 10 Mobile",
		Source: "configuration-service-provider-reference.md (2019, Mobile column; ../shared/ddf/SUPPORT.md)", Targets: TargetW10M}
)

// CSP device descriptions (PX06xx), w10m only. The nodes, formats, access
// types and allowed values come from Microsoft's DDF files
// (windows-itpro-docs mdm/*-ddf*.md, ../shared/ddf), compiled into
// csp_table.txt by internal/cspgen.
var (
	// RuleUnknownNode: a characteristic or parm that is not a node of its
	// CSP's description. Descriptions of different ages differ, so a
	// warning.
	RuleUnknownNode = Rule{ID: "PX0601", Severity: Warning, Summary: "not a node of the CSP's published description",
		Source: "the CSP's DDF (../shared/ddf); Policy and the other CSPs Windows 10 Mobile supports without a DDF in that set are known, but their nodes are not checked; Defender and Firewall have no DDF there either and are not supported on Mobile", Targets: TargetW10M}
	// RuleNodeFormat: a value that does not fit its node's DFFormat (int,
	// bool, b64, float, date; time is not checked, see checkFormat); the
	// CSP rejects it.
	RuleNodeFormat = Rule{ID: "PX0602", Severity: Error, Summary: "value does not fit the node's format",
		Source: "the CSP's DDF (DFFormat); OMA DM DDF 1.2 formats", Targets: TargetW10M}
	// RuleAllowedValue: a value outside the node's listed values or range.
	// The lists change between versions, so a warning.
	RuleAllowedValue = Rule{ID: "PX0603", Severity: Warning, Summary: "value is not one the node allows",
		Source: "the CSP's DDF (MSFT:AllowedValues ENUM and Range)", Targets: TargetW10M}
	// RuleNodeAccess: an operation the node's AccessType does not grant:
	// setting a Get-only node, deleting a node without Delete, executing
	// one without Exec.
	RuleNodeAccess = Rule{ID: "PX0604", Severity: Error, Summary: "the node's access type does not allow this operation (e.g. setting a Get-only node)",
		Source: "the CSP's DDF (AccessType)", Targets: TargetW10M}
	// RuleNodeKind: a characteristic naming a value node, or a parm naming
	// an interior node.
	RuleNodeKind = Rule{ID: "PX0605", Severity: Warning, Summary: "characteristic names a value, or parm names an interior node",
		Source: "the CSP's DDF (DFFormat node versus value formats)", Targets: TargetW10M}
)

// ROM file classes (PX07xx). The class comes from the file name
// (mxipcold_, mxip_, mxipupdate_; bb737254) or from Options.Class.
var (
	// RuleColdOnlyCSP: NAPDEF and PXLOGICAL written the OMA Client
	// Provisioning way must be placed in an mxipcold_ file (bb737631,
	// aa456060); in an update file they are applied again on every
	// package update.
	RuleColdOnlyCSP = Rule{ID: "PX0701", Severity: Error, Summary: "NAPDEF or PXLOGICAL in an mxipupdate_ file; it must be in an mxipcold_ file",
		Source: "bb737631, aa456060, bb737254", Targets: TargetWM6}
	// RuleInstallerOnly: the Install CSP and FileOperation's Extract work
	// on a cabinet being installed (gg155004, aa457894); a ROM
	// provisioning file has no cabinet, so they have no meaning there.
	RuleInstallerOnly = Rule{ID: "PX0702", Severity: Warning, Summary: "Install or FileOperation Extract has no meaning in a ROM provisioning file",
		Source: "gg155004, aa457894, bb737254"}
)

// Registry CSP (PX05xx).
var (
	// RuleHive: a Registry key path starts with HKLM\, HKCU\, HKCR\ or
	// HKU\ (ms886046, bb737351).
	RuleHive = Rule{ID: "PX0501", Severity: Error, Summary: "registry key path does not start with a known hive",
		Source: "ms886046, bb737351"}
	// RuleHKU is retired: it warned that HKU as the HKEY_USERS
	// abbreviation was unconfirmed, but the Registry CSP's DDF
	// (registry-ddf-file.md) documents an HKU node. It is never reported;
	// the ID stays so that suppress lists naming it remain valid.
	RuleHKU = Rule{ID: "PX0502", Severity: Warning, Summary: "retired (HKU is a documented hive); never reported",
		Source: "registry-ddf-file.md (the HKU node)"}
	// RuleKeyPath: no empty segments or trailing backslash in a key path
	// (aa456177).
	RuleKeyPath = Rule{ID: "PX0503", Severity: Error, Summary: "registry key path has an empty segment or a trailing backslash",
		Source: "aa456177"}
	// RuleRegistryDatatype: a Registry parm should carry a datatype; the
	// store is typed (aa456177, gg155033, registry-csp.md recommend it).
	// Without one the device stores a string, and Microsoft's imaging tool
	// writes such a parm into every phone image's cold-boot file, so this
	// is a warning.
	RuleRegistryDatatype = Rule{ID: "PX0504", Severity: Warning, Summary: "registry value has no datatype (it is stored as a string)",
		Source: "aa456177, gg155033, registry-csp.md recommend a datatype; Microsoft's imaging tool writes a Registry parm without one"}
	// RuleNestedKey: a characteristic inside a key characteristic does not
	// address a subkey (registry-csp.md).
	RuleNestedKey = Rule{ID: "PX0505", Severity: Warning, Summary: "a characteristic nested in a registry key is not a subkey",
		Source: "registry-csp.md"}
	// RuleRegistryName: key and value names are at most 255 characters
	// on Windows CE (ms886046).
	RuleRegistryName = Rule{ID: "PX0506", Severity: Error, Summary: "registry key or value name longer than 255 characters",
		Source: "ms886046"}
	// RuleRegistryDepth: at most 16 nested subkey levels on Windows CE
	// (ms886046).
	RuleRegistryDepth = Rule{ID: "PX0507", Severity: Error, Summary: "registry key path deeper than 16 levels",
		Source: "ms886046"}
	// RuleRegistryData: value data is at most 4 KB on Windows CE
	// (ms886046).
	RuleRegistryData = Rule{ID: "PX0508", Severity: Error, Summary: "registry value data larger than 4 KB",
		Source: "ms886046"}
	// RuleRegistryPlace: under the Registry CSP, parms belong inside a key
	// characteristic (gg155033, registry-csp.md).
	RuleRegistryPlace = Rule{ID: "PX0509", Severity: Error, Summary: "registry value outside a key characteristic",
		Source: "gg155033, registry-csp.md"}
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
	&RuleUnsupportedCSP,
	&RuleHive, &RuleHKU, &RuleKeyPath, &RuleRegistryDatatype, &RuleNestedKey,
	&RuleRegistryName, &RuleRegistryDepth, &RuleRegistryData, &RuleRegistryPlace,
	&RuleUnknownNode, &RuleNodeFormat, &RuleAllowedValue, &RuleNodeAccess, &RuleNodeKind,
	&RuleColdOnlyCSP, &RuleInstallerOnly,
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
