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
	b, err := spec.Codecs[0].Marshal(&counter{"a": 2})
	if err != nil {
		fmt.Println(err)
		return
	}
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

// Spec.Model receives the operations a replica has seen as Events; here
// the add-wins rule: an element is in the set if some add of it has not
// been followed by a remove of it. The add at b is concurrent with the
// remove at a, which saw only a's add, so it survives.
func ExampleEvent() {
	seen := []crdttest.Event[string]{
		{ID: 0, Replica: "a", Op: "add x"},
		{ID: 1, Replica: "a", Op: "remove x", After: []int{0}},
		{ID: 2, Replica: "b", Op: "add x"},
	}
	for _, add := range seen {
		if add.Op != "add x" {
			continue
		}
		removed := false
		for _, rm := range seen {
			removed = removed || rm.Op == "remove x" && add.Before(rm)
		}
		fmt.Printf("add at %s removed: %v\n", add.Replica, removed)
	}
	// Output:
	// add at a removed: true
	// add at b removed: false
}
