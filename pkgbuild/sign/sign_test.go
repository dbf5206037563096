package sign_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/provpack/provpack/internal/testutil"
	"github.com/provpack/provpack/pkgbuild/cab"
	"github.com/provpack/provpack/pkgbuild/sign"
)

var epoch = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// signCab writes a signable cabinet and signs it with s.
func signCab(t *testing.T, s *sign.Signer, at time.Time) []byte {
	t.Helper()
	var buf bytes.Buffer
	files := []cab.File{{Name: "a.provxml", Data: []byte("<wap-provisioningdoc/>\n")}}
	if err := cab.Write(&buf, files, cab.WriteOptions{ModTime: epoch, Signable: true}); err != nil {
		t.Fatal(err)
	}
	c, err := cab.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if err := c.AuthenticodeDigest(h); err != nil {
		t.Fatal(err)
	}
	sig, err := sign.SignCabinet(context.Background(), s, h.Sum(nil), sign.SignOptions{SigningTime: at})
	if err != nil {
		t.Fatal(err)
	}
	out, err := cab.AppendSignature(buf.Bytes(), sig)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// check reads a signed cabinet back and runs every check.
func check(data []byte, roots *x509.CertPool) (*sign.Message, error) {
	c, err := cab.Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	der, err := c.SignatureBytes()
	if err != nil {
		return nil, err
	}
	m, err := sign.Parse(der)
	if err != nil {
		return nil, err
	}
	alg, _, err := m.FileDigest()
	if err != nil {
		return m, err
	}
	h := alg.New()
	if err := c.AuthenticodeDigest(h); err != nil {
		return m, err
	}
	if err := m.CheckFileDigest(h.Sum(nil)); err != nil {
		return m, err
	}
	if err := m.Verify(); err != nil {
		return m, err
	}
	if roots != nil {
		return m, m.VerifyChain(roots, time.Now())
	}
	return m, nil
}

func pool(cs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range cs {
		p.AddCert(c)
	}
	return p
}

func TestSignVerifyRSA(t *testing.T) {
	pki := testutil.NewPKI(t, "RSA", false)
	s, err := sign.LoadPEM(pki.ChainPEM, pki.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	a := signCab(t, s, epoch)
	if b := signCab(t, s, epoch); !bytes.Equal(a, b) {
		t.Error("two RSA signatures of the same cabinet differ")
	}
	m, err := check(a, pool(pki.Root))
	if err != nil {
		t.Fatal(err)
	}
	if m.Signer == nil || m.Signer.Subject.CommonName != "RSA Signer" || !m.SigningTime.Equal(epoch) || m.Digest.String() != "SHA-256" || len(m.Certificates) != 2 {
		t.Errorf("signer %v, time %v, digest %v, %d certificates", m.SignerName(), m.SigningTime, m.Digest, len(m.Certificates))
	}
	if noTime := signCab(t, s, time.Time{}); bytes.Contains(noTime, []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05}) {
		t.Error("a signature without a signing time has the signingTime attribute")
	}

	other := testutil.NewPKI(t, "Other", false)
	if _, err := check(a, pool(other.Root)); !errors.Is(err, sign.ErrUntrusted) {
		t.Errorf("another root: %v, want untrusted", err)
	}
	// A flipped byte in the covered cabinet, in the signed content, in the
	// signature value.
	sigStart := len(a) - int(le32(a[0x30:]))
	for name, off := range map[string]int{"cabinet": 0x50, "file digest": sigStart + 100, "signature value": len(a) - 20} {
		b := bytes.Clone(a)
		b[off] ^= 0x01
		if _, err := check(b, pool(pki.Root)); err == nil {
			t.Errorf("flipped byte in the %s: no error", name)
		} else if !errors.Is(err, sign.ErrBadSignature) && !strings.Contains(err.Error(), "checksum") && !strings.Contains(err.Error(), "PKCS#7") {
			t.Errorf("flipped byte in the %s: %v", name, err)
		}
	}
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func TestSignVerifyECDSA(t *testing.T) {
	pki := testutil.NewPKI(t, "EC", true)
	s, err := sign.LoadPEM(pki.ChainPEM, pki.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := check(signCab(t, s, time.Time{}), pool(pki.Root)); err != nil {
		t.Fatal(err)
	}
}

func TestLoadErrors(t *testing.T) {
	pki := testutil.NewPKI(t, "Load", false)
	other := testutil.NewPKI(t, "Other", false)
	// A key of none of the certificates is not told to reorder them.
	want := "the private key " + other.KeyPEM + " belongs to none of the certificates in " + pki.ChainPEM + "; give the key of the signing certificate (CN=Load Signer,O=Contoso) with --sign-key"
	if _, err := sign.LoadPEM(pki.ChainPEM, other.KeyPEM); err == nil || err.Error() != want {
		t.Errorf("mismatched key: %v; want %s", err, want)
	}
	// The signing certificate after the intermediate: reorder.
	rev := filepath.Join(t.TempDir(), "rev.pem")
	var b []byte
	for _, c := range []*x509.Certificate{pki.Intermediate, pki.Leaf} {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	if err := os.WriteFile(rev, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := sign.LoadPEM(rev, pki.KeyPEM); err == nil || !strings.Contains(err.Error(), "belongs to certificate 2 (CN=Load Signer,O=Contoso), not to the first") || !strings.HasSuffix(err.Error(), "put the signing certificate first") {
		t.Errorf("chain in the wrong order: %v", err)
	}
	if _, err := sign.LoadPEM(pki.KeyPEM, pki.KeyPEM); err == nil || !strings.Contains(err.Error(), "is a private key") {
		t.Errorf("key as chain: %v", err)
	}
	if _, err := sign.LoadPEM(pki.ChainPEM, pki.ChainPEM); err == nil || !strings.Contains(err.Error(), "no PEM private key") {
		t.Errorf("chain as key: %v", err)
	}
}

// TestLoadPKCS12Errors: a PEM file, a file that is no PKCS#12 at all, a
// missing password and a wrong one each say what they are and what to
// give instead.
func TestLoadPKCS12Errors(t *testing.T) {
	pki := testutil.NewPKI(t, "P12", false)
	dir := t.TempDir()
	pfx, err := pkcs12.Modern.Encode(pki.Key, pki.Leaf, []*x509.Certificate{pki.Intermediate}, "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	p12 := filepath.Join(dir, "signer.pfx")
	garbage := filepath.Join(dir, "garbage.pfx")
	for path, data := range map[string][]byte{p12: pfx, garbage: []byte("\x00\x01not a pfx")} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sign.LoadPKCS12(p12, "s3cret"); err != nil {
		t.Fatalf("the right password: %v", err)
	}
	for _, c := range []struct{ path, password, want string }{
		{pki.ChainPEM, "", pki.ChainPEM + " is PEM, not a PKCS#12 (.pfx) file: give it with --sign-cert (and the key with --sign-key)"},
		{pki.KeyPEM, "", pki.KeyPEM + " is a PEM private key, not a PKCS#12 (.pfx) file: give it with --sign-key (and the certificates with --sign-cert)"},
		{garbage, "", garbage + " is not a PKCS#12 (.pfx) file; "},
		{p12, "", p12 + " is password-protected and PROVPACK_SIGN_PASSWORD is not set; set it to the file's password"},
		{p12, "wrong", p12 + ": wrong password; set PROVPACK_SIGN_PASSWORD to the file's password"},
		{filepath.Join(dir, "nosuch.pfx"), "", "the PKCS#12 file " + filepath.Join(dir, "nosuch.pfx") + " does not exist"},
	} {
		_, err := sign.LoadPKCS12(c.path, c.password)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "asn1") {
			t.Errorf("%s, password %q: %v; want %s", filepath.Base(c.path), c.password, err, c.want)
		}
	}
}

// TestLoadRootsErrors: what is wrong with a --trust file is said of
// --trust, never of a signing chain or its flags.
func TestLoadRootsErrors(t *testing.T) {
	pki := testutil.NewPKI(t, "Roots", false)
	if _, err := sign.LoadRoots([]string{pki.RootPEM}); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(pki.Dir, "nosuch.pem")
	for path, want := range map[string]string{
		pki.KeyPEM: "--trust takes PEM CA certificates; " + pki.KeyPEM + " holds a private key",
		missing:    "--trust: " + missing + " does not exist; --trust takes PEM CA certificates",
	} {
		_, err := sign.LoadRoots([]string{pki.RootPEM, path})
		if err == nil || err.Error() != want {
			t.Errorf("%s: %v; want %s", filepath.Base(path), err, want)
		}
		if err != nil && (strings.Contains(err.Error(), "chain") || strings.Contains(err.Error(), "--sign-")) {
			t.Errorf("%s: %v speaks of signing", filepath.Base(path), err)
		}
	}
}

// TestOpenSSLAndOsslsigncode: keys and PKCS#12 files made by openssl load
// (PKCS#1, SEC 1 EC, PKCS#12 with OpenSSL 3's defaults), a signing command
// running openssl signs without provpack seeing the key, and
// osslsigncode verifies every result against the root.
func TestOpenSSLAndOsslsigncode(t *testing.T) {
	testutil.Tool(t, "openssl", "openssl")
	testutil.Tool(t, "osslsigncode", "osslsigncode")
	for _, ec := range []bool{false, true} {
		pki := testutil.NewPKI(t, "Tools", ec)
		dir := pki.Dir
		run := func(name string, args ...string) {
			t.Helper()
			cmd := exec.Command(name, args...)
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s %v: %v\n%s", name, args, err, out)
			}
		}
		traditional := "traditional.pem" // PKCS#1 RSA or SEC 1 EC
		run("openssl", "pkey", "-in", pki.KeyPEM, "-traditional", "-out", traditional)
		run("openssl", "pkcs12", "-export", "-in", pki.ChainPEM, "-inkey", pki.KeyPEM, "-out", "signer.p12", "-passout", "pass:s3cret")
		signers := map[string]func() (*sign.Signer, error){
			"traditional": func() (*sign.Signer, error) { return sign.LoadPEM(pki.ChainPEM, filepath.Join(dir, traditional)) },
			"pkcs12":      func() (*sign.Signer, error) { return sign.LoadPKCS12(filepath.Join(dir, "signer.p12"), "s3cret") },
			"command": func() (*sign.Signer, error) {
				return sign.NewCommandSigner(pki.ChainPEM, "openssl pkeyutl -sign -inkey '"+pki.KeyPEM+"' -pkeyopt digest:sha256")
			},
		}
		for name, load := range signers {
			s, err := load()
			if err != nil {
				t.Fatalf("ec=%v %s: %v", ec, name, err)
			}
			data := signCab(t, s, epoch)
			if _, err := check(data, pool(pki.Root)); err != nil {
				t.Errorf("ec=%v %s: %v", ec, name, err)
			}
			path := filepath.Join(dir, name+".cab")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("osslsigncode", "verify", "-CAfile", pki.RootPEM, "-in", path).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "Signature verification: ok") {
				t.Errorf("ec=%v %s: osslsigncode verify: %v\n%s", ec, name, err, out)
			}
		}
		if _, err := sign.LoadPKCS12(filepath.Join(dir, "signer.p12"), "wrong"); err == nil || !strings.Contains(err.Error(), "PROVPACK_SIGN_PASSWORD") {
			t.Errorf("wrong password: %v", err)
		}
	}
	// A command that prints something else is caught.
	pki := testutil.NewPKI(t, "Bad", false)
	s, err := sign.NewCommandSigner(pki.ChainPEM, "echo not-a-signature")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sign.SignCabinet(context.Background(), s, make([]byte, 32), sign.SignOptions{}); err == nil || !strings.Contains(err.Error(), "is not an RSA signature of the digest") {
		t.Errorf("bad command: %v", err)
	}
	s, _ = sign.NewCommandSigner(pki.ChainPEM, "echo broken >&2; exit 3")
	if _, err := sign.SignCabinet(context.Background(), s, make([]byte, 32), sign.SignOptions{}); err == nil || !strings.Contains(err.Error(), "exit status 3: broken") {
		t.Errorf("failing command: %v", err)
	}
}

// TestMicrosoftSignature parses the signature of a package Microsoft
// signed (SHA-1, a nested signature, a timestamp countersignature): the
// signer is named, the signature verifies, and the file digest matches.
func TestMicrosoftSignature(t *testing.T) {
	path := filepath.Join(testutil.Root(), "..", "shared", "realworld", "cab", "ms_navigationbar_en-us.spkr.cab")
	data, err := os.ReadFile(path)
	if err != nil {
		if testutil.Required() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	m, err := check(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.SignerName(), "CN=Microsoft Corporation") || m.Digest.String() != "SHA-1" || sign.SerialHex(m.Serial) != "33000000CA6CD5321235C4E1550001000000CA" {
		t.Errorf("signer %s, serial %s, digest %s", m.SignerName(), sign.SerialHex(m.Serial), m.Digest)
	}
}

// selfSigned is a signer whose certificate is self-signed with the given
// usages, to be pinned as its own trust root.
func selfSigned(t *testing.T, cn string, ku x509.KeyUsage, eku []x509.ExtKeyUsage) *sign.Signer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: cn},
		NotBefore: epoch.AddDate(-1, 0, 0), NotAfter: epoch.AddDate(50, 0, 0),
		KeyUsage: ku, ExtKeyUsage: eku,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &sign.Signer{Chain: []*x509.Certificate{c}, Key: key}
}

// TestVerifyChainCodeSigningUsage: --trust takes a signer only with the
// code-signing extended key usage, and with digital signature in its key
// usage when it has one. Go's verifier alone takes a certificate without
// extended key usages as good for anything.
func TestVerifyChainCodeSigningUsage(t *testing.T) {
	ds := x509.KeyUsageDigitalSignature
	codeSigning := []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}
	for _, tc := range []struct {
		name string
		ku   x509.KeyUsage
		eku  []x509.ExtKeyUsage
		want string // "" for trusted
	}{
		{"no EKU", ds, nil, "untrusted signer: signer certificate CN=no EKU is not for code signing: it has no code-signing extended key usage; sign with"},
		{"TLS server", ds, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, "untrusted signer: signer certificate CN=TLS server is not for code signing: it has no code-signing extended key usage, only other ones;"},
		{"cert sign only", x509.KeyUsageCertSign, codeSigning, "untrusted signer: signer certificate CN=cert sign only is not for code signing: its key usage does not include digital signature"},
		{"code signing", ds, codeSigning, ""},
		{"code signing, no key usage", 0, codeSigning, ""},
	} {
		s := selfSigned(t, tc.name, tc.ku, tc.eku)
		_, err := check(signCab(t, s, epoch), pool(s.Leaf()))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (!errors.Is(err, sign.ErrUntrusted) || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("%s: %v\nwant an error starting %q", tc.name, err, tc.want)
		}
	}
}

// TestSignCommandCancel: cancelling a build stops a signing command's
// whole pipeline. Killing only /bin/sh left `sleep 30` running with the
// output pipe open, and the signing waited for it to end.
func TestSignCommandCancel(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the command is a POSIX shell pipeline")
	}
	pki := testutil.NewPKI(t, "Cancel", false)
	s, err := sign.NewCommandSigner(pki.ChainPEM, "sleep 30 | cat")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = sign.SignCabinet(ctx, s, make([]byte, 32), sign.SignOptions{})
	// A hang guard, not a benchmark: anything well short of the sleep.
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the cancelled signing command returned after %v; its pipeline was not stopped", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled signing command: %v, want %v", err, context.DeadlineExceeded)
	}
}

// TestSignerNeedsCodeSigning: a certificate that is not for code signing
// is refused when the signer is loaded, before any archive is signed with
// it; verify --trust and Windows would refuse its signatures.
func TestSignerNeedsCodeSigning(t *testing.T) {
	s := selfSigned(t, "TLS only", x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth})
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	keyDER, err := x509.MarshalPKCS8PrivateKey(s.Key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Leaf().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	const want = "is not for code signing: it has no code-signing extended key usage, only other ones"
	if _, err := sign.LoadPEM(certFile, keyFile); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("LoadPEM of a TLS certificate: %v, want %q", err, want)
	}
	if _, err := sign.NewCommandSigner(certFile, "cat"); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("NewCommandSigner of a TLS certificate: %v, want %q", err, want)
	}
}
