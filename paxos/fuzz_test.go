package paxos_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/stretchr/testify/require"
)

// FuzzStep feeds arbitrary message sequences (well-formed, stale, future,
// duplicate, misaddressed, from unknown senders) to a node that is an
// acceptor, a proposer and a learner, and checks after every call that it
// did not panic, that its promise never went down, that its acceptance is
// never above its promise, and that what it reports is what it saved.
func FuzzStep(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{1, 1, 1, 3, 3, 3, 2, 2, 2, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		st := &recorder{}
		n := node(t, "a", st)
		if _, err := n.Propose("mine"); err != nil {
			t.Fatal(err)
		}
		senders := []string{"a", "b", "c", "q", ""}
		values := []string{"x", "y", ""}
		prev := n.State()
		for len(data) >= 4 {
			typ, who, round, val := data[0], data[1], data[2], data[3]
			data = data[4:]
			from := senders[int(who)%len(senders)]
			ballotNode := from
			if who&0x80 != 0 {
				ballotNode = senders[int(who>>3)%len(senders)]
			}
			to := "a"
			if typ&0x80 != 0 {
				to = "b"
			}
			m := paxos.Message{
				Type: paxos.MsgType(typ % 8), From: from, To: to,
				Ballot:  paxos.Ballot{Round: uint64(round % 6), Node: ballotNode},
				VBallot: paxos.Ballot{Round: uint64(val % 3), Node: "c"},
				Value:   values[int(val)%len(values)],
				Highest: paxos.Ballot{Round: uint64(round % 7), Node: "b"},
			}
			if m.VBallot.Round == 0 {
				m.VBallot = paxos.Ballot{}
			}
			var out []paxos.Message
			var err error
			if typ%11 == 10 {
				out, err = n.Tick()
			} else {
				out, err = n.Step(m)
			}
			if err == nil {
				durable(t, st, out)
			}
			cur := n.State()
			require.False(t, cur.Promised.Less(prev.Promised), "the promise went down from %v to %v", prev.Promised, cur.Promised)
			require.False(t, cur.Promised.Less(cur.Accepted), "accepted %v above the promise %v", cur.Accepted, cur.Promised)
			require.GreaterOrEqual(t, cur.Round, prev.Round, "the proposer's round went down")
			saved, _ := st.Load()
			require.Equal(t, saved, cur, "the node's state is not what it saved")
			prev = cur
		}
	})
}

// sampleMessages are one message of every type, as nodes send them, and
// the zero-ballot corner cases.
var sampleMessages = []paxos.Message{
	{Type: paxos.Prepare, From: "p1", To: "a", Ballot: paxos.Ballot{Round: 1, Node: "p1"}},
	{Type: paxos.Promise, From: "a", To: "p1", Ballot: paxos.Ballot{Round: 2, Node: "p1"}},
	{Type: paxos.Promise, From: "a", To: "p1", Ballot: paxos.Ballot{Round: 2, Node: "p1"}, VBallot: paxos.Ballot{Round: 1, Node: "p2"}, Value: "x"},
	{Type: paxos.Accept, From: "p1", To: "b", Ballot: paxos.Ballot{Round: 300, Node: "p1"}, Value: "set k v"},
	{Type: paxos.Accepted, From: "b", To: "p1", Ballot: paxos.Ballot{Round: 300, Node: "p1"}, Value: "set k v"},
	{Type: paxos.Nack, From: "c", To: "p2", Ballot: paxos.Ballot{Round: 1, Node: "p2"}, Highest: paxos.Ballot{Round: 1 << 40, Node: "p1"}},
	{Type: paxos.Decide, From: "a", To: "c", Value: ""},
}

