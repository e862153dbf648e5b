package wal

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/eventually-perfect/primitives/sim"
	"pgregory.net/rapid"
)

// runCorruption writes a log in synced batches on a disk without faults,
// flips one byte of a record that a later record proves was synced, and
// checks the law: a corrupted middle is reported (ErrCorrupt naming the
// segment, offset and index), never truncated silently; and Repair cuts
// the log just before it, keeping every record before it.
func runCorruption(c chooser, seed uint64, mut mutant) error {
	d, err := sim.NewDisk(rand.New(rand.NewPCG(seed, 0xc0)), sim.DiskConfig{})
	if err != nil {
		return err
	}
	opts := Options{SegmentSize: segSizes[c.intn(len(segSizes), "segment size")], mutant: mut}
	l, err := Open(d, dir, opts)
	if err != nil {
		return err
	}
	batches := 2 + c.intn(5, "batches")
	var provedSynced uint64 // the synced index before the last batch
	for b := 0; b < batches; b++ {
		provedSynced = l.SyncedIndex()
		for n := 1 + c.intn(5, "batch size"); n > 0; n-- {
			if _, err := l.Append(c.bytes(c.intn(min(200, l.opts.MaxRecordSize+1), "size"))); err != nil {
				return err
			}
		}
		if err := l.Sync(); err != nil {
			return err
		}
	}
	if provedSynced < l.FirstIndex() {
		return nil
	}
	k := l.FirstIndex() + uint64(c.intn(int(provedSynced-l.FirstIndex()+1), "damaged record"))
	s := l.seg(k)
	off := int64(s.offsets[k-s.base])
	end := s.end
	if k < s.lastIndex() {
		end = int64(s.offsets[k+1-s.base])
	}
	name := s.name()
	want := make([][]byte, 0, k-l.FirstIndex())
	for i := l.FirstIndex(); i < k; i++ {
		b, _ := l.Read(i)
		want = append(want, b)
	}
	if err := l.Close(); err != nil {
		return err
	}
	f, err := d.Open(dir + "/" + name)
	if err != nil {
		return err
	}
	at := off + int64(c.intn(int(end-off), "damaged byte"))
	var b [1]byte
	if _, err := f.ReadAt(b[:], at); err != nil {
		return err
	}
	b[0] ^= byte(1 + c.intn(255, "flip"))
	if _, err := f.WriteAt(b[:], at); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	_ = f.Close()

	l, err = Open(d, dir, opts)
	var ce *CorruptError
	switch {
	case err == nil:
		last := l.LastIndex()
		_ = l.Close()
		return fmt.Errorf("corruption: byte %d of record %d (offset %d of %s) damaged, and Open succeeded with the log ending at %d: a corrupted middle must be reported, never cut or trusted",
			at, k, off, name, last)
	case !errors.As(err, &ce):
		return fmt.Errorf("corruption: Open failed with %v, not a *CorruptError", err)
	case ce.Segment != name || ce.Offset != off || ce.Index != k:
		return fmt.Errorf("corruption: the error names %s offset %d record %d, the damage is in %s offset %d record %d",
			ce.Segment, ce.Offset, ce.Index, name, off, k)
	}
	opts.Repair = true
	l, err = Open(d, dir, opts)
	if err != nil {
		return fmt.Errorf("repair: Open failed: %w", err)
	}
	defer l.Close()
	if l.LastIndex() != k-1 || l.Recovery().Repaired == nil || l.Recovery().Repaired.Index != k {
		return fmt.Errorf("repair: the log ends at %d (want %d, just before the damage), repaired %v", l.LastIndex(), k-1, l.Recovery().Repaired)
	}
	for i, w := range want {
		if got, err := l.Read(l.FirstIndex() + uint64(i)); err != nil || string(got) != string(w) {
			return fmt.Errorf("repair: record %d before the damage changed: %x, %v", l.FirstIndex()+uint64(i), got, err)
		}
	}
	return nil
}

func corruptions(n int, seed uint64, mut mutant) error {
	for i := 0; i < n; i++ {
		c := randChooser{rand.New(rand.NewPCG(seed, uint64(i)))}
		if err := runCorruption(c, seed+uint64(i), mut); err != nil {
			return fmt.Errorf("case %d of seed %d: %w", i, seed, err)
		}
	}
	return nil
}

func TestCorruptionReported(t *testing.T) {
	n := 2000
	if *long {
		n = 200_000
	}
	if err := corruptions(n, 1, mutNone); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptionReportedRapid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		if err := runCorruption(rapidChooser{t}, rapid.Uint64().Draw(t, "seed"), mutNone); err != nil {
			t.Fatal(err)
		}
	})
}

// TestMutants is the mutation score of the log's verification: each
// mutant (mutant.go) must be killed by the crash tests or the corruption
// tests, within the budget of the default run.
func TestMutants(t *testing.T) {
	killed := 0
	for m := mutNone + 1; m < mutCount; m++ {
		t.Run(m.String(), func(t *testing.T) {
			if err := corruptions(300, 7, m); err != nil {
				killed++
				t.Logf("killed by the corruption test: %.200v", err)
				return
			}
			crashes, _, err := crashPoints(20000, 7, m)
			if err != nil {
				killed++
				t.Logf("killed by the crash test after %d crash points: %.300v", crashes, err)
				return
			}
			t.Errorf("mutant %s survived %d crash points and 300 corruptions", m, crashes)
		})
	}
	t.Logf("%d of %d mutants killed", killed, mutCount-1)
}
