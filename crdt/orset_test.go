package crdt_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/eventually-perfect/primitives/crdt"
	"github.com/eventually-perfect/primitives/crdt/crdttest"
)

// setOp is an operation on a set of small integers: add, remove or clear.
type setOp struct {
	Kind int // 0 add, 1 remove, 2 clear (ORSet only)
	E    int
}

func genSetOp(kinds int) *rapid.Generator[setOp] {
	return rapid.Custom(func(t *rapid.T) setOp {
		return setOp{rapid.IntRange(0, kinds-1).Draw(t, "kind"), rapid.IntRange(0, 3).Draw(t, "e")}
	})
}

func orsetSpec() crdttest.Spec[*crdt.ORSet[int], setOp] {
	return crdttest.Spec[*crdt.ORSet[int], setOp]{
		Empty: func() *crdt.ORSet[int] { return new(crdt.ORSet[int]) },
		Op:    genSetOp(3),
		Apply: func(s *crdt.ORSet[int], r string, op setOp) (*crdt.ORSet[int], error) {
			var d crdt.ORSet[int]
			switch op.Kind {
			case 0:
				d = s.Add(r, op.E)
			case 1:
				d = s.Remove(r, op.E)
			default:
				d = s.Clear(r)
			}
			return &d, nil
		},
		Merge:    func(d, s *crdt.ORSet[int]) error { return d.Merge(*s) },
		Clone:    func(s *crdt.ORSet[int]) *crdt.ORSet[int] { c := s.Clone(); return &c },
		Equal:    func(a, b *crdt.ORSet[int]) bool { return a.Equal(*b) },
		String:   func(s *crdt.ORSet[int]) string { return s.String() },
		Codecs:   codecs[crdt.ORSet[int]](),
		Issues:   func(op setOp) bool { return op.Kind == 0 },
		Conflict: isReplicaConflict,
		Value:    func(s *crdt.ORSet[int]) string { return fmt.Sprint(s.Elements()) },
		// Add-wins: an element is in the set if one of the latest
		// operations on it (a clear is one on every element) is an add.
		Model: func(seen []crdttest.Event[setOp]) string {
			return setModel(seen, func(latest []setOp) bool { return slices.ContainsFunc(latest, isAdd) })
		},
	}
}

func isAdd(op setOp) bool { return op.Kind == 0 }

// setModel returns the elements (0 to 3) for which in holds of the latest
// operations on them among seen: those no other operation on the element
// follows (Burckhardt et al. 2014, the visibility order).
func setModel(seen []crdttest.Event[setOp], in func(latest []setOp) bool) string {
	elems := []int{}
	for e := range 4 {
		var latest []setOp
		for _, x := range seen {
			if x.Op.Kind != 2 && x.Op.E != e {
				continue
			}
			followed := slices.ContainsFunc(seen, func(y crdttest.Event[setOp]) bool {
				return (y.Op.Kind == 2 || y.Op.E == e) && x.Before(y)
			})
			if !followed {
				latest = append(latest, x.Op)
			}
		}
		if in(latest) {
			elems = append(elems, e)
		}
	}
	return fmt.Sprint(elems)
}

func rwsetSpec() crdttest.Spec[*crdt.RWSet[int], setOp] {
	return crdttest.Spec[*crdt.RWSet[int], setOp]{
		Empty: func() *crdt.RWSet[int] { return new(crdt.RWSet[int]) },
		Op:    genSetOp(2),
		Apply: func(s *crdt.RWSet[int], r string, op setOp) (*crdt.RWSet[int], error) {
			var d crdt.RWSet[int]
			if op.Kind == 0 {
				d = s.Add(r, op.E)
			} else {
				d = s.Remove(r, op.E)
			}
			return &d, nil
		},
		Merge:    func(d, s *crdt.RWSet[int]) error { return d.Merge(*s) },
		Clone:    func(s *crdt.RWSet[int]) *crdt.RWSet[int] { c := s.Clone(); return &c },
		Equal:    func(a, b *crdt.RWSet[int]) bool { return a.Equal(*b) },
		String:   func(s *crdt.RWSet[int]) string { return s.String() },
		Codecs:   codecs[crdt.RWSet[int]](),
		Issues:   func(setOp) bool { return true }, // adds and removes both issue a dot
		Conflict: isReplicaConflict,
		Value:    func(s *crdt.RWSet[int]) string { return fmt.Sprint(s.Elements()) },
		// Remove-wins: an element is in the set if the latest operations
		// on it include an add and no remove.
		Model: func(seen []crdttest.Event[setOp]) string {
			return setModel(seen, func(latest []setOp) bool {
				return slices.ContainsFunc(latest, isAdd) && !slices.ContainsFunc(latest, func(op setOp) bool { return !isAdd(op) })
			})
		},
	}
}

func TestORSetLaws(t *testing.T) { crdttest.Check(t, orsetSpec()) }
func TestRWSetLaws(t *testing.T) { crdttest.Check(t, rwsetSpec()) }

