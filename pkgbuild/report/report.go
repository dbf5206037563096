package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/provxml"
)

// SchemaVersion is the version of report.json's layout
// (docs/report-format.md). It changes only when a field changes meaning or
// disappears; new fields do not change it.
const SchemaVersion = 1

// Report is the build report: report.json and, rendered, report.md.
type Report struct {
	Head
	Packages        []*Package `json:"packages,omitempty"`
	RemovedPackages []string   `json:"removedPackages,omitempty"`
	Findings        []Finding  `json:"findings"`
	// Reapply is what devices will re-run: on the image update from
	// PreviousRelease, and at cold boot.
	Reapply *Reapply `json:"reapply,omitempty"`

	// UpToDate is set when the build found its outputs already written
	// from the same inputs and changed nothing; only the packages'
	// identities, archives and the findings are then filled.
	UpToDate bool `json:"-"`
	// Stale names the archives the output directory holds that this
	// build does not produce (left by builds of other manifests or
	// versions); with Cleaned, the build removed them.
	Stale   []string `json:"-"`
	Cleaned bool     `json:"-"`
}

// Head is what report.json says before its packages: what is
// known before any package is planned.
type Head struct {
	SchemaVersion   int             `json:"schemaVersion"`
	Image           string          `json:"image"`
	Release         string          `json:"release"`
	PreviousRelease string          `json:"previousRelease,omitempty"`
	Target          string          `json:"target"`
	Format          manifest.Format `json:"format"`
	SourceDateEpoch int64           `json:"sourceDateEpoch"`
}

// Package is one package of the build report.
type Package struct {
	Name       string         `json:"name"`
	GUID       string         `json:"guid"`
	Version    string         `json:"version"`
	OldVersion string         `json:"oldVersion,omitempty"`
	Owner      manifest.Owner `json:"owner"`
	Status     Status         `json:"status"`
	Bump       *manifest.Bump `json:"bump,omitempty"`
	Archive    string         `json:"archive"`
	Size       int64          `json:"size"`
	SHA256     string         `json:"sha256"`
	// Signer is who signed the archive; absent when it is not signed.
	Signer   *Signer   `json:"signer,omitempty"`
	Files    []File    `json:"files"`
	Settings []Setting `json:"settings,omitempty"`

	// Each, in a report being built, calls fn with every setting of the
	// package in report order (Settings is filled only in a report read
	// back).
	Each func(fn func(class manifest.Class, file string, s *provxml.Setting)) `json:"-"`
}

// Signer identifies the certificate an archive was signed with.
type Signer struct {
	Subject string `json:"subject"`
	Issuer  string `json:"issuer"`
	Serial  string `json:"serial"`
}

// eachSetting calls fn with every setting of the package.
func (p *Package) eachSetting(fn func(class manifest.Class, file string, s *provxml.Setting)) {
	if p.Each != nil {
		p.Each(fn)
		return
	}
	for i := range p.Settings {
		s := &p.Settings[i]
		ps := provxml.Setting{CSP: s.CSP, Path: s.Path, Name: s.Name, Value: s.Value, Datatype: string(s.Datatype), Op: provxml.Op(s.Op)}
		fn(s.Class, s.File, &ps)
	}
}

func (p *Package) hasSettings() bool {
	has := false
	p.eachSetting(func(manifest.Class, string, *provxml.Setting) { has = true })
	return has
}

// Status is what happened to a package or a file since the last release.
type Status string

// Package and file statuses.
const (
	StatusNew       Status = "new"
	StatusChanged   Status = "changed" // content changed, version did not
	StatusUnchanged Status = "unchanged"
	StatusUpdated   Status = "updated" // a package whose version changes
	StatusRemoved   Status = "removed"
)

