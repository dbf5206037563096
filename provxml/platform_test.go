package provxml

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provpack/provpack/internal/testutil"
)

// The platform's own tools write provisioning XML that lint must accept
// without an error, and without the false alarms issue 14 lists. The
// documents below are written here in the shape each tool produces; the
// real files are checked by TestRealWorldFiles and TestCorpusPlatformFiles.
var platformDocs = []struct {
	name, target, src string
}{
	// The cold-boot file Microsoft's imaging tool writes into every phone
	// image (Microsoft.WindowsPhone.Imaging, ProcessBSPProductNameAndVersion):
	// a comment, no XML declaration, a Registry parm without datatype.
	{"mxipcold_BSPProductName_001.provxml", TargetW10M, "<!--\r\n  comment\r\n-->\r\n<wap-provisioningdoc>\r\n" +
		`<characteristic type="Registry"><characteristic type="HKLM\Software\Contoso\Overrides\BSP">` +
		`<parm name="Name" value="Contoso Phone"  /></characteristic></characteristic>` + "\r\n</wap-provisioningdoc>"},
	// What Windows 10 Mobile's configuration designer writes: a byte-order
	// mark, standalone="yes", a datatype on every parm, exec="1" on an
	// Exec node.
	{"w10m-designer.provxml", TargetW10M, "\xEF\xBB\xBF" + `<?xml version="1.0" encoding="utf-8" standalone="yes"?>` + "\r\n" +
		`<wap-provisioningdoc><characteristic type="DMClient"><characteristic type="Provider"><characteristic type="Contoso">` +
		`<parm name="EntDeviceName" value="Phone" datatype="string"/>` +
		`<characteristic type="Poll"><parm name="NumberOfFirstRetries" value="8" datatype="integer"/>` +
		`<parm name="PollOnLogin" value="true" datatype="boolean"/></characteristic>` +
		`</characteristic></characteristic></characteristic>` +
		`<characteristic type="Reboot"><parm name="RebootNow" exec="1" datatype="string" value=""/></characteristic>` +
		`<characteristic type="WindowsLicensing"><parm name="ChangeProductKey" value="ABCDE-FGHIJ" datatype="string"/></characteristic>` +
		`<characteristic type="Policy"><characteristic type="Config"><characteristic type="Experience">` +
		`<parm name="AllowCopyPaste" value="1" datatype="integer"/></characteristic></characteristic></characteristic>` +
		`<characteristic type="Registry"><characteristic type="HKU\.DEFAULT\Software\Contoso">` +
		`<parm name="When" value="2024-05-01T13:45:00Z" datatype="time"/></characteristic></characteristic>` +
		`</wap-provisioningdoc>`},
	// A CabWiz _setup.xml: Install with translation on InstallDir, the
	// registry default value, and its deletion.
	{"_setup.xml", TargetWM6, `<wap-provisioningdoc><characteristic type="Install">` +
		`<parm name="InstallPhase" value="install"/><parm name="AppName" value="Contoso"/>` +
		`<parm name="InstallDir" value="%CE1%\Contoso" translation="install"/></characteristic>` +
		`<characteristic type="FileOperation"><characteristic type="%InstallDir%" translation="install">` +
		`<characteristic type="MakeDir"/><characteristic type="a.exe" translation="install">` +
		`<characteristic type="Extract"><parm name="Source" value="A.001"/></characteristic></characteristic></characteristic></characteristic>` +
		`<characteristic type="Registry"><characteristic type="HKCR\.cto" translation="install">` +
		`<parm name="" value="Contoso.Document" datatype="string" translation="install"/><noparm name=""/>` +
		`</characteristic></characteristic></wap-provisioningdoc>`},
}

func TestPlatformDocs(t *testing.T) {
	for _, tc := range platformDocs {
		doc, fs := Lint(tc.name, []byte(tc.src), ParseOptions{}, Options{Target: tc.target})
		if doc == nil {
			t.Errorf("%s: did not parse: %q", tc.name, ids(fs))
			continue
		}
		for _, f := range fs {
			// The imaging tool's value without a datatype is a warning
			// by design; nothing else may be reported.
			if f.Rule == &RuleRegistryDatatype && strings.HasPrefix(tc.name, "mxipcold_BSP") {
				continue
			}
			t.Errorf("%s: %s", tc.name, f)
		}
	}
}

// TestCorpusPlatformFiles: the corpus documents made by Microsoft's tools
// (CabWiz) or taken from Microsoft's documentation give no error-level
// finding for the target they were written for.
func TestCorpusPlatformFiles(t *testing.T) {
	dir := testutil.Corpus(t)
	for _, glob := range []string{"cabwiz-*.provxml", "msdocs-*.provxml", "ms-*.provxml"} {
		files, _ := filepath.Glob(filepath.Join(dir, glob))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			target := TargetWM6
			if !strings.HasPrefix(filepath.Base(f), "cabwiz-") {
				target = TargetW10M // the msdocs and protocol examples are Windows 10's
			}
			_, fs := Lint(filepath.Base(f), data, ParseOptions{}, Options{Target: target})
			for _, x := range fs {
				if x.Rule.Severity == Error {
					t.Errorf("%s (%s): %s", filepath.Base(f), target, x)
				}
			}
		}
	}
}

// TestRealWorldFiles lints the provisioning XML found in ../shared/realworld:
// *.provxml and _setup.xml files, and those inside its cabinets (unpacked
// with cabextract). A cabinet carrying a device-side manifest (man.dsm.xml)
// is a Windows Phone / Windows 10 Mobile package and is linted as w10m.
// None may give an error-level finding. PROVPACK_REALWORLD names another
// directory to check the same way (held-out files).
func TestRealWorldFiles(t *testing.T) {
	root := filepath.Join(testutil.Root(), "..", "shared", "realworld")
	if dir := os.Getenv("PROVPACK_REALWORLD"); dir != "" {
		root = dir
	}
	if _, err := os.Stat(root); err != nil {
		t.Skipf("shared real-world files not found at %s", root)
	}
	checked := 0
	lintDir := func(dir, target string) {
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !isProvisioningName(d.Name()) {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Error(err)
				return nil
			}
			checked++
			_, fs := Lint(p, data, ParseOptions{}, Options{Target: target})
			for _, f := range fs {
				if f.Rule.Severity == Error {
					t.Errorf("%s", f)
				}
			}
			return nil
		})
	}
	lintDir(root, TargetWM6)
	var cabs []string
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && isCabinetName(d.Name()) {
			cabs = append(cabs, p)
		}
		return nil
	})
	if len(cabs) > 0 {
		cabextract := testutil.Tool(t, "cabextract", "cabextract")
		for _, cab := range cabs {
			out := t.TempDir()
			// Broken and multi-part test cabinets fail to unpack; what
			// they do yield is still checked.
			_ = exec.Command(cabextract, "-q", "-d", out, cab).Run()
			target := TargetWM6
			if _, err := os.Stat(filepath.Join(out, "man.dsm.xml")); err == nil {
				target = TargetW10M
			}
			lintDir(out, target)
		}
	}
	t.Logf("%d provisioning files checked in %s", checked, root)
}

// isCabinetName: cabinets (.cab), Windows Mobile provisioning cabinets
// (.cpf) and Windows Phone packages (.spkg, .spku, .spkr).
func isCabinetName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".cab", ".cpf", ".spkg", ".spku", ".spkr":
		return true
	}
	return false
}

func isProvisioningName(name string) bool {
	l := strings.ToLower(name)
	return strings.HasSuffix(l, ".provxml") || l == "_setup.xml"
}
