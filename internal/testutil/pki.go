package testutil

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// PKI is a throwaway certificate hierarchy for signing tests: a root CA,
// an intermediate CA and a code-signing leaf, with the PEM files written
// to Dir.
type PKI struct {
	Root, Intermediate, Leaf *x509.Certificate
	Key                      crypto.Signer // the leaf's

	Dir string
	// RootPEM is the root certificate; ChainPEM the leaf then the
	// intermediate; KeyPEM the leaf's key (PKCS#8).
	RootPEM, ChainPEM, KeyPEM string
}

// NewPKI makes a PKI in a new temporary directory. With ec, the leaf key
// is ECDSA P-256, otherwise RSA 2048. name goes into the subjects, so
// that two PKIs can be told apart.
func NewPKI(t testing.TB, name string, ec bool) *PKI {
	t.Helper()
	p := &PKI{Dir: t.TempDir()}
	rootKey := rsaKey(t)
	intKey := rsaKey(t)
	var leafKey crypto.Signer = rsaKey(t)
	if ec {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		leafKey = k
	}
	p.Key = leafKey
	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	ca := func(cn string, serial int64) *x509.Certificate {
		return &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn, Organization: []string{"provpack tests"}},
			NotBefore: start, NotAfter: end, IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		}
	}
	p.Root = sign(t, ca(name+" Root CA", 1), nil, rootKey, rootKey)
	p.Intermediate = sign(t, ca(name+" Code Signing CA", 2), p.Root, intKey, rootKey)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(0x1234567), Subject: pkix.Name{CommonName: name + " Signer", Organization: []string{"Contoso"}},
		NotBefore: start, NotAfter: end, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
	p.Leaf = sign(t, leaf, p.Intermediate, leafKey, intKey)
	p.RootPEM = p.write(t, "root.pem", pemCert(p.Root))
	p.ChainPEM = p.write(t, "chain.pem", append(pemCert(p.Leaf), pemCert(p.Intermediate)...))
	der, err := x509.MarshalPKCS8PrivateKey(leafKey)
	if err != nil {
		t.Fatal(err)
	}
	p.KeyPEM = p.write(t, "key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	return p
}

func (p *PKI) write(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(p.Dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func rsaKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sign(t testing.TB, tmpl, parent *x509.Certificate, pub crypto.Signer, by crypto.Signer) *x509.Certificate {
	t.Helper()
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub.Public(), by)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}
