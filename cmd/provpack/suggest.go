package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// unknownFlag turns urfave/cli's "flag provided but not defined: -x" into
// a message naming the command, with a suggestion when one flag is close.
// Other usage errors pass through.
func unknownFlag(c *cli.Context, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: ")
	if !ok {
		return usageError{err}
	}
	name = strings.TrimLeft(name, "-")
	flags, where := c.App.Flags, "provpack"
	if c.Command != nil && c.Command.Name != "" {
		flags, where = c.Command.Flags, c.Command.Name
	}
	var names []string
	for _, f := range flags {
		names = append(names, f.Names()...)
	}
	names = append(names, "help")
	msg := fmt.Sprintf("%s has no flag %s", where, dashed(name))
	if s := suggest(name, names); s != "" {
		msg += fmt.Sprintf("; did you mean %s?", dashed(s))
	}
	return usageError{fmt.Errorf("%s", msg)}
}

// dashed writes a flag name as typed: -o, --output.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// unknownCommand says that name is no command, with a suggestion when
// one is close.
func unknownCommand(app *cli.App, name string) error {
	if s := suggest(name, commandNames(app)); s != "" {
		return usagef("unknown command %q; did you mean %q?", name, s)
	}
	return usagef("unknown command %q", name)
}

// suggest returns the candidate closest to input when it is close enough
// to be a typo (at most one edit in four letters, a swap of neighbours
// counting as one), or, for a single letter, the only long name starting
// with it (-o for --output); "" otherwise.
func suggest(input string, candidates []string) string {
	if len(input) == 1 {
		found := ""
		for _, c := range candidates {
			if len(c) > 1 && strings.HasPrefix(c, input) {
				if found != "" {
					return ""
				}
				found = c
			}
		}
		return found
	}
	// bestD starts one past the most edits a typo may take.
	lower, best, bestD := strings.ToLower(input), "", len(input)/4+2
	for _, c := range candidates {
		if d := editDistance(lower, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of neighbouring letters.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
