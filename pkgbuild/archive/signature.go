package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/provpack/provpack/internal/quote"
	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/cab"
	"github.com/provpack/provpack/pkgbuild/catalog"
	"github.com/provpack/provpack/pkgbuild/sign"
)

// Signature is what inspect shows of an archive's Authenticode signature.
type Signature struct {
	Subject         string     `json:"subject"`
	Issuer          string     `json:"issuer"`
	Serial          string     `json:"serial"`
	DigestAlgorithm string     `json:"digestAlgorithm"`
	SigningTime     *time.Time `json:"signingTime,omitempty"`
	// Valid says whether the signature matches the archive's bytes (the
	// file digest and the signature over it); Problem says why not.
	Valid   bool   `json:"valid"`
	Problem string `json:"problem,omitempty"`
}

// The kinds of signature problem verify names (Problem.Kind).
const (
	// KindUnsigned: no signature where one is expected (verify --trust,
	// or a report that says the archive was signed).
	KindUnsigned = "signature-missing"
	// KindBadSignature: the signature does not match the bytes, or
	// cannot be read.
	KindBadSignature = "signature-invalid"
	// KindUntrusted: the signature matches, but its certificate does not
	// chain to a trusted root for code signing.
	KindUntrusted = "signature-untrusted"
	// KindSignerMismatch: the signature matches, but its signer is not
	// the one the report names.
	KindSignerMismatch = "signature-mismatch"
)

// SignerID names a signing certificate as a build report does: its
// subject and issuer as pkix.Name.String writes them, and its serial
// number in hex (sign.SerialHex).
type SignerID struct {
	Subject, Issuer, Serial string
}

// sigState collects what a walk of a cabinet found of its signature.
type sigState struct {
	signed bool
	msg    *sign.Message // nil when it could not be parsed
	err    error         // why the signature is not valid; nil when it is
}

// check reads and checks the signature of c: the file digest recomputed
// with the algorithm the signature names, and the signature over it.
func (s *sigState) check(c *cab.Cabinet) {
	s.signed = c.IsSigned()
	if !s.signed {
		return
	}
	der, err := c.SignatureBytes()
	if err != nil {
		s.err = fmt.Errorf("%w: %v", sign.ErrBadSignature, err)
		return
	}
	m, err := sign.Parse(der)
	if err != nil {
		s.err = fmt.Errorf("%w: the signature area after cbCabinet does not hold a readable signature: %v", sign.ErrBadSignature, err)
		return
	}
	s.msg = m
	alg, _, err := m.FileDigest()
	if err != nil {
		s.err = err
		return
	}
	h := alg.New()
	if err := c.AuthenticodeDigest(h); err != nil {
		s.err = err
		return
	}
	if err := m.CheckFileDigest(h.Sum(nil)); err != nil {
		s.err = err
		return
	}
	s.err = m.Verify()
}

// info is the signature as inspect shows it; nil when unsigned.
func (s *sigState) info() *Signature {
	if !s.signed {
		return nil
	}
	return signatureInfo(s.msg, s.err)
}

// signatureInfo is a signature as inspect shows it: m (nil when it
// could not be read) and why it is not valid (nil when it is).
func signatureInfo(m *sign.Message, problem error) *Signature {
	out := &Signature{Valid: problem == nil}
	if problem != nil {
		out.Problem = problem.Error()
	}
	if m != nil {
		out.Subject = m.SignerName()
		var issuer pkix.Name
		issuer.FillFromRDNSequence(&m.Issuer)
		out.Issuer = issuer.String()
		out.Serial = sign.SerialHex(m.Serial)
		out.DigestAlgorithm = sign.DigestName(m.Digest)
		if !m.SigningTime.IsZero() {
			t := m.SigningTime.UTC()
			out.SigningTime = &t
		}
	}
	return out
}

// catalogSignature is the signature of a w10m content catalog as inspect
// shows it; nil when the catalog is unsigned or cannot be read.
func catalogSignature(data []byte) *Signature {
	c, err := catalog.Parse(data)
	if err != nil || !c.Signed {
		return nil
	}
	return signatureInfo(c.Signature, c.Verify())
}

// VerifyOptions are the signature checks of Verify.
type VerifyOptions struct {
	// Roots, when not nil, are the trusted roots: the archive must be
	// signed, and the signer's chain must lead to one of them for code
	// signing.
	Roots *x509.CertPool
	// RequireSigned makes an unsigned archive a problem (a report says
	// the archive was signed).
	RequireSigned bool
	// Now is the time certificates are checked at; zero means now.
	Now time.Time
}

// now is the time certificates are checked at.
func (o VerifyOptions) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}

// signatureProblems are verify's problems with the signature of an
// archive.
func signatureProblems(format manifest.Format, s *sigState, opt VerifyOptions) []Problem {
	var ps []Problem
	add := func(kind, format string, args ...any) {
		ps = append(ps, Problem{Kind: kind, Msg: fmt.Sprintf(format, args...)})
	}
	switch {
	case !s.signed:
		why := ""
		switch {
		case opt.Roots != nil:
			why = "verify --trust asks for a signed archive"
		case opt.RequireSigned:
			why = "report.json says it was signed"
		default:
			return nil
		}
		if format == manifest.FormatTarZst {
			add(KindUnsigned, "unsigned: a tar.zst archive has no Authenticode signature, but %s", why)
		} else {
			add(KindUnsigned, "unsigned: the cabinet has no Authenticode signature, but %s", why)
		}
	case s.err != nil:
		add(KindBadSignature, "%v", s.err)
	case opt.Roots != nil:
		if err := s.msg.VerifyChain(opt.Roots, opt.now()); err != nil {
			add(KindUntrusted, "%v", err)
		}
	}
	return ps
}

