package crdt_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/eventually-perfect/primitives/crdt"
	"github.com/eventually-perfect/primitives/sim"
)

type setMsg = crdt.ReplicaMessage[crdt.ORSet[int]]

var setOps = crdt.Lattice[crdt.ORSet[int]]{Join: (*crdt.ORSet[int]).Merge, Clone: crdt.ORSet[int].Clone, Equal: crdt.ORSet[int].Equal}

// aeNode is a simulated replica of an ORSet[int] that performs random adds
// and removes for the first opsFor of virtual time and runs delta-interval
// anti-entropy with every peer every 10ms. With durable set, it persists
// its state after every change, before sending anything, and a counter of
// its starts that it uses as the Replicator's incarnation, so that it can
// crash and restart.
type aeNode struct {
	r       *crdt.Replicator[crdt.ORSet[int]]
	opsFor  time.Duration
	full    *int // full-state messages sent, shared by the nodes of a run
	buffer  int  // deltas buffered; 0 means 4
	durable bool
	deltas  *crdt.ORSet[int] // if not nil, the join of every update's delta, shared
	err     error
}

func (n *aeNode) fail(err error) {
	if err != nil && n.err == nil {
		n.err = err
	}
}

func (n *aeNode) Start(ctx *sim.Context[setMsg]) {
	buf := n.buffer
	if buf == 0 {
		buf = 4
	}
	var state crdt.ORSet[int]
	var inc uint64
	if n.durable {
		st := ctx.Storage()
		if b, ok := st.Get("incarnation"); ok {
			inc = binary.BigEndian.Uint64(b) + 1
		}
		st.Put("incarnation", binary.BigEndian.AppendUint64(nil, inc))
		if b, ok := st.Get("state"); ok {
			n.fail(state.UnmarshalBinary(b))
		}
	}
	r, err := crdt.NewReplicator(crdt.ReplicatorConfig{ID: ctx.ID(), Incarnation: inc, Peers: ctx.Peers(), MaxBuffer: buf}, state, setOps)
	n.fail(err)
	n.r = r
	if ctx.Now() < n.opsFor {
		ctx.SetTimer("op", time.Millisecond)
	}
	ctx.SetTimer("sync", 10*time.Millisecond)
}

// persist writes the state to storage: after each change, before the
// acknowledgement or message that reports it.
func (n *aeNode) persist(ctx *sim.Context[setMsg]) {
	if !n.durable {
		return
	}
	b, err := n.r.State().MarshalBinary()
	n.fail(err)
	ctx.Storage().Put("state", b)
}

func (n *aeNode) Receive(ctx *sim.Context[setMsg], from string, m setMsg) {
	ack, reply, err := n.r.Receive(from, m)
	n.fail(err)
	if reply {
		n.persist(ctx)
		ctx.Send(from, ack)
	}
}

