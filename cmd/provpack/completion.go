package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild"
	"github.com/provpack/provpack/provxml"
)

// Completion works the same way in every shell: the shell's script passes
// the words of the command line to the hidden command
//
//	provpack __complete INDEX WORD...
//
// where INDEX is the position among WORDs of the word being completed
// (len(WORDs) when the cursor stands after a space), and prints one
// candidate per line. A last line ":files" or ":dirs" asks the shell for
// file or directory names instead. All the knowledge is here, so the four
// scripts stay small and complete alike.
const completeCommand = "__complete"

// shells are the shells `provpack completion` writes a script for.
var shells = []string{"bash", "zsh", "fish", "powershell"}

// outputFormats are the values of each command's --output flag, for both
// checking and completion.
var outputFormats = map[string][]string{
	"lint":    {"text", "json"},
	"plan":    {"text", "json"},
	"inspect": {"text", "json"},
	"import":  {"text", "json"},
	"verify":  {"text", "json"},
	"build":   {"text", "json"},
	"version": {"text", "json"},
	"reapply": {"text", "markdown", "json"},
	"diff":    {"text", "markdown", "json"},
}

var (
	targets   = []string{provxml.TargetWM6, provxml.TargetW10M}
	bumpKinds = []string{"patch", "minor", "major"}
)

// flagValues returns the values flag of command cmd takes, or ":files" or
// ":dirs" for a path; nil means free text.
func flagValues(cmd, flag string) []string {
	switch flag {
	case "output":
		return outputFormats[cmd]
	case "target":
		return targets
	case "bump", "bump-release":
		return bumpKinds
	case "release":
		if cmd == "bump" { // build's --release is a switch
			return bumpKinds
		}
	case "suppress":
		return pkgbuild.SuppressibleRules()
	case "out", "pkggen":
		return []string{":dirs"}
	case "sign-cert", "sign-key", "sign-pkcs12", "trust", "manifest":
		return []string{":files"}
	}
	return nil
}

// argValues returns what the positional arguments of cmd complete to;
// args are the words after the command.
func argValues(app *cli.App, cmd string, args []string) []string {
	switch cmd {
	case "bump":
		return packageNames(args)
	case "completion":
		return shells
	case "help":
		return commandNames(app)
	case "init":
		return []string{":dirs"}
	case "import", "lint", "plan", "build", "reapply", "diff", "inspect", "verify", "extract":
		return []string{":files"}
	}
	return nil // schema, version
}

// packageNames returns the packages of the manifest bump's words name
// (--manifest, or provpack.yaml here), or nothing when it does not load.
func packageNames(args []string) []string {
	path := "."
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--manifest="); ok {
			path = v
		} else if (a == "-m" || a == "--manifest") && i+1 < len(args) {
			path = args[i+1]
		}
	}
	path, err := manifestPath(path)
	if err != nil {
		return nil
	}
	m, err := manifest.Load(path)
	if err != nil {
		return nil
	}
	var names []string
	for _, p := range m.Packages {
		names = append(names, p.Name)
	}
	return names
}

func commandNames(app *cli.App) []string {
	var names []string
	for _, c := range app.Commands {
		if !c.Hidden {
			names = append(names, c.Name)
		}
	}
	return names
}

