package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/provpack/provpack/internal/testutil"
)

// buildFlags is what completing "provpack build --" must offer.
var buildFlags = []string{"--bump", "--bump-release", "--clean", "--force", "--help", "--out", "--output", "--pkggen", "--reason", "--release", "--sign-cert", "--sign-command", "--sign-key", "--sign-pkcs12", "--strict"}

// completeWords runs "provpack __complete" in-process.
func completeWords(t *testing.T, at int, words ...string) []string {
	t.Helper()
	var out, errb bytes.Buffer
	args := append([]string{"provpack", completeCommand, strconv.Itoa(at)}, words...)
	if code := run(context.Background(), args, nil, &out, &errb); code != 0 {
		t.Fatalf("%q: exit %d: %s", args, code, errb.String())
	}
	return strings.Fields(out.String())
}

func TestComplete(t *testing.T) {
	demo := filepath.Join(testutil.Root(), "fixtures", "demo")
	for _, tc := range []struct {
		at    int
		words []string
		want  []string
	}{
		{0, []string{"bu"}, []string{"build", "bump"}},
		{0, nil, []string{"lint", "plan", "build", "diff", "reapply", "inspect", "verify", "extract", "bump", "schema", "init", "import", "completion", "version", "help"}},
		{0, []string{"--v"}, []string{"--version"}},
		{1, []string{"build", "--"}, buildFlags},
		{1, []string{"build", "--rel"}, []string{"--release"}},
		{2, []string{"lint", "--target"}, []string{"wm6", "w10m"}},
		{2, []string{"plan", "--output"}, []string{"text", "json"}},
		{2, []string{"reapply", "--output"}, []string{"text", "markdown", "json"}},
		{2, []string{"diff", "--output", "m"}, []string{"markdown"}},
		{1, []string{"diff", "--output=j"}, []string{"--output=json"}},
		{3, []string{"diff", "--output", "=", "j"}, []string{"json"}}, // bash splits at "="
		{2, []string{"diff", "--output", "="}, []string{"text", "markdown", "json"}},
		{2, []string{"build", "--bump"}, []string{"patch", "minor", "major"}},
		{2, []string{"build", "--bump-release"}, []string{"patch", "minor", "major"}},
		{2, []string{"bump", "--release"}, []string{"patch", "minor", "major"}},
		{2, []string{"build", "--release"}, []string{":files"}}, // a switch: the MANIFEST follows
		{2, []string{"init", "--target", "w"}, []string{"wm6", "w10m"}},
		{2, []string{"build", "-o"}, []string{":dirs"}},
		{2, []string{"bump", "--manifest"}, []string{":files"}},
		{2, []string{"lint", "--suppress", "PP020"}, []string{"PP0201", "PP0202", "PP0203", "PP0204", "PP0205"}},
		{1, []string{"plan", "prov"}, []string{":files"}},
		{2, []string{"lint", "--strict"}, []string{":files"}},
		{2, []string{"plan", "--", "--x"}, []string{":files"}},
		{1, []string{"init"}, []string{":dirs"}},
		{1, []string{"import"}, []string{":files"}},
		{2, []string{"import", "-o"}, []string{":dirs"}},
		{1, []string{"import", "--f"}, []string{"--force"}},
		{1, []string{"completion"}, []string{"bash", "zsh", "fish", "powershell"}},
		{1, []string{"help", "ve"}, []string{"verify", "version"}},
		{2, []string{"build", "--reason"}, nil},
		{3, []string{"bump", "-m", demo}, []string{"OEM_Base", "OEM_Certs", "OPR_Fabrikam"}},
		{3, []string{"bump", "--manifest=" + demo, "--patch", "OEM"}, []string{"OEM_Base", "OEM_Certs"}},
		{1, []string{"bump"}, nil}, // no provpack.yaml here
		{1, []string{"schema"}, nil},
	} {
		got := completeWords(t, tc.at, tc.words...)
		if tc.words != nil && tc.words[0] == "build" && tc.at == 1 && tc.words[1] == "--" {
			slices.Sort(got)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("complete %d %q = %q, want %q", tc.at, tc.words, got, tc.want)
		}
	}
}

