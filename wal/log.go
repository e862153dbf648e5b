package wal

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"sync"

	"github.com/eventually-perfect/primitives/disk"
)

// Size limits.
const (
	// DefaultSegmentSize is the size of a segment when Options.SegmentSize
	// is zero: 64 MiB, etcd's choice.
	DefaultSegmentSize = 64 << 20
	// MinSegmentSize and MaxSegmentSize bound Options.SegmentSize. The
	// largest segment is what recovery holds in memory at once.
	MinSegmentSize = 256
	MaxSegmentSize = 1 << 30
	// DefaultMaxRecordSize is the largest record when
	// Options.MaxRecordSize is zero, if the segment can hold it: 16 MiB.
	DefaultMaxRecordSize = 16 << 20
	// MaxIndex is the largest index of a record.
	MaxIndex = 1 << 62
	// maxStored is the largest payload a segment can hold: the bound
	// recovery and reads check a stored length against (with the bytes
	// left in the segment), whatever MaxRecordSize the log was opened
	// with, so that a record appended under a larger MaxRecordSize
	// stays readable.
	maxStored = MaxSegmentSize - segHeaderSize - frameHeaderSize
	// flushSize is how many bytes of appended frames the log buffers
	// before writing them, if no Sync comes first.
	flushSize = 1 << 20
)

// Options configure a Log. The zero value gives 64 MiB segments, records
// up to 16 MiB, a new log starting at index 1, and no repair.
type Options struct {
	// SegmentSize is the size of each segment file, preallocated at
	// creation; between MinSegmentSize and MaxSegmentSize, default
	// DefaultSegmentSize. A log opened with another size than it was
	// written with keeps its old segments as they are.
	SegmentSize int64
	// MaxRecordSize bounds a record's payload, in bytes; default
	// DefaultMaxRecordSize, and at most what one segment holds
	// (SegmentSize minus 56 bytes, rounded down to a multiple of 8). It
	// bounds what Append accepts; a log reopened with a smaller
	// MaxRecordSize still reads the larger records it holds. Recovery
	// never allocates for a record, whatever a damaged length field says.
	MaxRecordSize int
	// FirstIndex is the index of the first record of a new log (default
	// 1). An existing log ignores it.
	FirstIndex uint64
	// Repair makes Open cut a corrupt log back to the last record before
	// the damage instead of failing with ErrCorrupt: every record from
	// the damaged one on is discarded, and Log.Recovery reports what was
	// cut. Repair loses records that were acknowledged as durable; it is
	// for an operator who has decided that a shorter log is better than
	// none (a replica that will catch up from its peers), never a
	// default.
	Repair bool

	mutant mutant // a deliberately broken log, for the package's tests
}

func (o Options) withDefaults() (Options, error) {
	if o.SegmentSize == 0 {
		o.SegmentSize = DefaultSegmentSize
	}
	if o.SegmentSize < MinSegmentSize || o.SegmentSize > MaxSegmentSize {
		return o, fmt.Errorf("%w: segment size %d outside [%d, %d]", ErrInvalidOptions, o.SegmentSize, MinSegmentSize, MaxSegmentSize)
	}
	// The largest payload whose frame fits in an empty segment: frames
	// are padded to 8 bytes, so round down (a 257-byte segment holds a
	// 200-byte record, not a 201-byte one).
	room := int((o.SegmentSize - segHeaderSize - frameHeaderSize) &^ (align - 1))
	if o.MaxRecordSize == 0 {
		o.MaxRecordSize = min(DefaultMaxRecordSize, room)
	}
	if o.MaxRecordSize < 0 || o.MaxRecordSize > room {
		return o, fmt.Errorf("%w: maximum record size %d outside [0, %d] for %d-byte segments", ErrInvalidOptions, o.MaxRecordSize, room, o.SegmentSize)
	}
	if o.FirstIndex == 0 {
		o.FirstIndex = 1
	}
	if o.FirstIndex > MaxIndex {
		return o, fmt.Errorf("%w: first index %d above MaxIndex", ErrInvalidOptions, o.FirstIndex)
	}
	return o, nil
}

// Recovery reports what Open found and did.
type Recovery struct {
	// Segments is the number of segments in the log after Open.
	Segments int
	// Records is the number of records recovered.
	Records uint64
	// TornBytes is the number of bytes cut from the end of the log: the
	// unsynced tail of a crash (zero after a clean Close).
	TornBytes int64
	// TornRecords is the number of records found beyond the cut (by
	// their frame header's checksum; their payloads may be torn):
	// unsynced records that survived a crash out of order, after a lost
	// one, and were discarded with it.
	TornRecords int
	// Rewritten is the number of records at the end of the log that Open
	// wrote and synced again because nothing proved them durable (they
	// may have been read from a page cache that lost them on disk).
	Rewritten int
	// Removed is the number of files removed: unfinished segment files,
	// segments below the first index, segments after a torn tail.
	Removed int
	// Repaired is the damage that Options.Repair cut away (nil if none):
	// every record from Repaired.Index on was discarded.
	Repaired *CorruptError
}

