package pkgbuild

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/cab"
)

// Member is one file inside a package archive.
type Member struct {
	Name string
	Data []byte
}

// archiveExt returns the file extension of a format.
func archiveExt(f manifest.Format) string {
	if f == manifest.FormatTarZst {
		return ".tar.zst"
	}
	return ".cab"
}

// ArchiveName returns the file name of a package archive.
func ArchiveName(pkg, version string, f manifest.Format) string {
	return pkg + "-" + version + archiveExt(f)
}

// writeArchive writes members in format f. Every header field is fixed or
// derived from the members, never from the host, so equal inputs give
// equal bytes.
func writeArchive(w io.Writer, f manifest.Format, members []Member, mod time.Time) error {
	switch f {
	case manifest.FormatTarZst:
		return writeTarZst(w, members, mod)
	case manifest.FormatCab, "":
		files := make([]cab.File, len(members))
		for i, m := range members {
			files[i] = cab.File{Name: m.Name, Data: m.Data}
		}
		return cab.Write(w, files, cab.WriteOptions{ModTime: mod})
	}
	return fmt.Errorf("unknown archive format %q", f)
}

// zstdOptions pins the encoder: its output depends on level, window and
// concurrency, so none is left to defaults that a library update or the
// machine's core count could change.
var zstdOptions = []zstd.EOption{
	zstd.WithEncoderLevel(zstd.SpeedDefault),
	zstd.WithEncoderConcurrency(1),
	zstd.WithWindowSize(1 << 20),
	zstd.WithEncoderCRC(true),
	zstd.WithZeroFrames(true),
	zstd.WithLowerEncoderMem(false),
}

func writeTarZst(w io.Writer, members []Member, mod time.Time) error {
	zw, err := zstd.NewWriter(w, zstdOptions...)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	for _, m := range sortedMembers(members) {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: m.Name, Mode: 0o644, Size: int64(len(m.Data)),
			ModTime: mod.UTC().Truncate(time.Second), Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			zw.Close()
			return err
		}
		if _, err := tw.Write(m.Data); err != nil {
			zw.Close()
			return err
		}
	}
	if err := tw.Close(); err != nil {
		zw.Close()
		return err
	}
	return zw.Close()
}

func sortedMembers(ms []Member) []Member {
	out := slices.Clone(ms)
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Limits when reading archives someone else may have made.
const (
	maxArchiveSize = 1 << 30 // bytes of archive
	maxMemberSize  = 64 << 20
	maxMembers     = 0xFFFF
)

// ErrFormat is returned for a file that is not a package archive.
var ErrFormat = errors.New("not a cabinet or tar.zst archive")

// ReadArchive reads every member of the archive at path, verifying the
// format's integrity checks (CFDATA checksums, zstd frame checksums).
func ReadArchive(path string) (manifest.Format, []Member, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", nil, err
	}
	if st.IsDir() {
		return "", nil, fmt.Errorf("%s is a directory", path)
	}
	if st.Size() > maxArchiveSize {
		return "", nil, fmt.Errorf("%s: %d bytes is larger than provpack reads (%d)", path, st.Size(), maxArchiveSize)
	}
	var magic [4]byte
	if _, err := f.ReadAt(magic[:], 0); err != nil {
		return "", nil, fmt.Errorf("%s: %w", path, ErrFormat)
	}
	switch {
	case string(magic[:]) == "MSCF":
		c, err := cab.Read(f, st.Size())
		if err != nil {
			return manifest.FormatCab, nil, fmt.Errorf("%s: %w", path, err)
		}
		var ms []Member
		err = c.Extract(func(e cab.Entry, data []byte) error {
			ms = append(ms, Member{Name: e.Name, Data: append([]byte(nil), data...)})
			return nil
		})
		if err != nil {
			return manifest.FormatCab, nil, fmt.Errorf("%s: %w", path, err)
		}
		return manifest.FormatCab, ms, nil
	case bytes.Equal(magic[:], []byte{0x28, 0xB5, 0x2F, 0xFD}):
		ms, err := readTarZst(f)
		if err != nil {
			return manifest.FormatTarZst, nil, fmt.Errorf("%s: %w", path, err)
		}
		return manifest.FormatTarZst, ms, nil
	}
	return "", nil, fmt.Errorf("%s: %w", path, ErrFormat)
}

func readTarZst(r io.Reader) ([]Member, error) {
	zr, err := zstd.NewReader(r, zstd.WithDecoderMaxMemory(maxArchiveSize), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var ms []Member
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return ms, nil
		}
		if err != nil {
			return nil, err
		}
		if len(ms) >= maxMembers {
			return nil, fmt.Errorf("more than %d members", maxMembers)
		}
		switch hdr.Typeflag {
		case tar.TypeReg:
		case tar.TypeDir:
			continue
		default:
			return nil, fmt.Errorf("member %q: type %q is not a regular file (links and devices are refused)", hdr.Name, hdr.Typeflag)
		}
		if hdr.Size > maxMemberSize {
			return nil, fmt.Errorf("member %q: %d bytes is larger than a package member may be (%d)", hdr.Name, hdr.Size, maxMemberSize)
		}
		data, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
		if err != nil {
			return nil, fmt.Errorf("member %q: %w", hdr.Name, err)
		}
		ms = append(ms, Member{Name: hdr.Name, Data: data})
	}
}
