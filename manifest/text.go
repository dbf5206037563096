package manifest

import (
	"bytes"
	"unicode/utf8"
)

// text indexes the lines of a file so yaml.v3's positions (1-based line,
// 1-based column counted in characters) can be turned into byte columns and
// byte offsets. Line breaks are those of YAML: LF, CR LF, CR, NEL, LS and
// PS, exactly what yaml.v3 counts.
//
// Converting a column costs time independent of the line's length: an
// ASCII line is indexed directly, and a line with other characters gets,
// the first time it is asked about, the byte offset of every
// runeStride-th character, so a conversion walks at most runeStride
// characters. Walking from the line's start for every node made a
// one-line list of megabytes quadratic.
type text struct {
	data  []byte
	start []int // byte offset of the start of each line; start[0] is line 1
	// ascii records, per line, 0 when not looked at yet, 1 when the line
	// (its break included) is all ASCII, 2 when it is not.
	ascii []uint8
	// marks holds, for a non-ASCII line, the byte offset of characters
	// 0, runeStride, 2*runeStride... of the line.
	marks map[int][]int
}

// runeStride is how many characters apart text.marks are.
const runeStride = 64

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func newText(data []byte) *text {
	t := &text{data: data}
	first := 0
	if bytes.HasPrefix(data, utf8BOM) {
		first = len(utf8BOM) // yaml.v3 does not count the BOM as a column
	}
	t.start = append(t.start, first)
	for i := first; i < len(data); {
		if n := breakLen(data[i:]); n > 0 {
			i += n
			t.start = append(t.start, i)
			continue
		}
		i++
	}
	return t
}

// breakLen returns the length of the line break at the start of b, or 0.
func breakLen(b []byte) int {
	switch {
	case b[0] == '\n':
		return 1
	case b[0] == '\r':
		if len(b) > 1 && b[1] == '\n' {
			return 2
		}
		return 1
	case len(b) >= 2 && b[0] == 0xC2 && b[1] == 0x85: // NEL
		return 2
	case len(b) >= 3 && b[0] == 0xE2 && b[1] == 0x80 && (b[2] == 0xA8 || b[2] == 0xA9): // LS, PS
		return 3
	}
	return 0
}

func (t *text) lines() int { return len(t.start) }

// lineEnd returns the offset just past line l's break (or the end of data).
func (t *text) lineEnd(l int) int {
	if l < len(t.start) {
		return t.start[l]
	}
	return len(t.data)
}

// line returns line l's content without its break.
func (t *text) line(l int) []byte {
	if l < 1 || l > len(t.start) {
		return nil
	}
	b := t.data[t.start[l-1]:t.lineEnd(l)]
	for len(b) > 0 {
		if c := b[len(b)-1]; c == '\n' || c == '\r' {
			b = b[:len(b)-1]
			continue
		}
		if bytes.HasSuffix(b, []byte{0xC2, 0x85}) {
			b = b[:len(b)-2]
			continue
		}
		if bytes.HasSuffix(b, []byte{0xE2, 0x80, 0xA8}) || bytes.HasSuffix(b, []byte{0xE2, 0x80, 0xA9}) {
			b = b[:len(b)-3]
			continue
		}
		break
	}
	return b
}

// offset converts a yaml.v3 line and character column to a byte offset.
// It returns -1 when the position is not in the file.
func (t *text) offset(line, col int) int {
	if line < 1 || line > len(t.start) || col < 1 {
		return -1
	}
	off := t.start[line-1]
	end := t.lineEnd(line)
	if t.isASCII(line) {
		return min(off+col-1, end)
	}
	marks := t.lineMarks(line)
	k := min((col-1)/runeStride, len(marks)-1)
	off = marks[k]
	for c := k*runeStride + 1; c < col; c++ {
		if off >= end {
			return end
		}
		_, n := utf8.DecodeRune(t.data[off:end])
		off += n
	}
	return off
}

// isASCII reports whether line l (its break included) is all ASCII.
func (t *text) isASCII(l int) bool {
	if t.ascii == nil {
		t.ascii = make([]uint8, len(t.start))
	}
	if t.ascii[l-1] == 0 {
		t.ascii[l-1] = 1
		for _, c := range t.data[t.start[l-1]:t.lineEnd(l)] {
			if c >= utf8.RuneSelf {
				t.ascii[l-1] = 2
				break
			}
		}
	}
	return t.ascii[l-1] == 1
}

// lineMarks returns the byte offsets of every runeStride-th character of
// line l, the first at its start, computing them once.
func (t *text) lineMarks(l int) []int {
	if m, ok := t.marks[l]; ok {
		return m
	}
	if t.marks == nil {
		t.marks = map[int][]int{}
	}
	end := t.lineEnd(l)
	var m []int
	for off, c := t.start[l-1], 0; ; c++ {
		if c%runeStride == 0 {
			m = append(m, off)
		}
		if off >= end {
			break
		}
		_, n := utf8.DecodeRune(t.data[off:end])
		off += n
	}
	t.marks[l] = m
	return m
}

// pos converts a yaml.v3 line and character column to a Pos with a byte
// column.
func (t *text) pos(line, col int) Pos {
	off := t.offset(line, col)
	if off < 0 {
		return Pos{Line: max(line, 0)}
	}
	return Pos{Line: line, Col: off - t.start[line-1] + 1}
}

// posOf converts a byte offset into a Pos.
func (t *text) posOf(off int) Pos {
	// binary search for the last line start <= off
	lo, hi := 0, len(t.start)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if t.start[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	col := off - t.start[lo] + 1
	if col < 1 {
		col = 1
	}
	return Pos{Line: lo + 1, Col: col}
}

// checkChars reports bytes YAML refuses: invalid UTF-8 and control
// characters, each with its position. It stops after max problems.
func (t *text) checkChars(e *errs, maxProblems int) {
	data := t.data
	n := 0
	for i := 0; i < len(data) && n < maxProblems; {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			if i == 0 && len(data) >= 2 && (data[0] == 0xFF && data[1] == 0xFE || data[0] == 0xFE && data[1] == 0xFF) {
				e.add(Pos{Line: 1, Col: 1}, "", "the file is UTF-16; a manifest must be UTF-8")
				return
			}
			e.add(t.posOf(i), "", "invalid UTF-8 byte 0x%02X; a manifest must be UTF-8", data[i])
			n++
		case !yamlPrintable(r):
			e.add(t.posOf(i), "", "control character %U is not allowed in YAML", r)
			n++
		}
		i += size
	}
}

// yamlPrintable reports whether YAML 1.2 allows r in a stream.
func yamlPrintable(r rune) bool {
	switch {
	case r == 0x09, r == 0x0A, r == 0x0D:
	case r >= 0x20 && r <= 0x7E:
	case r == 0x85:
	case r >= 0xA0 && r <= 0xD7FF:
	case r >= 0xE000 && r <= 0xFFFD:
	case r >= 0x10000 && r <= 0x10FFFF:
	default:
		return false
	}
	return true
}
