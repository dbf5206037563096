package catalog

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf16"
)

// Object identifiers of the catalog's structures ([MS-CAT] and
// wincrypt.h names in comments).
var (
	OIDSignedData     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}      // pkcs7-signedData
	OIDCTL            = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 10, 1}    // szOID_CTL
	oidCatalogList    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 12, 1, 1} // szOID_CATALOG_LIST
	oidCatalogMember2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 12, 1, 3} // szOID_CATALOG_LIST_MEMBER_V2
	oidNameValue      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 12, 2, 1} // CAT_NAMEVALUE_OBJID
	oidMemberInfo2    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 12, 2, 3} // CAT_MEMBERINFO2_OBJID
	oidIndirectData   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 1, 4}  // SPC_INDIRECT_DATA_OBJID
	oidCabData        = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 1, 25} // SPC_CAB_DATA_OBJID: a flat-file hash
	oidSHA256         = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}  // id-sha256
	memberInfo2Value  = []byte{0x82, 0x00}                                     // [2] IMPLICIT, empty: as the platform writes it
	spcFileLinkEmpty  = []byte{0xa2, 0x02, 0x80, 0x00}                         // SpcLink file: SpcString unicode ""
	osAttrName        = "OSAttr"                                               // the catalog-wide name-value the platform's catalogs carry
	osAttrValue       = "2:6.1,2:6.0,2:5.2,2:5.1"                              // its value in them
	nameValueFlags    = 0x010001                                               // CRYPTCAT_ATTR_DATAASCII | CRYPTCAT_ATTR_NAMEASCII (mscat.h)
)

// Member is one file the catalog lists.
type Member struct {
	Name string
	Data []byte
}

// Options are the settings of Build; none comes from the host.
type Options struct {
	// Time is the catalog's ThisUpdate (SOURCE_DATE_EPOCH in a build).
	Time time.Time
}

// Signer turns the DER of a certificate trust list into the DER of a
// PKCS#7 ContentInfo holding a SignedData of that content.
type Signer interface {
	SignCatalog(ctx context.Context, ctl []byte) ([]byte, error)
}

// Unsigned is the Signer of an unsigned build: a SignedData with the
// SHA-256 digest algorithm, the CTL as its content, and no certificates
// and no signers. A signer added later fills the last two.
type Unsigned struct{}

// SignCatalog implements Signer.
func (Unsigned) SignCatalog(_ context.Context, ctl []byte) ([]byte, error) {
	return WrapSignedData(ctl, nil, nil)
}

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

var sha256Alg = algorithmIdentifier{Algorithm: oidSHA256, Parameters: asn1.NullRawValue}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,optional,tag:0"`
}

