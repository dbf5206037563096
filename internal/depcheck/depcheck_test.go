package depcheck

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/provpack/provpack/"

// allowed lists, for each package, the project packages it may import
// (directly or not). Packages not listed may import nothing of ours except
// internal/testutil in tests, which go list -deps does not follow.
var allowed = map[string][]string{
	"provxml":      {},
	"manifest":     {},
	"pkgbuild/cab": {},
	"pkgbuild":     {"provxml", "manifest", "pkgbuild/cab"},
	"cmd/provpack": {"provxml", "manifest", "pkgbuild", "pkgbuild/cab"},
}

func TestImportDirection(t *testing.T) {
	for pkg, ok := range allowed {
		out, err := exec.Command("go", "list", "-deps", "./../../"+pkg).CombinedOutput()
		if err != nil {
			if strings.Contains(string(out), "no Go files") || strings.Contains(string(out), "cannot find") || strings.Contains(string(out), "matched no packages") {
				continue // the package does not exist yet
			}
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if !strings.HasPrefix(dep, mod) || dep == mod+pkg {
				continue
			}
			rel := strings.TrimPrefix(dep, mod)
			if !contains(ok, rel) {
				t.Errorf("%s imports %s; imports must point cmd/provpack → pkgbuild → {manifest, provxml}", pkg, rel)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
