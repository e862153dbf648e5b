package wal

// Adversarial tests: inputs and call sequences chosen to break the
// guarantees of doc.go, one attack per test. Each failed before the fix
// committed with it, or pins down behaviour no other test checked.

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eventually-perfect/primitives/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A segment size that is not a multiple of 8 leaves less room for a
// record than SegmentSize-56 (frames are padded to 8 bytes). A record of
// the largest size Options allow used not to fit in an empty segment:
// the rollover created a second segment with the active one's base
// index, replacing its file, and the log broke on the next prefix
// truncation (removing the replaced file failed).
func TestAdversarialMaxRecordUnalignedSegment(t *testing.T) {
	for _, size := range []int64{257, 300, 301, 511, 4097} {
		d := newDisk(t, sim.DiskConfig{})
		opts := Options{SegmentSize: size}
		l, err := Open(d, dir, opts)
		require.NoError(t, err)
		big := bytes.Repeat([]byte{0xa5}, l.opts.MaxRecordSize)
		for i := 0; i < 3; i++ {
			_, err := l.Append(big)
			require.NoError(t, err, "segment size %d", size)
		}
		require.NoError(t, l.TruncateBefore(l.LastIndex()+1), "segment size %d", size)
		for i := 0; i < 3; i++ {
			_, err := l.Append(big)
			require.NoError(t, err, "segment size %d", size)
			require.NoError(t, l.Sync())
		}
		last := l.LastIndex()
		require.NoError(t, l.Close())
		d.Crash()
		l, err = Open(d, dir, opts)
		require.NoError(t, err, "segment size %d: reopen", size)
		require.Equal(t, last, l.LastIndex(), "segment size %d", size)
		for _, s := range l.segs {
			require.LessOrEqual(t, s.end, size, "segment size %d: %s holds more than a segment", size, s.name())
		}
		require.NoError(t, l.Close())
	}
	// The bound the options report is the one that fits.
	_, err := Open(newDisk(t, sim.DiskConfig{}), dir, Options{SegmentSize: 257, MaxRecordSize: 201})
	require.ErrorIs(t, err, ErrInvalidOptions)
}

// Reopening a log with a smaller MaxRecordSize (or a smaller segment
// size, which lowers the default) used to cut a synced record larger
// than the new bound as a torn tail, erasing it from the disk.
func TestAdversarialReopenSmallerMaxRecord(t *testing.T) {
	d := newDisk(t, sim.DiskConfig{})
	l, err := Open(d, dir, Options{SegmentSize: 4096})
	require.NoError(t, err)
	big := bytes.Repeat([]byte{7}, 1000)
	for i := 0; i < 3; i++ {
		_, err = l.AppendBatch([][]byte{big, []byte("small")})
		require.NoError(t, err)
	}
	require.NoError(t, l.Close())
	for _, opts := range []Options{{SegmentSize: 4096, MaxRecordSize: 100}, {SegmentSize: 256}} {
		l, err = Open(d, dir, opts)
		require.NoError(t, err)
		require.EqualValues(t, 6, l.LastIndex(), "synced records were dropped: %+v", l.Recovery())
		for i := uint64(1); i <= 6; i += 2 {
			b, err := l.Read(i)
			require.NoError(t, err)
			require.Equal(t, big, b)
		}
		_, err = l.Append(big)
		require.ErrorIs(t, err, ErrTooLarge, "the new bound still holds for appends")
		require.NoError(t, l.Close())
	}
}

// An iterator whose next record was removed by TruncateBefore used to
// stop with a nil Err, as at the end of the log.
func TestAdversarialIteratorAcrossTruncateBefore(t *testing.T) {
	d := newDisk(t, sim.DiskConfig{})
	l, err := Open(d, dir, Options{SegmentSize: 512})
	require.NoError(t, err)
	defer l.Close()
	for i := 1; i <= 20; i++ {
		_, err := l.Append(record(i))
		require.NoError(t, err)
	}
	it := l.Iterator(1)
	require.True(t, it.Next())
	require.NoError(t, l.TruncateBefore(10))
	require.False(t, it.Next())
	require.ErrorIs(t, it.Err(), ErrOutOfRange, "the iterator stopped at record 2 with no error, with records 10..20 in the log")
	// An iterator at or past the new first index goes on.
	it = l.Iterator(12)
	require.True(t, it.Next())
	require.NoError(t, l.TruncateBefore(13))
	require.True(t, it.Next())
	require.EqualValues(t, 13, it.Index())
}