func (n *aeNode) Timeout(ctx *sim.Context[setMsg], name string) {
	switch name {
	case "op":
		e := ctx.Rand().IntN(8)
		add := ctx.Rand().IntN(3) > 0
		n.fail(n.r.Update(func(s *crdt.ORSet[int], r string) (crdt.ORSet[int], error) {
			var d crdt.ORSet[int]
			if add {
				d = s.Add(r, e)
			} else {
				d = s.Remove(r, e)
			}
			if n.deltas != nil {
				n.fail(n.deltas.Merge(d.Clone()))
			}
			return d, nil
		}))
		n.persist(ctx)
		if ctx.Now() < n.opsFor {
			ctx.SetTimer("op", time.Duration(1+ctx.Rand().IntN(5))*time.Millisecond)
		}
	case "sync":
		for _, p := range ctx.Peers() {
			if p == ctx.ID() {
				continue
			}
			m, ok, err := n.r.Sync(p)
			n.fail(err)
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

// TestReplicatorConvergesAcrossRestarts: the simulation of
// TestReplicatorConvergesUnderFaults with crashes. Each replica persists
// its state after every change and counts its starts in its storage (the
// incarnation); during the updates, replicas crash and restart 30 times
// in all, losing their buffers, acknowledgements and sequence numbers,
// while acknowledgements to their previous incarnations are still in
// flight (latencies up to 30ms). Once the faults stop, every replica
// holds every update made anywhere: its state equals the join of all the
// deltas of the run.
func TestReplicatorConvergesAcrossRestarts(t *testing.T) {
	for seed := range uint64(10) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			full := 0
			var all crdt.ORSet[int]
			nodes := map[string]*aeNode{}
			ids := []string{"a", "b", "c"}
			s, err := sim.New(sim.Config{
				Seed:  seed,
				Nodes: ids,
				Link:  sim.LinkConfig{Latency: sim.Uniform(time.Millisecond, 30*time.Millisecond), Loss: 0.2, Duplicate: 0.2},
			}, func(id string) sim.Node[setMsg] {
				n := &aeNode{opsFor: 400 * time.Millisecond, full: &full, durable: true, deltas: &all}
				nodes[id] = n
				return n
			})
			if err != nil {
				t.Fatal(err)
			}
			for k := range 30 {
				at := time.Duration(5+13*k) * time.Millisecond
				id := ids[(k*7+int(seed))%3]
				s.At(at, func(s *sim.Sim[setMsg]) { _ = s.Crash(id) })
				s.At(at+time.Duration(1+(k*5+int(seed))%9)*time.Millisecond, func(s *sim.Sim[setMsg]) { _ = s.Restart(id) })
			}
			if err := s.RunFor(4 * time.Second); err != nil {
				t.Fatal(err)
			}
			if st := s.Stats(); st.Restarts < 20 {
				t.Fatalf("only %d restarts: the test would prove little", st.Restarts)
			}
			for _, id := range ids {
				n := nodes[id]
				if n.err != nil {
					t.Fatalf("%s: %v", id, n.err)
				}
				if st := n.r.State(); !st.Equal(all) {
					t.Fatalf("law: once the faults stop, every update made anywhere reaches every replica, across restarts; %s lacks some\n %s = %v\n join of every delta = %v", id, id, st, all)
				}
			}
			if all.Size().Vector == 0 {
				t.Fatal("no update happened")
			}
		})
	}
}

func ExampleReplicator() {
	peers := []string{"a", "b"}
	ops := crdt.Lattice[crdt.GCounter]{Join: (*crdt.GCounter).Merge, Clone: crdt.GCounter.Clone, Equal: crdt.GCounter.Equal}
	a, err := crdt.NewReplicator(crdt.ReplicatorConfig{ID: "a", Peers: peers}, crdt.GCounter{}, ops)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := crdt.NewReplicator(crdt.ReplicatorConfig{ID: "b", Peers: peers}, crdt.GCounter{}, ops)
	if err != nil {
		fmt.Println(err)
		return
	}
	inc := func(n uint64) func(c *crdt.GCounter, r string) (crdt.GCounter, error) {
		return func(c *crdt.GCounter, r string) (crdt.GCounter, error) { return c.Inc(r, n) }
	}
	if err := a.Update(inc(1)); err != nil {
		fmt.Println(err)
		return
	}
	m, _, err := a.Sync("b") // the first message to a peer is the full state
	if err != nil {
		fmt.Println(err)
		return
	}
	ack, _, err := b.Receive("a", m)
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, _, err := a.Receive("b", ack); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m, ack, b.State())
	if err := a.Update(inc(2)); err != nil {
		fmt.Println(err)
		return
	}
	m, _, err = a.Sync("b") // the interval of the new delta; say it is lost
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m)
	if err := a.Update(inc(3)); err != nil {
		fmt.Println(err)
		return
	}
	m, _, err = a.Sync("b") // resent, joined with the next delta
	if err != nil {
		fmt.Println(err)
		return
	}
	ack, _, err = b.Receive("a", m)
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, _, err := a.Receive("b", ack); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m, ack, b.State(), a.Buffered())
	// Output:
	// full(2@0) ack(2@0) 1 {a:1}
	// delta(3@0)
	// delta(4@0) ack(4@0) 6 {a:6} 0
}

