package paxos_test

// This file checks the Multi-Paxos replica against the abstract Paxos
// specification rather than only against its outcome (DESIGN level 8). A
// spec keeps ghost state that no replica could keep, because it sees every
// replica at once: every promise and every acceptance ever made, by
// ballot, with what each acceptor had accepted when it promised. The
// harnesses (the scripted cluster, the randomised simulation and the
// explorer) feed it what the replicas write to their storage and send,
// and it checks, at the step where they happen:
//
//   - P1 (promises): an acceptor's promise never goes back, and it never
//     accepts in a ballot below its promise ("Paxos Made Simple", section
//     2.2, P1a);
//   - P2 (proposals): a leader's proposal for a slot in ballot b is safe:
//     some phase-1 quorum of acceptors that promised b either had accepted
//     nothing in that slot below b when they promised, or the value is the
//     one of the highest-ballot acceptance among them (P2c; "Paxos Made
//     Simple", section 2.2; the ShowsSafeAt of Lamport's TLA+ Paxos);
//   - P3 (learning): every entry a replica learns was accepted, with the
//     same value, by a phase-2 quorum in one ballot; a replica never
//     learns two values for one slot, across restarts, and no two replicas
//     learn different values (agreement).
//
// The checks run where a violation happens, so a broken rule is reported
// at its first bad step, not when two replicas later happen to disagree.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
)

// valueOf is an entry's value: its commands (or no-op), without slot or
// ballot.
func valueOf(e paxos.Entry) string {
	if e.NoOp {
		return "no-op"
	}
	var b strings.Builder
	for i, c := range e.Commands {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q#%d:%q", c.Client, c.Seq, c.Op)
	}
	return b.String()
}

// acc is one acceptance: a value accepted in a ballot.
type acc struct {
	b paxos.Ballot
	v string
}

type slotBallot struct {
	slot uint64
	b    paxos.Ballot
}

type spec struct {
	sys    *quorum.System
	reads  []quorum.Set // the minimal phase-1 quorums
	writes []quorum.Set // the minimal phase-2 quorums

	promised map[string]paxos.Ballot           // each acceptor's promise
	promises map[paxos.Ballot]quorum.Set       // the acceptors that promised each ballot
	hist     map[string]map[uint64][]acc       // every acceptance, by acceptor and slot
	votes    map[slotBallot]map[string]string  // acceptances by slot and ballot: acceptor -> value
	learned  map[string]map[uint64]paxos.Entry // what each replica learned, in any incarnation
	chosen   map[uint64]string                 // the first value learned per slot
	chosenBy map[uint64]string

	steps int   // events fed
	err   error // the first violation
}

func newSpec(sys *quorum.System) *spec {
	reads, err := sys.MinimalQuorums(quorum.Read)
	if err != nil {
		panic(err)
	}
	writes, err := sys.MinimalQuorums(quorum.Write)
	if err != nil {
		panic(err)
	}
	return &spec{sys: sys, reads: reads, writes: writes,
		promised: map[string]paxos.Ballot{}, promises: map[paxos.Ballot]quorum.Set{},
		hist: map[string]map[uint64][]acc{}, votes: map[slotBallot]map[string]string{},
		learned: map[string]map[uint64]paxos.Entry{}, chosen: map[uint64]string{}, chosenBy: map[uint64]string{}}
}

func (g *spec) fail(format string, args ...any) {
	switch {
	case g.err != nil:
	case g.steps == 0: // rebuilt from an explored state (checkGhost)
		g.err = fmt.Errorf("specification: "+format, args...)
	default:
		g.err = fmt.Errorf("specification, after %d events: "+format, append([]any{g.steps}, args...)...)
	}
}

// setHardState records acceptor's durable promise.
func (g *spec) setHardState(acceptor string, b paxos.Ballot) {
	g.steps++
	old := g.promised[acceptor]
	if b.Less(old) {
		g.fail("P1: %s's promise went back from %v to %v", acceptor, old, b)
		return
	}
	g.promised[acceptor] = b
	if b.Node == acceptor && old.Less(b) {
		// A candidate promises its own ballot when it starts phase 1.
		g.promise(acceptor, b)
	}
}

// promise records that acceptor promised b (a phase-1b answer, or a
// candidate's promise to itself). What it reported then is what it had
// accepted below b: P1, checked on every acceptance, keeps it from
// accepting below b afterwards, so the history answers that question at
// any later time without a copy per promise.
func (g *spec) promise(acceptor string, b paxos.Ballot) {
	if i, ok := g.sys.Index(acceptor); ok {
		g.promises[b] = g.promises[b].With(i)
	}
}

