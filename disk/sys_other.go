//go:build !linux

package disk

import (
	"errors"
	"os"
	"runtime"
)

// syncData is os.File.Sync: fsync, or F_FULLFSYNC on macOS.
func syncData(f *os.File) error { return f.Sync() }

// syncDir fsyncs a directory where the platform can; Windows cannot open
// a directory for syncing, and makes directory entries durable itself.
func syncDir(d *os.File) error {
	err := d.Sync()
	if err != nil && runtime.GOOS == "windows" {
		var perr *os.PathError
		if errors.As(err, &perr) {
			return nil
		}
	}
	return err
}

// allocate extends the file with Truncate: the new range reads as zeros,
// but its blocks are not reserved.
func allocate(f *os.File, _, size int64) error { return f.Truncate(size) }
