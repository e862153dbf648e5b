package sim

import (
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"syscall"

	"github.com/eventually-perfect/primitives/disk"
)

// Disk is a file system in memory (a disk.FS) that models what the page
// cache does to a program's writes when the machine fails, for testing
// durable data structures such as a write-ahead log. It keeps, for every
// file, two contents: the bytes that reads see (the page cache) and the
// bytes that would survive a power loss (the disk). A write changes the
// first only and marks the sectors it touched dirty; File.Sync copies the
// dirty sectors to the second. Directory entries are kept twice in the
// same way: Create, Rename and Remove change the entries that lookups see,
// and only SyncDir makes them durable.
//
// Crash then simulates a power loss: every file falls back to its durable
// contents plus a random part of its unsynced writes, chosen sector by
// sector (each dirty sector kept, lost, or torn: only a prefix of it
// written), its size kept or not; and a random subset of the unsynced
// directory operations is kept, each atomically (a rename is never half
// done), in their order. Files opened before the crash are dead.
//
// Faults that do not need a crash are drawn with the probabilities of
// [DiskFaults]: a File.Sync or SyncDir fails with EIO, and after a failed
// File.Sync every page it should have written is either dropped (reads
// return the durable bytes again) or kept but marked clean (reads return
// bytes the disk does not hold, and no later Sync writes them): the two
// behaviours of Linux file systems after a writeback error ("fsyncgate";
// Rebello et al., ATC 2020). A write may be short (a prefix written, then
// EIO), and a file may not grow past the disk's capacity (ENOSPC).
//
// Every choice comes from the *rand.Rand given to [NewDisk], in an order
// that depends only on the calls made, so a run is a function of its seed.
// Errors are *fs.PathError or *os.LinkError wrapping fs.ErrNotExist,
// fs.ErrExist, fs.ErrClosed, syscall.EIO, syscall.ENOSPC or
// syscall.EFBIG, as the os package's are. A Disk is safe for concurrent
// use. The zero value is not usable: call NewDisk.
type Disk struct {
	mu      sync.Mutex
	cfg     DiskConfig
	rng     *rand.Rand
	inodes  map[uint64]*inode
	nextIno uint64
	dir     map[string]uint64 // entries lookups see: path -> inode
	durDir  map[string]uint64 // entries that survive a crash
	pending []dirOp           // entry changes not yet synced, in order
	gen     uint64            // crash generation: handles of older ones are dead
	haltIn  int               // mutating calls left before the disk halts; -1: never
	halted  bool
	stats   DiskStats
}

// DiskConfig configures a Disk. The zero value is a disk of unlimited
// capacity with 512-byte sectors and no faults but crashes.
type DiskConfig struct {
	// SectorSize is the unit in which a crash keeps, loses or tears
	// unsynced data (default 512 bytes). A torn sector keeps a prefix of
	// its new bytes, of any length.
	SectorSize int
	// Capacity bounds the sum of the files' sizes, in bytes: a write,
	// Allocate or Truncate that would pass it fails with ENOSPC (a write
	// after writing what fits). Zero means unlimited; a file never grows
	// past MaxDiskFileSize either way (EFBIG).
	Capacity int64
	// Faults are the probabilities of faults without a crash.
	Faults DiskFaults
}

// DiskFaults are the probabilities, each in [0, 1], of the faults a Disk
// injects on its own; SetFaults changes them during a run.
type DiskFaults struct {
	// SyncFailure is the probability that a File.Sync fails with EIO,
	// dropping or keeping-but-cleaning each page it should have written.
	SyncFailure float64
	// DirSyncFailure is the probability that SyncDir fails with EIO,
	// leaving the directory's changes unsynced.
	DirSyncFailure float64
	// ShortWrite is the probability that a WriteAt writes only a random
	// prefix of its bytes (possibly none) and fails with EIO.
	ShortWrite float64
}

// MaxDiskFileSize is the largest file a Disk holds (1 GiB); a write or
// resize beyond it fails with EFBIG, so that a wild offset cannot make a
// test allocate without bound.
const MaxDiskFileSize = 1 << 30

