package cab

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/provpack/provpack/internal/testutil"
)

// realworldCabs returns the directory of the third-party cabinets in
// ../shared/realworld/cab (see SOURCES.md there), skipping the test when
// it is absent, or failing it under PROVPACK_REQUIRE_TOOLS=1.
func realworldCabs(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(testutil.Root(), "..", "shared", "realworld", "cab")
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return dir
	}
	if testutil.Required() {
		t.Fatalf("real-world cabinets %s are required (PROVPACK_REQUIRE_TOOLS=1) but missing", dir)
	}
	t.Skipf("real-world cabinets not found at %s; they sit beside the project in ../shared", dir)
	return ""
}

// rawFolder is one folder as a test reads it straight from the bytes,
// without Read: its CFDATA payloads and sizes, and its members.
type rawFolder struct {
	compression uint16
	payloads    [][]byte
	uncomp      []int
	files       []rawFile
}

type rawFile struct {
	name         string
	offset, size int
}

// rawFolders parses just enough of a single cabinet to hand its folders'
// blocks to a decoder directly: it accepts what Read refuses (Quantum
// folders beside LZX ones, data after cbCabinet) and stops at what it
// cannot parse, returning the folders complete so far.
func rawFolders(data []byte) []rawFolder {
	u16 := func(off int) int {
		if off < 0 || off+2 > len(data) {
			return -1
		}
		return int(le.Uint16(data[off:]))
	}
	u32 := func(off int) int {
		if off < 0 || off+4 > len(data) {
			return -1
		}
		return int(le.Uint32(data[off:]))
	}
	if len(data) < headerSize || string(data[:4]) != "MSCF" {
		return nil
	}
	flags := u16(0x1E)
	if flags&(flagPrevCabinet|flagNextCabinet) != 0 {
		return nil
	}
	off, folderRes, dataRes := headerSize, 0, 0
	if flags&flagReserve != 0 {
		hr := u16(off)
		if hr < 0 || off+4 > len(data) {
			return nil
		}
		folderRes, dataRes = int(data[off+2]), int(data[off+3])
		off += 4 + hr
	}
	n := u16(0x1A)
	var out []rawFolder
	for i := range n {
		fo := off + i*(folderSize+folderRes)
		start, blocks, comp := u32(fo), u16(fo+4), u16(fo+6)
		if comp < 0 {
			break
		}
		f := rawFolder{compression: uint16(comp)}
		p := start
		for range blocks {
			cb, un := u16(p+4), u16(p+6)
			body := p + dataSize + dataRes
			if cb < 0 || un < 0 || body+cb > len(data) {
				return out
			}
			f.payloads = append(f.payloads, data[body:body+cb])
			f.uncomp = append(f.uncomp, un)
			p = body + cb
		}
		out = append(out, f)
	}
	p := u32(0x10)
	for range u16(0x1C) {
		size, foff, fi := u32(p), u32(p+4), u16(p+8)
		if fi < 0 || p+fileSize > len(data) {
			break
		}
		name, _, ok := bytes.Cut(data[p+fileSize:], []byte{0})
		if !ok {
			break
		}
		if fi < len(out) {
			out[fi].files = append(out[fi].files, rawFile{string(name), foff, size})
		}
		p += fileSize + len(name) + 1
	}
	return out
}

// decodeLZXFolder runs the LZX decoder over a folder's blocks, checking
// that every frame has its declared size.
func decodeLZXFolder(t testing.TB, f rawFolder) ([]byte, error) {
	t.Helper()
	d := newLZXDecoder(lzxWindowBits(f.compression))
	var out []byte
	for i, p := range f.payloads {
		b, err := d.frame(p, f.uncomp[i])
		if err != nil {
			return out, err
		}
		if len(b) != f.uncomp[i] {
			t.Fatalf("frame %d: %d bytes, want %d", i, len(b), f.uncomp[i])
		}
		out = append(out, b...)
	}
	return out, nil
}

// cabextractAll extracts a cabinet with cabextract into a new directory.
// cabextract may report errors for folders it cannot decode; the files
// it did write are returned regardless.
func cabextractAll(t *testing.T, path string) string {
	t.Helper()
	dir := t.TempDir()
	toolOutput(dir, "cabextract", "-q", "-d", dir, path)
	return dir
}

