package provxml

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Targets whose rules differ.
const (
	TargetWM6  = "wm6"  // Windows Mobile 5/6.x, Windows Embedded Handheld 6.5
	TargetW10M = "w10m" // Windows Phone 8 / Windows 10 Mobile
)

// Options selects the rule set.
type Options struct {
	// Target is TargetWM6 (the default when empty) or TargetW10M.
	Target string
	// Class is the ROM file class, ClassCold or ClassUpdate; when empty it
	// is taken from the document's file name (mxipcold_, mxip_,
	// mxipupdate_), and a file named otherwise has no class.
	Class string
}

// ROM provisioning file classes (bb737254, ms889522).
const (
	ClassCold   = "cold"   // mxipcold_ or mxip_: processed at cold boot only
	ClassUpdate = "update" // mxipupdate_: also re-applied on every package update
)

// FileClass returns the ROM file class a file name implies, or "".
func FileClass(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToLower(name)
	switch {
	case strings.HasPrefix(name, "mxipupdate_"):
		return ClassUpdate
	case strings.HasPrefix(name, "mxipcold_"), strings.HasPrefix(name, "mxip_"):
		return ClassCold
	}
	return ""
}

// Datatypes lists the parm datatypes of the MSPROV DTD (bb737266).
var Datatypes = []string{"integer", "string", "float", "boolean", "binary", "multiplestring"}

// W10MDatatypes are the datatypes the W10M Registry CSP adds
// (registry-csp.md).
var W10MDatatypes = []string{"time", "date"}

// DatatypeAllowed reports whether target accepts datatype dt.
func DatatypeAllowed(target, dt string) bool {
	for _, d := range Datatypes {
		if d == dt {
			return true
		}
	}
	if target == TargetW10M {
		for _, d := range W10MDatatypes {
			if d == dt {
				return true
			}
		}
	}
	return false
}

// wm6CSPs are the first-level characteristic types documented for
// Windows Mobile 5/6 and 6.5: domain.md §2.3 (the CSP reference aa457946,
// ms889539, bb737452; the WBXML token tables bb737677, bb737655,
// bb737367; the WAP connectivity characteristics they accept), completed
// from the same reference: Install, which CabWiz's _setup.xml files open
// with (gg155004, aa459075), ACCESS (aa456229), NAP, Wi-Fi (aa456093),
// DMAcc, DevDetail, DevInfo, DeviceInformation (bb737683), Tapi
// (bb737554), VoIP (its WM 6.5 page), SMS and CertificateEnroller.
var wm6CSPs = []string{
	"Registry", "FileOperation", "Metabase", "CM_GPRSEntries", "CM_ProxyEntries",
	"CM_PPPEntries", "CM_VPNEntries", "CM_NetEntries", "CM_Networks", "CM_Planner",
	"CM_Mappings", "CM_WiFiEntries", "BrowserFavorite", "CertificateStore",
	"SecurityPolicy", "Sync", "UnInstall", "Home", "Clock", "Sounds", "EMAIL2",
	"Bluetooth", "Obex", "SpeedDial", "LoaderRevocation", "BOOTSTRAP", "APPLICATION",
	"NAPDEF", "PXLOGICAL", "PXPHYSICAL",
	"Install", "ACCESS", "NAP", "Wi-Fi", "DMAcc", "DevDetail", "DevInfo",
	"CertificateEnroller", "DeviceInformation", "SMS", "Tapi", "VoIP",
}

// wm6Set holds wm6CSPs for lookups, built on first use.
var wm6Set = sync.OnceValue(func() map[string]bool {
	m := make(map[string]bool, len(wm6CSPs))
	for _, k := range wm6CSPs {
		m[k] = true
	}
	return m
})

// KnownCSP reports whether typ is a documented CSP for target: for wm6 the
// Windows Mobile list above, for w10m every CSP the CSP reference marks
// as supported on Windows 10 Mobile (csp_table.txt).
func KnownCSP(target, typ string) bool {
	if target == TargetW10M {
		info := lookupCSP(typ)
		return info != nil && info.mobile
	}
	return wm6Set()[typ]
}

