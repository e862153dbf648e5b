package wal

// Crash-consistency tests on the fault-injecting file system (sim.Disk):
// random workloads of appends, syncs, prefix and suffix truncations and
// reopenings, crashes at random points (between calls, and inside them:
// the disk halts after a drawn number of operations) that lose, keep and
// tear unsynced sectors and directory entries at random, failed fsyncs
// that drop or keep-but-clean their pages, short writes; then recovery,
// checked against a model of what the log may hold. The laws, stated in
// the failure messages:
//
//   - durability: every record acknowledged as synced (by Sync, a
//     truncation, or Open itself) is recovered, with its bytes, in order;
//   - no invention: nothing is recovered that was never appended at that
//     index, and nothing a completed TruncateAfter removed comes back;
//   - prefix: the recovered first index is one the log was asked for;
//   - a crash never makes recovery fail with ErrCorrupt;
//   - a stopped log refuses every change with ErrBroken;
//   - recovering twice gives the same log.
//
// The corruption test (corrupt_test.go) checks the last law of the issue:
// damage before records written after it was synced is reported, never
// cut silently.

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/eventually-perfect/primitives/sim"
	"pgregory.net/rapid"
)

var long = flag.Bool("long", false, "run the crash and corruption tests for millions of crash points (see the README)")

const dir = "/wal"

// chooser draws the workload's decisions: from rapid (shrinkable) or from
// a seeded source (fast).
type chooser interface {
	// intn returns a number in [0, n).
	intn(n int, label string) int
	bytes(n int) []byte
}

type randChooser struct{ r *rand.Rand }

func (c randChooser) intn(n int, _ string) int { return c.r.IntN(n) }
func (c randChooser) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(c.r.UintN(256))
	}
	return b
}

type rapidChooser struct{ t *rapid.T }

func (c rapidChooser) intn(n int, label string) int { return rapid.IntRange(0, n-1).Draw(c.t, label) }
func (c rapidChooser) bytes(n int) []byte {
	return rapid.SliceOfN(rapid.Byte(), n, n).Draw(c.t, "data")
}

// model is what the log may hold after a crash.
type model struct {
	base     uint64   // index of data[0]
	data     [][]byte // the records the log may hold, appended or attempted
	old      [][]byte // the records before an interrupted TruncateAfter, or nil
	minFirst uint64   // the recovered first index is in [minFirst, maxFirst]
	maxFirst uint64
	acked    uint64 // records in [first, acked] must be recovered
}

func (m *model) last() uint64 { return m.base + uint64(len(m.data)) - 1 }

// crashRun is one workload and its counters.
type crashRun struct {
	c       chooser
	d       *sim.Disk
	opts    Options
	l       *Log
	m       model
	faults  sim.DiskFaults
	crashes int
	steps   int
	trace   []string
}

func (r *crashRun) logf(format string, args ...any) {
	r.trace = append(r.trace, fmt.Sprintf(format, args...))
}

// violation is a broken law, with the run's trace.
func (r *crashRun) violation(format string, args ...any) error {
	tail := r.trace
	if len(tail) > 400 {
		tail = tail[len(tail)-400:]
	}
	msg := fmt.Sprintf(format, args...)
	for _, s := range tail {
		msg += "\n\t" + s
	}
	return errors.New(msg)
}

var segSizes = []int64{256, 512, 1024, 4096}

// runCrashes runs one workload of the given number of steps with mutant
// mut, and returns the first law it breaks.
func runCrashes(c chooser, seed uint64, steps int, mut mutant) (*crashRun, error) {
	faults := sim.DiskFaults{}
	switch c.intn(4, "faults") {
	case 1:
		faults.SyncFailure = 0.05
	case 2:
		faults.SyncFailure, faults.ShortWrite, faults.DirSyncFailure = 0.03, 0.03, 0.03
	}
	d, err := sim.NewDisk(rand.New(rand.NewPCG(seed, 0x5eed)), sim.DiskConfig{})
	if err != nil {
		return nil, err
	}
	r := &crashRun{c: c, d: d, steps: steps}
	r.opts = Options{SegmentSize: segSizes[c.intn(len(segSizes), "segment size")], mutant: mut}
	r.opts.FirstIndex = uint64(1 + c.intn(3, "first index"))
	r.m = model{base: r.opts.FirstIndex, minFirst: r.opts.FirstIndex, maxFirst: r.opts.FirstIndex, acked: r.opts.FirstIndex - 1}
	if r.l, err = Open(d, dir, r.opts); err != nil {
		return r, fmt.Errorf("open a new log: %w", err)
	}
	r.faults = faults
	_ = d.SetFaults(faults)
	r.halt()
	for i := 0; i < steps; i++ {
		if err := r.step(); err != nil {
			return r, err
		}
	}
	// End with a crash, so every workload checks one at its end.
	return r, r.crash()
}

