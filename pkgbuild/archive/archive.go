package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
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
// archives: a .cab or .tar.zst file (wm6) or a .spkg (w10m).
func IsArchiveName(name string) bool {
	return strings.HasSuffix(name, ".cab") || strings.HasSuffix(name, ".tar.zst") || strings.HasSuffix(name, ".spkg")
}

// Name returns the file name of a package archive: wm6
// <package>-<version>.cab (or .tar.zst); w10m
// <Owner>.<Component>[.<SubComponent>].spkg, the name the platform's
// tools pick packages up by (a cabinet; w10m has no other format).
func Name(info *PackageInfo, f manifest.Format) string {
	if info.Target == string(manifest.TargetW10M) {
		return PackageBaseName(info) + ".spkg"
	}
	return info.Name + "-" + info.Version + archiveExt(f)
}

// Write writes members in format f. Every header field is fixed or
// derived from the members, never from the host, so equal inputs give
// equal bytes. Member names are checked first, by the same rules for both
// formats (see unsafeName): provpack never writes an archive that its own
// extract would refuse.
func Write(w io.Writer, f manifest.Format, members []Member, mod time.Time) error {
	return write(w, f, members, mod, false)
}

// write is Write; signable gives a cabinet the signature directory
// WriteSigned fills.
func write(w io.Writer, f manifest.Format, members []Member, mod time.Time, signable bool) error {
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
		return cab.Write(w, files, cab.WriteOptions{ModTime: mod, Signable: signable})
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
