package sim

import (
	"bytes"
	"encoding"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
)

// This file holds the explorer's state representation and the step
// function: how one action turns a state into its successor.

// The fault budgets a path spends, in the order of the state encoding.
const (
	budgetDrops = iota
	budgetDuplicates
	budgetCrashes
	budgetRestarts
	budgetTimeouts
	budgetDelays // out-of-order deliveries, under DelayBounding
	budgetPartitions
	budgetHolds
	numBudgets
)

// explorer holds what every worker shares, read only during the search.
type explorer[M any, N Explorable[M, N]] struct {
	cfg       ExploreConfig[M, N]
	ids       []string
	index     map[string]int
	peers     [][]string
	idSeed    []uint64 // hash of each node's identifier, to seed its Rand
	bounds    [numBudgets]int32
	encode    func(b []byte, m M) []byte
	maxStates int
	workers   int

	// network: MaxPartitions or MaxHolds is set, so the state encoding
	// holds the partition, the held messages and their budgets.
	network bool
	// cuts are the partitions a change may choose (see state.cut), none
	// (0) first.
	cuts []uint64

	// ordered: DelayBounding, the messages in flight are a queue in send
	// order. encodedBudgets is how many of the budgets the state encoding
	// holds: all of them when ordered, and without the delays otherwise,
	// so that the default mode's states encode as they always have.
	ordered        bool
	encodedBudgets int

	// Symmetry reduction (ExploreConfig.Symmetric): sym lists the nodes of
	// the symmetric group in node order, symOf maps a node to its position
	// in sym or -1; both empty without symmetry.
	sym           []int
	symOf         []int
	appendRenamed func(n N, b []byte, rename func(string) string) []byte

	visited visitedSet
}

// state is one global state of the explored system. States are immutable
// once built: a successor copies the slices it changes and shares the
// node values, storages, timer lists and messages it does not.
type state[M any, N any] struct {
	nodes []nodeSlot[N]
	// flight holds the messages in flight: sorted by message encoding, no
	// two equal; or, under DelayBounding, in the order they were sent, one
	// entry per copy.
	flight []flightEntry[M]
	used   [numBudgets]int32
	// cut is the network's partition: bit i set puts node i on the side
	// away from the first node; 0 means no partition.
	cut uint64
	// held holds the messages delayed long (MaxHolds), in the order they
	// were held; they wait outside flight and do not keep timers from
	// firing.
	held []flightEntry[M]
	h    [2]uint64 // hash of the canonical encoding
}

// nodeSlot is one node's part of a state.
type nodeSlot[N any] struct {
	n       N // the volatile value; the zero N while crashed
	storage *Storage
	timers  []string // pending timer names, sorted; nil while crashed
	up      bool
	sh      [2]uint64 // hash of the storage's encoding
	h       [2]uint64 // hash of up, n, sh and timers
}

// flightEntry is a message in flight and how many copies of it are.
type flightEntry[M any] struct {
	msg   *message[M]
	count int32
}

// message is a message sent during the search, with its canonical
// encoding. Messages are immutable and shared between states.
type message[M any] struct {
	env  Envelope[M]
	from int    // index of env.From, or -1 for a client
	to   int    // index of env.To, or -1 for a client
	enc  []byte // From, To and EncodeMessage(Msg), the sort key
	body int    // where EncodeMessage(Msg) starts in enc
	h    [2]uint64
}

// copyFrom makes t a copy of s that can be changed without changing s,
// reusing t's slices.
func (t *state[M, N]) copyFrom(s *state[M, N]) {
	t.nodes = append(t.nodes[:0], s.nodes...)
	t.flight = append(t.flight[:0], s.flight...)
	t.used = s.used
	t.cut = s.cut
	t.held = append(t.held[:0], s.held...)
	t.h = s.h
}

// keep returns a copy of s in memory of its own, to outlive the scratch
// state s.
func (s *state[M, N]) keep() *state[M, N] {
	return &state[M, N]{
		nodes:  slices.Clone(s.nodes),
		flight: slices.Clone(s.flight),
		used:   s.used,
		cut:    s.cut,
		held:   slices.Clone(s.held),
		h:      s.h,
	}
}

// crosses reports whether the partition of s separates the sender and the
// destination of m; a message from or to a client never crosses.
func (s *state[M, N]) crosses(m *message[M]) bool {
	if s.cut == 0 || m.from < 0 || m.to < 0 {
		return false
	}
	return (s.cut>>m.from)&1 != (s.cut>>m.to)&1
}

