package cab

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// storedCab builds by hand a cabinet with one uncompressed folder
// (typeCompress 0), which Write never produces, to seed FuzzRead.
func storedCab(files []File) []byte {
	var payloads [][]byte
	var sizes []int
	for p := concat(files); len(p) > 0; p = p[min(len(p), frameSize):] {
		n := min(len(p), frameSize)
		payloads, sizes = append(payloads, p[:n]), append(sizes, n)
	}
	return oneFolderCab(files, compressNone, payloads, sizes)
}

// concat is the folder's uncompressed stream: files' data in order.
func concat(files []File) []byte {
	var stream []byte
	for _, f := range files {
		stream = append(stream, f.Data...)
	}
	return stream
}

// oneFolderCab builds by hand a cabinet of files in one folder of
// compression typeCompress whose data blocks are payloads, block i
// expanding to sizes[i] bytes.
func oneFolderCab(files []File, typeCompress uint16, payloads [][]byte, sizes []int) []byte {
	coffFiles := headerSize + folderSize
	dataStart := coffFiles
	for _, f := range files {
		dataStart += fileSize + len(f.Name) + 1
	}
	total := dataStart
	for _, p := range payloads {
		total += dataSize + len(p)
	}
	b := []byte("MSCF")
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, uint32(total))
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, uint32(coffFiles))
	b = le.AppendUint32(b, 0)
	b = append(b, 3, 1)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, uint16(len(files)))
	b = append(b, 0, 0, 0, 0, 0, 0)
	b = le.AppendUint32(b, uint32(dataStart))
	b = le.AppendUint16(b, uint16(len(payloads)))
	b = le.AppendUint16(b, typeCompress)
	off := 0
	for _, f := range files {
		b = le.AppendUint32(b, uint32(len(f.Data)))
		b = le.AppendUint32(b, uint32(off))
		b = append(b, 0, 0, 0x21, 0x58, 0, 0, 0x20, 0)
		b = append(b, f.Name...)
		b = append(b, 0)
		off += len(f.Data)
	}
	for i, p := range payloads {
		var hdr [4]byte
		le.PutUint16(hdr[:], uint16(len(p)))
		le.PutUint16(hdr[2:], uint16(sizes[i]))
		b = le.AppendUint32(b, blockChecksum(hdr[:], p))
		b = append(b, hdr[:]...)
		b = append(b, p...)
	}
	return b
}

func fuzzSeeds(f *testing.F) [][]byte {
	rng := newRand(77)
	small := []File{{Name: "a.txt", Data: []byte("hello")}, {Name: `dir\b.provxml`, Data: provxmlDoc(rng, 600)}}
	seeds := [][]byte{
		mustWrite(f, small, WriteOptions{}),
		mustWrite(f, []File{{Name: "empty"}}, WriteOptions{}),
		mustWrite(f, []File{{Name: "ü.txt", Data: wordText(rng, 2000)}, {Name: "z", Data: letterText(rng, 150)}}, WriteOptions{Level: 9}),
		storedCab(small),
		withReserve(f, mustWrite(f, small, WriteOptions{}), []byte("sig"), 2, []byte{1, 2, 3}, true),
		lzxCab(small, lzxTestOptions{windowBits: 15, blocks: []lzxTestBlock{{lzxBlockAligned, 300}, {lzxBlockUncompressed, 5}, {lzxBlockVerbatim, 1000}}}),
	}
	old := maxFolderBlocks
	maxFolderBlocks = 1
	seeds = append(seeds, mustWrite(f, []File{{Name: "a", Data: wordText(rng, 3000)}, {Name: "b", Data: wordText(rng, frameSize)}}, WriteOptions{}))
	maxFolderBlocks = old
	return seeds
}

