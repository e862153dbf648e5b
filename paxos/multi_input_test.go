package paxos_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkDurable fails if a message returned by a replica reports a promise,
// acceptance or round its storage does not hold yet (the durability
// contract; "Paxos Made Simple", section 2.3: an acceptor must remember
// what it promised and accepted across a crash).
func checkDurable(t *testing.T, c *mpCluster, out []paxos.LogMessage) {
	t.Helper()
	for _, m := range out {
		st, err := c.st[m.From].Load()
		require.NoError(t, err)
		stored := func(slot uint64) (paxos.Ballot, bool) {
			for _, e := range st.Entries {
				if e.Slot == slot {
					return e.Ballot, true
				}
			}
			return paxos.Ballot{}, false
		}
		_, decided := c.rs[m.From].Decided(m.Entry.Slot)
		covered := decided || m.Entry.Slot < st.SnapshotSlot
		switch m.Type {
		case paxos.LogPromise:
			require.False(t, st.Promised.Less(m.Ballot), "%s sent %v before saving the promise (%v)", m.From, m, st.Promised)
		case paxos.LogAccepted:
			require.False(t, st.Promised.Less(m.Ballot), "%s sent %v before saving the promise (%v)", m.From, m, st.Promised)
			b, ok := stored(m.Entry.Slot)
			require.True(t, covered || ok && b == m.Ballot, "%s sent %v before saving the acceptance", m.From, m)
		case paxos.LogPrepare:
			require.GreaterOrEqual(t, st.Round, m.Ballot.Round, "%s sent %v before saving its round", m.From, m)
		case paxos.LogAccept:
			b, ok := stored(m.Entry.Slot)
			require.True(t, covered || ok && b == m.Ballot, "leader %s sent %v before accepting it itself", m.From, m)
		}
	}
}

// TestReplicaDurability drives three replicas through random schedules
// (lost messages, ticks at random replicas, crashes and restarts from
// storage) and checks after every call that nothing returned reports
// unsaved state, that no slot is decided with two entries (agreement,
// "Paxos Made Simple", section 2.1), and that writes are incremental: one
// write per acceptance, never the whole log.
func TestReplicaDurability(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		rng := rand.New(rand.NewPCG(seed, 0))
		c := mp3(t, func(cfg *paxos.ReplicaConfig) {
			cfg.ElectionTicks, cfg.Seed, cfg.MaxBatch, cfg.Window = 3, seed, 2, 4
			cfg.SnapshotEvery = uint64(seed % 3 * 3)
		})
		ids := []string{"a", "b", "c"}
		chosen := map[uint64]string{}
		n := 0
		for step := 0; step < 600; step++ {
			id := ids[rng.IntN(3)]
			switch x := rng.IntN(100); {
			case x < 10:
				c.tick(id)
			case x < 20:
				n++
				c.submit(id, mpCmd("k", uint64(n), fmt.Sprint(n)))
			case x < 22:
				c.crash(id)
				c.queue = dropTo(c.queue, id)
				c.restart(id)
			default:
				if len(c.queue) == 0 {
					continue
				}
				i := rng.IntN(len(c.queue))
				m := c.queue[i]
				c.queue = append(c.queue[:i], c.queue[i+1:]...)
				if rng.IntN(10) == 0 {
					continue // lost
				}
				out, err := c.rs[m.To].Step(m)
				require.NoError(t, err)
				checkDurable(t, c, out)
				c.emit(m.To, out, err)
			}
			for _, id := range ids {
				r := c.rs[id]
				for s := r.Compacted(); s < r.Applied(); s++ {
					e, _ := r.Decided(s)
					if old, ok := chosen[s]; ok && old != e.String() {
						t.Fatalf("agreement: slot %d decided %q at %s but %q before (seed %d)", s, e, id, old, seed)
					}
					chosen[s] = e.String()
				}
			}
		}
		for _, id := range ids {
			st, _ := c.st[id].Load()
			assert.LessOrEqual(t, c.st[id].Writes(), 3*(len(st.Entries)+int(c.rs[id].Applied())+int(c.rs[id].Stats().Elections)+10)+50,
				"%s: writes are per acceptance, not per log (seed %d)", id, seed)
		}
	}
}

func dropTo(q []paxos.LogMessage, id string) []paxos.LogMessage {
	var out []paxos.LogMessage
	for _, m := range q {
		if m.To != id {
			out = append(out, m)
		}
	}
	return out
}

// failing is a LogStorage whose writes fail once fail is set.
type failing struct {
	paxos.MemoryLogStorage
	fail bool
}

var errDiskFull = errors.New("disk full")

