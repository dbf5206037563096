package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/provpack/provpack/internal/testutil"
)

// TestInspectMicrosoftPackage: a package Microsoft built records no GUID
// and no image; inspect leaves those lines out rather than print blank
// values, and aligns every label to the longest (subcomponent).
func TestInspectMicrosoftPackage(t *testing.T) {
	path := filepath.Join(testutil.Root(), "..", "shared", "realworld", "cab", "ms_navigationbar_en-us.spkr.cab")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%v; the real packages sit beside the project in ../shared", err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"provpack", "inspect", path}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	head, _, _ := strings.Cut(stdout.String(), "\n\n")
	for _, label := range []string{"guid", "image"} {
		if regexp.MustCompile(`(?m)^` + label + `\b`).MatchString(head) {
			t.Errorf("a %s line for a package without one:\n%s", label, head)
		}
	}
	line := regexp.MustCompile(`^([a-z0-9 ]+?) +(\S.*)$`)
	for _, l := range strings.Split(head, "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil || len(l)-len(m[2]) != len("subcomponent ") {
			t.Errorf("%q: the value does not start in the column after subcomponent", l)
		}
	}
	for _, want := range []string{"owner        microsoft", "subcomponent MainOS", "culture      en-us"} {
		if !strings.Contains(head, "\n"+want+"\n") {
			t.Errorf("no line %q in\n%s", want, head)
		}
	}
}
