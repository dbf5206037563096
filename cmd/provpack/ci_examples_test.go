package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/provpack/provpack/internal/testutil"
)

// The CI examples in docs/ci: GitHub's passes actionlint, GitLab's parses
// and has the jobs and stages it names, and both call provpack only with
// commands and flags it has.

// actionlint is the version go run fetches through the module proxy (and
// finds in the module cache after the first run).
const actionlint = "github.com/rhysd/actionlint/cmd/actionlint@v1.7.12"

var ciExamples = []string{"docs/ci/github-actions.yml", "docs/ci/gitlab-ci.yml"}

func readCIExample(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testutil.Root(), name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestCIExampleActionlint(t *testing.T) {
	testutil.Slow(t, "builds actionlint with go run")
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	// Offline first, from the module cache (the file layout of
	// GOMODCACHE/cache/download is a module proxy; what is in it was
	// checked against the checksum database when it was downloaded), then
	// through the configured proxy, which fills the cache. If neither has
	// it, actionlint cannot be had: a skip (in CI, a failure), not a
	// finding.
	tries := [][]string{nil}
	if off := offlineGoEnv(goTool); off != nil {
		tries = [][]string{off, nil}
	}
	var env, msgs []string
	found := false
	for _, try := range tries {
		out, err := goCommand(goTool, try, "run", actionlint, "-version").CombinedOutput()
		if err == nil {
			env, found = try, true
			break
		}
		msgs = append(msgs, err.Error()+"\n"+string(out))
	}
	if !found {
		msg := "go run " + actionlint + ": " + strings.Join(msgs, "\n")
		if testutil.Required() {
			t.Fatalf("actionlint is required (PROVPACK_REQUIRE_TOOLS=1): %s", msg)
		}
		t.Skip(msg)
	}
	cmd := goCommand(goTool, env, "run", actionlint, "-no-color", ciExamples[0])
	cmd.Dir = testutil.Root()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("actionlint %s: %v\n%s", ciExamples[0], err, out)
	}
}

// offlineGoEnv returns the environment that makes the go command fetch
// modules from the module cache only, or nil when it cannot tell where
// the cache is.
func offlineGoEnv(goTool string) []string {
	out, err := exec.Command(goTool, "env", "GOMODCACHE").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		return nil
	}
	return []string{"GOPROXY=file://" + filepath.ToSlash(filepath.Join(dir, "cache", "download")), "GOSUMDB=off"}
}