func (f *failing) SetHardState(b paxos.Ballot, r uint64) error {
	if f.fail {
		return errDiskFull
	}
	return f.MemoryLogStorage.SetHardState(b, r)
}

func (f *failing) PutEntry(e paxos.Entry) error {
	if f.fail {
		return errDiskFull
	}
	return f.MemoryLogStorage.PutEntry(e)
}

// TestReplicaStorageFailure: when a write fails, the call returns an
// error wrapping ErrStorage and no message that depends on it.
func TestReplicaStorageFailure(t *testing.T) {
	c := mp3(t, nil)
	st := &failing{}
	b, err := paxos.NewReplica(paxos.ReplicaConfig{ID: "b", Quorums: c.sys}, st)
	require.NoError(t, err)
	st.fail = true
	before := b.AppendState(nil)
	out, err := b.Step(paxos.LogMessage{Type: paxos.LogAccept, From: "a", To: "b", Ballot: paxos.Ballot{Round: 1, Node: "a"},
		Entry: paxos.Entry{Slot: 0, Commands: []paxos.Command{{Op: "x"}}}})
	require.ErrorIs(t, err, paxos.ErrStorage)
	require.ErrorIs(t, err, errDiskFull)
	require.Empty(t, out)
	_, err = b.Step(paxos.LogMessage{Type: paxos.LogPrepare, From: "a", To: "b", Ballot: paxos.Ballot{Round: 1, Node: "a"}})
	require.ErrorIs(t, err, paxos.ErrStorage)
	assert.Equal(t, before, b.AppendState(nil), "a failed write changes nothing")
}

