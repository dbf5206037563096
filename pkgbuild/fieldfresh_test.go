package pkgbuild

import (
	"context"
	"strings"
	"testing"
)

// sharedPkg is a package writing HKLM\Software\Contoso\Shared\V = value
// in a file of class ("cold" or "update").
func sharedPkg(name, version, class, value string) string {
	return "  - name: " + name + "\n    version: " + version + "\n    owner: oem\n    " + class + ":\n      - settings:\n          - csp: Registry\n            characteristic: 'HKLM\\Software\\Contoso\\Shared'\n            parms:\n              - {name: V, value: \"" + value + "\", datatype: integer}\n"
}

// TestFieldVsFresh (issue 15, item 10): the re-apply report flags a
// setting whose final value differs between a device taking the image
// update and a freshly flashed one, naming both values and packages.
func TestFieldVsFresh(t *testing.T) {
	t.Chdir(t.TempDir())
	plan := func() *Plan {
		t.Helper()
		pl, err := Load(context.Background(), "provpack.yaml", Options{})
		if err != nil {
			t.Fatal(err)
		}
		return pl
	}
	flags := func(pl *Plan) []string {
		var out []string
		for _, f := range pl.Findings {
			if f.ID == RuleFieldVsFresh.ID {
				out = append(out, f.Message)
			}
		}
		return out
	}

	// A first release has no devices in the field: nothing to compare.
	writeManifest(t, "1.0.0", sharedPkg("OEM_A", "1.0.0", "update", "1"), sharedPkg("OEM_B", "1.0.0", "update", "2"))
	if got := flags(plan()); len(got) > 0 {
		t.Fatalf("first release flagged: %q", got)
	}
	release(t, "r1", Options{})

	// OEM_A is updated and re-runs V=3; OEM_B, processed after it, is not
	// re-run: updated devices end with 3, flashed ones with 2.
	writeManifest(t, "1.1.0", sharedPkg("OEM_A", "1.1.0", "update", "3"), sharedPkg("OEM_B", "1.0.0", "update", "2"))
	got := flags(plan())
	if len(got) != 1 || !strings.Contains(got[0], `re-run OEM_A (mxipupdate_OEM_A_200.provxml) and end with "3" (integer); freshly flashed devices end with "2" (integer) from OEM_B (mxipupdate_OEM_B_100.provxml)`) {
		t.Fatalf("OEM_A re-run under OEM_B: want one PP0205 naming both, got %q", got)
	}

	// Both re-run: the same last write on both kinds of device.
	writeManifest(t, "1.1.0", sharedPkg("OEM_A", "1.1.0", "update", "3"), sharedPkg("OEM_B", "1.0.1", "update", "2"))
	if got := flags(plan()); len(got) > 0 {
		t.Fatalf("both packages re-run, still flagged: %q", got)
	}

	// The re-run package is processed last: the same value everywhere.
	writeManifest(t, "1.1.0", sharedPkg("OEM_A", "1.0.0", "update", "1"), sharedPkg("OEM_B", "1.0.1", "update", "4"))
	if got := flags(plan()); len(got) > 0 {
		t.Fatalf("re-run writer processed last, still flagged: %q", got)
	}

	// Another package's cold file writes another value: what a flashed
	// device ends with rests on the undocumented cold-boot order.
	writeManifest(t, "1.1.0", sharedPkg("OEM_A", "1.1.0", "update", "3"), sharedPkg("OEM_C", "1.0.0", "cold", "9"))
	got = flags(plan())
	if len(got) != 1 || !strings.Contains(got[0], `also run the cold file of OEM_C (mxipcold_OEM_C_100.provxml), which sets "9" (integer)`) {
		t.Fatalf("cold write of another package: want one PP0205, got %q", got)
	}
}
