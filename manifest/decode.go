package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/provpack/provpack/internal/boundedread"

	"gopkg.in/yaml.v3"
)

// MaxSize is the largest manifest Parse reads. A real one is a few
// kilobytes.
const MaxSize = 8 << 20

// maxDepth bounds how deeply YAML collections may nest. The deepest value
// a valid manifest has is at depth 10 (document, root, packages, package,
// update, source, settings, setting, parms, parm), so anything near the
// bound is garbage and is refused before it is looked at.
const maxDepth = 64

// Load reads and parses the manifest at path. Errors in the manifest are
// an ErrorList naming path; failing to read the file is an ordinary error
// wrapping the fs error.
func Load(path string) (*Manifest, error) {
	data, err := readLimited(path, MaxSize)
	if err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	return Parse(path, data)
}

// readLimited reads a regular file, but at most limit+1 bytes (see
// boundedread.Prefix).
func readLimited(path string, limit int64) ([]byte, error) {
	data, err := boundedread.Prefix(path, limit)
	var pe *fs.PathError
	if errors.As(err, &pe) && errors.Is(err, fs.ErrNotExist) {
		pe.Op = "open" // what users know from every other tool
	}
	return data, err
}

// Parse decodes a manifest strictly and checks everything that can be
// checked without the file system. name is used in errors only. On any
// problem it returns a nil Manifest and an ErrorList holding every problem
// found, sorted by position.
//
// Parse does not fill in defaults (see WithDefaults) and does not look at
// the sources' files (see CheckSources).
func Parse(name string, data []byte) (*Manifest, error) {
	m, err := parse(name, data)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// LoadPartial is Load, but when the manifest decodes with problems it
// returns what decoded alongside the ErrorList, so that a caller can look
// for more problems (its sources, say) in the same run. The Manifest is
// nil only when nothing could be decoded (a syntax error, an empty file,
// a file that cannot be read). Nothing but the search for problems may
// use a Manifest returned with an error.
func LoadPartial(path string) (*Manifest, error) {
	data, err := readLimited(path, MaxSize)
	if err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	return parse(path, data)
}

func parse(name string, data []byte) (*Manifest, error) {
	e := &errs{file: name}
	if len(data) > MaxSize {
		e.add(Pos{}, "", "file is larger than %d MiB; a manifest is a few kilobytes", MaxSize>>20)
		return nil, e.list.err()
	}
	t := newText(data)
	root := parseYAML(e, t)
	if root == nil {
		return nil, e.list.err()
	}
	d := &decoder{errs: e, text: t}
	m := &Manifest{File: name}
	d.decodeStruct(root, reflect.ValueOf(m).Elem(), "")
	validate(e, m)
	return m, e.list.err()
}

// parseYAML parses data as one YAML document and returns its root mapping,
// or nil after recording why there is none. Every node it returns is free
// of anchors, aliases and excessive depth problems only in the sense that
// those have been reported; the decoder skips alias nodes.
func parseYAML(e *errs, t *text) *yaml.Node {
	t.checkChars(e, 20)
	if len(e.list) > 0 {
		return nil
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(t.data))
	if err := safeDecode(dec, &doc); err != nil {
		if err == io.EOF {
			e.add(Pos{Line: 1, Col: 1}, "", "empty manifest: want a mapping with at least image, release, target and packages")
			return nil
		}
		syntaxError(e, t, err)
		return nil
	}
	var next yaml.Node
	switch err := safeDecode(dec, &next); {
	case err == io.EOF:
	case err != nil:
		syntaxError(e, t, err)
		return nil
	case !isNull(docContent(&next)):
		e.add(t.pos(next.Line, next.Column), "", "a second YAML document starts here; a manifest is one document")
	}
	scanTree(e, t, &doc)
	root := docContent(&doc)
	switch {
	case isNull(root):
		e.add(Pos{Line: max(1, doc.Line), Col: 1}, "", "empty manifest: want a mapping with at least image, release, target and packages")
		return nil
	case root.Kind == yaml.AliasNode:
		return nil // reported by scanTree
	case root.Kind != yaml.MappingNode:
		e.add(t.pos(root.Line, root.Column), "", "expected a mapping (image, release, target, packages, ...) at the top, got %s", describe(root))
		return nil
	}
	return root
}

// safeDecode runs yaml.v3 and turns a panic inside it into an error, so a
// parser bug found by odd input cannot take the caller down.
func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: internal parser error: %v", r)
		}
	}()
	return dec.Decode(n)
}