// complete returns the candidates for words[at] (or an empty word after
// them), given the words before it.
func complete(app *cli.App, at int, words []string) []string {
	cur := ""
	if at < len(words) {
		cur = words[at]
	}
	before := words[:min(at, len(words))]
	var cmd *cli.Command
	i := 0
	for ; i < len(before); i++ {
		if c := app.Command(before[i]); c != nil && !c.Hidden {
			cmd = c
			break
		}
	}
	if cmd == nil {
		if strings.HasPrefix(cur, "-") {
			return withPrefix(cur, []string{"--help", "--version"})
		}
		return withPrefix(cur, commandNames(app))
	}
	args := before[i+1:]
	// bash splits --flag=value at "=": the value's word follows "=".
	// With the cursor right after "=", the word is "=" and readline
	// completes the empty text after it.
	if n := len(args); n >= 2 && args[n-1] == "=" && strings.HasPrefix(args[n-2], "--") {
		return withPrefix(cur, flagValues(cmd.Name, strings.TrimPrefix(args[n-2], "--")))
	}
	if n := len(args); n >= 1 && cur == "=" && strings.HasPrefix(args[n-1], "--") {
		return flagValues(cmd.Name, strings.TrimPrefix(args[n-1], "--"))
	}
	if slices.Contains(args, "--") {
		return withPrefix(cur, argValues(app, cmd.Name, args))
	}
	if name, value, ok := strings.Cut(cur, "="); ok && strings.HasPrefix(name, "--") {
		var out []string
		for _, v := range flagValues(cmd.Name, strings.TrimPrefix(name, "--")) {
			if strings.HasPrefix(v, ":") {
				return []string{v}
			}
			out = append(out, name+"="+v)
		}
		return withPrefix(name+"="+value, out)
	}
	if n := len(args); n > 0 {
		if f := findFlag(cmd, args[n-1]); f != nil && takesValue(f) {
			return withPrefix(cur, flagValues(cmd.Name, f.Names()[0]))
		}
	}
	if strings.HasPrefix(cur, "-") {
		var out []string
		for _, f := range cmd.Flags {
			if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
				continue
			}
			for _, n := range f.Names() {
				if len(n) > 1 {
					out = append(out, "--"+n)
				}
			}
		}
		return withPrefix(cur, append(out, "--help"))
	}
	return withPrefix(cur, argValues(app, cmd.Name, args))
}

// findFlag returns cmd's flag that word names ("-o", "--out"), or nil.
func findFlag(cmd *cli.Command, word string) cli.Flag {
	name := strings.TrimLeft(word, "-")
	if name == "" || name == word || strings.Contains(name, "=") {
		return nil
	}
	for _, f := range cmd.Flags {
		if slices.Contains(f.Names(), name) {
			return f
		}
	}
	return nil
}

func takesValue(f cli.Flag) bool {
	_, isBool := f.(*cli.BoolFlag)
	return !isBool
}

