package wal

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"

	"github.com/eventually-perfect/primitives/disk"
)

var errNotExist = fs.ErrNotExist

// Open opens the log in directory dir of fsys, creating an empty one if
// the directory holds no segment, and recovers it (see the package
// documentation): unfinished segment files are removed, a torn tail is
// cut back to the last whole record, the records at the end that nothing
// proves durable are written and synced again, and damage that a crash
// cannot explain fails with a *CorruptError (wrapping ErrCorrupt) unless
// opts.Repair is set. When Open returns, every record in the log is
// durable. The directory must exist. Memory: one segment at a time, plus
// 4 bytes per record for the index.
func Open(fsys disk.FS, dir string, opts Options) (*Log, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	l := &Log{fs: fsys, dir: dir, opts: opts, trunc: &truncation{}}
	if err := l.recover(); err != nil {
		for _, s := range l.segs {
			_ = s.f.Close()
		}
		return nil, err
	}
	l.rec.Segments = len(l.segs)
	l.rec.Records = l.last + 1 - l.first
	l.synced = l.last
	l.pendStart = l.segs[len(l.segs)-1].end
	return l, nil
}

type found struct {
	base, mark uint64
	name       string
}

func (l *Log) recover() error {
	names, err := l.fs.ReadDir(l.dir)
	if err != nil {
		return fmt.Errorf("wal: open %s: %w", l.dir, err)
	}
	var segs []found
	for _, n := range names {
		if strings.HasSuffix(n, segSuffix+tmpSuffix) {
			// A segment that was never renamed into place: never part of
			// the log.
			if err := l.fs.Remove(l.path(n)); err != nil {
				return fmt.Errorf("wal: remove %s: %w", n, err)
			}
			l.rec.Removed++
			continue
		}
		if base, mark, ok := parseSegName(n); ok {
			if base == 0 || base > MaxIndex || mark > MaxIndex {
				return &CorruptError{Segment: n, Index: base, Reason: fmt.Sprintf("base index %d or first index %d outside [1, MaxIndex]", base, mark)}
			}
			if mark != 0 && mark < base {
				return &CorruptError{Segment: n, Index: base, Reason: fmt.Sprintf("first index %d below the segment's base", mark)}
			}
			segs = append(segs, found{base, mark, n})
		}
	}
	slices.SortFunc(segs, func(a, b found) int { return compare(a.base, b.base) })
	for i := 1; i < len(segs); i++ {
		if segs[i].base == segs[i-1].base {
			return &CorruptError{Segment: segs[i].name, Index: segs[i].base, Reason: "two segments with one base index: " + segs[i-1].name}
		}
	}
	if len(segs) == 0 {
		s, err := l.create(l.opts.FirstIndex, 0)
		if err != nil {
			return fmt.Errorf("wal: create the first segment: %w", err)
		}
		l.segs = []*segment{s}
		l.first, l.last = s.base, s.base-1
		l.broken = nil
		return nil
	}
	// The highest first index recorded by a prefix truncation; segments
	// wholly below it are leftovers of that truncation.
	var mark uint64
	for _, s := range segs {
		mark = max(mark, s.mark)
	}
	if len(segs) > 1 && segs[1].base <= mark {
		// The name that records mark may not be durable yet (a directory
		// sync failed): make it so before removing what it makes garbage.
		if err := l.fs.SyncDir(l.dir); err != nil {
			return fmt.Errorf("wal: sync directory: %w", err)
		}
	}
	for len(segs) > 1 && segs[1].base <= mark {
		if err := l.fs.Remove(l.path(segs[0].name)); err != nil {
			return fmt.Errorf("wal: remove %s: %w", segs[0].name, err)
		}
		l.rec.Removed++
		segs = segs[1:]
	}
	l.first = max(mark, segs[0].base)

	var cut *CorruptError // damage found, when repairing
	var lastBuf []byte    // the last segment's bytes
	for i, fd := range segs {
		f, err := l.fs.Open(l.path(fd.name))
		if err != nil {
			return fmt.Errorf("wal: open %s: %w", fd.name, err)
		}
		s := &segment{base: fd.base, mark: fd.mark, f: f}
		l.segs = append(l.segs, s)
		buf, err := readSegment(f)
		if err != nil {
			return fmt.Errorf("wal: read %s: %w", fd.name, err)
		}
		s.size = int64(len(buf))
		isLast := i == len(segs)-1
		var next uint64 // the base of the next segment
		if !isLast {
			next = segs[i+1].base
		}
		if why := checkSegHeader(buf, fd.base); why != "" {
			cut = &CorruptError{Segment: fd.name, Offset: 0, Index: fd.base, Reason: why}
		} else {
			s.end = segHeaderSize
			cut = l.scan(s, buf, isLast, next)
		}
		if cut != nil {
			if !l.opts.Repair {
				return cut
			}
			l.rec.Repaired = cut
			// Drop the segments after this one, the last first.
			for _, later := range slices.Backward(segs[i+1:]) {
				if err := l.fs.Remove(l.path(later.name)); err != nil {
					return fmt.Errorf("wal: remove %s: %w", later.name, err)
				}
				l.rec.Removed++
				if err := l.fs.SyncDir(l.dir); err != nil {
					return fmt.Errorf("wal: sync directory: %w", err)
				}
			}
			if cut.Offset == 0 {
				// A bad header: nothing of this segment is usable.
				l.segs = l.segs[:len(l.segs)-1]
				_ = f.Close()
				if err := l.fs.Remove(l.path(fd.name)); err != nil {
					return fmt.Errorf("wal: remove %s: %w", fd.name, err)
				}
				l.rec.Removed++
				buf = nil
			}
			lastBuf = buf
			break
		}
		lastBuf = buf
	}
	if len(l.segs) == 0 {
		// Repair removed everything: start again where the log started.
		s, err := l.create(l.first, l.first)
		if err != nil {
			return fmt.Errorf("wal: create a segment: %w", err)
		}
		l.segs = []*segment{s}
		l.last = l.first - 1
		return nil
	}
	s := l.segs[len(l.segs)-1]
	l.last = s.lastIndex()
	if l.last+1 < l.first {
		// Repair cut below the first index: nothing is left.
		l.synced = l.last
		if err := l.truncateBefore(l.first); err != nil {
			return fmt.Errorf("wal: restart the log at %d: %w", l.first, err)
		}
		l.broken = nil
		return nil
	}
	if lastBuf == nil {
		// Repair removed the segment after s: read s again.
		var err error
		if lastBuf, err = readSegment(s.f); err != nil {
			return fmt.Errorf("wal: read %s: %w", s.name(), err)
		}
	}
	return l.settle(s, lastBuf)
}

