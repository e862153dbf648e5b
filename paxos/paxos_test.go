package paxos_test

import (
	"errors"
	"testing"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/stretchr/testify/require"
)

// recorder is a Storage that checks the durability contract: whenever the
// node hands out a Promise or Accepted, what it reports must already be
// saved.
type recorder struct {
	paxos.MemoryStorage
	fail bool
}

var errDisk = errors.New("disk full")

func (r *recorder) Save(s paxos.State) error {
	if r.fail {
		return errDisk
	}
	return r.MemoryStorage.Save(s)
}

// durable checks "Paxos Made Simple", section 2.3: an acceptor's promise
// and acceptance are in stable storage before the message reporting them
// is sent.
func durable(t *testing.T, st *recorder, out []paxos.Message) {
	t.Helper()
	saved, _ := st.Load()
	for _, m := range out {
		switch m.Type {
		case paxos.Promise:
			require.False(t, saved.Promised.Less(m.Ballot), "a promise of %v was sent before it was saved (saved %v)", m.Ballot, saved.Promised)
		case paxos.Accepted:
			require.Equal(t, m.Ballot, saved.Accepted, "an acceptance of %v was sent before it was saved", m.Ballot)
			require.Equal(t, m.Value, saved.Value)
		case paxos.Prepare:
			require.GreaterOrEqual(t, saved.Round, m.Ballot.Round, "a ballot round was used before it was saved")
		}
	}
}

func maj(t *testing.T) *quorum.System {
	t.Helper()
	s, err := quorum.Majority("a", "b", "c")
	require.NoError(t, err)
	return s
}

func node(t *testing.T, id string, st paxos.Storage) *paxos.Node {
	t.Helper()
	n, err := paxos.New(paxos.Config{ID: id, Quorums: maj(t), Learners: []string{"a", "b", "c"}}, st)
	require.NoError(t, err)
	return n
}

func b(r uint64, n string) paxos.Ballot { return paxos.Ballot{Round: r, Node: n} }

// TestPromiseReportsHighestAcceptance: section 2.2, phase 1b: an acceptor
// that receives a prepare with a number greater than any it has answered
// promises not to accept lower numbers and reports its highest accepted
// proposal.
func TestPromiseReportsHighestAcceptance(t *testing.T) {
	st := &recorder{}
	a := node(t, "a", st)
	out, err := a.Step(paxos.Message{Type: paxos.Accept, From: "p", To: "a", Ballot: b(1, "p"), Value: "x"})
	require.NoError(t, err)
	durable(t, st, out)
	out, err = a.Step(paxos.Message{Type: paxos.Prepare, From: "q", To: "a", Ballot: b(2, "q")})
	require.NoError(t, err)
	durable(t, st, out)
	require.Equal(t, []paxos.Message{{Type: paxos.Promise, From: "a", To: "q", Ballot: b(2, "q"), VBallot: b(1, "p"), Value: "x"}}, out)
}

// TestNackCarriesHighestBallot: section 2.2's optimisation ("the acceptor
// should inform the proposer, who should then abandon its proposal"): a
// prepare or accept below the promise is answered by a NACK with the
// promised ballot, and nothing changes.
func TestNackCarriesHighestBallot(t *testing.T) {
	st := &recorder{}
	a := node(t, "a", st)
	_, err := a.Step(paxos.Message{Type: paxos.Prepare, From: "q", To: "a", Ballot: b(5, "q")})
	require.NoError(t, err)
	before := a.State()
	for _, typ := range []paxos.MsgType{paxos.Prepare, paxos.Accept} {
		out, err := a.Step(paxos.Message{Type: typ, From: "p", To: "a", Ballot: b(4, "p"), Value: "x"})
		require.NoError(t, err)
		require.Equal(t, []paxos.Message{{Type: paxos.Nack, From: "a", To: "p", Ballot: b(4, "p"), Highest: b(5, "q")}}, out, "a %v below the promise must be refused", typ)
		require.Equal(t, before, a.State(), "a refused %v must not change the acceptor", typ)
	}
}

