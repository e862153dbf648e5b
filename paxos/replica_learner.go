package paxos

import (
	"fmt"
	"slices"
)

// The learner: how a replica comes to know that a slot is decided, and
// catch-up. There are four ways, and each must only ever report an entry
// that a phase-2 quorum accepted in one ballot:
//
//   - as leader, from a phase-2 quorum of acknowledgements of its own
//     proposal (leader.go);
//   - from a commit notice (a heartbeat, a commit, or the Commit of an
//     accept): the leader of ballot b says that the slots below c are
//     decided; a follower learns, in those slots, what it accepted in b;
//   - from decisions another replica sends (a catch-up answer, or the
//     answer of an acceptor that had already decided a slot), each entry
//     with the ballot that chose it;
//   - from a snapshot, which covers every slot below its slot.
//
// The commit notice is where the replica once went wrong (issue 11). The
// notice is sound only if, in every slot below c where the leader of b
// proposed, the decided entry is the one it proposed in b. A leader that
// decided the slot itself knows this. But a leader can also learn a slot
// from another replica, and Paxos does not promise that it holds the
// value the leader proposed: if v is chosen in ballot b' < b then every
// proposal in b is v ("Paxos Made Simple", P2c), but a slot chosen in a
// higher ballot b' > b may hold anything, since the leader of b' need not
// have heard of b's proposal. So a leader that learns, from anywhere but
// its own quorum, a decision that differs from its own proposal in that
// slot has been overtaken by a higher ballot: it steps down before it
// announces its decided prefix again. A snapshot carries no ballots, so
// a leader that installs one covering a slot in which it has a proposal
// steps down too. The followers' rule is then safe: what they accepted in
// b, in a slot below the commit notice of b, is what was decided.

// learn records e as decided and applies the decided prefix.
func (r *Replica) learn(e Entry) error {
	rec := r.at(e.Slot)
	if rec.decided {
		return nil
	}
	if rec.proposed {
		rec.proposed, rec.acks = false, 0
		r.inflight--
	}
	rec.e, rec.decided = e, true
	if r.cfg.learned != nil {
		r.cfg.learned(e)
	}
	if e.Slot != r.commit {
		return nil
	}
	for r.commit-r.base < uint64(r.slots.len()) && r.slots.at(int(r.commit-r.base)).decided {
		effect := r.commit >= r.replay
		for _, c := range r.slots.at(int(r.commit - r.base)).e.Commands {
			r.apply(c, effect)
		}
		r.commit++
		if r.durable != nil && effect {
			if err := r.durable.SetApplied(r.commit); err != nil {
				return fmt.Errorf("paxos: state machine: %w: %w", ErrStorage, err)
			}
		}
	}
	r.next = max(r.next, r.commit)
	if r.cfg.SnapshotEvery > 0 && r.commit-r.base >= r.cfg.SnapshotEvery {
		return r.compact()
	}
	return nil
}

// learnDecided learns e, decided elsewhere and sent here with the ballot
// that chose it. A leader whose own proposal in that slot differs has
// been overtaken by a higher ballot (see the top of this file): it steps
// down first, so that no commit notice of its ballot covers the slot.
func (r *Replica) learnDecided(e Entry) error {
	if r.role == leader && r.cfg.mutant != mutLeaderKeepsStaleProposal {
		if rec := r.get(e.Slot); rec != nil && rec.proposed && !sameValue(rec.e, e) {
			r.hear(e.Ballot)
			if r.role == leader {
				// Not a higher ballot, yet another value: impossible in
				// Paxos, but never announce it either way.
				r.stepDown()
			}
		}
	}
	return r.learn(e)
}

// sameValue reports whether a and b hold the same commands (or are both
// no-ops), whatever their slots and ballots.
func sameValue(a, b Entry) bool {
	return a.NoOp == b.NoOp && slices.Equal(a.Commands, b.Commands)
}

