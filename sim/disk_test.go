package sim

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func newTestDisk(t testing.TB, seed uint64, cfg DiskConfig) *Disk {
	d, err := NewDisk(rand.New(rand.NewPCG(seed, 0)), cfg)
	require.NoError(t, err)
	return d
}

func TestDiskSyncedSurvivesCrash(t *testing.T) {
	for seed := uint64(0); seed < 50; seed++ {
		d := newTestDisk(t, seed, DiskConfig{})
		f, err := d.Create("/d/a")
		require.NoError(t, err)
		_, err = f.WriteAt([]byte("durable"), 0)
		require.NoError(t, err)
		require.NoError(t, f.Sync())
		require.NoError(t, d.SyncDir("/d"))
		_, err = f.WriteAt([]byte("volatile!"), 7)
		require.NoError(t, err)
		d.Crash()
		_, err = f.ReadAt(make([]byte, 1), 0)
		assert.ErrorIs(t, err, fs.ErrClosed, "a file opened before a crash is dead")
		got, ok := d.ReadFile("/d/a")
		require.True(t, ok, "a synced file in a synced directory survives")
		assert.Equal(t, "durable", string(got[:7]), "synced bytes survive a crash")
	}
}

// TestDiskCrashLosesUnsynced: over seeds, a crash keeps all, none and
// part of the unsynced sectors, tears some, and keeps or loses an unsynced
// directory entry.
func TestDiskCrashLosesUnsynced(t *testing.T) {
	const sectors = 8
	kept, lost, torn, entryLost := 0, 0, 0, 0
	for seed := uint64(0); seed < 200; seed++ {
		d := newTestDisk(t, seed, DiskConfig{SectorSize: 16})
		f, _ := d.Create("/d/a")
		require.NoError(t, f.Sync())
		require.NoError(t, d.SyncDir("/d"))
		_, err := f.WriteAt([]byte(string(make([]byte, 0))+"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), 0)
		require.NoError(t, err)
		g, _ := d.Create("/d/b")
		_ = g
		d.Crash()
		if _, ok := d.ReadFile("/d/b"); !ok {
			entryLost++
		}
		got, _ := d.ReadFile("/d/a")
		for s := 0; s < sectors && s*16 < len(got); s++ {
			sec := got[s*16 : min(len(got), s*16+16)]
			switch {
			case string(sec) == "0123456789abcdef":
				kept++
			case allZeroBytes(sec):
				lost++
			default:
				torn++
			}
		}
	}
	assert.Positive(t, kept, "some unsynced sectors survive")
	assert.Positive(t, lost, "some unsynced sectors are lost")
	assert.Positive(t, torn, "some unsynced sectors are torn")
	assert.Positive(t, entryLost, "an unsynced directory entry can be lost")
	assert.Less(t, entryLost, 200, "an unsynced directory entry can survive")
}

func allZeroBytes(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// TestDiskFailedSync: after a failed fsync each page is dropped (reads
// see the disk again) or kept but clean (a later successful Sync does not
// write it, and a crash loses it).
func TestDiskFailedSync(t *testing.T) {
	dropped, lying := 0, 0
	for seed := uint64(0); seed < 100; seed++ {
		d := newTestDisk(t, seed, DiskConfig{SectorSize: 4})
		f, _ := d.Create("/d/a")
		require.NoError(t, f.Sync())
		require.NoError(t, d.SyncDir("/d"))
		_, err := f.WriteAt([]byte("abcd"), 0)
		require.NoError(t, err)
		require.NoError(t, d.SetFaults(DiskFaults{SyncFailure: 1}))
		err = f.Sync()
		require.ErrorIs(t, err, syscall.EIO)
		require.NoError(t, d.SetFaults(DiskFaults{}))
		require.NoError(t, f.Sync(), "a retried fsync succeeds")
		seen, _ := d.ReadFile("/d/a")
		d.Crash()
		after, _ := d.ReadFile("/d/a")
		if string(seen) == "abcd" {
			lying++
			assert.NotEqual(t, "abcd", string(after), "fsyncgate: a page kept clean after a failed fsync is not written by a later one")
		} else {
			dropped++
			assert.Equal(t, make([]byte, 4), seen, "a dropped page reads as the disk holds it")
		}
		assert.EqualValues(t, 1, d.Stats().FailedSyncs)
	}
	assert.Positive(t, dropped)
	assert.Positive(t, lying)
}

func TestDiskRenameAtomic(t *testing.T) {
	for seed := uint64(0); seed < 100; seed++ {
		d := newTestDisk(t, seed, DiskConfig{})
		f, _ := d.Create("/d/x.tmp")
		_, _ = f.WriteAt([]byte("new"), 0)
		require.NoError(t, f.Sync())
		require.NoError(t, d.Rename("/d/x.tmp", "/d/x"))
		d.Crash()
		names, err := d.ReadDir("/d")
		require.NoError(t, err)
		// Create and rename each survive or not, atomically; the data
		// was synced, so whatever name survives holds it.
		for _, n := range names {
			got, _ := d.ReadFile("/d/" + n)
			assert.Equal(t, "new", string(got), "a synced file keeps its data under any surviving name")
		}
		assert.LessOrEqual(t, len(names), 1, "a rename never leaves both names")
	}
}

func TestDiskCapacityAndShortWrites(t *testing.T) {
	d := newTestDisk(t, 1, DiskConfig{Capacity: 100})
	f, _ := d.Create("/d/a")
	n, err := f.WriteAt(make([]byte, 150), 0)
	assert.ErrorIs(t, err, syscall.ENOSPC)
	assert.Equal(t, 100, n, "a write on a full disk writes what fits")
	assert.ErrorIs(t, f.Allocate(101), syscall.ENOSPC)
	assert.ErrorIs(t, f.Truncate(MaxDiskFileSize+1), syscall.EFBIG)
	assert.EqualValues(t, 100, d.Used())

	d = newTestDisk(t, 1, DiskConfig{Faults: DiskFaults{ShortWrite: 1}})
	f, _ = d.Create("/d/a")
	n, err = f.WriteAt(make([]byte, 100), 0)
	assert.ErrorIs(t, err, syscall.EIO)
	assert.Less(t, n, 100, "a short write writes a prefix")

	_, err = NewDisk(nil, DiskConfig{})
	assert.ErrorIs(t, err, ErrInvalidConfig)
	_, err = NewDisk(rand.New(rand.NewPCG(1, 0)), DiskConfig{Faults: DiskFaults{SyncFailure: 2}})
	assert.ErrorIs(t, err, ErrInvalidConfig)
}

func TestDiskHalt(t *testing.T) {
	d := newTestDisk(t, 1, DiskConfig{})
	f, _ := d.Create("/d/a") // op 1
	d.HaltAfter(2)
	_, err := f.WriteAt([]byte("x"), 0) // op 2... of 2 left: 1
	require.NoError(t, err)
	require.NoError(t, f.Sync()) // the last
	assert.True(t, d.Halted())
	_, err = f.WriteAt([]byte("y"), 1)
	assert.ErrorIs(t, err, syscall.EIO, "a halted disk fails every call")
	_, err = d.ReadDir("/d")
	assert.ErrorIs(t, err, syscall.EIO)
	d.Crash()
	assert.False(t, d.Halted(), "a crash reboots the disk")
	if got, ok := d.ReadFile("/d/a"); ok {
		assert.Equal(t, "x", string(got), "the write before the halt was synced")
	}
}

// TestDiskDeterministic: a run is a function of its seed.
func TestDiskDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		ops := rapid.SliceOfN(rapid.IntRange(0, 5), 1, 40).Draw(t, "ops")
		run := func() string {
			d, _ := NewDisk(rand.New(rand.NewPCG(seed, 0)), DiskConfig{SectorSize: 8, Faults: DiskFaults{SyncFailure: 0.3, ShortWrite: 0.3}})
			f, _ := d.Create("/d/f")
			for i, op := range ops {
				switch op {
				case 0, 1:
					_, _ = f.WriteAt([]byte(fmt.Sprint("w", i)), int64(i*3))
				case 2:
					_ = f.Sync()
				case 3:
					_ = d.SyncDir("/d")
				case 4:
					d.Crash()
					if g, err := d.Open("/d/f"); err == nil {
						f = g
					} else if g, err = d.Create("/d/f"); err == nil {
						f = g
					}
				case 5:
					_ = f.Truncate(int64(i))
				}
			}
			got, _ := d.ReadFile("/d/f")
			return fmt.Sprintf("%x %+v", got, d.Stats())
		}
		if a, b := run(), run(); a != b {
			t.Fatalf("two runs with seed %d differ: %s vs %s", seed, a, b)
		}
	})
}

