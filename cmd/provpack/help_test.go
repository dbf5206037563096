package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestHelpWraps: the description in every command's help fits an
// 80-column terminal.
func TestHelpWraps(t *testing.T) {
	help := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), append([]string{"provpack"}, args...), strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Fatalf("provpack %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
		}
		return stdout.String()
	}
	_, list, _ := strings.Cut(help("help"), "COMMANDS:\n")
	list, _, _ = strings.Cut(list, "\n\n")
	names := regexp.MustCompile(`(?m)^   ([a-z]+)\b`).FindAllStringSubmatch(list, -1)
	if len(names) < 10 {
		t.Fatalf("found %d commands in the help:\n%s", len(names), list)
	}
	for _, m := range names {
		if m[1] == "help" {
			continue
		}
		_, desc, ok := strings.Cut(help(m[1], "--help"), "DESCRIPTION:\n")
		if !ok {
			continue
		}
		desc, _, _ = strings.Cut(desc, "\nOPTIONS:")
		for _, line := range strings.Split(desc, "\n") {
			if n := utf8.RuneCountInString(line); n > 80 {
				t.Errorf("%s --help: a description line of %d columns: %s", m[1], n, line)
			}
		}
	}
}
