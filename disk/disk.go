package disk

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// FS is the part of a file system that a write-ahead log needs: files in
// one directory, created, opened, renamed and removed, and the directory
// itself made durable. Names are paths as the os package takes them; the
// directory of a name is filepath.Dir(name).
//
// Errors follow the os package: a *fs.PathError or *os.LinkError wrapping
// the system error, so errors.Is(err, fs.ErrNotExist), errors.Is(err,
// fs.ErrExist), errors.Is(err, syscall.ENOSPC) and errors.Is(err,
// syscall.EIO) work with every implementation.
//
// A directory entry created, renamed or removed is not durable until
// SyncDir of its directory returns nil (see the package documentation).
type FS interface {
	// Create creates the file name, which must not exist, opened for
	// reading and writing, empty.
	Create(name string) (File, error)
	// Open opens the existing file name for reading and writing.
	Open(name string) (File, error)
	// Rename renames oldname to newname, replacing newname if it
	// exists. Open files stay open and keep their contents.
	Rename(oldname, newname string) error
	// Remove removes the file name. A file still open stays readable and
	// writable through its File until closed.
	Remove(name string) error
	// ReadDir returns the names (not paths) of the files in dir, sorted.
	ReadDir(dir string) ([]string, error)
	// SyncDir makes the directory's entries durable: every Create,
	// Rename and Remove of a file in dir done before the call survives a
	// crash once SyncDir returns nil.
	SyncDir(dir string) error
}

// File is an open file of an FS. Reads and writes are positional
// (io.ReaderAt, io.WriterAt), so a File keeps no offset and a failed
// write cannot move one. A write is visible to reads at once and durable
// only once a later Sync returns nil.
type File interface {
	io.ReaderAt
	// WriteAt writes p at offset off, extending the file if needed. It
	// returns the number of bytes written and, if that is less than
	// len(p), an error (a short write: ENOSPC, EIO, ...).
	io.WriterAt
	// Sync makes the file's data, and the metadata needed to read it
	// (its size), durable: it returns nil only once every write before
	// the call is on stable storage. After Sync fails, the writes it
	// covered may be lost even if a later Sync succeeds (fsyncgate).
	Sync() error
	// Truncate changes the size of the file; bytes added read as zeros.
	Truncate(size int64) error
	// Allocate makes the file at least size bytes long, the added bytes
	// reading as zeros, and reserves their blocks where the platform
	// allows (fallocate on Linux), so that later writes inside the file
	// do not fail for lack of space. Durable after Sync.
	Allocate(size int64) error
	// Size returns the size of the file in bytes.
	Size() (int64, error)
	// Close closes the file. It does not sync it.
	Close() error
}

// OS is the FS of the operating system, through the os package. The zero
// value is ready to use; File.Sync is fdatasync on Linux and fsync
// elsewhere (F_FULLFSYNC on macOS, as os.File.Sync does).
type OS struct{}

// Create creates name with O_RDWR|O_CREATE|O_EXCL and permissions 0644.
func (OS) Create(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

// Open opens name with O_RDWR.
func (OS) Open(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

// Rename calls os.Rename.
func (OS) Rename(oldname, newname string) error { return os.Rename(oldname, newname) }

// Remove calls os.Remove.
func (OS) Remove(name string) error { return os.Remove(name) }

// ReadDir returns the names of the regular files in dir, sorted.
func (OS) ReadDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

// SyncDir opens dir and fsyncs it.
func (OS) SyncDir(dir string) error {
	d, err := os.Open(filepath.Clean(dir))
	if err != nil {
		return err
	}
	err = syncDir(d)
	return errors.Join(err, d.Close())
}

// osFile is a File on an *os.File.
type osFile struct{ f *os.File }

func (o osFile) ReadAt(p []byte, off int64) (int, error)  { return o.f.ReadAt(p, off) }
func (o osFile) WriteAt(p []byte, off int64) (int, error) { return o.f.WriteAt(p, off) }
func (o osFile) Sync() error                              { return syncData(o.f) }
func (o osFile) Truncate(size int64) error                { return o.f.Truncate(size) }
func (o osFile) Close() error                             { return o.f.Close() }

func (o osFile) Allocate(size int64) error {
	cur, err := o.Size()
	if err != nil || cur >= size {
		return err
	}
	return allocate(o.f, cur, size)
}

func (o osFile) Size() (int64, error) {
	st, err := o.f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