// An iterator that had read records a TruncateAfter removed used to go
// on with the records appended after the cut at its position: a reader
// saw old 1..6 and then new 7, 8, a sequence no log ever held.
func TestAdversarialIteratorAcrossTruncateAfter(t *testing.T) {
	d := newDisk(t, sim.DiskConfig{})
	l, err := Open(d, dir, Options{SegmentSize: 512})
	require.NoError(t, err)
	defer l.Close()
	for i := 1; i <= 10; i++ {
		_, err := l.Append(record(i))
		require.NoError(t, err)
	}
	it := l.Iterator(1)
	for i := 0; i < 6; i++ {
		require.True(t, it.Next())
	}
	above := l.Iterator(3) // positioned at 3: a cut at 3 or above leaves it whole
	require.True(t, above.Next())
	require.NoError(t, l.TruncateAfter(3))
	for i := 4; i <= 9; i++ {
		_, err := l.Append([]byte(fmt.Sprintf("new %d", i)))
		require.NoError(t, err)
	}
	if it.Next() {
		t.Fatalf("after reading old records 1..6, the iterator read record %d = %q of the new log", it.Index(), it.Record())
	}
	require.ErrorIs(t, it.Err(), ErrOutOfRange)
	// The iterator at 4 read 3, which the cut kept: it reads the new 4 on.
	require.True(t, above.Next())
	require.EqualValues(t, 4, above.Index())
	require.Equal(t, "new 4", string(above.Record()))
	// A cut just at its position leaves what it read whole.
	require.NoError(t, l.TruncateAfter(4))
	_, err = l.Append([]byte("newer 5"))
	require.NoError(t, err)
	require.True(t, above.Next())
	require.Equal(t, "newer 5", string(above.Record()))
	// Several truncations between two calls: the lowest counts.
	for i := 6; i <= 9; i++ {
		_, err := l.Append([]byte(fmt.Sprintf("newer %d", i)))
		require.NoError(t, err)
	}
	require.NoError(t, l.TruncateAfter(8))
	require.NoError(t, l.TruncateAfter(4))
	for i := 5; i <= 9; i++ {
		_, err := l.Append([]byte(fmt.Sprintf("newest %d", i)))
		require.NoError(t, err)
	}
	require.NoError(t, l.TruncateAfter(7))
	require.False(t, above.Next())
	require.ErrorIs(t, above.Err(), ErrOutOfRange)
	// A cut at the end of an iteration also stops it, not only a cut
	// that new records hide.
	it = l.Iterator(l.FirstIndex())
	for it.Next() {
	}
	require.NoError(t, it.Err())
	require.NoError(t, l.TruncateAfter(2))
	require.False(t, it.Next())
	require.ErrorIs(t, it.Err(), ErrOutOfRange)
}

// A segment whose header is valid for its name but whose records belong
// to another log (numbered from 1) used to be cut as a torn tail when it
// was the last: its records, synced, were erased without a word.
func TestAdversarialForeignLastSegment(t *testing.T) {
	d := newDisk(t, sim.DiskConfig{})
	l, err := Open(d, dir, Options{SegmentSize: 512})
	require.NoError(t, err)
	for i := 1; i <= 30; i++ {
		_, err := l.Append(record(i))
		require.NoError(t, err)
	}
	last := l.segs[len(l.segs)-1]
	name, base := last.name(), last.base
	require.Greater(t, base, uint64(3))
	require.NoError(t, l.Close())
	buf := segHeader(base)
	for i := uint64(1); i <= 3; i++ {
		buf = appendFrame(buf, i, i-1, record(int(i)))
	}
	f, err := d.Open(dir + "/" + name)
	require.NoError(t, err)
	_, err = f.WriteAt(buf, 0)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
	l, err = Open(d, dir, Options{SegmentSize: 512})
	if err == nil {
		_ = l.Close()
		t.Fatalf("a last segment of another log's records was cut as a torn tail: %+v", l.Recovery())
	}
	var ce *CorruptError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, name, ce.Segment)
	assert.EqualValues(t, segHeaderSize, ce.Offset)
	assert.Equal(t, base, ce.Index)
	// Repair cuts it, keeping the records before the segment.
	l, err = Open(d, dir, Options{SegmentSize: 512, Repair: true})
	require.NoError(t, err)
	assert.Equal(t, base-1, l.LastIndex())
	require.NoError(t, l.Close())
}

