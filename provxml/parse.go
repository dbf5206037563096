package provxml

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// Limits that keep a hostile document from exhausting memory or time.
// Real provisioning files are a few kilobytes and a dozen levels deep.
const (
	DefaultMaxSize     = 8 << 20 // bytes per document
	DefaultMaxDepth    = 256     // element nesting
	DefaultMaxElements = 200_000 // elements per document
	// maxAttrs bounds the attributes of one element (an MSPROV parm has at
	// most a dozen), which keeps the duplicate check cheap.
	maxAttrs = 256
)

// ParseOptions bounds the parser. A zero field takes its default.
type ParseOptions struct {
	MaxSize     int
	MaxDepth    int
	MaxElements int
	// Arena, when set, is where the document's elements and attribute
	// lists are kept (see Arena).
	Arena *Arena
}

func (o ParseOptions) withDefaults() ParseOptions {
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxElements <= 0 {
		o.MaxElements = DefaultMaxElements
	}
	return o
}

// SyntaxError is a document that cannot be read as provisioning XML: not
// well-formed, not UTF-8, a refused DTD construct, or over a limit.
type SyntaxError struct {
	File string
	Pos  Pos
	Rule *Rule
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s", e.File, e.Pos.Line, e.Pos.Col, e.Rule.ID, e.Msg)
}

// Finding converts the error into a finding.
func (e *SyntaxError) Finding() Finding {
	return Finding{File: e.File, Pos: e.Pos, Rule: e.Rule, Msg: e.Msg}
}

// Load reads and parses the file at path.
func Load(path string, opt ParseOptions) (*Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseReader(path, f, opt)
}