// withPrefix keeps the candidates that start with prefix; a directive
// (":files", ":dirs") passes through for the shell to complete.
func withPrefix(prefix string, cands []string) []string {
	var out []string
	for _, c := range cands {
		if strings.HasPrefix(c, ":") || strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

func completeCmd() *cli.Command {
	return &cli.Command{
		Name:            completeCommand,
		Hidden:          true,
		SkipFlagParsing: true,
		HideHelp:        true,
		Action: func(c *cli.Context) error {
			args := c.Args().Slice()
			if len(args) == 0 {
				return usagef("%s INDEX WORD...", completeCommand)
			}
			at, err := strconv.Atoi(args[0])
			if err != nil || at < 0 {
				return usagef("%s: INDEX %q is not a word index", completeCommand, args[0])
			}
			for _, s := range complete(c.App, at, args[1:]) {
				fmt.Fprintln(c.App.Writer, s)
			}
			return nil
		},
	}
}

// bashCompletion: "${COMP_WORDS[@]:1}" includes the word under the
// cursor, which may be empty.
const bashCompletion = `# provpack bash completion: source <(provpack completion bash)
_provpack() {
  local IFS=$'\n' line want= cur=${COMP_WORDS[COMP_CWORD]}
  local -a cands=()
  [[ $cur == = ]] && cur=
  for line in $("${COMP_WORDS[0]}" __complete "$((COMP_CWORD-1))" "${COMP_WORDS[@]:1}" 2>/dev/null); do
    case $line in
      :files) want=-f ;;
      :dirs) want=-d ;;
      *) cands+=("$line") ;;
    esac
  done
  if [[ -n $want ]]; then
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen "$want" -- "$cur"))
  else
    COMPREPLY=("${cands[@]}")
  fi
}
complete -F _provpack provpack
`

// zshCompletion: words[1] is provpack and CURRENT the 1-based index of
// the word under the cursor.
const zshCompletion = `#compdef provpack
# provpack zsh completion: source <(provpack completion zsh), or save it
# as _provpack in a directory of $fpath
_provpack() {
  local line want
  local -a cands
  for line in "${(@f)$("${words[1]}" __complete "$((CURRENT-2))" "${(@)words[2,-1]}" 2>/dev/null)}"; do
    case $line in
      (:files) want=files ;;
      (:dirs) want=dirs ;;
      ('') ;;
      (*) cands+=("$line") ;;
    esac
  done
  case $want in
    (files) _files ;;
    (dirs) _files -/ ;;
    (*) compadd -- "${cands[@]}" ;;
  esac
}
if [[ $funcstack[1] == _provpack ]]; then
  _provpack "$@"
else
  compdef _provpack provpack
fi
`

// fishCompletion: commandline -opc gives the words before the cursor,
// commandline -ct the word under it (nothing when it is empty).
const fishCompletion = `# provpack fish completion: provpack completion fish | source
function __provpack_complete
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -l n (math (count $words) - 1)
    for line in ($words[1] __complete $n $words[2..-1] $cur 2>/dev/null)
        switch $line
            case :files
                __fish_complete_path "$cur"
            case :dirs
                __fish_complete_directories "$cur" ''
            case '*'
                echo $line
        end
    end
end
complete -c provpack -f -a '(__provpack_complete)'
`

// powershellCompletion: PowerShell before 7.3 drops empty arguments to
// native commands, hence the index instead of an empty current word.
const powershellCompletion = `# provpack PowerShell completion: provpack completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName provpack -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $words = @($commandAst.CommandElements | Where-Object { $_.Extent.StartOffset -lt $cursorPosition } | ForEach-Object { $_.Extent.Text })
    $exe = $words[0]
    $rest = @($words | Select-Object -Skip 1)
    $at = $rest.Count
    if ($wordToComplete -ne '') { $at = $rest.Count - 1 }
    $lines = @(& $exe __complete $at @rest 2>$null)
    foreach ($line in $lines) {
        if ($line -eq ':files' -or $line -eq ':dirs') {
            Get-ChildItem -Path "$wordToComplete*" -Directory:($line -eq ':dirs') -ErrorAction SilentlyContinue | ForEach-Object {
                $p = Resolve-Path -Relative $_.FullName
                [System.Management.Automation.CompletionResult]::new($p, $p, 'ProviderItem', $p)
            }
        } elseif ($line -ne '') {
            [System.Management.Automation.CompletionResult]::new($line, $line, 'ParameterValue', $line)
        }
    }
}
`

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script: bash, zsh, fish or powershell",
		ArgsUsage: "bash|zsh|fish|powershell",
		Description: `Prints a completion script for the shell: commands, flags, flag values
(targets, output formats, bump kinds, rule IDs), file names where an
argument is expected, and the manifest's package names after bump.

Example:
   source <(provpack completion bash)        # in ~/.bashrc
   source <(provpack completion zsh)         # in ~/.zshrc, after compinit
   provpack completion fish | source         # in ~/.config/fish/config.fish
   # in $PROFILE:
   provpack completion powershell | Out-String | Invoke-Expression`,
		Action: func(c *cli.Context) error {
			scripts := map[string]string{"bash": bashCompletion, "zsh": zshCompletion, "fish": fishCompletion, "powershell": powershellCompletion}
			if c.NArg() != 1 || scripts[c.Args().First()] == "" {
				return usagef("completion takes one argument: %s", strings.Join(shells, ", "))
			}
			_, err := fmt.Fprint(c.App.Writer, scripts[c.Args().First()])
			return err
		},
	}
}
