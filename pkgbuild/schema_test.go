package pkgbuild

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dlclark/regexp2"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/provxml"
)

// The schema and the decoder must agree: every manifest the decoder takes
// validates against the schema, and every one it refuses for a rule on one
// value fails validation, as an editor would show it. "The decoder" here is
// manifest.Parse and then the suppress check plan makes before it reads a
// source (checkSuppress, PP0106), since manifest does not know the rules.
//
// The schema is checked with a real JSON Schema validator
// (santhosh-tekuri/jsonschema, draft 2020-12), on the YAML converted to
// JSON the way an editor's YAML language server sees it: yaml.v3 into
// interface{}, then encoding/json.

// schemaExceptions are the manifests the decoder refuses and the schema
// cannot, each with the reason.
var schemaExceptions = map[string]string{
	// Rules across values.
	"dup_names.yaml":       "package names unique ignoring case: a rule across packages",
	"target_rules.yaml":    "w10m ordinals, company, format and version parts, and the release's form: rules across target and values",
	"target_wm6_keys.yaml": "the w10m keys and four-part versions refused for wm6: a rule across target and keys",
	"alias_small.yaml":     "anchors and aliases are not in the JSON data model: an editor expands them, and what they expand to is valid",
	// One value, but beyond a JSON Schema.
	"leaves-dir": "a source path leaving the manifest's directory: path.Clean counts \"..\" against the names before it, which no regular expression can",
	"names-dir":  "a source path naming the manifest's directory: the same counting",
	"requires-bad-constraint": "the constraint grammar is Masterminds/semver's, which is not exported: regular expressions applied after " +
		"rewriting hyphen ranges, then version parsing with overflow checks and length limits; the schema only says a constraint is not empty",
	"ordinal-1e2":        "the written form of a number: 1e2 is the number 100 in YAML 1.2 and to every language server; JSON has no other",
	"ordinal-0x64":       "the written form of a number: 0x64 is the integer 100 in YAML 1.2 (yaml.v3 and the language servers agree)",
	"ordinal-underscore": "the written form of a number: 1_00 is the integer 100 to yaml.v3 and in YAML 1.1 (a YAML 1.2 language server reads the string \"1_00\" and refuses it)",
	"ordinal-0o":         "the written form of a number: 0o144 is the integer 100 in YAML 1.2",
	"ordinal-100.0": "the written form of a number: 100.0 is the number 100, and JSON Schema counts a number with no fraction as an integer " +
		"(draft 2020-12, section 6.1.1 of the validation vocabulary)",
}

// base is a manifest the decoder takes; the cases below add to it.
const base = `image: contoso-mc55
release: 2.1.0
target: wm6
%spackages:
  - name: OEM_Scanner
    version: 1.0.0
    owner: oem
%s    update:
      - settings:
          - csp: Registry
            characteristic: 'HKLM\Software\Contoso'
            parms:
              - {name: Enabled, value: %s, datatype: integer}
`

type schemaCase struct {
	name   string
	accept bool   // what the decoder does: the case is written to mean it
	top    string // top-level lines, before packages
	pkg    string // package lines, indented by four
	value  string // the parm's value, "1" when empty
}

func (c schemaCase) yaml() string {
	v := c.value
	if v == "" {
		v = `"1"`
	}
	return fmt.Sprintf(base, c.top, c.pkg, v)
}

