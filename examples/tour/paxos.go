package main

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/eventually-perfect/primitives/sim"
)

// The paxos section: classic Paxos deciding on three nodes, the refusal of
// a flexible configuration whose quorums can miss each other, and the
// explorer proving the safe configuration safe within its bounds and
// finding, then drawing, two values chosen in the unsafe one. The numbers
// it prints come from paxosFacts; paxos_test.go checks them.

func init() {
	register(section{order: 70, name: "paxos", title: "Paxos: choosing one value despite failures", run: paxosSection})
}

// paxosFactsT is everything the section states, computed by the package.
type paxosFactsT struct {
	run          []string // the messages of a failure-free run, in order of delivery
	decided      []string // "a=v" per node
	refused      error    // what New says about q1 = q2 = 2 of 4
	safeStates   int      // distinct states, majority of 3, one crash and restart
	safeComplete bool
	unsafeStates int    // states explored before the counterexample
	unsafeDepth  int    // its length in actions
	unsafeErr    string // the violated property
	unsafeSVG    []byte
	unsafeSteps  []string // deliveries of the counterexample
}

// tourPeer adapts paxos.Node to the explorer, as the package's tests do:
// package paxos itself knows nothing of sim.
type tourPeer struct {
	cfg   paxos.Config
	value string
	store *tourStore
	n     *paxos.Node
}

// tourStore keeps a node's paxos.State in the explorer's durable storage.
type tourStore struct{ s *sim.Storage }

func (s *tourStore) Load() (paxos.State, error) {
	var st paxos.State
	b, ok := s.s.Get("paxos")
	if !ok {
		return st, nil
	}
	return st, st.UnmarshalBinary(b)
}

func (s *tourStore) Save(st paxos.State) error {
	b, err := st.MarshalBinary()
	s.s.Put("paxos", b)
	return err
}

func (p *tourPeer) emit(ctx *sim.Context[paxos.Message], out []paxos.Message, err error, was bool) {
	if err != nil {
		panic(err) // the explorer reports a panic as a violation with its trace
	}
	for _, m := range out {
		ctx.Send(m.To, m)
	}
	if v, ok := p.n.Decided(); ok && !was {
		ctx.Note("decided " + v)
	}
}

func (p *tourPeer) decided() bool { _, ok := p.n.Decided(); return ok }

func (p *tourPeer) Start(ctx *sim.Context[paxos.Message]) {
	p.store.s = ctx.Storage()
	n, err := paxos.New(p.cfg, p.store)
	if err != nil {
		panic(err)
	}
	p.n = n
	if p.value != "" {
		out, err := n.Propose(p.value)
		p.emit(ctx, out, err, false)
	}
}

func (p *tourPeer) Receive(ctx *sim.Context[paxos.Message], _ string, m paxos.Message) {
	p.store.s = ctx.Storage()
	was := p.decided()
	out, err := p.n.Step(m)
	p.emit(ctx, out, err, was)
}

func (p *tourPeer) Timeout(*sim.Context[paxos.Message], string) {}

func (p *tourPeer) Clone() *tourPeer {
	c := *p
	c.store = &tourStore{s: p.store.s}
	c.n = p.n.Clone(c.store)
	return &c
}

func (p *tourPeer) AppendState(b []byte) []byte { return p.n.AppendState(b) }

// paxosExplore explores acceptors under sys and two thrifty proposers, p1
// proposing x (preferring the acceptors in order) and p2 proposing y
// (preferring them in reverse), checking that no two proposers decide
// differently.
func paxosExplore(sys *quorum.System, unsafe bool, crashes int) (*sim.ExploreResult, error) {
	acceptors := sys.Names()
	values := map[string]string{"p1": "x", "p2": "y"}
	return sim.Explore(sim.ExploreConfig[paxos.Message, *tourPeer]{
		Nodes:       append(slices.Clone(acceptors), "p1", "p2"),
		MaxCrashes:  crashes,
		MaxRestarts: crashes,
		New: func(id string) *tourPeer {
			c := paxos.Config{ID: id, Quorums: sys, Unsafe: unsafe, Thrifty: true}
			if id == "p2" {
				c.Prefer = slices.Clone(acceptors)
				slices.Reverse(c.Prefer)
			}
			return &tourPeer{cfg: c, value: values[id], store: &tourStore{}}
		},
		Invariant: func(w *sim.World[paxos.Message, *tourPeer]) error {
			var seen []string
			for _, id := range []string{"p1", "p2"} {
				if p, ok := w.Node(id); ok {
					if v, ok := p.n.Decided(); ok {
						seen = append(seen, id+" decided "+v)
						if len(seen) == 2 && !strings.HasSuffix(seen[0], " "+v) {
							return fmt.Errorf("agreement violated: %s and %s", seen[0], seen[1])
						}
					}
				}
			}
			return nil
		},
		Workers: 1,
	})
}

