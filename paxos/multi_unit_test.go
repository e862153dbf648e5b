package paxos_test

import (
	"fmt"
	"testing"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/stretchr/testify/require"
)

func replicas(t testing.TB) (map[string]*paxos.Replica, *quorum.System) {
	sys, err := quorum.Majority("a", "b", "c")
	require.NoError(t, err)
	rs := map[string]*paxos.Replica{}
	for _, id := range sys.Names() {
		rs[id], err = paxos.NewReplica(paxos.ReplicaConfig{ID: id, Quorums: sys, ElectionTicks: 1}, &paxos.MemoryLogStorage{})
		require.NoError(t, err)
	}
	return rs, sys
}

func deliver(t testing.TB, rs map[string]*paxos.Replica, queue []paxos.LogMessage, drop func(paxos.LogMessage) bool) {
	for len(queue) > 0 {
		m := queue[0]
		queue = queue[1:]
		if drop != nil && drop(m) {
			continue
		}
		out, err := rs[m.To].Step(m)
		require.NoError(t, err)
		queue = append(queue, out...)
	}
}

// TestMultiPaxosNoOpFill: "Paxos Made Simple", section 3: a new leader
// that finds a gap in the log (slots below the highest one reported by
// phase 1 where nothing was accepted) fills it with a no-op, and re-proposes
// the value reported for the other slots.
func TestMultiPaxosNoOpFill(t *testing.T) {
	rs, _ := replicas(t)
	out, err := rs["a"].Tick() // a is elected
	require.NoError(t, err)
	deliver(t, rs, out, nil)
	require.True(t, rs["a"].Leader())
	// a proposes three commands; only slot 2's accept reaches b, nothing
	// else leaves a.
	var queue []paxos.LogMessage
	for _, c := range []string{"x", "y", "z"} {
		o, err := rs["a"].Submit(paxos.Command{Op: c})
		require.NoError(t, err)
		queue = append(queue, o...)
	}
	for _, m := range queue {
		if m.Type == paxos.LogAccept && m.To == "b" && m.Entry.Slot == 2 {
			_, err := rs["b"].Step(m)
			require.NoError(t, err)
		}
	}
	// a is cut off; c takes over with b.
	out, err = rs["c"].Tick()
	require.NoError(t, err)
	deliver(t, rs, out, func(m paxos.LogMessage) bool { return m.To == "a" || m.From == "a" })
	require.True(t, rs["c"].Leader())
	log := rs["c"].Log()
	require.Len(t, log, 3)
	require.True(t, log[0].NoOp && log[1].NoOp, "the gap in slots 0 and 1 is filled with no-ops: %v", log)
	require.Equal(t, "z", log[2].String(), "slot 2's accepted value is kept")
}

// TestMultiPaxosCatchUp: a replica that missed decisions catches up from
// the leader's heartbeat.
func TestMultiPaxosCatchUp(t *testing.T) {
	rs, _ := replicas(t)
	out, err := rs["a"].Tick()
	require.NoError(t, err)
	deliver(t, rs, out, nil)
	out, err = rs["a"].Submit(paxos.Command{Op: "x"})
	require.NoError(t, err)
	deliver(t, rs, out, func(m paxos.LogMessage) bool { return m.To == "c" })
	require.Empty(t, rs["c"].Log())
	out, err = rs["a"].Tick() // heartbeat with commit 1
	require.NoError(t, err)
	deliver(t, rs, out, nil)
	require.Len(t, rs["c"].Log(), 1)
	require.Equal(t, "x", rs["c"].Log()[0].String())
}

// TestLogStateEncoding: the LogState round-trips; truncations are refused.
func TestLogStateEncoding(t *testing.T) {
	s := paxos.LogState{Promised: b(3, "a"), Round: 2, SnapshotSlot: 1, Snapshot: []byte{1, 2}, Entries: []paxos.Entry{
		{Slot: 1, Ballot: b(1, "a"), NoOp: true},
		{Slot: 4, Ballot: b(3, "a"), Commands: []paxos.Command{{Client: "c", Seq: 1, Op: "x"}, {Op: "y"}}}}}
	data, err := s.MarshalBinary()
	require.NoError(t, err)
	var got paxos.LogState
	require.NoError(t, got.UnmarshalBinary(data))
	require.Equal(t, s, got)
	for i := range data {
		require.ErrorIs(t, got.UnmarshalBinary(data[:i]), paxos.ErrCorrupt, "truncated at %d", i)
	}
}

// FuzzLogState: decoding never panics and is canonical.
func FuzzLogState(f *testing.F) {
	data, _ := paxos.LogState{Promised: b(3, "a"), Entries: []paxos.Entry{{Slot: 1, Ballot: b(1, "a"), Commands: []paxos.Command{{Op: "x"}}}}}.MarshalBinary()
	f.Add(data)
	data, _ = paxos.LogState{Promised: b(4, "b"), Round: 4, SnapshotSlot: 9, Snapshot: []byte("snap"),
		Entries: []paxos.Entry{{Slot: 9, Ballot: b(4, "b"), NoOp: true}}}.MarshalBinary()
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		var s paxos.LogState
		if s.UnmarshalBinary(data) != nil {
			return
		}
		again, err := s.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, data, again, "a decoded LogState must re-encode to its input")
	})
}