// addMessage adds a copy of m to the messages in flight: at the end of
// the queue if ordered, else into the sorted multiset.
func (s *state[M, N]) addMessage(m *message[M], ordered bool) {
	if ordered {
		s.flight = append(s.flight, flightEntry[M]{msg: m, count: 1})
		return
	}
	s.flight = insertSorted(s.flight, m)
}

// takeMessage removes a copy of the i-th message in flight and returns it.
func (s *state[M, N]) takeMessage(i int) *message[M] { return takeEntry(&s.flight, i) }

// The kinds of actions, in the order they are tried from each state.
const (
	actDeliver = iota
	actTimer
	actDrop
	actDuplicate
	actCrash
	actRestart
	actHold      // hold a deliverable message: a long delay
	actRelease   // deliver a held message
	actPartition // change the partition: idx is the new cut's position in explorer.cuts
)

// action is one step from a state: a kind in the top 4 bits and an index
// in the rest. The index refers to the state the action applies to: the
// position of a message in flight or held, of a pending timer among those
// of all up nodes in node order, of a node, or the new partition's cut.
// Since states are canonical, an action replays to the same successor.
type action uint32

const actionShift = 28

func makeAction(kind, idx int) action { return action(kind)<<actionShift | action(idx) }
func (a action) kind() int            { return int(a >> actionShift) }
func (a action) idx() int             { return int(a & (1<<actionShift - 1)) }

// forActions calls f with every action enabled in s, in the canonical
// order: deliveries, timers, drops, duplicates, crashes, restarts. It stops
// early if f returns false.
//
// Under DelayBounding, the first deliverable message in the queue is
// always offered, the others only while delays are left; and a message
// equal to one earlier in the queue is not offered for delivery, drop or
// duplication, since taking the earlier copy gives the same successor at
// no greater cost.
func (x *explorer[M, N]) forActions(s *state[M, N], f func(a action) bool) {
	deliverable := false
	delays := s.used[budgetDelays] < x.bounds[budgetDelays]
	for j, e := range s.flight {
		if to := e.msg.to; to >= 0 && s.nodes[to].up {
			if x.ordered && (deliverable && !delays || s.repeats(j)) {
				continue
			}
			deliverable = true
			if !f(makeAction(actDeliver, j)) {
				return
			}
		}
	}
	// In the synchronous model a timer fires only once every message that
	// can be delivered has been: timeouts are longer than message delays.
	if s.used[budgetTimeouts] < x.bounds[budgetTimeouts] && !(x.cfg.Synchronous && deliverable) {
		k := 0
		for i := range s.nodes {
			for range s.nodes[i].timers {
				if !f(makeAction(actTimer, k)) {
					return
				}
				k++
			}
		}
	}
	for _, kind := range [...]int{actDrop, actDuplicate} {
		b := budgetDrops
		if kind == actDuplicate {
			b = budgetDuplicates
		}
		if s.used[b] >= x.bounds[b] {
			continue
		}
		for j, e := range s.flight {
			if e.msg.to >= 0 && !(x.ordered && s.repeats(j)) {
				if !f(makeAction(kind, j)) {
					return
				}
			}
		}
	}
	for _, kind := range [...]int{actCrash, actRestart} {
		b, up := budgetCrashes, true
		if kind == actRestart {
			b, up = budgetRestarts, false
		}
		if s.used[b] >= x.bounds[b] {
			continue
		}
		for i := range s.nodes {
			if s.nodes[i].up == up {
				if !f(makeAction(kind, i)) {
					return
				}
			}
		}
	}
	if x.network {
		x.forNetworkActions(s, deliverable, delays, f)
	}
}

// forNetworkActions continues forActions with the actions of MaxHolds and
// MaxPartitions: hold any message a delivery is offered for, deliver any
// held message to an up node, and change the partition (under
// Synchronous, only when no message can be delivered, as for timers).
func (x *explorer[M, N]) forNetworkActions(s *state[M, N], deliverable, delays bool, f func(a action) bool) {
	if s.used[budgetHolds] < x.bounds[budgetHolds] {
		first := true
		for j, e := range s.flight {
			if to := e.msg.to; to >= 0 && s.nodes[to].up {
				if x.ordered && (!first && !delays || s.repeats(j)) {
					continue
				}
				first = false
				if x.cfg.Holdable != nil && !x.cfg.Holdable(e.msg.env) {
					continue
				}
				if !f(makeAction(actHold, j)) {
					return
				}
			}
		}
	}
	for j, e := range s.held {
		if s.nodes[e.msg.to].up && !(x.ordered && heldRepeats(s.held, j)) {
			if !f(makeAction(actRelease, j)) {
				return
			}
		}
	}
	if s.used[budgetPartitions] < x.bounds[budgetPartitions] && !(x.cfg.Synchronous && deliverable) {
		for k, c := range x.cuts {
			if c != s.cut && !f(makeAction(actPartition, k)) {
				return
			}
		}
	}
}

