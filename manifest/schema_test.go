package manifest

import (
	"bytes"
	"encoding/json"
	"path"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// yamlKeys returns, for every struct type reachable from Manifest, its
// YAML keys as declared in the `yaml:` tags, read independently of
// fieldsOf.
func yamlKeys(t reflect.Type, out map[string][]string) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeOf(Version{}) || t == reflect.TypeOf(Constraint{}) {
		return
	}
	if _, done := out[t.Name()]; done {
		return
	}
	out[t.Name()] = []string{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if key == "" || key == "-" {
			continue
		}
		out[t.Name()] = append(out[t.Name()], key)
		yamlKeys(f.Type, out)
	}
	sort.Strings(out[t.Name()])
}

// testRuleIDs stands in for the warning-level rule IDs pkgbuild passes to
// Schema (pkgbuild's tests check the real list).
var testRuleIDs = []string{"PP0104", "PX0201"}

func TestSchemaInStepWithTypes(t *testing.T) {
	b, err := Schema(testRuleIDs)
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{}
	yamlKeys(reflect.TypeOf(Manifest{}), want)

	got := map[string][]string{}
	objects := map[string]map[string]any{"Manifest": s}
	for name, def := range s["$defs"].(map[string]any) {
		objects[name] = def.(map[string]any)
	}
	for name, obj := range objects {
		if obj["additionalProperties"] != false {
			t.Errorf("%s: additionalProperties is not false", name)
		}
		props := obj["properties"].(map[string]any)
		keys := []string{}
		for k, v := range props {
			keys = append(keys, k)
			if d, _ := v.(map[string]any)["description"].(string); d == "" {
				t.Errorf("%s.%s has no description", name, k)
			}
		}
		sort.Strings(keys)
		got[name] = keys
		if req, ok := obj["required"].([]any); ok {
			for _, r := range req {
				if _, ok := props[r.(string)]; !ok {
					t.Errorf("%s requires unknown key %v", name, r)
				}
			}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("schema keys and yaml tags differ:\nschema: %v\ntypes:  %v", got, want)
	}
}

func TestSchemaContent(t *testing.T) {
	b, err := Schema(testRuleIDs)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := Schema(testRuleIDs)
	if !bytes.Equal(b, b2) {
		t.Error("Schema is not deterministic")
	}
	golden(t, "testdata/schema.golden.json", b)

	var s struct {
		Schema   string   `json:"$schema"`
		Required []string `json:"required"`
		Props    map[string]struct {
			Enum []string `json:"enum"`
		} `json:"properties"`
		Defs map[string]struct {
			Required []string                   `json:"required"`
			Props    map[string]json.RawMessage `json:"properties"`
			OneOf    []any                      `json:"oneOf"`
			AnyOf    []any                      `json:"anyOf"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.Schema != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema %q", s.Schema)
	}
	if strings.Join(s.Required, ",") != "image,release,target,packages" {
		t.Errorf("required %v", s.Required)
	}
	if strings.Join(s.Props["target"].Enum, ",") != "wm6,w10m" || strings.Join(s.Props["format"].Enum, ",") != "cab,tar.zst" {
		t.Errorf("enums %+v", s.Props)
	}
	if strings.Join(s.Defs["Package"].Required, ",") != "name,version,owner" {
		t.Errorf("package required %v", s.Defs["Package"].Required)
	}
	if !strings.Contains(string(s.Defs["Package"].Props["owner"]), `"enum": [`) ||
		!strings.Contains(string(s.Defs["Parm"].Props["datatype"]), `"multiplestring"`) {
		t.Error("owner or datatype enum missing")
	}
	if len(s.Defs["Source"].OneOf) != 2 || len(s.Defs["Setting"].AnyOf) != 2 {
		t.Error("source oneOf or setting anyOf missing")
	}
}

// The schema's semver pattern must accept exactly what ParseVersion does.
func TestSemverPattern(t *testing.T) {
	re := regexp.MustCompile(semverPattern)
	for _, v := range []string{
		"1.0.0", "0.0.0", "10.20.30", "1.0.0-rc.1", "1.0.0-0A.is.legal", "1.0.0+build.1", "1.0.0-alpha-a.b-c+001",
		"1.0", "v1.0.0", "01.0.0", "1.0.0-01", "1.0.0-", "1.0.0+", "1.0.0+a..b", "", "1.0.0.0", "1.-1.0", " 1.0.0",
		"10.0.15063.107", "1.0.0.01", "1.0.0.0.0", "1.0.0.0-rc.1", "1.0.0.0+7", "1.0.0.",
	} {
		_, err := ParseVersion(v)
		if re.MatchString(v) != (err == nil) {
			t.Errorf("%q: pattern says %v, ParseVersion says %v", v, re.MatchString(v), err)
		}
	}
}

// The schema's glob grammar must accept exactly the backslash-free
// patterns path.Match does: every string of up to five characters over
// the characters that matter.
func TestGlobSyntaxPattern(t *testing.T) {
	re := regexp.MustCompile(globSyntax)
	alphabet := []byte("a[]^-*?/")
	var walk func(p []byte)
	n := 0
	walk = func(p []byte) {
		s := string(p)
		_, err := path.Match(s, "")
		if re.MatchString(s) != (err == nil) {
			t.Errorf("%q: pattern says %v, path.Match says %v", s, re.MatchString(s), err)
		}
		n++
		if len(p) == 5 {
			return
		}
		for _, c := range alphabet {
			walk(append(p, c))
		}
	}
	walk(nil)
	if n < 30000 {
		t.Fatalf("only %d patterns", n)
	}
}

// The schema's GUID pattern and its "not" must accept exactly what
// ParseGUID does.
func TestGUIDPattern(t *testing.T) {
	re := regexp.MustCompile(guidPattern)
	for _, s := range []string{
		"0b6c7a52-0f51-4c1e-9a43-5b0d1c1f7e21", "0B6C7A52-0F51-4C1E-9A43-5B0D1C1F7E21", nilGUID,
		"{0b6c7a52-0f51-4c1e-9a43-5b0d1c1f7e21}", "0b6c7a52-0f51-4c1e-9a43-5b0d1c1f7e2", "0b6c7a520f514c1e9a435b0d1c1f7e21",
		"0b6c7a52x0f51-4c1e-9a43-5b0d1c1f7e21", "0g6c7a52-0f51-4c1e-9a43-5b0d1c1f7e21", "",
	} {
		_, err := ParseGUID(s)
		if ok := re.MatchString(s) && s != nilGUID; ok != (err == nil) {
			t.Errorf("%q: schema says %v, ParseGUID says %v", s, ok, err)
		}
	}
}
