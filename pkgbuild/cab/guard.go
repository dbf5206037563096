package cab

import (
	"errors"
	"fmt"
)

// The MSZIP guard.
//
// libmspack (cabextract) builds every Huffman decoding table with a check
// that the code fills its code space exactly, and refuses the block
// otherwise. RFC 1951 allows incomplete codes, and both Go encoders emit
// one in a common case: a dynamic block with no back-references (or with
// only one distinct distance symbol) gets a distance tree holding a single
// one-bit code. klauspost's Huffman-only blocks always carry that tree.
// 7-Zip, libarchive and zlib accept such blocks; cabextract reports a
// decompression error (domain.md §4.4).
//
// The writer therefore reads back the block headers of every frame it
// produces. Reaching each header means decoding the symbols of the block
// before it, so the scan walks the whole frame; it does not produce output
// bytes, only counts them, and checks on the way that the frame is well
// formed (valid codes, distances inside the history, the exact
// uncompressed length). A frame with any incomplete code in any block is
// re-encoded from its symbols as one block, whichever of dynamic Huffman
// with codes built here (always complete, at least two distance codes),
// fixed Huffman or stored is smallest. The uncompressed bytes do not
// change, so the history the next frame relies on is unaffected.

// blockInfo describes one deflate block found by scan.
type blockInfo struct {
	start  int // bit offset of the block header in the frame payload
	final  bool
	kind   uint8 // 0 stored, 1 fixed, 2 dynamic
	stored int   // length of a stored block
}

// Tokens recorded by a scan: a literal byte, or tokenMatch with the length
// in bits 16..24 and the distance minus one in bits 0..14.
const tokenMatch = 1 << 31

// guard scans and, when needed, re-encodes MSZIP frames. Its tables and
// buffers are reused from frame to frame.
type guard struct {
	br     bitReader
	lit    decoder
	dist   decoder
	cl     decoder
	lens   [numLitLen + 2 + 32]uint8
	blocks []blockInfo
	tokens []uint32
	bad    bool // some block has a code libmspack would refuse
	out    int  // uncompressed bytes the scanned stream produces

	hb      huffBuilder
	bw      bitWriter
	litFreq [numLitLen]uint32
	dstFreq [numDist]uint32
	clFreq  [numCodeLen]uint32
	litLens [numLitLen]uint8
	dstLens [numDist]uint8
	clLens  [numCodeLen]uint8
	litCode [288]uint16
	dstCode [numDist]uint16
	clCode  [numCodeLen]uint16
	rle     []uint16 // code-length symbols: symbol | extra<<8
}

// scan walks the deflate stream in data. hist is the number of bytes of
// history before this frame that back-references may reach; want is the
// exact number of bytes the frame must produce. With needFinal the stream
// must end with a final block; without it (klauspost's output after a
// sync flush) it must end exactly at a block boundary on a byte boundary.
// With record, scan also collects the LZ77 tokens in g.tokens.
func (g *guard) scan(data []byte, hist, want int, needFinal, record bool) error {
	g.br.init(data)
	g.blocks = g.blocks[:0]
	g.tokens = g.tokens[:0]
	g.bad = false
	g.out = 0
	br := &g.br
	for {
		if !needFinal && br.bitPos() == 8*len(data) && len(g.blocks) > 0 {
			break
		}
		start := br.bitPos()
		hdr, err := br.bits(3)
		if err != nil {
			return err
		}
		b := blockInfo{start: start, final: hdr&1 == 1, kind: uint8(hdr >> 1)}
		switch b.kind {
		case 0:
			off := (br.bitPos() + 7) / 8
			if off+4 > len(data) {
				return errShortStream
			}
			n := int(le.Uint16(data[off:]))
			if le.Uint16(data[off+2:]) != ^uint16(n) {
				return errors.New("stored block length check fails")
			}
			if off+4+n > len(data) {
				return errShortStream
			}
			if record {
				for _, c := range data[off+4 : off+4+n] {
					g.tokens = append(g.tokens, uint32(c))
				}
			}
			g.out += n
			b.stored = n
			br.alignTo(off + 4 + n)
		case 1:
			if err := g.symbols(&fixedLit, &fixedDist, hist, want, record); err != nil {
				return err
			}
		case 2:
			if err := g.dynamicHeader(); err != nil {
				return err
			}
			if err := g.symbols(&g.lit, &g.dist, hist, want, record); err != nil {
				return err
			}
		default:
			return errors.New("reserved block type 3")
		}
		if g.out > want {
			return fmt.Errorf("stream produces more than %d bytes", want)
		}
		g.blocks = append(g.blocks, b)
		if b.final {
			break
		}
	}
	if g.out != want {
		return fmt.Errorf("stream produces %d bytes, want %d", g.out, want)
	}
	if needFinal && (br.bitPos()+7)/8 != len(data) {
		return errors.New("bytes after the final block")
	}
	return nil
}