// putFrameHeader writes a frame header with a valid header checksum.
func putFrameHeader(h []byte, n uint32, payloadCRC uint32, index uint64, lag uint32) {
	le := func(b []byte, v uint64, k int) {
		for i := 0; i < k; i++ {
			b[i] = byte(v >> (8 * i))
		}
	}
	le(h[0:], uint64(n), 4)
	le(h[4:], uint64(payloadCRC), 4)
	le(h[8:], index, 8)
	le(h[16:], uint64(lag), 4)
	le(h[20:], uint64(crc(h[:20])), 4)
}

// A hostile segment: a bad frame, then overlapping frame headers every
// 24 bytes, each valid, each claiming a payload to the end of the segment
// with a wrong checksum, none a proof. Open's search after the bad frame
// used to checksum every claimed payload: quadratic, about 1 s for 1 MiB,
// half an hour for a 64 MiB segment. The header is the proof; the search
// is linear.
func TestAdversarialHostileTailScanIsLinear(t *testing.T) {
	const size = 4 << 20
	buf := make([]byte, size)
	copy(buf, segHeader(1))
	buf[segHeaderSize] = 0xff // a bad frame where record 1 belongs
	for p := segHeaderSize + align; p+frameHeaderSize+align <= size; p += frameHeaderSize {
		putFrameHeader(buf[p:], uint32(size-p-frameHeaderSize-align), 1, 1000, 1000) // synced 0: torn
	}
	d := newDisk(t, sim.DiskConfig{})
	f, err := d.Create(dir + "/" + segName(1, 0))
	require.NoError(t, err)
	_, err = f.WriteAt(buf, 0)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, d.SyncDir(dir))
	start := time.Now()
	l, err := Open(d, dir, Options{SegmentSize: size})
	took := time.Since(start)
	require.NoError(t, err)
	assert.Zero(t, l.LastIndex())
	require.NoError(t, l.Close())
	require.Less(t, took, 3*time.Second, "Open of a hostile %d-byte segment took %v", size, took)
}

