package crdttest_test

import (
	"encoding/json"
	"fmt"
	"maps"

	"pgregory.net/rapid"

	"github.com/eventually-perfect/primitives/crdt/crdttest"
)

// counter is a user's own grow-only counter: one entry per replica,
// merged by the maximum.
type counter map[string]int

func counterSpec() crdttest.Spec[*counter, int] {
	return crdttest.Spec[*counter, int]{
		Empty: func() *counter { return &counter{} },
		Op:    rapid.IntRange(1, 3),
		Apply: func(c *counter, r string, n int) (*counter, error) {
			(*c)[r] += n
			return &counter{r: (*c)[r]}, nil
		},
		Merge: func(d, s *counter) error {
			for r, n := range *s {
				(*d)[r] = max((*d)[r], n)
			}
			return nil
		},
		Clone: func(c *counter) *counter { x := maps.Clone(*c); return &x },
		Equal: func(a, b *counter) bool { return maps.Equal(*a, *b) },
		Codecs: []crdttest.Codec[*counter]{{
			Name:    "json",
			Marshal: func(c *counter) ([]byte, error) { return json.Marshal(c) },
			Unmarshal: func(b []byte) (*counter, error) {
				c := counter{}
				return &c, json.Unmarshal(b, &c)
			},
		}},
	}
}

// A Spec describes a CRDT to the checker; in a test, crdttest.Check(t,
// spec) runs every law as a subtest.
func ExampleSpec() {
	spec := counterSpec()
	for _, p := range crdttest.Properties(spec) {
		fmt.Println(p.Name)
	}
	// Output:
	// commutative
	// associative
	// idempotent
	// identity
	// deltas
	// convergence
	// codec/json
}

// Each Codec adds a round-trip property.
func ExampleCodec() {
	spec := counterSpec()
	b, _ := spec.Codecs[0].Marshal(&counter{"a": 2})
	fmt.Println(string(b))
	// Output: {"a":2}
}

// A Property can run on its own, here under a recorder instead of a
// *testing.T, or become a fuzz target with rapid.MakeFuzz.
func ExampleProperty() {
	spec := counterSpec()
	spec.Merge = func(d, s *counter) error { // broken: sums
		for r, n := range *s {
			(*d)[r] += n
		}
		return nil
	}
	for _, p := range crdttest.Properties(spec) {
		if p.Name == "idempotent" {
			failed, _ := run(p)
			fmt.Println("idempotence violated:", failed)
		}
	}
	// Output: idempotence violated: true
}
