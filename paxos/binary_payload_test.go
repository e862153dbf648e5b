package paxos_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// This file checks that a Command's Op and a StateMachine's result are
// byte strings: any bytes (zero bytes, invalid UTF-8, every byte value)
// travel through the replica, the binary encodings, the snapshots and the
// client sessions unchanged.

// nastyOps are byte strings a text-only path would damage.
var nastyOps = []string{
	"",
	"\x00",
	"\x00\x00\x00",
	"\xff\xfe\xfd",
	"\xc3\x28",         // an invalid two-byte UTF-8 sequence
	"\xed\xa0\x80",     // a UTF-16 surrogate, invalid in UTF-8
	"a\nb,c#1:d\x00\r", // the separators of String and of line-based snapshots
	allBytes(),
}

func allBytes() string {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return string(b)
}

// byteSM is a StateMachine over binary ops: it records every command it
// applies, reads each op through OpBytes, and returns a binary result (the
// op reversed, then 0xff and 0x00). Its snapshot is a length-prefixed
// encoding of the record.
type byteSM struct{ applied []paxos.Command }

func byteResult(op []byte) string {
	r := make([]byte, len(op), len(op)+2)
	for i, b := range op {
		r[len(op)-1-i] = b
	}
	return string(append(r, 0xff, 0x00))
}

func (s *byteSM) Apply(c paxos.Command) string {
	s.applied = append(s.applied, c)
	return byteResult(c.OpBytes())
}

func (s *byteSM) Snapshot() ([]byte, error) {
	var b []byte
	for _, c := range s.applied {
		b = binary.AppendUvarint(b, uint64(len(c.Client)))
		b = append(b, c.Client...)
		b = binary.AppendUvarint(b, c.Seq)
		b = binary.AppendUvarint(b, uint64(len(c.Op)))
		b = append(b, c.Op...)
	}
	return b, nil
}

func (s *byteSM) Restore(b []byte) error {
	var out []paxos.Command
	next := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	str := func() (string, bool) {
		n, ok := next()
		if !ok || n > uint64(len(b)) {
			return "", false
		}
		s := string(b[:n])
		b = b[n:]
		return s, true
	}
	for len(b) > 0 {
		client, ok1 := str()
		seq, ok2 := next()
		op, ok3 := str()
		if !ok1 || !ok2 || !ok3 {
			return errors.New("byteSM: corrupt snapshot")
		}
		out = append(out, paxos.Command{Client: client, Seq: seq, Op: op})
	}
	s.applied = out
	return nil
}

// encodedStorage is a MemoryLogStorage whose Load goes through LogState's
// binary encoding, so that a restarted replica reads its log and snapshot
// back from bytes.
type encodedStorage struct{ *paxos.MemoryLogStorage }

func (s encodedStorage) Load() (paxos.LogState, error) {
	st, err := s.MemoryLogStorage.Load()
	if err != nil {
		return st, err
	}
	b, err := st.MarshalBinary()
	if err != nil {
		return st, err
	}
	var back paxos.LogState
	if err := back.UnmarshalBinary(b); err != nil {
		return st, err
	}
	if !bytes.Equal(back.Snapshot, st.Snapshot) || len(back.Entries) != len(st.Entries) {
		return st, fmt.Errorf("the log state changed through its encoding")
	}
	for i := range st.Entries {
		if !slices.Equal(back.Entries[i].Commands, st.Entries[i].Commands) {
			return st, fmt.Errorf("entry %d's commands changed through the log state's encoding", st.Entries[i].Slot)
		}
	}
	return back, nil
}

// wireCluster is three replicas whose every message crosses the network
// as bytes: encoded with MarshalBinary and decoded with UnmarshalBinary
// before it is delivered.
type wireCluster struct {
	t     require.TestingT
	cfg   func(id string) paxos.ReplicaConfig
	rs    map[string]*paxos.Replica
	st    map[string]*paxos.MemoryLogStorage
	sm    map[string]*byteSM
	down  map[string]bool
	queue []paxos.LogMessage
}

