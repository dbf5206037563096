package manifest

import (
	"reflect"
	"regexp"
	"testing"
)

func TestStarter(t *testing.T) {
	keys := map[string][]string{}
	yamlKeys(reflect.TypeOf(Manifest{}), keys)
	for _, target := range []string{"wm6", "w10m"} {
		b := Starter("contoso-mc55", target)
		golden(t, "testdata/starter-"+target+".golden.yaml", b)
		m, err := Parse("provpack.yaml", b)
		if err != nil {
			t.Errorf("%s starter does not parse:\n%v\n%s", target, err, b)
			continue
		}
		if string(m.Target) != target {
			t.Errorf("target %q", m.Target)
		}
		// every key is shown, written or in a comment
		for typ, ks := range keys {
			for _, k := range ks {
				if !regexp.MustCompile(`(?m)[\s{,#-]` + regexp.QuoteMeta(k) + `:`).Match(b) {
					t.Errorf("%s starter does not show %s.%s", target, typ, k)
				}
			}
		}
		// the derived GUID shown in the comment is the one WithDefaults gives
		m.WithDefaults()
		if !regexp.MustCompile(`# guid: ` + m.Packages[0].GUID.String()).Match(b) {
			t.Errorf("starter's guid comment is not the derived GUID %s", m.Packages[0].GUID)
		}
	}
	for _, image := range []string{"null", "1.0", "true"} {
		m, err := Parse("provpack.yaml", Starter(image, "wm6"))
		if err != nil || m.Image != image {
			t.Errorf("image %q: %v", image, err)
		}
	}
}
