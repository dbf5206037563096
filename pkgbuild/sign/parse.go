package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"
)

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,optional,tag:0"`
}

type signedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	ContentInfo      contentInfo
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      []signerInfo  `asn1:"set"`
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type signerInfo struct {
	Version            int
	IssuerAndSerial    issuerAndSerial
	DigestAlgorithm    pkix.AlgorithmIdentifier
	AuthAttributes     asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnauthAttributes   asn1.RawValue `asn1:"optional,tag:1"`
}

type attr struct {
	Type   asn1.ObjectIdentifier
	Values asn1.RawValue
}

// Message is a parsed PKCS#7 SignedData and its first signer.
type Message struct {
	ContentType asn1.ObjectIdentifier
	// Content is the DER of the signed content, its tag included.
	Content      []byte
	Certificates []*x509.Certificate
	// Signer is the certificate of the first SignerInfo, found among
	// Certificates by issuer and serial number; nil when absent.
	Signer *x509.Certificate
	// Issuer and Serial identify the signer as the SignerInfo does.
	Issuer pkix.RDNSequence
	Serial *big.Int
	Digest crypto.Hash // of the SignerInfo
	// SigningTime is the signingTime attribute; zero when there is none.
	SigningTime time.Time
	// Signers counts the SignerInfos.
	Signers int

	si     signerInfo
	attrs  []attr
	digest []byte // the messageDigest attribute
}

// Parse reads a DER PKCS#7 ContentInfo holding a SignedData. Zero bytes
// after it (a cabinet pads its signature to 8 bytes) are allowed.
func Parse(der []byte) (*Message, error) {
	var ci contentInfo
	rest, err := asn1.Unmarshal(der, &ci)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotSignedData, err)
	}
	if len(rest) >= 8 || bytes.IndexFunc(rest, func(r rune) bool { return r != 0 }) >= 0 {
		return nil, errTrailingGarble
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, fmt.Errorf("%w: content type %s", errNotSignedData, ci.ContentType)
	}
	var sd signedData
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, fmt.Errorf("%w: %v", errNotSignedData, err)
	}
	if len(sd.SignerInfos) == 0 {
		return nil, errors.New("the PKCS#7 SignedData has no signer")
	}
	// The [0] EXPLICIT wrapper holds the content.
	var content asn1.RawValue
	if _, err := asn1.Unmarshal(sd.ContentInfo.Content.Bytes, &content); err != nil {
		return nil, fmt.Errorf("%w: the signed content: %v", errNotSignedData, err)
	}
	m := &Message{ContentType: sd.ContentInfo.ContentType, Content: content.FullBytes, Signers: len(sd.SignerInfos), si: sd.SignerInfos[0]}
	if len(sd.Certificates.Bytes) > 0 {
		if m.Certificates, err = x509.ParseCertificates(sd.Certificates.Bytes); err != nil {
			return nil, fmt.Errorf("the signature's certificates: %w", err)
		}
	}
	si := m.si
	if _, err := asn1.Unmarshal(si.IssuerAndSerial.Issuer.FullBytes, &m.Issuer); err != nil {
		return nil, fmt.Errorf("the signer's issuer: %w", err)
	}
	m.Serial = si.IssuerAndSerial.Serial
	for _, c := range m.Certificates {
		if bytes.Equal(c.RawIssuer, si.IssuerAndSerial.Issuer.FullBytes) && c.SerialNumber.Cmp(m.Serial) == 0 {
			m.Signer = c
			break
		}
	}
	var ok bool
	if m.Digest, ok = digestAlgorithms[si.DigestAlgorithm.Algorithm.String()]; !ok {
		return nil, fmt.Errorf("the signature's digest algorithm %s is not supported (SHA-1, SHA-256, SHA-384, SHA-512 are)", si.DigestAlgorithm.Algorithm)
	}
	if len(si.AuthAttributes.Bytes) > 0 {
		rest := si.AuthAttributes.Bytes
		for len(rest) > 0 {
			var a attr
			if rest, err = asn1.Unmarshal(rest, &a); err != nil {
				return nil, fmt.Errorf("the signed attributes: %w", err)
			}
			m.attrs = append(m.attrs, a)
			switch {
			case a.Type.Equal(oidMessageDigest):
				if _, err := asn1.Unmarshal(a.Values.Bytes, &m.digest); err != nil {
					return nil, fmt.Errorf("the messageDigest attribute: %w", err)
				}
			case a.Type.Equal(oidSigningTime):
				if _, err := asn1.Unmarshal(a.Values.Bytes, &m.SigningTime); err != nil {
					return nil, fmt.Errorf("the signingTime attribute: %w", err)
				}
			}
		}
	}
	return m, nil
}

// SignerName is the signer's subject, or "issuer ..., serial ..." when
// its certificate is not in the message.
func (m *Message) SignerName() string {
	if m.Signer != nil {
		return m.Signer.Subject.String()
	}
	var n pkix.Name
	n.FillFromRDNSequence(&m.Issuer)
	return fmt.Sprintf("(certificate not included: issuer %s, serial %s)", n, SerialHex(m.Serial))
}

// SerialHex is a serial number as certificate viewers show it.
func SerialHex(n *big.Int) string {
	if n == nil {
		return ""
	}
	return strings.ToUpper(n.Text(16))
}

// DigestName names a digest algorithm: "SHA-256".
func DigestName(h crypto.Hash) string { return h.String() }

// ErrBadSignature is wrapped by every error of a signature that does not
// match what it signs.
var ErrBadSignature = errors.New("bad signature")

