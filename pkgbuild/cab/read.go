package cab

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"
)

// ErrAmbiguous is wrapped by Read's error for a cabinet that readers
// read differently (see docs/cab-format-notes.md): it is refused rather
// than read one way.
var ErrAmbiguous = errors.New("ambiguous cabinet, refused")

// Entry is one member of a cabinet as its CFFILE record describes it.
type Entry struct {
	// Name is the stored name, '\' separators included. It is decoded as
	// UTF-8 when it is valid UTF-8 (whether or not attribute 0x80 says
	// so) and otherwise byte by byte as Latin-1. Read does not judge
	// names: absolute paths, ".." and the like are reported as stored.
	Name string
	Size uint32
	// Folder indexes Cabinet.Folders; Offset is where the member starts
	// in that folder's uncompressed stream.
	Folder   int
	Offset   uint32
	Attribs  uint16
	Modified time.Time // UTC; zero when the stored DOS date or time is invalid
}

// Folder is one CFFOLDER: a compressed stream of CFDATA blocks.
type Folder struct {
	Compression    uint16 // typeCompress: 0 none, 1 MSZIP, 0x0F03..0x1503 LZX
	Offset         uint32 // of the first CFDATA block
	Blocks         int
	CompressedSize int64 // payload bytes of all blocks
	Size           int64 // uncompressed bytes of all blocks
}

// Cabinet is a parsed cabinet. Extract reads its data from the
// io.ReaderAt given to Read, which must stay usable until then.
type Cabinet struct {
	Entries []Entry
	Folders []Folder
	Size    int64  // cbCabinet: the input size, less any signature after it
	SetID   uint16 // setID
	Index   uint16 // iCabinet
	// HeaderReserve is the per-cabinet reserve area (for example an
	// Authenticode signature directory), nil when there is none.
	HeaderReserve []byte
	// Signature locates the Authenticode signature after cbCabinet, nil
	// when the cabinet is not signed (see signature.go).
	Signature *Signature
	// Unread counts the bytes that belong to no structure: between the
	// tables, between or after the data blocks. Neither Read nor Extract
	// looks at them; a cabinet Write makes has none.
	Unread int64
	// Trailing counts those of the Unread bytes that come after every
	// structure, up to cbCabinet.
	Trailing int64

	r             io.ReaderAt
	folderReserve int
	dataReserve   int
	blocks        [][]blockRef
	order         [][]int // per folder, indexes of Entries by offset
}

// blockRef locates one CFDATA block.
type blockRef struct {
	off     int64 // of its header
	csum    uint32
	cb      uint16 // cbData
	uncomp  uint16 // cbUncomp
	payload int64  // offset of ab[0]
}

// Read parses and validates the structure of the cabinet in r: signature,
// version 1.3, flags, cbCabinet == size (or, for a signed cabinet,
// cbCabinet plus the signature the header reserve points to after it:
// any other byte after cbCabinet is refused), the header reserve, every folder,
// file and data block header, and that every offset, count and size stays
// within the input and agrees with the others. It reads no data payloads;
// Extract does. Multi-cabinet sets are not supported.
func Read(r io.ReaderAt, size int64) (*Cabinet, error) {
	p := &parser{r: r, size: size}
	return p.parse()
}

type parser struct {
	r    io.ReaderAt
	size int64
}

func (p *parser) read(off int64, n int, what string) ([]byte, error) {
	if off < 0 || n < 0 || off > p.size || int64(n) > p.size-off {
		return nil, fmt.Errorf("cab: %s at offset 0x%x (%d bytes) extends beyond the end of the cabinet (%d bytes)", what, off, n, p.size)
	}
	b := make([]byte, n)
	if n == 0 {
		return b, nil
	}
	if _, err := p.r.ReadAt(b, off); err != nil && !(err == io.EOF && n > 0) {
		return nil, fmt.Errorf("cab: reading %s at offset 0x%x: %w", what, off, err)
	}
	return b, nil
}

