package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/provpack/provpack/internal/testutil"
)

func TestVersionOf(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.25.0", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-12-05T14:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	v := versionOf(bi)
	if got, want := v.String(), "(devel) 0123456789ab 2026-12-05T14:00:00Z modified"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if v.Revision != "0123456789abcdef0123456789abcdef01234567" || v.Go != "go1.25.0" {
		t.Errorf("versionOf = %+v", v)
	}
	bi.Main.Version = "v0.0.0-20261205140000-0123456789ab+dirty"
	if got, want := versionOf(bi).String(), "v0.0.0-20261205140000-0123456789ab+dirty 2026-12-05T14:00:00Z modified"; got != want {
		t.Errorf("with a pseudo-version: %q, want %q", got, want)
	}
	if got := versionOf(&debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}}).String(); got != "v1.2.0" {
		t.Errorf("a release build: %q, want v1.2.0", got)
	}
}

// TestVersionNamesCommit builds provpack with go build in a git checkout,
// as a user does (-buildvcs is on by default there), and checks that
// version names the commit. The checkout is a new repository holding this
// tree, committed: the Go toolchain does not see a git worktree's ".git"
// file, and so that what is tested is the code as it stands.
func TestVersionNamesCommit(t *testing.T) {
	testutil.Slow(t, "builds provpack")
	git := testutil.Tool(t, "git", "git")
	gitIn := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command(git, args...)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git %q: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	root := testutil.Root()
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatal(err)
	}
	repo := t.TempDir()
	files := strings.Split(gitIn(root, "ls-files", "-co", "--exclude-standard", "-z"), "\x00")
	for _, f := range files {
		if f == "" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(repo, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitIn(repo, "init", "-q")
	gitIn(repo, "add", "-A")
	gitIn(repo, "-c", "user.name=provpack", "-c", "user.email=provpack@example.com", "commit", "-q", "-m", "test")
	rev := gitIn(repo, "rev-parse", "HEAD")

	bin := filepath.Join(t.TempDir(), "provpack")
	// -buildvcs=true: the default, stated in case GOFLAGS turns it off.
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, "./cmd/provpack")
	build.Dir = repo
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "provpack ") || !strings.Contains(string(out), rev[:12]) {
		t.Errorf("version = %q, want the revision %s", out, rev[:12])
	}
	out, err = exec.Command(bin, "version", "--output", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		SchemaVersion int
		buildVersion
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("version --output json: %v\n%s", err, out)
	}
	if v.Revision != rev || v.Time == "" || v.Modified || v.SchemaVersion != 1 {
		t.Errorf("version --output json = %+v, want revision %s, a time, not modified", v, rev)
	}
}
