package paxos_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func snapshotCluster(t *testing.T) *mpCluster {
	return mp3(t, func(cfg *paxos.ReplicaConfig) { cfg.SnapshotEvery, cfg.MaxBatch = 4, 1 })
}

func submitN(c *mpCluster, id string, from, to int) {
	for i := from; i <= to; i++ {
		c.submit(id, mpCmd("k", uint64(i), fmt.Sprint(i)))
	}
}

// TestReplicaCompaction: after SnapshotEvery applied slots a replica
// snapshots its state machine and drops the entries below the snapshot,
// in memory and in storage (log compaction, as in Raft's section 7 or
// Chubby's snapshots, "Paxos Made Live", section 5.5).
func TestReplicaCompaction(t *testing.T) {
	c := snapshotCluster(t)
	c.elect("a")
	submitN(c, "a", 1, 10)
	c.run(nil)
	for _, id := range []string{"a", "b", "c"} {
		r := c.rs[id]
		assert.Equal(t, uint64(10), r.Applied())
		assert.Equal(t, uint64(8), r.Compacted(), "%s compacts every 4 slots", id)
		assert.Len(t, r.Log(), 2, "%s keeps the slots above the compaction point", id)
		_, ok := r.Decided(3)
		assert.False(t, ok, "%s forgot slot 3", id)
		st, err := c.st[id].Load()
		require.NoError(t, err)
		assert.Equal(t, uint64(8), st.SnapshotSlot)
		for _, e := range st.Entries {
			assert.GreaterOrEqual(t, e.Slot, uint64(8), "%s's storage dropped the entries below the snapshot", id)
		}
		assert.Equal(t, uint64(2), r.Stats().SnapshotsTaken)
	}
}

// TestReplicaSnapshotCatchUp: a replica that missed every decision asks
// for slots below the leader's compaction point; it receives the snapshot,
// restores it and catches up with the decisions after it.
func TestReplicaSnapshotCatchUp(t *testing.T) {
	c := snapshotCluster(t)
	c.elect("a")
	c.crash("c")
	submitN(c, "a", 1, 10)
	c.run(nil)
	c.down["c"] = false // c comes back with its memory intact, 10 slots behind
	require.Equal(t, uint64(0), c.rs["c"].Applied())
	c.tick("a") // heartbeat: c asks from 0, below a's compaction point 8
	c.run(nil)
	assert.Equal(t, uint64(10), c.rs["c"].Applied())
	assert.Equal(t, c.sm["a"].ops, c.sm["c"].ops, "the restored state machine equals the leader's")
	assert.Equal(t, uint64(1), c.rs["c"].Stats().SnapshotsInstalled)
	assert.Equal(t, uint64(1), c.rs["a"].Stats().SnapshotsSent)
	seq, _, ok := c.rs["c"].Session("k")
	assert.True(t, ok && seq == 10, "sessions travel in the snapshot")
	// A retry of an old command is still recognised after the restore.
	c.submit("c", mpCmd("k", 3, "3"))
	assert.Equal(t, uint64(1), c.rs["c"].Stats().Duplicates)
}

// TestReplicaRestartFromSnapshot: a replica restarted with its durable
// state restores its snapshot, keeps its acceptances above it, and then
// catches up with decisions.
func TestReplicaRestartFromSnapshot(t *testing.T) {
	c := snapshotCluster(t)
	c.elect("a")
	submitN(c, "a", 1, 10)
	c.run(nil)
	c.crash("b")
	c.restart("b")
	assert.Equal(t, uint64(8), c.rs["b"].Applied(), "the snapshot is restored at once")
	assert.Len(t, c.sm["b"].ops, 8)
	submitN(c, "a", 11, 12)
	c.tick("a")
	c.run(nil)
	assert.Equal(t, uint64(12), c.rs["b"].Applied())
	assert.Equal(t, c.sm["a"].ops, c.sm["b"].ops)
}

