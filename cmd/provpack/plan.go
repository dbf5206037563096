package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild"
	"github.com/provpack/provpack/pkgbuild/report"
	"github.com/provpack/provpack/provxml"
)

// manifestArg returns the MANIFEST argument, "." (for its provpack.yaml)
// by default; manifestPath resolves it once the flags are checked.
func manifestArg(c *cli.Context) (string, error) {
	switch c.NArg() {
	case 0:
		return ".", nil
	case 1:
		return c.Args().First(), nil
	}
	return "", usagef("%s takes at most one MANIFEST, got %d arguments", c.Command.Name, c.NArg())
}

// manifestPath resolves a manifest argument: a directory stands for the
// provpack.yaml in it. A manifest that does not exist is an error saying
// how to create one.
func manifestPath(arg string) (string, error) {
	path := arg
	if st, err := os.Stat(arg); err == nil && st.IsDir() {
		path = filepath.Join(arg, manifest.DefaultManifestName)
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		return path, nil // read errors are the reader's to report
	}
	if path == arg && filepath.Base(arg) != manifest.DefaultManifestName {
		return "", fmt.Errorf("manifest %s does not exist; 'provpack init' writes a starter %s", arg, manifest.DefaultManifestName)
	}
	dir := filepath.Dir(path)
	initCmd := "provpack init"
	if dir != "." {
		initCmd += " " + dir
	}
	return "", fmt.Errorf("no %s in %s: run '%s' to write a starter manifest, or name yours as the MANIFEST argument", manifest.DefaultManifestName, dirName(dir), initCmd)
}

func dirName(dir string) string {
	if dir == "." {
		return "the current directory"
	}
	return dir
}

var bumpFlags = []cli.Flag{
	&cli.StringFlag{Name: "bump", Usage: "raise the version of packages whose update file changed: patch, minor or major"},
	&cli.StringFlag{Name: "reason", Usage: "reason recorded in the lock with a --bump"},
}

func buildOptions(c *cli.Context) (pkgbuild.Options, error) {
	opt := pkgbuild.Options{Bump: pkgbuild.BumpKind(c.String("bump")), Reason: c.String("reason")}
	if opt.Bump != "" {
		if err := oneOf("bump", string(opt.Bump), bumpKinds...); err != nil {
			return opt, err
		}
	}
	if opt.Reason != "" && opt.Bump == "" {
		return opt, usagef("--reason explains a --bump: give --bump patch, minor or major with it (or record a reason with provpack bump PACKAGE --patch --reason TEXT)")
	}
	return opt, nil
}

func planCommand() *cli.Command {
	return &cli.Command{
		Name:      "plan",
		Usage:     "show what a build would do: names, ordinals, versions and why; writes nothing",
		ArgsUsage: "[MANIFEST|DIR]",
		Description: `Plans a build of MANIFEST (default provpack.yaml; a DIR stands for
DIR/provpack.yaml) against the release lock beside it (provpack.lock): for
every package its version, old → new, and for every provisioning file its
class, name, ordinal and status (new, changed, unchanged), with the reason
for each decision and every finding of the sources. Nothing is written.
Exits 1 on an error-level finding.

Example:
   provpack plan fixtures/demo/provpack.yaml
   provpack plan --bump patch --output json`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "output", Value: "text", Usage: "text or json"},
			&cli.BoolFlag{Name: "strict", Usage: "fail on warnings too"},
		}, bumpFlags...),
		Action: func(c *cli.Context) error {
			pl, output, err := loadPlan(c, outputFormats["plan"]...)
			if err != nil {
				return err
			}
			if output == "json" {
				if err := writeJSON(c.App.Writer, pl); err != nil {
					return err
				}
			} else {
				printPlan(c.App.Writer, pl)
			}
			return findingsResult(c.App.ErrWriter, pl.Findings, c.Bool("strict"), output == "text")
		},
	}
}

// loadPlan reads MANIFEST and the flags plan and reapply share, checks
// --output against outputs, and plans.
func loadPlan(c *cli.Context, outputs ...string) (*pkgbuild.Plan, string, error) {
	path, err := manifestArg(c)
	if err != nil {
		return nil, "", err
	}
	output := c.String("output")
	if err := oneOf("output", output, outputs...); err != nil {
		return nil, "", err
	}
	opt, err := buildOptions(c)
	if err != nil {
		return nil, "", err
	}
	if path, err = manifestPath(path); err != nil {
		return nil, "", err
	}
	pl, err := interruptible(c.Context, func() (*pkgbuild.Plan, error) {
		return pkgbuild.Load(c.Context, path, opt)
	})
	if err != nil {
		return nil, "", manifestFailure(c, output, err)
	}
	return pl, output, nil
}

