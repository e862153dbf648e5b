package clocks_test

// Property tests of interval tree clocks against reference models. The
// first drives random dynamic histories (replicas are forked, record events,
// exchange messages and retire by joining) and compares every comparison of
// stamps with a plain map-based vector clock kept beside each replica. The
// second replays the fixed-membership histories of history_test.go and
// compares the stamps with Lamport's happened-before computed from its
// definition.

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/eventually-perfect/primitives/clocks"
)

// The reference vector clock is mapClock (vector_prop_test.go), keyed by
// model replica name. Entries of retired replicas stay, as they do in a
// version vector.

// itcReplica is a live replica: its stamp, its reference clock, and the
// unique model name it was given when it was forked.
type itcReplica struct {
	name  string
	stamp clocks.Stamp
	ref   mapClock
}

// itcMessage is a message in flight: the anonymous stamp it carries and
// the reference clock of the send.
type itcMessage struct {
	from  string
	stamp clocks.Stamp
	ref   mapClock
}

// itcMachine is a rapid state machine whose actions build a dynamic history
// and whose Check compares the stamps with the reference model.
type itcMachine struct {
	live    []itcReplica
	flight  []itcMessage
	created int
	log     []string
}

const (
	itcMaxLive   = 8
	itcMaxFlight = 8
)

func newITCMachine() *itcMachine {
	m := &itcMachine{}
	m.live = []itcReplica{{name: m.newName(), stamp: clocks.Seed(), ref: mapClock{}}}
	m.logf("r0 starts from the seed")
	return m
}

func (m *itcMachine) newName() string {
	m.created++
	return fmt.Sprintf("r%d", m.created-1)
}

func (m *itcMachine) logf(format string, args ...any) {
	m.log = append(m.log, fmt.Sprintf(format, args...))
}

func (m *itcMachine) history() string {
	return "history:\n  " + strings.Join(m.log, "\n  ")
}

func (m *itcMachine) pick(t *rapid.T, label string) int {
	return rapid.IntRange(0, len(m.live)-1).Draw(t, label)
}

// Fork creates a replica: one replica becomes two with disjoint ids and the
// same past (the reference gives the new one a fresh name and a copy of the
// clock).
func (m *itcMachine) Fork(t *rapid.T) {
	if len(m.live) >= itcMaxLive {
		t.Skip("enough replicas")
	}
	p := m.pick(t, "replica")
	orig := m.live[p]
	a, b := orig.stamp.Fork()
	if j, err := a.Join(b); err != nil || !j.Equal(orig.stamp) {
		t.Fatalf("fork then join must give back the stamp: fork(%s) = %s, %s, joined %s (%v)\n%s",
			orig.stamp, a, b, j, err, m.history())
	}
	child := itcReplica{name: m.newName(), stamp: b, ref: maps.Clone(orig.ref)}
	m.live[p].stamp = a
	m.live = append(m.live, child)
	m.logf("%s forks %s: %s and %s", orig.name, child.name, a, b)
}

// Event records a local event.
func (m *itcMachine) Event(t *rapid.T) {
	p := m.pick(t, "replica")
	r := &m.live[p]
	r.stamp = r.stamp.Event()
	r.ref[r.name]++
	m.logf("%s event: %s", r.name, r.stamp)
}

// Join retires one replica into another.
func (m *itcMachine) Join(t *rapid.T) {
	if len(m.live) < 2 {
		t.Skip("a join needs two replicas")
	}
	p := m.pick(t, "into")
	q := rapid.IntRange(0, len(m.live)-2).Draw(t, "retired")
	if q >= p {
		q++
	}
	a, b := m.live[p], m.live[q]
	j, err := a.stamp.Join(b.stamp)
	if err != nil {
		t.Fatalf("the ids of live replicas must never overlap: join(%s, %s): %v\n%s", a.stamp, b.stamp, err, m.history())
	}
	if k, _ := b.stamp.Join(a.stamp); !k.Equal(j) {
		t.Fatalf("join must be commutative: join(%s, %s) = %s but the other way %s\n%s", a.stamp, b.stamp, j, k, m.history())
	}
	m.live[p].stamp = j
	m.live[p].ref = a.ref.merged(b.ref)
	m.live = slices.Delete(m.live, q, q+1)
	m.logf("%s retires into %s: %s", b.name, a.name, j)
}

