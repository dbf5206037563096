package cab

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestReadGcab reads cabinets made by gcab, compressed (MSZIP) and stored.
func TestReadGcab(t *testing.T) {
	requireTool(t, "gcab", "gcab")
	rng := newRand(31)
	files := []File{
		{Name: "small.txt", Data: []byte("hello from gcab\n")},
		{Name: "empty.txt"},
		{Name: "big.provxml", Data: provxmlDoc(rng, 150_000)},
		{Name: "random.bin", Data: randomBytes(rng, 70_000)},
		{Name: "sub/nested.txt", Data: wordText(rng, 5000)},
		{Name: "café.txt", Data: []byte("non-ASCII name")},
	}
	dir := t.TempDir()
	var names []string
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, p, f.Data)
		names = append(names, f.Name)
	}
	for _, mode := range []string{"-z", ""} {
		t.Run("gcab -c "+mode, func(t *testing.T) {
			args := []string{"-c"}
			if mode != "" {
				args = append(args, mode)
			}
			args = append(args, "out.cab")
			runTool(t, dir, "gcab", append(args, names...)...)
			data, err := os.ReadFile(filepath.Join(dir, "out.cab"))
			if err != nil {
				t.Fatal(err)
			}
			c := checkOwnReader(t, data, files)
			if c.Unread != 0 {
				t.Errorf("%d bytes of gcab's cabinet belong to no structure", c.Unread)
			}
			want := uint16(compressMSZIP)
			if mode == "" {
				want = compressNone
			}
			for i, f := range c.Folders {
				if f.Compression != want {
					t.Errorf("folder %d compression %d, want %d", i, f.Compression, want)
				}
			}
			checksums := 0
			for _, refs := range c.blocks {
				for _, r := range refs {
					if r.csum != 0 {
						checksums++
					}
				}
			}
			if checksums == 0 {
				t.Errorf("gcab wrote no checksums; the test does not verify any")
			}
			// A damaged byte in the data is caught.
			last := c.blocks[0][len(c.blocks[0])-1]
			bad := slices.Clone(data)
			bad[last.payload+int64(last.cb)/2] ^= 0x10
			if err := extractErr(bad); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
				t.Errorf("damaged gcab cabinet: %v", err)
			}
		})
	}
}

// extractErr reads and extracts data, returning the first error.
func extractErr(data []byte) error {
	c, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	return c.Extract(func(Entry, io.Reader) error { return nil })
}

// snapshot is everything a reader can observe about a cabinet.
type snapshot struct {
	entries []Entry
	data    [][]byte
	setID   uint16
	index   uint16
	reserve []byte
}

func (s *snapshot) equal(o *snapshot) bool {
	if !slices.Equal(s.entries, o.entries) || s.setID != o.setID || s.index != o.index || !bytes.Equal(s.reserve, o.reserve) || len(s.data) != len(o.data) {
		return false
	}
	for i := range s.data {
		if !bytes.Equal(s.data[i], o.data[i]) {
			return false
		}
	}
	return true
}

func observe(data []byte) (*snapshot, error) {
	c, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	s := &snapshot{entries: c.Entries, setID: c.SetID, index: c.Index, reserve: c.HeaderReserve}
	err = c.Extract(withData(func(_ Entry, d []byte) error {
		s.data = append(s.data, bytes.Clone(d))
		return nil
	}))
	return s, err
}

// flipTestCabinet has three folders of one to two blocks, several files
// with ASCII and UTF-8 names, and an empty file.
func flipTestCabinet(t *testing.T) []byte {
	t.Helper()
	old := maxFolderBlocks
	maxFolderBlocks = 2
	defer func() { maxFolderBlocks = old }()
	rng := newRand(41)
	files := []File{
		{Name: "a.provxml", Data: provxmlDoc(rng, 40000)},
		{Name: "b/ü.txt", Data: wordText(rng, 3000)},
		{Name: "c.txt"},
		{Name: "d.txt", Data: wordText(rng, 40000)},
		{Name: "e.bin", Data: randomBytes(rng, 30000)},
	}
	data := mustWrite(t, files, WriteOptions{})
	c, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Folders) < 3 {
		t.Fatalf("flip test cabinet has %d folders", len(c.Folders))
	}
	return data
}

