package cab

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// File is one member to write.
type File struct {
	// Name is the member's path relative to the cabinet root. Either '/'
	// or '\' separates directories; the cabinet stores '\'.
	Name string
	Data []byte
}

// WriteOptions are the settings of Write. There are deliberately few, and
// none comes from the host: equal inputs give equal bytes.
type WriteOptions struct {
	// ModTime is stored as every member's DOS date and time, taken in UTC
	// and rounded down to an even second. It must lie within 1980..2107.
	ModTime time.Time
	// Level is the deflate level, 1 (fastest) to 9 (smallest); 0 means
	// DefaultLevel.
	Level int
	// Signable gives the header the 20-byte signature directory a signed
	// cabinet has (see signature.go), pointing at cbCabinet with a length
	// of 0, so that AuthenticodeDigest and AppendSignature can sign it.
	Signable bool
}

var errTooLarge = errors.New("cab: cabinet would exceed the format's limit of 0x7FFFFFFF bytes")

// member is a file prepared for the cabinet.
type member struct {
	name    string // as stored: '\' separators
	src     string // as given, for messages
	data    []byte
	attribs uint16
	folder  int
	offset  uint32
}

// Write writes files as one Microsoft Cabinet to w.
//
// Members are sorted by their stored name (byte order), so the order of
// files does not matter. All members share the fixed attributes 0x20
// (archive), plus 0x80 when the name is not ASCII (names are UTF-8), and
// the date and time from opt.ModTime. The data is MSZIP-compressed in
// CFDATA blocks of at most 32 KiB, each primed with the previous 32 KiB of
// its folder. A new folder starts, at a member boundary, when a folder
// would need more than 65535 blocks.
//
// Names must be non-empty valid UTF-8 relative paths of at most 255 bytes
// without NUL, drive letters, empty, "." or ".." segments; two names that
// are equal or differ only in case are rejected, and so is an empty list
// (cabextract and bsdtar refuse empty cabinets). The cabinet is built in
// memory and written to w with two Write calls.
func Write(w io.Writer, files []File, opt WriteOptions) error {
	level := opt.Level
	if level == 0 {
		level = DefaultLevel
	}
	if level < 1 || level > 9 {
		return fmt.Errorf("cab: deflate level %d out of range 1..9", opt.Level)
	}
	date, tm, ok := dosDateTime(opt.ModTime)
	if !ok {
		return fmt.Errorf("cab: modification time %s is outside the DOS range 1980..2107", opt.ModTime.UTC().Format(time.RFC3339))
	}
	members, err := prepare(files)
	if err != nil {
		return err
	}
	nfolders, err := planFolders(members)
	if err != nil {
		return err
	}

	hsize := headerSize
	flags := uint16(0)
	if opt.Signable {
		hsize += signedOverhead
		flags = flagReserve
	}
	coffFiles := hsize + folderSize*nfolders
	dataStart := coffFiles
	for _, m := range members {
		dataStart += fileSize + len(m.name) + 1
	}

	e, err := getEncoder(level)
	if err != nil {
		return fmt.Errorf("cab: %w", err)
	}
	defer putEncoder(e)
	e.limit = maxCabinetSize - dataStart
	type folderInfo struct {
		off    int
		blocks int
	}
	folders := make([]folderInfo, nfolders)
	mi := 0
	for f := range folders {
		folders[f].off = len(e.out)
		e.startFolder()
		for ; mi < len(members) && members[mi].folder == f; mi++ {
			if err := e.add(members[mi].data); err != nil {
				return err
			}
		}
		if err := e.endFolder(); err != nil {
			return err
		}
		if e.count > maxDataBlocks {
			return fmt.Errorf("cab: internal error: folder %d has %d data blocks", f, e.count)
		}
		folders[f].blocks = e.count
	}
	total := dataStart + len(e.out)
	if total > maxCabinetSize {
		return errTooLarge
	}

	head := make([]byte, 0, dataStart)
	head = append(head, 'M', 'S', 'C', 'F')
	head = le.AppendUint32(head, 0) // reserved1
	head = le.AppendUint32(head, uint32(total))
	head = le.AppendUint32(head, 0) // reserved2
	head = le.AppendUint32(head, uint32(coffFiles))
	head = le.AppendUint32(head, 0) // reserved3
	head = append(head, versionMinor, versionMajor)
	head = le.AppendUint16(head, uint16(nfolders))
	head = le.AppendUint16(head, uint16(len(members)))
	head = le.AppendUint16(head, flags) // no set; a reserve when signable
	head = le.AppendUint16(head, 0)     // setID
	head = le.AppendUint16(head, 0)     // iCabinet
	if opt.Signable {
		head = le.AppendUint16(head, sigReserveSize) // cbCFHeader
		head = append(head, 0, 0)                    // cbCFFolder, cbCFData
		head = le.AppendUint32(head, sigMarker)
		head = le.AppendUint32(head, uint32(total)) // the signature's offset
		head = le.AppendUint32(head, 0)             // and length: none yet
		head = append(head, make([]byte, 8)...)
	}
	for _, f := range folders {
		head = le.AppendUint32(head, uint32(dataStart+f.off))
		head = le.AppendUint16(head, uint16(f.blocks))
		head = le.AppendUint16(head, compressMSZIP)
	}
	for _, m := range members {
		head = le.AppendUint32(head, uint32(len(m.data)))
		head = le.AppendUint32(head, m.offset)
		head = le.AppendUint16(head, uint16(m.folder))
		head = le.AppendUint16(head, date)
		head = le.AppendUint16(head, tm)
		head = le.AppendUint16(head, m.attribs)
		head = append(head, m.name...)
		head = append(head, 0)
	}
	if len(head) != dataStart {
		return fmt.Errorf("cab: internal error: header is %d bytes, planned %d", len(head), dataStart)
	}
	if _, err := w.Write(head); err != nil {
		return fmt.Errorf("cab: writing cabinet: %w", err)
	}
	if _, err := w.Write(e.out); err != nil {
		return fmt.Errorf("cab: writing cabinet: %w", err)
	}
	return nil
}