// settle makes the recovered end of the last segment s durable: it writes
// again the records whose durability no later record proves (they may
// have been read from pages that a failed fsync left in the cache but not
// on disk), discards whatever lies after the last record (a torn tail),
// and syncs the segment and the directory.
func (l *Log) settle(s *segment, buf []byte) error {
	// First make durable what the page cache shows before writing: a
	// truncation whose fsync failed is still pending, and a write into
	// its last page could persist part of it, making a hole before
	// records that were synced before they were truncated.
	if err := s.f.Sync(); err != nil {
		return l.fail("fsync "+s.name(), err)
	}
	// Discard the torn bytes.
	if tail := lastNonZero(buf[min(s.end, int64(len(buf))):]); tail > 0 {
		l.rec.TornBytes = tail
		if err := l.cut(s, s.end); err != nil {
			return err
		}
	} else if err := l.allocate(s); err != nil {
		return err
	}
	// Rewrite the records after the last one proved durable.
	if len(s.offsets) > 0 && l.opts.mutant != mutNoRewriteOnOpen {
		lastFrame, _ := decodeFrame(buf[s.offsets[len(s.offsets)-1]:], maxStored, false)
		from := s.base
		if lastFrame.synced+1 > from {
			from = lastFrame.synced + 1
		}
		if from <= l.last {
			off := int64(s.offsets[from-s.base])
			if _, err := s.f.WriteAt(buf[off:s.end], off); err != nil {
				return l.fail("write "+s.name(), err)
			}
			l.rec.Rewritten = int(l.last - from + 1)
		}
	}
	if err := s.f.Sync(); err != nil {
		return l.fail("fsync "+s.name(), err)
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		return l.fail("sync directory "+l.dir, err)
	}
	return nil
}