// probeOffsets lists the offsets of a cabinet worth damaging: every byte
// of the header and the folder and file tables, every byte of every data
// block header (and its "CK"), the first and last bytes of every payload,
// and a stride through the payloads.
func probeOffsets(t *testing.T, data []byte) []int {
	t.Helper()
	c, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var offsets []int
	for off := range int(c.Folders[0].Offset) {
		offsets = append(offsets, off)
	}
	for _, refs := range c.blocks {
		for _, r := range refs {
			for off := r.off; off < r.payload+2; off++ {
				offsets = append(offsets, int(off))
			}
			end := r.payload + int64(r.cb)
			for off := r.payload + 2; off < end; off += 41 {
				offsets = append(offsets, int(off))
			}
			for off := max(r.payload+2, end-4); off < end; off++ {
				offsets = append(offsets, int(off))
			}
		}
	}
	slices.Sort(offsets)
	return slices.Compact(offsets)
}

// TestFlipBytes changes single bytes of a cabinet; Read and Extract must
// then fail or observe something different, never return the original
// silently.
func TestFlipBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("exhaustive; runs without -short")
	}
	data := flipTestCabinet(t)
	orig, err := observe(data)
	if err != nil {
		t.Fatal(err)
	}
	tables := int(le.Uint32(data[headerSize:])) // first folder's data
	for _, off := range probeOffsets(t, data) {
		flips := []byte{0x01}
		if off < tables {
			flips = append(flips, 0x80, 0xFF)
		}
		for _, x := range flips {
			bad := slices.Clone(data)
			bad[off] ^= x
			got, err := observe(bad)
			if err == nil && got.equal(orig) {
				t.Errorf("byte 0x%x ^ 0x%02x: Read and Extract return the original cabinet", off, x)
			}
		}
	}
}

// TestTruncate cuts the cabinet at structure boundaries and within
// structures: the size check catches it, and with cbCabinet patched to
// match, the structure checks do.
func TestTruncate(t *testing.T) {
	data := flipTestCabinet(t)
	for _, n := range probeOffsets(t, data) {
		cut := slices.Clone(data[:n])
		if _, err := Read(bytes.NewReader(cut), int64(n)); err == nil {
			t.Fatalf("truncated to %d bytes: Read succeeds", n)
		}
		if n >= 12 {
			le.PutUint32(cut[8:], uint32(n))
			if err := extractErr(cut); err == nil {
				t.Fatalf("truncated to %d bytes with cbCabinet patched: no error", n)
			}
		}
	}
}

