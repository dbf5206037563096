package cab

import (
	"bytes"
	"cmp"
	"io"
	"math/bits"
	"slices"
	"testing"

	"github.com/klauspost/compress/flate"
)

// handToken is a token of a hand-made block: a literal (dist == 0) or a
// match.
type handToken struct{ lit, length, dist int }

// handBlock builds a final dynamic deflate block by hand. Every code length
// is sent with its own code-length symbol (no run-length codes), using the
// code-length code clLens, so each test states exactly which trees the
// block carries.
func handBlock(t *testing.T, litLens, distLens []uint8, clLens [numCodeLen]uint8, body []handToken) []byte {
	t.Helper()
	code := func(lens []uint8, sym int) (uint32, uint) {
		// Canonical code of sym, bit-reversed for LSB-first output.
		var count [16]int
		for _, l := range lens {
			count[l]++
		}
		count[0] = 0
		c := 0
		for l := 1; l < int(lens[sym]); l++ {
			c = (c + count[l]) << 1
		}
		for s := range sym {
			if lens[s] == lens[sym] {
				c++
			}
		}
		l := uint(lens[sym])
		if l == 0 {
			t.Fatalf("symbol %d has no code", sym)
		}
		return uint32(bits.Reverse16(uint16(c)) >> (16 - l)), l
	}
	var bw bitWriter
	bw.write(1|2<<1, 3)
	bw.write(uint32(len(litLens)-257), 5)
	bw.write(uint32(len(distLens)-1), 5)
	bw.write(numCodeLen-4, 4)
	for _, s := range codeLenOrder {
		bw.write(uint32(clLens[s]), 3)
	}
	for _, l := range slices.Concat(litLens, distLens) {
		bw.write(code(clLens[:], int(l)))
	}
	for _, tk := range body {
		if tk.dist == 0 {
			bw.write(code(litLens, tk.lit))
			continue
		}
		ls := int(lenSym[tk.length])
		bw.write(code(litLens, 257+ls))
		bw.write(uint32(tk.length-int(lenBase[ls])), uint(lenExtra[ls]))
		ds := distSym(tk.dist)
		bw.write(code(distLens, ds))
		bw.write(uint32(tk.dist-int(distBase[ds])), uint(distExtra[ds]))
	}
	bw.write(code(litLens, endOfBlock))
	bw.flush()
	return bw.out
}

func inflateAll(t *testing.T, p []byte) ([]byte, error) {
	t.Helper()
	return io.ReadAll(flate.NewReader(bytes.NewReader(p)))
}

func TestGuardDetectsIncompleteCodes(t *testing.T) {
	lit := func(pairs ...int) []uint8 { // symbol, length, ...
		l := make([]uint8, 258)
		for i := 0; i < len(pairs); i += 2 {
			l[pairs[i]] = uint8(pairs[i+1])
		}
		return l
	}
	// A complete code-length code over the values 0..3: four 2-bit codes.
	var cl4 [numCodeLen]uint8
	cl4[0], cl4[1], cl4[2], cl4[3] = 2, 2, 2, 2
	// An incomplete one: 0, 1 and 2 with lengths 1, 2, 3 (7/8 of the space).
	var clGap [numCodeLen]uint8
	clGap[0], clGap[1], clGap[2] = 1, 2, 3

	aMatch := []handToken{{lit: 'a'}, {length: 3, dist: 1}}
	aOnly := []handToken{{lit: 'a'}}
	tests := []struct {
		name      string
		block     []byte
		want      string
		bad       bool
		decodable bool // by klauspost (zlib rules): all but an incomplete code-length code
	}{
		{"one distance code, used", handBlock(t, lit('a', 1, 256, 2, 257, 2), []uint8{1}, cl4, aMatch), "aaaa", true, true},
		{"one distance code, unused", handBlock(t, lit('a', 1, 256, 1), []uint8{1}, cl4, aOnly), "a", true, true},
		{"no distance code", handBlock(t, lit('a', 1, 256, 1), []uint8{0}, cl4, aOnly), "a", true, true},
		{"two distance codes", handBlock(t, lit('a', 1, 256, 2, 257, 2), []uint8{1, 1}, cl4, aMatch), "aaaa", false, true},
		{"one distance code among zeros", handBlock(t, lit('a', 1, 256, 2, 257, 2), []uint8{0, 0, 0, 1}, cl4, []handToken{{lit: 'a'}, {lit: 'a'}, {lit: 'a'}, {lit: 'a'}, {length: 3, dist: 4}}), "aaaaaaa", true, true},
		{"incomplete literal code", handBlock(t, lit('a', 1, 256, 2), []uint8{1, 1}, cl4, aOnly), "a", true, false},
		{"incomplete code-length code", handBlock(t, lit('a', 1, 256, 2, 257, 2), []uint8{1, 1}, clGap, aMatch), "aaaa", true, false},
	}
	var g guard
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := g.scan(tc.block, 0, len(tc.want), true, false); err != nil {
				t.Fatalf("scan: %v", err)
			}
			if g.bad != tc.bad {
				t.Errorf("bad = %v, want %v", g.bad, tc.bad)
			}
			if len(g.blocks) != 1 || g.blocks[0].kind != 2 || !g.blocks[0].final {
				t.Errorf("blocks %+v", g.blocks)
			}
			got, err := inflateAll(t, tc.block)
			if tc.decodable && (err != nil || string(got) != tc.want) {
				t.Errorf("klauspost inflate: %q, %v; want %q", got, err, tc.want)
			}
			// Re-encoding yields complete codes and the same bytes.
			if err := g.scan(tc.block, 0, len(tc.want), true, true); err != nil {
				t.Fatal(err)
			}
			re := g.reencode(nil, []byte(tc.want))
			if err := g.scan(re, 0, len(tc.want), true, false); err != nil || g.bad {
				t.Fatalf("re-encoded block: err %v, bad %v", err, g.bad)
			}
			if got, err := inflateAll(t, re); err != nil || string(got) != tc.want {
				t.Errorf("re-encoded block inflates to %q, %v", got, err)
			}
		})
	}
}

