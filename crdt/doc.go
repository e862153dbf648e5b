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
//   - [GCounter] and [PNCounter]: counters (grow-only, and up and down).
//   - [ORSet]: the optimised add-wins observed-remove set, without
//     tombstones: each add is tagged with a [Dot], and a [CausalContext]
//     (a version vector plus a compacted cloud of dots) remembers what a
//     replica has seen, so removes need no tombstones.
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
// under the same ID are two replicas pretending to be one.
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
// received out of order; removed elements leave nothing behind. The
// [ORSet.Size] method reports these figures.
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
