package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild"
)

func bumpCommand() *cli.Command {
	return &cli.Command{
		Name:      "bump",
		Usage:     "raise a package version in the manifest, keeping its comments and layout",
		ArgsUsage: "PKG | --release KIND",
		Description: `Raises the version of package PKG in the manifest by one patch, minor or
major step. Only the version is rewritten; comments, quoting and layout stay
as they were. When the release lock knows the package, the bump and its
reason are recorded there.

With --release KIND (patch, minor or major) and no PKG, raises the image
release instead: a release number is recorded once, so each build --release
needs a new one.

Example:
   provpack bump OEM_Base --patch --reason "scanner timeout changed"
   provpack bump --release minor`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "manifest", Aliases: []string{"m"}, Value: manifest.DefaultManifestName, Usage: "the manifest to edit, or a directory holding provpack.yaml"},
			&cli.BoolFlag{Name: "patch", Usage: "raise the patch version"},
			&cli.BoolFlag{Name: "minor", Usage: "raise the minor version"},
			&cli.BoolFlag{Name: "major", Usage: "raise the major version"},
			&cli.StringFlag{Name: "reason", Usage: "why, recorded in the lock"},
			&cli.StringFlag{Name: "release", Usage: "raise the image release instead: patch, minor or major"},
		},
		Action: func(c *cli.Context) error {
			if k := c.String("release"); k != "" {
				if c.NArg() != 0 || c.Bool("patch") || c.Bool("minor") || c.Bool("major") || c.String("reason") != "" {
					return usagef("bump --release KIND raises the image release and takes no PKG, --patch, --minor, --major or --reason")
				}
				if err := oneOf("release", k, bumpKinds...); err != nil {
					return err
				}
				path, err := manifestPath(c.String("manifest"))
				if err != nil {
					return err
				}
				res, err := pkgbuild.BumpRelease(path, pkgbuild.BumpKind(k))
				if err != nil {
					return err
				}
				fmt.Fprintf(c.App.Writer, "release: %s → %s\n", res.From, res.To)
				return nil
			}
			if c.NArg() != 1 {
				return usagef("bump takes exactly one PKG")
			}
			var kinds []string
			for _, k := range []string{"patch", "minor", "major"} {
				if c.Bool(k) {
					kinds = append(kinds, k)
				}
			}
			if len(kinds) != 1 {
				return usagef("bump needs exactly one of --patch, --minor, --major")
			}
			path, err := manifestPath(c.String("manifest"))
			if err != nil {
				return err
			}
			res, err := pkgbuild.Bump(c.Context, path, c.Args().First(), pkgbuild.BumpKind(kinds[0]), c.String("reason"))
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "%s: %s → %s\n", res.Package, res.From, res.To)
			if res.LockUpdated {
				fmt.Fprintf(c.App.ErrWriter, "the bump is recorded in %s as pending, with its reason if any, until the next build --release\n", manifest.DefaultLockName)
			}
			return nil
		},
	}
}

func schemaCommand() *cli.Command {
	return &cli.Command{
		Name:      "schema",
		Usage:     "print the JSON Schema of the manifest, for editors",
		UsageText: "provpack schema",
		Description: `Prints a JSON Schema (draft 2020-12) of provpack.yaml, generated from the
same types the decoder uses. Point an editor's YAML language server at it
for completion and checks as you type; provpack plan stays the authority
(the schema cannot express rules across fields, such as unique names).

Example:
   provpack schema > provpack.schema.json
   # then, first line of provpack.yaml:
   # yaml-language-server: $schema=provpack.schema.json`,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("schema takes no arguments")
			}
			b, err := pkgbuild.ManifestSchema()
			if err != nil {
				return err
			}
			_, err = c.App.Writer.Write(b)
			return err
		},
	}
}

func initCommand() *cli.Command {
	return &cli.Command{
		Name:      "init",
		Usage:     "write a commented starter manifest",
		ArgsUsage: "[DIR]",
		Description: `Writes DIR/provpack.yaml (DIR defaults to the current directory), a
commented manifest that provpack plan accepts, to edit from there.

Example:
   provpack init --image contoso-mc55 --target wm6 image/`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "image", Value: "my-image", Usage: "image name"},
			&cli.StringFlag{Name: "target", Value: "wm6", Usage: "wm6 or w10m"},
			&cli.BoolFlag{Name: "force", Usage: "overwrite an existing provpack.yaml"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return usagef("init takes at most one DIR")
			}
			if err := oneOf("target", c.String("target"), targets...); err != nil {
				return err
			}
			if err := manifest.CheckImageName(c.String("image")); err != nil {
				return usagef("--image: %v", err)
			}
			dir := "."
			if c.NArg() == 1 {
				dir = c.Args().First()
			}
			path, err := pkgbuild.Init(dir, c.String("image"), c.String("target"), c.Bool("force"))
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "wrote %s; next: edit it, then run provpack plan %s\n", path, path)
			return nil
		},
	}
}
