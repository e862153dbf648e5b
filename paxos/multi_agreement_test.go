package paxos_test

import (
	"slices"
	"testing"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/stretchr/testify/require"
)

// mp5 is a cluster of five replicas a..e with majority quorums.
func mp5(t testing.TB, mod func(*paxos.ReplicaConfig)) *mpCluster {
	sys, err := quorum.Majority("a", "b", "c", "d", "e")
	require.NoError(t, err)
	return newMPCluster(t, sys, mod)
}

// only delivers the messages that keep selects and drops the others.
func only(keep func(paxos.LogMessage) bool) func(paxos.LogMessage) bool {
	return func(m paxos.LogMessage) bool { return !keep(m) }
}

// among keeps the messages between the replicas ids.
func among(ids ...string) func(paxos.LogMessage) bool {
	return func(m paxos.LogMessage) bool { return slices.Contains(ids, m.From) && slices.Contains(ids, m.To) }
}

// TestReplicaAgreementDelayedCatchUp replays the agreement violation of
// issue 11, found by an adversarial tester with five replicas, majority
// quorums and nothing but lost and delayed messages. A leader of a lower
// ballot learns, through a delayed catch-up answer, a slot decided in a
// higher ballot, in which it had proposed another value; its next
// heartbeat told a replica that had accepted that other value in the
// leader's ballot that the slot was decided, and it decided the other
// value. The rule that was wrong: a commit notice in ballot b covered
// every slot below the leader's decided prefix, as if each had been
// decided in b. The specification checker (spec_test.go) fails this test
// at the first bad learn (P3) if the rule is broken again.
func TestReplicaAgreementDelayedCatchUp(t *testing.T) {
	t.Run("decisions", func(t *testing.T) { delayedCatchUp(t, "") })
	t.Run("snapshot", func(t *testing.T) { delayedSnapshot(t, "") })
}

// delayedCatchUp is the scenario of TestReplicaAgreementDelayedCatchUp,
// played by the replica or one of its mutants (mutation_test.go).
func delayedCatchUp(t testing.TB, mutant string) { delayedCatchUpWith(t, mutant, 0) }

// delayedSnapshot is the same scenario with a snapshot after every slot:
// the catch-up answer is a snapshot, which carries no ballots.
func delayedSnapshot(t testing.TB, mutant string) { delayedCatchUpWith(t, mutant, 1) }

func delayedCatchUpWith(t testing.TB, mutant string, snapshotEvery uint64) {
	c := mp5(t, func(cfg *paxos.ReplicaConfig) {
		paxos.Mutate(cfg, mutant)
		cfg.SnapshotEvery = snapshotEvery
	})
	x := mpCmd("x", 1, "X")
	e := mpCmd("e", 1, "E")
	d := mpCmd("d", 1, "D")

	// 1. c leads (1,c) with c, d and e, and decides slot 0 (X).
	c.tick("c")
	c.run(only(among("c", "d", "e")))
	require.True(t, c.rs["c"].Leader())
	c.submit("c", x)
	c.run(only(among("c", "d", "e")))
	require.EqualValues(t, 1, c.rs["c"].Applied())
	// Its heartbeat makes a, which is behind, ask c to catch it up; the
	// request is delayed.
	var held []paxos.LogMessage
	c.tick("c")
	c.run(func(m paxos.LogMessage) bool {
		if m.Type == paxos.LogCatchUp && m.From == "a" {
			held = append(held, m)
			return true
		}
		return !(m.Type == paxos.LogHeartbeat && m.To == "a")
	})
	require.Len(t, held, 1, "a asks c to catch it up")

	// 2. a leads (2,a) with a, b and d (c hears the prepare and steps
	// down, its promise is lost; e hears nothing), and proposes E in slot
	// 1; only a and b accept it.
	c.tick("a")
	c.run(only(func(m paxos.LogMessage) bool {
		return m.To != "e" && m.From != "e" && !(m.From == "c" && m.Type == paxos.LogPromise)
	}))
	require.True(t, c.rs["a"].Leader())
	require.False(t, c.rs["c"].Leader())
	c.submit("a", e)
	c.run(only(among("a", "b")))

	// 3. c leads (3,c) with c, d and e and decides D in slot 1.
	c.tick("c")
	c.run(only(among("c", "d", "e")))
	require.True(t, c.rs["c"].Leader())
	c.submit("c", d)
	c.run(only(among("c", "d", "e")))
	require.Equal(t, []string{"x#1:X", "d#1:D"}, c.sm["c"].ops)

	// 4. The delayed catch-up reaches c; its answer (slots 0 and 1
	// decided) reaches a, which still believes it leads (2,a).
	c.deliver(held[0])
	c.run(only(func(m paxos.LogMessage) bool {
		return (m.Type == paxos.LogDecide || m.Type == paxos.LogSnapshot) && m.To == "a"
	}))
	require.Equal(t, []string{"x#1:X", "d#1:D"}, c.sm["a"].ops, "a learned slot 1 from the catch-up answer")

	// 5. a's next heartbeat reaches b, which accepted E in (2,a). Before
	// the fix b decided E here; the specification checker fails at that
	// learn. Now a has stepped down, or its notice does not cover slot 1.
	c.tick("a")
	c.run(only(func(m paxos.LogMessage) bool { return m.To == "b" && m.From == "a" }))
	if got, ok := c.rs["b"].Decided(1); ok {
		require.Equal(t, "d#1:D", got.String(), "agreement: b decided slot 1 as %v, c as D", got)
	}
	require.NotContains(t, c.sm["b"].ops, "e#1:E", "agreement: b applied E in slot 1, c applied D")
	// Every replica converges on D once the network heals.
	for i := 0; i < 6; i++ {
		for _, id := range []string{"a", "b", "c", "d", "e"} {
			c.tick(id)
			c.run(nil)
		}
	}
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		ops := c.sm[id].ops
		require.GreaterOrEqual(t, len(ops), 2, "%s applied slot 1 after the network healed", id)
		require.Equal(t, []string{"x#1:X", "d#1:D"}, ops[:2], "agreement at %s", id)
	}
}