func goCommand(goTool string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(goTool, args...)
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

func TestCIExampleStructure(t *testing.T) {
	// GitHub: jobs with steps; actionlint checks the rest.
	var gh struct {
		On   map[string]any `yaml:"on"`
		Jobs map[string]struct {
			Steps []map[string]any `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(readCIExample(t, ciExamples[0]), &gh); err != nil {
		t.Fatalf("%s: %v", ciExamples[0], err)
	}
	if len(gh.On) == 0 || len(gh.Jobs) == 0 {
		t.Errorf("%s: no triggers or no jobs", ciExamples[0])
	}
	for name, j := range gh.Jobs {
		if len(j.Steps) == 0 {
			t.Errorf("%s: job %s has no steps", ciExamples[0], name)
		}
	}

	// GitLab: every top-level key that is not a global keyword is a job,
	// with a script and a stage from stages; needs name jobs of earlier or
	// the same stages.
	var gl map[string]any
	if err := yaml.Unmarshal(readCIExample(t, ciExamples[1]), &gl); err != nil {
		t.Fatalf("%s: %v", ciExamples[1], err)
	}
	global := []string{"default", "include", "stages", "variables", "workflow", "image", "services", "cache", "before_script", "after_script"}
	var stages []string
	for _, s := range asList(gl["stages"]) {
		stages = append(stages, s.(string))
	}
	jobs := map[string]map[string]any{}
	for k, v := range gl {
		if slices.Contains(global, k) || strings.HasPrefix(k, ".") {
			continue
		}
		job, ok := v.(map[string]any)
		if !ok {
			t.Errorf("%s: %s is not a job mapping", ciExamples[1], k)
			continue
		}
		jobs[k] = job
	}
	for _, want := range []string{"build", "verify", "diff", "sign"} {
		if jobs[want] == nil {
			t.Errorf("%s: no job %s", ciExamples[1], want)
		}
	}
	for name, job := range jobs {
		stage, _ := job["stage"].(string)
		si := slices.Index(stages, stage)
		if si < 0 {
			t.Errorf("%s: job %s: stage %q is not in stages %v", ciExamples[1], name, stage, stages)
		}
		if len(asList(job["script"])) == 0 {
			t.Errorf("%s: job %s has no script", ciExamples[1], name)
		}
		for _, n := range asList(job["needs"]) {
			dep, _ := n.(string)
			if jobs[dep] == nil {
				t.Errorf("%s: job %s needs %q, which is no job", ciExamples[1], name, dep)
			} else if slices.Index(stages, jobs[dep]["stage"].(string)) > si {
				t.Errorf("%s: job %s needs %s of a later stage", ciExamples[1], name, dep)
			}
		}
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// ciCommand is one provpack command line of a CI example.
type ciCommand struct {
	line     string
	args     []string // from "provpack" on
	stdoutTo string   // the file after ">", if any
}

// ciCommands returns the provpack command lines of a CI example, in order.
func ciCommands(t *testing.T, name string) []ciCommand {
	var cmds []ciCommand
	for _, line := range strings.Split(string(readCIExample(t, name)), "\n") {
		words := strings.Fields(line)
		i := slices.Index(words, "provpack")
		if i < 0 || i+1 >= len(words) || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		c := ciCommand{line: strings.TrimSpace(line)}
		for j := i; j < len(words); j++ {
			w := words[j]
			if w == ">" && j+1 < len(words) {
				c.stdoutTo = words[j+1]
				break
			}
			if w == "|" || w == "&&" || w == ";" {
				break
			}
			c.args = append(c.args, w)
		}
		cmds = append(cmds, c)
	}
	if len(cmds) < 4 {
		t.Fatalf("%s: found only %d provpack command lines", name, len(cmds))
	}
	return cmds
}

// Every provpack command line in the examples names a command provpack has
// and only flags that command takes, as its --help lists them.
func TestCIExampleFlags(t *testing.T) {
	for _, name := range ciExamples {
		for _, c := range ciCommands(t, name) {
			cmd := c.args[1]
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), []string{"provpack", cmd, "--help"}, nil, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "provpack "+cmd+" - ") {
				t.Errorf("%s: %q: provpack has no command %q (exit %d)\n%s", name, c.line, cmd, code, stderr.String())
				continue
			}
			for _, w := range c.args[2:] {
				if !strings.HasPrefix(w, "-") {
					continue
				}
				flag, _, _ := strings.Cut(w, "=")
				if !strings.Contains(stdout.String(), flag+" ") && !strings.Contains(stdout.String(), flag+",") {
					t.Errorf("%s: %q: provpack %s has no flag %s", name, c.line, cmd, flag)
				}
			}
		}
	}
}

// The examples' provpack commands, run in order on the demo image after a
// release and a change to it, as a pull request would, all succeed, and
// the diff names the change.
func TestCIExampleRuns(t *testing.T) {
	for _, name := range ciExamples {
		t.Run(filepath.Base(name), func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(filepath.Join(testutil.Root(), "fixtures", "demo"))); err != nil {
				t.Fatal(err)
			}
			t.Chdir(dir)
			provpack := func(stdoutTo string, args ...string) {
				t.Helper()
				var stdout, stderr bytes.Buffer
				if code := run(context.Background(), args, nil, &stdout, &stderr); code != 0 {
					t.Fatalf("%s: exit %d\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
				}
				if stdoutTo != "" {
					if err := os.WriteFile(stdoutTo, stdout.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			// The last release, then a pull request that changes a setting,
			// raising the package version and the release.
			provpack("", "provpack", "build", "-o", "released", "--release")
			m, err := os.ReadFile("provpack.yaml")
			if err != nil {
				t.Fatal(err)
			}
			edited := strings.NewReplacer(
				"release: 2.1.0", "release: 2.2.0",
				"version: 1.4.0", "version: 1.4.1",
				`{name: Beep, value: "1"`, `{name: Beep, value: "0"`,
			).Replace(string(m))
			if err := os.WriteFile("provpack.yaml", []byte(edited), 0o644); err != nil {
				t.Fatal(err)
			}

			ran := map[string]bool{}
			for _, c := range ciCommands(t, name) {
				provpack(c.stdoutTo, c.args...)
				ran[c.args[1]] = true
			}
			for _, want := range []string{"plan", "build", "verify", "diff"} {
				if !ran[want] {
					t.Errorf("the example never runs provpack %s", want)
				}
			}
			diff, err := os.ReadFile("diff.md")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(diff), "Beep") || !strings.Contains(string(diff), "2.1.0 → 2.2.0") {
				t.Errorf("diff.md does not show the change:\n%s", diff)
			}
		})
	}
}

// The GitLab example's job scripts pass shellcheck (actionlint does the
// same for GitHub's run steps when shellcheck is installed).
func TestCIExampleGitLabShell(t *testing.T) {
	shellcheck := testutil.Tool(t, "shellcheck", "shellcheck")
	var gl map[string]any
	if err := yaml.Unmarshal(readCIExample(t, ciExamples[1]), &gl); err != nil {
		t.Fatal(err)
	}
	for name, v := range gl {
		job, ok := v.(map[string]any)
		if !ok {
			continue
		}
		var lines []string
		for _, key := range []string{"before_script", "script"} {
			for _, l := range asList(job[key]) {
				lines = append(lines, l.(string))
			}
		}
		if len(lines) == 0 {
			continue
		}
		cmd := exec.Command(shellcheck, "--shell=sh", "-")
		cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: job %s: shellcheck: %v\n%s", ciExamples[1], name, err, out)
		}
	}
}
