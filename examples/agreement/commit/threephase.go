package commit

import (
	"github.com/eventually-perfect/primitives/sim"
)

// ThreePhase is a node of three-phase commit (Skeen 1981; Bernstein,
// Hadzilacos and Goodman 1987, chapter 7): the coordinator or one
// participant, depending on its identifier. Create nodes with
// NewThreePhase.
//
// Three-phase commit puts a state between voting and committing. Once
// every vote is Yes the coordinator sends PreCommit ("everyone voted yes")
// and waits for acks before it sends Commit. So no node is ever in a state
// from which one step leads to commit while another node is still
// uncertain whether everyone voted yes (Skeen's condition for a
// nonblocking protocol), and a participant can decide from its own state
// when the coordinator goes silent:
//
//   - without Prepare, a participant aborts (it has not voted);
//   - the coordinator, missing a vote, aborts; missing an ack, it commits
//     (everyone voted yes; a participant that did not ack is presumed
//     crashed and will learn the outcome when it recovers);
//   - a participant that voted yes but has no PreCommit (uncertain) times
//     out and aborts: nobody can have committed, since committing needs a
//     PreCommit that it would also have received;
//   - a participant that received PreCommit (prepared) times out and
//     commits: everyone voted yes, and everyone got PreCommit too.
//
// The two "since" clauses are where the protocol trusts the network: they
// hold when messages arrive within a known delay and timeouts are longer
// than that delay, so that a timeout means a crash. A partition breaks
// them: the PreCommit is sent, one side receives it and commits, the
// other side never does and aborts. Skeen's protocol then runs a
// termination protocol among the survivors; this lesson keeps only the
// local timeout rule above, which is enough to show both the benefit
// (no blocking on a coordinator crash) and the price (disagreement under
// a partition).
//
// Recovery: a coordinator that restarts with a decision announces it
// again; one that restarts after sending PreCommit commits; one that
// restarts before, aborts. A participant that restarts uncertain or
// prepared may not use the timeout rule (it was down and does not know
// what the others decided meanwhile): it asks every other node (Query),
// up to Config.Queries times, and adopts the first answer. Every decision
// is persisted before it is noted or sent.
//
// ThreePhase implements sim.Node[Msg] and sim.Explorable[Msg,
// *ThreePhase]. The zero value is not usable.
type ThreePhase struct {
	base
}

// NewThreePhase validates cfg and returns a factory for its nodes, to
// give the simulator or the explorer. The factory returns the coordinator
// or a participant according to id; any other id gets a node that takes
// no part.
func NewThreePhase(cfg Config) (func(id string) *ThreePhase, error) {
	c, err := cfg.compile()
	if err != nil {
		return nil, err
	}
	return func(id string) *ThreePhase { return &ThreePhase{base: newBase(c, id)} }, nil
}

// Uncertain reports whether the node is a participant that voted yes and
// has not received PreCommit: the state whose timeout rule is "abort".
func (n *ThreePhase) Uncertain() bool { return n.role == participant && n.state == Waiting }

// Recovering reports whether the node is a participant that restarted
// undecided after voting yes and waits for someone to tell it the outcome.
func (n *ThreePhase) Recovering() bool { return n.recovering }

// Clone returns an independent copy of the node.
func (n *ThreePhase) Clone() *ThreePhase {
	c := *n
	return &c
}

// AppendState appends a canonical encoding of the node's volatile state.
func (n *ThreePhase) AppendState(b []byte) []byte { return n.appendState(b) }

// AppendRenamed appends the encoding of the node's volatile state with
// every participant p it refers to replaced by rename(p), and whether it
// votes no, so that the explorer can treat participants as
// interchangeable (sim.ExploreConfig.Symmetric). rename must permute the
// participants, all voting alike, among themselves; the coordinator is
// not interchangeable with them.
func (n *ThreePhase) AppendRenamed(b []byte, rename func(id string) string) []byte {
	return n.appendRenamed(b, rename)
}

// Start begins the protocol, or resumes it from storage after a restart.
func (n *ThreePhase) Start(ctx *sim.Context[Msg]) {
	n.base = newBase(n.cfg, n.id) // a restart begins from scratch
	switch n.role {
	case coordinator:
		n.startCoordinator(ctx)
	case participant:
		n.startParticipant(ctx)
	}
}

