package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/provpack/provpack/internal/testutil"
)

// TestReadmeWalkthrough keeps README.md's "A release, step by step" and
// testdata/script/walkthrough.txtar, which runs it, the same: every
// command of the README's sh blocks runs in the script, in order, and the
// output the README shows is what the script compares with.
func TestReadmeWalkthrough(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(testutil.Root(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## A release, step by step\n")
	if !ok {
		t.Fatal(`README.md has no "## A release, step by step"`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var commands [][]string
	var outputs []string
	for i, block := range strings.Split(section, "```")[1:] {
		if i%2 == 1 {
			continue // text between blocks
		}
		lang, body, _ := strings.Cut(block, "\n")
		if lang == "sh" {
			for _, line := range strings.Split(body, "\n") {
				if words := shellWords(line, true); len(words) > 0 {
					commands = append(commands, words)
				}
			}
		} else {
			outputs = append(outputs, body)
		}
	}

	ar, err := txtar.ParseFile("testdata/script/walkthrough.txtar")
	if err != nil {
		t.Fatal(err)
	}
	var script [][]string
	for _, line := range strings.Split(string(ar.Comment), "\n") {
		line = strings.TrimPrefix(line, "! ")
		if rest, ok := strings.CutPrefix(line, "exec "); ok {
			script = append(script, shellWords(rest, false))
		}
	}
	at := 0
	for _, c := range commands {
		for at < len(script) && !slices.Equal(script[at], c) {
			at++
		}
		if at == len(script) {
			t.Fatalf("README command %q is not run by walkthrough.txtar (in this order)", c)
		}
		at++
	}
	if len(commands) < 8 {
		t.Errorf("found %d commands in the README's walk-through, want at least 8", len(commands))
	}

	files := map[string]string{}
	for _, f := range ar.Files {
		files[f.Name] = string(f.Data)
	}
	want := []string{files["plan-findings.txt"], files["diff.txt"]}
	if !slices.Equal(outputs, want) {
		t.Errorf("the README's output blocks\n%q\ndiffer from walkthrough.txtar's plan-findings.txt and diff.txt\n%q", outputs, want)
	}
}

// shellWords splits a command line into words: single quotes, and with
// sh also double quotes and a # comment, as the README's shell reads
// them (testscript knows only single quotes).
func shellWords(line string, sh bool) []string {
	var words []string
	var w strings.Builder
	in, quote := false, rune(0)
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(r)
		case r == '\'' || (sh && r == '"'):
			quote, in = r, true
		case sh && r == '#' && !in:
			return words
		case r == ' ' || r == '\t':
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		default:
			w.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, w.String())
	}
	return words
}

// TestReadmeOutputJSON: the README's list of commands with --output json
// names every command that has it.
func TestReadmeOutputJSON(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(testutil.Root(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, list, ok := strings.Cut(strings.Join(strings.Fields(string(readme)), " "), "`--output json` works on ")
	if !ok {
		t.Fatal("README.md has no \"`--output json` works on\"")
	}
	list, _, _ = strings.Cut(list, "(")
	for name, formats := range outputFormats {
		if slices.Contains(formats, "json") && !strings.Contains(list, "`"+name+"`") {
			t.Errorf("README.md's list of commands with --output json leaves out %s: %s", name, list)
		}
	}
}
