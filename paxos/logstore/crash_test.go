package logstore

// Crash-consistency tests on the fault-injecting file system (sim.Disk):
// random sequences of SetHardState, PutEntry, SetSnapshot, Sync and clean
// reopenings, crashes at random points (between calls, and inside them:
// the disk halts after a drawn number of operations, in a call or in
// Open) that lose, keep and tear unsynced sectors and directory entries,
// failed fsyncs and directory syncs, short writes; then Open and Load,
// checked against paxos.MemoryLogStorage fed the same calls. The laws,
// stated in the failure messages:
//
//   - durability: everything synced is loaded (by Sync, by SetSnapshot,
//     by every write with SyncEachWrite, by Open itself);
//   - order: the loaded state is the state after some prefix of the calls
//     that includes every synced one (writes are durable in order);
//   - snapshot atomicity: the loaded snapshot is one that was set, whole
//     (the newest one, or the previous one if the crash came first);
//   - a crash never makes Open fail with ErrCorrupt;
//   - a stopped store refuses every call with ErrBroken;
//   - loading twice, and recovering twice, gives the same state.

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/sim"
	"github.com/eventually-perfect/primitives/wal"
	"pgregory.net/rapid"
)

var long = flag.Bool("long", false, "run the crash tests for a million crash points")

const dir = "/store"

// chooser draws the workload's decisions: from rapid (shrinkable) or from
// a seeded source (fast).
type chooser interface {
	intn(n int, label string) int
}

type randChooser struct{ r *rand.Rand }

func (c randChooser) intn(n int, _ string) int { return c.r.IntN(n) }

type rapidChooser struct{ t *rapid.T }

func (c rapidChooser) intn(n int, label string) int { return rapid.IntRange(0, n-1).Draw(c.t, label) }

// crashRun is one workload on one disk.
type crashRun struct {
	c    chooser
	d    *sim.Disk
	opts Options
	st   *Store // nil while the store is down
	ref  paxos.MemoryLogStorage
	// states[k] is the state after the first k calls since the last
	// recovery (states[0] is what it loaded), encoded; names[k] the call.
	states  []paxos.LogState
	names   []string
	synced  int // every state before states[synced] was followed by a sync
	tr      []string
	crashes int
	faults  bool
	// haltPending: HaltAfter was called and no crash came since.
	haltPending bool
}

func (r *crashRun) logf(format string, args ...any) {
	r.tr = append(r.tr, fmt.Sprintf(format, args...))
}

func (r *crashRun) violation(format string, args ...any) error {
	tr := r.tr
	if len(tr) > 60 {
		tr = append([]string{fmt.Sprintf("... %d steps", len(tr)-60)}, tr[len(tr)-60:]...)
	}
	return fmt.Errorf("%s (mutant %q)\n  transcript:\n    %s", fmt.Sprintf(format, args...), r.opts.mutant, strings.Join(tr, "\n    "))
}

func canonical(t paxos.LogState) []byte {
	if len(t.Snapshot) == 0 {
		t.Snapshot = nil
	}
	if len(t.Entries) == 0 {
		t.Entries = nil
	}
	b, err := t.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return b
}

func showState(t paxos.LogState) string {
	var es []string
	for _, e := range t.Entries {
		es = append(es, fmt.Sprintf("%d@%v/%d", e.Slot, e.Ballot, len(e.Commands)))
	}
	return fmt.Sprintf("{promised %v round %d snapshot %d (%d bytes, crc %08x) entries [%s]}", t.Promised, t.Round,
		t.SnapshotSlot, len(t.Snapshot), crcOf(t.Snapshot), strings.Join(es, " "))
}

func crcOf(b []byte) uint32 {
	var h uint32 = 2166136261
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}

// runCrashes runs a workload of steps calls on a fresh disk.
func runCrashes(c chooser, seed uint64, steps int, mut mutant) (*crashRun, error) {
	d, err := sim.NewDisk(rand.New(rand.NewPCG(seed, 0xd15c)), sim.DiskConfig{})
	if err != nil {
		return nil, err
	}
	r := &crashRun{c: c, d: d}
	r.opts = Options{WAL: wal.Options{SegmentSize: 4096}, mutant: mut, SyncEachWrite: c.intn(4, "sync each write") == 0}
	if c.intn(3, "faults") == 0 {
		r.faults = true
		if err := d.SetFaults(sim.DiskFaults{SyncFailure: 0.02, DirSyncFailure: 0.02, ShortWrite: 0.01}); err != nil {
			return nil, err
		}
	}
	r.push("start")
	if err := r.recover(false); err != nil {
		return r, err
	}
	for range steps {
		if err := r.step(); err != nil {
			return r, err
		}
	}
	return r, r.crash()
}

// push records the state after a call that was made (it may have failed:
// a failed call may or may not have taken effect).
func (r *crashRun) push(name string) {
	st, _ := r.ref.Load()
	r.states = append(r.states, st)
	r.names = append(r.names, name)
}

