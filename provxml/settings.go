package provxml

import (
	"slices"
	"strings"
)

// Op is what a setting does on the device.
type Op string

const (
	OpSet    Op = "set"    // parm, or a characteristic with nothing inside
	OpDelete Op = "delete" // noparm, nocharacteristic
	OpQuery  Op = "query"  // parm-query, characteristic-query
)

// Setting is one provisioning action in flat form. Diffs, conflicts and
// reports work on settings, never on text.
type Setting struct {
	CSP string `json:"csp"`
	// Path lists the types of the characteristics between the CSP and the
	// setting; for a whole-characteristic action (nocharacteristic,
	// characteristic-query, an empty characteristic) the last entry is the
	// characteristic acted on.
	Path     []string `json:"path,omitempty"`
	Name     string   `json:"name,omitempty"`
	Value    string   `json:"value,omitempty"`
	HasValue bool     `json:"-"`
	Datatype string   `json:"datatype,omitempty"`
	Op       Op       `json:"op"`
	// Attrs holds the element's other attributes (translation, mwid,
	// semantic-type, …) as name=value pairs, sorted by name.
	Attrs []string `json:"attrs,omitempty"`
	Pos   Pos      `json:"-"`
}

// Key identifies what a setting writes, independent of its value: the CSP,
// the path and the name. Two settings with the same key touch the same
// thing on the device.
func (s Setting) Key() string {
	var b strings.Builder
	b.WriteString(s.CSP)
	for _, p := range s.Path {
		b.WriteString("/")
		b.WriteString(p)
	}
	if s.Name != "" {
		b.WriteString("/@")
		b.WriteString(s.Name)
	}
	return b.String()
}

// Flatten lists the settings of doc in document order. Elements that the
// rules reject (unknown or response elements) are skipped.
func Flatten(doc *Document) []Setting { return AppendSettings(nil, doc) }

// AppendSettings appends the settings of doc, in document order, to out.
func AppendSettings(out []Setting, doc *Document) []Setting {
	if doc.Root == nil || doc.Root.Name != ElemRoot {
		return out
	}
	out = slices.Grow(out, countLeaves(doc.Root))
	for _, ch := range doc.Root.Children {
		typ, _ := ch.Attr("type")
		switch ch.Name {
		case ElemCharacteristic:
			if len(ch.Children) == 0 {
				out = append(out, whole(typ, ch, OpSet))
				continue
			}
			out = flatten(out, typ, nil, ch)
		case ElemNocharacteristic:
			out = append(out, whole(typ, ch, OpDelete))
		case ElemCharacteristicQuery:
			out = append(out, whole(typ, ch, OpQuery))
		}
	}
	return out
}

// SettingsBound is at least the number of settings Flatten(doc) gives,
// for sizing a slice that several documents' settings go into.
func SettingsBound(doc *Document) int {
	if doc.Root == nil {
		return 0
	}
	return countLeaves(doc.Root)
}

// countLeaves bounds the number of settings below e, so that flattening
// allocates once.
func countLeaves(e *Element) int {
	if len(e.Children) == 0 {
		return 1
	}
	n := 0
	for _, ch := range e.Children {
		n += countLeaves(ch)
	}
	return n
}

// whole is an action on a first-level characteristic as a whole.
func whole(csp string, e *Element, op Op) Setting {
	return Setting{CSP: csp, Op: op, Pos: e.Pos, Attrs: extraAttrs(e)}
}

func clonePath(p []string) []string { return append([]string(nil), p...) }

// flatten walks the children of characteristic e; path holds the types
// below the CSP down to e (empty for the CSP itself).
func flatten(out []Setting, csp string, path []string, e *Element) []Setting {
	// The settings directly in e share one copy of the path; its capacity
	// is capped so that no later append can write into it.
	own := clonePath(path)
	own = own[:len(own):len(own)]
	for _, ch := range e.Children {
		switch ch.Name {
		case ElemCharacteristic:
			typ, _ := ch.Attr("type")
			sub := append(clonePath(path), typ)
			if len(ch.Children) == 0 {
				out = append(out, Setting{CSP: csp, Path: sub, Op: OpSet, Pos: ch.Pos, Attrs: extraAttrs(ch)})
				continue
			}
			out = flatten(out, csp, sub, ch)
		case ElemNocharacteristic, ElemCharacteristicQuery:
			typ, _ := ch.Attr("type")
			op := OpDelete
			if ch.Name == ElemCharacteristicQuery {
				op = OpQuery
			}
			out = append(out, Setting{CSP: csp, Path: append(clonePath(path), typ), Op: op, Pos: ch.Pos, Attrs: extraAttrs(ch)})
		case ElemParm, ElemNoparm, ElemParmQuery:
			name, _ := ch.Attr("name")
			s := Setting{CSP: csp, Path: own, Name: name, Pos: ch.Pos, Attrs: extraAttrs(ch)}
			switch ch.Name {
			case ElemParm:
				s.Op = OpSet
				s.Value, s.HasValue = ch.Attr("value")
				s.Datatype, _ = ch.Attr("datatype")
			case ElemNoparm:
				s.Op = OpDelete
			default:
				s.Op = OpQuery
			}
			out = append(out, s)
		}
	}
	return out
}

// extraAttrs returns the attributes of e other than the identifying ones,
// as sorted name=value pairs.
func extraAttrs(e *Element) []string {
	extra := false
	for _, a := range e.Attrs {
		switch a.Name {
		case "type", "name", "value", "datatype":
		default:
			extra = true
		}
	}
	if !extra {
		return nil
	}
	var out []string
	for _, a := range sortedAttrs(e.Attrs) {
		switch a.Name {
		case "type", "name", "value", "datatype":
			continue
		}
		out = append(out, a.Name+"="+a.Value)
	}
	return out
}
