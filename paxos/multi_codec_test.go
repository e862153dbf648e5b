package paxos_test

import (
	"testing"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func sampleLogMessages() []paxos.LogMessage {
	ba := paxos.Ballot{Round: 3, Node: "a"}
	e := paxos.Entry{Slot: 300, Ballot: ba, Commands: []paxos.Command{{Client: "k", Seq: 1 << 40, Op: "set x 1"}, {Op: "anon"}}}
	return []paxos.LogMessage{
		{Type: paxos.LogPrepare, From: "a", To: "b", Ballot: ba, Commit: 7},
		{Type: paxos.LogPromise, From: "b", To: "a", Ballot: ba, Entries: []paxos.Entry{e, {Slot: 301, Ballot: ba, NoOp: true}}, Snapshot: []byte{1, 2, 3}, SnapshotSlot: 9},
		{Type: paxos.LogAccept, From: "a", To: "b", Ballot: ba, Entry: e, Commit: 299},
		{Type: paxos.LogAccepted, From: "b", To: "a", Ballot: ba, Entry: paxos.Entry{Slot: 300}},
		{Type: paxos.LogNack, From: "b", To: "a", Ballot: ba, Highest: paxos.Ballot{Round: 4, Node: "c"}, Commit: 12},
		{Type: paxos.LogDecide, From: "a", To: "c", Entries: []paxos.Entry{e}},
		{Type: paxos.LogHeartbeat, From: "a", To: "c", Ballot: ba, Commit: 301},
		{Type: paxos.LogCatchUp, From: "c", To: "a", Commit: 5},
		{Type: paxos.LogForward, From: "c", To: "a", Command: paxos.Command{Client: "k", Seq: 2, Op: "inc"}},
		{Type: paxos.LogSnapshot, From: "a", To: "c", Snapshot: []byte("state"), SnapshotSlot: 8},
		{Type: paxos.LogCommit, From: "a", To: "b", Ballot: ba, Commit: 301},
	}
}

// TestLogMessageEncoding: every message type round-trips, Size is the
// encoded length, and truncated, trailing, non-canonical, unknown or
// malformed input is refused with ErrCorrupt.
func TestLogMessageEncoding(t *testing.T) {
	for _, m := range sampleLogMessages() {
		data, err := m.MarshalBinary()
		require.NoError(t, err)
		assert.Equal(t, len(data), m.Size(), "%v: Size is the encoded length", m)
		var got paxos.LogMessage
		require.NoError(t, got.UnmarshalBinary(data), "%v", m)
		assert.Equal(t, m, got, "%v round-trips", m)
		for i := range data {
			require.ErrorIs(t, got.UnmarshalBinary(data[:i]), paxos.ErrCorrupt, "%v truncated at %d", m, i)
		}
		require.ErrorIs(t, got.UnmarshalBinary(append(data, 0)), paxos.ErrCorrupt, "%v with a trailing byte", m)
		assert.Equal(t, m, got, "a failed decode leaves the message unchanged")
	}
	good, _ := paxos.LogMessage{Type: paxos.LogCatchUp, From: "c", To: "a", Commit: 5}.MarshalBinary()
	for name, data := range map[string][]byte{
		"version":            append([]byte{9}, good[1:]...),
		"type 0":             append([]byte{good[0], 0}, good[2:]...),
		"type 12":            append([]byte{good[0], 12}, good[2:]...),
		"non-minimal varint": {1, 8, 0x81, 0x00, 'c'},
		"no-op with command": noOpWithCommand(t),
		"huge entry count":   {1, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
	} {
		var m paxos.LogMessage
		assert.ErrorIs(t, m.UnmarshalBinary(data), paxos.ErrCorrupt, name)
	}
}

// noOpWithCommand encodes an accept of a no-op, then gives the no-op an
// empty command.
func noOpWithCommand(t *testing.T) []byte {
	data, err := paxos.LogMessage{Type: paxos.LogAccept, Entry: paxos.Entry{NoOp: true}}.MarshalBinary()
	require.NoError(t, err)
	// version, type, from "", to "", ballot (0, ""), entry: slot 0, ballot
	// (0, ""), no-op flag 1, command count 0.
	require.Equal(t, []byte{1, byte(paxos.LogAccept), 0, 0, 0, 0, 0, 0, 0, 1, 0}, data[:11])
	return append(append(data[:10:10], 1, 0, 0, 0), data[11:]...)
}

// TestEntryEncoding: entries round-trip and are strict.
func TestEntryEncoding(t *testing.T) {
	e := sampleLogMessages()[2].Entry
	data, err := e.MarshalBinary()
	require.NoError(t, err)
	var got paxos.Entry
	require.NoError(t, got.UnmarshalBinary(data))
	assert.Equal(t, e, got)
	for i := range data {
		require.ErrorIs(t, got.UnmarshalBinary(data[:i]), paxos.ErrCorrupt, "truncated at %d", i)
	}
}

// FuzzLogMessage: decoding never panics, a decoded message re-encodes to
// its input (the encoding is canonical), and Size is its length.
func FuzzLogMessage(f *testing.F) {
	for _, m := range sampleLogMessages() {
		data, _ := m.MarshalBinary()
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m paxos.LogMessage
		if m.UnmarshalBinary(data) != nil {
			return
		}
		again, err := m.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, data, again, "a decoded LogMessage must re-encode to its input")
		require.Equal(t, len(data), m.Size(), "Size must be the encoded length")
	})
}

