//go:build linux

package disk

import (
	"errors"
	"os"
	"syscall"
)

// syncData is fdatasync: the data and the metadata needed to read it.
func syncData(f *os.File) error {
	sc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := sc.Control(func(fd uintptr) {
		for {
			serr = syscall.Fdatasync(int(fd))
			if serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}

// syncDir fsyncs a directory.
func syncDir(d *os.File) error { return d.Sync() }

// allocate reserves [cur, size) with fallocate (mode 0: the size grows,
// the new range reads as zeros), falling back to Truncate on file systems
// that do not support it (tmpfs before Linux 3.5, some FUSE file systems).
func allocate(f *os.File, cur, size int64) error {
	sc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := sc.Control(func(fd uintptr) {
		for {
			ferr = syscall.Fallocate(int(fd), 0, cur, size-cur)
			if ferr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if errors.Is(ferr, syscall.EOPNOTSUPP) || errors.Is(ferr, syscall.ENOSYS) {
		return f.Truncate(size)
	}
	if ferr != nil {
		return &os.PathError{Op: "fallocate", Path: f.Name(), Err: ferr}
	}
	return nil
}
