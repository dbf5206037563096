package cab

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"slices"
)

// This file holds the small amount of RFC 1951 machinery the MSZIP guard
// needs: symbol tables, a bit reader, table-driven Huffman decoding that
// also reports whether a code is complete, a bit writer and a
// length-limited Huffman code builder. Decompression proper (producing
// bytes) is left to klauspost/compress/flate; see guard.go for why we read
// our own compressed output at all.

const (
	maxCodeLen    = 15
	numLitLen     = 286 // usable literal/length symbols (0..285)
	numDist       = 30  // usable distance symbols (0..29)
	numCodeLen    = 19  // code-length alphabet
	endOfBlock    = 256
	maxMatchLen   = 258
	maxMatchDist  = 32768
	litPrimary    = 10 // primary table bits for literal/length codes
	distPrimary   = 8
	clPrimary     = 7
	maxCodeLenLen = 7 // code-length codes are at most 7 bits
)

// Base values and extra bits of length symbols 257..285 and distance
// symbols 0..29 (RFC 1951 section 3.2.5).
var (
	lenBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lenExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}

	distBase  = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}

	// codeLenOrder is the order in which code-length code lengths are sent.
	codeLenOrder = [numCodeLen]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

// lenSym maps a match length 3..258 to its symbol index 0..28 (add 257 for
// the literal/length symbol); distSymSmall and distSymLarge map distances.
var (
	lenSym       [maxMatchLen + 1]uint8
	distSymSmall [257]uint8 // distances 1..256
	distSymLarge [256]uint8 // (distance-1)>>7 for distances 257..32768

	fixedLitLens  [288]uint8
	fixedDistLens [numDist]uint8
	fixedLit      decoder
	fixedDist     decoder
)

func init() {
	for s := range lenBase {
		hi := int(lenBase[s]) + 1<<lenExtra[s]
		for l := int(lenBase[s]); l < hi && l <= maxMatchLen; l++ {
			lenSym[l] = uint8(s)
		}
	}
	lenSym[maxMatchLen] = 28 // 258 has its own symbol, not 284 + 31
	for s := range distBase {
		hi := int(distBase[s]) + 1<<distExtra[s]
		for d := int(distBase[s]); d < hi; d++ {
			if d <= 256 {
				distSymSmall[d] = uint8(s)
			} else {
				distSymLarge[(d-1)>>7] = uint8(s)
			}
		}
	}
	for i := range fixedLitLens {
		switch {
		case i < 144:
			fixedLitLens[i] = 8
		case i < 256:
			fixedLitLens[i] = 9
		case i < 280:
			fixedLitLens[i] = 7
		default:
			fixedLitLens[i] = 8
		}
	}
	for i := range fixedDistLens {
		fixedDistLens[i] = 5
	}
	// The fixed distance code has 32 five-bit codes of which only 30 are
	// usable; with 30 lengths the table is incomplete, which is fine for
	// decoding our own fixed blocks.
	if err := fixedLit.build(fixedLitLens[:], litPrimary); err != nil {
		panic(err)
	}
	if err := fixedDist.build(fixedDistLens[:], distPrimary); err != nil {
		panic(err)
	}
}

func distSym(d int) int {
	if d <= 256 {
		return int(distSymSmall[d])
	}
	return int(distSymLarge[(d-1)>>7])
}

var errOversubscribed = errors.New("over-subscribed Huffman code")

// decoder is a table-driven canonical Huffman decoder. Entries hold
// symbol<<8 | length for a code, base<<8 | entryLink for a link into sub,
// and 0 for bit patterns that are no code.
type decoder struct {
	primary  [1 << litPrimary]uint32
	sub      []uint32
	pbits    uint
	sbits    uint
	complete bool // the code lengths fill the code space exactly
	used     int  // symbols with a code
}

const entryLink = 0x80