// cspFold returns the documented spelling of a CSP that differs from typ
// only in case, or "".
func cspFold(target, typ string) string {
	if target == TargetW10M {
		if k := cspData().fold[strings.ToLower(typ)]; k != "" && KnownCSP(target, k) {
			return k
		}
		return ""
	}
	for _, k := range wm6CSPs {
		if strings.EqualFold(k, typ) {
			return k
		}
	}
	return ""
}

// Attributes each element may carry (bb737266, bb737503, ms844861,
// bb737359, gg155033). Response attributes (desc) belong to *-error
// elements, which are reported on their own.
var elementAttrs = map[string][]string{
	ElemRoot:                {"version"},
	ElemCharacteristic:      {"type", "translation", "mwid"},
	ElemParm:                {"name", "value", "datatype", "translation", "semantic-type", "maxvalue", "minvalue", "maxlength", "options", "multiple", "label", "readonly"},
	ElemNoparm:              {"name", "value"},
	ElemNocharacteristic:    {"type", "mwid"},
	ElemCharacteristicQuery: {"type", "recursive", "mwid"},
	ElemParmQuery:           {"name"},
}

var responseElements = map[string]bool{
	ElemCharacteristicError: true, ElemParmError: true, ElemNoparmError: true,
	ElemNocharacteristicError: true, ElemCharacteristicQueryError: true, ElemParmQueryError: true,
}

// Check applies every rule to doc and returns all findings sorted by
// position.
func Check(doc *Document, opt Options) []Finding {
	if opt.Target == "" {
		opt.Target = TargetWM6
	}
	if opt.Class == "" {
		opt.Class = FileClass(doc.Name)
	}
	c := &checker{doc: doc, opt: opt}
	if doc.BOM && opt.Target == TargetWM6 {
		c.add(Pos{1, 1}, &RuleBOM, "UTF-8 byte-order mark at the start of the file; whether the device tolerates it is undocumented: save without BOM")
	}
	if enc := doc.Encoding; enc != "" && !strings.EqualFold(enc, "utf-8") && !strings.EqualFold(enc, "utf8") {
		c.add(doc.EncodingPos, &RuleDeclaredEncoding, "encoding=%q: the device reads only UTF-8; convert the file and declare encoding=\"utf-8\"", short(enc))
	}
	if doc.Root != nil {
		c.root(doc.Root)
	}
	SortFindings(c.out)
	return c.out
}

// Lint parses data and checks it; a syntax error becomes a finding.
func Lint(name string, data []byte, popt ParseOptions, opt Options) (*Document, []Finding) {
	doc, err := Parse(name, data, popt)
	if err != nil {
		if se, ok := err.(*SyntaxError); ok {
			return nil, []Finding{se.Finding()}
		}
		return nil, []Finding{{File: name, Pos: Pos{1, 1}, Rule: &RuleSyntax, Msg: err.Error()}}
	}
	return doc, Check(doc, opt)
}

type checker struct {
	doc *Document
	opt Options
	out []Finding
}

func (c *checker) add(pos Pos, r *Rule, format string, args ...any) {
	c.out = append(c.out, Finding{File: c.doc.Name, Pos: pos, Rule: r, Msg: fmt.Sprintf(format, args...)})
}

// scope is what the checker knows about an element's ancestors.
type scope struct {
	csp      string   // type of the first-level characteristic
	depth    int      // 1 for a first-level element
	key      *Element // the Registry key characteristic, if inside one
	keyDepth int      // levels of the key path below the hive
	node     *cspNode // w10m: the description's node the children belong to
	path     string   // w10m: the node path, for messages
}

