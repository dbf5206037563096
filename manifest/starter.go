package manifest

import (
	"fmt"
	"strconv"
	"strings"
)

// Starter returns a commented starter manifest for provpack init: one OEM
// package with an inline update setting, and every other key shown in a
// comment. Parse accepts it as it is for any image that passes
// CheckImageName. A target other than "w10m" gets the wm6 starter.
func Starter(image string, target string) []byte {
	t := TargetWM6
	if target == string(TargetW10M) {
		t = TargetW10M
	}
	img := image
	if CheckImageName(image) != nil || strings.EqualFold(image, "null") {
		img = strconv.Quote(image)
	}
	const pkg = "OEM_Settings"
	guid := DeriveGUID(image, pkg)
	datatypes := make([]string, 0, 8)
	for _, d := range t.Datatypes() {
		datatypes = append(datatypes, string(d))
	}

	var b strings.Builder
	line := func(code, comment string) {
		if comment == "" {
			b.WriteString(strings.TrimRight(code, " ") + "\n")
			return
		}
		fmt.Fprintf(&b, "%-30s # %s\n", code, comment)
	}
	b.WriteString("# provpack manifest: one image and its Image Update packages.\n")
	b.WriteString("# docs/manifest.md describes every key; `provpack schema` prints a JSON\n")
	b.WriteString("# Schema for editors. File paths are relative to this file.\n\n")
	line("image: "+img, "image name; part of every derived package GUID")
	line("release: 0.1.0", "this image release, strict semver (MAJOR.MINOR.PATCH)")
	if t == TargetW10M {
		line("target: "+string(t), "wm6 | w10m")
	} else {
		line("target: "+string(t), "wm6 | w10m (w10m also takes company:, cpu:, releaseType: and per package subcomponent:)")
	}
	if t == TargetW10M {
		line("format: cab", "w10m packages are cabinets (.spkg)")
		line("# ordinals: {start: 1, step: 1}", "fixed on w10m: 001, 002, ...")
		line("company: Contoso", "the company owning the packages: Identity/Owner, first part of .spkg names")
		line("# cpu: arm", "arm (default) | x86 | arm64")
		line("# releaseType: production", "production (default) | test")
	} else {
		line("format: cab", "package archive format: cab | tar.zst")
		line("ordinals: {start: 100, step: 100}", "first file ordinal and step (the wm6 default)")
	}
	line("# signing: required", "build --release only with a signing key")
	b.WriteString("\npackages:\n")
	line("  - name: "+pkg, "used in file names: letters, digits, _ and -")
	line("    # guid: "+guid.String(), "optional; when absent, derived from image and name (this value)")
	line("    version: 1.0.0", "raise it whenever an update file changes")
	line("    owner: oem", "microsoft | silicon | oem | operator")
	line(`    # requires: {OEM_Base: ">=1.0.0"}`, "other packages of this image, with semver constraints")
	if t == TargetW10M {
		line("    # subcomponent: PROVXML", "optional: last part of the .spkg name")
	}
	line("    # cold:", "processed only at cold boot (never on an update)")
	line("    #   - file: provxml/defaults.provxml", "a .provxml file; a glob such as provxml/*.provxml is allowed")
	line("    update:", "processed at cold boot and re-applied on every update of this package")
	line("      # - file: provxml/settings/*.provxml", "files and settings merge, in order, into one document")
	line("      - settings:", "inline settings, turned into provisioning XML")
	line("          - csp: Registry", "configuration service provider")
	line(`            characteristic: 'HKLM\Software\OEM\Settings'`, "one type, or a list of nested types")
	line("            parms:", "parameters to set")
	line(`              - {name: Enabled, value: "1", datatype: integer}`, "")
	line("                # datatype: "+strings.Join(datatypes, " | "), "")
	line("            # delete: [OldMode]", "parameters to delete (noparm)")
	line("    # suppress: [PX0201]", "rule IDs silenced for this package's sources")
	return []byte(b.String())
}