func (r *crashRun) ballot(label string) paxos.Ballot {
	round := uint64(r.c.intn(4, label+" round"))
	if round == 0 {
		return paxos.Ballot{}
	}
	return paxos.Ballot{Round: round, Node: []string{"a", "b"}[r.c.intn(2, label+" node")]}
}

// step makes one call, or crashes, or reopens.
func (r *crashRun) step() error {
	snap := r.states[len(r.states)-1].SnapshotSlot
	var err error
	var name string
	synced := false
	switch k := r.c.intn(20, "call"); {
	case k < 4:
		b, round := r.ballot("promise"), uint64(r.c.intn(5, "round"))
		name = fmt.Sprintf("SetHardState(%v, %d)", b, round)
		_ = r.ref.SetHardState(b, round)
		err = r.st.SetHardState(b, round)
		synced = r.opts.SyncEachWrite
	case k < 11:
		e := paxos.Entry{Slot: snap + uint64(r.c.intn(6, "slot")), Ballot: r.ballot("accept")}
		if e.Ballot.IsZero() {
			e.Ballot = paxos.Ballot{Round: 1, Node: "a"}
		}
		if r.c.intn(5, "no-op") == 0 {
			e.NoOp = true
		} else {
			for i := range r.c.intn(4, "commands") {
				op := strings.Repeat(string(rune('a'+i)), r.c.intn(400, "op size"))
				e.Commands = append(e.Commands, paxos.Command{Client: "c", Seq: uint64(i + 1), Op: op})
			}
		}
		name = fmt.Sprintf("PutEntry(%d@%v, %d commands)", e.Slot, e.Ballot, len(e.Commands))
		_ = r.ref.PutEntry(e)
		err = r.st.PutEntry(e)
		synced = r.opts.SyncEachWrite
	case k < 13:
		slot := snap + uint64(r.c.intn(7, "snapshot slot"))
		if snap > 0 && r.c.intn(8, "old snapshot") == 0 {
			slot = snap - 1
		}
		data := bytes.Repeat([]byte{byte(r.c.intn(256, "snapshot byte"))}, r.c.intn(1500, "snapshot size"))
		name = fmt.Sprintf("SetSnapshot(%d, %d bytes)", slot, len(data))
		_ = r.ref.SetSnapshot(slot, data)
		err = r.st.SetSnapshot(slot, data)
		synced = true
	case k < 16:
		name = "Sync()"
		err = r.st.Sync()
		synced = true
	case k < 17:
		r.logf("Close, Open")
		if r.haltPending {
			// The disk halts during Close or Open: a crash.
			r.logf("Close: %v", r.st.Close())
			return r.crash()
		}
		if err := r.st.Close(); err != nil {
			if !r.faults {
				return r.violation("a clean Close failed: %v", err)
			}
			r.logf("Close: %v", err)
			return r.crash()
		}
		r.synced = len(r.states) - 1
		return r.recover(false)
	case k < 18:
		// A crash inside the next calls: the disk halts after a few
		// more operations.
		n := r.c.intn(12, "halt after")
		r.logf("HaltAfter(%d)", n)
		r.d.HaltAfter(n)
		r.haltPending = true
		return nil
	default:
		return r.crash()
	}
	if name != "Sync()" {
		r.push(name)
	}
	if err != nil {
		r.logf("%s: %v", name, err)
		return r.afterError(err)
	}
	r.logf("%s", name)
	if synced {
		r.synced = len(r.states) - 1
	}
	return nil
}

// afterError checks that a stopped store refuses every call, then
// crashes (a halted disk) or reopens without a crash.
func (r *crashRun) afterError(err error) error {
	if !errors.Is(err, ErrBroken) {
		return r.violation("an I/O error did not stop the store: %v", err)
	}
	if err := r.st.Sync(); !errors.Is(err, ErrBroken) {
		return r.violation("a stopped store must refuse every call with ErrBroken; Sync returned %v", err)
	}
	if err := r.st.PutEntry(paxos.Entry{Slot: r.states[len(r.states)-1].SnapshotSlot, Ballot: paxos.Ballot{Round: 1, Node: "a"}}); !errors.Is(err, ErrBroken) {
		return r.violation("a stopped store must refuse every call with ErrBroken; PutEntry returned %v", err)
	}
	if r.d.Halted() || r.c.intn(2, "crash after error") == 0 {
		return r.crash()
	}
	r.logf("Close, Open (no crash)")
	_ = r.st.Close()
	return r.recover(false)
}

func (r *crashRun) crash() error {
	if r.st != nil {
		r.st = nil
	}
	r.d.Crash()
	r.crashes++
	r.haltPending = false
	r.logf("Crash")
	return r.recover(true)
}