func (c *checker) root(root *Element) {
	if root.Name != ElemRoot {
		c.add(root.Pos, &RuleRoot, "root element is <%s>; a provisioning document starts with <%s>", root.Name, ElemRoot)
		return
	}
	c.attrs(root)
	if v, ok := root.Attr("version"); ok && v != "1.0" && v != "1.1" {
		c.add(root.AttrPos("version"), &RuleVersion, "version=%q: wap-provisioningdoc version is 1.0 or 1.1 (or absent)", short(v))
	}
	if root.Text != "" {
		c.add(root.TextPos, &RuleContent, "text %q directly inside <%s>; only characteristics belong here", short(root.Text), ElemRoot)
	}
	var uninstall *Element
	for _, ch := range root.Children {
		if t, _ := ch.Attr("type"); t == "UnInstall" && ch.Name == ElemCharacteristic {
			uninstall = ch
			break
		}
	}
	for _, ch := range root.Children {
		switch ch.Name {
		case ElemCharacteristic, ElemNocharacteristic, ElemCharacteristicQuery:
			typ, _ := ch.Attr("type")
			if typ != "" && !KnownCSP(c.opt.Target, typ) {
				c.unknownCSP(ch, typ)
			}
			if uninstall != nil && ch != uninstall && typ != "UnInstall" {
				c.add(ch.Pos, &RuleUninstallAlone, "a document with UnInstall (at %s) must contain nothing else; move <%s type=%q> to another file", uninstall.Pos, ch.Name, typ)
			}
			if ch.Name == ElemCharacteristic {
				c.romClass(ch, typ)
			}
			sc := scope{csp: typ, depth: 1}
			if c.opt.Target == TargetW10M && ch.Name == ElemCharacteristic && typ != "Registry" {
				// Registry keys are checked by rule; its description
				// stops at the hives.
				if info := lookupCSP(typ); info != nil && info.mobile && info.root != nil {
					sc.node, sc.path = info.root, typ
				}
			}
			c.element(ch, root, sc)
		case ElemParm, ElemNoparm, ElemParmQuery:
			c.add(ch.Pos, &RulePlacement, "<%s> directly under <%s>; it belongs inside a <characteristic>", ch.Name, ElemRoot)
		default:
			c.element(ch, root, scope{depth: 1})
		}
	}
}

// unknownCSP reports a first-level type that is not a known CSP of the
// target.
func (c *checker) unknownCSP(e *Element, typ string) {
	pos := e.AttrPos("type")
	if k := cspFold(c.opt.Target, typ); k != "" {
		c.add(pos, &RuleCaseCSP, "CSP %q is documented as %q; CSP names are case-sensitive", short(typ), k)
		return
	}
	if c.opt.Target == TargetW10M {
		if info := lookupCSP(typ); info != nil {
			c.add(pos, &RuleUnsupportedCSP, "%q is documented for desktop editions, but the CSP reference lists no Windows 10 Mobile support", short(typ))
			return
		}
		if wm6Set()[typ] {
			c.add(pos, &RuleUnknownCSP, "%q is a Windows Mobile 6 CSP; Windows 10 Mobile does not document it", short(typ))
			return
		}
	}
	c.add(pos, &RuleUnknownCSP, "%q is not a known %s CSP; check the spelling, or suppress PX0401 if it is your own", short(typ), c.opt.Target)
}

// romClass applies the rules that depend on the ROM file class to a
// first-level characteristic.
func (c *checker) romClass(e *Element, typ string) {
	if c.opt.Class == "" {
		return
	}
	if c.opt.Class == ClassUpdate && c.opt.Target == TargetWM6 && (typ == "NAPDEF" || typ == "PXLOGICAL") {
		c.add(e.Pos, &RuleColdOnlyCSP, "%s written the OMA Client Provisioning way must be placed in an mxipcold_ file; an update file re-applies it on every package update", typ)
	}
	switch typ {
	case "Install":
		c.add(e.Pos, &RuleInstallerOnly, "the Install CSP describes a cabinet being installed; a ROM provisioning file has none, so it does nothing here: remove it")
	case "FileOperation":
		c.extract(e)
	}
}

// extract reports FileOperation Extract operations, which copy a file out
// of the cabinet being installed.
func (c *checker) extract(e *Element) {
	for _, ch := range e.Children {
		if ch.Name != ElemCharacteristic {
			continue
		}
		if t, _ := ch.Attr("type"); t == "Extract" {
			c.add(ch.Pos, &RuleInstallerOnly, "FileOperation Extract copies a file out of the cabinet being installed; a ROM provisioning file has none: ship the file in the package instead")
			continue
		}
		c.extract(ch)
	}
}

