// Package crdt provides conflict-free replicated data types: counters,
// sets, registers and flags that replicas update independently, without
// coordination, and that converge when they exchange states, whatever the
// order, duplication or delay of the exchanges (strong eventual
// consistency).
//
// Every type is a state-based CRDT whose Merge is a join: commutative,
// associative and idempotent, so states and deltas can be merged in any
// order and any number of times. Every mutator also returns a delta, a
// small state of the same type that has the effect of the update when
// merged anywhere (delta-state CRDTs, Almeida, Shoker and Baquero 2018).
// Deltas join into delta groups with the same Merge.
//
//   - Counters: [GCounter] (grow-only) and [PNCounter] (up and down).
//   - Sets: [GSet] (grow-only), [TwoPSet] (removed for ever), [ORSet]
//     (add-wins: the optimised observed-remove set without tombstones) and
//     [RWSet] (remove-wins).
//   - Registers: [LWWRegister] (last writer wins, ties broken by replica
//     ID) and [MVRegister] (keeps concurrent values).
//   - Flags: [EWFlag] (enable-wins) and [DWFlag] (disable-wins).
//   - [ORMap]: a map whose values are the causal types above, nested to
//     any depth, with observed-reset removal.
//   - [Replicator]: delta-interval anti-entropy with acknowledgements and
//     full-state fallback, for any of the types.
//
// The causal types (ORSet, RWSet, MVRegister, the flags and ORMap) tag
// each update with a [Dot] (replica, counter) and keep a [CausalContext],
// a version vector plus a compacted cloud of the dots received out of
// order, recording every update seen: a merge drops a dot the other side
// has seen and no longer has, so removes need no tombstones.
//
// # Usage
//
// Each replica keeps its own state and passes its own replica ID to the
// mutators; it sends the returned deltas (or, from time to time, its whole
// state) to the others, which Merge them:
//
//	var a, b crdt.GCounter
//	d, _ := a.Inc("a", 2) // replica a counts two
//	b.Inc("b", 1)         // meanwhile replica b counts one
//	b.Merge(d)            // a's delta reaches b
//	fmt.Println(b.Value()) // 3
//
// Replica IDs must be unique: two copies of one state that both update
// under the same ID are two replicas pretending to be one. The causal
// types detect it at merge time when the two copies used one dot for
// different elements, and LWWRegister when they wrote different values
// with the same timestamp: Merge then fails with [ErrReplicaConflict]
// and leaves the receiver unchanged, instead of silently losing an
// update. Other misuse (a copy that only removed, or counters, whose
// state carries no identity of the updates) cannot be told from a
// legitimate history and goes undetected; giving a restored replica a
// fresh ID avoids it.
//
// To replicate over a network, wrap the state in a [Replicator]: call
// Update for local operations, Sync for each peer on a timer, and Receive
// for incoming messages, sending back the acknowledgement it returns.
//
// # Guarantees
//
// Replicas that have merged the same set of updates, by any path, have
// equal states. Each type is checked with the package's law checker,
// [github.com/eventually-perfect/primitives/crdt/crdttest], on internal
// state: merge commutative, associative and idempotent, the zero value an
// identity, deltas equivalent to full states, convergence of 2 to 5
// replicas under reordering, duplication and loss, and encodings that
// round-trip.
//
// # Trade-offs
//
// A counter costs one entry per replica that ever updated it. An ORSet
// costs, besides its elements, one dot per present element per concurrent
// add and a causal context of one vector entry per replica plus the dots
// received out of order; removed elements leave nothing behind. The Size
// methods report these figures ([Size]). A remove-wins set and a two-phase
// set keep a tombstone per removed element, the price of their semantics.
// A delta is as small as the update (about 20 bytes for one ORSet add,
// against about 10 bytes per element for the full state), but deltas are
// only safe to ship alone while the receiver eventually gets them all: the
// Replicator resends unacknowledged ones and falls back to the full state.
//
// The binary encodings of the generic types encode elements, keys and
// values with encoding/json. The JSON forms are readable: the counters and
// the grow-only and two-phase sets are plain ({"a":3}, ["x","y"]); the
// LWWRegister is {"timestamp":7,"replica":"b","value":"x"}; the causal
// types show the causal context and each element's dots, and an ORMap
// each key with its value's JSON. JSON decoders go through the binary
// decoders, so they make the same checks.
//
// # Encodings
//
// Every type implements encoding.BinaryMarshaler (a canonical, versioned
// format: one byte per format version, then uvarints and length-prefixed
// strings), encoding.BinaryUnmarshaler, json.Marshaler and
// json.Unmarshaler, and has a deterministic String. Decoders reject
// malformed, truncated, non-canonical and oversized input with an error
// wrapping [ErrMalformed] or [ErrTooLarge], never panic, allocate no more
// than the input justifies and leave the receiver unchanged on error.
//
// # Papers
//
//   - Marc Shapiro, Nuno Preguiça, Carlos Baquero, Marek Zawirski.
//     Conflict-free replicated data types. SSS 2011, and the companion
//     technical report "A comprehensive study of convergent and commutative
//     replicated data types", INRIA RR-7506, 2011.
//   - Paulo Sérgio Almeida, Ali Shoker, Carlos Baquero. Delta state
//     replicated data types. Journal of Parallel and Distributed Computing
//     111, 2018.
//   - Annette Bieniusa et al. An optimized conflict-free replicated set.
//     arXiv:1210.3368, 2012.
package crdt