// onNotice handles a leader's heartbeat or commit: it is alive, and its
// decided prefix is m.Commit. A replica behind it asks for catch-up.
func (r *Replica) onNotice(m LogMessage, out *[]LogMessage) error {
	if m.Ballot.Less(r.promised) {
		r.nack(m, out) // tells a deposed leader to step down
		return nil
	}
	if m.Ballot.Less(r.known) {
		r.stats.Dropped++
		return nil
	}
	r.hear(m.Ballot)
	r.elapsed, r.leaderHint = 0, m.From
	if err := r.notice(m.Ballot, m.Commit); err != nil {
		return err
	}
	if m.Type == LogHeartbeat && r.commit < m.Commit {
		r.reply(m, LogMessage{Type: LogCatchUp, Commit: r.commit}, out)
	}
	return nil
}

// notice handles a leader's commit notice: the slots below c are
// decided, and those this replica accepted in ballot b hold the decided
// entry (see the top of this file for why).
func (r *Replica) notice(b Ballot, c uint64) error {
	from := r.commit
	if b == r.noticeB {
		from = max(from, r.noticeC)
	}
	if r.noticeB.Less(b) || b == r.noticeB && c > r.noticeC {
		r.noticeB, r.noticeC = b, c
	}
	for s := from; s < c; s++ {
		rec := r.get(s)
		if rec == nil {
			if s >= r.base {
				break
			}
			continue
		}
		if !rec.decided && (rec.e.Ballot == b || r.cfg.mutant == mutNoticeAnyBallot && !rec.e.Ballot.IsZero()) {
			if err := r.learn(rec.e); err != nil {
				return err
			}
		}
	}
	return nil
}

// onDecide learns the decisions another replica sent.
func (r *Replica) onDecide(m LogMessage, out *[]LogMessage) error {
	es := m.Entries
	if len(es) == 0 {
		es = []Entry{m.Entry}
	}
	for _, e := range es {
		if e.Slot < r.commit || e.Slot >= r.commit+maxAhead || e.Ballot.IsZero() {
			r.stats.Dropped++
			continue
		}
		if err := r.learnDecided(e); err != nil {
			return err
		}
	}
	if r.role == leader {
		// A decision of a slot in flight frees room in the window.
		if err := r.flush(out); err != nil {
			return err
		}
	}
	if len(m.Entries) == maxCatchUp && r.commit < r.noticeC {
		// A full answer to a catch-up: ask for the rest at once.
		r.reply(m, LogMessage{Type: LogCatchUp, Commit: r.commit}, out)
	}
	return nil
}

// onCatchUp answers a replica that is behind with the decisions from
// m.Commit on (at most maxCatchUp), preceded by the snapshot if it is
// behind the compaction point.
func (r *Replica) onCatchUp(m LogMessage, out *[]LogMessage) {
	r.stats.CatchUps++
	s := m.Commit
	if s < r.base {
		r.stats.SnapshotsSent++
		r.reply(m, LogMessage{Type: LogSnapshot, Snapshot: r.snap, SnapshotSlot: r.base}, out)
		s = r.base
	}
	end := min(r.commit, s+maxCatchUp)
	if r.cfg.mutant == mutCatchUpUndecided {
		end = min(r.base+uint64(r.slots.len()), s+maxCatchUp)
	}
	if s < end {
		d := LogMessage{Type: LogDecide, Entries: make([]Entry, 0, end-s)}
		for ; s < end; s++ {
			if e := r.slots.at(int(s - r.base)).e; !e.Ballot.IsZero() {
				d.Entries = append(d.Entries, e)
			}
		}
		r.reply(m, d, out)
	}
}

// onSnapshot installs a snapshot that covers more than the decided prefix.
func (r *Replica) onSnapshot(m LogMessage) error {
	if m.SnapshotSlot <= r.commit {
		r.stats.Dropped++
		return nil
	}
	return r.install(m.SnapshotSlot, m.Snapshot)
}

// apply applies cmd unless its session says it already was; without
// effect (a durable state machine applied it before a restart) it only
// updates the session.
func (r *Replica) apply(c Command, effect bool) {
	var cl *client
	if c.Client != "" {
		cl = r.client(c.Client, true)
		cl.release(c.Seq)
		if cl.applied(c.Seq) {
			r.stats.Duplicates++
			return
		}
	}
	var res string
	if r.sm != nil && effect {
		res = r.sm.Apply(c)
	}
	if cl != nil {
		cl.add(c.Seq)
		cl.last, cl.result = c.Seq, res
	}
	r.stats.Applied++
	if len(r.pending) > 0 {
		if i := slices.Index(r.pending, c); i >= 0 {
			r.pending = slices.Delete(r.pending, i, i+1)
		}
	}
}

