package provxml

import "fmt"

// Pos is a position in a source file: 1-based line and 1-based byte column.
// The zero Pos means "no position" (for example, an element built in memory).
type Pos struct {
	Line int `json:"line"`
	Col  int `json:"col"`
}

// IsValid reports whether p refers to a place in a file.
func (p Pos) IsValid() bool { return p.Line > 0 }

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Attr is one attribute with its decoded value (references resolved,
// attribute-value whitespace normalised as XML 1.0 §3.3.3 prescribes).
type Attr struct {
	Name  string
	Value string
	Pos   Pos // where the attribute name starts
}

// Element is one element of a provisioning document.
type Element struct {
	Name     string
	Attrs    []Attr
	Children []*Element
	// Text is the element's character data with leading and trailing
	// white space removed. Provisioning elements carry none; a non-empty
	// Text is kept so the rules can report it and the writer can render it.
	Text    string
	TextPos Pos
	Pos     Pos // where the start tag's '<' is
}

// Attr returns the value of the named attribute and whether it is present.
func (e *Element) Attr(name string) (string, bool) {
	for _, a := range e.Attrs {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}

// AttrPos returns the position of the named attribute, or the element's
// position when the attribute is absent.
func (e *Element) AttrPos(name string) Pos {
	for _, a := range e.Attrs {
		if a.Name == name {
			return a.Pos
		}
	}
	return e.Pos
}

// SetAttr sets an attribute, replacing an existing one of the same name.
func (e *Element) SetAttr(name, value string) {
	for i := range e.Attrs {
		if e.Attrs[i].Name == name {
			e.Attrs[i].Value = value
			return
		}
	}
	e.Attrs = append(e.Attrs, Attr{Name: name, Value: value})
}

// Doctype is a document type declaration. Only external identifiers are
// accepted; provpack never loads them.
type Doctype struct {
	Name     string
	PublicID string
	SystemID string
	Pos      Pos
}

// Document is a parsed provisioning document.
type Document struct {
	// Name is the file name used in positions and findings.
	Name string
	// BOM reports a UTF-8 byte-order mark at the start of the file.
	BOM bool
	// Encoding is the encoding named in the XML declaration ("" when there
	// is no declaration or it names none).
	Encoding    string
	EncodingPos Pos
	Doctype     *Doctype
	Root        *Element

	// parsed: Parse made it, so every character is already known to be
	// allowed in XML; Check looks at the characters of other documents.
	parsed bool
}

// NewDocument returns an empty document with a wap-provisioningdoc root.
func NewDocument(name string) *Document {
	return &Document{Name: name, Root: &Element{Name: ElemRoot}}
}

// Element names of the MSPROV DTD.
const (
	ElemRoot                     = "wap-provisioningdoc"
	ElemCharacteristic           = "characteristic"
	ElemParm                     = "parm"
	ElemNoparm                   = "noparm"
	ElemNocharacteristic         = "nocharacteristic"
	ElemCharacteristicQuery      = "characteristic-query"
	ElemParmQuery                = "parm-query"
	ElemCharacteristicError      = "characteristic-error"
	ElemParmError                = "parm-error"
	ElemNoparmError              = "noparm-error"
	ElemNocharacteristicError    = "nocharacteristic-error"
	ElemCharacteristicQueryError = "characteristic-query-error"
	ElemParmQueryError           = "parm-query-error"
)
