// Package crdttest checks that a state-based CRDT obeys the laws that give
// strong eventual consistency. It is built on pgregory.net/rapid and is
// meant for anyone's CRDT types, not only those of package crdt.
//
// # Usage
//
// Describe the type with a [Spec] (how to make the empty value, generate and
// apply an operation, merge, clone and compare states) and call [Check]
// from a test:
//
//	func TestCounterLaws(t *testing.T) {
//		crdttest.Check(t, crdttest.Spec[*crdt.GCounter, uint64]{
//			Empty: func() *crdt.GCounter { return new(crdt.GCounter) },
//			Op:    rapid.Uint64Range(1, 10),
//			Apply: func(c *crdt.GCounter, replica string, n uint64) (*crdt.GCounter, error) {
//				d, err := c.Inc(replica, n)
//				return &d, err
//			},
//			Merge: func(dst, src *crdt.GCounter) error { return dst.Merge(*src) },
//			Clone: func(c *crdt.GCounter) *crdt.GCounter { d := c.Clone(); return &d },
//			Equal: func(a, b *crdt.GCounter) bool { return a.Equal(*b) },
//		})
//	}
//
// # What is checked
//
// Every state the checks use is reachable: it comes from a random history
// of operations and merges on 2 to 5 replicas with distinct IDs, so types
// whose merge assumes well-formed metadata (dots issued once by their
// replica) are checked on the states they can meet. On such states Check
// verifies, comparing internal state with Spec.Equal (never only the
// visible value):
//
//   - merge is deterministic and commutative: a ⊔ b = b ⊔ a, whenever
//     computed;
//   - merge is associative: (a ⊔ b) ⊔ c = a ⊔ (b ⊔ c);
//   - merge is idempotent: a ⊔ a = a;
//   - the empty value is an identity: a ⊔ ⊥ = ⊥ ⊔ a = a;
//   - merge does not modify its argument;
//   - deltas (Almeida, Shoker, Baquero 2018, section 4): the delta d that a
//     mutator returns at state x satisfies x ⊔ d = m(x), and for any other
//     reachable state y, y ⊔ x ⊔ d = y ⊔ m(x); a delta group (the join of
//     the deltas of several consecutive operations) behaves like the state
//     they lead to;
//   - convergence: replicas that apply random operations and ship their
//     deltas to one another through a network that reorders, duplicates and
//     loses messages end in equal states after a final exchange of full
//     states, and, in runs where nothing was lost, from the deltas alone;
//   - encodings (Spec.Codecs): decoding an encoding gives an equal state,
//     and re-encoding it, or encoding a copy of the state, gives the same
//     bytes (the encoding is canonical);
//   - replica identity (with Spec.Issues and Spec.Conflict): in a random
//     history of full-state merges, one replica is cloned into a twin
//     that keeps its ID, and both go on updating (at least one update
//     each after the fork) and merging with the others; the twin is
//     never reported before it has updated, a failed merge leaves its
//     receiver unchanged, and by the time the two have merged each
//     other's states (both ways) a merge has failed with the conflict.
//     Legitimate histories, where every merge above must succeed, are
//     the check that there are no false reports;
//   - semantics (with Spec.Value and Spec.Model): after a random history
//     of operations and merges, each replica's visible value is what the
//     type's specification gives for the operations it has seen, given
//     their happened-before order (Burckhardt, Gotsman, Yang, Zawirski,
//     "Replicated data types: specification, verification, optimality",
//     POPL 2014): the laws hold for a remove-wins set as well as for an
//     add-wins one, and for a counter that counts nothing; only a
//     specification tells them apart.
//
// Failures are shrunk by rapid to a minimal history, and the failure
// message names the law that failed and prints the states involved (with
// Spec.String when it is set).
//
// # Papers
//
//   - Marc Shapiro, Nuno Preguiça, Carlos Baquero, Marek Zawirski.
//     Conflict-free replicated data types. SSS 2011 (the semilattice laws).
//   - Paulo Sérgio Almeida, Ali Shoker, Carlos Baquero. Delta state
//     replicated data types. Journal of Parallel and Distributed Computing
//     111, 2018 (delta mutators and delta groups).
//   - Sebastian Burckhardt, Alexey Gotsman, Hongseok Yang, Marek
//     Zawirski. Replicated data types: specification, verification,
//     optimality. POPL 2014 (specifications over the visibility order).
package crdttest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// Spec describes a CRDT type S with operations Op to the checker. S is
// usually a pointer to the state, since Apply and Merge modify it in place.
// Empty, Op, Apply, Merge, Clone and Equal are required; String and Codecs
// are optional.
type Spec[S, Op any] struct {
	// Empty returns a new bottom value: the state of a replica that has
	// seen nothing.
	Empty func() S
	// Op generates one operation. Operations that do not apply to a
	// state (removing an absent element, say) should be accepted by
	// Apply as no-ops rather than rejected.
	Op *rapid.Generator[Op]
	// Apply performs op at the replica with the given ID, modifying s,
	// and returns the delta of the operation. An error fails the check.
	Apply func(s S, replica string, op Op) (delta S, err error)
	// Merge joins src into dst. It must not modify src.
	Merge func(dst, src S) error
	// Clone returns an independent copy of s.
	Clone func(s S) S
	// Equal reports whether two states are equal, internal metadata
	// included (a canonical encoding compared byte for byte will do).
	Equal func(a, b S) bool
	// String, if set, formats states in failure messages; otherwise
	// they are printed with %v.
	String func(s S) string
	// Codecs are the encodings to check for round trips.
	Codecs []Codec[S]
	// Issues and Conflict, if both set, enable the "replica-identity"
	// property, for types that detect two diverged copies of one
	// replica at merge time. Issues reports whether op issues an update
	// under the replica's ID (adds a dot, counts; a remove that only
	// drops what it observed does not), Conflict whether a merge error
	// is the type's report of such copies.
	Issues   func(op Op) bool
	Conflict func(err error) bool
	// Value and Model, if both set, enable the "semantics" property,
	// which checks what the laws cannot: that the type does what its
	// specification says (an add-wins set keeps an add concurrent with a
	// remove, a counter counts every increment once). Value returns the
	// visible value of a state; Model returns the value the
	// specification gives for the operations a replica has seen, each
	// with the operations that happened before it. They are compared as
	// strings.
	Value func(s S) string
	Model func(seen []Event[Op]) string
}

