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
// mutators (see Replica arguments); it sends the returned deltas (or,
// from time to time, its whole state) to the others, which Merge them:
//
//	var a, b crdt.GCounter
//	d, _ := a.Inc("a", 2) // replica a counts two
//	b.Inc("b", 1)         // meanwhile replica b counts one
//	b.Merge(d)            // a's delta reaches b
//	fmt.Println(b.Value()) // 3
//
// To replicate over a network, wrap the state in a [Replicator]: call
// Update for local operations (it passes the configured replica ID to
// your mutator), Sync for each peer on a timer, and Receive
// for incoming messages, sending back the acknowledgement it returns. A
// replica that restarts gives its new Replicator a new incarnation (a
// counter kept in its durable storage: see [ReplicatorConfig]), so that
// acknowledgements sent to its previous run cannot cover its new
// updates.
//
// # Replica arguments
//
// One rule for every type: a mutator of a type whose state names
// replicas takes the replica ID as its first argument, and a mutator of a
// type that names none takes none.
//
//   - Mutators that issue a dot or a stamp need it, to name the update:
//     GCounter.Inc, PNCounter.Inc and Dec, LWWRegister.Set and Write,
//     MVRegister.Write, ORSet.Add, RWSet.Add and Remove, EWFlag.Enable,
//     DWFlag.Enable and Disable, and ORMap.Update (through its value's
//     mutator).
//   - The observed removes issue nothing (they forget dots they have
//     seen) and take it anyway, for uniformity: ORSet.Remove and Clear,
//     EWFlag.Disable and ORMap.Remove. Whether a remove issues a dot is
//     the conflict policy of the type, not something a caller should
//     have to know: an add-wins set and a remove-wins set, or the two
//     flags, are then swapped by changing the type alone, and a remove
//     inside ORMap.Update is checked against the map's replica like any
//     other mutator. The ID is otherwise unused, and a remove does not
//     make a state the owner of that ID (a restored backup that removes
//     before catching up is still a stale copy, not a diverged one).
//   - GSet and TwoPSet name no replica (an element is its own identity)
//     and their Add and Remove take none.
//
// Where a container knows the replica, it is given once: ORMap.Update
// takes it and passes it to the closure that updates the value, and
// Replicator.Update passes its configured ID to the mutator:
//
//	d, err := m.Update("a", "cart", func(s *crdt.ORSet[string], replica string) crdt.ORSet[string] {
//		return s.Add(replica, "milk")
//	})
//
// Inside ORMap.Update the value is bound to that replica: a mutator of it
// (or of a nested map, at any depth) called with another ID changes
// nothing, and Update fails with [ErrWrongReplica].
//
// # Replica identity
//
// Replica IDs must be unique: two copies of one state that both update
// under the same ID (a clone, or a replica restored from an old backup,
// that kept its ID) are two replicas pretending to be one, and number
// their updates alike, so that a merge would take one copy's updates for
// the other's and drop some silently. Every type that takes a replica ID
// detects it at merge time: Merge fails with [ErrReplicaConflict] and
// leaves the receiver unchanged.
//
// To make that possible each state keeps, beside each replica's count
// (counters) or version vector entry (causal types), a stamp of that
// replica's latest update: its number and a 64-bit digest chained over
// the replica's updates, each link drawn at random when the update is
// made, so that two copies never draw the same digest for the same
// number (probability 2^-64), even when they make identical updates.
// Each state also remembers its owner, the replica ID of its own latest
// update, and the stamps of its last 16 own updates; Clone and the
// decoders give a state without an owner, until it updates again. A merge
// reports a conflict when
//
//   - the two sides hold the same update number of a replica with
//     different digests (any state can see this, third parties too), or
//   - the other side holds updates of the receiver's owner beyond the
//     receiver's own, which only another copy can have made, or
//   - the other side holds a stamp of one of the receiver's last 16 own
//     updates with another digest, or
//   - (causal types) one dot supports different elements on the two sides.
//
// Guarantee: let A and B be copies of one replica that have each made at
// least one update under its ID since they parted (the last state that
// does so after being cloned or decoded is the copy). When A merges a
// state holding B's latest update (B's full state, or that update's
// delta, directly or through other replicas), the conflict is reported,
// unless B's latest update number is behind A's, below the numbers of
// A's last 16 own updates. The causal types number each replica's updates
// one by one, so that is when A is more than 15 updates ahead; a
// counter's numbers are its counts, which an increment by more than one
// skips, so it is when A never reached B's count in its last 16
// increments. Then A cannot tell B from a stale snapshot of itself and
// keeps its own updates, dropping B's, and B reports the conflict when it
// merges in turn. So the first merge between two causal copies at most 15
// updates apart reports the conflict, in either direction, and once two
// copies have merged each other's states both ways it has been reported
// in every case. A copy that has not updated since it parted (a restored
// backup that first catches up from its peers) is a stale state, never
// reported: that is the safe way to restore a replica. No legitimate
// history (one state per replica ID) is ever reported: the law checker's
// convergence and replica-identity properties check both sides of that
// claim.
//
// LWWRegister detects two different values written with one timestamp
// and replica; writes with different timestamps are ordered by the
// register's rule, as designed. GSet and TwoPSet take no replica IDs.
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
// A counter costs one entry per replica that ever updated it: the ID, the
// count and an 8-byte digest. An ORSet costs, besides its elements, one
// dot per present element per concurrent add and a causal context of one
// vector entry and one stamp (ID, counter, 8-byte digest) per replica plus
// the dots received out of order; removed elements leave nothing behind.
// The Size methods report these figures ([Size]). Merging an ORSet costs
// a map lookup per element of the incoming state and per element of the
// receiver whose dot the incoming state has seen (one of the two passes is
// skipped when one side has seen everything the other has); an element's
// one or two dots are held in the map itself, without pointers, so large
// sets give the garbage collector little to scan. A remove-wins set and a
// two-phase set keep a tombstone per removed element, the price of their
// semantics. A delta is as small as the update (about 30 bytes for one
// ORSet add, its stamp included, against about 10 bytes per element for
// the full state), but deltas are only safe to ship alone while the
// receiver eventually gets them all: the Replicator resends
// unacknowledged ones and falls back to the full state.
//
// The replica stamps cost about 8 bytes and one entry per replica in each
// state, about 13 more bytes in each delta, and a walk over them in each
// merge (O(replicas), against O(elements) for the rest of the merge); a
// state that updates also keeps its last 16 own stamps (about 300 bytes,
// in memory only, allocated once); the
// digests are random, so two runs of the same program encode equal states
// with different digest bytes (encodings stay canonical: one state, one
// encoding; String leaves the digests out).
//
// The binary encodings of the generic types encode elements, keys and
// values with encoding/json. The JSON forms are readable: a GCounter is
// {"a":{"n":3,"digest":"9f86d081884c7d65"}}, a PNCounter {"p":...,"n":...};
// the grow-only and two-phase sets are plain (["x","y"]); the LWWRegister
// is {"timestamp":7,"replica":"b","value":"x"}; the causal types show the
// causal context (vector, cloud and stamps) and each element's dots, and
// an ORMap each key with its value's JSON. JSON decoders reject duplicate
// keys at any depth (which encoding/json would resolve silently, keeping
// the last) and field names in another case, and go through the binary
// decoders or make the same checks.
//
// # Encodings
//
// Every type implements encoding.BinaryMarshaler (a canonical, versioned
// format: one byte per format version, then uvarints, length-prefixed
// strings and 8-byte digests; format 2 of the counters and causal types
// added the replica stamps, and format 1 is no longer read),
// encoding.BinaryUnmarshaler, json.Marshaler and
// json.Unmarshaler, and has a deterministic String. Decoders reject
// malformed, truncated, non-canonical and oversized input with an error
// wrapping [ErrMalformed] or [ErrTooLarge], never panic, allocate no more
// than the input justifies (see Decoding costs) and leave the receiver
// unchanged on error.
//
// # Decoding costs
//
// Decoders apply their limits while they read: a length prefix never
// sizes an allocation beyond what the rest of the input can hold, and
// the JSON decoders read the document in place (after json.Valid, which
// allocates nothing), count the entries of each array or object before
// allocating for them, and refuse the entry past [MaxEntries] (or the
// element past [MaxElementLen] bytes) with [ErrTooLarge] having
// allocated nothing for the entries before it. Accepted input costs the
// decoded state and little more. In the worst case, per input byte
// (TestDecodersAllocationPerInputByte measures every decoder on states of
// many minimal entries, on length prefixes that claim all the input
// could hold and on input past the limits, and fails above 16 bytes, 36
// for ORMap's binary encoding; figures are the largest over states of
// 700 to 13,000 entries):
//
//	decoder                          binary  JSON   (before the bounds)
//	GCounter, PNCounter                 3.1   0.9   (5.6, 51)
//	GSet, TwoPSet                      11.4  11.5   (45, 72)
//	ORSet, RWSet, MVRegister, flags    11.0   4.1   (45, 45)
//	  a context that is all cloud       9.1   4.4   (19, 38)
//	  thousands of replicas            13.9  13.2   (20, 37)
//	LWWRegister (64 KiB of escapes)     7.7  13.0   (8.8, 24)
//	ORMap of one-element values        26.6   6.4   (89, 83; 34 before issue 12)
//	ORMap of maps of such values       35     6.1   (39 before issue 12)
//	ReplicaMessage                     as its state's decoder
//	a length prefix claiming it all    13.7  -      (59)
//	input past the entry limit          0.0   0.1   (the whole state)
//
// Most of it is Go's hash maps (40 to 60 bytes per entry) against entries
// of 5 to 8 bytes. ORMap's binary encoding is the exception: each value
// is a dot store with a hash map of its own (about 300 bytes in Go, a
// group of 8 slots even for one entry) and a slot of about 150 bytes in
// the map's hash map, encoded in about 20 bytes; a map of maps pays it
// twice. Elements of strings of plain ASCII, integers and booleans are
// checked canonical directly; elements of other types go through
// encoding/json, at about 150 bytes each besides the element itself.
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
