package pkgbuild

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/provpack/provpack/manifest"
	"github.com/provpack/provpack/pkgbuild/report"
	"github.com/provpack/provpack/provxml"
)

// Inspection is what inspect shows of an archive.
type Inspection struct {
	Archive  string           `json:"archive"`
	Format   manifest.Format  `json:"format"`
	Size     int64            `json:"size"`
	SHA256   string           `json:"sha256"`
	Package  *PackageInfo     `json:"package"`
	Members  []MemberInfo     `json:"members"`
	Settings []report.Setting `json:"settings"`
}

// MemberInfo is one member of an archive.
type MemberInfo struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

func fileSHA256(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return n, hex.EncodeToString(h.Sum(nil)), err
}

// Inspect reads an archive and describes it: identity, members and the
// settings of its provisioning files.
func Inspect(path string) (*Inspection, error) {
	format, members, err := ReadArchive(path)
	if err != nil {
		return nil, err
	}
	in := &Inspection{Archive: path, Format: format, Members: []MemberInfo{}, Settings: []report.Setting{}}
	if in.Size, in.SHA256, err = fileSHA256(path); err != nil {
		return nil, err
	}
	for _, m := range members {
		in.Members = append(in.Members, MemberInfo{Name: m.Name, Size: int64(len(m.Data)), SHA256: sha256Hex(m.Data)})
		if isPackageManifest(m.Name) {
			if in.Package, err = parsePackageManifest(m.Name, m.Data); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		}
	}
	for _, m := range members {
		class, _, _, ok := ParseFileName(m.Name)
		if !ok {
			continue
		}
		doc, err := provxml.Parse(m.Name, m.Data, provxml.ParseOptions{})
		if err != nil {
			continue // verify reports it
		}
		for _, s := range provxml.Flatten(doc) {
			in.Settings = append(in.Settings, newReportSetting(class, m.Name, s))
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

// Verify checks an archive, or an output directory (its SHA256SUMS, its
// report and every archive in it), and returns every problem found.
func Verify(path string) ([]Problem, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return verifyArchive(path, nil), nil
	}
	return verifyDir(path)
}

func verifyArchive(path string, want *report.Package) []Problem {
	var ps []Problem
	add := func(format string, args ...any) {
		ps = append(ps, Problem{File: path, Msg: fmt.Sprintf(format, args...)})
	}
	_, members, err := ReadArchive(path)
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
		if isPackageManifest(m.Name) {
			if info != nil {
				add("more than one package manifest")
			}
			if info, err = parsePackageManifest(m.Name, m.Data); err != nil {
				add("%v", err)
			}
		}
	}
	if info == nil {
		if err == nil {
			add("no package manifest (%s or %s)", PackageManifestWM6, PackageManifestW10M)
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
		if got := sha256Hex(m.Data); got != f.SHA256 {
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
		if !listed[m.Name] && !isPackageManifest(m.Name) {
			add("%s is in the archive but not in the package manifest", m.Name)
		}
	}
	return ps
}

// nameProblems reports member names that extract would refuse: unsafe
// names (see unsafeName), and names that would land on the same file, or
// on a file and a directory at once, on a case-insensitive file system
// such as the device's. '/' and '\' both separate directories.
func nameProblems(members []Member) []string {
	var out []string
	seen := map[string]string{} // fold key -> first name
	for _, m := range members {
		if msg := unsafeName(m.Name); msg != "" {
			out = append(out, fmt.Sprintf("member %q: %s", m.Name, msg))
			continue
		}
		key := foldName(m.Name)
		if first, dup := seen[key]; dup {
			switch {
			case first == m.Name:
				out = append(out, fmt.Sprintf("member %q appears twice", m.Name))
			case strings.ReplaceAll(first, `\`, "/") == strings.ReplaceAll(m.Name, `\`, "/"):
				out = append(out, fmt.Sprintf("members %q and %q name the same file", first, m.Name))
			default:
				out = append(out, fmt.Sprintf("members %q and %q differ only in case; they collide on the device's case-insensitive file system", first, m.Name))
			}
			continue
		}
		seen[key] = m.Name
	}
	// A member whose name is a directory of another member's.
	for _, m := range members {
		if unsafeName(m.Name) != "" {
			continue
		}
		key := foldName(m.Name)
		for i := range len(key) {
			if key[i] != '/' {
				continue
			}
			if file, ok := seen[key[:i]]; ok {
				out = append(out, fmt.Sprintf("member %q needs %q to be a directory, but the archive also holds a file of that name", m.Name, file))
				break
			}
		}
	}
	return out
}

// foldName maps a member name to a key equal for exactly the names that
// are the same file on a case-insensitive file system: '/' separators,
// and each rune folded as strings.EqualFold folds it.
func foldName(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range name {
		if r == '\\' {
			r = '/'
		}
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		b.WriteRune(m)
	}
	return b.String()
}

// maxNameLen is the longest member name, in bytes, that a cabinet holds.
const maxNameLen = 255

// unsafeName says why a member name must not be written or extracted, or
// "". The rules are the cabinet writer's, for both formats.
func unsafeName(name string) string {
	switch {
	case name == "":
		return "empty name"
	case !utf8.ValidString(name):
		return "name is not valid UTF-8"
	case strings.ContainsRune(name, 0):
		return "NUL in name"
	case strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`):
		return "absolute path"
	case len(name) >= 2 && name[1] == ':':
		return "drive-qualified path"
	case len(name) > maxNameLen:
		return fmt.Sprintf("name is %d bytes, longer than the %d a cabinet holds", len(name), maxNameLen)
	}
	for _, seg := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if seg == ".." {
			return "\"..\" segment would escape the target directory"
		}
	}
	for _, seg := range strings.Split(strings.ReplaceAll(name, `\`, "/"), "/") {
		switch seg {
		case "":
			return "empty path segment (a doubled or trailing separator)"
		case ".":
			return "\".\" segment"
		}
	}
	return ""
}

func verifyDir(dir string) ([]Problem, error) {
	var ps []Problem
	sums := filepath.Join(dir, "SHA256SUMS")
	listed := map[string]bool{}
	data, err := os.ReadFile(sums)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		ps = append(ps, Problem{sums, "missing; a provpack output directory has one"})
	case err != nil:
		return nil, err
	default:
		sc := bufio.NewScanner(bytes.NewReader(data))
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			sum, name, ok := strings.Cut(line, "  ")
			if !ok || len(sum) != 64 || strings.ContainsAny(name, `/\`) {
				ps = append(ps, Problem{fmt.Sprintf("%s:%d", sums, n), fmt.Sprintf("not a sha256sum line: %q", line)})
				continue
			}
			listed[name] = true
			_, got, err := fileSHA256(filepath.Join(dir, name))
			switch {
			case err != nil:
				ps = append(ps, Problem{filepath.Join(dir, name), fmt.Sprintf("listed in SHA256SUMS but cannot be read: %v", errors.Unwrap(err))})
			case got != sum:
				ps = append(ps, Problem{filepath.Join(dir, name), fmt.Sprintf("SHA-256 %s, SHA256SUMS says %s", got, sum)})
			}
		}
	}
	var rep *report.Report
	if data, err := os.ReadFile(filepath.Join(dir, "report.json")); err == nil {
		if rep, err = report.Read(filepath.Join(dir, "report.json"), data); err != nil {
			ps = append(ps, Problem{filepath.Join(dir, "report.json"), err.Error()})
		}
	} else {
		ps = append(ps, Problem{filepath.Join(dir, "report.json"), "missing; a provpack output directory has one"})
	}
	reported := map[string]*report.Package{}
	if rep != nil {
		for _, p := range rep.Packages {
			reported[p.Archive] = p
			path := filepath.Join(dir, p.Archive)
			size, sum, err := fileSHA256(path)
			switch {
			case err != nil:
				ps = append(ps, Problem{path, "listed in report.json but missing"})
			case sum != p.SHA256 || size != p.Size:
				ps = append(ps, Problem{path, fmt.Sprintf("%d bytes, SHA-256 %s; report.json says %d bytes, %s", size, sum, p.Size, p.SHA256)})
			}
			if !listed[p.Archive] && len(listed) > 0 {
				ps = append(ps, Problem{path, "in report.json but not in SHA256SUMS"})
			}
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, ".cab") && !strings.HasSuffix(name, ".tar.zst") {
			continue
		}
		if len(listed) > 0 && !listed[name] {
			ps = append(ps, Problem{filepath.Join(dir, name), "archive not listed in SHA256SUMS"})
		}
		ps = append(ps, verifyArchive(filepath.Join(dir, name), reported[name])...)
	}
	slices.SortStableFunc(ps, func(a, b Problem) int { return strings.Compare(a.File, b.File) })
	return ps, nil
}
