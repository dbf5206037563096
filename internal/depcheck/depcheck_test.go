package depcheck

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const mod = "github.com/provpack/provpack/"

// allowed lists, for each package, the project packages it may import
// (directly or not). A package of the module that is not listed fails
// the test: a new package states its place here. internal/testutil is
// imported by tests only, which go list -deps does not follow.
var allowed = map[string][]string{
	// internal/parallel is a leaf with no domain knowledge: the one
	// parallel-for, shared by provxml's lint and pkgbuild's pipeline.
	"internal/parallel":    {},
	"internal/boundedread": {},
	// internal/quote shows untrusted names safely (archive members,
	// reports): a leaf, like the two above.
	"internal/quote":           {},
	"provxml":                  {"internal/parallel", "internal/boundedread"},
	"manifest":                 {"internal/boundedread"},
	"pkgbuild/cab":             {},
	"pkgbuild/sign":            {"internal/boundedread"},
	"pkgbuild/internal/outdir": {},
	// pkgbuild/catalog: the w10m content catalog (a CTL in a PKCS#7
	// SignedData); its SignedData is written by pkgbuild/sign.
	"pkgbuild/catalog":             {"pkgbuild/sign", "internal/boundedread"},
	"pkgbuild/archive":             {"provxml", "internal/parallel", "internal/boundedread", "manifest", "pkgbuild/cab", "pkgbuild/sign", "pkgbuild/internal/outdir", "internal/quote", "pkgbuild/catalog"},
	"pkgbuild/report":              {"provxml", "internal/parallel", "internal/boundedread", "manifest", "internal/quote"},
	"pkgbuild/internal/buildcache": {"provxml", "internal/parallel", "internal/boundedread", "manifest", "pkgbuild/report", "pkgbuild/internal/outdir", "internal/quote", "pkgbuild/catalog"},
	"pkgbuild/verify":              {"provxml", "internal/parallel", "internal/boundedread", "manifest", "pkgbuild/cab", "pkgbuild/sign", "pkgbuild/internal/outdir", "pkgbuild/report", "pkgbuild/archive", "internal/quote", "pkgbuild/catalog"},
	"pkgbuild/diff":                {"provxml", "internal/parallel", "internal/boundedread", "manifest", "pkgbuild/report", "internal/quote"},
	"pkgbuild":                     {"provxml", "internal/parallel", "internal/boundedread", "manifest", "pkgbuild/cab", "pkgbuild/sign", "pkgbuild/internal/outdir", "pkgbuild/internal/buildcache", "pkgbuild/report", "pkgbuild/diff", "pkgbuild/archive", "pkgbuild/verify", "internal/quote", "pkgbuild/catalog"},
	"cmd/provpack":                 {"provxml", "internal/parallel", "internal/boundedread", "manifest", "pkgbuild", "pkgbuild/cab", "pkgbuild/sign", "pkgbuild/internal/outdir", "pkgbuild/internal/buildcache", "pkgbuild/report", "pkgbuild/diff", "pkgbuild/archive", "pkgbuild/verify", "internal/quote", "pkgbuild/catalog"},
	// Tools and test helpers.
	"internal/benchgen":       {"internal/imagegen"},
	"provxml/internal/cspgen": {}, // go generate: DDF files → provxml/csp_table.txt
	"internal/imagegen":       {},
	"internal/testutil":       {},
	"internal/depcheck":       {},
}

func TestImportDirection(t *testing.T) {
	// One go list for every package with its dependencies, direct or not.
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, "../../...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		rel := strings.TrimPrefix(fields[0], mod)
		ok, known := allowed[rel]
		if !known {
			t.Errorf("package %s is not in depcheck's list: add it to allowed with the packages it may import", rel)
			continue
		}
		for _, dep := range fields[1:] {
			if !strings.HasPrefix(dep, mod) {
				continue
			}
			if d := strings.TrimPrefix(dep, mod); !slices.Contains(ok, d) {
				t.Errorf("%s imports %s; imports must point cmd/provpack → pkgbuild → {manifest, provxml}, and no subpackage of pkgbuild imports its root", rel, d)
			}
		}
	}
}
