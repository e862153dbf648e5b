package crdt_test

import (
	"encoding/json"
	"testing"

	"github.com/eventually-perfect/primitives/crdt"
)

// fuzzJSON: any input either decodes to a state whose JSON decodes back
// to an equal state, or is rejected with ErrMalformed or ErrTooLarge
// leaving the receiver unchanged. Never a panic.
func fuzzJSON[T any, P interface {
	*T
	json.Unmarshaler
	Equal(T) bool
	Clone() T
}](f *testing.F, seeds ...P) {
	for _, s := range seeds {
		b, err := json.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(dupFirstKey(b, false)) // duplicate keys are rejected
		f.Add(dupFirstKey(b, true))
	}
	f.Add([]byte(`null`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		x := P(new(T))
		if len(seeds) > 0 {
			*x = seeds[0].Clone()
		}
		before := P(new(T))
		*before = x.Clone()
		if err := x.UnmarshalJSON(data); err != nil {
			checkRejected(t, err)
			if !x.Equal(*before) {
				t.Fatal("failed decode changed the receiver")
			}
			return
		}
		enc, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		y := P(new(T))
		if err := y.UnmarshalJSON(enc); err != nil || !y.Equal(*x) {
			t.Fatalf("%v does not round-trip through %s: %v", x, enc, err)
		}
	})
}

func FuzzRWSetUnmarshalJSON(f *testing.F) {
	var s crdt.RWSet[string]
	s.Add("a", "x")
	s.Remove("b", "y")
	fuzzJSON(f, &s)
}

func FuzzMVRegisterUnmarshalJSON(f *testing.F) {
	var a, b crdt.MVRegister[int]
	a.Write("a", 1)
	b.Write("b", 2)
	a.Merge(b)
	fuzzJSON(f, &a)
}

func FuzzEWFlagUnmarshalJSON(f *testing.F) {
	var e crdt.EWFlag
	e.Enable("a")
	fuzzJSON(f, &e)
}

func FuzzDWFlagUnmarshalJSON(f *testing.F) {
	var d crdt.DWFlag
	d.Enable("a")
	d.Disable("b")
	fuzzJSON(f, &d)
}

func FuzzLWWRegisterUnmarshalJSON(f *testing.F) {
	var r crdt.LWWRegister[string]
	r.Write("a", "x")
	fuzzJSON(f, &r)
}

func FuzzTwoPSetUnmarshalJSON(f *testing.F) {
	var s crdt.TwoPSet[string]
	s.Add("x")
	s.Remove("y")
	fuzzJSON(f, &s)
}

func FuzzORMapUnmarshalJSON(f *testing.F) {
	var m cart
	mustUpdate(&m, "a", "x", func(s *crdt.ORSet[int], r string) crdt.ORSet[int] { return s.Add(r, 1) })
	fuzzJSON(f, &m)
}

func FuzzGSetUnmarshalBinary(f *testing.F) {
	var s crdt.GSet[string]
	s.Add("x")
	s.Add("y")
	fuzzKernel(f, &s)
}
