package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
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

// IsArchiveName reports whether name is named as provpack names
// archives: a .cab or .tar.zst file.
func IsArchiveName(name string) bool {
	return strings.HasSuffix(name, ".cab") || strings.HasSuffix(name, ".tar.zst")
}

// Name returns the file name of a package archive.
func Name(pkg, version string, f manifest.Format) string {
	return pkg + "-" + version + archiveExt(f)
}

// Write writes members in format f. Every header field is fixed or
// derived from the members, never from the host, so equal inputs give
// equal bytes. Member names are checked first, by the same rules for both
// formats (see unsafeName): provpack never writes an archive that its own
// extract would refuse.
func Write(w io.Writer, f manifest.Format, members []Member, mod time.Time) error {
	if len(members) == 0 {
		return errors.New("an archive needs at least one member")
	}
	if probs := nameProblems(members); len(probs) > 0 {
		return fmt.Errorf("refusing to write an archive with unsafe member names: %s", strings.Join(probs, "; "))
	}
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

// zstdEncoders reuses encoders: each holds megabytes of tables, and a
// Reset one writes exactly what a new one would.
var zstdEncoders sync.Pool

func writeTarZst(w io.Writer, members []Member, mod time.Time) error {
	zw, _ := zstdEncoders.Get().(*zstd.Encoder)
	if zw == nil {
		var err error
		if zw, err = zstd.NewWriter(nil, zstdOptions...); err != nil {
			return err
		}
	}
	zw.Reset(w)
	defer func() {
		zw.Reset(nil)
		zstdEncoders.Put(zw)
	}()
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

// Limits when reading archives someone else may have made. A package
// archive holds a few provisioning files of a few kilobytes each.
const (
	maxArchiveSize = 1 << 30 // bytes of archive
	maxMembers     = 0xFFFF  // entries of any kind
	// maxZstdWindow bounds the history a zstd frame may ask the decoder
	// to keep; zstd -19 uses 8 MiB, provpack 1 MiB.
	maxZstdWindow = 32 << 20
	// maxTarTrailer bounds the bytes after the tar end-of-archive marker
	// (GNU tar pads to 10 KiB records).
	maxTarTrailer = 1 << 20
)

// limits bound the member data a read may hold in memory: one member,
// and all of them together.
type limits struct{ member, total int64 }

// config is what tests may change; Read, Inspect, Verify and Extract use
// defaults. A value, not package state, so that tests can run in
// parallel.
type config struct {
	// limits lets tests and fuzzing make hostile archives hit them
	// cheaply.
	limits limits
	// wrap, when set, wraps the writer of each member Extract stages (a
	// full disk, say).
	wrap func(name string, w io.Writer) io.Writer
}

var defaults = config{limits: limits{member: 64 << 20, total: 256 << 20}}

// ErrFormat is returned for a file that is not a package archive.
var ErrFormat = errors.New("not a cabinet or tar.zst archive")

// Read reads every member of the archive at path, verifying the format's
// integrity checks (CFDATA checksums, the zstd frame checksum). Every
// error names path. Memory stays bounded whatever the archive's headers
// declare.
func Read(path string) (manifest.Format, []Member, error) {
	return defaults.read(path)
}

func (c config) read(path string) (manifest.Format, []Member, error) {
	// Stat before opening: opening a FIFO would block.
	st, err := os.Stat(path)
	if err != nil {
		return "", nil, err
	}
	switch {
	case st.IsDir():
		return "", nil, fmt.Errorf("%s is a directory, not an archive", path)
	case !st.Mode().IsRegular():
		return "", nil, fmt.Errorf("%s is not a regular file", path)
	case st.Size() > maxArchiveSize:
		return "", nil, fmt.Errorf("%s: %d bytes is larger than provpack reads (%d)", path, st.Size(), maxArchiveSize)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	format, ms, err := c.readArchive(f, st.Size())
	if err != nil {
		return format, nil, fmt.Errorf("%s: %w", path, err)
	}
	return format, ms, nil
}

// readArchive reads the archive of size bytes in r. Its errors do not
// name the file; read adds that.
func (c config) readArchive(r io.ReaderAt, size int64) (manifest.Format, []Member, error) {
	var magic [4]byte
	if size < int64(len(magic)) {
		return "", nil, fmt.Errorf("%w (%d bytes)", ErrFormat, size)
	}
	if _, err := r.ReadAt(magic[:], 0); err != nil && err != io.EOF {
		return "", nil, err
	}
	switch {
	case string(magic[:]) == "MSCF":
		ms, err := c.readCab(r, size)
		return manifest.FormatCab, ms, err
	case bytes.Equal(magic[:], []byte{0x28, 0xB5, 0x2F, 0xFD}):
		ms, err := c.readTarZst(io.NewSectionReader(r, 0, size))
		if err != nil {
			err = fmt.Errorf("tar.zst: %w", err)
		}
		return manifest.FormatTarZst, ms, err
	}
	return "", nil, ErrFormat
}

func (cf config) readCab(r io.ReaderAt, size int64) ([]Member, error) {
	c, err := cab.Read(r, size)
	if err != nil {
		return nil, err
	}
	// The block headers give each folder's uncompressed size; Extract
	// holds a whole folder, so refuse before decompressing anything.
	var total int64
	for _, f := range c.Folders {
		total += f.Size
	}
	if total > cf.limits.total {
		return nil, fmt.Errorf("cab: data expands to %d bytes, more than provpack reads (%d); a package archive holds a few small files", total, cf.limits.total)
	}
	ms := make([]Member, 0, len(c.Entries))
	err = c.Extract(func(e cab.Entry, data []byte) error {
		if int64(len(data)) > cf.limits.member {
			return fmt.Errorf("cab: member %q: %d bytes is larger than a package member may be (%d)", e.Name, len(data), cf.limits.member)
		}
		ms = append(ms, Member{Name: e.Name, Data: bytes.Clone(data)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ms, nil
}

func (c config) readTarZst(r io.Reader) ([]Member, error) {
	zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxZstdWindow), zstd.WithDecoderMaxMemory(maxZstdWindow))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var ms []Member
	var total int64
	for entries := 0; ; entries++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readErr("", err)
		}
		if entries >= maxMembers {
			return nil, fmt.Errorf("more than %d entries", maxMembers)
		}
		switch hdr.Typeflag {
		case tar.TypeReg:
		case tar.TypeDir:
			continue
		default:
			return nil, fmt.Errorf("member %q: type %q is not a regular file (links and devices are refused)", hdr.Name, hdr.Typeflag)
		}
		if hdr.Size > c.limits.member {
			return nil, fmt.Errorf("member %q: %d bytes is larger than a package member may be (%d)", hdr.Name, hdr.Size, c.limits.member)
		}
		if total += hdr.Size; total > c.limits.total {
			return nil, fmt.Errorf("members add up to more than provpack reads (%d bytes); a package archive holds a few small files", c.limits.total)
		}
		data := make([]byte, hdr.Size)
		if n, err := io.ReadFull(tr, data); err != nil {
			if err == io.ErrUnexpectedEOF || err == io.EOF {
				return nil, fmt.Errorf("member %q: the archive ends after %d of its %d bytes (truncated?)", hdr.Name, n, hdr.Size)
			}
			return nil, readErr(hdr.Name, err)
		}
		ms = append(ms, Member{Name: hdr.Name, Data: data})
	}
	// The zstd frame checksum is checked only at the end of the frame,
	// after the tar end-of-archive marker: read up to it.
	n, err := io.Copy(io.Discard, io.LimitReader(zr, maxTarTrailer+1))
	if err != nil {
		return nil, readErr("", err)
	}
	if n > maxTarTrailer {
		return nil, fmt.Errorf("more than %d bytes follow the end of the tar archive", maxTarTrailer)
	}
	return ms, nil
}

// readErr explains an error from the tar or zstd reader.
func readErr(member string, err error) error {
	what := "reading the archive"
	if member != "" {
		what = fmt.Sprintf("member %q", member)
	}
	switch {
	case err == io.ErrUnexpectedEOF:
		return fmt.Errorf("%s: the archive ends too early (truncated?)", what)
	case errors.Is(err, tar.ErrHeader):
		return fmt.Errorf("%s: %w (corrupt or not a tar archive)", what, err)
	case errors.Is(err, zstd.ErrCRCMismatch):
		return fmt.Errorf("%s: zstd frame checksum mismatch: the file is corrupt", what)
	case errors.Is(err, zstd.ErrWindowSizeExceeded), errors.Is(err, zstd.ErrDecoderSizeExceeded):
		return fmt.Errorf("%s: the zstd stream needs a window larger than provpack allows (%d MiB): %w", what, maxZstdWindow>>20, err)
	case errors.Is(err, zstd.ErrMagicMismatch):
		return fmt.Errorf("%s: data after the zstd stream is not zstd: %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