// Send records a send event and puts the message in flight.
func (m *itcMachine) Send(t *rapid.T) {
	if len(m.flight) >= itcMaxFlight {
		t.Skip("enough messages in flight")
	}
	p := m.pick(t, "replica")
	r := &m.live[p]
	var msg clocks.Stamp
	r.stamp, msg = r.stamp.Send()
	r.ref[r.name]++
	if !msg.IsAnonymous() {
		t.Fatalf("send must produce an anonymous message stamp, got %s\n%s", msg, m.history())
	}
	m.flight = append(m.flight, itcMessage{from: r.name, stamp: msg, ref: maps.Clone(r.ref)})
	m.logf("%s sends m%d: %s", r.name, len(m.flight)-1, msg)
}

// Receive delivers a message in flight; sometimes the network duplicates
// it, and it stays in flight to be delivered again.
func (m *itcMachine) Receive(t *rapid.T) {
	if len(m.flight) == 0 {
		t.Skip("nothing in flight")
	}
	p := m.pick(t, "replica")
	k := rapid.IntRange(0, len(m.flight)-1).Draw(t, "message")
	dup := rapid.IntRange(0, 3).Draw(t, "duplicate") == 0
	msg := m.flight[k]
	r := &m.live[p]
	s, err := r.stamp.Receive(msg.stamp)
	if err != nil {
		t.Fatalf("receiving an anonymous message never fails: receive(%s, %s): %v\n%s", r.stamp, msg.stamp, err, m.history())
	}
	r.stamp = s
	r.ref = r.ref.merged(msg.ref)
	r.ref[r.name]++
	if !dup {
		m.flight = slices.Delete(m.flight, k, k+1)
	}
	m.logf("%s receives message from %s (duplicate %v): %s", r.name, msg.from, dup, s)
}

type itcEntry struct {
	what  string
	stamp clocks.Stamp
	ref   mapClock
}

func (m *itcMachine) entries() []itcEntry {
	var out []itcEntry
	for _, r := range m.live {
		out = append(out, itcEntry{"replica " + r.name, r.stamp, r.ref})
	}
	for i, msg := range m.flight {
		out = append(out, itcEntry{fmt.Sprintf("message %d from %s", i, msg.from), msg.stamp, msg.ref})
	}
	return out
}

// Check runs after every action.
func (m *itcMachine) Check(t *rapid.T) {
	all := m.entries()
	for _, e := range all {
		checkStampWellFormed(t, e.what, e.stamp, m.history)
	}
	for _, x := range all {
		for _, y := range all {
			want, got := x.ref.compare(y.ref), x.stamp.Compare(y.stamp)
			if got != want {
				t.Fatalf("stamp comparison must agree with vector clocks: %s %s is %v to %s %s, reference says %v\n%s",
					x.what, x.stamp, got, y.what, y.stamp, want, m.history())
			}
		}
	}
	checkLeqPartialOrder(t, all, m.history)

	// Live ids are pairwise disjoint, and together they are the seed's.
	var sum clocks.Stamp
	for i, x := range m.live {
		if x.stamp.IsAnonymous() {
			t.Fatalf("a live replica must own part of the id space: %s %s\n%s", x.name, x.stamp, m.history())
		}
		for _, y := range m.live[i+1:] {
			if _, err := x.stamp.Join(y.stamp); err != nil {
				t.Fatalf("ids of live replicas must be disjoint: %s %s and %s %s: %v\n%s", x.name, x.stamp, y.name, y.stamp, err, m.history())
			}
		}
		var err error
		if sum, err = sum.Join(x.stamp); err != nil {
			t.Fatalf("ids of live replicas must be disjoint: %v\n%s", err, m.history())
		}
	}
	if !strings.HasPrefix(sum.String(), "(1, ") {
		t.Fatalf("the ids of all live replicas must sum to the seed's id 1, got %s\n%s", sum, m.history())
	}
}

// checkStampWellFormed checks that s is normalised and survives both
// encodings.
func checkStampWellFormed(t *rapid.T, what string, s clocks.Stamp, history func() string) {
	t.Helper()
	if err := clocks.StampNormalForm(s); err != nil {
		t.Fatalf("every stamp an operation returns must be normalised: %s %s: %v\n%s", what, s, err, history())
	}
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatalf("every stamp of a history must encode: %s %s: %v\n%s", what, s, err, history())
	}
	var back clocks.Stamp
	if err := back.UnmarshalBinary(b); err != nil || !back.Equal(s) {
		t.Fatalf("binary decoding must invert encoding: %s %s -> %x -> %s (%v)\n%s", what, s, b, back, err, history())
	}
	if p, err := clocks.ParseStamp(s.String()); err != nil || !p.Equal(s) {
		t.Fatalf("ParseStamp must invert String: %s %s -> %s (%v)\n%s", what, s, p, err, history())
	}
}