// Verify checks the signature itself: the messageDigest attribute
// against the content, and the signer's signature over the signed
// attributes (or over the content's digest when there are none) with the
// signer certificate's key. It does not judge the certificate; see
// VerifyChain.
func (m *Message) Verify() error {
	if m.Signer == nil {
		return fmt.Errorf("%w: the signer's certificate (issuer %s, serial %s) is not in the signature", ErrBadSignature, m.SignerName(), SerialHex(m.Serial))
	}
	var raw asn1.RawValue
	if _, err := asn1.Unmarshal(m.Content, &raw); err != nil {
		return fmt.Errorf("%w: the signed content: %v", ErrBadSignature, err)
	}
	h := m.Digest.New()
	h.Write(raw.Bytes)
	contentDigest := h.Sum(nil)
	signed := contentDigest
	if len(m.attrs) > 0 {
		if !bytes.Equal(m.digest, contentDigest) {
			return fmt.Errorf("%w: the messageDigest attribute does not match the signed content", ErrBadSignature)
		}
		var ct asn1.ObjectIdentifier
		found := false
		for _, a := range m.attrs {
			if !a.Type.Equal(oidContentType) {
				continue
			}
			found = true
			if _, err := asn1.Unmarshal(a.Values.Bytes, &ct); err != nil {
				return fmt.Errorf("%w: the contentType signed attribute does not hold an object identifier: %v", ErrBadSignature, err)
			}
		}
		switch {
		case !found:
			return fmt.Errorf("%w: the signed attributes have no contentType attribute, which PKCS#7 requires", ErrBadSignature)
		case !ct.Equal(m.ContentType):
			return fmt.Errorf("%w: the contentType attribute (%s) is not the content's type (%s)", ErrBadSignature, ct, m.ContentType)
		}
		full := slices.Clone(m.si.AuthAttributes.FullBytes)
		full[0] = 0x31 // signed as a SET OF
		h := m.Digest.New()
		h.Write(full)
		signed = h.Sum(nil)
	}
	if err := m.checkSignatureAlgorithm(); err != nil {
		return err
	}
	if err := checkSignature(m.Signer.PublicKey, m.Digest, signed, m.si.Signature); err != nil {
		return fmt.Errorf("%w: the signature does not verify with the key of %s: %v", ErrBadSignature, m.Signer.Subject, err)
	}
	return nil
}

// checkSignatureAlgorithm checks that the SignerInfo's signature
// algorithm is one provpack verifies and is made for the signer's key
// type: an RSA algorithm with an RSA key, an ECDSA one with an EC key.
func (m *Message) checkSignatureAlgorithm() error {
	alg := m.si.SignatureAlgorithm.Algorithm
	isRSA, isECDSA := slices.ContainsFunc(signatureRSA, alg.Equal), slices.ContainsFunc(signatureECDSA, alg.Equal)
	if !isRSA && !isECDSA {
		return fmt.Errorf("%w: signature algorithm %s is not supported (RSA and ECDSA are)", ErrBadSignature, alg)
	}
	switch m.Signer.PublicKey.(type) {
	case *rsa.PublicKey:
		if !isRSA {
			return fmt.Errorf("%w: the signature algorithm %s is an ECDSA one, but the key of %s is RSA", ErrBadSignature, alg, m.Signer.Subject)
		}
	case *ecdsa.PublicKey:
		if !isECDSA {
			return fmt.Errorf("%w: the signature algorithm %s is an RSA one, but the key of %s is ECDSA", ErrBadSignature, alg, m.Signer.Subject)
		}
	}
	return nil
}

// ErrUntrusted is wrapped by every error of a chain that does not lead
// to a trusted root for code signing.
var ErrUntrusted = errors.New("untrusted signer")

// VerifyChain checks that the signer's certificate is for code signing
// (codeSigningUsage) and chains, through the certificates in the message,
// to one of roots, at time at, with a chain that allows code signing.
func (m *Message) VerifyChain(roots *x509.CertPool, at time.Time) error {
	if m.Signer == nil {
		return fmt.Errorf("%w: the signer's certificate is not in the signature", ErrUntrusted)
	}
	if err := codeSigningUsage(m.Signer); err != nil {
		return fmt.Errorf("%w: %v", ErrUntrusted, err)
	}
	inter := x509.NewCertPool()
	for _, c := range m.Certificates {
		if c != m.Signer {
			inter.AddCert(c)
		}
	}
	_, err := m.Signer.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	})
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUntrusted, m.Signer.Subject, err)
	}
	return nil
}

// codeSigningUsage checks that c is a code-signing certificate, as
// Windows requires of an Authenticode signer: its extended key usages
// include code signing, and its key usage, when it has one, includes
// digital signature. Go's chain verifier alone takes a certificate with
// no extended key usage as good for any use, which would let a pinned
// root or a TLS certificate sign packages.
func codeSigningUsage(c *x509.Certificate) error {
	if !slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageCodeSigning) {
		others := ""
		if len(c.ExtKeyUsage) > 0 || len(c.UnknownExtKeyUsage) > 0 {
			others = ", only other ones"
		}
		return fmt.Errorf("signer certificate %s is not for code signing: it has no code-signing extended key usage%s; sign with a certificate issued with extendedKeyUsage codeSigning (1.3.6.1.5.5.7.3.3)", c.Subject, others)
	}
	if c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return fmt.Errorf("signer certificate %s is not for code signing: its key usage does not include digital signature; sign with a certificate whose keyUsage includes digitalSignature", c.Subject)
	}
	return nil
}

// LoadRoots reads trusted root certificates from PEM files (verify
// --trust, which its errors name).
func LoadRoots(paths []string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	for _, p := range paths {
		certs, err := loadCerts(p, true)
		if err != nil {
			return nil, err
		}
		for _, c := range certs {
			pool.AddCert(c)
		}
	}
	return pool, nil
}
