package clocks_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/eventually-perfect/primitives/clocks"
)

// Properties of the hybrid logical clock over random message-passing
// histories (drawHistory) run against random physical clocks, checked with
// the happened-before oracle. The theorems are those of section 3 of
// Kulkarni et al., "Logical Physical Clocks" (OPODIS 2014).
//
// The model of physical time: a true time T starts at hlcStart and advances
// by a drawn step (often 0, so events share physical readings and the
// logical counter is exercised) before each event. Process p's physical
// clock reads T + off_p(T), where off_p(T) = off_p + drift_p·(T−hlcStart)
// (drift in parts per million, exaggerated up to ±30%, so it matters over a
// short history), clamped to [−eps, eps]. So every physical clock is within
// eps of true time and never runs backwards. One variant lets clocks also
// jump by up to an hour either way, as NTP or an operator may step them.

// hlcStart is the true time at which histories begin: 2023-11-14T22:13:20Z.
const hlcStart = int64(1_700_000_000_000_000_000)

// physicalModel is a drawn set of physical clocks for a history.
type physicalModel struct {
	eps      int64   // every clock is within eps of true time (unless jumps)
	trueTime []int64 // true time of each event
	pt       []int64 // the physical reading at each event, on its process's clock
}

// drawPhysical draws physical clocks for h and the reading each event
// takes. With jumps, a process's clock is stepped by up to an hour either
// way before some of its events, so readings are neither monotonic nor
// within eps of true time.
func drawPhysical(t *rapid.T, h history, jumps bool) physicalModel {
	eps := rapid.Int64Range(0, 50).Draw(t, "eps")
	offset := make([]int64, h.procs)
	drift := make([]int64, h.procs)
	for p := range h.procs {
		offset[p] = rapid.Int64Range(-eps, eps).Draw(t, "offset")
		drift[p] = rapid.Int64Range(-300_000, 300_000).Draw(t, "driftPPM")
	}
	jump := make([]int64, h.procs) // accumulated steps of each clock
	m := physicalModel{eps: eps, trueTime: make([]int64, len(h.events)), pt: make([]int64, len(h.events))}
	now := hlcStart
	for i, ev := range h.events {
		now += rapid.Int64Range(0, 20).Draw(t, "step")
		p := ev.proc
		off := min(max(offset[p]+drift[p]*(now-hlcStart)/1_000_000, -eps), eps)
		if jumps && rapid.IntRange(0, 4).Draw(t, "jump?") == 0 {
			jump[p] += rapid.Int64Range(-int64(time.Hour), int64(time.Hour)).Draw(t, "jump")
		}
		m.trueTime[i] = now
		m.pt[i] = now + off + jump[p]
	}
	return m
}

// hybridRun is the result of replaying a history on hybrid clocks.
type hybridRun struct {
	ts  []clocks.Timestamp // the timestamp of each event
	err []error            // the error of each receive event's Update
}

// replayHybrid replays h with one Hybrid per process, reading the physical
// times pt. A local event or a send calls Now (a message carries the send's
// timestamp); a receive calls Update with it. A rejected Update leaves the
// event's timestamp zero.
func replayHybrid(h history, pt []int64, maxOffset time.Duration) hybridRun {
	reading := make([]int64, h.procs)
	procs := make([]*clocks.Hybrid, h.procs)
	for p := range procs {
		procs[p] = clocks.NewHybrid(func() int64 { return reading[p] }, maxOffset)
	}
	run := hybridRun{ts: make([]clocks.Timestamp, len(h.events)), err: make([]error, len(h.events))}
	for i, ev := range h.events {
		reading[ev.proc] = pt[i]
		switch ev.kind {
		case localEvent, sendEvent:
			run.ts[i] = procs[ev.proc].Now()
		case recvEvent:
			run.ts[i], run.err[i] = procs[ev.proc].Update(run.ts[ev.msg])
		}
	}
	return run
}

// checkHybridLaws checks the laws that hold whatever the physical clocks
// do, as long as no Update is rejected and no logical counter overflows.
func checkHybridLaws(t *rapid.T, h history, m physicalModel, run hybridRun) {
	last := make([]int, h.procs) // index of each process's previous event
	for p := range last {
		last[p] = -1
	}
	for j, ev := range h.events {
		if run.err[j] != nil {
			t.Fatalf("Update rejected a remote with no maximum offset set: e%d: %v\n%s", j, run.err[j], h)
		}
		tj := run.ts[j]

		// Monotonicity: a clock's successive timestamps strictly increase.
		if prev := last[ev.proc]; prev >= 0 && !run.ts[prev].Before(tj) {
			t.Fatalf("hybrid clock is not monotonic: %s issued %v at e%d then %v at e%d\n%s",
				procName(ev.proc), run.ts[prev], prev, tj, j, h)
		}
		last[ev.proc] = j

		// Never behind physical time (l.f >= pt.f).
		if tj.Wall < m.pt[j] {
			t.Fatalf("hybrid wall time is behind physical time: e%d has %v, physical clock read %d\n%s", j, tj, m.pt[j], h)
		}

		// l.f is the largest physical reading in f's causal past (f included),
		// the fact from which the paper's bound on l - pt follows. And the
		// counter is bounded (the paper's corollary to its theorem on c): c.f
		// is at most the number of events g -> f with l.g = l.f.
		maxPT := m.pt[j]
		sameWall := 0
		for i := range j {
			if !h.happenedBefore(i, j) {
				continue
			}
			maxPT = max(maxPT, m.pt[i])
			if run.ts[i].Wall == tj.Wall {
				sameWall++
			}
			// Causality (the clock condition): e -> f implies ts(e) < ts(f).
			if !run.ts[i].Before(tj) {
				t.Fatalf("causality violated: e%d happened before e%d but %v is not before %v\n%s", i, j, run.ts[i], tj, h)
			}
		}
		if tj.Wall != maxPT {
			t.Fatalf("hybrid wall time is not the largest physical time in the causal past: e%d has %v, largest physical reading %d\n%s",
				j, tj, maxPT, h)
		}
		if int(tj.Logical) > sameWall {
			t.Fatalf("logical counter exceeds the number of causally preceding events with the same wall time: e%d has %v, %d such events\n%s",
				j, tj, sameWall, h)
		}
	}
}