// compact snapshots the replicated state at the decided prefix, writes
// it, and drops the entries below it.
func (r *Replica) compact() error {
	var app []byte
	if r.sm != nil {
		var err error
		if app, err = r.sm.Snapshot(); err != nil {
			return fmt.Errorf("paxos: snapshot: %w: %w", ErrStorage, err)
		}
	}
	blob := encodeSnapshot(r.clients, app)
	if err := r.storage.SetSnapshot(r.commit, blob); err != nil {
		return fmt.Errorf("paxos: save snapshot: %w: %w", ErrStorage, err)
	}
	r.dropBelow(r.commit)
	r.snap = blob
	r.stats.SnapshotsTaken++
	return nil
}

// restore replaces the StateMachine's state with app, the state at slot,
// and tells a durable one where it now stands.
func (r *Replica) restore(slot uint64, app []byte) error {
	if err := r.sm.Restore(app); err != nil {
		return err
	}
	if r.durable != nil {
		if err := r.durable.SetApplied(slot); err != nil {
			return err
		}
		r.replay = min(r.replay, slot)
	}
	return nil
}

// dropBelow forgets the slots below s.
func (r *Replica) dropBelow(s uint64) {
	r.slots.drop(int(min(s-r.base, uint64(r.slots.len()))))
	r.base = s
}

// install replaces the replicated state with a snapshot covering the
// slots below slot (slot > r.commit). The snapshot is decoded and
// restored into the StateMachine before anything is written, so one that
// the StateMachine refuses changes nothing: the error wraps
// ErrBadMessage, and the acceptances below it stay in the LogStorage.
// A leader with a proposal below slot steps down (see the top of this
// file).
func (r *Replica) install(slot uint64, blob []byte) error {
	clients, app, err := decodeSnapshot(blob)
	if err != nil {
		r.stats.Dropped++
		return fmt.Errorf("paxos: snapshot to %d: %w: %w", slot, ErrBadMessage, err)
	}
	if r.sm != nil {
		if err := r.restore(slot, app); err != nil {
			r.stats.Dropped++
			return fmt.Errorf("paxos: snapshot to %d refused by the state machine: %w: %w", slot, ErrBadMessage, err)
		}
	}
	if err := r.storage.SetSnapshot(slot, blob); err != nil {
		return fmt.Errorf("paxos: save snapshot: %w: %w", ErrStorage, err)
	}
	if r.role == leader && r.cfg.mutant != mutSnapshotKeepsLeading {
		for s := r.commit; s < min(slot, r.next); s++ {
			if rec := r.get(s); rec != nil && rec.proposed {
				r.stepDown()
				break
			}
		}
	}
	// A leader that stepped down above kept its proposals' commands as
	// pending; only a leader that still holds proposals below slot (the
	// mutant snapshot-keeps-leading) has any left to queue again here.
	var lost []Command // commands of this leader's proposals the snapshot overtakes
	for i := range r.slots.len() {
		if rec := r.slots.at(i); r.base+uint64(i) < slot && rec.proposed {
			rec.proposed = false
			r.inflight--
			lost = append(lost, rec.e.Commands...)
		}
	}
	r.dropBelow(slot)
	if r.cfg.mutant == mutSnapshotWithoutSessions {
		clients = map[string]*client{}
	}
	r.clients, r.snap, r.commit = clients, blob, slot
	r.lastID, r.lastC = "", nil
	r.next = max(r.next, slot)
	r.pending = slices.DeleteFunc(r.pending, r.done)
	r.stats.SnapshotsInstalled++
	for _, c := range lost {
		if !r.done(c) && r.enqueue(c) != nil {
			break
		}
	}
	if rec := r.get(slot); rec != nil && rec.decided {
		e := rec.e
		rec.decided = false
		return r.learn(e)
	}
	return nil
}