// TestFlagValuesMatchChecks: every value completion offers is one the
// command accepts, and a wrong value's error lists exactly those values.
func TestFlagValuesMatchChecks(t *testing.T) {
	for cmd, formats := range outputFormats {
		var out, errb bytes.Buffer
		args := []string{"provpack", cmd, "--output", "bogus"}
		switch cmd {
		case "diff":
			args = append(args, "x", "y")
		case "version":
		case "build":
			args = append(args, "-o", "x")
		default:
			args = append(args, "x")
		}
		run(context.Background(), args, nil, &out, &errb)
		want := `--output "bogus": want one of ` + strings.Join(formats, ", ")
		if !strings.Contains(errb.String(), want) {
			t.Errorf("%s --output bogus: stderr %q, want %q", cmd, errb.String(), want)
		}
	}
	for _, args := range [][]string{{"lint", "--target", "bogus", "x"}, {"init", "--target", "bogus"}} {
		var out, errb bytes.Buffer
		run(context.Background(), append([]string{"provpack"}, args...), nil, &out, &errb)
		if want := `want one of ` + strings.Join(targets, ", "); !strings.Contains(errb.String(), want) {
			t.Errorf("%q: stderr %q, want %q", args, errb.String(), want)
		}
	}
	for _, args := range [][]string{{"plan", "--bump", "bogus"}, {"build", "-o", "x", "--release", "--bump-release", "bogus"}, {"bump", "--release", "bogus"}} {
		var out, errb bytes.Buffer
		run(context.Background(), append([]string{"provpack"}, args...), nil, &out, &errb)
		if want := `want one of ` + strings.Join(bumpKinds, ", "); !strings.Contains(errb.String(), want) {
			t.Errorf("%q: stderr %q, want %q", args, errb.String(), want)
		}
	}
}