type signedData struct {
	Version          int
	DigestAlgorithms []algorithmIdentifier `asn1:"set"`
	ContentInfo      contentInfo
	Certificates     asn1.RawValue   `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue   `asn1:"optional,tag:1"`
	SignerInfos      []asn1.RawValue `asn1:"set"`
}

// WrapSignedData returns the DER ContentInfo of a PKCS#7 SignedData
// (version 1, digest algorithm SHA-256) whose content is the CTL ctl.
// certs is the DER of the [0] IMPLICIT certificate set's contents (nil
// for none); signerInfos are DER SignerInfo structures (none for an
// unsigned catalog).
func WrapSignedData(ctl []byte, certs []byte, signerInfos [][]byte) ([]byte, error) {
	sd := signedData{
		Version:          1,
		DigestAlgorithms: []algorithmIdentifier{sha256Alg},
		ContentInfo:      contentInfo{ContentType: OIDCTL, Content: asn1.RawValue{FullBytes: explicit0(ctl)}},
		SignerInfos:      []asn1.RawValue{},
	}
	if certs != nil {
		sd.Certificates = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: certs}
	}
	for _, si := range signerInfos {
		sd.SignerInfos = append(sd.SignerInfos, asn1.RawValue{FullBytes: si})
	}
	body, err := asn1.Marshal(sd)
	if err != nil {
		return nil, fmt.Errorf("encoding the catalog's SignedData: %w", err)
	}
	return asn1.Marshal(contentInfo{ContentType: OIDSignedData, Content: asn1.RawValue{FullBytes: explicit0(body)}})
}

// explicit0 wraps DER in a constructed [0] tag.
func explicit0(der []byte) []byte {
	b, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: der})
	return b
}

// The CTL (certificate trust list) of a catalog.
type certTrustList struct {
	SubjectUsage     []asn1.ObjectIdentifier
	ListIdentifier   []byte    `asn1:"optional"`
	ThisUpdate       time.Time // UTCTime within 1950..2049, GeneralizedTime outside
	SubjectAlgorithm algorithmIdentifier
	TrustedSubjects  []trustedSubject `asn1:"optional"`
	Extensions       asn1.RawValue    `asn1:"optional,explicit,tag:0"`
}

type trustedSubject struct {
	Identifier []byte
	Attributes []attribute `asn1:"set,optional"`
}

type attribute struct {
	Type   asn1.ObjectIdentifier
	Values []asn1.RawValue `asn1:"set"`
}

type extension struct {
	ID    asn1.ObjectIdentifier
	Value []byte
}

type spcIndirectData struct {
	Data   spcAttributeValue
	Digest digestInfo
}

type spcAttributeValue struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue `asn1:"optional"`
}

type digestInfo struct {
	Algorithm algorithmIdentifier
	Digest    []byte
}

// Build returns the DER of an unsigned catalog's CTL listing members: for
// each member a SHA-1 subject carrying only the member-info attribute,
// and a SHA-256 subject carrying it and an SPC_INDIRECT_DATA with the
// member's SHA-256 as a flat-file (SPC_CAB_DATA) hash, as the platform's
// catalogs list their members. Subjects are sorted by their identifier
// bytes. The list identifier is derived from the subjects, so equal
// members give equal bytes; its length, like every hash's, is fixed, so
// the catalog's size does not depend on the members' contents.
func Build(members []Member, opt Options) ([]byte, error) {
	var subjects []trustedSubject
	for _, m := range members {
		s1 := sha1.Sum(m.Data)
		s256 := sha256.Sum256(m.Data)
		ind, err := asn1.Marshal(spcIndirectData{
			Data:   spcAttributeValue{Type: oidCabData, Value: asn1.RawValue{FullBytes: spcFileLinkEmpty}},
			Digest: digestInfo{Algorithm: sha256Alg, Digest: s256[:]},
		})
		if err != nil {
			return nil, err
		}
		info := attribute{Type: oidMemberInfo2, Values: []asn1.RawValue{{FullBytes: memberInfo2Value}}}
		subjects = append(subjects,
			trustedSubject{Identifier: s1[:], Attributes: []attribute{info}},
			trustedSubject{Identifier: s256[:], Attributes: []attribute{info, {Type: oidIndirectData, Values: []asn1.RawValue{{FullBytes: ind}}}}},
		)
	}
	slices.SortStableFunc(subjects, func(a, b trustedSubject) int { return bytes.Compare(a.Identifier, b.Identifier) })
	id := sha256.New()
	for _, s := range subjects {
		id.Write(s.Identifier)
	}
	ext, err := osAttrExtension()
	if err != nil {
		return nil, err
	}
	c := certTrustList{
		SubjectUsage:     []asn1.ObjectIdentifier{oidCatalogList},
		ListIdentifier:   id.Sum(nil)[:16],
		ThisUpdate:       opt.Time.UTC().Truncate(time.Second),
		SubjectAlgorithm: algorithmIdentifier{Algorithm: oidCatalogMember2, Parameters: asn1.NullRawValue},
		TrustedSubjects:  subjects,
		Extensions:       asn1.RawValue{FullBytes: ext},
	}
	if len(subjects) == 0 {
		c.TrustedSubjects = nil
	}
	out, err := asn1.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encoding the catalog: %w", err)
	}
	return out, nil
}

// Write builds the catalog of members and has signer wrap it (Unsigned
// when signer is nil).
func Write(ctx context.Context, members []Member, opt Options, signer Signer) ([]byte, error) {
	ctl, err := Build(members, opt)
	if err != nil {
		return nil, err
	}
	if signer == nil {
		signer = Unsigned{}
	}
	return signer.SignCatalog(ctx, ctl)
}

// osAttrExtension is the [0] extensions of the platform's catalogs: one
// CAT_NAMEVALUE "OSAttr".
func osAttrExtension() ([]byte, error) {
	val := utf16le(osAttrValue + "\x00")
	seq, err := asn1.Marshal(struct {
		Name  asn1.RawValue
		Flags int
		Value []byte
	}{bmpString(osAttrName), nameValueFlags, val})
	if err != nil {
		return nil, err
	}
	exts, err := asn1.Marshal([]extension{{ID: oidNameValue, Value: seq}})
	if err != nil {
		return nil, err
	}
	return explicit0(exts), nil
}

func bmpString(s string) asn1.RawValue {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return asn1.RawValue{Class: asn1.ClassUniversal, Tag: 30, Bytes: b}
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

// Subject is one entry of a catalog as Parse reads it.
type Subject struct {
	// ID is the subject identifier: the hash of a member (20 bytes for
	// SHA-1, 32 for SHA-256).
	ID []byte
	// SHA256 is the SHA-256 the subject's SPC_INDIRECT_DATA carries, or
	// nil when it has none.
	SHA256 []byte
}

// Catalog is what Parse reads of a content catalog.
type Catalog struct {
	Subjects []Subject
	// Signed reports whether the SignedData has at least one signer.
	Signed bool
}

// Has reports whether the catalog lists data by its SHA-256 (as a
// subject identifier or in an indirect-data digest).
func (c *Catalog) Has(sum []byte) bool {
	for _, s := range c.Subjects {
		if bytes.Equal(s.ID, sum) || bytes.Equal(s.SHA256, sum) {
			return true
		}
	}
	return false
}

// Parse reads a content catalog: a ContentInfo holding a SignedData whose
// content is a CTL. It returns an error that says which layer is wrong.
func Parse(der []byte) (*Catalog, error) {
	var ci contentInfo
	if rest, err := asn1.Unmarshal(der, &ci); err != nil {
		return nil, fmt.Errorf("not a DER PKCS#7 ContentInfo: %w", err)
	} else if len(rest) > 0 {
		return nil, fmt.Errorf("%d bytes after the PKCS#7 ContentInfo", len(rest))
	}
	if !ci.ContentType.Equal(OIDSignedData) {
		return nil, fmt.Errorf("content type %v, want SignedData (%v)", ci.ContentType, OIDSignedData)
	}
	var sd signedData
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, fmt.Errorf("reading the SignedData: %w", err)
	}
	if !sd.ContentInfo.ContentType.Equal(OIDCTL) {
		return nil, fmt.Errorf("SignedData content type %v, want a certificate trust list (%v)", sd.ContentInfo.ContentType, OIDCTL)
	}
	var c certTrustList
	if _, err := asn1.Unmarshal(sd.ContentInfo.Content.Bytes, &c); err != nil {
		return nil, fmt.Errorf("reading the certificate trust list: %w", err)
	}
	if !slices.ContainsFunc(c.SubjectUsage, oidCatalogList.Equal) {
		return nil, errors.New("the certificate trust list is not a catalog list (no usage 1.3.6.1.4.1.311.12.1.1)")
	}
	out := &Catalog{Signed: len(sd.SignerInfos) > 0}
	for _, s := range c.TrustedSubjects {
		sub := Subject{ID: s.Identifier}
		for _, a := range s.Attributes {
			if !a.Type.Equal(oidIndirectData) || len(a.Values) == 0 {
				continue
			}
			var ind spcIndirectData
			if _, err := asn1.Unmarshal(a.Values[0].FullBytes, &ind); err != nil {
				return nil, fmt.Errorf("reading the indirect data of subject %x: %w", s.Identifier, err)
			}
			if ind.Digest.Algorithm.Algorithm.Equal(oidSHA256) {
				sub.SHA256 = ind.Digest.Digest
			}
		}
		out.Subjects = append(out.Subjects, sub)
	}
	return out, nil
}
