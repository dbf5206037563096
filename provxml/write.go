package provxml

import (
	"bufio"
	"bytes"
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

// attrRank orders the attributes readers look at first.
var attrRank = map[string]int{"type": 0, "name": 1, "value": 2, "datatype": 3}

// Write renders doc in canonical form.
func Write(w io.Writer, doc *Document) error {
	bw := bufio.NewWriter(w)
	writeDoc(bw, doc)
	return bw.Flush()
}

// sink is what the canonical writer writes to: a bufio.Writer for Write,
// a bytes.Buffer for AppendCanonical (no second copy through a buffer).
type sink interface {
	Write([]byte) (int, error)
	WriteString(string) (int, error)
	WriteByte(byte) error
}

func writeDoc(bw sink, doc *Document) {
	bw.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	if dt := doc.Doctype; dt != nil {
		bw.WriteString("<!DOCTYPE ")
		bw.WriteString(dt.Name)
		switch {
		case dt.PublicID != "":
			bw.WriteString(` PUBLIC "`)
			bw.WriteString(dt.PublicID)
			bw.WriteString(`"`)
			if dt.SystemID != "" {
				writeLiteral(bw, dt.SystemID)
			}
		case dt.SystemID != "":
			bw.WriteString(" SYSTEM")
			writeLiteral(bw, dt.SystemID)
		}
		bw.WriteString(">\n")
	}
	if doc.Root != nil {
		writeElement(bw, doc.Root, 0)
	}
}

func writeLiteral(bw sink, s string) {
	q := `"`
	if strings.Contains(s, `"`) {
		q = `'`
	}
	bw.WriteString(" " + q + s + q)
}

// Canonical returns the canonical bytes of doc.
func Canonical(doc *Document) []byte { return AppendCanonical(nil, doc) }

// AppendCanonical appends the canonical bytes of doc to dst; a dst with
// room for them (the size of the sources is a good guess) saves the
// copies of a growing buffer.
func AppendCanonical(dst []byte, doc *Document) []byte {
	b := bytes.NewBuffer(dst)
	writeDoc(b, doc)
	return b.Bytes()
}

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
	ra, oka := attrRank[a.Name]
	rb, okb := attrRank[b.Name]
	switch {
	case oka && okb:
		return ra - rb
	case oka:
		return -1
	case okb:
		return 1
	}
	return strings.Compare(a.Name, b.Name)
}

func indent(bw sink, level int) {
	for range level {
		bw.WriteString("  ")
	}
}

func writeElement(bw sink, e *Element, level int) {
	indent(bw, level)
	bw.WriteByte('<')
	bw.WriteString(e.Name)
	for _, a := range sortedAttrs(e.Attrs) {
		bw.WriteByte(' ')
		bw.WriteString(a.Name)
		bw.WriteString(`="`)
		escapeAttr(bw, a.Value)
		bw.WriteByte('"')
	}
	switch {
	case len(e.Children) == 0 && e.Text == "":
		bw.WriteString("/>\n")
		return
	case len(e.Children) == 0:
		bw.WriteByte('>')
		escapeText(bw, e.Text)
	default:
		bw.WriteString(">\n")
		if e.Text != "" {
			indent(bw, level+1)
			escapeText(bw, e.Text)
			bw.WriteByte('\n')
		}
		for _, ch := range e.Children {
			writeElement(bw, ch, level+1)
		}
		indent(bw, level)
	}
	bw.WriteString("</")
	bw.WriteString(e.Name)
	bw.WriteString(">\n")
}

func escapeAttr(bw sink, s string) {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		var esc string
		size := 1
		switch c {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&quot;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			if c >= utf8.RuneSelf {
				r, n := utf8.DecodeRuneInString(s[i:])
				size = n
				if r == 0xF000 {
					esc = "&#xF000;"
				}
			}
		}
		if esc != "" {
			bw.WriteString(s[last:i])
			bw.WriteString(esc)
			last = i + size
		}
		i += size
	}
	bw.WriteString(s[last:])
}

func escapeText(bw sink, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\r':
			esc = "&#xD;"
		default:
			continue
		}
		bw.WriteString(s[last:i])
		bw.WriteString(esc)
		last = i + 1
	}
	bw.WriteString(s[last:])
}
