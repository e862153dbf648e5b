package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/eventually-perfect/primitives/sim"
	"github.com/eventually-perfect/primitives/wal"
)

// The storage section: what a crash does to writes that were not synced,
// on the simulated disk (sim.Disk), and how the write-ahead log recovers:
// every synced record back, the torn tail cut. storage_test.go checks
// what it prints against a run recomputed there.

func init() {
	register(section{order: 80, name: "storage", title: "Storage: what survives a crash", run: storageSection})
}

// storageSeed chooses what the simulated crash keeps of the unsynced
// writes.
const storageSeed = 4

// storageRecords are what the section appends: a promise, then four
// acceptances whose commands carry a few hundred bytes each, so that the
// last ones span several of the disk's 512-byte sectors.
var storageRecords = []string{
	"promise 1.a",
	"accept slot 0: " + strings.Repeat("x", 300),
	"accept slot 1: " + strings.Repeat("y", 300),
	"accept slot 2: " + strings.Repeat("z", 300),
	"accept slot 3: " + strings.Repeat("w", 300),
}

// storageFacts is the run the section shows: records appended, how many
// were synced, and what recovery found after a crash.
type storageFacts struct {
	appended, synced int
	recovered        uint64
	tornBytes        int64
	records          []string
	syncs            int64
}

// storageRun appends five records to a log on a simulated disk, syncs
// after the third, crashes the disk, and reopens the log.
func storageRun() (storageFacts, error) {
	var f storageFacts
	d, err := sim.NewDisk(rand.New(rand.NewPCG(storageSeed, 0)), sim.DiskConfig{})
	if err != nil {
		return f, err
	}
	opts := wal.Options{SegmentSize: 4096}
	l, err := wal.Open(d, "/log", opts)
	if err != nil {
		return f, err
	}
	for i, rec := range storageRecords {
		if _, err := l.Append([]byte(rec)); err != nil {
			return f, err
		}
		f.appended++
		if i == 2 {
			if err := l.Sync(); err != nil {
				return f, err
			}
			f.synced = f.appended
		}
	}
	// The power fails in the middle of the next sync: the last two
	// records are written to the page cache, and the disk dies before the
	// fsync that would have made them durable.
	f.syncs = int64(d.Stats().Syncs)
	d.HaltAfter(1)
	if err := l.Sync(); err == nil {
		return f, errors.New("the sync should have failed with the disk")
	}
	d.Crash()
	l, err = wal.Open(d, "/log", opts)
	if err != nil {
		return f, err
	}
	rec := l.Recovery()
	f.recovered, f.tornBytes = rec.Records, rec.TornBytes
	for i := l.FirstIndex(); i <= l.LastIndex(); i++ {
		data, err := l.Read(i)
		if err != nil {
			return f, err
		}
		f.records = append(f.records, string(data))
	}
	return f, errors.Join(l.Close())
}

func storageSection(t *tour) error {
	f, err := storageRun()
	if err != nil {
		return err
	}
	t.para(`Every protocol so far kept its promises in memory, and the
		simulator's crashes spared what a node had written. A real acceptor
		must remember its promises and acceptances on disk ("Paxos Made
		Simple", section 2.3), and a disk keeps a write only once it has been
		synced: write puts bytes in the operating system's page cache, fsync
		waits until the device has them. A power loss takes whatever was not
		synced, and may tear a sector in the middle.`)
	t.para(fmt.Sprintf(`Here a write-ahead log (package wal) runs on a simulated disk
		(sim.Disk) that loses, keeps or tears unsynced sectors when it
		crashes. %d records are appended; a sync after the third makes %d
		durable (the disk counted %d fsync calls by then, the creation of
		the log's segment included). The power fails during the next sync:
		the last two records reach the page cache, not the device, and the
		crash keeps, loses or tears each of their sectors at random.
		After the crash the log recovers %d records:`,
		f.appended, f.synced, f.syncs, f.recovered))
	for i, r := range f.records {
		name, _, _ := strings.Cut(r, ":")
		t.printf("    %d  %s (%d bytes)\n", i+1, name, len(r))
	}
	t.printf("\n")
	t.para(fmt.Sprintf(`Every synced record is back, and recovery cut %d bytes of torn tail
		(what the crash left of the unsynced records).
		Each record is framed with its length and checksums, so a record the
		crash tore is recognised and cut; a damaged record in the middle of
		the log, after records that prove it had been synced, is reported as
		corruption instead, never cut silently. Syncing costs the same for
		one record as for a hundred, so a server steps its replica for a
		batch of messages, syncs once and only then sends the answers:
		persist, then send (group commit). docs/storage.md explains it.`, f.tornBytes))
	return nil
}