func docContent(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0]
	}
	if doc.Kind == 0 {
		return nil
	}
	return doc
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || n.Kind == yaml.ScalarNode && n.Tag == "!!null" && n.Style == 0 && (n.Value == "" || n.Value == "~" || n.Value == "null" || n.Value == "Null" || n.Value == "NULL")
}

// yamlErrRE is compiled when yaml.v3 first reports an error.
var yamlErrRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`) })

// syntaxError turns a yaml.v3 parse error into a positioned Error.
//
// yaml.v3 reports a line but no column, and the line is often where the
// enclosing construct began rather than where the problem is. The first
// line at which a prefix of the file fails with the same message is the
// better answer, found by binary search over prefixes.
func syntaxError(e *errs, t *text, err error) {
	msg := err.Error()
	line := 1
	if m := yamlErrRE().FindStringSubmatch(msg); m != nil {
		msg = m[2]
		if m[1] != "" {
			line, _ = strconv.Atoi(m[1])
		}
	}
	line = min(max(line, 1), t.lines())
	line = refineLine(t, line, msg)

	// Tabs are the most common cause, and yaml.v3's message for them is
	// obscure ("found character that cannot start any token").
	for _, l := range []int{line, line + 1, line - 1} {
		b := t.line(l)
		indent := len(b) - len(bytes.TrimLeft(b, " \t"))
		if i := bytes.IndexByte(b[:indent], '\t'); i >= 0 {
			e.add(Pos{Line: l, Col: i + 1}, "", "tab character in indentation; YAML indents with spaces only")
			return
		}
	}
	b := t.line(line)
	col := len(b) - len(bytes.TrimLeft(b, " ")) + 1
	e.add(Pos{Line: line, Col: col}, "", "YAML syntax: %s", msg)
}

// refineLine returns the first line L >= from such that the file cut after
// line L fails to parse with message msg, assuming that once a prefix fails
// that way, longer ones do too. It gives up on large files.
func refineLine(t *text, from int, msg string) int {
	if len(t.data) > 1<<20 {
		return from
	}
	fails := func(l int) bool {
		var n yaml.Node
		dec := yaml.NewDecoder(bytes.NewReader(t.data[:t.lineEnd(l)]))
		for {
			err := safeDecode(dec, &n)
			if err == io.EOF {
				return false
			}
			if err != nil {
				m := yamlErrRE().FindStringSubmatch(err.Error())
				return m != nil && m[2] == msg
			}
		}
	}
	lo, hi := from, t.lines()
	if !fails(hi) {
		return from
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// scanTree reports every anchor and alias (the manifest refuses both, which
// makes alias bombs harmless: nothing is ever expanded) and collections
// nested deeper than maxDepth. It walks with its own stack, so depth costs
// no Go stack.
func scanTree(e *errs, t *text, doc *yaml.Node) {
	type item struct {
		n     *yaml.Node
		depth int
	}
	stack := []item{{doc, 0}}
	deep := false
	// An alias bomb repeats each alias many times; report the first use of
	// each and count the rest.
	aliasFirst := make(map[string]*Error)
	aliasMore := make(map[string]int)
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := it.n
		if n.Anchor != "" {
			e.add(t.pos(n.Line, n.Column), "", "anchor &%s: anchors and aliases are not allowed in a manifest; write the value out", n.Anchor)
		}
		if n.Kind == yaml.AliasNode {
			if aliasFirst[n.Value] == nil {
				e.add(t.pos(n.Line, n.Column), "", "alias *%s: anchors and aliases are not allowed in a manifest; write the value out", n.Value)
				aliasFirst[n.Value] = e.list[len(e.list)-1]
			} else {
				aliasMore[n.Value]++
			}
			continue
		}
		if it.depth > maxDepth {
			if !deep {
				e.add(t.pos(n.Line, n.Column), "", "nested more than %d levels deep; a manifest needs about 10", maxDepth)
				deep = true
			}
			continue
		}
		for i := len(n.Content) - 1; i >= 0; i-- {
			stack = append(stack, item{n.Content[i], it.depth + 1})
		}
	}
	for name, n := range aliasMore {
		aliasFirst[name].Msg += fmt.Sprintf(" (*%s is used %d more times)", name, n)
	}
}

// describe names what a node holds, for "expected X, got Y".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return "a string"
		case "!!int":
			return "an integer"
		case "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!null":
			return "no value"
		case "!!timestamp":
			return "a timestamp"
		case "!!binary":
			return "binary data"
		}
		return "a scalar"
	}
	return "nothing"
}

// ---- reflective decoder ----

// rules are the check:"..." options of one field.
type rules struct {
	required, nonempty, empty bool
	glob, ruleIDs             bool
	oneof, anyof              string
	hasMin, hasMax            bool
	min, max                  int
	name                      string
}

// field is one YAML key of a struct type.
type field struct {
	key   string
	index int
	typ   reflect.Type
	rules rules
	doc   string
}

var fieldCache sync.Map // reflect.Type -> []field

// fieldsOf returns the YAML keys of struct type t, in declaration order.
func fieldsOf(t reflect.Type) []field {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]field)
	}
	var fs []field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("yaml")
		key, _, _ := strings.Cut(tag, ",")
		if key == "-" || key == "" || !sf.IsExported() {
			continue
		}
		fs = append(fs, field{key: key, index: i, typ: sf.Type, rules: parseRules(sf.Tag.Get("check")), doc: sf.Tag.Get("doc")})
	}
	fieldCache.Store(t, fs)
	return fs
}

func parseRules(tag string) rules {
	var r rules
	for _, opt := range strings.Split(tag, ",") {
		k, v, _ := strings.Cut(opt, "=")
		switch k {
		case "":
		case "required":
			r.required = true
		case "nonempty":
			r.nonempty = true
		case "empty":
			r.empty = true
		case "glob":
			r.glob = true
		case "ruleids":
			r.ruleIDs = true
		case "oneof":
			r.oneof = v
		case "anyof":
			r.anyof = v
		case "min":
			r.hasMin, r.min = true, atoi(v)
		case "max":
			r.hasMax, r.max = true, atoi(v)
		case "name":
			if _, ok := nameRules[v]; !ok {
				panic("manifest: unknown name rule " + v)
			}
			r.name = v
		default:
			panic("manifest: unknown check option " + opt)
		}
	}
	return r
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic("manifest: bad number in check tag: " + s)
	}
	return n
}

var (
	positionsType = reflect.TypeOf(Positions{})
	pathType      = reflect.TypeOf(Path{})
	scalarIface   = reflect.TypeOf((*scalarType)(nil)).Elem()
)

type decoder struct {
	*errs
	text *text
}

func (d *decoder) pos(n *yaml.Node) Pos { return d.text.pos(n.Line, n.Column) }

// where says where node first is, seen from node here: "at line 7", or
// "at column 12" on the same line.
func (d *decoder) where(first, here *yaml.Node) string {
	if first.Line == here.Line {
		return fmt.Sprintf("at column %d", d.pos(first).Col)
	}
	return fmt.Sprintf("at line %d", first.Line)
}

// recorder records the position of a value at a path relative to the
// nearest enclosing struct.
type recorder func(rel string, p Pos)

func child(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// simpleKey is compiled when a map key is first named.
var simpleKey = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]+$`) })