// dynamicHeader reads the code lengths of a dynamic block into g.lit,
// g.dist and marks g.bad when any of the three codes is incomplete.
func (g *guard) dynamicHeader() error {
	br := &g.br
	h, err := br.bits(14)
	if err != nil {
		return err
	}
	nlit := int(h&0x1F) + 257
	ndist := int(h>>5&0x1F) + 1
	ncl := int(h>>10) + 4
	if nlit > numLitLen || ndist > numDist {
		return fmt.Errorf("dynamic block declares %d literal/length and %d distance codes", nlit, ndist)
	}
	var clLens [numCodeLen]uint8
	for i := range ncl {
		v, err := br.bits(3)
		if err != nil {
			return err
		}
		clLens[codeLenOrder[i]] = uint8(v)
	}
	if err := g.cl.build(clLens[:], clPrimary); err != nil {
		return fmt.Errorf("code-length code: %w", err)
	}
	if !g.cl.complete {
		g.bad = true
	}
	lens := g.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		sym, err := br.decode(&g.cl)
		if err != nil {
			return err
		}
		if sym < 16 {
			lens[i] = uint8(sym)
			i++
			continue
		}
		var v uint8
		var run uint32
		switch sym {
		case 16:
			if i == 0 {
				return errors.New("repeat code with no previous length")
			}
			v = lens[i-1]
			run, err = br.bits(2)
			run += 3
		case 17:
			run, err = br.bits(3)
			run += 3
		default:
			run, err = br.bits(7)
			run += 11
		}
		if err != nil {
			return err
		}
		if i+int(run) > len(lens) {
			return errors.New("code lengths overrun the table")
		}
		for range run {
			lens[i] = v
			i++
		}
	}
	if lens[endOfBlock] == 0 {
		return errors.New("no end-of-block code")
	}
	if err := g.lit.build(lens[:nlit], litPrimary); err != nil {
		return fmt.Errorf("literal/length code: %w", err)
	}
	if err := g.dist.build(lens[nlit:], distPrimary); err != nil {
		return fmt.Errorf("distance code: %w", err)
	}
	if !g.lit.complete || !g.dist.complete {
		g.bad = true
	}
	return nil
}

