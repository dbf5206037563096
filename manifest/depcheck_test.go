package manifest

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// manifest imports nothing else from provpack but the domain-free leaf
// helpers under internal/ (docs/style.md: manifest and provxml never
// import each other; internal/depcheck holds the whole map).
func TestImportsNothingOfOurs(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "github.com/provpack/provpack") && path != "github.com/provpack/provpack/internal/boundedread" {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}
