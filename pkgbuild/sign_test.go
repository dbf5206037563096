package pkgbuild

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/binary"
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
	"github.com/provpack/provpack/pkgbuild/sign"
	"github.com/provpack/provpack/pkgbuild/verify"
)

func demoSigner(t *testing.T, pki *testutil.PKI) *sign.Signer {
	t.Helper()
	s, err := sign.LoadPEM(pki.ChainPEM, pki.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func roots(cs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range cs {
		p.AddCert(c)
	}
	return p
}

func kinds(ps []archive.Problem) string {
	var ks []string
	for _, p := range ps {
		ks = append(ks, p.Kind)
	}
	return strings.Join(ks, ",")
}

// TestSignedBuild: a signed build of the demo image is byte-identical
// twice, passes verify --trust with its root and fails, each with its
// named kind, with another root, after a flipped byte and on an unsigned
// copy; report.json names the signer.
func TestSignedBuild(t *testing.T) {
	pki := testutil.NewPKI(t, "Build", false)
	s := demoSigner(t, pki)
	m := copyDemo(t)
	bo := BuildOptions{Signer: s, SigningTime: time.Unix(1700000000, 0)}
	out1 := filepath.Join(t.TempDir(), "out")
	out2 := filepath.Join(t.TempDir(), "out")
	rep := buildInto(t, m, out1, bo, Options{})
	buildInto(t, m, out2, bo, Options{})
	for _, p := range rep.Packages {
		a, _ := os.ReadFile(filepath.Join(out1, p.Archive))
		b, _ := os.ReadFile(filepath.Join(out2, p.Archive))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s: two signed builds differ", p.Archive)
		}
		if p.Signer == nil || p.Signer.Subject != "CN=Build Signer,O=Contoso" || p.Signer.Serial != "1234567" {
			t.Errorf("%s: report signer %+v", p.Archive, p.Signer)
		}
	}
	for _, name := range []string{"SHA256SUMS", "report.json", "report.md"} {
		a, _ := os.ReadFile(filepath.Join(out1, name))
		b, _ := os.ReadFile(filepath.Join(out2, name))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two signed builds", name)
		}
	}
	ctx := context.Background()
	if ps, err := verify.Verify(ctx, out1, verify.Options{Roots: roots(pki.Root)}); err != nil || len(ps) != 0 {
		t.Fatalf("verify --trust: %v\n%s", err, problemsText(ps))
	}
	other := testutil.NewPKI(t, "Other", false)
	ps, _ := verify.Verify(ctx, out1, verify.Options{Roots: roots(other.Root)})
	if len(ps) != len(rep.Packages) || kinds(ps) != strings.Repeat(archive.KindUntrusted+",", len(ps)-1)+archive.KindUntrusted {
		t.Errorf("another root: %s", problemsText(ps))
	}

	// One archive with a flipped byte in a member's date: no checksum
	// covers it, the signature does.
	a := filepath.Join(out1, rep.Packages[0].Archive)
	data, _ := os.ReadFile(a)
	flipped := bytes.Clone(data)
	coffFiles := binary.LittleEndian.Uint32(flipped[0x10:])
	flipped[coffFiles+10] ^= 1
	single := filepath.Join(t.TempDir(), rep.Packages[0].Archive)
	os.WriteFile(single, flipped, 0o644)
	ps, _ = verify.Verify(ctx, single, verify.Options{Roots: roots(pki.Root)})
	if len(ps) != 1 || ps[0].Kind != archive.KindBadSignature || !strings.Contains(ps[0].Msg, "the file changed after it was signed") {
		t.Errorf("flipped byte: %s", problemsText(ps))
	}
	// Without --trust, a broken signature is still a problem.
	if ps, _ = verify.Verify(ctx, single, verify.Options{}); len(ps) != 1 || ps[0].Kind != archive.KindBadSignature {
		t.Errorf("flipped byte without --trust: %s", problemsText(ps))
	}

	// An unsigned copy: with --trust, and in a directory whose report
	// says the archives were signed.
	unsigned := filepath.Join(t.TempDir(), "out")
	urep := buildInto(t, m, unsigned, BuildOptions{}, Options{})
	ps, _ = verify.Verify(ctx, filepath.Join(unsigned, urep.Packages[0].Archive), verify.Options{Roots: roots(pki.Root)})
	if len(ps) != 1 || ps[0].Kind != archive.KindUnsigned {
		t.Errorf("unsigned with --trust: %s", problemsText(ps))
	}
	u, _ := os.ReadFile(filepath.Join(unsigned, urep.Packages[0].Archive))
	os.WriteFile(a, u, 0o644)
	ps, _ = verify.Verify(ctx, out1, verify.Options{})
	found := false
	for _, p := range ps {
		found = found || p.Kind == archive.KindUnsigned && strings.Contains(p.Msg, "report.json says it was signed")
	}
	if !found {
		t.Errorf("unsigned archive where report.json says signed:\n%s", problemsText(ps))
	}
}