// symbols decodes the body of a Huffman block up to its end-of-block code.
// It is the hot loop of the guard, so the bit reader lives in locals.
func (g *guard) symbols(lit, dist *decoder, hist, want int, record bool) error {
	data := g.br.data
	buf, n, pos := g.br.buf, g.br.n, g.br.pos
	out := g.out
	litMask := uint64(1)<<lit.pbits - 1
	litSub := uint64(1)<<lit.sbits - 1
	distMask := uint64(1)<<dist.pbits - 1
	distSub := uint64(1)<<dist.sbits - 1
	for {
		// 48 bits cover a whole match: 15 + 5 + 15 + 13.
		if n < 48 {
			if pos+8 <= len(data) {
				buf |= le.Uint64(data[pos:]) << n
				pos += int((63 - n) >> 3)
				n |= 56
			} else {
				for n <= 56 && pos < len(data) {
					buf |= uint64(data[pos]) << n
					pos++
					n += 8
				}
			}
		}
		e := lit.primary[buf&litMask]
		if e&entryLink != 0 {
			e = lit.sub[uint64(e>>8)+buf>>lit.pbits&litSub]
		}
		l := uint(e & 0x1F)
		if l == 0 {
			return errors.New("invalid literal/length code")
		}
		if l > n {
			return errShortStream
		}
		buf >>= l
		n -= l
		sym := int(e >> 8)
		if sym < endOfBlock {
			if record {
				g.tokens = append(g.tokens, uint32(sym))
			}
			out++
			continue
		}
		if sym == endOfBlock {
			break
		}
		sym -= 257
		if sym >= len(lenBase) {
			return fmt.Errorf("invalid length symbol %d", sym+257)
		}
		x := uint(lenExtra[sym])
		if x > n {
			return errShortStream
		}
		length := int(lenBase[sym]) + int(buf&(1<<x-1))
		buf >>= x
		n -= x
		e = dist.primary[buf&distMask]
		if e&entryLink != 0 {
			e = dist.sub[uint64(e>>8)+buf>>dist.pbits&distSub]
		}
		l = uint(e & 0x1F)
		if l == 0 {
			return errors.New("invalid distance code")
		}
		if l > n {
			return errShortStream
		}
		buf >>= l
		n -= l
		ds := int(e >> 8)
		if ds >= numDist {
			return fmt.Errorf("invalid distance symbol %d", ds)
		}
		x = uint(distExtra[ds])
		if x > n {
			return errShortStream
		}
		d := int(distBase[ds]) + int(buf&(1<<x-1))
		buf >>= x
		n -= x
		if d > hist+out {
			return fmt.Errorf("distance %d reaches before the history (%d bytes)", d, hist+out)
		}
		if record {
			g.tokens = append(g.tokens, tokenMatch|uint32(length)<<16|uint32(d-1))
		}
		out += length
		if out > want {
			return fmt.Errorf("stream produces more than %d bytes", want)
		}
	}
	g.br.buf, g.br.n, g.br.pos = buf, n, pos
	if out > want {
		return fmt.Errorf("stream produces more than %d bytes", want)
	}
	g.out = out
	return nil
}

// reencode appends to dst one final deflate block that produces the
// bytes raw from the tokens of the last recorded scan: dynamic Huffman
// with complete codes, fixed Huffman or stored, whichever is smallest.
func (g *guard) reencode(dst, raw []byte) []byte {
	clear(g.litFreq[:])
	clear(g.dstFreq[:])
	var extra int // extra bits, the same for dynamic and fixed codes
	for _, t := range g.tokens {
		if t&tokenMatch == 0 {
			g.litFreq[t]++
			continue
		}
		ls := lenSym[t>>16&0x1FF]
		ds := distSym(int(t&0x7FFF) + 1)
		g.litFreq[257+int(ls)]++
		g.dstFreq[ds]++
		extra += int(lenExtra[ls]) + int(distExtra[ds])
	}
	g.litFreq[endOfBlock] = 1
	g.hb.lengths(g.litFreq[:], maxCodeLen, g.litLens[:])
	g.hb.lengths(g.dstFreq[:], maxCodeLen, g.dstLens[:])
	nlit, ndist := g.buildRLE()
	g.hb.lengths(g.clFreq[:], maxCodeLenLen, g.clLens[:])
	ncl := numCodeLen
	for ncl > 4 && g.clLens[codeLenOrder[ncl-1]] == 0 {
		ncl--
	}

	bodyBits := func(litLens []uint8, dstLens []uint8) int {
		n := extra
		for s, f := range g.litFreq {
			n += int(f) * int(litLens[s])
		}
		for s, f := range g.dstFreq {
			n += int(f) * int(dstLens[s])
		}
		return n
	}
	dynBits := 3 + 14 + 3*ncl + bodyBits(g.litLens[:], g.dstLens[:])
	for _, r := range g.rle {
		sym := r & 0xFF
		dynBits += int(g.clLens[sym])
		switch sym {
		case 16:
			dynBits += 2
		case 17:
			dynBits += 3
		case 18:
			dynBits += 7
		}
	}
	fixBits := 3 + bodyBits(fixedLitLens[:], fixedDistLens[:])
	dynBytes, fixBytes := (dynBits+7)/8, (fixBits+7)/8
	storedBytes := 5 + len(raw)

	switch {
	case storedBytes <= dynBytes && storedBytes <= fixBytes:
		dst = append(dst, 1, byte(len(raw)), byte(len(raw)>>8), ^byte(len(raw)), ^byte(len(raw)>>8))
		return append(dst, raw...)
	case fixBytes <= dynBytes:
		g.bw = bitWriter{out: dst}
		g.bw.write(1|1<<1, 3)
		canonicalCodes(fixedLitLens[:], g.litCode[:])
		canonicalCodes(fixedDistLens[:], g.dstCode[:])
		g.writeBody(fixedLitLens[:], fixedDistLens[:])
	default:
		g.bw = bitWriter{out: dst}
		g.bw.write(1|2<<1, 3)
		g.bw.write(uint32(nlit-257), 5)
		g.bw.write(uint32(ndist-1), 5)
		g.bw.write(uint32(ncl-4), 4)
		for i := range ncl {
			g.bw.write(uint32(g.clLens[codeLenOrder[i]]), 3)
		}
		canonicalCodes(g.clLens[:], g.clCode[:])
		for _, r := range g.rle {
			sym := r & 0xFF
			g.bw.write(uint32(g.clCode[sym]), uint(g.clLens[sym]))
			switch sym {
			case 16:
				g.bw.write(uint32(r>>8), 2)
			case 17:
				g.bw.write(uint32(r>>8), 3)
			case 18:
				g.bw.write(uint32(r>>8), 7)
			}
		}
		canonicalCodes(g.litLens[:], g.litCode[:])
		canonicalCodes(g.dstLens[:], g.dstCode[:])
		g.writeBody(g.litLens[:], g.dstLens[:])
	}
	g.bw.flush()
	out := g.bw.out
	g.bw.out = nil
	return out
}