// ParseReader reads at most the size limit from r and parses it.
func ParseReader(name string, r io.Reader, opt ParseOptions) (*Document, error) {
	opt = opt.withDefaults()
	data, err := io.ReadAll(io.LimitReader(r, int64(opt.MaxSize)+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return Parse(name, data, opt)
}

// Parse parses data as a provisioning document named name. The error, when
// not nil, is a *SyntaxError with a position.
func Parse(name string, data []byte, opt ParseOptions) (*Document, error) {
	opt = opt.withDefaults()
	p := &parser{file: name, src: data, line: 1, opt: opt}
	p.str = string(data)
	doc, err := p.document()
	if err != nil {
		return nil, err
	}
	return doc, nil
}

type parser struct {
	file  string
	src   []byte
	str   string // src as a string: names and plain values are slices of it
	i     int    // offset of the next byte
	line  int
	ls    int // offset where the current line starts
	opt   ParseOptions
	nelem int
	buf   []byte // scratch for decoding values

	// Slabs: elements and attribute lists are carved out of larger
	// allocations instead of one allocation each.
	elemSlab []Element
	attrSlab []Attr
	kidSlab  []*Element
	attrs    []Attr // scratch for the start tag being read
}

// newElement returns a zeroed element from the slab.
func (p *parser) newElement() *Element {
	if len(p.elemSlab) == cap(p.elemSlab) {
		// A provisioning element takes about 60 bytes of source.
		p.elemSlab = slab(p.opt.Arena.elemChunks(), 1, len(p.src)/48, 4096)
	}
	p.elemSlab = p.elemSlab[:len(p.elemSlab)+1]
	e := &p.elemSlab[len(p.elemSlab)-1]
	*e = Element{} // an arena's slab holds an earlier document's
	return e
}

// keepChildren copies a closing element's children into the slab.
func (p *parser) keepChildren(kids []*Element) []*Element {
	return carve(&p.kidSlab, kids, p.opt.Arena.kidChunks(), len(p.src)/64, 4096)
}

// keepAttrs copies the scratch attributes into the slab.
func (p *parser) keepAttrs() []Attr {
	// A provisioning element carries about two attributes.
	return carve(&p.attrSlab, p.attrs, p.opt.Arena.attrChunks(), len(p.src)/24, 8192)
}

// slab returns an empty slab with room for at least n items: from the
// arena's chunks when there is an arena, else new, sized for about guess
// items (16 to limit).
func slab[T any](c *chunks[T], n, guess, limit int) []T {
	size := max(min(max(16, guess), limit), n)
	if c != nil {
		return c.get(n, size)
	}
	return make([]T, 0, size)
}

// carve copies items into *slab and returns the copy, capped so that
// appending to it cannot write into its neighbour's; a slab without room
// is replaced by one from slab(c, …).
func carve[T any](sl *[]T, items []T, c *chunks[T], guess, limit int) []T {
	n := len(items)
	if n == 0 {
		return nil
	}
	if cap(*sl)-len(*sl) < n {
		*sl = slab(c, n, guess, limit)
	}
	start := len(*sl)
	*sl = append(*sl, items...)
	return (*sl)[start : start+n : start+n]
}

// names are the element and attribute names every document repeats;
// returning the same string avoids an allocation per occurrence.
// internName returns the shared copy of a name every document uses, or
// "". A switch on the bytes costs a few comparisons where a map lookup
// would hash every name.
func internName(b []byte) string {
	switch string(b) {
	case ElemRoot:
		return ElemRoot
	case ElemCharacteristic:
		return ElemCharacteristic
	case ElemParm:
		return ElemParm
	case ElemNoparm:
		return ElemNoparm
	case ElemNocharacteristic:
		return ElemNocharacteristic
	case ElemCharacteristicQuery:
		return ElemCharacteristicQuery
	case ElemParmQuery:
		return ElemParmQuery
	case "type":
		return "type"
	case "name":
		return "name"
	case "value":
		return "value"
	case "datatype":
		return "datatype"
	case "translation":
		return "translation"
	case "mwid":
		return "mwid"
	case "recursive":
		return "recursive"
	case "version":
		return "version"
	}
	return ""
}

func (p *parser) pos() Pos { return Pos{p.line, p.i - p.ls + 1} }

func (p *parser) fail(pos Pos, rule *Rule, format string, args ...any) error {
	return &SyntaxError{File: p.file, Pos: pos, Rule: rule, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) syntax(format string, args ...any) error {
	return p.fail(p.pos(), &RuleSyntax, format, args...)
}

func (p *parser) eof() bool { return p.i >= len(p.src) }

func (p *parser) peek(s string) bool { return bytes.HasPrefix(p.src[p.i:], []byte(s)) }

// skip advances over n bytes that contain no line breaks.
func (p *parser) skip(n int) { p.i += n }

// advanceTo moves to offset j, counting line breaks on the way.
// "\r\n" and a lone "\r" both end a line, as XML 1.0 §2.11 normalises them.
func (p *parser) advanceTo(j int) {
	for k := p.i; k < j; k++ {
		switch p.src[k] {
		case '\n':
			p.line++
			p.ls = k + 1
		case '\r':
			if k+1 < len(p.src) && p.src[k+1] == '\n' {
				continue
			}
			p.line++
			p.ls = k + 1
		}
	}
	p.i = j
}

// xmlSpace holds the four white space characters of XML 1.0 §2.3.
const xmlSpace = " \t\r\n"

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// space skips white space and reports whether there was any, counting
// line breaks on the way as advanceTo does.
func (p *parser) space() bool {
	j := p.i
	for j < len(p.src) {
		switch p.src[j] {
		case ' ', '\t':
		case '\n':
			p.line++
			p.ls = j + 1
		case '\r':
			if j+1 >= len(p.src) || p.src[j+1] != '\n' {
				p.line++
				p.ls = j + 1
			}
		default:
			had := j > p.i
			p.i = j
			return had
		}
		j++
	}
	had := j > p.i
	p.i = j
	return had
}

func (p *parser) document() (*Document, error) {
	doc := &Document{Name: p.file, parsed: true}
	if len(p.src) > p.opt.MaxSize {
		return nil, p.fail(Pos{1, 1}, &RuleLimit, "file is larger than %d bytes; provisioning documents are small, so this is refused to bound memory", p.opt.MaxSize)
	}
	if err := p.encoding(doc); err != nil {
		return nil, err
	}
	if err := p.checkChars(); err != nil {
		return nil, err
	}
	if p.peek("<?xml") && p.i+5 < len(p.src) && isSpace(p.src[p.i+5]) {
		if err := p.xmlDecl(doc); err != nil {
			return nil, err
		}
	}
	// Prolog: comments, processing instructions, one DOCTYPE, white space.
	for {
		p.space()
		switch {
		case p.eof():
			return nil, p.syntax("no root element: a provisioning document needs <%s>", ElemRoot)
		case p.peek("<!--"):
			if err := p.comment(); err != nil {
				return nil, err
			}
		case p.peek("<?"):
			if err := p.pi(); err != nil {
				return nil, err
			}
		case p.peek("<!DOCTYPE"):
			if doc.Doctype != nil {
				return nil, p.syntax("a second DOCTYPE declaration")
			}
			dt, err := p.doctype()
			if err != nil {
				return nil, err
			}
			doc.Doctype = dt
		case p.peek("<!"):
			return nil, p.syntax("unexpected markup %q before the root element", p.snippet())
		case p.src[p.i] == '<':
			root, err := p.elements()
			if err != nil {
				return nil, err
			}
			doc.Root = root
			return doc, p.epilog()
		default:
			return nil, p.syntax("text %q before the root element", p.snippet())
		}
	}
}

// snippet returns a short excerpt at the current position for messages.
func (p *parser) snippet() string {
	end := p.i + 20
	if end > len(p.src) {
		end = len(p.src)
	}
	s := string(p.src[p.i:end])
	if k := strings.IndexAny(s, "\r\n"); k >= 0 {
		s = s[:k]
	}
	return s
}

func (p *parser) epilog() error {
	for {
		p.space()
		switch {
		case p.eof():
			return nil
		case p.peek("<!--"):
			if err := p.comment(); err != nil {
				return err
			}
		case p.peek("<?"):
			if err := p.pi(); err != nil {
				return err
			}
		case p.src[p.i] == '<':
			return p.syntax("content after the end of the root element: a document has exactly one root")
		default:
			return p.syntax("text %q after the end of the root element", p.snippet())
		}
	}
}

// encoding detects byte-order marks and UTF-16/UTF-32 without one.
func (p *parser) encoding(doc *Document) error {
	b := p.src
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		doc.BOM = true
		p.i = 3
		p.ls = 3
	case bytes.HasPrefix(b, []byte{0x00, 0x00, 0xFE, 0xFF}), bytes.HasPrefix(b, []byte{0xFF, 0xFE, 0x00, 0x00}):
		return p.fail(Pos{1, 1}, &RuleEncoding, "file is UTF-32 (byte-order mark); provisioning XML must be UTF-8: convert it, e.g. iconv -f UTF-32 -t UTF-8")
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}), bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return p.fail(Pos{1, 1}, &RuleEncoding, "file is UTF-16 (byte-order mark); provisioning XML must be UTF-8: convert it, e.g. iconv -f UTF-16 -t UTF-8")
	case bytes.HasPrefix(b, []byte{0x3C, 0x00}):
		return p.fail(Pos{1, 1}, &RuleEncoding, "file looks like UTF-16LE without a byte-order mark; provisioning XML must be UTF-8: convert it, e.g. iconv -f UTF-16LE -t UTF-8")
	case bytes.HasPrefix(b, []byte{0x00, 0x3C}):
		return p.fail(Pos{1, 1}, &RuleEncoding, "file looks like UTF-16BE without a byte-order mark; provisioning XML must be UTF-8: convert it, e.g. iconv -f UTF-16BE -t UTF-8")
	}
	return nil
}

