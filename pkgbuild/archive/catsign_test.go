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
