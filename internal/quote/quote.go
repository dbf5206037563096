// Package quote shows names that come from files someone else may have
// made (archive members, package manifests, reports, locks) safely on a
// terminal or in a report: as they are when every character is printable,
// quoted by Go's rules otherwise, so that an escape sequence, a newline
// or an invalid byte in a name can neither drive the terminal nor forge a
// line of output. It knows nothing of what the names are.
package quote

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Name returns s when it is valid UTF-8 and every character is printable
// (unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the
// ASCII space), and strconv.Quote(s) otherwise.
func Name(s string) string {
	if Printable(s) {
		return s
	}
	return strconv.Quote(s)
}

// Printable reports whether Name returns s unchanged.
func Printable(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7F {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || !unicode.IsPrint(r) {
			return false
		}
		i += n
	}
	return true
}
