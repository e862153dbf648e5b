package disk_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/eventually-perfect/primitives/disk"
)

// The atomic replace of Pillai et al.: write a temporary file, fsync it,
// rename it into place, fsync the directory. A crash at any point leaves
// the old file or the new one, whole.
func ExampleOS() {
	dir, err := os.MkdirTemp("", "disk-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	var fsys disk.FS = disk.OS{}
	tmp, final := filepath.Join(dir, "state.tmp"), filepath.Join(dir, "state")
	f, err := fsys.Create(tmp)
	if err != nil {
		panic(err)
	}
	if _, err := f.WriteAt([]byte("promised ballot 7"), 0); err != nil {
		panic(err)
	}
	if err := f.Sync(); err != nil { // the data, before the name points at it
		panic(err)
	}
	if err := f.Close(); err != nil {
		panic(err)
	}
	if err := fsys.Rename(tmp, final); err != nil {
		panic(err)
	}
	if err := fsys.SyncDir(dir); err != nil { // the name
		panic(err)
	}
	names, err := fsys.ReadDir(dir)
	if err != nil {
		panic(err)
	}
	fmt.Println(names)
	// Output: [state]
}
