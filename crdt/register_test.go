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

// spec builds a law-checker spec for a type T whose pointer has the usual
// methods; apply performs an operation drawn by op.
func spec[T any, P interface {
	*T
	Merge(T) error
	Clone() T
	Equal(T) bool
	String() string
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}, Op any](op *rapid.Generator[Op], apply func(P, string, Op) (T, error)) crdttest.Spec[P, Op] {
	return crdttest.Spec[P, Op]{
		Empty: func() P { return P(new(T)) },
		Op:    op,
		Apply: func(s P, r string, o Op) (P, error) {
			d, err := apply(s, r, o)
			return &d, err
		},
		Merge:  func(d, s P) error { return d.Merge(*s) },
		Clone:  func(s P) P { c := s.Clone(); return &c },
		Equal:  func(a, b P) bool { return a.Equal(*b) },
		String: func(s P) string { return s.String() },
		Codecs: codecs[T, P](),
	}
}

func TestLWWRegisterLaws(t *testing.T) {
	type op struct {
		Explicit bool
		TS       uint64
		V        int
	}
	gen := rapid.Custom(func(t *rapid.T) op {
		return op{rapid.Bool().Draw(t, "explicit"), rapid.Uint64Range(1, 4).Draw(t, "ts"), rapid.IntRange(0, 3).Draw(t, "v")}
	})
	crdttest.Check(t, spec(gen, func(r *crdt.LWWRegister[int], rep string, o op) (crdt.LWWRegister[int], error) {
		if o.Explicit {
			d, err := r.Set(rep, o.TS, o.V)
			if errors.Is(err, crdt.ErrReplicaConflict) {
				return d, nil // refused, nothing changed
			}
			return d, err
		}
		return r.Write(rep, o.V)
	}))
}

func TestMVRegisterLaws(t *testing.T) {
	s := spec(rapid.IntRange(0, 3), func(r *crdt.MVRegister[int], rep string, v int) (crdt.MVRegister[int], error) {
		return r.Write(rep, v), nil
	})
	s.Issues, s.Conflict = func(int) bool { return true }, isReplicaConflict
	crdttest.Check(t, s)
}

func TestEWFlagLaws(t *testing.T) {
	s := spec(rapid.Bool(), func(f *crdt.EWFlag, rep string, on bool) (crdt.EWFlag, error) {
		if on {
			return f.Enable(rep), nil
		}
		return f.Disable(rep), nil
	})
	s.Issues, s.Conflict = func(on bool) bool { return on }, isReplicaConflict
	crdttest.Check(t, s)
}

func TestDWFlagLaws(t *testing.T) {
	s := spec(rapid.Bool(), func(f *crdt.DWFlag, rep string, on bool) (crdt.DWFlag, error) {
		if on {
			return f.Enable(rep), nil
		}
		return f.Disable(rep), nil
	})
	s.Issues, s.Conflict = func(bool) bool { return true }, isReplicaConflict
	crdttest.Check(t, s)
}

// isReplicaConflict is the Conflict of the law checker's replica-identity
// property.
func isReplicaConflict(err error) bool { return errors.Is(err, crdt.ErrReplicaConflict) }

func TestGSetLaws(t *testing.T) {
	crdttest.Check(t, spec(rapid.IntRange(0, 5), func(s *crdt.GSet[int], _ string, e int) (crdt.GSet[int], error) {
		return s.Add(e), nil
	}))
}

func TestTwoPSetLaws(t *testing.T) {
	crdttest.Check(t, spec(genSetOp(2), func(s *crdt.TwoPSet[int], _ string, o setOp) (crdt.TwoPSet[int], error) {
		if o.Kind == 0 {
			return s.Add(o.E), nil
		}
		return s.Remove(o.E), nil
	}))
}

// TestLWWTieBreak: equal timestamps are ordered by replica ID, the same way
// on every replica (Shapiro et al. 2011, specification 8).
func TestLWWTieBreak(t *testing.T) {
	var a, b crdt.LWWRegister[string]
	da, _ := a.Set("alice", 7, "tea")
	db, _ := b.Set("bob", 7, "coffee")
	a.Merge(db)
	b.Merge(da)
	if v, _ := a.Value(); v != "coffee" || !a.Equal(b) {
		t.Fatalf("tie must go to the larger replica ID on both: a = %v, b = %v", a, b)
	}
}

// TestLWWReplicaConflict: two diverged copies of replica a that both wrote
// at timestamp 1 are detected at merge time instead of losing a write.
func TestLWWReplicaConflict(t *testing.T) {
	var a1 crdt.LWWRegister[string]
	a2 := a1.Clone() // a copy of replica a, restored from an old backup
	a1.Write("a", "x")
	a2.Write("a", "y")
	before := a1
	if err := a1.Merge(a2); !errors.Is(err, crdt.ErrReplicaConflict) {
		t.Fatalf("merge of diverged copies: got %v, want ErrReplicaConflict", err)
	}
	if !a1.Equal(before) {
		t.Fatal("a failed merge changed the register")
	}
	if _, err := a1.Set("a", 1, "z"); !errors.Is(err, crdt.ErrReplicaConflict) {
		t.Fatalf("rewrite of a used timestamp: got %v", err)
	}
}