// DiskStats counts what a Disk was asked to do, for tests that measure
// the I/O of a durable structure (fsyncs per batch, bytes written).
type DiskStats struct {
	// Writes and BytesWritten count WriteAt calls and the bytes they
	// wrote, failed and short ones included.
	Writes, BytesWritten int64
	// Syncs counts File.Sync calls, failed ones included; FailedSyncs
	// those that failed.
	Syncs, FailedSyncs int64
	// DirSyncs counts SyncDir calls, failed ones included.
	DirSyncs int64
	// Ops counts every mutating call (Create, WriteAt, Sync, Truncate,
	// Allocate, Rename, Remove, SyncDir), failed ones included: the clock
	// of HaltAfter.
	Ops int64
	// Crashes counts Crash calls.
	Crashes int64
}

// inode is a file's contents, in the page cache and on the disk.
type inode struct {
	data      []byte             // what reads see
	durable   []byte             // what survives a crash
	dirty     map[int64]struct{} // sectors written since their last sync
	sizeDirty bool               // size changed since the last sync
	minSize   int64              // smallest size since the last sync
	open      int                // open handles
}

// dirOp is one change of directory entries, atomic in a crash: each path
// is set to an inode, or removed (0).
type dirOp struct {
	dir  string
	sets []dirSet
}

type dirSet struct {
	path string
	ino  uint64
}

// NewDisk returns an empty Disk that draws its faults from rng.
func NewDisk(rng *rand.Rand, cfg DiskConfig) (*Disk, error) {
	if rng == nil {
		return nil, fmt.Errorf("%w: a Disk needs a random source", ErrInvalidConfig)
	}
	if cfg.SectorSize == 0 {
		cfg.SectorSize = 512
	}
	if cfg.SectorSize < 1 || cfg.Capacity < 0 {
		return nil, fmt.Errorf("%w: sector size %d, capacity %d", ErrInvalidConfig, cfg.SectorSize, cfg.Capacity)
	}
	if err := cfg.Faults.validate(); err != nil {
		return nil, err
	}
	return &Disk{cfg: cfg, rng: rng, inodes: map[uint64]*inode{}, dir: map[string]uint64{},
		durDir: map[string]uint64{}, haltIn: -1}, nil
}

func (f DiskFaults) validate() error {
	for _, p := range []float64{f.SyncFailure, f.DirSyncFailure, f.ShortWrite} {
		if !(p >= 0 && p <= 1) {
			return fmt.Errorf("%w: fault probability %v outside [0, 1]", ErrInvalidConfig, p)
		}
	}
	return nil
}

// SetFaults replaces the fault probabilities.
func (d *Disk) SetFaults(f DiskFaults) error {
	if err := f.validate(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cfg.Faults = f
	return nil
}

// Stats returns the counts so far.
func (d *Disk) Stats() DiskStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

// HaltAfter makes the disk halt after n more mutating calls (see
// DiskStats.Ops): the n calls run as usual, and every call after them,
// reads included, fails with EIO until Crash. It places a crash at a
// chosen point inside a program's sequence of writes; n < 0 cancels it.
func (d *Disk) HaltAfter(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.haltIn = n
	d.halted = n == 0
}

// Halted reports whether the disk halted (see HaltAfter) and awaits a
// Crash.
func (d *Disk) Halted() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.halted
}