func (c *checker) attrs(e *Element) {
	known := elementAttrs[e.Name]
	for _, a := range e.Attrs {
		// The parser refuses these; a document built in memory (inline
		// settings from the manifest) must be refused too, or it would be
		// written out as XML no reader accepts.
		if c.doc.parsed {
			break
		}
		if r, ok := invalidChar(a.Value); ok {
			c.add(a.Pos, &RuleSyntax, "%s=%q holds U+%04X, a character XML 1.0 does not allow in a document: remove it", short(a.Name), short(a.Value), r)
		}
	}
outer:
	for _, a := range e.Attrs {
		if a.Name == "xmlns" || strings.HasPrefix(a.Name, "xmlns:") {
			continue
		}
		for _, k := range known {
			if a.Name == k {
				continue outer
			}
		}
		if a.Name == "exec" && c.opt.Target == TargetW10M && (e.Name == ElemParm || e.Name == ElemCharacteristic) {
			continue // written by the platform's generators on Exec nodes
		}
		c.add(a.Pos, &RuleUnknownAttr, "<%s> has no attribute %q in the MSPROV DTD", short(e.Name), short(a.Name))
	}
}

// invalidChar returns the first rune of s that is not an XML 1.0 Char.
func invalidChar(s string) (rune, bool) {
	for _, r := range s {
		if !isXMLChar(r) {
			return r, true
		}
	}
	return 0, false
}

func (c *checker) element(e, parent *Element, sc scope) {
	if responseElements[e.Name] {
		c.add(e.Pos, &RuleResponseElement, "<%s> appears only in device responses; a ROM provisioning file is a request: remove it", e.Name)
		return
	}
	if e.Name == ElemRoot {
		c.add(e.Pos, &RulePlacement, "a <%s> nested inside <%s>: a provisioning document has exactly one root; move its characteristics into the outer document or into a file of their own", ElemRoot, parent.Name)
		return
	}
	if _, ok := elementAttrs[e.Name]; !ok {
		hint := ""
		for k := range elementAttrs {
			if strings.EqualFold(k, e.Name) {
				hint = fmt.Sprintf(" (did you mean <%s>? element names are case-sensitive)", k)
			}
		}
		c.add(e.Pos, &RuleUnknownElement, "<%s> is not an MSPROV element%s", short(e.Name), hint)
		return
	}
	c.attrs(e)
	if e.Text != "" {
		c.add(e.TextPos, &RuleContent, "text %q inside <%s>; MSPROV elements carry their data in attributes", short(e.Text), e.Name)
	}
	switch e.Name {
	case ElemCharacteristic:
		c.characteristic(e, parent, sc)
		return
	case ElemCharacteristicQuery:
		c.required(e, "type")
		c.ddfChild(e, sc, "type")
		c.add(e.Pos, &RuleQuery, "<%s> asks the device for values; in a ROM file nobody reads the answer: remove it", e.Name)
		if v, ok := e.Attr("recursive"); ok && !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			c.add(e.AttrPos("recursive"), &RuleRecursive, "recursive=%q: write true or false", short(v))
		}
		c.mwid(e)
		c.registryPath(e, sc)
	case ElemNocharacteristic:
		c.required(e, "type")
		c.ddfDelete(e, sc, "type")
		c.mwid(e)
		c.registryPath(e, sc)
	case ElemParm:
		c.requiredName(e, sc)
		c.parm(e, sc)
	case ElemNoparm:
		c.requiredName(e, sc)
		c.ddfDelete(e, sc, "name")
		c.registryPlace(e, sc)
	case ElemParmQuery:
		c.required(e, "name")
		c.ddfChild(e, sc, "name")
		c.add(e.Pos, &RuleQuery, "<%s> asks the device for a value; in a ROM file nobody reads the answer: remove it", e.Name)
	}
	for _, ch := range e.Children {
		c.add(ch.Pos, &RuleContent, "<%s> must be empty, but contains <%s>", e.Name, ch.Name)
	}
}