// checkChars rejects bytes that are not UTF-8 or not XML characters, with
// the position of the first one.
func (p *parser) checkChars() error {
	b := p.src
	k := p.i
	for k < len(b) {
		// Eight bytes at a time while they are printable ASCII, tab, LF
		// or CR: the whole of most documents. A word with a byte below
		// 0x20 or above 0x7F is looked at byte by byte.
		for k+8 <= len(b) {
			w := binary.LittleEndian.Uint64(b[k:])
			if w&0x8080808080808080 == 0 && (w-0x2020202020202020)&^w&0x8080808080808080 == 0 {
				k += 8
				continue
			}
			break
		}
		end := min(k+8, len(b))
		for k < end {
			c := b[k]
			if c < utf8.RuneSelf {
				switch {
				case c == 0:
					return p.fail(p.posAt(k), &RuleEncoding, "NUL byte: the file is binary or UTF-16; provisioning XML must be UTF-8 text")
				case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
					return p.fail(p.posAt(k), &RuleSyntax, "control character U+%04X is not allowed in XML", c)
				}
				k++
				continue
			}
			r, n := utf8.DecodeRune(b[k:])
			if r == utf8.RuneError && n <= 1 {
				return p.fail(p.posAt(k), &RuleEncoding, "invalid UTF-8 byte 0x%02X: provisioning XML must be UTF-8 (was the file saved in a legacy code page?)", c)
			}
			if r == 0xFFFE || r == 0xFFFF {
				return p.fail(p.posAt(k), &RuleSyntax, "character U+%04X is not allowed in XML", r)
			}
			k += n
		}
	}
	return nil
}