// signerProblems compares the signer of a cabinet's good signature with
// want, the signer a report names (nil: none named). An unsigned archive
// or a bad signature is signatureProblems' to report: the signer of a
// signature that does not hold says nothing.
func signerProblems(s *sigState, want *SignerID) []Problem {
	if want == nil || !s.signed || s.err != nil || s.msg == nil {
		return nil
	}
	got := signatureInfo(s.msg, nil)
	if got.Subject == want.Subject && got.Issuer == want.Issuer && strings.EqualFold(got.Serial, want.Serial) {
		return nil
	}
	return []Problem{{Kind: KindSignerMismatch, Msg: fmt.Sprintf(
		"wrong signer: the cabinet is signed by %s (issuer %s, serial %s), but report.json says %s (issuer %s, serial %s); it was signed again or replaced after the build, or report.json was edited",
		quote.Name(got.Subject), quote.Name(got.Issuer), quote.Name(got.Serial), quote.Name(want.Subject), quote.Name(want.Issuer), quote.Name(want.Serial))}}
}

// catalogSignatureProblems are verify's problems with the signature of
// a w10m content catalog (c; nil when the archive has none, it is too
// large or it cannot be read, which verifyW10M reports): a signature
// that does not hold over the catalog, with opt.Roots a signer that does
// not chain to a trusted root, and an unsigned catalog where a signed
// one is expected (the cabinet is signed, --trust, or the report says
// signed).
func catalogSignatureProblems(c *catalog.Catalog, cabSigned bool, opt VerifyOptions) []Problem {
	if c == nil {
		return nil
	}
	var ps []Problem
	add := func(kind, format string, args ...any) {
		ps = append(ps, Problem{Kind: kind, Msg: fmt.Sprintf(format, args...)})
	}
	switch {
	case !c.Signed:
		why := ""
		switch {
		case cabSigned:
			why = "the cabinet is signed, and a signed package's catalog is signed with it (build with the signing key signs both)"
		case opt.Roots != nil:
			why = "verify --trust asks for a signed catalog"
		case opt.RequireSigned:
			why = "report.json says the package was signed"
		default:
			return nil
		}
		add(KindUnsigned, "unsigned: %s has no signature, but %s", CatalogW10M, why)
	default:
		if err := c.Verify(); err != nil {
			add(KindBadSignature, "%s: %s: %s", sign.ErrBadSignature, CatalogW10M, strings.TrimPrefix(err.Error(), sign.ErrBadSignature.Error()+": "))
			break
		}
		if opt.Roots == nil {
			break
		}
		if err := c.Signature.VerifyChain(opt.Roots, opt.now()); err != nil {
			add(KindUntrusted, "%s: %s: %s", sign.ErrUntrusted, CatalogW10M, strings.TrimPrefix(err.Error(), sign.ErrUntrusted.Error()+": "))
		}
	}
	return ps
}

// WriteSigned writes members as a cabinet (see Write) with an
// Authenticode signature by s after cbCabinet: the cabinet is built with
// the 20-byte signature directory in its header, its Authenticode
// SHA-256 digest is signed, and the signature appended. A w10m content
// catalog among members (unsigned, from BuildMembers) is signed by s
// first, with the same options, so that the cabinet holds and signs the
// signed catalog.
func WriteSigned(ctx context.Context, w io.Writer, members []Member, mod time.Time, s *sign.Signer, opt sign.SignOptions) error {
	members, err := signCatalog(ctx, members, s, opt)
	if err != nil {
		return err
	}
	return writeSignedCabinet(ctx, w, members, mod, s, opt)
}

// writeSignedCabinet is WriteSigned without the catalog: members as they
// are.
func writeSignedCabinet(ctx context.Context, w io.Writer, members []Member, mod time.Time, s *sign.Signer, opt sign.SignOptions) error {
	var buf bytes.Buffer
	if err := write(&buf, manifest.FormatCab, members, mod, true); err != nil {
		return err
	}
	data := buf.Bytes()
	c, err := cab.Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("reading back the cabinet to sign: %w", err)
	}
	h := sha256.New()
	if err := c.AuthenticodeDigest(h); err != nil {
		return err
	}
	sig, err := sign.SignCabinet(ctx, s, h.Sum(nil), opt)
	if err != nil {
		return err
	}
	out, err := cab.AppendSignature(data, sig)
	if err != nil {
		return err
	}
	if _, err := w.Write(out); err != nil {
		return err
	}
	return nil
}

// ErrNotSignable is returned when signing is asked of a format that has
// no signature.
var ErrNotSignable = errors.New("only cabinets are signed: a tar.zst archive has no Authenticode signature; use format: cab or build without signing options")

// signCatalog returns members with the content catalog, if there is one,
// signed by s.
func signCatalog(ctx context.Context, members []Member, s *sign.Signer, opt sign.SignOptions) ([]Member, error) {
	i := slices.IndexFunc(members, func(m Member) bool { return m.Name == CatalogW10M })
	if i < 0 {
		return members, nil
	}
	signed, err := catalog.Sign(ctx, members[i].Data, s, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", CatalogW10M, err)
	}
	out := slices.Clone(members)
	out[i].Data = signed
	return out, nil
}
