package cab

import (
	"bytes"
	"io"
	"testing"

	"github.com/klauspost/compress/flate"
)

// BenchmarkWrite writes about 4 MB of provisioning-like XML in about 1000
// files as one cabinet. Compare its MB/s with BenchmarkFlateRaw.
func BenchmarkWrite(b *testing.B) {
	files := benchCorpus()
	var total int64
	for _, f := range files {
		total += int64(len(f.Data))
	}
	var buf bytes.Buffer
	opt := WriteOptions{ModTime: testTime}
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := Write(&buf, files, opt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len())/float64(total), "ratio")
}

// BenchmarkFlateRaw compresses the same bytes with klauspost flate at the
// same level, in independent 32 KiB chunks (no history, no cabinet): the
// floor for BenchmarkWrite.
func BenchmarkFlateRaw(b *testing.B) {
	var all []byte
	for _, f := range benchCorpus() {
		all = append(all, f.Data...)
	}
	var out bytes.Buffer
	fw, err := flate.NewWriter(&out, DefaultLevel)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(all)))
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		for p := all; len(p) > 0; {
			n := min(len(p), frameSize)
			fw.Reset(&out)
			if _, err := fw.Write(p[:n]); err != nil {
				b.Fatal(err)
			}
			if err := fw.Close(); err != nil {
				b.Fatal(err)
			}
			p = p[n:]
		}
	}
	b.ReportMetric(float64(out.Len())/float64(len(all)), "ratio")
}

// BenchmarkGuardScan measures the guard's scan alone over the frames of
// the BenchmarkWrite cabinet (MB/s of uncompressed data).
func BenchmarkGuardScan(b *testing.B) {
	data := mustWrite(b, benchCorpus(), WriteOptions{})
	c, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		b.Fatal(err)
	}
	var g guard
	b.SetBytes(c.Folders[0].Size)
	for b.Loop() {
		for bi, ref := range c.blocks[0] {
			p := data[ref.payload+2 : ref.payload+int64(ref.cb)]
			if err := g.scan(p, min(bi*frameSize, frameSize), int(ref.uncomp), true, false); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkExtract reads back the BenchmarkWrite cabinet.
func BenchmarkExtract(b *testing.B) {
	data := mustWrite(b, benchCorpus(), WriteOptions{})
	c, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(c.Folders[0].Size)
	for b.Loop() {
		if err := c.Extract(func(Entry, io.Reader) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