// posAt is the position of byte offset k ≥ p.i: lines are counted from
// where the parser stands, only when a position is needed. A line ends
// at LF, at CR LF, or at a CR alone.
func (p *parser) posAt(k int) Pos {
	line, ls := p.line, p.ls
	for j := p.i; j < k; j++ {
		switch p.src[j] {
		case '\n':
			line++
			ls = j + 1
		case '\r':
			if j+1 >= len(p.src) || p.src[j+1] != '\n' {
				line++
				ls = j + 1
			}
		}
	}
	return Pos{line, k - ls + 1}
}

func (p *parser) xmlDecl(doc *Document) error {
	start := p.pos()
	p.skip(5)
	attrs, err := p.pseudoAttrs("?>")
	if err != nil {
		return err
	}
	seenVersion := false
	for _, a := range attrs {
		switch a.Name {
		case "version":
			seenVersion = true
			if !strings.HasPrefix(a.Value, "1.") {
				return p.fail(a.Pos, &RuleSyntax, "XML version %q is not supported; write version=\"1.0\"", a.Value)
			}
		case "encoding":
			doc.Encoding = a.Value
			doc.EncodingPos = a.Pos
		case "standalone":
			if a.Value != "yes" && a.Value != "no" {
				return p.fail(a.Pos, &RuleSyntax, "standalone must be \"yes\" or \"no\", not %q", a.Value)
			}
		default:
			return p.fail(a.Pos, &RuleSyntax, "unknown attribute %q in the XML declaration", a.Name)
		}
	}
	if !seenVersion {
		return p.fail(start, &RuleSyntax, "the XML declaration has no version; write <?xml version=\"1.0\" encoding=\"utf-8\"?>")
	}
	return nil
}

// pseudoAttrs reads name="value" pairs up to end (used by the XML
// declaration).
func (p *parser) pseudoAttrs(end string) ([]Attr, error) {
	var attrs []Attr
	for {
		p.space()
		if p.eof() {
			return nil, p.syntax("unterminated XML declaration")
		}
		if p.peek(end) {
			p.skip(len(end))
			return attrs, nil
		}
		pos := p.pos()
		name, err := p.name()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.eof() || p.src[p.i] != '=' {
			return nil, p.syntax("expected '=' after %q", name)
		}
		p.skip(1)
		p.space()
		v, err := p.attrValue()
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, Attr{Name: name, Value: v, Pos: pos})
	}
}

func (p *parser) comment() error {
	start := p.pos()
	p.skip(4)
	k := bytes.Index(p.src[p.i:], []byte("--"))
	if k < 0 {
		p.advanceTo(len(p.src))
		return p.fail(start, &RuleSyntax, "comment is not closed: add -->")
	}
	p.advanceTo(p.i + k)
	if !p.peek("-->") {
		return p.syntax("\"--\" is not allowed inside a comment")
	}
	p.skip(3)
	return nil
}

func (p *parser) pi() error {
	start := p.pos()
	p.skip(2)
	target, err := p.name()
	if err != nil {
		return err
	}
	if strings.EqualFold(target, "xml") {
		return p.fail(start, &RuleSyntax, "the XML declaration must be at the very start of the file")
	}
	k := bytes.Index(p.src[p.i:], []byte("?>"))
	if k < 0 {
		return p.fail(start, &RuleSyntax, "processing instruction is not closed: add ?>")
	}
	p.advanceTo(p.i + k + 2)
	return nil
}