func TestGuardScanErrors(t *testing.T) {
	var g guard
	good := handBlock(t, func() []uint8 { l := make([]uint8, 258); l['a'], l[256], l[257] = 1, 2, 2; return l }(),
		[]uint8{1, 1}, [numCodeLen]uint8{0: 2, 1: 2, 2: 2, 3: 2}, []handToken{{lit: 'a'}, {length: 3, dist: 1}})
	if err := g.scan(good, 0, 4, true, false); err != nil {
		t.Fatal(err)
	}
	// Every truncation fails.
	for n := range len(good) {
		if err := g.scan(good[:n], 0, 4, true, false); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
	// Wrong length, distance before the history, trailing bytes.
	if err := g.scan(good, 0, 3, true, false); err == nil {
		t.Error("scan accepted a stream longer than wanted")
	}
	if err := g.scan(good, 0, 5, true, false); err == nil {
		t.Error("scan accepted a stream shorter than wanted")
	}
	if err := g.scan(append(slices.Clone(good), 0), 0, 4, true, false); err == nil {
		t.Error("scan accepted bytes after the final block")
	}
	far := handBlock(t, func() []uint8 { l := make([]uint8, 258); l['a'], l[256], l[257] = 1, 2, 2; return l }(),
		[]uint8{1, 1}, [numCodeLen]uint8{0: 2, 1: 2, 2: 2, 3: 2}, []handToken{{lit: 'a'}, {length: 3, dist: 2}})
	if err := g.scan(far, 0, 4, true, false); err == nil {
		t.Error("scan accepted a distance reaching before the data")
	}
	if err := g.scan(far, 1, 4, true, false); err != nil {
		t.Errorf("with one byte of history: %v", err)
	}
	// Block type 3 and a bad stored length.
	if err := g.scan([]byte{0x07}, 0, 0, true, false); err == nil {
		t.Error("block type 3 accepted")
	}
	if err := g.scan([]byte{0x01, 1, 0, 0xFF, 0xFF, 'x'}, 0, 1, true, false); err == nil {
		t.Error("stored block with a bad NLEN accepted")
	}
	if err := g.scan([]byte{0x01, 1, 0, 0xFE, 0xFF, 'x'}, 0, 1, true, false); err != nil {
		t.Errorf("stored block: %v", err)
	}
}

// TestReencode re-encodes real frames and checks the choice of block
// type and the bytes.
func TestReencode(t *testing.T) {
	rng := newRand(21)
	inputs := [][]byte{
		[]byte("a"),
		[]byte("hello hello hello"),
		letterText(rng, 300),
		wordText(rng, frameSize),
		randomBytes(rng, 5000),
		provxmlDoc(rng, frameSize)[:frameSize],
		make([]byte, frameSize),
	}
	var g guard
	kinds := map[uint8]bool{}
	for i, raw := range inputs {
		var buf bytes.Buffer
		fw, err := flate.NewWriter(&buf, 5)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(raw); err != nil {
			t.Fatal(err)
		}
		if err := fw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := g.scan(buf.Bytes(), 0, len(raw), true, true); err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
		re := g.reencode([]byte("prefix"), raw)
		if !bytes.HasPrefix(re, []byte("prefix")) {
			t.Fatal("reencode dropped dst")
		}
		re = re[len("prefix"):]
		if err := g.scan(re, 0, len(raw), true, false); err != nil || g.bad {
			t.Fatalf("input %d: re-encoded: %v, bad %v", i, err, g.bad)
		}
		kinds[g.blocks[0].kind] = true
		got, err := inflateAll(t, re)
		if err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("input %d: re-encoded block inflates wrongly (%v)", i, err)
		}
		// Never much worse than klauspost's own encoding.
		if len(re) > buf.Len()+buf.Len()/20+16 {
			t.Errorf("input %d: re-encoded %d bytes, klauspost %d", i, len(re), buf.Len())
		}
	}
	for k := range uint8(3) {
		if !kinds[k] {
			t.Errorf("no input was re-encoded as block type %d", k)
		}
	}
}

