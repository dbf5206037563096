package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/provpack/provpack/pkgbuild/verify"

	"github.com/urfave/cli/v2"

	"github.com/provpack/provpack/internal/quote"
	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/archive"
	"github.com/provpack/provpack/pkgbuild/report"
	"github.com/provpack/provpack/pkgbuild/sign"
)

func inspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "show a package archive's identity, files and settings",
		ArgsUsage: "ARCHIVE",
		Description: `Reads a package archive (cab, .spkg or tar.zst; provpack's own or one made
by Microsoft's tools), checking its integrity on the way, and prints the
package identity (for a w10m package the name the platform gives it), the
signer of a signed cabinet and of its content catalog, every member with
size and SHA-256, and every setting of its provisioning files.

Example:
   provpack inspect out/OEM_Base-1.4.0.cab
   provpack inspect --output json out/OEM_Base-1.4.0.cab`,
		Flags: []cli.Flag{&cli.StringFlag{Name: "output", Value: "text", Usage: "text or json"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("inspect takes exactly one ARCHIVE")
			}
			if err := oneOf("output", c.String("output"), outputFormats["inspect"]...); err != nil {
				return err
			}
			in, err := interruptible(c.Context, func() (*verify.Inspection, error) {
				return verify.Inspect(c.Context, c.Args().First())
			})
			if err != nil {
				return err
			}
			if c.String("output") == "json" {
				return writeJSON(c.App.Writer, in)
			}
			// Everything but sizes and hashes comes from the archive:
			// shown quoted when a character is not printable (q).
			w := c.App.Writer
			var f fields
			f.add("archive", fmt.Sprintf("%s (%s, %d bytes)", q(in.Archive), in.Format, in.Size))
			f.add("sha256", in.SHA256)
			if p := in.Package; p != nil {
				name := p.Name
				if p.Identity != "" {
					// w10m: the name the platform gives the package
					// (Owner.Component[.SubComponent][_Lang_…][_RES_…])
					name = p.Identity
				}
				f.add("package", q(name)+" "+q(p.Version))
				// A package of Microsoft's records no GUID or image.
				f.addSet("guid", p.GUID)
				f.addSet("owner", string(p.Owner))
				f.addSet("target", p.Target)
				f.addSet("image", p.Image)
				if p.Company != "" {
					f.add("company", q(p.Company))
					f.add("component", q(p.Name))
					f.addSet("subcomponent", p.SubComponent)
					f.addSet("culture", p.Culture)
					f.addSet("resolution", p.Resolution)
					f.addSet("partition", p.Partition)
					f.addSet("cpu", p.CPU)
					f.addSet("release", p.ReleaseType)
				}
			} else {
				f.add("package", "(no package manifest)")
			}
			signatureFields(&f, in.Signature)
			if p := in.Package; p != nil && p.Target == string(manifest.TargetW10M) {
				catalogSignatureField(&f, in.CatalogSignature)
			}
			f.print(w)
			fmt.Fprintln(w, "\nmembers:")
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			for _, m := range in.Members {
				fmt.Fprintf(tw, "  %s\t%d\t%s\n", q(m.Name), m.Size, m.SHA256)
			}
			tw.Flush()
			if len(in.Settings) > 0 {
				fmt.Fprintln(w, "\nsettings:")
				tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				for _, s := range in.Settings {
					fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", s.Op, q(report.DisplayKey(s.CSP, s.Path, s.Name)), q(report.ShowValue(s.Value)), q(string(s.Datatype)), q(s.File))
				}
				tw.Flush()
			}
			return nil
		},
	}
}

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check an archive, or a build output directory, and name every mismatch",
		ArgsUsage: "ARCHIVE|DIR",
		Description: `For an archive: its structure and checksums, each member's size and
SHA-256 against the package manifest, the file names, and the provisioning
files re-linted (a w10m package's man.dsm.xml entries and content.cat
hashes too). For a build output directory: SHA256SUMS, every archive in it,
report.json against each archive's package manifest and settings, and
report.md against report.json. A signed cabinet's Authenticode signature
is checked against its bytes; an archive report.json says was signed must
be signed. With --trust, every archive must be signed by a certificate that
chains to one of the given roots for code signing. Prints every problem;
exits 1 if there is any.

Example:
   provpack verify out
   provpack verify --trust ca.pem out
   provpack verify --output json out/OEM_Base-1.4.0.cab`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Value: "text", Usage: "text or json"},
			&cli.StringSliceFlag{Name: "trust", EnvVars: []string{"PROVPACK_TRUST"}, Usage: "PEM file of trusted root certificates; every archive must be signed by a chain to one of them (repeatable)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("verify takes exactly one ARCHIVE or DIR")
			}
			if err := oneOf("output", c.String("output"), outputFormats["verify"]...); err != nil {
				return err
			}
			var vo verify.Options
			if trust := c.StringSlice("trust"); len(trust) > 0 {
				roots, err := sign.LoadRoots(trust)
				if err != nil {
					return err
				}
				vo.Roots = roots
			}
			if c.String("output") == "json" {
				v, err := interruptible(c.Context, func() (*verify.Verification, error) {
					return verify.VerifySummary(c.Context, c.Args().First(), vo)
				})
				if err != nil {
					return err
				}
				if err := writeJSON(c.App.Writer, v); err != nil {
					return err
				}
				if !v.OK {
					return reportedError{exitFailed}
				}
				return nil
			}
			ps, err := interruptible(c.Context, func() ([]archive.Problem, error) {
				return verify.Verify(c.Context, c.Args().First(), vo)
			})
			if err != nil {
				return err
			}
			for _, p := range ps {
				// One line per problem, whatever a name in it holds.
				fmt.Fprintln(c.App.Writer, oneLine(p.String()))
			}
			if len(ps) > 0 {
				fmt.Fprintf(c.App.ErrWriter, "verify failed: %s\n", plural(len(ps), "problem"))
				return reportedError{exitFailed}
			}
			fmt.Fprintf(c.App.ErrWriter, "%s: OK\n", q(c.Args().First()))
			return nil
		},
	}
}