// heldRepeats reports whether held[j] is a copy of an earlier held message.
func heldRepeats[M any](held []flightEntry[M], j int) bool {
	m := held[j].msg
	for _, e := range held[:j] {
		if e.msg == m || e.msg.h == m.h && bytes.Equal(e.msg.enc, m.enc) {
			return true
		}
	}
	return false
}

// repeats reports whether the j-th message in flight is a copy of an
// earlier one (same encoding, so same sender and destination) in an
// ordered queue. Equal messages usually share one *message, since a
// worker builds each message once, but not always (each worker has its
// own, and forgets them when it has built too many), so the encodings
// decide: the actions offered must not depend on the worker.
func (s *state[M, N]) repeats(j int) bool {
	m := s.flight[j].msg
	for _, e := range s.flight[:j] {
		if e.msg == m || e.msg.h == m.h && bytes.Equal(e.msg.enc, m.enc) {
			return true
		}
	}
	return false
}

// firstDeliverable returns the position of the oldest message in flight
// to an up node, or -1.
func (s *state[M, N]) firstDeliverable() int {
	for j, e := range s.flight {
		if to := e.msg.to; to >= 0 && s.nodes[to].up {
			return j
		}
	}
	return -1
}

// hasActions reports whether any action is enabled in s.
func (x *explorer[M, N]) hasActions(s *state[M, N]) bool {
	found := false
	x.forActions(s, func(action) bool { found = true; return false })
	return found
}

// quiescent reports whether nothing is left to do in s within the bounds:
// no message in flight to an up node, no pending timer on an up node that
// may still fire, no crashed node that may still restart. Faults (drops,
// duplicates, crashes) are optional and do not count.
func (x *explorer[M, N]) quiescent(s *state[M, N]) bool {
	for _, es := range [][]flightEntry[M]{s.flight, s.held} {
		for _, e := range es {
			if to := e.msg.to; to >= 0 && s.nodes[to].up {
				return false
			}
		}
	}
	timers := s.used[budgetTimeouts] < x.bounds[budgetTimeouts]
	restarts := s.used[budgetRestarts] < x.bounds[budgetRestarts]
	for i := range s.nodes {
		n := &s.nodes[i]
		if n.up && timers && len(n.timers) > 0 || !n.up && restarts {
			return false
		}
	}
	return true
}

// injecting is worker.running while the injected messages are encoded.
const injecting = -2

// worker is the per-goroutine machinery: a Context, a random source and
// scratch buffers, so that handler calls and hashing allocate little.
type worker[M any, N Explorable[M, N]] struct {
	x     *explorer[M, N]
	ctx   Context[M]
	pcg   rand.PCG
	rnd   *rand.Rand
	buf   []byte                 // scratch for encodings
	sbuf  []byte                 // scratch for N.AppendState
	next  state[M, N]            // scratch successor, see step
	msgs  map[string]*message[M] // messages already built, by encoding
	world World[M, N]
	tr    *tracer[M] // records events while replaying a path; nil during the search

	// running is the node whose code is running (-1 if none, injecting
	// while encoding the injected messages), to name it when it panics.
	running int

	sym symScratch // symmetry reduction's scratch, see explore_symmetry.go

	// Search results of the current level, see search.go.
	local      map[[2]uint64]struct{}
	cands      []candidate[M, N]
	failure    *failure
	violation  *found
	checkPanic *[2]any // a panic of Invariant or Quiescent: value, stack
}

func newWorker[M any, N Explorable[M, N]](x *explorer[M, N]) *worker[M, N] {
	w := &worker[M, N]{
		x:       x,
		running: -1,
		local:   make(map[[2]uint64]struct{}),
		msgs:    make(map[string]*message[M]),
	}
	w.rnd = rand.New(&w.pcg)
	w.world = World[M, N]{ids: x.ids, index: x.index}
	w.sym.init(x.ids, x.sym, x.symOf)
	return w
}

