package crdt_test

import (
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/eventually-perfect/primitives/crdt"
	"github.com/eventually-perfect/primitives/sim"
)

type setMsg = crdt.ReplicaMessage[crdt.ORSet[int]]

// aeNode is a simulated replica of an ORSet[int] that performs random adds
// and removes for the first opsFor of virtual time and runs delta-interval
// anti-entropy with every peer every 10ms.
type aeNode struct {
	r      *crdt.Replicator[crdt.ORSet[int]]
	opsFor time.Duration
	full   *int // full-state messages sent, shared by the nodes of a run
	buffer int  // deltas buffered; 0 means 4
	err    error
}

func (n *aeNode) Start(ctx *sim.Context[setMsg]) {
	buf := n.buffer
	if buf == 0 {
		buf = 4
	}
	n.r = crdt.NewReplicator(ctx.ID(), crdt.ORSet[int]{}, ctx.Peers(),
		crdt.Lattice[crdt.ORSet[int]]{Join: (*crdt.ORSet[int]).Merge, Clone: crdt.ORSet[int].Clone, Equal: crdt.ORSet[int].Equal}, buf)
	ctx.SetTimer("op", time.Millisecond)
	ctx.SetTimer("sync", 10*time.Millisecond)
}

func (n *aeNode) Receive(ctx *sim.Context[setMsg], from string, m setMsg) {
	ack, reply, err := n.r.Receive(from, m)
	if err != nil {
		n.err = err
	}
	if reply {
		ctx.Send(from, ack)
	}
}

func (n *aeNode) Timeout(ctx *sim.Context[setMsg], name string) {
	switch name {
	case "op":
		e := ctx.Rand().IntN(8)
		add := ctx.Rand().IntN(3) > 0
		n.r.Update(func(s *crdt.ORSet[int]) (crdt.ORSet[int], error) {
			if add {
				return s.Add(ctx.ID(), e), nil
			}
			return s.Remove(e), nil
		})
		if ctx.Now() < n.opsFor {
			ctx.SetTimer("op", time.Duration(1+ctx.Rand().IntN(5))*time.Millisecond)
		}
	case "sync":
		for _, p := range ctx.Peers() {
			if p == ctx.ID() {
				continue
			}
			m, ok, err := n.r.Sync(p)
			if err != nil {
				n.err = err
			}
			if ok {
				if m.Full {
					*n.full++
				}
				ctx.Send(p, m)
			}
		}
		ctx.SetTimer("sync", 10*time.Millisecond)
	}
}

// TestReplicatorConvergesUnderFaults runs three replicas in the simulator
// with 30% loss, 20% duplication and reordering latencies: after the
// updates stop, anti-entropy makes every replica's state equal (internal
// state, not only the elements), and the buffers empty once every delta is
// acknowledged. The buffer of 4 deltas forces full-state fallbacks.
// (Almeida et al. 2018, section 6: delta-interval anti-entropy is correct
// under loss, duplication and reordering.)
func TestReplicatorConvergesUnderFaults(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			full := 0
			nodes := map[string]*aeNode{}
			s, err := sim.New(sim.Config{
				Seed:  seed,
				Nodes: []string{"a", "b", "c"},
				Link:  sim.LinkConfig{Latency: sim.Uniform(time.Millisecond, 30*time.Millisecond), Loss: 0.3, Duplicate: 0.2},
			}, func(id string) sim.Node[setMsg] {
				n := &aeNode{opsFor: 200 * time.Millisecond, full: &full}
				nodes[id] = n
				return n
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.RunFor(3 * time.Second); err != nil {
				t.Fatal(err)
			}
			a := nodes["a"].r.State()
			for id, n := range nodes {
				if n.err != nil {
					t.Fatalf("%s: %v", id, n.err)
				}
				if st := n.r.State(); !st.Equal(a) {
					t.Fatalf("replicas did not converge under loss, duplication and reordering:\n a = %v\n %s = %v", a, id, st)
				}
				if n.r.Buffered() != 0 {
					t.Errorf("%s still buffers %d deltas after everything was acknowledged", id, n.r.Buffered())
				}
			}
			if a.Len() == 0 && a.Size().Vector == 0 {
				t.Fatal("no update happened: the test would prove nothing")
			}
			if seed == 0 && full == 0 {
				t.Error("no full-state fallback happened with a 4-delta buffer")
			}
		})
	}
}

func ExampleReplicator() {
	peers := []string{"a", "b"}
	ops := crdt.Lattice[crdt.GCounter]{Join: (*crdt.GCounter).Merge, Clone: crdt.GCounter.Clone, Equal: crdt.GCounter.Equal}
	a := crdt.NewReplicator("a", crdt.GCounter{}, peers, ops, 0)
	b := crdt.NewReplicator("b", crdt.GCounter{}, peers, ops, 0)
	inc := func(r string, n uint64) func(c *crdt.GCounter) (crdt.GCounter, error) {
		return func(c *crdt.GCounter) (crdt.GCounter, error) { return c.Inc(r, n) }
	}
	a.Update(inc("a", 1))
	a.Update(inc("a", 2))
	m, _, _ := a.Sync("b") // the interval of both deltas; say it is lost
	fmt.Println(m)
	a.Update(inc("a", 3))
	m, _, _ = a.Sync("b") // resent, joined with the new delta
	ack, _, _ := b.Receive("a", m)
	a.Receive("b", ack)
	fmt.Println(m, ack, b.State(), a.Buffered())
	// Output:
	// delta(2)
	// delta(3) ack(3) 6 {a:6} 0
}

// TestReplicatorProperty: for random networks (2 to 4 replicas, loss and
// duplication up to 50%, reordering) and buffer sizes, replicas converge
// once updates stop and the network keeps delivering some messages.
func TestReplicatorProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nodesN := rapid.IntRange(2, 4).Draw(t, "replicas")
		loss := float64(rapid.IntRange(0, 50).Draw(t, "loss%")) / 100
		dup := float64(rapid.IntRange(0, 50).Draw(t, "dup%")) / 100
		buffer := rapid.IntRange(1, 8).Draw(t, "buffer")
		seed := rapid.Uint64().Draw(t, "seed")
		ids := []string{"a", "b", "c", "d"}[:nodesN]
		full := 0
		nodes := map[string]*aeNode{}
		s, err := sim.New(sim.Config{
			Seed:  seed,
			Nodes: ids,
			Link:  sim.LinkConfig{Latency: sim.Uniform(time.Millisecond, 30*time.Millisecond), Loss: loss, Duplicate: dup},
		}, func(id string) sim.Node[setMsg] {
			n := &aeNode{opsFor: 100 * time.Millisecond, full: &full, buffer: buffer}
			nodes[id] = n
			return n
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RunFor(5 * time.Second); err != nil {
			t.Fatal(err)
		}
		if st := s.Stats(); st.Drops == 0 && loss > 0.2 || st.Timers < 400 {
			t.Fatalf("the run did not exercise the network: %+v", st)
		}
		first := nodes[ids[0]].r.State()
		for _, id := range ids {
			n := nodes[id]
			if n.err != nil {
				t.Fatalf("%s: %v", id, n.err)
			}
			if st := n.r.State(); !st.Equal(first) {
				t.Fatalf("replicas did not converge (loss %v, duplication %v, buffer %d):\n %s = %v\n %s = %v",
					loss, dup, buffer, ids[0], first, id, st)
			}
		}
	})
}
