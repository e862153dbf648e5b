package commit_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/examples/agreement/commit"
	"github.com/eventually-perfect/primitives/sim"
)

// Simulator tests: each protocol's happy path, and the two stories of the
// lesson (a coordinator crash, a partition) with a concrete fault
// schedule. Every link has the simulator's default latency, a constant
// 1 ms, and the protocols' default timeout is 10 ms, so the network is
// synchronous: a timeout fires only if something failed. The timeline of
// a run without faults:
//
//	0 ms  the coordinator sends Prepare
//	1 ms  participants vote
//	2 ms  the coordinator decides (2PC) or sends PreCommit (3PC)
//	3 ms  participants decide (2PC) or ack (3PC)
//	4 ms  the 3PC coordinator decides; participants decide at 5 ms

var three = commit.Config{Coordinator: "coord", Participants: []string{"p1", "p2", "p3"}, Queries: 2}

// decider is what both protocols' nodes expose to the checks.
type decider interface {
	Decision() commit.Decision
}

// simulate runs one transaction to quiescence, after scheduling faults.
func simulate[N sim.Node[commit.Msg]](t *testing.T, cfg commit.Config, newNode func(string) N, faults func(*sim.Sim[commit.Msg])) *sim.Sim[commit.Msg] {
	t.Helper()
	s, err := sim.New(sim.Config{Seed: 1, Nodes: cfg.Nodes()}, func(id string) sim.Node[commit.Msg] { return newNode(id) })
	require.NoError(t, err)
	if faults != nil {
		faults(s)
	}
	require.NoError(t, s.Run())
	return s
}

// decisions returns every running node's decision, and "down" for a
// crashed one.
func decisions(s *sim.Sim[commit.Msg], cfg commit.Config) map[string]string {
	out := make(map[string]string)
	for _, id := range cfg.Nodes() {
		n, up := s.Node(id)
		if !up {
			out[id] = "down"
			continue
		}
		out[id] = n.(decider).Decision().String()
	}
	return out
}

// decided adapts a simulator for commit.CheckDecided.
func decided(s *sim.Sim[commit.Msg]) func(string) (commit.Decision, bool) {
	return func(id string) (commit.Decision, bool) {
		n, up := s.Node(id)
		if !up {
			return commit.Undecided, false
		}
		return n.(decider).Decision(), true
	}
}

// checkDurable checks the durability contract on a finished run: every
// running node's decision is in its storage, and in the trace every node
// notes its decision before it sends any Commit or Abort.
func checkDurable(t *testing.T, s *sim.Sim[commit.Msg], cfg commit.Config) {
	t.Helper()
	for _, id := range cfg.Nodes() {
		if n, up := s.Node(id); up {
			assert.Equal(t, n.(decider).Decision(), commit.StoredDecision(s.Storage(id)),
				"%s's decision is not the one in its durable storage", id)
		}
	}
	noted := map[string]bool{}
	for _, e := range s.Trace().Events {
		switch {
		case e.Kind == sim.Local && (e.Text == "decide commit" || e.Text == "decide abort"):
			noted[e.Node] = true
		case e.Kind == sim.Send && (e.Text == "commit" || e.Text == "abort"):
			assert.True(t, noted[e.Node], "%s announced %s before deciding (event %d)", e.Node, e.Text, e.Seq)
		}
	}
}

func count(tr *sim.Trace, kind sim.EventKind, text string) int {
	n := 0
	for _, e := range tr.Events {
		if e.Kind == kind && (text == "" || e.Text == text) {
			n++
		}
	}
	return n
}

// Without failures two-phase commit exchanges 3n messages for n
// participants (a request, a vote and a decision each) and every node
// commits (Bernstein, Hadzilacos, Goodman 1987, chapter 7: AC4, if there
// are no failures and all vote yes, the decision is commit).
func TestTwoPhaseHappyPath(t *testing.T) {
	newNode, err := commit.NewTwoPhase(three)
	require.NoError(t, err)
	s := simulate(t, three, newNode, nil)

	assert.Equal(t, map[string]string{"coord": "commit", "p1": "commit", "p2": "commit", "p3": "commit"}, decisions(s, three))
	require.NoError(t, commit.CheckSafety(three, s.Storage))
	require.NoError(t, commit.CheckDecided(three, decided(s)))
	checkDurable(t, s, three)
	assert.Equal(t, 9, s.Stats().Deliveries, "2PC without failures costs 3 messages per participant")
	assert.Zero(t, count(s.Trace(), sim.Timer, ""), "a timer fired in a run without failures")
	assert.Equal(t, 3*time.Millisecond, s.Trace().Events[len(s.Trace().Events)-1].Time, "the last participant should decide after three message delays")
}