// Three replicas elect a, which decides two commands; every replica's log
// ends the same.
func ExampleReplica() {
	sys, err := quorum.Majority("a", "b", "c")
	if err != nil {
		fmt.Println(err)
		return
	}
	rs := map[string]*paxos.Replica{}
	for _, id := range sys.Names() {
		rs[id], err = paxos.NewReplica(paxos.ReplicaConfig{ID: id, Quorums: sys, ElectionTicks: 1}, &paxos.MemoryLogStorage{})
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	run := func(queue []paxos.LogMessage) error {
		for len(queue) > 0 {
			m := queue[0]
			queue = queue[1:]
			out, err := rs[m.To].Step(m)
			if err != nil {
				return err
			}
			queue = append(queue, out...)
		}
		return nil
	}
	out, err := rs["a"].Tick() // a's election timeout
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := run(out); err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range []string{"set x 1", "set y 2"} {
		out, err = rs["a"].Submit(paxos.Command{Op: c})
		if err != nil {
			fmt.Println(err)
			return
		}
		if err := run(out); err != nil {
			fmt.Println(err)
			return
		}
	}
	for _, id := range sys.Names() {
		fmt.Print(id, ":")
		for _, e := range rs[id].Log() {
			fmt.Printf(" [%d] %s", e.Slot, e)
		}
		fmt.Println()
	}
	// Output:
	// a: [0] set x 1 [1] set y 2
	// b: [0] set x 1 [1] set y 2
	// c: [0] set x 1 [1] set y 2
}

func ExampleReplicaConfig() {
	sys, err := quorum.Flexible([]string{"a", "b", "c", "d", "e"}, 4, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = paxos.NewReplica(paxos.ReplicaConfig{ID: "a", Quorums: sys}, &paxos.MemoryLogStorage{})
	fmt.Println(err)
	_, err = paxos.NewReplica(paxos.ReplicaConfig{ID: "z", Quorums: sys}, &paxos.MemoryLogStorage{})
	fmt.Println(err != nil)
	// Output:
	// <nil>
	// true
}

func ExampleEntry() {
	m := paxos.LogMessage{Type: paxos.LogDecide, Entry: paxos.Entry{Slot: 3, NoOp: true}}
	fmt.Println(m)
	// Output: decide [3]=no-op
}

func ExampleLogMessage() {
	m := paxos.LogMessage{Type: paxos.LogAccept, Ballot: paxos.Ballot{Round: 2, Node: "a"}, Entry: paxos.Entry{Slot: 0, Commands: []paxos.Command{{Op: "x"}}}}
	fmt.Println(m)
	// Output: accept 2.a [0]=x
}

func ExampleLogMsgType() {
	fmt.Println(paxos.LogMessage{Type: paxos.LogCatchUp, Commit: 5})
	// Output: catch-up from 5
}

func ExampleLogState() {
	s := paxos.LogState{Promised: paxos.Ballot{Round: 1, Node: "a"}, Entries: []paxos.Entry{{Slot: 0, Commands: []paxos.Command{{Op: "x"}}}}}
	data, err := s.MarshalBinary()
	if err != nil {
		fmt.Println(err)
		return
	}
	var t paxos.LogState
	fmt.Println(t.UnmarshalBinary(data), len(t.Entries))
	// Output: <nil> 1
}

func ExampleMemoryLogStorage() {
	st := &paxos.MemoryLogStorage{}
	if err := st.SetHardState(paxos.Ballot{Round: 7, Node: "a"}, 7); err != nil {
		fmt.Println(err)
		return
	}
	if err := st.PutEntry(paxos.Entry{Slot: 0, Ballot: paxos.Ballot{Round: 7, Node: "a"}, NoOp: true}); err != nil {
		fmt.Println(err)
		return
	}
	s, err := st.Load()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Promised, s.Round, len(s.Entries), st.Writes())
	// Output: 7.a 7 1 2
}

// Any LogStorage will do: here the in-memory one, shared by a replica and
// its restart.
func ExampleLogStorage() {
	sys, err := quorum.Majority("a", "b", "c")
	if err != nil {
		fmt.Println(err)
		return
	}
	var st paxos.LogStorage = &paxos.MemoryLogStorage{}
	r, err := paxos.NewReplica(paxos.ReplicaConfig{ID: "a", Quorums: sys, ElectionTicks: 1}, st)
	if err != nil {
		fmt.Println(err)
		return
	}
	// a starts an election: round 1 is saved before the prepares leave
	if _, err := r.Tick(); err != nil {
		fmt.Println(err)
		return
	}
	s, err := st.Load()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Round, s.Promised)
	// Output: 1 1.a
}

// ExampleStorage: a node's proposer round is saved before its prepares.
func ExampleStorage() {
	sys, err := quorum.Majority("a", "b", "c")
	if err != nil {
		fmt.Println(err)
		return
	}
	var st paxos.Storage = &paxos.MemoryStorage{}
	n, err := paxos.New(paxos.Config{ID: "p", Quorums: sys}, st)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := n.Propose("x")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := st.Load()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(out), s.Round)
	// Output: 3 1
}
