package pkgbuild

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/provpack/provpack/manifest"
)

// ReportSchemaVersion is the version of report.json's layout
// (docs/report-format.md). It changes only when a field changes meaning or
// disappears; new fields do not change it.
const ReportSchemaVersion = 1

// Report is the build report: report.json and, rendered, report.md.
type Report struct {
	SchemaVersion   int              `json:"schemaVersion"`
	Image           string           `json:"image"`
	Release         string           `json:"release"`
	PreviousRelease string           `json:"previousRelease,omitempty"`
	Target          string           `json:"target"`
	Format          manifest.Format  `json:"format"`
	SourceDateEpoch int64            `json:"sourceDateEpoch"`
	Packages        []*ReportPackage `json:"packages,omitempty"`
	RemovedPackages []string         `json:"removedPackages,omitempty"`
	Findings        []Finding        `json:"findings"`
	// Reapply is what devices will re-run: on the image update from
	// PreviousRelease, and at cold boot.
	Reapply *Reapply `json:"reapply,omitempty"`
}

// ReportPackage is one package of the build report.
type ReportPackage struct {
	Name       string          `json:"name"`
	GUID       string          `json:"guid"`
	Version    string          `json:"version"`
	OldVersion string          `json:"oldVersion,omitempty"`
	Owner      manifest.Owner  `json:"owner"`
	Status     string          `json:"status"`
	Bump       *manifest.Bump  `json:"bump,omitempty"`
	Archive    string          `json:"archive"`
	Size       int64           `json:"size"`
	SHA256     string          `json:"sha256"`
	Files      []ReportFile    `json:"files"`
	Settings   []ReportSetting `json:"settings,omitempty"`

	index int
}

// ReportFile is one provisioning file of a package.
type ReportFile struct {
	Class      manifest.Class `json:"class"`
	Name       string         `json:"name"`
	Ordinal    int            `json:"ordinal"`
	OldOrdinal int            `json:"oldOrdinal,omitempty"`
	Status     string         `json:"status"`
	Size       int64          `json:"size"`
	SHA256     string         `json:"sha256"`
	Digest     string         `json:"digest"`
}

// ReportSetting is one setting in flat form.
type ReportSetting struct {
	Class    manifest.Class `json:"class"`
	File     string         `json:"file"`
	CSP      string         `json:"csp"`
	Path     []string       `json:"path"`
	Name     string         `json:"name,omitempty"`
	Value    string         `json:"value,omitempty"`
	Datatype string         `json:"datatype,omitempty"`
	Op       string         `json:"op"`
}

func newReport(pl *Plan, epoch time.Time) *Report {
	r := &Report{SchemaVersion: ReportSchemaVersion, Image: pl.Image, Release: pl.Release, PreviousRelease: pl.PreviousRelease,
		Target: pl.Target, Format: pl.format(), SourceDateEpoch: epoch.Unix(), RemovedPackages: pl.RemovedPackages, Findings: pl.Findings}
	for i, p := range pl.Packages {
		rp := &ReportPackage{Name: p.Name, GUID: p.GUID, Version: p.Version, OldVersion: p.OldVersion, Owner: p.Owner, Status: p.Status,
			Bump: p.Bump, Files: []ReportFile{}, Settings: []ReportSetting{}, index: i}
		for _, f := range p.Files {
			rp.Files = append(rp.Files, ReportFile{Class: f.Class, Name: f.Name, Ordinal: f.Ordinal, OldOrdinal: f.OldOrdinal, Status: f.Status, Digest: f.Digest})
			rp.Settings = append(rp.Settings, reportSettings(f)...)
		}
		r.Packages = append(r.Packages, rp)
	}
	r.Reapply = pl.Reapply()
	return r
}

// JSON renders report.json: compact, with one package per line, so that
// it stays diffable and is written without building one big tree.
func (r *Report) JSON() ([]byte, error) {
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteJSON streams report.json to w.
func (r *Report) WriteJSON(w io.Writer) error {
	head := *r
	head.Packages, head.Reapply = nil, nil
	hb, err := json.Marshal(head)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	bw.Write(hb[:len(hb)-1]) // without its closing brace
	bw.WriteString(",\n\"packages\": [\n")
	var buf []byte
	for i, p := range r.Packages {
		// The settings are most of the report; they are encoded by hand,
		// the rest of the package by encoding/json.
		q := *p
		q.Settings = nil
		pb, err := json.Marshal(q)
		if err != nil {
			return err
		}
		buf = append(buf[:0], pb[:len(pb)-1]...)
		buf = append(buf, `,"settings":[`...)
		for j, st := range p.Settings {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = appendSetting(buf, st)
		}
		buf = append(buf, "]}"...)
		bw.Write(buf)
		if i < len(r.Packages)-1 {
			bw.WriteByte(',')
		}
		bw.WriteByte('\n')
	}
	bw.WriteString("],\n\"reapply\": ")
	rb, err := json.Marshal(r.Reapply)
	if err != nil {
		return err
	}
	bw.Write(rb)
	bw.WriteString("}\n")
	return bw.Flush()
}

// ReadReport parses a report.json.
func ReadReport(name string, data []byte) (*Report, error) {
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if r.SchemaVersion != ReportSchemaVersion {
		return nil, fmt.Errorf("%s: schemaVersion %d is not one this provpack reads (%d)", name, r.SchemaVersion, ReportSchemaVersion)
	}
	return &r, nil
}

// md escapes text for a Markdown table cell inside a code span.
func md(s string) string {
	if s == "" {
		return ""
	}
	if !strings.ContainsAny(s, "|\n\uF000`") {
		return "`" + s + "`"
	}
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "\uF000", "&#xF000;")
	if strings.Contains(s, "`") {
		return "``" + s + "``"
	}
	return "`" + s + "`"
}

