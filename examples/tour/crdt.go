package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/eventually-perfect/primitives/crdt"
	"github.com/eventually-perfect/primitives/sim"
)

// The crdt section: a shopping cart replicated on three replicas that a
// partition splits, edited on both sides, then healed; add-wins against
// remove-wins sets; and what deltas save. The data comes from small pure
// functions (cartRun, winsRun, deltaCost) that crdt_test.go checks.

func init() {
	register(section{order: 30, name: "crdt", title: "CRDTs: replicas that always agree in the end", run: crdtSection})
}

// cart maps an item to its quantity; a multi-value register keeps
// concurrent quantities instead of picking one silently.
type cart = crdt.ORMap[string, crdt.MVRegister[int]]

// setQty sets item's quantity at replica.
func setQty(c *cart, replica, item string, n int) (cart, error) {
	return c.Update(replica, item, func(r *crdt.MVRegister[int], replica string) crdt.MVRegister[int] {
		return r.Write(replica, n)
	})
}

// cartText prints a cart as "bread:1 eggs:6 milk:3", concurrent
// quantities as "milk:2|3".
func cartText(c cart) string {
	var parts []string
	for _, item := range c.Keys() {
		r, _ := c.Get(item)
		var qs []string
		for _, q := range r.Values() {
			qs = append(qs, fmt.Sprint(q))
		}
		parts = append(parts, item+":"+strings.Join(qs, "|"))
	}
	if len(parts) == 0 {
		return "(empty)"
	}
	return strings.Join(parts, " ")
}

// cartStep is one moment of the cart story: what happened, and each
// replica's cart afterwards.
type cartStep struct {
	what  string
	carts [3]string
}

// cartMsg is what the cart replicas exchange: delta intervals, full
// states and acknowledgements of crdt.Replicator.
type cartMsg = crdt.ReplicaMessage[cart]

// cartNode is a simulated cart replica: a crdt.Replicator that sends
// each peer what it has not acknowledged every 10ms.
type cartNode struct {
	r   *crdt.Replicator[cart]
	err error
}

var cartOps = crdt.Lattice[cart]{Join: (*cart).Merge, Clone: cart.Clone, Equal: cart.Equal}

func (n *cartNode) Start(ctx *sim.Context[cartMsg]) {
	// The carts never crash in this story, so one incarnation (0) will do;
	// a replica that restarts must use a new one (crdt.ReplicatorConfig).
	r, err := crdt.NewReplicator(crdt.ReplicatorConfig{ID: ctx.ID(), Peers: ctx.Peers()}, cart{}, cartOps)
	if err != nil {
		n.err = err
		return
	}
	n.r = r
	ctx.SetTimer("sync", 10*time.Millisecond)
}

func (n *cartNode) Receive(ctx *sim.Context[cartMsg], from string, m cartMsg) {
	ack, reply, err := n.r.Receive(from, m)
	if err != nil && n.err == nil {
		n.err = err
	}
	if reply {
		ctx.Send(from, ack)
	}
}

func (n *cartNode) Timeout(ctx *sim.Context[cartMsg], _ string) {
	for _, p := range ctx.Peers() {
		if p == ctx.ID() {
			continue
		}
		if m, ok, err := n.r.Sync(p); err != nil && n.err == nil {
			n.err = err
		} else if ok {
			ctx.Send(p, m)
		}
	}
	ctx.SetTimer("sync", 10*time.Millisecond)
}

// cartNames are the replicas of the cart story.
var cartNames = [3]string{"alice", "bob", "carol"}

