package cab

import (
	"errors"
	"fmt"
	"slices"
)

// LZX decompression of cabinet folders (typeCompress 0x0003 with the
// window size in bits 8..12), written from [MS-PATCH] "LZX DELTA
// Compression and Decompression" §2 and [MS-CAB]. The cabinet flavour of
// LZX is LZXD without the DELTA extensions: windows of 2^15..2^21 bytes,
// no reference data, and a 24-bit block size.
//
// A folder's CFDATA payloads form one bit stream. The compressor pads it
// to a 16-bit boundary after every 32 KiB of output (a frame), which is
// what lets each CFDATA block hold exactly one frame. The decoder keeps
// its state (window, trees, R0..R2, the block in progress) from frame to
// frame; memory is the window, grown as output arrives, plus one frame.

const (
	lzxMinWindowBits = 15
	lzxMaxWindowBits = 21

	lzxNumChars        = 256
	lzxPrimaryLengths  = 7   // length headers 0..6 in the main symbol; 7 means "more in the length tree"
	lzxSecondaryLength = 249 // symbols of the length tree
	lzxMinMatch        = 2
	lzxPretreeSize     = 20
	lzxAlignedSize     = 8
	lzxMaxSlots        = 50 // position slots of a 2^21 window
	lzxMaxMainSize     = lzxNumChars + 8*lzxMaxSlots

	lzxBlockVerbatim     = 1
	lzxBlockAligned      = 2
	lzxBlockUncompressed = 3

	// lzxE8Frames is how many frames get E8 call translation: the first
	// 1 GiB of output, 32768 frames of 32 KiB.
	lzxE8Frames = 32768
	// lzxMaxCarry bounds the input a frame may leave unread for the next:
	// more than one CFDATA payload cannot be meant.
	lzxMaxCarry = 1 << 16
)

// lzxSlots is the number of position slots for each window size.
var lzxSlots = [lzxMaxWindowBits + 1]int{15: 30, 16: 32, 17: 34, 18: 36, 19: 38, 20: 42, 21: 50}

// lzxExtraBits and lzxPositionBase give, per position slot, the number of
// footer bits and the smallest formatted offset ([MS-PATCH], verbatim
// block):
// slots 0..3 have no footer, then two slots each of 1, 2, … footer bits,
// capped at 17.
var lzxExtraBits, lzxPositionBase = func() (extra [lzxMaxSlots]uint8, base [lzxMaxSlots]uint32) {
	for i := range extra {
		if i >= 4 {
			extra[i] = uint8(min((i-2)/2, 17))
		}
		if i > 0 {
			base[i] = base[i-1] + 1<<extra[i-1]
		}
	}
	return
}()

// lzxWindowBits returns the window size, in bits, of an LZX typeCompress
// value, or 0 when t is not LZX with a window of 2^15..2^21 bytes. Bits
// outside the type and the window field must be zero.
func lzxWindowBits(t uint16) int {
	if t&0x000F != 3 || t&^0x1F0F != 0 {
		return 0
	}
	bits := int(t>>8) & 0x1F
	if bits < lzxMinWindowBits || bits > lzxMaxWindowBits {
		return 0
	}
	return bits
}

var (
	errLZXShort   = errors.New("LZX data ends before the frame does")
	errLZXBadCode = errors.New("LZX data holds an invalid Huffman code")
)

// lzxDecoder decodes the LZX stream of one folder, frame by frame.
type lzxDecoder struct {
	windowBits int
	slots      int
	window     []byte // ring buffer; grows up to 1<<windowBits
	total      int64  // bytes decoded so far
	frames     int64
	short      bool  // a frame shorter than 32 KiB was decoded: it must be the last
	err        error // the first error; the state after it is not usable

	headerRead bool
	e8Size     int32 // E8 translation size; 0 = no translation

	frameStart     int // window position of the frame being decoded
	blockType      int
	blockLen       int
	blockRemaining int
	r              [3]uint32

	mainLens    [lzxMaxMainSize]uint8
	lengthLens  [lzxSecondaryLength]uint8
	alignedLens [lzxAlignedSize]uint8
	main        huffman
	length      huffman
	aligned     huffman
	pretree     huffman

	br    lzxBits
	carry []byte // input left unread by the previous frame
	join  []byte
	out   []byte // the frame handed out, after E8 translation
}