// TestReplicaPromiseCarriesSnapshot: a candidate whose decided prefix is
// below the compaction point of an acceptor in its phase-1 quorum gets
// that acceptor's snapshot with the promise. Without it the candidate
// would find nothing accepted in the compacted slots and fill them with
// no-ops ("Paxos Made Simple", section 3, needs every phase-1 answer to
// report what the acceptor accepted), and acceptors that accepted the
// decided entries without learning the decision would accept the no-ops
// over them: two entries decided in one slot. Five replicas: a decides 10
// slots with b and e (b learns and compacts, e does not learn), a
// crashes, c is elected by c, d and b.
func TestReplicaPromiseCarriesSnapshot(t *testing.T) {
	sys, err := quorum.Majority("a", "b", "c", "d", "e")
	require.NoError(t, err)
	c := newMPCluster(t, sys, func(cfg *paxos.ReplicaConfig) { cfg.SnapshotEvery, cfg.MaxBatch = 4, 1 })
	c.elect("a")
	c.crash("c")
	c.crash("d")
	submitN(c, "a", 1, 10)
	c.run(func(m paxos.LogMessage) bool {
		return m.To == "e" && (m.Type == paxos.LogCommit || m.Type == paxos.LogHeartbeat)
	})
	require.Equal(t, uint64(8), c.rs["b"].Compacted())
	require.Equal(t, uint64(0), c.rs["e"].Applied())
	c.crash("a")
	c.down["c"], c.down["d"] = false, false
	c.tick("c")
	c.run(func(m paxos.LogMessage) bool { return m.From == "e" && m.Type == paxos.LogPromise })
	require.True(t, c.rs["c"].Leader())
	assert.Equal(t, uint64(1), c.rs["c"].Stats().SnapshotsInstalled)
	submitN(c, "c", 11, 11)
	c.tick("c")
	c.run(nil)
	assert.Equal(t, uint64(11), c.rs["c"].Applied())
	for _, id := range []string{"c", "d", "e"} {
		assert.Equal(t, c.sm["b"].ops, c.sm[id].ops, "%s's log agrees with the compacted one", id)
		assert.Len(t, c.sm[id].ops, 11)
	}
}

// TestReplicaAcceptBelowCompaction: an acceptor answers an accept for a
// slot it has compacted with a Nack carrying its compaction point; the
// leader then catches up by snapshot instead of retrying forever.
func TestReplicaAcceptBelowCompaction(t *testing.T) {
	c := snapshotCluster(t)
	c.elect("a")
	submitN(c, "a", 1, 8)
	c.run(nil)
	ballot := paxos.Ballot{Round: 1, Node: "a"}
	out, err := c.rs["b"].Step(paxos.LogMessage{Type: paxos.LogAccept, From: "a", To: "b", Ballot: ballot,
		Entry: paxos.Entry{Slot: 2, Commands: []paxos.Command{{Op: "late"}}}})
	require.NoError(t, err)
	require.Len(t, out, 1)
	assert.Equal(t, paxos.LogNack, out[0].Type)
	assert.Equal(t, uint64(8), out[0].Commit, "the Nack names the compaction point")
	assert.Equal(t, uint64(1), c.rs["b"].Stats().Nacks)
}

// TestReplicaPromiseTeachesDecisions: a promise reports the acceptor's
// decided prefix, and a lagging candidate learns the decided entries in
// it instead of proposing them again (phase 1 re-proposes only what may
// not be chosen yet, "Paxos Made Simple", section 3).
func TestReplicaPromiseTeachesDecisions(t *testing.T) {
	c := mp3(t, nil)
	c.elect("a")
	c.crash("c")
	submitN(c, "a", 1, 5)
	c.run(nil)
	c.crash("a")
	c.down["c"] = false
	c.elect("c")
	assert.Equal(t, uint64(5), c.rs["c"].Applied(), "the candidate learned the decided prefix from b's promise")
	assert.Zero(t, c.rs["c"].Stats().Proposed, "nothing decided is proposed again")
	assert.Equal(t, c.sm["b"].ops, c.sm["c"].ops)
}

// durableOps is a DurableStateMachine whose state (the commands applied
// and the count of slots they cover) survives a crash of its replica: it
// stands for a database that commits one transaction per slot.
type durableOps struct {
	ops, pending []string
	slots        uint64
}

func (d *durableOps) Apply(c paxos.Command) string {
	d.pending = append(d.pending, c.String())
	return "ok"
}

func (d *durableOps) SetApplied(n uint64) error {
	d.ops, d.pending, d.slots = append(d.ops, d.pending...), nil, n
	return nil
}

func (d *durableOps) Applied() uint64 { return d.slots }

func (d *durableOps) Snapshot() ([]byte, error) { return []byte(strings.Join(d.ops, "\n")), nil }

func (d *durableOps) Restore(b []byte) error {
	d.ops, d.pending = nil, nil
	if len(b) > 0 {
		d.ops = strings.Split(string(b), "\n")
	}
	return nil
}