// Log is a write-ahead log: an append-only sequence of records numbered
// by consecutive indexes, kept in segment files in one directory of a
// disk.FS. A record is durable once a Sync (or a call that syncs) that
// began after its append returns nil. A Log is safe for concurrent use;
// its methods run one at a time. Create one with Open.
type Log struct {
	mu     sync.Mutex
	fs     disk.FS
	dir    string
	opts   Options
	segs   []*segment // in index order; the last is the active one
	first  uint64     // index of the first record
	last   uint64     // index of the last record; first-1 if none
	synced uint64     // every record up to it is durable
	broken error      // the error that stopped the log, wrapping ErrBroken
	closed bool
	rec    Recovery

	pend      []byte // frames appended to the active segment, not yet written
	pendStart int64  // their offset in the active segment

	trunc *truncation // the next suffix truncation, for iterators
}

// truncation is one suffix truncation of a log, in a list that its
// iterators follow from the last one they saw: a Log's trunc is the
// next one, not yet happened. A list no iterator reaches is garbage.
type truncation struct {
	cut  uint64 // the first index it removed
	next *truncation
}

// segment is one file of the log.
type segment struct {
	base    uint64 // index of its first record
	mark    uint64 // the log's first index recorded in its name, or 0
	f       disk.File
	offsets []uint32 // offsets[i]: offset of record base+i
	end     int64    // offset after its last record
	size    int64    // file size
}

func (s *segment) name() string { return segName(s.base, s.mark) }

func (s *segment) lastIndex() uint64 { return s.base + uint64(len(s.offsets)) - 1 }

func (l *Log) path(name string) string { return filepath.Join(l.dir, name) }

// usable reports why the log cannot be changed, if it cannot.
func (l *Log) usable() error {
	if l.closed {
		return ErrClosed
	}
	return l.broken
}

// fail stops the log after the I/O error err and returns the error every
// later call reports.
func (l *Log) fail(op string, err error) error {
	if l.broken == nil {
		l.broken = fmt.Errorf("%w: %s: %w", ErrBroken, op, err)
		l.pend = l.pend[:0]
	}
	return l.broken
}

// FirstIndex returns the index of the first record, or of the next record
// appended if the log is empty.
func (l *Log) FirstIndex() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.first
}

// LastIndex returns the index of the last record appended, FirstIndex()-1
// if the log is empty.
func (l *Log) LastIndex() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

// SyncedIndex returns the index up to which every record is durable:
// LastIndex after a successful Sync.
func (l *Log) SyncedIndex() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.synced
}

// Recovery returns what Open found and did.
func (l *Log) Recovery() Recovery {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rec
}

// Append adds a record at index LastIndex()+1 and returns that index. The
// record is buffered, or written to the page cache: it is not durable
// until Sync returns. The log copies data.
func (l *Log) Append(data []byte) (uint64, error) {
	return l.AppendBatch([][]byte{data})
}

// AppendBatch adds records at consecutive indexes from LastIndex()+1 and
// returns the first of them. Like Append, it does not sync: call Sync
// once for the batch (group commit). A record too large fails the whole
// batch before anything is appended; an I/O error stops the log
// (ErrBroken) after appending a prefix of the batch.
func (l *Log) AppendBatch(records [][]byte) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(); err != nil {
		return 0, err
	}
	for _, r := range records {
		if len(r) > l.opts.MaxRecordSize {
			return 0, fmt.Errorf("%w: %d bytes, the maximum is %d", ErrTooLarge, len(r), l.opts.MaxRecordSize)
		}
	}
	first := l.last + 1
	if l.last+uint64(len(records)) > MaxIndex {
		return 0, fmt.Errorf("%w: %d records after %d pass MaxIndex", ErrOutOfRange, len(records), l.last)
	}
	for _, r := range records {
		s := l.segs[len(l.segs)-1]
		fs := frameSize(len(r))
		if s.end+fs > s.size {
			if err := l.rollover(); err != nil {
				return first, err
			}
			s = l.segs[len(l.segs)-1]
		}
		if len(l.pend) == 0 {
			l.pendStart = s.end
		}
		l.last++
		l.pend = appendFrame(l.pend, l.last, l.synced, r)
		s.offsets = append(s.offsets, uint32(s.end))
		s.end += fs
		if len(l.pend) >= flushSize {
			if err := l.flush(); err != nil {
				return first, err
			}
		}
	}
	return first, nil
}