func (p *parser) doctype() (*Doctype, error) {
	dt := &Doctype{Pos: p.pos()}
	p.skip(len("<!DOCTYPE"))
	if !p.space() {
		return nil, p.syntax("expected white space after <!DOCTYPE")
	}
	name, err := p.name()
	if err != nil {
		return nil, err
	}
	dt.Name = name
	p.space()
	switch {
	case p.peek("PUBLIC"):
		p.skip(6)
		p.space()
		if dt.PublicID, err = p.literal(); err != nil {
			return nil, err
		}
		for _, c := range dt.PublicID {
			if !isPubidChar(c) {
				return nil, p.syntax("character %q is not allowed in a public identifier", c)
			}
		}
		p.space()
		if !p.eof() && (p.src[p.i] == '"' || p.src[p.i] == '\'') {
			if dt.SystemID, err = p.literal(); err != nil {
				return nil, err
			}
		}
	case p.peek("SYSTEM"):
		p.skip(6)
		p.space()
		if dt.SystemID, err = p.literal(); err != nil {
			return nil, err
		}
	}
	p.space()
	if !p.eof() && p.src[p.i] == '[' {
		return nil, p.fail(p.pos(), &RuleDTD, "internal DTD subset refused: provisioning XML needs no entity or element declarations, and entities can expand without bound; remove the [...] part")
	}
	if p.eof() || p.src[p.i] != '>' {
		return nil, p.syntax("expected '>' to close the DOCTYPE declaration")
	}
	p.skip(1)
	return dt, nil
}

func isPubidChar(c rune) bool {
	switch {
	case c == ' ' || c == '\r' || c == '\n':
		return true
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.ContainsRune("-'()+,./:=?;!*#@$_%", c)
}

// literal reads a quoted system or public literal (no references).
func (p *parser) literal() (string, error) {
	if p.eof() || (p.src[p.i] != '"' && p.src[p.i] != '\'') {
		return "", p.syntax("expected a quoted literal")
	}
	q := p.src[p.i]
	start := p.pos()
	k := bytes.IndexByte(p.src[p.i+1:], q)
	if k < 0 {
		return "", p.fail(start, &RuleSyntax, "literal is not closed")
	}
	s := string(p.src[p.i+1 : p.i+1+k])
	p.advanceTo(p.i + k + 2)
	return s, nil
}

// nameByte marks the ASCII bytes of XML names: nameStart for those that
// may start one, nameChar for all of them.
var nameByte = func() (t [utf8.RuneSelf]uint8) {
	for c := range t {
		if isNameByte(byte(c), true) {
			t[c] |= nameStart
		}
		if isNameByte(byte(c), false) {
			t[c] |= nameChar
		}
	}
	return t
}()

const (
	nameStart = 1 << iota
	nameChar
)

// name reads an XML name.
func (p *parser) name() (string, error) {
	j := p.i
	if j < len(p.src) && p.src[j] < utf8.RuneSelf && nameByte[p.src[j]]&nameStart != 0 {
		j++
		for j < len(p.src) && p.src[j] < utf8.RuneSelf && nameByte[p.src[j]]&nameChar != 0 {
			j++
		}
	}
	for j < len(p.src) {
		c := p.src[j]
		if c < utf8.RuneSelf {
			if isNameByte(c, j == p.i) {
				j++
				continue
			}
			break
		}
		r, n := utf8.DecodeRune(p.src[j:])
		if !isNameRune(r, j == p.i) {
			break
		}
		j += n
	}
	if j == p.i {
		if p.eof() {
			return "", p.syntax("unexpected end of file: expected a name")
		}
		r, _ := utf8.DecodeRune(p.src[p.i:])
		return "", p.syntax("invalid name: %q cannot start an element or attribute name", r)
	}
	s := internName(p.src[p.i:j])
	if s == "" {
		s = p.str[p.i:j]
	}
	p.skip(j - p.i)
	return s, nil
}

func isNameByte(c byte, first bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == ':':
		return true
	case c >= '0' && c <= '9', c == '-', c == '.':
		return !first
	}
	return false
}

