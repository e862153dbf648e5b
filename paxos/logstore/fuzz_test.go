package logstore

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/sim"
	"github.com/eventually-perfect/primitives/wal"
)

// FuzzDecodeRecord: the record framing (a kind byte, then a paxos
// encoding or the snapshot marker) never panics, and what it accepts is
// canonical: encoding it again gives the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	h, _ := encodeHardState(b1, 3)
	e, _ := encodeEntry(entry(4, b2, "op"))
	s, _ := encodeState(paxos.State{Promised: b2, Accepted: b1, Value: "v"})
	for _, seed := range [][]byte{h, e, s, encodeSnapshotMarker(2, 9), {}, {9}, {kindSnapshot, 0x80}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("a malformed record must fail with ErrCorrupt: %v", err)
			}
			return
		}
		var again []byte
		switch r.kind {
		case kindHardState:
			again, err = encodeHardState(r.promised, r.round)
		case kindEntry:
			again, err = encodeEntry(r.entry)
		case kindSnapshot:
			again = encodeSnapshotMarker(r.gen, r.slot)
		case kindState:
			again, err = encodeState(r.state)
		}
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("a record accepted must be canonical: %x encodes again as %x (%v)", b, again, err)
		}
	})
}

// FuzzSnapshotFile: a snapshot file's decoder never panics, never reads
// past the file, and accepts only what it encodes.
func FuzzSnapshotFile(f *testing.F) {
	f.Add(encodeSnapshotFile(1, 5, []byte("state")), uint64(1))
	f.Add(encodeSnapshotFile(3, 0, nil), uint64(3))
	f.Add([]byte(snapMagic), uint64(1))
	f.Fuzz(func(t *testing.T, b []byte, gen uint64) {
		slot, data, err := decodeSnapshotFile(b, gen, 1<<10)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("a malformed snapshot file must fail with ErrCorrupt: %v", err)
			}
			return
		}
		if !bytes.Equal(encodeSnapshotFile(gen, slot, data), b) {
			t.Fatalf("a snapshot file accepted must be the encoding of what it holds")
		}
	})
}

// FuzzOpen opens a directory of arbitrary files: a store built by a
// workload, then damaged (bytes overwritten in one of its files, and a
// snapshot file of arbitrary contents added). Open and Load never panic,
// and what they refuse they refuse with ErrCorrupt; memory stays bounded
// by the segment and snapshot limits.
func FuzzOpen(f *testing.F) {
	f.Add(uint8(0), uint16(40), []byte{0xff, 0xff}, []byte(nil), uint8(0))
	f.Add(uint8(1), uint16(60), []byte{1, 2, 3}, encodeSnapshotFile(9, 2, []byte("x")), uint8(9))
	f.Add(uint8(2), uint16(36), []byte{0}, []byte(snapMagic), uint8(5))
	f.Fuzz(func(t *testing.T, which uint8, off uint16, patch, extra []byte, gen uint8) {
		d, err := sim.NewDisk(rand.New(rand.NewPCG(1, 1)), sim.DiskConfig{})
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{WAL: wal.Options{SegmentSize: 1024}, MaxSnapshotSize: 1 << 12}
		st, err := Open(d, dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		_ = st.SetHardState(b1, 1)
		for i := range uint64(12) {
			_ = st.PutEntry(entry(i, b1, "operation"))
		}
		_ = st.SetSnapshot(5, []byte("snapshot"))
		_ = st.PutEntry(entry(3+5, b2, "again"))
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		names, _ := d.ReadDir(dir)
		if len(names) > 0 && len(patch) > 0 {
			name := dir + "/" + names[int(which)%len(names)]
			f, err := d.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = f.WriteAt(patch, int64(off))
			_ = f.Close()
		}
		if gen > 0 {
			if f, err := d.Create(dir + "/" + snapName(uint64(gen))); err == nil {
				_, _ = f.WriteAt(extra, 0)
				_ = f.Close()
			}
		}
		st, err = Open(d, dir, opts)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open of a damaged store must fail with ErrCorrupt: %v", err)
			}
			return
		}
		defer st.Close()
		if _, err := st.Load(); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Load of a damaged store must fail with ErrCorrupt: %v", err)
		}
	})
}