// TestSignedBuildTools: every signed archive of the demo image passes
// osslsigncode verify -CAfile, and cabextract, 7-Zip, bsdtar and gcab
// read it.
func TestSignedBuildTools(t *testing.T) {
	tools := map[string][]string{"osslsigncode": nil, "cabextract": {"-t"}, "7zz": {"t"}, "bsdtar": {"-tf"}, "gcab": {"-l"}}
	debs := map[string]string{"osslsigncode": "osslsigncode", "cabextract": "cabextract", "7zz": "7zip", "bsdtar": "libarchive-tools", "gcab": "gcab"}
	for tool := range tools {
		testutil.Tool(t, tool, debs[tool])
	}
	pki := testutil.NewPKI(t, "Tools", false)
	out := filepath.Join(t.TempDir(), "out")
	rep := buildInto(t, copyDemo(t), out, BuildOptions{Signer: demoSigner(t, pki)}, Options{})
	for _, p := range rep.Packages {
		path := filepath.Join(out, p.Archive)
		o, err := exec.Command("osslsigncode", "verify", "-CAfile", pki.RootPEM, "-in", path).CombinedOutput()
		if err != nil || !strings.Contains(string(o), "Signature verification: ok") {
			t.Errorf("osslsigncode verify %s: %v\n%s", p.Archive, err, o)
		}
		for tool, args := range tools {
			if args == nil {
				continue
			}
			if o, err := exec.Command(tool, append(args, path)...).CombinedOutput(); err != nil {
				t.Errorf("%s %s: %v\n%s", tool, p.Archive, err, o)
			}
		}
	}
}

// TestSignedCache: a rebuild with the same signer reuses the archives; a
// rebuild with another key signs them again.
func TestSignedCache(t *testing.T) {
	m := copyDemo(t)
	out := filepath.Join(t.TempDir(), "out")
	first := buildInto(t, m, out, BuildOptions{Signer: demoSigner(t, testutil.NewPKI(t, "A", false))}, Options{})
	second := buildInto(t, m, out, BuildOptions{Force: true, Signer: demoSigner(t, testutil.NewPKI(t, "B", false))}, Options{})
	for i, p := range second.Packages {
		if p.SHA256 == first.Packages[i].SHA256 {
			t.Errorf("%s: another key left the archive as it was", p.Archive)
		}
		if p.Signer == nil || !strings.Contains(p.Signer.Subject, "B Signer") {
			t.Errorf("%s: signer %+v", p.Archive, p.Signer)
		}
	}
}

// TestSigningRequired: a manifest with signing: required refuses an
// unsigned --release build, naming the key, and leaves the lock alone;
// a plain build is still allowed, and a signed release goes through.
func TestSigningRequired(t *testing.T) {
	m := copyDemo(t)
	data, _ := os.ReadFile(m)
	os.WriteFile(m, bytes.Replace(data, []byte("\npackages:"), []byte("\nsigning: required\npackages:"), 1), 0o644)
	lock := filepath.Join(filepath.Dir(m), manifest.DefaultLockName)
	before, _ := os.ReadFile(lock)
	out := filepath.Join(t.TempDir(), "out")
	_, _, err := BuildManifest(context.Background(), m, Options{}, BuildOptions{OutDir: out, Release: true})
	if !errors.Is(err, ErrUnsignedRelease) || !strings.Contains(err.Error(), "provpack.yaml:") {
		t.Fatalf("unsigned release: %v", err)
	}
	after, _ := os.ReadFile(lock)
	if !bytes.Equal(before, after) {
		t.Error("the lock changed")
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("the output directory was written")
	}
	if _, _, err := BuildManifest(context.Background(), m, Options{}, BuildOptions{OutDir: out}); err != nil {
		t.Errorf("a build that is not a release: %v", err)
	}
}

