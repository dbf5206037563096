package buildcache

import (
	"io/fs"
	"syscall"
)

// sysStamp returns the device, inode and change time of fi.
func sysStamp(fi fs.FileInfo) (dev, ino uint64, ctime int64, ok bool) {
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(sys.Dev), uint64(sys.Ino), sys.Ctim.Sec*1e9 + sys.Ctim.Nsec, true
	}
	return 0, 0, 0, false
}