// A single no vote aborts the transaction everywhere (AC3: commit only if
// all vote yes).
func TestTwoPhaseOneNoAbortsEverywhere(t *testing.T) {
	cfg := three
	cfg.VoteNo = []string{"p2"}
	newNode, err := commit.NewTwoPhase(cfg)
	require.NoError(t, err)
	s := simulate(t, cfg, newNode, nil)

	assert.Equal(t, map[string]string{"coord": "abort", "p1": "abort", "p2": "abort", "p3": "abort"}, decisions(s, cfg))
	require.NoError(t, commit.CheckSafety(cfg, s.Storage))
	checkDurable(t, s, cfg)
	assert.Equal(t, commit.VotedNo, commit.StoredVote(s.Storage("p2")))
	assert.Zero(t, count(s.Trace(), sim.Timer, ""), "a timer fired in a run without failures")
}

// Three-phase commit costs 5n messages without failures: the extra round
// (PreCommit, Ack) is the price of not blocking.
func TestThreePhaseHappyPath(t *testing.T) {
	newNode, err := commit.NewThreePhase(three)
	require.NoError(t, err)
	s := simulate(t, three, newNode, nil)

	assert.Equal(t, map[string]string{"coord": "commit", "p1": "commit", "p2": "commit", "p3": "commit"}, decisions(s, three))
	require.NoError(t, commit.CheckSafety(three, s.Storage))
	checkDurable(t, s, three)
	assert.Equal(t, 15, s.Stats().Deliveries, "3PC without failures costs 5 messages per participant")
	assert.Zero(t, count(s.Trace(), sim.Timer, ""), "a timer fired in a run without failures")
}

func TestThreePhaseOneNoAbortsEverywhere(t *testing.T) {
	cfg := three
	cfg.VoteNo = []string{"p3"}
	newNode, err := commit.NewThreePhase(cfg)
	require.NoError(t, err)
	s := simulate(t, cfg, newNode, nil)

	assert.Equal(t, map[string]string{"coord": "abort", "p1": "abort", "p2": "abort", "p3": "abort"}, decisions(s, cfg))
	require.NoError(t, commit.CheckSafety(cfg, s.Storage))
	checkDurable(t, s, cfg)
}

// The coordinator crashes at 1.5 ms: every participant has voted yes,
// the votes are on their way to a dead node. Two-phase commit blocks: the
// participants ask, get no answer, and stay uncertain (Skeen 1981: 2PC is
// blocking). They decide only when the coordinator comes back, and then
// abort, since the coordinator never decided ("presumed abort").
func TestTwoPhaseBlocksWhileTheCoordinatorIsDown(t *testing.T) {
	newNode, err := commit.NewTwoPhase(three)
	require.NoError(t, err)
	s := simulate(t, three, newNode, func(s *sim.Sim[commit.Msg]) {
		s.At(1500*time.Microsecond, func(s *sim.Sim[commit.Msg]) { require.NoError(t, s.Crash("coord")) })
	})

	assert.Equal(t, map[string]string{"coord": "down", "p1": "undecided", "p2": "undecided", "p3": "undecided"}, decisions(s, three))
	require.ErrorIs(t, commit.CheckDecided(three, decided(s)), commit.ErrUndecided, "2PC participants decided without the coordinator")
	require.NoError(t, commit.CheckSafety(three, s.Storage))
	for _, p := range three.Participants {
		n, ok := s.Node(p)
		require.True(t, ok, "%s is running", p)
		assert.True(t, n.(*commit.TwoPhase).Uncertain(), "%s should be uncertain", p)
	}
	assert.Equal(t, 3*three.Queries, count(s.Trace(), sim.Send, "query"), "each participant asks Queries times")
	assert.Equal(t, 3, count(s.Trace(), sim.Local, "blocked"), "each participant notes that it is blocked")

	// The coordinator recovers, much later: it never decided, so it aborts.
	before := s.Now()
	require.NoError(t, s.Restart("coord"))
	require.NoError(t, s.Run())
	assert.Greater(t, s.Now(), before)
	assert.Equal(t, map[string]string{"coord": "abort", "p1": "abort", "p2": "abort", "p3": "abort"}, decisions(s, three))
	require.NoError(t, commit.CheckSafety(three, s.Storage))
	checkDurable(t, s, three)
}

// The coordinator decides commit, announces it, and crashes; the Commit
// to p3 is lost on the way. p3 is uncertain and stays so until the
// coordinator restarts and announces its persisted decision again.
func TestTwoPhaseCoordinatorRecoversItsDecision(t *testing.T) {
	newNode, err := commit.NewTwoPhase(three)
	require.NoError(t, err)
	s := simulate(t, three, newNode, func(s *sim.Sim[commit.Msg]) {
		s.At(2500*time.Microsecond, func(s *sim.Sim[commit.Msg]) {
			require.NoError(t, s.Crash("coord"))
			require.NoError(t, s.Block("coord", "p3"))
		})
	})
	assert.Equal(t, map[string]string{"coord": "down", "p1": "commit", "p2": "commit", "p3": "undecided"}, decisions(s, three))

	s.Heal()
	require.NoError(t, s.Restart("coord"))
	require.NoError(t, s.Run())
	assert.Equal(t, map[string]string{"coord": "commit", "p1": "commit", "p2": "commit", "p3": "commit"}, decisions(s, three))
	require.NoError(t, commit.CheckSafety(three, s.Storage))
	checkDurable(t, s, three)
}