// jsonSchemaVersion is the schemaVersion of every JSON document provpack
// prints (docs/json-output.md); raise it when a field changes meaning or
// goes away, not when one is added.
const jsonSchemaVersion = 1

// writeJSON prints v, a JSON object, indented, with "schemaVersion" as its
// first member unless v has one.
func writeJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	data := bytes.TrimSpace(b.Bytes())
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return fmt.Errorf("writing JSON: %T is not an object", v)
	}
	if _, ok := top["schemaVersion"]; !ok {
		head := fmt.Sprintf(`{"schemaVersion":%d`, jsonSchemaVersion)
		if len(top) > 0 {
			head += ","
		}
		data = append([]byte(head), data[1:]...)
	}
	b.Reset()
	if err := json.Indent(&b, data, "", "  "); err != nil {
		return err
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

// manifestFailure prints manifest problems; in JSON mode they are also a
// JSON document on stdout so tools always get one.
func manifestFailure(c *cli.Context, output string, err error) error {
	var list manifest.ErrorList
	if output != "json" || !asErrorList(err, &list) {
		return err
	}
	type jerr struct {
		File    string `json:"file"`
		Line    int    `json:"line,omitempty"`
		Col     int    `json:"col,omitempty"`
		Field   string `json:"field,omitempty"`
		Message string `json:"message"`
	}
	out := struct {
		Errors []jerr `json:"manifestErrors"`
	}{}
	for _, e := range list {
		out.Errors = append(out.Errors, jerr{e.File, e.Line, e.Col, e.Field, e.Msg})
	}
	if werr := writeJSON(c.App.Writer, out); werr != nil {
		return werr
	}
	return err
}

// findingsResult prints the finding summary and decides the outcome.
func findingsResult(stderr io.Writer, fs []pkgbuild.Finding, strict, summary bool) error {
	errs, warns := 0, 0
	for _, f := range fs {
		if f.Severity == provxml.Error {
			errs++
		} else {
			warns++
		}
	}
	if summary && errs+warns > 0 {
		var parts []string
		if errs > 0 {
			parts = append(parts, plural(errs, "error"))
		}
		if warns > 0 {
			parts = append(parts, plural(warns, "warning"))
		}
		fmt.Fprintln(stderr, strings.Join(parts, ", "))
	}
	if errs > 0 || (strict && warns > 0) {
		return reportedError{exitFailed}
	}
	return nil
}

func ordinalArrow(old, new int) string {
	if old == 0 || old == new {
		return fmt.Sprintf("%03d", new)
	}
	return fmt.Sprintf("%03d → %03d", old, new)
}

func printPlan(w io.Writer, pl *pkgbuild.Plan) {
	fmt.Fprintf(w, "image %s release %s, target %s\n", pl.Image, report.Arrow(pl.PreviousRelease, pl.Release), pl.Target)
	if pl.PreviousRelease == "" {
		fmt.Fprintf(w, "no release recorded yet (%s does not exist): everything is new\n", pl.LockPath)
	} else {
		fmt.Fprintf(w, "compared with release %s recorded in %s\n", pl.PreviousRelease, pl.LockPath)
	}
	for _, p := range pl.Packages {
		fmt.Fprintf(w, "\npackage %s %s (%s, %s)\n", p.Name, report.Arrow(p.OldVersion, p.Version), p.Status, p.Owner)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, f := range p.Files {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", f.Class, f.Name, ordinalArrow(f.OldOrdinal, f.Ordinal), f.Status, f.Why)
		}
		for _, f := range p.Removed {
			fmt.Fprintf(tw, "  %s\t%s\t%03d\t%s\t%s\n", f.Class, f.OldName, f.OldOrdinal, f.Status, f.Why)
		}
		tw.Flush()
		for _, why := range p.Why {
			fmt.Fprintf(w, "  why: %s\n", why)
		}
	}
	for _, name := range pl.RemovedPackages {
		fmt.Fprintf(w, "\npackage %s removed: released before, no longer in the manifest\n", name)
	}
	if len(pl.Findings) > 0 {
		fmt.Fprintln(w)
		for _, f := range pl.Findings {
			fmt.Fprintln(w, f)
		}
	}
}
