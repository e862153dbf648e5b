package wal

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"syscall"
	"testing"

	"github.com/eventually-perfect/primitives/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newDisk(t testing.TB, cfg sim.DiskConfig) *sim.Disk {
	d, err := sim.NewDisk(rand.New(rand.NewPCG(1, 2)), cfg)
	require.NoError(t, err)
	return d
}

// small is the options of tests that need no large segment.
var small = Options{SegmentSize: 64 << 10}

func record(i int) []byte { return []byte(fmt.Sprintf("record %d", i)) }

// TestGroupCommit: many appends, one sync. The fsyncs of a batch are
// counted through the file system: one per batch whatever its size
// (while the batch stays in one segment), so the cost of durability per
// record falls as 1/batch.
func TestGroupCommit(t *testing.T) {
	for _, batch := range []int{1, 16, 64, 256} {
		d := newDisk(t, sim.DiskConfig{})
		l, err := Open(d, dir, Options{SegmentSize: 1 << 20})
		require.NoError(t, err)
		const batches = 20
		before := d.Stats()
		for b := 0; b < batches; b++ {
			recs := make([][]byte, batch)
			for i := range recs {
				recs[i] = make([]byte, 64)
			}
			_, err := l.AppendBatch(recs)
			require.NoError(t, err)
			require.NoError(t, l.Sync())
		}
		after := d.Stats()
		syncs := after.Syncs - before.Syncs
		writes := after.Writes - before.Writes
		assert.EqualValues(t, batches, syncs, "group commit: one fsync per batch of %d records", batch)
		assert.EqualValues(t, batches, writes, "group commit: one write per batch of %d records", batch)
		assert.Zero(t, after.DirSyncs-before.DirSyncs, "no directory sync inside a segment")
		t.Logf("batch %3d: %.4f fsyncs per record", batch, float64(syncs)/float64(batches*batch))
		// A Sync with nothing new costs nothing.
		require.NoError(t, l.Sync())
		assert.Equal(t, after.Syncs, d.Stats().Syncs, "an idle Sync does no I/O")
		require.NoError(t, l.Close())
	}
}

func TestAppendReadReopen(t *testing.T) {
	d := newDisk(t, sim.DiskConfig{})
	l, err := Open(d, dir, Options{SegmentSize: 512})
	require.NoError(t, err)
	for i := 1; i <= 100; i++ {
		idx, err := l.Append(record(i))
		require.NoError(t, err)
		require.EqualValues(t, i, idx)
	}
	got, err := l.Read(50)
	require.NoError(t, err)
	assert.Equal(t, record(50), got, "a record reads back before Sync")
	require.NoError(t, l.Close())
	l, err = Open(d, dir, Options{SegmentSize: 512})
	require.NoError(t, err)
	defer l.Close()
	assert.EqualValues(t, 1, l.FirstIndex())
	assert.EqualValues(t, 100, l.LastIndex())
	assert.Greater(t, l.Recovery().Segments, 5, "records spread over segments")
	it := l.Iterator(37)
	n := 37
	for it.Next() {
		require.EqualValues(t, n, it.Index())
		require.Equal(t, record(n), it.Record())
		n++
	}
	require.NoError(t, it.Err())
	assert.Equal(t, 101, n, "the iterator reads every record from 37 on, in order")
}

func TestTruncate(t *testing.T) {
	d := newDisk(t, sim.DiskConfig{})
	opts := Options{SegmentSize: 512}
	l, err := Open(d, dir, opts)
	require.NoError(t, err)
	for i := 1; i <= 60; i++ {
		_, err := l.Append(record(i))
		require.NoError(t, err)
	}
	require.NoError(t, l.TruncateBefore(20))
	require.NoError(t, l.TruncateAfter(40))
	_, err = l.Read(19)
	assert.ErrorIs(t, err, ErrOutOfRange, "a record below the first index is gone")
	_, err = l.Read(41)
	assert.ErrorIs(t, err, ErrOutOfRange, "a record after the last index is gone")
	assert.ErrorIs(t, l.Iterator(5).Err(), ErrOutOfRange, "iterating from a compacted index fails")
	assert.ErrorIs(t, l.TruncateAfter(10), ErrOutOfRange)
	idx, err := l.Append([]byte("new 41"))
	require.NoError(t, err)
	assert.EqualValues(t, 41, idx, "an append after TruncateAfter(40) takes index 41")
	require.NoError(t, l.Close())

	l, err = Open(d, dir, opts)
	require.NoError(t, err)
	assert.EqualValues(t, 20, l.FirstIndex())
	assert.EqualValues(t, 41, l.LastIndex())
	got, err := l.Read(41)
	require.NoError(t, err)
	assert.Equal(t, "new 41", string(got))
	// Truncating past the end leaves an empty log starting there.
	require.NoError(t, l.TruncateBefore(100))
	assert.EqualValues(t, 100, l.FirstIndex())
	assert.EqualValues(t, 99, l.LastIndex())
	require.NoError(t, l.Close())
	l, err = Open(d, dir, opts)
	require.NoError(t, err)
	defer l.Close()
	assert.EqualValues(t, 100, l.FirstIndex(), "an empty log remembers its first index")
	names, err := d.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, names, 1, "the segments below the first index are removed")
}

