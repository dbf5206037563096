package sign

import (
	"context"
	"encoding/asn1"
)

// OIDCTL is the content type of a Windows catalog's SignedData: a
// certificate trust list (szOID_CTL in wincrypt.h).
var OIDCTL = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 10, 1}

// SignCatalog returns the DER of a signed Windows catalog: a SignedData
// (see SignedData) whose content is ctl, the DER of a certificate trust
// list, with the signed attributes Microsoft's package catalogs carry:
// content type szOID_CTL, the individual code-signing statement type
// and the message digest (SHA-256 over the CTL's value octets), and the
// signing time when opt has one.
func SignCatalog(ctx context.Context, s *Signer, ctl []byte, opt SignOptions) ([]byte, error) {
	opt.Attributes = append(opt.Attributes, attribute(oidSpcStatementType, seq(oid(oidSpcIndividualSigner))))
	return SignedData(ctx, s, OIDCTL, ctl, opt)
}