// cartRun replays the story in the simulator (links lose 10% of messages,
// duplicate 5% and reorder) and returns its steps and the final states.
func cartRun() ([]cartStep, [3]cart, error) {
	var final [3]cart
	nodes := map[string]*cartNode{}
	s, err := sim.New(sim.Config{
		Seed:  7,
		Nodes: cartNames[:],
		Link:  sim.LinkConfig{Latency: sim.Uniform(time.Millisecond, 20*time.Millisecond), Loss: 0.1, Duplicate: 0.05},
	}, func(id string) sim.Node[cartMsg] {
		n := &cartNode{}
		nodes[id] = n
		return n
	})
	if err != nil {
		return nil, final, err
	}
	var steps []cartStep
	var failed error
	snap := func(what string) func(*sim.Sim[cartMsg]) {
		return func(*sim.Sim[cartMsg]) {
			st := cartStep{what: what}
			for i, id := range cartNames {
				st.carts[i] = cartText(nodes[id].r.State())
			}
			steps = append(steps, st)
		}
	}
	edit := func(id, item string, qty int) func(*sim.Sim[cartMsg]) {
		return func(*sim.Sim[cartMsg]) {
			err := nodes[id].r.Update(func(c *cart, replica string) (cart, error) {
				if qty == 0 {
					return c.Remove(replica, item), nil
				}
				return setQty(c, replica, item, qty)
			})
			if err != nil && failed == nil {
				failed = err
			}
		}
	}
	ms := time.Millisecond
	s.At(5*ms, edit("alice", "milk", 2))
	s.At(6*ms, edit("alice", "eggs", 12))
	s.At(200*ms, snap("alice fills the cart; the others receive it"))
	s.At(210*ms, func(s *sim.Sim[cartMsg]) {
		if err := s.Partition([]string{"alice"}, []string{"bob", "carol"}); err != nil && failed == nil {
			failed = err
		}
	})
	s.At(220*ms, edit("alice", "eggs", 0))
	s.At(221*ms, edit("alice", "milk", 3))
	s.At(222*ms, edit("bob", "bread", 1))
	s.At(223*ms, edit("carol", "eggs", 6))
	s.At(224*ms, edit("carol", "milk", 2))
	s.At(500*ms, snap("partition {alice} | {bob, carol}: alice drops the eggs and takes 3 milk; bob adds bread, carol wants 6 eggs and 2 milk"))
	s.At(510*ms, func(s *sim.Sim[cartMsg]) { s.Heal() })
	s.At(900*ms, snap("the partition heals; anti-entropy resends what was not acknowledged"))
	if err := s.RunFor(time.Second); err != nil {
		return nil, final, err
	}
	if failed != nil {
		return nil, final, failed
	}
	for i, id := range cartNames {
		if nodes[id].err != nil {
			return nil, final, nodes[id].err
		}
		final[i] = nodes[id].r.State().Clone()
	}
	return steps, final, nil
}

// winsRun runs the scenario on an add-wins and a remove-wins set:
// x adds 3.14, adds 2.718, removes 3.14; y adds 3.14; merge. Then x clears
// its add-wins set and merges y's state again.
func winsRun() (addWins, removeWins, afterClear []float64, err error) {
	var xa, ya crdt.ORSet[float64]
	var xr, yr crdt.RWSet[float64]
	xa.Add("x", 3.14)
	xa.Add("x", 2.718)
	xa.Remove("x", 3.14)
	ya.Add("y", 3.14)
	xr.Add("x", 3.14)
	xr.Add("x", 2.718)
	xr.Remove("x", 3.14)
	yr.Add("y", 3.14)
	if err := xa.Merge(ya); err != nil {
		return nil, nil, nil, err
	}
	if err := xr.Merge(yr); err != nil {
		return nil, nil, nil, err
	}
	addWins, removeWins = xa.Elements(), xr.Elements()
	xa.Clear("x")
	if err := xa.Merge(ya); err != nil {
		return nil, nil, nil, err
	}
	return addWins, removeWins, xa.Elements(), nil
}

// deltaCost returns the encoded sizes of an n-element ORSet, of the delta
// of one more Add, and of the set after removing every element.
func deltaCost(n int) (full, delta, emptied int, err error) {
	var s crdt.ORSet[int]
	for i := range n {
		s.Add("a", i)
	}
	fb, err := s.MarshalBinary()
	if err != nil {
		return 0, 0, 0, err
	}
	d := s.Add("a", n)
	db, err := d.MarshalBinary()
	if err != nil {
		return 0, 0, 0, err
	}
	s.Clear("a")
	eb, err := s.MarshalBinary()
	return len(fb), len(db), len(eb), err
}

