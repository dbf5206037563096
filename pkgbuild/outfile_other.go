//go:build !linux

package pkgbuild

import "os"

// outFile is a staged output being written.
type outFile struct{ *os.File }

// createTemp creates a new file in dir, as os.CreateTemp does.
func createTemp(dir, pattern string) (*outFile, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &outFile{f}, nil
}

// seek moves the offset the next Write writes at.
func (f *outFile) seek(off int64) error {
	_, err := f.Seek(off, 0)
	return err
}

func startWriteback(*outFile) {}