func newWireCluster(t require.TestingT, snapshotEvery uint64) *wireCluster {
	sys, err := quorum.Majority("a", "b", "c")
	require.NoError(t, err)
	c := &wireCluster{t: t, rs: map[string]*paxos.Replica{}, st: map[string]*paxos.MemoryLogStorage{},
		sm: map[string]*byteSM{}, down: map[string]bool{}}
	c.cfg = func(id string) paxos.ReplicaConfig {
		return paxos.ReplicaConfig{ID: id, Quorums: sys, ElectionTicks: 1, MaxBatch: 3, SnapshotEvery: snapshotEvery}
	}
	for _, id := range sys.Names() {
		c.st[id] = &paxos.MemoryLogStorage{}
		c.start(id)
	}
	return c
}

// start (re)starts id from its storage, with a fresh state machine.
func (c *wireCluster) start(id string) {
	cfg := c.cfg(id)
	c.sm[id] = &byteSM{}
	cfg.StateMachine = c.sm[id]
	r, err := paxos.NewReplica(cfg, encodedStorage{c.st[id]})
	require.NoError(c.t, err)
	c.rs[id], c.down[id] = r, false
}

// send puts out on the wire: each message is encoded and decoded, and
// what arrives must carry the very commands that left.
func (c *wireCluster) send(out []paxos.LogMessage, err error) {
	require.NoError(c.t, err)
	for _, m := range out {
		b, err := m.MarshalBinary()
		require.NoError(c.t, err)
		var back paxos.LogMessage
		require.NoError(c.t, back.UnmarshalBinary(b), "a replica's message must decode")
		require.Equal(c.t, m.Command, back.Command, "a %v's command changed on the wire", m.Type)
		require.True(c.t, slices.Equal(m.Entry.Commands, back.Entry.Commands), "a %v's entry changed on the wire", m.Type)
		require.Equal(c.t, len(m.Entries), len(back.Entries))
		for i := range m.Entries {
			require.True(c.t, slices.Equal(m.Entries[i].Commands, back.Entries[i].Commands), "a %v's entries changed on the wire", m.Type)
		}
		require.True(c.t, bytes.Equal(m.Snapshot, back.Snapshot), "a %v's snapshot changed on the wire", m.Type)
		c.queue = append(c.queue, back)
	}
}

func (c *wireCluster) run() {
	for len(c.queue) > 0 {
		m := c.queue[0]
		c.queue = c.queue[1:]
		if c.down[m.To] || c.down[m.From] {
			continue
		}
		c.send(c.rs[m.To].Step(m))
	}
}

func (c *wireCluster) tick(id string) {
	c.send(c.rs[id].Tick())
	c.run()
}

