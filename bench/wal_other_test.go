//go:build !linux

package bench

import "os"

// fdatasync is the closest the os package offers (fsync).
func fdatasync(f *os.File) error { return f.Sync() }

// dropCache does nothing here: cache=cold is measured on Linux only.
func dropCache(string) error { return nil }
