package paxos

import (
	"fmt"
	"slices"

	"github.com/eventually-perfect/primitives/quorum"
)

// The leader: phase 2a for one slot after another ("Paxos Made Simple",
// section 3), with the log's throughput features. Client commands queue
// at the leader and are packed, up to MaxBatch, into one slot each; at
// most Window slots are in flight; a slot is decided when a phase-2
// quorum acknowledged it in the leader's ballot. Followers forward the
// commands they receive to the leader they know. Proposals that were not
// acknowledged are sent again on the tick after next, to every replica
// that has not answered; heartbeats carry the leader's decided prefix
// (its commit notice, see learner.go).

// Submit asks the replicated log to decide cmd. The leader queues it and
// proposes it, batched with others, as soon as its window has room;
// another replica forwards it to the leader it knows and forwards it
// again on every Tick until it sees it applied. A command whose session
// says it was applied, or that the leader already queued or proposed, is
// ignored (Stats().Duplicates). A command with a Client and Seq 0 is an
// error wrapping ErrBadCommand (sessions number commands from 1), and so
// is one whose Op or Client is longer than MaxOpSize; a full queue is an
// error wrapping ErrOverloaded.
func (r *Replica) Submit(cmd Command) ([]LogMessage, error) {
	if err := checkCommand(cmd); err != nil {
		return nil, err
	}
	if r.done(cmd) {
		r.stats.Duplicates++
		return nil, nil
	}
	var out []LogMessage
	if r.role == leader {
		if err := r.enqueue(cmd); err != nil {
			return nil, err
		}
		if err := r.flush(&out); err != nil {
			return out, err
		}
		return out, nil
	}
	if !slices.Contains(r.pending, cmd) {
		if len(r.pending) >= maxQueued {
			return nil, fmt.Errorf("paxos: %d commands pending: %w", len(r.pending), ErrOverloaded)
		}
		r.pending = append(r.pending, cmd)
	}
	if h := r.leaderHint; h != "" && h != r.cfg.ID {
		out = append(out, LogMessage{Type: LogForward, From: r.cfg.ID, To: h, Command: cmd})
	}
	return out, nil
}

// checkCommand refuses a command no session can apply, and one no
// decoder would read back (a client or op over MaxOpSize).
func checkCommand(c Command) error {
	if len(c.Client) > MaxOpSize {
		return fmt.Errorf("paxos: command: a client of %d bytes, over %d: %w", len(c.Client), MaxOpSize, ErrBadCommand)
	}
	if len(c.Op) > MaxOpSize {
		return fmt.Errorf("paxos: command of client %q, seq %d: an op of %d bytes, over %d: %w", c.Client, c.Seq, len(c.Op), MaxOpSize, ErrBadCommand)
	}
	if c.Client != "" && c.Seq == 0 {
		return fmt.Errorf("paxos: command %v of client %q has Seq 0 (a session numbers its commands from 1): %w", c, c.Client, ErrBadCommand)
	}
	return nil
}

// enqueue adds cmd to the leader's queue unless it is queued or in flight.
func (r *Replica) enqueue(cmd Command) error {
	if len(r.queue)-r.qhead >= maxQueued {
		return fmt.Errorf("paxos: %d commands queued: %w", len(r.queue)-r.qhead, ErrOverloaded)
	}
	if cmd.Client != "" && !r.client(cmd.Client, true).hold(cmd.Seq) {
		r.stats.Duplicates++
		return nil
	}
	r.queue = append(r.queue, cmd)
	return nil
}

// flush proposes queued commands, up to MaxBatch per slot, while the
// window has room.
func (r *Replica) flush(out *[]LogMessage) error {
	for r.inflight < r.cfg.Window && r.qhead < len(r.queue) {
		n := min(r.cfg.MaxBatch, len(r.queue)-r.qhead)
		batch := slices.Clone(r.queue[r.qhead : r.qhead+n])
		// Take the slot before proposing: with a phase-2 quorum of the
		// leader alone, propose decides at once and learn moves next.
		s := r.next
		r.next++
		if err := r.propose(s, Entry{Commands: batch}, out); err != nil {
			r.next = s // nothing was proposed: the slot stays free
			return err
		}
		r.qhead += n
		if r.qhead == len(r.queue) {
			clear(r.queue)
			r.queue, r.qhead = r.queue[:0], 0
		} else if r.qhead >= 1024 && r.qhead > len(r.queue)/2 {
			k := copy(r.queue, r.queue[r.qhead:])
			clear(r.queue[k:])
			r.queue, r.qhead = r.queue[:k], 0
		}
	}
	return nil
}

// propose makes e this leader's proposal for slot s: the leader accepts
// it itself (written to storage first) and sends it to its targets. Its
// own acceptance counts at once, or, with GroupCommit, when the
// acknowledgement it addresses to itself comes back after the sync.
func (r *Replica) propose(s uint64, e Entry, out *[]LogMessage) error {
	e.Slot, e.Ballot = s, r.ballot
	if err := r.storage.PutEntry(e); err != nil {
		return fmt.Errorf("paxos: put entry: %w: %w", ErrStorage, err)
	}
	rec := r.at(s)
	own := quorum.Set(0).With(r.self)
	if r.cfg.GroupCommit {
		own = 0
		*out = append(*out, LogMessage{Type: LogAccepted, From: r.cfg.ID, To: r.cfg.ID, Ballot: r.ballot, Entry: Entry{Slot: s}})
	}
	rec.e, rec.proposed, rec.acks, rec.sent = e, true, own, r.ticks
	r.inflight++
	r.stats.Proposed++
	m := LogMessage{Type: LogAccept, From: r.cfg.ID, Ballot: r.ballot, Entry: e, Commit: r.commit}
	*out = slices.Grow(*out, len(r.targets))
	for _, a := range r.targets {
		m.To = a
		*out = append(*out, m)
	}
	if r.sys.IsWrite(rec.acks) {
		return r.learn(e)
	}
	return nil
}