func mapKey(path, key string) string {
	if simpleKey().MatchString(key) {
		return child(path, key)
	}
	return fmt.Sprintf("%s[%s]", path, strconv.Quote(key))
}

// keyName returns the text of a mapping key, or false after reporting a
// key that is not a scalar.
func (d *decoder) keyName(k *yaml.Node, path string) (string, bool) {
	switch k.Kind {
	case yaml.ScalarNode:
		return k.Value, true
	case yaml.AliasNode:
		return "", false // reported by scanTree
	}
	d.add(d.pos(k), path, "a key must be a plain string, got %s", describe(k))
	return "", false
}

// decodeStruct fills struct v from mapping n, reporting unknown, duplicate
// and missing keys.
func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	t := v.Type()
	var pos *Positions
	if f, ok := t.FieldByName("Positions"); ok && f.Type == positionsType {
		pos = v.FieldByIndex(f.Index).Addr().Interface().(*Positions)
		pos.Pos = d.pos(n)
	}
	rec := func(rel string, p Pos) {
		if pos != nil {
			pos.set(rel, p)
		}
	}
	fields := fieldsOf(t)
	byKey := make(map[string]*field, len(fields))
	keys := make([]string, len(fields))
	for i := range fields {
		byKey[fields[i].key] = &fields[i]
		keys[i] = fields[i].key
	}
	seen := make(map[string]*yaml.Node)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key, ok := d.keyName(k, path)
		if !ok {
			continue
		}
		if first, dup := seen[key]; dup {
			d.add(d.pos(k), child(path, key), "duplicate key (first written %s)", d.where(first, k))
			continue
		}
		seen[key] = k
		f := byKey[key]
		if f == nil {
			msg := fmt.Sprintf("unknown key %q", key)
			if s := suggest(key, keys); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				msg += fmt.Sprintf(" (known keys: %s)", strings.Join(keys, ", "))
			}
			d.add(d.pos(k), child(path, key), "%s", msg)
			continue
		}
		d.decodeValue(val, v.Field(f.index), child(path, key), f.rules, rec, key)
	}

	// Missing keys and key groups.
	at := d.pos(n)
	groups := map[string][]string{}
	var order []string
	for _, f := range fields {
		if f.rules.required && seen[f.key] == nil {
			d.add(at, child(path, f.key), "required key is missing")
		}
		for _, g := range []string{f.rules.oneof, f.rules.anyof} {
			if g == "" {
				continue
			}
			if _, ok := groups[g]; !ok {
				order = append(order, g)
			}
			groups[g] = append(groups[g], f.key)
		}
	}
	for _, g := range order {
		members := groups[g]
		var present []string
		for _, k := range members {
			if seen[k] != nil {
				present = append(present, k)
			}
		}
		oneof := byKey[members[0]].rules.oneof == g
		quoted := make([]string, len(members))
		for i, k := range members {
			quoted[i] = strconv.Quote(k)
		}
		switch {
		case len(present) == 0 && oneof:
			d.add(at, path, "needs exactly one of %s", orList(quoted))
		case len(present) == 0:
			d.add(at, path, "needs %s (or both)", orList(quoted))
		case len(present) > 1 && oneof:
			d.add(d.pos(seen[present[1]]), child(path, present[1]), "cannot be used together with %q; write them as separate entries", present[0])
		}
	}
}