// Crash simulates a power loss and reboot; see Disk. Afterwards every
// File opened before fails with fs.ErrClosed, the disk is no longer
// halted, and what reads see is exactly what the disk holds.
func (d *Disk) Crash() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stats.Crashes++
	// One draw per crash of how much survives, so that runs see every
	// regime: nothing kept, everything kept, and all between.
	keep, torn, keepSize, keepDir := d.rng.Float64(), d.rng.Float64()/4, d.rng.Float64(), d.rng.Float64()
	ss := int64(d.cfg.SectorSize)
	for _, ino := range slices.Sorted(maps.Keys(d.inodes)) {
		n := d.inodes[ino]
		base := n.durable
		if n.sizeDirty && d.rng.Float64() < keepSize {
			base = resize(base[:min(int64(len(base)), n.minSize)], int64(len(n.data)))
		} else {
			base = slices.Clone(base)
		}
		for _, s := range slices.Sorted(maps.Keys(n.dirty)) {
			lo := s * ss
			hi := min(lo+ss, int64(len(base)), int64(len(n.data)))
			if lo >= hi {
				continue
			}
			switch r := d.rng.Float64(); {
			case r < keep:
				copy(base[lo:hi], n.data[lo:hi])
			case r < keep+torn:
				cut := lo + d.rng.Int64N(hi-lo+1)
				copy(base[lo:cut], n.data[lo:cut])
			}
		}
		n.data, n.durable = base, slices.Clone(base)
		n.dirty, n.sizeDirty, n.minSize, n.open = nil, false, int64(len(base)), 0
	}
	for _, op := range d.pending {
		if d.rng.Float64() < keepDir {
			applyOp(d.durDir, op)
		}
	}
	d.pending = nil
	d.dir = maps.Clone(d.durDir)
	d.gen++
	d.haltIn, d.halted = -1, false
	d.collect()
}

// ReadFile returns what reads of the file name see, or nil and false if
// there is no such file: a test's view of the page cache.
func (d *Disk) ReadFile(name string) ([]byte, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ino, ok := d.dir[filepath.Clean(name)]
	if !ok {
		return nil, false
	}
	return slices.Clone(d.inodes[ino].data), true
}

// Used returns the sum of the files' sizes, in bytes, as capacity counts
// it.
func (d *Disk) Used() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.used()
}

func (d *Disk) used() int64 {
	var u int64
	for _, n := range d.inodes {
		u += int64(len(n.data))
	}
	return u
}

// op counts a mutating call and reports whether the disk is halted.
func (d *Disk) op() bool {
	if d.halted {
		return true
	}
	d.stats.Ops++
	if d.haltIn > 0 {
		d.haltIn--
		if d.haltIn == 0 {
			d.halted = true
		}
	}
	return false
}

// collect forgets inodes that no entry and no open file reaches.
func (d *Disk) collect() {
	live := map[uint64]bool{}
	for _, ino := range d.dir {
		live[ino] = true
	}
	for _, ino := range d.durDir {
		live[ino] = true
	}
	for _, op := range d.pending {
		for _, s := range op.sets {
			live[s.ino] = true
		}
	}
	for ino, n := range d.inodes {
		if !live[ino] && n.open == 0 {
			delete(d.inodes, ino)
		}
	}
}

func (d *Disk) change(op dirOp) {
	applyOp(d.dir, op)
	d.pending = append(d.pending, op)
}

func applyOp(m map[string]uint64, op dirOp) {
	for _, s := range op.sets {
		if s.ino == 0 {
			delete(m, s.path)
		} else {
			m[s.path] = s.ino
		}
	}
}

var errHalted = syscall.EIO

// Create creates the file name; see disk.FS.
func (d *Disk) Create(name string) (disk.File, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	name = filepath.Clean(name)
	if d.op() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errHalted}
	}
	if _, ok := d.dir[name]; ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrExist}
	}
	d.nextIno++
	d.inodes[d.nextIno] = &inode{open: 1}
	d.change(dirOp{dir: filepath.Dir(name), sets: []dirSet{{name, d.nextIno}}})
	return &diskFile{d: d, ino: d.nextIno, name: name, gen: d.gen}, nil
}

// Open opens the existing file name; see disk.FS.
func (d *Disk) Open(name string) (disk.File, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	name = filepath.Clean(name)
	if d.halted {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errHalted}
	}
	ino, ok := d.dir[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	d.inodes[ino].open++
	return &diskFile{d: d, ino: ino, name: name, gen: d.gen}, nil
}

// Rename renames oldname to newname; see disk.FS. The change belongs to
// newname's directory: SyncDir of that directory makes it durable.
func (d *Disk) Rename(oldname, newname string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	oldname, newname = filepath.Clean(oldname), filepath.Clean(newname)
	if d.op() {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: errHalted}
	}
	ino, ok := d.dir[oldname]
	if !ok {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: fs.ErrNotExist}
	}
	if oldname != newname {
		d.change(dirOp{dir: filepath.Dir(newname), sets: []dirSet{{oldname, 0}, {newname, ino}}})
	}
	return nil
}

