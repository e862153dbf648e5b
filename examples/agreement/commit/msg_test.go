package commit

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/sim"
)

func TestMsgEncodingRoundTrips(t *testing.T) {
	for m := Prepare; m <= Query; m++ {
		b, err := m.MarshalBinary()
		require.NoError(t, err)
		assert.Len(t, b, 1, "a message encodes to one byte")
		var got Msg
		require.NoError(t, got.UnmarshalBinary(b), "decoding %v", m)
		assert.Equal(t, m, got, "decoding the encoding of %v gives another message", m)
		assert.NotContains(t, m.String(), "msg(", "message %d has no name", uint8(m))
	}
}

func TestMsgDecodingRejectsMalformedInput(t *testing.T) {
	for _, data := range [][]byte{nil, {}, {0}, {byte(Query) + 1}, {255}, {1, 1}} {
		m := Commit
		err := m.UnmarshalBinary(data)
		assert.ErrorIs(t, err, ErrMalformed, "decoding %v", data)
		assert.Equal(t, Commit, m, "a failed decode changed the message")
	}
}

func FuzzMsgUnmarshalBinary(f *testing.F) {
	f.Add([]byte{byte(Prepare)})
	f.Add([]byte{0})
	f.Add([]byte{1, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Msg
		if err := m.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("decoding %v: error %v does not wrap ErrMalformed", data, err)
			}
			return
		}
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatalf("encoding %v, decoded from %v: %v", m, data, err)
		}
		if string(b) != string(data) {
			t.Fatalf("decoding is not canonical: %v decodes to %v, which encodes to %v", data, m, b)
		}
	})
}

func TestStringsOfEnums(t *testing.T) {
	assert.Equal(t, "precommit", PreCommit.String())
	assert.Equal(t, "msg(0)", Msg(0).String())
	assert.Equal(t, []string{"undecided", "commit", "abort", "decision(9)"},
		[]string{Undecided.String(), Committed.String(), Aborted.String(), Decision(9).String()})
	assert.Equal(t, []string{"none", "yes", "no", "vote(9)"},
		[]string{NoVote.String(), VotedYes.String(), VotedNo.String(), Vote(9).String()})
	assert.Equal(t, []string{"initial", "waiting", "prepared", "decided", "state(9)"},
		[]string{Initial.String(), Waiting.String(), Prepared.String(), Decided.String(), State(9).String()})
}

func TestConfigValidation(t *testing.T) {
	ok := Config{Coordinator: "c", Participants: []string{"p1", "p2"}, VoteNo: []string{"p2"}}
	require.NoError(t, ok.Validate())
	assert.Equal(t, []string{"c", "p1", "p2"}, ok.Nodes())

	many := make([]string, MaxParticipants+1)
	for i := range many {
		many[i] = string(rune('A'+i/26)) + string(rune('a'+i%26))
	}
	for name, bad := range map[string]Config{
		"no coordinator":        {Participants: []string{"p1"}},
		"no participants":       {Coordinator: "c"},
		"coordinator votes":     {Coordinator: "c", Participants: []string{"p1", "c"}},
		"duplicate":             {Coordinator: "c", Participants: []string{"p1", "p1"}},
		"empty name":            {Coordinator: "c", Participants: []string{""}},
		"unknown no voter":      {Coordinator: "c", Participants: []string{"p1"}, VoteNo: []string{"p9"}},
		"negative timeout":      {Coordinator: "c", Participants: []string{"p1"}, Timeout: -1},
		"negative queries":      {Coordinator: "c", Participants: []string{"p1"}, Queries: -1},
		"too many participants": {Coordinator: "c", Participants: many},
	} {
		err := bad.Validate()
		assert.ErrorIs(t, err, ErrInvalidConfig, name)
		_, err = NewTwoPhase(bad)
		assert.ErrorIs(t, err, ErrInvalidConfig, name)
		_, err = NewThreePhase(bad)
		assert.ErrorIs(t, err, ErrInvalidConfig, name)
	}
}

// The checks must be able to fail: each property, broken by hand.
func TestChecksCatchViolations(t *testing.T) {
	cfg := Config{Coordinator: "c", Participants: []string{"p1", "p2"}}
	store := map[string]*sim.Storage{"c": {}, "p1": {}, "p2": {}}
	get := func(id string) *sim.Storage { return store[id] }
	require.NoError(t, CheckSafety(cfg, get), "nobody decided: nothing to violate")

	store["c"].Put(keyDecision, []byte("commit"))
	store["p1"].Put(keyVote, []byte("yes"))
	store["p2"].Put(keyVote, []byte("no"))
	assert.ErrorIs(t, CheckSafety(cfg, get), ErrInvalidCommit, "AC3: commit with a no vote")

	store["p2"].Put(keyVote, []byte("yes"))
	require.NoError(t, CheckSafety(cfg, get))
	store["p2"].Put(keyDecision, []byte("abort"))
	assert.ErrorIs(t, CheckSafety(cfg, get), ErrDisagreement, "AC1: commit and abort")
	assert.NoError(t, CheckAgreement([]string{"p1", "p2"}, get), "p1 has not decided")

	up := map[string]Decision{"c": Committed, "p1": Undecided}
	decision := func(id string) (Decision, bool) { d, ok := up[id]; return d, ok }
	err := CheckDecided(cfg, decision)
	assert.ErrorIs(t, err, ErrUndecided)
	assert.Contains(t, err.Error(), "p1", "the error should name the undecided node")
	assert.NotContains(t, err.Error(), "p2", "a crashed node is not expected to decide")
	up["p1"] = Aborted
	assert.NoError(t, CheckDecided(cfg, decision))
	assert.Equal(t, Undecided, StoredDecision(nil))
	assert.Equal(t, NoVote, StoredVote(nil))
}