// flush writes the buffered frames to the active segment.
func (l *Log) flush() error {
	if len(l.pend) == 0 {
		return nil
	}
	s := l.segs[len(l.segs)-1]
	if _, err := s.f.WriteAt(l.pend, l.pendStart); err != nil {
		return l.fail("write "+s.name(), err)
	}
	l.pendStart += int64(len(l.pend))
	l.pend = l.pend[:0]
	return nil
}

// Sync makes every record appended so far durable: it writes the
// buffered records and fsyncs the active segment (older segments were
// synced when the log moved past them), one fsync whatever the number of
// records. With nothing new since the last Sync it does no I/O. A failed
// write or fsync stops the log (ErrBroken).
func (l *Log) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(); err != nil {
		return err
	}
	return l.sync()
}

func (l *Log) sync() error {
	if l.synced == l.last && len(l.pend) == 0 {
		return nil
	}
	if l.opts.mutant != mutSyncBeforeWrite {
		if err := l.flush(); err != nil {
			return err
		}
	}
	s := l.segs[len(l.segs)-1]
	if err := s.f.Sync(); err != nil {
		if l.opts.mutant == mutSyncErrorNotFatal {
			return err
		}
		return l.fail("fsync "+s.name(), err)
	}
	if err := l.flush(); err != nil {
		return err
	}
	l.synced = l.last
	return nil
}

// rollover syncs the active segment and starts a new one after it.
func (l *Log) rollover() error {
	if err := l.flush(); err != nil {
		return err
	}
	if l.synced < l.last {
		s := l.segs[len(l.segs)-1]
		if l.opts.mutant != mutRolloverNoSync {
			if err := s.f.Sync(); err != nil {
				return l.fail("fsync "+s.name(), err)
			}
		}
		l.synced = l.last
	}
	s, err := l.create(l.last+1, 0)
	if err != nil {
		return err
	}
	l.segs = append(l.segs, s)
	return nil
}

// create makes a new, durable, empty segment: it writes and syncs a
// temporary file, renames it and syncs the directory, so that a crash
// leaves either no segment or a whole one.
func (l *Log) create(base, mark uint64) (*segment, error) {
	name := segName(base, mark)
	tmp := l.path(name + tmpSuffix)
	if err := l.fs.Remove(tmp); err != nil && !errors.Is(err, errNotExist) {
		return nil, l.fail("remove "+tmp, err)
	}
	f, err := l.fs.Create(tmp)
	if err != nil {
		return nil, l.fail("create "+tmp, err)
	}
	step := func(op string, err error) (*segment, error) {
		_ = f.Close()
		return nil, l.fail(op+" "+tmp, err)
	}
	if err := f.Allocate(l.opts.SegmentSize); err != nil {
		return step("allocate", err)
	}
	if _, err := f.WriteAt(segHeader(base), 0); err != nil {
		return step("write", err)
	}
	if err := f.Sync(); err != nil {
		return step("fsync", err)
	}
	if err := l.fs.Rename(tmp, l.path(name)); err != nil {
		return step("rename", err)
	}
	if err := l.syncDir(); err != nil {
		_ = f.Close()
		return nil, err
	}
	return &segment{base: base, mark: mark, f: f, end: segHeaderSize, size: l.opts.SegmentSize}, nil
}

func (l *Log) syncDir() error {
	if l.opts.mutant == mutNoDirSync {
		return nil
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		return l.fail("sync directory "+l.dir, err)
	}
	return nil
}

// remove closes and removes segment s.
func (l *Log) remove(s *segment) error {
	_ = s.f.Close()
	if err := l.fs.Remove(l.path(s.name())); err != nil {
		return l.fail("remove "+s.name(), err)
	}
	return nil
}

// seg returns the segment holding index i, which must be in the log or
// be LastIndex()+1.
func (l *Log) seg(i uint64) *segment {
	k := sort.Search(len(l.segs), func(k int) bool { return l.segs[k].base > i }) - 1
	return l.segs[k]
}

// Read returns a copy of the record at index i. It fails with
// ErrOutOfRange if i is not in the log, and with an error wrapping
// ErrCorrupt if the record no longer passes its checksum. On a log
// stopped by an I/O error, a record after SyncedIndex fails with the
// error that stopped it (ErrBroken): its write or fsync failed, and its
// bytes may be gone.
func (l *Log) Read(i uint64) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.read(i)
}