// isNameRune implements the non-ASCII part of XML 1.0 (fifth edition)
// NameStartChar and NameChar.
func isNameRune(r rune, first bool) bool {
	switch {
	case r >= 0xC0 && r <= 0xD6, r >= 0xD8 && r <= 0xF6, r >= 0xF8 && r <= 0x2FF,
		r >= 0x370 && r <= 0x37D, r >= 0x37F && r <= 0x1FFF, r >= 0x200C && r <= 0x200D,
		r >= 0x2070 && r <= 0x218F, r >= 0x2C00 && r <= 0x2FEF, r >= 0x3001 && r <= 0xD7FF,
		r >= 0xF900 && r <= 0xFDCF, r >= 0xFDF0 && r <= 0xFFFD, r >= 0x10000 && r <= 0xEFFFF:
		return true
	case r == 0xB7, r >= 0x300 && r <= 0x36F, r >= 0x203F && r <= 0x2040:
		return !first
	}
	return false
}

// attrValue reads a quoted attribute value, resolving references and
// normalising white space characters to spaces.
// attrStop marks the bytes an attribute value cannot simply run over:
// either quote, '<', '&' and the white space that is normalised.
var attrStop = [256]bool{'"': true, '\'': true, '<': true, '&': true, '\r': true, '\n': true, '\t': true}

func (p *parser) attrValue() (string, error) {
	if p.eof() || (p.src[p.i] != '"' && p.src[p.i] != '\'') {
		return "", p.syntax("attribute value must be quoted")
	}
	q := p.src[p.i]
	start := p.pos()
	p.skip(1)
	buf := p.buf[:0]
	simple := true
	j := p.i
	for {
		if simple {
			// Most values hold nothing that needs a look: skip to the
			// next byte that may.
			for j < len(p.src) && !attrStop[p.src[j]] {
				j++
			}
		}
		if j >= len(p.src) {
			p.advanceTo(j)
			return "", p.fail(start, &RuleSyntax, "attribute value is not closed: add the closing %c", q)
		}
		c := p.src[j]
		switch c {
		case q:
			if simple {
				// No line break in between: attrStop stops at them.
				s := p.str[p.i:j]
				p.i = j + 1
				return s, nil
			}
			s := string(buf)
			p.buf = buf
			p.advanceTo(j + 1)
			return s, nil
		case '<':
			p.advanceTo(j)
			return "", p.syntax("'<' is not allowed in an attribute value (is the closing %c missing?)", q)
		case '&':
			if simple {
				buf = append(buf, p.src[p.i:j]...)
				simple = false
			}
			p.advanceTo(j)
			r, err := p.reference()
			if err != nil {
				return "", err
			}
			buf = append(buf, r...)
			j = p.i
			continue
		case '\r':
			if simple {
				buf = append(buf, p.src[p.i:j]...)
				simple = false
			}
			if j+1 < len(p.src) && p.src[j+1] == '\n' {
				j++
			}
			buf = append(buf, ' ')
		case '\n', '\t':
			if simple {
				buf = append(buf, p.src[p.i:j]...)
				simple = false
			}
			buf = append(buf, ' ')
		default:
			if !simple {
				buf = append(buf, c)
			}
		}
		j++
	}
}

// reference decodes an entity or character reference at p.i ('&').
func (p *parser) reference() (string, error) {
	start := p.pos()
	k := bytes.IndexByte(p.src[p.i:min(len(p.src), p.i+40)], ';')
	if k < 0 {
		return "", p.fail(start, &RuleSyntax, "'&' must start a reference such as &amp; (write &amp; for a literal ampersand)")
	}
	ref := string(p.src[p.i+1 : p.i+k])
	p.skip(k + 1)
	switch ref {
	case "lt":
		return "<", nil
	case "gt":
		return ">", nil
	case "amp":
		return "&", nil
	case "apos":
		return "'", nil
	case "quot":
		return "\"", nil
	}
	if strings.HasPrefix(ref, "#") {
		var r rune
		digits := ref[1:]
		base := 10
		if strings.HasPrefix(digits, "x") {
			digits, base = digits[1:], 16
		}
		if digits == "" {
			return "", p.fail(start, &RuleSyntax, "empty character reference &%s;", ref)
		}
		for _, c := range digits {
			var d rune
			switch {
			case c >= '0' && c <= '9':
				d = c - '0'
			case base == 16 && c >= 'a' && c <= 'f':
				d = c - 'a' + 10
			case base == 16 && c >= 'A' && c <= 'F':
				d = c - 'A' + 10
			default:
				return "", p.fail(start, &RuleSyntax, "malformed character reference &%s;", ref)
			}
			r = r*rune(base) + d
			if r > 0x10FFFF {
				return "", p.fail(start, &RuleSyntax, "character reference &%s; is beyond U+10FFFF", ref)
			}
		}
		if !isXMLChar(r) {
			return "", p.fail(start, &RuleSyntax, "character reference &%s; names U+%04X, which is not allowed in XML", ref, r)
		}
		return string(r), nil
	}
	return "", p.fail(start, &RuleSyntax, "undefined entity &%s;: provisioning XML knows only &lt; &gt; &amp; &apos; &quot; and numeric references", ref)
}

