package commit

import (
	"encoding/binary"

	"github.com/eventually-perfect/primitives/sim"
)

// Timer names, as traces show them. Each names what the node is waiting
// for when the timer fires.
const (
	timerPrepare   = "prepare"   // participant: Prepare has not come
	timerVotes     = "votes"     // coordinator: not every vote has come
	timerPreCommit = "precommit" // three-phase participant: PreCommit has not come
	timerAcks      = "acks"      // three-phase coordinator: not every ack has come
	timerCommit    = "commit"    // three-phase participant: the decision has not come
	timerDecision  = "decision"  // uncertain participant: time to ask again
)

var allTimers = [...]string{timerPrepare, timerVotes, timerPreCommit, timerAcks, timerCommit, timerDecision}

// base is the state both protocols keep, and the steps they share. Every
// field is plain data, so a copy of the struct is a deep copy (cfg is
// shared and never changes).
type base struct {
	cfg  *config
	id   string
	role role
	bit  uint64 // a participant's bit in cfg.all

	state    State
	decision Decision
	votes    uint64 // coordinator: participants that voted yes
	acks     uint64 // three-phase coordinator: participants that acked
	queries  int    // participant: queries left before it stops asking
	// recovering: a three-phase participant restarted uncertain or
	// prepared. It may not decide by timeout (it was down and does not
	// know what the others did) and asks instead.
	recovering bool
}

func newBase(cfg *config, id string) base {
	r, bit := cfg.roleOf(id)
	return base{cfg: cfg, id: id, role: r, bit: bit}
}

// ID returns the node's identifier.
func (b *base) ID() string { return b.id }

// State returns where the node stands in the protocol.
func (b *base) State() State { return b.state }

// Decision returns the node's decision, or Undecided.
func (b *base) Decision() Decision { return b.decision }

// decide persists d, then notes it, stops every timer and, at the
// coordinator, announces it to every participant. Persisting first is the
// durability contract: a node that has told anyone its decision will
// still know it after a crash.
func (b *base) decide(ctx *sim.Context[Msg], d Decision) {
	ctx.Storage().Put(keyDecision, []byte(d.String()))
	b.state, b.decision = Decided, d
	ctx.Note("decide " + d.String())
	b.stopTimers(ctx)
	if b.role == coordinator {
		b.announce(ctx)
	}
}

// recover restores a decision persisted before a crash. It reports
// whether there was one.
func (b *base) recover(ctx *sim.Context[Msg]) bool {
	d := StoredDecision(ctx.Storage())
	if d == Undecided {
		return false
	}
	b.state, b.decision = Decided, d
	if b.role == coordinator {
		// Participants may have missed the announcement while we were
		// down; telling them again is harmless.
		b.announce(ctx)
	}
	return true
}

// announce sends the decision to every participant.
func (b *base) announce(ctx *sim.Context[Msg]) {
	for _, p := range b.cfg.participants {
		ctx.Send(p, b.decision.msg())
	}
}

func (b *base) stopTimers(ctx *sim.Context[Msg]) {
	for _, t := range allTimers {
		ctx.CancelTimer(t)
	}
}

// votesNo reports whether this participant is configured to vote no.
func (b *base) votesNo() bool { return b.cfg.voteNo&b.bit != 0 }

// voteYes persists the vote, then sends it: a participant that crashes
// after voting yes must remember that it may no longer abort alone.
func (b *base) voteYes(ctx *sim.Context[Msg]) {
	ctx.Storage().Put(keyVote, []byte("yes"))
	b.state = Waiting
	ctx.CancelTimer(timerPrepare)
	ctx.Send(b.cfg.coordinator, Yes)
}

// abortAlone is a participant's unilateral abort, allowed only before it
// votes yes: it records a no vote and the decision, and tells the
// coordinator, which may then stop waiting.
func (b *base) abortAlone(ctx *sim.Context[Msg]) {
	ctx.Storage().Put(keyVote, []byte("no"))
	b.decide(ctx, Aborted)
	ctx.Send(b.cfg.coordinator, No)
}

// answer replies to a Query with the decision, if there is one.
func (b *base) answer(ctx *sim.Context[Msg], from string) {
	if b.state == Decided {
		ctx.Send(from, b.decision.msg())
	}
}

// appendRenamed is appendState with the sets of participants (votes,
// acks) renamed by rename, a permutation of the participants, and the
// node's own configured vote added: a participant that votes no is not
// interchangeable with one that votes yes, and must not look like one.
func (b *base) appendRenamed(buf []byte, rename func(string) string) []byte {
	buf = b.appendWith(buf, b.cfg.renameSet(b.votes, rename), b.cfg.renameSet(b.acks, rename))
	no := byte(0)
	if b.votesNo() {
		no = 1
	}
	return append(buf, no)
}

// renameSet returns the set of participants set (a bit per participant)
// with each participant p replaced by rename(p).
func (c *config) renameSet(set uint64, rename func(string) string) uint64 {
	var out uint64
	for i, p := range c.participants {
		if set&(1<<i) != 0 {
			out |= 1 << c.index[rename(p)]
		}
	}
	return out
}

// appendState encodes the volatile state canonically (cfg, id, role and
// bit are fixed by the node's identifier and left out).
func (b *base) appendState(buf []byte) []byte { return b.appendWith(buf, b.votes, b.acks) }

// appendWith is appendState with the given sets of votes and acks. It
// reads the node only: node values are shared between the explorer's
// states and workers.
func (b *base) appendWith(buf []byte, votes, acks uint64) []byte {
	recovering := byte(0)
	if b.recovering {
		recovering = 1
	}
	buf = append(buf, byte(b.state), byte(b.decision), recovering)
	buf = binary.AppendUvarint(buf, votes)
	buf = binary.AppendUvarint(buf, acks)
	return binary.AppendUvarint(buf, uint64(b.queries))
}