// Event is an operation of a history, as Spec.Model sees it: its
// position in the history (ID), the replica that performed it, the
// operation, and the IDs of the operations that happened before it
// (those its replica had performed or received through merges), sorted.
// An event is concurrent with another when neither is before the other.
type Event[Op any] struct {
	ID      int
	Replica string
	Op      Op
	After   []int
}

// Before reports whether e happened before f.
func (e Event[Op]) Before(f Event[Op]) bool {
	_, ok := slices.BinarySearch(f.After, e.ID)
	return ok
}

// Codec is one encoding of a CRDT state, such as its binary or JSON form.
type Codec[S any] struct {
	Name      string
	Marshal   func(s S) ([]byte, error)
	Unmarshal func(data []byte) (S, error)
}

// Property is one named law as a rapid property, so that it can be run on
// its own (with rapid.Check, or as a fuzz target with rapid.MakeFuzz).
type Property struct {
	Name  string
	Check func(t *rapid.T)
}

// Check runs every property of spec as a subtest of t.
func Check[S, Op any](t *testing.T, spec Spec[S, Op]) {
	t.Helper()
	for _, p := range Properties(spec) {
		t.Run(p.Name, rapid.MakeCheck(p.Check))
	}
}

// Properties returns the laws Check verifies, one property each:
// "commutative", "associative", "idempotent", "identity", "deltas",
// "convergence", one "codec/<name>" per codec, "replica-identity" when
// Spec.Issues and Spec.Conflict are set, and "semantics" when Spec.Value
// and Spec.Model are.
func Properties[S, Op any](spec Spec[S, Op]) []Property {
	c := checker[S, Op]{spec}
	ps := []Property{
		{"commutative", c.commutative},
		{"associative", c.associative},
		{"idempotent", c.idempotent},
		{"identity", c.identity},
		{"deltas", c.deltas},
		{"convergence", c.convergence},
	}
	for _, codec := range spec.Codecs {
		ps = append(ps, Property{"codec/" + codec.Name, func(t *rapid.T) { c.codec(t, codec) }})
	}
	if spec.Issues != nil && spec.Conflict != nil {
		ps = append(ps, Property{"replica-identity", c.replicaIdentity})
	}
	if spec.Value != nil && spec.Model != nil {
		ps = append(ps, Property{"semantics", c.semantics})
	}
	return ps
}

type checker[S, Op any] struct{ Spec[S, Op] }

// replicaIDs are the replica names of generated histories.
var replicaIDs = []string{"a", "b", "c", "d", "e"}