// FuzzRead: Read and Extract never panic, every error is ours and says
// "cab: ...", each entry hands out exactly its size, and allocation is
// bounded by the input alone: Read allocates in proportion to the tables
// present, and Extract streams through a fixed window whatever the data
// expands to (MSZIP can expand a few bytes to 32 KiB), so a small input
// cannot make it allocate much. Issue 20: a 449 KB cabinet of one 256 MiB
// folder used to take 978 MB. TotalAlloc counts every allocation,
// whatever GOMEMLIMIT or the collector do.
func FuzzRead(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		c, err := Read(bytes.NewReader(data), int64(len(data)))
		if err == nil {
			err = c.Extract(func(e Entry, r io.Reader) error {
				n, err := io.Copy(io.Discard, r)
				if err == nil && n != int64(e.Size) {
					t.Fatalf("entry %q: %d bytes handed out, size %d", e.Name, n, e.Size)
				}
				return err
			})
		}
		runtime.ReadMemStats(&after)
		if err != nil && !strings.HasPrefix(err.Error(), "cab: ") {
			t.Fatalf("error without the package prefix: %v", err)
		}
		limit := uint64(maxReadAlloc(len(data)))
		if c != nil {
			// An LZX decoder keeps its own window, grown as output
			// arrives, up to 2^windowBits (2 MiB at most).
			for _, f := range c.Folders {
				if b := lzxWindowBits(f.Compression); b != 0 && f.Blocks > 0 {
					limit += uint64(2*min(int64(1)<<b, f.Size) + 256<<10)
				}
			}
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > limit {
			t.Fatalf("allocated %d bytes for %d bytes of input (limit %d)", n, len(data), limit)
		}
	})
}

// maxReadAlloc is what Read and Extract may allocate for n bytes of
// input, LZX windows aside: the two-frame window, the raw block and the
// inflater, plus the parsed tables (an Entry per 17 bytes of file table, a block reference
// per 8 bytes of data headers).
func maxReadAlloc(n int) int { return 1<<20 + 32*n }

// FuzzRoundTrip: random names and contents either are refused by the
// name and limit checks, or come back unchanged from Read and Extract,
// with every MSZIP frame free of incomplete Huffman codes.
func FuzzRoundTrip(f *testing.F) {
	f.Add("a.txt\nb/c.provxml", []byte("hello, world"), uint8(0))
	f.Add("x\nX", []byte("case"), uint8(1))
	f.Add("../evil\nok", []byte("dots"), uint8(2))
	f.Add("données/é.txt\n日本", bytes.Repeat([]byte("0123456789abcdef"), 100), uint8(0x83))
	f.Add("big", []byte("seed for a large file"), uint8(0x45))
	f.Fuzz(func(t *testing.T, names string, content []byte, mode uint8) {
		list := strings.Split(names, "\n")
		if len(list) > 50 {
			list = list[:50]
		}
		files := make([]File, len(list))
		for i, name := range list {
			lo, hi := i*len(content)/len(list), (i+1)*len(content)/len(list)
			files[i] = File{Name: name, Data: content[lo:hi]}
		}
		if mode&0x40 != 0 && len(content) > 0 {
			// Stretch the last file over several frames with little
			// repetition, so that history and frame boundaries matter.
			var big []byte
			for i := 0; len(big) < 2*frameSize+int(mode); i++ {
				big = fmt.Appendf(big, "%d:%x;", i, content)
			}
			files[len(files)-1].Data = big
		}
		opt := WriteOptions{ModTime: testTime, Level: int(mode % 10)}
		var buf bytes.Buffer
		err := Write(&buf, files, opt)
		_, prepErr := prepare(files)
		if err != nil {
			if prepErr == nil {
				t.Fatalf("Write failed on valid names: %v", err)
			}
			return
		}
		if prepErr != nil {
			t.Fatalf("Write accepted names that prepare refuses: %v", prepErr)
		}
		data := buf.Bytes()
		c, err := Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		want := map[string][]byte{}
		for _, f := range files {
			want[strings.ReplaceAll(f.Name, "/", `\`)] = f.Data
		}
		seen := 0
		err = c.Extract(withData(func(e Entry, d []byte) error {
			w, ok := want[e.Name]
			if !ok || !bytes.Equal(w, d) {
				return fmt.Errorf("entry %q does not match the input", e.Name)
			}
			seen++
			return nil
		}))
		if err != nil || seen != len(files) {
			t.Fatalf("Extract: %v (%d of %d entries)", err, seen, len(files))
		}
		if hasIncompleteCode(t, data) {
			t.Fatalf("a frame has an incomplete Huffman code")
		}
	})
}
