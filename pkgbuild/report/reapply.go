package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/provxml"
)

// Reapply is the re-apply manifest: what an image update from the last
// release, and what a cold boot, will run on a device.
type Reapply struct {
	Image           string `json:"image"`
	Release         string `json:"release"`
	PreviousRelease string `json:"previousRelease,omitempty"`
	Target          string `json:"target"`
	// Order states the processing order provpack assumes.
	Order string `json:"order"`
	// Update lists, for the image update from PreviousRelease, the update
	// files every device re-runs, in processing order.
	Update []ReapplyFile `json:"update"`
	// ColdBoot lists everything a factory reset or cold boot runs.
	ColdBoot []ReapplyFile `json:"coldBoot"`
	Flags    []Finding     `json:"flags"`
}

// ReapplyFile is one provisioning file that runs, with its settings.
type ReapplyFile struct {
	Package    string         `json:"package"`
	OldVersion string         `json:"oldVersion,omitempty"`
	Version    string         `json:"version"`
	File       string         `json:"file"`
	Class      manifest.Class `json:"class"`
	Status     Status         `json:"status"`
	Why        string         `json:"why"`
	// Settings lists every setting of the file in the image update list;
	// the cold-boot list gives only the count (the settings are in each
	// package's report entry), so an image's settings appear once.
	Settings     []Setting `json:"settings,omitempty"`
	SettingCount int       `json:"settingCount"`

	// SettingsJSON and SettingsMD stand for Settings when the file's
	// settings were shed after rendering (a build).
	SettingsJSON []byte `json:"-"`
	SettingsMD   []byte `json:"-"`
}

// MarshalJSON writes the file as encoding/json would, with settings
// rendered before they were shed spliced in their place.
func (f ReapplyFile) MarshalJSON() ([]byte, error) {
	type plain ReapplyFile
	b, err := json.Marshal(plain(f))
	if err != nil || f.Settings != nil || f.SettingCount == 0 || f.SettingsJSON == nil {
		return b, err
	}
	i := bytes.LastIndex(b, []byte(`,"settingCount":`))
	out := make([]byte, 0, len(b)+len(f.SettingsJSON)+16)
	out = append(out, b[:i]...)
	out = append(out, `,"settings":`...)
	out = append(out, f.SettingsJSON...)
	return append(out, b[i:]...), nil
}

// Text and Markdown renderings of the re-apply manifest and of diffs. The
// Markdown is written to read well as a review comment.

func settingLine(s Setting) string {
	switch s.Op {
	case "delete":
		return fmt.Sprintf("delete %s", DisplayKey(s.CSP, s.Path, s.Name))
	case "query":
		return fmt.Sprintf("query  %s", DisplayKey(s.CSP, s.Path, s.Name))
	}
	v := fmt.Sprintf("%q", ShowValue(s.Value))
	if s.Datatype != "" {
		v += " (" + string(s.Datatype) + ")"
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
		fmt.Fprintf(&b, "%3d. %-44s %-7s %s\n", i+1, f.File, f.Class, Plural(f.SettingCount, "setting"))
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

func mdSetting(s Setting) string {
	ps := provxml.Setting{CSP: s.CSP, Path: s.Path, Name: s.Name, Value: s.Value, Datatype: string(s.Datatype), Op: provxml.Op(s.Op)}
	return string(AppendMarkdownSetting(nil, &ps))
}

// AppendMarkdownSetting appends a setting as a row of the re-apply tables.
func AppendMarkdownSetting(b []byte, s *provxml.Setting) []byte {
	b = append(b, "| "...)
	b = append(b, s.Op...)
	b = append(b, " | "...)
	b = append(b, MDCode(DisplayKey(s.CSP, s.Path, s.Name))...)
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
			fmt.Fprintf(&b, "\n%d. **%s** (%s, %s): %s\n\n", i+1, MDCode(f.File), f.Package, Arrow(f.OldVersion, f.Version), f.Why)
			b.WriteString("   | op | setting | value | datatype |\n   | --- | --- | --- | --- |\n")
			for _, s := range f.Settings {
				b.WriteString("   " + mdSetting(s) + "\n")
			}
			if f.Settings == nil {
				b.Write(f.SettingsMD)
			}
		}
	}
	fmt.Fprintf(&b, "\n### Cold boot or factory reset\n\nEverything runs, in this order:\n\n| # | file | package | class | settings |\n| ---: | --- | --- | --- | ---: |\n")
	for i, f := range r.ColdBoot {
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %d |\n", i+1, MDCode(f.File), f.Package, f.Class, f.SettingCount)
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
