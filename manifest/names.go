package manifest

import (
	"fmt"
	"strings"
)

// Naming rules for the names provpack puts into file names and GUIDs. They
// are checked by the decoder (check:"name=...") and exported in the schema
// as patterns.
var nameRules = map[string]nameRule{
	"package": {
		what:    "package name",
		pattern: `^[A-Za-z0-9_-]{1,64}$`,
		explain: "use ASCII letters, digits, _ and - only, at most 64 characters: the name becomes part of ROM file names such as mxipupdate_<name>_300.provxml",
		first:   "_-",
		rest:    "_-",
		max:     64,
	},
	"company": {
		what:    "company name",
		pattern: `^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`,
		explain: "start with a letter or digit, then ASCII letters, digits, _ and - only, at most 64 characters: it is the first part of .spkg names <company>.<package>[.<subcomponent>].spkg, where a dot separates parts",
		first:   "",
		rest:    "_-",
		max:     64,
	},
	"subcomponent": {
		what:    "subcomponent",
		pattern: `^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`,
		explain: "start with a letter or digit, then ASCII letters, digits, _ and - only, at most 64 characters: it is the last part of the .spkg name <company>.<package>.<subcomponent>.spkg",
		first:   "",
		rest:    "_-",
		max:     64,
	},
	"image": {
		what:    "image name",
		pattern: `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`,
		explain: "start with a letter or digit, then ASCII letters, digits, ., _ and - only, at most 64 characters",
		first:   "",
		rest:    "._-",
		max:     64,
	},
}

// nameRule is a naming rule. pattern is what the schema exports; the
// decoder checks the same with match: a name of 1 to max bytes whose
// first byte is an ASCII letter, a digit or one of first, and whose
// other bytes are letters, digits or one of rest. (The patterns'
// {1,64} compiled to regular expressions of hundreds of instructions,
// built at every start-up; a test holds match to them.)
type nameRule struct {
	what    string
	pattern string
	explain string

	first, rest string
	max         int
}

func (r nameRule) match(s string) bool {
	if len(s) == 0 || len(s) > r.max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		extra := r.rest
		if i == 0 {
			extra = r.first
		}
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(extra, c) >= 0) {
			return false
		}
	}
	return true
}

func checkName(rule, s string) error {
	r := nameRules[rule]
	if r.match(s) {
		return nil
	}
	return fmt.Errorf("%s %q is not allowed (%s)", r.what, s, r.explain)
}

// CheckPackageName reports whether s can name a package: ASCII letters,
// digits, underscore and hyphen, 1 to 64 characters.
func CheckPackageName(s string) error { return checkName("package", s) }

// CheckImageName reports whether s can name an image: ASCII letters,
// digits, '.', '_' and '-', 1 to 64 characters, starting with a letter or
// digit.
func CheckImageName(s string) error { return checkName("image", s) }

// CheckCompanyName reports whether s can be a w10m manifest's company:
// ASCII letters, digits, '_' and '-', 1 to 64 characters, starting with
// a letter or digit.
func CheckCompanyName(s string) error { return checkName("company", s) }

// CheckSubcomponentName reports whether s can be a w10m package's
// subcomponent (the company's rule).
func CheckSubcomponentName(s string) error { return checkName("subcomponent", s) }

// suggest returns the candidate s was most likely meant to be: one equal
// to s ignoring case, else the closest within an edit distance of 2 and of
// half the length of s (so short words do not match everything), else "".
// Ties go to the earlier candidate.
func suggest(s string, candidates []string) string {
	for _, c := range candidates {
		if strings.EqualFold(s, c) {
			return c
		}
	}
	if len(s) > 256 {
		return ""
	}
	limit := min(2, len(s)/2)
	if limit == 0 {
		return ""
	}
	best, bestD := "", limit+1
	ls := strings.ToLower(s)
	for _, c := range candidates {
		if len(c) > len(ls)+limit || len(ls) > len(c)+limit {
			continue // the distance is at least the difference in length
		}
		if d := editDistance(ls, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the optimal-string-alignment distance: insertions,
// deletions, substitutions and transpositions of adjacent bytes each cost 1.
func editDistance(a, b string) int {
	if len(a) > len(b) {
		a, b = b, a
	}
	// three rows: i-2, i-1, i
	// Keys are short: their rows fit on the stack, so that a manifest of
	// a hundred thousand unknown keys does not allocate for each.
	var small [3 * 33]int
	var rows []int
	if n := 3 * (len(a) + 1); n <= len(small) {
		rows = small[:n]
	} else {
		rows = make([]int, n)
	}
	prev2, prev, cur := rows[:len(a)+1], rows[len(a)+1:2*(len(a)+1)], rows[2*(len(a)+1):]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(b); i++ {
		cur[0] = i
		for j := 1; j <= len(a); j++ {
			cost := 1
			if b[i-1] == a[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && b[i-1] == a[j-2] && b[i-2] == a[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(a)]
}
