package cab

import (
	"bytes"
	"errors"
	"fmt"
	"hash"
	"io"
)

// A signed cabinet, as Windows' signing tools and osslsigncode write it,
// has the reserve flag set, cbCFHeader 20, no folder or data reserve, and
// a 20-byte header reserve:
//
//	offset 0x28  u32  0x00100000, the marker of a signature directory
//	offset 0x2C  u32  offset of the signature: cbCabinet
//	offset 0x30  u32  length of the signature area
//	offset 0x34  8 bytes, 0
//
// The signature area follows cbCabinet and ends the file: a DER PKCS#7
// SignedData padded with zeros to a multiple of 8 bytes.
const (
	sigReserveSize   = 20
	sigMarker        = 0x00100000
	sigReserveOffset = headerSize + 4 // of the header reserve in the file
	// signedOverhead is what signing adds before the folders: the
	// reserve sizes and the header reserve.
	signedOverhead = 4 + sigReserveSize
	// MaxSignatureSize bounds the signature area Read accepts (Microsoft's
	// signatures with their timestamps are 10 to 20 KB).
	MaxSignatureSize = 1 << 20
)

// Signature locates the Authenticode signature area of a cabinet.
type Signature struct {
	Offset int64 // of the area: cbCabinet
	Length int64 // of the area: the DER signature and its zero padding
}

// IsSigned reports whether the cabinet carries a signature. A cabinet
// may have the signature directory in its header (Write's Signable
// option) and no signature yet.
func (c *Cabinet) IsSigned() bool { return c.Signature != nil }

// signatureDirectory returns the offset and length the header reserve
// gives, and whether it is a signature directory at all.
func (c *Cabinet) signatureDirectory() (off, n int64, ok bool) {
	r := c.HeaderReserve
	if len(r) != sigReserveSize || le.Uint32(r) != sigMarker {
		return 0, 0, false
	}
	return int64(le.Uint32(r[4:])), int64(le.Uint32(r[8:])), true
}

// locateSignature checks the bytes after cbCabinet (c.Size) in an input
// of size bytes: none, or exactly the signature area the header reserve
// points to.
func (c *Cabinet) locateSignature(size int64) error {
	trailing := size - c.Size
	off, n, ok := c.signatureDirectory()
	if !ok {
		if trailing > 0 {
			return fmt.Errorf("cab: %d trailing bytes after the end of the cabinet at %d bytes (cbCabinet); the header reserve points to no Authenticode signature there, so they are not a signed cabinet's signature: the file is damaged or has data appended", trailing, c.Size)
		}
		return nil
	}
	if c.dataReserve != 0 || c.folderReserve != 0 {
		return fmt.Errorf("cab: signed cabinet has a folder or data reserve (%d, %d bytes); a signed cabinet has none", c.folderReserve, c.dataReserve)
	}
	// The Authenticode digest skips iCabinet and bytes 12-15 of the
	// reserve (see signedRanges); a signed cabinet has them zero, so that
	// no byte of it can change while its signature still verifies.
	if c.Index != 0 {
		return fmt.Errorf("cab: signed cabinet says it is cabinet %d of a set (iCabinet); a signed cabinet stands alone with 0 there, and the signature does not cover that field: the file was altered after signing", c.Index)
	}
	if z := c.HeaderReserve[12:16]; !bytes.Equal(z, make([]byte, len(z))) {
		return fmt.Errorf("cab: signed cabinet has % x in bytes 12-15 of its header reserve, where the signature directory has zeros that the signature does not cover: the file was altered after signing", z)
	}
	switch {
	case n == 0 && (off == 0 || off == c.Size) && trailing == 0:
		return nil // prepared for a signature, not signed
	case off != c.Size:
		return fmt.Errorf("cab: the header reserve puts the Authenticode signature at offset %d, but the cabinet ends at %d (cbCabinet); a signed cabinet's signature follows it directly", off, c.Size)
	case n == 0:
		return fmt.Errorf("cab: %d trailing bytes after the end of the cabinet at %d bytes (cbCabinet), but the header reserve gives the signature a length of 0: the file is damaged or has data appended", trailing, c.Size)
	case off+n > size:
		return fmt.Errorf("cab: the header reserve says the signed cabinet's signature is %d bytes at offset %d, but the file ends after %d of them: the signature is truncated", n, off, size-off)
	case off+n < size:
		return fmt.Errorf("cab: %d trailing bytes after the signed cabinet's signature (%d bytes at offset %d, as the header reserve says); the file is damaged or has data appended", size-off-n, n, off)
	case n > MaxSignatureSize:
		return fmt.Errorf("cab: the signature area is %d bytes, more than provpack reads (%d)", n, MaxSignatureSize)
	}
	c.Signature = &Signature{Offset: off, Length: n}
	return nil
}

