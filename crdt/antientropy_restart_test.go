package crdt_test

import (
	"testing"

	"github.com/eventually-perfect/primitives/crdt"
)

// TestReplicatorStaleAckAfterRestart reproduces the loss reported in issue
// 11: replica a sends its delta 1 to b, b's acknowledgement is delayed, a
// restarts (a new Replicator from its durable state) and makes a new
// update, numbered 1 again; the delayed ack(1) of the old incarnation
// then arrives and must not count as an acknowledgement of the new
// update, which b must receive after a few clean anti-entropy rounds.
func TestReplicatorStaleAckAfterRestart(t *testing.T) {
	ops := crdt.Lattice[crdt.GCounter]{Join: (*crdt.GCounter).Merge, Clone: crdt.GCounter.Clone, Equal: crdt.GCounter.Equal}
	peers := []string{"a", "b"}
	inc := func(c *crdt.GCounter, r string) (crdt.GCounter, error) { return c.Inc(r, 1) }
	a, _ := crdt.NewReplicator(crdt.ReplicatorConfig{ID: "a", Peers: peers}, crdt.GCounter{}, ops)
	b, _ := crdt.NewReplicator(crdt.ReplicatorConfig{ID: "b", Peers: peers}, crdt.GCounter{}, ops)
	if err := a.Update(inc); err != nil {
		t.Fatal(err)
	}
	m, ok, err := a.Sync("b")
	if err != nil || !ok {
		t.Fatalf("sync: %v %v", ok, err)
	}
	staleAck, reply, err := b.Receive("a", m)
	if err != nil || !reply {
		t.Fatalf("receive: %v %v", reply, err)
	}
	// a restarts from its durable state (its counter, 1), in its next
	// incarnation, and counts again.
	a, _ = crdt.NewReplicator(crdt.ReplicatorConfig{ID: "a", Incarnation: 1, Peers: peers}, a.State().Clone(), ops)
	if err := a.Update(inc); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Receive("b", staleAck); err != nil { // the old incarnation's ack, late
		t.Fatal(err)
	}
	for range 10 { // clean rounds: nothing lost
		for _, x := range []struct {
			from, to *crdt.Replicator[crdt.GCounter]
			f, t     string
		}{{a, b, "a", "b"}, {b, a, "b", "a"}} {
			m, ok, err := x.from.Sync(x.t)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				continue
			}
			ack, reply, err := x.to.Receive(x.f, m)
			if err != nil {
				t.Fatal(err)
			}
			if reply {
				if _, _, err := x.from.Receive(x.t, ack); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if got := b.State().Value(); got != 2 {
		t.Fatalf("an update made after a restart never reached the peer: a stale acknowledgement of the previous incarnation covered it (every update must be delivered once the network delivers)\n a = %v\n b = %v", a.State(), b.State())
	}
}

// TestReplicatorRestartSendsDurableState: an update that a replica made
// and persisted but had not yet sent when it restarted reaches its peers:
// the new incarnation does not know what they hold, so it sends them its
// full state (Almeida et al. 2018, algorithm 2: the delta buffer and the
// acknowledgements are volatile, and a peer not covered by the buffer
// gets the full state).
func TestReplicatorRestartSendsDurableState(t *testing.T) {
	ops := crdt.Lattice[crdt.GCounter]{Join: (*crdt.GCounter).Merge, Clone: crdt.GCounter.Clone, Equal: crdt.GCounter.Equal}
	peers := []string{"a", "b"}
	a, _ := crdt.NewReplicator(crdt.ReplicatorConfig{ID: "a", Peers: peers}, crdt.GCounter{}, ops)
	b, _ := crdt.NewReplicator(crdt.ReplicatorConfig{ID: "b", Peers: peers}, crdt.GCounter{}, ops)
	if err := a.Update(func(c *crdt.GCounter, r string) (crdt.GCounter, error) { return c.Inc(r, 5) }); err != nil {
		t.Fatal(err)
	}
	a, _ = crdt.NewReplicator(crdt.ReplicatorConfig{ID: "a", Incarnation: 1, Peers: peers}, a.State().Clone(), ops) // restarted before any Sync
	m, ok, err := a.Sync("b")
	if err != nil || !ok {
		t.Fatalf("a restarted replica sends nothing to its peer (ok %v, err %v): its durable updates are never delivered", ok, err)
	}
	if _, _, err := b.Receive("a", m); err != nil {
		t.Fatal(err)
	}
	if got := b.State().Value(); got != 5 {
		t.Fatalf("b = %v after a's first message since its restart, want a's durable count 5", b.State())
	}
}