// initial builds the initial state: the injected messages in flight, then
// every node created and started, in node order.
func (w *worker[M, N]) initial() *state[M, N] {
	x := w.x
	s := &state[M, N]{nodes: make([]nodeSlot[N], len(x.ids))}
	w.running = injecting
	for _, e := range x.cfg.Inject {
		s.addMessage(w.send(e.From, e.To, e.Msg), x.ordered)
	}
	for i := range s.nodes {
		s.nodes[i].storage = new(Storage)
		s.nodes[i].sh = w.storageHash(s.nodes[i].storage)
		s.nodes[i].h = w.nodeHash(&s.nodes[i])
		w.running = i
		n := x.cfg.New(x.ids[i])
		w.call(s, i, n, callStart, "", *new(M), "", 0)
	}
	s.h = w.hash(s)
	return s
}

// step returns the successor of s by a, which must be enabled in s. The
// successor is the worker's scratch state, valid until the next call: keep
// it to retain it. Most successors of a search are states seen before, and
// building them in place spares the allocations.
func (w *worker[M, N]) step(s *state[M, N], a action) *state[M, N] {
	x := w.x
	t := &w.next
	t.copyFrom(s)
	switch a.kind() {
	case actDeliver:
		if x.ordered && a.idx() != t.firstDeliverable() {
			t.used[budgetDelays]++
		}
		m := t.takeMessage(a.idx())
		i := m.to
		if w.tr != nil {
			w.tr.deliver(m)
		}
		w.running = i
		n := t.nodes[i].n.Clone()
		w.call(t, i, n, callReceive, m.env.From, m.env.Msg, "", m.h[1])
	case actTimer:
		i, k := t.timer(a.idx())
		slot := &t.nodes[i]
		name := slot.timers[k]
		slot.timers = slices.Delete(slices.Clone(slot.timers), k, k+1)
		if len(slot.timers) == 0 {
			slot.timers = nil
		}
		t.used[budgetTimeouts]++
		if w.tr != nil {
			w.tr.local(i, Timer, name)
		}
		w.running = i
		n := slot.n.Clone()
		w.call(t, i, n, callTimeout, "", *new(M), name, hashString(name))
	case actDrop:
		m := t.takeMessage(a.idx())
		t.used[budgetDrops]++
		if w.tr != nil {
			w.tr.drop(m)
		}
	case actDuplicate:
		if x.ordered {
			t.flight = append(t.flight, flightEntry[M]{msg: t.flight[a.idx()].msg, count: 1})
		} else {
			t.flight[a.idx()].count++
		}
		t.used[budgetDuplicates]++
		if w.tr != nil {
			w.tr.duplicate(t.flight[a.idx()].msg)
		}
	case actCrash:
		i := a.idx()
		st, sh := t.nodes[i].storage, t.nodes[i].sh
		if st.Dirty() {
			st = st.Clone()
			st.lose()
			sh = w.storageHash(st)
		}
		t.nodes[i] = nodeSlot[N]{storage: st, sh: sh}
		t.nodes[i].h = w.nodeHash(&t.nodes[i])
		t.used[budgetCrashes]++
		if w.tr != nil {
			w.tr.local(i, Crash, "")
		}
	case actRestart:
		i := a.idx()
		t.used[budgetRestarts]++
		if w.tr != nil {
			w.tr.local(i, Restart, "")
		}
		w.running = i
		n := x.cfg.New(x.ids[i])
		w.call(t, i, n, callStart, "", *new(M), "", 1)
	case actHold:
		m := t.takeMessage(a.idx())
		t.used[budgetHolds]++
		if x.ordered {
			t.held = append(t.held, flightEntry[M]{msg: m, count: 1})
		} else {
			t.held = insertSorted(t.held, m)
		}
		if w.tr != nil {
			w.tr.fault(fmt.Sprintf("hold %s→%s: %v", m.env.From, m.env.To, m.env.Msg))
		}
	case actRelease:
		m := takeEntry(&t.held, a.idx())
		if t.crosses(m) {
			if w.tr != nil {
				w.tr.drop(m)
			}
			break
		}
		if w.tr != nil {
			w.tr.deliver(m)
		}
		w.running = m.to
		n := t.nodes[m.to].n.Clone()
		w.call(t, m.to, n, callReceive, m.env.From, m.env.Msg, "", m.h[1])
	case actPartition:
		t.cut = x.cuts[a.idx()]
		t.used[budgetPartitions]++
		if w.tr != nil {
			w.tr.fault(x.describeCut(t.cut))
		}
		kept := t.flight[:0:0]
		for _, e := range t.flight {
			if t.crosses(e.msg) {
				if w.tr != nil {
					for range e.count {
						w.tr.drop(e.msg)
					}
				}
				continue
			}
			kept = append(kept, e)
		}
		t.flight = kept
	}
	w.running = -1
	t.h = w.hash(t)
	return t
}