// prepare validates and sorts the members.
func prepare(files []File) ([]member, error) {
	if len(files) == 0 {
		// libmspack and libarchive refuse a cabinet without files.
		return nil, errors.New("cab: no files to write; cabextract and bsdtar reject an empty cabinet")
	}
	if len(files) > maxFiles {
		return nil, fmt.Errorf("cab: %d files, the format allows at most %d", len(files), maxFiles)
	}
	members := make([]member, len(files))
	for i, f := range files {
		name, err := storedName(f.Name)
		if err != nil {
			return nil, err
		}
		if len(f.Data) > maxFileBytes {
			return nil, fmt.Errorf("cab: member %q is %d bytes, the format allows at most %d", f.Name, len(f.Data), maxFileBytes)
		}
		attribs := uint16(attrArchive)
		if !isASCII(name) {
			attribs |= attrNameUTF
		}
		members[i] = member{name: name, src: f.Name, data: f.Data, attribs: attribs}
	}
	slices.SortFunc(members, func(a, b member) int { return strings.Compare(a.name, b.name) })
	folded := make(map[string]string, len(members))
	for i, m := range members {
		if i > 0 && members[i-1].name == m.name {
			return nil, fmt.Errorf("cab: duplicate member %q (given as %q and %q)", m.name, members[i-1].src, m.src)
		}
		k := foldKey(m.name)
		if prev, ok := folded[k]; ok {
			return nil, fmt.Errorf("cab: members %q and %q differ only in case", prev, m.src)
		}
		folded[k] = m.src
	}
	return members, nil
}

// planFolders assigns members to folders and offsets within them and
// returns the number of folders.
func planFolders(members []member) (int, error) {
	blocks := func(n int64) int64 { return (n + frameSize - 1) / frameSize }
	limit := int64(maxFolderBlocks)
	folder, used := 0, int64(0)
	for i := range members {
		m := &members[i]
		size := int64(len(m.data))
		if blocks(size) > limit {
			return 0, fmt.Errorf("cab: member %q is %d bytes, more than one folder holds (%d blocks of 32 KiB)", m.src, size, limit)
		}
		if blocks(used+size) > limit {
			folder++
			used = 0
		}
		m.folder = folder
		m.offset = uint32(used)
		used += size
	}
	if folder+1 > maxFolders {
		return 0, fmt.Errorf("cab: data needs %d folders, the format allows at most %d", folder+1, maxFolders)
	}
	return folder + 1, nil
}

// storedName validates a member name and returns it with '\' separators.
func storedName(name string) (string, error) {
	switch {
	case name == "":
		return "", errors.New("cab: empty member name")
	case !utf8.ValidString(name):
		return "", fmt.Errorf("cab: member %q: name is not valid UTF-8", name)
	case strings.IndexByte(name, 0) >= 0:
		return "", fmt.Errorf("cab: member %q: name contains NUL", name)
	}
	s := strings.ReplaceAll(name, "/", `\`)
	if len(s) > maxNameLen {
		return "", fmt.Errorf("cab: member %q: name is %d bytes, the format allows at most %d", name, len(s), maxNameLen)
	}
	if s[0] == '\\' || len(s) >= 2 && s[1] == ':' && isLetter(s[0]) {
		return "", fmt.Errorf("cab: member %q: name is absolute", name)
	}
	for seg := range strings.SplitSeq(s, `\`) {
		switch seg {
		case "":
			return "", fmt.Errorf("cab: member %q: name has an empty path segment", name)
		case ".", "..":
			return "", fmt.Errorf("cab: member %q: name has a %q segment", name, seg)
		}
	}
	return s, nil
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// foldKey maps s to a key equal for exactly the strings strings.EqualFold
// considers equal: each rune becomes the smallest rune of its case-folding
// orbit.
func foldKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		b.WriteRune(m)
	}
	return b.String()
}
