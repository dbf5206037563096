// Command cspgen turns Microsoft's published CSP device descriptions (OMA DM
// DDF XML, as collected in ../shared/ddf) and the CSP support page's
// Windows 10 Mobile column (ddf/SUPPORT.md) into provxml's compact CSP
// table, csp_table.txt, which the provxml package embeds.
//
// It is run by go generate in provxml:
//
//	go run ./internal/cspgen -ddf ../../shared/ddf -o csp_table.txt
//
// The table format is described in docs/csp-table.md. Every description
// of one CSP (several pages, versions and device/user roots) is merged into
// one tree: nodes are united, access types are united, a node whose format
// differs between descriptions gets no format, allowed values are united.
package main

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	ddf := flag.String("ddf", "../../shared/ddf", "directory holding the DDF XML files and SUPPORT.md")
	out := flag.String("o", "csp_table.txt", "table to write")
	flag.Parse()
	data, err := Generate(*ddf)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cspgen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "cspgen:", err)
		os.Exit(1)
	}
}

// Generate reads dir and returns the table's bytes.
func Generate(dir string) ([]byte, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no DDF files in %s", dir)
	}
	slices.Sort(files)
	roots := map[string]*tnode{}
	for _, f := range files {
		if err := readDDF(f, roots); err != nil {
			return nil, err
		}
	}
	support, err := readSupport(filepath.Join(dir, "SUPPORT.md"))
	if err != nil {
		return nil, err
	}
	return render(roots, support), nil
}

// The DDF elements the table needs. Field tags without a namespace match
// the MSFT:-prefixed and unprefixed spellings alike.
type ddfNode struct {
	Name  string    `xml:"NodeName"`
	Props ddfProps  `xml:"DFProperties"`
	Nodes []ddfNode `xml:"Node"`
}

type ddfProps struct {
	Access  anyChildren `xml:"AccessType"`
	Format  anyChildren `xml:"DFFormat"`
	Allowed *ddfAllowed `xml:"AllowedValues"`
}

type anyChildren struct {
	Elems []struct {
		XMLName xml.Name
	} `xml:",any"`
}

func (a anyChildren) names() []string {
	var out []string
	for _, e := range a.Elems {
		out = append(out, e.XMLName.Local)
	}
	return out
}

type ddfAllowed struct {
	ValueType string `xml:"ValueType,attr"`
	Enum      []struct {
		Value string `xml:"Value"`
	} `xml:"Enum"`
	Value string    `xml:"Value"`
	List  *struct{} `xml:"List"`
}

// tnode is a node of the merged tree.
type tnode struct {
	name     string // "*" for a dynamic (server-named) node
	format   string // "" when descriptions disagree
	access   map[byte]bool
	enum     []string
	rng      [][2]int64
	noAllow  bool // some description gives no restriction, or one not kept
	seen     int  // descriptions that defined this node
	children map[string]*tnode
}

func readDDF(path string, roots map[string]*tnode) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	// One page has a blank line before its XML declaration.
	data = bytes.TrimLeft(data, " \t\r\n")
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	found := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(path), err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "MgmtTree" {
			continue
		}
		var tree struct {
			Nodes []ddfNode `xml:"Node"`
		}
		if err := dec.DecodeElement(&tree, &se); err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(path), err)
		}
		nodes := tree.Nodes
		for i := 0; i < len(nodes); i++ {
			n := nodes[i]
			name := strings.TrimSpace(n.Name)
			switch name {
			case "MSFT":
				// The VPN page roots its tree at ./Vendor/MSFT itself.
				nodes = append(nodes, n.Nodes...)
				continue
			case "", "Root":
				// The RemoteRing page ends with an empty "Root" node at
				// ./Device/Vendor/MSFT, an artefact of the page.
				continue
			}
			r := roots[name]
			if r == nil {
				r = newNode(name)
				roots[name] = r
			}
			merge(r, n)
		}
		found = true
	}
	if !found {
		return fmt.Errorf("%s: no <MgmtTree>", filepath.Base(path))
	}
	return nil
}

func newNode(name string) *tnode {
	return &tnode{name: name, access: map[byte]bool{}, children: map[string]*tnode{}}
}

var formats = map[string]string{
	"chr": "chr", "int": "int", "bool": "bool", "b64": "b64", "bin": "bin", "xml": "xml",
	"node": "node", "null": "null", "time": "time", "date": "date", "float": "float",
}

var accessLetters = map[string]byte{"Add": 'A', "Delete": 'D', "Exec": 'E', "Get": 'G', "Replace": 'R'}

func merge(t *tnode, n ddfNode) {
	format := ""
	for _, f := range n.Props.Format.names() {
		if formats[f] != "" {
			format = formats[f]
		}
	}
	switch {
	case t.seen == 0:
		t.format = format
	case t.format != format:
		t.format = ""
	}
	for _, a := range n.Props.Access.names() {
		if l, ok := accessLetters[a]; ok {
			t.access[l] = true
		}
	}
	mergeAllowed(t, n.Props.Allowed)
	t.seen++
	for _, c := range n.Nodes {
		name := strings.TrimSpace(c.Name)
		if name == "" || name == "*" {
			name = "*"
		}
		ch := t.children[name]
		if ch == nil {
			ch = newNode(name)
			t.children[name] = ch
		}
		merge(ch, c)
	}
}

var rangeRe = regexp.MustCompile(`^\[(-?[0-9]+)-(-?[0-9]+)\]$|^\[(-?[0-9]+)\]$`)

