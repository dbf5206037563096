package testutil

import (
	"archive/tar"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"time"

	"github.com/klauspost/compress/zstd"
)

// CabEntry is one CFFILE record of a cabinet made by ZeroCab: it may
// claim any part of the folder, or more.
type CabEntry struct {
	Name         string
	Offset, Size uint32
}

// ZeroCab returns a cabinet of one MSZIP folder of blocks × 32 KiB zero
// bytes, each block a few dozen bytes, with the file entries given: the
// smallest input that makes a reader decompress the most. Checksums are
// left 0 (none computed), which readers accept.
func ZeroCab(blocks int, entries []CabEntry) []byte {
	var z bytes.Buffer
	z.WriteString("CK")
	zw, _ := flate.NewWriter(&z, flate.BestCompression)
	zw.Write(make([]byte, 32<<10))
	zw.Close()
	payload := z.Bytes()

	le := binary.LittleEndian
	const header, folder, file, data = 36, 8, 16, 8
	coffFiles := header + folder
	dataStart := coffFiles
	for _, e := range entries {
		dataStart += file + len(e.Name) + 1
	}
	total := dataStart + blocks*(data+len(payload))
	b := []byte("MSCF")
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, uint32(total))
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, uint32(coffFiles))
	b = le.AppendUint32(b, 0)
	b = append(b, 3, 1)
	b = le.AppendUint16(b, 1) // folders
	b = le.AppendUint16(b, uint16(len(entries)))
	b = append(b, 0, 0, 0, 0, 0, 0) // flags, setID, iCabinet
	b = le.AppendUint32(b, uint32(dataStart))
	b = le.AppendUint16(b, uint16(blocks))
	b = le.AppendUint16(b, 1) // MSZIP
	for _, e := range entries {
		b = le.AppendUint32(b, e.Size)
		b = le.AppendUint32(b, e.Offset)
		b = append(b, 0, 0, 0x21, 0x28, 0, 0, 0x20, 0) // folder 0, 2000-01-01, archive
		b = append(b, e.Name...)
		b = append(b, 0)
	}
	for range blocks {
		b = le.AppendUint32(b, 0)
		b = le.AppendUint16(b, uint16(len(payload)))
		b = le.AppendUint16(b, 32<<10)
		b = append(b, payload...)
	}
	return b
}

// ZeroTarZst returns a tar.zst whose members, one per name, each hold
// size zero bytes: a few kilobytes that expand to names × size.
func ZeroTarZst(names []string, size int64) []byte {
	var out bytes.Buffer
	zw, _ := zstd.NewWriter(&out, zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithEncoderConcurrency(1))
	tw := tar.NewWriter(zw)
	zeros := make([]byte, 1<<20)
	for _, n := range names {
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: n, Mode: 0o644, Size: size, ModTime: time.Unix(946684800, 0)})
		for left := size; left > 0; {
			k := min(left, int64(len(zeros)))
			tw.Write(zeros[:k])
			left -= k
		}
	}
	tw.Close()
	zw.Close()
	return out.Bytes()
}
