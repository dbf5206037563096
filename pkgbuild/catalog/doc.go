// Package catalog owns the content catalog of a w10m package (the
// content.cat member): a PKCS#7 SignedData whose content is a Microsoft
// certificate trust list (CTL, OID 1.3.6.1.4.1.311.10.1) listing the hash
// of every other member, laid out as the catalogs of packages made by
// Microsoft's package generator list them (docs/package-manifest.md,
// "content.cat"). Build writes one, Parse reads one (provpack's or the
// platform's, signed or not).
//
// Signing is not done here: Build hands the encoded CTL to a Signer,
// which returns the SignedData. Unsigned is the Signer of an unsigned
// build (a SignedData with no signers); an Authenticode signer plugs in
// through the same interface.
//
// It knows nothing of packages, archives or manifests and imports
// nothing of the project.
package catalog
