package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/provpack/provpack/pkgbuild"
	"github.com/provpack/provpack/pkgbuild/diff"
)

func reapplyCommand() *cli.Command {
	return &cli.Command{
		Name:      "reapply",
		Usage:     "show what devices will re-run on the image update and at cold boot",
		ArgsUsage: "[MANIFEST|DIR]",
		Description: `Compares the current manifest with the last release recorded in the lock
and lists, in processing order, the update files every device re-runs on the
image update (with every setting in them), and everything a cold boot or
factory reset runs. Flags what needs attention: cold-only settings that
changed (newly flashed devices only), update files changed without a version
bump, version bumps without a change, settings written by two packages, and
packages overriding a Microsoft-owned setting. Writes nothing.

Example:
   provpack reapply
   provpack reapply --output markdown > reapply.md`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "output", Value: "text", Usage: "text, markdown or json"},
			&cli.BoolFlag{Name: "strict", Usage: "exit 1 on warnings too"},
		}, bumpFlags...),
		Action: func(c *cli.Context) error {
			pl, output, err := loadPlan(c, outputFormats["reapply"]...)
			if err != nil {
				return err
			}
			r := pl.Reapply()
			if err := render(c.App.Writer, output, r, r.Text, r.Markdown); err != nil {
				return err
			}
			// Source findings are plan's business; a pipeline can still fail
			// here on an error.
			return findingsResult(c.App.ErrWriter, pl.Findings, c.Bool("strict"), false)
		},
	}
}

func diffCommand() *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "setting-level diff between two releases",
		ArgsUsage: "OLD NEW",
		Description: `Compares two releases, each given as a build output directory, its
report.json, a provpack.lock, or a manifest (provpack.yaml, planned without
building: what the next build would write): per package the settings
added, removed and changed (old → new value and datatype), settings that
moved between the cold and update classes, and version and ordinal
changes. Settings that did not change are not listed. With --exit-code,
differences exit 3 (none exit 0). To look into a package archive, use
provpack inspect.

Example:
   provpack diff out/2.1.0 out/2.2.0
   provpack diff --output markdown provpack.lock out/2.2.0 > review.md
   # the change since the last release:
   provpack diff provpack.lock provpack.yaml`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Value: "text", Usage: "text, markdown or json"},
			&cli.BoolFlag{Name: "exit-code", Usage: "exit 3 when there are differences"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return usagef("diff takes two arguments, OLD and NEW (build output directories, report.json files, provpack.lock files or manifests)")
			}
			output := c.String("output")
			if err := oneOf("output", output, outputFormats["diff"]...); err != nil {
				return err
			}
			oldS, err := interruptible(c.Context, func() (*diff.Snapshot, error) { return pkgbuild.Snapshot(c.Context, c.Args().Get(0)) })
			if err != nil {
				return err
			}
			newS, err := interruptible(c.Context, func() (*diff.Snapshot, error) { return pkgbuild.Snapshot(c.Context, c.Args().Get(1)) })
			if err != nil {
				return err
			}
			d := diff.DiffSnapshots(oldS, newS)
			if err := render(c.App.Writer, output, d, d.Text, d.Markdown); err != nil {
				return err
			}
			if c.Bool("exit-code") && !d.Empty() {
				return reportedError{exitDifferences}
			}
			return nil
		},
	}
}

// render prints v as JSON, or the text or Markdown rendering.
func render(w io.Writer, output string, v any, text, markdown func() string) error {
	switch output {
	case "json":
		return writeJSON(w, v)
	case "markdown":
		_, err := fmt.Fprint(w, markdown())
		return err
	}
	_, err := fmt.Fprint(w, text())
	return err
}