// recover opens the store (with, after a crash, a halt inside Open now
// and then), loads it and checks the laws.
func (r *crashRun) recover(crashed bool) error {
	for attempt := 0; ; attempt++ {
		halted := crashed && attempt < 3 && r.c.intn(6, "halt in open") == 0
		if halted {
			n := r.c.intn(8, "open halts after")
			r.d.HaltAfter(n)
			r.logf("HaltAfter(%d) in Open", n)
		}
		st, err := Open(r.d, dir, r.opts)
		if err == nil {
			r.d.HaltAfter(-1)
			if !r.d.Halted() {
				r.st = st
				break
			}
			_ = st.Close()
		}
		if errors.Is(err, ErrCorrupt) {
			return r.violation("corruption: Open after a crash failed: %v", err)
		}
		if err != nil && !halted && !r.faults {
			return r.violation("Open failed: %v", err)
		}
		r.logf("Open: %v", err)
		r.d.HaltAfter(-1)
		r.d.Crash()
		r.crashes++
		r.logf("Crash")
	}
	got, err := r.st.Load()
	if err != nil {
		if r.faults || r.d.Halted() {
			r.logf("Load: %v", err)
			return r.crash()
		}
		return r.violation("Load after Open failed: %v", err)
	}
	if err := r.check(got); err != nil {
		return err
	}
	again, err := r.st.Load()
	if err != nil || !bytes.Equal(canonical(got), canonical(again)) {
		return r.violation("loading twice must give the same state: %s, then %s (%v)", showState(got), showState(again), err)
	}
	if r.c.intn(4, "recover twice") == 0 && !r.faults {
		if err := r.st.Close(); err != nil {
			return r.violation("Close after Open failed: %v", err)
		}
		st, err := Open(r.d, dir, r.opts)
		if err != nil {
			return r.violation("recovering twice: the second Open failed: %v", err)
		}
		r.st = st
		again, err := st.Load()
		if err != nil || !bytes.Equal(canonical(got), canonical(again)) {
			return r.violation("recovering twice must give the same state: %s, then %s (%v)", showState(got), showState(again), err)
		}
	}
	// The model restarts from what was loaded, all of it durable now.
	r.ref = paxos.MemoryLogStorage{}
	_ = r.ref.SetHardState(got.Promised, got.Round)
	_ = r.ref.SetSnapshot(got.SnapshotSlot, got.Snapshot)
	for _, e := range got.Entries {
		_ = r.ref.PutEntry(e)
	}
	r.states, r.names, r.synced = nil, nil, 0
	r.push("Open")
	r.logf("Open, Load: %s", showState(got))
	return nil
}

// check checks a loaded state against the states the calls went through.
func (r *crashRun) check(got paxos.LogState) error {
	g := canonical(got)
	match := -1
	for k := len(r.states) - 1; k >= 0; k-- {
		if bytes.Equal(g, canonical(r.states[k])) {
			match = k
			break
		}
	}
	if match >= r.synced {
		return nil
	}
	if match >= 0 {
		return r.violation("durability: everything synced must be loaded, but the store loaded the state after %q (call %d), before the last sync at call %d (%q)\n  loaded: %s\n  synced: %s",
			r.names[match], match, r.synced, r.names[r.synced], showState(got), showState(r.states[r.synced]))
	}
	snapOK := false
	for _, s := range r.states[r.synced:] {
		if s.SnapshotSlot == got.SnapshotSlot && bytes.Equal(s.Snapshot, got.Snapshot) {
			snapOK = true
		}
	}
	if !snapOK {
		return r.violation("snapshot atomicity: the loaded snapshot (slot %d, %d bytes) is none of those set since the last sync, whole\n  loaded: %s\n  synced: %s",
			got.SnapshotSlot, len(got.Snapshot), showState(got), showState(r.states[r.synced]))
	}
	var calls []string
	for k := r.synced; k < len(r.states); k++ {
		calls = append(calls, fmt.Sprintf("%d %s: %s", k, r.names[k], showState(r.states[k])))
	}
	return r.violation("order: the loaded state must be the state after a prefix of the calls that includes every synced one (writes durable in order)\n  loaded: %s\n  allowed:\n    %s",
		showState(got), strings.Join(calls, "\n    "))
}

// crashPoints runs workloads until n crashes have been checked.
func crashPoints(n int, seed uint64, mut mutant) (crashes, workloads int, err error) {
	for crashes < n {
		s := seed + uint64(workloads)
		r, err := runCrashes(randChooser{rand.New(rand.NewPCG(s, 1))}, s, 60, mut)
		workloads++
		if r != nil {
			crashes += r.crashes
		}
		if err != nil {
			return crashes, workloads, fmt.Errorf("workload %d (seed %d): %w", workloads, s, err)
		}
	}
	return crashes, workloads, nil
}

// TestCrashConsistency checks the laws above at thousands of crash
// points: 20,000 per go test (5,000 under -race), a million with -long.
func TestCrashConsistency(t *testing.T) {
	n := 20_000
	if raceEnabled {
		n = 5000
	}
	if *long {
		n = 1_000_000
	}
	crashes, workloads, err := crashPoints(n, rand.Uint64(), mutNone)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d crash points in %d workloads", crashes, workloads)
}

// TestCrashConsistencyRapid draws the same workloads with rapid, so that
// a failure shrinks to a short transcript.
func TestCrashConsistencyRapid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "disk seed")
		steps := rapid.IntRange(1, 40).Draw(t, "steps")
		if _, err := runCrashes(rapidChooser{t}, seed, steps, mutNone); err != nil {
			t.Fatal(err)
		}
	})
}