// build prepares d for the code given by lengths. It fails only for an
// over-subscribed code; an incomplete code is recorded in d.complete.
func (d *decoder) build(lengths []uint8, pbits uint) error {
	var count [maxCodeLen + 1]int
	maxLen := 0
	for _, l := range lengths {
		count[l]++
		maxLen = max(maxLen, int(l))
	}
	count[0] = 0
	left := 1
	for l := 1; l <= maxCodeLen; l++ {
		left = left<<1 - count[l]
		if left < 0 {
			return errOversubscribed
		}
	}
	d.complete = left == 0
	d.used = 0
	var next [maxCodeLen + 2]int
	code := 0
	for l := 1; l <= maxCodeLen; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
		d.used += count[l]
	}
	d.pbits = pbits
	d.sbits = 0
	if uint(maxLen) > pbits {
		d.sbits = uint(maxLen) - pbits
	}
	clear(d.primary[:1<<pbits])
	d.sub = d.sub[:0]
	pmask := uint32(1)<<pbits - 1
	for sym, l := range lengths {
		if l == 0 {
			continue
		}
		rev := uint32(bits.Reverse16(uint16(next[l]))) >> (16 - l)
		next[l]++
		entry := uint32(sym)<<8 | uint32(l)
		if uint(l) <= pbits {
			for i := rev; i <= pmask; i += 1 << l {
				d.primary[i] = entry
			}
			continue
		}
		p := rev & pmask
		link := d.primary[p]
		if link == 0 {
			base := len(d.sub)
			d.sub = append(d.sub, make([]uint32, 1<<d.sbits)...)
			link = uint32(base)<<8 | entryLink
			d.primary[p] = link
		}
		base := link >> 8
		step := uint32(1) << (uint(l) - pbits)
		for i := rev >> pbits; i < 1<<d.sbits; i += step {
			d.sub[base+i] = entry
		}
	}
	return nil
}

// bitReader reads an RFC 1951 bit stream (least significant bit first).
// Bits above n in buf are either zero or the following input bits.
type bitReader struct {
	data []byte
	pos  int // next byte of data to load into buf
	buf  uint64
	n    uint // valid bits in buf
}

var errShortStream = errors.New("deflate stream ends early")

func (br *bitReader) init(data []byte) {
	*br = bitReader{data: data}
}

func (br *bitReader) refill() {
	if br.pos+8 <= len(br.data) {
		br.buf |= binary.LittleEndian.Uint64(br.data[br.pos:]) << br.n
		br.pos += int((63 - br.n) >> 3)
		br.n |= 56
		return
	}
	for br.n <= 56 && br.pos < len(br.data) {
		br.buf |= uint64(br.data[br.pos]) << br.n
		br.pos++
		br.n += 8
	}
}

// bitPos is the offset in bits of the next unread bit.
func (br *bitReader) bitPos() int { return br.pos*8 - int(br.n) }

// bits reads k <= 32 bits.
func (br *bitReader) bits(k uint) (uint32, error) {
	if br.n < k {
		br.refill()
		if br.n < k {
			return 0, errShortStream
		}
	}
	v := uint32(br.buf & (1<<k - 1))
	br.buf >>= k
	br.n -= k
	return v, nil
}

// alignTo moves the reader to byte offset off of data.
func (br *bitReader) alignTo(off int) {
	br.pos = off
	br.buf = 0
	br.n = 0
}

// decode reads one symbol. The caller has refilled when it needs speed;
// decode refills itself if fewer than maxCodeLen bits are buffered.
func (br *bitReader) decode(d *decoder) (int, error) {
	if br.n < maxCodeLen {
		br.refill()
	}
	e := d.primary[br.buf&(1<<d.pbits-1)]
	if e&entryLink != 0 {
		e = d.sub[e>>8+uint32(br.buf>>d.pbits)&(1<<d.sbits-1)]
	}
	l := uint(e & 0x1F)
	if l == 0 {
		return 0, errors.New("invalid Huffman code")
	}
	if l > br.n {
		return 0, errShortStream
	}
	br.buf >>= l
	br.n -= l
	return int(e >> 8), nil
}

// bitWriter appends an RFC 1951 bit stream to out.
type bitWriter struct {
	out []byte
	buf uint64
	n   uint
}

func (bw *bitWriter) write(v uint32, k uint) {
	bw.buf |= uint64(v) << bw.n
	bw.n += k
	for bw.n >= 8 {
		bw.out = append(bw.out, byte(bw.buf))
		bw.buf >>= 8
		bw.n -= 8
	}
}

