package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
)

// byteModel is what one byte of a file may hold after a crash.
type byteModel struct {
	dur     byte      // the value a successful Sync made durable
	sure    bool      // dur is on the disk (no failed Sync covered a later write)
	pending bool      // written since the last Sync
	seen    [4]uint64 // every value ever written there (and 0)
}

func (b *byteModel) add(v byte)      { b.seen[v/64] |= 1 << (v % 64) }
func (b *byteModel) has(v byte) bool { return b.seen[v/64]&(1<<(v%64)) != 0 }

// TestDiskAdversarialCrashModel checks sim.Disk against the model that
// package disk states, on random writes, allocations, syncs (some
// failing, with fsyncgate behaviour), short writes and crashes: a crash
// never loses a byte a successful Sync covered and no write touched
// since (unless a failed Sync came between), never invents a byte that
// was never written at its offset, and leaves the file at its synced
// size or at its size before the crash, nothing else; reads after a
// failed Sync see the new bytes or the old, nothing else.
func TestDiskAdversarialCrashModel(t *testing.T) {
	for seed := uint64(0); seed < 400; seed++ {
		if err := crashModelRun(seed); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
}

func crashModelRun(seed uint64) error {
	r := rand.New(rand.NewPCG(seed, 77))
	d, err := NewDisk(rand.New(rand.NewPCG(seed, 78)), DiskConfig{SectorSize: []int{1, 7, 64, 512}[r.IntN(4)]})
	if err != nil {
		return err
	}
	f, err := d.Create("/d/f")
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := d.SyncDir("/d"); err != nil {
		return err
	}
	const max = 3000
	m := make([]byteModel, max)
	for i := range m {
		m[i].sure = true
		m[i].add(0)
	}
	var syncedSize, size int64
	var trace []string
	fail := func(format string, args ...any) error {
		return fmt.Errorf(format+"\n%v", append(args, trace)...)
	}
	for step := 0; step < 60; step++ {
		faults := DiskFaults{}
		if r.IntN(3) == 0 {
			faults = DiskFaults{SyncFailure: 0.3, ShortWrite: 0.2}
		}
		if err := d.SetFaults(faults); err != nil {
			return err
		}
		switch op := r.IntN(10); {
		case op < 5:
			off := r.Int64N(max - 700)
			p := make([]byte, 1+r.IntN(700))
			for i := range p {
				p[i] = byte(r.UintN(256))
			}
			n, err := f.WriteAt(p, off)
			trace = append(trace, fmt.Sprintf("write %d bytes at %d: %d, %v", len(p), off, n, err))
			for i := 0; i < n; i++ {
				m[off+int64(i)].add(p[i])
				m[off+int64(i)].pending = true
			}
			if n > 0 {
				size = max64(size, off+int64(n))
			}
		case op < 6:
			s := r.Int64N(max)
			err := f.Allocate(s)
			trace = append(trace, fmt.Sprintf("allocate %d: %v", s, err))
			size = max64(size, s)
		case op < 9:
			err := f.Sync()
			trace = append(trace, fmt.Sprintf("sync: %v", err))
			cache, _ := d.ReadFile("/d/f")
			for i := range m {
				if !m[i].pending {
					continue
				}
				m[i].pending = false
				if err == nil {
					m[i].dur, m[i].sure = cache[i], true
				} else {
					m[i].sure = false
					if !m[i].has(cache[i]) {
						return fail("after a failed sync, byte %d reads %d, never written there", i, cache[i])
					}
				}
			}
			if err == nil {
				syncedSize = size
			} else if !errors.Is(err, syscall.EIO) {
				return fail("sync failed with %v", err)
			}
		default:
			d.Crash()
			trace = append(trace, "crash")
			got, ok := d.ReadFile("/d/f")
			if !ok {
				return fail("a synced file in a synced directory vanished")
			}
			if n := int64(len(got)); n != syncedSize && n != size {
				return fail("size %d after the crash: synced %d, before the crash %d", n, syncedSize, size)
			}
			for i, v := range got {
				b := &m[i]
				if b.sure && !b.pending && int64(i) < syncedSize && v != b.dur {
					return fail("byte %d synced as %d reads %d after the crash", i, b.dur, v)
				}
				if !b.has(v) {
					return fail("byte %d reads %d after the crash, never written there", i, v)
				}
			}
			// The disk now holds exactly what reads see.
			for i := range m {
				m[i].pending = false
				m[i].sure = true
				if i < len(got) {
					m[i].dur = got[i]
				} else {
					m[i].dur = 0
				}
			}
			size = int64(len(got))
			syncedSize = size
			if f, err = d.Open("/d/f"); err != nil {
				return err
			}
		}
	}
	return nil
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}
