package scenario

import (
	"time"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/eventually-perfect/primitives/sim"
)

// stepsNode runs a single-decree paxos.Node as a sim node; the proposer
// proposes its value when it starts.
type stepsNode struct {
	cfg   paxos.Config
	value string
	n     *paxos.Node
	told  bool
}

func (p *stepsNode) Start(ctx *sim.Context[paxos.Message]) {
	n, err := paxos.New(p.cfg, &paxos.MemoryStorage{})
	if err != nil {
		panic(err)
	}
	p.n = n
	if p.value != "" {
		out, err := n.Propose(p.value)
		p.emit(ctx, out, err)
	}
}

func (p *stepsNode) Receive(ctx *sim.Context[paxos.Message], _ string, m paxos.Message) {
	out, err := p.n.Step(m)
	p.emit(ctx, out, err)
}

func (p *stepsNode) Timeout(*sim.Context[paxos.Message], string) {}

func (p *stepsNode) emit(ctx *sim.Context[paxos.Message], out []paxos.Message, err error) {
	if err != nil {
		panic(err)
	}
	for _, m := range out {
		ctx.Send(m.To, m)
	}
	if v, ok := p.n.Decided(); ok && !p.told {
		p.told = true
		ctx.Note("decided " + v)
	}
}

// Steps runs one failure-free instance of single-decree Paxos on three
// nodes a, b, c, each an acceptor and a learner, with a proposing v, over
// links of exactly 1 ms, and returns its trace: phase 1 (a's prepare to b
// and c, their promises), phase 2 (a's accept, the acceptors' accepted to
// every learner) and each node's decision. Messages a sends to itself are
// handled inside its own calls and do not appear.
func Steps() (*sim.Trace, error) {
	nodes := []string{"a", "b", "c"}
	sys, err := quorum.Majority(nodes...)
	if err != nil {
		return nil, err
	}
	s, err := sim.New(sim.Config{Nodes: nodes, Link: sim.LinkConfig{Latency: sim.Constant(time.Millisecond)}},
		func(id string) sim.Node[paxos.Message] {
			p := &stepsNode{cfg: paxos.Config{ID: id, Quorums: sys, Learners: nodes}}
			if id == "a" {
				p.value = "v"
			}
			return p
		})
	if err != nil {
		return nil, err
	}
	if err := s.Run(); err != nil {
		return nil, err
	}
	return s.Trace(), nil
}