// File is one provisioning file of a package.
type File struct {
	Class      manifest.Class `json:"class"`
	Name       string         `json:"name"`
	Ordinal    int            `json:"ordinal"`
	OldOrdinal int            `json:"oldOrdinal,omitempty"`
	Status     Status         `json:"status"`
	Size       int64          `json:"size"`
	SHA256     string         `json:"sha256"`
	Digest     string         `json:"digest"`
}

// Setting is one setting in flat form: the type the release lock
// records settings in.
type Setting = manifest.FlatSetting

// JSONHead is report.json up to the first package: what is known before
// any package is planned.
func (r *Report) JSONHead() []byte {
	hb, _ := json.Marshal(r.Head)
	return append(hb[:len(hb)-1], ",\n\"packages\": [\n"...)
}

// JSONTail is report.json after the last package: what is known once
// every package is planned.
func (r *Report) JSONTail(packages bool) ([]byte, error) {
	tb, err := json.Marshal(struct {
		RemovedPackages []string  `json:"removedPackages,omitempty"`
		Findings        []Finding `json:"findings"`
	}{r.RemovedPackages, r.Findings})
	if err != nil {
		return nil, err
	}
	rb, err := json.Marshal(r.Reapply)
	if err != nil {
		return nil, err
	}
	var b []byte
	if packages {
		b = append(b, '\n')
	}
	b = append(b, "],\n"...)
	b = append(b, tb[1:len(tb)-1]...)
	b = append(b, ",\n\"reapply\": "...)
	b = append(b, rb...)
	return append(b, "}\n"...), nil
}

// AppendJSON appends the package as one line of report.json. The
// settings are most of the report; they are encoded by hand, the rest of
// the package by encoding/json. The hand-written encoder stays while it
// holds the build's speed bar (docs/performance.md); a test holds it to
// encoding/json's bytes.
func (p *Package) AppendJSON(b []byte) ([]byte, error) {
	q := *p
	q.Settings = nil
	pb, err := json.Marshal(q)
	if err != nil {
		return b, err
	}
	b = append(b, pb[:len(pb)-1]...)
	b = append(b, `,"settings":[`...)
	first := true
	var c rowCache
	p.eachSetting(func(class manifest.Class, file string, s *provxml.Setting) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, c.lead(class, file, s).json...)
		b = appendSettingJSONRest(b, s)
	})
	return append(b, "]}"...), nil
}

// SettingOf is setting s of file (of class) in flat form.
func SettingOf(class manifest.Class, file string, s *provxml.Setting) Setting {
	path := s.Path
	if path == nil {
		path = []string{}
	}
	return Setting{Class: class, File: file, CSP: s.CSP, Path: path, Name: s.Name, Value: s.Value,
		Datatype: manifest.Datatype(s.Datatype), Op: manifest.Op(s.Op)}
}

// AppendSettings appends the settings ss of file (of class) in flat
// form to dst.
func AppendSettings(dst []Setting, class manifest.Class, file string, ss []provxml.Setting) []Setting {
	for i := range ss {
		dst = append(dst, SettingOf(class, file, &ss[i]))
	}
	return dst
}

// rowCache keeps the rendering of the leading fields of the last setting
// (class, file, CSP, path). A file's settings share the first two, and
// the settings of one characteristic share the path, so most settings
// of a report reuse it.
type rowCache struct {
	ok    bool
	class manifest.Class
	file  string
	csp   string
	path  []string
	json  []byte // {"class":…,"file":…,"csp":…,"path":[…]
	md    []byte // | class | `CSP` | `path` |
}

func (c *rowCache) lead(class manifest.Class, file string, s *provxml.Setting) *rowCache {
	if c.ok && c.class == class && c.file == file && c.csp == s.CSP && slices.Equal(c.path, s.Path) {
		return c
	}
	c.ok, c.class, c.file, c.csp, c.path = true, class, file, s.CSP, s.Path
	c.json = appendSettingJSONLead(c.json[:0], class, file, s.CSP, s.Path)
	c.md = append(c.md[:0], "| "...)
	c.md = append(c.md, class...)
	c.md = append(c.md, " | "...)
	c.md = appendMD(c.md, s.CSP)
	c.md = append(c.md, " | "...)
	c.md = appendMDPath(c.md, s.Path)
	c.md = append(c.md, " | "...)
	return c
}

