package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"
)

// Object identifiers of PKCS#7, PKCS#9 and the algorithms used.
var (
	oidSignedData     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidContentType    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningTime    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidSHA1           = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256         = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384         = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512         = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidRSA            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA1WithRSA    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	oidSHA256WithRSA  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA384WithRSA  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512WithRSA  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidECDSAWithSHA1  = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	oidECDSAWithSHA2  = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA3  = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSAWithSHA4  = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	oidECPublicKey    = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	derNull           = []byte{0x05, 0x00}
	digestAlgorithms  = map[string]crypto.Hash{oidSHA1.String(): crypto.SHA1, oidSHA256.String(): crypto.SHA256, oidSHA384.String(): crypto.SHA384, oidSHA512.String(): crypto.SHA512}
	signatureRSA      = []asn1.ObjectIdentifier{oidRSA, oidSHA1WithRSA, oidSHA256WithRSA, oidSHA384WithRSA, oidSHA512WithRSA}
	signatureECDSA    = []asn1.ObjectIdentifier{oidECPublicKey, oidECDSAWithSHA1, oidECDSAWithSHA2, oidECDSAWithSHA3, oidECDSAWithSHA4}
	errNotSignedData  = errors.New("not a PKCS#7 SignedData")
	errTrailingGarble = errors.New("bytes other than zero padding follow the PKCS#7 signature")
)

// DER building blocks: provpack's signatures are written byte by byte,
// so that equal inputs give equal bytes.

func tlv(tag byte, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := []byte{tag}
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	case n < 0x10000:
		out = append(out, 0x82, byte(n>>8), byte(n))
	case n < 0x1000000:
		out = append(out, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		out = append(out, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func seq(parts ...[]byte) []byte { return tlv(0x30, parts...) }

// setOf is a DER SET OF: its elements sorted by their encodings.
func setOf(elems ...[]byte) []byte {
	s := slices.Clone(elems)
	slices.SortFunc(s, bytes.Compare)
	return tlv(0x31, s...)
}

func oid(o asn1.ObjectIdentifier) []byte {
	b, err := asn1.Marshal(o)
	if err != nil {
		panic(err) // constant identifiers only
	}
	return b
}

func integer(n *big.Int) []byte {
	b, err := asn1.Marshal(n)
	if err != nil {
		panic(err) // a *big.Int always marshals
	}
	return b
}

func octets(b []byte) []byte { return tlv(0x04, b) }

func algID(o asn1.ObjectIdentifier, params ...[]byte) []byte {
	return seq(append([][]byte{oid(o)}, params...)...)
}

func attribute(t asn1.ObjectIdentifier, values ...[]byte) []byte {
	return seq(oid(t), setOf(values...))
}

// utcTime is a UTCTime (years 1950..2049) or else a GeneralizedTime, as
// RFC 5652 asks of signingTime.
func utcTime(t time.Time) []byte {
	t = t.UTC()
	if y := t.Year(); y >= 1950 && y < 2050 {
		return tlv(0x17, []byte(t.Format("060102150405Z")))
	}
	return tlv(0x18, []byte(t.Format("20060102150405Z")))
}

// SignOptions are the settings of SignedData.
type SignOptions struct {
	// SigningTime, when not zero, is written as the signingTime
	// attribute. A reproducible build takes it from SOURCE_DATE_EPOCH
	// or leaves it out.
	SigningTime time.Time
	// Attributes are further signed attributes, each a DER Attribute.
	Attributes [][]byte
}

// SignedData signs content (the DER of the content, with its own tag)
// of type contentType and returns the DER ContentInfo of a PKCS#7
// SignedData (version 1) with the certificates of s and one SignerInfo.
// The message digest is SHA-256 over the content's value octets (without
// its tag and length), as PKCS#7 and Authenticode have it. The
// signature is over the signed attributes: content type, message digest,
// the signing time if opt has one, and opt.Attributes.
func SignedData(ctx context.Context, s *Signer, contentType asn1.ObjectIdentifier, content []byte, opt SignOptions) ([]byte, error) {
	var raw asn1.RawValue
	if rest, err := asn1.Unmarshal(content, &raw); err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("signing: the content is not one DER value")
	}
	md := crypto.SHA256.New()
	md.Write(raw.Bytes)
	attrs := [][]byte{
		attribute(oidContentType, oid(contentType)),
		attribute(oidMessageDigest, octets(md.Sum(nil))),
	}
	if !opt.SigningTime.IsZero() {
		attrs = append(attrs, attribute(oidSigningTime, utcTime(opt.SigningTime)))
	}
	attrs = append(attrs, opt.Attributes...)
	signedAttrs := setOf(attrs...) // signed with the SET tag, stored [0] IMPLICIT
	h := crypto.SHA256.New()
	h.Write(signedAttrs)
	digest := h.Sum(nil)
	var sig []byte
	var err error
	if cs, ok := s.Key.(ContextSigner); ok {
		sig, err = cs.SignContext(ctx, digest, crypto.SHA256)
	} else {
		sig, err = s.Key.Sign(rand.Reader, digest, crypto.SHA256)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("signing with %s: %w", s.Leaf().Subject, err)
	}
	sigAlg := algID(oidRSA, derNull)
	if _, ok := s.Key.Public().(*ecdsa.PublicKey); ok {
		sigAlg = algID(oidECDSAWithSHA2)
	}
	leaf := s.Leaf()
	signerInfo := seq(
		integer(big.NewInt(1)),
		seq(leaf.RawIssuer, integer(leaf.SerialNumber)),
		algID(oidSHA256, derNull),
		append([]byte{0xA0}, signedAttrs[1:]...),
		sigAlg,
		octets(sig),
	)
	var certs [][]byte
	for _, c := range s.Chain {
		certs = append(certs, c.Raw)
	}
	return writeSignedData(contentType, content, tlv(0xA0, certs...), signerInfo), nil
}

// Unsigned returns the DER ContentInfo of a PKCS#7 SignedData of content
// (of type contentType) with the SHA-256 digest algorithm and no
// certificates and no signers: the shape of an unsigned Windows catalog,
// which a signer fills in later (see SignCatalog).
func Unsigned(contentType asn1.ObjectIdentifier, content []byte) ([]byte, error) {
	var raw asn1.RawValue
	if rest, err := asn1.Unmarshal(content, &raw); err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("signing: the content is not one DER value")
	}
	return writeSignedData(contentType, content, nil, nil), nil
}

// writeSignedData is the one writer of a SignedData (version 1, SHA-256):
// certs is the [0] certificate set or nil, signerInfo one SignerInfo or
// nil.
func writeSignedData(contentType asn1.ObjectIdentifier, content, certs, signerInfo []byte) []byte {
	var infos [][]byte
	if signerInfo != nil {
		infos = append(infos, signerInfo)
	}
	sd := seq(
		integer(big.NewInt(1)),
		setOf(algID(oidSHA256, derNull)),
		seq(oid(contentType), tlv(0xA0, content)),
		certs,
		setOf(infos...),
	)
	return seq(oid(oidSignedData), tlv(0xA0, sd))
}