func extractCommand() *cli.Command {
	return &cli.Command{
		Name:      "extract",
		Usage:     "unpack a package archive safely into DIR",
		ArgsUsage: "ARCHIVE",
		Description: `Unpacks ARCHIVE into DIR after checking every member name: absolute
names, drive letters, ".." segments, duplicates, control characters,
Windows device names (CON, NUL, COM1...) and names that collide ignoring
case or trailing dots and spaces refuse the whole archive, and nothing is
ever written outside DIR. An existing file with different bytes is
replaced only with --force. Ctrl-C before the end leaves DIR as it was.

Example:
   provpack extract out/OEM_Base-1.4.0.cab -o unpacked`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "directory to unpack into (required)"},
			&cli.BoolFlag{Name: "force", Usage: "replace existing files whose bytes differ"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("extract takes exactly one ARCHIVE")
			}
			if c.String("out") == "" {
				return usagef("extract needs an output directory: -o DIR")
			}
			written, err := archive.Extract(c.Context, c.Args().First(), c.String("out"), c.Bool("force"))
			if err != nil {
				return err
			}
			for _, p := range written {
				fmt.Fprintln(c.App.Writer, q(p))
			}
			return nil
		},
	}
}

// q shows a name from an archive or a report: as it is, or quoted when a
// character in it is not printable (an escape sequence, a newline, an
// invalid byte), so that it can neither drive the terminal nor forge a
// line of output.
func q(name string) string { return quote.Name(name) }

// oneLine is a line of output built from names that were shown with q:
// as it is, or, should a character that is not printable have got
// through, the whole line quoted.
func oneLine(s string) string { return quote.Name(s) }

// fields are the "label value" lines at the head of inspect's text
// output, the values aligned after the longest label.
type fields [][2]string

// add adds a line whose value is shown as it is.
func (f *fields) add(label, value string) { *f = append(*f, [2]string{label, value}) }

// addSet adds a line for a name from the archive, shown with q, unless
// it is empty.
func (f *fields) addSet(label, value string) {
	if value != "" {
		f.add(label, q(value))
	}
}

// minLabelWidth keeps the value column where it has always been when
// every label is short.
const minLabelWidth = 8

func (f fields) print(w io.Writer) {
	width := minLabelWidth
	for _, kv := range f {
		width = max(width, len(kv[0]))
	}
	for _, kv := range f {
		fmt.Fprintf(w, "%-*s %s\n", width, kv[0], kv[1])
	}
}

// catalogSignatureField shows the signature of a w10m package's
// content.cat in inspect's text output, on one line.
func catalogSignatureField(f *fields, s *archive.Signature) {
	if s == nil {
		f.add("catalog", "unsigned")
		return
	}
	f.add("catalog", fmt.Sprintf("signed %s by %s (issuer %s, serial %s, %s)", q(signatureState(s)), q(s.Subject), q(s.Issuer), q(s.Serial), q(s.DigestAlgorithm)))
}

// signatureFields shows an archive's signature in inspect's text output.
func signatureFields(f *fields, s *archive.Signature) {
	if s == nil {
		f.add("signed", "no")
		return
	}
	f.add("signed", q(signatureState(s)))
	f.add("signer", q(s.Subject))
	f.add("issuer", q(s.Issuer))
	f.add("serial", q(s.Serial))
	f.add("digest", q(s.DigestAlgorithm))
	if s.SigningTime != nil {
		f.add("signed at", s.SigningTime.Format(time.RFC3339))
	}
}

// signatureState is "valid", or "INVALID: " and the problem.
func signatureState(s *archive.Signature) string {
	if !s.Valid {
		return "INVALID: " + s.Problem
	}
	return "valid"
}
