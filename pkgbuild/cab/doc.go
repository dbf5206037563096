// Package cab writes and reads Microsoft Cabinet files ([MS-CAB], version
// 1.3) with MSZIP compression: provpack's default package archive.
//
// # What it owns
//
// The bytes of a cabinet. Write turns a list of files into one cabinet on
// an io.Writer: members sorted by name, fixed attributes and time, no
// reserve areas and no cabinet set, MSZIP blocks of at most 32 KiB that
// carry the 32 KiB history from block to block, correct CFDATA checksums,
// and a new folder only when one would pass 65535 blocks. Equal inputs give
// equal bytes. The output is checked against cabextract (libmspack),
// 7-Zip, bsdtar (libarchive) and gcab in the tests.
//
// Write also guards against the one interoperability trap found with these
// readers: libmspack refuses any deflate block whose Huffman codes do not
// fill their code space, which klauspost/compress emits for blocks with no
// or one distinct back-reference distance. Each frame is scanned after
// compression and such a frame is re-encoded with complete codes (see
// guard.go and docs/cab-format-notes.md).
//
// Read parses and validates a cabinet's structure from an io.ReaderAt for
// inspect, verify and extract, refusing files that reach past their
// folder's data or share bytes with another file, and cabinets that
// readers would list differently (ErrAmbiguous: a file table at coffFiles
// other than the one after the folder table, which is where Windows'
// cabinet code and libmspack read it); Cabinet.Extract
// decompresses (stored, MSZIP or LZX folders; lzx.go decodes LZX with
// windows of 2^15..2^21 bytes, the form Microsoft's package tools write),
// verifies every checksum and streams each member's bytes to a callback
// through a 64 KiB window (plus LZX's own). Neither trusts a size the
// header declares: allocations follow the input actually present and the
// LZX window, never the data it expands to, and no input makes them
// panic.
//
// # What it does not own
//
//   - Files and directories: Write takes an io.Writer and Extract a
//     callback; naming, atomic output and extraction to disk belong to
//     pkgbuild and the commands.
//   - Judging member names on the way out: Read reports names as stored,
//     absolute or with "..", and leaves refusing them to extract. Write,
//     in contrast, refuses names a cabinet should not hold.
//   - Multi-cabinet sets, Quantum compression, LZX on write, reserve
//     areas other than the signature directory on write, per-member times
//     and attributes. Read rejects sets and Quantum folders with a clear
//     error; it accepts reserve areas and exposes the header reserve.
//   - What a signature holds: signature.go places it (the 20-byte
//     signature directory, the area after cbCabinet) and computes the
//     Authenticode digest it covers; pkgbuild/sign makes and checks it.
package cab
