package paxos

import (
	"fmt"
	"slices"
)

// Electing a leader: phase 1a and the candidate's side of phase 1b
// ("Paxos Made Simple", section 3: a new leader runs phase 1 for every
// slot it has not seen decided, then phase 2 for each). A replica that
// hears no leader for its election timeout becomes a candidate with a
// ballot above every one it has seen; once a phase-1 quorum promised, it
// leads: every undecided slot up to the highest one reported is proposed
// again with the value of the highest-ballot acceptance reported for it,
// or a no-op where none was. A replica that hears a higher ballot than
// its own steps down.

// campaign starts an election: the round is written before the ballot
// that uses it is sent, so a restarted replica never uses one twice.
func (r *Replica) campaign(out *[]LogMessage) error {
	r.elapsed, r.timeout = 0, r.drawTimeout()
	round := max(r.round, r.promised.Round, r.known.Round) + 1
	if err := r.storage.SetHardState(r.promised, round); err != nil {
		return fmt.Errorf("paxos: save round: %w: %w", ErrStorage, err)
	}
	r.round = round
	r.role, r.ballot, r.promises, r.leaderHint = candidate, Ballot{Round: round, Node: r.cfg.ID}, 0, ""
	r.merged = map[uint64]Entry{}
	r.stats.Elections++
	p := LogMessage{Type: LogPrepare, From: r.cfg.ID, Ballot: r.ballot, Commit: r.commit, To: r.cfg.ID}
	*out = append(*out, p)
	for _, a := range r.p1 {
		p.To = a
		*out = append(*out, p)
	}
	return nil
}

// candidateTick: a thrifty candidate sent phase 1 to one quorum; one tick
// later it asks every replica that has not promised.
func (r *Replica) candidateTick(out *[]LogMessage) {
	if r.role != candidate || !r.cfg.Thrifty || r.elapsed != 1 {
		return
	}
	p := LogMessage{Type: LogPrepare, From: r.cfg.ID, Ballot: r.ballot, Commit: r.commit}
	for _, a := range r.others {
		if i, _ := r.sys.Index(a); !r.promises.Has(i) {
			p.To = a
			*out = append(*out, p)
		}
	}
}

// onPromise counts a promise for this candidate's ballot: it learns the
// decisions reported, merges the acceptances, and leads once a phase-1
// quorum promised.
func (r *Replica) onPromise(m LogMessage, from int, out *[]LogMessage) error {
	if r.role != candidate || m.Ballot != r.ballot || r.promises.Has(from) {
		r.stats.Dropped++
		return nil
	}
	if m.SnapshotSlot > r.commit {
		if err := r.install(m.SnapshotSlot, m.Snapshot); err != nil {
			return err
		}
	}
	// The entries below the acceptor's decided prefix (m.Commit) are
	// decided: learn them rather than propose them again.
	for _, e := range m.Entries {
		if e.Slot >= m.Commit {
			break
		}
		if e.Slot >= r.commit && e.Slot < r.commit+maxAhead && !e.Ballot.IsZero() {
			if err := r.learn(e); err != nil {
				return err
			}
		}
	}
	for _, e := range m.Entries {
		if e.Slot >= r.commit+maxAhead {
			// Never ignore an acceptance: without it this candidate
			// could propose over a chosen entry. Refuse the promise;
			// catch-up will bring this replica closer first.
			r.stats.Dropped++
			return nil
		}
	}
	r.promises = r.promises.With(from)
	for _, e := range m.Entries {
		if e.Slot < r.commit {
			continue
		}
		old, ok := r.merged[e.Slot]
		higher := !ok || old.Ballot.Less(e.Ballot)
		if r.cfg.mutant == mutLowestBallotValue {
			higher = !ok || e.Ballot.Less(old.Ballot)
		}
		if higher {
			r.merged[e.Slot] = e
		}
	}
	if r.sys.IsRead(r.promises) {
		return r.lead(out)
	}
	return nil
}

// lead runs when phase 1 succeeded: every undecided slot up to the
// highest reported is proposed again with the highest-ballot entry
// reported for it, or a no-op where none was ("Paxos Made Simple",
// section 3); then the pending commands follow.
func (r *Replica) lead(out *[]LogMessage) error {
	r.role, r.known, r.leaderHint = leader, r.ballot, r.cfg.ID
	hi := r.commit
	for s := range r.merged {
		hi = max(hi, s+1)
	}
	r.next, r.inflight = hi, 0
	r.releaseAll()
	for s := r.commit; s < hi; s++ {
		if rec := r.get(s); s < r.commit || rec != nil && rec.decided {
			continue
		}
		e, ok := r.merged[s]
		if !ok || r.cfg.mutant == mutSkipPhase1Value {
			e = Entry{NoOp: true}
		}
		for _, c := range e.Commands {
			if c.Client != "" {
				r.client(c.Client, true).hold(c.Seq)
			}
		}
		if err := r.propose(s, Entry{Commands: e.Commands, NoOp: e.NoOp}, out); err != nil {
			r.stepDown()
			return err
		}
	}
	r.merged = nil
	hb := LogMessage{Type: LogHeartbeat, From: r.cfg.ID, Ballot: r.ballot, Commit: r.commit}
	for _, a := range r.others {
		hb.To = a
		*out = append(*out, hb)
	}
	pending := r.pending
	r.pending = nil
	for _, c := range pending {
		if !r.done(c) {
			if err := r.enqueue(c); err != nil {
				break
			}
		}
	}
	return r.flush(out)
}

// onNack: an acceptor refused this replica's ballot. A higher promise
// makes a candidate or leader step down; a leader whose accept reached an
// acceptor that compacted the slot asks it for the decisions.
func (r *Replica) onNack(m LogMessage, out *[]LogMessage) error {
	if r.role == follower || m.Ballot != r.ballot {
		r.stats.Dropped++
		return nil
	}
	if r.ballot.Less(m.Highest) {
		r.hear(m.Highest)
		r.elapsed = 0
		return nil
	}
	if r.role == leader && m.Commit > r.commit {
		r.reply(m, LogMessage{Type: LogCatchUp, Commit: r.commit}, out)
	}
	return nil
}

// hear notes a ballot used by a leader or candidate; a higher one than
// ours makes us a follower.
func (r *Replica) hear(b Ballot) {
	if r.known.Less(b) {
		r.known = b
	}
	if r.role != follower && r.ballot.Less(b) {
		r.stepDown()
	}
}

// stepDown makes a leader or candidate a follower; a leader's queued and
// undecided commands become pending, to be forwarded to the next leader.
func (r *Replica) stepDown() {
	if r.role == leader {
		for s := r.commit; s < r.next; s++ {
			if rec := r.get(s); rec != nil && rec.proposed {
				rec.proposed, rec.acks = false, 0
				r.keep(rec.e.Commands)
			}
		}
		r.keep(r.queue[r.qhead:])
		clear(r.queue)
		r.queue, r.qhead, r.inflight = r.queue[:0], 0, 0
		r.releaseAll()
	}
	r.role, r.merged, r.leaderHint = follower, nil, ""
}

// keep adds cs to the pending commands; one without a session is not
// added twice (the others are deduplicated by their sessions).
func (r *Replica) keep(cs []Command) {
	for _, c := range cs {
		if len(r.pending) < maxQueued && (c.Client != "" || !slices.Contains(r.pending, c)) {
			r.pending = append(r.pending, c)
		}
	}
}