func (c checker[S, Op]) str(s S) string {
	if c.String != nil {
		return c.String(s)
	}
	return fmt.Sprintf("%v", s)
}

func (c checker[S, Op]) merged(t *rapid.T, a, b S) S {
	r := c.Clone(a)
	if err := c.Merge(r, b); err != nil {
		t.Fatalf("merge of reachable states failed: %v\n a = %s\n b = %s", err, c.str(a), c.str(b))
	}
	return r
}

func (c checker[S, Op]) apply(t *rapid.T, s S, replica string, op Op) S {
	d, err := c.Apply(s, replica, op)
	if err != nil {
		t.Fatalf("operation %v at %s failed: %v", op, replica, err)
	}
	return d
}

// history generates the reachable states of a random history on 2 to 5
// replicas: every replica's state after every step, the empty state
// included.
func (c checker[S, Op]) history(t *rapid.T) []S {
	n := rapid.IntRange(2, len(replicaIDs)).Draw(t, "replicas")
	reps := make([]S, n)
	for i := range reps {
		reps[i] = c.Empty()
	}
	seen := []S{c.Empty()}
	steps := rapid.IntRange(1, 12).Draw(t, "steps")
	for range steps {
		i := rapid.IntRange(0, n-1).Draw(t, "replica")
		if rapid.IntRange(0, 2).Draw(t, "kind") > 0 {
			op := c.Op.Draw(t, "op")
			c.apply(t, reps[i], replicaIDs[i], op)
		} else {
			j := rapid.IntRange(0, n-1).Draw(t, "from")
			if err := c.Merge(reps[i], c.Clone(reps[j])); err != nil {
				t.Fatalf("merge of reachable states failed: %v", err)
			}
		}
		seen = append(seen, c.Clone(reps[i]))
	}
	return seen
}

func (c checker[S, Op]) pick(t *rapid.T, states []S, name string) S {
	return states[rapid.IntRange(0, len(states)-1).Draw(t, name)]
}

func (c checker[S, Op]) commutative(t *rapid.T) {
	h := c.history(t)
	a, b := c.pick(t, h, "a"), c.pick(t, h, "b")
	ab, ba := c.merged(t, a, b), c.merged(t, b, a)
	if again := c.merged(t, a, b); !c.Equal(ab, again) {
		t.Fatalf("merge is not deterministic: a ⊔ b computed twice gives two states\n a = %s\n b = %s\n a ⊔ b = %s\n a ⊔ b = %s",
			c.str(a), c.str(b), c.str(ab), c.str(again))
	}
	if !c.Equal(ab, ba) {
		t.Fatalf("merge is not commutative: a ⊔ b ≠ b ⊔ a\n a = %s\n b = %s\n a ⊔ b = %s\n b ⊔ a = %s",
			c.str(a), c.str(b), c.str(ab), c.str(ba))
	}
}

func (c checker[S, Op]) associative(t *rapid.T) {
	h := c.history(t)
	a, b, x := c.pick(t, h, "a"), c.pick(t, h, "b"), c.pick(t, h, "c")
	l := c.merged(t, c.merged(t, a, b), x)
	r := c.merged(t, a, c.merged(t, b, x))
	if !c.Equal(l, r) {
		t.Fatalf("merge is not associative: (a ⊔ b) ⊔ c ≠ a ⊔ (b ⊔ c)\n a = %s\n b = %s\n c = %s\n (a ⊔ b) ⊔ c = %s\n a ⊔ (b ⊔ c) = %s",
			c.str(a), c.str(b), c.str(x), c.str(l), c.str(r))
	}
}

func (c checker[S, Op]) idempotent(t *rapid.T) {
	h := c.history(t)
	a := c.pick(t, h, "a")
	aa := c.merged(t, a, a)
	if !c.Equal(aa, a) {
		t.Fatalf("merge is not idempotent: a ⊔ a ≠ a\n a = %s\n a ⊔ a = %s", c.str(a), c.str(aa))
	}
	b := c.pick(t, h, "b")
	before := c.Clone(b)
	c.merged(t, a, b)
	if !c.Equal(b, before) {
		t.Fatalf("merge modified its argument\n before = %s\n after = %s", c.str(before), c.str(b))
	}
}

