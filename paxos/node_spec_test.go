package paxos_test

// The specification checker of the single-decree Node (DESIGN level 8).
// Ghost state, kept in each node's sim.Storage beside its real state (so
// that it survives crashes and is part of the explorer's state), records
// every promise, acceptance and proposal the node ever made, as the
// message set of Lamport's TLA+ specification of Paxos does. Every
// message a node sends, to itself included (paxos.ObserveNode), is
// checked against the action of the specification that may send it, and
// every state against its invariants, so a bad step is caught when it
// happens, not when two nodes happen to decide differently later:
//
//   - phase 1b: an acceptor promises only a ballot at least as high as
//     every ballot it promised or accepted, and reports its
//     highest-ballot acceptance ("Paxos Made Simple", section 2.2);
//   - phase 2a: a proposer proposes one value per ballot, once it holds
//     promises for that ballot from a phase-1 quorum, and that value is
//     the one of the highest-ballot acceptance they report, if any (P2c);
//   - phase 2b: an acceptor accepts only in a ballot at least as high as
//     its promise, and only what the ballot's proposer proposed;
//   - durability: what a Promise, Accepted or Prepare says was saved
//     before the call that sent it returned, and Node.State is what was
//     saved (section 2.3);
//   - P2b: once a value is chosen in a ballot (a phase-2 quorum accepted
//     it), every proposal in a higher ballot has that value;
//   - P3: a node learns a value only if it was chosen.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/eventually-perfect/primitives/sim"
)

// The ghost keys of a node's storage.
const (
	nodeGhostPromised = "ghost/promised"  // the highest ballot promised or accepted
	nodeGhostAccepted = "ghost/accepted/" // + ballot: the value accepted in it
	nodeGhostProposed = "ghost/proposed/" // + ballot: the value proposed in it
	nodeGhostBroken   = "ghost/broken"    // the first violation this node made
)

// ghostBallotKey encodes b so that keys sort by ballot.
func ghostBallotKey(b paxos.Ballot) string { return fmt.Sprintf("%016x.%s", b.Round, b.Node) }

func parseGhostBallotKey(k string) paxos.Ballot {
	r, n, _ := strings.Cut(k, ".")
	round, _ := strconv.ParseUint(r, 16, 64)
	return paxos.Ballot{Round: round, Node: n}
}

// nodeGhost is the ghost state in one node's storage.
type nodeGhost struct{ s *sim.Storage }

func (g nodeGhost) promised() paxos.Ballot {
	v, _ := g.s.Get(nodeGhostPromised)
	return parseGhostBallotKey(string(v))
}

func (g nodeGhost) raise(b paxos.Ballot) {
	if g.promised().Less(b) {
		g.s.Put(nodeGhostPromised, []byte(ghostBallotKey(b)))
	}
}

// each calls f with every ballot recorded under prefix and its value, in
// ballot order.
func (g nodeGhost) each(prefix string, f func(b paxos.Ballot, v string)) {
	for _, k := range g.s.Keys() {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			v, _ := g.s.Get(k)
			f(parseGhostBallotKey(rest), string(v))
		}
	}
}

func (g nodeGhost) get(prefix string, b paxos.Ballot) (string, bool) {
	v, ok := g.s.Get(prefix + ghostBallotKey(b))
	return string(v), ok
}

func (g nodeGhost) put(prefix string, b paxos.Ballot, v string) {
	g.s.Put(prefix+ghostBallotKey(b), []byte(v))
}

// highest returns the highest-ballot acceptance recorded.
func (g nodeGhost) highest() (b paxos.Ballot, v string) {
	g.each(nodeGhostAccepted, func(x paxos.Ballot, w string) { b, v = x, w })
	return b, v
}

// broken records a violation; the first one stays.
func (g nodeGhost) broken(format string, args ...any) {
	if _, ok := g.s.Get(nodeGhostBroken); !ok {
		g.s.Put(nodeGhostBroken, []byte(fmt.Sprintf(format, args...)))
	}
}

// observe is the node's ObserveNode hook: it checks each message the node
// sends against the action of the specification that sends it, and
// records it in the ghost state.
func (p *peer) observe(m paxos.Message) {
	p.sent = append(p.sent, m)
	g := nodeGhost{p.store.s}
	id := p.cfg.ID
	switch m.Type {
	case paxos.Promise:
		if pr := g.promised(); m.Ballot.Less(pr) {
			g.broken("phase 1b: %s promised %v after promising or accepting %v", id, m.Ballot, pr)
		}
		if hb, hv := g.highest(); m.VBallot != hb || m.Value != hv {
			g.broken("phase 1b: %s's promise of %v reports the acceptance %v=%q, but its highest acceptance is %v=%q", id, m.Ballot, m.VBallot, m.Value, hb, hv)
		}
		g.raise(m.Ballot)
		if m.To == id {
			p.promised(m)
		}
	case paxos.Accepted:
		if pr := g.promised(); m.Ballot.Less(pr) {
			g.broken("phase 2b: %s accepted %v=%q below its promise %v", id, m.Ballot, m.Value, pr)
		}
		if v, ok := g.get(nodeGhostAccepted, m.Ballot); ok && v != m.Value {
			g.broken("phase 2b: %s accepted both %q and %q in %v", id, v, m.Value, m.Ballot)
		}
		g.put(nodeGhostAccepted, m.Ballot, m.Value)
		g.raise(m.Ballot)
	case paxos.Accept:
		p.checkProposal(g, m)
	}
}

