package cab

// CompressedSize returns the number of bytes data takes when it is
// compressed on its own, as one folder of the cabinets Write makes at
// level (0 means DefaultLevel): the sum of its CFDATA blocks' compressed
// bytes (cbData), without the blocks' 8-byte headers. w10m package
// manifests record it as a member's CompressedFileSize. An empty member
// takes 0 bytes.
func CompressedSize(data []byte, level int) (int64, error) {
	if level == 0 {
		level = DefaultLevel
	}
	if len(data) == 0 {
		return 0, nil
	}
	e, err := getEncoder(level)
	if err != nil {
		return 0, err
	}
	defer putEncoder(e)
	e.limit = maxCabinetSize
	e.startFolder()
	if err := e.add(data); err != nil {
		return 0, err
	}
	if err := e.endFolder(); err != nil {
		return 0, err
	}
	return int64(len(e.out) - dataSize*e.count), nil
}
