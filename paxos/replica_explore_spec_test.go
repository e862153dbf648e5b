package paxos_test

// The specification checker (spec_test.go) in the explorer. An explored
// state must hold its ghost state, or two paths that reach the same
// replicas with different histories would be merged and a bad step could
// be missed; so each replica writes its ghost facts into its own
// sim.Storage, beside its durable state (as a TLA+ specification keeps
// the set of messages sent in its state), and the invariant rebuilds the
// global ghost state from every replica's storage:
//
//	g/p/<ballot>         this acceptor promised ballot
//	g/a/<slot>/<ballot>  this acceptor accepted the value in slot at ballot
//	g/l/<slot>           this replica learned the value in slot
//	g/P                  the acceptor's promise, to check P1 locally
//	g/x                  the first violation seen locally (P1, P2b, a
//	                     second value learned for a slot)

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/eventually-perfect/primitives/sim"
)

// Ballots are keyed as the single-decree checker keys them
// (ghostBallotKey, node_spec_test.go), so that keys sort by ballot.

func ghostSlot(s uint64) string { return fmt.Sprintf("%016x", s) }

// ghostLog is a replica's LogStorage in the explorer: logStore, plus the
// ghost facts of every promise and acceptance it writes.
type ghostLog struct {
	*logStore
	id string
}

func (g *ghostLog) violate(format string, args ...any) {
	if _, ok := g.s.Get("g/x"); !ok {
		g.s.Put("g/x", []byte(fmt.Sprintf(g.id+": "+format, args...)))
	}
}

func (g *ghostLog) promised() paxos.Ballot {
	b, _ := g.s.Get("g/P")
	return parseGhostBallotKey(string(b))
}

func (g *ghostLog) SetHardState(promised paxos.Ballot, round uint64) error {
	if err := g.logStore.SetHardState(promised, round); err != nil {
		return err
	}
	old := g.promised()
	if promised.Less(old) {
		g.violate("P1: promise went back from %v to %v", old, promised)
	}
	if old.Less(promised) {
		g.s.Put("g/P", []byte(ghostBallotKey(promised)))
		if promised.Node == g.id {
			g.s.Put("g/p/"+ghostBallotKey(promised), nil) // a candidate promises itself
		}
	}
	return nil
}

func (g *ghostLog) PutEntry(e paxos.Entry) error {
	if err := g.logStore.PutEntry(e); err != nil {
		return err
	}
	if p := g.promised(); e.Ballot.Less(p) {
		g.violate("P1: accepted slot %d at %v below its promise %v", e.Slot, e.Ballot, p)
	}
	g.s.Put("g/a/"+ghostSlot(e.Slot)+"/"+ghostBallotKey(e.Ballot), []byte(valueOf(e)))
	return nil
}

// sent records the ghost facts of the messages a replica sent.
func (g *ghostLog) sent(out []paxos.LogMessage) {
	for _, m := range out {
		switch m.Type {
		case paxos.LogPromise:
			g.s.Put("g/p/"+ghostBallotKey(m.Ballot), nil)
		case paxos.LogAccepted:
			if _, ok := g.s.Get("g/a/" + ghostSlot(m.Entry.Slot) + "/" + ghostBallotKey(m.Ballot)); !ok {
				g.violate("P2b: acknowledged slot %d in %v without having accepted there in that ballot", m.Entry.Slot, m.Ballot)
			}
		}
	}
}

// learn records that the replica learned e (its OnLearn hook).
func (g *ghostLog) learn(e paxos.Entry) {
	k := "g/l/" + ghostSlot(e.Slot)
	v := valueOf(e)
	if old, ok := g.s.Get(k); ok {
		if string(old) != v {
			g.violate("P3: learned slot %d as %s, then as %s", e.Slot, old, v)
		}
		return
	}
	g.s.Put(k, []byte(v))
}

// checkGhost rebuilds the global ghost state from every node's storage
// and checks the specification on it: the local violations, P2 (every
// proposal safe), P3 (every learned value chosen) and agreement.
func checkGhost(sys *quorum.System, ids []string, storage func(id string) *sim.Storage) error {
	g := newSpec(sys)
	type learnt struct {
		id   string
		slot uint64
		v    string
	}
	var learns []learnt
	for _, id := range ids {
		st := storage(id)
		if b, ok := st.Get("g/x"); ok {
			return fmt.Errorf("specification: %s", b)
		}
		for _, k := range st.Keys() {
			switch {
			case strings.HasPrefix(k, "g/p/"):
				g.promise(id, parseGhostBallotKey(k[4:]))
			case strings.HasPrefix(k, "g/a/"):
				slotS, bal, _ := strings.Cut(k[4:], "/")
				slot, _ := strconv.ParseUint(slotS, 16, 64)
				v, _ := st.Get(k)
				g.record(id, slot, parseGhostBallotKey(bal), string(v))
			case strings.HasPrefix(k, "g/l/"):
				slot, _ := strconv.ParseUint(k[4:], 16, 64)
				v, _ := st.Get(k)
				learns = append(learns, learnt{id, slot, string(v)})
			}
		}
	}
	for k, votes := range g.votes {
		if v, ok := votes[k.b.Node]; ok {
			g.checkProposal(k.slot, k.b, v)
		}
	}
	chosen := map[uint64]learnt{}
	for _, l := range learns {
		if !g.chosenAny(l.slot, l.v) {
			g.fail("P3: %s learned %s in slot %d, which no phase-2 quorum accepted in any one ballot", l.id, l.v, l.slot)
		}
		if c, ok := chosen[l.slot]; ok && c.v != l.v {
			g.fail("agreement: slot %d learned as %s by %s and as %s by %s", l.slot, c.v, c.id, l.v, l.id)
		}
		chosen[l.slot] = l
	}
	return g.err
}