func TestHybridLawsWithSynchronisedClocks(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := drawHistory(t, 5, 40)
		m := drawPhysical(t, h, false)
		run := replayHybrid(h, m.pt, 0)
		checkHybridLaws(t, h, m, run)

		// Bounded divergence. Let f be an event on j and g an event with
		// l.f = pt.g (it exists by the law above) on k, at true times
		// T(g) <= T(f). Then pt.g <= T(g) + eps <= T(f) + eps and
		// pt.f >= T(f) - eps, so l.f - pt.f <= 2·eps. (The paper states
		// it as l.f - pt.f <= ε for clocks at most ε apart, which with every
		// clock within eps of true time is ε = 2·eps.)
		for j, tj := range run.ts {
			if m.pt[j] < m.trueTime[j]-m.eps || m.pt[j] > m.trueTime[j]+m.eps {
				t.Fatalf("test model broken: e%d physical reading %d more than eps=%d from true time %d", j, m.pt[j], m.eps, m.trueTime[j])
			}
			if d := tj.Wall - m.pt[j]; d > 2*m.eps {
				t.Fatalf("hybrid wall time drifted from physical time by more than 2·eps: e%d has %v, physical reading %d, eps %d\n%s",
					j, tj, m.pt[j], m.eps, h)
			}
		}
	})
}

func TestHybridLawsWithClocksSteppingBack(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := drawHistory(t, 5, 40)
		m := drawPhysical(t, h, true)
		checkHybridLaws(t, h, m, replayHybrid(h, m.pt, 0))
	})
}

// With a maximum offset, Update rejects exactly the remotes more than that
// far ahead of physical time, returning the zero Timestamp and leaving the
// clock unchanged. Peers whose clocks are healthy (within eps of true time,
// 2·eps <= maxOffset) are never rejected: by the bound above, a message's
// wall time is at most 2·eps ahead of any physical clock that receives it.
func TestHybridMaxOffsetRejectsExactlyRemotesTooFarAhead(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := drawHistory(t, 5, 40)
		m := drawPhysical(t, h, false)
		maxOffset := time.Duration(rapid.Int64Range(1, 150).Draw(t, "maxOffset"))

		reading := make([]int64, h.procs)
		procs := make([]*clocks.Hybrid, h.procs)
		for p := range procs {
			procs[p] = clocks.NewHybrid(func() int64 { return reading[p] }, maxOffset)
		}
		stamps := make([]clocks.Timestamp, len(h.events))
		for i, ev := range h.events {
			reading[ev.proc] = m.pt[i]
			c := procs[ev.proc]
			before := c.Last()
			if ev.kind != recvEvent {
				stamps[i] = c.Now()
				continue
			}
			remote := stamps[ev.msg]
			got, err := c.Update(remote)
			tooFar := remote.Wall-m.pt[i] > int64(maxOffset)
			switch {
			case tooFar && err == nil:
				t.Fatalf("Update accepted a remote %v more than %v ahead of physical time %d at e%d\n%s", remote, maxOffset, m.pt[i], i, h)
			case !tooFar && err != nil:
				t.Fatalf("Update rejected a remote %v within %v of physical time %d at e%d: %v\n%s", remote, maxOffset, m.pt[i], i, err, h)
			case err != nil && !errors.Is(err, clocks.ErrClockOffset):
				t.Fatalf("a rejected Update must wrap ErrClockOffset, got %v", err)
			case err != nil && !got.IsZero():
				t.Fatalf("a rejected Update must return the zero Timestamp, got %v", got)
			case err != nil && c.Last() != before:
				t.Fatalf("a rejected Update must leave the clock unchanged: %v became %v", before, c.Last())
			case err == nil && !(before.Before(got) && remote.Before(got)):
				t.Fatalf("an accepted Update must return a timestamp after the clock's last (%v) and the remote (%v), got %v", before, remote, got)
			case err != nil && 2*m.eps <= int64(maxOffset):
				t.Fatalf("Update rejected a healthy peer: clocks within eps=%d of true time, maxOffset %v, e%d: %v\n%s", m.eps, maxOffset, i, err, h)
			}
			stamps[i] = got
		}
	})
}

