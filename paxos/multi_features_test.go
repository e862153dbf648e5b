package paxos_test

import (
	"fmt"
	"testing"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// electionTimeouts returns how many ticks each of n successive elections
// of a lone replica (every message lost) waited.
func mpTimeouts(t *testing.T, id string, seed uint64, n int) []int {
	sys, err := quorum.Majority("a", "b", "c")
	require.NoError(t, err)
	r, err := paxos.NewReplica(paxos.ReplicaConfig{ID: id, Quorums: sys, ElectionTicks: 5, Seed: seed}, &paxos.MemoryLogStorage{})
	require.NoError(t, err)
	var out []int
	ticks := 0
	for len(out) < n {
		ms, err := r.Tick()
		require.NoError(t, err)
		ticks++
		if mpCount(ms, func(m paxos.LogMessage) bool { return m.Type == paxos.LogPrepare }) > 0 {
			out = append(out, ticks)
			ticks = 0
		}
	}
	return out
}

// TestReplicaElectionJitter: each election timeout is drawn in
// [ElectionTicks, 2*ElectionTicks) from a source seeded by Seed and the
// replica's ID, so runs replay exactly and replicas sharing a Seed do not
// time out in lockstep (the randomised timeouts of Raft, Ongaro and
// Ousterhout 2014, section 5.2, without a global random source).
func TestReplicaElectionJitter(t *testing.T) {
	a1 := mpTimeouts(t, "a", 7, 40)
	for _, d := range a1 {
		require.True(t, d >= 5 && d < 10, "timeout %d outside [5, 10)", d)
	}
	assert.Equal(t, a1, mpTimeouts(t, "a", 7, 40), "the same seed must replay the same timeouts")
	assert.NotEqual(t, a1, mpTimeouts(t, "b", 7, 40), "replicas sharing a seed must draw different timeouts")
	assert.NotEqual(t, a1, mpTimeouts(t, "a", 8, 40), "another seed must draw other timeouts")
	distinct := map[int]bool{}
	for _, d := range a1 {
		distinct[d] = true
	}
	assert.Greater(t, len(distinct), 2, "timeouts must be jittered: %v", a1)
}

// TestReplicaBatching: while its window is full, a leader queues commands
// and then packs up to MaxBatch of them into each slot (batching, one of
// the practical refinements discussed by van Renesse and Altinbuken,
// "Paxos Made Moderately Complex", 2015).
func TestReplicaBatching(t *testing.T) {
	c := mp3(t, func(cfg *paxos.ReplicaConfig) { cfg.MaxBatch, cfg.Window = 4, 1 })
	c.elect("a")
	for i := 1; i <= 10; i++ {
		c.submit("a", mpCmd("k", uint64(i), fmt.Sprint(i)))
	}
	c.run(nil)
	for _, id := range []string{"a", "b", "c"} {
		assert.Equal(t, []int{1, 4, 4, 1}, mpBatches(c.rs[id]), "%s: one command alone, then batches of MaxBatch", id)
		assert.Len(t, c.sm[id].ops, 10, "%s applies every command", id)
		assert.Equal(t, "k#10:10", c.sm[id].ops[9], "%s applies in submission order", id)
	}
}

// TestReplicaWindow: a leader has at most Window undecided slots in
// flight; the rest wait and go out as slots are decided.
func TestReplicaWindow(t *testing.T) {
	c := mp3(t, func(cfg *paxos.ReplicaConfig) { cfg.MaxBatch, cfg.Window = 1, 3 })
	c.elect("a")
	c.sent = nil
	for i := 1; i <= 10; i++ {
		c.submit("a", mpCmd("k", uint64(i), "x"))
	}
	slots := func() map[uint64]bool {
		s := map[uint64]bool{}
		for _, m := range c.sent {
			if m.Type == paxos.LogAccept {
				s[m.Entry.Slot] = true
			}
		}
		return s
	}
	require.Len(t, slots(), 3, "only Window slots are proposed before any is decided")
	// Slot 0 alone is decided: exactly one more slot goes out.
	c.run(func(m paxos.LogMessage) bool { return m.Entry.Slot != 0 && m.Type != paxos.LogCommit })
	require.Len(t, slots(), 4, "a decision frees one place in the window")
	for _, s := range []uint64{1, 2, 3} {
		_, ok := c.rs["a"].Decided(s)
		require.False(t, ok, "slot %d was not let through", s)
	}
	c.tick("a")
	c.tick("a")
	c.tick("a") // retransmissions
	c.run(nil)
	assert.Len(t, c.rs["a"].Log(), 10)
	assert.Len(t, slots(), 10)
}

// TestReplicaSessionDuplicates: a leader does not queue or propose again a
// command (same Client and Seq) that is pending or in flight, and ignores
// one already applied; Session reports the last result.
func TestReplicaSessionDuplicates(t *testing.T) {
	c := mp3(t, nil)
	c.elect("a")
	c.sent = nil
	c.submit("a", mpCmd("k", 1, "x"), mpCmd("k", 1, "x")) // a retry while in flight
	assert.Equal(t, 2, mpCount(c.sent, func(m paxos.LogMessage) bool { return m.Type == paxos.LogAccept }), "one slot, sent to b and c")
	c.run(nil)
	c.submit("a", mpCmd("k", 1, "x")) // a retry after it was applied
	c.submit("b", mpCmd("k", 1, "x")) // at a follower too
	c.run(nil)
	assert.Len(t, c.rs["a"].Log(), 1)
	assert.Equal(t, uint64(2), c.rs["a"].Stats().Duplicates, "the retry in flight and the one after")
	assert.Equal(t, uint64(1), c.rs["b"].Stats().Duplicates, "the retry at the follower")
	seq, res, ok := c.rs["c"].Session("k")
	assert.True(t, ok)
	assert.Equal(t, uint64(1), seq)
	assert.Equal(t, "ok x", res)
	for _, id := range []string{"a", "b", "c"} {
		assert.Equal(t, []string{"k#1:x"}, c.sm[id].ops, "%s applies the command once", id)
	}
}

// TestReplicaSessionOutOfOrder: a client's commands decided out of Seq
// order (forwarded over different paths) are all applied; only repeats
// are skipped.
func TestReplicaSessionOutOfOrder(t *testing.T) {
	c := mp3(t, nil)
	c.elect("a")
	c.submit("a", mpCmd("k", 2, "y"), mpCmd("k", 1, "x"), mpCmd("k", 2, "y"), mpCmd("k", 3, "z"))
	c.run(nil)
	assert.Equal(t, []string{"k#2:y", "k#1:x", "k#3:z"}, c.sm["b"].ops)
}

// TestReplicaRetryAppliedOnce reproduces the scenario client sessions
// exist for: the leader crashes after its accept, the client retries at
// the new leader, and the command ends up decided in two slots; it is
// applied once on every replica. Paxos must re-propose the original
// acceptance ("Paxos Made Simple", section 3: a new leader proposes in
// every slot the value of the highest-numbered acceptance reported), so
// only deduplication at apply time can catch the second copy.
func TestReplicaRetryAppliedOnce(t *testing.T) {
	c := mp3(t, nil)
	c.elect("a")
	// a proposes y in slot 0 and the client's command in slot 1; only a
	// itself accepts them, then a crashes.
	c.submit("a", mpCmd("other", 1, "y"), mpCmd("k", 1, "x"))
	c.queue = nil
	c.crash("a")
	// The client retries at c, which is elected with b and proposes it in
	// slot 0; b and c decide it there.
	c.submit("c", mpCmd("k", 1, "x"))
	c.elect("c")
	c.run(nil)
	e, ok := c.rs["c"].Decided(0)
	require.True(t, ok)
	require.Equal(t, "k#1:x", e.String())
	// c crashes; a restarts with its acceptances and is elected with b:
	// slot 1 still holds a's acceptance of the same command, which a must
	// re-propose.
	c.crash("c")
	c.restart("a")
	c.elect("a")
	c.run(nil)
	e, ok = c.rs["a"].Decided(1)
	require.True(t, ok)
	require.Equal(t, "k#1:x", e.String(), "the original is decided again in slot 1")
	c.restart("c")
	c.tick("a")
	c.run(nil)
	for _, id := range []string{"a", "b", "c"} {
		assert.Equal(t, uint64(2), c.rs[id].Applied(), "%s applied the log", id)
		// other#1:y was never chosen (a alone accepted it): its client
		// must retry; k#1:x is in both slots and applied once.
		assert.Equal(t, []string{"k#1:x"}, c.sm[id].ops, "%s applies the retried command once", id)
		assert.Positive(t, c.rs[id].Stats().Duplicates, "%s skipped the second copy", id)
	}
}

// TestReplicaThrifty: with Thrifty, a leader sends phase 2 to one phase-2
// quorum containing itself (q2 - 1 messages per slot, the FPaxos
// experiment's point: leader load depends on q2, Howard, Malkhi and
// Spiegelman 2016, section 5); when a member of that quorum is down, the
// retransmission on Tick goes to every replica, so the slot is decided.
func TestReplicaThrifty(t *testing.T) {
	names := []string{"a", "b", "c", "d", "e"}
	for _, tc := range []struct {
		thrifty bool
		q2      int
		accepts int
	}{{false, 2, 4}, {true, 2, 1}, {true, 3, 2}} {
		sys, err := quorum.Flexible(names, len(names)-tc.q2+1, tc.q2)
		require.NoError(t, err)
		c := newMPCluster(t, sys, func(cfg *paxos.ReplicaConfig) { cfg.Thrifty = tc.thrifty })
		c.elect("a")
		c.sent = nil
		c.submit("a", mpCmd("k", 1, "x"))
		accepts := func() []paxos.LogMessage {
			var out []paxos.LogMessage
			for _, m := range c.sent {
				if m.Type == paxos.LogAccept {
					out = append(out, m)
				}
			}
			return out
		}
		require.Len(t, accepts(), tc.accepts, "thrifty %v q2 %d: accepts per slot", tc.thrifty, tc.q2)
		c.run(nil)
		_, ok := c.rs["a"].Decided(0)
		require.True(t, ok)
		if !tc.thrifty {
			continue
		}
		// The quorum member is down: the next slot waits for a
		// retransmission to all.
		c.crash(accepts()[0].To)
		c.sent = nil
		c.submit("a", mpCmd("k", 2, "y"))
		c.run(nil)
		_, ok = c.rs["a"].Decided(1)
		require.False(t, ok, "the thrifty quorum has a failure")
		c.tick("a")
		c.tick("a")
		c.run(nil)
		_, ok = c.rs["a"].Decided(1)
		require.True(t, ok, "retransmission to all decides it")
	}
}

// TestReplicaThriftyPhase1: with Thrifty, a candidate sends phase 1 to one
// phase-1 quorum containing itself (q1 - 1 prepares); if a member is down
// it asks every replica on its next tick and is elected.
func TestReplicaThriftyPhase1(t *testing.T) {
	sys, err := quorum.Flexible([]string{"a", "b", "c", "d", "e"}, 3, 3)
	require.NoError(t, err)
	c := newMPCluster(t, sys, func(cfg *paxos.ReplicaConfig) { cfg.Thrifty, cfg.ElectionTicks = true, 4 })
	var prepares []paxos.LogMessage
	for !c.rs["a"].Leader() && len(prepares) == 0 {
		c.tick("a")
		for _, m := range c.queue {
			if m.Type == paxos.LogPrepare {
				prepares = append(prepares, m)
			}
		}
		c.run(nil)
	}
	require.Len(t, prepares, 2, "a phase-1 quorum of 3 with a: two prepares")
	require.True(t, c.rs["a"].Leader())
	// Again with a member of that quorum down: the next tick asks everyone.
	c2 := newMPCluster(t, sys, func(cfg *paxos.ReplicaConfig) { cfg.Thrifty, cfg.ElectionTicks = true, 4 })
	c2.crash(prepares[0].To)
	for i := 0; i < 8 && c2.rs["a"].Stats().Elections == 0; i++ {
		c2.tick("a")
		c2.run(nil)
	}
	require.False(t, c2.rs["a"].Leader(), "one promise is missing")
	c2.tick("a")
	c2.run(nil)
	require.True(t, c2.rs["a"].Leader(), "the retransmission to all elects a")
}