func (p *parser) parse() (*Cabinet, error) {
	if p.size < headerSize {
		return nil, fmt.Errorf("cab: %d bytes is too short for a cabinet header (%d bytes)", p.size, headerSize)
	}
	h, err := p.read(0, headerSize, "header")
	if err != nil {
		return nil, err
	}
	if string(h[:4]) != "MSCF" {
		return nil, fmt.Errorf("cab: not a cabinet: signature %q, want \"MSCF\"", h[:4])
	}
	for _, f := range []struct {
		off  int
		name string
	}{{0x04, "reserved1"}, {0x0C, "reserved2"}, {0x14, "reserved3"}} {
		if v := le.Uint32(h[f.off:]); v != 0 {
			return nil, fmt.Errorf("cab: header field %s at offset 0x%x is 0x%x, must be 0", f.name, f.off, v)
		}
	}
	if h[0x19] != versionMajor || h[0x18] != versionMinor {
		return nil, fmt.Errorf("cab: version %d.%d, only 1.3 is supported", h[0x19], h[0x18])
	}
	cb := int64(le.Uint32(h[0x08:]))
	if cb > p.size {
		return nil, fmt.Errorf("cab: header says the cabinet is %d bytes (cbCabinet), the input is only %d bytes: the file is truncated", cb, p.size)
	}
	coffFiles := int64(le.Uint32(h[0x10:]))
	nfolders := int(le.Uint16(h[0x1A:]))
	nfiles := int(le.Uint16(h[0x1C:]))
	flags := le.Uint16(h[0x1E:])
	c := &Cabinet{Size: cb, SetID: le.Uint16(h[0x20:]), Index: le.Uint16(h[0x22:]), r: p.r}
	if flags&^(flagPrevCabinet|flagNextCabinet|flagReserve) != 0 {
		return nil, fmt.Errorf("cab: unknown header flags 0x%04x", flags)
	}
	if flags&(flagPrevCabinet|flagNextCabinet) != 0 {
		return nil, fmt.Errorf("cab: cabinet is part of a multi-cabinet set (flags 0x%04x); sets are not supported", flags)
	}
	off := int64(headerSize)
	folderReserve := 0
	if flags&flagReserve != 0 {
		rs, err := p.read(off, 4, "reserve sizes")
		if err != nil {
			return nil, err
		}
		hr := int(le.Uint16(rs))
		if hr > maxHeaderReserve {
			return nil, fmt.Errorf("cab: header reserve of %d bytes exceeds the limit of %d", hr, maxHeaderReserve)
		}
		folderReserve = int(rs[2])
		c.folderReserve = folderReserve
		c.dataReserve = int(rs[3])
		off += 4
		if c.HeaderReserve, err = p.read(off, hr, "header reserve"); err != nil {
			return nil, err
		}
		off += int64(hr)
	}
	if err := c.locateSignature(p.size); err != nil {
		return nil, err
	}
	// Everything after cbCabinet is the signature; the structures lie
	// before it.
	p.size = cb

	// Folders follow the header; files start at coffFiles.
	fsz := folderSize + folderReserve
	if int64(nfolders)*int64(fsz) > p.size-off {
		return nil, fmt.Errorf("cab: %d folders at offset 0x%x extend beyond the end of the cabinet", nfolders, off)
	}
	if off+int64(nfolders)*int64(fsz) > coffFiles {
		return nil, fmt.Errorf("cab: folder table (0x%x..0x%x) overlaps the file table at 0x%x", off, off+int64(nfolders)*int64(fsz), coffFiles)
	}
	tablesEnd := off + int64(nfolders)*int64(fsz)
	if coffFiles != tablesEnd {
		// Windows' cabinet code (FDI, as Wine re-implements it) and
		// libmspack read the file records where the folder table ends;
		// 7-Zip and libarchive seek to coffFiles. With a gap, the two
		// see different members: neither reading is safe to vouch for.
		return nil, fmt.Errorf("cab: %w: the file table is at 0x%x by coffFiles, but the folder table ends at 0x%x, where Windows' cabinet code and cabextract read it; 7-Zip and bsdtar read the one at coffFiles, so readers list different members (%d bytes between them)",
			ErrAmbiguous, coffFiles, tablesEnd, coffFiles-tablesEnd)
	}
	ft, err := p.read(off, nfolders*fsz, "folder table")
	if err != nil {
		return nil, err
	}
	c.Folders = make([]Folder, nfolders)
	for i := range c.Folders {
		b := ft[i*fsz:]
		c.Folders[i] = Folder{
			Offset:      le.Uint32(b),
			Blocks:      int(le.Uint16(b[4:])),
			Compression: le.Uint16(b[6:]),
		}
	}

	// Files. Each record is at least 17 bytes (16 plus the NUL).
	if coffFiles > p.size {
		return nil, fmt.Errorf("cab: file table offset 0x%x (coffFiles) is beyond the end of the cabinet (%d bytes)", coffFiles, p.size)
	}
	if int64(nfiles)*(fileSize+1) > p.size-coffFiles {
		return nil, fmt.Errorf("cab: %d files at offset 0x%x extend beyond the end of the cabinet", nfiles, coffFiles)
	}
	tableLen := min(p.size-coffFiles, int64(nfiles)*(fileSize+maxNameLen+1))
	tb, err := p.read(coffFiles, int(tableLen), "file table")
	if err != nil {
		return nil, err
	}
	c.Entries = make([]Entry, 0, nfiles)
	pos := 0
	for i := range nfiles {
		at := coffFiles + int64(pos)
		if len(tb)-pos < fileSize+1 {
			return nil, fmt.Errorf("cab: file %d at offset 0x%x extends beyond the end of the cabinet", i, at)
		}
		b := tb[pos:]
		nameBytes := b[fileSize:min(len(b), fileSize+maxNameLen+1)]
		n := bytes.IndexByte(nameBytes, 0)
		if n < 0 {
			return nil, fmt.Errorf("cab: file %d at offset 0x%x: name is not NUL-terminated within %d bytes", i, at, maxNameLen+1)
		}
		e := Entry{
			Name:     decodeName(nameBytes[:n]),
			Size:     le.Uint32(b),
			Offset:   le.Uint32(b[4:]),
			Folder:   int(le.Uint16(b[8:])),
			Modified: fromDOS(le.Uint16(b[10:]), le.Uint16(b[12:])),
			Attribs:  le.Uint16(b[14:]),
		}
		switch {
		case e.Folder >= 0xFFFD:
			return nil, fmt.Errorf("cab: file %q continues across cabinets (folder index 0x%04x); sets are not supported", e.Name, e.Folder)
		case e.Folder >= nfolders:
			return nil, fmt.Errorf("cab: file %q: folder index %d, the cabinet has %d folders", e.Name, e.Folder, nfolders)
		}
		c.Entries = append(c.Entries, e)
		pos += fileSize + n + 1
	}
	dataMin := coffFiles + int64(pos) // data blocks come after the tables

	// Data block headers of every folder.
	c.blocks = make([][]blockRef, nfolders)
	hsz := int64(dataSize + c.dataReserve)
	type span struct {
		start, end int64
		folder     int
	}
	spans := make([]span, 0, nfolders)
	totalBlocks := int64(0)
	for fi := range c.Folders {
		f := &c.Folders[fi]
		switch {
		case f.Compression == compressNone, f.Compression == compressMSZIP, lzxWindowBits(f.Compression) != 0:
		default:
			return nil, fmt.Errorf("cab: folder %d: unsupported compression %s", fi, compressionName(f.Compression))
		}
		off := int64(f.Offset)
		if f.Blocks > 0 && off < dataMin {
			return nil, fmt.Errorf("cab: folder %d: data at offset 0x%x overlaps the header and file tables (end 0x%x)", fi, off, dataMin)
		}
		if int64(f.Blocks)*hsz > p.size-min(off, p.size) {
			return nil, fmt.Errorf("cab: folder %d: %d data blocks at offset 0x%x extend beyond the end of the cabinet", fi, f.Blocks, off)
		}
		// Blocks of different folders may not overlap, so together they
		// must fit after the tables; checking that first bounds the work
		// and memory a hostile header can ask for.
		totalBlocks += int64(f.Blocks)
		if totalBlocks*hsz > p.size-dataMin {
			return nil, fmt.Errorf("cab: folder %d: %d data blocks in all cannot fit in the %d bytes after the file table", fi, totalBlocks, p.size-dataMin)
		}
		refs := make([]blockRef, f.Blocks)
		var bh [dataSize]byte
		for bi := range refs {
			where := func() string { return fmt.Sprintf("data block %d of folder %d at offset 0x%x", bi, fi, off) }
			if off+hsz > p.size {
				return nil, fmt.Errorf("cab: %s: header extends beyond the end of the cabinet (%d bytes)", where(), p.size)
			}
			if _, err := p.r.ReadAt(bh[:], off); err != nil && err != io.EOF {
				return nil, fmt.Errorf("cab: reading %s: %w", where(), err)
			}
			ref := blockRef{off: off, csum: le.Uint32(bh[:]), cb: le.Uint16(bh[4:]), uncomp: le.Uint16(bh[6:]), payload: off + hsz}
			if ref.payload+int64(ref.cb) > p.size {
				return nil, fmt.Errorf("cab: %s: %d bytes of data extend beyond the end of the cabinet (%d bytes)", where(), ref.cb, p.size)
			}
			if ref.uncomp > frameSize {
				return nil, fmt.Errorf("cab: %s: %d uncompressed bytes, at most %d allowed", where(), ref.uncomp, frameSize)
			}
			if f.Compression == compressNone && ref.cb != ref.uncomp {
				return nil, fmt.Errorf("cab: %s: stored block has %d bytes of data but %d uncompressed bytes", where(), ref.cb, ref.uncomp)
			}
			refs[bi] = ref
			f.CompressedSize += int64(ref.cb)
			f.Size += int64(ref.uncomp)
			off = ref.payload + int64(ref.cb)
		}
		c.blocks[fi] = refs
		if f.Blocks > 0 {
			spans = append(spans, span{int64(f.Offset), off, fi})
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			return nil, fmt.Errorf("cab: data of folders %d and %d overlap at offset 0x%x", spans[i-1].folder, spans[i].folder, spans[i].start)
		}
	}
	at := dataMin
	for _, sp := range spans {
		c.Unread += sp.start - at
		at = sp.end
	}
	c.Unread += p.size - at
	c.Trailing = p.size - at
	for _, e := range c.Entries {
		fsize := c.Folders[e.Folder].Size
		if int64(e.Offset)+int64(e.Size) > fsize {
			if e.Offset == 0 {
				return nil, fmt.Errorf("cab: file %q: declared size %d exceeds folder data (%d bytes)", e.Name, e.Size, fsize)
			}
			return nil, fmt.Errorf("cab: file %q: declared size %d at offset %d exceeds folder data (%d bytes)", e.Name, e.Size, e.Offset, fsize)
		}
	}
	// Files of a folder may not share bytes. Otherwise a few bytes of file
	// table could hand out the same decompressed data again and again: a
	// 117 KB cabinet of 100 files over one 64 MiB folder made 6.4 GiB of
	// members. With no overlap, what Extract hands out is at most the
	// folders' size, which the blocks bound (32 KiB each).
	c.order = make([][]int, nfolders)
	for i, e := range c.Entries {
		c.order[e.Folder] = append(c.order[e.Folder], i)
	}
	for fi, idx := range c.order {
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(c.Entries[a].Offset, c.Entries[b].Offset) })
		prev := -1
		for _, i := range idx {
			e := c.Entries[i]
			if e.Size == 0 {
				continue
			}
			if prev >= 0 {
				p := c.Entries[prev]
				if int64(e.Offset) < int64(p.Offset)+int64(p.Size) {
					return nil, fmt.Errorf("cab: files %q (%d bytes at offset %d) and %q (%d bytes at offset %d) overlap in folder %d; a file's data may belong to one file only", p.Name, p.Size, p.Offset, e.Name, e.Size, e.Offset, fi)
				}
			}
			prev = i
		}
	}
	return c, nil
}

