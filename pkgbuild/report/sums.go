package report

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
)

// Sum is one line of SHA256SUMS: a file of the output directory and its
// SHA-256.
type Sum struct {
	Line   int
	SHA256 string
	Name   string
}

// SumError is a line of SHA256SUMS that is not a Sum.
type SumError struct {
	Line int
	Msg  string
}

// ParseSums reads SHA256SUMS strictly, as Sums writes it: every line is
// 64 lowercase hex digits, two spaces and the name of a file in the
// output directory itself (no separator, not "." or "..", no control
// character), ended by a newline. Lines of any length are read (a line
// is never cut short and its remainder taken for the next). It returns
// every good line and an error for every other, by line number, and an
// error for a name listed twice.
func ParseSums(data []byte) ([]Sum, []SumError) {
	var sums []Sum
	var errs []SumError
	seen := map[string]int{}
	for n := 1; len(data) > 0; n++ {
		line, rest, found := bytes.Cut(data, []byte{'\n'})
		data = rest
		if !found {
			errs = append(errs, SumError{n, "the last line does not end with a newline"})
		}
		sum, msg := parseSum(string(line))
		if msg != "" {
			errs = append(errs, SumError{n, fmt.Sprintf("%s: %s", msg, quoteShort(line))})
			continue
		}
		if first, dup := seen[sum.Name]; dup {
			errs = append(errs, SumError{n, fmt.Sprintf("%q is listed again (first on line %d)", sum.Name, first)})
			continue
		}
		seen[sum.Name] = n
		sum.Line = n
		sums = append(sums, sum)
	}
	return sums, errs
}

func parseSum(line string) (Sum, string) {
	const want = `not "<64 hex digits>  <file name>"`
	if len(line) < 67 || line[64:66] != "  " {
		return Sum{}, want
	}
	hexSum, name := line[:64], line[66:]
	for _, c := range []byte(hexSum) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return Sum{}, want
		}
	}
	switch {
	case strings.ContainsAny(name, `/\`), name == ".", name == "..":
		return Sum{}, "not the name of a file in the output directory"
	case strings.ContainsFunc(name, unicode.IsControl):
		return Sum{}, "control character in the file name"
	}
	return Sum{SHA256: hexSum, Name: name}, ""
}

// quoteShort quotes a line for a message, cut to 80 bytes.
func quoteShort(line []byte) string {
	if len(line) > 80 {
		return fmt.Sprintf("%q… (%d bytes)", line[:80], len(line))
	}
	return fmt.Sprintf("%q", line)
}
