package cab

import (
	"fmt"
	"slices"
)

// A small LZX compressor for tests only. No independent LZX writer is
// available (gcab writes MSZIP only, 7-Zip cannot write cabinets), so the
// tests make their own streams and let cabextract judge them: what
// cabextract extracts from them must be the input, and so must what the
// decoder produces. It exercises what the real samples may not: every
// block type, blocks spanning frames, odd uncompressed blocks, repeated
// offsets, window wrap-around, empty length trees and E8 translation.
//
// Trees are not optimal: the symbols a block uses get a flat complete
// code, unused ones length 0, which gives the pretree zero runs and
// same-length runs to encode.

type lzxTestOptions struct {
	windowBits int
	e8Size     int32 // 0: no E8 translation
	// blocks cycles through block types (1 verbatim, 2 aligned, 3
	// uncompressed) and sizes.
	blocks []lzxTestBlock
	// noMatches turns off match finding (literals only).
	noMatches bool
}

type lzxTestBlock struct {
	kind, size int
}

// lzxBitWriter writes 16-bit little-endian words, most significant bit
// first, and raw bytes inside uncompressed blocks.
type lzxBitWriter struct {
	out   []byte
	acc   uint32
	nbits int
}

func (w *lzxBitWriter) bits(v uint32, n int) {
	for n > 0 {
		k := min(n, 16-w.nbits)
		w.acc = w.acc<<k | (v>>(n-k))&(1<<k-1)
		w.nbits += k
		n -= k
		if w.nbits == 16 {
			w.out = append(w.out, byte(w.acc), byte(w.acc>>8))
			w.acc, w.nbits = 0, 0
		}
	}
}

// align pads with zero bits to a 16-bit boundary.
func (w *lzxBitWriter) align() {
	if w.nbits > 0 {
		w.bits(0, 16-w.nbits)
	}
}

type lzxToken struct {
	lit    byte
	length int // 0 for a literal
	off    int
}

// flatLengths gives the used symbols a complete code of lengths k-1 and
// k, rotated by shift so that consecutive blocks differ.
func flatLengths(used []bool, shift int) []uint8 {
	var syms []int
	for s, u := range used {
		if u {
			syms = append(syms, s)
		}
	}
	lens := make([]uint8, len(used))
	n := len(syms)
	if n == 0 {
		return lens
	}
	if n == 1 { // a lone symbol needs a partner to make a complete code
		partner := (syms[0] + 1) % len(used)
		syms = append(syms, partner)
		slices.Sort(syms)
		n = 2
	}
	k := 0
	for 1<<k < n {
		k++
	}
	short := 1<<k - n // symbols with length k-1
	for i := range syms {
		s := syms[(i+shift)%n]
		if i < short {
			lens[s] = uint8(k - 1)
		} else {
			lens[s] = uint8(k)
		}
	}
	return lens
}

// codes assigns canonical codes to lengths.
func codes(lens []uint8) []uint32 {
	c := make([]uint32, len(lens))
	code := uint32(0)
	for l := uint8(1); l <= 16; l++ {
		for s, sl := range lens {
			if sl == l {
				c[s] = code
				code++
			}
		}
		code <<= 1
	}
	return c
}

// writeLengths encodes lens against prev with a flat pretree, using runs
// of zeros (17, 18) and of one repeated value (19).
func (w *lzxBitWriter) writeLengths(prev, lens []uint8) {
	type item struct{ sym, extra, nextra, z int }
	var items []item
	delta := func(i int) int { return (int(prev[i]) - int(lens[i]) + 17) % 17 }
	for i := 0; i < len(lens); {
		run := 1
		for i+run < len(lens) && lens[i+run] == lens[i] {
			run++
		}
		switch {
		case lens[i] == 0 && run >= 20:
			n := min(run, 51)
			items = append(items, item{18, n - 20, 5, -1})
			i += n
		case lens[i] == 0 && run >= 4:
			n := min(run, 19)
			items = append(items, item{17, n - 4, 4, -1})
			i += n
		case run >= 4 && i%3 == 0: // sometimes, a same-value run
			n := min(run, 5)
			items = append(items, item{19, n - 4, 1, delta(i)})
			i += n
		default:
			items = append(items, item{delta(i), 0, 0, -1})
			i++
		}
	}
	used := make([]bool, lzxPretreeSize)
	for _, it := range items {
		used[it.sym] = true
		if it.z >= 0 {
			used[it.z] = true
		}
	}
	pl := flatLengths(used, len(items))
	pc := codes(pl)
	for _, l := range pl {
		w.bits(uint32(l), 4)
	}
	for _, it := range items {
		w.bits(pc[it.sym], int(pl[it.sym]))
		w.bits(uint32(it.extra), it.nextra)
		if it.z >= 0 {
			w.bits(pc[it.z], int(pl[it.z]))
		}
	}
}

