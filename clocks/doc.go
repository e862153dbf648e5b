// Package clocks provides logical clocks: ways to order events across
// machines that do not share a clock.
//
// Physical clocks on different machines drift apart and are corrected in
// jumps, so comparing their readings does not tell which of two events came
// first. What can be known is Lamport's happened-before relation: a
// happened before b if they ran in that order on one process, or a message
// carried news of a to b's process before b, or a chain of such steps links
// them. Events that no chain links are concurrent. Each clock in this
// package captures some of that relation, at a different cost:
//
//   - [Lamport] is a single counter. It orders every pair of events, and
//     never against causality, but it cannot tell causally ordered events
//     from concurrent ones.
//   - [Vector] keeps one counter per process (or per replica, used as a
//     version vector). Comparing two vectors tells exactly whether two events
//     are ordered or concurrent.
//   - [Hybrid] issues [Timestamp] values that order events like a Lamport
//     clock while staying close to physical time, so they can serve as
//     database versions and "as of" times.
//   - [Stamp] is an interval tree clock: as precise as a version vector, for
//     systems whose replicas come and go without global names.
//
// Vector and Stamp comparisons return an [Order]: [Equal], [Before],
// [After] or [Concurrent].
//
// # Usage
//
// Each process keeps its own clock, ticks it at every event, sends it with
// every message and merges what it receives:
//
//	var alice, bob clocks.Vector
//	alice.Tick("alice")             // alice does something
//	msg := alice.Clone()            // and tells bob about it
//	bob.Tick("bob")                 // meanwhile bob does something
//	fmt.Println(alice.Compare(bob)) // concurrent
//	bob.Merge(msg)                  // bob receives alice's message:
//	bob.Tick("bob")                 // merge, then tick
//	fmt.Println(msg.Compare(bob))   // before
//
// The same pattern with the other clocks:
//
//	var l clocks.Lamport
//	t := l.Tick()      // local event or send; the message carries t
//	l.Witness(remote)  // receive a message stamped remote
//
//	h := clocks.NewHybrid(clocks.SystemClock, 500*time.Millisecond)
//	ts := h.Now()                // local event or send
//	ts, err := h.Update(remote)  // receive; err wraps ErrClockOffset if
//	                             // remote is too far ahead to be believed
//
//	a, b := clocks.Seed().Fork() // two replicas from one seed
//	a, b = a.Event(), b.Event()
//	fmt.Println(a.Compare(b))    // concurrent
//	c, err := a.Join(b)          // b retires; c owns the whole id space
//
// # Guarantees
//
// Write x → y for "x happened before y" and x ∥ y for "concurrent".
//
// Lamport satisfies the clock condition: x → y implies L(x) < L(y). The
// converse fails: L(x) < L(y) also when x ∥ y. Breaking ties by process
// identifier turns Lamport times into a total order that extends →.
//
// Vector satisfies the strong clock condition: x → y if and only if
// V(x) < V(y) (every entry ≤, at least one <), and x ∥ y if and only if
// neither vector is ≤ the other. [Vector.Compare] computes exactly that.
// Pruning a vector ([Vector.Prune], [Vector.PruneFunc]) gives up this
// guarantee for the entries dropped; see Trade-offs.
//
// Hybrid timestamps, with l the wall part and c the logical counter,
// satisfy, for every event e on a node with physical clock reading pt(e):
//
//   - causality: x → y implies ts(x) < ts(y), so timestamps can be used
//     wherever Lamport times can;
//   - monotonicity: a clock never issues the same timestamp twice or a
//     smaller one, even when its physical clock steps backwards;
//   - bounded divergence: pt(e) ≤ l(e), and l(e) − pt(e) is at most the
//     largest offset between the physical clocks involved (ε in the paper).
//     With a maximum offset configured, [Hybrid.Update] refuses remote
//     timestamps further ahead than that, so one bad clock cannot drag the
//     others into the future.
//
// Stamp, under any history of [Stamp.Fork], [Stamp.Event], [Stamp.Join] and
// [Stamp.Peek], orders stamps exactly as version vectors with one entry per
// replica would: [Stamp.Compare] agrees with [Vector.Compare] on the
// corresponding vectors, while replicas are created and retired without
// global identifiers and the stamp shrinks again when replicas join.
//
// # Trade-offs
//
// A Lamport time is eight bytes and a Tick is one atomic instruction, but it
// cannot detect concurrency: use it for a total order (mutual exclusion,
// log merging, ballot numbers), not for conflict detection.
//
// A Vector detects concurrency exactly but costs one entry per process that
// has ever ticked it, and comparing or merging costs time linear in the
// number of entries. With many short-lived writers the vectors grow without
// bound. Pruning them (Riak prunes past 50 entries) bounds the size at the
// price of correctness for the dropped entries: two versions that were
// ordered can then look concurrent (a spurious conflict), and two that were
// concurrent can look ordered, which silently discards a write. Keying
// entries by server rather than by client keeps vectors small.
//
// A Timestamp is twelve bytes and close to wall time, but like a Lamport
// time it cannot detect concurrency, and it depends on physical clocks
// being loosely synchronised: a node whose clock is far ahead either drags
// timestamps forward or has its messages refused.
//
// A Stamp is as precise as a Vector without needing replica names, and its
// size tracks how fragmented the id space is rather than how many replicas
// ever existed. Its operations are tree walks, slower than a vector's for a
// fixed small set of processes; prefer Vector when membership is fixed.
//
// # Encodings
//
// Vector, Timestamp and Stamp implement [encoding.BinaryMarshaler] and
// [encoding.BinaryUnmarshaler], and Vector and Timestamp also
// [encoding.BinaryAppender]. The binary encodings are canonical: one value
// has exactly one encoding, so encodings can be compared byte for byte and
// hashed. Decoders reject truncated, trailing, non-canonical and oversized
// input with an error wrapping [ErrMalformed] or [ErrTooLarge] and never
// allocate more than the input's length justifies. Vector also encodes to
// JSON as an object mapping replica identifiers to counts. Every type has a
// deterministic String.
//
// # Concurrency
//
// A Lamport is safe for concurrent use by multiple goroutines without
// locks. A Hybrid is safe for concurrent use. A Vector is a value that
// must not be mutated (Tick, Set, Merge, Prune) concurrently with any other
// use; reading it from several goroutines is safe. A Stamp and a Timestamp
// are immutable values, safe to share.
//
// # Papers
//
//   - Leslie Lamport. Time, clocks, and the ordering of events in a
//     distributed system. Communications of the ACM 21(7), 1978.
//   - Colin J. Fidge. Timestamps in message-passing systems that preserve
//     the partial ordering. 11th Australian Computer Science Conference,
//     1988.
//   - Friedemann Mattern. Virtual time and global states of distributed
//     systems. Parallel and Distributed Algorithms, North-Holland, 1989.
//   - D. Stott Parker Jr. et al. Detection of mutual inconsistency in
//     distributed systems. IEEE Transactions on Software Engineering
//     SE-9(3), 1983 (version vectors).
//   - Sandeep S. Kulkarni, Murat Demirbas, Deepak Madappa, Bharadwaj Avva,
//     Marcelo Leone. Logical physical clocks. OPODIS 2014.
//   - Paulo Sérgio Almeida, Carlos Baquero, Victor Fonte. Interval tree
//     clocks: a logical clock for dynamic systems. OPODIS 2008.
//
// The chapter docs/clocks.md in the repository explains all of this at
// length, with diagrams and exercises; go run ./examples/tour shows the
// clocks at work.
package clocks