// below returns acceptor's highest acceptance in slot below b.
func (g *spec) below(acceptor string, slot uint64, b paxos.Ballot) acc {
	var high acc
	for _, x := range g.hist[acceptor][slot] {
		if x.b.Less(b) && high.b.Less(x.b) {
			high = x
		}
	}
	return high
}

// putEntry records that acceptor accepted e (a durable acceptance). An
// acceptance by the ballot's own node is its proposal: P2 is checked on it.
func (g *spec) putEntry(acceptor string, e paxos.Entry) {
	g.steps++
	if p := g.promised[acceptor]; e.Ballot.Less(p) {
		g.fail("P1: %s accepted %s in slot %d at %v, below its promise %v", acceptor, valueOf(e), e.Slot, e.Ballot, p)
	}
	v := valueOf(e)
	k := slotBallot{e.Slot, e.Ballot}
	if g.votes[k] == nil {
		g.votes[k] = map[string]string{}
	}
	if old, ok := g.votes[k][acceptor]; ok && old != v {
		g.fail("P2: %s accepted two values in slot %d at %v: %s and %s (a ballot proposes one value per slot)", acceptor, e.Slot, e.Ballot, old, v)
	}
	g.votes[k][acceptor] = v
	for other, ov := range g.votes[k] {
		if ov != v {
			g.fail("P2: slot %d has two values accepted at %v: %s by %s and %s by %s", e.Slot, e.Ballot, ov, other, v, acceptor)
		}
	}
	if g.hist[acceptor] == nil {
		g.hist[acceptor] = map[uint64][]acc{}
	}
	g.hist[acceptor][e.Slot] = append(g.hist[acceptor][e.Slot], acc{e.Ballot, v})
	if e.Ballot.Node == acceptor && len(g.votes[k]) == 1 {
		g.checkProposal(e.Slot, e.Ballot, v)
	}
}

// record records an acceptance without checking it (checkGhost rebuilds
// the ghost state from storage, then checks it whole).
func (g *spec) record(acceptor string, slot uint64, b paxos.Ballot, v string) {
	k := slotBallot{slot, b}
	if g.votes[k] == nil {
		g.votes[k] = map[string]string{}
	}
	g.votes[k][acceptor] = v
	if g.hist[acceptor] == nil {
		g.hist[acceptor] = map[uint64][]acc{}
	}
	g.hist[acceptor][slot] = append(g.hist[acceptor][slot], acc{b, v})
}

// checkProposal checks P2c for the proposal of v in slot at b.
func (g *spec) checkProposal(slot uint64, b paxos.Ballot, v string) {
	promisers := g.promises[b]
	var why []string
	for _, q := range g.reads {
		if q&promisers != q {
			continue
		}
		var high acc
		for _, a := range g.sys.NamesOf(q) {
			if x := g.below(a, slot, b); high.b.Less(x.b) {
				high = x
			}
		}
		if high.b.IsZero() || high.v == v {
			return
		}
		why = append(why, fmt.Sprintf("quorum %s reported %s at %v", g.sys.FormatSet(q), high.v, high.b))
	}
	if len(why) == 0 {
		why = append(why, fmt.Sprintf("no phase-1 quorum promised it (promised by %s)", g.sys.FormatSet(promisers)))
	}
	g.fail("P2: %v proposed %s in slot %d, which is not safe: %s", b, v, slot, strings.Join(why, "; "))
}

// sent records a message a replica sent: a promise fixes the acceptor's
// view for its ballot.
func (g *spec) sent(m paxos.LogMessage) {
	switch m.Type {
	case paxos.LogPromise:
		// Persist, then send: a promise is durable before it is sent.
		if p := g.promised[m.From]; p.Less(m.Ballot) {
			g.fail("durability: %s sent a promise of %v while its durable promise was %v", m.From, m.Ballot, p)
		}
		g.promise(m.From, m.Ballot)
	case paxos.LogAccepted:
		// Phase 2b: an acknowledgement says that its sender accepted.
		if _, ok := g.votes[slotBallot{m.Entry.Slot, m.Ballot}][m.From]; !ok {
			g.fail("P2b: %s acknowledged slot %d in %v without having accepted anything there in that ballot", m.From, m.Entry.Slot, m.Ballot)
		}
	}
}

