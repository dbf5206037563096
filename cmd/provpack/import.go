package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild"
)

func importCommand() *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "write a manifest and a lock from packages that already shipped",
		ArgsUsage: "ARCHIVE|DIR...",
		Description: `Reads package archives (provpack's own cab and tar.zst, a Windows Mobile
package cabinet holding mxipcold_/mxip_/mxipupdate_ files, or a real
.spkg, whose provisioning files are those installed under a provisioning
directory or named so; a DIR means every archive in it) and writes into
the output directory:
provpack.yaml with each package's provisioning files as its sources (in
DIR/<package>/), and provpack.lock recording them as the last release
(versions, GUIDs, ordinals, digests). The next plan continues the shipped
ordinals and versions. Members that are not provisioning files are listed
and left alone. An existing manifest, lock or source with other bytes is
replaced only with --force.

The image comes from the packages' own manifests, the release from the
report.json of a build output directory (else 1.0.0); --image and
--release override them. w10m packages must agree on company, cpu and
releaseType; --company names the company when no package records it.

Example:
   provpack import shipped/ -o image
   provpack import OEM_Scanner-1.4.0.cab --image contoso-mc55 \
       --release 2.0.0 -o image
   provpack import --output json shipped/*.spkg --image contoso -o image`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "directory for provpack.yaml, provpack.lock and the sources (required)"},
			&cli.StringFlag{Name: "image", Usage: "image name, when the packages do not record it"},
			&cli.StringFlag{Name: "release", Usage: "the release the packages shipped in (semver)"},
			&cli.StringFlag{Name: "company", Usage: "w10m: the company (Identity/Owner), when the packages do not record it"},
			&cli.BoolFlag{Name: "force", Usage: "replace an existing manifest, lock or source"},
			&cli.StringFlag{Name: "output", Value: "text", Usage: "text or json"},
		},
		Action: func(c *cli.Context) error {
			if err := oneOf("output", c.String("output"), outputFormats["import"]...); err != nil {
				return err
			}
			json := c.String("output") == "json"
			res, err := runImport(c)
			if json {
				if err != nil {
					// What stopped the import, one line each; nothing
					// was written.
					if werr := writeJSON(c.App.Writer, struct {
						Problems []string `json:"problems"`
					}{importProblems(err)}); werr != nil {
						return werr
					}
					return err
				}
				return writeJSON(c.App.Writer, res)
			}
			if err != nil {
				return err
			}
			w := c.App.Writer
			for _, p := range res.Packages {
				fmt.Fprintf(w, "%s %s (%s, from %s)\n", p.Name, p.Version, p.Owner, q(p.Archive))
				for _, f := range p.Files {
					fmt.Fprintf(w, "  %-6s %03d  %s\n", f.Class, f.Ordinal, q(f.Source))
				}
			}
			for _, s := range res.Skipped {
				fmt.Fprintf(w, "left alone: %s: %s: %s\n", q(s.Archive), q(s.Member), s.Why)
			}
			for _, n := range res.Notes {
				fmt.Fprintf(w, "note: %s\n", oneLine(n))
			}
			fmt.Fprintf(w, "wrote %s and %s (image %s, release %s, %s)\nnext: provpack plan %s\n", res.Manifest, res.Lock, res.Image, res.Release, plural(len(res.Packages), "package"), res.Manifest)
			return nil
		},
	}
}

// runImport checks the command line and imports. Problems of the
// command line are usage errors, all of them at once.
func runImport(c *cli.Context) (*pkgbuild.ImportResult, error) {
	var problems []string
	if c.NArg() == 0 {
		problems = append(problems, "import needs at least one ARCHIVE or DIR")
	}
	if c.String("out") == "" {
		problems = append(problems, "import needs an output directory: -o DIR")
	}
	if img := c.String("image"); img != "" {
		if err := manifest.CheckImageName(img); err != nil {
			problems = append(problems, fmt.Sprintf("--image: %v", err))
		}
	}
	if rel := c.String("release"); rel != "" {
		if _, err := manifest.ParseRelease(rel); err != nil {
			problems = append(problems, fmt.Sprintf("--release: %v", err))
		}
	}
	if co := c.String("company"); co != "" {
		if err := manifest.CheckCompanyName(co); err != nil {
			problems = append(problems, fmt.Sprintf("--company: %v", err))
		}
	}
	if len(problems) > 0 {
		return nil, importUsageError{problems}
	}
	return pkgbuild.Import(c.Context, c.Args().Slice(), pkgbuild.ImportOptions{
		Dir: c.String("out"), Image: c.String("image"), Release: c.String("release"), Company: c.String("company"), Force: c.Bool("force")})
}

// importUsageError is every problem of an import command line.
type importUsageError struct{ problems []string }

func (e importUsageError) Error() string { return strings.Join(e.problems, "; ") }

// Unwrap makes it a usage error (exit 2).
func (e importUsageError) Unwrap() error { return usageError{errors.New(e.Error())} }

// importProblems is what stopped an import, one line each, as the JSON
// output's problems lists them.
func importProblems(err error) []string {
	var ie *pkgbuild.ImportError
	var ue importUsageError
	switch {
	case errors.As(err, &ie):
		return ie.Problems
	case errors.As(err, &ue):
		return ue.problems
	}
	return []string{strings.TrimPrefix(err.Error(), "import: ")}
}