// onAccepted counts an acknowledgement of this leader's proposal; a
// phase-2 quorum decides the slot. When no accept of the next proposals
// carries the news, a commit notice tells the replicas that accepted.
func (r *Replica) onAccepted(m LogMessage, from int, out *[]LogMessage) error {
	ours := m.Ballot == r.ballot
	if r.cfg.mutant == mutAckAnyBallot {
		ours = m.Ballot.Node == r.cfg.ID
	}
	if r.role != leader || !ours {
		r.stats.Dropped++
		return nil
	}
	rec := r.get(m.Entry.Slot)
	if rec == nil || !rec.proposed {
		r.stats.Dropped++
		return nil
	}
	rec.acks = rec.acks.With(from)
	if !r.sys.IsWrite(rec.acks) && !(r.cfg.mutant == mutDecideOneShort && r.oneShort(rec.acks)) {
		return nil
	}
	acks := rec.acks
	if err := r.learn(rec.e); err != nil {
		return err
	}
	n := len(*out)
	if err := r.flush(out); err != nil {
		return err
	}
	if len(*out) == n {
		// No accept carries the news: tell the targets, and any
		// other replica that accepted this slot in a retransmission.
		c := LogMessage{Type: LogCommit, From: r.cfg.ID, Ballot: r.ballot, Commit: r.commit}
		for _, a := range r.others {
			if i, _ := r.sys.Index(a); acks.Has(i) || len(r.targets) == len(r.others) || slices.Contains(r.targets, a) {
				c.To = a
				*out = append(*out, c)
			}
		}
	}
	return nil
}

// oneShort reports whether acks plus any one more replica would be a
// phase-2 quorum (mutDecideOneShort only).
func (r *Replica) oneShort(acks quorum.Set) bool {
	for i := range r.names {
		if !acks.Has(i) && r.sys.IsWrite(acks.With(i)) {
			return true
		}
	}
	return false
}

// leaderTick sends heartbeats with the leader's decided prefix and
// retransmits the proposals not acknowledged since the tick before last.
func (r *Replica) leaderTick(out *[]LogMessage) {
	hb := LogMessage{Type: LogHeartbeat, From: r.cfg.ID, Ballot: r.ballot, Commit: r.commit}
	for _, a := range r.others {
		hb.To = a
		*out = append(*out, hb)
	}
	for s := r.commit; s < r.next; s++ {
		rec := r.get(s)
		if rec == nil || !rec.proposed || r.ticks-rec.sent < 2 {
			continue
		}
		rec.sent = r.ticks
		m := LogMessage{Type: LogAccept, From: r.cfg.ID, Ballot: r.ballot, Entry: rec.e, Commit: r.commit}
		for _, a := range r.others {
			if i, _ := r.sys.Index(a); !rec.acks.Has(i) {
				m.To = a
				*out = append(*out, m)
			}
		}
	}
}

// forwardPending sends a follower's pending commands (the oldest first,
// at most a window's worth per tick) to the leader it knows.
func (r *Replica) forwardPending(out *[]LogMessage) {
	r.pending = slices.DeleteFunc(r.pending, r.done)
	if h := r.leaderHint; h != "" && h != r.cfg.ID {
		for _, c := range r.pending[:min(len(r.pending), r.cfg.Window*r.cfg.MaxBatch)] {
			*out = append(*out, LogMessage{Type: LogForward, From: r.cfg.ID, To: h, Command: c})
		}
	}
}

// onForward takes a command a follower forwarded: the leader queues it,
// a follower keeps it pending.
func (r *Replica) onForward(m LogMessage, out *[]LogMessage) error {
	if r.done(m.Command) {
		r.stats.Duplicates++
		return nil
	}
	if r.role == leader {
		if m.Command.Client == "" && r.holds(m.Command) {
			// Without a session a forward cannot be told from a
			// retry: while an equal command waits, take it for one.
			r.stats.Duplicates++
			return nil
		}
		if err := r.enqueue(m.Command); err != nil {
			r.stats.Dropped++
			return nil
		}
		return r.flush(out)
	}
	if !slices.Contains(r.pending, m.Command) && len(r.pending) < maxQueued {
		r.pending = append(r.pending, m.Command)
	}
	return nil
}

// holds reports whether this leader has c queued or in flight: O(queue
// + window * batch), for commands without a session only.
func (r *Replica) holds(c Command) bool {
	if slices.Contains(r.queue[r.qhead:], c) {
		return true
	}
	for s := r.commit; s < r.next; s++ {
		if rec := r.get(s); rec != nil && rec.proposed && slices.Contains(rec.e.Commands, c) {
			return true
		}
	}
	return false
}
