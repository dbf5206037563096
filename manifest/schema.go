package manifest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
)

// SchemaID is the $id of the generated JSON Schema.
const SchemaID = "https://github.com/provpack/provpack/manifest.schema.json"

// semverPattern is the strict semver 2.0.0 grammar (semver.org), or the
// four-part a.b.c.d form: what ParseVersion accepts. Which form a target
// takes, and the w10m part limit, are rules across keys that the schema
// does not express.
const semverPattern = `^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)((-((0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*))?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?|\.(0|[1-9][0-9]*))$`

const guidPattern = `^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`

// nilGUID is the one GUID of the right form that ParseGUID refuses.
const nilGUID = "00000000-0000-0000-0000-000000000000"

// typeDocs describes the manifest's object types in the schema.
var typeDocs = map[reflect.Type]string{
	reflect.TypeOf(Manifest{}): "A provpack manifest (provpack.yaml): one image and its Image Update packages.",
	reflect.TypeOf(Ordinals{}): "Ordinals of generated file names (the NNN in mxipupdate_<package>_<NNN>.provxml).",
	reflect.TypeOf(Package{}):  "An Image Update package.",
	reflect.TypeOf(Source{}):   "A provisioning source: a .provxml file or glob, or inline settings (exactly one).",
	reflect.TypeOf(Setting{}):  "One characteristic of inline settings: parms to set and/or parms to delete.",
	reflect.TypeOf(Parm{}):     "A parameter to set.",
}

// Schema returns a JSON Schema (draft 2020-12) of the manifest, generated
// by reflection from the same types, tags and patterns the decoder uses,
// so the two cannot drift apart. The output is deterministic: object keys
// are sorted and lists keep declaration order.
//
// suppressible lists the rule IDs a package's suppress list may name: the
// warning-level rules. manifest does not know the rules (they live in
// provxml and pkgbuild, which import manifest), so the caller passes them
// in; pkgbuild.ManifestSchema does. The schema enumerates them as given.
//
// The schema says every rule Parse applies to one value alone, but for
// two a regular expression cannot (a source path that leaves the
// manifest's directory or names it), the written form of a YAML number
// (an ordinal written 0x64, 1e2 or 100.0 is the number 100 to an editor)
// and the grammar of a requires constraint, which is Masterminds/semver's
// (the schema says only that it is not empty).
// It cannot say the rules across values (unique names and GUIDs,
// requirements, target-specific rules). Parse remains the authority.
func Schema(suppressible []string) ([]byte, error) {
	g := &schemaGen{defs: map[string]any{}, ruleIDs: append([]string{}, suppressible...)}
	root := g.object(reflect.TypeOf(Manifest{}))
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = SchemaID
	root["title"] = "provpack manifest"
	root["$defs"] = g.defs
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

type schemaGen struct {
	defs    map[string]any
	ruleIDs []string
}

// object returns the schema of a struct type.
func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	required := []string{}
	var groups []string
	members := map[string][]string{}
	oneof := map[string]bool{}
	for _, f := range fieldsOf(t) {
		s := g.value(f.typ, f.rules)
		if f.doc != "" {
			s["description"] = f.doc
		}
		props[f.key] = s
		if f.rules.required {
			required = append(required, f.key)
		}
		for _, grp := range []string{f.rules.oneof, f.rules.anyof} {
			if grp == "" {
				continue
			}
			if _, ok := members[grp]; !ok {
				groups = append(groups, grp)
			}
			members[grp] = append(members[grp], f.key)
			oneof[grp] = oneof[grp] || grp == f.rules.oneof
		}
	}
	s := map[string]any{
		"type":                 "object",
		"properties":           props,
		"additionalProperties": false,
	}
	if d := typeDocs[t]; d != "" {
		s["description"] = d
	}
	if len(required) > 0 {
		s["required"] = required
	}
	var alts []any
	for _, grp := range groups {
		var list []any
		for _, k := range members[grp] {
			list = append(list, map[string]any{"required": []string{k}})
		}
		kw := "anyOf"
		if oneof[grp] {
			kw = "oneOf"
		}
		alts = append(alts, map[string]any{kw: list})
	}
	switch len(alts) {
	case 0:
	case 1:
		for k, v := range alts[0].(map[string]any) {
			s[k] = v
		}
	default:
		s["allOf"] = alts
	}
	return s
}

// value returns the schema of a field's type.
func (g *schemaGen) value(t reflect.Type, r rules) map[string]any {
	switch t {
	case reflect.TypeOf(Version{}):
		return map[string]any{"type": "string", "pattern": semverPattern}
	case reflect.TypeOf(Constraint{}):
		return map[string]any{"type": []string{"string", "number"}, "minLength": 1, "description": "A semver constraint, e.g. \">=1.0.0\" or \"^1.2\"."}
	case reflect.TypeOf(GUID{}):
		return map[string]any{"type": "string", "pattern": guidPattern, "not": map[string]any{"const": nilGUID}}
	case pathType:
		str := map[string]any{"type": []string{"string", "number", "boolean"}, "minLength": 1}
		return map[string]any{"oneOf": []any{
			str,
			map[string]any{"type": "array", "items": str, "minItems": 1},
		}}
	}
	if e, ok := reflect.Zero(t).Interface().(enum); ok {
		return map[string]any{"type": "string", "enum": e.values()}
	}
	switch t.Kind() {
	case reflect.String:
		// Parse takes any scalar for a string and keeps the text exactly as
		// written (value: 010 is the text "010"), so a YAML number or
		// boolean is fine here too.
		s := map[string]any{"type": []string{"string", "number", "boolean"}}
		if !r.empty {
			s["minLength"] = 1
		}
		if r.name != "" {
			nr := nameRules[r.name]
			s["pattern"] = nr.pattern
			// "pattern" applies to strings only, but Parse checks the
			// text of a number too: a number's text has a "." when it
			// is not whole, and a "-" first when it is negative.
			if !strings.Contains(nr.first+nr.rest, ".") {
				s["multipleOf"] = 1
			}
			if !strings.Contains(nr.first, "-") {
				s["minimum"] = 0
			}
		}
		if r.glob {
			s["pattern"] = globSyntax
			var refused []any
			for _, gr := range globRules {
				refused = append(refused, map[string]any{"pattern": gr.re})
			}
			s["not"] = map[string]any{"type": "string", "anyOf": refused}
		}
		return s
	case reflect.Int:
		s := map[string]any{"type": "integer"}
		if r.hasMin {
			s["minimum"] = r.min
		}
		if r.hasMax {
			s["maximum"] = r.max
		}
		return s
	case reflect.Slice:
		s := map[string]any{"type": "array", "items": g.value(t.Elem(), rules{})}
		if r.ruleIDs {
			s["items"] = map[string]any{"type": "string", "enum": g.ruleIDs}
		}
		if r.nonempty {
			s["minItems"] = 1
		}
		return s
	case reflect.Map:
		s := map[string]any{"type": "object", "additionalProperties": g.value(t.Elem(), rules{})}
		if r.name != "" {
			s["propertyNames"] = map[string]any{"pattern": nameRules[r.name].pattern}
		}
		if r.nonempty {
			s["minProperties"] = 1
		}
		return s
	case reflect.Pointer:
		return g.value(t.Elem(), r)
	case reflect.Struct:
		name := t.Name()
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = nil // break cycles
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/$defs/" + name}
	}
	panic("manifest: no schema for type " + t.String())
}