// A replica restarting from its durable state bumps a counter kept there
// and uses it as the new Replicator's incarnation, so that
// acknowledgements sent to its previous run cannot cover its new deltas.
func ExampleReplicatorConfig() {
	ops := crdt.Lattice[crdt.GCounter]{Join: (*crdt.GCounter).Merge, Clone: crdt.GCounter.Clone, Equal: crdt.GCounter.Equal}
	cfg := crdt.ReplicatorConfig{ID: "a", Incarnation: 0, Peers: []string{"a", "b"}}
	a, err := crdt.NewReplicator(cfg, crdt.GCounter{}, ops)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := a.Update(func(c *crdt.GCounter, r string) (crdt.GCounter, error) { return c.Inc(r, 1) }); err != nil {
		fmt.Println(err)
		return
	}
	m, _, err := a.Sync("b")
	if err != nil {
		fmt.Println(err)
		return
	}
	staleAck := crdt.ReplicaMessage[crdt.GCounter]{Ack: true, Incarnation: m.Incarnation, Seq: m.Seq}

	cfg.Incarnation++ // persisted before the restart
	a, err = crdt.NewReplicator(cfg, a.State().Clone(), ops)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := a.Update(func(c *crdt.GCounter, r string) (crdt.GCounter, error) { return c.Inc(r, 1) }); err != nil {
		fmt.Println(err)
		return
	}
	// ignored: it acknowledges incarnation 0
	if _, _, err := a.Receive("b", staleAck); err != nil {
		fmt.Println(err)
		return
	}
	m, ok, err := a.Sync("b")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(staleAck, m, ok, m.State)
	// Output: ack(2@0) full(2@1) true 2 {a:2}
}