func newLZXDecoder(windowBits int) *lzxDecoder {
	return &lzxDecoder{
		windowBits: windowBits,
		slots:      lzxSlots[windowBits],
		r:          [3]uint32{1, 1, 1},
	}
}

// frame decodes the CFDATA payload of the next frame, which must produce
// n bytes (1..32768). The result is valid until the next call. After an
// error, every later call returns the same error.
func (d *lzxDecoder) frame(payload []byte, n int) ([]byte, error) {
	if d.err != nil {
		return nil, d.err
	}
	out, err := d.decodeFrame(payload, n)
	d.err = err
	return out, err
}

func (d *lzxDecoder) decodeFrame(payload []byte, n int) ([]byte, error) {
	if n <= 0 || n > frameSize {
		return nil, fmt.Errorf("LZX frame of %d bytes, must be 1..%d", n, frameSize)
	}
	if d.short {
		return nil, errors.New("LZX frame follows a frame shorter than 32768 bytes")
	}
	in := payload
	if len(d.carry) > 0 {
		d.join = append(append(d.join[:0], d.carry...), payload...)
		in = d.join
	}
	d.br.reset(in)

	// The window never wraps inside a frame: its size is a multiple of
	// 32 KiB and only the last frame may be shorter.
	size := 1 << d.windowBits
	pos := int(d.total & int64(size-1))
	if len(d.window) < pos+n {
		if cap(d.window) < pos+n { // double, so that growing costs about the window once
			w := make([]byte, pos+n, min(size, max(pos+n, 2*cap(d.window))))
			copy(w, d.window)
			d.window = w
		}
		d.window = d.window[:pos+n]
	}
	d.frameStart = pos
	if err := d.decode(pos, pos+n); err != nil {
		return nil, err
	}

	// Realign to 16 bits for the next frame and keep what is unread.
	used, err := d.br.frameEnd()
	if err != nil {
		return nil, err
	}
	if len(in)-used > lzxMaxCarry {
		return nil, fmt.Errorf("LZX frame leaves %d bytes of its data unread", len(in)-used)
	}
	d.carry = append(d.carry[:0], in[used:]...)

	d.out = append(d.out[:0], d.window[pos:pos+n]...)
	if d.e8Size != 0 && d.frames < lzxE8Frames && n > 10 {
		e8Translate(d.out, d.total, d.e8Size)
	}
	d.total += int64(n)
	d.frames++
	d.short = n < frameSize
	return d.out, nil
}

// e8Translate undoes the E8 preprocessing on one frame that starts at
// stream offset start ([MS-PATCH], "E8 call translation"): every
// 0xE8 byte but in the last 10 is followed by a 32-bit value the
// compressor turned from a relative call target into an absolute one.
func e8Translate(b []byte, start int64, size int32) {
	for i := 0; i < len(b)-10; i++ {
		if b[i] != 0xE8 {
			continue
		}
		cur := int32(start + int64(i))
		abs := int32(le.Uint32(b[i+1:]))
		if abs >= -cur && abs < size {
			rel := abs - cur
			if abs < 0 {
				rel = abs + size
			}
			le.PutUint32(b[i+1:], uint32(rel))
		}
		i += 4
	}
}