// Remove removes the file name; see disk.FS.
func (d *Disk) Remove(name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	name = filepath.Clean(name)
	if d.op() {
		return &fs.PathError{Op: "remove", Path: name, Err: errHalted}
	}
	if _, ok := d.dir[name]; !ok {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	d.change(dirOp{dir: filepath.Dir(name), sets: []dirSet{{name, 0}}})
	d.collect()
	return nil
}

// ReadDir returns the names of the files in dir, sorted; see disk.FS. A
// directory exists on a Disk as soon as it is named.
func (d *Disk) ReadDir(dir string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dir = filepath.Clean(dir)
	if d.halted {
		return nil, &fs.PathError{Op: "readdir", Path: dir, Err: errHalted}
	}
	var names []string
	for p := range d.dir {
		if filepath.Dir(p) == dir {
			names = append(names, filepath.Base(p))
		}
	}
	sort.Strings(names)
	return names, nil
}

// SyncDir makes the entry changes of dir durable; see disk.FS.
func (d *Disk) SyncDir(dir string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	dir = filepath.Clean(dir)
	if d.op() {
		return &fs.PathError{Op: "sync", Path: dir, Err: errHalted}
	}
	d.stats.DirSyncs++
	if d.rng.Float64() < d.cfg.Faults.DirSyncFailure {
		return &fs.PathError{Op: "sync", Path: dir, Err: syscall.EIO}
	}
	rest := d.pending[:0]
	for _, op := range d.pending {
		if op.dir == dir {
			applyOp(d.durDir, op)
		} else {
			rest = append(rest, op)
		}
	}
	d.pending = rest
	d.collect()
	return nil
}

// diskFile is an open file of a Disk.
type diskFile struct {
	d      *Disk
	ino    uint64
	name   string
	gen    uint64
	closed bool
}

// check returns the inode, or the error of a closed or dead handle or a
// halted disk.
func (f *diskFile) check(op string, mutating bool) (*inode, error) {
	d := f.d
	if f.closed || f.gen != d.gen {
		return nil, &fs.PathError{Op: op, Path: f.name, Err: fs.ErrClosed}
	}
	if mutating && d.op() || !mutating && d.halted {
		return nil, &fs.PathError{Op: op, Path: f.name, Err: errHalted}
	}
	return d.inodes[f.ino], nil
}

// grow makes room for n to be size bytes long, within the capacity.
func (f *diskFile) grow(op string, n *inode, size int64) error {
	if size > MaxDiskFileSize {
		return &fs.PathError{Op: op, Path: f.name, Err: syscall.EFBIG}
	}
	if extra := size - int64(len(n.data)); extra > 0 && f.d.cfg.Capacity > 0 && f.d.used()+extra > f.d.cfg.Capacity {
		return &fs.PathError{Op: op, Path: f.name, Err: syscall.ENOSPC}
	}
	return nil
}

func (f *diskFile) setSize(n *inode, size int64) {
	if size == int64(len(n.data)) {
		return
	}
	n.data = resize(n.data, size)
	n.sizeDirty = true
	n.minSize = min(n.minSize, size)
	ss := int64(f.d.cfg.SectorSize)
	for s := range n.dirty {
		if s*ss >= size {
			delete(n.dirty, s)
		}
	}
}

func (f *diskFile) ReadAt(p []byte, off int64) (int, error) {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	n, err := f.check("read", false)
	if err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "read", Path: f.name, Err: fs.ErrInvalid}
	}
	if off >= int64(len(n.data)) {
		return 0, io.EOF
	}
	c := copy(p, n.data[off:])
	if c < len(p) {
		return c, io.EOF
	}
	return c, nil
}

