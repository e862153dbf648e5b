package wal_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/eventually-perfect/primitives/disk"
	"github.com/eventually-perfect/primitives/sim"
	"github.com/eventually-perfect/primitives/wal"
)

// A log on the real disk: a batch appended, synced once, read back after
// reopening.
func ExampleLog() {
	dir, err := os.MkdirTemp("", "wal-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	l, err := wal.Open(disk.OS{}, dir, wal.Options{SegmentSize: 1 << 20})
	if err != nil {
		panic(err)
	}
	first, err := l.AppendBatch([][]byte{[]byte("promise 3"), []byte("accept 1:x"), []byte("accept 2:y")})
	if err != nil {
		panic(err)
	}
	if err := l.Sync(); err != nil { // one fsync for the batch
		panic(err)
	}
	fmt.Println("appended from", first, "synced up to", l.SyncedIndex())
	if err := l.Close(); err != nil {
		panic(err)
	}

	l, err = wal.Open(disk.OS{}, dir, wal.Options{SegmentSize: 1 << 20})
	if err != nil {
		panic(err)
	}
	defer l.Close()
	data, err := l.Read(2)
	if err != nil {
		panic(err)
	}
	fmt.Printf("record 2: %s; the log holds [%d, %d]\n", data, l.FirstIndex(), l.LastIndex())
	// Output:
	// appended from 1 synced up to 3
	// record 2: accept 1:x; the log holds [1, 3]
}

// A crash on the simulated disk loses what was not synced, and Open cuts
// the torn tail.
func ExampleLog_Sync() {
	d, err := sim.NewDisk(rand.New(rand.NewPCG(4, 0)), sim.DiskConfig{})
	if err != nil {
		panic(err)
	}
	l, err := wal.Open(d, "/log", wal.Options{SegmentSize: 4096})
	if err != nil {
		panic(err)
	}
	if _, err := l.Append([]byte("synced")); err != nil {
		panic(err)
	}
	if err := l.Sync(); err != nil {
		panic(err)
	}
	if _, err := l.Append([]byte("not synced")); err != nil {
		panic(err)
	}
	d.Crash() // power loss: the second record may or may not survive

	l, err = wal.Open(d, "/log", wal.Options{SegmentSize: 4096})
	if err != nil {
		panic(err)
	}
	data, err := l.Read(1)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s; %d or 2 records: %v\n", data, 1, l.LastIndex() >= 1)
	// Output: synced; 1 or 2 records: true
}

// TruncateAfter replaces a suffix (an acceptor replacing undecided
// entries); TruncateBefore drops a prefix below a snapshot.
func ExampleLog_TruncateAfter() {
	d, err := sim.NewDisk(rand.New(rand.NewPCG(1, 0)), sim.DiskConfig{})
	if err != nil {
		panic(err)
	}
	l, err := wal.Open(d, "/log", wal.Options{SegmentSize: 4096})
	if err != nil {
		panic(err)
	}
	for _, s := range []string{"a", "b", "c", "d"} {
		if _, err := l.Append([]byte(s)); err != nil {
			panic(err)
		}
	}
	if err := l.TruncateAfter(2); err != nil { // c and d are gone, durably
		panic(err)
	}
	if _, err := l.Append([]byte("c'")); err != nil {
		panic(err)
	}
	if err := l.TruncateBefore(2); err != nil { // a is gone, durably
		panic(err)
	}
	it := l.Iterator(l.FirstIndex())
	for it.Next() {
		fmt.Printf("%d:%s ", it.Index(), it.Record())
	}
	fmt.Println(it.Err())
	// Output: 2:b 3:c' <nil>
}

// An Iterator reads records in order from an index; Err tells the end of
// the log from a failure.
func ExampleIterator() {
	d, err := sim.NewDisk(rand.New(rand.NewPCG(1, 0)), sim.DiskConfig{})
	if err != nil {
		panic(err)
	}
	l, err := wal.Open(d, "/log", wal.Options{SegmentSize: 4096})
	if err != nil {
		panic(err)
	}
	if _, err := l.AppendBatch([][]byte{[]byte("x"), []byte("y"), []byte("z")}); err != nil {
		panic(err)
	}
	it := l.Iterator(2)
	for it.Next() {
		fmt.Println(it.Index(), string(it.Record()))
	}
	fmt.Println(it.Err())
	fmt.Println(errors.Is(l.Iterator(9).Err(), wal.ErrOutOfRange))
	// Output:
	// 2 y
	// 3 z
	// <nil>
	// true
}

// Damage before records that were synced after it is reported, with the
// segment and offset; Options.Repair is the explicit decision to cut the
// log there.
func ExampleCorruptError() {
	d, err := sim.NewDisk(rand.New(rand.NewPCG(1, 0)), sim.DiskConfig{})
	if err != nil {
		panic(err)
	}
	opts := wal.Options{SegmentSize: 4096}
	l, err := wal.Open(d, "/log", opts)
	if err != nil {
		panic(err)
	}
	for i := 1; i <= 3; i++ {
		if _, err := l.Append([]byte(fmt.Sprintf("record %d", i))); err != nil {
			panic(err)
		}
		if err := l.Sync(); err != nil {
			panic(err)
		}
	}
	if err := l.Close(); err != nil {
		panic(err)
	}

	// Flip a byte of record 2's payload (at offset 32+32+24: after the
	// segment header and record 1's frame, and record 2's frame header).
	names, err := d.ReadDir("/log")
	if err != nil {
		panic(err)
	}
	f, err := d.Open(filepath.Join("/log", names[0]))
	if err != nil {
		panic(err)
	}
	if _, err := f.WriteAt([]byte{'X'}, 32+32+24); err != nil {
		panic(err)
	}
	if err := f.Sync(); err != nil {
		panic(err)
	}
	if err := f.Close(); err != nil {
		panic(err)
	}

	_, err = wal.Open(d, "/log", opts)
	var ce *wal.CorruptError
	fmt.Println(errors.Is(err, wal.ErrCorrupt), errors.As(err, &ce), ce.Offset, ce.Index)

	opts.Repair = true
	l, err = wal.Open(d, "/log", opts)
	if err != nil {
		panic(err)
	}
	fmt.Println("repaired: the log ends at", l.LastIndex(), "cut at", l.Recovery().Repaired.Index)
	// Output:
	// true true 64 2
	// repaired: the log ends at 1 cut at 2
}

// Options: small segments, a bound on records, a log that starts at 100.
func ExampleOptions() {
	d, err := sim.NewDisk(rand.New(rand.NewPCG(1, 0)), sim.DiskConfig{})
	if err != nil {
		panic(err)
	}
	l, err := wal.Open(d, "/log", wal.Options{SegmentSize: 4096, MaxRecordSize: 100, FirstIndex: 100})
	if err != nil {
		panic(err)
	}
	i, err := l.Append([]byte("first"))
	if err != nil {
		panic(err)
	}
	_, err = l.Append(make([]byte, 101))
	fmt.Println(i, errors.Is(err, wal.ErrTooLarge))
	// Output: 100 true
}

// Recovery reports what Open found and did: after a clean Close nothing
// is torn, and the last batch (which no later record proves durable) is
// written and synced again.
func ExampleRecovery() {
	d, err := sim.NewDisk(rand.New(rand.NewPCG(3, 0)), sim.DiskConfig{})
	if err != nil {
		panic(err)
	}
	opts := wal.Options{SegmentSize: 4096}
	l, err := wal.Open(d, "/log", opts)
	if err != nil {
		panic(err)
	}
	if _, err := l.AppendBatch([][]byte{[]byte("a"), []byte("b")}); err != nil {
		panic(err)
	}
	if err := l.Sync(); err != nil {
		panic(err)
	}
	if _, err := l.AppendBatch([][]byte{make([]byte, 600), make([]byte, 600)}); err != nil {
		panic(err)
	}
	if err := l.Sync(); err != nil {
		panic(err)
	}
	if err := l.Close(); err != nil {
		panic(err)
	}
	l, err = wal.Open(d, "/log", opts)
	if err != nil {
		panic(err)
	}
	r := l.Recovery()
	fmt.Println(r.Segments, r.Records, r.TornBytes, r.Rewritten, r.Repaired == nil)
	// Output: 1 4 0 2 true
}