// decode fills d.window[pos:end].
func (d *lzxDecoder) decode(pos, end int) error {
	br := &d.br
	if !d.headerRead {
		d.headerRead = true
		if br.bits(1) == 1 {
			hi := br.bits(16)
			d.e8Size = int32(hi<<16 | br.bits(16))
		}
	}
	for pos < end {
		if d.blockRemaining == 0 {
			if err := d.readBlockHeader(); err != nil {
				return err
			}
			continue
		}
		run := min(d.blockRemaining, end-pos)
		var err error
		switch d.blockType {
		case lzxBlockUncompressed:
			err = br.copyBytes(d.window[pos : pos+run])
		default:
			err = d.decodeRun(pos, pos+run)
		}
		if err != nil {
			return err
		}
		pos += run
		d.blockRemaining -= run
	}
	return nil
}

func (d *lzxDecoder) readBlockHeader() error {
	br := &d.br
	if d.blockType == lzxBlockUncompressed && d.blockLen&1 == 1 {
		br.skipByte() // the pad byte after an odd-sized uncompressed block
	}
	d.blockType = int(br.bits(3))
	d.blockLen = int(br.bits(24))
	d.blockRemaining = d.blockLen
	if br.overrun() {
		return errLZXShort
	}
	switch d.blockType {
	case lzxBlockAligned:
		for i := range d.alignedLens {
			d.alignedLens[i] = uint8(br.bits(3))
		}
		if err := d.aligned.build(d.alignedLens[:]); err != nil {
			return err
		}
		fallthrough
	case lzxBlockVerbatim:
		mainSize := lzxNumChars + 8*d.slots
		if err := d.readLengths(d.mainLens[:lzxNumChars]); err != nil {
			return err
		}
		if err := d.readLengths(d.mainLens[lzxNumChars:mainSize]); err != nil {
			return err
		}
		if err := d.main.build(d.mainLens[:mainSize]); err != nil {
			return err
		}
		if err := d.readLengths(d.lengthLens[:]); err != nil {
			return err
		}
		if err := d.length.build(d.lengthLens[:]); err != nil {
			return err
		}
	case lzxBlockUncompressed:
		var r [12]byte
		if err := br.alignToBytes(r[:]); err != nil {
			return err
		}
		for i := range d.r {
			d.r[i] = le.Uint32(r[4*i:])
		}
	default:
		return fmt.Errorf("LZX block type %d is invalid", d.blockType)
	}
	if br.overrun() {
		return errLZXShort
	}
	return nil
}

// readLengths reads the code lengths of lens with a pretree, as deltas
// against their previous values ([MS-PATCH], the pretree).
func (d *lzxDecoder) readLengths(lens []uint8) error {
	br := &d.br
	var pl [lzxPretreeSize]uint8
	for i := range pl {
		pl[i] = uint8(br.bits(4))
	}
	if err := d.pretree.build(pl[:]); err != nil {
		return err
	}
	for i := 0; i < len(lens); {
		if br.overrun() {
			return errLZXShort
		}
		sym := d.pretree.decode(br)
		var run int
		var v uint8
		switch {
		case sym < 0:
			return errLZXBadCode
		case sym <= 16:
			lens[i] = uint8((int(lens[i]) - sym + 17) % 17)
			i++
			continue
		case sym == 17:
			run = 4 + int(br.bits(4))
		case sym == 18:
			run = 20 + int(br.bits(5))
		default: // 19: a short run of one delta-coded length
			run = 4 + int(br.bits(1))
			z := d.pretree.decode(br)
			if z < 0 || z > 16 {
				return errLZXBadCode
			}
			v = uint8((int(lens[i]) - z + 17) % 17)
		}
		if run > len(lens)-i {
			return errors.New("LZX code lengths run past the end of their table")
		}
		for j := range run {
			lens[i+j] = v
		}
		i += run
	}
	return nil
}

