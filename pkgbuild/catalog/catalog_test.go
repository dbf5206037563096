package catalog

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/provpack/provpack/internal/testutil"
	"github.com/provpack/provpack/pkgbuild/sign"
)

var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func testMembers() []Member {
	return []Member{
		{Name: "man.dsm.xml", Data: []byte("<Package/>\r\n")},
		{Name: "mxipupdate_OEM_001.provxml", Data: []byte("<wap-provisioningdoc/>")},
	}
}

func TestRoundTrip(t *testing.T) {
	ms := testMembers()
	der, err := Write(ms, Options{Time: epoch})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	if c.Signed {
		t.Error("an unsigned catalog reads as signed")
	}
	if len(c.Subjects) != 2*len(ms) {
		t.Errorf("%d subjects, want %d", len(c.Subjects), 2*len(ms))
	}
	for _, m := range ms {
		s256 := sha256.Sum256(m.Data)
		s1 := sha1.Sum(m.Data)
		if !c.Has(s256[:]) {
			t.Errorf("%s: SHA-256 not listed", m.Name)
		}
		var byIndirect, bySHA1 bool
		for _, s := range c.Subjects {
			byIndirect = byIndirect || bytes.Equal(s.ID, s256[:]) && bytes.Equal(s.SHA256, s256[:])
			bySHA1 = bySHA1 || bytes.Equal(s.ID, s1[:]) && s.SHA256 == nil
		}
		if !byIndirect || !bySHA1 {
			t.Errorf("%s: SHA-256 subject with indirect data %v, SHA-1 subject %v", m.Name, byIndirect, bySHA1)
		}
	}
	other := sha256.Sum256([]byte("not a member"))
	if c.Has(other[:]) {
		t.Error("Has says yes to a hash that is not listed")
	}
	// Reproducible, and the size does not follow the contents.
	again, _ := Write(ms, Options{Time: epoch})
	if !bytes.Equal(der, again) {
		t.Error("two builds differ")
	}
	ms[0].Data = bytes.Repeat([]byte("x"), 5000)
	changed, _ := Write(ms, Options{Time: epoch})
	if len(changed) != len(der) || bytes.Equal(changed, der) {
		t.Errorf("sizes %d and %d; a member's content must change the bytes but not the size", len(changed), len(der))
	}
}

