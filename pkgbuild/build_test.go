package pkgbuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/provpack/provpack/pkgbuild/verify"

	"github.com/provpack/provpack/internal/testutil"
	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/internal/outdir"
	"github.com/provpack/provpack/pkgbuild/report"
)

// copyDemo copies fixtures/demo into a temporary directory (the build may
// write a lock next to the manifest) and returns the manifest's path.
func copyDemo(t testing.TB) string {
	t.Helper()
	return copyFixture(t, "demo")
}

// copyFixture copies fixtures/name into a temporary directory and returns
// the manifest's path.
func copyFixture(t testing.TB, name string) string {
	t.Helper()
	src := filepath.Join(testutil.Root(), "fixtures", name)
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dst, "provpack.yaml")
}

func buildInto(t testing.TB, manifestPath, out string, bo BuildOptions, opt Options) *report.Report {
	t.Helper()
	pl, err := Load(context.Background(), manifestPath, opt)
	if err != nil {
		t.Fatal(err)
	}
	bo.OutDir = out
	rep, err := Build(context.Background(), pl, bo)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestArchivesPassIndependentReaders: cabextract, 7-Zip, libarchive and
// gcab all accept every archive, and the bytes each extracts equal what
// the package manifest and report say.
func TestArchivesPassIndependentReaders(t *testing.T) {
	tools := map[string]string{}
	for cmd, pkg := range map[string]string{"cabextract": "cabextract", "7zz": "7zip", "bsdtar": "libarchive-tools", "gcab": "gcab"} {
		tools[cmd] = testutil.Tool(t, cmd, pkg)
	}
	out := t.TempDir()
	rep := buildInto(t, copyDemo(t), out, BuildOptions{}, Options{})
	for _, p := range rep.Packages {
		archive := filepath.Join(out, p.Archive)
		for _, args := range [][]string{
			{tools["cabextract"], "-t", archive},
			{tools["7zz"], "t", archive},
			{tools["bsdtar"], "-tf", archive},
			{tools["gcab"], "-l", archive},
		} {
			if b, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
				t.Fatalf("%v: %v\n%s", args, err, b)
			}
		}
		want := map[string]string{} // member -> sha256, from the report
		for _, f := range p.Files {
			want[f.Name] = f.SHA256
		}
		for tool, args := range map[string]func(dir string) []string{
			"cabextract": func(d string) []string { return []string{tools["cabextract"], "-q", "-d", d, archive} },
			"7zz":        func(d string) []string { return []string{tools["7zz"], "x", "-y", "-o" + d, archive} },
			"bsdtar":     func(d string) []string { return []string{tools["bsdtar"], "-xf", archive, "-C", d} },
			"gcab":       func(d string) []string { return []string{tools["gcab"], "-x", "-C", d, archive} },
		} {
			d := t.TempDir()
			a := args(d)
			if b, err := exec.Command(a[0], a[1:]...).CombinedOutput(); err != nil {
				t.Fatalf("%s extract: %v\n%s", tool, err, b)
			}
			got := testutil.Tree(t, d)
			if len(got) != len(p.Files)+1 {
				t.Errorf("%s extracted %d members of %s, want %d", tool, len(got), p.Archive, len(p.Files)+1)
			}
			for name, sum := range want {
				if fmt.Sprintf("%x", sha256.Sum256([]byte(got[name]))) != sum {
					t.Errorf("%s: %s from %s does not match the reported SHA-256", tool, name, p.Archive)
				}
			}
		}
	}
}

func TestBuildIsReproducible(t *testing.T) {
	m := copyDemo(t)
	a, b := t.TempDir(), t.TempDir()
	buildInto(t, m, a, BuildOptions{Jobs: 1}, Options{})
	buildInto(t, m, b, BuildOptions{Jobs: 4}, Options{})
	testutil.SameTree(t, "two builds", testutil.Tree(t, a), testutil.Tree(t, b))

	// SOURCE_DATE_EPOCH changes the dates, reproducibly.
	epoch, err := ParseSourceDateEpoch("1700000000")
	if err != nil {
		t.Fatal(err)
	}
	c, d := t.TempDir(), t.TempDir()
	buildInto(t, m, c, BuildOptions{Epoch: epoch}, Options{})
	buildInto(t, m, d, BuildOptions{Epoch: epoch}, Options{})
	testutil.SameTree(t, "two builds with SOURCE_DATE_EPOCH", testutil.Tree(t, c), testutil.Tree(t, d))
	if testutil.Tree(t, a)["OEM_Base-1.4.0.cab"] == testutil.Tree(t, c)["OEM_Base-1.4.0.cab"] {
		t.Error("SOURCE_DATE_EPOCH did not reach the archive")
	}
}