// decodeRun decodes verbatim or aligned symbols into d.window[pos:end];
// a match may not reach past end, the end of the block or the frame.
func (d *lzxDecoder) decodeRun(pos, end int) error {
	br := &d.br
	w := d.window
	mask := 1<<d.windowBits - 1
	size := 1 << d.windowBits
	for pos < end {
		if br.overrun() {
			return errLZXShort
		}
		sym := d.main.decode(br)
		if sym < 0 {
			return errLZXBadCode
		}
		if sym < lzxNumChars {
			w[pos] = byte(sym)
			pos++
			continue
		}
		sym -= lzxNumChars
		length := sym & 7
		if length == lzxPrimaryLengths {
			l := d.length.decode(br)
			if l < 0 {
				return errLZXBadCode
			}
			length += l
		}
		length += lzxMinMatch
		slot := sym >> 3
		var off uint32
		switch slot {
		case 0:
			off = d.r[0]
		case 1:
			off = d.r[1]
			d.r[1] = d.r[0]
			d.r[0] = off
		case 2:
			off = d.r[2]
			d.r[2] = d.r[0]
			d.r[0] = off
		default:
			extra := int(lzxExtraBits[slot])
			off = lzxPositionBase[slot] - 2
			switch {
			case d.blockType == lzxBlockAligned && extra >= 3:
				off += br.bits(extra-3) << 3
				a := d.aligned.decode(br)
				if a < 0 {
					return errLZXBadCode
				}
				off += uint32(a)
			default:
				off += br.bits(extra)
			}
			d.r[2] = d.r[1]
			d.r[1] = d.r[0]
			d.r[0] = off
		}
		if length > end-pos {
			return fmt.Errorf("LZX match of %d bytes runs past the end of its block or frame", length)
		}
		if off == 0 || int64(off) > d.total+int64(pos-d.frameStart) || int(off) > size {
			return fmt.Errorf("LZX match offset %d reaches before the start of the data", off)
		}
		src := (pos - int(off)) & mask
		if src+length <= pos || src >= pos+length && src+length <= len(w) {
			copy(w[pos:pos+length], w[src:src+length]) // no overlap
		} else {
			for j := range length {
				w[pos+j] = w[(src+j)&mask]
			}
		}
		pos += length
	}
	return nil
}

// lzxBits reads the LZX bit stream: 16-bit little-endian words, each
// read from its most significant bit. Reading past the end of the input
// yields zero bits and is noted; whether bits past the end were really
// used is checked with overrun.
type lzxBits struct {
	in    []byte
	pos   int    // next input byte to load
	buf   uint64 // unread bits, most significant first
	nbits int
}

func (b *lzxBits) reset(in []byte) {
	*b = lzxBits{in: in}
}

func (b *lzxBits) refill() {
	for b.nbits <= 48 {
		var w uint64
		if b.pos+1 < len(b.in) {
			w = uint64(b.in[b.pos]) | uint64(b.in[b.pos+1])<<8
		} else if b.pos < len(b.in) {
			w = uint64(b.in[b.pos])
		}
		b.pos += 2
		b.buf |= w << (48 - b.nbits)
		b.nbits += 16
	}
}

// bits reads n bits (n ≤ 32) as an unsigned number.
func (b *lzxBits) bits(n int) uint32 {
	if n == 0 {
		return 0
	}
	if n > 16 {
		hi := b.bits(n - 16)
		return hi<<16 | b.bits(16)
	}
	b.refill()
	v := uint32(b.buf >> (64 - n))
	b.buf <<= n
	b.nbits -= n
	return v
}

func (b *lzxBits) peek16() uint32 {
	b.refill()
	return uint32(b.buf >> 48)
}

func (b *lzxBits) consume(n int) {
	b.buf <<= n
	b.nbits -= n
}

// consumed is the number of input bits used so far.
func (b *lzxBits) consumed() int64 { return int64(b.pos)*8 - int64(b.nbits) }

// overrun reports whether more bits were used than the input holds.
func (b *lzxBits) overrun() bool { return b.consumed() > int64(len(b.in))*8 }

// toByte drops buffered bits and moves the byte position to the first
// byte not yet used; the caller has aligned to a byte boundary.
func (b *lzxBits) toByte() {
	b.pos = int(b.consumed() / 8)
	b.buf, b.nbits = 0, 0
}