// A participant that crashes after voting yes remembers its vote: on
// restart it is uncertain, asks the coordinator, and learns the outcome.
func TestTwoPhaseParticipantRecoversUncertain(t *testing.T) {
	newNode, err := commit.NewTwoPhase(three)
	require.NoError(t, err)
	s := simulate(t, three, newNode, func(s *sim.Sim[commit.Msg]) {
		s.At(1500*time.Microsecond, func(s *sim.Sim[commit.Msg]) { require.NoError(t, s.Crash("p2")) })
		s.At(30*time.Millisecond, func(s *sim.Sim[commit.Msg]) { require.NoError(t, s.Restart("p2")) })
	})
	assert.Equal(t, map[string]string{"coord": "commit", "p1": "commit", "p2": "commit", "p3": "commit"}, decisions(s, three))
	assert.Equal(t, 1, count(s.Trace(), sim.Send, "query"), "the restarted participant asks once")
	require.NoError(t, commit.CheckSafety(three, s.Storage))
}

// Three-phase commit does not block when the coordinator crashes, at any
// moment: in a synchronous network every participant decides by its
// timeout, and they agree (Skeen 1981: 3PC is nonblocking under site
// failures). The sweep crashes the coordinator every 100 µs from 0 to
// 8 ms, covering every phase.
func TestThreePhaseDecidesWhenTheCoordinatorCrashes(t *testing.T) {
	newNode, err := commit.NewThreePhase(three)
	require.NoError(t, err)
	outcomes := map[string]int{}
	for at := time.Duration(0); at <= 8*time.Millisecond; at += 100 * time.Microsecond {
		s := simulate(t, three, newNode, func(s *sim.Sim[commit.Msg]) {
			s.At(at, func(s *sim.Sim[commit.Msg]) { require.NoError(t, s.Crash("coord")) })
		})
		require.NoError(t, commit.CheckDecided(three, decided(s)), "crash at %v: a running participant is blocked", at)
		require.NoError(t, commit.CheckSafety(three, s.Storage), "crash at %v", at)
		outcomes[decisions(s, three)["p1"]]++
	}
	assert.Positive(t, outcomes["abort"], "no crash time led to abort: the sweep missed the first phases")
	assert.Positive(t, outcomes["commit"], "no crash time led to commit: the sweep missed the last phases")

	// Two-phase commit under the same sweep blocks for some crash times.
	newNode2, err := commit.NewTwoPhase(three)
	require.NoError(t, err)
	blocked := 0
	for at := time.Duration(0); at <= 8*time.Millisecond; at += 100 * time.Microsecond {
		s := simulate(t, three, newNode2, func(s *sim.Sim[commit.Msg]) {
			s.At(at, func(s *sim.Sim[commit.Msg]) { require.NoError(t, s.Crash("coord")) })
		})
		require.NoError(t, commit.CheckSafety(three, s.Storage), "2PC, crash at %v", at)
		if commit.CheckDecided(three, decided(s)) != nil {
			blocked++
		}
	}
	assert.Positive(t, blocked, "2PC never blocked on a coordinator crash")
}

// A partition separates {coord, p1} from {p2, p3} after the PreCommit has
// left the coordinator: p1 receives it, the others do not. Each side
// applies the timeout rule to what it knows: p1 (prepared) commits, p2 and
// p3 (uncertain) abort. Three-phase commit is not safe under partitions.
func TestThreePhaseDisagreesUnderPartition(t *testing.T) {
	newNode, err := commit.NewThreePhase(three)
	require.NoError(t, err)
	s := simulate(t, three, newNode, func(s *sim.Sim[commit.Msg]) {
		s.At(2500*time.Microsecond, func(s *sim.Sim[commit.Msg]) {
			require.NoError(t, s.Partition([]string{"coord", "p1"}, []string{"p2", "p3"}))
		})
		s.At(50*time.Millisecond, func(s *sim.Sim[commit.Msg]) { s.Heal() })
	})
	assert.Equal(t, map[string]string{"coord": "commit", "p1": "commit", "p2": "abort", "p3": "abort"}, decisions(s, three))
	err = commit.CheckSafety(three, s.Storage)
	require.ErrorIs(t, err, commit.ErrDisagreement, "the partition should split the decision")
	assert.Equal(t, 2, count(s.Trace(), sim.Drop, "precommit"), "the partition should drop the PreCommit to p2 and p3")

	// Two-phase commit under the same partition stays safe: the cut-off
	// side waits.
	newNode2, err := commit.NewTwoPhase(three)
	require.NoError(t, err)
	s2 := simulate(t, three, newNode2, func(s *sim.Sim[commit.Msg]) {
		s.At(1500*time.Microsecond, func(s *sim.Sim[commit.Msg]) {
			require.NoError(t, s.Partition([]string{"coord", "p1"}, []string{"p2", "p3"}))
		})
	})
	require.NoError(t, commit.CheckSafety(three, s2.Storage))
	assert.Equal(t, map[string]string{"coord": "abort", "p1": "abort", "p2": "undecided", "p3": "undecided"}, decisions(s2, three),
		"2PC: the coordinator's side aborts for lack of votes; the other side is blocked")
}