func compressionName(t uint16) string {
	switch t & 0x0F {
	case 2:
		return fmt.Sprintf("0x%04x (Quantum)", t)
	case 3:
		return fmt.Sprintf("0x%04x (LZX)", t)
	}
	return fmt.Sprintf("0x%04x", t)
}

// decodeName decodes a stored name: UTF-8 when valid, else Latin-1.
func decodeName(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// Extract decompresses every folder, verifies the checksum of every data
// block (a stored checksum of 0 means none was computed and is accepted)
// and calls fn for each entry with a reader of its bytes. Folders are
// processed in order, and the entries of each folder by offset (in
// file-table order where offsets are equal); for a well-formed cabinet,
// whose file table is ordered by folder and offset, that is simply the
// file-table order. r is valid only during the call, and fn need not read
// it to the end. An error from fn stops Extract and is returned as is,
// unless the data itself was bad (a checksum, an MSZIP block): then that
// error is returned, whatever fn made of it. Every block is checked, the
// ones after the last entry included.
//
// The data streams through a window of two MSZIP frames (64 KiB): memory
// does not grow with the size of a folder or a member.
func (c *Cabinet) Extract(fn func(e Entry, r io.Reader) error) error {
	var s stream
	for fi := range c.Folders {
		s.start(c, fi)
		for _, i := range c.order[fi] {
			e := c.Entries[i]
			start, end := int64(e.Offset), int64(e.Offset)+int64(e.Size)
			if e.Size > 0 {
				if err := s.skip(start); err != nil {
					return err
				}
			}
			er := entryReader{s: &s, left: int64(e.Size)}
			err := fn(e, &er)
			if s.err != nil {
				return s.err
			}
			if err != nil {
				return err
			}
			if e.Size > 0 {
				if err := s.skip(end); err != nil {
					return err
				}
			}
		}
		if err := s.skip(c.Folders[fi].Size); err != nil {
			return err
		}
	}
	return nil
}

// stream is the uncompressed data of one folder, decompressed one block
// at a time.
type stream struct {
	c    *Cabinet
	fi   int
	next int    // the next block to load
	buf  []byte // up to frameSize bytes of history, then the current block
	off  int    // read position in buf
	pos  int64  // offset in the folder of buf[off]
	err  error  // sticky

	raw     []byte // data reserve and payload of the current block
	payload []byte
	zr      io.ReadCloser
	src     bytes.Reader
	lzx     *lzxDecoder // of the current folder
}

func (s *stream) start(c *Cabinet, fi int) {
	if s.buf == nil {
		s.buf = make([]byte, 0, 2*frameSize+1)
	}
	s.c, s.fi, s.next, s.buf, s.off, s.pos, s.err = c, fi, 0, s.buf[:0], 0, 0, nil
}

// avail returns the bytes at the read position, loading the next block
// when the current one is used up; io.EOF at the end of the folder.
func (s *stream) avail() ([]byte, error) {
	for s.off == len(s.buf) {
		if s.err != nil {
			return nil, s.err
		}
		if s.next == len(s.c.blocks[s.fi]) {
			return nil, io.EOF
		}
		s.err = s.load()
	}
	return s.buf[s.off:], nil
}

func (s *stream) advance(n int) {
	s.off += n
	s.pos += int64(n)
}

// skip moves the read position forward to offset to, checking the blocks
// on the way.
func (s *stream) skip(to int64) error {
	for s.pos < to {
		b, err := s.avail()
		if err == io.EOF {
			return fmt.Errorf("cab: folder %d ends at offset %d, before %d", s.fi, s.pos, to)
		}
		if err != nil {
			return err
		}
		s.advance(int(min(int64(len(b)), to-s.pos)))
	}
	return nil
}

// load decompresses the next block onto the history in s.buf.
func (s *stream) load() error {
	if len(s.buf) > frameSize {
		s.buf = s.buf[:copy(s.buf, s.buf[len(s.buf)-frameSize:])]
	}
	s.off = len(s.buf)
	bi, fi, c := s.next, s.fi, s.c
	s.next++
	ref := c.blocks[fi][bi]
	res := c.dataReserve
	// Read the data reserve with the payload: one of the two checksum
	// forms covers it.
	s.raw = slices.Grow(s.raw[:0], res+int(ref.cb))[:res+int(ref.cb)]
	if _, err := c.r.ReadAt(s.raw, ref.payload-int64(res)); err != nil && !(err == io.EOF && len(s.raw) > 0) {
		return fmt.Errorf("cab: reading data block %d of folder %d at offset 0x%x: %w", bi, fi, ref.off, err)
	}
	s.payload = s.raw[res:]
	if ref.csum != 0 {
		if got, ok := verifyBlock(ref, s.raw[:res], s.payload); !ok {
			return fmt.Errorf("cab: data block %d of folder %d at offset 0x%x: checksum mismatch (stored 0x%08x, computed 0x%08x)", bi, fi, ref.off, ref.csum, got)
		}
	}
	switch comp := c.Folders[fi].Compression; comp {
	case compressNone:
		s.buf = append(s.buf, s.payload...)
	case compressMSZIP:
		if err := s.inflate(ref); err != nil {
			s.buf = s.buf[:s.off] // hand out nothing of a bad block
			return fmt.Errorf("cab: data block %d of folder %d at offset 0x%x: %w", bi, fi, ref.off, err)
		}
	default: // LZX, the only other kind Read accepts; the decoder keeps its own window
		if bi == 0 {
			s.lzx = newLZXDecoder(lzxWindowBits(comp))
		}
		out, err := s.lzx.frame(s.payload, int(ref.uncomp))
		if err != nil {
			return fmt.Errorf("cab: data block %d of folder %d at offset 0x%x: %w", bi, fi, ref.off, err)
		}
		s.buf = append(s.buf, out...)
	}
	return nil
}

// entryReader reads one entry's bytes from a stream.
type entryReader struct {
	s    *stream
	left int64
}

func (r *entryReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	b, err := r.s.avail()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, err
	}
	n := copy(p, b[:min(int64(len(b)), r.left)])
	r.s.advance(n)
	r.left -= int64(n)
	return n, nil
}