// TestSignedW10M: a signed build of fixtures/w10m signs every .spkg and
// its content.cat with the same key; two builds are byte-identical; the
// manifest records the unsigned catalog's size; verify --trust passes
// and names the catalog's own failures. With the tools installed,
// osslsigncode verifies the catalog and the package, openssl parses the
// catalog, and cabextract, 7-Zip, bsdtar and gcab read the package.
func TestSignedW10M(t *testing.T) {
	ctx := context.Background()
	pki := testutil.NewPKI(t, "W10M", false)
	s := demoSigner(t, pki)
	m := copyFixture(t, "w10m")
	bo := BuildOptions{Signer: s, SigningTime: time.Unix(1700000000, 0)}
	out1 := filepath.Join(t.TempDir(), "out")
	out2 := filepath.Join(t.TempDir(), "out")
	rep := buildInto(t, m, out1, bo, Options{})
	buildInto(t, m, out2, bo, Options{})
	if len(rep.Packages) == 0 {
		t.Fatal("no packages")
	}
	for _, p := range rep.Packages {
		a, _ := os.ReadFile(filepath.Join(out1, p.Archive))
		b, _ := os.ReadFile(filepath.Join(out2, p.Archive))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s: two signed builds differ", p.Archive)
		}
		in, err := verify.Inspect(ctx, filepath.Join(out1, p.Archive))
		if err != nil {
			t.Fatal(err)
		}
		if in.Signature == nil || in.CatalogSignature == nil || !in.CatalogSignature.Valid || in.CatalogSignature.Subject != in.Signature.Subject || in.CatalogSignature.Serial != in.Signature.Serial {
			t.Errorf("%s: cabinet signature %+v, catalog signature %+v", p.Archive, in.Signature, in.CatalogSignature)
		}
		// The manifest records the catalog before signing: the size of
		// the unsigned build's catalog.
		cat, dsm := catalogAndManifest(t, filepath.Join(out1, p.Archive))
		var info *archive.PackageInfo
		if info, err = archive.ParseManifest(archive.ManifestW10M, dsm); err != nil {
			t.Fatal(err)
		}
		for _, e := range info.Entries {
			if e.FileType == archive.FileTypeCatalog && (e.FileSize >= int64(len(cat)) || e.FileSize == 0) {
				t.Errorf("%s: the Catalog entry records %d bytes for a signed catalog of %d", p.Archive, e.FileSize, len(cat))
			}
		}
	}
	if ps, err := verify.Verify(ctx, out1, verify.Options{Roots: roots(pki.Root)}); err != nil || len(ps) != 0 {
		t.Fatalf("verify --trust: %v\n%s", err, problemsText(ps))
	}
	unsigned := filepath.Join(t.TempDir(), "out")
	urep := buildInto(t, m, unsigned, BuildOptions{}, Options{})
	for i, p := range urep.Packages {
		ucat, udsm := catalogAndManifest(t, filepath.Join(unsigned, p.Archive))
		_, sdsm := catalogAndManifest(t, filepath.Join(out1, rep.Packages[i].Archive))
		if !bytes.Equal(udsm, sdsm) {
			t.Errorf("%s: signing changed the package manifest", p.Archive)
		}
		info, _ := archive.ParseManifest(archive.ManifestW10M, udsm)
		for _, e := range info.Entries {
			if e.FileType == archive.FileTypeCatalog && e.FileSize != int64(len(ucat)) {
				t.Errorf("%s: the Catalog entry records %d bytes, the unsigned catalog is %d", p.Archive, e.FileSize, len(ucat))
			}
		}
	}
	ps, _ := verify.Verify(ctx, unsigned, verify.Options{Roots: roots(pki.Root)})
	if want := strings.TrimSuffix(strings.Repeat(archive.KindUnsigned+",", 2*len(urep.Packages)), ","); kinds(ps) != want {
		t.Errorf("unsigned with --trust: want %s\n%s", want, problemsText(ps))
	}

	if testing.Short() {
		return
	}
	tools := map[string][]string{"cabextract": {"-t"}, "7zz": {"t"}, "bsdtar": {"-tf"}, "gcab": {"-l"}}
	debs := map[string]string{"cabextract": "cabextract", "7zz": "7zip", "bsdtar": "libarchive-tools", "gcab": "gcab"}
	osslsigncode := testutil.Tool(t, "osslsigncode", "osslsigncode")
	openssl := testutil.Tool(t, "openssl", "openssl")
	for tool := range tools {
		testutil.Tool(t, tool, debs[tool])
	}
	dir := t.TempDir()
	for _, p := range rep.Packages {
		path := filepath.Join(out1, p.Archive)
		cat, _ := catalogAndManifest(t, path)
		catPath := filepath.Join(dir, p.Archive+".cat")
		if err := os.WriteFile(catPath, cat, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{path, catPath} {
			o, err := exec.Command(osslsigncode, "verify", "-CAfile", pki.RootPEM, "-in", f).CombinedOutput()
			if err != nil || !strings.Contains(string(o), "Signature verification: ok") {
				t.Errorf("osslsigncode verify %s: %v\n%s", filepath.Base(f), err, o)
			}
		}
		if o, err := exec.Command(openssl, "asn1parse", "-inform", "DER", "-in", catPath).CombinedOutput(); err != nil || !strings.Contains(string(o), ":1.3.6.1.4.1.311.10.1") {
			t.Errorf("openssl asn1parse %s: %v\n%s", filepath.Base(catPath), err, o)
		}
		for tool, args := range tools {
			if o, err := exec.Command(tool, append(args, path)...).CombinedOutput(); err != nil {
				t.Errorf("%s %s: %v\n%s", tool, p.Archive, err, o)
			}
		}
	}
}