// TestReplicaBadInput: malformed or unexpected messages (unknown sender,
// misaddressed, unknown type, a ballot not the sender's, no-ops with
// commands, slots out of range, stale ballots, duplicates, a corrupt
// snapshot) never panic or corrupt state: they return an error, or are
// dropped and counted, or answered with a Nack.
func TestReplicaBadInput(t *testing.T) {
	c := mp3(t, func(cfg *paxos.ReplicaConfig) { cfg.SnapshotEvery = 2 })
	c.elect("c")
	c.elect("a")
	c.submit("a", mpCmd("k", 1, "x"), mpCmd("k", 2, "y"), mpCmd("k", 3, "z"))
	c.run(nil)
	b := c.rs["b"]
	require.Equal(t, uint64(2), b.Compacted())
	ba, stale := paxos.Ballot{Round: 2, Node: "a"}, paxos.Ballot{Round: 1, Node: "c"}
	x := []paxos.Command{{Op: "x"}}
	for _, tc := range []struct {
		name    string
		m       paxos.LogMessage
		err     error // nil: no error
		dropped bool  // counted in Dropped
		nack    bool  // answered with a Nack
		changes bool  // may change b's state
	}{
		{"unknown sender", paxos.LogMessage{Type: paxos.LogAccept, From: "z", To: "b", Ballot: paxos.Ballot{Round: 9, Node: "z"}}, paxos.ErrUnknownNode, true, false, false},
		{"misaddressed", paxos.LogMessage{Type: paxos.LogHeartbeat, From: "a", To: "c", Ballot: ba}, paxos.ErrUnknownNode, true, false, false},
		{"unknown type", paxos.LogMessage{Type: 99, From: "a", To: "b"}, paxos.ErrBadMessage, true, false, false},
		{"ballot not the sender's", paxos.LogMessage{Type: paxos.LogPrepare, From: "c", To: "b", Ballot: paxos.Ballot{Round: 9, Node: "a"}}, paxos.ErrBadMessage, true, false, false},
		{"zero ballot", paxos.LogMessage{Type: paxos.LogAccept, From: "a", To: "b"}, paxos.ErrBadMessage, true, false, false},
		{"no-op with commands", paxos.LogMessage{Type: paxos.LogAccept, From: "a", To: "b", Ballot: ba, Entry: paxos.Entry{Slot: 3, NoOp: true, Commands: x}}, paxos.ErrBadMessage, true, false, false},
		{"absurd slot", paxos.LogMessage{Type: paxos.LogAccept, From: "a", To: "b", Ballot: ba, Entry: paxos.Entry{Slot: 1 << 63, Commands: x}}, paxos.ErrBadMessage, true, false, false},
		{"absurd decide", paxos.LogMessage{Type: paxos.LogDecide, From: "c", To: "b", Entries: []paxos.Entry{{Slot: 1 << 63, Ballot: ba}}}, paxos.ErrBadMessage, true, false, false},
		{"slot too far ahead", paxos.LogMessage{Type: paxos.LogAccept, From: "a", To: "b", Ballot: ba, Entry: paxos.Entry{Slot: 1 << 40, Commands: x}}, nil, true, false, false},
		{"decision too far ahead", paxos.LogMessage{Type: paxos.LogDecide, From: "c", To: "b", Entries: []paxos.Entry{{Slot: 1 << 40, Ballot: ba}}}, nil, true, false, false},
		{"slot below compaction", paxos.LogMessage{Type: paxos.LogAccept, From: "a", To: "b", Ballot: ba, Entry: paxos.Entry{Slot: 0, Commands: x}}, nil, false, true, false},
		{"stale accept", paxos.LogMessage{Type: paxos.LogAccept, From: "c", To: "b", Ballot: stale, Entry: paxos.Entry{Slot: 3, Commands: x}}, nil, false, true, false},
		{"stale prepare", paxos.LogMessage{Type: paxos.LogPrepare, From: "c", To: "b", Ballot: stale}, nil, false, true, false},
		{"stale heartbeat", paxos.LogMessage{Type: paxos.LogHeartbeat, From: "c", To: "b", Ballot: stale, Commit: 99}, nil, false, true, false},
		{"promise to a follower", paxos.LogMessage{Type: paxos.LogPromise, From: "c", To: "b", Ballot: ba}, nil, true, false, false},
		{"accepted to a follower", paxos.LogMessage{Type: paxos.LogAccepted, From: "c", To: "b", Ballot: ba, Entry: paxos.Entry{Slot: 2}}, nil, true, false, false},
		{"nack to a follower", paxos.LogMessage{Type: paxos.LogNack, From: "c", To: "b", Ballot: ba, Highest: ba}, nil, true, false, false},
		{"old decision", paxos.LogMessage{Type: paxos.LogDecide, From: "c", To: "b", Entries: []paxos.Entry{{Slot: 1, Ballot: ba, Commands: x}}}, nil, true, false, false},
		{"old snapshot", paxos.LogMessage{Type: paxos.LogSnapshot, From: "c", To: "b", SnapshotSlot: 1, Snapshot: []byte{1, 0, 0}}, nil, true, false, false},
		{"corrupt snapshot", paxos.LogMessage{Type: paxos.LogSnapshot, From: "c", To: "b", SnapshotSlot: 50, Snapshot: []byte{7, 7}}, paxos.ErrBadMessage, true, false, false},
		{"duplicate accept", paxos.LogMessage{Type: paxos.LogAccept, From: "a", To: "b", Ballot: ba, Entry: paxos.Entry{Slot: 2, Commands: []paxos.Command{{Client: "k", Seq: 3, Op: "z"}}}}, nil, false, false, true},
	} {
		before, stats := b.AppendState(nil), b.Stats()
		out, err := b.Step(tc.m)
		if tc.err != nil {
			require.ErrorIs(t, err, tc.err, tc.name)
			require.Empty(t, out, tc.name)
		} else {
			require.NoError(t, err, tc.name)
		}
		assert.Equal(t, tc.dropped, b.Stats().Dropped > stats.Dropped, "%s: counted as dropped", tc.name)
		assert.Equal(t, tc.nack, b.Stats().Nacks > stats.Nacks, "%s: nacked", tc.name)
		if tc.nack {
			require.Len(t, out, 1, tc.name)
			assert.Equal(t, paxos.LogNack, out[0].Type, tc.name)
		}
		if !tc.changes {
			assert.Equal(t, before, b.AppendState(nil), "%s must not change the replica", tc.name)
		}
	}
	assert.Equal(t, c.sm["a"].ops, c.sm["b"].ops, "b's state machine is intact")
	assert.Equal(t, uint64(3), b.Applied())
}

// TestReplicaProposeFailure: a leader whose write of its own acceptance
// fails proposes nothing (ErrStorage, no accept sent), keeps the command
// queued and leaves no gap: once the disk recovers, the command goes in
// the slot it would have had.
func TestReplicaProposeFailure(t *testing.T) {
	c := mp3(t, nil)
	st := &failing{}
	c.st["a"] = nil
	a, err := paxos.NewReplica(paxos.ReplicaConfig{ID: "a", Quorums: c.sys, ElectionTicks: 1}, st)
	require.NoError(t, err)
	c.rs["a"] = a
	c.elect("a")
	st.fail = true
	out, err := a.Submit(mpCmd("k", 1, "x"))
	require.ErrorIs(t, err, paxos.ErrStorage)
	require.Empty(t, out, "nothing is sent for an acceptance not written")
	st.fail = false
	c.submit("a", mpCmd("k", 2, "y"))
	c.run(nil)
	assert.Equal(t, []int{2}, mpBatches(c.rs["b"]), "both commands in slot 0, no gap")
	assert.Equal(t, []string{"k#1:x", "k#2:y"}, c.sm["b"].ops)
}