// TestAddWinsRemoveWins pins the semantics the issue states: replica x adds
// 3.14, adds 2.718, removes 3.14; replica y adds 3.14. Merged, the add-wins
// set is {2.718, 3.14} and the remove-wins set is {2.718}; if x then clears
// its add-wins set and merges y's state again, the result is empty, because
// x had already seen y's add (Almeida et al. 2018, section 7.2).
func TestAddWinsRemoveWins(t *testing.T) {
	var xa, ya crdt.ORSet[float64]
	xa.Add("x", 3.14)
	xa.Add("x", 2.718)
	xa.Remove("x", 3.14)
	ya.Add("y", 3.14)
	xa.Merge(ya)
	if got := xa.Elements(); !slices.Equal(got, []float64{2.718, 3.14}) {
		t.Fatalf("add-wins: got %v, want [2.718 3.14]", got)
	}

	var xr, yr crdt.RWSet[float64]
	xr.Add("x", 3.14)
	xr.Add("x", 2.718)
	xr.Remove("x", 3.14)
	yr.Add("y", 3.14)
	xr.Merge(yr)
	if got := xr.Elements(); !slices.Equal(got, []float64{2.718}) {
		t.Fatalf("remove-wins: got %v, want [2.718]", got)
	}

	xa.Clear("x")
	xa.Merge(ya)
	if xa.Len() != 0 {
		t.Fatalf("after clear and re-merge of y: got %v, want empty (x had seen y's add)", xa)
	}
	if !ya.Contains(3.14) {
		t.Fatal("y lost its element")
	}
}

// TestORSetConcurrentAddRemove: a remove only removes the adds it observed
// (Shapiro et al. 2011, specification 15, the OR-Set).
func TestORSetConcurrentAddRemove(t *testing.T) {
	var a, b crdt.ORSet[string]
	d := a.Add("a", "milk")
	b.Merge(d)
	b.Remove("b", "milk") // b removes the add it saw
	a.Add("a", "milk")    // meanwhile a adds milk again
	a.Merge(b)
	b.Merge(a)
	if !a.Contains("milk") || !b.Contains("milk") || !a.Equal(b) {
		t.Fatalf("the concurrent add must win: a = %v, b = %v", a, b)
	}
}

// TestORSetLostDelta: losing a delta and receiving a later one from the
// same replica does not lose the element of the later one, and a later
// full-state merge repairs the loss. The causal context records the later
// dot in its cloud. (Akka's delta ORSet needs causal delivery for this.)
func TestORSetLostDelta(t *testing.T) {
	var a, b crdt.ORSet[string]
	a.Add("a", "x") // the delta of this add is lost
	d2 := a.Add("a", "y")
	b.Merge(d2)
	b.Merge(d2) // and duplicated
	if !b.Contains("y") || b.Contains("x") {
		t.Fatalf("after the later delta: %v", b)
	}
	if _, cloud := b.Context().Size(); cloud != 1 {
		t.Fatalf("the dot after the gap should sit in the cloud: %v", b.Context())
	}
	d3 := a.Remove("a", "x") // covers the lost dot: the gap closes
	b.Merge(d3)
	if _, cloud := b.Context().Size(); cloud != 0 || b.Contains("x") {
		t.Fatalf("the remove's context should close the gap: %v", b)
	}
	b.Merge(a)
	if !a.Equal(b) {
		t.Fatalf("a full-state merge did not converge: %v vs %v", a, b)
	}
}

// TestORSetNoTombstones: removing elements leaves only the compact causal
// context, one vector entry and one stamp per replica.
func TestORSetNoTombstones(t *testing.T) {
	var s crdt.ORSet[int]
	for i := range 1000 {
		s.Add("a", i)
	}
	for i := range 1000 {
		s.Remove("a", i)
	}
	if got := s.Size(); got != (crdt.Size{Vector: 1, Stamps: 1}) {
		t.Fatalf("size after removing everything = %+v, want one vector entry and one stamp", got)
	}
	if s.String() != "{} {a:1000}" {
		t.Fatalf("got %q", s.String())
	}
}

func TestORSetDeltaSize(t *testing.T) {
	var s crdt.ORSet[int]
	for i := range 10000 {
		s.Add("a", i)
	}
	full, _ := s.MarshalBinary()
	d := s.Add("a", 10000)
	delta, _ := d.MarshalBinary()
	if 100*len(delta) > len(full) {
		t.Fatalf("delta of one add is %d bytes, full state %d: more than 1%%", len(delta), len(full))
	}
	t.Logf("delta %d bytes, full state %d bytes (%.4f%%)", len(delta), len(full), 100*float64(len(delta))/float64(len(full)))
}

