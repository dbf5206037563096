package cab

import (
	"encoding/binary"
	"time"
)

// Sizes and limits of the cabinet format ([MS-CAB]) as this package uses
// them. All integers in a cabinet are little-endian.
const (
	headerSize = 36 // fixed CFHEADER without the optional reserve fields
	folderSize = 8  // CFFOLDER without its reserve area
	fileSize   = 16 // CFFILE without its name
	dataSize   = 8  // CFDATA header without its reserve area

	versionMinor = 3
	versionMajor = 1

	flagPrevCabinet = 0x0001
	flagNextCabinet = 0x0002
	flagReserve     = 0x0004

	compressNone  = 0
	compressMSZIP = 1

	attrArchive = 0x20
	attrNameUTF = 0x80

	// frameSize is the most uncompressed bytes one CFDATA block may hold,
	// and the size of the MSZIP history window.
	frameSize = 32768
	// maxFramePayload is the largest MSZIP payload [MS-MCI] allows:
	// 32 KiB plus 12 bytes of framing.
	maxFramePayload = frameSize + 12

	maxFiles       = 0xFFFF
	maxFolders     = 0xFFFF
	maxNameLen     = 255
	maxFileBytes   = 0x7FFF8000
	maxCabinetSize = 0x7FFFFFFF
	maxDataBlocks  = 0xFFFF

	// Reserve limits from the FCI CCAB documentation.
	maxHeaderReserve = 60000
)

// maxFolderBlocks is the number of CFDATA blocks after which the writer
// starts a new folder. It is a variable only so that tests can exercise
// multi-folder cabinets without gigabytes of data.
var maxFolderBlocks = maxDataBlocks

var le = binary.LittleEndian

// checksum folds p into the running CFDATA checksum seed: the XOR of p
// taken as little-endian 32-bit words, with a trailing 1 to 3 bytes packed
// so that the first leftover byte is the most significant. A block's
// checksum is checksum(header[4:8], checksum(payload, 0)).
func checksum(p []byte, seed uint32) uint32 {
	c := seed
	for len(p) >= 16 {
		c ^= le.Uint32(p) ^ le.Uint32(p[4:]) ^ le.Uint32(p[8:]) ^ le.Uint32(p[12:])
		p = p[16:]
	}
	for len(p) >= 4 {
		c ^= le.Uint32(p)
		p = p[4:]
	}
	var tail uint32
	for _, b := range p {
		tail = tail<<8 | uint32(b)
	}
	return c ^ tail
}

// blockChecksum is the checksum stored in a CFDATA header whose
// cbData‖cbUncomp bytes are sizes and whose payload is data.
func blockChecksum(sizes, data []byte) uint32 {
	return checksum(sizes, checksum(data, 0))
}

// dosDateTime converts t (taken in UTC) to the DOS date and time stored in
// CFFILE. DOS time has a 2-second resolution; odd seconds round down.
func dosDateTime(t time.Time) (date, tm uint16, ok bool) {
	t = t.UTC()
	y := t.Year()
	if y < 1980 || y > 2107 {
		return 0, 0, false
	}
	date = uint16(y-1980)<<9 | uint16(t.Month())<<5 | uint16(t.Day())
	tm = uint16(t.Hour())<<11 | uint16(t.Minute())<<5 | uint16(t.Second()/2)
	return date, tm, true
}

// fromDOS converts a DOS date and time to a UTC time. It returns the zero
// time when the fields do not form a valid date and time, so that no two
// stored values map to the same instant.
func fromDOS(date, tm uint16) time.Time {
	y := 1980 + int(date>>9)
	mon := int(date>>5) & 0xF
	day := int(date) & 0x1F
	h := int(tm >> 11)
	mi := int(tm>>5) & 0x3F
	s := int(tm&0x1F) * 2
	if mon < 1 || mon > 12 || day < 1 || h > 23 || mi > 59 || s > 59 {
		return time.Time{}
	}
	t := time.Date(y, time.Month(mon), day, h, mi, s, 0, time.UTC)
	if t.Day() != day { // 31 April and the like
		return time.Time{}
	}
	return t
}
