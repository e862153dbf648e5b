package wal

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/eventually-perfect/primitives/sim"
)

// FuzzDecodeFrame: the record decoder never panics, never reads outside
// its input, and accepts only canonical frames: what it accepts encodes
// back to the same bytes.
func FuzzDecodeFrame(f *testing.F) {
	f.Add(appendFrame(nil, 7, 5, []byte("hello")), 100)
	f.Add(appendFrame(nil, 1, 0, nil), 0)
	f.Add(make([]byte, 24), 10)
	f.Fuzz(func(t *testing.T, b []byte, maxRecord int) {
		if maxRecord < 0 {
			maxRecord = -maxRecord
		}
		fr, why := decodeFrame(b, maxRecord, true)
		if why != "" {
			return
		}
		if len(fr.data) > maxRecord {
			t.Fatalf("decoded %d bytes, above the maximum record size %d", len(fr.data), maxRecord)
		}
		if again := appendFrame(nil, fr.index, fr.synced, fr.data); !bytes.Equal(again, b[:fr.size]) {
			t.Fatalf("non-canonical frame accepted: %x encodes back as %x", b[:fr.size], again)
		}
	})
}

// FuzzOpen: opening a directory of arbitrary segment files never panics
// and allocates in proportion to the files, whatever their length fields
// say; what it opens can be read and appended to.
func FuzzOpen(f *testing.F) {
	good := append(segHeader(1), appendFrame(nil, 1, 0, []byte("a"))...)
	good = append(good, appendFrame(nil, 2, 1, []byte("bc"))...)
	f.Add(good, []byte{}, uint64(1), uint64(0), uint64(9), false)
	bad := bytes.Clone(good)
	binary.LittleEndian.PutUint32(bad[32:], 1<<31) // a hostile length
	f.Add(bad, good, uint64(1), uint64(0), uint64(1), true)
	f.Fuzz(func(t *testing.T, a, b []byte, baseA, markA, baseB uint64, repair bool) {
		if len(a)+len(b) > 1<<20 {
			return
		}
		d := newDisk(t, sim.DiskConfig{})
		for _, file := range []struct {
			name string
			data []byte
		}{{segName(baseA, markA), a}, {segName(baseB, 0), b}} {
			fl, err := d.Create(dir + "/" + file.name)
			if err != nil {
				continue // the same name twice
			}
			if _, err := fl.WriteAt(file.data, 0); err != nil {
				t.Fatal(err)
			}
			_ = fl.Close()
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		l, err := Open(d, dir, Options{SegmentSize: MinSegmentSize, Repair: repair})
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(8*(len(a)+len(b)))+256<<10 {
			t.Fatalf("Open allocated %d bytes for %d bytes of segments", alloc, len(a)+len(b))
		}
		if err != nil {
			return
		}
		defer l.Close()
		it := l.Iterator(l.FirstIndex())
		for it.Next() {
		}
		if err := it.Err(); err != nil {
			t.Fatalf("a log that opened cannot be read: %v", err)
		}
		if l.LastIndex() < 1<<62 {
			if _, err := l.Append([]byte("x")); err != nil {
				t.Fatalf("a log that opened cannot be appended to: %v", err)
			}
		}
	})
}