// lzxSamples lists the real cabinets with at least one LZX folder.
func lzxSamples(t testing.TB) map[string][]byte {
	dir := realworldCabs(t)
	names, err := filepath.Glob(filepath.Join(dir, "*.cab"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, p := range names {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range rawFolders(data) {
			if f.compression&0x000F == 3 {
				out[p] = data
				break
			}
		}
	}
	return out
}

// TestLZXFoldersAgainstCabextract decodes every LZX folder of the real
// cabinets block by block and compares each member with cabextract's.
// The CVE-2015-4471 cabinet has its own test.
func TestLZXFoldersAgainstCabextract(t *testing.T) {
	testutil.Tool(t, "cabextract", "cabextract")
	samples := lzxSamples(t)
	delete(samples, filepath.Join(realworldCabs(t), "libmspack_cve-2015-4471-lzx-under-read.cab"))
	if len(samples) < 4 {
		t.Fatalf("found %d cabinets with LZX folders, want at least 4", len(samples))
	}
	for path, data := range samples {
		t.Run(filepath.Base(path), func(t *testing.T) {
			dir := cabextractAll(t, path)
			compared := 0
			for fi, f := range rawFolders(data) {
				if f.compression&0x000F != 3 {
					continue
				}
				if lzxWindowBits(f.compression) == 0 {
					t.Fatalf("folder %d: typeCompress 0x%04x", fi, f.compression)
				}
				stream, err := decodeLZXFolder(t, f)
				if err != nil {
					t.Fatalf("folder %d: %v", fi, err)
				}
				for _, m := range f.files {
					want, err := os.ReadFile(filepath.Join(dir, strings.ReplaceAll(m.name, `\`, "/")))
					if err != nil {
						t.Fatalf("cabextract's %s: %v", m.name, err)
					}
					if m.offset+m.size > len(stream) {
						t.Fatalf("%s: folder has %d bytes, member ends at %d", m.name, len(stream), m.offset+m.size)
					}
					if got := stream[m.offset : m.offset+m.size]; !bytes.Equal(got, want) {
						t.Errorf("%s: %d bytes differ from cabextract's %d", m.name, len(got), len(want))
					}
					compared++
				}
			}
			if compared == 0 {
				t.Fatal("no member compared")
			}
			t.Logf("%d members byte-identical to cabextract's", compared)
		})
	}
}

// TestLZXReadAgainstCabextract reads the real LZX cabinets through Read
// and Extract. The signed package carries its Authenticode signature
// after cbCabinet, which Read accepts where the header reserve points.
func TestLZXReadAgainstCabextract(t *testing.T) {
	testutil.Tool(t, "cabextract", "cabextract")
	dir := realworldCabs(t)
	for _, name := range []string{
		"ms_navigationbar_en-us.spkr.cab",
		"libmspack_large-files-cab.cab",
		"libmspack_normal_2files_2folders.cab",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Read(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			out := cabextractAll(t, path)
			n := 0
			err = c.Extract(withData(func(e Entry, got []byte) error {
				want, err := os.ReadFile(filepath.Join(out, strings.ReplaceAll(e.Name, `\`, "/")))
				if err != nil {
					return err
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s: %d bytes differ from cabextract's %d", e.Name, len(got), len(want))
				}
				n++
				return nil
			}))
			if err != nil {
				t.Fatal(err)
			}
			if n != len(c.Entries) || n == 0 {
				t.Fatalf("%d of %d members extracted", n, len(c.Entries))
			}
		})
	}
}

// TestLZXCVE20154471: the cabinet behind CVE-2015-4471 (an LZX under-read
// in libmspack) gives an error, through Read and with its one data block
// handed to the decoder directly (decodes to nothing, once cbCabinet is
// made to match).
func TestLZXCVE20154471(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(realworldCabs(t), "libmspack_cve-2015-4471-lzx-under-read.cab"))
	if err != nil {
		t.Fatal(err)
	}
	if err := extractErr(data); err == nil {
		t.Error("Read and Extract: no error")
	}
	fixed := bytes.Clone(data)
	le.PutUint32(fixed[8:], uint32(len(fixed)))
	if err := extractErr(fixed); err == nil {
		t.Error("Read and Extract with cbCabinet fixed: no error")
	}
	for _, f := range rawFolders(data) {
		bits := lzxWindowBits(f.compression)
		if bits == 0 {
			bits = lzxMaxWindowBits // decode the data anyway
		}
		f.compression = uint16(bits<<8 | 3)
		done := make(chan error, 1)
		go func() {
			_, err := decodeLZXFolder(t, f)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil && len(f.payloads) > 0 {
				t.Error("decoder: no error")
			}
			t.Logf("decoder: %v", err)
		case <-time.After(5 * time.Second):
			t.Fatal("decoder still running after 5s")
		}
	}
}

var _ = errors.New

// callText is text with x86-style calls (0xE8 and a 32-bit operand)
// sprinkled in, some with operands inside the translation range.
func callText(seed uint64, n int) []byte {
	rng := newRand(seed)
	b := wordText(rng, n)
	for i := 0; i+5 < len(b); i += 20 + rng.IntN(60) {
		b[i] = 0xE8
		v := uint32(rng.IntN(1 << 20))
		if rng.IntN(4) == 0 {
			v = -v
		}
		le.PutUint32(b[i+1:], v)
	}
	return b
}

func lzxTestCases() []struct {
	name  string
	files []File
	opt   lzxTestOptions
} {
	rng := newRand(18)
	text := wordText(rng, 150_000)
	mixed := slices.Concat(randomBytes(rng, 40_000), text[:50_000], randomBytes(rng, 3), text[:33_333])
	verbatim := []lzxTestBlock{{lzxBlockVerbatim, 1 << 20}}
	return []struct {
		name  string
		files []File
		opt   lzxTestOptions
	}{
		{"verbatim one block", []File{{Name: "a.txt", Data: text}}, lzxTestOptions{windowBits: 16, blocks: verbatim}},
		{"small window wraps", []File{{Name: "a.txt", Data: text}}, lzxTestOptions{windowBits: 15, blocks: []lzxTestBlock{{lzxBlockVerbatim, 50_000}, {lzxBlockAligned, 70_001}}}},
		{"aligned 21 bits", []File{{Name: "a", Data: mixed}, {Name: `d\b`, Data: text[:1000]}}, lzxTestOptions{windowBits: 21, blocks: []lzxTestBlock{{lzxBlockAligned, 40_000}}}},
		{"uncompressed odd sizes", []File{{Name: "a", Data: mixed}}, lzxTestOptions{windowBits: 17, blocks: []lzxTestBlock{{lzxBlockUncompressed, 32_767}, {lzxBlockUncompressed, 1}, {lzxBlockVerbatim, 9_999}, {lzxBlockUncompressed, 40_001}}}},
		{"uncompressed ends frames", []File{{Name: "a", Data: text[:3*frameSize+5]}}, lzxTestOptions{windowBits: 18, blocks: []lzxTestBlock{{lzxBlockVerbatim, frameSize - 3}, {lzxBlockUncompressed, 3}, {lzxBlockAligned, frameSize}, {lzxBlockUncompressed, frameSize}}}},
		{"all kinds small blocks", []File{{Name: "a", Data: mixed}}, lzxTestOptions{windowBits: 19, blocks: []lzxTestBlock{{1, 777}, {2, 1234}, {3, 555}, {3, 2}, {1, 1}, {2, 3000}}}},
		{"literals only", []File{{Name: "r", Data: randomBytes(rng, 70_000)}}, lzxTestOptions{windowBits: 20, noMatches: true, blocks: verbatim}},
		{"e8", []File{{Name: "prog.exe", Data: callText(7, 100_000)}}, lzxTestOptions{windowBits: 21, e8Size: 12_000_000, blocks: []lzxTestBlock{{1, 60_000}, {3, 20_001}, {2, 50_000}}}},
		{"e8 small size", []File{{Name: "prog.exe", Data: callText(8, 70_000)}}, lzxTestOptions{windowBits: 16, e8Size: 30_000, blocks: verbatim}},
		{"tiny", []File{{Name: "x", Data: []byte("abcabcabcabcabc\xe8\x01\x00\x00\x00")}}, lzxTestOptions{windowBits: 15, e8Size: 1000, blocks: verbatim}},
	}
}

// TestLZXRoundTrip decodes streams from the test compressor, through Read
// and Extract, and has cabextract extract the same cabinets: both must
// give back the input.
func TestLZXRoundTrip(t *testing.T) {
	for _, tc := range lzxTestCases() {
		t.Run(tc.name, func(t *testing.T) {
			data := lzxCab(tc.files, tc.opt)
			c, got := readAll(t, data)
			if len(c.Folders) != 1 || lzxWindowBits(c.Folders[0].Compression) != tc.opt.windowBits {
				t.Fatalf("folders %+v", c.Folders)
			}
			for _, f := range tc.files {
				if !bytes.Equal(got[f.Name], f.Data) {
					t.Errorf("%s: decoded %d bytes differ from the %d input bytes", f.Name, len(got[f.Name]), len(f.Data))
				}
			}
			if testing.Short() {
				return
			}
			testutil.Tool(t, "cabextract", "cabextract")
			dir := t.TempDir()
			path := filepath.Join(dir, "lzx.cab")
			writeFile(t, path, data)
			out := filepath.Join(dir, "out")
			runTool(t, dir, "cabextract", "-q", "-d", out, path)
			compareTree(t, "cabextract", out, tc.files)
		})
	}
}

// lzxFuzzInput lays out frames for FuzzLZX: the payloads one after the
// other, and for each frame its payload size and output size (uint16
// each).
func lzxFuzzInput(payloads [][]byte, sizes []int) (stream, layout []byte) {
	for i, p := range payloads {
		stream = append(stream, p...)
		layout = le.AppendUint16(layout, uint16(len(p)))
		layout = le.AppendUint16(layout, uint16(sizes[i]))
	}
	return stream, layout
}

// lzxFuzzMaxFrames bounds the frames of one fuzz input, to keep runs fast.
const lzxFuzzMaxFrames = 48

// FuzzLZX feeds frames to the LZX decoder. Property: it never panics,
// every frame it accepts comes out exactly as long as asked (at most
// 32 KiB), the window never exceeds its size, and it returns promptly.
// Seeded from the LZX folders of the real cabinets and the test
// compressor.
func FuzzLZX(f *testing.F) {
	dir := filepath.Join(testutil.Root(), "..", "shared", "realworld", "cab")
	names, _ := filepath.Glob(filepath.Join(dir, "*.cab"))
	for _, p := range names {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, fo := range rawFolders(data) {
			bits := lzxWindowBits(fo.compression)
			if bits == 0 {
				continue
			}
			n := min(len(fo.payloads), lzxFuzzMaxFrames)
			stream, layout := lzxFuzzInput(fo.payloads[:n], fo.uncomp[:n])
			f.Add(uint8(bits-lzxMinWindowBits), stream, layout)
		}
	}
	for _, tc := range lzxTestCases() {
		var data []byte
		for _, file := range tc.files {
			data = append(data, file.Data...)
		}
		data = data[:min(len(data), 3*frameSize+100)]
		payloads, sizes := lzxCompress(data, tc.opt)
		stream, layout := lzxFuzzInput(payloads, sizes)
		f.Add(uint8(tc.opt.windowBits-lzxMinWindowBits), stream, layout)
	}
	f.Fuzz(func(t *testing.T, bits uint8, stream, layout []byte) {
		wb := lzxMinWindowBits + int(bits)%(lzxMaxWindowBits-lzxMinWindowBits+1)
		d := newLZXDecoder(wb)
		start := time.Now()
		for i := 0; len(layout) >= 4 && i < lzxFuzzMaxFrames; i++ {
			cb, n := min(int(le.Uint16(layout)), len(stream)), int(le.Uint16(layout[2:]))
			layout = layout[4:]
			out, err := d.frame(stream[:cb], n)
			stream = stream[cb:]
			if err != nil {
				if n >= 1 && n <= frameSize && len(out) != 0 {
					t.Fatalf("frame %d: output with an error", i)
				}
				break
			}
			if n < 1 || n > frameSize {
				t.Fatalf("frame %d: accepted an output size of %d", i, n)
			}
			if len(out) != n {
				t.Fatalf("frame %d: %d bytes out, %d asked", i, len(out), n)
			}
		}
		if len(d.window) > 1<<wb {
			t.Fatalf("window of %d bytes, its size is %d", len(d.window), 1<<wb)
		}
		if el := time.Since(start); el > 5*time.Second {
			t.Fatalf("took %v", el)
		}
	})
}

// verbatimHeader writes the header and trees of a verbatim block of size
// bytes whose main code holds exactly the symbols in used (a window of
// 2^15), with an empty length tree.
func verbatimHeader(w *lzxBitWriter, size int, used ...int) (lens []uint8, codes_ []uint32) {
	mainSize := lzxNumChars + 8*lzxSlots[15]
	u := make([]bool, mainSize)
	for _, s := range used {
		u[s] = true
	}
	lens = flatLengths(u, 0)
	w.bits(lzxBlockVerbatim, 3)
	w.bits(uint32(size), 24)
	zero := make([]uint8, lzxMaxMainSize)
	w.writeLengths(zero[:lzxNumChars], lens[:lzxNumChars])
	w.writeLengths(zero[lzxNumChars:mainSize], lens[lzxNumChars:])
	w.writeLengths(zero[:lzxSecondaryLength], zero[:lzxSecondaryLength])
	return lens, codes(lens)
}

// TestLZXErrors: malformed streams give an error naming the problem.
func TestLZXErrors(t *testing.T) {
	stream := func(f func(w *lzxBitWriter)) []byte {
		w := &lzxBitWriter{}
		w.bits(0, 1) // no E8 translation
		f(w)
		w.align()
		return w.out
	}
	uncompressed := func(w *lzxBitWriter, size int, r0 uint32, data []byte) {
		w.bits(lzxBlockUncompressed, 3)
		w.bits(uint32(size), 24)
		w.align()
		w.out = le.AppendUint32(w.out, r0)
		w.out = le.AppendUint32(w.out, 1)
		w.out = le.AppendUint32(w.out, 1)
		w.out = append(w.out, data...)
	}
	match := lzxNumChars // slot 0 (R0), length 2
	tests := []struct {
		name   string
		frames [][]byte
		sizes  []int
		want   string
	}{
		{"block type", [][]byte{stream(func(w *lzxBitWriter) { w.bits(0, 27) })}, []int{10}, "LZX block type 0 is invalid"},
		{"block type 5", [][]byte{stream(func(w *lzxBitWriter) { w.bits(5, 3); w.bits(10, 24) })}, []int{10}, "LZX block type 5 is invalid"},
		{"empty", [][]byte{nil}, []int{10}, "LZX data ends before the frame does"},
		{"short uncompressed", [][]byte{stream(func(w *lzxBitWriter) { uncompressed(w, 10, 1, []byte("abcde")) })}, []int{10}, "LZX data ends before the frame does"},
		{"frame size 0", [][]byte{{0, 0}}, []int{0}, "LZX frame of 0 bytes, must be 1..32768"},
		{"frame size", [][]byte{{0, 0}}, []int{frameSize + 1}, "LZX frame of 32769 bytes, must be 1..32768"},
		{"after a short frame", [][]byte{
			stream(func(w *lzxBitWriter) { uncompressed(w, 20, 1, []byte("0123456789abcdefghij")) }), {},
		}, []int{10, 10}, "LZX frame follows a frame shorter than 32768 bytes"},
		{"offset before the start", [][]byte{stream(func(w *lzxBitWriter) {
			uncompressed(w, 2, 5, []byte("ab"))
			lens, c := verbatimHeader(w, 2, match, 'a')
			w.bits(c[match], int(lens[match]))
		})}, []int{4}, "LZX match offset 5 reaches before the start of the data"},
		{"match past the frame", [][]byte{stream(func(w *lzxBitWriter) {
			lens, c := verbatimHeader(w, 3, match, 'a')
			w.bits(c['a'], int(lens['a']))
			w.bits(c['a'], int(lens['a']))
			w.bits(c[match], int(lens[match]))
		})}, []int{3}, "LZX match of 2 bytes runs past the end of its block or frame"},
		{"match past the block", [][]byte{stream(func(w *lzxBitWriter) {
			lens, c := verbatimHeader(w, 2, match, 'a')
			w.bits(c['a'], int(lens['a']))
			w.bits(c[match], int(lens[match]))
		})}, []int{100}, "LZX match of 2 bytes runs past the end of its block or frame"},
		{"over-subscribed", [][]byte{stream(func(w *lzxBitWriter) {
			w.bits(lzxBlockAligned, 3)
			w.bits(100, 24)
			for range 8 {
				w.bits(1, 3)
			}
		})}, []int{100}, "LZX Huffman code is over-subscribed"},
		{"incomplete", [][]byte{stream(func(w *lzxBitWriter) {
			w.bits(lzxBlockAligned, 3)
			w.bits(100, 24)
			w.bits(1, 3)
			w.bits(0, 21)
		})}, []int{100}, "LZX Huffman code is incomplete"},
		{"run past the table", [][]byte{stream(func(w *lzxBitWriter) {
			w.bits(lzxBlockVerbatim, 3)
			w.bits(100, 24)
			// pretree: symbols 0 and 18, one bit each
			for s := range lzxPretreeSize {
				l := 0
				if s == 0 || s == 18 {
					l = 1
				}
				w.bits(uint32(l), 4)
			}
			for range 12 { // 12 runs of 20+31 zeros: 612 > 256
				w.bits(1, 1)
				w.bits(31, 5)
			}
		})}, []int{100}, "LZX code lengths run past the end of their table"},
		{"unread data", [][]byte{append(stream(func(w *lzxBitWriter) { uncompressed(w, 4, 1, []byte("abcd")) }), make([]byte, lzxMaxCarry+2)...)}, []int{4}, "LZX frame leaves 65538 bytes of its data unread"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newLZXDecoder(15)
			var err error
			for i, p := range tc.frames {
				if _, err = d.frame(p, tc.sizes[i]); err != nil {
					break
				}
			}
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestLZXReadError: an LZX error names the block, folder and offset, with
// the package prefix, when it comes through Extract.
func TestLZXReadError(t *testing.T) {
	files := []File{{Name: "a.txt", Data: []byte("hello, hello, hello")}}
	data := lzxCab(files, lzxTestOptions{windowBits: 15, blocks: []lzxTestBlock{{lzxBlockVerbatim, 100}}})
	c, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	ref := c.blocks[0][0]
	data[ref.payload+1] ^= 0x70 // the block type: the high byte of the first word, after the E8 bit
	le.PutUint32(data[ref.off:], 0)
	err = extractErr(data)
	want := `^cab: data block 0 of folder 0 at offset 0x[0-9a-f]+: LZX `
	if err == nil || !regexp.MustCompile(want).MatchString(err.Error()) {
		t.Errorf("error %v, want match %s", err, want)
	}
}

// BenchmarkLZX decodes the LZX folder of libmspack's large-files-cab.cab
// (14 MB out of 26 KB: long matches) and of the test compressor's text.
func BenchmarkLZX(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(realworldCabs(b), "libmspack_large-files-cab.cab"))
	if err != nil {
		b.Fatal(err)
	}
	rng := newRand(5)
	text := wordText(rng, 4<<20)
	payloads, sizes := lzxCompress(text, lzxTestOptions{windowBits: 21, blocks: []lzxTestBlock{{lzxBlockAligned, 1 << 20}}})
	for _, bc := range []struct {
		name string
		f    rawFolder
	}{
		{"large-files", rawFolders(data)[0]},
		{"text", rawFolder{compression: 21<<8 | 3, payloads: payloads, uncomp: sizes}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			total := 0
			for _, n := range bc.f.uncomp {
				total += n
			}
			b.SetBytes(int64(total))
			b.ReportAllocs()
			for b.Loop() {
				d := newLZXDecoder(lzxWindowBits(bc.f.compression))
				for i, p := range bc.f.payloads {
					if _, err := d.frame(p, bc.f.uncomp[i]); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
