package sign

import (
	"context"
	"encoding/asn1"
	"errors"
	"strings"
	"testing"

	"github.com/provpack/provpack/internal/testutil"
)

// signed returns a parsed SignedData over a small content, signed by a
// fresh RSA or EC key.
func signed(t *testing.T, ec bool) *Message {
	t.Helper()
	pki := testutil.NewPKI(t, "Parse", ec)
	s, err := LoadPEM(pki.ChainPEM, pki.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	content, _ := asn1.Marshal([]byte("content"))
	der, err := SignedData(context.Background(), s, OIDCTL, content, SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Verify(); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestVerifySignatureAlgorithmKeyType: a SignerInfo naming an ECDSA
// algorithm for an RSA key, or an RSA one for an EC key, is a bad
// signature even though the signature itself checks with the key. The
// algorithm is outside the signed attributes, so changing it in the
// parsed message stands for a file whose SignerInfo was edited.
func TestVerifySignatureAlgorithmKeyType(t *testing.T) {
	for _, tc := range []struct {
		ec   bool
		alg  asn1.ObjectIdentifier
		want string
	}{
		{false, oidECDSAWithSHA2, "bad signature: the signature algorithm 1.2.840.10045.4.3.2 is an ECDSA one, but the key of CN=Parse Signer,O=Contoso is RSA"},
		{false, oidECPublicKey, "is an ECDSA one, but the key of"},
		{true, oidSHA256WithRSA, "bad signature: the signature algorithm 1.2.840.113549.1.1.11 is an RSA one, but the key of CN=Parse Signer,O=Contoso is ECDSA"},
		{true, oidRSA, "is an RSA one, but the key of"},
		{false, asn1.ObjectIdentifier{1, 2, 3}, "bad signature: signature algorithm 1.2.3 is not supported"},
	} {
		m := signed(t, tc.ec)
		m.si.SignatureAlgorithm.Algorithm = tc.alg
		if err := m.Verify(); !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ec=%v, algorithm %s: %v\nwant %q", tc.ec, tc.alg, err, tc.want)
		}
	}
	// Each key type with every algorithm of its kind verifies.
	for _, tc := range []struct {
		ec   bool
		algs []asn1.ObjectIdentifier
	}{{false, signatureRSA}, {true, signatureECDSA}} {
		m := signed(t, tc.ec)
		for _, alg := range tc.algs {
			m.si.SignatureAlgorithm.Algorithm = alg
			if err := m.Verify(); err != nil {
				t.Errorf("ec=%v, algorithm %s: %v", tc.ec, alg, err)
			}
		}
	}
}

// TestVerifyContentTypeAttribute: a contentType attribute that is not an
// object identifier, or none at all, is named as such.
func TestVerifyContentTypeAttribute(t *testing.T) {
	m := signed(t, false)
	i := -1
	for j, a := range m.attrs {
		if a.Type.Equal(oidContentType) {
			i = j
		}
	}
	if i < 0 {
		t.Fatal("no contentType attribute")
	}
	m.attrs[i].Values.Bytes = []byte{0x04, 0x01, 0x00} // an OCTET STRING
	if err := m.Verify(); !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "bad signature: the contentType signed attribute does not hold an object identifier: asn1: structure error") {
		t.Errorf("an OCTET STRING as content type: %v", err)
	}
	m.attrs = append(m.attrs[:i], m.attrs[i+1:]...)
	if err := m.Verify(); !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "bad signature: the signed attributes have no contentType attribute") {
		t.Errorf("no content type: %v", err)
	}
}
