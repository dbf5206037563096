package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"
)

// run is the whole program: tests call it in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Results can be many lines (findings, plans, settings): buffer them,
	// and flush before anything is said about the exit.
	out := bufio.NewWriter(stdout)
	stderr = &afterStdout{out: out, w: stderr}
	var notFound error
	app := &cli.App{
		Name:                 "provpack",
		Usage:                "build, check and report on provisioning packages for Windows Mobile ROM images",
		Version:              readBuildVersion().String(),
		Reader:               stdin,
		Writer:               out,
		ErrWriter:            stderr,
		EnableBashCompletion: true,
		HideHelpCommand:      false,
		// urfave/cli would call os.Exit itself; exit codes are decided in
		// exitCode instead.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return unknownFlag(c, err)
		},
		CommandNotFound: func(c *cli.Context, name string) {
			notFound = unknownCommand(c.App, name)
		},
		Commands: []*cli.Command{
			lintCommand(),
			planCommand(),
			buildCommand(),
			diffCommand(),
			reapplyCommand(),
			inspectCommand(),
			verifyCommand(),
			extractCommand(),
			bumpCommand(),
			schemaCommand(),
			initCommand(),
			importCommand(),
			completionCommand(),
			versionCommand(),
			completeCmd(),
		},
	}
	for _, c := range app.Commands {
		c.OnUsageError = app.OnUsageError
	}
	err := app.RunContext(ctx, interspersed(app, args))
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err == nil {
		err = notFound
	}
	return exitCode(err, stderr)
}

// buildVersion is what `provpack version` reports, from the build info
// the Go toolchain embeds: the module version ("(devel)" for a build from
// a checkout), and with go build in a git checkout the revision, its
// commit time and whether the tree had changes.
type buildVersion struct {
	Version  string `json:"version"`
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go,omitempty"`
}

func readBuildVersion() buildVersion {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return buildVersion{Version: "(unknown)"}
	}
	return versionOf(bi)
}

func versionOf(bi *debug.BuildInfo) buildVersion {
	v := buildVersion{Version: bi.Main.Version, Go: bi.GoVersion}
	if v.Version == "" {
		v.Version = "(unknown)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// String is the one-line form: "v1.2.0", or "(devel) 0123456789ab
// 2026-12-05T14:00:00Z modified" for a build from a checkout.
func (v buildVersion) String() string {
	s := v.Version
	// Go 1.24 and later name the revision in a pseudo-version already
	// (v0.0.0-20261205140000-0123456789ab).
	if short := v.Revision[:min(12, len(v.Revision))]; short != "" && !strings.Contains(s, short) {
		s += " " + short
	}
	if v.Time != "" {
		s += " " + v.Time
	}
	if v.Modified {
		s += " modified"
	}
	return s
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:      "version",
		Usage:     "print the provpack version and the commit it was built from",
		UsageText: "provpack version [--output json]",
		Description: `Prints the module version, and for a build from a git checkout the commit
(revision and commit time, "modified" when the tree had uncommitted changes),
read from the build information the Go toolchain embeds.

Example:
   provpack version
   provpack version --output json`,
		Flags: []cli.Flag{&cli.StringFlag{Name: "output", Value: "text", Usage: "text or json"}},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("version takes no arguments")
			}
			if err := oneOf("output", c.String("output"), outputFormats["version"]...); err != nil {
				return err
			}
			v := readBuildVersion()
			if c.String("output") == "json" {
				return writeJSON(c.App.Writer, v)
			}
			_, err := fmt.Fprintf(c.App.Writer, "provpack %s\n", v)
			return err
		},
	}
}

// oneOf checks a flag value against its allowed values.
func oneOf(flag, value string, allowed ...string) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return usagef("--%s %q: want one of %s", flag, value, strings.Join(allowed, ", "))
}

// interspersed moves a command's flags in front of its positional
// arguments, so that "provpack lint FILE --strict" works as users expect;
// urfave/cli v2 would stop parsing flags at FILE. Everything after "--"
// stays positional.
func interspersed(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	var cmd *cli.Command
	at := 1
	for ; at < len(args); at++ {
		if c := app.Command(args[at]); c != nil {
			cmd = c
			break
		}
		if !strings.HasPrefix(args[at], "-") {
			return args
		}
	}
	if cmd == nil || cmd.SkipFlagParsing {
		return args
	}
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			takesValue[n] = !isBool
		}
	}
	out := append([]string(nil), args[:at+1]...)
	var flags, pos []string
	rest := args[at+1:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			pos = append(pos, rest[i:]...)
			i = len(rest)
		case strings.HasPrefix(a, "-") && a != "-":
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && takesValue[name] && i+1 < len(rest) {
				flags = append(flags, rest[i+1])
				i++
			}
		default:
			pos = append(pos, a)
		}
	}
	out = append(out, flags...)
	if len(pos) > 0 && pos[0] != "--" {
		out = append(out, "--")
	}
	return append(out, pos...)
}

// afterStdout writes to stderr only after flushing buffered stdout, so a
// terminal shows results and the messages about them in the order they
// were written.
type afterStdout struct {
	out *bufio.Writer
	w   io.Writer
}

func (a *afterStdout) Write(p []byte) (int, error) {
	a.out.Flush()
	return a.w.Write(p)
}

// interruptible runs f, the library call of a command that writes
// nothing, and returns as soon as ctx is done (Ctrl-C, SIGTERM) with
// ctx.Err(), without waiting for f: f may be in the middle of work that
// cannot be interrupted (decoding a large lock or report, reading an
// archive), and since it writes nothing, the process can exit under it.
func interruptible[T any](ctx context.Context, f func() (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		if r.err == nil && ctx.Err() != nil {
			// Interrupted as f finished: the user asked to stop.
			return zero, ctx.Err()
		}
		return r.v, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}