// SignatureBytes reads the signature area: the DER signature and the zero
// padding after it.
func (c *Cabinet) SignatureBytes() ([]byte, error) {
	if c.Signature == nil {
		return nil, errors.New("cab: the cabinet is not signed")
	}
	b := make([]byte, c.Signature.Length)
	if _, err := c.r.ReadAt(b, c.Signature.Offset); err != nil && !(err == io.EOF && len(b) > 0) {
		return nil, fmt.Errorf("cab: reading the signature at offset %d: %w", c.Signature.Offset, err)
	}
	return b, nil
}

// signedRanges are the parts of a cabinet with a signature directory that
// its Authenticode digest covers, up to cbCabinet: the header less
// reserved1, iCabinet, the reserve sizes and the first 16 bytes of the
// reserve (the marker, the signature's place and length, and 4 bytes of
// zeros). Read checks every skipped byte: reserved1 and iCabinet zero, the
// reserve sizes 20, 0 and 0, the marker, the place and the length, and
// the 4 zeros. osslsigncode
// and Windows compute it so; the signature area is not covered.
var signedRanges = [][2]int64{{0, 4}, {8, 34}, {56, -1}}

// AuthenticodeDigest writes to h the bytes an Authenticode signature of
// the cabinet covers. The cabinet must carry a signature directory in its
// header (it may not be signed yet).
func (c *Cabinet) AuthenticodeDigest(h hash.Hash) error {
	if _, _, ok := c.signatureDirectory(); !ok {
		return errors.New("cab: the header has no signature directory (a 20-byte header reserve starting 00 00 10 00), so the cabinet cannot carry an Authenticode signature")
	}
	sr := io.NewSectionReader(c.r, 0, c.Size)
	buf := make([]byte, 32<<10)
	for _, rg := range signedRanges {
		end := rg[1]
		if end < 0 {
			end = c.Size
		}
		if _, err := io.CopyBuffer(h, io.NewSectionReader(sr, rg[0], end-rg[0]), buf); err != nil {
			return fmt.Errorf("cab: reading the cabinet for its digest: %w", err)
		}
	}
	return nil
}

// AppendSignature returns a signable cabinet (one Write made with
// Signable) with the DER signature sig appended after cbCabinet, padded
// with zeros to a multiple of 8 bytes, and the signature's length in the
// header reserve. The signature's offset is set by Write already.
func AppendSignature(cabinet, sig []byte) ([]byte, error) {
	if len(cabinet) < sigReserveOffset+sigReserveSize || string(cabinet[:4]) != "MSCF" ||
		le.Uint16(cabinet[0x1E:])&flagReserve == 0 || le.Uint16(cabinet[headerSize:]) != sigReserveSize ||
		le.Uint32(cabinet[sigReserveOffset:]) != sigMarker {
		return nil, errors.New("cab: the cabinet has no signature directory in its header; write it with WriteOptions.Signable")
	}
	cb := le.Uint32(cabinet[8:])
	if int64(cb) != int64(len(cabinet)) || le.Uint32(cabinet[sigReserveOffset+4:]) != cb {
		return nil, errors.New("cab: the cabinet is signed already or its size does not match cbCabinet")
	}
	if len(sig) == 0 {
		return nil, errors.New("cab: empty signature")
	}
	pad := (8 - len(sig)%8) % 8
	area := len(sig) + pad
	if int64(len(cabinet))+int64(area) > maxCabinetSize {
		return nil, errTooLarge
	}
	out := make([]byte, 0, len(cabinet)+area)
	out = append(out, cabinet...)
	le.PutUint32(out[sigReserveOffset+8:], uint32(area))
	out = append(out, sig...)
	out = append(out, make([]byte, pad)...)
	return out, nil
}
