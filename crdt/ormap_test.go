package crdt_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/eventually-perfect/primitives/crdt"
	"github.com/eventually-perfect/primitives/crdt/crdttest"
)

type mapOp struct {
	Kind int // 0 add to the key's set, 1 remove from it, 2 remove the key
	Key  string
	E    int
}

var genMapOp = rapid.Custom(func(t *rapid.T) mapOp {
	return mapOp{
		rapid.IntRange(0, 2).Draw(t, "kind"),
		rapid.SampledFrom([]string{"x", "y"}).Draw(t, "key"),
		rapid.IntRange(0, 2).Draw(t, "e"),
	}
})

type cart = crdt.ORMap[string, crdt.ORSet[int]]

func TestORMapLaws(t *testing.T) {
	s := spec(genMapOp, func(m *cart, r string, o mapOp) (cart, error) {
		switch o.Kind {
		case 0:
			return m.Update(r, o.Key, func(s *crdt.ORSet[int], r string) crdt.ORSet[int] { return s.Add(r, o.E) })
		case 1:
			return m.Update(r, o.Key, func(s *crdt.ORSet[int], r string) crdt.ORSet[int] { return s.Remove(r, o.E) })
		}
		return m.Remove(r, o.Key), nil
	})
	s.Issues, s.Conflict = func(o mapOp) bool { return o.Kind == 0 }, isReplicaConflict
	crdttest.Check(t, s)
}

type nested = crdt.ORMap[string, crdt.ORMap[string, crdt.MVRegister[int]]]

// TestNestedORMapLaws: maps of maps of registers obey the laws too.
func TestNestedORMapLaws(t *testing.T) {
	s := spec(genMapOp, func(m *nested, r string, o mapOp) (nested, error) {
		inner := fmt.Sprint(o.E % 2)
		switch o.Kind {
		case 0:
			return m.Update(r, o.Key, func(v *crdt.ORMap[string, crdt.MVRegister[int]], r string) crdt.ORMap[string, crdt.MVRegister[int]] {
				// An error of the inner Update is the outer one's too.
				d, _ := v.Update(r, inner, func(x *crdt.MVRegister[int], r string) crdt.MVRegister[int] { return x.Write(r, o.E) })
				return d
			})
		case 1:
			return m.Update(r, o.Key, func(v *crdt.ORMap[string, crdt.MVRegister[int]], r string) crdt.ORMap[string, crdt.MVRegister[int]] {
				return v.Remove(r, inner)
			})
		}
		return m.Remove(r, o.Key), nil
	})
	s.Issues, s.Conflict = func(o mapOp) bool { return o.Kind == 0 }, isReplicaConflict
	crdttest.Check(t, s)
}

// TestORMapObservedReset: a key removed at one replica while another
// concurrently adds to its value comes back with only the concurrent
// update; what the remover observed is reset (Almeida et al. 2018,
// section 7.4).
func TestORMapObservedReset(t *testing.T) {
	var a, b cart
	d := mustUpdate(&a, "a", "cart", func(s *crdt.ORSet[int], r string) crdt.ORSet[int] { return s.Add(r, 1) })
	b.Merge(d)
	a.Remove("a", "cart")                                                                                  // a empties the cart
	mustUpdate(&b, "b", "cart", func(s *crdt.ORSet[int], r string) crdt.ORSet[int] { return s.Add(r, 2) }) // b adds concurrently
	a.Merge(b)
	b.Merge(a)
	v, ok := a.Get("cart")
	if !ok || !slices.Equal(v.Elements(), []int{2}) || !a.Equal(b) {
		t.Fatalf("observed-reset: got %v and %v, want the cart with only 2 on both", a, b)
	}
	a.Remove("a", "cart")
	b.Merge(a)
	if b.Len() != 0 || b.Size().Dots != 0 {
		t.Fatalf("a remove that saw everything leaves nothing: %v", b)
	}
}

func FuzzORMapUnmarshalBinary(f *testing.F) {
	var m cart
	mustUpdate(&m, "a", "x", func(s *crdt.ORSet[int], r string) crdt.ORSet[int] { return s.Add(r, 1) })
	mustUpdate(&m, "b", "y", func(s *crdt.ORSet[int], r string) crdt.ORSet[int] { return s.Add(r, 2) })
	fuzzKernel(f, &m)
}

