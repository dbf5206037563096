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
	p, err := WritePKI(t.TempDir(), name, ec)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// WritePKI is NewPKI into dir, for callers without a testing.TB (a
// testscript command).
func WritePKI(dir, name string, ec bool) (*PKI, error) {
	p := &PKI{Dir: dir}
	rootKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	intKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	var leafKey crypto.Signer
	if ec {
		leafKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	} else {
		leafKey, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		return nil, err
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
	if p.Root, err = issue(ca(name+" Root CA", 1), nil, rootKey, rootKey); err != nil {
		return nil, err
	}
	if p.Intermediate, err = issue(ca(name+" Code Signing CA", 2), p.Root, intKey, rootKey); err != nil {
		return nil, err
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(0x1234567), Subject: pkix.Name{CommonName: name + " Signer", Organization: []string{"Contoso"}},
		NotBefore: start, NotAfter: end, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
	if p.Leaf, err = issue(leaf, p.Intermediate, leafKey, intKey); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(leafKey)
	if err != nil {
		return nil, err
	}
	files := []struct {
		name string
		dst  *string
		data []byte
	}{
		{"root.pem", &p.RootPEM, pemCert(p.Root)},
		{"chain.pem", &p.ChainPEM, append(pemCert(p.Leaf), pemCert(p.Intermediate)...)},
		{"key.pem", &p.KeyPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})},
	}
	for _, f := range files {
		*f.dst = filepath.Join(dir, f.name)
		if err := os.WriteFile(*f.dst, f.data, 0o600); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func issue(tmpl, parent *x509.Certificate, pub crypto.Signer, by crypto.Signer) (*x509.Certificate, error) {
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub.Public(), by)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}
