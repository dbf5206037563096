package pkgbuild

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/provpack/provpack/internal/testutil"
	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/archive"
)

// TestImportRoundTrip builds the demo image, imports its output, and
// builds the imported manifest: the same provisioning files byte for
// byte (indeed the same archives), and a plan with nothing to do.
func TestImportRoundTrip(t *testing.T) {
	for _, format := range []string{"cab", "tar.zst"} {
		t.Run(format, func(t *testing.T) {
			m := copyDemo(t)
			data, err := os.ReadFile(m)
			if err != nil {
				t.Fatal(err)
			}
			data = bytes.Replace(data, []byte("format: cab"), []byte("format: "+format), 1)
			if err := os.WriteFile(m, data, 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "out")
			if _, _, err := BuildManifest(context.Background(), m, Options{}, BuildOptions{OutDir: out}); err != nil {
				t.Fatal(err)
			}
			// An archive an earlier build left beside the release's is
			// not part of it: report.json says which are.
			writeForeign(t, out, "Foreign-1.0.0.cab")
			imp := filepath.Join(t.TempDir(), "imported")
			res, err := Import(context.Background(), []string{out}, ImportOptions{Dir: imp})
			if err != nil {
				t.Fatal(err)
			}
			// One note: the release is report.json's, which no archive
			// can confirm.
			if res.Image != "contoso-mc55" || res.Release != "2.1.0" || len(res.Packages) != 3 || len(res.Skipped) != 0 || len(res.Notes) != 1 ||
				!strings.HasPrefix(res.Notes[0], "release 2.1.0 is the one "+filepath.Join(out, "report.json")+" names") {
				t.Fatalf("import result: %+v", res)
			}

			pl, err := Load(context.Background(), res.Manifest, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(pl.Findings) != 0 {
				t.Errorf("plan of the imported manifest has findings: %v", pl.Findings)
			}
			if pl.changed() {
				t.Error("plan of the imported manifest reports changes")
			}
			for _, p := range pl.Packages {
				if p.Status != StatusUnchanged || p.Bump != nil {
					t.Errorf("package %s: %s, bump %v; want unchanged", p.Name, p.Status, p.Bump)
				}
			}

			out2 := filepath.Join(t.TempDir(), "out2")
			if _, _, err := BuildManifest(context.Background(), res.Manifest, Options{}, BuildOptions{OutDir: out2}); err != nil {
				t.Fatal(err)
			}
			var names []string
			for name := range archivesOf(t, out) {
				if name == "Foreign-1.0.0.cab" {
					continue
				}
				names = append(names, filepath.Join(out, name))
			}
			if len(names) != 3 {
				t.Fatalf("archives of the demo: %v", names)
			}
			for _, a := range names {
				_, want, err := archive.Read(a)
				if err != nil {
					t.Fatal(err)
				}
				_, got, err := archive.Read(filepath.Join(out2, filepath.Base(a)))
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Fatalf("%s: %d members built from the import, %d before", filepath.Base(a), len(got), len(want))
				}
				for i := range want {
					if got[i].Name != want[i].Name || !bytes.Equal(got[i].Data, want[i].Data) {
						t.Errorf("%s: member %d: %s (%d bytes) built from the import, %s (%d bytes) before", filepath.Base(a), i, got[i].Name, len(got[i].Data), want[i].Name, len(want[i].Data))
					}
				}
			}
			os.Remove(filepath.Join(out, "Foreign-1.0.0.cab"))
			testutil.SameTree(t, "archives built from the import", archivesOf(t, out), archivesOf(t, out2))
		})
	}
}

// archivesOf is the tree of dir without its reports, which name the
// manifest they were built from.
func archivesOf(t *testing.T, dir string) map[string]string {
	tree := testutil.Tree(t, dir)
	for name := range tree {
		if !archive.IsArchiveName(name) {
			delete(tree, name)
		}
	}
	return tree
}

const foreignDoc = `<wap-provisioningdoc>
  <characteristic type="Registry">
    <characteristic type="HKLM\Software\Foreign">
      <parm name="N" value="%s" datatype="integer"/>
    </characteristic>
  </characteristic>
</wap-provisioningdoc>
`