func (f *diskFile) WriteAt(p []byte, off int64) (int, error) {
	d := f.d
	d.mu.Lock()
	defer d.mu.Unlock()
	n, err := f.check("write", true)
	if err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "write", Path: f.name, Err: fs.ErrInvalid}
	}
	d.stats.Writes++
	want, fail := p, error(nil)
	if d.cfg.Faults.ShortWrite > 0 && d.rng.Float64() < d.cfg.Faults.ShortWrite {
		want, fail = p[:d.rng.IntN(len(p)+1)], &fs.PathError{Op: "write", Path: f.name, Err: syscall.EIO}
	}
	if end := off + int64(len(want)); end > int64(len(n.data)) {
		if err := f.grow("write", n, end); err != nil {
			// Write what fits, as a file system does when it fills.
			room := int64(len(n.data)) - off
			if d.cfg.Capacity > 0 {
				room += d.cfg.Capacity - d.used()
			}
			want, fail = want[:max(0, min(int64(len(want)), room, MaxDiskFileSize-off))], err
		}
	}
	if len(want) > 0 {
		if end := off + int64(len(want)); end > int64(len(n.data)) {
			f.setSize(n, end)
		}
		copy(n.data[off:], want)
		if n.dirty == nil {
			n.dirty = map[int64]struct{}{}
		}
		ss := int64(d.cfg.SectorSize)
		for s := off / ss; s*ss < off+int64(len(want)); s++ {
			n.dirty[s] = struct{}{}
		}
	}
	d.stats.BytesWritten += int64(len(want))
	return len(want), fail
}

func (f *diskFile) Sync() error {
	d := f.d
	d.mu.Lock()
	defer d.mu.Unlock()
	n, err := f.check("sync", true)
	if err != nil {
		return err
	}
	d.stats.Syncs++
	ss := int64(d.cfg.SectorSize)
	if d.rng.Float64() < d.cfg.Faults.SyncFailure {
		d.stats.FailedSyncs++
		// Each page is dropped (reads see the disk again) or kept and
		// marked clean (reads see bytes the disk does not hold).
		for _, s := range slices.Sorted(maps.Keys(n.dirty)) {
			if d.rng.IntN(2) == 0 {
				lo := s * ss
				hi := min(lo+ss, int64(len(n.data)))
				for i := lo; i < hi; i++ {
					if i < int64(len(n.durable)) && i < n.minSize {
						n.data[i] = n.durable[i]
					} else {
						n.data[i] = 0
					}
				}
			}
		}
		n.dirty = nil
		return &fs.PathError{Op: "sync", Path: f.name, Err: syscall.EIO}
	}
	dur := resize(n.durable[:min(int64(len(n.durable)), n.minSize)], int64(len(n.data)))
	for s := range n.dirty {
		lo := s * ss
		hi := min(lo+ss, int64(len(n.data)))
		copy(dur[lo:hi], n.data[lo:hi])
	}
	n.durable, n.dirty, n.sizeDirty, n.minSize = dur, nil, false, int64(len(n.data))
	return nil
}

func (f *diskFile) Truncate(size int64) error {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	n, err := f.check("truncate", true)
	if err != nil {
		return err
	}
	if size < 0 {
		return &fs.PathError{Op: "truncate", Path: f.name, Err: fs.ErrInvalid}
	}
	if err := f.grow("truncate", n, size); err != nil {
		return err
	}
	f.setSize(n, size)
	return nil
}

func (f *diskFile) Allocate(size int64) error {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	n, err := f.check("allocate", true)
	if err != nil {
		return err
	}
	if size <= int64(len(n.data)) {
		return nil
	}
	if err := f.grow("allocate", n, size); err != nil {
		return err
	}
	f.setSize(n, size)
	return nil
}

func (f *diskFile) Size() (int64, error) {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	n, err := f.check("stat", false)
	if err != nil {
		return 0, err
	}
	return int64(len(n.data)), nil
}

func (f *diskFile) Close() error {
	d := f.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if f.closed {
		return &fs.PathError{Op: "close", Path: f.name, Err: fs.ErrClosed}
	}
	f.closed = true
	if f.gen == d.gen {
		d.inodes[f.ino].open--
		d.collect()
	}
	return nil
}

// resize returns b with length size, sharing b's array when it shrinks
// and zero-filling when it grows.
func resize(b []byte, size int64) []byte {
	if size <= int64(len(b)) {
		return b[:size:size]
	}
	out := make([]byte, size)
	copy(out, b)
	return out
}
