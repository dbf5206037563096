// Package catalog owns the content catalog of a w10m package (the
// content.cat member): a PKCS#7 SignedData whose content is a Microsoft
// certificate trust list (CTL, OID 1.3.6.1.4.1.311.10.1) listing the hash
// of every other member, laid out as the catalogs of packages made by
// Microsoft's package generator list them (docs/package-manifest.md,
// "content.cat"). Build writes the CTL, Write an unsigned catalog around
// it, Sign signs an unsigned catalog, Parse reads one (provpack's or the
// platform's, signed or not) and Catalog.Verify checks its signature.
//
// The SignedData itself, signed or not, is written and read by
// pkgbuild/sign (sign.Unsigned, sign.SignCatalog, sign.Parse): there is
// one SignedData writer in provpack. Which key signs, and when, is the
// build's (archive.WriteSigned signs the catalog with the cabinet's
// signer); judging a signer's chain is the caller's.
//
// It knows nothing of packages, archives or manifests and imports only
// pkgbuild/sign of the project.
package catalog
