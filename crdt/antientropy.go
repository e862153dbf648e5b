package crdt

import (
	"errors"
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
// # Restarts
//
// The buffer, the sequence numbers and the acknowledgements are volatile,
// as in the paper: a replica that restarts creates a new Replicator from
// its durable state, and that Replicator numbers its deltas from the
// start again. So that an acknowledgement sent to the previous
// incarnation, still in flight, can never be taken for one of the new
// deltas (which the peer would then never receive), every message names
// the incarnation of the Replicator whose sequence numbers it carries,
// acknowledgements echo it, and a Replicator ignores acknowledgements of
// any incarnation other than its own (ReplicatorConfig.Incarnation says
// where the number comes from). A new Replicator does not know what its
// peers hold, so its first message to each peer is its full state, which
// carries the updates its durable state holds and its peers may have
// missed.
//
// The acknowledgement Receive returns promises that the replica holds
// what it received: a replica that restarts from durable state must have
// persisted State after Receive and before sending the acknowledgement
// (and after Update, for its own updates to survive the restart).
//
// The zero value is not usable: create one with NewReplicator. A
// Replicator is not safe for concurrent use.
type Replicator[S any] struct {
	id     string
	inc    uint64
	state  S
	ops    Lattice[S]
	max    int
	seq    uint64 // sequence number of the next delta
	low    uint64 // sequence number of buffer[0]
	buffer []S
	acked  map[string]uint64
}

// ReplicatorConfig configures a Replicator. The zero value is not valid:
// ID and Peers are required.
type ReplicatorConfig struct {
	// ID is the replica's ID.
	ID string
	// Incarnation names this Replicator among the successive Replicators
	// of ID (one per start of the replica): it must differ from the
	// Incarnation of every earlier Replicator of ID whose messages may
	// still be in flight, or an acknowledgement sent to that one could
	// cover updates of this one, which the peer would never receive.
	//
	// The Replicator cannot draw it itself: the package's protocols are
	// deterministic, and a seeded source re-seeded alike at each start
	// would draw the same number again. Two sources work:
	//
	//   - a counter in the replica's durable storage, incremented and
	//     persisted before each start (one durable write per start; the
	//     first start may use 0), which never repeats; or
	//   - a 64-bit random number from a source that differs between
	//     starts (crypto/rand, or an injected source whose seed is not
	//     the same at every start), which repeats with probability
	//     about k²/2⁶⁵ after k starts.
	Incarnation uint64
	// Peers are the replicas exchanged with; ID itself is ignored if
	// present. Duplicates and empty IDs are refused.
	Peers []string
	// MaxBuffer bounds the deltas buffered (0 means DefaultMaxBuffer):
	// beyond it the oldest are dropped, and peers that had not
	// acknowledged them get the full state.
	MaxBuffer int
}

// ErrInvalidConfig reports a ReplicatorConfig that NewReplicator refuses.
var ErrInvalidConfig = errors.New("invalid configuration")

// Validate reports, with an error wrapping ErrInvalidConfig, an empty ID
// or peer ID, a duplicate peer or a negative MaxBuffer.
func (c ReplicatorConfig) Validate() error {
	if c.ID == "" {
		return fmt.Errorf("crdt: replicator: empty ID: %w", ErrInvalidConfig)
	}
	if c.MaxBuffer < 0 {
		return fmt.Errorf("crdt: replicator: MaxBuffer %d: %w", c.MaxBuffer, ErrInvalidConfig)
	}
	seen := map[string]bool{}
	for _, p := range c.Peers {
		if p == "" {
			return fmt.Errorf("crdt: replicator: empty peer ID: %w", ErrInvalidConfig)
		}
		if seen[p] {
			return fmt.Errorf("crdt: replicator: peer %q twice: %w", p, ErrInvalidConfig)
		}
		seen[p] = true
	}
	return nil
}

// Lattice gives a Replicator the operations of its state type, such as
// Lattice[ORSet[E]]{(*ORSet[E]).Merge, ORSet[E].Clone, ORSet[E].Equal}.
type Lattice[S any] struct {
	Join  func(dst *S, src S) error // merges src into dst
	Clone func(S) S                 // an independent copy
	Equal func(a, b S) bool         // equality of internal state
}

// DefaultMaxBuffer is the number of deltas a Replicator buffers when
// ReplicatorConfig.MaxBuffer is 0.
const DefaultMaxBuffer = 1024

// NewReplicator returns the Replicator of replica cfg.ID in incarnation
// cfg.Incarnation, starting from state (the replica's durable state, or
// the empty state), or an error wrapping ErrInvalidConfig if cfg is
// invalid (see ReplicatorConfig.Validate). Its first message to each peer
// is its full state.
func NewReplicator[S any](cfg ReplicatorConfig, state S, ops Lattice[S]) (*Replicator[S], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if ops.Join == nil || ops.Clone == nil || ops.Equal == nil {
		return nil, fmt.Errorf("crdt: replicator: Lattice without Join, Clone or Equal: %w", ErrInvalidConfig)
	}
	maxBuffer := cfg.MaxBuffer
	if maxBuffer == 0 {
		maxBuffer = DefaultMaxBuffer
	}
	// Sequence number 0 stands for the initial state: no peer has
	// acknowledged it, and it is not in the buffer (which starts at 1),
	// so the first Sync to each peer sends the full state.
	r := &Replicator[S]{id: cfg.ID, inc: cfg.Incarnation, state: state, ops: ops, max: maxBuffer,
		seq: 1, low: 1, acked: map[string]uint64{}}
	for _, p := range cfg.Peers {
		if p != cfg.ID {
			r.acked[p] = 0
		}
	}
	return r, nil
}

// State returns the replica's state. It is the replicator's own: clone it
// before modifying it or keeping it past the next call.
func (r *Replicator[S]) State() S { return r.state }

// Incarnation returns the Replicator's incarnation (ReplicatorConfig).
func (r *Replicator[S]) Incarnation() uint64 { return r.inc }

// Buffered returns the number of deltas in the buffer.
func (r *Replicator[S]) Buffered() int { return len(r.buffer) }

// Update applies a mutator to the state at the replica's ID
// (ReplicatorConfig.ID, passed to mutate, which gives it to the state's
// mutator: the ID is configured once) and buffers the delta it returns,
// as in
//
//	err := r.Update(func(s *crdt.ORSet[string], replica string) (crdt.ORSet[string], error) {
//		return s.Add(replica, "milk"), nil
//	})
//
// An error from the mutator is returned and nothing is buffered.
func (r *Replicator[S]) Update(mutate func(s *S, replica string) (S, error)) error {
	d, err := mutate(&r.state, r.id)
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
// buffered (always, until peer first acknowledges). ok is false if peer
// has acknowledged everything (or is not a peer).
func (r *Replicator[S]) Sync(peer string) (m ReplicaMessage[S], ok bool, err error) {
	a, known := r.acked[peer]
	if !known || a >= r.seq {
		return m, false, nil
	}
	if a < r.low {
		return ReplicaMessage[S]{Full: true, Incarnation: r.inc, Seq: r.seq, State: r.ops.Clone(r.state)}, true, nil
	}
	interval := r.ops.Clone(r.buffer[a-r.low])
	for _, d := range r.buffer[a-r.low+1:] {
		if err := r.ops.Join(&interval, d); err != nil {
			return m, false, err
		}
	}
	return ReplicaMessage[S]{Incarnation: r.inc, Seq: r.seq, State: interval}, true, nil
}

// Receive handles a message from peer. For a delta interval or full state
// it merges it, buffers it for the other peers if it taught the replica
// something (so that intervals do not echo for ever), and returns the
// acknowledgement to send back (reply is true), naming the sender's
// incarnation and sequence number. For an acknowledgement of this
// Replicator's incarnation it records it and trims the buffer of the
// deltas every peer has acknowledged; an acknowledgement of another
// incarnation (a previous run of this replica) is ignored. A merge error
// (ErrReplicaConflict) is returned and leaves the state as the merge left
// it: unchanged, for this package's types.
func (r *Replicator[S]) Receive(peer string, m ReplicaMessage[S]) (ack ReplicaMessage[S], reply bool, err error) {
	if m.Ack {
		if a, ok := r.acked[peer]; ok && m.Incarnation == r.inc && m.Seq > a && m.Seq <= r.seq {
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
	return ReplicaMessage[S]{Ack: true, Incarnation: m.Incarnation, Seq: m.Seq}, true, nil
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