// Read parses a report.json.
func Read(name string, data []byte) (*Report, error) {
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if r.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%s: schemaVersion %d is not one this provpack reads (%d)", name, r.SchemaVersion, SchemaVersion)
	}
	return &r, nil
}

// MDCode escapes text for a Markdown table cell inside a code span.
func MDCode(s string) string {
	if s == "" {
		return ""
	}
	if mdPlain(s) {
		return "`" + s + "`"
	}
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "\uF000", "&#xF000;")
	// CommonMark: the fence is a run of backticks longer than any run in
	// the text; a space is stripped from each end when both have one, so
	// text that starts or ends with a backtick or a space is padded.
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if first, last := s[0], s[len(s)-1]; first == '`' || last == '`' || (first == ' ' && last == ' ') {
		s = " " + s + " "
	}
	return fence + s + fence
}

// appendMD appends MDCode(s) without allocating for the usual cells.
func appendMD(b []byte, s string) []byte {
	if s == "" {
		return b
	}
	if mdPlain(s) {
		b = append(b, '`')
		b = append(b, s...)
		return append(b, '`')
	}
	return append(b, MDCode(s)...)
}

// mdPlain reports whether s can go into a code span as it is: no |,
// newline or backquote, no U+F000 (or anything else whose UTF-8 starts
// with 0xEF: MDCode sorts those out exactly), and not a space at both
// ends, which a code span strips.
func mdPlain(s string) bool {
	if len(s) > 1 && s[0] == ' ' && s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '|', '\n', '`', 0xEF:
			return false
		}
	}
	return true
}