func TestHuffLengths(t *testing.T) {
	var h huffBuilder
	rng := newRand(4)
	fib := make([]uint32, 30)
	fib[0], fib[1] = 1, 1
	for i := 2; i < len(fib); i++ {
		fib[i] = fib[i-1] + fib[i-2]
	}
	cases := [][]uint32{fib, {5}, {0, 0, 7}, {}, {1, 1}, {3, 0, 0, 1, 9}}
	for range 200 {
		n := 2 + rng.IntN(286)
		f := make([]uint32, n)
		for i := range f {
			if rng.IntN(3) > 0 {
				f[i] = uint32(rng.IntN(1 << rng.IntN(20)))
			}
		}
		cases = append(cases, f)
	}
	for ci, freq := range cases {
		for _, maxBits := range []int{7, 15} {
			f := freq
			if maxBits == 7 {
				f = f[:min(len(f), numCodeLen)] // the code-length alphabet
			}
			n := max(len(f), 2)
			f = slices.Grow(slices.Clone(f), n)[:n]
			out := make([]uint8, n)
			h.lengths(f, maxBits, out)
			kraft, codes := 0, 0
			for s, l := range out {
				if int(l) > maxBits {
					t.Fatalf("case %d: symbol %d has length %d > %d", ci, s, l, maxBits)
				}
				if f[s] > 0 && l == 0 {
					t.Fatalf("case %d: used symbol %d has no code", ci, s)
				}
				if l > 0 {
					codes++
					kraft += 1 << (maxBits - int(l))
				}
			}
			if kraft != 1<<maxBits || codes < 2 {
				t.Fatalf("case %d max %d: Kraft sum %d/%d with %d codes; want a complete code", ci, maxBits, kraft, 1<<maxBits, codes)
			}
			// Without a binding limit the cost equals plain Huffman's.
			if want, depth := huffmanCost(f); want > 0 && depth <= maxBits-2 {
				var got uint64
				for s, l := range out {
					got += uint64(f[s]) * uint64(l)
				}
				if got != want {
					t.Fatalf("case %d: cost %d, optimal %d", ci, got, want)
				}
			}
		}
	}
}

// huffmanCost returns the cost of an optimal unlimited Huffman code (the
// sum of the weights of all internal nodes) and the depth of its tree.
func huffmanCost(freq []uint32) (cost uint64, depth int) {
	type node struct {
		w     uint64
		depth int
	}
	var q []node
	for _, f := range freq {
		if f > 0 {
			q = append(q, node{w: uint64(f)})
		}
	}
	if len(q) < 2 {
		return 0, 0
	}
	for len(q) > 1 {
		slices.SortFunc(q, func(a, b node) int { return cmp.Compare(a.w, b.w) })
		m := node{q[0].w + q[1].w, max(q[0].depth, q[1].depth) + 1}
		cost += m.w
		q = append(q[2:], m)
	}
	return cost, q[0].depth
}