func TestDiskErrors(t *testing.T) {
	d := newTestDisk(t, 1, DiskConfig{})
	_, err := d.Open("/d/none")
	assert.ErrorIs(t, err, fs.ErrNotExist)
	_, _ = d.Create("/d/a")
	_, err = d.Create("/d/a")
	assert.ErrorIs(t, err, fs.ErrExist)
	assert.ErrorIs(t, d.Remove("/d/none"), fs.ErrNotExist)
	assert.ErrorIs(t, d.Rename("/d/none", "/d/b"), fs.ErrNotExist)
	f, _ := d.Open("/d/a")
	require.NoError(t, f.Close())
	assert.True(t, errors.Is(f.Close(), fs.ErrClosed))
}

// A Disk keeps what was synced and loses, keeps or tears the rest in a
// crash.
func ExampleDisk() {
	d, err := NewDisk(rand.New(rand.NewPCG(1, 0)), DiskConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := d.Create("/data/log")
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := f.WriteAt([]byte("synced "), 0); err != nil {
		fmt.Println(err)
		return
	}
	if err := f.Sync(); err != nil { // the bytes are durable...
		fmt.Println(err)
		return
	}
	if err := d.SyncDir("/data"); err != nil { // ...and so is the name
		fmt.Println(err)
		return
	}
	if _, err := f.WriteAt([]byte("unsynced"), 7); err != nil {
		fmt.Println(err)
		return
	}
	d.Crash()
	got, _ := d.ReadFile("/data/log")
	fmt.Printf("%q\n", got[:7])
	// Output: "synced "
}

// DiskConfig sets the sector size (the unit a crash tears) and the
// capacity.
func ExampleDiskConfig() {
	d, err := NewDisk(rand.New(rand.NewPCG(1, 0)), DiskConfig{SectorSize: 4096, Capacity: 10})
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := d.Create("/data/x")
	if err != nil {
		fmt.Println(err)
		return
	}
	n, err := f.WriteAt([]byte("more than ten bytes"), 0)
	fmt.Println(n, errors.Is(err, syscall.ENOSPC))
	// Output: 10 true
}

// DiskFaults inject failed fsyncs: the first Sync fails with EIO.
func ExampleDiskFaults() {
	d, err := NewDisk(rand.New(rand.NewPCG(1, 0)), DiskConfig{Faults: DiskFaults{SyncFailure: 1}})
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := d.Create("/data/x")
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := f.WriteAt([]byte("x"), 0); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(errors.Is(f.Sync(), syscall.EIO))
	if err := d.SetFaults(DiskFaults{}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Sync()) // succeeds, and proves nothing about "x"
	// Output:
	// true
	// <nil>
}

// DiskStats count the I/O a structure did: here two writes and one fsync.
func ExampleDiskStats() {
	d, err := NewDisk(rand.New(rand.NewPCG(1, 0)), DiskConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := d.Create("/data/x")
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := f.WriteAt([]byte("a"), 0); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := f.WriteAt([]byte("b"), 1); err != nil {
		fmt.Println(err)
		return
	}
	if err := f.Sync(); err != nil {
		fmt.Println(err)
		return
	}
	s := d.Stats()
	fmt.Println(s.Writes, s.BytesWritten, s.Syncs, s.DirSyncs)
	// Output: 2 2 1 0
}