// WriteTo hands w the stream's own buffer, so that io.Copy allocates
// nothing.
func (r *entryReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for r.left > 0 {
		b, err := r.s.avail()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return total, err
		}
		n, err := w.Write(b[:min(int64(len(b)), r.left)])
		r.s.advance(n)
		r.left -= int64(n)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// verifyBlock checks the stored checksum of a block. [MS-CAB] has it
// cover cbData, cbUncomp, the data reserve and the payload, and 7-Zip
// checks it that way; libmspack leaves the reserve out. The two agree
// whenever there is no reserve, and either form is accepted otherwise. It
// returns the checksum computed by the first form for error messages.
func verifyBlock(ref blockRef, reserve, payload []byte) (uint32, bool) {
	var sizes [4]byte // cbData‖cbUncomp
	le.PutUint16(sizes[:], ref.cb)
	le.PutUint16(sizes[2:], ref.uncomp)
	data := checksum(payload, 0)
	plain := checksum(sizes[:4], data)
	if plain == ref.csum || len(reserve) == 0 {
		return plain, plain == ref.csum
	}
	// The reserve follows the 4 size bytes, so its words line up after
	// them; fold it as one run with the sizes.
	run := append(sizes[:4:4], reserve...)
	return plain, checksum(run, data) == ref.csum
}

// inflate decompresses one MSZIP block onto s.buf, with the previous
// 32 KiB of the folder as history.
func (s *stream) inflate(ref blockRef) error {
	p := s.payload
	if len(p) < 2 || p[0] != 'C' || p[1] != 'K' {
		return errors.New("MSZIP block does not start with \"CK\"")
	}
	dict := s.buf[max(0, len(s.buf)-frameSize):]
	s.src.Reset(p[2:])
	if s.zr == nil {
		s.zr = flate.NewReaderDict(&s.src, dict)
	} else if err := s.zr.(flate.Resetter).Reset(&s.src, dict); err != nil {
		return err
	}
	n := len(s.buf)
	want := int(ref.uncomp)
	s.buf = slices.Grow(s.buf, want+1)[:n+want]
	got, err := io.ReadFull(s.zr, s.buf[n:])
	if err != nil {
		s.buf = s.buf[:n+got]
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return fmt.Errorf("MSZIP block decompresses to %d bytes, header says %d", got, want)
		}
		return fmt.Errorf("MSZIP block: %w", err)
	}
	var one [1]byte
	if k, err := s.zr.Read(one[:]); k > 0 {
		return fmt.Errorf("MSZIP block decompresses to more than the %d bytes the header says", want)
	} else if err != io.EOF {
		if err == nil {
			err = errors.New("deflate stream does not end")
		}
		return fmt.Errorf("MSZIP block: %w", err)
	}
	return nil
}

// DataReserve is the size of each CFDATA block's reserve area
// (cbCFData), 0 when the cabinet has none.
func (c *Cabinet) DataReserve() int { return c.dataReserve }