// TestProposerAdoptsHighestValue: section 2.2, phase 2a: with promises from
// a majority the proposer asks for the value of the highest-numbered
// proposal among the responses, not its own.
func TestProposerAdoptsHighestValue(t *testing.T) {
	st := &recorder{}
	p := node(t, "p", st) // a proposer that is not an acceptor
	out, err := p.Propose("mine")
	require.NoError(t, err)
	durable(t, st, out)
	require.Len(t, out, 3, "prepare to a, b and c")
	bal := p.Ballot()
	out, err = p.Step(paxos.Message{Type: paxos.Promise, From: "a", To: "p", Ballot: bal})
	require.NoError(t, err)
	require.Empty(t, out, "one promise of three is not a majority")
	out, err = p.Step(paxos.Message{Type: paxos.Promise, From: "b", To: "p", Ballot: bal, VBallot: b(3, "z"), Value: "theirs"})
	require.NoError(t, err)
	require.Len(t, out, 3)
	for _, m := range out {
		require.Equal(t, paxos.Accept, m.Type)
		require.Equal(t, "theirs", m.Value, "the proposer must propose the highest accepted value it heard of")
	}
}

// TestChosenByPhase2Quorum: section 2.4 (learning a chosen value): a
// learner learns once a majority accepted the same proposal, and a single
// acceptance is not enough.
func TestChosenByPhase2Quorum(t *testing.T) {
	l := node(t, "c", &recorder{})
	_, err := l.Step(paxos.Message{Type: paxos.Accepted, From: "a", To: "c", Ballot: b(1, "p"), Value: "x"})
	require.NoError(t, err)
	_, ok := l.Decided()
	require.False(t, ok, "one acceptance of three is not a choice")
	_, err = l.Step(paxos.Message{Type: paxos.Accepted, From: "b", To: "c", Ballot: b(2, "p"), Value: "y"})
	require.NoError(t, err)
	_, ok = l.Decided()
	require.False(t, ok, "acceptances in different ballots do not add up")
	_, err = l.Step(paxos.Message{Type: paxos.Accepted, From: "b", To: "c", Ballot: b(1, "p"), Value: "x"})
	require.NoError(t, err)
	v, ok := l.Decided()
	require.True(t, ok)
	require.Equal(t, "x", v)
}

// TestThreeNodesDecide runs classic Paxos on three nodes over a perfect
// network, delivering in order: every node learns the proposal.
func TestThreeNodesDecide(t *testing.T) {
	stores := map[string]*recorder{"a": {}, "b": {}, "c": {}}
	nodes := map[string]*paxos.Node{}
	for id, st := range stores {
		nodes[id] = node(t, id, st)
	}
	queue, err := nodes["a"].Propose("v")
	require.NoError(t, err)
	durable(t, stores["a"], queue)
	for len(queue) > 0 {
		m := queue[0]
		queue = queue[1:]
		out, err := nodes[m.To].Step(m)
		require.NoError(t, err)
		durable(t, stores[m.To], out)
		queue = append(queue, out...)
	}
	for id, n := range nodes {
		v, ok := n.Decided()
		require.True(t, ok, "%s did not learn", id)
		require.Equal(t, "v", v)
	}
}

// TestStorageFailureSendsNothing: if the promise cannot be saved, no
// promise is sent (section 2.3's stable storage requirement).
func TestStorageFailureSendsNothing(t *testing.T) {
	st := &recorder{}
	a := node(t, "a", st)
	st.fail = true
	out, err := a.Step(paxos.Message{Type: paxos.Prepare, From: "q", To: "a", Ballot: b(2, "q")})
	require.ErrorIs(t, err, paxos.ErrStorage)
	require.Empty(t, out)
	require.True(t, a.State().Promised.IsZero(), "a promise that was not saved is not made")
}

