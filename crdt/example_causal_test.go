package crdt_test

import (
	"fmt"

	"github.com/eventually-perfect/primitives/crdt"
)

// A replica that receives a later delta before an earlier one records the
// later dot in the cloud of its causal context; once the gap is filled the
// cloud folds into the version vector.
func ExampleCausalContext() {
	var a, b crdt.ORSet[string]
	d1 := a.Add("a", "x")
	d2 := a.Add("a", "y")
	// arrives first
	if err := b.Merge(d2); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(b.Context())
	if err := b.Merge(d1); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(b.Context(), b.Context().Contains(crdt.Dot{Replica: "a", Counter: 2}))
	// Output:
	// {} + [a:2]
	// {a:2} true
}

func ExampleDot() {
	var s crdt.ORSet[string]
	s.Add("alice", "x")
	s.Add("alice", "y")
	fmt.Println(s.Context().Vector(), crdt.Dot{Replica: "alice", Counter: 2})
	// Output: {alice:2} alice:2
}

// Size shows the metadata of a causal type: removed elements leave only
// the version vector behind.
func ExampleSize() {
	var s crdt.ORSet[int]
	for i := range 100 {
		s.Add("a", i)
	}
	fmt.Printf("%+v\n", s.Size())
	for i := range 90 {
		s.Remove("a", i)
	}
	fmt.Printf("%+v\n", s.Size())
	// Output:
	// {Elements:100 Dots:100 Vector:1 Cloud:0 Stamps:1}
	// {Elements:10 Dots:10 Vector:1 Cloud:0 Stamps:1}
}

// ORMap values must satisfy Causal: maps of sets, registers, flags or
// maps, nested to any depth.
func ExampleCausal() {
	type profile = crdt.ORMap[string, crdt.MVRegister[string]]
	var users crdt.ORMap[string, profile]
	_, err := users.Update("a", "ada", func(p *profile, replica string) profile {
		// The inner map is bound to replica "a" too: an error of the inner
		// Update is also the outer one's.
		d, err := p.Update(replica, "email", func(r *crdt.MVRegister[string], replica string) crdt.MVRegister[string] {
			return r.Write(replica, "ada@example.org")
		})
		if err != nil {
			return profile{} // the outer Update returns the error too
		}
		return d
	})
	if err != nil {
		fmt.Println(err)
	}
	p, _ := users.Get("ada")
	email, _ := p.Get("email")
	fmt.Println(users.Keys(), p.Keys(), email.Values())
	// Output: [ada] [email] [ada@example.org]
}

func ExampleLattice() {
	ops := crdt.Lattice[crdt.ORSet[string]]{
		Join:  (*crdt.ORSet[string]).Merge,
		Clone: crdt.ORSet[string].Clone,
		Equal: crdt.ORSet[string].Equal,
	}
	r, err := crdt.NewReplicator(crdt.ReplicatorConfig{ID: "a", Peers: []string{"a", "b"}}, crdt.ORSet[string]{}, ops)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := r.Update(func(s *crdt.ORSet[string], replica string) (crdt.ORSet[string], error) {
		return s.Add(replica, "x"), nil // replica is the configured ID, "a"
	}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.State().Elements(), r.Buffered())
	// Output: [x] 1
}

// A replica too far behind gets the full state: here the buffer holds one
// delta and the peer has acknowledged none of three.
func ExampleReplicaMessage_full() {
	ops := crdt.Lattice[crdt.GCounter]{Join: (*crdt.GCounter).Merge, Clone: crdt.GCounter.Clone, Equal: crdt.GCounter.Equal}
	a, err := crdt.NewReplicator(crdt.ReplicatorConfig{ID: "a", Peers: []string{"a", "b"}, MaxBuffer: 1}, crdt.GCounter{}, ops)
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 3 {
		if err := a.Update(func(c *crdt.GCounter, replica string) (crdt.GCounter, error) { return c.Inc(replica, 1) }); err != nil {
			fmt.Println(err)
			return
		}
	}
	m, _, err := a.Sync("b")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m, m.Full, m.State)
	// Output: full(4@0) true 3 {a:3}
}