// chosenIn reports whether a phase-2 quorum accepted v in slot at b.
func (g *spec) chosenIn(slot uint64, b paxos.Ballot, v string) bool {
	acks := quorum.Set(0)
	for a, x := range g.votes[slotBallot{slot, b}] {
		if i, ok := g.sys.Index(a); ok && x == v {
			acks = acks.With(i)
		}
	}
	for _, q := range g.writes {
		if q&acks == q {
			return true
		}
	}
	return false
}

// chosenAny reports whether a phase-2 quorum accepted v in slot in some
// ballot. (A learned entry is labelled with the ballot of the acceptance
// it was learned from, which need not be the ballot that chose it: a
// leader that learns its own proposal's value as decided in a lower
// ballot announces it in its own.)
func (g *spec) chosenAny(slot uint64, v string) bool {
	for k := range g.votes {
		if k.slot == slot && g.chosenIn(slot, k.b, v) {
			return true
		}
	}
	return false
}

// learn checks an entry that replica id reports as decided.
func (g *spec) learn(id string, e paxos.Entry) {
	v := valueOf(e)
	if g.learned[id] == nil {
		g.learned[id] = map[uint64]paxos.Entry{}
	}
	if old, ok := g.learned[id][e.Slot]; ok {
		if valueOf(old) != v {
			g.fail("P3: %s learned slot %d as %s, then as %s", id, e.Slot, valueOf(old), v)
		}
		return
	}
	g.learned[id][e.Slot] = e
	if !g.chosenAny(e.Slot, v) {
		var where []string
		for k, votes := range g.votes {
			if k.slot == e.Slot {
				var who []string
				for a, x := range votes {
					who = append(who, a+"="+x)
				}
				slices.Sort(who)
				where = append(where, fmt.Sprintf("%v: %s", k.b, strings.Join(who, " ")))
			}
		}
		slices.Sort(where)
		g.fail("P3: %s learned %s in slot %d (at %v), which no phase-2 quorum accepted in any one ballot (acceptances: %s)",
			id, v, e.Slot, e.Ballot, strings.Join(where, "; "))
	}
	if old, ok := g.chosen[e.Slot]; !ok {
		g.chosen[e.Slot], g.chosenBy[e.Slot] = v, id
	} else if old != v {
		g.fail("agreement: slot %d learned as %s by %s and as %s by %s", e.Slot, old, g.chosenBy[e.Slot], v, id)
	}
}

// observe checks what replica id has decided in the slots [lo, hi).
func (g *spec) observe(id string, r *paxos.Replica, lo, hi uint64) {
	for s := max(lo, r.Compacted()); s < hi; s++ {
		if e, ok := r.Decided(s); ok {
			if e.Slot != s {
				g.fail("P3: %s's Decided(%d) returned slot %d", id, s, e.Slot)
			}
			g.learn(id, e)
		}
	}
}

// specStorage is a LogStorage that tells a spec what its replica writes.
type specStorage struct {
	paxos.LogStorage
	id string
	g  *spec
	// deferred: the storage is synced by the driver (group commit), so a
	// promise or an acceptance joins the ghost state when it is synced
	// (sync), and is forgotten with the node's volatile state if a crash
	// comes first.
	deferred bool
	pending  []func()
	// syncsAtSnapshot: the storage syncs every earlier write when it
	// takes a snapshot (logstore.Store), so the pending ones join the
	// ghost state then.
	syncsAtSnapshot bool
}

func (s *specStorage) record(f func()) {
	if s.deferred {
		s.pending = append(s.pending, f)
		return
	}
	f()
}

// sync adds what was written since the last sync to the ghost state.
func (s *specStorage) sync() {
	for _, f := range s.pending {
		f()
	}
	s.pending = nil
}

func (s *specStorage) SetHardState(promised paxos.Ballot, round uint64) error {
	if err := s.LogStorage.SetHardState(promised, round); err != nil {
		return err
	}
	s.record(func() { s.g.setHardState(s.id, promised) })
	return nil
}

func (s *specStorage) SetSnapshot(slot uint64, snapshot []byte) error {
	if err := s.LogStorage.SetSnapshot(slot, snapshot); err != nil {
		return err
	}
	if s.syncsAtSnapshot {
		s.sync()
	}
	return nil
}

func (s *specStorage) PutEntry(e paxos.Entry) error {
	if err := s.LogStorage.PutEntry(e); err != nil {
		return err
	}
	s.record(func() { s.g.putEntry(s.id, e) })
	return nil
}