// slotOf returns the position slot and footer of a formatted offset.
func slotOf(formatted uint32, slots int) (int, uint32) {
	for s := slots - 1; s >= 0; s-- {
		if lzxPositionBase[s] <= formatted {
			return s, formatted - lzxPositionBase[s]
		}
	}
	panic("unreachable")
}

// lzxCompress returns the CFDATA payloads and frame sizes for data.
func lzxCompress(data []byte, opt lzxTestOptions) (payloads [][]byte, sizes []int) {
	window := 1 << opt.windowBits
	slots := lzxSlots[opt.windowBits]
	mainSize := lzxNumChars + 8*slots
	// E8 translation, frame by frame, on a copy.
	src := slices.Clone(data)
	if opt.e8Size != 0 {
		for start := 0; start < len(src); start += frameSize {
			f := src[start:min(len(src), start+frameSize)]
			for i := 0; i < len(f)-10; i++ {
				if f[i] != 0xE8 {
					continue
				}
				cur := int32(start + i)
				rel := int32(le.Uint32(f[i+1:]))
				abs := rel
				switch {
				case rel >= -cur && rel < opt.e8Size-cur:
					abs = rel + cur
				case rel >= opt.e8Size-cur && rel < opt.e8Size:
					abs = rel - opt.e8Size
				}
				le.PutUint32(f[i+1:], uint32(abs))
				i += 4
			}
		}
	}

	w := &lzxBitWriter{}
	if opt.e8Size != 0 {
		w.bits(1, 1)
		w.bits(uint32(opt.e8Size)>>16, 16)
		w.bits(uint32(opt.e8Size)&0xFFFF, 16)
	} else {
		w.bits(0, 1)
	}
	var prevMain [lzxMaxMainSize]uint8
	var prevLength [lzxSecondaryLength]uint8
	r := [3]int{1, 1, 1}
	last := map[uint32]int{} // 3-byte hash → last position
	pos, nb := 0, 0
	cut := func() { // end of a frame: realign and cut the payload
		if w.nbits > 0 {
			w.align()
		}
		payloads = append(payloads, w.out)
		sizes = append(sizes, min(frameSize, len(src)-(len(payloads)-1)*frameSize))
		w.out = nil
	}
	for pos < len(src) {
		b := opt.blocks[nb%len(opt.blocks)]
		nb++
		size := min(b.size, len(src)-pos)
		w.bits(uint32(b.kind), 3)
		w.bits(uint32(size), 24)
		if b.kind == lzxBlockUncompressed {
			if w.nbits == 0 {
				w.bits(0, 16)
			} else {
				w.align()
			}
			for _, v := range r {
				w.out = le.AppendUint32(w.out, uint32(v))
			}
			for i := 0; i < size; i++ {
				w.out = append(w.out, src[pos])
				pos++
				if pos%frameSize == 0 || pos == len(src) {
					if i == size-1 && size&1 == 1 {
						w.out = append(w.out, 0x5A) // the pad byte
					}
					cut()
				}
			}
			if size&1 == 1 && pos%frameSize != 0 && pos != len(src) {
				w.out = append(w.out, 0x5A)
			}
			// Matches would see positions of the raw bytes too.
			for p := pos - size; p+2 < pos; p++ {
				last[hash3(src[p:])] = p
			}
			continue
		}

		// Tokens of the block: no match crosses the block's or a
		// frame's end.
		end := pos + size
		var toks []lzxToken
		for p := pos; p < end; {
			limit := min(end, (p/frameSize+1)*frameSize) - p
			best, bestOff := 0, 0
			if !opt.noMatches && p+2 < len(src) {
				// the repeated offsets first, then the hash candidate
				cands := []int{r[0], r[1], r[2]}
				if q, ok := last[hash3(src[p:])]; ok {
					cands = append(cands, p-q)
				}
				for _, off := range cands {
					if off <= 0 || off > p || off > window-3 {
						continue
					}
					n := 0
					for n < min(limit, lzxMaxMatch) && src[p+n] == src[p-off+n] {
						n++
					}
					if n > best {
						best, bestOff = n, off
					}
				}
			}
			if p+2 < len(src) {
				last[hash3(src[p:])] = p
			}
			if best >= 3 {
				toks = append(toks, lzxToken{length: best, off: bestOff})
				for q := p + 1; q < p+best && q+2 < len(src); q++ {
					last[hash3(src[q:])] = q
				}
				p += best
			} else {
				toks = append(toks, lzxToken{lit: src[p]})
				p++
			}
		}
		// Symbols, with the repeated-offset list updated as the decoder will.
		type sym struct {
			main, length int // length -1: none
			slot         int
			footer       uint32
		}
		syms := make([]sym, len(toks))
		usedMain := make([]bool, mainSize)
		usedLen := make([]bool, lzxSecondaryLength)
		usedAligned := make([]bool, lzxAlignedSize)
		for i, t := range toks {
			if t.length == 0 {
				syms[i] = sym{main: int(t.lit), length: -1}
				usedMain[t.lit] = true
				continue
			}
			var slot int
			var footer uint32
			switch t.off {
			case r[0]:
				slot = 0
			case r[1]:
				slot = 1
				r[0], r[1] = r[1], r[0]
			case r[2]:
				slot = 2
				r[0], r[2] = r[2], r[0]
			default:
				slot, footer = slotOf(uint32(t.off+2), slots)
				r[2], r[1], r[0] = r[1], r[0], t.off
			}
			lh := min(t.length-lzxMinMatch, lzxPrimaryLengths)
			s := sym{main: lzxNumChars + slot<<3 | lh, length: -1, slot: slot, footer: footer}
			if lh == lzxPrimaryLengths {
				s.length = t.length - lzxMinMatch - lzxPrimaryLengths
				usedLen[s.length] = true
			}
			usedMain[s.main] = true
			if b.kind == lzxBlockAligned && slot >= 3 && lzxExtraBits[slot] >= 3 {
				usedAligned[footer&7] = true
			}
			syms[i] = s
		}
		mainLens := flatLengths(usedMain, nb)
		lenLens := flatLengths(usedLen, nb)
		var alignedLens []uint8
		if b.kind == lzxBlockAligned {
			alignedLens = flatLengths(usedAligned, nb)
			if !slices.Contains(usedAligned, true) {
				alignedLens = []uint8{3, 3, 3, 3, 3, 3, 3, 3}
			}
			for _, l := range alignedLens {
				w.bits(uint32(l), 3)
			}
		}
		w.writeLengths(prevMain[:lzxNumChars], mainLens[:lzxNumChars])
		w.writeLengths(prevMain[lzxNumChars:mainSize], mainLens[lzxNumChars:])
		w.writeLengths(prevLength[:], lenLens)
		copy(prevMain[:], mainLens)
		copy(prevLength[:], lenLens)
		mc, lc, ac := codes(mainLens), codes(lenLens), codes(alignedLens)
		for i, s := range syms {
			w.bits(mc[s.main], int(mainLens[s.main]))
			if s.length >= 0 {
				w.bits(lc[s.length], int(lenLens[s.length]))
			}
			if s.main >= lzxNumChars && s.slot >= 3 {
				extra := int(lzxExtraBits[s.slot])
				if b.kind == lzxBlockAligned && extra >= 3 {
					w.bits(s.footer>>3, extra-3)
					a := s.footer & 7
					w.bits(ac[a], int(alignedLens[a]))
				} else {
					w.bits(s.footer, extra)
				}
			}
			n := 1
			if toks[i].length > 0 {
				n = toks[i].length
			}
			pos += n
			if pos%frameSize == 0 || pos == len(src) {
				cut()
			}
		}
	}
	if len(payloads) != (len(src)+frameSize-1)/frameSize {
		panic(fmt.Sprintf("lzxCompress: %d payloads for %d bytes", len(payloads), len(src)))
	}
	return payloads, sizes
}

const lzxMaxMatch = 257

func hash3(b []byte) uint32 { return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 }

// lzxCab builds a cabinet with one LZX folder holding files.
func lzxCab(files []File, opt lzxTestOptions) []byte {
	payloads, sizes := lzxCompress(concat(files), opt)
	return oneFolderCab(files, uint16(opt.windowBits<<8|3), payloads, sizes)
}