func paxosFacts() (paxosFactsT, error) {
	var f paxosFactsT
	sys, err := quorum.Majority("a", "b", "c")
	if err != nil {
		return f, err
	}
	nodes := map[string]*paxos.Node{}
	for _, id := range sys.Names() {
		if nodes[id], err = paxos.New(paxos.Config{ID: id, Quorums: sys, Learners: sys.Names()}, &paxos.MemoryStorage{}); err != nil {
			return f, err
		}
	}
	queue, err := nodes["a"].Propose("v")
	if err != nil {
		return f, err
	}
	for len(queue) > 0 {
		m := queue[0]
		queue = queue[1:]
		f.run = append(f.run, fmt.Sprintf("%s -> %s: %v", m.From, m.To, m))
		out, err := nodes[m.To].Step(m)
		if err != nil {
			return f, err
		}
		queue = append(queue, out...)
	}
	for _, id := range sys.Names() {
		v, _ := nodes[id].Decided()
		f.decided = append(f.decided, id+"="+v)
	}

	l := quorum.Leaves("a1", "a2", "a3", "a4")
	unsafe, err := quorum.New(quorum.Config{Reads: quorum.Choose(2, l...), Writes: quorum.Choose(2, l...), Unchecked: true})
	if err != nil {
		return f, err
	}
	_, f.refused = paxos.New(paxos.Config{ID: "p1", Quorums: unsafe}, &paxos.MemoryStorage{})

	safe, err := quorum.Majority("a1", "a2", "a3")
	if err != nil {
		return f, err
	}
	res, err := paxosExplore(safe, false, 1)
	if err != nil {
		return f, err
	}
	if res.Violation != nil {
		return f, res.Violation
	}
	f.safeStates, f.safeComplete = res.Distinct, res.Complete

	res, err = paxosExplore(unsafe, true, 0)
	if err != nil {
		return f, err
	}
	if res.Violation == nil {
		return f, fmt.Errorf("the explorer found no counterexample in %d states", res.Distinct)
	}
	f.unsafeStates, f.unsafeDepth, f.unsafeErr = res.Distinct, res.Violation.Depth, res.Violation.Err.Error()
	var svg bytes.Buffer
	if err := res.Violation.Trace.WriteSVG(&svg); err != nil {
		return f, err
	}
	f.unsafeSVG = svg.Bytes()
	for _, e := range res.Violation.Trace.Events {
		if e.Kind == sim.Deliver {
			f.unsafeSteps = append(f.unsafeSteps, fmt.Sprintf("%s -> %s: %s", e.Peer, e.Node, e.Text))
		}
	}
	return f, nil
}

func paxosSection(t *tour) error {
	f, err := paxosFacts()
	if err != nil {
		return err
	}
	t.para(`Two-phase commit blocks when its coordinator fails. Paxos (Lamport,
	"Paxos Made Simple", 2001) lets a group choose one value among those
	proposed while any quorum of acceptors is up: only a proposed value is
	chosen, at most one is, and nodes learn only the chosen one. FLP says no
	protocol can also guarantee that a choice is ever made in an
	asynchronous network with one crash; Paxos keeps safety always and
	makes progress when one proposer runs undisturbed.`)
	t.heading("One run, no failures")
	t.para(fmt.Sprintf(`Three nodes a, b, c are acceptors and learners; a proposes v. Phase 1:
	a picks ballot 1.a and asks every acceptor to promise to ignore lower
	ballots and report what it accepted. Phase 2: with a majority of
	promises and nothing accepted, a asks them to accept v; each acceptor
	saves its acceptance, then tells every learner. The %d messages, in
	delivery order (a's messages to itself are handled inside the call):`, len(f.run)))
	for _, r := range f.run {
		t.printf("    %s\n", r)
	}
	t.printf("\n")
	t.para("Decisions: " + strings.Join(f.decided, ", ") + ".")
	if t.brief("flexible quorums, and when they break") {
		return nil
	}
	t.heading("Flexible quorums, and when they break")
	t.para(fmt.Sprintf(`Flexible Paxos (Howard, Malkhi and Spiegelman 2016) observed that
	only phase-1 quorums must meet phase-2 quorums: with n acceptors, any
	q1 and q2 with q1 + q2 > n are safe. Four acceptors with q1 = q2 = 2
	break that rule, and paxos.New refuses them: %v.`, f.refused))
	t.para(fmt.Sprintf(`Asked for anyway (Config.Unsafe), the explorer tries every order of
	delivery of two proposers, p1 with x and p2 with y, and after %d
	distinct states finds, in %d steps and without any failure: %s. The
	%d deliveries:`, f.unsafeStates, f.unsafeDepth, f.unsafeErr, len(f.unsafeSteps)))
	for i, s := range f.unsafeSteps {
		t.printf("    %2d. %s\n", i+1, s)
	}
	t.printf("\n")
	if err := t.writeFile("paxos-unsafe-fpaxos.svg", f.unsafeSVG); err != nil {
		return err
	}
	t.para(`p1's phase-1 and phase-2 quorum {a1, a2} never meets p2's {a4, a3},
	so p2 never hears of x. The space-time diagram is in
	paxos-unsafe-fpaxos.svg.`)
	complete := "all of them"
	if !f.safeComplete {
		complete = "not all of them (the search was cut short)"
	}
	t.para(fmt.Sprintf(`With three acceptors and majorities instead, the same two proposers,
	and one acceptor crash and restart with its saved promises, the explorer
	reaches %d distinct states, %s, and every one is safe.`, f.safeStates, complete))
	return nil
}