// halt places the next crash inside the operations to come, or nowhere.
func (r *crashRun) halt() {
	if r.c.intn(2, "halt") == 0 {
		n := 1 + r.c.intn(60, "halt after")
		r.d.HaltAfter(n)
		r.logf("halt after %d disk operations", n)
	}
}

func (r *crashRun) step() error {
	l, m := r.l, &r.m
	switch op := r.c.intn(20, "op"); {
	case op < 9: // append a batch
		n := 1 + r.c.intn(4, "batch")
		recs := make([][]byte, n)
		for i := range recs {
			recs[i] = r.c.bytes(r.c.intn(min(300, l.opts.MaxRecordSize+1), "size"))
		}
		old := m.last()
		first, err := l.AppendBatch(recs)
		r.logf("append %d records at %d: %v", n, old+1, err)
		if err == nil && first != old+1 {
			return r.violation("append: AppendBatch returned index %d, the log ends at %d", first, old)
		}
		m.data = append(m.data, recs...) // appended, or perhaps appended
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrBroken) {
			return r.violation("append: error %v does not wrap ErrBroken", err)
		}
		return r.afterError()
	case op < 14: // sync
		err := l.Sync()
		r.logf("sync up to %d: %v", m.last(), err)
		if err == nil {
			m.acked = m.last()
			return nil
		}
		return r.afterError()
	case op < 16: // truncate a suffix
		t := m.base - 1 + uint64(r.c.intn(len(m.data)+1, "truncate after"))
		t = max(t, l.FirstIndex()-1)
		m.old = m.data
		m.data = m.data[:t+1-m.base]
		err := l.TruncateAfter(t)
		r.logf("truncate after %d: %v", t, err)
		if err == nil {
			m.old = nil
			m.acked = t
			return nil
		}
		m.acked = min(m.acked, t)
		return r.afterError()
	case op < 18: // truncate a prefix
		f := l.FirstIndex() + uint64(r.c.intn(int(m.last()+3-l.FirstIndex()), "truncate before"))
		err := l.TruncateBefore(f)
		r.logf("truncate before %d: %v", f, err)
		m.maxFirst = max(m.maxFirst, f)
		if err == nil {
			m.acked = m.last()
			if f > m.last()+1 {
				m.data, m.base = nil, f
			} else if f > m.base {
				m.data = m.data[f-m.base:]
				m.base = f
			}
			m.minFirst = max(m.minFirst, f)
			m.acked = max(m.acked, f-1)
			return nil
		}
		return r.afterError()
	case op < 19: // close and open again
		err := l.Close()
		r.logf("close: %v", err)
		if err == nil {
			m.acked = m.last()
		}
		return r.recover(false)
	default:
		return r.crash()
	}
}

// afterError goes on after a call failed: the log must have stopped. It
// may try another call first (a naive caller retrying), which must fail
// with ErrBroken; then it recovers, with or without a crash.
func (r *crashRun) afterError() error {
	if err := r.l.usable(); !errors.Is(err, ErrBroken) {
		return r.violation("fsyncgate: a call failed and the log did not stop (usable: %v)", err)
	}
	if r.c.intn(2, "retry") == 0 {
		err := r.l.Sync()
		r.logf("retry sync: %v", err)
		if err == nil {
			r.m.acked = r.m.last()
		} else if !errors.Is(err, ErrBroken) {
			return r.violation("a stopped log's Sync failed with %v, not ErrBroken", err)
		}
	}
	if r.d.Halted() || r.c.intn(2, "crash after error") == 0 {
		return r.crash()
	}
	_ = r.l.Close()
	return r.recover(false)
}

func (r *crashRun) crash() error {
	r.d.Crash()
	r.crashes++
	r.logf("crash")
	return r.recover(true)
}

