package archive

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"hash"
)

// A catalog lists a member by a digest of its bytes, except for a
// Portable Executable (a .dll, .exe, .sys, …), which it lists by its
// Authenticode image hash: the file without the optional header's
// CheckSum field, without the Certificate Table entry of the data
// directories, and without the certificate table (an embedded
// signature) itself. That is the hash signtool and osslsigncode compute
// for a PE ("Authenticode PE Image Hash" in Microsoft's Windows
// Authenticode Portable Executable Signature Format); the file is taken
// in file order, as both tools take it.
//
// memberDigests computes, as a member streams through it, the digests a
// catalog may list it by besides its SHA-256: its SHA-1, and when it is
// a PE, its image hash in SHA-1 and SHA-256.
type memberDigests struct {
	flat1 hash.Hash

	head  []byte // the start of the file, kept until the PE layout is known
	state int    // peUnknown, peHashing, peNot
	skips [2][2]int64
	end   int64 // where the image hash stops (the certificate table), -1 for the end
	off   int64 // bytes hashed into the image hashes
	pe1   hash.Hash
	pe256 hash.Hash
}

const (
	peUnknown = iota
	peHashing
	peNot
	// peHeadMax bounds the bytes kept to find the PE headers: the DOS
	// stub of real files is a few hundred bytes.
	peHeadMax = 64 << 10
)

func newMemberDigests() *memberDigests {
	return &memberDigests{flat1: sha1.New(), end: -1}
}

func (d *memberDigests) reset() {
	d.flat1.Reset()
	d.head, d.state, d.end, d.off = d.head[:0], peUnknown, -1, 0
	d.pe1, d.pe256 = nil, nil
}

func (d *memberDigests) Write(p []byte) (int, error) {
	d.flat1.Write(p)
	switch d.state {
	case peHashing:
		d.hashPE(p)
	case peUnknown:
		d.head = append(d.head, p...)
		switch ok, need := d.layout(); {
		case ok:
			d.state = peHashing
			d.pe1, d.pe256 = sha1.New(), sha256.New()
			d.hashPE(d.head)
			d.head = d.head[:0]
		case !need || len(d.head) > peHeadMax:
			d.state = peNot
			d.head = d.head[:0]
		}
	}
	return len(p), nil
}

// layout finds the regions the image hash leaves out; need reports
// that more of the file is needed to tell.
func (d *memberDigests) layout() (ok, need bool) {
	h := d.head
	if len(h) < 2 || h[0] != 'M' || h[1] != 'Z' {
		return false, len(h) < 2
	}
	if len(h) < 0x40 {
		return false, true
	}
	pe := int64(binary.LittleEndian.Uint32(h[0x3C:]))
	if pe > peHeadMax {
		return false, false
	}
	// PE signature, COFF header (20 bytes), optional header magic.
	opt := pe + 4 + 20
	if int64(len(h)) < opt+2 {
		return false, true
	}
	if string(h[pe:pe+4]) != "PE\x00\x00" {
		return false, false
	}
	optSize := int64(binary.LittleEndian.Uint16(h[pe+4+16:]))
	var dirs int64 // offset of the data directories in the optional header
	switch binary.LittleEndian.Uint16(h[opt:]) {
	case 0x10B: // PE32
		dirs = 96
	case 0x20B: // PE32+
		dirs = 112
	default:
		return false, false
	}
	certEntry := opt + dirs + 4*8 // IMAGE_DIRECTORY_ENTRY_SECURITY
	if optSize < dirs+5*8 {
		// No room for a certificate table entry: a truncated header.
		return false, false
	}
	if int64(len(h)) < certEntry+8 {
		return false, true
	}
	if n := binary.LittleEndian.Uint32(h[opt+dirs-4:]); n < 5 { // NumberOfRvaAndSizes
		return false, false
	}
	d.skips = [2][2]int64{{opt + 64, opt + 68}, {certEntry, certEntry + 8}}
	if at, size := binary.LittleEndian.Uint32(h[certEntry:]), binary.LittleEndian.Uint32(h[certEntry+4:]); at != 0 && size != 0 {
		d.end = int64(at)
	}
	return true, false
}

// hashPE feeds p, the bytes at d.off, to the image hashes, leaving out
// the skipped regions and everything from d.end on.
func (d *memberDigests) hashPE(p []byte) {
	start := d.off
	d.off += int64(len(p))
	for len(p) > 0 {
		cut := int64(len(p))
		keep := true
		for _, s := range d.skips {
			switch {
			case start >= s[0] && start < s[1]:
				keep, cut = false, min(cut, s[1]-start)
			case start < s[0]:
				cut = min(cut, s[0]-start)
			}
		}
		if d.end >= 0 {
			if start >= d.end {
				return
			}
			cut = min(cut, d.end-start)
		}
		if keep {
			d.pe1.Write(p[:cut])
			d.pe256.Write(p[:cut])
		}
		p, start = p[cut:], start+cut
	}
}

// sums returns the digests besides the SHA-256, to be called when the
// member has been written whole.
func (d *memberDigests) sums() [][]byte {
	out := [][]byte{d.flat1.Sum(nil)}
	if d.state == peUnknown && len(d.head) > 0 {
		// A file shorter than its headers: not a PE.
		d.state = peNot
	}
	if d.state == peHashing {
		out = append(out, d.pe1.Sum(nil), d.pe256.Sum(nil))
	}
	return out
}