// alignToBytes handles the start of an uncompressed block: 1 to 16 bits
// of padding up to the next 16-bit boundary, then r is filled with the
// stored R0..R2, and the block's bytes follow.
func (b *lzxBits) alignToBytes(r []byte) error {
	skip := b.nbits % 16 // the buffer holds whole words
	if skip == 0 {
		skip = 16
	}
	b.bits(skip)
	if b.overrun() {
		return errLZXShort
	}
	b.toByte()
	return b.copyBytes(r)
}

// copyBytes copies raw input bytes inside an uncompressed block. The
// reader is then byte-aligned with nothing buffered: alignToBytes left it
// so, and a new frame starts so.
func (b *lzxBits) copyBytes(dst []byte) error {
	if len(b.in)-b.pos < len(dst) {
		return errLZXShort
	}
	b.pos += copy(dst, b.in[b.pos:])
	return nil
}

// skipByte skips the pad byte after an odd-sized uncompressed block
// (in byte mode, like copyBytes).
func (b *lzxBits) skipByte() { b.pos++ }

// frameEnd drops the padding up to the next 16-bit boundary and returns
// how many input bytes the frame used.
func (b *lzxBits) frameEnd() (int, error) {
	if b.nbits%16 != 0 {
		b.consume(b.nbits % 16)
	}
	if b.overrun() {
		return 0, errLZXShort
	}
	return int(b.consumed() / 8), nil
}

// huffman decodes one canonical Huffman code of up to 16-bit codes, as
// LZX uses them: codes are assigned in order of length, then symbol.
type huffman struct {
	fast  [1 << huffFastBits]uint32 // sym<<5 | length for codes ≤ huffFastBits; 0 for longer
	count [17]uint16
	syms  []uint16 // symbols ordered by code
	empty bool
}

const huffFastBits = 10

// build prepares decoding for the code lengths lens. Lengths must fill
// the code space exactly, as [MS-PATCH] requires of a prefix code, or be
// all zero (an empty code, an error only when a symbol is read).
func (h *huffman) build(lens []uint8) error {
	h.count = [17]uint16{}
	for _, l := range lens {
		if l > 16 {
			return errLZXBadCode
		}
		h.count[l]++
	}
	h.count[0] = 0
	left := 1
	for l := 1; l <= 16; l++ {
		left = left<<1 - int(h.count[l])
		if left < 0 {
			return errors.New("LZX Huffman code is over-subscribed")
		}
	}
	h.empty = left == 1<<16
	if left != 0 && !h.empty {
		return errors.New("LZX Huffman code is incomplete")
	}
	var offs [18]int
	for l := 1; l <= 16; l++ {
		offs[l+1] = offs[l] + int(h.count[l])
	}
	h.syms = slices.Grow(h.syms[:0], offs[17])[:offs[17]]
	for s, l := range lens {
		if l != 0 {
			h.syms[offs[l]] = uint16(s)
			offs[l]++
		}
	}
	clear(h.fast[:])
	code, idx := 0, 0
	for l := 1; l <= 16; l++ {
		for range int(h.count[l]) {
			if l <= huffFastBits {
				e := uint32(h.syms[idx])<<5 | uint32(l)
				lo := code << (huffFastBits - l)
				for j := range 1 << (huffFastBits - l) {
					h.fast[lo+j] = e
				}
			}
			code++
			idx++
		}
		code <<= 1
	}
	return nil
}

// decode reads one symbol; it returns -1 for an empty code.
func (h *huffman) decode(b *lzxBits) int {
	if h.empty {
		return -1
	}
	v := b.peek16()
	if e := h.fast[v>>(16-huffFastBits)]; e != 0 {
		b.consume(int(e & 31))
		return int(e >> 5)
	}
	code, first, idx := 0, 0, 0
	for l := 1; l <= 16; l++ {
		code |= int(v>>(16-l)) & 1
		c := int(h.count[l])
		if code-first < c {
			b.consume(l)
			return int(h.syms[idx+code-first])
		}
		idx += c
		first = (first + c) << 1
		code <<= 1
	}
	return -1 // unreachable for a complete code
}
