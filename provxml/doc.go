// Package provxml owns the MSPROV provisioning document (.provxml): parsing
// with positions, the validation rules, the canonical writer and the flat
// form of its settings.
//
// Parse reads UTF-8 XML into a Document in which every element and
// attribute keeps its line and column. It refuses what a provisioning file
// never needs and what a hostile file could abuse: non-UTF-8 encodings,
// internal DTD subsets and entity declarations, unbounded nesting and size.
// Check applies the rules (see Rules) and returns every finding of a
// document at once, sorted by position. Write renders a Document in
// canonical form, and Flatten lists its settings as (CSP, path, name, value,
// datatype, operation) rows; Digest hashes the canonical content.
//
// The package knows nothing of manifests, packages, file naming or
// archives; those belong to pkgbuild.
package provxml