// twinRun restores replica a from a backup while the original goes on:
// the original adds eggs with dot a:2 and removes them, the restored copy
// adds bread with the same dot a:2. Without replica stamps the original
// would take bread's dot for the eggs it removed and drop bread silently.
func twinRun() (fromOriginal, fromCopy error, err error) {
	var a crdt.ORSet[string]
	a.Add("a", "milk")
	backup, err := a.MarshalBinary()
	if err != nil {
		return nil, nil, err
	}
	a.Add("a", "eggs")
	a.Remove("a", "eggs")
	var restored crdt.ORSet[string]
	if err := restored.UnmarshalBinary(backup); err != nil {
		return nil, nil, err
	}
	restored.Add("a", "bread")
	return a.Merge(restored), restored.Merge(a), nil
}

func crdtSection(t *tour) error {
	t.para(`Some data does not need everyone to agree before anyone can write: a
		shopping cart, a like counter, the set of devices logged in. A
		conflict-free replicated data type (CRDT) lets every replica accept
		writes on its own, even cut off from the others, and guarantees that
		replicas that have received the same updates hold the same state, in
		whatever order and however many times the updates arrived. The trick
		is the merge: it must be commutative, associative and idempotent, so
		that order, grouping and repetition cannot matter.`)

	t.heading("A cart across a partition")
	t.para(`Three replicas of a shopping cart run in the simulator. Each keeps
		the cart (a map from item to a multi-value register holding the
		quantity) and every 10ms sends each peer the updates that peer has not
		acknowledged (crdt.Replicator). The network loses 10% of messages,
		duplicates 5% and reorders them; for a while it is also partitioned.`)
	steps, final, err := cartRun()
	if err != nil {
		return err
	}
	for _, s := range steps {
		t.printf("%s\n", wrap(s.what, 78, ""))
		for i, name := range cartNames {
			t.printf("    %-6s %s\n", name, s.carts[i])
		}
		t.printf("\n")
	}
	t.para(fmt.Sprintf(`All three now hold the same cart, %s, without anyone
		coordinating. Alice's removal of the eggs only removed what she had
		seen (12 eggs); Carol's concurrent 6 eggs survive: that is the
		observed-remove rule. The two concurrent milk quantities are both
		kept by the multi-value register for the application (or the
		customer) to settle; a last-writer-wins register would have dropped
		one silently.`, cartText(final[0])))

	if t.brief("add-wins against remove-wins, what the metadata costs, and one replica ID on two copies") {
		return nil
	}
	t.heading("Add-wins or remove-wins")
	aw, rw, cleared, err := winsRun()
	if err != nil {
		return err
	}
	t.para(fmt.Sprintf(`Replica x adds 3.14, adds 2.718 and removes 3.14 while
		replica y adds 3.14. When an add and a remove of the same element are
		concurrent, a set must pick a winner. Merged, the add-wins set is %v
		and the remove-wins set is %v. If x then clears its add-wins set and
		merges y's state again, it gets %v: x had already seen y's add, so
		its clear removed it, and merging it again does not bring it back.`,
		aw, rw, cleared))

	t.heading("What it costs")
	full, delta, emptied, err := deltaCost(10000)
	if err != nil {
		return err
	}
	t.para(fmt.Sprintf(`The add-wins set tags each element with a dot (replica,
		counter) and keeps a causal context: a version vector of what it has
		seen. A 10,000-element set encodes to %d bytes. The delta of one more
		add, which is all a replica needs to send, is %d bytes (%.2f%% of the
		state). After every element is removed the set encodes to %d bytes:
		removes leave no tombstones, only the version vector remembers them
		(with one 8-byte stamp per replica, see below).`,
		full, delta, 100*float64(delta)/float64(full), emptied))

	t.heading("One replica ID, two copies")
	e1, e2, err := twinRun()
	if err != nil {
		return err
	}
	t.para(fmt.Sprintf(`Every guarantee above assumes that a replica ID belongs
		to one replica. Restore replica a from a backup while the original
		goes on, and both number their next update 2: the original adds eggs
		with dot a:2 and removes them, the restored copy adds bread with dot
		a:2. Merged naively, the original takes bread's dot for the eggs it
		removed and bread vanishes without a trace. So each state keeps, for
		every replica, a stamp of its latest update (its number and a random
		64-bit digest chained over its updates) and remembers which replica
		it is. The original's merge fails (%v), and so does the copy's. A
		restored replica that first merges its peers' states, before it
		updates again, is not flagged: it loses nothing.`, e1))
	if e2 == nil {
		return fmt.Errorf("the restored copy merged its diverged original without an error")
	}
	return nil
}