// TestReplicaHighestBallotValue: a candidate whose phase-1 quorum reports
// two acceptances of one slot proposes the one of the higher ballot
// ("Paxos Made Simple", section 2.2, P2c): a accepted X in (1,a) alone,
// then b and c chose Y in (2,b); c's phase 1 hears from a and c.
func TestReplicaHighestBallotValue(t *testing.T) { highestBallotValue(t, "") }

func highestBallotValue(t testing.TB, mutant string) {
	c := mp3(t, func(cfg *paxos.ReplicaConfig) { paxos.Mutate(cfg, mutant) })
	c.tick("a")
	c.run(nil)
	require.True(t, c.rs["a"].Leader())
	c.submit("a", mpCmd("x", 1, "X"))
	c.run(only(among("a"))) // the accepts are lost
	c.tick("b")
	c.run(only(among("b", "c")))
	require.True(t, c.rs["b"].Leader())
	c.submit("b", mpCmd("y", 1, "Y"))
	c.run(only(func(m paxos.LogMessage) bool { // c does not hear that Y was chosen
		return among("b", "c")(m) && m.Type != paxos.LogCommit && m.Type != paxos.LogHeartbeat
	}))
	require.Equal(t, []string{"y#1:Y"}, c.sm["b"].ops)
	c.tick("c")
	c.run(only(among("a", "c")))
	require.True(t, c.rs["c"].Leader())
	for i := 0; i < 4; i++ {
		for _, id := range []string{"c", "a", "b"} {
			c.tick(id)
			c.run(nil)
		}
	}
	for _, id := range []string{"a", "b", "c"} {
		require.NotEmpty(t, c.sm[id].ops, "%s applied slot 0", id)
		require.Equal(t, "y#1:Y", c.sm[id].ops[0], "agreement at %s", id)
	}
}

// TestReplicaStaleAcknowledgement: an acknowledgement of a leader's
// earlier ballot, delayed until it leads again, does not count towards
// its new proposal of the same slot (a phase-2 quorum must accept in one
// ballot).
func TestReplicaStaleAcknowledgement(t *testing.T) { staleAck(t, "") }

func staleAck(t testing.TB, mutant string) {
	c := mp3(t, func(cfg *paxos.ReplicaConfig) { paxos.Mutate(cfg, mutant) })
	c.tick("a")
	c.run(nil)
	require.True(t, c.rs["a"].Leader())
	var held []paxos.LogMessage
	c.submit("a", mpCmd("x", 1, "X"))
	c.run(func(m paxos.LogMessage) bool {
		if m.Type == paxos.LogAccepted && m.From == "b" {
			held = append(held, m) // b's acknowledgement of (1,a) is delayed
			return true
		}
		return m.To == "c" || m.From == "c"
	})
	require.Len(t, held, 1)
	// b leads (2,b) with b and c but its accepts are lost; a hears b's
	// prepare and steps down.
	c.tick("b")
	c.run(func(m paxos.LogMessage) bool { return m.Type == paxos.LogAccept })
	require.False(t, c.rs["a"].Leader())
	// a leads (3,a) with a and c and proposes X again; its accepts are lost.
	c.tick("a")
	c.run(func(m paxos.LogMessage) bool { return m.To == "b" || m.From == "b" || m.Type == paxos.LogAccept })
	require.True(t, c.rs["a"].Leader())
	c.deliver(held[0])
	require.EqualValues(t, 0, c.rs["a"].Applied(), "a stale acknowledgement decided slot 0")
}

// TestReplicaDecisionAnswerFreesWindow: an acceptor that already decided
// a slot answers a new leader's accept for it with the decision; the
// leader learns it, and the room it frees in the window goes to the
// commands waiting in the queue at once. (The randomised simulation
// found the replica stalled here, with a window of one, when the answer
// was first changed from an acknowledgement to the decision.)
func TestReplicaDecisionAnswerFreesWindow(t *testing.T) {
	c := mp3(t, func(cfg *paxos.ReplicaConfig) { cfg.Window = 1 })
	c.elect("a")
	c.submit("a", mpCmd("x", 1, "X"))
	// a and b accept slot 0, a decides it; b and c never hear that it did.
	c.run(only(func(m paxos.LogMessage) bool {
		return among("a", "b")(m) && m.Type != paxos.LogCommit && m.Type != paxos.LogHeartbeat
	}))
	require.EqualValues(t, 1, c.rs["a"].Applied())
	require.EqualValues(t, 0, c.rs["b"].Applied())
	c.submit("c", mpCmd("y", 1, "Y"))
	// c leads with b, which reports slot 0 as accepted only: c proposes it
	// again; a answers with its decision.
	c.tick("c")
	c.run(only(func(m paxos.LogMessage) bool { return !among("a", "c")(m) || m.Type != paxos.LogPrepare }))
	require.True(t, c.rs["c"].Leader())
	require.Equal(t, []string{"x#1:X", "y#1:Y"}, c.sm["c"].ops, "the queued command was proposed once the decision freed the window")
}
