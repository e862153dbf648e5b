package paxos

import "fmt"

// The acceptor: phases 1b and 2b ("Paxos Made Simple", section 2.2). An
// acceptor promises never to accept below the highest ballot it has
// promised, reports what it accepted when it promises, and accepts a
// proposal unless it promised a higher ballot. Both promises and
// acceptances are written to the LogStorage before any message that
// depends on them is returned. In Multi-Paxos one prepare covers every
// slot from the candidate's decided prefix on, so a promise reports the
// acceptances of all those slots at once.

// onPrepare is phase 1b: promise m.Ballot unless a higher ballot was
// promised, and report every acceptance from the candidate's decided
// prefix on (with the snapshot, if this acceptor compacted beyond it).
func (r *Replica) onPrepare(m LogMessage, out *[]LogMessage) error {
	if m.Ballot.Less(r.promised) {
		r.nack(m, out)
		return nil
	}
	if err := r.savePromise(m.Ballot); err != nil {
		return err
	}
	r.hear(m.Ballot)
	if m.From != r.cfg.ID {
		r.elapsed = 0
	}
	p := LogMessage{Type: LogPromise, Ballot: m.Ballot, Commit: r.commit}
	if r.cfg.mutant != mutPromiseWithoutAcceptances {
		for s := max(m.Commit, r.base); s-r.base < uint64(r.slots.len()); s++ {
			if e := r.slots.at(int(s - r.base)).e; !e.Ballot.IsZero() {
				p.Entries = append(p.Entries, e)
			}
		}
	}
	if r.base > m.Commit {
		p.Snapshot, p.SnapshotSlot = r.snap, r.base
		r.stats.SnapshotsSent++
	}
	r.reply(m, p, out)
	return nil
}

// onAccept is phase 2b: accept m.Entry in m.Ballot unless a higher ballot
// was promised. A slot already decided here is not accepted again: the
// answer is the decision, so that the leader learns it instead of
// counting an acknowledgement for a value this acceptor never recorded.
// The accept's Commit is the leader's commit notice.
func (r *Replica) onAccept(m LogMessage, out *[]LogMessage) error {
	if m.Ballot.Less(r.promised) && r.cfg.mutant != mutAcceptBelowPromise {
		r.nack(m, out)
		return nil
	}
	if err := r.savePromise(m.Ballot); err != nil {
		return err
	}
	r.hear(m.Ballot)
	r.elapsed, r.leaderHint = 0, m.From
	s := m.Entry.Slot
	if s < r.base {
		r.stats.Nacks++
		r.reply(m, LogMessage{Type: LogNack, Ballot: m.Ballot, Entry: Entry{Slot: s}, Highest: r.promised, Commit: r.base}, out)
		return nil
	}
	if s >= r.commit+maxAhead {
		r.stats.Dropped++
		return nil
	}
	rec := r.at(s)
	if rec.decided && r.cfg.mutant != mutAckWithoutAccept {
		r.reply(m, LogMessage{Type: LogDecide, Entries: []Entry{rec.e}}, out)
		return r.notice(m.Ballot, m.Commit)
	}
	if !rec.decided && rec.e.Ballot != m.Ballot {
		e := m.Entry
		e.Ballot = m.Ballot
		if err := r.storage.PutEntry(e); err != nil {
			return fmt.Errorf("paxos: put entry: %w: %w", ErrStorage, err)
		}
		rec.e = e
	}
	r.reply(m, LogMessage{Type: LogAccepted, Ballot: m.Ballot, Entry: Entry{Slot: s}}, out)
	if !rec.decided && m.Ballot == r.noticeB && s < r.noticeC {
		// A commit notice covering s overtook this accept.
		if err := r.learn(rec.e); err != nil {
			return err
		}
	}
	return r.notice(m.Ballot, m.Commit)
}

// savePromise writes a promise of b if it is above the current one.
func (r *Replica) savePromise(b Ballot) error {
	if !r.promised.Less(b) {
		return nil
	}
	if r.cfg.mutant != mutPromiseNotPersisted {
		if err := r.storage.SetHardState(b, r.round); err != nil {
			return fmt.Errorf("paxos: save promise: %w: %w", ErrStorage, err)
		}
	}
	r.promised = b
	return nil
}

// nack refuses m: this acceptor promised a higher ballot.
func (r *Replica) nack(m LogMessage, out *[]LogMessage) {
	r.stats.Nacks++
	r.reply(m, LogMessage{Type: LogNack, Ballot: m.Ballot, Entry: Entry{Slot: m.Entry.Slot}, Highest: r.promised}, out)
}