func TestParseRefuses(t *testing.T) {
	der, _ := Write(testMembers(), Options{Time: epoch})
	for name, data := range map[string][]byte{
		"empty":    nil,
		"trailing": append(bytes.Clone(der), 0),
		"cut":      der[:len(der)-3],
		"not pkcs": {0x30, 0x03, 0x02, 0x01, 0x01},
	} {
		if _, err := Parse(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestOpenSSL: openssl parses the catalog and shows every member's
// SHA-256 and the CTL's object identifiers.
func TestOpenSSL(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	ms := testMembers()
	der, err := Write(ms, Options{Time: epoch})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "content.cat")
	if err := os.WriteFile(path, der, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(openssl, "asn1parse", "-inform", "DER", "-in", path).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl asn1parse: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{":pkcs7-signedData", ":1.3.6.1.4.1.311.10.1", ":1.3.6.1.4.1.311.12.1.1", ":1.3.6.1.4.1.311.12.2.3", ":1.3.6.1.4.1.311.2.1.4", ":1.3.6.1.4.1.311.2.1.25", "UTCTIME           :000101000000Z"} {
		if !strings.Contains(text, want) {
			t.Errorf("asn1parse output lacks %q", want)
		}
	}
	for _, m := range ms {
		s := sha256.Sum256(m.Data)
		if n := strings.Count(text, strings.ToUpper(hex.EncodeToString(s[:]))); n != 2 {
			t.Errorf("%s: SHA-256 appears %d times, want 2 (subject and indirect data)", m.Name, n)
		}
	}
	// pkcs7 sees a SignedData with no signers
	out, err = exec.Command(openssl, "pkcs7", "-inform", "DER", "-in", path, "-print", "-noout").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl pkcs7: %v\n%s", err, out)
	}
	for _, re := range []string{`type: pkcs7-signedData`, `md_algs:\s+algorithm: sha256`, `cert:\s+<ABSENT>`, `signer_info:\s+<EMPTY>`} {
		if !regexp.MustCompile(re).Match(out) {
			t.Errorf("openssl pkcs7 -print: no %s in\n%s", re, out)
		}
	}
}

// TestRealCatalog: the content.cat of a real package made by Microsoft's
// package generator parses, lists its manifest, and is laid out as Build
// lays catalogs out (same subjects and attributes for the same member).
func TestRealCatalog(t *testing.T) {
	cabextract := testutil.Tool(t, "cabextract", "cabextract")
	cabPath := filepath.Join(testutil.Root(), "..", "shared", "realworld", "cab", "ms_navigationbar_en-us.spkr.cab")
	if _, err := os.Stat(cabPath); err != nil {
		t.Skipf("real package not found: %v", err)
	}
	dir := t.TempDir()
	if out, err := exec.Command(cabextract, "-q", "-d", dir, cabPath).CombinedOutput(); err != nil {
		t.Fatalf("cabextract: %v\n%s", err, out)
	}
	cat, err := os.ReadFile(filepath.Join(dir, "content.cat"))
	if err != nil {
		t.Fatal(err)
	}
	dsm, err := os.ReadFile(filepath.Join(dir, "man.dsm.xml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(cat)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Signed || c.Signature == nil {
		t.Fatalf("the real catalog is signed; read as signed %v, %v", c.Signed, c.SignatureErr)
	}
	// Microsoft's signature holds over the CTL (SHA-256); its chain is
	// not judged here.
	if err := c.Verify(); err != nil {
		t.Errorf("the real catalog's signature: %v", err)
	}
	if got := c.Signature.SignerName(); !strings.Contains(got, "CN=Windows Phone") || c.Signature.Digest.String() != "SHA-256" {
		t.Errorf("signer %s, digest %s", got, c.Signature.Digest)
	}
	s := sha256.Sum256(dsm)
	if !c.Has(s[:]) {
		t.Error("the real catalog does not list its manifest's SHA-256")
	}
	// Our CTL for the same member equals the real one but for the list
	// identifier and the time.
	ours, err := Build([]Member{{Name: "man.dsm.xml", Data: dsm}}, Options{Time: epoch})
	if err != nil {
		t.Fatal(err)
	}
	real := realCTL(t, cat)
	if len(ours) != len(real) {
		t.Fatalf("our CTL is %d bytes, the real one %d", len(ours), len(real))
	}
	if i := bytes.Index(real, []byte{0x30, 0x0e, 0x06, 0x0a}); i < 0 || !bytes.Equal(ours[i:], real[i:]) {
		t.Errorf("the CTLs differ after the time:\nours %x\nreal %x", ours, real)
	}
}

// realCTL digs the CTL out of a signed catalog.
func realCTL(t *testing.T, der []byte) []byte {
	t.Helper()
	var ci contentInfo
	if _, err := asn1Unmarshal(der, &ci); err != nil {
		t.Fatal(err)
	}
	var sd signedData
	if _, err := asn1Unmarshal(ci.Content.Bytes, &sd); err != nil {
		t.Fatal(err)
	}
	return sd.ContentInfo.Content.Bytes
}

var asn1Unmarshal = asn1.Unmarshal

// FuzzParse: Parse of any bytes never panics; what it accepts, it accepts
// again from the same bytes with the same subjects.
func FuzzParse(f *testing.F) {
	der, _ := Write(testMembers(), Options{Time: epoch})
	f.Add(der)
	f.Add(der[:len(der)/2])
	f.Add([]byte{0x30, 0x80})
	pki := testutil.NewPKI(f, "Fuzz", false)
	if s, err := sign.LoadPEM(pki.ChainPEM, pki.KeyPEM); err == nil {
		if signed, err := Sign(context.Background(), der, s, sign.SignOptions{SigningTime: epoch}); err == nil {
			f.Add(signed)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		_ = c.Verify() // never panics
		again, err := Parse(data)
		if err != nil || len(again.Subjects) != len(c.Subjects) {
			t.Fatalf("second parse: %v", err)
		}
	})
}

func testSigner(t *testing.T, ec bool) (*sign.Signer, *testutil.PKI) {
	t.Helper()
	pki := testutil.NewPKI(t, "Catalog", ec)
	s, err := sign.LoadPEM(pki.ChainPEM, pki.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return s, pki
}

// TestSign: a signed catalog holds the same CTL as the unsigned one, its
// signature verifies and chains to the root, RSA signatures are
// reproducible, and a changed byte or a signed catalog signed again is
// caught.
func TestSign(t *testing.T) {
	ctx := context.Background()
	s, pki := testSigner(t, false)
	unsigned, err := Write(testMembers(), Options{Time: epoch})
	if err != nil {
		t.Fatal(err)
	}
	opt := sign.SignOptions{SigningTime: epoch}
	signed, err := Sign(ctx, unsigned, s, opt)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(signed)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Signed || c.Signature == nil || len(c.Subjects) != 4 {
		t.Fatalf("signed %v, signature %v, %d subjects", c.Signed, c.SignatureErr, len(c.Subjects))
	}
	if err := c.Verify(); err != nil {
		t.Fatal(err)
	}
	if err := c.Signature.VerifyChain(pool(pki.Root), epoch.AddDate(1, 0, 0)); err != nil {
		t.Errorf("chain: %v", err)
	}
	if !c.Signature.SigningTime.Equal(epoch) {
		t.Errorf("signing time %v, want %v", c.Signature.SigningTime, epoch)
	}
	u, _ := Parse(unsigned)
	if u.Signed || u.Verify() != nil {
		t.Error("the unsigned catalog reads as signed")
	}
	if realCTLString(t, signed) != realCTLString(t, unsigned) {
		t.Error("signing changed the certificate trust list")
	}
	again, err := Sign(ctx, unsigned, s, opt)
	if err != nil || !bytes.Equal(again, signed) {
		t.Errorf("two RSA signatures of the same catalog differ (%v)", err)
	}
	if _, err := Sign(ctx, signed, s, opt); err == nil || !strings.Contains(err.Error(), "signed already") {
		t.Errorf("signing a signed catalog: %v", err)
	}
	// A byte of a member's hash changed after signing.
	s256 := sha256.Sum256(testMembers()[0].Data)
	i := bytes.Index(signed, s256[:])
	bad := bytes.Clone(signed)
	bad[i] ^= 1
	c, err = Parse(bad)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Verify(); err == nil || !sign.IsSignatureError(err) {
		t.Errorf("a changed hash: %v", err)
	}
	// ECDSA signs too (not reproducibly).
	es, _ := testSigner(t, true)
	esigned, err := Sign(ctx, unsigned, es, sign.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := Parse(esigned); err != nil || c.Verify() != nil {
		t.Errorf("ECDSA: %v", err)
	}
}

func realCTLString(t *testing.T, der []byte) string { return string(realCTL(t, der)) }

func pool(cs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range cs {
		p.AddCert(c)
	}
	return p
}

// TestSignedTools: osslsigncode verifies a signed catalog against the
// root (it reads .cat files), rejects it against another root, and
// openssl parses it and names the signed attributes the real catalogs
// carry.
func TestSignedTools(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	osslsigncode := testutil.Tool(t, "osslsigncode", "osslsigncode")
	s, pki := testSigner(t, false)
	unsigned, _ := Write(testMembers(), Options{Time: epoch})
	signed, err := Sign(context.Background(), unsigned, s, sign.SignOptions{SigningTime: epoch})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "content.cat")
	if err := os.WriteFile(path, signed, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(osslsigncode, "verify", "-CAfile", pki.RootPEM, "-in", path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Signature verification: ok") {
		t.Errorf("osslsigncode verify: %v\n%s", err, out)
	}
	other := testutil.NewPKI(t, "Other", false)
	if out, err := exec.Command(osslsigncode, "verify", "-CAfile", other.RootPEM, "-in", path).CombinedOutput(); err == nil {
		t.Errorf("osslsigncode verify with another root passed:\n%s", out)
	}
	out, err = exec.Command(openssl, "asn1parse", "-inform", "DER", "-in", path).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl asn1parse: %v\n%s", err, out)
	}
	for _, want := range []string{":1.3.6.1.4.1.311.10.1", ":contentType", ":messageDigest", ":signingTime", ":Microsoft Individual Code Signing", ":rsaEncryption"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("asn1parse output lacks %q", want)
		}
	}
}

// TestHasLooksUp: Has is a lookup in a set Parse builds once, not a scan
// of every subject per call. verify asks it a few times for each member
// of a package, and a hostile package pairs 65535 members with a catalog
// of ~230,000 subjects: a scan per call is 10^10 comparisons. The test
// takes the subjects away after Parse; a Has that scans them finds
// nothing.
func TestHasLooksUp(t *testing.T) {
	const n = 3000
	ms := make([]Member, n)
	for i := range ms {
		ms[i] = Member{Name: "m", Data: []byte(strings.Repeat("x", i))}
	}
	der, err := Write(ms, Options{Time: epoch})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.listed) != 2*n { // a SHA-1 and a SHA-256 subject per member; the latter's indirect digest is its ID
		t.Fatalf("Parse built a set of %d hashes, want %d", len(c.listed), 2*n)
	}
	c.Subjects = nil
	for _, m := range ms {
		s256, s1 := sha256.Sum256(m.Data), sha1.Sum(m.Data)
		if !c.Has(s256[:]) || !c.Has(s1[:]) {
			t.Fatalf("member of %d bytes: Has does not find it once the subjects are gone", len(m.Data))
		}
	}
	if c.Has(nil) || c.Has([]byte{}) {
		t.Error("Has finds an empty hash")
	}

	// A Catalog made without Parse gets its set on the first call, and
	// an indirect-data digest counts as well as an ID.
	id, sum := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	hand := &Catalog{Subjects: []Subject{{ID: id, SHA256: sum}, {ID: []byte{3}}}}
	if !hand.Has(sum) || !hand.Has(id) || !hand.Has([]byte{3}) || hand.Has(bytes.Repeat([]byte{4}, 32)) {
		t.Error("Has on a hand-made catalog")
	}
	if len(hand.listed) != 3 {
		t.Errorf("the hand-made catalog's set has %d hashes, want 3", len(hand.listed))
	}
}