// requiredName checks the name of a parm or noparm. Inside a registry key
// name="" addresses the key's default value, as CabWiz writes it.
func (c *checker) requiredName(e *Element, sc scope) {
	if v, ok := e.Attr("name"); ok && v == "" && sc.csp == "Registry" && sc.key != nil {
		return
	}
	c.required(e, "name")
}

// required checks that attr is present and not empty.
func (c *checker) required(e *Element, attr string) {
	v, ok := e.Attr(attr)
	switch {
	case !ok:
		c.add(e.Pos, &RuleRequiredAttr, "<%s> has no %s attribute", e.Name, attr)
	case strings.TrimSpace(v) == "":
		c.add(e.AttrPos(attr), &RuleRequiredAttr, "<%s> has an empty %s", e.Name, attr)
	}
}

func (c *checker) mwid(e *Element) {
	if v, ok := e.Attr("mwid"); ok && v != "1" {
		c.add(e.AttrPos("mwid"), &RuleMwid, "mwid=%q: mwid is 1 when present (it marks a NAP or proxy ID)", short(v))
	}
}

func (c *checker) translation(e *Element, sc scope) {
	v, ok := e.Attr("translation")
	if !ok {
		return
	}
	if v != "filesystem" && v != "install" {
		c.add(e.AttrPos("translation"), &RuleTranslation, "translation=%q: write filesystem or install", short(v))
	}
	switch sc.csp {
	case "FileOperation", "Metabase", "Registry":
	case "Install":
		// The Install CSP accepts translation on its InstallDir parm
		// (gg155004), where CabWiz writes translation="install".
		if name, _ := e.Attr("name"); e.Name == ElemParm && name == "InstallDir" {
			break
		}
		c.add(e.AttrPos("translation"), &RuleTranslationPlace, "translation under Install is honoured only on its InstallDir parm")
	default:
		if sc.csp != "" || e.Name != ElemCharacteristic || sc.depth > 1 {
			c.add(e.AttrPos("translation"), &RuleTranslationPlace, "translation under %q is ignored; only FileOperation, Metabase and Registry honour it", cspName(sc.csp, e))
		}
	}
}

func cspName(csp string, e *Element) string {
	if csp != "" {
		return csp
	}
	t, _ := e.Attr("type")
	return t
}

func (c *checker) characteristic(e, parent *Element, sc scope) {
	c.required(e, "type")
	c.mwid(e)
	typ, _ := e.Attr("type")
	if sc.depth == 1 {
		sc.csp = typ
	}
	c.translation(e, sc)
	child := scope{csp: sc.csp, depth: sc.depth + 1, key: sc.key, keyDepth: sc.keyDepth}
	if sc.depth > 1 {
		if n := c.ddfChild(e, sc, "type"); n != nil {
			if !n.interior() && n.format != "" {
				c.add(e.AttrPos("type"), &RuleNodeKind, "%s/%s is a value (format %s), not a node that holds others: set it with <parm name=%q value=…/>", sc.path, short(typ), n.format, short(typ))
			} else {
				child.node, child.path = n, sc.path+"/"+typ
			}
		}
	} else {
		child.node, child.path = sc.node, sc.path
	}
	if typ == "APPLICATION" && sc.depth > 1 {
		c.add(e.Pos, &RuleApplicationRoot, "APPLICATION must be a first-level characteristic, directly under <%s>", ElemRoot)
	}
	if sc.csp == "BrowserFavorite" && sc.depth == 2 && typ != "" {
		if looksLikeURL(typ) {
			c.add(e.AttrPos("type"), &RuleFavorite, "favourite name %q looks like a URL; the type is the name shown to the user, the URL goes in <parm name=\"URL\">", typ)
		}
	}
	if sc.csp == "Registry" && sc.depth == 2 {
		child.key = e
		child.keyDepth = c.keyPath(e)
	} else if sc.key != nil {
		c.add(e.Pos, &RuleNestedKey, "a characteristic inside registry key %s does not address a subkey; write a separate characteristic with the full path", q(keyOf(sc.key)))
		child.key = nil
	}
	for _, ch := range e.Children {
		c.element(ch, e, child)
	}
}

func keyOf(e *Element) string { t, _ := e.Attr("type"); return t }