// recover opens the log, checks the laws, and makes the recovered log the
// model.
func (r *crashRun) recover(crashed bool) error {
	var l *Log
	var err error
	for attempt := 0; ; attempt++ {
		if attempt == 3 {
			_ = r.d.SetFaults(sim.DiskFaults{})
		}
		l, err = Open(r.d, dir, r.opts)
		if err == nil && r.d.Halted() {
			// The disk halted just after Open's last write: a crash
			// inside recovery.
			_ = l.Close()
			err = errors.New("halted at the end of Open")
		}
		if err == nil {
			break
		}
		if errors.Is(err, ErrCorrupt) {
			return r.violation("a crash made recovery fail: %v", err)
		}
		r.logf("open: %v", err)
		if attempt > 6 {
			return r.violation("open keeps failing: %v", err)
		}
		if r.d.Halted() || r.c.intn(2, "crash after failed open") == 0 {
			r.d.Crash()
			r.crashes++
			r.logf("crash")
		}
	}
	if err := r.check(l, crashed); err != nil {
		return err
	}
	// Recovering twice gives the same log.
	if r.c.intn(4, "twice") == 0 {
		got := contents(l)
		_ = l.Close()
		if r.c.intn(2, "crash between") == 0 {
			r.d.Crash()
			r.crashes++
		}
		_ = r.d.SetFaults(sim.DiskFaults{})
		r.d.HaltAfter(-1)
		l2, err := Open(r.d, dir, r.opts)
		if err != nil {
			return r.violation("recovering twice: the second Open failed: %v", err)
		}
		if again := contents(l2); again.String() != got.String() {
			return r.violation("recovering twice gave another log: %v, then %v", got, again)
		}
		l = l2
	}
	r.l = l
	first, last := l.FirstIndex(), l.LastIndex()
	recs := make([][]byte, 0, last+1-first)
	for i := first; i <= last; i++ {
		b, err := l.Read(i)
		if err != nil {
			return r.violation("read %d after recovery: %v", i, err)
		}
		recs = append(recs, b)
	}
	r.m = model{base: first, data: recs, minFirst: first, maxFirst: first, acked: last}
	_ = r.d.SetFaults(r.faults)
	r.halt()
	return nil
}

// snapshot is a log's contents, for comparison.
type snapshot struct {
	first uint64
	recs  [][]byte
	err   error
}

func (s snapshot) String() string {
	return fmt.Sprintf("first %d, %d records %x, err %v", s.first, len(s.recs), s.recs, s.err)
}

func contents(l *Log) snapshot {
	s := snapshot{first: l.FirstIndex()}
	it := l.Iterator(s.first)
	for it.Next() {
		s.recs = append(s.recs, it.Record())
	}
	s.err = it.Err()
	return s
}

// check compares the recovered log l with the model.
func (r *crashRun) check(l *Log, crashed bool) error {
	m := &r.m
	first, last := l.FirstIndex(), l.LastIndex()
	r.logf("recovered [%d, %d] (crashed %v; model [%d, %d], acked %d, first in [%d, %d]); %+v",
		first, last, crashed, m.base, m.last(), m.acked, m.minFirst, m.maxFirst, l.Recovery())
	if first < m.minFirst || first > m.maxFirst {
		return r.violation("prefix: recovered first index %d, the log was asked to start within [%d, %d]", first, m.minFirst, m.maxFirst)
	}
	if last+1 < first {
		return r.violation("recovered last index %d below first index %d", last, first)
	}
	if m.acked >= first && last < m.acked {
		return r.violation("durability: record %d was acknowledged as synced and is lost (recovered [%d, %d])", m.acked, first, last)
	}
	matches := func(cand [][]byte) (uint64, bool) {
		for i := first; i <= last; i++ {
			if i < m.base || i-m.base >= uint64(len(cand)) {
				return i, false
			}
			b, err := l.Read(i)
			if err != nil || !bytes.Equal(b, cand[i-m.base]) {
				return i, false
			}
		}
		return 0, true
	}
	bad, ok := matches(m.data)
	if !ok && m.old != nil {
		_, ok = matches(m.old)
	}
	if !ok {
		b, err := l.Read(bad)
		return r.violation("no invention: recovered record %d is %x (%v), which was never appended there or was truncated (model holds [%d, %d])",
			bad, b, err, m.base, m.last())
	}
	return nil
}

// crashPoints runs seeded workloads until n crashes happened, and returns
// the first violation.
func crashPoints(n int, seed uint64, mut mutant) (crashes, workloads int, err error) {
	for crashes < n {
		c := randChooser{rand.New(rand.NewPCG(seed, uint64(workloads)))}
		r, err := runCrashes(c, seed+uint64(workloads), 60, mut)
		if r != nil {
			crashes += r.crashes
		}
		workloads++
		if err != nil {
			return crashes, workloads, fmt.Errorf("workload %d of seed %d: %w", workloads-1, seed, err)
		}
	}
	return crashes, workloads, nil
}

func TestCrashRecovery(t *testing.T) {
	n := 20000
	if raceEnabled {
		n = 5000
	}
	if *long {
		n = 2_000_000
	}
	if s := os.Getenv("WAL_CRASHES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	crashes, workloads, err := crashPoints(n, 1, mutNone)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d crash points in %d workloads", crashes, workloads)
}

func TestCrashRecoveryRapid(t *testing.T) {
	crashes := 0
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		r, err := runCrashes(rapidChooser{t}, seed, rapid.IntRange(1, 40).Draw(t, "steps"), mutNone)
		if r != nil {
			crashes += r.crashes
		}
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%d crash points", crashes)
}
