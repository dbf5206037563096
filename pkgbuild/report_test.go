package pkgbuild

import (
	"encoding/json"
	"testing"
)

// TestAppendSettingMatchesEncodingJSON: the hand-written encoder gives
// exactly what encoding/json gives, for awkward strings too.
func TestAppendSettingMatchesEncodingJSON(t *testing.T) {
	for _, s := range []ReportSetting{
		{Class: "cold", File: "f", CSP: "Registry", Path: []string{`HKLM\S`}, Name: "A", Value: "1", Datatype: "integer", Op: "set"},
		{Class: "update", File: "f", CSP: "C", Path: []string{}, Op: "delete"},
		{Class: "update", File: "f", CSP: "C", Path: []string{"a\"b", "<&>"}, Name: "\x01\t\n\r", Value: "x\uF000y\u2028z\xffé😀", Op: "set"},
	} {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendSetting(nil, s); string(got) != string(want) {
			t.Errorf("appendSetting:\n got %s\nwant %s", got, want)
		}
	}
}
