package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/provpack/provpack/pkgbuild"
	"github.com/provpack/provpack/provxml"
)

func lintCommand() *cli.Command {
	return &cli.Command{
		Name:      "lint",
		Usage:     "check provisioning XML files against the MSPROV rules",
		ArgsUsage: "FILE|DIR...",
		Description: `Checks each FILE, and every *.provxml under each DIR, and prints every
finding as file:line:col: ID: severity: message. Exits 0 when there is no
error-level finding, 1 when there is one (or a warning, with --strict),
2 on a usage error.

Example:
   provpack lint fixtures/demo/provxml
   provpack lint --target w10m --output json settings.provxml`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "target", Value: provxml.TargetWM6, Usage: "rule set: wm6 or w10m"},
			&cli.StringFlag{Name: "output", Value: "text", Usage: "text or json"},
			&cli.BoolFlag{Name: "strict", Usage: "fail on warnings too"},
			&cli.StringSliceFlag{Name: "suppress", Usage: "silence warnings with these rule IDs (e.g. PX0401)"},
			&cli.BoolFlag{Name: "rules", Usage: "list the rules and exit"},
		},
		Action: lintAction,
	}
}

type lintOptions struct {
	target, output string
	strict         bool
	suppress       []string
}

func lintAction(c *cli.Context) error {
	if c.Bool("rules") {
		return printRules(c.App.Writer)
	}
	opt := lintOptions{target: c.String("target"), output: c.String("output"), strict: c.Bool("strict")}
	for _, s := range c.StringSlice("suppress") {
		for _, id := range strings.Split(s, ",") {
			id = strings.TrimSpace(id)
			r := provxml.RuleByID(id)
			if r == nil {
				return usagef("--suppress %s: no such rule (see provpack lint --rules)", id)
			}
			if r.Severity == provxml.Error {
				return usagef("--suppress %s: %s is an error-level rule and cannot be silenced", id, id)
			}
			opt.suppress = append(opt.suppress, id)
		}
	}
	if err := oneOf("target", opt.target, targets...); err != nil {
		return err
	}
	if err := oneOf("output", opt.output, outputFormats["lint"]...); err != nil {
		return err
	}
	if c.NArg() == 0 {
		return usagef("lint needs at least one FILE or DIR")
	}
	files, missing := provxml.ExpandPaths(c.Args().Slice())
	if len(missing) > 0 {
		var msgs []string
		for _, err := range missing {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = fmt.Errorf("%s: %w", pe.Path, pe.Err)
			}
			msgs = append(msgs, err.Error())
		}
		return usageError{fmt.Errorf("%s", strings.Join(msgs, "\n"))}
	}
	results := provxml.LintFiles(c.Context, files, provxml.ParseOptions{}, provxml.Options{Target: opt.target}, 0)
	if err := c.Context.Err(); err != nil {
		return err
	}
	return reportLint(c.App.Writer, c.App.ErrWriter, results, opt)
}

type jsonLint struct {
	Files    int                `json:"files"`
	Errors   int                `json:"errors"`
	Warnings int                `json:"warnings"`
	Findings []pkgbuild.Finding `json:"findings"`
}

func reportLint(stdout, stderr io.Writer, results []provxml.FileResult, opt lintOptions) error {
	sum := jsonLint{Files: len(results), Findings: []pkgbuild.Finding{}}
	unreadable := 0
	for _, r := range results {
		if r.Err != nil {
			unreadable++
			fmt.Fprintf(stderr, "provpack: cannot read %s: %v\n", r.File, r.Err)
			continue
		}
		for _, f := range provxml.Suppress(r.Findings, opt.suppress) {
			if f.Severity() == provxml.Error {
				sum.Errors++
			} else {
				sum.Warnings++
			}
			if opt.output == "text" {
				fmt.Fprintln(stdout, f)
			}
			sum.Findings = append(sum.Findings, pkgbuild.FindingOf("", f))
		}
	}
	if opt.output == "json" {
		if err := writeJSON(stdout, sum); err != nil {
			return err
		}
	} else if sum.Errors+sum.Warnings > 0 {
		var parts []string
		if sum.Errors > 0 {
			parts = append(parts, plural(sum.Errors, "error"))
		}
		if sum.Warnings > 0 {
			parts = append(parts, plural(sum.Warnings, "warning"))
		}
		fmt.Fprintf(stderr, "%s in %s\n", strings.Join(parts, ", "), plural(sum.Files, "file"))
	}
	if sum.Errors > 0 || unreadable > 0 || (opt.strict && sum.Warnings > 0) {
		return reportedError{exitFailed}
	}
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// printRules lists the document rules lint applies, then the plan and
// release rules plan, build and reapply add; a package's suppress list
// may name any warning of either.
func printRules(w io.Writer) error {
	for _, r := range pkgbuild.AllRules() {
		if _, err := fmt.Fprintf(w, "%s  %-7s  %s\n", r.ID, r.Severity, r.Doc()); err != nil {
			return err
		}
	}
	return nil
}