func ExampleORMap() {
	var alice, bob crdt.ORMap[string, crdt.ORSet[string]]
	d, err := alice.Update("alice", "fruit", func(s *crdt.ORSet[string], replica string) crdt.ORSet[string] {
		return s.Add(replica, "apple") // replica is "alice", given once
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := bob.Merge(d); err != nil {
		fmt.Println(err)
		return
	}
	alice.Remove("alice", "fruit") // alice drops the fruit list
	if _, err := bob.Update("bob", "fruit", func(s *crdt.ORSet[string], replica string) crdt.ORSet[string] {
		return s.Add(replica, "pear") // while bob adds a pear
	}); err != nil {
		fmt.Println(err)
		return
	}
	if err := alice.Merge(bob); err != nil {
		fmt.Println(err)
		return
	}
	fruit, _ := alice.Get("fruit")
	fmt.Println(alice.Keys(), fruit.Elements())
	// Output: [fruit] [pear]
}

// TestORMapReplicaConflict: two diverged copies of replica a that update
// different keys with the same dot are detected at merge time.
func TestORMapReplicaConflict(t *testing.T) {
	var a1 cart
	a2 := a1.Clone()
	mustUpdate(&a1, "a", "x", func(s *crdt.ORSet[int], r string) crdt.ORSet[int] { return s.Add(r, 1) })
	mustUpdate(&a2, "a", "y", func(s *crdt.ORSet[int], r string) crdt.ORSet[int] { return s.Add(r, 1) })
	before := a1.Clone()
	if err := a1.Merge(a2); !errors.Is(err, crdt.ErrReplicaConflict) {
		t.Fatalf("merge of diverged copies: got %v, want ErrReplicaConflict", err)
	}
	if !a1.Equal(before) {
		t.Fatal("a failed merge changed the map")
	}
}

// TestORMapUpdateWrongReplica: inside Update the value is bound to the
// replica given to Update. A mutator called with another replica ID, at
// any depth of nested maps, changes nothing, and Update fails with
// ErrWrongReplica, leaving the map (context and identity included)
// unchanged; the map then goes on updating normally.
func TestORMapUpdateWrongReplica(t *testing.T) {
	var m cart
	mustUpdate(&m, "a", "x", func(s *crdt.ORSet[int], r string) crdt.ORSet[int] { return s.Add(r, 1) })
	for name, f := range map[string]func(s *crdt.ORSet[int], r string) crdt.ORSet[int]{
		"add":    func(s *crdt.ORSet[int], _ string) crdt.ORSet[int] { return s.Add("b", 2) },
		"remove": func(s *crdt.ORSet[int], _ string) crdt.ORSet[int] { return s.Remove("b", 1) },
		"clear":  func(s *crdt.ORSet[int], _ string) crdt.ORSet[int] { return s.Clear("b") },
	} {
		before := m.Clone()
		d, err := m.Update("a", "x", f)
		if !errors.Is(err, crdt.ErrWrongReplica) {
			t.Fatalf("%s at b inside Update at a: got %v, want ErrWrongReplica", name, err)
		}
		if !m.Equal(before) || d.Len() != 0 || d.Size() != (crdt.Size{}) {
			t.Fatalf("%s: a refused update changed the map or returned a delta: %v, delta %v", name, m, d)
		}
	}
	// The map was not left bound: the next updates, at a, succeed, and a
	// merge with a's own earlier state reports no conflict.
	old := m.Clone()
	if _, err := m.Update("a", "x", func(s *crdt.ORSet[int], r string) crdt.ORSet[int] { return s.Remove(r, 1) }); err != nil {
		t.Fatalf("a remove at a after refused updates: %v", err)
	}
	mustUpdate(&m, "a", "y", func(s *crdt.ORSet[int], r string) crdt.ORSet[int] { return s.Add(r, 3) })
	if err := m.Merge(old); err != nil || m.String() != `{"y": {3@a:2} {}} {a:2}` {
		t.Fatalf("after refused updates: %v, %v", m, err)
	}
	got, _ := m.Get("y")
	got.Add("b", 4) // a value read with Get is not bound
	if !got.Contains(4) {
		t.Fatal("a value read with Get stayed bound to the map's replica")
	}
}

// TestNestedORMapUpdateWrongReplica: the binding reaches nested maps,
// whose own Update and Remove are checked, and their values' mutators.
func TestNestedORMapUpdateWrongReplica(t *testing.T) {
	type inner = crdt.ORMap[string, crdt.MVRegister[int]]
	var m nested
	write := func(r string) func(v *inner, _ string) inner {
		return func(v *inner, _ string) inner {
			d, _ := v.Update(r, "k", func(x *crdt.MVRegister[int], r string) crdt.MVRegister[int] { return x.Write(r, 1) })
			return d
		}
	}
	if _, err := m.Update("a", "x", write("a")); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(v *inner, r string) inner{
		"inner update at b": write("b"),
		"inner remove at b": func(v *inner, _ string) inner { return v.Remove("b", "k") },
		"inner value at b": func(v *inner, r string) inner {
			d, _ := v.Update(r, "k", func(x *crdt.MVRegister[int], _ string) crdt.MVRegister[int] { return x.Write("b", 2) })
			return d
		},
	}
	for name, f := range cases {
		before := m.Clone()
		if _, err := m.Update("a", "x", f); !errors.Is(err, crdt.ErrWrongReplica) {
			t.Fatalf("%s: got %v, want ErrWrongReplica", name, err)
		}
		if !m.Equal(before) {
			t.Fatalf("%s: a refused update changed the map: %v", name, m)
		}
	}
	if _, err := m.Update("a", "x", write("a")); err != nil {
		t.Fatalf("after refused updates: %v", err)
	}
}

// Update passes its replica to the closure; a mutator called with
// another one changes nothing and the update fails.
func ExampleORMap_Update() {
	var m crdt.ORMap[string, crdt.EWFlag]
	_, err := m.Update("a", "dark mode", func(f *crdt.EWFlag, replica string) crdt.EWFlag {
		return f.Enable(replica)
	})
	fmt.Println(m.Keys(), err)
	_, err = m.Update("a", "dark mode", func(f *crdt.EWFlag, replica string) crdt.EWFlag {
		return f.Disable("b") // not the map's replica
	})
	fmt.Println(m.Keys(), errors.Is(err, crdt.ErrWrongReplica))
	// Output:
	// [dark mode] <nil>
	// [dark mode] true
}