// Append, Sync, Read, iterators and prefix truncations from several
// goroutines (run with -race): every record read is the one appended at
// its index, and everything survives a reopen.
func TestAdversarialConcurrentUse(t *testing.T) {
	d := newDisk(t, sim.DiskConfig{})
	l, err := Open(d, dir, Options{SegmentSize: 1024})
	require.NoError(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	written := map[uint64][]byte{}
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 150; i++ {
				p := []byte(fmt.Sprintf("writer %d record %d", w, i))
				idx, err := l.AppendBatch([][]byte{p, p})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				written[idx], written[idx+1] = p, p
				mu.Unlock()
				if i%7 == 0 {
					if err := l.Sync(); err != nil {
						t.Error(err)
						return
					}
				}
				if i%50 == 49 {
					if err := l.TruncateBefore(l.SyncedIndex() / 2); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 100; k++ {
				it := l.Iterator(l.FirstIndex())
				for it.Next() {
					mu.Lock()
					want, ok := written[it.Index()]
					mu.Unlock()
					if ok && !bytes.Equal(want, it.Record()) {
						t.Errorf("record %d is %q, appended %q", it.Index(), it.Record(), want)
						return
					}
				}
				if err := it.Err(); err != nil && !errors.Is(err, ErrOutOfRange) {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	require.NoError(t, l.Close())
	l, err = Open(d, dir, Options{SegmentSize: 1024})
	require.NoError(t, err)
	defer l.Close()
	require.EqualValues(t, 900, l.LastIndex())
	for i := l.FirstIndex(); i <= l.LastIndex(); i++ {
		b, err := l.Read(i)
		require.NoError(t, err)
		require.Equal(t, written[i], b)
	}
}

// A write that failed (short, EIO) stops the log and drops the buffered
// records; reading one of them used to fail with a *CorruptError, as if
// the disk had damaged a record, inviting a Repair of a healthy log.
// Records the log synced still read.
func TestAdversarialReadAfterFailedWrite(t *testing.T) {
	for _, f := range []sim.DiskFaults{{ShortWrite: 1}, {SyncFailure: 1}} {
		d := newDisk(t, sim.DiskConfig{})
		l, err := Open(d, dir, Options{SegmentSize: 4096})
		require.NoError(t, err)
		_, err = l.Append([]byte("synced"))
		require.NoError(t, err)
		require.NoError(t, l.Sync())
		_, err = l.Append([]byte("its write or fsync fails"))
		require.NoError(t, err)
		require.NoError(t, d.SetFaults(f))
		require.ErrorIs(t, l.Sync(), ErrBroken)
		_, err = l.Read(2)
		require.ErrorIs(t, err, ErrBroken, "faults %+v", f)
		require.NotErrorIs(t, err, ErrCorrupt, "faults %+v", f)
		b, err := l.Read(1)
		require.NoError(t, err)
		require.Equal(t, "synced", string(b))
		it := l.Iterator(1)
		require.True(t, it.Next())
		require.False(t, it.Next())
		require.ErrorIs(t, it.Err(), ErrBroken)
		require.ErrorIs(t, l.Close(), ErrBroken)
	}
}

// A file system journals a truncate and a fallocate as two operations:
// a crash between them leaves a segment cut short at the end of its
// records, not preallocated (sim.Disk only ever keeps the size before
// both or after both). Open must take such a segment as it is and
// preallocate it again.
func TestAdversarialSegmentCutShort(t *testing.T) {
	d := newDisk(t, sim.DiskConfig{})
	opts := Options{SegmentSize: 4096}
	l, err := Open(d, dir, opts)
	require.NoError(t, err)
	for i := 1; i <= 5; i++ {
		_, err := l.Append(record(i))
		require.NoError(t, err)
	}
	s := l.segs[0]
	end, name := s.end, s.name()
	require.NoError(t, l.Close())
	f, err := d.Open(dir + "/" + name)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(end))
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
	l, err = Open(d, dir, opts)
	require.NoError(t, err)
	require.EqualValues(t, 5, l.LastIndex())
	size, err := l.segs[0].f.Size()
	require.NoError(t, err)
	require.EqualValues(t, 4096, size, "preallocated again")
	_, err = l.Append(record(6))
	require.NoError(t, err)
	require.NoError(t, l.Close())
	l, err = Open(d, dir, opts)
	require.NoError(t, err)
	require.EqualValues(t, 6, l.LastIndex())
	require.NoError(t, l.Close())
}

// A full disk during a rollover's preallocation: the records before it
// are durable (the old segment was synced first), the log stops, and a
// reopen on the still-full disk removes the unfinished segment file and
// recovers them all; appends fail again, cleanly, until space returns.
func TestAdversarialFullDiskAtRollover(t *testing.T) {
	d := newDisk(t, sim.DiskConfig{Capacity: 4096 + 2000})
	opts := Options{SegmentSize: 4096}
	l, err := Open(d, dir, opts)
	require.NoError(t, err)
	var n uint64
	for {
		_, err := l.Append(bytes.Repeat([]byte{1}, 100))
		if err != nil {
			require.ErrorIs(t, err, ErrBroken)
			require.ErrorIs(t, err, syscall.ENOSPC)
			break
		}
		n++
	}
	require.Equal(t, n, l.SyncedIndex(), "the rollover synced the old segment before it failed")
	require.ErrorIs(t, l.Close(), ErrBroken)
	for round := 0; round < 2; round++ {
		l, err = Open(d, dir, opts)
		require.NoError(t, err)
		require.Equal(t, n, l.LastIndex())
		require.Equal(t, 1, l.Recovery().Segments)
		_, err = l.Append(bytes.Repeat([]byte{2}, 100))
		require.ErrorIs(t, err, syscall.ENOSPC)
		require.ErrorIs(t, l.Close(), ErrBroken)
		d.Crash()
	}
	names, err := d.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, names, 1, "no unfinished segment left: %v", names)
}

// Options that differ from the ones a log was written with: FirstIndex
// is ignored, a larger or smaller SegmentSize applies to new segments
// only, and every record reads back.
func TestAdversarialReopenOtherOptions(t *testing.T) {
	d := newDisk(t, sim.DiskConfig{})
	l, err := Open(d, dir, Options{SegmentSize: 512, FirstIndex: 50})
	require.NoError(t, err)
	want := map[uint64]string{}
	add := func(l *Log, k int) {
		for i := 0; i < k; i++ {
			p := fmt.Sprintf("record %d of %d", i, k)
			idx, err := l.Append([]byte(p))
			require.NoError(t, err)
			want[idx] = p
		}
		require.NoError(t, l.Close())
	}
	add(l, 40)
	for _, o := range []Options{{SegmentSize: 4096, FirstIndex: 7}, {SegmentSize: 256, FirstIndex: 1}, {SegmentSize: 300}, {SegmentSize: 1 << 16, MaxRecordSize: 64}} {
		l, err = Open(d, dir, o)
		require.NoError(t, err, "%+v", o)
		require.EqualValues(t, 50, l.FirstIndex(), "%+v", o)
		for i := l.FirstIndex(); i <= l.LastIndex(); i++ {
			b, err := l.Read(i)
			require.NoError(t, err)
			require.Equal(t, want[i], string(b))
		}
		add(l, 15)
	}
}
