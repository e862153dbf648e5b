package paxos_test

import (
	"fmt"
	"testing"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/stretchr/testify/require"
)

// groupCommitLeader returns three replicas with GroupCommit, a elected
// (every message delivered, the self-addressed ones included).
func groupCommitLeader(t *testing.T) map[string]*paxos.Replica {
	sys, err := quorum.Majority("a", "b", "c")
	require.NoError(t, err)
	rs := map[string]*paxos.Replica{}
	for _, id := range sys.Names() {
		rs[id], err = paxos.NewReplica(paxos.ReplicaConfig{ID: id, Quorums: sys, ElectionTicks: 1, GroupCommit: true}, &paxos.MemoryLogStorage{})
		require.NoError(t, err)
	}
	out, err := rs["a"].Tick()
	require.NoError(t, err)
	require.NoError(t, deliverAll(rs, out))
	require.True(t, rs["a"].Leader())
	return rs
}

// TestGroupCommitOwnAcceptanceWaits: with GroupCommit a leader does not
// count its own acceptance until the caller hands back the acknowledgement
// it addressed to itself (after syncing): one other acknowledgement of a
// majority of three does not decide the slot, the leader's own then does.
// Without GroupCommit the same acknowledgement decides at once.
func TestGroupCommitOwnAcceptanceWaits(t *testing.T) {
	rs := groupCommitLeader(t)
	a := rs["a"]
	out, err := a.Submit(paxos.Command{Client: "c1", Seq: 1, Op: "x"})
	require.NoError(t, err)
	var own []paxos.LogMessage
	var acks []paxos.LogMessage
	for _, m := range out {
		if m.To == "a" {
			require.Equal(t, paxos.LogAccepted, m.Type, "the only message a leader addresses to itself is its own acknowledgement")
			own = append(own, m)
			continue
		}
		replies, err := rs[m.To].Step(m)
		require.NoError(t, err)
		acks = append(acks, replies...)
	}
	require.Len(t, own, 1, "one acknowledgement of its own proposal, to hand back after the sync")
	before := a.Applied()
	for _, m := range acks[:1] {
		_, err := a.Step(m)
		require.NoError(t, err)
	}
	require.Equal(t, before, a.Applied(), "one acknowledgement of three must not decide while the leader's own acceptance is not durable")
	_, err = a.Step(own[0])
	require.NoError(t, err)
	require.Equal(t, before+1, a.Applied(), "the leader's own acknowledgement, handed back after the sync, completes the majority")
}

// ExampleReplicaConfig_groupCommit drives three replicas the way a
// server with a disk does: step the replica as messages come, collect
// what it returns, sync the storage once for the whole batch, then send
// it all (the leader's acknowledgement of its own proposals goes back to
// it). Here the "sync" is a no-op, since MemoryLogStorage is in memory.
func ExampleReplicaConfig_groupCommit() {
	sys, err := quorum.Majority("a", "b", "c")
	if err != nil {
		fmt.Println(err)
		return
	}
	rs := map[string]*paxos.Replica{}
	for _, id := range sys.Names() {
		rs[id], err = paxos.NewReplica(paxos.ReplicaConfig{ID: id, Quorums: sys, ElectionTicks: 1, GroupCommit: true}, &paxos.MemoryLogStorage{})
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	var batch []paxos.LogMessage // what the steps since the last sync returned
	out, err := rs["a"].Tick()
	if err != nil {
		fmt.Println(err)
		return
	}
	batch = append(batch, out...)
	for i, op := range []string{"x", "y", "z"} {
		out, err := rs["a"].Submit(paxos.Command{Client: "c1", Seq: uint64(i + 1), Op: op})
		if err != nil {
			fmt.Println(err)
			return
		}
		batch = append(batch, out...)
	}
	syncs := 0
	for len(batch) > 0 {
		syncs++ // sync every storage once: the writes of the whole batch are durable
		sent := batch
		batch = nil
		for _, m := range sent {
			out, err := rs[m.To].Step(m)
			if err != nil {
				fmt.Println(err)
				return
			}
			batch = append(batch, out...)
		}
	}
	fmt.Printf("a applied %d slot(s) after %d batches\n", rs["a"].Applied(), syncs)
	// Output:
	// a applied 1 slot(s) after 5 batches
}
