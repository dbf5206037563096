package verify

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/provpack/provpack/pkgbuild/archive"
	"github.com/provpack/provpack/pkgbuild/internal/outdir"
	"github.com/provpack/provpack/pkgbuild/report"
	"github.com/provpack/provpack/provxml"
)

// Verification is what verify checked and found, for verify --output json.
type Verification struct {
	Path     string           `json:"path"`
	OK       bool             `json:"ok"`
	Archives []ArchiveID      `json:"archives"`
	Findings []report.Finding `json:"findings"`
}

// ArchiveID names an archive by its path, size and SHA-256.
type ArchiveID struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// VerifySummary runs Verify on path and lists the archives checked (path
// itself, or the archives in the directory path) with their sizes and
// digests; every problem becomes an error-level finding.
func VerifySummary(ctx context.Context, path string, opt Options) (*Verification, error) {
	ps, err := Verify(ctx, path, opt)
	if err != nil {
		return nil, err
	}
	v := &Verification{Path: path, OK: len(ps) == 0, Archives: []ArchiveID{}, Findings: []report.Finding{}}
	for _, p := range ps {
		v.Findings = append(v.Findings, problemFinding(p))
	}
	archives := []string{path}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		ents, err := os.ReadDir(path)
		if err != nil {
			return nil, err
		}
		archives = archives[:0]
		for _, e := range ents {
			if name := e.Name(); archive.IsArchiveName(name) {
				archives = append(archives, filepath.Join(path, name))
			}
		}
	}
	for _, a := range archives {
		// An archive that cannot be hashed is among the findings already.
		if size, sum, err := outdir.FileSHA256(a); err == nil {
			v.Archives = append(v.Archives, ArchiveID{Path: a, Size: size, SHA256: sum})
		}
	}
	return v, nil
}

// problemFinding is a verify problem in the shape of every other finding:
// error-level, with the line when the problem names one ("SHA256SUMS:3").
// Verify's checks have no rule IDs; ID is "" but for a signature problem,
// whose ID names its kind (signature-missing, signature-invalid,
// signature-untrusted, signature-mismatch).
func problemFinding(p archive.Problem) report.Finding {
	f := report.Finding{File: p.File, ID: p.Kind, Severity: provxml.Error, Message: p.Msg}
	if i := strings.LastIndexByte(p.File, ':'); i > 0 {
		if n, err := strconv.Atoi(p.File[i+1:]); err == nil && n > 0 {
			f.File, f.Line = p.File[:i], n
		}
	}
	return f
}
