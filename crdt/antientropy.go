package crdt

import (
	"fmt"
	"slices"
)

// Replicator runs delta-interval anti-entropy for one replica (Almeida,
// Shoker, Baquero 2018, section 6, algorithm 2): it keeps the replica's
// state, a buffer of the deltas produced or received since the peers last
// acknowledged, and, for each peer, the sequence number up to which that
// peer has acknowledged the buffer. Sync builds the message for a peer:
// the join of the deltas it has not acknowledged (a delta interval) or,
// when those have left the buffer, the full state. The receiver merges it
// and answers with an acknowledgement.
//
// Like the rest of the package's protocols it is a deterministic state
// machine without goroutines, timers or I/O: the caller calls Update for
// local operations, Sync periodically for each peer (its timer decides
// the period), sends the returned messages, and passes what it receives to
// Receive, sending back the acknowledgement it returns.
//
// Messages may be lost, duplicated and reordered: intervals are states,
// and merging states in any order, any number of times, is safe; a lost
// interval is not acknowledged, so the next Sync resends it (joined with
// what followed), and a peer too far behind gets the full state. Only
// deltas are buffered, so a replica's memory grows with the updates its
// slowest peer has not acknowledged, up to MaxBuffer deltas.
//
// The zero value is not usable: create one with NewReplicator. A
// Replicator is not safe for concurrent use.
type Replicator[S any] struct {
	id     string
	state  S
	ops    Lattice[S]
	max    int
	seq    uint64 // sequence number of the next delta
	low    uint64 // sequence number of buffer[0]
	buffer []S
	acked  map[string]uint64
}

// ReplicaMessage is what replicators exchange: a delta interval or full
// state with the sender's sequence number, or an acknowledgement.
type ReplicaMessage[S any] struct {
	Ack   bool   // an acknowledgement of Seq; State is unused
	Full  bool   // State is the sender's full state, not an interval
	Seq   uint64 // the sender's next sequence number when it sent State
	State S
}

// String returns "ack(n)", "delta(n)" or "full(n)".
func (m ReplicaMessage[S]) String() string {
	switch {
	case m.Ack:
		return fmt.Sprintf("ack(%d)", m.Seq)
	case m.Full:
		return fmt.Sprintf("full(%d)", m.Seq)
	}
	return fmt.Sprintf("delta(%d)", m.Seq)
}

// DefaultMaxBuffer is the number of deltas a Replicator buffers when
// NewReplicator is given 0.
const DefaultMaxBuffer = 1024

// Lattice gives a Replicator the operations of its state type, such as
// Lattice[ORSet[E]]{(*ORSet[E]).Merge, ORSet[E].Clone, ORSet[E].Equal}.
type Lattice[S any] struct {
	Join  func(dst *S, src S) error // merges src into dst
	Clone func(S) S                 // an independent copy
	Equal func(a, b S) bool         // equality of internal state
}

// NewReplicator returns the replicator of replica id, starting from state,
// exchanging with peers. maxBuffer bounds the deltas buffered (0 means
// DefaultMaxBuffer): beyond it the oldest are dropped, and peers that had
// not acknowledged them get the full state.
func NewReplicator[S any](id string, state S, peers []string, ops Lattice[S], maxBuffer int) *Replicator[S] {
	if maxBuffer <= 0 {
		maxBuffer = DefaultMaxBuffer
	}
	r := &Replicator[S]{id: id, state: state, ops: ops, max: maxBuffer, acked: map[string]uint64{}}
	for _, p := range peers {
		if p != id {
			r.acked[p] = 0
		}
	}
	return r
}

// State returns the replica's state. It is the replicator's own: clone it
// before modifying it or keeping it past the next call.
func (r *Replicator[S]) State() S { return r.state }

// Buffered returns the number of deltas in the buffer.
func (r *Replicator[S]) Buffered() int { return len(r.buffer) }

// Update applies a mutator to the state and buffers the delta it returns.
// An error from the mutator is returned and nothing is buffered.
func (r *Replicator[S]) Update(mutate func(s *S) (S, error)) error {
	d, err := mutate(&r.state)
	if err != nil {
		return err
	}
	r.push(d)
	return nil
}

func (r *Replicator[S]) push(d S) {
	r.buffer = append(r.buffer, d)
	r.seq++
	if len(r.buffer) > r.max {
		drop := len(r.buffer) - r.max
		r.buffer = slices.Delete(r.buffer, 0, drop)
		r.low += uint64(drop)
	}
}

// Sync returns the message to send to peer: the join of the deltas peer
// has not acknowledged, or the full state if some of them are no longer
// buffered. ok is false if peer has acknowledged everything (or is not a
// peer).
func (r *Replicator[S]) Sync(peer string) (m ReplicaMessage[S], ok bool, err error) {
	a, known := r.acked[peer]
	if !known || a >= r.seq {
		return m, false, nil
	}
	if a < r.low {
		return ReplicaMessage[S]{Full: true, Seq: r.seq, State: r.ops.Clone(r.state)}, true, nil
	}
	interval := r.ops.Clone(r.buffer[a-r.low])
	for _, d := range r.buffer[a-r.low+1:] {
		if err := r.ops.Join(&interval, d); err != nil {
			return m, false, err
		}
	}
	return ReplicaMessage[S]{Seq: r.seq, State: interval}, true, nil
}

// Receive handles a message from peer. For a delta interval or full state
// it merges it, buffers it for the other peers if it taught the replica
// something (so that intervals do not echo for ever), and returns the
// acknowledgement to send back (reply is true). For an acknowledgement it
// records it and trims the buffer of the deltas every peer has
// acknowledged. A merge error (ErrReplicaConflict) is returned and leaves
// the state as the merge left it: unchanged, for this package's types.
func (r *Replicator[S]) Receive(peer string, m ReplicaMessage[S]) (ack ReplicaMessage[S], reply bool, err error) {
	if m.Ack {
		if a, ok := r.acked[peer]; ok && m.Seq > a && m.Seq <= r.seq {
			r.acked[peer] = m.Seq
			r.trim()
		}
		return ack, false, nil
	}
	before := r.ops.Clone(r.state)
	if err := r.ops.Join(&r.state, m.State); err != nil {
		return ack, false, err
	}
	if len(r.acked) > 1 && !r.ops.Equal(before, r.state) {
		// Forward what was learnt to the other peers (transitive
		// propagation); with two replicas there is no one to tell.
		r.push(r.ops.Clone(m.State))
		// The sender has it already.
		if a := r.acked[peer]; a == r.seq-1 {
			r.acked[peer] = r.seq
		}
	}
	return ReplicaMessage[S]{Ack: true, Seq: m.Seq}, true, nil
}

// trim drops the deltas every peer has acknowledged.
func (r *Replicator[S]) trim() {
	lowest := r.seq
	for _, a := range r.acked {
		lowest = min(lowest, a)
	}
	if lowest > r.low {
		r.buffer = slices.Delete(r.buffer, 0, int(lowest-r.low))
		r.low = lowest
	}
}
