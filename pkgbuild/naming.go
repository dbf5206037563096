package pkgbuild

import (
	"fmt"
	"regexp"
	"strconv"

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