func (c checker[S, Op]) identity(t *rapid.T) {
	h := c.history(t)
	a := c.pick(t, h, "a")
	if r := c.merged(t, a, c.Empty()); !c.Equal(r, a) {
		t.Fatalf("the empty value is not a right identity: a ⊔ ⊥ ≠ a\n a = %s\n a ⊔ ⊥ = %s", c.str(a), c.str(r))
	}
	if r := c.merged(t, c.Empty(), a); !c.Equal(r, a) {
		t.Fatalf("the empty value is not a left identity: ⊥ ⊔ a ≠ a\n a = %s\n ⊥ ⊔ a = %s", c.str(a), c.str(r))
	}
}

// deltas checks the delta-mutator condition of Almeida et al. (2018,
// definition 4.1) on a replica of a reachable history, and its
// consequence for a receiver y that has not seen x, for single deltas and
// for a delta group.
func (c checker[S, Op]) deltas(t *rapid.T) {
	h := c.history(t)
	x, y := c.Clone(c.pick(t, h, "x")), c.pick(t, h, "y")
	// A replica ID not used by the history would break nothing, but the
	// replica x came from may have issued dots: use a fresh ID so the
	// operations below are well formed whichever replica x is.
	const replica = "delta"
	k := rapid.IntRange(1, 4).Draw(t, "operations")
	start := c.Clone(x)
	var group S
	for i := range k {
		before := c.Clone(x)
		op := c.Op.Draw(t, "op")
		d := c.apply(t, x, replica, op)
		if r := c.merged(t, before, d); !c.Equal(r, x) {
			t.Fatalf("x ⊔ delta ≠ m(x): merging the delta of %v into the state it came from differs from applying it\n x = %s\n delta = %s\n x ⊔ delta = %s\n m(x) = %s",
				op, c.str(before), c.str(d), c.str(r), c.str(x))
		}
		if r, w := c.merged(t, c.merged(t, y, before), d), c.merged(t, y, x); !c.Equal(r, w) {
			t.Fatalf("y ⊔ x ⊔ delta ≠ y ⊔ m(x): merging the delta of %v differs from merging the full state\n y = %s\n x = %s\n delta = %s\n y ⊔ x ⊔ delta = %s\n y ⊔ m(x) = %s",
				op, c.str(y), c.str(before), c.str(d), c.str(r), c.str(w))
		}
		if i == 0 {
			group = c.Clone(d)
		} else if err := c.Merge(group, d); err != nil {
			t.Fatalf("joining deltas into a delta group failed: %v", err)
		}
	}
	if r, w := c.merged(t, c.merged(t, y, start), group), c.merged(t, y, x); !c.Equal(r, w) {
		t.Fatalf("y ⊔ x ⊔ group ≠ y ⊔ x': a delta group differs from the full state it leads to\n y = %s\n x = %s\n group = %s\n y ⊔ x ⊔ group = %s\n y ⊔ x' = %s",
			c.str(y), c.str(start), c.str(group), c.str(r), c.str(w))
	}
}

type message[S any] struct {
	to    int
	delta S
}

// convergence runs replicas that ship every delta to every other replica
// through a network that delivers in random order, duplicates and loses.
func (c checker[S, Op]) convergence(t *rapid.T) {
	n := rapid.IntRange(2, len(replicaIDs)).Draw(t, "replicas")
	reps := make([]S, n)
	for i := range reps {
		reps[i] = c.Empty()
	}
	var inflight []message[S]
	lost := false
	deliver := func() {
		k := rapid.IntRange(0, len(inflight)-1).Draw(t, "message")
		m := inflight[k]
		switch rapid.IntRange(0, 5).Draw(t, "fate") {
		case 0: // lost
			lost = true
			inflight = append(inflight[:k], inflight[k+1:]...)
			return
		case 1: // duplicated: delivered now and stays in flight
		default:
			inflight = append(inflight[:k], inflight[k+1:]...)
		}
		if err := c.Merge(reps[m.to], c.Clone(m.delta)); err != nil {
			t.Fatalf("merging a delta failed: %v", err)
		}
	}
	steps := rapid.IntRange(1, 30).Draw(t, "steps")
	for range steps {
		if len(inflight) > 0 && rapid.Bool().Draw(t, "deliver") {
			deliver()
			continue
		}
		i := rapid.IntRange(0, n-1).Draw(t, "replica")
		d := c.apply(t, reps[i], replicaIDs[i], c.Op.Draw(t, "op"))
		for j := range reps {
			if j != i {
				inflight = append(inflight, message[S]{j, c.Clone(d)})
			}
		}
	}
	if !lost {
		// Drain without loss: deltas alone must make the replicas converge.
		for len(inflight) > 0 {
			k := rapid.IntRange(0, len(inflight)-1).Draw(t, "drain")
			m := inflight[k]
			inflight = append(inflight[:k], inflight[k+1:]...)
			if err := c.Merge(reps[m.to], m.delta); err != nil {
				t.Fatalf("merging a delta failed: %v", err)
			}
		}
		for i := 1; i < n; i++ {
			if !c.Equal(reps[0], reps[i]) {
				t.Fatalf("replicas did not converge after every delta was delivered (reordered and duplicated, none lost)\n %s = %s\n %s = %s",
					replicaIDs[0], c.str(reps[0]), replicaIDs[i], c.str(reps[i]))
			}
		}
	}
	// Full-state anti-entropy repairs any loss.
	all := c.Empty()
	for _, r := range reps {
		if err := c.Merge(all, r); err != nil {
			t.Fatalf("merging a full state failed: %v", err)
		}
	}
	for i, r := range reps {
		if err := c.Merge(r, all); err != nil {
			t.Fatalf("merging a full state failed: %v", err)
		}
		if !c.Equal(r, all) {
			t.Fatalf("replicas did not converge after exchanging full states\n %s = %s\n join of all = %s",
				replicaIDs[i], c.str(r), c.str(all))
		}
	}
}