// A message crosses the network in its binary (or JSON) encoding.
func ExampleReplicaMessage() {
	var s crdt.GSet[string]
	d := s.Add("x")
	m := crdt.ReplicaMessage[crdt.GSet[string]]{Incarnation: 7, Seq: 3, State: d}
	b, err := m.MarshalBinary()
	if err != nil {
		fmt.Println(err)
		return
	}
	j, err := m.MarshalJSON()
	if err != nil {
		fmt.Println(err)
		return
	}
	var back crdt.ReplicaMessage[crdt.GSet[string]]
	err = back.UnmarshalBinary(b)
	fmt.Printf("%x\n%s\n%v %v %v\n", b, j, back, back.State, err)
	// Output:
	// 01000703010103227822
	// {"kind":"delta","incarnation":7,"seq":3,"state":["x"]}
	// delta(3@7) {"x"} <nil>
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

// flight is a message in the property's network.
type flight struct {
	from, to string
	m        setMsg
}

// TestReplicatorDeliversEveryUpdate is the anti-entropy law under the
// faults that broke it (issue 11): 2 to 4 replicas update, sync and
// receive in a random order through a network that loses, duplicates and
// reorders messages, and restart (a new Replicator from the replica's
// state, with the next incarnation, as after a crash: buffer,
// acknowledgements and sequence numbers lost); messages stay in flight
// for arbitrarily long, so acknowledgements to a previous incarnation
// arrive after the restart. Then the network heals: everything still in
// flight is delivered, late and in random order, and the replicas run
// anti-entropy rounds that lose nothing. The law: every update made
// anywhere, before or after any restart, has then reached every replica
// (each state equals the join of all the deltas), and every buffer has
// drained.
func TestReplicatorDeliversEveryUpdate(t *testing.T) {
	rapid.Check(t, checkDeliversEveryUpdate)
}

func checkDeliversEveryUpdate(t *rapid.T) {
	n := rapid.IntRange(2, 4).Draw(t, "replicas")
	buffer := rapid.IntRange(1, 6).Draw(t, "buffer")
	ids := []string{"a", "b", "c", "d"}[:n]
	reps := make([]*crdt.Replicator[crdt.ORSet[int]], n)
	incs := make([]uint64, n)
	start := func(i int, state crdt.ORSet[int]) {
		r, err := crdt.NewReplicator(crdt.ReplicatorConfig{ID: ids[i], Incarnation: incs[i], Peers: ids, MaxBuffer: buffer}, state, setOps)
		if err != nil {
			t.Fatal(err)
		}
		reps[i] = r
	}
	for i := range reps {
		start(i, crdt.ORSet[int]{})
	}
	index := map[string]int{}
	for i, id := range ids {
		index[id] = i
	}
	var all crdt.ORSet[int] // the join of every update's delta
	var net []flight
	deliver := func(f flight) {
		ack, reply, err := reps[index[f.to]].Receive(f.from, f.m)
		if err != nil {
			t.Fatalf("%s receiving %v from %s: %v", f.to, f.m, f.from, err)
		}
		if reply {
			net = append(net, flight{f.to, f.from, ack})
		}
	}
	other := func(i int, name string) int {
		return (i + 1 + rapid.IntRange(0, n-2).Draw(t, name)) % n
	}
	steps := rapid.IntRange(1, 80).Draw(t, "steps")
	for range steps {
		switch a := rapid.IntRange(0, 9).Draw(t, "action"); {
		case a < 3: // a local update
			i := rapid.IntRange(0, n-1).Draw(t, "replica")
			e := rapid.IntRange(0, 3).Draw(t, "element")
			add := rapid.IntRange(0, 2).Draw(t, "add") > 0
			var d crdt.ORSet[int]
			err := reps[i].Update(func(s *crdt.ORSet[int], r string) (crdt.ORSet[int], error) {
				if r != ids[i] {
					t.Fatalf("Update passed replica %q to the mutator of replica %q", r, ids[i])
				}
				if add {
					d = s.Add(r, e)
				} else {
					d = s.Remove(r, e)
				}
				return d, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := all.Merge(d.Clone()); err != nil {
				t.Fatal(err)
			}
		case a < 5: // a sync
			i := rapid.IntRange(0, n-1).Draw(t, "replica")
			j := other(i, "peer")
			m, ok, err := reps[i].Sync(ids[j])
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				net = append(net, flight{ids[i], ids[j], m})
			}
		case a < 9 && len(net) > 0: // the network acts on one message
			k := rapid.IntRange(0, len(net)-1).Draw(t, "message")
			f := net[k]
			switch rapid.IntRange(0, 3).Draw(t, "fate") {
			case 0: // lost
				net = append(net[:k], net[k+1:]...)
			case 1: // duplicated: delivered, and stays in flight
				deliver(f)
			default:
				net = append(net[:k], net[k+1:]...)
				deliver(f)
			}
		case a == 9: // a restart from the durable state
			i := rapid.IntRange(0, n-1).Draw(t, "restarted")
			incs[i]++
			start(i, reps[i].State().Clone())
		}
	}
	// The network heals: every message in flight arrives, late.
	for len(net) > 0 {
		k := rapid.IntRange(0, len(net)-1).Draw(t, "late")
		f := net[k]
		net = append(net[:k], net[k+1:]...)
		deliver(f)
	}
	// Anti-entropy rounds without loss.
	for range 2 * n {
		for i := range n {
			for j := range n {
				if i == j {
					continue
				}
				m, ok, err := reps[i].Sync(ids[j])
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					deliver(flight{ids[i], ids[j], m})
					for len(net) > 0 {
						f := net[0]
						net = net[1:]
						deliver(f)
					}
				}
			}
		}
	}
	for i, r := range reps {
		if st := r.State(); !st.Equal(all) {
			t.Fatalf("law: once the network heals, every update made anywhere (before or after restarts, with stale acknowledgements delivered late) reaches every replica; %s (incarnation %d) lacks some\n %s = %v\n join of every update = %v",
				ids[i], incs[i], ids[i], st, all)
		}
		if r.Buffered() != 0 {
			t.Fatalf("law: once every delta is acknowledged, buffers drain; %s still buffers %d", ids[i], r.Buffered())
		}
	}
}

// TestNewReplicatorValidates: configurations NewReplicator refuses.
func TestNewReplicatorValidates(t *testing.T) {
	for _, cfg := range []crdt.ReplicatorConfig{
		{},
		{ID: "a", Peers: []string{"b", "b"}},
		{ID: "a", Peers: []string{""}},
		{ID: "a", Peers: []string{"b"}, MaxBuffer: -1},
	} {
		if _, err := crdt.NewReplicator(cfg, crdt.GCounter{}, crdt.Lattice[crdt.GCounter]{Join: (*crdt.GCounter).Merge, Clone: crdt.GCounter.Clone, Equal: crdt.GCounter.Equal}); !errors.Is(err, crdt.ErrInvalidConfig) {
			t.Errorf("%+v: got %v, want ErrInvalidConfig", cfg, err)
		}
	}
	if _, err := crdt.NewReplicator(crdt.ReplicatorConfig{ID: "a", Peers: []string{"b"}}, crdt.GCounter{}, crdt.Lattice[crdt.GCounter]{}); !errors.Is(err, crdt.ErrInvalidConfig) {
		t.Errorf("an empty Lattice: got %v, want ErrInvalidConfig", err)
	}
}
