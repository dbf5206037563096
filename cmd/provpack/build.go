package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild"
	"github.com/provpack/provpack/pkgbuild/report"
)

func buildCommand() *cli.Command {
	return &cli.Command{
		Name:      "build",
		Usage:     "build every package archive, SHA256SUMS and the build report into DIR",
		ArgsUsage: "[MANIFEST|DIR]",
		Description: `Plans exactly as provpack plan does, then writes into DIR one archive per
package (a cabinet, or tar.zst when the manifest says format: tar.zst),
SHA256SUMS (check it with sha256sum -c) and the build report (report.json,
report.md). Nothing in DIR changes unless every output succeeded; an
existing file with different bytes is replaced only with --force. Archives
in DIR that this build does not produce (from an earlier build of other
packages or versions) are named; --clean removes them in the same commit.
With --release the build is recorded in provpack.lock afterwards.

Archive dates come from SOURCE_DATE_EPOCH, or 2000-01-01T00:00:00Z when it
is unset, so the same inputs always give the same bytes.

With --sign-cert and --sign-key (or --sign-pkcs12, or --sign-command for a
key that stays in an HSM) every cabinet gets an Authenticode signature,
and a w10m package's content.cat is signed with the same key first; with
an RSA key the signed bytes are reproducible too. The signing time is
SOURCE_DATE_EPOCH when set, and left out otherwise (docs/signing.md).

For a w10m image, --pkggen PKGDIR also writes a project for Microsoft's
package generator per package (docs/package-manifest.md).

When nothing DIR was built from has changed since the last build into it,
build says DIR is up to date and writes nothing (see docs/cache-format.md).

Example:
   provpack build fixtures/demo/provpack.yaml -o out
   provpack build -o out --release --bump patch --reason "APN renamed"
   provpack build -o out --release --bump-release minor
   provpack build -o out --output json > build.json
   provpack build -o out --sign-cert chain.pem --sign-key key.pem`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output directory (required)"},
			&cli.StringFlag{Name: "output", Value: "text", Usage: "text or json (a summary: archives, findings, what changed)"},
			&cli.BoolFlag{Name: "release", Usage: "record this build in the release lock"},
			&cli.StringFlag{Name: "bump-release", Usage: "with --release: raise the image release by patch, minor or major when the lock already records it"},
			&cli.BoolFlag{Name: "force", Usage: "replace existing outputs whose bytes differ"},
			&cli.BoolFlag{Name: "clean", Usage: "remove archives in DIR that this build does not produce"},
			&cli.StringFlag{Name: "pkggen", Usage: "w10m: also write per package a PkgGen project (.pkg.xml) and its provisioning files to `PKGDIR`"},
			&cli.BoolFlag{Name: "strict", Usage: "fail on warnings too"},
		}, append(bumpFlags, signFlags...)...),
		Action: buildAction,
	}
}

