package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"unicode/utf16"
)

// Authenticode identifiers ([MS-OSHARED]'s Authenticode section and
// Windows' wintrust.h).
var (
	oidSpcIndirectData     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 1, 4}
	oidSpcStatementType    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 1, 11}
	oidSpcIndividualSigner = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 1, 21}
	oidSpcCabData          = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 1, 25}
)

// spcLinkObsolete is the SpcLink a cabinet's SpcIndirectDataContent
// carries: file [2] { unicode [0] "<<<Obsolete>>>" }, as signtool and
// osslsigncode write it.
func spcLinkObsolete() []byte {
	var u []byte
	for _, r := range utf16.Encode([]rune("<<<Obsolete>>>")) {
		u = append(u, byte(r>>8), byte(r))
	}
	return tlv(0xA2, tlv(0x80, u))
}

// SignCabinet returns the DER Authenticode signature of a cabinet whose
// Authenticode digest (SHA-256, see cab.Cabinet.AuthenticodeDigest) is
// digest: a SignedData over an SpcIndirectDataContent of the cabinet
// content type, with the individual code-signing statement type among
// the signed attributes.
func SignCabinet(ctx context.Context, s *Signer, digest []byte, opt SignOptions) ([]byte, error) {
	if len(digest) != crypto.SHA256.Size() {
		return nil, fmt.Errorf("signing: a SHA-256 digest is %d bytes, not %d", crypto.SHA256.Size(), len(digest))
	}
	content := seq(
		seq(oid(oidSpcCabData), spcLinkObsolete()),
		seq(algID(oidSHA256, derNull), octets(digest)),
	)
	opt.Attributes = append(opt.Attributes, attribute(oidSpcStatementType, seq(oid(oidSpcIndividualSigner))))
	return SignedData(ctx, s, oidSpcIndirectData, content, opt)
}

type digestInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Digest    []byte
}

type spcIndirectData struct {
	Data          asn1.RawValue
	MessageDigest digestInfo
}

// FileDigest is the file digest an Authenticode signature carries in its
// SpcIndirectDataContent, and the algorithm of it.
func (m *Message) FileDigest() (crypto.Hash, []byte, error) {
	if !m.ContentType.Equal(oidSpcIndirectData) {
		return 0, nil, fmt.Errorf("%w: not an Authenticode signature (content type %s, not SpcIndirectDataContent)", ErrBadSignature, m.ContentType)
	}
	var idc spcIndirectData
	if _, err := asn1.Unmarshal(m.Content, &idc); err != nil {
		return 0, nil, fmt.Errorf("%w: the SpcIndirectDataContent: %v", ErrBadSignature, err)
	}
	h, ok := digestAlgorithms[idc.MessageDigest.Algorithm.Algorithm.String()]
	if !ok {
		return 0, nil, fmt.Errorf("%w: file digest algorithm %s is not supported", ErrBadSignature, idc.MessageDigest.Algorithm.Algorithm)
	}
	if len(idc.MessageDigest.Digest) != h.Size() {
		return 0, nil, fmt.Errorf("%w: the %s file digest is %d bytes", ErrBadSignature, h, len(idc.MessageDigest.Digest))
	}
	return h, idc.MessageDigest.Digest, nil
}

// CheckFileDigest compares the file digest the signature carries with
// the one computed from the file.
func (m *Message) CheckFileDigest(computed []byte) error {
	_, want, err := m.FileDigest()
	if err != nil {
		return err
	}
	if !bytes.Equal(want, computed) {
		return fmt.Errorf("%w: the file's digest %X is not the signed digest %X: the file changed after it was signed", ErrBadSignature, computed, want)
	}
	return nil
}

// IsSignatureError reports whether err is about the signature (bad or
// untrusted) rather than reading the file.
func IsSignatureError(err error) bool {
	return errors.Is(err, ErrBadSignature) || errors.Is(err, ErrUntrusted)
}
