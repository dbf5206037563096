// Package sign makes and checks PKCS#7 SignedData signatures: the
// Authenticode signatures of cabinets and the signatures of w10m content
// catalogs, with the one SignedData writer of provpack.
//
// # What it owns
//
//   - Signer: a certificate chain (leaf first) and a crypto.Signer for
//     the leaf's key. LoadPEM and LoadPKCS12 read a key provpack holds;
//     NewCommandSigner hands each digest to an external command (an HSM,
//     a signing service) and never sees the key (the protocol is in
//     docs/signing.md).
//   - SignedData: a DER PKCS#7 SignedData over any content, one signer,
//     SHA-256, signed attributes (content type, message digest, and a
//     signing time only when one is given). With an RSA key the bytes are
//     a function of the inputs (PKCS#1 v1.5 is deterministic); ECDSA
//     signatures are randomised, so EC-signed output is not
//     byte-reproducible.
//   - Unsigned: the same SignedData with no certificates and no signers
//     (an unsigned catalog). SignCatalog: a catalog's SignedData, content
//     type szOID_CTL (1.3.6.1.4.1.311.10.1), with the signed attributes
//     Microsoft's package catalogs carry (content type, the individual
//     code-signing statement type, message digest).
//   - Authenticode: the SpcIndirectDataContent of a cabinet (content type
//     1.3.6.1.4.1.311.2.1.25, as osslsigncode and Windows write it) around
//     a file digest, signed with SignedData.
//   - Parse and the checks of a signature someone else made: the signed
//     attributes and the signature against the signer's certificate
//     (SHA-1 and SHA-256, RSA and ECDSA, as Microsoft's packages use
//     them), the Authenticode digest it carries, and the chain to trusted
//     roots for code signing.
//
// # What it does not own
//
// Where a signature sits in a file and which bytes a file digest covers:
// pkgbuild/cab computes a cabinet's digest and places the signature.
// What a catalog lists: pkgbuild/catalog.
// Which files are signed, and flags and environment variables: the
// build and the command line. RFC 3161 timestamps are not written.
package sign