func TestReadErrors(t *testing.T) {
	files := []File{{Name: "x.provxml", Data: bytes.Repeat([]byte("<parm/>"), 4000/7+1)[:4000]}}
	good := mustWrite(t, files, WriteOptions{})
	c, err := Read(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	coffFiles := int(le.Uint32(good[0x10:]))
	blk := c.blocks[0][0]
	patch := func(f func(b []byte)) []byte {
		b := slices.Clone(good)
		f(b)
		return b
	}
	tests := []struct {
		name string
		data []byte
		want string // regexp
	}{
		{"short", good[:20], `^cab: 20 bytes is too short for a cabinet header \(36 bytes\)$`},
		{"signature", patch(func(b []byte) { b[0] = 'X' }), `^cab: not a cabinet: signature "XSCF", want "MSCF"$`},
		{"reserved", patch(func(b []byte) { b[0x0C] = 1 }), `^cab: header field reserved2 at offset 0xc is 0x1, must be 0$`},
		{"version", patch(func(b []byte) { b[0x18] = 2 }), `^cab: version 1\.2, only 1\.3 is supported$`},
		{"size", patch(func(b []byte) { le.PutUint32(b[8:], 99) }), `^cab: \d+ trailing bytes after the end of the cabinet at 99 bytes \(cbCabinet\); the header reserve points to no Authenticode signature there`},
		{"truncated", patch(func(b []byte) { le.PutUint32(b[8:], 99999) }), `^cab: header says the cabinet is 99999 bytes \(cbCabinet\), the input is only \d+ bytes: the file is truncated$`},
		{"flags", patch(func(b []byte) { b[0x1E] = 0x08 }), `^cab: unknown header flags 0x0008$`},
		{"set", patch(func(b []byte) { b[0x1E] = 0x02 }), `multi-cabinet set`},
		{"lzx window", patch(func(b []byte) { le.PutUint16(b[headerSize+6:], 0x1603) }), `^cab: folder 0: unsupported compression 0x1603 \(LZX\)$`},
		{"quantum", patch(func(b []byte) { le.PutUint16(b[headerSize+6:], 0x0002) }), `^cab: folder 0: unsupported compression 0x0002 \(Quantum\)$`},
		{"folder index", patch(func(b []byte) { le.PutUint16(b[coffFiles+8:], 1) }), `^cab: file "x\.provxml": folder index 1, the cabinet has 1 folders$`},
		{"continued", patch(func(b []byte) { le.PutUint16(b[coffFiles+8:], 0xFFFE) }), `continues across cabinets`},
		{"declared size", patch(func(b []byte) { le.PutUint32(b[coffFiles:], 5000) }), `^cab: file "x\.provxml": declared size 5000 exceeds folder data \(4000 bytes\)$`},
		{"declared offset", patch(func(b []byte) { le.PutUint32(b[coffFiles+4:], 1) }), `^cab: file "x\.provxml": declared size 4000 at offset 1 exceeds folder data \(4000 bytes\)$`},
		{"uncomp", patch(func(b []byte) { le.PutUint16(b[blk.off+6:], 40000) }), `^cab: data block 0 of folder 0 at offset 0x[0-9a-f]+: 40000 uncompressed bytes, at most 32768 allowed$`},
		{"checksum", patch(func(b []byte) { b[blk.payload+5] ^= 1 }), `^cab: data block 0 of folder 0 at offset 0x[0-9a-f]+: checksum mismatch \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)$`},
		{"no CK", patch(func(b []byte) {
			b[blk.payload] = 'Q'
			le.PutUint32(b[blk.off:], 0)
		}), `^cab: data block 0 of folder 0 at offset 0x[0-9a-f]+: MSZIP block does not start with "CK"$`},
		{"uncomp mismatch", patch(func(b []byte) {
			le.PutUint16(b[blk.off+6:], 3999)
			le.PutUint32(b[blk.off:], 0)
			le.PutUint32(b[coffFiles:], 3999)
		}), `^cab: data block 0 of folder 0 at offset 0x[0-9a-f]+: MSZIP block decompresses to more than the 3999 bytes the header says$`},
		{"name unterminated", func() []byte {
			long := mustWrite(t, []File{{Name: strings.Repeat("n", 255), Data: []byte("x")}}, WriteOptions{})
			long[coffFiles+fileSize+255] = 'x'
			return long
		}(), `^cab: file 0 at offset 0x[0-9a-f]+: name is not NUL-terminated within 256 bytes$`},
		{"overlap", patch(func(b []byte) { le.PutUint32(b[headerSize:], uint32(coffFiles)) }), `overlaps the header and file tables`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := extractErr(tc.data)
			if err == nil {
				t.Fatalf("no error, want %s", tc.want)
			}
			if !regexp.MustCompile(tc.want).MatchString(err.Error()) {
				t.Errorf("error %q\nwant match %s", err, tc.want)
			}
		})
	}
}