// TestBinaryPayloadsRoundTrip: commands whose ops (and clients) are
// arbitrary bytes, submitted to the leader and to followers, retried, and
// carried by every message through its binary encoding, are applied once
// each, in order, with their bytes intact, on every replica, including
// one that crashed, restarted from its encoded log state and caught up
// from a snapshot; and each client's session reports the binary result of
// its last command.
func TestBinaryPayloadsRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := newWireCluster(t, rapid.Uint64Range(1, 4).Draw(t, "snapshotEvery"))
		for i := 0; i < 5 && !c.rs["a"].Leader(); i++ {
			c.tick("a")
		}
		require.True(t, c.rs["a"].Leader(), "a is elected")

		clients := []string{"", "k", "c\x00", "\xff\xfe", "\xc3\x28"}
		opGen := rapid.OneOf(rapid.SampledFrom(nastyOps), rapid.String(),
			rapid.Custom(func(t *rapid.T) string { return string(rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(t, "bytes")) }))
		n := rapid.IntRange(1, 24).Draw(t, "commands")
		crashAt := rapid.IntRange(0, n).Draw(t, "crashAt")
		restartAt := rapid.IntRange(crashAt, n).Draw(t, "restartAt")
		seqs := map[string]uint64{}
		var want []paxos.Command
		last := map[string]paxos.Command{}
		for i := 0; i < n; i++ {
			if i == crashAt {
				c.down["c"] = true
			}
			if i == restartAt && c.down["c"] {
				c.start("c")
			}
			client := rapid.SampledFrom(clients).Draw(t, "client")
			cmd := paxos.Command{Client: client, Op: opGen.Draw(t, "op")}
			retry := false
			if client != "" {
				if p, ok := last[client]; ok && rapid.IntRange(0, 3).Draw(t, "retry") == 0 {
					cmd, retry = p, true // the same (Client, Seq): applied once
				} else {
					seqs[client]++
					cmd.Seq = seqs[client]
				}
			}
			to := "a"
			if client != "" { // a session-less command goes to the leader: a forward may apply it twice
				to = rapid.SampledFrom([]string{"a", "b"}).Draw(t, "to")
			}
			c.send(c.rs[to].Submit(cmd))
			c.run()
			if !retry {
				want = append(want, cmd)
				if client != "" {
					last[client] = cmd
				}
			}
		}
		if c.down["c"] {
			c.start("c")
		}
		for i := 0; i < 20 && c.rs["c"].Applied() < c.rs["a"].Applied(); i++ {
			c.tick("a")
		}
		for _, id := range []string{"a", "b", "c"} {
			require.Equal(t, want, c.sm[id].applied, "replica %s applied other commands, or other bytes", id)
			for client, cmd := range last {
				seq, result, ok := c.rs[id].Session(client)
				require.True(t, ok, "replica %s has a session for %q", id, client)
				require.Equal(t, cmd.Seq, seq, "replica %s: the session of %q", id, client)
				require.Equal(t, byteResult([]byte(cmd.Op)), result, "replica %s: the result of %q's last command", id, client)
			}
		}
		// The restarted replica's sessions came from a snapshot or from
		// the log: either way a retry of any command is a duplicate.
		for _, cmd := range last {
			before := c.rs["c"].Stats().Duplicates
			c.send(c.rs["c"].Submit(cmd))
			require.Equal(t, before+1, c.rs["c"].Stats().Duplicates, "a retry of %v is recognised after the restart", cmd)
		}
	})
}

// TestBinaryOpEncodings: each nasty op, in a command with a binary client,
// survives Entry's, LogMessage's and LogState's encodings byte for byte.
func TestBinaryOpEncodings(t *testing.T) {
	for _, op := range nastyOps {
		cmd := paxos.Command{Client: "\x00c\xff", Seq: 7, Op: op}
		e := paxos.Entry{Slot: 3, Ballot: paxos.Ballot{Round: 2, Node: "a"}, Commands: []paxos.Command{cmd, {Op: op}}}

		b, err := e.MarshalBinary()
		require.NoError(t, err)
		var e2 paxos.Entry
		require.NoError(t, e2.UnmarshalBinary(b))
		require.Equal(t, e, e2, "the entry of op %q changed through its encoding", op)

		m := paxos.LogMessage{Type: paxos.LogForward, From: "b", To: "a", Command: cmd, Entries: []paxos.Entry{e}}
		b, err = m.MarshalBinary()
		require.NoError(t, err)
		require.Len(t, b, m.Size())
		var m2 paxos.LogMessage
		require.NoError(t, m2.UnmarshalBinary(b))
		require.Equal(t, cmd, m2.Command, "the forwarded op %q changed through its encoding", op)
		require.Equal(t, e, m2.Entries[0])

		s := paxos.LogState{Round: 1, Entries: []paxos.Entry{e}}
		b, err = s.MarshalBinary()
		require.NoError(t, err)
		var s2 paxos.LogState
		require.NoError(t, s2.UnmarshalBinary(b))
		require.Equal(t, s, s2, "the log state of op %q changed through its encoding", op)
	}
}

// TestOpBytes: OpBytes is the op's bytes, without an allocation.
func TestOpBytes(t *testing.T) {
	for _, op := range nastyOps {
		c := paxos.Command{Op: op}
		require.Equal(t, []byte(op), append([]byte{}, c.OpBytes()...))
		require.Len(t, c.OpBytes(), len(op))
	}
	c := paxos.Command{Op: strings.Repeat("\x00\xff", 4096)}
	var sink byte
	allocs := testing.AllocsPerRun(100, func() { p := c.OpBytes(); sink ^= p[len(p)-1] })
	require.Zero(t, allocs, "OpBytes copies the op")
	_ = sink
}