func (c checker[S, Op]) codec(t *rapid.T, codec Codec[S]) {
	h := c.history(t)
	a := c.pick(t, h, "a")
	enc, err := codec.Marshal(a)
	if err != nil {
		t.Fatalf("%s encoding of a reachable state failed: %v\n state = %s", codec.Name, err, c.str(a))
	}
	b, err := codec.Unmarshal(enc)
	if err != nil {
		t.Fatalf("%s encoding does not round-trip: decoding failed: %v\n state = %s\n encoding = %q", codec.Name, err, c.str(a), enc)
	}
	if !c.Equal(a, b) {
		t.Fatalf("%s encoding does not round-trip: decode(encode(s)) ≠ s\n s = %s\n decoded = %s", codec.Name, c.str(a), c.str(b))
	}
	again, err := codec.Marshal(b)
	if err != nil {
		t.Fatalf("%s encoding of a decoded state failed: %v", codec.Name, err)
	}
	if !bytes.Equal(enc, again) {
		t.Fatalf("%s encoding is not canonical: encode(decode(e)) ≠ e\n e = %q\n again = %q", codec.Name, enc, again)
	}
	// One state, one encoding: encoding it again, or a copy of it, gives
	// the same bytes (an encoding that follows map order does not). The
	// join of the whole history, the largest state, is tried too.
	all := c.Empty()
	for _, s := range h {
		if err := c.Merge(all, c.Clone(s)); err != nil {
			t.Fatalf("merge of reachable states failed: %v", err)
		}
	}
	for _, s := range []S{a, all} {
		first, err := codec.Marshal(s)
		if err != nil {
			t.Fatalf("%s encoding of a reachable state failed: %v\n state = %s", codec.Name, err, c.str(s))
		}
		for range 8 {
			other, err := codec.Marshal(c.Clone(s))
			if err != nil || !bytes.Equal(first, other) {
				t.Fatalf("%s encoding is not canonical: encoding a state and a copy of it gives different bytes (%v)\n e = %q\n again = %q", codec.Name, err, first, other)
			}
		}
	}
}

