package provxml

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// Canonical form, as Write produces it:
//
//   - UTF-8 without byte-order mark, LF line ends, a final newline;
//   - the declaration <?xml version="1.0" encoding="utf-8"?>;
//   - a DOCTYPE only when the source had one (external identifiers only);
//   - comments and processing instructions dropped;
//   - one element per line, indented by two spaces per level; an element
//     without children and text is self-closed;
//   - attributes in a fixed order (type, name, value, datatype, then the
//     others alphabetically), double-quoted;
//   - in attribute values & < > " and TAB, LF, CR are written as
//     references, and so is U+F000 (the multiplestring separator, which
//     is invisible in editors); everything else is literal UTF-8.
//
// Parsing canonical output and writing it again gives the same bytes.

// attrRank orders the attributes readers look at first: type, name,
// value, datatype, then the others (rank 4) by name.
func attrRank(name string) int {
	switch name {
	case "type":
		return 0
	case "name":
		return 1
	case "value":
		return 2
	case "datatype":
		return 3
	}
	return 4
}

// Write renders doc in canonical form.
func Write(w io.Writer, doc *Document) error {
	_, err := w.Write(Canonical(doc))
	return err
}

func appendDoc(b []byte, doc *Document) []byte {
	b = append(b, `<?xml version="1.0" encoding="utf-8"?>`+"\n"...)
	if dt := doc.Doctype; dt != nil {
		b = append(b, "<!DOCTYPE "...)
		b = append(b, dt.Name...)
		switch {
		case dt.PublicID != "":
			b = append(b, ` PUBLIC "`...)
			b = append(b, dt.PublicID...)
			b = append(b, '"')
			if dt.SystemID != "" {
				b = appendLiteral(b, dt.SystemID)
			}
		case dt.SystemID != "":
			b = append(b, " SYSTEM"...)
			b = appendLiteral(b, dt.SystemID)
		}
		b = append(b, ">\n"...)
	}
	if doc.Root != nil {
		b = appendElement(b, doc.Root, 0)
	}
	return b
}

func appendLiteral(b []byte, s string) []byte {
	q := byte('"')
	if strings.Contains(s, `"`) {
		q = '\''
	}
	b = append(b, ' ', q)
	b = append(b, s...)
	return append(b, q)
}

// Canonical returns the canonical bytes of doc.
func Canonical(doc *Document) []byte { return AppendCanonical(nil, doc) }

// AppendCanonical appends the canonical bytes of doc to dst; a dst with
// room for them (the size of the sources is a good guess) saves the
// copies of a growing buffer.
func AppendCanonical(dst []byte, doc *Document) []byte { return appendDoc(dst, doc) }

// Digest returns "sha256:<hex>" of the canonical form: it ignores white
// space between elements, attribute order, quoting style, character
// references and comments, and nothing else.
func Digest(doc *Document) string { return DigestCanonical(Canonical(doc)) }

// DigestCanonical is Digest for bytes already in canonical form.
func DigestCanonical(canonical []byte) string {
	sum := sha256.Sum256(canonical)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func sortedAttrs(attrs []Attr) []Attr {
	if slices.IsSortedFunc(attrs, compareAttrs) {
		return attrs
	}
	out := slices.Clone(attrs)
	slices.SortStableFunc(out, compareAttrs)
	return out
}

// compareAttrs is the canonical attribute order.
func compareAttrs(a, b Attr) int {
	ra, rb := attrRank(a.Name), attrRank(b.Name)
	if ra != rb || ra < 4 {
		return ra - rb
	}
	return strings.Compare(a.Name, b.Name)
}

const indentSpaces = "                                                                "

func appendIndent(b []byte, level int) []byte {
	for n := 2 * level; n > 0; n -= len(indentSpaces) {
		b = append(b, indentSpaces[:min(n, len(indentSpaces))]...)
	}
	return b
}

func appendElement(b []byte, e *Element, level int) []byte {
	b = appendIndent(b, level)
	b = append(b, '<')
	b = append(b, e.Name...)
	for _, a := range sortedAttrs(e.Attrs) {
		b = append(b, ' ')
		b = append(b, a.Name...)
		b = append(b, '=', '"')
		b = appendEscapedAttr(b, a.Value)
		b = append(b, '"')
	}
	switch {
	case len(e.Children) == 0 && e.Text == "":
		return append(b, "/>\n"...)
	case len(e.Children) == 0:
		b = append(b, '>')
		b = appendEscapedText(b, e.Text)
	default:
		b = append(b, '>', '\n')
		if e.Text != "" {
			b = appendIndent(b, level+1)
			b = appendEscapedText(b, e.Text)
			b = append(b, '\n')
		}
		for _, ch := range e.Children {
			b = appendElement(b, ch, level+1)
		}
		b = appendIndent(b, level)
	}
	b = append(b, '<', '/')
	b = append(b, e.Name...)
	return append(b, '>', '\n')
}

// attrEscapes and textEscapes are the references the canonical form
// writes for ASCII bytes in attribute values and in text.
var (
	attrEscapes = [utf8.RuneSelf]string{'&': "&amp;", '<': "&lt;", '>': "&gt;", '"': "&quot;", '\t': "&#x9;", '\n': "&#xA;", '\r': "&#xD;"}
	textEscapes = [utf8.RuneSelf]string{'&': "&amp;", '<': "&lt;", '>': "&gt;", '\r': "&#xD;"}
)

func appendEscapedAttr(b []byte, s string) []byte { return appendEscaped(b, s, &attrEscapes, true) }

func appendEscapedText(b []byte, s string) []byte { return appendEscaped(b, s, &textEscapes, false) }

// appendEscaped appends s with the references of esc, and with U+F000
// (the multiplestring separator, UTF-8 EF 80 80) as &#xF000; when f000.
func appendEscaped(b []byte, s string, esc *[utf8.RuneSelf]string, f000 bool) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var e string
		size := 1
		switch {
		case c < utf8.RuneSelf:
			if e = esc[c]; e == "" {
				continue
			}
		case f000 && c == 0xEF && strings.HasPrefix(s[i:], "\uf000"):
			e, size = "&#xF000;", len("\uf000")
		default:
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, e...)
		last = i + size
		i += size - 1
	}
	return append(b, s[last:]...)
}
