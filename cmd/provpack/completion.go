package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// bashCompletion asks provpack itself for candidates (urfave/cli's
// --generate-bash-completion) and falls back to file names.
const bashCompletion = `# provpack bash completion: source <(provpack completion bash)
_provpack() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local words
  words=$("${COMP_WORDS[0]}" "${COMP_WORDS[@]:1:COMP_CWORD-1}" --generate-bash-completion 2>/dev/null)
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _provpack provpack
`

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script",
		ArgsUsage: "bash",
		Description: `Prints a completion script for bash: commands and flags complete, and
file names where an argument is expected.

Example:
   source <(provpack completion bash)
   provpack completion bash > /etc/bash_completion.d/provpack`,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 || c.Args().First() != "bash" {
				return usagef("completion takes one argument: bash")
			}
			_, err := fmt.Fprint(c.App.Writer, bashCompletion)
			return err
		},
	}
}
