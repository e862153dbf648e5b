package paxos_test

import (
	"fmt"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
)

// Three nodes, every one an acceptor and a learner, decide over a perfect
// in-order network.
func ExampleNode() {
	sys, err := quorum.Majority("a", "b", "c")
	if err != nil {
		fmt.Println(err)
		return
	}
	nodes := map[string]*paxos.Node{}
	for _, id := range sys.Names() {
		nodes[id], err = paxos.New(paxos.Config{ID: id, Quorums: sys, Learners: sys.Names()}, &paxos.MemoryStorage{})
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	queue, err := nodes["a"].Propose("v")
	if err != nil {
		fmt.Println(err)
		return
	}
	for len(queue) > 0 {
		m := queue[0]
		queue = queue[1:]
		out, err := nodes[m.To].Step(m)
		if err != nil {
			fmt.Println(err)
			return
		}
		queue = append(queue, out...)
	}
	for _, id := range sys.Names() {
		v, ok := nodes[id].Decided()
		fmt.Println(id, v, ok)
	}
	// Output:
	// a v true
	// b v true
	// c v true
}

// A configuration whose phase-1 and phase-2 quorums can miss each other is
// refused unless asked for as unsafe.
func ExampleConfig() {
	l := quorum.Leaves("a1", "a2", "a3", "a4")
	sys, err := quorum.New(quorum.Config{Reads: quorum.Choose(2, l...), Writes: quorum.Choose(2, l...), Unchecked: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = paxos.New(paxos.Config{ID: "p", Quorums: sys}, &paxos.MemoryStorage{})
	fmt.Println(err != nil)
	flex, err := quorum.Flexible(sys.Names(), 3, 2) // q1 + q2 > n
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = paxos.New(paxos.Config{ID: "p", Quorums: flex}, &paxos.MemoryStorage{})
	fmt.Println(err)
	// Output:
	// true
	// <nil>
}

func ExampleBallot() {
	x := paxos.Ballot{Round: 2, Node: "a"}
	y := paxos.Ballot{Round: 2, Node: "b"}
	fmt.Println(x, y, x.Less(y), paxos.Ballot{}.IsZero())
	// Output: 2.a 2.b true true
}

func ExampleMessage() {
	m := paxos.Message{Type: paxos.Promise, From: "a", To: "p", Ballot: paxos.Ballot{Round: 3, Node: "p"},
		VBallot: paxos.Ballot{Round: 1, Node: "q"}, Value: "x"}
	fmt.Println(m)
	// Output: promise 3.p (acc 1.q=x)
}

func ExampleMsgType() {
	fmt.Println(paxos.Prepare, paxos.Promise, paxos.Accept, paxos.Accepted, paxos.Nack, paxos.Decide)
	// Output: prepare promise accept accepted nack decide
}

// A node's State survives a restart through its Storage.
func ExampleMemoryStorage() {
	sys, err := quorum.Majority("a", "b", "c")
	if err != nil {
		fmt.Println(err)
		return
	}
	st := &paxos.MemoryStorage{}
	n, err := paxos.New(paxos.Config{ID: "a", Quorums: sys}, st)
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := n.Step(paxos.Message{Type: paxos.Prepare, From: "p", To: "a", Ballot: paxos.Ballot{Round: 4, Node: "p"}}); err != nil {
		fmt.Println(err)
		return
	}
	n, err = paxos.New(paxos.Config{ID: "a", Quorums: sys}, st) // restart
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n.State().Promised, st.Saves())
	// Output: 4.p 1
}

func ExampleState() {
	s := paxos.State{Promised: paxos.Ballot{Round: 2, Node: "p"}, Accepted: paxos.Ballot{Round: 2, Node: "p"}, Value: "x", Round: 1}
	data, err := s.MarshalBinary()
	if err != nil {
		fmt.Println(err)
		return
	}
	var t paxos.State
	err = t.UnmarshalBinary(data)
	fmt.Println(len(data), err, t == s)
	// Output: 10 <nil> true
}