// mergeAllowed keeps ENUM lists and numeric ranges; any other kind of
// restriction (RegEx in .NET syntax, ADMX, JSON, list-valued enums), and a
// description without one, leave the node unrestricted.
func mergeAllowed(t *tnode, a *ddfAllowed) {
	if a == nil || t.noAllow {
		t.unrestrict()
		return
	}
	switch {
	case a.ValueType == "ENUM" && a.List == nil && len(a.Enum) > 0:
		for _, e := range a.Enum {
			v := strings.TrimSpace(e.Value)
			if v == "" || strings.ContainsAny(v, "|\t\r\n") {
				t.unrestrict()
				return
			}
			if !slices.Contains(t.enum, v) {
				t.enum = append(t.enum, v)
			}
		}
	case a.ValueType == "Range":
		m := rangeRe.FindStringSubmatch(strings.TrimSpace(a.Value))
		if m == nil {
			t.unrestrict()
			return
		}
		lo, hi := m[1], m[2]
		if m[3] != "" {
			lo, hi = m[3], m[3]
		}
		l, err1 := strconv.ParseInt(lo, 10, 64)
		h, err2 := strconv.ParseInt(hi, 10, 64)
		if err1 != nil || err2 != nil {
			t.unrestrict()
			return
		}
		t.rng = append(t.rng, [2]int64{l, h})
	default:
		t.unrestrict()
	}
	if len(t.enum) > 0 && len(t.rng) > 0 {
		// One description enumerates, another gives a range: keep neither.
		t.unrestrict()
	}
}

// unrestrict lets the node take any value of its format.
func (t *tnode) unrestrict() {
	t.noAllow = true
	t.enum, t.rng = nil, nil
}

// supportRow is one CSP of the support page.
type supportRow struct {
	name   string
	mobile bool
}

// readSupport reads the CSP table of SUPPORT.md: the first column names the
// CSP, the third says whether Windows 10 Mobile supports it.
func readSupport(path string) ([]supportRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []supportRow
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "| CSP | CSP page | Mobile |") {
			in = true
			continue
		}
		if !in || strings.HasPrefix(line, "|---") {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			if len(rows) > 0 {
				break
			}
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) < 3 {
			continue
		}
		rows = append(rows, supportRow{
			name:   strings.TrimSpace(cells[0]),
			mobile: strings.HasPrefix(strings.TrimSpace(cells[2]), "Yes"),
		})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no CSP support table", path)
	}
	return rows, f.Close()
}

func render(roots map[string]*tnode, support []supportRow) []byte {
	var b bytes.Buffer
	b.WriteString("# provxml CSP table: generated by provxml/internal/cspgen from ../shared/ddf; do not edit.\n")
	b.WriteString("# Format: docs/csp-table.md. \"=CSP flags\" starts a CSP (m: Windows 10 Mobile supports it,\n")
	b.WriteString("# d: its description follows); node lines are indented one space per level:\n")
	b.WriteString("# name<TAB>format<TAB>access[<TAB>e:v1|v2 or r:lo-hi,lo-hi].\n")
	mobile := map[string]bool{}
	names := map[string]bool{}
	for _, r := range support {
		name := r.name
		// "W4 APPLICATION" and "w7 APPLICATION" are APPLICATION
		// characteristics for particular transports.
		if i := strings.LastIndexByte(name, ' '); i >= 0 && name[i+1:] == "APPLICATION" {
			name = "APPLICATION"
		}
		names[name] = true
		mobile[name] = mobile[name] || r.mobile
	}
	for n := range roots {
		names[n] = true
	}
	// The support page and a description may spell a CSP differently
	// (UEFI, Uefi); the description's spelling is the node's URI.
	for n := range names {
		if roots[n] != nil {
			continue
		}
		for r := range roots {
			if strings.EqualFold(n, r) {
				mobile[r] = mobile[r] || mobile[n]
				delete(names, n)
			}
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	slices.Sort(sorted)
	for _, n := range sorted {
		flags := ""
		if mobile[n] {
			flags += "m"
		}
		if roots[n] != nil {
			flags += "d"
		}
		if flags == "" {
			flags = "-"
		}
		fmt.Fprintf(&b, "=%s %s\n", n, flags)
		if r := roots[n]; r != nil {
			writeChildren(&b, r, 1)
		}
	}
	return b.Bytes()
}

func writeChildren(b *bytes.Buffer, t *tnode, depth int) {
	keys := make([]string, 0, len(t.children))
	for k := range t.children {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		c := t.children[k]
		b.WriteString(strings.Repeat(" ", depth))
		b.WriteString(c.name)
		b.WriteByte('\t')
		if c.format == "" {
			b.WriteByte('-')
		} else {
			b.WriteString(c.format)
		}
		b.WriteByte('\t')
		acc := ""
		for _, l := range "ADEGR" {
			if c.access[byte(l)] {
				acc += string(l)
			}
		}
		if acc == "" {
			acc = "-"
		}
		b.WriteString(acc)
		switch {
		case c.noAllow:
		case len(c.enum) > 0:
			b.WriteString("\te:")
			b.WriteString(strings.Join(c.enum, "|"))
		case len(c.rng) > 0:
			b.WriteString("\tr:")
			for i, r := range c.rng {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(b, "%d-%d", r[0], r[1])
			}
		}
		b.WriteByte('\n')
		writeChildren(b, c, depth+1)
	}
}
