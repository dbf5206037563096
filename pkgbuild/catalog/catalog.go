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

	"github.com/provpack/provpack/pkgbuild/sign"
)

// Object identifiers of the catalog's structures ([MS-CAT] and
// wincrypt.h names in comments).
var (
	oidSignedData     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}      // pkcs7-signedData
	OIDCTL            = sign.OIDCTL                                            // szOID_CTL
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

// Write returns an unsigned catalog listing members: the CTL of Build
// in a PKCS#7 SignedData with the SHA-256 digest algorithm and no
// certificates and no signers. Sign signs it.
func Write(members []Member, opt Options) ([]byte, error) {
	ctl, err := Build(members, opt)
	if err != nil {
		return nil, err
	}
	return sign.Unsigned(OIDCTL, ctl)
}

// Sign signs an unsigned catalog (from Write) with s: the same
// certificate trust list, now in a SignedData with s's certificates and
// one signer (sign.SignCatalog). The signed catalog is longer; the
// unsigned one's size is what a w10m manifest records.
func Sign(ctx context.Context, unsigned []byte, s *sign.Signer, opt sign.SignOptions) ([]byte, error) {
	ctl, signers, err := parseCTL(unsigned)
	if err != nil {
		return nil, fmt.Errorf("signing the catalog: %w", err)
	}
	if signers > 0 {
		return nil, errors.New("signing the catalog: it is signed already")
	}
	return sign.SignCatalog(ctx, s, ctl, opt)
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
	// Signature is the signature of a signed catalog, nil when it is
	// unsigned or its signature cannot be read (SignatureErr says why).
	Signature    *sign.Message
	SignatureErr error

	// listed holds every subject's ID and SHA-256 (as strings), so that
	// Has is one lookup: a package's verify asks it a few times per
	// member, and a hostile package may have 65535 members and a catalog
	// of hundreds of thousands of subjects. Parse fills it; Has fills it
	// from Subjects on a Catalog made another way.
	listed map[string]struct{}
}

// Verify checks a signed catalog's signature over its certificate trust
// list (sign.Message.Verify: the message digest and the signature with
// the signer's key); the chain is the caller's to judge. It returns an
// error wrapping sign.ErrBadSignature when the catalog is signed and the
// signature does not hold, and nil for a good one. An unsigned catalog
// has nothing to verify: Verify returns nil and Signed says false.
func (c *Catalog) Verify() error {
	switch {
	case !c.Signed:
		return nil
	case c.SignatureErr != nil:
		return fmt.Errorf("%w: the catalog's signature cannot be read: %v", sign.ErrBadSignature, c.SignatureErr)
	case !c.Signature.ContentType.Equal(OIDCTL):
		return fmt.Errorf("%w: the catalog's signature covers content of type %s, not a certificate trust list", sign.ErrBadSignature, c.Signature.ContentType)
	}
	return c.Signature.Verify()
}

// Has reports whether the catalog lists data by its SHA-256 (as a
// subject identifier or in an indirect-data digest). It looks the sum up
// in a set of the subjects' hashes built once, so its cost does not grow
// with the number of subjects; Subjects must not change after the first
// call on a Catalog that Parse did not make.
func (c *Catalog) Has(sum []byte) bool {
	if c.listed == nil {
		c.index()
	}
	_, ok := c.listed[string(sum)]
	return ok
}

// index builds the set Has looks in.
func (c *Catalog) index() {
	c.listed = make(map[string]struct{}, 2*len(c.Subjects))
	for _, s := range c.Subjects {
		c.listed[string(s.ID)] = struct{}{}
		if s.SHA256 != nil {
			c.listed[string(s.SHA256)] = struct{}{}
		}
	}
}

// parseCTL reads a ContentInfo holding a SignedData whose content is a
// CTL and returns the CTL's DER and the number of signers.
func parseCTL(der []byte) ([]byte, int, error) {
	var ci contentInfo
	if rest, err := asn1.Unmarshal(der, &ci); err != nil {
		return nil, 0, fmt.Errorf("not a DER PKCS#7 ContentInfo: %w", err)
	} else if len(rest) > 0 {
		return nil, 0, fmt.Errorf("%d bytes after the PKCS#7 ContentInfo", len(rest))
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, 0, fmt.Errorf("content type %v, want SignedData (%v)", ci.ContentType, oidSignedData)
	}
	var sd signedData
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, 0, fmt.Errorf("reading the SignedData: %w", err)
	}
	if !sd.ContentInfo.ContentType.Equal(OIDCTL) {
		return nil, 0, fmt.Errorf("SignedData content type %v, want a certificate trust list (%v)", sd.ContentInfo.ContentType, OIDCTL)
	}
	return sd.ContentInfo.Content.Bytes, len(sd.SignerInfos), nil
}

// Parse reads a content catalog: a ContentInfo holding a SignedData whose
// content is a CTL. It returns an error that says which layer is wrong.
// A signature that cannot be read is not an error of the catalog's: it
// is in SignatureErr, for Verify to report.
func Parse(der []byte) (*Catalog, error) {
	ctl, signers, err := parseCTL(der)
	if err != nil {
		return nil, err
	}
	var c certTrustList
	if _, err := asn1.Unmarshal(ctl, &c); err != nil {
		return nil, fmt.Errorf("reading the certificate trust list: %w", err)
	}
	if !slices.ContainsFunc(c.SubjectUsage, oidCatalogList.Equal) {
		return nil, errors.New("the certificate trust list is not a catalog list (no usage 1.3.6.1.4.1.311.12.1.1)")
	}
	out := &Catalog{Signed: signers > 0}
	if out.Signed {
		out.Signature, out.SignatureErr = sign.Parse(der)
	}
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
	out.index()
	return out, nil
}