// TestReplicaRestartDurableStateMachine: a replica restarted without a
// snapshot relearns its whole log; a durable state machine must not see
// any command again (exactly-once across restarts), and a client's retry
// of a command applied before the restart is still recognised by its
// session.
func TestReplicaRestartDurableStateMachine(t *testing.T) {
	dur := &durableOps{}
	c := mp3(t, nil)
	// b's state machine is the durable one, kept across restarts.
	c.durable = map[string]paxos.StateMachine{"b": dur}
	c.restart("b")
	c.elect("a")
	for i := 1; i <= 5; i++ {
		c.submit("a", mpCmd("k", uint64(i), fmt.Sprint(i)))
		c.run(nil)
	}
	c.tick("a")
	c.run(nil)
	require.Len(t, dur.ops, 5, "b applied the five commands")
	require.EqualValues(t, c.rs["b"].Applied(), dur.slots)
	c.crash("b")
	c.restart("b")
	require.EqualValues(t, 0, c.rs["b"].Applied(), "no snapshot: b relearns its log")
	for i := 0; i < 3; i++ {
		c.tick("a")
		c.run(nil)
	}
	require.EqualValues(t, c.rs["a"].Applied(), c.rs["b"].Applied(), "b caught up")
	require.Equal(t, []string{"k#1:1", "k#2:2", "k#3:3", "k#4:4", "k#5:5"}, dur.ops,
		"exactly-once: a durable state machine saw a command again after its replica restarted")
	seq, _, ok := c.rs["b"].Session("k")
	require.True(t, ok)
	require.EqualValues(t, 5, seq, "the sessions were rebuilt from the relearned log")
	// A retry of command 3 through b is recognised as applied.
	before := c.rs["b"].Stats().Duplicates
	out, err := c.rs["b"].Submit(mpCmd("k", 3, "3"))
	require.NoError(t, err)
	require.Empty(t, out)
	require.Equal(t, before+1, c.rs["b"].Stats().Duplicates)
	// New commands take effect once.
	c.submit("a", mpCmd("k", 6, "6"))
	c.run(nil)
	c.tick("a")
	c.run(nil)
	require.Equal(t, "k#6:6", dur.ops[len(dur.ops)-1])
	require.Len(t, dur.ops, 6)
}

// TestReplicaSeqZeroRefused: a command with a client and Seq 0 can never
// be applied (sessions number commands from 1): Submit refuses it with
// ErrBadCommand instead of deciding it and dropping it silently, and a
// replica refuses a forward or an accept that carries one.
func TestReplicaSeqZeroRefused(t *testing.T) {
	c := mp3(t, nil)
	c.elect("a")
	_, err := c.rs["a"].Submit(mpCmd("k", 0, "x"))
	require.ErrorIs(t, err, paxos.ErrBadCommand)
	_, err = c.rs["b"].Submit(mpCmd("k", 0, "x"))
	require.ErrorIs(t, err, paxos.ErrBadCommand)
	_, err = c.rs["a"].Step(paxos.LogMessage{Type: paxos.LogForward, From: "b", To: "a", Command: mpCmd("k", 0, "x")})
	require.ErrorIs(t, err, paxos.ErrBadMessage)
	_, err = c.rs["b"].Step(paxos.LogMessage{Type: paxos.LogAccept, From: "a", To: "b", Ballot: paxos.Ballot{Round: 9, Node: "a"},
		Entry: paxos.Entry{Slot: 0, Commands: []paxos.Command{mpCmd("k", 0, "x")}}})
	require.ErrorIs(t, err, paxos.ErrBadMessage)
	// A session-less command (Client "") with Seq 0 is fine.
	c.submit("a", paxos.Command{Op: "y"})
	c.run(nil)
	require.Equal(t, []string{"y"}, c.sm["a"].ops)
}

// TestReplicaRefusedSnapshotKeepsLog: a snapshot that the StateMachine
// refuses to restore is not written: the error wraps ErrBadMessage, the
// acceptances it would have replaced stay in the LogStorage, and the
// replica restarts from them.
func TestReplicaRefusedSnapshotKeepsLog(t *testing.T) {
	c := mp3(t, nil)
	c.elect("a")
	c.submit("a", mpCmd("k", 1, "1"))
	c.run(nil)
	before, err := c.st["b"].Load()
	require.NoError(t, err)
	require.NotEmpty(t, before.Entries)
	// A snapshot whose application part the test state machine refuses:
	// encoded as the replica encodes one, with no sessions.
	blob := paxos.EncodeSnapshotForTest([]byte("!refuse me"))
	_, err = c.rs["b"].Step(paxos.LogMessage{Type: paxos.LogSnapshot, From: "a", To: "b", SnapshotSlot: 5, Snapshot: blob})
	require.ErrorIs(t, err, paxos.ErrBadMessage, "a refused snapshot is bad input")
	after, err := c.st["b"].Load()
	require.NoError(t, err)
	require.Equal(t, before, after, "a refused snapshot must not change the LogStorage")
	require.EqualValues(t, 1, c.rs["b"].Applied(), "nor the replica")
	c.crash("b")
	c.restart("b")
	c.tick("a")
	c.run(nil)
	require.Equal(t, []string{"k#1:1"}, c.sm["b"].ops, "b restarts from its log")
}