func isXMLChar(r rune) bool {
	switch {
	case r == 0x9 || r == 0xA || r == 0xD:
		return true
	case r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// elements parses the root element and everything inside it without
// recursion, so nesting depth costs heap, not stack, and is bounded.
func (p *parser) elements() (*Element, error) {
	var stack []*Element
	var text [][]byte // per open element, its character data once non-blank
	var root *Element
	// The children of the open elements, in order, and where each open
	// element's start in kids: an element's list is cut to its exact
	// length from a slab when it closes, rather than grown by appending.
	var kids []*Element
	var kidStart []int
	for {
		if p.eof() {
			top := stack[len(stack)-1]
			return nil, p.syntax("unexpected end of file: <%s> opened at %s is not closed", top.Name, top.Pos)
		}
		if p.src[p.i] != '<' {
			if err := p.charData(stack[len(stack)-1], &text[len(text)-1]); err != nil {
				return nil, err
			}
			continue
		}
		switch {
		case p.peek("</"):
			pos := p.pos()
			p.skip(2)
			name, err := p.name()
			if err != nil {
				return nil, err
			}
			if len(stack) == 0 {
				return nil, p.fail(pos, &RuleSyntax, "end tag </%s> before any start tag", name)
			}
			p.space()
			if p.eof() || p.src[p.i] != '>' {
				return nil, p.syntax("expected '>' to close </%s>", name)
			}
			p.skip(1)
			top := stack[len(stack)-1]
			if name != top.Name {
				return nil, p.fail(pos, &RuleSyntax, "end tag </%s> does not match <%s> opened at %s", name, top.Name, top.Pos)
			}
			top.Text = strings.Trim(string(text[len(text)-1]), xmlSpace)
			from := kidStart[len(kidStart)-1]
			top.Children = p.keepChildren(kids[from:])
			kids, kidStart = kids[:from], kidStart[:len(kidStart)-1]
			stack = stack[:len(stack)-1]
			text = text[:len(text)-1]
			if len(stack) == 0 {
				return root, nil
			}
		case p.peek("<!--"):
			if err := p.comment(); err != nil {
				return nil, err
			}
		case p.peek("<![CDATA["):
			start := p.pos()
			p.skip(9)
			k := bytes.Index(p.src[p.i:], []byte("]]>"))
			if k < 0 {
				return nil, p.fail(start, &RuleSyntax, "CDATA section is not closed: add ]]>")
			}
			top := stack[len(stack)-1]
			data := p.src[p.i : p.i+k]
			if len(bytes.Trim(data, xmlSpace)) > 0 {
				if !top.TextPos.IsValid() {
					top.TextPos = start
				}
				text[len(text)-1] = append(text[len(text)-1], normalizeNewlines(data)...)
			}
			p.advanceTo(p.i + k + 3)
		case p.peek("<?"):
			if err := p.pi(); err != nil {
				return nil, err
			}
		case p.peek("<!"):
			return nil, p.syntax("unexpected markup %q inside an element", p.snippet())
		default:
			el, selfClosed, err := p.startTag()
			if err != nil {
				return nil, err
			}
			p.nelem++
			if p.nelem > p.opt.MaxElements {
				return nil, p.fail(el.Pos, &RuleLimit, "more than %d elements; refused to bound memory", p.opt.MaxElements)
			}
			if root == nil {
				root = el
			} else {
				kids = append(kids, el)
			}
			if selfClosed {
				if len(stack) == 0 {
					return root, nil
				}
				continue
			}
			if len(stack) >= p.opt.MaxDepth {
				return nil, p.fail(el.Pos, &RuleLimit, "elements nested deeper than %d levels; refused to bound memory and stack", p.opt.MaxDepth)
			}
			stack = append(stack, el)
			text = append(text, nil)
			kidStart = append(kidStart, len(kids))
		}
	}
}

func normalizeNewlines(b []byte) []byte {
	if bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\r"), []byte("\n"))
}

// charData reads character data up to the next '<' or reference.
func (p *parser) charData(el *Element, sb *[]byte) error {
	start := p.i
	j := start
	for j < len(p.src) && p.src[j] != '<' && p.src[j] != '&' {
		j++
	}
	seg := p.src[start:j]
	first := -1
	for k, c := range seg {
		if !isSpace(c) {
			first = k
			break
		}
	}
	if first >= 0 {
		if k := bytes.Index(seg, []byte("]]>")); k >= 0 {
			p.advanceTo(start + k)
			return p.syntax("\"]]>\" is not allowed in text")
		}
		if !el.TextPos.IsValid() {
			p.advanceTo(start + first)
			el.TextPos = p.pos()
		}
	}
	if first >= 0 || len(*sb) > 0 {
		*sb = append(*sb, normalizeNewlines(seg)...)
	}
	p.advanceTo(j)
	return p.charRef(el, sb)
}

// charRef decodes a reference in text, if the scan stopped at one.
func (p *parser) charRef(el *Element, sb *[]byte) error {
	if p.eof() || p.src[p.i] != '&' {
		return nil
	}
	pos := p.pos()
	r, err := p.reference()
	if err != nil {
		return err
	}
	if !el.TextPos.IsValid() && strings.TrimSpace(r) != "" {
		el.TextPos = pos
	}
	*sb = append(*sb, r...)
	return nil
}

// startTag reads '<name attr="v" ...>' or '.../>'.
func (p *parser) startTag() (*Element, bool, error) {
	el := p.newElement()
	el.Pos = p.pos()
	p.attrs = p.attrs[:0]
	p.skip(1)
	name, err := p.name()
	if err != nil {
		return nil, false, err
	}
	el.Name = name
	for {
		hadSpace := p.space()
		if p.eof() {
			return nil, false, p.fail(el.Pos, &RuleSyntax, "start tag <%s> is not closed: add > or />", name)
		}
		switch c := p.src[p.i]; {
		case c == '>':
			p.skip(1)
			el.Attrs = p.keepAttrs()
			return el, false, nil
		case c == '/':
			if !p.peek("/>") {
				return nil, false, p.syntax("expected '/>'")
			}
			p.skip(2)
			el.Attrs = p.keepAttrs()
			return el, true, nil
		}
		if !hadSpace {
			return nil, false, p.syntax("expected white space, '>' or '/>' after <%s …", name)
		}
		apos := p.pos()
		aname, err := p.name()
		if err != nil {
			return nil, false, err
		}
		p.space()
		if p.eof() || p.src[p.i] != '=' {
			return nil, false, p.syntax("attribute %q has no value: write %s=\"…\"", aname, aname)
		}
		p.skip(1)
		p.space()
		v, err := p.attrValue()
		if err != nil {
			return nil, false, err
		}
		if len(p.attrs) >= maxAttrs {
			return nil, false, p.fail(apos, &RuleLimit, "<%s> has more than %d attributes; refused to bound time and memory", name, maxAttrs)
		}
		for _, a := range p.attrs {
			if a.Name == aname {
				return nil, false, p.fail(apos, &RuleSyntax, "attribute %q appears twice on <%s> (first at %s)", aname, name, a.Pos)
			}
		}
		p.attrs = append(p.attrs, Attr{Name: aname, Value: v, Pos: apos})
	}
}

// IsSyntax reports whether err is a *SyntaxError.
func IsSyntax(err error) bool {
	var se *SyntaxError
	return errors.As(err, &se)
}