func settingPath(s ReportSetting) string { return strings.Join(s.Path, `\`) }

// Markdown renders report.md.
func (r *Report) Markdown() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s %s (%s)\n\n", r.Image, r.Release, r.Target)
	if r.PreviousRelease != "" {
		fmt.Fprintf(&b, "Previous release: %s.\n\n", r.PreviousRelease)
	} else {
		b.WriteString("First release: no earlier release is recorded.\n\n")
	}
	b.WriteString("| package | version | owner | status | archive | size | SHA-256 |\n| --- | --- | --- | --- | --- | ---: | --- |\n")
	for _, p := range r.Packages {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %d | %s |\n", p.Name, Arrow(p.OldVersion, p.Version), p.Owner, p.Status, md(p.Archive), p.Size, md(p.SHA256))
	}
	for _, name := range r.RemovedPackages {
		fmt.Fprintf(&b, "| %s | | | removed | | | |\n", name)
	}
	for _, p := range r.Packages {
		fmt.Fprintf(&b, "\n## %s %s\n\nGUID `%s`, owner %s.", p.Name, Arrow(p.OldVersion, p.Version), p.GUID, p.Owner)
		if p.Bump != nil {
			fmt.Fprintf(&b, " Bumped %s → %s: %s.", p.Bump.From, p.Bump.To, p.Bump.Reason)
		}
		b.WriteString("\n\n| class | file | ordinal | status | size | SHA-256 |\n| --- | --- | ---: | --- | ---: | --- |\n")
		for _, f := range p.Files {
			ord := fmt.Sprintf("%03d", f.Ordinal)
			if f.OldOrdinal != 0 && f.OldOrdinal != f.Ordinal {
				ord = fmt.Sprintf("%03d → %03d", f.OldOrdinal, f.Ordinal)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %s |\n", f.Class, md(f.Name), ord, f.Status, f.Size, md(f.SHA256))
		}
		if len(p.Settings) > 0 {
			b.WriteString("\n| class | CSP | path | name | value | datatype | op |\n| --- | --- | --- | --- | --- | --- | --- |\n")
			for _, s := range p.Settings {
				for _, cell := range [...]string{string(s.Class), md(s.CSP), md(settingPath(s)), md(s.Name), md(s.Value), s.Datatype, s.Op} {
					b.WriteString("| ")
					b.WriteString(cell)
					b.WriteByte(' ')
				}
				b.WriteString("|\n")
			}
		}
	}
	if r.Reapply != nil {
		b.WriteString("\n" + r.Reapply.Markdown())
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
		b.WriteString("\n## Findings in the sources\n\n")
		for _, f := range src {
			fmt.Fprintf(&b, "- %s\n", md(f.String()))
		}
	}
	return []byte(b.String())
}

// Arrow renders a version that may have changed: "1.0.0" or "1.0.0 → 1.1.0".
func Arrow(old, new string) string {
	if old == "" || old == new {
		return new
	}
	return old + " → " + new
}

// appendSetting appends s as JSON, with the same fields and names
// encoding/json would give it.
func appendSetting(b []byte, s ReportSetting) []byte {
	b = append(b, `{"class":`...)
	b = appendJSONString(b, string(s.Class))
	b = append(b, `,"file":`...)
	b = appendJSONString(b, s.File)
	b = append(b, `,"csp":`...)
	b = appendJSONString(b, s.CSP)
	b = append(b, `,"path":[`...)
	for i, p := range s.Path {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, p)
	}
	b = append(b, ']')
	for _, kv := range [...]struct{ k, v string }{{"name", s.Name}, {"value", s.Value}, {"datatype", s.Datatype}} {
		if kv.v != "" {
			b = append(b, `,"`...)
			b = append(b, kv.k...)
			b = append(b, `":`...)
			b = appendJSONString(b, kv.v)
		}
	}
	b = append(b, `,"op":`...)
	b = appendJSONString(b, s.Op)
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Like encoding/json it
// escapes <, > and & and the line separators U+2028 and U+2029, so the
// output is byte-for-byte what encoding/json would write.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
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