func TestParseSourceDateEpoch(t *testing.T) {
	if got, err := ParseSourceDateEpoch(""); err != nil || !got.Equal(DefaultEpoch) {
		t.Errorf("unset: %v %v", got, err)
	}
	for _, bad := range []string{"yesterday", "1.5", " 12", "0", "99999999999"} {
		if _, err := ParseSourceDateEpoch(bad); err == nil {
			t.Errorf("SOURCE_DATE_EPOCH=%q accepted", bad)
		}
	}
}

func TestTarZst(t *testing.T) {
	m := copyDemo(t)
	data, _ := os.ReadFile(m)
	os.WriteFile(m, bytes.Replace(data, []byte("format: cab"), []byte("format: tar.zst"), 1), 0o644)
	a, b := t.TempDir(), t.TempDir()
	rep := buildInto(t, m, a, BuildOptions{}, Options{})
	buildInto(t, m, b, BuildOptions{Jobs: 1}, Options{})
	testutil.SameTree(t, "two tar.zst builds", testutil.Tree(t, a), testutil.Tree(t, b))
	bsdtar := testutil.Tool(t, "bsdtar", "libarchive-tools")
	zstdCmd := testutil.Tool(t, "zstd", "zstd")
	for _, p := range rep.Packages {
		archive := filepath.Join(a, p.Archive)
		if !strings.HasSuffix(archive, ".tar.zst") {
			t.Fatalf("archive name %s", archive)
		}
		if b, err := exec.Command(zstdCmd, "-t", "-q", archive).CombinedOutput(); err != nil {
			t.Fatalf("zstd -t: %v\n%s", err, b)
		}
		d := t.TempDir()
		if b, err := exec.Command(bsdtar, "-xf", archive, "-C", d).CombinedOutput(); err != nil {
			t.Fatalf("bsdtar: %v\n%s", err, b)
		}
		got := testutil.Tree(t, d)
		for _, f := range p.Files {
			if fmt.Sprintf("%x", sha256.Sum256([]byte(got[f.Name]))) != f.SHA256 {
				t.Errorf("%s: %s differs from the report", p.Archive, f.Name)
			}
		}
	}
	if ps, err := verify.Verify(context.Background(), a, verify.Options{}); err != nil || len(ps) != 0 {
		t.Errorf("verify tar.zst output: %v %v", ps, err)
	}
}

// TestVerifyCatchesEveryByteFlip: flipping any byte of an archive makes
// verify of the output directory fail and name the archive.
func TestVerifyCatchesEveryByteFlip(t *testing.T) {
	if testing.Short() {
		t.Skip("exhaustive; runs without -short")
	}
	out := t.TempDir()
	rep := buildInto(t, copyDemo(t), out, BuildOptions{}, Options{})
	if ps, err := verify.Verify(context.Background(), out, verify.Options{}); err != nil || len(ps) != 0 {
		t.Fatalf("fresh output does not verify: %v %v", ps, err)
	}
	archive := filepath.Join(out, rep.Packages[0].Archive)
	orig, _ := os.ReadFile(archive)
	archiveOnly := 0
	for i := range orig {
		flipped := bytes.Clone(orig)
		flipped[i] ^= 0x01
		os.WriteFile(archive, flipped, 0o644)
		ps, err := verify.Verify(context.Background(), out, verify.Options{})
		if err != nil {
			t.Fatal(err)
		}
		named := false
		for _, p := range ps {
			named = named || p.File == archive
		}
		if !named {
			t.Fatalf("flipping byte %d: verify did not name %s: %v", i, archive, ps)
		}
		if ps, _ := verify.Verify(context.Background(), archive, verify.Options{}); len(ps) > 0 {
			archiveOnly++
		}
	}
	os.WriteFile(archive, orig, 0o644)
	// On its own (no SHA256SUMS), an archive's checksums and package
	// manifest still catch most flips; the CFFILE dates and attributes are
	// not covered by any checksum of the format.
	if archiveOnly < len(orig)*3/4 {
		t.Errorf("verify of the lone archive caught only %d of %d flips", archiveOnly, len(orig))
	}
}