// appendMDPath appends the characteristic path as a Markdown cell, its
// parts joined by backslashes.
func appendMDPath(b []byte, path []string) []byte {
	for _, p := range path {
		if !mdPlain(p) {
			return append(b, MDCode(strings.Join(path, `\`))...)
		}
	}
	if len(path) == 0 || (len(path) == 1 && path[0] == "") {
		return b
	}
	b = append(b, '`')
	for i, p := range path {
		if i > 0 {
			b = append(b, '\\')
		}
		b = append(b, p...)
	}
	return append(b, '`')
}

// AppendMarkdownHead appends report.md's title, release line and package
// table: a row per package, then one per removed package.
func (r *Report) AppendMarkdownHead(b []byte) []byte {
	b = fmt.Appendf(b, "# %s %s (%s)\n\n", r.Image, r.Release, r.Target)
	if r.PreviousRelease != "" {
		b = fmt.Appendf(b, "Previous release: %s.\n\n", r.PreviousRelease)
	} else {
		b = append(b, "First release: no earlier release is recorded.\n\n"...)
	}
	b = append(b, "| package | version | owner | status | archive | size | SHA-256 |\n| --- | --- | --- | --- | --- | ---: | --- |\n"...)
	for _, p := range r.Packages {
		b = fmt.Appendf(b, "| %s | %s | %s | %s | %s | %d | %s |\n", p.Name, Arrow(p.OldVersion, p.Version), p.Owner, p.Status, MDCode(p.Archive), p.Size, MDCode(p.SHA256))
	}
	for _, name := range r.RemovedPackages {
		b = fmt.Appendf(b, "| %s |  |  | %s |  |  |  |\n", name, StatusRemoved)
	}
	return b
}

// Markdown renders the whole of report.md from r, as a build writes it
// (head, a section per new or changed package, tail). verify renders a
// report read back from report.json to prove report.md says the same.
func (r *Report) Markdown() []byte {
	b := r.AppendMarkdownHead(nil)
	for _, p := range r.Packages {
		b = p.AppendMarkdown(b)
	}
	return r.AppendMarkdownTail(b)
}

// AppendMarkdownTail appends what report.md says after the package sections:
// the re-apply manifest and the findings in the sources.
func (r *Report) AppendMarkdownTail(b []byte) []byte {
	if r.Reapply != nil {
		b = append(b, '\n')
		b = append(b, r.Reapply.Markdown()...)
	}
	// Release flags (PP…) are listed with the re-apply manifest above;
	// the findings of the sources follow.
	var src []Finding
	for _, f := range r.Findings {
		if !strings.HasPrefix(f.ID, "PP") || r.Reapply == nil {
			src = append(src, f)
		}
	}
	if len(src) > 0 {
		b = append(b, "\n## Findings in the sources\n\n"...)
		for _, f := range src {
			b = fmt.Appendf(b, "- %s\n", MDCode(f.String()))
		}
	}
	return b
}

// AppendMarkdown appends the package's section of report.md: its files
// and settings, for a package that is new or changed against the last
// release. An unchanged package is only its row of the package table.
func (p *Package) AppendMarkdown(b []byte) []byte {
	if p.Status == StatusUnchanged {
		return b
	}
	b = fmt.Appendf(b, "\n## %s %s\n\nGUID `%s`, owner %s.", p.Name, Arrow(p.OldVersion, p.Version), p.GUID, p.Owner)
	if p.Bump != nil {
		b = fmt.Appendf(b, " Bumped %s → %s: %s.", p.Bump.From, p.Bump.To, p.Bump.Reason)
	}
	b = append(b, "\n\n| class | file | ordinal | status | size | SHA-256 |\n| --- | --- | ---: | --- | ---: | --- |\n"...)
	for _, f := range p.Files {
		ord := fmt.Sprintf("%03d", f.Ordinal)
		if f.OldOrdinal != 0 && f.OldOrdinal != f.Ordinal {
			ord = fmt.Sprintf("%03d → %03d", f.OldOrdinal, f.Ordinal)
		}
		b = fmt.Appendf(b, "| %s | %s | %s | %s | %d | %s |\n", f.Class, MDCode(f.Name), ord, f.Status, f.Size, MDCode(f.SHA256))
	}
	if !p.hasSettings() {
		return b
	}
	b = append(b, "\n| class | CSP | path | name | value | datatype | op |\n| --- | --- | --- | --- | --- | --- | --- |\n"...)
	var c rowCache
	p.eachSetting(func(class manifest.Class, file string, s *provxml.Setting) {
		b = append(b, c.lead(class, file, s).md...)
		b = appendMD(b, s.Name)
		b = append(b, " | "...)
		b = appendMD(b, s.Value)
		b = append(b, " | "...)
		b = append(b, s.Datatype...)
		b = append(b, " | "...)
		b = append(b, s.Op...)
		b = append(b, " |\n"...)
	})
	return b
}

// Plural is n and word, with an s unless n is 1: "1 setting", "3 settings".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Arrow renders a version that may have changed: "1.0.0" or "1.0.0 → 1.1.0";
// a version that is gone (a removed package) is the old one alone.
func Arrow(old, new string) string {
	if old == "" || old == new {
		return new
	}
	if new == "" {
		return old
	}
	return old + " → " + new
}

// AppendSettingJSON appends a setting of file (of class) as JSON, with
// the fields and names encoding/json gives a Setting.
func AppendSettingJSON(b []byte, class manifest.Class, file string, s *provxml.Setting) []byte {
	return appendSettingJSONRest(appendSettingJSONLead(b, class, file, s.CSP, s.Path), s)
}

// appendSettingJSONLead appends the object's opening and its class,
// file, csp and path fields.
func appendSettingJSONLead(b []byte, class manifest.Class, file, csp string, path []string) []byte {
	b = append(b, `{"class":`...)
	b = appendJSONString(b, string(class))
	b = append(b, `,"file":`...)
	b = appendJSONString(b, file)
	b = append(b, `,"csp":`...)
	b = appendJSONString(b, csp)
	b = append(b, `,"path":[`...)
	for i, p := range path {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, p)
	}
	return append(b, ']')
}

// appendSettingJSONRest appends the fields after path, and the close.
func appendSettingJSONRest(b []byte, s *provxml.Setting) []byte {
	for _, kv := range [...]struct{ k, v string }{{"name", s.Name}, {"value", s.Value}, {"datatype", s.Datatype}} {
		if kv.v != "" {
			b = append(b, `,"`...)
			b = append(b, kv.k...)
			b = append(b, `":`...)
			b = appendJSONString(b, kv.v)
		}
	}
	b = append(b, `,"op":`...)
	b = appendJSONString(b, string(s.Op))
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// jsonSafe[c] says ASCII byte c goes into a JSON string as it is.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendJSONString appends s as a JSON string. Like encoding/json it
// escapes <, > and & and the line separators U+2028 and U+2029, so the
// output is byte-for-byte what encoding/json would write.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += n
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += n
			start = i
			continue
		}
		i += n
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Finding is a problem found while planning: in a provisioning source
// (a provxml rule) or in the release itself (a planning rule below).
type Finding struct {
	File     string           `json:"file"`
	Line     int              `json:"line"`
	Col      int              `json:"col"`
	ID       string           `json:"id"`
	Severity provxml.Severity `json:"severity"`
	Message  string           `json:"message"`
	// Package is the manifest package the finding belongs to ("" for the
	// image as a whole).
	Package string `json:"package,omitempty"`
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s: %s", f.File, f.Line, f.Col, f.ID, f.Severity, f.Message)
}

// DisplayKey is a setting as people read it: CSP/path.../@name.
func DisplayKey(csp string, path []string, name string) string {
	k := csp
	if len(path) > 0 {
		k += "/" + strings.Join(path, "/")
	}
	if name != "" {
		k += "/@" + name
	}
	return k
}

// ShowValue makes the invisible multiplestring separator U+F000 visible,
// written as it is in the XML.
func ShowValue(v string) string { return strings.ReplaceAll(v, "\uF000", "&#xF000;") }

// Sums renders SHA256SUMS: a line for every archive of rep and for each
// of files (the reports, by name), in the order of their names, as
// `sha256sum -c` reads them.
func Sums(rep *Report, files map[string]string) []byte {
	var b strings.Builder
	lines := make([]string, 0, len(rep.Packages)+len(files))
	for _, p := range rep.Packages {
		lines = append(lines, p.SHA256+"  "+p.Archive+"\n")
	}
	for name, sum := range files {
		lines = append(lines, sum+"  "+name+"\n")
	}
	slices.SortFunc(lines, func(a, b string) int { return strings.Compare(a[66:], b[66:]) })
	for _, l := range lines {
		b.WriteString(l)
	}
	return []byte(b.String())
}

// SettingKey identifies what a setting writes. Registry paths and names
// are case-insensitive on the device, so they are folded.
func SettingKey(csp string, path []string, name string) string {
	return string(AppendSettingKey(nil, csp, path, name))
}

// AppendSettingKey appends SettingKey(csp, path, name) to b without
// allocating for the usual ASCII keys.
func AppendSettingKey(b []byte, csp string, path []string, name string) []byte {
	start := len(b)
	b = append(b, csp...)
	b = append(b, '/')
	for i, p := range path {
		if i > 0 {
			b = append(b, '/')
		}
		b = append(b, p...)
	}
	b = append(b, "/@"...)
	b = append(b, name...)
	if csp != "Registry" {
		return b
	}
	for i := start; i < len(b); i++ {
		c := b[i]
		if c >= utf8.RuneSelf {
			// Rare: fold the rest with the full Unicode rules.
			return append(b[:i], strings.ToLower(string(b[i:]))...)
		}
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return b
}