// TestRestartKeepsPromiseAndRound: a node rebuilt from its storage keeps
// its promise and never reuses a round.
func TestRestartKeepsPromiseAndRound(t *testing.T) {
	st := &recorder{}
	a := node(t, "a", st)
	_, err := a.Propose("x")
	require.NoError(t, err)
	first := a.Ballot()
	a = node(t, "a", st) // crash and restart
	require.Equal(t, first, a.State().Promised, "a's own promise survives")
	_, err = a.Propose("y")
	require.NoError(t, err)
	require.True(t, first.Less(a.Ballot()), "a restarted proposer must not reuse ballot %v (got %v)", first, a.Ballot())
}

// TestBadInput: unknown senders, misaddressed and malformed messages are
// errors and change nothing.
func TestBadInput(t *testing.T) {
	a := node(t, "a", &recorder{})
	before := a.AppendState(nil)
	for _, m := range []paxos.Message{
		{Type: paxos.Prepare, From: "q", To: "b", Ballot: b(1, "q")},
		{Type: paxos.Prepare, From: "q", To: "a", Ballot: b(1, "r")},
		{Type: paxos.Accept, From: "q", To: "a", Ballot: b(0, "")},
		{Type: paxos.Promise, From: "zz", To: "a", Ballot: b(1, "a")},
		{Type: 99, From: "q", To: "a"},
		{Type: paxos.Decide, To: "a"},
	} {
		_, err := a.Step(m)
		require.Error(t, err, "%v", m)
	}
	require.Equal(t, before, a.AppendState(nil))
	_, err := paxos.New(paxos.Config{ID: "a"}, &recorder{})
	require.ErrorIs(t, err, paxos.ErrInvalidConfig)
}

// TestStateEncoding: State round-trips through its binary encoding, and
// truncations are refused.
func TestStateEncoding(t *testing.T) {
	s := paxos.State{Promised: b(3, "q"), Accepted: b(2, "p"), Value: "x", Round: 7}
	data, err := s.MarshalBinary()
	require.NoError(t, err)
	var got paxos.State
	require.NoError(t, got.UnmarshalBinary(data))
	require.Equal(t, s, got)
	for i := range data {
		require.ErrorIs(t, got.UnmarshalBinary(data[:i]), paxos.ErrCorrupt, "truncated at %d", i)
	}
	require.Equal(t, s, got, "a failed decode leaves the state unchanged")
}

// FuzzState: decoding never panics, and what decodes re-encodes to the
// same bytes (the encoding is canonical).
func FuzzState(f *testing.F) {
	data, _ := paxos.State{Promised: b(3, "q"), Accepted: b(2, "p"), Value: "x", Round: 7}.MarshalBinary()
	f.Add(data)
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var s paxos.State
		if s.UnmarshalBinary(data) != nil {
			return
		}
		again, err := s.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, data, again, "a decoded State must re-encode to its input")
	})
}

// TestThriftyFirstBallotOnly: with Thrifty the first ballot's prepares go
// to the shortest preferred prefix that is a phase-1 quorum; a retry goes
// to every acceptor, so a crashed preferred acceptor costs one retry.
func TestThriftyFirstBallotOnly(t *testing.T) {
	p, err := paxos.New(paxos.Config{ID: "p", Quorums: maj(t), Thrifty: true, Prefer: []string{"c", "a", "b"}}, &recorder{})
	require.NoError(t, err)
	out, err := p.Propose("x")
	require.NoError(t, err)
	require.Equal(t, []string{"c", "a"}, recipients(out), "the first ballot asks only the preferred majority")
	out, err = p.Tick()
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b", "c"}, recipients(out), "a retry asks every acceptor")
	_, err = paxos.New(paxos.Config{ID: "p", Quorums: maj(t), Thrifty: true, Prefer: []string{"a", "a"}}, &recorder{})
	require.ErrorIs(t, err, paxos.ErrInvalidConfig)
}

func recipients(out []paxos.Message) []string {
	var to []string
	for _, m := range out {
		to = append(to, m.To)
	}
	return to
}