// flush pads the last byte with zero bits.
func (bw *bitWriter) flush() {
	if bw.n > 0 {
		bw.out = append(bw.out, byte(bw.buf))
	}
	bw.buf, bw.n = 0, 0
}

// canonicalCodes fills codes with the bit-reversed canonical code of each
// symbol, ready for bitWriter.write(codes[s], lengths[s]).
func canonicalCodes(lengths []uint8, codes []uint16) {
	var count [maxCodeLen + 1]int
	for _, l := range lengths {
		count[l]++
	}
	count[0] = 0
	var next [maxCodeLen + 1]int
	code := 0
	for l := 1; l <= maxCodeLen; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	for s, l := range lengths {
		if l == 0 {
			codes[s] = 0
			continue
		}
		codes[s] = bits.Reverse16(uint16(next[l])) >> (16 - l)
		next[l]++
	}
}

// huffBuilder computes length-limited Huffman code lengths. It keeps its
// scratch space between calls.
type huffBuilder struct {
	syms   []int
	weight []uint64
	parent []int
	depth  []int
}

// lengths sets out[s] to the code length of symbol s for the frequencies
// freq, no code longer than maxBits. The result is always a complete code
// with at least two symbols: when fewer than two symbols occur, unused
// symbols are given one-bit codes, which keeps strict inflaters (libmspack
// among them) happy.
func (h *huffBuilder) lengths(freq []uint32, maxBits int, out []uint8) {
	clear(out)
	h.syms = h.syms[:0]
	for s, f := range freq {
		if f > 0 {
			h.syms = append(h.syms, s)
		}
	}
	switch len(h.syms) {
	case 0:
		out[0], out[1] = 1, 1
		return
	case 1:
		out[h.syms[0]] = 1
		if h.syms[0] == 0 {
			out[1] = 1
		} else {
			out[0] = 1
		}
		return
	}
	// Sort by frequency, then symbol, so that the result is deterministic.
	slices.SortFunc(h.syms, func(a, b int) int {
		if freq[a] != freq[b] {
			if freq[a] < freq[b] {
				return -1
			}
			return 1
		}
		return a - b
	})
	n := len(h.syms)
	// Two-queue Huffman construction: leaves 0..n-1 in ascending weight,
	// internal nodes n..2n-2 created in ascending weight.
	h.weight = h.weight[:0]
	for _, s := range h.syms {
		h.weight = append(h.weight, uint64(freq[s]))
	}
	h.parent = slices.Grow(h.parent[:0], 2*n-1)[:2*n-1]
	leaf, node := 0, n
	pick := func() int {
		if leaf < n && (node >= len(h.weight) || h.weight[leaf] <= h.weight[node]) {
			leaf++
			return leaf - 1
		}
		node++
		return node - 1
	}
	for len(h.weight) < 2*n-1 {
		a := pick()
		b := pick()
		h.parent[a] = len(h.weight)
		h.parent[b] = len(h.weight)
		h.weight = append(h.weight, h.weight[a]+h.weight[b])
	}
	h.depth = slices.Grow(h.depth[:0], 2*n-1)[:2*n-1]
	h.depth[2*n-2] = 0
	for i := 2*n - 3; i >= 0; i-- {
		h.depth[i] = h.depth[h.parent[i]] + 1
	}
	// Count leaves per length, folding everything deeper than maxBits into
	// maxBits and then restoring the Kraft equality: each round removes
	// one maxBits leaf and splits the deepest shorter leaf into two, which
	// lowers the Kraft sum by exactly one maxBits unit.
	var count [maxCodeLen + 2]int
	for i := range n {
		count[min(h.depth[i], maxBits)]++
	}
	total := 0
	for l := 1; l <= maxBits; l++ {
		total += count[l] << (maxBits - l)
	}
	for total > 1<<maxBits {
		count[maxBits]--
		for l := maxBits - 1; l > 0; l-- {
			if count[l] > 0 {
				count[l]--
				count[l+1] += 2
				break
			}
		}
		total--
	}
	// Most frequent symbols get the shortest codes.
	i := n - 1
	for l := 1; l <= maxBits; l++ {
		for range count[l] {
			out[h.syms[i]] = uint8(l)
			i--
		}
	}
}
