package provxml

import (
	"strings"
	"testing"
)

const decl = `<?xml version="1.0" encoding="utf-8"?>` + "\n"

func doc(body string) string {
	return decl + "<wap-provisioningdoc>\n" + body + "\n</wap-provisioningdoc>\n"
}

func csp(typ, body string) string {
	return doc(`<characteristic type="` + typ + `">` + body + `</characteristic>`)
}

func reg(key, parms string) string {
	return csp("Registry", `<characteristic type="`+key+`">`+parms+`</characteristic>`)
}

func regParm(value, datatype string) string {
	return reg(`HKLM\Software\Contoso`, `<parm name="V" value="`+value+`" datatype="`+datatype+`"/>`)
}

func nest(n int) string {
	return strings.Repeat(`<characteristic type="A">`, n) + `<parm name="x"/>` + strings.Repeat(`</characteristic>`, n)
}

var ruleTable = []struct {
	rule        *Rule
	target      string
	trip, clean string
}{
	{&RuleSyntax, "", doc(`<characteristic type="Clock">`), doc(`<characteristic type="Clock"/>`)},
	{&RuleSyntax, "", doc(`<characteristic type="Clock" a="1" a="2"/>`), doc(`<characteristic type="Clock" mwid="1"/>`)},
	{&RuleSyntax, "", doc(`<!-- a -- b -->`), doc(`<!-- a - b -->`)},
	{&RuleSyntax, "", doc(`<characteristic type="A&B"/>`), doc(`<characteristic type="A&amp;B"/>`)},
	{&RuleEncoding, "", "\xff\xfe<\x00w\x00", doc("")},
	{&RuleEncoding, "", doc(`<characteristic type="Caf` + "\xe9" + `"/>`), doc(`<characteristic type="Café"/>`)},
	{&RuleEncoding, "", "<\x00w\x00a\x00", doc("")},
	{&RuleDeclaredEncoding, "", `<?xml version="1.0" encoding="ISO-8859-1"?><wap-provisioningdoc/>`, `<?xml version="1.0" encoding="UTF-8"?><wap-provisioningdoc/>`},
	{&RuleBOM, "", "\xEF\xBB\xBF" + doc(""), doc("")},
	{&RuleDTD, "", `<!DOCTYPE wap-provisioningdoc [<!ENTITY a "aaaa">]><wap-provisioningdoc/>`,
		`<!DOCTYPE wap-provisioningdoc PUBLIC "-//WAPFORUM//DTD PROV 1.0//EN" "http://www.wapforum.org/DTD/prov.dtd"><wap-provisioningdoc/>`},
	{&RuleLimit, "", doc(nest(DefaultMaxDepth + 1)), doc(nest(20))},
	{&RuleRoot, "", decl + `<provisioningdoc/>`, decl + `<wap-provisioningdoc/>`},
	{&RuleVersion, "", decl + `<wap-provisioningdoc version="2.0"/>`, decl + `<wap-provisioningdoc version="1.1"/>`},
	{&RuleUnknownElement, "", csp("Clock", `<Parm name="a" value="1"/>`), csp("Clock", `<parm name="a" value="1"/>`)},
	{&RulePlacement, "", doc(`<parm name="a" value="1"/>`), csp("Clock", `<parm name="a" value="1"/>`)},
	{&RuleRequiredAttr, "", doc(`<characteristic><parm name="a"/></characteristic>`), csp("Clock", `<parm name="a"/>`)},
	{&RuleRequiredAttr, "", csp("Clock", `<parm name="" value="1"/>`), csp("Clock", `<parm name="a" value="1"/>`)},
	{&RuleUnknownAttr, "", doc(`<characteristic type="Clock" version="4.2"/>`), doc(`<characteristic type="Clock"/>`)},
	{&RuleContent, "", csp("Clock", `<parm name="a" value="1"><parm name="b"/></parm>`), csp("Clock", `<parm name="a" value="1"/>`)},
	{&RuleContent, "", csp("Clock", `stray text`), csp("Clock", "\n  \t ")},
	{&RuleResponseElement, "", csp("Clock", `<parm-error name="a" desc="failed"/>`), csp("Clock", `<parm name="a"/>`)},
	{&RuleQuery, "", doc(`<characteristic-query type="Clock"/>`), doc(`<characteristic type="Clock"/>`)},
	{&RuleQuery, "", csp("Clock", `<parm-query name="a"/>`), csp("Clock", `<noparm name="a"/>`)},
	{&RuleDatatypeOutsideRegistry, "", csp("Clock", `<parm name="a" value="1" datatype="integer"/>`), csp("Clock", `<parm name="a" value="1"/>`)},
	{&RuleDatatype, "", regParm("1", "dword"), regParm("1", "integer")},
	{&RuleDatatype, "", regParm("2024-01-01", "date"), regParm("2024-01-01", "string")},
	{&RuleInteger, "", regParm("2147483648", "integer"), regParm("2147483647", "integer")},
	{&RuleInteger, "", regParm("0x10", "integer"), regParm("-2147483648", "integer")},
	{&RuleBoolean, "", regParm("true", "boolean"), regParm("1", "boolean")},
	{&RuleBinary, "", regParm("not base64!", "binary"), regParm("AAECAw==", "binary")},
	{&RuleBinary, "", regParm("not base64!", "binary"), regParm("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\nHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7", "binary")}, // wrapped: longer than a message excerpt
	{&RuleMultiString, "", regParm("a&#xF000;b", "multiplestring"), regParm("a&#xF000;b&#xF000;&#xF000;", "multiplestring")},
	{&RuleFloat, "", regParm("1,5", "float"), regParm("-1.5e3", "float")},
	{&RuleTime, TargetW10M, regParm("25:00", "time"), regParm("2024-05-01T13:45:00Z", "time")},
	{&RuleTime, TargetW10M, regParm("2024-13-01", "date"), regParm("2024-12-31", "date")},
	{&RuleTranslation, "", csp("FileOperation", `<characteristic type="\Windows\A" translation="shell"/>`), csp("FileOperation", `<characteristic type="\Windows\A" translation="install"/>`)},
	{&RuleTranslationPlace, "", csp("Clock", `<parm name="a" value="1" translation="filesystem"/>`), csp("Metabase", `<parm name="a" value="1" translation="filesystem"/>`)},
	{&RuleMwid, "", csp("CM_ProxyEntries", `<characteristic type="P1" mwid="2"/>`), csp("CM_ProxyEntries", `<characteristic type="P1" mwid="1"/>`)},
	{&RuleRecursive, "", csp("Sync", `<characteristic-query type="Sources" recursive="yes"/>`), csp("Sync", `<characteristic-query type="Sources" recursive="FALSE"/>`)},
	{&RuleUnknownCSP, "", doc(`<characteristic type="Fooo"/>`), doc(`<characteristic type="Clock"/>`)},
	{&RuleUnknownCSP, "", doc(`<characteristic type="CM_CellularEntries"/>`), ""},
	{&RuleUnknownCSP, TargetW10M, doc(`<characteristic type="Fooo"/>`), doc(`<characteristic type="CM_CellularEntries"/>`)},
	{&RuleUninstallAlone, "", doc(`<characteristic type="UnInstall"><characteristic type="App"><parm name="uninstall" value="1"/></characteristic></characteristic><characteristic type="Clock"/>`),
		doc(`<characteristic type="UnInstall"><characteristic type="App"><parm name="uninstall" value="1"/></characteristic></characteristic>`)},
	{&RuleApplicationRoot, "", csp("BOOTSTRAP", `<characteristic type="APPLICATION"/>`), doc(`<characteristic type="APPLICATION"/>`)},
	{&RuleFavorite, "", csp("BrowserFavorite", `<characteristic type="http://contoso.com"><parm name="URL" value="http://contoso.com"/></characteristic>`),
		csp("BrowserFavorite", `<characteristic type="Contoso"><parm name="URL" value="http://contoso.com"/></characteristic>`)},
	{&RuleCaseCSP, "", doc(`<characteristic type="registry"/>`), doc(`<characteristic type="Registry"/>`)},
	{&RuleHive, "", reg(`HKXX\Software`, `<parm name="a" value="1" datatype="integer"/>`), reg(`HKCR\Software`, `<parm name="a" value="1" datatype="integer"/>`)},
	{&RuleHive, "", reg(`HKEY_LOCAL_MACHINE\Software`, `<parm name="a" value="1" datatype="integer"/>`), reg(`HKLM\Software`, `<parm name="a" value="1" datatype="integer"/>`)},
	{&RuleKeyPath, "", reg(`HKLM\Software\`, `<parm name="a" value="1" datatype="integer"/>`), reg(`HKLM\Soft\\ware`, `<parm name="a" value="1" datatype="integer"/>`)},
	{&RuleKeyPath, "", csp("Registry", `<nocharacteristic type="\HKLM\Software"/>`), csp("Registry", `<nocharacteristic type="HKLM\Software\Old"/>`)},
	{&RuleRegistryDatatype, "", reg(`HKLM\Software`, `<parm name="a" value="1"/>`), reg(`HKLM\Software`, `<parm name="a" value="1" datatype="integer"/><noparm name="b"/>`)},
	{&RuleNestedKey, "", reg(`HKLM\Software`, `<characteristic type="Sub"><parm name="a" value="1" datatype="integer"/></characteristic>`), reg(`HKLM\Software\Sub`, `<parm name="a" value="1" datatype="integer"/>`)},
	{&RuleRegistryName, "", reg(`HKLM\Software`, `<parm name="`+strings.Repeat("n", 256)+`" value="1" datatype="integer"/>`), reg(`HKLM\Software`, `<parm name="`+strings.Repeat("n", 255)+`" value="1" datatype="integer"/>`)},
	{&RuleRegistryName, "", reg(`HKLM\`+strings.Repeat("k", 256), `<parm name="a" value="1" datatype="integer"/>`), reg(`HKLM\`+strings.Repeat("k", 255), `<parm name="a" value="1" datatype="integer"/>`)},
	{&RuleRegistryDepth, "", reg(`HKLM`+strings.Repeat(`\k`, 17), `<parm name="a" value="1" datatype="integer"/>`), reg(`HKLM`+strings.Repeat(`\k`, 16), `<parm name="a" value="1" datatype="integer"/>`)},
	{&RuleRegistryData, "", regParm(strings.Repeat("x", 2100), "string"), regParm(strings.Repeat("x", 2000), "string")},
	{&RuleRegistryPlace, "", csp("Registry", `<parm name="a" value="1" datatype="integer"/>`), reg(`HKLM\Software`, `<parm name="a" value="1" datatype="integer"/>`)},

	// What the platform's own tools write is not a finding.
	{&RuleBOM, TargetW10M, "", "\xEF\xBB\xBF" + doc("")},
	{&RuleDatatypeOutsideRegistry, TargetW10M, "", csp("DMClient", `<characteristic type="Provider"><characteristic type="Contoso"><parm name="EntDeviceName" value="Phone" datatype="string"/></characteristic></characteristic>`)},
	{&RuleRequiredAttr, "", reg(`HKLM\Software`, `<parm value="1" datatype="integer"/>`), reg(`HKLM\Software\Contoso`, `<parm name="" value="default" datatype="string"/><noparm name=""/>`)},
	{&RuleRequiredAttr, "", csp("Clock", `<noparm name=""/>`), ""},
	{&RulePlacement, "", csp("Clock", `<wap-provisioningdoc><characteristic type="Clock"/></wap-provisioningdoc>`), ""},
	{&RuleTranslationPlace, "", csp("Install", `<parm name="AppName" value="A" translation="install"/>`), csp("Install", `<parm name="InstallDir" value="%CE1%\A" translation="install"/>`)},
	{&RuleUnknownAttr, TargetWM6, csp("Reboot", `<parm name="RebootNow" exec="1"/>`), ""},
	{&RuleUnknownAttr, TargetW10M, csp("Reboot", `<parm name="RebootNow" exec="1" bogus="1"/>`), csp("Reboot", `<parm name="RebootNow" exec="1"/>`)},
	{&RuleUnknownCSP, "", doc(`<characteristic type="Instal"/>`), doc(`<characteristic type="Install"/>`)},
	{&RuleUnknownCSP, TargetW10M, doc(`<characteristic type="CM_GPRSEntries"/>`), doc(`<characteristic type="Policy"/><characteristic type="WindowsLicensing"/><characteristic type="Defender"/>`)},
	{&RuleCaseCSP, TargetW10M, doc(`<characteristic type="dmclient"/>`), doc(`<characteristic type="DMClient"/>`)},
	{&RuleUnsupportedCSP, TargetW10M, doc(`<characteristic type="BrowserFavorite"/>`), doc(`<characteristic type="SecurityPolicy"/>`)},
	{&RuleUnsupportedCSP, TargetW10M, doc(`<characteristic type="Firewall"/>`), ""},

	// w10m: nodes, formats, allowed values and access from the DDF.
	{&RuleUnknownNode, TargetW10M, dmc(`<parm name="EntDeviceNme" value="Phone"/>`), dmc(`<parm name="EntDeviceName" value="Phone"/>`)},
	{&RuleUnknownNode, TargetW10M, csp("DMClient", `<characteristic type="Providers"/>`), csp("DMClient", `<characteristic type="Provider"/>`)},
	{&RuleUnknownNode, TargetW10M, csp("CertificateStore", `<characteristic type="Rooot"/>`), csp("CertificateStore", `<characteristic type="My"/><characteristic type="Root"/>`)},
	{&RuleUnknownNode, TargetW10M, "", doc(`<nocharacteristic type="DMClient"/><characteristic-query type="DevDetail"/>`)},
	{&RuleNodeFormat, TargetW10M, dmc(`<characteristic type="Poll"><parm name="NumberOfFirstRetries" value="ten"/></characteristic>`),
		dmc(`<characteristic type="Poll"><parm name="NumberOfFirstRetries" value="10"/></characteristic>`)},
	{&RuleNodeFormat, TargetW10M, dmc(`<characteristic type="Poll"><parm name="PollOnLogin" value="yes"/></characteristic>`),
		dmc(`<characteristic type="Poll"><parm name="PollOnLogin" value="false" datatype="boolean"/></characteristic>`)},
	{&RuleAllowedValue, TargetW10M, csp("PassportForWork", `<characteristic type="Tenant1"><characteristic type="Policies"><characteristic type="PINComplexity"><parm name="MinimumPINLength" value="200" datatype="integer"/></characteristic></characteristic></characteristic>`),
		csp("PassportForWork", `<characteristic type="Tenant1"><characteristic type="Policies"><characteristic type="PINComplexity"><parm name="MinimumPINLength" value="6" datatype="integer"/></characteristic></characteristic></characteristic>`)},
	{&RuleNodeAccess, TargetW10M, csp("DevDetail", `<parm name="OEM" value="Contoso"/>`), csp("DevDetail", `<parm-query name="OEM"/>`)},
	{&RuleNodeAccess, TargetW10M, csp("Reboot", `<parm name="RebootNow" value="1"/><noparm name="RebootNow"/>`), csp("Reboot", `<parm name="RebootNow" exec="1"/>`)},
	{&RuleNodeAccess, TargetW10M, csp("DevDetail", `<parm name="OEM" exec="1"/>`), ""},
	{&RuleNodeKind, TargetW10M, dmc(`<characteristic type="EntDeviceName"/>`), dmc(`<characteristic type="Poll"/>`)},
	{&RuleNodeKind, TargetW10M, dmc(`<parm name="Poll" value="1"/>`), ""},
}

// dmc wraps body in a DMClient provider account, a CSP whose description
// is in the table.
func dmc(body string) string {
	return csp("DMClient", `<characteristic type="Provider"><characteristic type="Contoso">`+body+`</characteristic></characteristic>`)
}

// classTable holds the rules that depend on the ROM file class, which
// the file name gives.
var classTable = []struct {
	rule                *Rule
	target              string
	tripName, cleanName string
	trip, clean         string
}{
	{&RuleColdOnlyCSP, "", "mxipupdate_Contoso_100.provxml", "mxipcold_Contoso_100.provxml",
		doc(`<characteristic type="NAPDEF"><characteristic type="NAP1"><parm name="NAME" value="Contoso"/></characteristic></characteristic>`),
		doc(`<characteristic type="NAPDEF"><characteristic type="NAP1"><parm name="NAME" value="Contoso"/></characteristic></characteristic>`)},
	{&RuleColdOnlyCSP, "", "MXIPUPDATE_Contoso_100.provxml", "mxip_Contoso_100.provxml",
		doc(`<characteristic type="PXLOGICAL"><parm name="PROXY-ID" value="p1"/></characteristic>`),
		doc(`<characteristic type="PXLOGICAL"><parm name="PROXY-ID" value="p1"/></characteristic>`)},
	{&RuleInstallerOnly, "", "mxipcold_Contoso_100.provxml", "_setup.xml",
		doc(`<characteristic type="Install"><parm name="InstallPhase" value="install"/></characteristic>`),
		doc(`<characteristic type="Install"><parm name="InstallPhase" value="install"/></characteristic>`)},
	{&RuleInstallerOnly, "", "pkg/mxipupdate_Contoso_100.provxml", "pkg/mxipupdate_Contoso_100.provxml",
		csp("FileOperation", `<characteristic type="\Windows"><characteristic type="a.exe"><characteristic type="Extract"><parm name="Source" value="A.001"/></characteristic></characteristic></characteristic>`),
		csp("FileOperation", `<characteristic type="\Windows"><characteristic type="MakeDir"/></characteristic>`)},
}

func TestClassRules(t *testing.T) {
	for _, tc := range classTable {
		t.Run(tc.rule.ID, func(t *testing.T) {
			opt := Options{Target: tc.target}
			_, fs := Lint(tc.tripName, []byte(tc.trip), ParseOptions{}, opt)
			if !hasRule(fs, tc.rule) {
				t.Errorf("%s should trip %s, gave %q\n%s", tc.tripName, tc.rule.ID, ids(fs), tc.trip)
			}
			_, fs = Lint(tc.cleanName, []byte(tc.clean), ParseOptions{}, opt)
			if hasRule(fs, tc.rule) {
				t.Errorf("%s tripped %s: %q\n%s", tc.cleanName, tc.rule.ID, ids(fs), tc.clean)
			}
		})
	}
	// Options.Class overrides the file name.
	_, fs := Lint("settings.provxml", []byte(classTable[0].trip), ParseOptions{}, Options{Class: ClassUpdate})
	if !hasRule(fs, &RuleColdOnlyCSP) {
		t.Errorf("Options.Class=update did not apply PX0701: %q", ids(fs))
	}
}

// TestRetiredRules: a retired rule keeps its ID (suppress lists may name
// it) but is never reported.
func TestRetiredRules(t *testing.T) {
	src := reg(`HKU\S-1-5-21\Software\Contoso`, `<parm name="a" value="1" datatype="integer"/>`)
	_, fs := Lint("hku.provxml", []byte(src), ParseOptions{}, Options{})
	if len(fs) != 0 {
		t.Errorf("HKU, a documented Registry node, gave %q", ids(fs))
	}
	if RuleByID("PX0502") == nil {
		t.Error("retired PX0502 is no longer found by RuleByID")
	}
}

// TestRulesHaveSources: every rule says what justifies it.
func TestRulesHaveSources(t *testing.T) {
	for _, r := range Rules {
		if r.Source == "" {
			t.Errorf("%s has no Source", r.ID)
		}
		if r.Targets != "" && r.Targets != TargetWM6 && r.Targets != TargetW10M {
			t.Errorf("%s: Targets %q is not a target", r.ID, r.Targets)
		}
	}
}

func ids(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule.ID+" "+f.Pos.String()+" "+f.Msg)
	}
	return out
}

func hasRule(fs []Finding, r *Rule) bool {
	for _, f := range fs {
		if f.Rule == r {
			return true
		}
	}
	return false
}

func TestRules(t *testing.T) {
	for _, tc := range ruleTable {
		t.Run(tc.rule.ID, func(t *testing.T) {
			opt := Options{Target: tc.target}
			var fs []Finding
			if tc.trip != "" {
				_, fs = Lint("trip.provxml", []byte(tc.trip), ParseOptions{}, opt)
				if !hasRule(fs, tc.rule) {
					t.Errorf("document that should trip %s gave %q\n%s", tc.rule.ID, ids(fs), tc.trip)
				}
				for _, f := range fs {
					if f.Pos.Line < 1 || f.Pos.Col < 1 || f.File != "trip.provxml" {
						t.Errorf("finding without a position: %v", f)
					}
					if f.Rule.Severity != RuleByID(f.Rule.ID).Severity {
						t.Errorf("finding %v does not carry its rule", f)
					}
				}
			}
			if tc.clean == "" {
				return
			}
			_, fs = Lint("clean.provxml", []byte(tc.clean), ParseOptions{}, opt)
			if hasRule(fs, tc.rule) {
				t.Errorf("clean document tripped %s: %q\n%s", tc.rule.ID, ids(fs), tc.clean)
			}
		})
	}
}

// TestRuleTableCoversEveryRule keeps the table honest: a new rule needs a
// document that trips it.
func TestRuleTableCoversEveryRule(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range ruleTable {
		if tc.trip != "" {
			seen[tc.rule.ID] = true
		}
	}
	for _, tc := range classTable {
		seen[tc.rule.ID] = true
	}
	prev := ""
	for _, r := range Rules {
		if !seen[r.ID] && r != &RuleHKU { // retired, see TestRetiredRules
			t.Errorf("rule %s (%s) has no entry in ruleTable", r.ID, r.Summary)
		}
		if r.ID <= prev {
			t.Errorf("Rules is not sorted by ID at %s", r.ID)
		}
		prev = r.ID
	}
}

// TestCleanDocumentIsSilent: a realistic document yields no finding at all.
func TestCleanDocumentIsSilent(t *testing.T) {
	src := doc(`<characteristic type="Registry">
    <characteristic type="HKLM\Software\Contoso\Scanner">
      <parm name="Enabled" value="1" datatype="integer"/>
      <parm name="Mode" value="fast" datatype="string"/>
      <parm name="Codes" value="A&#xF000;B&#xF000;&#xF000;" datatype="multiplestring"/>
      <noparm name="OldMode"/>
    </characteristic>
    <nocharacteristic type="HKLM\Software\Contoso\Legacy"/>
  </characteristic>
  <characteristic type="CM_GPRSEntries">
    <characteristic type="Contoso Internet">
      <parm name="DestId" value="{436EF144-B4FB-4863-A041-8F905A62C572}"/>
      <characteristic type="DevSpecificCellular">
        <parm name="GPRSInfoAccessPointName" value="internet.contoso"/>
      </characteristic>
    </characteristic>
  </characteristic>`)
	_, fs := Lint("clean.provxml", []byte(src), ParseOptions{}, Options{})
	if len(fs) != 0 {
		t.Fatalf("clean document gave findings:\n%s", strings.Join(ids(fs), "\n"))
	}
}

// TestFindingsSortedAndAllReported: every problem of a document in one
// pass, in position order.
func TestFindingsSortedAndAllReported(t *testing.T) {
	src := doc(`<characteristic type="Registry">
<characteristic type="HKLM\Software\X">
<parm name="a" value="99999999999" datatype="integer"/>
<parm name="b" value="yes" datatype="boolean"/>
<parm name="c" value="x"/>
</characteristic>
</characteristic>
<characteristic type="Fooo"/>`)
	_, fs := Lint("x.provxml", []byte(src), ParseOptions{}, Options{})
	want := []string{"PX0203", "PX0204", "PX0504", "PX0401"}
	if len(fs) != len(want) {
		t.Fatalf("got %q, want rules %v", ids(fs), want)
	}
	for i, f := range fs {
		if f.Rule.ID != want[i] {
			t.Errorf("finding %d: got %s, want %s", i, f.Rule.ID, want[i])
		}
		if i > 0 && f.Pos.Line < fs[i-1].Pos.Line {
			t.Errorf("findings not sorted: %v before %v", fs[i-1], f)
		}
	}
	if fs[0].Pos != (Pos{5, 16}) {
		t.Errorf("integer finding at %v, want 5:16 (the value attribute)", fs[0].Pos)
	}
}

// TestValueReportedOnce: a value wrong for its datatype is reported by the
// datatype's rule, not again by the node's format.
func TestValueReportedOnce(t *testing.T) {
	src := dmc(`<characteristic type="Poll"><parm name="NumberOfFirstRetries" value="ten" datatype="integer"/></characteristic>`)
	_, fs := Lint("x.provxml", []byte(src), ParseOptions{}, Options{Target: TargetW10M})
	if len(fs) != 1 || fs[0].Rule != &RuleInteger {
		t.Errorf("got %q, want PX0203 alone", ids(fs))
	}
}
