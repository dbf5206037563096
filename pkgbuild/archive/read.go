package archive

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"syscall"

	"github.com/klauspost/compress/zstd"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/cab"
)

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
	// maxManifestSize bounds the package manifest member, which is
	// parsed whole: a line per provisioning file.
	maxManifestSize = 8 << 20
	// keepBudget bounds the member bytes verify keeps from its first
	// pass to lint without a second one.
	keepBudget = 8 << 20
)

// limits bound what one archive may expand to: one member, and all of
// them together. Members stream through hashes and files; only the
// package manifest and provisioning files (each within its own limit)
// are held whole, one at a time.
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
// error names path. It holds every member in memory, at most the total
// limit; Inspect, Verify and Extract stream instead.
func Read(path string) (manifest.Format, []Member, error) {
	return defaults.read(path)
}

func (c config) read(path string) (manifest.Format, []Member, error) {
	var ms memberList
	format, err := c.walkFile(path, ms.add, nil)
	return ms.result(format, err)
}

// readArchive is read for an archive already in memory (tests and
// fuzzing); its errors do not name a file.
func (c config) readArchive(r io.ReaderAt, size int64) (manifest.Format, []Member, error) {
	var ms memberList
	format, err := c.walk(r, size, ms.add, nil)
	return ms.result(format, err)
}

// memberList collects the members a walk hands over, whole.
type memberList []Member

func (ms *memberList) add(name string, size int64, r io.Reader) error {
	data, err := io.ReadAll(r)
	*ms = append(*ms, Member{Name: name, Data: data})
	return err
}

func (ms memberList) result(format manifest.Format, err error) (manifest.Format, []Member, error) {
	if err != nil {
		return format, nil, err
	}
	return format, ms, nil
}