// FuzzEntry: decoding never panics and is canonical.
func FuzzEntry(f *testing.F) {
	data, _ := sampleLogMessages()[2].Entry.MarshalBinary()
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		var e paxos.Entry
		if e.UnmarshalBinary(data) != nil {
			return
		}
		again, err := e.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, data, again, "a decoded Entry must re-encode to its input")
	})
}

// FuzzReplicaStep feeds decoded messages (any that decode, addressed to b
// from anyone) to a replica with a snapshot and a log: it must never
// panic, and an error must leave its state unchanged.
func FuzzReplicaStep(f *testing.F) {
	for _, m := range sampleLogMessages() {
		m.To = "b"
		data, _ := m.MarshalBinary()
		f.Add(data)
	}
	sys, err := quorum.Majority("a", "b", "c")
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, data []byte) {
		c := newMPCluster(t, sys, func(cfg *paxos.ReplicaConfig) { cfg.SnapshotEvery = 2 })
		c.elect("a")
		c.submit("a", mpCmd("k", 1, "x"), mpCmd("k", 2, "y"), mpCmd("k", 3, "z"))
		c.run(nil)
		var m paxos.LogMessage
		if m.UnmarshalBinary(data) != nil {
			return
		}
		before := c.rs["b"].AppendState(nil)
		if _, err := c.rs["b"].Step(m); err != nil {
			require.Equal(t, before, c.rs["b"].AppendState(nil), "a refused message must not change the replica")
		}
	})
}

// TestLogMessageRoundTrip: any well-formed message (drawn by rapid)
// decodes to itself after encoding, in exactly Size bytes.
func TestLogMessageRoundTrip(t *testing.T) {
	str := rapid.SampledFrom([]string{"", "a", "node-7", "x y z"})
	ballot := rapid.Custom(func(t *rapid.T) paxos.Ballot {
		r := rapid.Uint64Range(0, 1<<40).Draw(t, "round")
		if r == 0 {
			return paxos.Ballot{}
		}
		return paxos.Ballot{Round: r, Node: rapid.SampledFrom([]string{"a", "b"}).Draw(t, "node")}
	})
	command := rapid.Custom(func(t *rapid.T) paxos.Command {
		return paxos.Command{Client: str.Draw(t, "client"), Seq: rapid.Uint64().Draw(t, "seq"), Op: str.Draw(t, "op")}
	})
	entry := rapid.Custom(func(t *rapid.T) paxos.Entry {
		e := paxos.Entry{Slot: rapid.Uint64().Draw(t, "slot"), Ballot: ballot.Draw(t, "ballot"), NoOp: rapid.Bool().Draw(t, "noop")}
		if !e.NoOp {
			if cs := rapid.SliceOfN(command, 0, 4).Draw(t, "commands"); len(cs) > 0 {
				e.Commands = cs
			}
		}
		return e
	})
	rapid.Check(t, func(t *rapid.T) {
		m := paxos.LogMessage{
			Type: paxos.LogMsgType(rapid.IntRange(1, 11).Draw(t, "type")), From: str.Draw(t, "from"), To: str.Draw(t, "to"),
			Ballot: ballot.Draw(t, "ballot"), Entry: entry.Draw(t, "entry"), Highest: ballot.Draw(t, "highest"),
			Commit: rapid.Uint64().Draw(t, "commit"), Command: command.Draw(t, "command"), SnapshotSlot: rapid.Uint64().Draw(t, "snapslot"),
		}
		if es := rapid.SliceOfN(entry, 0, 3).Draw(t, "entries"); len(es) > 0 {
			m.Entries = es
		}
		if b := rapid.SliceOfN(rapid.Byte(), 0, 8).Draw(t, "snapshot"); len(b) > 0 {
			m.Snapshot = b
		}
		data, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if len(data) != m.Size() {
			t.Fatalf("Size must be the encoded length: %d, encoded %d", m.Size(), len(data))
		}
		var got paxos.LogMessage
		if err := got.UnmarshalBinary(data); err != nil {
			t.Fatalf("an encoded message must decode: %v", err)
		}
		if !assert.ObjectsAreEqual(m, got) {
			t.Fatalf("decode(encode(m)) must be m: %#v, got %#v", m, got)
		}
	})
}
