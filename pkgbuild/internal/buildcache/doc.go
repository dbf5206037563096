// Package buildcache is an output directory's memory of the last build
// into it (docs/cache-format.md): for each archive, a key over everything
// its bytes depend on with the size and SHA-256 it had, so a rebuild keeps
// it without compressing again; and a memo of the whole build, so a
// rebuild whose inputs and outputs are untouched does nothing at all.
//
// It works over plain data: file stamps (device, inode, size, times),
// slash-separated paths, digests and the memo's record. Which files a
// build reads, and what the keys cover, is the pkgbuild root's business;
// writing the cache file is the output transaction's.
package buildcache