// writeBody writes the recorded tokens and the end-of-block code with the
// codes in g.litCode and g.dstCode.
func (g *guard) writeBody(litLens, dstLens []uint8) {
	bw := &g.bw
	for _, t := range g.tokens {
		if t&tokenMatch == 0 {
			bw.write(uint32(g.litCode[t]), uint(litLens[t]))
			continue
		}
		length := int(t >> 16 & 0x1FF)
		d := int(t&0x7FFF) + 1
		ls := int(lenSym[length])
		bw.write(uint32(g.litCode[257+ls]), uint(litLens[257+ls]))
		bw.write(uint32(length-int(lenBase[ls])), uint(lenExtra[ls]))
		ds := distSym(d)
		bw.write(uint32(g.dstCode[ds]), uint(dstLens[ds]))
		bw.write(uint32(d-int(distBase[ds])), uint(distExtra[ds]))
	}
	bw.write(uint32(g.litCode[endOfBlock]), uint(litLens[endOfBlock]))
}

// buildRLE run-length encodes the literal/length and distance code
// lengths into g.rle, counts the code-length symbols in g.clFreq and
// returns the number of literal/length and distance codes to send.
func (g *guard) buildRLE() (nlit, ndist int) {
	nlit = numLitLen
	for nlit > 257 && g.litLens[nlit-1] == 0 {
		nlit--
	}
	ndist = numDist
	for ndist > 1 && g.dstLens[ndist-1] == 0 {
		ndist--
	}
	lens := g.lens[:0]
	lens = append(lens, g.litLens[:nlit]...)
	lens = append(lens, g.dstLens[:ndist]...)
	clear(g.clFreq[:])
	g.rle = g.rle[:0]
	emit := func(sym, extra int) {
		g.rle = append(g.rle, uint16(sym|extra<<8))
		g.clFreq[sym]++
	}
	for i := 0; i < len(lens); {
		v := lens[i]
		run := 1
		for i+run < len(lens) && lens[i+run] == v {
			run++
		}
		i += run
		if v == 0 {
			for run >= 11 {
				n := min(run, 138)
				emit(18, n-11)
				run -= n
			}
			if run >= 3 {
				emit(17, run-3)
				run = 0
			}
			for ; run > 0; run-- {
				emit(0, 0)
			}
			continue
		}
		emit(int(v), 0)
		run--
		for run >= 3 {
			n := min(run, 6)
			emit(16, n-3)
			run -= n
		}
		for ; run > 0; run-- {
			emit(int(v), 0)
		}
	}
	return nlit, ndist
}
