package archive

import (
	"bytes"
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/provpack/provpack/internal/testutil"
	"github.com/provpack/provpack/pkgbuild/catalog"
	"github.com/provpack/provpack/pkgbuild/sign"
)

func loadSigner(t *testing.T, name string) (*sign.Signer, *x509.CertPool) {
	t.Helper()
	pki := testutil.NewPKI(t, name, false)
	s, err := sign.LoadPEM(pki.ChainPEM, pki.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(pki.Root)
	return s, roots
}

// TestW10MCatalogSignature: WriteSigned signs the catalog with the
// cabinet's key; verify names each way a catalog's signature can fail
// while the cabinet's holds: unsigned in a signed cabinet, a signature
// that does not match, a signer that does not chain with --trust.
func TestW10MCatalogSignature(t *testing.T) {
	ctx := context.Background()
	s, trusted := loadSigner(t, "Cab")
	other, _ := loadSigner(t, "Other")
	opt := sign.SignOptions{SigningTime: epoch}
	_, ms := w10mPackage(t, "oem", "PROVXML")
	dir := t.TempDir()
	write := func(name string, ms []Member, signCat bool) string {
		t.Helper()
		var buf bytes.Buffer
		var err error
		if signCat {
			err = WriteSigned(ctx, &buf, ms, epoch, s, opt)
		} else {
			err = writeSignedCabinet(ctx, &buf, ms, epoch, s, opt)
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.spkg", ms, true)
	if ps := Verify(good, nil, VerifyOptions{Roots: trusted}); len(ps) != 0 {
		t.Fatalf("signed package: %v", ps)
	}
	in, err := Inspect(good, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := in.CatalogSignature; c == nil || !c.Valid || c.Subject != "CN=Cab Signer,O=Contoso" || c.SigningTime == nil || !c.SigningTime.Equal(epoch) {
		t.Errorf("inspect: catalog signature %+v", c)
	}
	// The members WriteSigned was given are left unsigned.
	if c, _ := catalog.Parse(member(ms, CatalogW10M)); c == nil || c.Signed {
		t.Error("WriteSigned changed its caller's catalog member")
	}

	withCatalog := func(data []byte) []Member {
		out := slices.Clone(ms)
		for i := range out {
			if out[i].Name == CatalogW10M {
				out[i].Data = data
			}
		}
		return out
	}
	signedBy := func(s *sign.Signer) []byte {
		b, err := catalog.Sign(ctx, member(ms, CatalogW10M), s, opt)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	broken := signedBy(s)
	broken[len(broken)-10] ^= 1 // in the RSA signature value

	for name, c := range map[string]struct {
		ms   []Member
		opt  VerifyOptions
		kind string
		msg  string
	}{
		"unsigned-catalog":   {ms, VerifyOptions{}, KindUnsigned, "unsigned: content.cat has no signature, but the cabinet is signed"},
		"broken-catalog":     {withCatalog(broken), VerifyOptions{}, KindBadSignature, "bad signature: content.cat: the signature does not verify with the key of CN=Cab Signer"},
		"untrusted-catalog":  {withCatalog(signedBy(other)), VerifyOptions{Roots: trusted}, KindUntrusted, "untrusted signer: content.cat: CN=Other Signer,O=Contoso"},
		"other-key-no-trust": {withCatalog(signedBy(other)), VerifyOptions{}, "", ""},
	} {
		ps := Verify(write(name+".spkg", c.ms, false), nil, c.opt)
		if c.kind == "" {
			if len(ps) != 0 {
				t.Errorf("%s: %v", name, ps)
			}
			continue
		}
		if len(ps) != 1 || ps[0].Kind != c.kind || !strings.HasPrefix(ps[0].Msg, c.msg) {
			t.Errorf("%s: want one %s problem starting %q, got %v", name, c.kind, c.msg, ps)
		}
	}
	if in, err := Inspect(filepath.Join(dir, "broken-catalog.spkg"), nil); err != nil || in.CatalogSignature == nil || in.CatalogSignature.Valid || in.Signature == nil || !in.Signature.Valid {
		t.Errorf("inspect of a broken catalog signature: %v %+v", err, in)
	}
}

// TestVerifySigner: an archive whose good signature is by another
// certificate than the report names is a signature-mismatch, whatever
// the roots; the named signer passes, and an unsigned archive or a bad
// signature is left to the other kinds.
func TestVerifySigner(t *testing.T) {
	ctx := context.Background()
	s, trusted := loadSigner(t, "Cab")
	other, otherRoots := loadSigner(t, "Other")
	_, ms := w10mPackage(t, "oem", "PROVXML")
	dir := t.TempDir()
	write := func(name string, s *sign.Signer) string {
		t.Helper()
		var buf bytes.Buffer
		if err := WriteSigned(ctx, &buf, ms, epoch, s, sign.SignOptions{}); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, resigned := write("good.spkg", s), write("resigned.spkg", other)
	in, err := Inspect(good, nil)
	if err != nil {
		t.Fatal(err)
	}
	leaf := s.Leaf()
	named := &SignerID{Subject: leaf.Subject.String(), Issuer: leaf.Issuer.String(), Serial: sign.SerialHex(leaf.SerialNumber)}
	expect := func(id *SignerID) *Expect {
		return &Expect{Name: in.Package.Name, Version: in.Package.Version, GUID: in.Package.GUID, Signer: id}
	}
	if ps := Verify(good, expect(named), VerifyOptions{RequireSigned: true, Roots: trusted}); len(ps) != 0 {
		t.Fatalf("the named signer: %v", ps)
	}
	lower := *named
	lower.Serial = strings.ToLower(lower.Serial)
	if ps := Verify(good, expect(&lower), VerifyOptions{}); len(ps) != 0 {
		t.Errorf("the serial in lower case: %v", ps)
	}
	want := "wrong signer: the cabinet is signed by CN=Other Signer,O=Contoso (issuer CN=Other Code Signing CA,O=provpack tests, serial 1234567), but report.json says CN=Cab Signer,O=Contoso (issuer CN=Cab Code Signing CA,O=provpack tests, serial 1234567)"
	for name, opt := range map[string]VerifyOptions{
		"no roots":          {RequireSigned: true},
		"the signer's root": {RequireSigned: true, Roots: otherRoots},
	} {
		ps := Verify(resigned, expect(named), opt)
		if len(ps) != 1 || ps[0].Kind != KindSignerMismatch || !strings.HasPrefix(ps[0].Msg, want) {
			t.Errorf("signed by another, %s: want one %s problem starting %q, got %v", name, KindSignerMismatch, want, ps)
		}
	}
	for _, id := range []SignerID{
		{named.Subject, named.Issuer, "1234568"},
		{named.Subject, "CN=Other Code Signing CA,O=provpack tests", named.Serial},
		{"CN=Someone Else", named.Issuer, named.Serial},
	} {
		if ps := Verify(good, expect(&id), VerifyOptions{}); len(ps) != 1 || ps[0].Kind != KindSignerMismatch {
			t.Errorf("report signer %+v: %v", id, ps)
		}
	}
	// A bad signature is signature-invalid only.
	data, _ := os.ReadFile(resigned)
	data[len(data)-10] ^= 1
	broken := filepath.Join(dir, "broken.spkg")
	if err := os.WriteFile(broken, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if ps := Verify(broken, expect(named), VerifyOptions{}); len(ps) != 1 || ps[0].Kind != KindBadSignature {
		t.Errorf("a broken signature: %v", ps)
	}
}