// replicaIdentity injects a diverged copy (a twin keeping a replica's ID)
// into a random history and checks that it is detected by the time the
// twin and the original have exchanged states both ways, never before the
// twin has updated, and that failed merges change nothing.
func (c checker[S, Op]) replicaIdentity(t *rapid.T) {
	n := rapid.IntRange(2, len(replicaIDs)).Draw(t, "replicas")
	reps := make([]S, n+1) // reps[n] is the twin, once forked
	ids := make([]string, n+1)
	copy(ids, replicaIDs[:n])
	for i := range reps {
		reps[i] = c.Empty()
	}
	k := rapid.IntRange(0, n-1).Draw(t, "cloned")
	ids[n] = ids[k]
	forkAt := rapid.IntRange(0, 8).Draw(t, "fork")
	forked, twinUpdated, origUpdated, detected := false, false, false, false
	live := func() int {
		if forked {
			return n + 1
		}
		return n
	}
	merge := func(i, j int) {
		before := c.Clone(reps[i])
		err := c.Merge(reps[i], c.Clone(reps[j]))
		switch {
		case err == nil:
		case !c.Conflict(err):
			t.Fatalf("merge failed with an error other than the replica conflict: %v", err)
		case !twinUpdated:
			t.Fatalf("replica conflict reported before the twin of %s made any update (a copy that has not updated is only a stale state): %v\n into = %s\n from = %s",
				ids[k], err, c.str(before), c.str(reps[j]))
		default:
			detected = true
			if !c.Equal(before, reps[i]) {
				t.Fatalf("a merge that reported a replica conflict changed its receiver\n before = %s\n after = %s", c.str(before), c.str(reps[i]))
			}
		}
	}
	update := func(i int, op Op) {
		c.apply(t, reps[i], ids[i], op)
		if forked && c.Issues(op) {
			switch i {
			case n:
				twinUpdated = true
			case k:
				origUpdated = true
			}
		}
	}
	steps := rapid.IntRange(forkAt, forkAt+12).Draw(t, "steps")
	for step := 0; step <= steps; step++ {
		if step == forkAt {
			reps[n] = c.Clone(reps[k])
			forked = true
		}
		i := rapid.IntRange(0, live()-1).Draw(t, "replica")
		if rapid.IntRange(0, 2).Draw(t, "kind") > 0 {
			update(i, c.Op.Draw(t, "op"))
		} else {
			merge(i, rapid.IntRange(0, live()-1).Draw(t, "from"))
		}
	}
	if !twinUpdated {
		update(n, c.Op.Filter(c.Issues).Draw(t, "twin op"))
	}
	if !origUpdated {
		update(k, c.Op.Filter(c.Issues).Draw(t, "original op"))
	}
	if rapid.Bool().Draw(t, "twin first") {
		merge(n, k)
		merge(k, n)
	} else {
		merge(k, n)
		merge(n, k)
	}
	if !detected {
		t.Fatalf("two diverged copies of replica %s (both updated after the fork) exchanged states both ways and no merge reported a replica conflict\n original = %s\n twin = %s",
			ids[k], c.str(reps[k]), c.str(reps[n]))
	}
}

// semantics runs a random history of operations and full-state merges on
// 2 to 5 replicas, recording what each replica has seen, and checks that
// every replica's visible value is what Spec.Model gives for the
// operations it has seen.
func (c checker[S, Op]) semantics(t *rapid.T) {
	n := rapid.IntRange(2, len(replicaIDs)).Draw(t, "replicas")
	reps := make([]S, n)
	seen := make([][]int, n) // sorted event IDs
	for i := range reps {
		reps[i] = c.Empty()
	}
	var events []Event[Op]
	steps := rapid.IntRange(1, 16).Draw(t, "steps")
	for range steps {
		i := rapid.IntRange(0, n-1).Draw(t, "replica")
		if rapid.IntRange(0, 2).Draw(t, "kind") > 0 {
			op := c.Op.Draw(t, "op")
			c.apply(t, reps[i], replicaIDs[i], op)
			e := Event[Op]{ID: len(events), Replica: replicaIDs[i], Op: op, After: slices.Clone(seen[i])}
			events = append(events, e)
			seen[i] = append(seen[i], e.ID)
			continue
		}
		j := rapid.IntRange(0, n-1).Draw(t, "from")
		if err := c.Merge(reps[i], c.Clone(reps[j])); err != nil {
			t.Fatalf("merge of reachable states failed: %v", err)
		}
		seen[i] = union(seen[i], seen[j])
	}
	for i := range reps {
		var mine []Event[Op]
		for _, id := range seen[i] {
			mine = append(mine, events[id])
		}
		if got, want := c.Value(reps[i]), c.Model(mine); got != want {
			var h strings.Builder
			for _, e := range mine {
				fmt.Fprintf(&h, "\n  #%d %v at %s, after %v", e.ID, e.Op, e.Replica, e.After)
			}
			t.Fatalf("semantics: replica %s shows %s, but the specification gives %s for the operations it has seen:%s\n state = %s",
				replicaIDs[i], got, want, h.String(), c.str(reps[i]))
		}
	}
}

// union returns the sorted union of two sorted lists.
func union(a, b []int) []int {
	out := make([]int, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		switch {
		case a[0] < b[0]:
			out, a = append(out, a[0]), a[1:]
		case a[0] > b[0]:
			out, b = append(out, b[0]), b[1:]
		default:
			out, a, b = append(out, a[0]), a[1:], b[1:]
		}
	}
	return append(append(out, a...), b...)
}
