package crdt_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"testing"

	"pgregory.net/rapid"

	"github.com/eventually-perfect/primitives/crdt"
	"github.com/eventually-perfect/primitives/crdt/crdttest"
)

func gcounterSpec() crdttest.Spec[*crdt.GCounter, uint64] {
	return crdttest.Spec[*crdt.GCounter, uint64]{
		Empty: func() *crdt.GCounter { return new(crdt.GCounter) },
		Op:    rapid.Uint64Range(0, 5),
		Apply: func(c *crdt.GCounter, r string, n uint64) (*crdt.GCounter, error) {
			d, err := c.Inc(r, n)
			return &d, err
		},
		Merge:    func(d, s *crdt.GCounter) error { return d.Merge(*s) },
		Clone:    func(c *crdt.GCounter) *crdt.GCounter { x := c.Clone(); return &x },
		Equal:    func(a, b *crdt.GCounter) bool { return a.Equal(*b) },
		String:   func(c *crdt.GCounter) string { return c.String() },
		Codecs:   codecs[crdt.GCounter](),
		Issues:   func(n uint64) bool { return n > 0 },
		Conflict: isReplicaConflict,
		// The value counts every increment seen, once.
		Value: func(c *crdt.GCounter) string { return fmt.Sprint(c.Value()) },
		Model: func(seen []crdttest.Event[uint64]) string {
			var n uint64
			for _, e := range seen {
				n += e.Op
			}
			return fmt.Sprint(n)
		},
	}
}

type pnOp struct {
	Dec bool
	N   uint64
}

func pncounterSpec() crdttest.Spec[*crdt.PNCounter, pnOp] {
	return crdttest.Spec[*crdt.PNCounter, pnOp]{
		Empty: func() *crdt.PNCounter { return new(crdt.PNCounter) },
		Op: rapid.Custom(func(t *rapid.T) pnOp {
			return pnOp{rapid.Bool().Draw(t, "dec"), rapid.Uint64Range(0, 5).Draw(t, "n")}
		}),
		Apply: func(c *crdt.PNCounter, r string, op pnOp) (*crdt.PNCounter, error) {
			var d crdt.PNCounter
			var err error
			if op.Dec {
				d, err = c.Dec(r, op.N)
			} else {
				d, err = c.Inc(r, op.N)
			}
			return &d, err
		},
		Merge:    func(d, s *crdt.PNCounter) error { return d.Merge(*s) },
		Clone:    func(c *crdt.PNCounter) *crdt.PNCounter { x := c.Clone(); return &x },
		Equal:    func(a, b *crdt.PNCounter) bool { return a.Equal(*b) },
		String:   func(c *crdt.PNCounter) string { return c.String() },
		Codecs:   codecs[crdt.PNCounter](),
		Issues:   func(op pnOp) bool { return op.N > 0 },
		Conflict: isReplicaConflict,
		Value:    func(c *crdt.PNCounter) string { return fmt.Sprint(c.Value()) },
		Model: func(seen []crdttest.Event[pnOp]) string {
			var n int64
			for _, e := range seen {
				if e.Op.Dec {
					n -= int64(e.Op.N)
				} else {
					n += int64(e.Op.N)
				}
			}
			return fmt.Sprint(n)
		},
	}
}

func TestGCounterLaws(t *testing.T)  { crdttest.Check(t, gcounterSpec()) }
func TestPNCounterLaws(t *testing.T) { crdttest.Check(t, pncounterSpec()) }

// TestGCounterValue: the value is the sum of increments at every replica,
// whatever the merge order (Shapiro et al. 2011, specification 6).
func TestGCounterValue(t *testing.T) {
	var a, b crdt.GCounter
	mustInc(t, &a, "a", 2)
	mustInc(t, &b, "b", 3)
	mustInc(t, &a, "a", 1)
	if err := a.Merge(b); err != nil {
		t.Fatal(err)
	}
	if err := a.Merge(b); err != nil { // a duplicate is harmless
		t.Fatal(err)
	}
	if a.Value() != 6 || a.String() != "6 {a:3, b:3}" {
		t.Fatalf("got %v, want 6 {a:3, b:3}", a)
	}
}

func mustInc(t *testing.T, c *crdt.GCounter, r string, n uint64) {
	t.Helper()
	if _, err := c.Inc(r, n); err != nil {
		t.Fatal(err)
	}
}

func TestCounterOverflow(t *testing.T) {
	var c crdt.GCounter
	mustInc(t, &c, "a", crdt.MaxCount)
	if _, err := c.Inc("a", 1); !errors.Is(err, crdt.ErrOverflow) {
		t.Fatalf("increment past MaxCount: got %v, want ErrOverflow", err)
	}
	if c.Count("a") != crdt.MaxCount {
		t.Fatalf("failed increment changed the counter: %v", c)
	}
	mustInc(t, &c, "b", crdt.MaxCount)
	mustInc(t, &c, "c", crdt.MaxCount)
	if c.Value() != math.MaxUint64 {
		t.Fatalf("value should saturate, got %d", c.Value())
	}
	var p crdt.PNCounter
	if _, err := p.Dec("a", crdt.MaxCount); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Dec("b", 5); err != nil {
		t.Fatal(err)
	}
	if p.Value() != math.MinInt64 {
		t.Fatalf("value should saturate at MinInt64, got %d", p.Value())
	}
	if _, err := p.Dec("a", 1); !errors.Is(err, crdt.ErrOverflow) {
		t.Fatalf("decrement past MaxCount: got %v, want ErrOverflow", err)
	}
}