// completionScript writes `provpack completion SHELL` to a file in a new
// temporary directory, which it returns with the script's path.
func completionScript(t *testing.T, shell string) (dir, script string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"provpack", "completion", shell}, nil, &out, &errb); code != 0 {
		t.Fatalf("completion %s: exit %d: %s", shell, code, errb.String())
	}
	dir = t.TempDir()
	script = filepath.Join(dir, "provpack."+shell)
	if err := os.WriteFile(script, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// A manifest to complete file names to.
	if err := os.WriteFile(filepath.Join(dir, "provpack.yaml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, script
}

// shellLines runs a shell program in dir (where TestMain's PATH has
// provpack) and returns the lines it prints, sorted.
func shellLines(t *testing.T, dir, sh string, args ...string) []string {
	t.Helper()
	cmd := exec.Command(sh, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", sh, args, err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	slices.Sort(lines)
	return lines
}

// Each shell loads its script and completes like this: flags after
// "build --", values after "lint --target ", files after "plan prov".
func TestCompletionBash(t *testing.T) {
	bash := testutil.Tool(t, "bash", "bash")
	dir, script := completionScript(t, "bash")
	complete := func(cword int, words ...string) []string {
		prog := `source "$1"; shift; COMP_CWORD=$1; shift; COMP_WORDS=("$@"); _provpack; printf '%s\n' "${COMPREPLY[@]}"`
		return shellLines(t, dir, bash, append([]string{"-c", prog, "bash", script, strconv.Itoa(cword)}, words...)...)
	}
	if got := complete(2, "provpack", "build", "--"); !slices.Equal(got, buildFlags) {
		t.Errorf("bash: provpack build --<TAB> = %q, want %q", got, buildFlags)
	}
	if got, want := complete(3, "provpack", "lint", "--target", ""), []string{"w10m", "wm6"}; !slices.Equal(got, want) {
		t.Errorf("bash: provpack lint --target <TAB> = %q, want %q", got, want)
	}
	if got, want := complete(2, "provpack", "plan", "prov"), []string{"provpack.bash", "provpack.yaml"}; !slices.Equal(got, want) {
		t.Errorf("bash: provpack plan prov<TAB> = %q, want %q", got, want)
	}
}

func TestCompletionZsh(t *testing.T) {
	zsh := testutil.Tool(t, "zsh", "zsh")
	dir, script := completionScript(t, "zsh")
	// Outside a completion widget compadd and _files cannot run: stand-ins
	// print what the completion function asks of them. One shell runs
	// every case (compinit takes seconds), each followed by a line "@@".
	prog := `autoload -Uz compinit && compinit -u -D
source "$1"
compadd() { [[ $1 == -- ]] && shift; printf '%s\n' "$@" }
_files() { print -l -- *(N${1:+/}) }
try() { CURRENT=$1; shift; words=("$@"); _provpack; print -- @@ }
try 3 provpack build --
try 4 provpack lint --target ''
try 3 provpack plan ''`
	cmd := exec.Command(zsh, "-f", "-c", prog, "zsh", script)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("zsh: %v\n%s", err, out)
	}
	var got [][]string
	for _, block := range strings.Split(string(out), "@@\n") {
		if lines := strings.Fields(block); len(lines) > 0 {
			slices.Sort(lines)
			got = append(got, lines)
		}
	}
	want := [][]string{buildFlags, {"w10m", "wm6"}, {"provpack.yaml", "provpack.zsh"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("zsh: provpack build --<TAB>, lint --target <TAB>, plan <TAB> = %q, want %q", got, want)
	}
}

func TestCompletionFish(t *testing.T) {
	fish := testutil.Tool(t, "fish", "fish")
	dir, script := completionScript(t, "fish")
	complete := func(line string) []string {
		return shellLines(t, dir, fish, "--no-config", "-c", `source $argv[1]; complete -C $argv[2]`, script, line)
	}
	if got := complete("provpack build --"); !slices.Equal(got, buildFlags) {
		t.Errorf("fish: provpack build --<TAB> = %q, want %q", got, buildFlags)
	}
	if got, want := complete("provpack lint --target "), []string{"w10m", "wm6"}; !slices.Equal(got, want) {
		t.Errorf("fish: provpack lint --target <TAB> = %q, want %q", got, want)
	}
	if got, want := complete("provpack plan prov"), []string{"provpack.fish", "provpack.yaml"}; !slices.Equal(got, want) {
		t.Errorf("fish: provpack plan prov<TAB> = %q, want %q", got, want)
	}
}

// PowerShell is not in Debian; the script is checked where pwsh is
// installed (https://learn.microsoft.com/powershell/scripting/install/install-debian).
func TestCompletionPowerShell(t *testing.T) {
	testutil.Slow(t, "runs pwsh")
	pwsh, err := exec.LookPath("pwsh")
	if err != nil {
		t.Skip("pwsh not installed (not in Debian's archive; see Microsoft's package repository)")
	}
	dir, script := completionScript(t, "powershell")
	prog := ". '" + script + "'; (TabExpansion2 -inputScript 'provpack build --' -cursorColumn 17).CompletionMatches | ForEach-Object { $_.CompletionText }"
	if got := shellLines(t, dir, pwsh, "-NoProfile", "-Command", prog); !slices.Equal(got, buildFlags) {
		t.Errorf("pwsh: provpack build --<TAB> = %q, want %q", got, buildFlags)
	}
}

func TestSuggest(t *testing.T) {
	cmds := []string{"lint", "plan", "build", "diff", "reapply", "inspect", "verify", "extract", "bump", "version"}
	for in, want := range map[string]string{
		"biuld": "build", "buidl": "build", "verfiy": "verify", "lnit": "lint", "BUILD": "build",
		"ver": "", "zzz": "", "b": "",
	} {
		if got := suggest(in, cmds); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
	flags := []string{"release", "force", "strict", "bump", "reason", "output", "suppress"}
	for in, want := range map[string]string{"relase": "release", "forse": "force", "o": "output", "s": "", "stirct": "strict", "x": ""} {
		if got := suggest(in, flags); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