func (l *Log) read(i uint64) ([]byte, error) {
	if l.closed {
		return nil, ErrClosed
	}
	if i < l.first || i > l.last {
		return nil, fmt.Errorf("%w: record %d, the log holds [%d, %d]", ErrOutOfRange, i, l.first, l.last)
	}
	if l.broken != nil && i > l.synced {
		return nil, l.broken
	}
	s := l.seg(i)
	k := i - s.base
	off := int64(s.offsets[k])
	end := s.end
	if k+1 < uint64(len(s.offsets)) {
		end = int64(s.offsets[k+1])
	}
	var buf []byte
	if s == l.segs[len(l.segs)-1] && off >= l.pendStart && len(l.pend) > 0 {
		buf = l.pend[off-l.pendStart : end-l.pendStart]
	} else {
		buf = make([]byte, end-off)
		if _, err := s.f.ReadAt(buf, off); err != nil {
			return nil, fmt.Errorf("wal: read record %d in %s: %w", i, s.name(), err)
		}
	}
	fr, why := decodeFrame(buf, maxStored, l.opts.mutant != mutTrustCRC)
	if why == "" && fr.index != i {
		why = fmt.Sprintf("frame holds record %d", fr.index)
	}
	if why != "" {
		return nil, &CorruptError{Segment: s.name(), Offset: off, Index: i, Reason: why}
	}
	return append([]byte(nil), fr.data...), nil
}

// TruncateBefore removes the records below index first (a prefix, below a
// snapshot or compaction point), durably: when it returns nil, a crash
// leaves the log starting at first. It syncs the log first. Whole
// segments below first are removed; the segment holding first keeps its
// bytes, and records its name with first (one rename). If first is past
// LastIndex()+1 the log becomes empty, its next record first. Indexes at
// or below FirstIndex() change nothing but the sync. Cost: one fsync, a rename and up
// to two directory syncs, plus a new segment if first is past the end.
func (l *Log) TruncateBefore(first uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(); err != nil {
		return err
	}
	if first > MaxIndex {
		return fmt.Errorf("%w: truncate before %d, above MaxIndex", ErrOutOfRange, first)
	}
	if err := l.sync(); err != nil {
		return err
	}
	if first <= l.first {
		return nil
	}
	return l.truncateBefore(first)
}

func (l *Log) truncateBefore(first uint64) error {
	if first > l.last+1 {
		// Nothing is left: start a new segment whose name records first,
		// then drop every old one.
		s, err := l.create(first, first)
		if err != nil {
			return err
		}
		old := l.segs
		l.segs = []*segment{s}
		l.first, l.last, l.synced = first, first-1, first-1
		for _, o := range old {
			if err := l.remove(o); err != nil {
				return err
			}
		}
		return l.syncDir()
	}
	k := sort.Search(len(l.segs), func(k int) bool { return l.segs[k].base > first }) - 1
	s := l.segs[k]
	oldName := s.name()
	s.mark = first
	if err := l.fs.Rename(l.path(oldName), l.path(s.name())); err != nil {
		s.mark = 0
		return l.fail("rename "+oldName, err)
	}
	if err := l.syncDir(); err != nil {
		return err
	}
	l.first = first
	old := l.segs[:k]
	l.segs = append([]*segment(nil), l.segs[k:]...)
	for _, o := range old {
		if err := l.remove(o); err != nil {
			return err
		}
	}
	if len(old) > 0 {
		return l.syncDir()
	}
	return nil
}

// TruncateAfter removes the records after index last (a suffix: an
// acceptor replacing an undecided entry), durably: when it returns nil,
// a crash leaves no record after last, and the records up to last are
// durable. A crash during the call leaves the log cut somewhere between
// last and its old end. last must be between FirstIndex()-1 and
// LastIndex(). Segments after last are removed one by one, last first,
// each removal synced, so a crash cannot leave a hole; then the segment
// holding last+1 is truncated there (and preallocated again) and synced. Cost: one fsync and a directory sync per removed
// segment.
func (l *Log) TruncateAfter(last uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(); err != nil {
		return err
	}
	if last+1 < l.first || last > l.last {
		return fmt.Errorf("%w: truncate after %d, the log holds [%d, %d]", ErrOutOfRange, last, l.first, l.last)
	}
	if last == l.last {
		return l.sync()
	}
	if err := l.flush(); err != nil {
		return err
	}
	return l.truncateAfter(last)
}

