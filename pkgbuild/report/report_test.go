package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/provpack/provpack/provxml"
)

// TestAppendSettingMatchesEncodingJSON: the hand-written encoder gives
// exactly what encoding/json gives, for awkward strings too.
func TestAppendSettingMatchesEncodingJSON(t *testing.T) {
	for _, s := range []Setting{
		{Class: "cold", File: "f", CSP: "Registry", Path: []string{`HKLM\S`}, Name: "A", Value: "1", Datatype: "integer", Op: "set"},
		{Class: "update", File: "f", CSP: "C", Path: []string{}, Op: "delete"},
		{Class: "update", File: "f", CSP: "C", Path: []string{"a\"b", "<&>"}, Name: "\x01\t\n\r", Value: "x\uF000y\u2028z\xffé😀", Op: "set"},
	} {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		ps := provxml.Setting{CSP: s.CSP, Path: s.Path, Name: s.Name, Value: s.Value, Datatype: string(s.Datatype), Op: provxml.Op(s.Op)}
		if got := AppendSettingJSON(nil, s.Class, s.File, &ps); string(got) != string(want) {
			t.Errorf("appendSetting:\n got %s\nwant %s", got, want)
		}
	}
}

// TestAppendMDMatchesMD: the allocation-free Markdown cells are exactly
// md's, for plain and awkward text.
func TestAppendMDMatchesMD(t *testing.T) {
	for _, s := range []string{"", "plain", "a|b", "line\nbreak", "back`tick", "x\uF000y", "\uF8FFé", "``", `HKLM\Software`} {
		if got, want := string(appendMD(nil, s)), MDCode(s); got != want {
			t.Errorf("appendMD(%q) = %q, md gives %q", s, got, want)
		}
		for _, path := range [][]string{{s}, {"HKLM", s}, {s, s}} {
			if got, want := string(appendMDPath(nil, path)), MDCode(strings.Join(path, `\`)); got != want {
				t.Errorf("appendMDPath(%q) = %q, md gives %q", path, got, want)
			}
		}
	}
	if got := string(appendMDPath(nil, nil)); got != "" {
		t.Errorf("appendMDPath(nil) = %q", got)
	}
}

// TestAppendJSONStringMatchesEncodingJSON: every byte value, alone and
// in company, and some awkward runes, encode as encoding/json encodes.
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	var cases []string
	for c := 0; c < 256; c++ {
		cases = append(cases, string(rune(c)), "a"+string([]byte{byte(c)})+"z")
	}
	cases = append(cases, "\u2028\u2029", "\uF000", "😀", "\xff\xfe", "<&>")
	for _, s := range cases {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("appendJSONString(%q) = %s, encoding/json gives %s", s, got, want)
		}
	}
}

// TestMDCode: text in a code span reads back as itself under CommonMark's
// rules, backticks and edge spaces included.
func TestMDCode(t *testing.T) {
	for s, want := range map[string]string{
		"plain":     "`plain`",
		"back`tick": "``back`tick``",
		"a``b":      "```a``b```",
		"`x":        "`` `x ``",
		"x`":        "`` x` ``",
		"```":       "```` ``` ````",
		" a ":       "`  a  `",
		" a":        "` a`",
		"a|b":       "`a\\|b`",
	} {
		if got := MDCode(s); got != want {
			t.Errorf("MDCode(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestArrow(t *testing.T) {
	for _, c := range [][3]string{
		{"", "1.0.0", "1.0.0"},
		{"1.0.0", "1.0.0", "1.0.0"},
		{"1.0.0", "1.0.1", "1.0.0 → 1.0.1"},
		{"2.0.1", "", "2.0.1"}, // a removed package: not "2.0.1 → "
	} {
		if got := Arrow(c[0], c[1]); got != c[2] {
			t.Errorf("Arrow(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}