func looksLikeURL(s string) bool {
	l := strings.ToLower(s)
	return strings.Contains(l, "://") || strings.HasPrefix(l, "www.")
}

// registryPath checks nocharacteristic and characteristic-query elements
// naming a key directly under the Registry CSP.
func (c *checker) registryPath(e *Element, sc scope) {
	if sc.csp == "Registry" && sc.depth == 2 {
		c.keyPath(e)
	}
}

// registryPlace reports parms written directly under the Registry CSP.
func (c *checker) registryPlace(e *Element, sc scope) bool {
	if sc.csp == "Registry" && sc.key == nil && sc.depth == 2 {
		c.add(e.Pos, &RuleRegistryPlace, "<%s> directly under the Registry CSP; put it inside <characteristic type=\"HKLM\\…\"> naming its key", e.Name)
		return false
	}
	return true
}

var hives = map[string]bool{"HKLM": true, "HKCU": true, "HKCR": true, "HKU": true}

var longHives = map[string]string{
	"HKEY_LOCAL_MACHINE": "HKLM", "HKEY_CURRENT_USER": "HKCU",
	"HKEY_CLASSES_ROOT": "HKCR", "HKEY_USERS": "HKU",
}

// SplitKeyPath splits a registry key path at single backslashes; a doubled
// backslash is a literal backslash inside a name (aa456177). It reports
// whether any segment is empty.
func SplitKeyPath(path string) (segs []string, empty bool) {
	if !strings.Contains(path, `\\`) {
		segs = strings.Split(path, `\`)
		for _, s := range segs {
			empty = empty || s == ""
		}
		return segs, empty
	}
	var cur strings.Builder
	for i := 0; i < len(path); i++ {
		if path[i] != '\\' {
			cur.WriteByte(path[i])
			continue
		}
		if i+1 < len(path) && path[i+1] == '\\' {
			cur.WriteByte('\\')
			i++
			continue
		}
		if cur.Len() == 0 {
			empty = true
		}
		segs = append(segs, cur.String())
		cur.Reset()
	}
	if cur.Len() == 0 {
		empty = true
	}
	segs = append(segs, cur.String())
	return segs, empty
}

// keyPath checks a registry key path and returns its depth below the hive.
func (c *checker) keyPath(e *Element) int {
	path, ok := e.Attr("type")
	if !ok || path == "" {
		return 0
	}
	pos := e.AttrPos("type")
	segs, empty := SplitKeyPath(path)
	hive := segs[0]
	switch {
	case hives[hive]:
	case longHives[strings.ToUpper(hive)] != "":
		c.add(pos, &RuleHive, "key %s: write the hive as %s\\, not %s\\", q(path), longHives[strings.ToUpper(hive)], hive)
	case hives[strings.ToUpper(hive)]:
		c.add(pos, &RuleHive, "key %s: write the hive in capitals, %s\\", q(path), strings.ToUpper(hive))
	default:
		c.add(pos, &RuleHive, "key %s does not start with a hive; write HKLM\\, HKCU\\, HKCR\\ or HKU\\ followed by the key", q(path))
	}
	if empty {
		if strings.HasSuffix(path, `\`) && !strings.HasSuffix(path, `\\`) {
			c.add(pos, &RuleKeyPath, "key %s ends with a backslash: remove it", q(path))
		} else {
			c.add(pos, &RuleKeyPath, "key %s has an empty segment; a backslash inside a name is written \\\\", q(path))
		}
	}
	for _, s := range segs {
		if n := utf8Len(s); n > 255 {
			c.add(pos, &RuleRegistryName, "key name %s… is %d characters; Windows CE allows 255", q(short(s)), n)
		}
	}
	depth := len(segs) - 1
	if depth > 16 {
		c.add(pos, &RuleRegistryDepth, "key %s is %d levels below the hive; Windows CE allows 16", q(short(path)), depth)
	}
	return depth
}

func utf8Len(s string) int { return len([]rune(s)) }

func (c *checker) parm(e *Element, sc scope) {
	c.translation(e, sc)
	c.ddfParm(e, sc, c.parmValue(e, sc))
}

// parmValue applies the Registry and datatype rules to a parm and reports
// whether it found the value wrong for its datatype.
func (c *checker) parmValue(e *Element, sc scope) (valueReported bool) {
	inRegistry := sc.csp == "Registry"
	if inRegistry && !c.registryPlace(e, sc) {
		inRegistry = false
	}
	name, _ := e.Attr("name")
	value, hasValue := e.Attr("value")
	dt, hasDT := e.Attr("datatype")
	if inRegistry && sc.key != nil {
		if !hasDT {
			c.add(e.Pos, &RuleRegistryDatatype, "registry value %q has no datatype, so the device stores a string; add datatype=\"%s\" to make the type explicit", short(name), guessDatatype(value))
		}
		if n := utf8Len(name); n > 255 {
			c.add(e.AttrPos("name"), &RuleRegistryName, "value name is %d characters; Windows CE allows 255", n)
		}
	}
	if !hasDT {
		return false
	}
	dtPos := e.AttrPos("datatype")
	if !inRegistry && c.opt.Target == TargetWM6 {
		c.add(dtPos, &RuleDatatypeOutsideRegistry, "datatype on a %q parm is ignored; it is only meaningful under the Registry CSP", cspName(sc.csp, e))
	}
	if !DatatypeAllowed(c.opt.Target, dt) {
		switch {
		case DatatypeAllowed(TargetW10M, dt):
			c.add(dtPos, &RuleDatatype, "datatype %q exists only on w10m; for %s store it as string or binary", dt, c.opt.Target)
		default:
			c.add(dtPos, &RuleDatatype, "datatype %q is not one of %s%s", short(dt), strings.Join(allowedDatatypes(c.opt.Target), ", "), datatypeHint(dt))
		}
		return false
	}
	if !hasValue {
		return false
	}
	vpos := e.AttrPos("value")
	if msg := CheckValue(dt, value, inRegistry); msg != "" {
		c.add(vpos, valueRule(dt), "%s", msg)
		valueReported = true
	}
	if inRegistry {
		if n := registrySize(dt, value); n > 4096 {
			c.add(vpos, &RuleRegistryData, "value data is %d bytes; Windows CE allows 4096 per registry value", n)
		}
	}
	return valueReported
}

func allowedDatatypes(target string) []string {
	if target == TargetW10M {
		return append(append([]string(nil), Datatypes...), W10MDatatypes...)
	}
	return Datatypes
}

func datatypeHint(dt string) string {
	switch strings.ToLower(dt) {
	case "dword", "int", "reg_dword", "number", "uint":
		return " (a REG_DWORD is datatype=\"integer\")"
	case "sz", "reg_sz", "str", "text", "expandstring", "reg_expand_sz":
		return " (a REG_SZ is datatype=\"string\")"
	case "multi_sz", "reg_multi_sz", "multistring":
		return " (a REG_MULTI_SZ is datatype=\"multiplestring\")"
	case "bool":
		return " (write datatype=\"boolean\")"
	case "reg_binary", "hex", "base64":
		return " (a REG_BINARY is datatype=\"binary\", Base64)"
	}
	for _, d := range Datatypes {
		if strings.EqualFold(d, dt) {
			return fmt.Sprintf(" (datatypes are lower case: %q)", d)
		}
	}
	return ""
}

func guessDatatype(v string) string {
	if _, err := strconv.ParseInt(v, 10, 32); err == nil {
		return "integer"
	}
	return "string"
}

func valueRule(dt string) *Rule {
	switch dt {
	case "integer":
		return &RuleInteger
	case "boolean":
		return &RuleBoolean
	case "binary":
		return &RuleBinary
	case "multiplestring":
		return &RuleMultiString
	case "float":
		return &RuleFloat
	default:
		return &RuleTime
	}
}

// The value patterns are compiled when first needed: most runs meet no
// float, time or date value, and compiling them cost every start-up.
var (
	floatRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
	})
	dateRe  = `([0-9]{4})-([0-9]{2})-([0-9]{2})`
	timeRe  = `([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?`
	timeVal = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:` + dateRe + `T)?` + timeRe + `$`) })
	dateVal = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^` + dateRe + `(?:T` + timeRe + `)?$`) })
)

// CheckValue checks value against datatype dt and returns a message
// saying what is wrong, or "" when the value is fine. inRegistry selects
// the Registry CSP's stricter boolean form.
func CheckValue(dt, value string, inRegistry bool) string {
	switch dt {
	case "integer":
		if _, err := strconv.ParseInt(value, 10, 32); err != nil {
			if n, err2 := strconv.ParseInt(value, 10, 64); err2 == nil {
				if n >= 0 && n <= 0xFFFFFFFF {
					return fmt.Sprintf("integer %s is outside the signed 32-bit range -2147483648..2147483647; as a signed DWORD write %d", short(value), int32(uint32(n)))
				}
				return fmt.Sprintf("integer %s is outside the signed 32-bit range -2147483648..2147483647", short(value))
			}
			if strings.HasPrefix(strings.ToLower(value), "0x") {
				if n, err := strconv.ParseUint(value[2:], 16, 32); err == nil {
					return fmt.Sprintf("integer %q is hexadecimal; write it in decimal: %d", short(value), int32(uint32(n)))
				}
			}
			if strings.TrimSpace(value) != value {
				return fmt.Sprintf("integer %q has white space around it", short(value))
			}
			return fmt.Sprintf("integer %q is not a decimal number", short(value))
		}
	case "boolean":
		if value == "0" || value == "1" {
			return ""
		}
		if !inRegistry && (strings.EqualFold(value, "true") || strings.EqualFold(value, "false")) {
			return ""
		}
		return fmt.Sprintf("boolean %q: write 1 or 0", short(value))
	case "binary":
		compact := value
		if strings.ContainsAny(value, " \n\r\t") {
			compact = strings.Map(func(r rune) rune {
				if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
					return -1
				}
				return r
			}, value)
		}
		if _, err := base64.StdEncoding.DecodeString(compact); err != nil {
			return fmt.Sprintf("binary value is not Base64 (%v); encode the bytes with base64", err)
		}
	case "multiplestring":
		if !strings.HasSuffix(value, "\uF000\uF000") {
			return "multiplestring must separate items with &#xF000; and end with &#xF000;&#xF000;"
		}
	case "float":
		if !floatRe().MatchString(value) {
			return fmt.Sprintf("float %q is not a decimal number such as 1.5 or -2e3", short(value))
		}
	case "time":
		if !validTime(timeVal(), short(value)) {
			return fmt.Sprintf("time %q is not ISO 8601, e.g. 2024-05-01T13:45:00Z or 13:45:00", short(value))
		}
	case "date":
		if !validTime(dateVal(), short(value)) {
			return fmt.Sprintf("date %q is not ISO 8601, e.g. 2024-05-01 or 2024-05-01T13:45:00Z", short(value))
		}
	}
	return ""
}

// validTime matches re and checks the ranges of the captured fields.
func validTime(re *regexp.Regexp, v string) bool {
	m := re.FindStringSubmatch(v)
	if m == nil {
		return false
	}
	// Both expressions capture year, month, day, hour, minute, second.
	limits := []int{9999, 12, 31, 23, 59, 60}
	for i, s := range m[1:] {
		if s == "" {
			continue
		}
		n, _ := strconv.Atoi(s)
		lo := 0
		if i == 1 || i == 2 {
			lo = 1
		}
		if n < lo || n > limits[i] {
			return false
		}
	}
	return true
}

// registrySize estimates the stored size of a value in bytes: strings are
// UTF-16 with a terminator, binary is the decoded length.
func registrySize(dt, value string) int {
	switch dt {
	case "integer", "boolean":
		return 4
	case "time", "date":
		return 8
	case "binary":
		return base64.StdEncoding.DecodedLen(len(value))
	default:
		n := 1 // the terminating NUL
		for _, r := range value {
			n++
			if r > 0xFFFF {
				n++ // a surrogate pair
			}
		}
		return 2 * n
	}
}

// q quotes s for a one-line message: backslashes stay as they are (registry
// paths are full of them), control characters are escaped.
func q(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == 0xF000:
			b.WriteString(`&#xF000;`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func short(s string) string {
	if len(s) <= 40 {
		return s
	}
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
