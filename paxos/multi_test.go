package paxos_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/eventually-perfect/primitives/sim"
	"github.com/eventually-perfect/primitives/sim/simtest"
	"pgregory.net/rapid"
)

// logStore keeps a replica's LogState in the sim.Storage of the call, one
// key per write: "hard" for the promise and round, "snap" for the
// snapshot, "e/<slot>" per acceptance, so that every write is small.
type logStore struct{ s *sim.Storage }

const snapKey = "snap"

func entryKey(slot uint64) string { return fmt.Sprintf("e/%016x", slot) }

func (s *logStore) Load() (paxos.LogState, error) {
	var st paxos.LogState
	if b, ok := s.s.Get(stateKey); ok {
		if err := st.UnmarshalBinary(b); err != nil {
			return st, err
		}
	}
	if b, ok := s.s.Get(snapKey); ok {
		var snap paxos.LogState
		if err := snap.UnmarshalBinary(b); err != nil {
			return st, err
		}
		st.SnapshotSlot, st.Snapshot = snap.SnapshotSlot, snap.Snapshot
	}
	for _, k := range s.s.Keys() { // sorted, so the entries are too
		if !strings.HasPrefix(k, "e/") {
			continue
		}
		b, _ := s.s.Get(k)
		var e paxos.Entry
		if err := e.UnmarshalBinary(b); err != nil {
			return st, err
		}
		st.Entries = append(st.Entries, e)
	}
	return st, nil
}

func (s *logStore) SetHardState(promised paxos.Ballot, round uint64) error {
	b, err := paxos.LogState{Promised: promised, Round: round}.MarshalBinary()
	s.s.Put(stateKey, b)
	return err
}

func (s *logStore) PutEntry(e paxos.Entry) error {
	b, err := e.MarshalBinary()
	s.s.Put(entryKey(e.Slot), b)
	return err
}

func (s *logStore) SetSnapshot(slot uint64, snapshot []byte) error {
	b, err := paxos.LogState{SnapshotSlot: slot, Snapshot: snapshot}.MarshalBinary()
	s.s.Put(snapKey, b)
	for _, k := range s.s.Keys() {
		if strings.HasPrefix(k, "e/") && k < entryKey(slot) {
			s.s.Delete(k)
		}
	}
	return err
}

// replicaPeer is a Multi-Paxos replica as a sim node; it submits its own
// commands when it starts (again after a restart) and ticks every 10 to
// 15 ms.
type replicaPeer struct {
	cfg   paxos.ReplicaConfig
	cmds  []paxos.Command
	store *logStore
	r     *paxos.Replica
	sm    *mpOpLog
}

func (p *replicaPeer) emit(ctx *sim.Context[paxos.LogMessage], out []paxos.LogMessage, err error) {
	emitLog(ctx, out, err)
}

// emitLog sends what a replica call returned; a replica error is a test
// failure.
func emitLog(ctx *sim.Context[paxos.LogMessage], out []paxos.LogMessage, err error) {
	if err != nil {
		panic(err)
	}
	for _, m := range out {
		ctx.Send(m.To, m)
	}
}

// startLogReplica builds a replica on the node's sim.Storage with an
// mpOpLog state machine and submits cmds: the Start of both sim adapters.
func startLogReplica(ctx *sim.Context[paxos.LogMessage], cfg paxos.ReplicaConfig, cmds []paxos.Command) (*logStore, *mpOpLog, *paxos.Replica) {
	store, sm := &logStore{s: ctx.Storage()}, &mpOpLog{}
	cfg.StateMachine = sm
	r, err := paxos.NewReplica(cfg, store)
	if err != nil {
		panic(err)
	}
	for _, c := range cmds {
		out, err := r.Submit(c)
		emitLog(ctx, out, err)
	}
	return store, sm, r
}

func (p *replicaPeer) Start(ctx *sim.Context[paxos.LogMessage]) {
	p.store, p.sm, p.r = startLogReplica(ctx, p.cfg, p.cmds)
	ctx.SetTimer("tick", 10*time.Millisecond+time.Duration(ctx.Rand().Int64N(int64(5*time.Millisecond))))
}

func (p *replicaPeer) Receive(ctx *sim.Context[paxos.LogMessage], _ string, m paxos.LogMessage) {
	p.store.s = ctx.Storage()
	out, err := p.r.Step(m)
	p.emit(ctx, out, err)
}

func (p *replicaPeer) Timeout(ctx *sim.Context[paxos.LogMessage], _ string) {
	p.store.s = ctx.Storage()
	out, err := p.r.Tick()
	p.emit(ctx, out, err)
	ctx.SetTimer("tick", 10*time.Millisecond+time.Duration(ctx.Rand().Int64N(int64(5*time.Millisecond))))
}