var schemaCases = []schemaCase{
	{name: "base", accept: true},

	// The twelve of issue 19 the schema used to take.
	{name: "nil-guid", pkg: "    guid: 00000000-0000-0000-0000-000000000000\n"},
	{name: "file-backslash", pkg: "    cold: [{file: 'provxml\\a.provxml'}]\n"},
	{name: "file-absolute", pkg: "    cold: [{file: /etc/provxml/a.provxml}]\n"},
	{name: "file-drive", pkg: "    cold: [{file: 'C:/provxml/a.provxml'}]\n"},
	{name: "file-drive-relative", pkg: "    cold: [{file: 'c:a.provxml'}]\n"},
	{name: "file-starstar", pkg: "    cold: [{file: 'provxml/**/*.provxml'}]\n"},
	{name: "suppress-unknown", pkg: "    suppress: [PX9999]\n"},
	{name: "suppress-error-level", pkg: "    suppress: [PP0101]\n"},
	{name: "suppress-error-level-lint", pkg: "    suppress: [PX0001]\n"},
	{name: "suppress-lower-case", pkg: "    suppress: [px0201]\n"},
	{name: "ordinal-1e2", top: "ordinals: {start: 1e2}\n"},
	{name: "ordinal-0x64", top: "ordinals: {start: 0x64}\n"},
	{name: "ordinal-100.0", top: "ordinals: {start: 100.0}\n"},
	// ... and the one it refused.
	{name: "value-inf", accept: true, value: ".inf"},

	// More of the same kinds, both ways.
	{name: "value-minus-inf", accept: true, value: "-.inf"},
	{name: "value-nan", accept: true, value: ".nan"},
	{name: "value-octal", accept: true, value: "010"},
	{name: "value-hex", accept: true, value: "0x1F"},
	{name: "value-bool", accept: true, value: "true"},
	// yes and on are booleans in YAML 1.1 (a language server set to 1.1),
	// strings in 1.2 and to yaml.v3: text to the decoder either way, and
	// the schema takes a string or a boolean there.
	{name: "value-yes", accept: true, value: "yes"},
	{name: "value-on", accept: true, value: "on"},
	{name: "value-empty", accept: true, value: `""`},
	{name: "value-null", value: "~"},
	{name: "guid-upper-case", accept: true, pkg: "    guid: 0B6C7A52-0F51-4C1E-9A43-5B0D1C1F7E21\n"},
	{name: "guid-braces", pkg: "    guid: '{0b6c7a52-0f51-4c1e-9a43-5b0d1c1f7e21}'\n"},
	{name: "file-glob", accept: true, pkg: "    cold: [{file: 'provxml/[a-c]*.provxml'}]\n"},
	{name: "file-glob-negated", accept: true, pkg: "    cold: [{file: 'provxml/[^x]?.provxml'}]\n"},
	{name: "file-bracket", accept: true, pkg: "    cold: [{file: 'provxml/a].provxml'}]\n"},
	{name: "file-dotdot-inside", accept: true, pkg: "    cold: [{file: provxml/../a.provxml}]\n"},
	{name: "file-number", accept: true, pkg: "    cold: [{file: 42}]\n"},
	{name: "file-colon-later", accept: true, pkg: "    cold: [{file: 'provxml/a:b.provxml'}]\n"},
	{name: "file-unclosed-class", pkg: "    cold: [{file: 'provxml/[a.provxml'}]\n"},
	{name: "file-empty-class", pkg: "    cold: [{file: 'provxml/[]a.provxml'}]\n"},
	{name: "file-open-range", pkg: "    cold: [{file: 'provxml/[a-].provxml'}]\n"},
	{name: "file-nul", pkg: "    cold: [{file: \"a\\0.provxml\"}]\n"},
	{name: "leaves-dir", pkg: "    cold: [{file: provxml/../../a.provxml}]\n"},
	{name: "names-dir", pkg: "    cold: [{file: provxml/..}]\n"},
	{name: "suppress-warning", accept: true, pkg: "    suppress: [PX0201, PP0104]\n"},
	{name: "suppress-number", pkg: "    suppress: [201]\n"},
	{name: "ordinals-bounds", accept: true, top: "ordinals: {start: 999, step: 1}\n"},
	// 010 is 10 to the decoder and YAML 1.2, 8 to yaml.v3 (YAML 1.1):
	// in range either way.
	{name: "ordinal-leading-zero", accept: true, top: "ordinals: {start: 010}\n"},
	{name: "ordinal-plus", accept: true, top: "ordinals: {start: +100}\n"},
	{name: "ordinal-underscore", top: "ordinals: {start: 1_00}\n"},
	{name: "ordinal-0o", top: "ordinals: {start: 0o144}\n"},
	{name: "ordinal-string", top: "ordinals: {start: \"100\"}\n"},
	{name: "ordinal-fraction", top: "ordinals: {start: 1.5}\n"},
	{name: "ordinal-zero", top: "ordinals: {step: 0}\n"},
	{name: "package-name-number", accept: true, pkg: "  - name: 2024\n    version: 1.0.0\n    owner: oem\n"},
	{name: "package-name-exponent", accept: true, pkg: "  - name: 1e2\n    version: 1.0.0\n    owner: oem\n"},
	{name: "package-name-fraction", pkg: "  - name: 1.5\n    version: 1.0.0\n    owner: oem\n"},
	{name: "package-name-negative", accept: true, pkg: "  - name: -1\n    version: 1.0.0\n    owner: oem\n"},
	{name: "requires-number-key", pkg: "    requires: {1.5: \"*\"}\n"},
	{name: "requires-empty", pkg: "    requires: {OEM_Scanner: \"\"}\n"},
	{name: "requires-constraint", accept: true, pkg: "    requires: {OEM_B: \">=1.0.0, <2 || ^3.1\"}\n  - name: OEM_B\n    version: 1.2.0\n    owner: oem\n"},
	{name: "requires-bad-constraint", pkg: "    requires: {OEM_B: \">=1.x.y\"}\n  - name: OEM_B\n    version: 1.2.0\n    owner: oem\n"},
	{name: "version-number", pkg: "  - name: OEM_B\n    version: 1.0\n    owner: oem\n"},
}

