package commit

import (
	"github.com/eventually-perfect/primitives/sim"
)

// TwoPhase is a node of two-phase commit (Gray 1978; Bernstein, Hadzilacos
// and Goodman 1987, chapter 7): the coordinator or one participant,
// depending on its identifier. Create nodes with NewTwoPhase.
//
// Phase one: the coordinator sends Prepare to every participant; each
// votes Yes or No. Phase two: if every vote is Yes the coordinator decides
// commit, otherwise abort, and announces the decision. Timeouts:
//
//   - a participant that has not received Prepare aborts on its own (it
//     has not voted, so nobody can have committed);
//   - the coordinator, missing a vote, aborts;
//   - a participant that voted Yes and has not heard the outcome cannot
//     decide: the coordinator may have committed or aborted. It asks the
//     coordinator (Query) up to Config.Queries times, then stops asking
//     and notes "blocked". It stays undecided until the coordinator
//     answers, which a coordinator that has crashed never does. This is
//     the blocking that three-phase commit removes.
//
// Recovery: a coordinator that restarts with a decision announces it
// again; one that restarts without a decision (it crashed while
// collecting votes) aborts, which is safe because nobody can have
// committed without its decision ("presumed abort"). A participant that
// restarts uncertain starts asking again.
//
// Every decision is persisted before it is noted or sent. TwoPhase
// implements sim.Node[Msg] and sim.Explorable[Msg, *TwoPhase]. The zero
// value is not usable.
type TwoPhase struct {
	base
}

// NewTwoPhase validates cfg and returns a factory for its nodes, to give
// the simulator or the explorer. The factory returns the coordinator or a
// participant according to id; any other id gets a node that takes no
// part.
func NewTwoPhase(cfg Config) (func(id string) *TwoPhase, error) {
	c, err := cfg.compile()
	if err != nil {
		return nil, err
	}
	return func(id string) *TwoPhase { return &TwoPhase{base: newBase(c, id)} }, nil
}

// Uncertain reports whether the node is a participant that voted yes and
// does not know the outcome: the state in which two-phase commit blocks.
func (n *TwoPhase) Uncertain() bool { return n.role == participant && n.state == Waiting }

// Clone returns an independent copy of the node.
func (n *TwoPhase) Clone() *TwoPhase {
	c := *n
	return &c
}

// AppendState appends a canonical encoding of the node's volatile state.
func (n *TwoPhase) AppendState(b []byte) []byte { return n.appendState(b) }

// AppendRenamed appends the encoding of the node's volatile state with
// every participant p it refers to replaced by rename(p), and whether it
// votes no, so that the explorer can treat participants as
// interchangeable (sim.ExploreConfig.Symmetric). rename must permute the
// participants, all voting alike, among themselves; the coordinator is
// not interchangeable with them.
func (n *TwoPhase) AppendRenamed(b []byte, rename func(id string) string) []byte {
	return n.appendRenamed(b, rename)
}

// Start begins the protocol, or resumes it from storage after a restart.
func (n *TwoPhase) Start(ctx *sim.Context[Msg]) {
	n.base = newBase(n.cfg, n.id) // a restart begins from scratch
	switch n.role {
	case coordinator:
		n.startCoordinator(ctx)
	case participant:
		n.startParticipant(ctx)
	}
}

func (n *TwoPhase) startCoordinator(ctx *sim.Context[Msg]) {
	if n.recover(ctx) {
		return
	}
	if _, begun := ctx.Storage().Get(keyBegun); begun {
		// Crashed while collecting votes: nobody can have committed.
		n.decide(ctx, Aborted)
		return
	}
	ctx.Storage().Put(keyBegun, nil)
	n.state = Waiting
	for _, p := range n.cfg.participants {
		ctx.Send(p, Prepare)
	}
	ctx.SetTimer(timerVotes, n.cfg.timeout)
}

func (n *TwoPhase) startParticipant(ctx *sim.Context[Msg]) {
	if n.recover(ctx) {
		return
	}
	if StoredVote(ctx.Storage()) == VotedYes {
		n.state = Waiting
		n.queries = n.cfg.queries
		ctx.SetTimer(timerDecision, n.cfg.timeout)
		return
	}
	ctx.SetTimer(timerPrepare, n.cfg.timeout)
}

// Receive handles a message.
func (n *TwoPhase) Receive(ctx *sim.Context[Msg], from string, m Msg) {
	switch n.role {
	case coordinator:
		n.coordinatorReceive(ctx, from, m)
	case participant:
		n.participantReceive(ctx, from, m)
	}
}

func (n *TwoPhase) coordinatorReceive(ctx *sim.Context[Msg], from string, m Msg) {
	r, bit := n.cfg.roleOf(from)
	if r != participant {
		return
	}
	switch m {
	case Yes:
		if n.state == Waiting {
			n.votes |= bit
			if n.votes == n.cfg.all {
				n.decide(ctx, Committed)
			}
		}
	case No:
		if n.state == Waiting {
			n.decide(ctx, Aborted)
		}
	case Query:
		n.answer(ctx, from)
	}
}

func (n *TwoPhase) participantReceive(ctx *sim.Context[Msg], from string, m Msg) {
	if from != n.cfg.coordinator {
		return
	}
	switch m {
	case Prepare:
		switch {
		case n.state == Initial && n.votesNo():
			n.abortAlone(ctx)
		case n.state == Initial:
			n.voteYes(ctx)
			n.queries = n.cfg.queries
			ctx.SetTimer(timerDecision, n.cfg.timeout)
		case n.state == Waiting:
			ctx.Send(from, Yes) // a repeated Prepare: the vote stands
		case n.decision == Aborted:
			ctx.Send(from, No)
		}
	case Commit, Abort:
		if n.state != Decided {
			n.decide(ctx, decisionOf(m))
		}
	}
}

// Timeout handles the expiry of a timer.
func (n *TwoPhase) Timeout(ctx *sim.Context[Msg], name string) {
	switch {
	case name == timerVotes && n.role == coordinator && n.state == Waiting:
		n.decide(ctx, Aborted)
	case name == timerPrepare && n.role == participant && n.state == Initial:
		n.abortAlone(ctx)
	case name == timerDecision && n.Uncertain():
		if n.queries == 0 {
			ctx.Note("blocked")
			return
		}
		n.queries--
		ctx.Send(n.cfg.coordinator, Query)
		ctx.SetTimer(timerDecision, n.cfg.timeout)
	}
}

// decisionOf returns the decision Commit or Abort announces.
func decisionOf(m Msg) Decision {
	if m == Commit {
		return Committed
	}
	return Aborted
}