// hybridMachine checks a single clock against a specification small enough
// to be obviously right: an event's timestamp is the least timestamp that
// is after everything the clock has issued (and, on receipt, after the
// message) and not behind the physical clock. The paper's case analysis of
// the counter computes exactly that; so does the carry into the wall time
// when the counter is full.
type hybridMachine struct {
	physical  int64
	maxOffset time.Duration
	clock     *clocks.Hybrid
	last      clocks.Timestamp // the model: the least timestamp the next event must exceed
}

// successorOf is the next timestamp after ts in the total order.
func successorOf(ts clocks.Timestamp) clocks.Timestamp {
	if ts.Logical == math.MaxUint32 {
		return clocks.Timestamp{Wall: ts.Wall + 1}
	}
	return clocks.Timestamp{Wall: ts.Wall, Logical: ts.Logical + 1}
}

func laterOf(a, b clocks.Timestamp) clocks.Timestamp {
	if a.Before(b) {
		return b
	}
	return a
}

func (m *hybridMachine) Now(t *rapid.T) {
	want := laterOf(successorOf(m.last), clocks.Timestamp{Wall: m.physical})
	got := m.clock.Now()
	if got != want {
		t.Fatalf("Now is not the least timestamp after %v and not behind physical time %d: got %v, want %v", m.last, m.physical, got, want)
	}
	m.last = got
}

func (m *hybridMachine) Update(t *rapid.T) {
	remote := clocks.Timestamp{
		Wall:    m.physical + rapid.Int64Range(-2000, 2000).Draw(t, "remoteAhead"),
		Logical: drawLogical(t, "remoteLogical"),
	}
	if rapid.IntRange(0, 19).Draw(t, "extreme?") == 0 {
		remote.Wall = rapid.SampledFrom([]int64{math.MinInt64, clocks.MaxWall, clocks.MaxWall + 1, math.MaxInt64}).Draw(t, "remoteWall")
	}
	got, err := m.clock.Update(remote)
	reject := (m.maxOffset != 0 && remote.Wall > m.physical+int64(m.maxOffset)) || remote.Wall > clocks.MaxWall
	if reject {
		if !errors.Is(err, clocks.ErrClockOffset) || !got.IsZero() {
			t.Fatalf("Update(%v) with physical time %d and maxOffset %v must fail with ErrClockOffset and a zero Timestamp, got %v, %v",
				remote, m.physical, m.maxOffset, got, err)
		}
		if m.clock.Last() != m.last {
			t.Fatalf("a rejected Update must leave the clock unchanged: %v became %v", m.last, m.clock.Last())
		}
		return
	}
	want := laterOf(successorOf(laterOf(m.last, remote)), clocks.Timestamp{Wall: m.physical})
	if err != nil || got != want {
		t.Fatalf("Update(%v) is not the least timestamp after %v and the remote and not behind physical time %d: got %v (%v), want %v",
			remote, m.last, m.physical, got, err, want)
	}
	m.last = got
}

// StepPhysical moves the physical clock, mostly forward by a little, at
// times back or forward by up to an hour.
func (m *hybridMachine) StepPhysical(t *rapid.T) {
	if rapid.IntRange(0, 9).Draw(t, "big?") == 0 {
		m.physical += rapid.Int64Range(-int64(time.Hour), int64(time.Hour)).Draw(t, "jump")
		return
	}
	m.physical += rapid.Int64Range(-5, 20).Draw(t, "step")
}

// Restore a persisted timestamp, sometimes one with the counter nearly full.
func (m *hybridMachine) Restore(t *rapid.T) {
	ts := clocks.Timestamp{
		Wall:    m.physical + rapid.Int64Range(-100, 100).Draw(t, "restoreAhead"),
		Logical: drawLogical(t, "restoreLogical"),
	}
	if err := m.clock.Restore(ts); err != nil {
		t.Fatalf("Restore(%v) failed: %v", ts, err)
	}
	m.last = laterOf(m.last, ts)
}

func (m *hybridMachine) Check(t *rapid.T) {
	if got := m.clock.Last(); got != m.last {
		t.Fatalf("Last() = %v, the model says %v", got, m.last)
	}
}

// drawLogical draws a logical counter, a third of the time within a few
// steps of overflowing.
func drawLogical(t *rapid.T, label string) uint32 {
	if rapid.IntRange(0, 2).Draw(t, label+"Full?") == 0 {
		return math.MaxUint32 - rapid.Uint32Range(0, 3).Draw(t, label)
	}
	return rapid.Uint32Range(0, 5).Draw(t, label)
}

func TestHybridStateMachine(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := &hybridMachine{
			physical:  hlcStart,
			maxOffset: time.Duration(rapid.SampledFrom([]int64{0, 1, 1000, int64(time.Second)}).Draw(t, "maxOffset")),
		}
		m.clock = clocks.NewHybrid(func() int64 { return m.physical }, m.maxOffset)
		t.Repeat(rapid.StateMachineActions(m))
	})
}