func buildAction(c *cli.Context) error {
	path, err := manifestArg(c)
	if err != nil {
		return err
	}
	out := c.String("out")
	if out == "" {
		return usagef("build needs an output directory: -o DIR")
	}
	output := c.String("output")
	if err := oneOf("output", output, outputFormats["build"]...); err != nil {
		return err
	}
	opt, err := buildOptions(c)
	if err != nil {
		return err
	}
	opt.Release = c.Bool("release")
	if k := c.String("bump-release"); k != "" {
		if !opt.Release {
			return usagef("--bump-release raises the release that --release records; use it with --release")
		}
		if err := oneOf("bump-release", k, bumpKinds...); err != nil {
			return err
		}
		opt.BumpRelease = pkgbuild.BumpKind(k)
	}
	epoch, err := pkgbuild.ParseSourceDateEpoch(os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return usageError{err}
	}
	if path, err = manifestPath(path); err != nil {
		return err
	}
	stderr := c.App.ErrWriter
	bo := pkgbuild.BuildOptions{OutDir: out, Release: c.Bool("release"), Force: c.Bool("force"), Clean: c.Bool("clean"), PkgGenDir: c.String("pkggen"), Epoch: epoch}
	if bo.Signer, err = signer(c); err != nil {
		return err
	}
	if bo.Signer != nil && os.Getenv("SOURCE_DATE_EPOCH") != "" {
		bo.SigningTime = epoch // otherwise the signatures carry no time
	}
	if isTerminal(stderr) {
		bo.Progress = func(done, total int, pkg string) {
			fmt.Fprintf(stderr, "\r\033[K[%d/%d] %s", done, total, pkg)
			if done == total {
				fmt.Fprint(stderr, "\r\033[K")
			}
		}
	}
	// Planning and archiving run in one pass; the findings are printed,
	// and may stop the build, before anything is committed.
	var stopped *buildSummary
	bo.Check = func(pl *pkgbuild.Plan) error {
		if bo.Progress != nil && len(pl.Findings) > 0 {
			fmt.Fprint(stderr, "\r\033[K") // packages with errors never finish
		}
		if output == "text" {
			for _, f := range pl.Findings {
				fmt.Fprintln(stderr, f)
			}
		}
		if err := findingsResult(stderr, pl.Findings, c.Bool("strict"), output == "text"); err != nil {
			fmt.Fprintf(stderr, "build stopped; nothing was written to %s\n", out)
			stopped = &buildSummary{OutDir: out, Image: pl.Image, Release: pl.Release, PreviousRelease: pl.PreviousRelease,
				Target: pl.Target, Archives: []buildArchive{}, Findings: pl.Findings}
			return err
		}
		return nil
	}
	pl, rep, err := pkgbuild.BuildManifest(c.Context, path, opt, bo)
	if err != nil {
		if stopped != nil && output == "json" {
			if werr := writeJSON(c.App.Writer, stopped); werr != nil {
				return werr
			}
		}
		return manifestFailure(c, output, err)
	}
	w := c.App.Writer
	if note := unsignedCatalogNote(pl, bo); note != "" {
		fmt.Fprintln(stderr, note)
	}
	if output == "json" {
		if len(rep.Stale) > 0 && !rep.Cleaned {
			staleNote(stderr, out, rep.Stale)
		}
		return writeJSON(w, summarizeBuild(out, bo.Release, pl, rep))
	}
	for _, p := range rep.Packages {
		fmt.Fprintf(w, "%s  %s  %d bytes  %s\n", p.SHA256, filepath.Join(out, p.Archive), p.Size, report.Arrow(p.OldVersion, p.Version))
	}
	if rep.UpToDate {
		fmt.Fprintf(w, "%s is up to date: nothing it was built from changed since the last build, so its %s, SHA256SUMS, report.json and report.md stand\n", out, plural(len(rep.Packages), "archive"))
	} else {
		fmt.Fprintf(w, "wrote %s: %s, SHA256SUMS, report.json, report.md\n", out, plural(len(rep.Packages), "archive"))
	}
	if len(rep.Stale) > 0 {
		if rep.Cleaned {
			fmt.Fprintf(w, "removed from %s the archives this build does not produce: %s\n", out, strings.Join(rep.Stale, ", "))
		} else {
			staleNote(stderr, out, rep.Stale)
		}
	}
	if bo.Release {
		if pl.ReleaseBump != nil {
			fmt.Fprintf(w, "release %s → %s in %s (--bump-release)\n", pl.ReleaseBump.From, pl.ReleaseBump.To, path)
		}
		fmt.Fprintf(w, "recorded release %s in %s\n", rep.Release, pl.LockPath)
	}
	return nil
}

// staleNote warns that out holds archives this build does not produce
// and --clean did not remove.
func staleNote(w io.Writer, out string, stale []string) {
	fmt.Fprintf(w, "note: %s also holds archives this build does not produce: %s; verify fails on them and an upload would ship them (build --clean removes them)\n", out, strings.Join(stale, ", "))
}