// checkLeqPartialOrder checks that Leq is reflexive, antisymmetric and
// transitive on the stamps, and that join is commutative on their event
// components and is their least upper bound.
func checkLeqPartialOrder(t *rapid.T, all []itcEntry, history func() string) {
	t.Helper()
	for _, x := range all {
		if !x.stamp.Leq(x.stamp) {
			t.Fatalf("leq must be reflexive: %s %s\n%s", x.what, x.stamp, history())
		}
		for _, y := range all {
			xy, yx := x.stamp.Leq(y.stamp), y.stamp.Leq(x.stamp)
			if xy && yx && !x.stamp.Peek().Equal(y.stamp.Peek()) {
				t.Fatalf("leq must be antisymmetric: %s ≤ %s and back, yet their events differ\n%s", x.stamp, y.stamp, history())
			}
			a, errA := x.stamp.Peek().Join(y.stamp.Peek())
			b, errB := y.stamp.Peek().Join(x.stamp.Peek())
			if errA != nil || errB != nil || !a.Equal(b) {
				t.Fatalf("join must be commutative on event components: %s, %s give %s and %s\n%s", x.stamp, y.stamp, a, b, history())
			}
			if !x.stamp.Leq(a) || !y.stamp.Leq(a) || a.Equal(y.stamp.Peek()) != xy {
				t.Fatalf("join must be the least upper bound: join(%s, %s) = %s\n%s", x.stamp, y.stamp, a, history())
			}
			if !xy {
				continue
			}
			for _, z := range all {
				if y.stamp.Leq(z.stamp) && !x.stamp.Leq(z.stamp) {
					t.Fatalf("leq must be transitive: %s ≤ %s ≤ %s\n%s", x.stamp, y.stamp, z.stamp, history())
				}
			}
		}
	}
}

// TestStampAgreesWithVectorClocksOnDynamicHistories is the model-based
// test: replicas come and go, and after every step every pair of live
// stamps and messages in flight compares as their reference vector clocks
// do.
func TestStampAgreesWithVectorClocksOnDynamicHistories(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := newITCMachine()
		t.Repeat(rapid.StateMachineActions(m))
		// Retire everyone: the last replica must own the whole id space.
		for len(m.live) > 1 {
			last := m.live[len(m.live)-1]
			j, err := m.live[0].stamp.Join(last.stamp)
			if err != nil {
				t.Fatalf("retiring %s: %v\n%s", last.name, err, m.history())
			}
			m.live[0].stamp = j
			m.live = m.live[:len(m.live)-1]
		}
		if !strings.HasPrefix(m.live[0].stamp.String(), "(1, ") {
			t.Fatalf("joining every replica must give back the id 1, got %s\n%s", m.live[0].stamp, m.history())
		}
	})
}

// TestStampHappenedBeforeOnHistories replays the fixed-membership
// histories of history_test.go: the seed is forked into h.procs replicas,
// local events are Event, sends are Send and receipts are Receive of the
// message's stamp. Event i happened before event j exactly when the stamp
// after i is Before the stamp after j.
func TestStampHappenedBeforeOnHistories(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := drawHistory(t, 6, 40)
		replicas := []clocks.Stamp{clocks.Seed()}
		for len(replicas) < h.procs {
			k := rapid.IntRange(0, len(replicas)-1).Draw(t, "fork")
			a, b := replicas[k].Fork()
			replicas[k] = a
			replicas = append(replicas, b)
		}
		after := make([]clocks.Stamp, len(h.events))
		msgs := map[int]clocks.Stamp{}
		for i, ev := range h.events {
			p := ev.proc
			switch ev.kind {
			case localEvent:
				replicas[p] = replicas[p].Event()
			case sendEvent:
				replicas[p], msgs[i] = replicas[p].Send()
			case recvEvent:
				s, err := replicas[p].Receive(msgs[ev.msg])
				if err != nil {
					t.Fatalf("receive must accept any message: %v\n%s", err, h)
				}
				replicas[p] = s
			}
			after[i] = replicas[p]
		}
		for i := range after {
			for j := range after {
				got := after[i].Compare(after[j]) == clocks.Before
				if want := h.happenedBefore(i, j); got != want {
					t.Fatalf("e%d happened before e%d is %v, but stamps %s and %s compare %v\n%s",
						i, j, want, after[i], after[j], after[i].Compare(after[j]), h)
				}
				if i != j && after[i].Compare(after[j]) == clocks.Equal {
					t.Fatalf("distinct events must have distinct stamps: e%d and e%d both %s\n%s", i, j, after[i], h)
				}
			}
		}
	})
}