func (l *Log) truncateAfter(last uint64) error {
	cut := last + 1
	// Iterators past the cut stop, even if the truncation fails halfway.
	l.trunc.cut, l.trunc.next = cut, &truncation{}
	l.trunc = l.trunc.next
	k := sort.Search(len(l.segs), func(k int) bool { return l.segs[k].base > cut }) - 1
	for len(l.segs) > k+1 {
		s := l.segs[len(l.segs)-1]
		if err := l.remove(s); err != nil {
			return err
		}
		l.segs = l.segs[:len(l.segs)-1]
		if err := l.syncDir(); err != nil {
			return err
		}
	}
	s := l.segs[k]
	from := s.end
	if cut <= s.lastIndex() {
		from = int64(s.offsets[cut-s.base])
	}
	if err := l.cut(s, from); err != nil {
		return err
	}
	s.offsets = s.offsets[:cut-s.base]
	s.end = from
	l.pendStart = from
	l.last = last
	l.synced = min(l.synced, last)
	if l.opts.mutant != mutTruncateNoSync {
		if err := s.f.Sync(); err != nil {
			return l.fail("fsync "+s.name(), err)
		}
	}
	l.synced = last
	return nil
}

// cut discards the bytes of s from offset from on: it truncates the file
// there and preallocates it again, so that they read as zeros. A file
// system changes a file's size atomically in a crash (the metadata is
// journaled), so a crash leaves the old bytes or none of them, never a
// hole in the middle of the records (as zeroing them would, sector by
// sector).
func (l *Log) cut(s *segment, from int64) error {
	if err := s.f.Truncate(from); err != nil {
		return l.fail("truncate "+s.name(), err)
	}
	return l.allocate(s)
}

// allocate preallocates s to at least Options.SegmentSize bytes, so that
// it holds any record even when empty.
func (l *Log) allocate(s *segment) error {
	size := max(s.size, l.opts.SegmentSize)
	if err := s.f.Allocate(size); err != nil {
		return l.fail("allocate "+s.name(), err)
	}
	s.size = size
	return nil
}

// Close syncs the log and closes its files. Closing a stopped log closes
// its files and returns the error that stopped it; closing twice returns
// ErrClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	err := l.broken
	if err == nil {
		err = l.sync()
	}
	l.closed = true
	for _, s := range l.segs {
		_ = s.f.Close()
	}
	return err
}

// Iterator reads a log's records in order, from a given index; see
// Log.Iterator. It reads each record when Next is called, so it sees
// records appended meanwhile. A truncation that removes records below
// its position (a suffix truncation below it, even if records were
// appended again since, or a prefix truncation past it) stops it with an
// error wrapping ErrOutOfRange: the records it would read next do not
// follow the ones it read.
type Iterator struct {
	l     *Log
	next  uint64
	index uint64
	data  []byte
	err   error
	trunc *truncation // the log's next truncation when Next last ran
}

// Iterator returns an iterator over the records from index from on. from
// below FirstIndex() fails (the records were removed) with ErrOutOfRange,
// reported by Err, as does a from past LastIndex()+1.
func (l *Log) Iterator(from uint64) *Iterator {
	l.mu.Lock()
	defer l.mu.Unlock()
	it := &Iterator{l: l, next: from, trunc: l.trunc}
	if from < l.first || from > l.last+1 {
		it.err = fmt.Errorf("%w: iterate from %d, the log holds [%d, %d]", ErrOutOfRange, from, l.first, l.last)
	}
	return it
}

// Next reads the next record and reports whether there is one; at the end
// of the log or on an error it returns false (then see Err).
func (it *Iterator) Next() bool {
	if it.err != nil {
		return false
	}
	l := it.l
	l.mu.Lock()
	defer l.mu.Unlock()
	for t := it.trunc; t != l.trunc; t = t.next {
		if t.cut < it.next {
			it.err = fmt.Errorf("%w: iterator at %d: the log was truncated after %d", ErrOutOfRange, it.next, t.cut-1)
			return false
		}
	}
	it.trunc = l.trunc
	if it.next < l.first {
		it.err = fmt.Errorf("%w: iterator at %d: the log was truncated before %d", ErrOutOfRange, it.next, l.first)
		return false
	}
	if it.next > l.last {
		return false
	}
	data, err := l.read(it.next)
	if err != nil {
		it.err = err
		return false
	}
	it.index, it.data = it.next, data
	it.next++
	return true
}

// Index returns the index of the record Next read.
func (it *Iterator) Index() uint64 { return it.index }

// Record returns the record Next read; the iterator does not reuse it.
func (it *Iterator) Record() []byte { return it.data }

// Err returns the error that stopped the iteration, nil at the end of the
// log.
func (it *Iterator) Err() error { return it.err }
