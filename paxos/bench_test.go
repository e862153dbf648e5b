package paxos_test

import (
	"testing"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
)

// BenchmarkDecide measures one single-decree instance on three nodes in
// one process (in-memory storage and delivery, in order): creating the
// nodes, both phases and every learner learning.
func BenchmarkDecide(b *testing.B) {
	sys, err := quorum.Majority("a", "b", "c")
	if err != nil {
		b.Fatal(err)
	}
	names := sys.Names()
	b.ReportAllocs()
	for b.Loop() {
		nodes := map[string]*paxos.Node{}
		for _, id := range names {
			nodes[id], _ = paxos.New(paxos.Config{ID: id, Quorums: sys, Learners: names}, &paxos.MemoryStorage{})
		}
		queue, _ := nodes["a"].Propose("v")
		for len(queue) > 0 {
			m := queue[0]
			queue = queue[1:]
			out, err := nodes[m.To].Step(m)
			if err != nil {
				b.Fatal(err)
			}
			queue = append(queue, out...)
		}
		if _, ok := nodes["c"].Decided(); !ok {
			b.Fatal("c did not learn")
		}
	}
}

// BenchmarkAcceptorStep measures an acceptor answering a prepare and an
// accept of a higher ballot each time (one save each).
func BenchmarkAcceptorStep(b *testing.B) {
	sys, err := quorum.Majority("a", "b", "c")
	if err != nil {
		b.Fatal(err)
	}
	n, err := paxos.New(paxos.Config{ID: "a", Quorums: sys}, &paxos.MemoryStorage{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	round := uint64(0)
	for b.Loop() {
		round++
		bal := paxos.Ballot{Round: round, Node: "p"}
		if _, err := n.Step(paxos.Message{Type: paxos.Prepare, From: "p", To: "a", Ballot: bal}); err != nil {
			b.Fatal(err)
		}
		if _, err := n.Step(paxos.Message{Type: paxos.Accept, From: "p", To: "a", Ballot: bal, Value: "v"}); err != nil {
			b.Fatal(err)
		}
	}
}
