package paxos_test

// This file adapts paxos.Node to sim.Node and sim.Explorable, so that the
// simulator and the explorer can drive it. Package paxos itself does not
// import sim: the adapter is the kind of glue a real transport would be.

import (
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/sim"
)

// simStorage keeps a node's paxos.State in the sim.Storage of the call
// being handled (bound before every call), under one key.
type simStorage struct {
	s *sim.Storage
	// forget makes Save keep only the proposer's round and drop the
	// acceptor's promise and acceptance: the buggy acceptor of the
	// "missing persist" test.
	forget bool
}

const stateKey = "paxos"

func (s *simStorage) Load() (paxos.State, error) {
	var st paxos.State
	b, ok := s.s.Get(stateKey)
	if !ok {
		return st, nil
	}
	err := st.UnmarshalBinary(b)
	return st, err
}

func (s *simStorage) Save(st paxos.State) error {
	if s.forget {
		st = paxos.State{Round: st.Round}
	}
	b, err := st.MarshalBinary()
	if err != nil {
		return err
	}
	s.s.Put(stateKey, b)
	return nil
}

// peer is one Paxos node as a sim node.
type peer struct {
	cfg    paxos.Config
	value  string        // the value to propose; "" for none
	period time.Duration // retry period; the timer is jittered up to twice it
	store  *simStorage
	n      *paxos.Node
	// retries, if not negative, is how many more times the retry timer may
	// be set: the explorer's bound on ballots per proposer.
	retries int
	// mutant, if not "", breaks the node (paxos.MutateNode): the mutation
	// test sets it.
	mutant string
	// spec checks every message the node sends against the specification
	// and keeps ghost state in its storage (node_spec_test.go); sent are
	// the messages of the call being handled, got the promises received
	// for gotBallot, the proposer's current ballot.
	spec      bool
	sent      []paxos.Message
	got       []paxos.Message
	gotBallot paxos.Ballot
}

func newPeer(cfg paxos.Config, value string, forget bool) *peer {
	return &peer{cfg: cfg, value: value, period: 10 * time.Millisecond, store: &simStorage{forget: forget}, retries: -1}
}

func (p *peer) bind(ctx *sim.Context[paxos.Message]) { p.store.s = ctx.Storage() }

func (p *peer) emit(ctx *sim.Context[paxos.Message], out []paxos.Message, err error, was bool) {
	if err != nil {
		panic(err) // a well-formed run never errors; the simulator reports panics with the trace
	}
	if p.spec {
		p.checkDurable()
	}
	for _, m := range out {
		ctx.Send(m.To, m)
	}
	if v, ok := p.n.Decided(); ok && !was {
		ctx.Note("decided " + v)
	}
}

func (p *peer) decided() bool { _, ok := p.n.Decided(); return ok }

func (p *peer) arm(ctx *sim.Context[paxos.Message]) {
	if p.retries == 0 || (p.retries > 0 && p.decided()) {
		return
	}
	if p.retries > 0 {
		p.retries--
	}
	ctx.SetTimer("retry", p.period+time.Duration(ctx.Rand().Int64N(int64(p.period))))
}

func (p *peer) Start(ctx *sim.Context[paxos.Message]) {
	p.bind(ctx)
	cfg := p.cfg
	if p.mutant != "" {
		paxos.MutateNode(&cfg, p.mutant)
	}
	n, err := paxos.New(cfg, p.store)
	if err != nil {
		panic(err)
	}
	p.n = n
	if p.spec {
		paxos.ObserveNode(n, p.observe)
	}
	if p.value != "" {
		out, err := n.Propose(p.value)
		p.emit(ctx, out, err, false)
		p.arm(ctx)
	}
}

func (p *peer) Receive(ctx *sim.Context[paxos.Message], _ string, m paxos.Message) {
	p.bind(ctx)
	was := p.decided()
	if p.spec && m.Type == paxos.Promise {
		p.promised(m)
	}
	out, err := p.n.Step(m)
	p.emit(ctx, out, err, was)
}

func (p *peer) Timeout(ctx *sim.Context[paxos.Message], _ string) {
	p.bind(ctx)
	was := p.decided()
	out, err := p.n.Tick()
	p.emit(ctx, out, err, was)
	p.arm(ctx)
}

func (p *peer) Clone() *peer {
	c := *p
	c.store = &simStorage{s: p.store.s, forget: p.store.forget}
	c.n = p.n.Clone(c.store)
	if p.spec {
		paxos.ObserveNode(c.n, c.observe)
		c.sent, c.got = nil, slices.Clone(p.got)
	}
	return &c
}

func (p *peer) AppendState(b []byte) []byte {
	b = append(p.n.AppendState(b), byte(p.retries+1))
	if p.spec { // the promises received are ghost state too
		b = encodeMsg(append(b, byte(len(p.got))), paxos.Message{Ballot: p.gotBallot})
		for _, m := range p.got {
			b = encodeMsg(b, m)
		}
	}
	return b
}

// encodeMsg is the explorer's canonical message encoding.
func encodeMsg(b []byte, m paxos.Message) []byte {
	str := func(b []byte, s string) []byte {
		b = binary.AppendUvarint(b, uint64(len(s)))
		return append(b, s...)
	}
	bal := func(b []byte, x paxos.Ballot) []byte { return str(binary.AppendUvarint(b, x.Round), x.Node) }
	b = append(b, byte(m.Type))
	b = str(str(b, m.From), m.To)
	b = bal(bal(bal(b, m.Ballot), m.VBallot), m.Highest)
	return str(b, m.Value)
}

// decisions returns the values decided by the up nodes, by node.
func decisions(w *sim.World[paxos.Message, *peer]) map[string]string {
	out := map[string]string{}
	for _, id := range w.Nodes() {
		if p, ok := w.Node(id); ok {
			if v, ok := p.n.Decided(); ok {
				out[id] = v
			}
		}
	}
	return out
}

// safe checks agreement (no two nodes decided different values) and
// validity (every decided value was proposed).
func safe(proposed ...string) func(w *sim.World[paxos.Message, *peer]) error {
	return func(w *sim.World[paxos.Message, *peer]) error {
		var first, firstBy string
		for _, id := range w.Nodes() {
			p, ok := w.Node(id)
			if !ok {
				continue
			}
			v, ok := p.n.Decided()
			if !ok {
				continue
			}
			if !contains(proposed, v) {
				return fmt.Errorf("validity: %s decided %q, which nobody proposed", id, v)
			}
			if firstBy == "" {
				first, firstBy = v, id
			} else if v != first {
				return fmt.Errorf("agreement: %s decided %q but %s decided %q", firstBy, first, id, v)
			}
		}
		return nil
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}