// expected names what a Go type is written as in YAML.
func expected(t reflect.Type) string {
	switch {
	case t == pathType:
		return "a string or a list of strings"
	case reflect.PointerTo(t).Implements(scalarIface):
		return "a string"
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Struct, reflect.Map:
		return "a mapping"
	case reflect.Slice:
		return "a list"
	case reflect.Int:
		return "an integer"
	}
	return "a string"
}

// decodeValue fills v from n. rel is the path relative to the nearest
// struct with Positions, for rec.
func (d *decoder) decodeValue(n *yaml.Node, v reflect.Value, path string, r rules, rec recorder, rel string) {
	if n.Kind == yaml.AliasNode {
		return // reported by scanTree
	}
	p := d.pos(n)
	rec(rel, p)
	t := v.Type()
	if isNull(n) && n.Kind == yaml.ScalarNode {
		hint := ""
		switch {
		case t.Kind() == reflect.Slice && t != pathType:
			hint = " (remove the key, or write [] for none)"
		case t.Kind() == reflect.String && r.empty:
			hint = ` (write "" for an empty value)`
		}
		d.add(p, path, "expected %s, got no value%s", expected(t), hint)
		return
	}

	// Scalars with their own parsing: Version, Constraint, GUID, enums.
	if reflect.PointerTo(t).Implements(scalarIface) {
		if n.Kind != yaml.ScalarNode {
			d.add(p, path, "expected %s, got %s", expected(t), describe(n))
			return
		}
		if err := v.Addr().Interface().(scalarType).parseScalar(n.Value); err != nil {
			d.add(p, path, "%s", err.Error())
		}
		return
	}

	switch {
	case t == pathType:
		switch n.Kind {
		case yaml.ScalarNode:
			if n.Value == "" {
				d.add(p, path, "empty characteristic")
				return
			}
			v.Set(reflect.ValueOf(Path{n.Value}))
		case yaml.SequenceNode:
			var out Path
			for i, c := range n.Content {
				var s string
				d.decodeValue(c, reflect.ValueOf(&s).Elem(), index(path, i), rules{}, rec, index(rel, i))
				out = append(out, s)
			}
			if len(out) == 0 {
				d.add(p, path, "empty characteristic list; give at least one characteristic type")
				return
			}
			v.Set(reflect.ValueOf(out))
		default:
			d.add(p, path, "expected %s, got %s", expected(t), describe(n))
		}
		return
	}

	switch t.Kind() {
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.add(p, path, "expected %s, got %s", expected(t), describe(n))
			return
		}
		if n.Value == "" && !r.empty {
			d.add(p, path, "empty string")
			return
		}
		if r.name != "" {
			if err := checkName(r.name, n.Value); err != nil {
				d.add(p, path, "%s", err.Error())
			}
		}
		if r.glob {
			if msg := checkGlob(n.Value); msg != "" {
				d.add(p, path, "%s", msg)
			}
		}
		v.SetString(n.Value)

	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			got := describe(n)
			if n.Kind == yaml.ScalarNode {
				got += fmt.Sprintf(" (%q)", n.Value)
			}
			d.add(p, path, "expected an integer, got %s", got)
			return
		}
		i, err := strconv.ParseInt(n.Value, 10, 0)
		if err != nil {
			d.add(p, path, "expected a decimal integer, got %q", n.Value)
			return
		}
		switch {
		case r.hasMin && i < int64(r.min), r.hasMax && i > int64(r.max):
			d.add(p, path, "%d is out of range (want %d to %d)", i, r.min, r.max)
			return
		}
		v.SetInt(i)

	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.add(p, path, "expected %s, got %s", expected(t), describe(n))
			return
		}
		if len(n.Content) == 0 && r.nonempty {
			d.add(p, path, "empty list; give at least one entry")
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decodeValue(c, s.Index(i), index(path, i), rules{}, rec, index(rel, i))
		}
		v.Set(s)

	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.add(p, path, "expected %s, got %s", expected(t), describe(n))
			return
		}
		if len(n.Content) == 0 && r.nonempty {
			d.add(p, path, "empty mapping; give at least one entry")
			return
		}
		m := reflect.MakeMapWithSize(t, len(n.Content)/2)
		seen := make(map[string]*yaml.Node)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			key, ok := d.keyName(k, path)
			if !ok {
				continue
			}
			kp := mapKey(path, key)
			if first, dup := seen[key]; dup {
				d.add(d.pos(k), kp, "duplicate key (first written %s)", d.where(first, k))
				continue
			}
			seen[key] = k
			if r.name != "" {
				if err := checkName(r.name, key); err != nil {
					d.add(d.pos(k), kp, "%s", err.Error())
					continue
				}
			}
			ev := reflect.New(t.Elem()).Elem()
			d.decodeValue(val, ev, kp, rules{}, rec, mapKey(rel, key))
			m.SetMapIndex(reflect.ValueOf(key).Convert(t.Key()), ev)
		}
		v.Set(m)

	case reflect.Pointer:
		if t.Elem().Kind() != reflect.Struct {
			panic("manifest: unsupported field type " + t.String())
		}
		if n.Kind != yaml.MappingNode {
			d.add(p, path, "expected %s, got %s", expected(t), describe(n))
			return
		}
		nv := reflect.New(t.Elem())
		d.decodeStruct(n, nv.Elem(), path)
		v.Set(nv)

	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.add(p, path, "expected %s, got %s", expected(t), describe(n))
			return
		}
		d.decodeStruct(n, v, path)

	default:
		panic("manifest: unsupported field type " + t.String())
	}
}