// TestMultiPaxosSimulated runs three replicas, each submitting two
// commands in a session, under rapid-drawn fault schedules (crashes with
// durable state, pauses, partitions, blocks, loss; links that reorder and
// duplicate) and rapid-drawn configurations (batching, window, thrifty
// phase 2, snapshots every few slots), checking after every event that no
// slot is ever decided with two entries anywhere (agreement), that only
// submitted commands are decided (validity), and that the state machines'
// applied sequences are prefixes of one another (log integrity, through
// restarts from snapshots); three simulated seconds after the last fault,
// every replica has applied every command exactly once (liveness after
// healing, through leader election by timeout, forwarding,
// retransmission, catch-up by decisions and by snapshot, and sessions).
func TestMultiPaxosSimulated(t *testing.T) {
	nodes := []string{"n1", "n2", "n3"}
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		horizon := 500 * time.Millisecond
		sched := simtest.DrawSchedule(t, nodes, horizon)
		base := paxos.ReplicaConfig{
			MaxBatch:      rapid.SampledFrom([]int{1, 64}).Draw(t, "batch"),
			Window:        rapid.SampledFrom([]int{1, 32}).Draw(t, "window"),
			Thrifty:       rapid.Bool().Draw(t, "thrifty"),
			SnapshotEvery: rapid.SampledFrom([]uint64{0, 1, 3}).Draw(t, "snapshotEvery"),
			Seed:          seed,
		}
		sys, err := quorum.Majority(nodes...)
		if err != nil {
			t.Fatal(err)
		}
		var all []paxos.Command
		cmds := map[string][]paxos.Command{}
		for _, id := range nodes {
			cmds[id] = []paxos.Command{{Client: id, Seq: 1, Op: "a"}, {Client: id, Seq: 2, Op: "b"}}
			all = append(all, cmds[id]...)
		}
		s, err := sim.New(sim.Config{
			Seed: seed, Nodes: nodes, NoTrace: true,
			Link: sim.LinkConfig{Latency: sim.Uniform(time.Millisecond, 5*time.Millisecond), Duplicate: 0.05},
		}, func(id string) sim.Node[paxos.LogMessage] {
			cfg := base
			cfg.ID, cfg.Quorums = id, sys
			return &replicaPeer{cfg: cfg, cmds: cmds[id]}
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := simtest.Apply(s, sched); err != nil {
			t.Fatal(err)
		}
		chosen := map[uint64]string{}
		var violation error
		check := func() {
			var longest []string
			for _, id := range nodes {
				nd, ok := s.Node(id)
				if !ok {
					continue
				}
				p := nd.(*replicaPeer)
				r := p.r
				for slot := r.Compacted(); slot < r.Applied(); slot++ {
					e, ok := r.Decided(slot)
					if !ok {
						violation = fmt.Errorf("%s: slot %d below Applied %d not decided", id, slot, r.Applied())
						return
					}
					v := e.String()
					for _, c := range e.Commands {
						if !slices.Contains(all, c) && violation == nil {
							violation = fmt.Errorf("validity: %s decided %v in slot %d, never submitted", id, c, slot)
						}
					}
					if old, ok := chosen[slot]; ok && old != v && violation == nil {
						violation = fmt.Errorf("agreement: slot %d decided %q at %s but %q before", slot, v, id, old)
					}
					chosen[slot] = v
				}
				ops := p.sm.ops
				short, long := ops, longest
				if len(short) > len(long) {
					short, long = long, short
				}
				if !slices.Equal(short, long[:len(short)]) && violation == nil {
					violation = fmt.Errorf("log integrity: %s applied %q, another %q", id, ops, longest)
				}
				if len(ops) > len(longest) {
					longest = ops
				}
			}
		}
		end := horizon + 3*time.Second
		if err := s.RunUntil(func() bool { check(); return violation != nil || s.Now() >= end }); err != nil {
			t.Fatal(err)
		}
		if violation != nil {
			t.Fatalf("%v (seed %d, %+v, %v)", violation, seed, base, sched)
		}
		for _, id := range nodes {
			nd, ok := s.Node(id)
			if !ok {
				t.Fatalf("liveness: %s down after the faults", id)
			}
			ops := nd.(*replicaPeer).sm.ops
			for _, c := range all {
				if n := slices.Index(ops, c.String()); n < 0 || slices.Contains(ops[n+1:], c.String()) {
					t.Fatalf("liveness and sessions: %s applied %q, not %v exactly once, 3s after the faults (seed %d, %+v, %v)",
						id, ops, c, seed, base, sched)
				}
			}
		}
	})
}