// TestZeroChecksum: a stored checksum of 0 means "not computed". gcab 1.5
// does not honour that: it extracts nothing and reports an incorrect
// checksum, so it is left out here (Write always stores the checksum).
func TestZeroChecksum(t *testing.T) {
	rng := newRand(3)
	files := []File{{Name: "a", Data: wordText(rng, 90000)}}
	data := mustWrite(t, files, WriteOptions{})
	c, _ := Read(bytes.NewReader(data), int64(len(data)))
	for _, ref := range c.blocks[0] {
		le.PutUint32(data[ref.off:], 0)
	}
	checkOwnReader(t, data, files)
	checkWithToolsExcept(t, data, files, "gcab")
}

// withReserve rebuilds a cabinet written by Write with reserve areas:
// hdr as the per-cabinet reserve, folderRes filler bytes in every CFFOLDER
// and dataRes in every CFDATA. With msCsum, block checksums are
// recomputed to cover the data reserve as [MS-CAB] and 7-Zip have it;
// otherwise they are kept, which is the libmspack form.
func withReserve(t testing.TB, data, hdr []byte, folderRes int, dataRes []byte, msCsum bool) []byte {
	t.Helper()
	c, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	nf := len(c.Folders)
	coffFiles := int(le.Uint32(data[0x10:]))
	shift := 4 + len(hdr) + nf*folderRes
	out := slices.Clone(data[:headerSize])
	out[0x1E] |= flagReserve
	le.PutUint32(out[0x10:], uint32(coffFiles+shift))
	out = le.AppendUint16(out, uint16(len(hdr)))
	out = append(out, byte(folderRes), byte(len(dataRes)))
	out = append(out, hdr...)
	blocksBefore := 0
	for i, f := range c.Folders {
		out = le.AppendUint32(out, f.Offset+uint32(shift+blocksBefore*len(dataRes)))
		out = append(out, data[headerSize+i*folderSize+4:headerSize+(i+1)*folderSize]...)
		out = append(out, bytes.Repeat([]byte{0xF0}, folderRes)...)
		blocksBefore += f.Blocks
	}
	out = append(out, data[coffFiles:c.Folders[0].Offset]...)
	for _, refs := range c.blocks {
		for _, r := range refs {
			start := len(out)
			out = append(out, data[r.off:r.off+dataSize]...)
			out = append(out, dataRes...)
			out = append(out, data[r.payload:r.payload+int64(r.cb)]...)
			if msCsum {
				// XOR of the words from cbData through the last payload
				// byte, the reserve included: fold the header run and the
				// payload separately, as 7-Zip does.
				hdrRun := out[start+4 : start+dataSize+len(dataRes)]
				le.PutUint32(out[start:], checksum(hdrRun, checksum(data[r.payload:r.payload+int64(r.cb)], 0)))
			}
		}
	}
	le.PutUint32(out[8:], uint32(len(out)))
	return out
}