// catalogAndManifest reads content.cat and man.dsm.xml out of a w10m
// cabinet.
func catalogAndManifest(t *testing.T, path string) (cat, dsm []byte) {
	t.Helper()
	_, ms, err := archive.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		switch m.Name {
		case archive.CatalogW10M:
			cat = m.Data
		case archive.ManifestW10M:
			dsm = m.Data
		}
	}
	if cat == nil || dsm == nil {
		t.Fatal("no content.cat or man.dsm.xml")
	}
	return cat, dsm
}

// TestVerifyReportSigner: verify DIR compares the signer report.json
// names with the archive's. An archive signed by another key, its
// signature good and, with --trust of both roots, trusted, is a
// signature-mismatch.
func TestVerifyReportSigner(t *testing.T) {
	pki, otherPKI := testutil.NewPKI(t, "Build", false), testutil.NewPKI(t, "Other", false)
	m := copyDemo(t)
	at := time.Unix(1700000000, 0)
	out := filepath.Join(t.TempDir(), "out")
	rep := buildInto(t, m, out, BuildOptions{Signer: demoSigner(t, pki), SigningTime: at}, Options{})
	otherOut := filepath.Join(t.TempDir(), "out")
	buildInto(t, m, otherOut, BuildOptions{Signer: demoSigner(t, otherPKI), SigningTime: at}, Options{})
	ctx := context.Background()
	if ps, err := verify.Verify(ctx, out, verify.Options{}); err != nil || len(ps) != 0 {
		t.Fatalf("verify: %v\n%s", err, problemsText(ps))
	}
	name := rep.Packages[0].Archive
	data, err := os.ReadFile(filepath.Join(otherOut, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	for what, opt := range map[string]verify.Options{"no roots": {}, "both roots": {Roots: roots(pki.Root, otherPKI.Root)}} {
		ps, err := verify.Verify(ctx, out, opt)
		if err != nil {
			t.Fatal(err)
		}
		var mismatch []archive.Problem
		for _, p := range ps {
			if p.Kind != "" && p.Kind != archive.KindSignerMismatch {
				t.Errorf("%s: %s", what, p)
			}
			if p.Kind == archive.KindSignerMismatch {
				mismatch = append(mismatch, p)
			}
		}
		if len(mismatch) != 1 || mismatch[0].File != filepath.Join(out, name) || !strings.HasPrefix(mismatch[0].Msg, "wrong signer: the cabinet is signed by CN=Other Signer,O=Contoso") {
			t.Errorf("%s: want one %s problem for %s, got\n%s", what, archive.KindSignerMismatch, name, problemsText(ps))
		}
	}
}

// TestSigningFailureIsNotAnInterruption: a signing command that fails in
// one package cancels the others; the build reports that failure, not
// the cancellations (which the command line shows as an interruption,
// exit 130).
func TestSigningFailureIsNotAnInterruption(t *testing.T) {
	pki := testutil.NewPKI(t, "Fail", false)
	s, err := sign.NewCommandSigner(pki.ChainPEM, "echo HSM locked >&2; exit 3")
	if err != nil {
		t.Fatal(err)
	}
	m := copyDemo(t)
	out := filepath.Join(t.TempDir(), "out")
	_, _, err = BuildManifest(context.Background(), m, Options{}, BuildOptions{OutDir: out, Signer: s})
	if err == nil || errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "HSM locked") {
		t.Fatalf("build with a failing signing command: %v; want the command's failure, not a cancellation", err)
	}
	if _, serr := os.Stat(out); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("the failed build left %s behind (%v)", out, serr)
	}
}