// unsignedCatalogNote is the one line an unsigned w10m build prints: its
// content catalogs are unsigned, which the device's tools refuse; "" for
// a signed build and for wm6 (whose unsigned cabinets are the norm).
func unsignedCatalogNote(pl *pkgbuild.Plan, bo pkgbuild.BuildOptions) string {
	if bo.Signer != nil || pl.Target != string(manifest.TargetW10M) || len(pl.Packages) == 0 {
		return ""
	}
	why := ""
	if pl.Manifest != nil && pl.Manifest.Signing == manifest.SigningRequired {
		why = "; the manifest says signing: required, so build --release refuses to run unsigned"
	}
	what := "1 w10m package and its content catalog (content.cat) are"
	if n := len(pl.Packages); n > 1 {
		what = fmt.Sprintf("%d w10m packages and their content catalogs (content.cat) are", n)
	}
	return fmt.Sprintf("note: %s unsigned; Microsoft's package tools expect them signed: build with --sign-cert and --sign-key, --sign-pkcs12 or --sign-command to sign both%s", what, why)
}

// buildSummary is build --output json: what was built, from what, and
// what changed against the last release.
type buildSummary struct {
	OutDir          string `json:"outDir"`
	Image           string `json:"image"`
	Release         string `json:"release"`
	PreviousRelease string `json:"previousRelease,omitempty"`
	Target          string `json:"target"`
	// Written is false when the findings stopped the build, and when
	// OutDir was up to date and nothing needed writing.
	Written  bool   `json:"written"`
	UpToDate bool   `json:"upToDate"`
	Lock     string `json:"lock,omitempty"` // with --release: the lock the release was recorded in
	// ReleaseBump is the image release raised by --bump-release.
	ReleaseBump *manifest.Bump `json:"releaseBump,omitempty"`
	// Stale names archives in OutDir this build does not produce; with
	// Cleaned, --clean removed them.
	Stale   []string `json:"stale,omitempty"`
	Cleaned bool     `json:"cleaned,omitempty"`
	// Archives are in manifest order.
	Archives        []buildArchive     `json:"archives"`
	RemovedPackages []string           `json:"removedPackages,omitempty"`
	Findings        []pkgbuild.Finding `json:"findings"`
}

type buildArchive struct {
	Path       string        `json:"path"`
	Size       int64         `json:"size"`
	SHA256     string        `json:"sha256"`
	Package    string        `json:"package"`
	Version    string        `json:"version"`
	OldVersion string        `json:"oldVersion,omitempty"`
	Status     report.Status `json:"status,omitempty"`
	Files      []report.File `json:"files,omitempty"`
}

func summarizeBuild(out string, release bool, pl *pkgbuild.Plan, rep *report.Report) *buildSummary {
	s := &buildSummary{OutDir: out, Image: rep.Image, Release: rep.Release, PreviousRelease: rep.PreviousRelease, Target: rep.Target,
		Written: !rep.UpToDate, UpToDate: rep.UpToDate, Archives: []buildArchive{}, RemovedPackages: rep.RemovedPackages, Findings: rep.Findings}
	if s.Findings == nil {
		s.Findings = []pkgbuild.Finding{}
	}
	if release {
		s.Lock, s.ReleaseBump = pl.LockPath, pl.ReleaseBump
	}
	s.Stale, s.Cleaned = rep.Stale, rep.Cleaned
	for _, p := range rep.Packages {
		s.Archives = append(s.Archives, buildArchive{Path: filepath.Join(out, p.Archive), Size: p.Size, SHA256: p.SHA256,
			Package: p.Name, Version: p.Version, OldVersion: p.OldVersion, Status: p.Status, Files: p.Files})
	}
	return s
}

// isTerminal reports whether w is a terminal (progress is shown only there).
func isTerminal(w io.Writer) bool {
	if a, ok := w.(*afterStdout); ok {
		w = a.w
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