// promised records a promise this incarnation of a proposer received for
// its current ballot.
func (p *peer) promised(m paxos.Message) {
	if m.Ballot != p.n.Ballot() {
		return
	}
	if m.Ballot != p.gotBallot {
		p.gotBallot, p.got = m.Ballot, nil
	}
	p.got = append(p.got, m)
}

// checkProposal checks phase 2a: one value per ballot, proposed with
// promises from a phase-1 quorum, and the value of the highest-ballot
// acceptance they reported (P2c).
func (p *peer) checkProposal(g nodeGhost, m paxos.Message) {
	id, sys := p.cfg.ID, p.cfg.Quorums
	if v, ok := g.get(nodeGhostProposed, m.Ballot); ok && v != m.Value {
		g.broken("phase 2a: %s proposed both %q and %q in %v", id, v, m.Value, m.Ballot)
	}
	g.put(nodeGhostProposed, m.Ballot, m.Value)
	var set quorum.Set
	var best paxos.Ballot
	var bestVal string
	if p.gotBallot == m.Ballot {
		for _, pr := range p.got {
			i, _ := sys.Index(pr.From)
			set = set.With(i)
			if best.Less(pr.VBallot) {
				best, bestVal = pr.VBallot, pr.Value
			}
		}
	}
	switch {
	case !sys.IsRead(set):
		g.broken("phase 2a: %s proposed %q in %v with promises from %v only, not a phase-1 quorum", id, m.Value, m.Ballot, sys.NamesOf(set))
	case !best.IsZero() && m.Value != bestVal:
		g.broken("phase 2a (P2c): %s proposed %q in %v, but its phase-1 quorum reported %v=%q as the highest acceptance", id, m.Value, m.Ballot, best, bestVal)
	}
}

// checkDurable checks, after a call, the durability contract: what the
// messages sent in the call report was saved, and State is what was
// saved.
func (p *peer) checkDurable() {
	g := nodeGhost{p.store.s}
	saved, err := p.store.Load()
	if err != nil {
		g.broken("durability: %s's state does not decode: %v", p.cfg.ID, err)
	}
	if st := p.n.State(); st != saved {
		g.broken("durability: %s's State is %+v but it saved %+v", p.cfg.ID, st, saved)
	}
	for _, m := range p.sent {
		switch {
		case m.Type == paxos.Promise && saved.Promised.Less(m.Ballot):
			g.broken("durability: %s sent a promise of %v but saved the promise %v", p.cfg.ID, m.Ballot, saved.Promised)
		case m.Type == paxos.Accepted && (saved.Accepted != m.Ballot || saved.Value != m.Value):
			g.broken("durability: %s sent the acceptance %v=%q but saved %v=%q", p.cfg.ID, m.Ballot, m.Value, saved.Accepted, saved.Value)
		case m.Type == paxos.Prepare && saved.Round < m.Ballot.Round:
			g.broken("durability: %s sent a prepare of %v but saved the round %d", p.cfg.ID, m.Ballot, saved.Round)
		}
	}
	p.sent = p.sent[:0]
}

// checkNodeSpec checks the invariants over the ghost state of nodes (whose
// storage gives, crashed or not) and their decisions: no node made a bad
// step; every acceptance was proposed (phase 2b); P2b and P3.
func checkNodeSpec(sys *quorum.System, nodes []string, storage func(id string) *sim.Storage, decided func(id string) (string, bool)) error {
	for _, id := range nodes {
		if msg, ok := storage(id).Get(nodeGhostBroken); ok {
			return fmt.Errorf("specification: %s", msg)
		}
	}
	type choice struct {
		ballot paxos.Ballot
		value  string
	}
	votes := map[choice]quorum.Set{}
	for _, a := range sys.Names() {
		i, _ := sys.Index(a)
		var err error
		nodeGhost{storage(a)}.each(nodeGhostAccepted, func(b paxos.Ballot, v string) {
			votes[choice{b, v}] = votes[choice{b, v}].With(i)
			if err != nil {
				return
			}
			if st := storage(b.Node); st == nil {
				err = fmt.Errorf("specification: phase 2b: %s accepted %v=%q, a ballot of no node", a, b, v)
			} else if w, ok := (nodeGhost{st}).get(nodeGhostProposed, b); !ok || w != v {
				err = fmt.Errorf("specification: phase 2b: %s accepted %v=%q, which %s did not propose", a, b, v, b.Node)
			}
		})
		if err != nil {
			return err
		}
	}
	var chosen []choice
	for c, set := range votes {
		if sys.IsWrite(set) {
			chosen = append(chosen, c)
		}
	}
	for _, id := range nodes {
		var err error
		nodeGhost{storage(id)}.each(nodeGhostProposed, func(b paxos.Ballot, v string) {
			for _, c := range chosen {
				if err == nil && c.ballot.Less(b) && v != c.value {
					err = fmt.Errorf("specification: P2b: %q was chosen in %v, but %s proposed %q in the higher ballot %v", c.value, c.ballot, id, v, b)
				}
			}
		})
		if err != nil {
			return err
		}
		v, ok := decided(id)
		if !ok {
			continue
		}
		found := false
		for _, c := range chosen {
			found = found || c.value == v
		}
		if !found {
			return fmt.Errorf("specification: P3: %s learned %q, which no phase-2 quorum accepted in one ballot", id, v)
		}
	}
	return nil
}
