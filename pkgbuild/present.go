package pkgbuild

import (
	"fmt"
	"strings"

	"github.com/provpack/provpack/provxml"
)

// Text and Markdown renderings of the re-apply manifest and of diffs. The
// Markdown is written to read well as a review comment.

func settingLine(s ReportSetting) string {
	switch s.Op {
	case "delete":
		return fmt.Sprintf("delete %s", DisplayKey(s.CSP, s.Path, s.Name))
	case "query":
		return fmt.Sprintf("query  %s", DisplayKey(s.CSP, s.Path, s.Name))
	}
	v := fmt.Sprintf("%q", ShowValue(s.Value))
	if s.Datatype != "" {
		v += " (" + s.Datatype + ")"
	}
	return fmt.Sprintf("set    %s = %s", DisplayKey(s.CSP, s.Path, s.Name), v)
}

// Text renders the re-apply manifest for a terminal.
func (r *Reapply) Text() string {
	var b strings.Builder
	if r.PreviousRelease == "" {
		fmt.Fprintf(&b, "image %s %s: no release recorded yet, so there is no image update to describe\n", r.Image, r.Release)
	} else {
		fmt.Fprintf(&b, "image update %s %s → %s: every device re-runs these update files, in this order\n", r.Image, r.PreviousRelease, r.Release)
		if len(r.Update) == 0 {
			b.WriteString("  (none: no package version changes)\n")
		}
		for i, f := range r.Update {
			fmt.Fprintf(&b, "\n%d. %s  (%s)\n   %s\n", i+1, f.File, Arrow(f.OldVersion, f.Version), f.Why)
			for _, s := range f.Settings {
				fmt.Fprintf(&b, "     %s\n", settingLine(s))
			}
		}
	}
	fmt.Fprintf(&b, "\ncold boot or factory reset of %s %s: everything runs, in this order\n", r.Image, r.Release)
	for i, f := range r.ColdBoot {
		fmt.Fprintf(&b, "%3d. %-44s %-7s %d settings\n", i+1, f.File, f.Class, f.SettingCount)
	}
	fmt.Fprintf(&b, "\norder: %s\n", r.Order)
	if len(r.Flags) > 0 {
		b.WriteString("\nflags:\n")
		for _, f := range r.Flags {
			fmt.Fprintf(&b, "  %s\n", f)
		}
	}
	return b.String()
}

func mdSetting(s ReportSetting) string {
	ps := provxml.Setting{CSP: s.CSP, Path: s.Path, Name: s.Name, Value: s.Value, Datatype: s.Datatype, Op: provxml.Op(s.Op)}
	return string(appendMDSetting(nil, &ps))
}

// appendMDSetting appends a setting as a row of the re-apply tables.
func appendMDSetting(b []byte, s *provxml.Setting) []byte {
	b = append(b, "| "...)
	b = append(b, s.Op...)
	b = append(b, " | "...)
	b = append(b, md(DisplayKey(s.CSP, s.Path, s.Name))...)
	b = append(b, " | "...)
	if s.Op == provxml.OpSet {
		b = appendMD(b, s.Value)
	}
	b = append(b, " | "...)
	b = append(b, s.Datatype...)
	return append(b, " |"...)
}

// Markdown renders the re-apply manifest as Markdown.
func (r *Reapply) Markdown() string {
	var b strings.Builder
	b.WriteString("## What devices will re-apply\n\n")
	if r.PreviousRelease == "" {
		b.WriteString("No earlier release is recorded, so there is no image update to describe.\n")
	} else {
		fmt.Fprintf(&b, "### Image update %s → %s\n\n", r.PreviousRelease, r.Release)
		if len(r.Update) == 0 {
			b.WriteString("No package version changes: devices updating to this release re-run no provisioning file.\n")
		} else {
			b.WriteString("Every device that takes this update re-runs these files, in this order, with every setting in them:\n")
		}
		for i, f := range r.Update {
			fmt.Fprintf(&b, "\n%d. **%s** (%s, %s): %s\n\n", i+1, md(f.File), f.Package, Arrow(f.OldVersion, f.Version), f.Why)
			b.WriteString("   | op | setting | value | datatype |\n   | --- | --- | --- | --- |\n")
			for _, s := range f.Settings {
				b.WriteString("   " + mdSetting(s) + "\n")
			}
			if f.Settings == nil {
				b.Write(f.settingsMD)
			}
		}
	}
	fmt.Fprintf(&b, "\n### Cold boot or factory reset\n\nEverything runs, in this order:\n\n| # | file | package | class | settings |\n| ---: | --- | --- | --- | ---: |\n")
	for i, f := range r.ColdBoot {
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %d |\n", i+1, md(f.File), f.Package, f.Class, f.SettingCount)
	}
	fmt.Fprintf(&b, "\nOrder assumed: %s.\n", r.Order)
	if len(r.Flags) > 0 {
		b.WriteString("\n### Flags\n\n")
		for _, f := range r.Flags {
			fmt.Fprintf(&b, "- **%s** %s (%s): %s\n", f.ID, f.Severity, f.Package, f.Message)
		}
	}
	return b.String()
}

