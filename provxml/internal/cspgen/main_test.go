package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/provpack/provpack/internal/testutil"
)

// TestTableUpToDate regenerates the CSP table from the shared DDF files
// and fails when the checked-in provxml/csp_table.txt differs: run
// go generate ./provxml after the descriptions change.
func TestTableUpToDate(t *testing.T) {
	ddf := filepath.Join(testutil.Root(), "..", "shared", "ddf")
	if _, err := os.Stat(filepath.Join(ddf, "SUPPORT.md")); err != nil {
		if testutil.Required() {
			t.Fatalf("shared DDF files %s are required (PROVPACK_REQUIRE_TOOLS=1) but missing", ddf)
		}
		t.Skipf("shared DDF files not found at %s; they sit beside the project in ../shared", ddf)
	}
	want, err := Generate(ddf)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(testutil.Root(), "provxml", "csp_table.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("provxml/csp_table.txt is stale: run go generate ./provxml (it is %d bytes, the DDF files give %d)", len(got), len(want))
	}
}

// TestGenerateDeterministic: two runs give the same bytes, so the
// staleness check cannot flap on map order.
func TestGenerateDeterministic(t *testing.T) {
	ddf := filepath.Join(testutil.Root(), "..", "shared", "ddf")
	if _, err := os.Stat(ddf); err != nil {
		t.Skip("shared DDF files not found")
	}
	a, err := Generate(ddf)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Generate(ddf)
	if !bytes.Equal(a, b) {
		t.Fatal("two runs of Generate differ")
	}
}
