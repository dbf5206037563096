package provxml

import (
	_ "embed"
	"slices"
	"strconv"
	"strings"
	"sync"
)

//go:generate go run ./internal/cspgen -ddf ../../shared/ddf -o csp_table.txt

// cspTableText is Microsoft's published CSP descriptions, compiled by
// internal/cspgen (format: docs/csp-table.md). It is parsed on first use,
// which only a w10m check needs.
//
//go:embed csp_table.txt
var cspTableText string

// Access rights of a DDF node (AccessType).
const (
	accAdd uint8 = 1 << iota
	accDelete
	accExec
	accGet
	accReplace
)

// cspNode is one node of a CSP's description.
type cspNode struct {
	name     string
	format   string // DFFormat; "" when descriptions disagree
	access   uint8  // 0 when no description gives an AccessType
	enum     []string
	ranges   [][2]int64
	children map[string]*cspNode // literal names
	dynamic  *cspNode            // the server-named child, if any
}

// interior reports whether the node holds other nodes rather than a value.
func (n *cspNode) interior() bool {
	return n.format == "node" || n.format == "" && (len(n.children) > 0 || n.dynamic != nil)
}

// cspInfo is what the table says about one CSP.
type cspInfo struct {
	name   string
	mobile bool     // Windows 10 Mobile supports it
	root   *cspNode // nil when no description is published here
}

type cspTable struct {
	byName map[string]*cspInfo
	fold   map[string]string // lower-case name → documented spelling
}

var cspData = sync.OnceValue(func() *cspTable { return parseCSPTable(cspTableText) })

func parseCSPTable(text string) *cspTable {
	t := &cspTable{byName: map[string]*cspInfo{}, fold: map[string]string{}}
	var cur *cspInfo
	var stack []*cspNode // stack[d] is the node at depth d (stack[0] the root)
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\n")
		if line == "" || line[0] == '#' {
			continue
		}
		if line[0] == '=' {
			name, flags, _ := strings.Cut(line[1:], " ")
			cur = &cspInfo{name: name, mobile: strings.Contains(flags, "m")}
			if strings.Contains(flags, "d") {
				cur.root = &cspNode{name: name, format: "node"}
			}
			stack = append(stack[:0], cur.root)
			t.byName[name] = cur
			t.fold[strings.ToLower(name)] = name
			continue
		}
		depth := len(line) - len(strings.TrimLeft(line, " "))
		if cur == nil || cur.root == nil || depth < 1 || depth > len(stack) {
			continue // not produced by cspgen; ignore rather than panic
		}
		fields := strings.Split(line[depth:], "\t")
		if len(fields) < 3 {
			continue
		}
		n := &cspNode{name: fields[0]}
		if fields[1] != "-" {
			n.format = fields[1]
		}
		for _, c := range fields[2] {
			switch c {
			case 'A':
				n.access |= accAdd
			case 'D':
				n.access |= accDelete
			case 'E':
				n.access |= accExec
			case 'G':
				n.access |= accGet
			case 'R':
				n.access |= accReplace
			}
		}
		if len(fields) > 3 {
			switch v := fields[3]; {
			case strings.HasPrefix(v, "e:"):
				n.enum = strings.Split(v[2:], "|")
			case strings.HasPrefix(v, "r:"):
				for _, r := range strings.Split(v[2:], ",") {
					// A range's low end may be negative: split at the
					// dash that follows the first digit.
					i := strings.IndexByte(r[1:], '-') + 1
					lo, err1 := strconv.ParseInt(r[:i], 10, 64)
					hi, err2 := strconv.ParseInt(r[i+1:], 10, 64)
					if i > 0 && err1 == nil && err2 == nil {
						n.ranges = append(n.ranges, [2]int64{lo, hi})
					}
				}
			}
		}
		parent := stack[depth-1]
		if n.name == "*" {
			parent.dynamic = n
		} else {
			if parent.children == nil {
				parent.children = map[string]*cspNode{}
			}
			parent.children[n.name] = n
		}
		stack = append(stack[:depth], n)
	}
	return t
}

// lookupCSP returns the table's entry for a first-level characteristic
// type, or nil.
func lookupCSP(typ string) *cspInfo { return cspData().byName[typ] }

// child finds the node a characteristic type or parm name addresses under
// n. It returns nil and a suggestion when the name is not a node there.
func (n *cspNode) child(name string) (c *cspNode, suggest string) {
	if c := n.children[name]; c != nil {
		return c, ""
	}
	best, bestD := "", 0
	for k := range n.children {
		if strings.EqualFold(k, name) {
			// OMA DM URIs are case-sensitive, but Microsoft's own
			// protocol examples write CertificateStore/My where the
			// description has MY: a case variant is not reported.
			return n.children[k], ""
		}
		limit := max(1, min(len(k), len(name))/3)
		if d := editDistance(k, name, limit); d <= limit && (best == "" || d < bestD || d == bestD && k < best) {
			best, bestD = k, d
		}
	}
	if n.dynamic != nil {
		return n.dynamic, ""
	}
	return nil, best
}

// names lists the literal children of n, sorted, for a message.
func (n *cspNode) names() []string {
	out := make([]string, 0, len(n.children))
	for k := range n.children {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// editDistance is the Levenshtein distance of a and b, or limit+1 when it
// exceeds limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// checkFormat returns what is wrong with value for a node of format f, or
// "" when it fits.
func checkFormat(f, value string) string {
	switch f {
	case "int":
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil || n < -1<<31 || n > 1<<32-1 {
			return "is not a 32-bit decimal integer"
		}
	case "bool":
		switch strings.ToLower(value) {
		case "true", "false", "1", "0":
		default:
			return "is not a boolean (true or false)"
		}
	case "b64":
		if msg := CheckValue("binary", value, false); msg != "" {
			return "is not Base64"
		}
	case "float":
		if !floatRe().MatchString(value) {
			return "is not a decimal number"
		}
	case "time":
		// Not checked: the one settable time node, CertificateStore's
		// WSTEP/Renew/RetryAfterExpiryInterval, is an interval ("how long
		// after the enrollment cert has expired to keep trying"), which no
		// ISO 8601 time of day expresses, so the format is not trusted.
	case "date":
		if !validTime(dateVal(), value) {
			return "is not an ISO 8601 date"
		}
	}
	return ""
}

// allowed reports whether value is among the node's allowed values, and
// describes them.
func (n *cspNode) allowed(value string) (bool, string) {
	switch {
	case len(n.enum) > 0:
		for _, v := range n.enum {
			if v == value || n.format == "bool" && strings.EqualFold(v, value) {
				return true, ""
			}
			if a, err := strconv.ParseInt(v, 10, 64); err == nil {
				if b, err := strconv.ParseInt(value, 10, 64); err == nil && a == b {
					return true, ""
				}
			}
		}
		return false, "one of " + strings.Join(n.enum, ", ")
	case len(n.ranges) > 0:
		v, err := strconv.ParseInt(value, 10, 64)
		var parts []string
		for _, r := range n.ranges {
			if err == nil && v >= r[0] && v <= r[1] {
				return true, ""
			}
			parts = append(parts, strconv.FormatInt(r[0], 10)+".."+strconv.FormatInt(r[1], 10))
		}
		return false, "in " + strings.Join(parts, " or ")
	}
	return true, ""
}
