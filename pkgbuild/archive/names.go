package archive

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/provpack/provpack/manifest"
)

// FileName returns the device name of a generated provisioning file:
// mxipcold_<pkg>_<NNN>.provxml or mxipupdate_<pkg>_<NNN>.provxml, with a
// three-digit zero-padded ordinal (bb737254, ms889522; W10M update files
// per commercialization-public "using provisioning files…").
func FileName(class manifest.Class, pkg string, ordinal int) string {
	prefix := "mxipupdate"
	if class == manifest.ClassCold {
		prefix = "mxipcold"
	}
	return fmt.Sprintf("%s_%s_%03d.provxml", prefix, pkg, ordinal)
}

var romName = regexp.MustCompile(`^(mxip|mxipcold|mxipupdate)_(.+)_([0-9]+)\.provxml$`)

// ParseFileName splits a ROM provisioning file name into its class,
// package and ordinal. mxip_ and mxipcold_ are the same class.
func ParseFileName(name string) (class manifest.Class, pkg string, ordinal int, ok bool) {
	m := romName.FindStringSubmatch(name)
	if m == nil {
		return "", "", 0, false
	}
	n, err := strconv.Atoi(m[3])
	if err != nil {
		return "", "", 0, false
	}
	class = manifest.ClassUpdate
	if m[1] != "mxipupdate" {
		class = manifest.ClassCold
	}
	return class, m[2], n, true
}

// MaxOrdinal is the largest ordinal that fits the three-digit field.
const MaxOrdinal = 999

// nameProblems reports member names that extract would refuse: unsafe
// names (see unsafeName), and names that would land on the same file, or
// on a file and a directory at once, on a case-insensitive file system
// such as the device's, or on Windows and FAT, which also drop a name's
// trailing dots and spaces ("a.provxml." and "a.provxml " are
// "a.provxml" there). '/' and '\' both separate directories.
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
			case foldCase(first) != foldCase(m.Name):
				out = append(out, fmt.Sprintf("members %q and %q are the same file on Windows and FAT file systems, which drop trailing dots and spaces", first, m.Name))
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
// are the same file on a case-insensitive file system that drops
// trailing dots and spaces (Windows, FAT): '/' separators, each segment
// without its trailing dots and spaces, and each rune folded as
// strings.EqualFold folds it.
func foldName(name string) string {
	segs := strings.Split(strings.ReplaceAll(name, `\`, "/"), "/")
	for i, s := range segs {
		segs[i] = strings.TrimRight(s, ". ")
	}
	return foldCase(strings.Join(segs, "/"))
}

// foldCase maps a name to a key equal for names that differ only in case
// (as strings.EqualFold folds it) or in the separator ('/' or '\').
func foldCase(name string) string {
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
	for _, r := range name {
		if unicode.IsControl(r) {
			return fmt.Sprintf("control character %U in name", r)
		}
	}
	for _, seg := range strings.Split(strings.ReplaceAll(name, `\`, "/"), "/") {
		switch {
		case seg == "":
			return "empty path segment (a doubled or trailing separator)"
		case seg == ".":
			return "\".\" segment"
		case strings.TrimRight(seg, ". ") == "":
			return fmt.Sprintf("segment %q is only dots and spaces, which Windows and FAT drop", seg)
		case reservedName(seg):
			return fmt.Sprintf("%q is a device name on Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9), not a file", seg)
		}
	}
	return ""
}

// reservedName reports whether Windows takes a path segment for a device
// rather than a file: CON, PRN, AUX, NUL, COM0-9, LPT0-9, CONIN$ and
// CONOUT$ in any case, alone or followed by an extension, trailing dots
// and spaces aside ("nul.txt", "Com1 .provxml").
func reservedName(seg string) bool {
	base, _, _ := strings.Cut(strings.TrimRight(seg, ". "), ".")
	base = strings.ToUpper(strings.TrimRight(base, " "))
	switch base {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if len(base) == 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) {
		return base[3] >= '0' && base[3] <= '9'
	}
	// COM and LPT with a superscript digit are devices too.
	for _, p := range []string{"COM", "LPT"} {
		if rest, ok := strings.CutPrefix(base, p); ok && (rest == "¹" || rest == "²" || rest == "³") {
			return true
		}
	}
	return false
}