func TestReadReserve(t *testing.T) {
	old := maxFolderBlocks
	maxFolderBlocks = 2
	defer func() { maxFolderBlocks = old }()
	rng := newRand(8)
	files := []File{{Name: "a.txt", Data: wordText(rng, 40000)}, {Name: "b.txt", Data: wordText(rng, 30000)}}
	plain := mustWrite(t, files, WriteOptions{})
	sig := []byte("signature-directory")

	// A data reserve whose words XOR to zero satisfies both checksum forms,
	// so every reader must accept it.
	zeroSum := bytes.Repeat([]byte{0xD0}, 8)
	data := withReserve(t, plain, sig, 5, zeroSum, false)
	c := checkOwnReader(t, data, files)
	if string(c.HeaderReserve) != "signature-directory" || len(c.Folders) != 2 {
		t.Errorf("reserve %q, %d folders", c.HeaderReserve, len(c.Folders))
	}
	dir := t.TempDir()
	writeFile(t, dir+"/zero.cab", data)
	requireTool(t, "cabextract", "cabextract")
	requireTool(t, "7zz", "7zip")
	runTool(t, dir, "cabextract", "-t", dir+"/zero.cab")
	runTool(t, dir, "7zz", "t", dir+"/zero.cab")

	// Otherwise libmspack and 7-Zip each accept one form; we accept both.
	odd := bytes.Repeat([]byte{0xD0}, 7)
	for _, ms := range []bool{false, true} {
		data := withReserve(t, plain, sig, 5, odd, ms)
		checkOwnReader(t, data, files)
		path := fmt.Sprintf("%s/odd-%v.cab", dir, ms)
		writeFile(t, path, data)
		tool, other := "cabextract", "7zz"
		args, otherArgs := []string{"-t", path}, []string{"t", path}
		if ms {
			tool, other = other, tool
			args, otherArgs = otherArgs, args
		}
		runTool(t, dir, tool, args...)
		if _, err := toolOutput(dir, other, otherArgs...); err == nil {
			t.Errorf("%s accepts the other checksum form too; the test no longer tells them apart", other)
		}
		// A damaged reserve byte is caught in the form that covers it.
		if ms {
			c, _ := Read(bytes.NewReader(data), int64(len(data)))
			data[c.blocks[0][0].off+dataSize] ^= 1
			if err := extractErr(data); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
				t.Errorf("damaged data reserve: %v", err)
			}
		}
	}
}

func TestDecodeName(t *testing.T) {
	for in, want := range map[string]string{
		"plain":            "plain",
		"caf\xc3\xa9":      "café",
		"caf\xe9":          "café", // Latin-1
		"\xff\xfe":         "ÿþ",
		`dir\..\x`:         `dir\..\x`,
		"\xe6\x97\xa5\xe6": "æ\u0097¥æ",
	} {
		if got := decodeName([]byte(in)); got != want {
			t.Errorf("decodeName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestReadBoundsAllocation: a header declaring the largest counts and
// sizes must be rejected without allocating in proportion to them.
func TestReadBoundsAllocation(t *testing.T) {
	good := mustWrite(t, []File{{Name: "x", Data: []byte("data")}}, WriteOptions{})
	coffFiles := int(le.Uint32(good[0x10:]))
	hostile := [][]byte{}
	add := func(f func(b []byte)) {
		b := slices.Clone(good)
		f(b)
		hostile = append(hostile, b)
	}
	add(func(b []byte) { le.PutUint16(b[0x1A:], 0xFFFF) })           // folders
	add(func(b []byte) { le.PutUint16(b[0x1C:], 0xFFFF) })           // files
	add(func(b []byte) { le.PutUint16(b[headerSize+4:], 0xFFFF) })   // blocks
	add(func(b []byte) { le.PutUint32(b[coffFiles:], 0x7FFF8000) })  // file size
	add(func(b []byte) { le.PutUint32(b[0x10:], 0xFFFFFFF0) })       // coffFiles
	add(func(b []byte) { le.PutUint32(b[headerSize:], 0xFFFFFFF0) }) // coffCabStart
	add(func(b []byte) {
		b[0x1E] = flagReserve // reserve sizes read from the folder table
	})
	for i, b := range hostile {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		err := extractErr(b)
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Errorf("hostile cabinet %d accepted", i)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Errorf("hostile cabinet %d: allocated %d bytes (%v)", i, n, err)
		}
	}
}

func TestExtractCallbackError(t *testing.T) {
	data := mustWrite(t, []File{{Name: "a", Data: []byte("1")}, {Name: "b", Data: []byte("2")}}, WriteOptions{})
	c, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	stop := fmt.Errorf("stop")
	calls := 0
	err = c.Extract(func(e Entry, _ io.Reader) error {
		calls++
		return stop
	})
	if err != stop || calls != 1 {
		t.Errorf("Extract returned %v after %d calls", err, calls)
	}
}

// withData adapts a callback that wants a member's bytes to Extract.
func withData(fn func(e Entry, data []byte) error) func(Entry, io.Reader) error {
	return func(e Entry, r io.Reader) error {
		data, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		return fn(e, data)
	}
}