// The image-name cases replace the image line.
var imageCases = []struct {
	name   string
	accept bool
	image  string
}{
	{"image-number", true, "2024"},
	{"image-fraction", true, "1.5"},
	{"image-negative", false, "-1"},
	{"image-bool", true, "true"},
}

func TestSchemaAgreesWithDecoder(t *testing.T) {
	// Twice: with Go's regexp, and with an ECMA-262 engine, the dialect
	// JSON Schema patterns are in and editors use.
	schemas := []*jsonschema.Schema{compileSchema(t, nil), compileSchema(t, ecmaRegexp)}

	type input struct {
		name   string
		data   []byte
		accept *bool // when the case says what the decoder must do
	}
	var inputs []input
	for _, c := range schemaCases {
		inputs = append(inputs, input{c.name, []byte(c.yaml()), &c.accept})
	}
	for _, c := range imageCases {
		y := strings.Replace(schemaCase{}.yaml(), "image: contoso-mc55", "image: "+c.image, 1)
		inputs = append(inputs, input{c.name, []byte(y), &c.accept})
	}
	// The decoder's own cases: the golden error cases and the valid
	// manifests, the fixtures and the starter manifests init writes.
	for _, pattern := range []string{
		"../manifest/testdata/errors/*.yaml",
		"../manifest/testdata/valid/*.yaml",
		"../manifest/testdata/*.golden.yaml",
		"../fixtures/*/provpack.yaml",
	} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Fatalf("no files match %s", pattern)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			inputs = append(inputs, input{filepath.Base(f), data, nil})
		}
	}

	used := map[string]bool{}
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			accepts, why := decoderVerdict(in.name, in.data)
			if in.accept != nil && accepts != *in.accept {
				t.Fatalf("the case is written for a decoder that accepts=%v, but it says %v: %s", *in.accept, accepts, why)
			}
			verr := validateYAML(schemas[0], in.data)
			if verr2 := validateYAML(schemas[1], in.data); (verr == nil) != (verr2 == nil) {
				t.Errorf("Go's regexp and ECMA-262 disagree:\n%v\n%v", verr, verr2)
			}
			exception, isException := schemaExceptions[in.name]
			used[in.name] = isException
			switch {
			case accepts && verr != nil:
				t.Errorf("the decoder accepts it, the schema refuses it:\n%v\n%s", verr, in.data)
			case !accepts && verr == nil && !isException:
				t.Errorf("the decoder refuses it, the schema accepts it:\n%s\n%s", why, in.data)
			case !accepts && verr != nil && isException:
				t.Errorf("listed as an exception (%s) but the schema refuses it too: remove it from schemaExceptions", exception)
			case accepts && isException:
				t.Errorf("listed as an exception but the decoder accepts it")
			}
		})
	}
	for name := range schemaExceptions {
		if !used[name] {
			t.Errorf("exception %s names no case", name)
		}
	}
}