func TestPNCounterValue(t *testing.T) {
	var a, b crdt.PNCounter
	a.Inc("a", 5)
	b.Dec("b", 7)
	d, _ := a.Dec("a", 1)
	b.Merge(d) // only the delta reaches b
	if b.Value() != -8 || b.String() != "-8 +{} -{a:1, b:7}" {
		t.Fatalf("got %v", b)
	}
	a.Merge(b)
	if a.Value() != -3 {
		t.Fatalf("got %v, want -3", a)
	}
}

// FuzzGCounterUnmarshalBinary: any input decodes to a counter whose
// encoding is the input, or fails with ErrMalformed/ErrTooLarge leaving the
// receiver unchanged.
func FuzzGCounterUnmarshalBinary(f *testing.F) {
	var c crdt.GCounter
	mustIncF(f, &c)
	enc, _ := c.MarshalBinary()
	f.Add(enc)
	f.Add([]byte{2, 0})
	f.Add([]byte{2, 1, 1, 'a', 1, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{1, 1, 1, 'a', 1}) // format 1 (no digests) is no longer read
	f.Fuzz(func(t *testing.T, data []byte) {
		var x crdt.GCounter
		x.Inc("sentinel", 3)
		before := x.Clone()
		if err := x.UnmarshalBinary(data); err != nil {
			checkRejected(t, err)
			if !x.Equal(before) {
				t.Fatal("failed decode changed the receiver")
			}
			return
		}
		again, err := x.MarshalBinary()
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("decoded %v re-encodes to %x, %v; input %x", x, again, err, data)
		}
	})
}

func mustIncF(f *testing.F, c *crdt.GCounter) {
	c.Inc("alice", 3)
	c.Inc("bob", 1<<40)
}

func checkRejected(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, crdt.ErrMalformed) && !errors.Is(err, crdt.ErrTooLarge) {
		t.Fatalf("error %v wraps neither ErrMalformed nor ErrTooLarge", err)
	}
}

func FuzzGCounterUnmarshalJSON(f *testing.F) {
	f.Add([]byte(`{"alice":3,"bob":1}`)) // the format before digests
	f.Add([]byte(`{"alice":{"n":3,"digest":"0123456789abcdef"},"bob":{"n":1,"digest":"0000000000000000"}}`))
	f.Add([]byte(`{"alice":{"n":3,"digest":"0123456789abcdef","n":4}}`))
	f.Add([]byte(`{"a":0}`))
	f.Add([]byte(`{"a":1,"a":2}`)) // duplicate keys are rejected
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var x crdt.GCounter
		x.Inc("sentinel", 3)
		before := x.Clone()
		if err := x.UnmarshalJSON(data); err != nil {
			checkRejected(t, err)
			if !x.Equal(before) {
				t.Fatal("failed decode changed the receiver")
			}
			return
		}
		enc, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		var y crdt.GCounter
		if err := y.UnmarshalJSON(enc); err != nil || !y.Equal(x) {
			t.Fatalf("re-encoding of %v does not round-trip: %v", x, err)
		}
	})
}

func FuzzPNCounterUnmarshalBinary(f *testing.F) {
	var c crdt.PNCounter
	c.Inc("a", 4)
	c.Dec("b", 300)
	enc, _ := c.MarshalBinary()
	f.Add(enc)
	f.Add([]byte{2, 1, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var x crdt.PNCounter
		x.Inc("sentinel", 3)
		before := x.Clone()
		if err := x.UnmarshalBinary(data); err != nil {
			checkRejected(t, err)
			if !x.Equal(before) {
				t.Fatal("failed decode changed the receiver")
			}
			return
		}
		again, err := x.MarshalBinary()
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("decoded %v re-encodes to %x, %v; input %x", x, again, err, data)
		}
	})
}

func FuzzPNCounterUnmarshalJSON(f *testing.F) {
	f.Add([]byte(`{"p":{"a":{"n":3,"digest":"0123456789abcdef"}},"n":{"b":{"n":1,"digest":"0123456789abcdef"}}}`))
	f.Add([]byte(`{"p":{}}`))
	f.Add([]byte(`{"p":{"a":3},"n":{},"p":{"a":4}}`)) // duplicate keys are rejected
	f.Add([]byte(`{"p":{"a":3},"n":{},"P":{"a":4}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var x crdt.PNCounter
		x.Inc("sentinel", 3)
		before := x.Clone()
		if err := x.UnmarshalJSON(data); err != nil {
			checkRejected(t, err)
			if !x.Equal(before) {
				t.Fatal("failed decode changed the receiver")
			}
			return
		}
		enc, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		var y crdt.PNCounter
		if err := y.UnmarshalJSON(enc); err != nil || !y.Equal(x) {
			t.Fatalf("re-encoding of %v does not round-trip: %v", x, err)
		}
	})
}