func noTemps(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), outdir.TempPrefix) {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

// TestFailedBuildChangesNothing: a write failing half-way through the
// second release leaves the output directory, the lock and the manifest
// as the first release left them.
func TestFailedBuildChangesNothing(t *testing.T) {
	m := copyDemo(t)
	out := t.TempDir()
	buildInto(t, m, out, BuildOptions{Release: true}, Options{})
	lock := filepath.Join(filepath.Dir(m), manifest.DefaultLockName)
	before, beforeLock := testutil.Tree(t, out), testutil.Tree(t, filepath.Dir(m))
	if _, ok := beforeLock[manifest.DefaultLockName]; !ok {
		t.Fatal("no lock after the first release")
	}

	// Change an update file; build the second release with --bump and a
	// disk that fills up in the middle of the second archive.
	src := filepath.Join(filepath.Dir(m), "provxml", "operator-apn.provxml")
	data, _ := os.ReadFile(src)
	os.WriteFile(src, bytes.Replace(data, []byte("internet.fabrikam.example"), []byte("web.fabrikam.example"), 1), 0o644)
	// The second release has a number of its own.
	mdata, _ := os.ReadFile(m)
	os.WriteFile(m, bytes.Replace(mdata, []byte("release: 2.1.0"), []byte("release: 2.2.0"), 1), 0o644)
	beforeLock = testutil.Tree(t, filepath.Dir(m))

	// A full disk half-way through an archive, a report, the lock, or the
	// manifest that --bump rewrites: nothing may change.
	// Both ways of building: planning first, and the one pass the
	// command line uses (with and without --release, which sheds).
	for _, failOn := range []string{"OPR_Fabrikam-3.0.3.cab", "report.md", "report.json", manifest.DefaultLockName, filepath.Base(m)} {
		for _, how := range []string{"plan then build", "one pass", "one pass, no release"} {
			if how == "one pass, no release" && (failOn == manifest.DefaultLockName || failOn == filepath.Base(m)) {
				continue // written only by a release
			}
			var err error
			bo := BuildOptions{OutDir: out, Release: how != "one pass, no release", Force: true}
			bo.hooks.wrap = func(name string, w io.Writer) io.Writer {
				if name == failOn {
					return testutil.FailAfter(w, 100)
				}
				return w
			}
			if how == "plan then build" {
				pl, lerr := Load(context.Background(), m, Options{Bump: "patch"})
				if lerr != nil {
					t.Fatal(lerr)
				}
				_, err = Build(context.Background(), pl, bo)
			} else {
				_, _, err = BuildManifest(context.Background(), m, Options{Bump: "patch"}, bo)
			}
			want := failOn
			if err == nil || !strings.Contains(err.Error(), "no space left") || !strings.Contains(err.Error(), want) {
				t.Fatalf("%s, failing on %s: want the write error naming %s, got %v", how, failOn, want, err)
			}
			testutil.SameTree(t, "output after a failed build", before, testutil.Tree(t, out))
			testutil.SameTree(t, "manifest, sources and lock after a failed build", beforeLock, testutil.Tree(t, filepath.Dir(m)))
			noTemps(t, out)
			noTemps(t, filepath.Dir(m))
		}
	}
	if _, err := os.Stat(lock); err != nil {
		t.Fatal(err)
	}
}

func TestCancelledBuildChangesNothing(t *testing.T) {
	m := copyDemo(t)
	out := t.TempDir()
	pl, err := Load(context.Background(), m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Build(ctx, pl, BuildOptions{OutDir: out, Release: true}); !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	if got := testutil.Tree(t, out); len(got) != 0 {
		t.Errorf("cancelled build wrote %v", got)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(m), manifest.DefaultLockName)); err == nil {
		t.Error("cancelled build wrote the lock")
	}
}

func TestExistingDifferentOutputNeedsForce(t *testing.T) {
	m := copyDemo(t)
	out := t.TempDir()
	buildInto(t, m, out, BuildOptions{}, Options{})
	// Same inputs again: identical bytes, nothing to force.
	buildInto(t, m, out, BuildOptions{}, Options{})
	before := testutil.Tree(t, out)
	epoch, _ := ParseSourceDateEpoch("1700000000")
	pl, _ := Load(context.Background(), m, Options{})
	_, err := Build(context.Background(), pl, BuildOptions{OutDir: out, Epoch: epoch})
	var ce *ConflictError
	if !errors.As(err, &ce) || len(ce.Files) == 0 {
		t.Fatalf("want a ConflictError, got %v", err)
	}
	testutil.SameTree(t, "refused build", before, testutil.Tree(t, out))
	noTemps(t, out)
	if _, err := Build(context.Background(), pl, BuildOptions{OutDir: out, Epoch: epoch, Force: true}); err != nil {
		t.Fatal(err)
	}
	if ps, _ := verify.Verify(context.Background(), out, verify.Options{}); len(ps) != 0 {
		t.Errorf("forced build does not verify: %v", ps)
	}
}

// TestArchiveNameTakenDuringBuild: an archive whose name was free when
// the build began, but which someone else created while it ran, is not
// replaced: the build stops with a conflict and leaves the newcomer, and
// nothing of its own, behind.
func TestArchiveNameTakenDuringBuild(t *testing.T) {
	m := copyDemo(t)
	out := t.TempDir()
	var once sync.Once
	var taken string
	bo := BuildOptions{OutDir: out}
	bo.hooks.wrap = func(name string, w io.Writer) io.Writer {
		if strings.HasSuffix(name, ".cab") {
			once.Do(func() {
				taken = name
				os.WriteFile(filepath.Join(out, name), []byte("someone else's"), 0o644)
			})
		}
		return w
	}
	_, _, err := BuildManifest(context.Background(), m, Options{}, bo)
	var ce *ConflictError
	if !errors.As(err, &ce) || len(ce.Files) != 1 || ce.Files[0] != taken {
		t.Fatalf("want a ConflictError naming %s, got %v", taken, err)
	}
	testutil.SameTree(t, "output after the refused build", map[string]string{taken: "someone else's"}, testutil.Tree(t, out))
	noTemps(t, out)
}

func TestOutputPathIsAFile(t *testing.T) {
	m := copyDemo(t)
	f := filepath.Join(t.TempDir(), "out")
	os.WriteFile(f, []byte("keep me"), 0o644)
	pl, _ := Load(context.Background(), m, Options{})
	_, err := Build(context.Background(), pl, BuildOptions{OutDir: f})
	if err == nil || !strings.Contains(err.Error(), "is a file") {
		t.Fatalf("want 'is a file', got %v", err)
	}
	if b, _ := os.ReadFile(f); string(b) != "keep me" {
		t.Error("the file was changed")
	}
}

func TestConcurrentBuildIsRefused(t *testing.T) {
	m := copyDemo(t)
	out := t.TempDir()
	// Another process's lock: a lock of its own on the directory.
	d, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Skip("no flock here:", err)
	}
	pl, _ := Load(context.Background(), m, Options{})
	_, err = Build(context.Background(), pl, BuildOptions{OutDir: out})
	var busy *BusyError
	if !errors.As(err, &busy) || !strings.Contains(err.Error(), "another provpack command is writing to") {
		t.Fatalf("want a clear refusal, got %v", err)
	}
}

