package paxos_test

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/eventually-perfect/primitives/sim"
	"github.com/stretchr/testify/require"
)

// explReplica is a Replica as an explorable sim node: it submits its
// commands when it starts and ticks on one timer. Its storage keeps the
// specification's ghost facts beside its durable state
// (replica_explore_spec_test.go).
type explReplica struct {
	cfg    paxos.ReplicaConfig
	cmds   []paxos.Command
	mutant string
	// passive: no tick timer, so this replica never campaigns, forwards
	// or heartbeats on its own; it only answers.
	passive bool
	store   *ghostLog
	sm      *mpOpLog
	r       *paxos.Replica
}

func (p *explReplica) bind(ctx *sim.Context[paxos.LogMessage]) { p.store.s = ctx.Storage() }

func (p *explReplica) emit(ctx *sim.Context[paxos.LogMessage], out []paxos.LogMessage, err error) {
	if err == nil {
		p.store.sent(out)
	}
	emitLog(ctx, out, err)
}

func (p *explReplica) Start(ctx *sim.Context[paxos.LogMessage]) {
	p.store = &ghostLog{logStore: &logStore{s: ctx.Storage()}, id: p.cfg.ID}
	p.sm = &mpOpLog{}
	cfg := p.cfg
	cfg.StateMachine = p.sm
	paxos.Mutate(&cfg, p.mutant)
	paxos.OnLearn(&cfg, p.store.learn)
	r, err := paxos.NewReplica(cfg, p.store)
	if err != nil {
		panic(err)
	}
	p.r = r
	for _, c := range p.cmds {
		out, err := r.Submit(c)
		p.emit(ctx, out, err)
	}
	if !p.passive {
		ctx.SetTimer("tick", 10*time.Millisecond)
	}
}

func (p *explReplica) Receive(ctx *sim.Context[paxos.LogMessage], _ string, m paxos.LogMessage) {
	p.bind(ctx)
	out, err := p.r.Step(m)
	p.emit(ctx, out, err)
}

func (p *explReplica) Timeout(ctx *sim.Context[paxos.LogMessage], _ string) {
	p.bind(ctx)
	out, err := p.r.Tick()
	p.emit(ctx, out, err)
	ctx.SetTimer("tick", 10*time.Millisecond)
}

func (p *explReplica) Clone() *explReplica {
	c := *p
	c.store = &ghostLog{logStore: &logStore{s: p.store.s}, id: p.store.id}
	c.sm = &mpOpLog{ops: slices.Clone(p.sm.ops)}
	c.r = p.r.Clone(c.store, c.sm)
	paxos.SetOnLearn(c.r, c.store.learn)
	return &c
}

func (p *explReplica) AppendState(b []byte) []byte {
	b = p.r.AppendState(b)
	for _, op := range p.sm.ops {
		b = append(append(b, op...), 0)
	}
	return b
}

// TestReplicaExplored explores every interleaving of three replicas (one
// submitting a command, elections by timeout, a snapshot after every
// slot) within bounds (two timeouts, fired only when no message is in
// flight; PAXOS_LONG=1: three, a drop and a crash-restart, with at most
// one message delivered out of order per path). In every reachable
// state no slot is decided with two entries (agreement), the state
// machines' applied sequences are prefixes of one another with no command
// applied twice, and two replicas that applied as many slots applied the
// same commands (log integrity, sessions). It catches a leader that fills
// with no-ops the slots its phase 1 reported as accepted ("Paxos Made
// Simple", section 3).
func TestReplicaExplored(t *testing.T) {
	nodes := []string{"n1", "n2", "n3"}
	sys, err := quorum.Majority(nodes...)
	require.NoError(t, err)
	cmds := map[string][]paxos.Command{"n1": {{Client: "c1", Seq: 1, Op: "x"}}}
	cfg := sim.ExploreConfig[paxos.LogMessage, *explReplica]{
		Nodes: nodes,
		New: func(id string) *explReplica {
			return &explReplica{cfg: paxos.ReplicaConfig{ID: id, Quorums: sys, ElectionTicks: 1, SnapshotEvery: 1}, cmds: cmds[id]}
		},
		Invariant: func(w *sim.World[paxos.LogMessage, *explReplica]) error {
			if err := checkGhost(sys, w.Nodes(), w.Storage); err != nil {
				return err
			}
			var longest []string
			for _, id := range w.Nodes() {
				p, ok := w.Node(id)
				if !ok {
					continue
				}
				for _, jd := range w.Nodes() {
					q, ok := w.Node(jd)
					if !ok || jd <= id {
						continue
					}
					if p.r.Applied() == q.r.Applied() && !slices.Equal(p.sm.ops, q.sm.ops) {
						return fmt.Errorf("log integrity: %s and %s applied %d slots, %q and %q", id, jd, p.r.Applied(), p.sm.ops, q.sm.ops)
					}
					for s := max(p.r.Compacted(), q.r.Compacted()); s < min(p.r.Applied(), q.r.Applied()); s++ {
						a, _ := p.r.Decided(s)
						b, _ := q.r.Decided(s)
						if a.String() != b.String() {
							return fmt.Errorf("agreement: slot %d is %q at %s, %q at %s", s, a, id, b, jd)
						}
					}
				}
				ops := p.sm.ops
				for i, op := range ops {
					if slices.Contains(ops[i+1:], op) {
						return fmt.Errorf("sessions: %s applied %q twice: %q", id, op, ops)
					}
				}
				short, long := ops, longest
				if len(short) > len(long) {
					short, long = long, short
				}
				if !slices.Equal(short, long[:len(short)]) {
					return fmt.Errorf("log integrity: %s applied %q, another %q", id, ops, longest)
				}
				if len(ops) > len(longest) {
					longest = ops
				}
			}
			return nil
		},
		EncodeMessage: func(b []byte, m paxos.LogMessage) []byte { b, _ = m.AppendBinary(b); return b },
		MaxTimeouts:   2, Synchronous: true,
		Workers: 1,
	}
	long := os.Getenv("PAXOS_LONG") != ""
	if long {
		// Delay-bounded (one out-of-order delivery per path): 1,055,775
		// states, complete, in about 50 s and 1.1 GB. Every order of
		// delivery with these faults passed 4 million states and 15 GB
		// without finishing.
		cfg.MaxTimeouts, cfg.MaxDrops, cfg.MaxCrashes, cfg.MaxRestarts, cfg.MaxStates = 3, 1, 1, 1, 4_000_000
		cfg.DelayBounding, cfg.MaxDelays = true, 1
	}
	res, err := sim.Explore(cfg)
	require.NoError(t, err)
	if res.Violation != nil {
		t.Fatalf("%v", res.Violation)
	}
	require.True(t, res.Complete, "the bounds must be explored completely: %+v", res)
	t.Logf("explored %d states (%d distinct, depth %d, complete %v) in %v", res.Explored, res.Distinct, res.Depth, res.Complete, res.Elapsed)
}