// writeForeign writes a Windows Mobile package cabinet as the platform's
// tools make it: provisioning files, no provpack package manifest, and a
// member that is not a provisioning file.
func writeForeign(t *testing.T, dir, name string) string {
	t.Helper()
	doc := func(v string) []byte { return []byte(strings.Replace(foreignDoc, "%s", v, 1)) }
	members := []archive.Member{
		{Name: "mxip_Foreign_100.provxml", Data: doc("1")},
		{Name: "mxipupdate_Foreign_200.provxml", Data: doc("2")},
		{Name: "mxipupdate_Foreign_300.provxml", Data: doc("3")},
		{Name: "setup.dll", Data: []byte("MZ not a provisioning file")},
	}
	var b bytes.Buffer
	if err := archive.Write(&b, manifest.FormatCab, members, time.Date(2009, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestImportWM6Cabinet(t *testing.T) {
	in := t.TempDir()
	cabPath := writeForeign(t, in, "Foreign-2.0.0.cab")
	imp := filepath.Join(t.TempDir(), "imported")
	res, err := Import(context.Background(), []string{cabPath}, ImportOptions{Dir: imp, Image: "contoso", Release: "5.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != 1 || res.Skipped[0].Member != "setup.dll" || !strings.Contains(res.Skipped[0].Why, "not a provisioning file") {
		t.Errorf("skipped: %+v", res.Skipped)
	}
	notes := strings.Join(res.Notes, "\n")
	for _, want := range []string{"version 2.0.0 taken from its name, owner oem assumed", "has 2 update files", "mxip_Foreign_100.provxml is built as mxipcold_Foreign_100.provxml"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	if _, err := os.Stat(filepath.Join(imp, "setup.dll")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a member that is not a provisioning file was written")
	}
	lock, err := manifest.LoadLock(context.Background(), res.Lock)
	if err != nil {
		t.Fatal(err)
	}
	lp := lock.Package("Foreign")
	if lp == nil || lp.Version != "2.0.0" || lp.MaxOrdinal.Cold != 100 || lp.MaxOrdinal.Update != 300 || len(lp.Files) != 3 || lp.GUID != manifest.DeriveGUID("contoso", "Foreign").String() {
		t.Fatalf("lock package: %+v", lp)
	}
	if lock.Release != "5.0.0" || len(lock.Releases) != 1 || lock.Releases[0].Packages[0].Archive != "Foreign-2.0.0.cab" || lock.Base != nil {
		t.Errorf("lock release record: %+v, base %v", lock.Releases, lock.Base)
	}

	// The next plan keeps the cold file, and merges the two update files
	// into one after the last shipped ordinal, which needs a version raise.
	pl, err := Load(context.Background(), res.Manifest, Options{})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*FilePlan{}
	for _, f := range pl.Packages[0].Files {
		files[string(f.Class)] = f
	}
	if f := files["cold"]; f == nil || f.Name != "mxipcold_Foreign_100.provxml" || f.Status != StatusUnchanged {
		t.Errorf("cold file: %+v", f)
	}
	if f := files["update"]; f == nil || f.Ordinal != 400 || f.Status != StatusChanged {
		t.Errorf("update file: %+v", f)
	}
	if !hasFinding(pl.Findings, RuleUnbumped.ID) {
		t.Errorf("findings: %v; want %s", pl.Findings, RuleUnbumped.ID)
	}

	// The sources are the members as cabextract reads them.
	t.Run("cabextract", func(t *testing.T) {
		tool := testutil.Tool(t, "cabextract", "cabextract")
		dir := t.TempDir()
		if out, err := exec.Command(tool, "-q", "-d", dir, cabPath).CombinedOutput(); err != nil {
			t.Fatalf("cabextract: %v\n%s", err, out)
		}
		for _, name := range []string{"mxip_Foreign_100.provxml", "mxipupdate_Foreign_200.provxml", "mxipupdate_Foreign_300.provxml"} {
			want, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(imp, "Foreign", name))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s: the source differs from what cabextract extracts (%v)", name, err)
			}
		}
	})
}

func hasFinding(fs []Finding, id string) bool {
	for _, f := range fs {
		if f.ID == id {
			return true
		}
	}
	return false
}

func TestImportRefuses(t *testing.T) {
	in := t.TempDir()
	dir := filepath.Join(t.TempDir(), "imported")
	ctx := context.Background()
	check := func(t *testing.T, paths []string, opt ImportOptions, want string) {
		t.Helper()
		if opt.Dir == "" {
			opt.Dir = dir
		}
		_, err := Import(ctx, paths, opt)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v; want %q", err, want)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s was created by a refused import", dir)
		}
	}
	t.Run("no version", func(t *testing.T) {
		p := writeForeign(t, in, "foreign.cab")
		check(t, []string{p}, ImportOptions{Image: "x"}, "the archive name does not (Foreign-<version>.cab): rename the archive")
	})
	t.Run("no image", func(t *testing.T) {
		p := writeForeign(t, in, "Foreign-1.0.0.cab")
		check(t, []string{p}, ImportOptions{}, "no package records the image it belongs to: name it with --image")
	})
	t.Run("twice", func(t *testing.T) {
		a := writeForeign(t, in, "Foreign-1.0.0.cab")
		b := writeForeign(t, t.TempDir(), "Foreign-1.1.0.cab")
		check(t, []string{a, b}, ImportOptions{Image: "x"}, "package Foreign is in both")
	})
	t.Run("corrupt", func(t *testing.T) {
		m := copyDemo(t)
		out := filepath.Join(t.TempDir(), "out")
		if _, _, err := BuildManifest(ctx, m, Options{}, BuildOptions{OutDir: out}); err != nil {
			t.Fatal(err)
		}
		a := filepath.Join(out, "OEM_Certs-1.0.0.cab")
		data, _ := os.ReadFile(a)
		data[len(data)-10] ^= 0xFF
		if err := os.WriteFile(a, data, 0o644); err != nil {
			t.Fatal(err)
		}
		check(t, []string{out}, ImportOptions{}, "OEM_Certs-1.0.0.cab")
	})
	t.Run("report lists a missing archive", func(t *testing.T) {
		m := copyDemo(t)
		out := filepath.Join(t.TempDir(), "out")
		if _, _, err := BuildManifest(ctx, m, Options{}, BuildOptions{OutDir: out}); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(out, "OEM_Certs-1.0.0.cab")); err != nil {
			t.Fatal(err)
		}
		check(t, []string{out}, ImportOptions{}, "lists OEM_Certs-1.0.0.cab, which is not in")
	})
	t.Run("not there", func(t *testing.T) {
		check(t, []string{filepath.Join(in, "nowhere.cab")}, ImportOptions{}, "nowhere.cab: no such file or directory")
	})
}