// walkFile opens the archive at path and walks it; every error names
// path.
func (c config) walkFile(path string, fn walkFunc, sig *sigState) (manifest.Format, error) {
	f, size, err := openArchive(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	format, err := c.walk(f, size, fn, sig)
	if err != nil {
		return format, fmt.Errorf("%s: %w", path, err)
	}
	return format, nil
}

// openArchive opens a regular file of at most maxArchiveSize bytes
// without blocking on a FIFO.
func openArchive(path string) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, notExist(path)
	}
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	switch {
	case err != nil:
	case st.IsDir():
		err = fmt.Errorf("%s is a directory, not an archive", path)
	case !st.Mode().IsRegular():
		err = fmt.Errorf("%s is not a regular file", path)
	case st.Size() > maxArchiveSize:
		err = fmt.Errorf("%s: %d bytes is larger than provpack reads (%d)", path, st.Size(), maxArchiveSize)
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

// notExist is the error for an archive that does not exist: it says so
// without the system's "open X: no such file or directory", and is still
// fs.ErrNotExist to errors.Is.
type notExist string

func (e notExist) Error() string { return string(e) + " does not exist" }
func (e notExist) Unwrap() error { return fs.ErrNotExist }

// walkFunc receives one member: its name, its size, and a reader of its
// bytes that is valid only during the call. It need not read to the
// end; an error it returns stops the walk, unless reading the member
// failed, whose error is returned instead.
type walkFunc func(name string, size int64, r io.Reader) error

// walk streams every member of the archive of size bytes in r to fn, in
// archive order, verifying the format's integrity checks. What a header
// declares is checked against the limits before a byte of that member is
// read. Its errors do not name the file. When sig is not nil, a signed
// cabinet's signature is checked into it (a bad signature is not an
// error of the walk).
func (c config) walk(r io.ReaderAt, size int64, fn walkFunc, sig *sigState) (manifest.Format, error) {
	var magic [4]byte
	if size < int64(len(magic)) {
		return "", fmt.Errorf("%w (%d bytes)", ErrFormat, size)
	}
	if _, err := r.ReadAt(magic[:], 0); err != nil && err != io.EOF {
		return "", err
	}
	switch {
	case string(magic[:]) == "MSCF":
		return manifest.FormatCab, c.walkCab(r, size, fn, sig)
	case bytes.Equal(magic[:], []byte{0x28, 0xB5, 0x2F, 0xFD}):
		err := c.walkTarZst(io.NewSectionReader(r, 0, size), fn)
		if err != nil {
			err = fmt.Errorf("tar.zst: %w", err)
		}
		return manifest.FormatTarZst, err
	}
	return "", ErrFormat
}

func (cf config) walkCab(r io.ReaderAt, size int64, fn walkFunc, sig *sigState) error {
	c, err := cab.Read(r, size)
	if err != nil {
		return err
	}
	if len(c.Entries) == 0 {
		// cabextract and bsdtar call such a cabinet an error; an
		// "extracted" or "verified" empty package would hide it.
		return errors.New("cab: the cabinet holds no files (cFiles is 0); a package archive holds at least its provisioning files or package manifest")
	}
	// Every byte must be one that is checked: verify vouches for the
	// whole file. (The signature after cbCabinet is checked as such.)
	if c.Unread > 0 && !emptyBlockHeader(r, c) {
		if c.Unread == c.Trailing {
			return fmt.Errorf("cab: %d bytes after the last data block, within cbCabinet, belong to no structure of the cabinet (padding or hidden data); a package archive has none", c.Unread)
		}
		return fmt.Errorf("cab: %d bytes between the cabinet's tables and data blocks belong to no structure (padding or hidden data); a package archive has none", c.Unread)
	}
	if sig != nil {
		sig.check(c)
	}
	// cab.Read has checked that entries lie within their folder and do
	// not overlap, and the blocks bound each folder's size; refuse
	// before decompressing anything.
	var total int64
	for _, f := range c.Folders {
		total += f.Size
	}
	if total > cf.limits.total {
		return fmt.Errorf("cab: data expands to %d bytes, more than provpack reads (%d); a package archive holds a few small files", total, cf.limits.total)
	}
	for _, e := range c.Entries {
		if int64(e.Size) > cf.limits.member {
			return fmt.Errorf("cab: member %q: %d bytes is larger than a package member may be (%d)", e.Name, e.Size, cf.limits.member)
		}
	}
	return c.Extract(func(e cab.Entry, r io.Reader) error {
		return fn(e.Name, int64(e.Size), r)
	})
}

// emptyBlockHeader reports whether the only bytes of c outside every
// structure are, after the last data block, at most one CFDATA header
// of zeros (8 bytes and the data reserve): an empty block a writer left
// for a folder it counted none for (cCFData 0), as in libmspack's
// case-utf8.cab and utf8-stresstest.cab, whose members are all empty.
// Every reader (Windows' FDI as Wine re-implements it, cabextract,
// 7-Zip, libarchive, gcab) reads a folder's cCFData blocks and no more,
// so such bytes are read by none and cannot change what is extracted;
// zeros hide nothing.
func emptyBlockHeader(r io.ReaderAt, c *cab.Cabinet) bool {
	if c.Unread != c.Trailing || c.Trailing > int64(8+c.DataReserve()) {
		return false
	}
	at := c.Size - c.Trailing
	if !slices.ContainsFunc(c.Folders, func(f cab.Folder) bool { return f.Blocks == 0 && int64(f.Offset) == at }) {
		return false
	}
	buf := make([]byte, c.Trailing)
	if _, err := r.ReadAt(buf, at); err != nil {
		return false
	}
	return !slices.ContainsFunc(buf, func(b byte) bool { return b != 0 })
}

func (c config) walkTarZst(r io.Reader, fn walkFunc) error {
	zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxZstdWindow), zstd.WithDecoderMaxMemory(maxZstdWindow))
	if err != nil {
		return err
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var total int64
	for entries := 0; ; entries++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return readErr("", err)
		}
		if entries >= maxMembers {
			return fmt.Errorf("more than %d entries", maxMembers)
		}
		switch hdr.Typeflag {
		case tar.TypeReg:
		case tar.TypeDir:
			continue
		default:
			return fmt.Errorf("member %q: type %q is not a regular file (links and devices are refused)", hdr.Name, hdr.Typeflag)
		}
		if hdr.Size > c.limits.member {
			return fmt.Errorf("member %q: %d bytes is larger than a package member may be (%d)", hdr.Name, hdr.Size, c.limits.member)
		}
		if total += hdr.Size; total > c.limits.total {
			return fmt.Errorf("members add up to more than provpack reads (%d bytes); a package archive holds a few small files", c.limits.total)
		}
		mr := &memberReader{r: tr}
		ferr := fn(hdr.Name, hdr.Size, mr)
		if mr.err == nil && ferr == nil {
			// Read what fn left, so that a truncated member is told as
			// such.
			_, ferr = io.Copy(io.Discard, mr)
		}
		if mr.err != nil {
			if mr.err == io.ErrUnexpectedEOF {
				return fmt.Errorf("member %q: the archive ends after %d of its %d bytes (truncated?)", hdr.Name, mr.n, hdr.Size)
			}
			return readErr(hdr.Name, mr.err)
		}
		if ferr != nil {
			return ferr
		}
	}
	// The zstd frame checksum is checked only at the end of the frame,
	// after the tar end-of-archive marker: read up to it.
	n, err := io.Copy(io.Discard, io.LimitReader(zr, maxTarTrailer+1))
	if err != nil {
		return readErr("", err)
	}
	if n > maxTarTrailer {
		return fmt.Errorf("more than %d bytes follow the end of the tar archive", maxTarTrailer)
	}
	return nil
}

