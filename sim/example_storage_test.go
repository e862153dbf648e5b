package sim_test

import (
	"fmt"

	"github.com/eventually-perfect/primitives/sim"
)

// Storage is what survives a crash. A node writes to it before announcing
// anything it must not forget, such as a vote or a decision.
func ExampleStorage() {
	var s sim.Storage
	s.Put("vote", []byte("yes"))
	s.Put("decision", []byte("commit"))
	for _, k := range s.Keys() {
		v, _ := s.Get(k)
		fmt.Printf("%s=%s\n", k, v)
	}
	fmt.Println("writes:", s.Writes())
	// Output:
	// decision=commit
	// vote=yes
	// writes: 2
}