// TestMessageEncoding: every message round-trips through MarshalBinary,
// Size is the encoded length, AppendBinary appends, and every truncation,
// an extra trailing byte, an unknown version or type, a padded varint and
// a half-zero ballot are refused with ErrCorrupt without touching the
// destination (the strict decoder DESIGN.md asks of every decoder).
func TestMessageEncoding(t *testing.T) {
	for _, m := range sampleMessages {
		data, err := m.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, len(data), m.Size(), "Size is the encoded length of %v", m)
		got := paxos.Message{Type: paxos.Decide, Value: "untouched"}
		require.NoError(t, got.UnmarshalBinary(data))
		require.Equal(t, m, got, "decode(encode(m)) = m")
		app, err := m.AppendBinary([]byte("head"))
		require.NoError(t, err)
		require.Equal(t, append([]byte("head"), data...), app, "AppendBinary appends the encoding")

		keep := got
		for i := range data {
			require.ErrorIs(t, got.UnmarshalBinary(data[:i]), paxos.ErrCorrupt, "%v truncated to %d bytes", m, i)
		}
		require.ErrorIs(t, got.UnmarshalBinary(append(bytes.Clone(data), 0)), paxos.ErrCorrupt, "trailing byte")
		bad := bytes.Clone(data)
		bad[0] = 2
		require.ErrorIs(t, got.UnmarshalBinary(bad), paxos.ErrCorrupt, "unknown version")
		for _, typ := range []byte{0, 7, 255} {
			bad = bytes.Clone(data)
			bad[1] = typ
			require.ErrorIs(t, got.UnmarshalBinary(bad), paxos.ErrCorrupt, "unknown type %d", typ)
		}
		require.Equal(t, keep, got, "a refused input leaves the message unchanged")
	}
	// From's length 2 written in two bytes (0x82 0x00) is not canonical.
	data, _ := sampleMessages[0].MarshalBinary()
	padded := append([]byte{data[0], data[1], 0x82, 0x00}, data[3:]...)
	var m paxos.Message
	require.ErrorIs(t, m.UnmarshalBinary(padded), paxos.ErrCorrupt, "a padded varint is not canonical")
	// A ballot with a node but round 0 cannot come from a proposer.
	half, _ := paxos.Message{Type: paxos.Prepare, From: "a", To: "b", Ballot: paxos.Ballot{Node: "a"}}.MarshalBinary()
	require.ErrorIs(t, m.UnmarshalBinary(half), paxos.ErrCorrupt, "a ballot with a node and round 0")
	// The encoder refuses what the decoder would refuse: a value over 1 MiB.
	_, err := paxos.Message{Type: paxos.Accept, Value: strings.Repeat("x", 1<<20+1)}.MarshalBinary()
	require.ErrorIs(t, err, paxos.ErrBadMessage, "an oversized value is not encoded")
}

// FuzzMessage: decoding arbitrary bytes never panics, and what it accepts
// re-encodes to the same bytes with Size equal to their length (the
// encoding is canonical); and any Message built from the fuzzer's fields
// (a valid type, ballots that are zero or have both round and node)
// round-trips through MarshalBinary and UnmarshalBinary.
func FuzzMessage(f *testing.F) {
	for _, m := range sampleMessages {
		data, _ := m.MarshalBinary()
		f.Add(data, uint8(m.Type), m.From, m.To, m.Value, m.Ballot.Round, m.Ballot.Node, m.VBallot.Round, m.VBallot.Node, m.Highest.Round, m.Highest.Node)
	}
	f.Add([]byte{1, 3, 0x80}, uint8(0), "", "", "", uint64(0), "", uint64(1), "", uint64(0), "x")
	f.Fuzz(func(t *testing.T, data []byte, typ uint8, from, to, value string, r1 uint64, n1 string, r2 uint64, n2 string, r3 uint64, n3 string) {
		var m paxos.Message
		if m.UnmarshalBinary(data) == nil {
			again, err := m.MarshalBinary()
			require.NoError(t, err)
			require.Equal(t, data, again, "an accepted input must re-encode to itself (canonical encoding)")
			require.Equal(t, len(data), m.Size(), "Size must be the encoded length")
		}
		ballot := func(r uint64, n string) paxos.Ballot {
			if r == 0 || n == "" {
				return paxos.Ballot{}
			}
			return paxos.Ballot{Round: r, Node: n}
		}
		in := paxos.Message{
			Type: paxos.MsgType(1 + typ%6), From: from, To: to, Value: value,
			Ballot: ballot(r1, n1), VBallot: ballot(r2, n2), Highest: ballot(r3, n3),
		}
		enc, err := in.MarshalBinary()
		if max(len(from), len(to), len(value), len(n1), len(n2), len(n3)) > 1<<20 {
			require.ErrorIs(t, err, paxos.ErrBadMessage, "a string over 1 MiB must be refused")
			return
		}
		require.NoError(t, err)
		require.Equal(t, len(enc), in.Size(), "Size must be the encoded length")
		var out paxos.Message
		require.NoError(t, out.UnmarshalBinary(enc), "a valid message must decode")
		require.Equal(t, in, out, "decode(encode(m)) must be m")
	})
}

// FuzzDecodeAllocation feeds the same bytes to every decoder (Message,
// State, Entry, LogMessage, LogState) and checks the bounds of "Decoding
// cost" in the package documentation on each: an input a decoder
// refuses costs at most slack bytes (its error), and one it accepts at
// most perByte bytes per input byte plus slack. The seeds are the
// decoders' worst shapes, small.
func FuzzDecodeAllocation(f *testing.F) {
	for _, fam := range decodeFamilies() {
		f.Add(fam.input(64))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, d := range decoders {
			var err error
			cost := allocated(1, func() { err = d.decode(data) })
			if err != nil {
				require.ErrorIs(t, err, paxos.ErrCorrupt, "%s: a refused input is corrupt", d.name)
				require.LessOrEqual(t, cost, float64(slack), "%s refused %d bytes after allocating %.0f; a refused input may cost only its error", d.name, len(data), cost)
				continue
			}
			require.LessOrEqual(t, cost, float64(perByte*len(data)+slack), "%s accepted %d bytes and allocated %.0f; at most %d per byte plus %d", d.name, len(data), cost, perByte, slack)
		}
	})
}
