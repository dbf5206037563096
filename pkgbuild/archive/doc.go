// Package archive owns the bytes of a package archive: the cabinet and
// tar.zst writers and readers (Write, Read, with pinned zstd settings;
// reads check what headers declare against the limits first, then stream
// members, so memory never follows what an archive expands to), the package manifest member in both layouts
// (MarshalManifest, ParseManifest), the names of members (the ROM
// provisioning file names, FileName and ParseFileName, and the rules every
// member name must pass before it is written or extracted), and what can
// be done with one archive: Inspect, Verify and Extract, which writes
// through an os.Root and stages every member before renaming any into
// place.
//
// It does not plan packages or choose versions and ordinals, write an
// output directory, or read reports and SHA256SUMS: those belong to
// pkgbuild, which checks a whole output directory by calling Verify for
// each archive with what its report expects. The cabinet format itself is
// pkgbuild/cab's. archive imports neither pkgbuild nor any report package.
package archive