// TestRebuildReusesArchives: a rebuild with nothing changed compresses
// nothing and writes no archive; a tampered archive is not reused.
func TestRebuildReusesArchives(t *testing.T) {
	m := copyDemo(t)
	out := t.TempDir()
	buildInto(t, m, out, BuildOptions{}, Options{})
	before := testutil.Tree(t, out)
	var archives []string
	bo := BuildOptions{Jobs: 1}
	bo.hooks.wrap = func(name string, w io.Writer) io.Writer {
		if strings.HasSuffix(name, ".cab") {
			archives = append(archives, name)
		}
		return w
	}
	buildInto(t, m, out, bo, Options{})
	if len(archives) != 0 {
		t.Errorf("rebuild recompressed %v", archives)
	}
	testutil.SameTree(t, "rebuild", before, testutil.Tree(t, out))

	// Tamper with one archive: it is rebuilt, and replacing it needs --force.
	victim := filepath.Join(out, "OEM_Base-1.4.0.cab")
	os.WriteFile(victim, []byte("MSCF tampered"), 0o644)
	pl, _ := Load(context.Background(), m, Options{})
	_, err := Build(context.Background(), pl, BuildOptions{OutDir: out, Jobs: 1})
	var ce *ConflictError
	if !errors.As(err, &ce) || len(ce.Files) != 1 || ce.Files[0] != "OEM_Base-1.4.0.cab" {
		t.Fatalf("want a conflict on the tampered archive only, got %v", err)
	}
	if _, err := Build(context.Background(), pl, BuildOptions{OutDir: out, Jobs: 1, Force: true}); err != nil {
		t.Fatal(err)
	}
	testutil.SameTree(t, "forced rebuild", before, testutil.Tree(t, out))
}