// memberReader reads a tar member, keeping the first error other than
// io.EOF and the bytes read.
type memberReader struct {
	r   io.Reader
	n   int64
	err error
}

func (m *memberReader) Read(p []byte) (int, error) {
	if m.err != nil {
		return 0, m.err
	}
	n, err := m.r.Read(p)
	m.n += int64(n)
	if err != nil && err != io.EOF {
		m.err = err
	}
	return n, err
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

// scan is one pass over an archive: every member's name, size and
// SHA-256, in archive order. The bytes of a member that want asks for
// (by name and declared size) are read whole into one reused buffer and
// handed to use, valid only during the call; every other member streams
// through the hash. Memory is the largest member asked for, not the
// archive.
//
// When alt is not nil, it gets, for every member, the other digests a
// catalog may list it by (see memberDigests), under the member's name
// (the first member of a name).
func (c config) scan(path string, want func(name string, size int64) bool, use func(name string, data []byte) error, sig *sigState, alt map[string][][]byte) (manifest.Format, []MemberInfo, error) {
	var infos []MemberInfo
	var buf bytes.Buffer
	copyBuf := make([]byte, 32<<10)
	h := sha256.New()
	var sum [sha256.Size]byte
	var digests *memberDigests
	if alt != nil {
		digests = newMemberDigests()
	}
	format, err := c.walkFile(path, func(name string, size int64, r io.Reader) error {
		h.Reset()
		var w io.Writer = h
		if digests != nil {
			digests.reset()
			w = io.MultiWriter(h, digests)
		}
		var n int64
		var err error
		keep := want != nil && want(name, size)
		if keep {
			buf.Reset()
			buf.Grow(int(max(size, 0)))
			n, err = io.CopyBuffer(io.MultiWriter(w, &buf), r, copyBuf)
		} else {
			n, err = io.CopyBuffer(w, r, copyBuf)
		}
		if err != nil {
			return err
		}
		if _, dup := alt[name]; digests != nil && !dup {
			alt[name] = digests.sums()
		}
		infos = append(infos, MemberInfo{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(sum[:0]))})
		if keep {
			return use(name, buf.Bytes())
		}
		return nil
	}, sig)
	return format, infos, err
}

// ReadMembers reads the archive at path once, handing use the bytes of
// every member want asks for (by name and declared size), valid only
// during the call; the others stream through unread. The archive is
// checked as Read checks it, and every error names path.
func ReadMembers(path string, want func(name string, size int64) bool, use func(name string, data []byte) error) error {
	_, _, err := defaults.scan(path, want, use, nil, nil)
	return err
}