func valueShort(v *SettingValue) string {
	if v == nil {
		return ""
	}
	if v.Op == "delete" {
		return "(deleted)"
	}
	s := fmt.Sprintf("%q", ShowValue(v.Value))
	if v.Datatype != "" {
		s += " " + v.Datatype
	}
	return s
}

// Text renders a diff for a terminal.
func (d *Diff) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "diff %s (%s) → %s (%s)\n", d.Old, d.OldRelease, d.New, d.NewRelease)
	if d.Empty() {
		b.WriteString("no differences\n")
		return b.String()
	}
	for _, p := range d.Packages {
		fmt.Fprintf(&b, "\npackage %s %s (%s)\n", p.Name, Arrow(p.OldVersion, p.NewVersion), p.Status)
		for _, f := range p.Files {
			fmt.Fprintf(&b, "  file     %-6s %s\n", f.Class, fileArrow(f))
		}
		for _, c := range p.Changed {
			fmt.Fprintf(&b, "  changed  %-6s %s: %s → %s\n", c.NewClass, c.Setting, valueShort(c.Old), valueShort(c.New))
		}
		for _, c := range p.Added {
			fmt.Fprintf(&b, "  added    %-6s %s = %s\n", c.NewClass, c.Setting, valueShort(c.New))
		}
		for _, c := range p.Removed {
			fmt.Fprintf(&b, "  removed  %-6s %s (was %s)\n", c.OldClass, c.Setting, valueShort(c.Old))
		}
		for _, c := range p.Moved {
			fmt.Fprintf(&b, "  moved    %s: %s → %s (%s → %s)\n", c.Setting, c.OldClass, c.NewClass, valueShort(c.Old), valueShort(c.New))
		}
	}
	return b.String()
}

func fileArrow(f FileDiff) string {
	switch {
	case f.OldName == "":
		return f.NewName + " (new)"
	case f.NewName == "":
		return f.OldName + " (gone)"
	}
	return f.OldName + " → " + f.NewName
}

// Markdown renders a diff as a review comment.
func (d *Diff) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "## provpack diff %s → %s\n\n", d.OldRelease, d.NewRelease)
	if d.Empty() {
		b.WriteString("No differences.\n")
		return b.String()
	}
	var added, removed, changed int
	for _, p := range d.Packages {
		switch p.Status {
		case "added":
			added++
		case "removed":
			removed++
		default:
			changed++
		}
	}
	fmt.Fprintf(&b, "%s changed, %d added, %d removed. Settings that did not change are not listed.\n", plural(changed, "package"), added, removed)
	for _, p := range d.Packages {
		fmt.Fprintf(&b, "\n### %s %s", p.Name, Arrow(p.OldVersion, p.NewVersion))
		if p.Status != "changed" {
			fmt.Fprintf(&b, " (%s)", p.Status)
		}
		b.WriteString("\n\n")
		for _, f := range p.Files {
			fmt.Fprintf(&b, "- %s file: %s\n", f.Class, strings.ReplaceAll(md(fileArrow(f)), " → ", "` → `"))
		}
		if len(p.Files) > 0 {
			b.WriteString("\n")
		}
		rows := len(p.Changed) + len(p.Added) + len(p.Removed) + len(p.Moved)
		if rows == 0 {
			if p.OldVersion != p.NewVersion {
				b.WriteString("Version changed; no setting changed.\n")
			}
			continue
		}
		b.WriteString("| change | class | setting | old | new |\n| --- | --- | --- | --- | --- |\n")
		for _, c := range p.Changed {
			fmt.Fprintf(&b, "| changed | %s | %s | %s | %s |\n", c.NewClass, md(c.Setting), md(valueShort(c.Old)), md(valueShort(c.New)))
		}
		for _, c := range p.Added {
			fmt.Fprintf(&b, "| added | %s | %s | | %s |\n", c.NewClass, md(c.Setting), md(valueShort(c.New)))
		}
		for _, c := range p.Removed {
			fmt.Fprintf(&b, "| removed | %s | %s | %s | |\n", c.OldClass, md(c.Setting), md(valueShort(c.Old)))
		}
		for _, c := range p.Moved {
			fmt.Fprintf(&b, "| moved | %s → %s | %s | %s | %s |\n", c.OldClass, c.NewClass, md(c.Setting), md(valueShort(c.Old)), md(valueShort(c.New)))
		}
	}
	return b.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