// insertSorted adds a copy of m to the sorted multiset es.
func insertSorted[M any](es []flightEntry[M], m *message[M]) []flightEntry[M] {
	i, found := slices.BinarySearchFunc(es, m, func(e flightEntry[M], m *message[M]) int {
		return bytes.Compare(e.msg.enc, m.enc)
	})
	if found {
		es[i].count++
		return es
	}
	return slices.Insert(es, i, flightEntry[M]{msg: m, count: 1})
}

// takeEntry removes a copy of the i-th entry of *es and returns its
// message.
func takeEntry[M any](es *[]flightEntry[M], i int) *message[M] {
	m := (*es)[i].msg
	if (*es)[i].count > 1 {
		(*es)[i].count--
	} else {
		*es = slices.Delete(*es, i, i+1)
	}
	return m
}

// describeCut names the partition cut in a trace: the two sides, or that
// the network is whole again.
func (x *explorer[M, N]) describeCut(cut uint64) string {
	if cut == 0 {
		return "partition healed"
	}
	var a, b []string
	for i, id := range x.ids {
		if cut>>i&1 == 0 {
			a = append(a, id)
		} else {
			b = append(b, id)
		}
	}
	return fmt.Sprintf("partition %v | %v", a, b)
}

// timer maps the k-th pending timer of s (counting those of every node in
// node order) to its node and its position in that node's list.
func (s *state[M, N]) timer(k int) (node, pos int) {
	for i := range s.nodes {
		if k < len(s.nodes[i].timers) {
			return i, k
		}
		k -= len(s.nodes[i].timers)
	}
	panic("sim: explore: timer action out of range")
}

// The handler a call runs.
const (
	callStart = iota
	callReceive
	callTimeout
)

// call runs one handler of node i on n (a fresh clone or a new value) in
// state t, and records its effects in t: the new value, storage, timers and
// messages. ev distinguishes the event in the random seed.
func (w *worker[M, N]) call(t *state[M, N], i int, n N, kind int, from string, msg M, name string, ev uint64) {
	x := w.x
	slot := &t.nodes[i]
	old := slot.storage
	st := old.Clone()
	w.pcg.Seed(x.idSeed[i], slot.h[0]^ev)
	w.ctx.reset(x.ids[i], x.peers[i], 0, w.rnd, st)
	switch kind {
	case callStart:
		n.Start(&w.ctx)
	case callReceive:
		n.Receive(&w.ctx, from, msg)
	case callTimeout:
		n.Timeout(&w.ctx, name)
	}
	if !x.cfg.ExplicitSync {
		st.Sync()
	}
	if st.Writes() == old.Writes() && st.Dirty() == old.Dirty() {
		st = old // unchanged: share it with the parent state
	} else {
		slot.sh = w.storageHash(st)
	}
	slot.n, slot.storage, slot.up = n, st, true
	if w.tr != nil {
		for _, text := range w.ctx.notes {
			w.tr.local(i, Local, text)
		}
	}
	if len(w.ctx.timers) > 0 {
		slot.timers = applyTimerOps(slot.timers, w.ctx.timers)
	}
	for j := range w.ctx.sends {
		o := &w.ctx.sends[j]
		if m := w.send(x.ids[i], o.To, o.Msg); !t.crosses(m) {
			t.addMessage(m, x.ordered)
		} else if w.tr != nil {
			w.tr.drop(m) // lost to the partition as it is sent
		}
		var zero M
		o.Msg = zero // do not keep messages alive through the context
	}
	slot.h = w.nodeHash(slot)
}

// send returns the message msg from from to to (to may be a client), built
// or found among those built before, and records the send if tracing.
func (w *worker[M, N]) send(from, to string, msg M) *message[M] {
	ti, ok := w.x.index[to]
	if !ok {
		ti = -1
	}
	b := appendString(w.buf[:0], from)
	b = appendString(b, to)
	body := len(b)
	b = w.x.encode(b, msg)
	w.buf = b
	m, ok := w.msgs[string(b)]
	if !ok {
		fi, ok := w.x.index[from]
		if !ok {
			fi = -1
		}
		m = &message[M]{env: Envelope[M]{From: from, To: to, Msg: msg}, from: fi, to: ti, enc: bytes.Clone(b), body: body, h: hash128(b)}
		if len(w.msgs) >= maxInterned {
			clear(w.msgs)
		}
		w.msgs[string(m.enc)] = m
	}
	if w.tr != nil {
		w.tr.send(m)
	}
	return m
}

