package sim_test

import (
	"fmt"
	"slices"

	"github.com/eventually-perfect/primitives/sim"
)

// barrier: workers w1, w2, w3 each tell the coordinator c they are ready;
// c keeps the set of workers it has heard from.
type barrier struct {
	heard []string // coordinator: workers heard from, sorted
}

func (n *barrier) Start(ctx *sim.Context[string]) {
	if ctx.ID() != "c" {
		ctx.Send("c", "ready")
	}
}

func (n *barrier) Receive(ctx *sim.Context[string], from string, _ string) {
	if i, found := slices.BinarySearch(n.heard, from); !found {
		n.heard = slices.Insert(n.heard, i, from)
	}
}

func (n *barrier) Timeout(*sim.Context[string], string) {}

func (n *barrier) Clone() *barrier { return &barrier{heard: slices.Clone(n.heard)} }

func (n *barrier) AppendState(b []byte) []byte {
	return n.AppendRenamed(b, func(id string) string { return id })
}

// AppendRenamed encodes the set of workers heard as it would be with every
// identifier renamed: rename each, then sort, so that the encoding is a
// function of the set.
func (n *barrier) AppendRenamed(b []byte, rename func(string) string) []byte {
	names := make([]string, len(n.heard))
	for i, id := range n.heard {
		names[i] = rename(id)
	}
	slices.Sort(names)
	for _, id := range names {
		b = append(append(b, id...), 0)
	}
	return b
}

// Symmetry reduction and delay bounding on a barrier: without either, the
// explorer tells apart every subset of the workers the coordinator has
// heard from (8 states); with the workers declared interchangeable, only
// how many (4); with the messages delivered in the order they were sent
// and no delay allowed, one order of arrival (4); with one delay allowed,
// the orders that put one message ahead of its turn (9: the delays a
// path has used are part of its state).
func ExampleRenamable() {
	cfg := sim.ExploreConfig[string, *barrier]{
		Nodes: []string{"c", "w1", "w2", "w3"},
		New:   func(string) *barrier { return new(barrier) },
	}
	full, err := sim.Explore(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	sym := cfg
	sym.Symmetric = []string{"w1", "w2", "w3"}
	reduced, err := sim.Explore(sym)
	if err != nil {
		fmt.Println(err)
		return
	}
	ordered := cfg
	ordered.DelayBounding = true
	inOrder, err := sim.Explore(ordered)
	if err != nil {
		fmt.Println(err)
		return
	}
	ordered.MaxDelays = 1
	oneDelay, err := sim.Explore(ordered)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("every order:", full.Distinct, "states")
	fmt.Println("symmetric workers:", reduced.Distinct, "states")
	fmt.Println("in send order:", inOrder.Distinct, "states")
	fmt.Println("one delay:", oneDelay.Distinct, "states")
	// Output:
	// every order: 8 states
	// symmetric workers: 4 states
	// in send order: 4 states
	// one delay: 9 states
}