// scan reads the records of segment s from buf. A segment before the last
// must hold exactly the records up to next-1: it was synced before the
// next one was created. In the last segment, a frame that is not valid is
// the end of the log (a torn tail) unless a valid frame after it says it
// was written after this record was synced: then it is damage, reported.
func (l *Log) scan(s *segment, buf []byte, isLast bool, next uint64) *CorruptError {
	off := int64(segHeaderSize)
	index := s.base
	check := l.opts.mutant != mutTrustCRC
	var why string
	misnumbered := false // a whole frame where record index belongs, of another index
	for off < int64(len(buf)) && (isLast || index < next) {
		var fr frame
		fr, why = decodeFrame(buf[off:], maxStored, check)
		if why == "" && fr.index != index {
			why = fmt.Sprintf("frame holds record %d", fr.index)
			misnumbered = true
		}
		if why != "" {
			break
		}
		s.offsets = append(s.offsets, uint32(off))
		off += fr.size
		index++
	}
	s.end = off
	name := s.name()
	if !isLast {
		if index != next {
			if why == "" {
				why = "segment ends early"
			}
			return &CorruptError{Segment: name, Offset: off, Index: index,
				Reason: fmt.Sprintf("%s; the next segment starts at %d", why, next)}
		}
		return nil
	}
	if off >= int64(len(buf)) {
		return nil
	}
	if misnumbered {
		// Where record index belongs, the log wrote its frame or nothing
		// (a segment starts as zeros, and a cut zeroes what it removes,
		// durably, before anything is written there again): a crash
		// leaves that frame, zeros, or a torn mix whose checksums fail,
		// never a whole frame of another record.
		return &CorruptError{Segment: name, Offset: off, Index: index, Reason: why}
	}
	// Look for valid frames after the bad one, at every aligned offset.
	// The header alone is the proof (its checksum says it was written as
	// it reads, so the log had synced its record fr.synced), and checking
	// the payloads too would cost the sum of the lengths they claim:
	// quadratic in the segment for overlapping hostile headers.
	for p := off + align; p+frameHeaderSize <= int64(len(buf)); p += align {
		if allZero(buf[p : p+frameHeaderSize]) {
			continue
		}
		fr, bad := decodeFrame(buf[p:], maxStored, false)
		if bad != "" || fr.index < index {
			continue
		}
		switch {
		case l.opts.mutant == mutCutCorruption:
		case fr.synced >= index || l.opts.mutant == mutTornIsCorrupt:
			return &CorruptError{Segment: name, Offset: off, Index: index,
				Reason: fmt.Sprintf("%s, and record %d at offset %d was written after record %d was synced", why, fr.index, p, fr.synced)}
		}
		l.rec.TornRecords++
	}
	return nil
}

// readSegment reads a whole segment file, refusing one larger than any
// segment the log writes.
func readSegment(f disk.File) ([]byte, error) {
	size, err := f.Size()
	if err != nil {
		return nil, err
	}
	if size > MaxSegmentSize {
		return nil, fmt.Errorf("%w: segment of %d bytes, more than %d", ErrCorrupt, size, MaxSegmentSize)
	}
	buf := make([]byte, size)
	n, err := f.ReadAt(buf, 0)
	if err != nil && !(errors.Is(err, io.EOF) && int64(n) == size) {
		return nil, err
	}
	return buf, nil
}

// lastNonZero returns the length of b up to its last non-zero byte,
// rounded up to a multiple of align.
func lastNonZero(b []byte) int64 {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0 {
			return min(alignUp(int64(i+1)), int64(len(b)))
		}
	}
	return 0
}

func compare(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
