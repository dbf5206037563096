package cab

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

var testTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func mustWrite(t testing.TB, files []File, opt WriteOptions) []byte {
	t.Helper()
	if opt.ModTime.IsZero() {
		opt.ModTime = testTime
	}
	var buf bytes.Buffer
	if err := Write(&buf, files, opt); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

// readAll reads a cabinet with our reader and returns its members.
func readAll(t testing.TB, data []byte) (*Cabinet, map[string][]byte) {
	t.Helper()
	c, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	got := map[string][]byte{}
	err = c.Extract(withData(func(e Entry, data []byte) error {
		if _, dup := got[e.Name]; dup {
			return fmt.Errorf("entry %q twice", e.Name)
		}
		got[e.Name] = bytes.Clone(data)
		return nil
	}))
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	return c, got
}

// checkOwnReader checks that our reader returns exactly files.
func checkOwnReader(t *testing.T, data []byte, files []File) *Cabinet {
	t.Helper()
	c, got := readAll(t, data)
	if len(got) != len(files) {
		t.Errorf("reader found %d entries, want %d", len(got), len(files))
	}
	for _, f := range files {
		name := strings.ReplaceAll(f.Name, "/", `\`)
		if b, ok := got[name]; !ok {
			t.Errorf("reader did not find %q", name)
		} else if !bytes.Equal(b, f.Data) {
			t.Errorf("reader returned %d bytes for %q that differ from the %d input bytes", len(b), name, len(f.Data))
		}
	}
	return c
}

// checkFrames checks the MSZIP rules on every data block of a cabinet we
// wrote: "CK", a complete deflate stream ending with a final block, at
// most 32 KiB out, every frame but a folder's last exactly 32 KiB, and no
// incomplete Huffman code anywhere.
func checkFrames(t testing.TB, data []byte) (frames, rewritten int) {
	t.Helper()
	c, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	var g guard
	for fi, refs := range c.blocks {
		for bi, ref := range refs {
			p := data[ref.payload : ref.payload+int64(ref.cb)]
			if !bytes.HasPrefix(p, []byte("CK")) {
				t.Fatalf("folder %d block %d does not start with CK", fi, bi)
			}
			if bi < len(refs)-1 && ref.uncomp != frameSize {
				t.Errorf("folder %d block %d holds %d bytes; only the last may hold less than %d", fi, bi, ref.uncomp, frameSize)
			}
			if ref.cb > maxFramePayload {
				t.Errorf("folder %d block %d has %d payload bytes", fi, bi, ref.cb)
			}
			hist := min(bi*frameSize, frameSize)
			if err := g.scan(p[2:], hist, int(ref.uncomp), true, false); err != nil {
				t.Fatalf("folder %d block %d: %v", fi, bi, err)
			}
			if g.bad {
				t.Errorf("folder %d block %d has an incomplete Huffman code", fi, bi)
			}
			if n := len(g.blocks); n != 1 || g.blocks[0].kind != 2 {
				rewritten++ // not a single dynamic block: likely re-encoded
			}
			frames++
		}
	}
	return frames, rewritten
}

type writeCase struct {
	name  string
	files []File
}

func writeCases() []writeCase {
	rng := newRand(1)
	many := make([]File, 300)
	for i := range many {
		many[i] = File{Name: fmt.Sprintf("dir%d/file%03d.provxml", i%7, i), Data: provxmlDoc(rng, rng.IntN(3000))}
	}
	cases := []writeCase{
		{"empty file", []File{{Name: "empty.txt"}}},
		{"small file", []File{{Name: "hello.txt", Data: []byte("hello, cabinet\n")}}},
		{"exactly one block", []File{{Name: "block.bin", Data: wordText(rng, frameSize)}}},
		{"larger than one block", []File{{Name: "big.txt", Data: wordText(rng, 100_000)}}},
		{"many files", many},
		{"non-ASCII names", []File{
			{Name: "données/café.provxml", Data: []byte("<x/>")},
			{Name: "日本語.txt", Data: []byte("こんにちは")},
			{Name: "plain.txt", Data: []byte("plain")},
		}},
		{"incompressible", []File{{Name: "random.bin", Data: randomBytes(rng, 3*frameSize+1234)}}},
		{"one byte", []File{{Name: "a", Data: []byte{'x'}}}},
		{"zeros", []File{{Name: "zeros.bin", Data: make([]byte, 5*frameSize+7)}}},
		{"mixed empty and full", []File{
			{Name: "a.txt"}, {Name: "b.txt", Data: wordText(rng, 40000)}, {Name: "c.txt"},
			{Name: "d.bin", Data: randomBytes(rng, 20000)}, {Name: "e.txt", Data: letterText(rng, 300)},
		}},
	}
	return cases
}

func TestWriteInterop(t *testing.T) {
	for _, tc := range writeCases() {
		t.Run(tc.name, func(t *testing.T) {
			data := mustWrite(t, tc.files, WriteOptions{})
			checkOwnReader(t, data, tc.files)
			checkFrames(t, data)
			checkWithTools(t, data, tc.files)
		})
	}
}

// TestTinyLastFrame builds cabinets whose last frame is 1..400 bytes of
// text without repeats after a full frame: the case in which klauspost
// emits a block whose distance tree holds a single code (or its
// Huffman-only blocks, which always do), and cabextract refuses it. Each
// cabinet is written twice: with the guard off, the guard's detector must
// agree with cabextract on every cabinet; with the guard on, cabextract
// must accept them all.
func TestTinyLastFrame(t *testing.T) {
	if testing.Short() {
		t.Skip("exhaustive; runs without -short")
	}
	requireTool(t, "cabextract", "cabextract")
	hexText := func(seed uint64, n int) []byte {
		rng := newRand(seed)
		b := make([]byte, n)
		for i := range b {
			b[i] = "0123456789abcdef"[rng.IntN(16)]
		}
		return b
	}
	tails := map[string]func(seed uint64, n int) []byte{
		"hex":     hexText,
		"letters": func(seed uint64, n int) []byte { return letterText(newRand(seed), n) },
	}
	first := wordText(newRand(98), frameSize)
	dir := t.TempDir()
	var guarded []string
	trapped := 0
	for name, tail := range tails {
		for n := 1; n <= 400; n += 3 {
			files := []File{{Name: "a.txt", Data: slices.Concat(first, tail(uint64(n), n))}}

			disableGuard = true
			raw := mustWrite(t, files, WriteOptions{})
			disableGuard = false
			bad := hasIncompleteCode(t, raw)
			path := fmt.Sprintf("%s/raw-%s-%d.cab", dir, name, n)
			writeFile(t, path, raw)
			_, err := toolOutput(dir, "cabextract", "-t", path)
			if (err != nil) != bad {
				t.Errorf("%s tail of %d bytes without the guard: detector says bad=%v, cabextract error %v", name, n, bad, err)
			}
			if bad {
				trapped++
			}

			data := mustWrite(t, files, WriteOptions{})
			checkFrames(t, data)
			checkOwnReader(t, data, files)
			path = fmt.Sprintf("%s/%s-%d.cab", dir, name, n)
			writeFile(t, path, data)
			guarded = append(guarded, path)
		}
	}
	// With these inputs the trap must occur; otherwise the test no longer
	// covers it.
	if trapped == 0 {
		t.Errorf("no unguarded cabinet had an incomplete code; the inputs no longer reproduce the trap")
	}
	runTool(t, dir, "cabextract", append([]string{"-t"}, guarded...)...)

	// Every tool's test command on a sample, and the full round trip
	// through every tool for a few.
	for i := 0; i < len(guarded); i += 9 {
		for _, x := range extractors {
			requireTool(t, x.name, x.pkg)
			runTool(t, dir, x.name, x.test(guarded[i])...)
		}
	}
	for _, n := range []int{1, 112, 340} {
		files := []File{{Name: "a.txt", Data: slices.Concat(first, hexText(uint64(n), n))}, {Name: "b.txt", Data: hexText(uint64(n+1), n)}}
		checkWithTools(t, mustWrite(t, files, WriteOptions{}), files)
	}
}

// hasIncompleteCode reports whether any data block of a cabinet holds a
// Huffman code libmspack refuses.
func hasIncompleteCode(t testing.TB, data []byte) bool {
	t.Helper()
	c, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var g guard
	for _, refs := range c.blocks {
		for bi, ref := range refs {
			if err := g.scan(data[ref.payload+2:ref.payload+int64(ref.cb)], min(bi*frameSize, frameSize), int(ref.uncomp), true, false); err != nil {
				t.Fatal(err)
			}
			if g.bad {
				return true
			}
		}
	}
	return false
}

func TestMultiFolder(t *testing.T) {
	old := maxFolderBlocks
	maxFolderBlocks = 3
	defer func() { maxFolderBlocks = old }()
	rng := newRand(3)
	var files []File
	for i := range 12 {
		files = append(files, File{Name: fmt.Sprintf("f%02d.txt", i), Data: wordText(rng, rng.IntN(2*frameSize))})
	}
	files = append(files, File{Name: "g-exact.txt", Data: wordText(rng, 3*frameSize)}, File{Name: "h-empty.txt"})
	data := mustWrite(t, files, WriteOptions{})
	c := checkOwnReader(t, data, files)
	if len(c.Folders) < 4 {
		t.Errorf("got %d folders, want several", len(c.Folders))
	}
	for i, f := range c.Folders {
		if f.Blocks > 3 {
			t.Errorf("folder %d has %d blocks, limit 3", i, f.Blocks)
		}
	}
	checkFrames(t, data)
	checkWithTools(t, data, files)

	// A member larger than a folder is an error.
	big := []File{{Name: "big", Data: make([]byte, 3*frameSize+1)}}
	if err := Write(&bytes.Buffer{}, big, WriteOptions{ModTime: testTime}); err == nil || !strings.Contains(err.Error(), "more than one folder holds") {
		t.Errorf("Write of a member larger than a folder: %v", err)
	}
}

func TestNoFiles(t *testing.T) {
	err := Write(&bytes.Buffer{}, nil, WriteOptions{ModTime: testTime})
	if err == nil || !strings.Contains(err.Error(), "no files") {
		t.Errorf("Write with no files: %v", err)
	}
}

func TestReproducible(t *testing.T) {
	rng := newRand(11)
	var files []File
	for i := range 40 {
		files = append(files, File{Name: fmt.Sprintf("d%d/f%02d.provxml", i%3, i), Data: provxmlDoc(rng, rng.IntN(20000))})
	}
	a := mustWrite(t, files, WriteOptions{})
	// Reverse the input, and dirty the pooled encoder with other data.
	rev := slices.Clone(files)
	slices.Reverse(rev)
	mustWrite(t, []File{{Name: "other", Data: letterText(rng, 100000)}}, WriteOptions{})
	b := mustWrite(t, rev, WriteOptions{})
	if !bytes.Equal(a, b) {
		t.Fatalf("two writes of the same files differ")
	}
	checkWithTools(t, a, files)
	// A fresh encoder gives the same bytes as a pooled one.
	freeEncoders.mu.Lock()
	freeEncoders.list = [len(freeEncoders.list)][]*folderEncoder{}
	freeEncoders.mu.Unlock()
	if c := mustWrite(t, rev, WriteOptions{}); !bytes.Equal(a, c) {
		t.Fatalf("a fresh encoder writes different bytes than a reused one")
	}
}

func TestLevels(t *testing.T) {
	rng := newRand(5)
	files := []File{{Name: "x.provxml", Data: provxmlDoc(rng, 150000)}, {Name: "y.txt", Data: letterText(rng, 200)}}
	for level := 1; level <= 9; level++ {
		data := mustWrite(t, files, WriteOptions{Level: level})
		checkOwnReader(t, data, files)
		checkFrames(t, data)
		checkWithTools(t, data, files)
	}
	for _, level := range []int{-1, 10} {
		if err := Write(&bytes.Buffer{}, files, WriteOptions{ModTime: testTime, Level: level}); err == nil {
			t.Errorf("level %d accepted", level)
		}
	}
}

func TestWriteHeaderFields(t *testing.T) {
	files := []File{{Name: "b/ü.txt", Data: []byte("x")}, {Name: "a.txt", Data: []byte("yy")}}
	mod := time.Date(2107, 12, 31, 23, 59, 59, 0, time.UTC)
	data := mustWrite(t, files, WriteOptions{ModTime: mod})
	if got := le.Uint32(data[8:]); int(got) != len(data) {
		t.Errorf("cbCabinet %d, size %d", got, len(data))
	}
	c, _ := readAll(t, data)
	want := []Entry{
		{Name: "a.txt", Size: 2, Offset: 0, Attribs: 0x20, Modified: mod.Add(-time.Second)},
		{Name: `b\ü.txt`, Size: 1, Offset: 2, Attribs: 0xA0, Modified: mod.Add(-time.Second)},
	}
	if !slices.Equal(c.Entries, want) {
		t.Errorf("entries\n got %+v\nwant %+v", c.Entries, want)
	}
	if c.SetID != 0 || c.Index != 0 || c.HeaderReserve != nil || data[0x1E] != 0 || data[0x1F] != 0 {
		t.Errorf("set %d index %d reserve %v flags %x", c.SetID, c.Index, c.HeaderReserve, data[0x1E:0x20])
	}
	if f := c.Folders; len(f) != 1 || f[0].Compression != compressMSZIP || f[0].Blocks != 1 {
		t.Errorf("folders %+v", f)
	}
	checkWithTools(t, data, files)
}

func TestWriteErrors(t *testing.T) {
	ok := []byte("x")
	long := strings.Repeat("n", 256)
	tests := []struct {
		files []File
		opt   WriteOptions
		want  string
	}{
		{[]File{{Name: "", Data: ok}}, WriteOptions{}, "empty member name"},
		{[]File{{Name: "a\x00b"}}, WriteOptions{}, "NUL"},
		{[]File{{Name: "/etc/passwd"}}, WriteOptions{}, "absolute"},
		{[]File{{Name: `\windows`}}, WriteOptions{}, "absolute"},
		{[]File{{Name: `C:\x`}}, WriteOptions{}, "absolute"},
		{[]File{{Name: "c:x"}}, WriteOptions{}, "absolute"},
		{[]File{{Name: "../x"}}, WriteOptions{}, `".."`},
		{[]File{{Name: `a\..\x`}}, WriteOptions{}, `".."`},
		{[]File{{Name: "a/.."}}, WriteOptions{}, `".."`},
		{[]File{{Name: "a/./b"}}, WriteOptions{}, `"."`},
		{[]File{{Name: "a//b"}}, WriteOptions{}, "empty path segment"},
		{[]File{{Name: "a/"}}, WriteOptions{}, "empty path segment"},
		{[]File{{Name: "\xff"}}, WriteOptions{}, "UTF-8"},
		{[]File{{Name: long}}, WriteOptions{}, "256 bytes"},
		{[]File{{Name: "a"}, {Name: "a"}}, WriteOptions{}, "duplicate"},
		{[]File{{Name: "a/b"}, {Name: `a\b`}}, WriteOptions{}, "duplicate"},
		{[]File{{Name: "Readme"}, {Name: "README"}}, WriteOptions{}, "differ only in case"},
		{[]File{{Name: "Straße"}, {Name: "STRAßE"}}, WriteOptions{}, "differ only in case"},
		{[]File{{Name: "a"}}, WriteOptions{ModTime: time.Date(1979, 12, 31, 23, 59, 59, 0, time.UTC)}, "DOS range"},
		{[]File{{Name: "a"}}, WriteOptions{ModTime: time.Date(2108, 1, 1, 0, 0, 0, 0, time.UTC)}, "DOS range"},
		{[]File{{Name: "a"}}, WriteOptions{ModTime: testTime, Level: 11}, "level"},
	}
	for _, tc := range tests {
		opt := tc.opt
		if opt.ModTime.IsZero() && !strings.Contains(tc.want, "DOS") {
			opt.ModTime = testTime
		}
		err := Write(&bytes.Buffer{}, tc.files, opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Write(%q): error %v, want one mentioning %s", tc.files[0].Name, err, tc.want)
		}
	}
	// A name of exactly 255 bytes is fine; the zero time is not.
	if err := Write(&bytes.Buffer{}, []File{{Name: long[:255]}}, WriteOptions{ModTime: testTime}); err != nil {
		t.Errorf("255-byte name: %v", err)
	}
	if err := Write(&bytes.Buffer{}, []File{{Name: "a"}}, WriteOptions{}); err == nil {
		t.Errorf("zero ModTime accepted")
	}
	// Too many files.
	many := make([]File, maxFiles+1)
	for i := range many {
		many[i].Name = fmt.Sprint(i)
	}
	if err := Write(&bytes.Buffer{}, many, WriteOptions{ModTime: testTime}); err == nil || !strings.Contains(err.Error(), "at most 65535") {
		t.Errorf("too many files: %v", err)
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n <= 0 {
		return 0, fmt.Errorf("disk full")
	}
	w.n--
	return len(p), nil
}

func TestWriteError(t *testing.T) {
	for n := range 2 {
		err := Write(&failWriter{n: n}, []File{{Name: "a", Data: []byte("x")}}, WriteOptions{ModTime: testTime})
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("failing writer after %d writes: %v", n, err)
		}
	}
}

func TestChecksum(t *testing.T) {
	// Words XOR, then the tail with its first byte most significant.
	data := []byte{1, 2, 3, 4, 5, 6, 7, 8, 0xA, 0xB, 0xC}
	want := uint32(0x04030201) ^ 0x08070605 ^ 0x000A0B0C
	if got := checksum(data, 0); got != want {
		t.Errorf("checksum = %08x, want %08x", got, want)
	}
	for n, tail := range map[int]uint32{1: 0x0A, 2: 0x0A0B} {
		if got := checksum(data[:8+n], 0); got != 0x04030201^0x08070605^tail {
			t.Errorf("tail of %d: %08x", n, got)
		}
	}
	if got := checksum([]byte{1, 0, 0, 0}, 0x10); got != 0x11 {
		t.Errorf("seeded: %08x", got)
	}
	// The long loop agrees with the word loop.
	rng := newRand(9)
	for n := range 70 {
		p := randomBytes(rng, n)
		var c uint32
		i := 0
		for ; i+4 <= n; i += 4 {
			c ^= le.Uint32(p[i:])
		}
		var tail uint32
		for _, b := range p[i:] {
			tail = tail<<8 | uint32(b)
		}
		if got := checksum(p, 0); got != c^tail {
			t.Fatalf("n=%d: %08x, want %08x", n, got, c^tail)
		}
	}
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
