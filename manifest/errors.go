package manifest

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Pos is a position in a file: a 1-based line and a 1-based column counted
// in bytes from the start of the line, as the Go tools count them. A zero
// Pos means "unknown".
type Pos struct {
	Line, Col int
}

// IsValid reports whether p names a line.
func (p Pos) IsValid() bool { return p.Line > 0 }

func (p Pos) String() string {
	switch {
	case p.Line <= 0:
		return "-"
	case p.Col <= 0:
		return fmt.Sprint(p.Line)
	default:
		return fmt.Sprintf("%d:%d", p.Line, p.Col)
	}
}

// Positions records where a YAML mapping and the values under it were
// written. It is embedded in every manifest type decoded from a mapping,
// so a later stage can point at the exact spot of a value it rejects.
//
// Keys are paths relative to the mapping: "version", "requires.OEM_Base",
// "suppress[1]", "characteristic[0]", "cold[2]". A nested type that has its
// own Positions (a Source inside "cold[2]", say) records its own keys; the
// outer one records only where the nested mapping starts.
type Positions struct {
	// Pos is where the mapping starts (its first key, or its "{").
	Pos Pos
	// Key maps a relative path to the position of the value written there.
	Key map[string]Pos
}

// At returns the position of the value at the relative path key, or the
// position of the mapping itself when that key was not written.
func (p Positions) At(key string) Pos {
	if q, ok := p.Key[key]; ok {
		return q
	}
	return p.Pos
}

// Has reports whether the relative path key was written in the file.
func (p Positions) Has(key string) bool {
	_, ok := p.Key[key]
	return ok
}

func (p *Positions) set(key string, q Pos) {
	if p.Key == nil {
		p.Key = make(map[string]Pos)
	}
	p.Key[key] = q
}

// Error is one problem found in a file. It prints as
//
//	file:line:col: field.path: message
//
// leaving out the parts it does not know: a problem with the file as a whole
// has no line, and a YAML syntax error has no field.
type Error struct {
	File  string
	Line  int
	Col   int
	Field string // dotted path of the value, e.g. packages[0].version
	Msg   string
	// Err is the underlying error the problem comes from, if any (a file
	// that could not be read, say); errors.Is and errors.As see it.
	Err error
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Pos returns the position of the error.
func (e *Error) Pos() Pos { return Pos{e.Line, e.Col} }

// ErrorList is every problem found in one file, sorted by position. Its
// Error method prints one problem a line.
type ErrorList []*Error

func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap lets errors.As and errors.Is look at every problem.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// sort orders the list by file, line and column; problems found at
// the same position keep the order they were found in.
func (l ErrorList) sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// err returns the list as an error, or nil when it is empty. A nil
// ErrorList must not be returned as a non-nil error interface.
func (l ErrorList) err() error {
	if len(l) == 0 {
		return nil
	}
	l.sort()
	return l
}

// errs collects problems for one file.
type errs struct {
	file string
	list ErrorList
}

// add records a problem; a %w verb in format makes its argument the
// problem's underlying error.
func (e *errs) add(p Pos, field, format string, args ...any) {
	err := fmt.Errorf(format, args...)
	e.list = append(e.list, &Error{
		File:  e.file,
		Line:  p.Line,
		Col:   p.Col,
		Field: field,
		Msg:   err.Error(),
		Err:   errors.Unwrap(err),
	})
}