// TestMVRegisterConcurrent: concurrent writes are all kept, and a write
// that observed them replaces them (Shapiro et al. 2011, specification 10).
func TestMVRegisterConcurrent(t *testing.T) {
	var a, b crdt.MVRegister[string]
	a.Write("a", "x")
	b.Write("b", "y")
	a.Merge(b)
	if got := a.Values(); !slices.Equal(got, []string{"x", "y"}) {
		t.Fatalf("concurrent writes: %v", got)
	}
	b.Merge(a.Write("a", "z"))
	if got := b.Values(); !slices.Equal(got, []string{"z"}) {
		t.Fatalf("a write that saw both: %v", got)
	}
}

func TestFlags(t *testing.T) {
	var ea, eb crdt.EWFlag
	eb.Merge(ea.Enable("a"))
	ea.Disable("a")
	eb.Enable("b")
	ea.Merge(eb)
	if !ea.Value() {
		t.Fatal("enable-wins: a concurrent enable must survive a disable")
	}
	var da, db crdt.DWFlag
	db.Merge(da.Enable("a"))
	da.Disable("a")
	db.Enable("b")
	da.Merge(db)
	if da.Value() {
		t.Fatal("disable-wins: a concurrent disable must win")
	}
	db.Merge(da)
	db.Merge(db.Enable("b"))
	if !db.Value() {
		t.Fatal("an enable that saw the disable must enable")
	}
}

func TestTwoPSet(t *testing.T) {
	var s crdt.TwoPSet[string]
	s.Add("a")
	s.Remove("a")
	s.Add("a")
	if s.Contains("a") || s.Tombstones() != 1 || s.String() != `+{"a"} -{"a"}` {
		t.Fatalf("a removed element never comes back: %v", s)
	}
}

func FuzzLWWRegisterUnmarshalBinary(f *testing.F) {
	var r crdt.LWWRegister[string]
	r.Write("a", "x")
	fuzzKernel(f, &r, new(crdt.LWWRegister[string]))
}

func FuzzMVRegisterUnmarshalBinary(f *testing.F) {
	var a, b crdt.MVRegister[string]
	a.Write("a", "x")
	b.Write("b", "y")
	a.Merge(b)
	fuzzKernel(f, &a)
}

func FuzzEWFlagUnmarshalBinary(f *testing.F) {
	var e crdt.EWFlag
	e.Enable("a")
	fuzzKernel(f, &e, new(crdt.EWFlag))
}

func FuzzDWFlagUnmarshalBinary(f *testing.F) {
	var d crdt.DWFlag
	d.Disable("a")
	fuzzKernel(f, &d, new(crdt.DWFlag))
}

func FuzzTwoPSetUnmarshalBinary(f *testing.F) {
	var s crdt.TwoPSet[string]
	s.Add("a")
	s.Remove("b")
	fuzzKernel(f, &s)
}

func FuzzGSetUnmarshalJSON(f *testing.F) {
	f.Add([]byte(`["a","b"]`))
	f.Add([]byte(`["a","a"]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s crdt.GSet[string]
		if err := s.UnmarshalJSON(data); err != nil {
			checkRejected(t, err)
			return
		}
		enc, _ := s.MarshalJSON()
		var x crdt.GSet[string]
		if err := x.UnmarshalJSON(enc); err != nil || !x.Equal(s) {
			t.Fatalf("%v does not round-trip: %v", s, err)
		}
	})
}

func ExampleLWWRegister() {
	var a, b crdt.LWWRegister[string]
	if _, err := a.Set("alice", 7, "tea"); err != nil {
		fmt.Println(err)
		return
	}
	// same timestamp: the larger replica ID wins
	if _, err := b.Set("bob", 7, "coffee"); err != nil {
		fmt.Println(err)
		return
	}
	if err := a.Merge(b); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a)
	// Output: "coffee"@7:bob
}

func ExampleMVRegister() {
	var a, b crdt.MVRegister[string]
	a.Write("a", "tea")
	b.Write("b", "coffee")
	if err := a.Merge(b); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.Values())
	a.Write("a", "both")
	fmt.Println(a.Values())
	// Output:
	// [coffee tea]
	// [both]
}

func ExampleEWFlag() {
	var a, b crdt.EWFlag
	if err := b.Merge(a.Enable("a")); err != nil {
		fmt.Println(err)
		return
	}
	a.Disable("a") // a disables
	b.Enable("b")  // while b enables again: enable wins
	if err := a.Merge(b); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.Value())
	// Output: true
}

func ExampleDWFlag() {
	var a, b crdt.DWFlag
	if err := b.Merge(a.Enable("a")); err != nil {
		fmt.Println(err)
		return
	}
	a.Disable("a") // a disables
	b.Enable("b")  // while b enables again: disable wins
	if err := a.Merge(b); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.Value())
	// Output: false
}

func ExampleGSet() {
	var a, b crdt.GSet[string]
	a.Add("x")
	b.Add("y")
	if err := a.Merge(b); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a)
	// Output: {"x", "y"}
}

func ExampleTwoPSet() {
	var s crdt.TwoPSet[string]
	s.Add("x")
	s.Remove("x")
	s.Add("x") // too late: removed for ever
	fmt.Println(s.Contains("x"), s)
	// Output: false +{"x"} -{"x"}
}