// decoderVerdict reports whether the decoder takes data, and if not why.
func decoderVerdict(name string, data []byte) (bool, string) {
	m, err := manifest.Parse(name, data)
	if err != nil {
		return false, err.Error()
	}
	var fs []Finding
	for _, p := range m.Packages {
		checkSuppress(m, p, &fs)
	}
	if len(fs) > 0 {
		return false, fs[0].Message
	}
	return true, ""
}

// ecmaRegexp is a jsonschema.RegexpEngine with ECMA-262 semantics.
func ecmaRegexp(s string) (jsonschema.Regexp, error) {
	re, err := regexp2.Compile(s, regexp2.ECMAScript)
	if err != nil {
		return nil, err
	}
	return ecmaRE{re}, nil
}

type ecmaRE struct{ re *regexp2.Regexp }

func (r ecmaRE) MatchString(s string) bool {
	ok, err := r.re.MatchString(s)
	return ok && err == nil
}

func (r ecmaRE) String() string { return r.re.String() }

// compileSchema compiles what provpack schema prints, with engine's
// patterns (nil: Go's regexp).
func compileSchema(t *testing.T, engine jsonschema.RegexpEngine) *jsonschema.Schema {
	t.Helper()
	b, err := ManifestSchema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if engine != nil {
		c.UseRegexpEngine(engine)
	}
	if err := c.AddResource(manifest.SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	// Compile checks the schema against the draft 2020-12 metaschema.
	sch, err := c.Compile(manifest.SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// validateYAML validates data against sch as an editor would: a document
// that is not YAML, or whose value is not JSON, counts as refused (an
// editor shows a syntax error).
func validateYAML(sch *jsonschema.Schema, data []byte) error {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("YAML: %w", err)
	}
	v, err := jsonValue(v)
	if err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return sch.Validate(doc)
}

// jsonValue turns what yaml.v3 decodes into interface{} into what
// encoding/json can write, as a YAML language server does:
//
//   - a mapping key that is not a string becomes its text (yaml.v3 makes
//     map[interface{}]interface{} of such a mapping, which encoding/json
//     refuses);
//   - .inf, -.inf and .nan, which JSON cannot write, stay numbers: a
//     language server checks them as JavaScript's Infinity and NaN, which
//     are numbers. They are written as 1e999 and -1e999, numbers no
//     float64 holds, which only a type check or a bound looks at.
//
// yaml.v3 reads plain scalars mostly by YAML 1.2 (yes and on are strings),
// but 010 is octal 8 as in YAML 1.1; the cases avoid relying on either.
func jsonValue(v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			j, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			out[k] = j
		}
		return out, nil
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			switch k.(type) {
			case map[string]any, map[any]any, []any:
				return nil, fmt.Errorf("a mapping key that is a collection has no JSON form")
			}
			j, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			out[fmt.Sprint(k)] = j
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			j, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = j
		}
		return out, nil
	case float64:
		switch {
		case math.IsInf(v, -1):
			return json.Number("-1e999"), nil
		case math.IsInf(v, 1), math.IsNaN(v):
			return json.Number("1e999"), nil
		}
	}
	return v, nil
}

// The schema enumerates exactly the IDs checkSuppress lets through.
func TestSuppressibleRules(t *testing.T) {
	ids := SuppressibleRules()
	if len(ids) == 0 || !slices.IsSorted(ids) {
		t.Fatalf("SuppressibleRules() = %v", ids)
	}
	m, err := manifest.Parse("m.yaml", []byte(schemaCase{}.yaml()))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range append(slices.Clone(provxml.Rules), PlanRules...) {
		p := *m.Packages[0]
		p.Suppress = []string{r.ID}
		var fs []Finding
		checkSuppress(m, &p, &fs)
		if got := slices.Contains(ids, r.ID); got != (len(fs) == 0) {
			t.Errorf("%s (%s): in SuppressibleRules %v, checkSuppress findings %v", r.ID, r.Severity, got, fs)
		}
	}
}