func TestORSetDecodeRejects(t *testing.T) {
	var s crdt.ORSet[string]
	s.Add("a", "x")
	enc, _ := s.MarshalBinary()
	for _, bad := range [][]byte{
		nil, {2}, enc[:len(enc)-1], append(slices.Clone(enc), 0),
		// dot a:2 outside the context {a:1}
		{1, 4, 1, 1, 'a', 1, 0, 1, 3, '"', 'x', '"', 1, 1, 'a', 2},
		// element not canonical JSON
		{1, 4, 1, 1, 'a', 1, 0, 1, 4, ' ', '"', 'x', '"', 1, 1, 'a', 1},
		// cloud dot a:2 extends the vector: not compact
		{1, 4, 1, 1, 'a', 1, 1, 1, 'a', 2, 0},
	} {
		x := s.Clone()
		err := x.UnmarshalBinary(bad)
		if !errors.Is(err, crdt.ErrMalformed) && !errors.Is(err, crdt.ErrTooLarge) {
			t.Errorf("input %x: got %v, want a rejection", bad, err)
		}
		if !x.Equal(s) {
			t.Errorf("input %x: failed decode changed the set", bad)
		}
	}
}

func fuzzKernel[T any, P interface {
	*T
	UnmarshalBinary([]byte) error
	MarshalBinary() ([]byte, error)
}](f *testing.F, seeds ...P) {
	for _, s := range seeds {
		b, err := s.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		x := P(new(T))
		if err := x.UnmarshalBinary(data); err != nil {
			checkRejected(t, err)
			return
		}
		again, err := x.MarshalBinary()
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("decoded state re-encodes to %x, %v; input %x", again, err, data)
		}
	})
}

func FuzzORSetUnmarshalBinary(f *testing.F) {
	var a, b crdt.ORSet[string]
	a.Add("a", "x")
	a.Add("a", "y")
	b.Add("b", "x")
	b.Merge(a.Remove("a", "y"))
	fuzzKernel(f, &a, &b)
}

func FuzzRWSetUnmarshalBinary(f *testing.F) {
	var a crdt.RWSet[string]
	a.Add("a", "x")
	a.Remove("a", "y")
	fuzzKernel(f, &a)
}

func FuzzORSetUnmarshalJSON(f *testing.F) {
	var a crdt.ORSet[string]
	a.Add("a", "x")
	b, _ := a.MarshalJSON()
	f.Add(b)
	f.Add(dupFirstKey(b, false)) // duplicate keys are rejected
	f.Add(dupFirstKey(b, true))
	f.Fuzz(func(t *testing.T, data []byte) {
		var x crdt.ORSet[string]
		if err := x.UnmarshalJSON(data); err != nil {
			checkRejected(t, err)
			return
		}
		enc, err := x.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var y crdt.ORSet[string]
		if err := y.UnmarshalJSON(enc); err != nil || !y.Equal(x) {
			t.Fatalf("%v does not round-trip: %v", x, err)
		}
	})
}

func ExampleORSet() {
	var x, y crdt.ORSet[string]
	x.Add("x", "milk")
	x.Add("x", "eggs")
	if err := y.Merge(x); err != nil {
		fmt.Println(err)
		return
	}
	y.Remove("y", "milk") // y removes the milk it saw
	x.Add("x", "milk")    // while x adds milk again
	if err := x.Merge(y); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(x.Elements())
	fmt.Println(x)
	// Output:
	// [eggs milk]
	// {"eggs"@x:2, "milk"@x:3} {x:3}
}

func ExampleRWSet() {
	var x, y crdt.RWSet[string]
	x.Add("x", "milk")
	if err := y.Merge(x); err != nil {
		fmt.Println(err)
		return
	}
	y.Remove("y", "milk") // y removes milk
	x.Add("x", "milk")    // while x adds it again: the remove wins
	if err := x.Merge(y); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(x.Elements(), x.Contains("milk"))
	// Output: [] false
}

// TestORSetReplicaConflict: two diverged copies of replica a issue the same
// dot for different elements; merging them is an error, not a silent loss
// of one element, and leaves the receiver unchanged.
func TestORSetReplicaConflict(t *testing.T) {
	var a1 crdt.ORSet[string]
	a1.Add("a", "x")
	a2 := a1.Clone() // restored from a backup, same replica ID
	a1.Add("a", "y")
	a2.Add("a", "z") // the same dot a:2 as y
	before := a1.Clone()
	if err := a1.Merge(a2); !errors.Is(err, crdt.ErrReplicaConflict) {
		t.Fatalf("merge of diverged copies: got %v, want ErrReplicaConflict", err)
	}
	if !a1.Equal(before) {
		t.Fatal("a failed merge changed the set")
	}
	// A legitimate removal of a seen dot is not a conflict.
	var b crdt.ORSet[string]
	b.Merge(a1)
	b.Remove("b", "y")
	if err := b.Merge(a1); err != nil || b.Contains("y") {
		t.Fatalf("a removal was taken for a conflict: %v, %v", err, b)
	}
}

// TestElementsWithoutJSON: elements that have no JSON encoding (an
// infinity) are still listed, though the encodings refuse them.
func TestElementsWithoutJSON(t *testing.T) {
	var s crdt.ORSet[float64]
	s.Add("a", math.Inf(1))
	s.Add("a", 1)
	if got := s.Elements(); len(got) != 2 {
		t.Fatalf("Elements dropped an element: %v", got)
	}
	if _, err := s.MarshalBinary(); err == nil {
		t.Fatal("an infinity has no JSON encoding: MarshalBinary must fail")
	}
}
