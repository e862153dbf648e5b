package paxos_test

import (
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
