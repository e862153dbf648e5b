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
//	l.Witness(theirs)  // receive a message stamped theirs (a uint64)
//
//	h := clocks.NewHybrid(clocks.SystemClock, 500*time.Millisecond)
//	ts := h.Now()               // local event or send
//	ts, err := h.Update(remote) // receive a Timestamp; err wraps
//	                            // ErrClockOffset if remote is too far
//	                            // ahead to be believed
//
//	a, b := clocks.Seed().Fork() // two replicas from one seed
//	a, b = a.Event(), b.Event()
//	fmt.Println(a.Compare(b))    // concurrent
//	b, msg := b.Send()           // event, then an anonymous copy to send
//	a, err = a.Receive(msg)      // join, then event
//	a, err = a.Join(b)           // b retires: a owns the whole id space
//
// Two things to remember. A Vector refers to its entries as a slice does:
// Clone it before putting it in a message or storing it beside a version.
// Stamps hold pointers to shared trees: compare them with [Stamp.Compare]
// or [Stamp.Equal], never with ==.
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
//     largest offset between the physical clocks involved (ε in the paper),
//     while c stays bounded by the number of events in e's causal past that
//     share its wall part. With a maximum offset configured,
//     [Hybrid.Update] refuses remote timestamps further ahead than that, so
//     one bad clock cannot drag the others into the future.
//
// Stamp, under any history of [Stamp.Fork], [Stamp.Event], [Stamp.Join] and
// [Stamp.Peek] starting from one [Seed], orders stamps exactly as version
// vectors with one entry per replica would: [Stamp.Compare] agrees with
// [Vector.Compare] on the corresponding vectors, while replicas are created
// and retired without global identifiers and stamps shrink again when
// replicas join.
//
// # Trade-offs
//
// A Lamport time is eight bytes and a Tick is a few atomic instructions,
// but it cannot detect concurrency: use it for a total order (mutual
// exclusion, log merging, ballot numbers), not for conflict detection.
//
// A Vector detects concurrency exactly but costs one entry per process that
// has ever ticked it, and comparing or merging takes time linear in the
// number of entries. With many short-lived writers vectors grow without
// bound. Pruning them (Riak prunes past 50 entries by default) bounds the
// size at the price of correctness for the dropped entries: two versions
// that were ordered can then look concurrent (a spurious conflict), and two
// that were concurrent can look ordered, which silently discards a write.
// Keying entries by server rather than by client keeps vectors small.
//
// A Timestamp is twelve bytes and close to wall time, but like a Lamport
// time it cannot detect concurrency, and it relies on loosely synchronised
// physical clocks: a node whose clock is far ahead either drags timestamps
// forward or has its messages refused.
//
// A Stamp is as precise as a Vector without needing replica names, and its
// size follows the number of live replicas and the shape of their fork and
// join history rather than the number of replicas that ever existed. Its
// operations are tree walks, slower than a vector's for a fixed small set
// of processes, and a replica that keeps forking children that never rejoin
// fragments its id; prefer Vector when membership is fixed.
//
// # Encodings
//
// Vector, Timestamp and Stamp implement [encoding.BinaryMarshaler],
// [encoding.BinaryAppender] and [encoding.BinaryUnmarshaler]. The binary
// encodings are canonical: a value has exactly one encoding, so encodings
// can be compared byte for byte and hashed, and decoding then re-encoding
// gives back the input.
//
//   - Vector: a version byte, the number of entries, then each entry's ID
//     and count in ID order, as minimal uvarints. Its JSON form is an object
//     from ID to count, {"alice":1,"bob":2}. Limits: [MaxVectorEntries]
//     entries, IDs of at most [MaxIDLen] bytes, counts up to
//     [MaxVectorCount].
//   - Timestamp: [TimestampSize] bytes that sort bytewise in timestamp
//     order, so they can serve as keys of an ordered store. Its text and
//     JSON form is the String form, "1700000000.000000001+3": seconds since
//     the Unix epoch with nine decimals, then the logical counter.
//   - Stamp: the bit-level encoding of section 6 of the interval tree clock
//     paper (the seed takes one byte). Its text and JSON form is the paper's
//     notation, "((1, 0), (0, 1, 0))", which [ParseStamp] reads back.
//     Limits: [MaxStampDepth] and [MaxStampNodes].
//   - Lamport times are plain uint64 values. [Lamport.Witness] caps remote
//     times at [MaxLamport], so one corrupt message cannot exhaust a clock.
//
// The authors of interval tree clocks published reference implementations
// in C, Java and Erlang (github.com/ricardobcl/Interval-Tree-Clocks), and
// they disagree by one bit per event node with a positive base: C and Java
// write the base n as enc(n, 2), Erlang as a leaf, a 1 bit then enc(n, 2).
// [Stamp.MarshalBinary] and [Stamp.UnmarshalBinary] use the C and Java
// form, the default; [Stamp.MarshalBinaryErlang] and
// [Stamp.UnmarshalBinaryErlang] the Erlang one. Both write the bits most
// significant first, as an Erlang bitstring holds them, padded with zero
// bits to a byte (the C and Java programs pack bits into their buffers
// least significant first, an in-memory layout rather than a wire format).
// The bytes do not say which form they are in: stamps whose event nodes
// all have a zero base (the seed, any stamp whose event tree is a single
// counter) encode the same in both, and bytes of one form given to the
// other's decoder are mostly refused but sometimes read, silently, as
// another valid stamp. Peers must agree on the form.
//
// Decoders reject truncated, trailing, non-canonical and oversized input
// with an error wrapping [ErrMalformed] or [ErrTooLarge], leave their
// receiver unchanged on error and never panic. Every exported decoder has a
// fuzz target. Every type has a deterministic String.
//
// Decoders apply their limits while they read, and read the whole input
// once to check it before they allocate anything, so refused input costs
// only its error message, whatever its size (a 60 MB Vector JSON with
// millions of keys stops at the key after the [MaxVectorEntries]-th,
// having allocated nothing for the keys before it). Accepted input costs
// the decoded value and nothing more; in the worst case, per input byte
// (measured by TestDecodersAllocationPerInputByte on the inputs that
// allocate the most, and reported by BenchmarkDecodeAllocation):
//
//	decoder                        worst case per input byte, and why
//	Vector.UnmarshalBinary         8.5 bytes: a 32-byte entry per 4 input bytes, and the ID
//	Vector.UnmarshalJSON           4.5 bytes: a 32-byte entry per 7 input bytes, and the key
//	Stamp.UnmarshalBinary(Erlang)  64 bytes: a 24-byte event node per 3 bits; 1.5 MiB in all
//	Stamp.UnmarshalText and JSON,  5.4 bytes: an event node and an unshared leaf,
//	ParseStamp                     24 bytes each, per 9 bytes of text
//	Timestamp decoders             nothing
//
// (A JSON string with escapes costs one more byte per input byte, for its
// unescaped copy.)
// A tiny input also pays the allocator's rounding: the 6-byte vector
// {ab:1} costs a 32-byte entry and a 16-byte block for its ID. The stamp's binary encoding is the
// one exception to a small constant: its nodes take as little as 3 bits to
// encode and 16 or 24 bytes in memory, so [MaxStampNodes] bounds the total
// instead. Stamp and Timestamp read JSON strings in place
// ([Stamp.UnmarshalJSON], [Timestamp.UnmarshalJSON]) instead of letting
// encoding/json unquote them first, which can cost 7 bytes per input byte.
//
// # Concurrency
//
// A [Lamport] is safe for concurrent use without locks; its zero value is a
// clock at 0. A [Hybrid] is safe for concurrent use; it reads its
// [PhysicalClock] before taking its mutex, so a physical clock shared by
// goroutines (a fake one in a test, say) must be safe for concurrent use
// too, as [SystemClock] is. The zero Hybrid reads SystemClock and bounds no
// offset. Neither a Lamport nor a Hybrid may be copied after first use. A [Vector] is
// not safe for concurrent mutation (Tick, Set, Merge, Prune, PruneFunc and
// the Unmarshal methods): guard it with a mutex if several goroutines
// update it; any number of goroutines may read it at once. [Stamp] and
// [Timestamp] are immutable values, safe to copy and share.
//
// A restarted process must not reuse timestamps it issued before it
// stopped: persist the last one (or a high-water mark) and feed it back
// with [Lamport.Witness] or [Hybrid.Restore] before issuing new ones.
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
