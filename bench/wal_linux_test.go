//go:build linux

package bench

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// fdatasync is the sync the logs compared use on Linux.
func fdatasync(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }

// dropCache evicts the files of dir from the page cache
// (posix_fadvise(POSIX_FADV_DONTNEED) on each, after an fdatasync so that
// no page is dirty), so that the next read goes to the disk.
func dropCache(dir string) error {
	names, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		return err
	}
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		err = unix.Fdatasync(int(f.Fd()))
		if err == nil {
			err = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
		}
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