// TestCommandString: a binary client or op is quoted in traces, a
// printable one is shown as it is.
func TestCommandString(t *testing.T) {
	for _, tc := range []struct {
		cmd  paxos.Command
		want string
	}{
		{paxos.Command{Client: "c1", Seq: 3, Op: "add 5"}, "c1#3:add 5"},
		{paxos.Command{Op: "héllo"}, "héllo"},
		{paxos.Command{Op: "\x00\xff"}, `"\x00\xff"`},
		{paxos.Command{Client: "c\x00", Seq: 1, Op: "a\nb"}, `"c\x00"#1:"a\nb"`},
		{paxos.Command{Op: "\xc3\x28"}, `"\xc3("`},
	} {
		require.Equal(t, tc.want, tc.cmd.String())
	}
}

// TestOpSizeLimit: an op or client longer than MaxOpSize, which no
// decoder would read back, is refused by Submit and Step (ErrBadCommand)
// and by the encoders (ErrBadMessage); one of exactly MaxOpSize bytes is
// proposed, and its accept decodes.
func TestOpSizeLimit(t *testing.T) {
	sys, err := quorum.Majority("a", "b", "c")
	require.NoError(t, err)
	r, err := paxos.NewReplica(paxos.ReplicaConfig{ID: "a", Quorums: sys, ElectionTicks: 1}, &paxos.MemoryLogStorage{})
	require.NoError(t, err)
	big := strings.Repeat("\xff", paxos.MaxOpSize+1)
	for _, cmd := range []paxos.Command{{Client: "c", Seq: 1, Op: big}, {Client: big, Seq: 1, Op: "x"}} {
		_, err := r.Submit(cmd)
		require.ErrorIs(t, err, paxos.ErrBadCommand)
		_, err = r.Step(paxos.LogMessage{Type: paxos.LogForward, From: "b", To: "a", Command: cmd})
		require.ErrorIs(t, err, paxos.ErrBadMessage)
		_, err = paxos.Entry{Commands: []paxos.Command{cmd}}.MarshalBinary()
		require.ErrorIs(t, err, paxos.ErrBadMessage)
		_, err = paxos.LogMessage{Type: paxos.LogForward, Command: cmd}.MarshalBinary()
		require.ErrorIs(t, err, paxos.ErrBadMessage)
		_, err = paxos.LogState{Entries: []paxos.Entry{{Commands: []paxos.Command{cmd}}}}.MarshalBinary()
		require.ErrorIs(t, err, paxos.ErrBadMessage)
	}

	// Elect a (with b's promise) and propose an op of exactly MaxOpSize.
	out, err := r.Tick()
	require.NoError(t, err)
	b, err := paxos.NewReplica(paxos.ReplicaConfig{ID: "b", Quorums: sys, ElectionTicks: 1}, &paxos.MemoryLogStorage{})
	require.NoError(t, err)
	for len(out) > 0 && !r.Leader() {
		var next []paxos.LogMessage
		for _, m := range out {
			if m.To != "b" && m.To != "a" {
				continue
			}
			dst := map[string]*paxos.Replica{"a": r, "b": b}[m.To]
			o, err := dst.Step(m)
			require.NoError(t, err)
			next = append(next, o...)
		}
		out = next
	}
	require.True(t, r.Leader())
	op := big[:paxos.MaxOpSize]
	out, err = r.Submit(paxos.Command{Client: "c", Seq: 1, Op: op})
	require.NoError(t, err)
	require.NotEmpty(t, out)
	for _, m := range out {
		enc, err := m.MarshalBinary()
		require.NoError(t, err)
		var back paxos.LogMessage
		require.NoError(t, back.UnmarshalBinary(enc), "an accept of a MaxOpSize op decodes")
		require.Equal(t, op, back.Entry.Commands[0].Op)
	}
}
