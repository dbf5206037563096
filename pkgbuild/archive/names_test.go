package archive

import (
	"testing"

	"github.com/provpack/provpack/manifest"
)

func TestFileName(t *testing.T) {
	if got := FileName(manifest.ClassCold, "OEM_Base", 5); got != "mxipcold_OEM_Base_005.provxml" {
		t.Error(got)
	}
	for _, tc := range []struct {
		name    string
		class   manifest.Class
		pkg     string
		ordinal int
	}{
		{"mxip_opr_100.provxml", manifest.ClassCold, "opr", 100},
		{"mxipcold_OEM_Base_200.provxml", manifest.ClassCold, "OEM_Base", 200},
		{"mxipupdate_A_B_001.provxml", manifest.ClassUpdate, "A_B", 1},
	} {
		c, p, o, ok := ParseFileName(tc.name)
		if !ok || c != tc.class || p != tc.pkg || o != tc.ordinal {
			t.Errorf("%s: %s %s %d %v", tc.name, c, p, o, ok)
		}
	}
	if _, _, _, ok := ParseFileName("settings.provxml"); ok {
		t.Error("accepted a non-ROM name")
	}
}
