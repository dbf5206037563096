package manifest

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// SetVersion returns data with the version of package pkg replaced by v,
// for provpack bump. Only the bytes of the old version token change:
// comments, blank lines, indentation, key order and the token's quoting
// style all survive byte for byte.
//
// pkg is matched exactly, else ignoring case. v must be strict semver.
// SetVersion does not validate the rest of the manifest; parse the result
// to learn whether, say, another package's requirement no longer holds.
func SetVersion(data []byte, pkg string, v string) ([]byte, error) {
	t, root, err := parseForEdit(data, v)
	if err != nil {
		return nil, err
	}
	var pkgs *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "packages" && root.Content[i+1].Kind == yaml.SequenceNode {
			pkgs = root.Content[i+1]
		}
	}
	if pkgs == nil {
		return nil, fmt.Errorf("the manifest has no packages list")
	}
	var names []string
	var exact, folded []*yaml.Node
	for _, p := range pkgs.Content {
		if p.Kind != yaml.MappingNode {
			continue
		}
		name := mappingValue(p, "name")
		if name == nil || name.Kind != yaml.ScalarNode {
			continue
		}
		names = append(names, name.Value)
		switch {
		case name.Value == pkg:
			exact = append(exact, p)
		case strings.EqualFold(name.Value, pkg):
			folded = append(folded, p)
		}
	}
	match := exact
	if len(match) == 0 {
		match = folded
	}
	switch {
	case len(match) == 0:
		msg := fmt.Sprintf("no package %q in the manifest", pkg)
		if s := suggest(pkg, names); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return nil, fmt.Errorf("%s", msg)
	case len(match) > 1:
		return nil, fmt.Errorf("package %q is in the manifest more than once", pkg)
	}
	vn := mappingValue(match[0], "version")
	if vn == nil {
		return nil, fmt.Errorf("package %q has no version key to change", pkg)
	}
	if vn.Kind != yaml.ScalarNode || vn.Anchor != "" || vn.Tag != "" && vn.Tag != "!!str" && vn.Tag != "!!float" && vn.Tag != "!!int" {
		return nil, fmt.Errorf("line %d: the version of package %q is not a plain value; write it as version: 1.0.0", vn.Line, pkg)
	}
	out, err := replaceScalar(t, vn, v)
	if err != nil {
		return nil, fmt.Errorf("line %d: cannot edit the version of package %q: %v", vn.Line, pkg, err)
	}
	return out, nil
}

// SetRelease returns data with the image release replaced by v, for
// provpack bump --release; like SetVersion, only the bytes of the old
// token change.
func SetRelease(data []byte, v string) ([]byte, error) {
	t, root, err := parseForEdit(data, v)
	if err != nil {
		return nil, err
	}
	rn := mappingValue(root, "release")
	if rn == nil {
		return nil, fmt.Errorf("the manifest has no release key to change")
	}
	if rn.Kind != yaml.ScalarNode || rn.Anchor != "" || rn.Tag != "" && rn.Tag != "!!str" && rn.Tag != "!!float" && rn.Tag != "!!int" {
		return nil, fmt.Errorf("line %d: the release is not a plain value; write it as release: 1.0.0", rn.Line)
	}
	out, err := replaceScalar(t, rn, v)
	if err != nil {
		return nil, fmt.Errorf("line %d: cannot edit the release: %v", rn.Line, err)
	}
	return out, nil
}

// parseForEdit checks that v is a version and parses data for an edit.
func parseForEdit(data []byte, v string) (*text, *yaml.Node, error) {
	if _, err := ParseVersion(v); err != nil {
		return nil, nil, err
	}
	e := &errs{file: "manifest"}
	t := newText(data)
	root := parseYAML(e, t)
	if root == nil {
		return nil, nil, fmt.Errorf("cannot edit the manifest:\n%w", e.list.err())
	}
	return t, root, nil
}

// replaceScalar returns t's data with the one-line scalar n replaced by v
// in the same quoting style.
func replaceScalar(t *text, n *yaml.Node, v string) ([]byte, error) {
	start, end, err := scalarToken(t, n)
	if err != nil {
		return nil, err
	}
	var repl string
	switch n.Style {
	case yaml.DoubleQuotedStyle:
		repl = `"` + v + `"`
	case yaml.SingleQuotedStyle:
		repl = `'` + v + `'`
	default:
		repl = v
	}
	out := make([]byte, 0, len(t.data)-(end-start)+len(repl))
	out = append(out, t.data[:start]...)
	out = append(out, repl...)
	out = append(out, t.data[end:]...)
	return out, nil
}

// mappingValue returns the value of key in mapping m, or nil.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// scalarToken returns the byte range of a one-line plain or quoted scalar.
func scalarToken(t *text, n *yaml.Node) (start, end int, err error) {
	start = t.offset(n.Line, n.Column)
	if start < 0 {
		return 0, 0, fmt.Errorf("position out of range")
	}
	lineEnd := t.start[n.Line-1] + len(t.line(n.Line))
	rest := t.data[start:lineEnd]
	switch n.Style {
	case 0:
		if !bytes.HasPrefix(rest, []byte(n.Value)) || n.Value == "" {
			return 0, 0, fmt.Errorf("the value spans lines or is written unusually")
		}
		return start, start + len(n.Value), nil
	case yaml.DoubleQuotedStyle:
		if len(rest) == 0 || rest[0] != '"' {
			return 0, 0, fmt.Errorf("expected a double quote")
		}
		for i := 1; i < len(rest); i++ {
			switch rest[i] {
			case '\\':
				i++
			case '"':
				return start, start + i + 1, nil
			}
		}
		return 0, 0, fmt.Errorf("the quoted value spans lines")
	case yaml.SingleQuotedStyle:
		if len(rest) == 0 || rest[0] != '\'' {
			return 0, 0, fmt.Errorf("expected a single quote")
		}
		for i := 1; i < len(rest); i++ {
			if rest[i] == '\'' {
				if i+1 < len(rest) && rest[i+1] == '\'' {
					i++
					continue
				}
				return start, start + i + 1, nil
			}
		}
		return 0, 0, fmt.Errorf("the quoted value spans lines")
	}
	return 0, 0, fmt.Errorf("block scalars are not supported here")
}