// applyTimerOps returns timers (sorted, shared) after the SetTimer and
// CancelTimer requests ops, copying it only if it changes.
func applyTimerOps(timers []string, ops []timerOp) []string {
	out, copied := timers, false
	for _, op := range ops {
		i, found := slices.BinarySearch(out, op.name)
		if found == !op.cancel {
			continue // already set, or not pending
		}
		if !copied {
			out, copied = slices.Clone(out), true
		}
		if op.cancel {
			out = slices.Delete(out, i, i+1)
		} else {
			out = slices.Insert(out, i, op.name)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// maxInterned bounds the messages a worker remembers to share them between
// states; past it, it forgets them all and starts again.
const maxInterned = 1 << 16

// storageHash hashes Storage.AppendState.
func (w *worker[M, N]) storageHash(s *Storage) [2]uint64 {
	w.buf = s.AppendState(w.buf[:0])
	return hash128(w.buf)
}

// nodeHash hashes the canonical encoding of one node's part of a state:
// the up flag, then, if up, the length-prefixed N.AppendState; the hash of
// the storage's encoding (sh); the number of pending timers and their
// length-prefixed names.
func (w *worker[M, N]) nodeHash(s *nodeSlot[N]) [2]uint64 {
	b := w.buf[:0]
	if s.up {
		w.sbuf = s.n.AppendState(w.sbuf[:0])
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(w.sbuf)))
		b = append(b, w.sbuf...)
	} else {
		b = append(b, 0)
	}
	b = appendHash(b, s.sh)
	b = binary.AppendUvarint(b, uint64(len(s.timers)))
	for _, name := range s.timers {
		b = appendString(b, name)
	}
	w.buf = b
	return hash128(b)
}

// hash returns the hash that identifies s in the visited set: its own
// state hash, or with symmetry reduction, that of its canonical
// representative.
func (w *worker[M, N]) hash(s *state[M, N]) [2]uint64 {
	if len(w.x.sym) > 1 {
		return w.symHash(s)
	}
	return w.stateHash(s)
}

// stateHash hashes a state from the hashes of its parts: each node's in
// order, the budgets used, then each message in flight with its number of
// copies, in encoding order (in queue order under DelayBounding).
func (w *worker[M, N]) stateHash(s *state[M, N]) [2]uint64 {
	b := w.buf[:0]
	for i := range s.nodes {
		b = appendHash(b, s.nodes[i].h)
	}
	for _, u := range s.used[:w.x.encodedBudgets] {
		b = binary.AppendUvarint(b, uint64(u))
	}
	b = binary.AppendUvarint(b, uint64(len(s.flight)))
	for _, e := range s.flight {
		b = appendHash(b, e.msg.h)
		b = binary.AppendUvarint(b, uint64(e.count))
	}
	if w.x.network {
		b = binary.AppendUvarint(b, uint64(s.used[budgetPartitions]))
		b = binary.AppendUvarint(b, uint64(s.used[budgetHolds]))
		b = binary.AppendUvarint(b, s.cut)
		b = binary.AppendUvarint(b, uint64(len(s.held)))
		for _, e := range s.held {
			b = appendHash(b, e.msg.h)
			b = binary.AppendUvarint(b, uint64(e.count))
		}
	}
	w.buf = b
	h := hash128(b)
	if h == ([2]uint64{}) {
		h[1] = 1 // the visited set's empty slot; one more collision in 2^128
	}
	return h
}

func appendHash(b []byte, h [2]uint64) []byte {
	b = binary.LittleEndian.AppendUint64(b, h[0])
	return binary.LittleEndian.AppendUint64(b, h[1])
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// defaultEncode encodes m with AppendBinary if it has it, else with fmt's
// %#v. An AppendBinary error panics, and is reported as a panic of the
// node that sent m.
func defaultEncode[M any](b []byte, m M) []byte {
	if a, ok := any(m).(encoding.BinaryAppender); ok {
		out, err := a.AppendBinary(b)
		if err != nil {
			panic(fmt.Errorf("sim: explore: encoding message %v: %w", m, err))
		}
		return out
	}
	return fmt.Appendf(b, "%#v", m)
}