func (n *ThreePhase) startCoordinator(ctx *sim.Context[Msg]) {
	if n.recover(ctx) {
		return
	}
	switch _, begun := ctx.Storage().Get(keyBegun); {
	case storedPrepared(ctx.Storage()):
		// PreCommit went out, so every participant voted yes; some may
		// have committed by timeout already.
		n.decide(ctx, Committed)
		return
	case begun:
		// No PreCommit went out: nobody can have committed.
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

func (n *ThreePhase) startParticipant(ctx *sim.Context[Msg]) {
	if n.recover(ctx) {
		return
	}
	if StoredVote(ctx.Storage()) != VotedYes {
		ctx.SetTimer(timerPrepare, n.cfg.timeout)
		return
	}
	n.state = Waiting
	if storedPrepared(ctx.Storage()) {
		n.state = Prepared
	}
	n.recovering = true
	n.queries = n.cfg.queries
	n.ask(ctx)
}

// ask sends Query to every other node and arms the timer to ask again,
// while questions are left.
func (n *ThreePhase) ask(ctx *sim.Context[Msg]) {
	if n.queries == 0 {
		ctx.Note("blocked")
		return
	}
	n.queries--
	ctx.Broadcast(Query)
	ctx.SetTimer(timerDecision, n.cfg.timeout)
}

// Receive handles a message.
func (n *ThreePhase) Receive(ctx *sim.Context[Msg], from string, m Msg) {
	if m == Query {
		n.answer(ctx, from)
		return
	}
	switch n.role {
	case coordinator:
		n.coordinatorReceive(ctx, from, m)
	case participant:
		n.participantReceive(ctx, from, m)
	}
}

func (n *ThreePhase) coordinatorReceive(ctx *sim.Context[Msg], from string, m Msg) {
	r, bit := n.cfg.roleOf(from)
	if r != participant {
		return
	}
	switch {
	case m == Yes && n.state == Waiting:
		n.votes |= bit
		if n.votes == n.cfg.all {
			ctx.Storage().Put(keyPrepared, nil)
			n.state = Prepared
			ctx.CancelTimer(timerVotes)
			for _, p := range n.cfg.participants {
				ctx.Send(p, PreCommit)
			}
			ctx.SetTimer(timerAcks, n.cfg.timeout)
		}
	case m == No && n.state == Waiting:
		n.decide(ctx, Aborted)
	case m == Ack && n.state == Prepared:
		n.acks |= bit
		if n.acks == n.cfg.all {
			n.decide(ctx, Committed)
		}
	}
}

func (n *ThreePhase) participantReceive(ctx *sim.Context[Msg], from string, m Msg) {
	switch m {
	case Prepare:
		if from != n.cfg.coordinator {
			return
		}
		switch {
		case n.state == Initial && n.votesNo():
			n.abortAlone(ctx)
		case n.state == Initial:
			n.voteYes(ctx)
			ctx.SetTimer(timerPreCommit, n.cfg.timeout)
		case n.state == Waiting || n.state == Prepared:
			ctx.Send(from, Yes) // a repeated Prepare: the vote stands
		case n.decision == Aborted:
			ctx.Send(from, No)
		}
	case PreCommit:
		if from != n.cfg.coordinator {
			return
		}
		switch n.state {
		case Waiting:
			ctx.Storage().Put(keyPrepared, nil)
			n.state = Prepared
			ctx.CancelTimer(timerPreCommit)
			ctx.Send(from, Ack)
			if !n.recovering {
				ctx.SetTimer(timerCommit, n.cfg.timeout)
			}
		case Prepared:
			ctx.Send(from, Ack) // a repeated PreCommit
		}
	case Commit, Abort:
		// From the coordinator, or a peer answering our Query.
		if n.state != Decided {
			n.decide(ctx, decisionOf(m))
		}
	}
}

// Timeout handles the expiry of a timer.
func (n *ThreePhase) Timeout(ctx *sim.Context[Msg], name string) {
	switch {
	case n.state == Decided:
	case name == timerVotes && n.role == coordinator && n.state == Waiting:
		n.decide(ctx, Aborted)
	case name == timerAcks && n.role == coordinator && n.state == Prepared:
		n.decide(ctx, Committed)
	case n.role != participant:
	case name == timerPrepare && n.state == Initial:
		n.abortAlone(ctx)
	case name == timerPreCommit && n.state == Waiting && !n.recovering:
		n.decide(ctx, Aborted) // uncertain: nobody can have committed
	case name == timerCommit && n.state == Prepared && !n.recovering:
		n.decide(ctx, Committed) // prepared: everybody voted yes
	case name == timerDecision && n.recovering:
		n.ask(ctx)
	}
}
