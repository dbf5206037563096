package archive

import (
	"fmt"
	"strings"

	"github.com/provpack/provpack/pkgbuild/internal/outdir"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/provxml"
)

// Inspection is what inspect shows of an archive.
type Inspection struct {
	Archive string          `json:"archive"`
	Format  manifest.Format `json:"format"`
	Size    int64           `json:"size"`
	SHA256  string          `json:"sha256"`
	Package *PackageInfo    `json:"package"`
	Members []MemberInfo    `json:"members"`
	// Data holds the members themselves, in archive order, for a caller
	// that reads them further (pkgbuild lists their settings).
	Data []Member `json:"-"`
}

// MemberInfo is one member of an archive.
type MemberInfo struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Inspect reads an archive and describes it: its identity and its members.
func Inspect(path string) (*Inspection, error) {
	return defaults.inspect(path)
}

func (c config) inspect(path string) (*Inspection, error) {
	format, members, err := c.read(path)
	if err != nil {
		return nil, err
	}
	in := &Inspection{Archive: path, Format: format, Members: []MemberInfo{}, Data: members}
	if in.Size, in.SHA256, err = outdir.FileSHA256(path); err != nil {
		return nil, err
	}
	for _, m := range members {
		in.Members = append(in.Members, MemberInfo{Name: m.Name, Size: int64(len(m.Data)), SHA256: SHA256Hex(m.Data)})
		if IsManifest(m.Name) {
			if in.Package, err = ParseManifest(m.Name, m.Data); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		}
	}
	return in, nil
}

// Problem is one thing verify found wrong.
type Problem struct {
	File string `json:"file"`
	Msg  string `json:"message"`
}

func (p Problem) String() string { return p.File + ": " + p.Msg }

// Expect is what a build report says of an archive that Verify compares
// with its package manifest.
type Expect struct {
	Name, Version, GUID string
}

// Verify checks the archive at path: its structure and checksums, its
// member names, each member against the package manifest (listed,
// present, size, SHA-256, file name against class, ordinal and package),
// and every provisioning file re-linted. When want is not nil, the
// package manifest must also name the package want names. It returns
// every problem found, each naming path.
func Verify(path string, want *Expect) []Problem {
	return defaults.verify(path, want)
}

func (c config) verify(path string, want *Expect) []Problem {
	var ps []Problem
	add := func(format string, args ...any) {
		ps = append(ps, Problem{File: path, Msg: fmt.Sprintf(format, args...)})
	}
	_, members, err := c.read(path)
	if err != nil {
		add("%v", strings.TrimPrefix(err.Error(), path+": "))
		return ps
	}
	for _, msg := range nameProblems(members) {
		add("%s", msg)
	}
	var info *PackageInfo
	byName := map[string]Member{}
	for _, m := range members {
		byName[m.Name] = m
		if IsManifest(m.Name) {
			if info != nil {
				add("more than one package manifest")
			}
			if info, err = ParseManifest(m.Name, m.Data); err != nil {
				add("%v", err)
			}
		}
	}
	if info == nil {
		if err == nil {
			add("no package manifest (%s or %s)", ManifestWM6, ManifestW10M)
		}
		return ps
	}
	if want != nil && (want.Name != info.Name || want.Version != info.Version || want.GUID != info.GUID) {
		add("package manifest says %s %s (%s), the report %s %s (%s)", info.Name, info.Version, info.GUID, want.Name, want.Version, want.GUID)
	}
	listed := map[string]bool{}
	for _, f := range info.Files {
		listed[f.Name] = true
		m, ok := byName[f.Name]
		if !ok {
			add("%s is listed in the package manifest but missing from the archive", f.Name)
			continue
		}
		if int64(len(m.Data)) != f.Size {
			add("%s: size %d, the package manifest says %d", f.Name, len(m.Data), f.Size)
		}
		if got := SHA256Hex(m.Data); got != f.SHA256 {
			add("%s: SHA-256 %s, the package manifest says %s", f.Name, got, f.SHA256)
		}
		class, pkg, ord, ok := ParseFileName(f.Name)
		switch {
		case !ok:
			add("%s is not a ROM provisioning file name (mxipcold_/mxipupdate_<pkg>_<NNN>.provxml)", f.Name)
		case pkg != info.Name:
			add("%s names package %s, but the archive holds package %s", f.Name, pkg, info.Name)
		case class != f.Class || ord != f.Ordinal:
			add("%s: the package manifest says class %s ordinal %d", f.Name, f.Class, f.Ordinal)
		}
		_, fs := provxml.Lint(f.Name, m.Data, provxml.ParseOptions{}, provxml.Options{Target: info.Target})
		for _, x := range fs {
			if x.Rule.Severity == provxml.Error {
				add("%s", x.String())
			}
		}
	}
	for _, m := range members {
		if !listed[m.Name] && !IsManifest(m.Name) {
			add("%s is in the archive but not in the package manifest", m.Name)
		}
	}
	return ps
}
