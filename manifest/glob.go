package manifest

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"sync"
)

// globRule is one thing a source file pattern may not hold. The decoder
// refuses a pattern that re matches, and the schema says the same with
// "not": {"pattern": re}, so the two cannot drift. re is written in the
// common subset of Go's RE2 and ECMA-262, the dialect JSON Schema patterns
// are in.
type globRule struct {
	re  string
	msg string // with %q for the pattern, or none
}

var globRules = []globRule{
	{`\\`, "%q contains a backslash; write paths with forward slashes"},
	{`^(?:/|[\s\S]:)`, "%q is absolute; write it relative to the manifest's directory"},
	{`\*\*`, "%q uses **, which is not supported; a glob matches within one directory level (e.g. provxml/*.provxml)"},
	{`\x00`, "path contains a NUL byte"},
}

// globSyntax is path.Match's pattern grammar for patterns without a
// backslash (which globRules refuse): any character but "[", or a
// character class of one or more characters or ranges, optionally
// negated with "^" (a "^" first in a class always negates it). Only the schema uses it; the decoder asks path.Match,
// and a test holds the two equal.
const globSyntax = `^(?:[^\[]|\[(?:\^(?:[^\]\-](?:-[^\]\-])?)+|[^\]\-^](?:-[^\]\-])?(?:[^\]\-](?:-[^\]\-])?)*)\])*$`

// globRulesRE is compiled when a source file is first checked.
var globRulesRE = sync.OnceValue(func() []*regexp.Regexp {
	res := make([]*regexp.Regexp, len(globRules))
	for i, r := range globRules {
		res[i] = regexp.MustCompile(r.re)
	}
	return res
})

// checkGlob returns why a source file pattern is not acceptable, or "".
// Patterns are slash-separated, relative to the manifest's directory and
// may not leave it.
func checkGlob(p string) string {
	for i, re := range globRulesRE() {
		if re.MatchString(p) {
			if msg := globRules[i].msg; !strings.Contains(msg, "%q") {
				return msg
			}
			return fmt.Sprintf(globRules[i].msg, p)
		}
	}
	// Leaving the directory and naming it need path.Clean, which counts
	// ".." against the names before it: no regular expression can, so the
	// schema does not say these two.
	clean := path.Clean(p)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return fmt.Sprintf("%q leaves the manifest's directory; sources must be inside it", p)
	}
	if clean == "." {
		return fmt.Sprintf("%q names the manifest's directory, not a file", p)
	}
	if _, err := path.Match(p, ""); err != nil {
		return fmt.Sprintf("%q is not a valid glob: %v", p, err)
	}
	return ""
}