func TestErrors(t *testing.T) {
	_, err := Open(newDisk(t, sim.DiskConfig{}), dir, Options{SegmentSize: 10})
	assert.ErrorIs(t, err, ErrInvalidOptions)
	_, err = Open(newDisk(t, sim.DiskConfig{}), dir, Options{SegmentSize: 1024, MaxRecordSize: 2000})
	assert.ErrorIs(t, err, ErrInvalidOptions)

	d := newDisk(t, sim.DiskConfig{})
	l, err := Open(d, dir, Options{SegmentSize: 1024, MaxRecordSize: 100})
	require.NoError(t, err)
	_, err = l.Append(make([]byte, 101))
	assert.ErrorIs(t, err, ErrTooLarge)
	assert.EqualValues(t, 0, l.LastIndex(), "a refused record appends nothing")
	require.NoError(t, l.Close())
	assert.ErrorIs(t, l.Close(), ErrClosed)
	_, err = l.Append(nil)
	assert.ErrorIs(t, err, ErrClosed)
	_, err = l.Read(1)
	assert.ErrorIs(t, err, ErrClosed)
}

// TestFailedSyncIsFatal: fsyncgate. After a failed fsync the log refuses
// every change with ErrBroken (which also wraps the I/O error), even if
// the disk works again; reopening recovers.
func TestFailedSyncIsFatal(t *testing.T) {
	d := newDisk(t, sim.DiskConfig{})
	l, err := Open(d, dir, small)
	require.NoError(t, err)
	_, err = l.Append([]byte("a"))
	require.NoError(t, err)
	require.NoError(t, l.Sync())
	_, err = l.Append([]byte("b"))
	require.NoError(t, err)
	require.NoError(t, d.SetFaults(sim.DiskFaults{SyncFailure: 1}))
	err = l.Sync()
	assert.ErrorIs(t, err, ErrBroken)
	assert.ErrorIs(t, err, syscall.EIO, "the error wraps the cause")
	require.NoError(t, d.SetFaults(sim.DiskFaults{}))
	assert.ErrorIs(t, l.Sync(), ErrBroken, "a retried fsync that would succeed proves nothing: refused")
	_, err = l.Append([]byte("c"))
	assert.ErrorIs(t, err, ErrBroken)
	assert.ErrorIs(t, l.TruncateAfter(1), ErrBroken)
	assert.ErrorIs(t, l.Close(), ErrBroken)
	l, err = Open(d, dir, small)
	require.NoError(t, err)
	defer l.Close()
	got, err := l.Read(1)
	require.NoError(t, err)
	assert.Equal(t, "a", string(got), "the synced record survives")
	assert.LessOrEqual(t, l.LastIndex(), uint64(2))
}

// TestFullDisk: ENOSPC when a new segment cannot be preallocated stops
// the log; reopened on a disk with room, it goes on.
func TestFullDisk(t *testing.T) {
	d := newDisk(t, sim.DiskConfig{Capacity: 1500})
	l, err := Open(d, dir, Options{SegmentSize: 1024})
	require.NoError(t, err)
	var err2 error
	for i := 0; i < 100 && err2 == nil; i++ {
		_, err2 = l.Append(make([]byte, 100))
	}
	assert.ErrorIs(t, err2, ErrBroken)
	assert.ErrorIs(t, err2, syscall.ENOSPC, "a full disk is reported as ENOSPC")
	_ = l.Close()
	l, err = Open(d, dir, Options{SegmentSize: 1024})
	require.NoError(t, err)
	assert.Positive(t, l.LastIndex())
	require.NoError(t, l.Close())
}

// TestOpenTornTail reproduces etcd's TestOpenOnTornWrite: the last record
// is cut short by a crash; Open cuts the log back to the record before.
func TestOpenTornTail(t *testing.T) {
	d := newDisk(t, sim.DiskConfig{})
	l, err := Open(d, dir, small)
	require.NoError(t, err)
	for i := 1; i <= 10; i++ {
		_, err := l.Append(bytes.Repeat([]byte{byte(i)}, 100))
		require.NoError(t, err)
	}
	require.NoError(t, l.Sync())
	s := l.seg(10)
	off := int64(s.offsets[9-0])
	name := s.name()
	require.NoError(t, l.Close())
	f, err := d.Open(dir + "/" + name)
	require.NoError(t, err)
	_, err = f.WriteAt(make([]byte, 60), off+50) // zeros over the end of record 10
	require.NoError(t, err)
	require.NoError(t, f.Close())
	l, err = Open(d, dir, small)
	require.NoError(t, err)
	defer l.Close()
	assert.EqualValues(t, 9, l.LastIndex(), "a torn last record is cut")
	assert.Positive(t, l.Recovery().TornBytes)
}

func TestOpenMissingDirectory(t *testing.T) {
	_, err := Open(disk0{}, "/nowhere", Options{})
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

// disk0 is an FS whose directories do not exist.
type disk0 struct{ *sim.Disk }

func (disk0) ReadDir(dir string) ([]string, error) {
	return nil, &fs.PathError{Op: "readdir", Path: dir, Err: fs.ErrNotExist}
}

func TestBrokenErrorsAreSentinels(t *testing.T) {
	assert.True(t, errors.Is(&CorruptError{}, ErrCorrupt))
	assert.Contains(t, (&CorruptError{Segment: "x.wal", Offset: 8, Index: 3, Reason: "r"}).Error(), "x.wal offset 8 (record 3)")
}
