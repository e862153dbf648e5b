package commit_test

import (
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/examples/agreement/commit"
	"github.com/eventually-perfect/primitives/sim"
)

// Explorer tests: every schedule of deliveries, drops, crashes, restarts
// and timeouts within some bounds. By default the explorer's timers may
// fire at any moment (the asynchronous model), so these tests also show
// which claims survive without any timing assumption; the three-phase
// commit tests that need its timing assumption use the explorer's
// synchronous model, in which a timer fires only when no message can be
// delivered.
//
// go test runs bounds that finish in seconds; -long explores more faults
// (tens of seconds).

var long = flag.Bool("long", false, "explore larger fault bounds (tens of seconds)")

// team returns a coordinator and n participants, all voting yes.
func team(n, queries int) commit.Config {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = fmt.Sprintf("p%d", i+1)
	}
	return commit.Config{Coordinator: "coord", Participants: ps, Queries: queries}
}

// bounds are the faults of an exploration; symmetric declares the
// participants interchangeable (sim.ExploreConfig.Symmetric), which is
// exact for these protocols when every participant votes alike: nothing
// in them, their messages, storage, timers or checks tells two such
// participants apart.
type bounds struct {
	drops, dups, crashes, restarts, timeouts int
	symmetric                                bool
}

func (b bounds) String() string {
	s := fmt.Sprintf("%d drops, %d duplicates, %d crashes, %d restarts, %d timeouts", b.drops, b.dups, b.crashes, b.restarts, b.timeouts)
	if b.symmetric {
		s += ", symmetric participants"
	}
	return s
}

// symmetric returns the participants of cfg if b declares them
// interchangeable.
func (b bounds) symmetricNodes(cfg commit.Config) []string {
	if b.symmetric {
		return cfg.Participants
	}
	return nil
}

func explore2PC(t *testing.T, cfg commit.Config, b bounds, quiescent bool) *sim.ExploreResult {
	t.Helper()
	newNode, err := commit.NewTwoPhase(cfg)
	require.NoError(t, err)
	xc := sim.ExploreConfig[commit.Msg, *commit.TwoPhase]{
		Nodes: cfg.Nodes(), New: newNode,
		Invariant: commit.Safety[*commit.TwoPhase](cfg),
		MaxDrops:  b.drops, MaxDuplicates: b.dups, MaxCrashes: b.crashes, MaxRestarts: b.restarts, MaxTimeouts: b.timeouts,
		MaxStates: 4 << 20, Symmetric: b.symmetricNodes(cfg),
	}
	if quiescent {
		xc.Quiescent = commit.Termination[*commit.TwoPhase](cfg)
	}
	res, err := sim.Explore(xc)
	require.NoError(t, err)
	return res
}

// explore3PC explores three-phase commit; synchronous selects the
// explorer's synchronous model, in which a timer fires only when no message
// can be delivered, the model three-phase commit is designed for.
func explore3PC(t *testing.T, cfg commit.Config, b bounds, synchronous bool, invariant, quiescent func(*sim.World[commit.Msg, *commit.ThreePhase]) error) *sim.ExploreResult {
	t.Helper()
	newNode, err := commit.NewThreePhase(cfg)
	require.NoError(t, err)
	res, err := sim.Explore(sim.ExploreConfig[commit.Msg, *commit.ThreePhase]{
		Nodes: cfg.Nodes(), New: newNode, Synchronous: synchronous,
		Invariant: invariant, Quiescent: quiescent,
		MaxDrops: b.drops, MaxDuplicates: b.dups, MaxCrashes: b.crashes, MaxRestarts: b.restarts, MaxTimeouts: b.timeouts,
		Symmetric: b.symmetricNodes(cfg),
	})
	require.NoError(t, err)
	return res
}

// requireNoViolation fails the test with the violation and its shortest
// schedule, if the exploration found one.
func requireNoViolation(t *testing.T, res *sim.ExploreResult, law string) {
	t.Helper()
	if v := res.Violation; v != nil {
		var b strings.Builder
		if err := v.Trace.WriteTranscript(&b); err != nil {
			t.Fatalf("%s: %v (and its transcript failed: %v)", law, v, err)
		}
		t.Fatalf("%s: %v\n%s", law, v, b.String())
	}
}

// Two-phase commit is safe in every explored schedule: no two nodes decide
// differently (AC1) and nobody commits unless every participant voted yes
// (AC3), whatever is lost, duplicated, crashed or restarted, and however
// early a timer fires. Its safety needs no timing assumption.
func TestExploreTwoPhaseIsSafe(t *testing.T) {
	type safeCase struct {
		n, queries int
		b          bounds
	}
	// Three participants all voting yes are explored up to renaming
	// (symmetric): a fifth of the states, the same verdict.
	cases := []safeCase{
		{2, 1, bounds{drops: 1, crashes: 1, restarts: 1, timeouts: 6}},
		{3, 0, bounds{drops: 1, crashes: 1, timeouts: 4, symmetric: true}},
		{2, 0, bounds{crashes: 1, restarts: 1, timeouts: 3}},
	}
	if *long {
		cases = append(cases,
			safeCase{2, 1, bounds{drops: 2, dups: 1, crashes: 1, restarts: 1, timeouts: 6}},
			safeCase{3, 0, bounds{drops: 1, crashes: 1, timeouts: 4}},
			safeCase{3, 0, bounds{drops: 1, crashes: 1, restarts: 1, timeouts: 4}},
			safeCase{3, 1, bounds{drops: 1, crashes: 1, timeouts: 4}},
		)
	}
	for _, c := range cases {
		noVoters := [][]string{nil, {"p2"}}
		if c.n > 2 && !*long {
			noVoters = noVoters[:1] // a no vote is covered with two participants
		}
		for _, voteNo := range noVoters {
			cfg := team(c.n, c.queries)
			cfg.VoteNo = voteNo
			if voteNo != nil && c.b.symmetric {
				continue // a no-voter is not interchangeable with the others
			}
			name := fmt.Sprintf("%d participants, %d queries, no votes %v, %v", c.n, c.queries, voteNo, c.b)
			t.Run(name, func(t *testing.T) {
				res := explore2PC(t, cfg, c.b, false)
				requireNoViolation(t, res, "2PC broke agreement or validity")
				assert.True(t, res.Complete, "the exploration was cut short")
				assert.Greater(t, res.Distinct, 1000, "suspiciously few states: is the explorer exploring?")
				t.Logf("%d distinct states, depth %d, %.0f states/s, %.0f bytes/state", res.Distinct, res.Depth, res.StatesPerSecond, res.BytesPerState)
			})
		}
	}
}

// Two-phase commit is not live: with one crash and every timer allowed to
// fire, the explorer finds a state where nothing is left to happen and
// running participants are undecided. The shortest such schedule (7
// steps with three participants, 5 with two) delivers Prepare to every
// participant, fires each one's timer, and crashes the coordinator before
// any vote reaches it: every participant voted yes and blocks (Skeen 1981,
// section 3: 2PC is blocking).
func TestExploreTwoPhaseBlocksOnCoordinatorCrash(t *testing.T) {
	for n, depth := range map[int]int{2: 5, 3: 7} {
		cfg := team(n, 0)
		res := explore2PC(t, cfg, bounds{crashes: 1, timeouts: n + 1}, true)
		v := res.Violation
		require.NotNil(t, v, "2PC never blocked")
		require.True(t, v.Quiescent, "2PC broke safety: %v", v.Err)
		require.ErrorIs(t, v, commit.ErrUndecided)
		assert.Equal(t, depth, v.Depth, "the shortest blocked schedule has one delivery and one timeout per participant, and the crash")

		var crashed []string
		votes, blocked := 0, 0
		for _, e := range v.Trace.Events {
			switch {
			case e.Kind == sim.Crash:
				crashed = append(crashed, e.Node)
			case e.Kind == sim.Send && e.Text == "yes":
				votes++
			case e.Kind == sim.Local && e.Text == "blocked":
				blocked++
			case e.Kind == sim.Local && strings.HasPrefix(e.Text, "decide"):
				t.Errorf("%s decided in the blocked schedule", e.Node)
			}
		}
		assert.Equal(t, []string{"coord"}, crashed, "the blocking crash is the coordinator's")
		assert.Equal(t, n, votes, "every participant votes yes")
		assert.Equal(t, n, blocked, "every participant notes it is blocked")
		t.Logf("%d participants: blocked after %d steps, %d distinct states searched", n, v.Depth, res.Distinct)
	}
}

// Once failures are repaired, two-phase commit decides (AC5): with one
// crash and one restart of any node, every quiescent state has every node
// decided. A restarted coordinator that had not decided aborts; one that
// had announces its decision again.
func TestExploreTwoPhaseDecidesOnceRepaired(t *testing.T) {
	cfg := team(2, 0)
	// Timers: the coordinator's, one per participant, and one more per
	// restart.
	res := explore2PC(t, cfg, bounds{crashes: 1, restarts: 1, timeouts: 5}, true)
	requireNoViolation(t, res, "2PC did not decide although every crash was repaired")
	assert.True(t, res.Complete)
	t.Logf("%d distinct states", res.Distinct)
}

// Three-phase commit does not block: with any one node crashed at any
// point, every running node decides by its timeouts (Skeen 1981: 3PC is
// nonblocking). Two-phase commit, under the same bounds, blocks (above).
// With three participants the search is up to renaming of the
// participants (the chapter's 144,356 states are the full search's).
func TestExploreThreePhaseDoesNotBlock(t *testing.T) {
	ns := []int{2, 3}
	for _, n := range ns {
		cfg := team(n, 0)
		res := explore3PC(t, cfg, bounds{crashes: 1, timeouts: n + 1, symmetric: n > 2}, false, nil, commit.Termination[*commit.ThreePhase](cfg))
		requireNoViolation(t, res, "3PC blocked")
		assert.True(t, res.Complete, "the exploration was cut short")
		t.Logf("%d participants: %d distinct states, depth %d", n, res.Distinct, res.Depth)
	}
}

// In the synchronous model three-phase commit is designed for (a timeout
// means a crash or a loss, never a slow message), it is safe under crashes:
// with any one node crashed at any point, no two nodes decide differently
// and nobody commits without every yes vote (Skeen 1981).
//
// Restarts are left out on purpose. The explorer's synchronous model orders
// timers after messages but not against each other, so with a restart it
// lets a participant's PreCommit timeout fire while the coordinator is
// still collecting the restarted node's vote, an order that real timeout
// settings (the participant waits longer than the coordinator) rule out.
// The simulator tests check crashes with real time instead.
func TestExploreThreePhaseIsSafeUnderCrashesWhenSynchronous(t *testing.T) {
	for _, n := range []int{2, 3} {
		cfg := team(n, 0)
		res := explore3PC(t, cfg, bounds{crashes: 1, timeouts: n + 1}, true, commit.Safety[*commit.ThreePhase](cfg), nil)
		requireNoViolation(t, res, "3PC broke agreement or validity under a crash in the synchronous model")
		assert.True(t, res.Complete, "the exploration was cut short")
		t.Logf("%d participants: %d distinct states, depth %d", n, res.Distinct, res.Depth)
	}
}

// Three-phase commit is not safe when messages can be lost, even in the
// synchronous model: with drops allowed (what a partition does) the
// explorer finds two participants that decide differently: one received
// PreCommit and commits on its timeout, the other's PreCommit was lost, so
// it is still uncertain when its timer fires and aborts.
func TestExploreThreePhaseSplitsUnderPartition(t *testing.T) {
	cfg := team(3, 0)
	agree := func(w *sim.World[commit.Msg, *commit.ThreePhase]) error {
		return commit.CheckAgreement(cfg.Participants, w.Storage)
	}
	res := explore3PC(t, cfg, bounds{drops: 2, timeouts: 4}, true, agree, nil)
	v := res.Violation
	require.NotNil(t, v, "3PC participants never disagreed")
	require.ErrorIs(t, v, commit.ErrDisagreement)
	decidedBy := map[string]string{} // node -> "timer: decision"
	timer := map[string]string{}
	var dropped []string
	for _, e := range v.Trace.Events {
		switch e.Kind {
		case sim.Timer:
			timer[e.Node] = e.Text
		case sim.Local:
			decidedBy[e.Node] = timer[e.Node] + ": " + e.Text
		case sim.Drop:
			dropped = append(dropped, e.Text)
		}
	}
	assert.Contains(t, dropped, "precommit", "in the synchronous model the split needs a lost PreCommit")
	assert.Equal(t, map[string]string{"p1": "commit: decide commit", "p2": "precommit: decide abort"}, decidedBy,
		"one participant should commit on its timeout when prepared, another abort on its timeout when uncertain")
	t.Logf("split after %d steps: dropped %v; %d distinct states", v.Depth, dropped, res.Distinct)
}

// The explorer's timers fire at any moment, so it models an asynchronous
// network: a timeout can fire while the awaited message is still on its
// way. Three-phase commit's timeout rule is only sound when a timeout
// means a failure, so the explorer breaks it with no fault at all: not
// one drop, not one crash. This is the assumption FLP (1985) shows cannot
// be avoided: in an asynchronous system a slow node and a dead one look
// the same.
func TestExploreThreePhaseIsUnsafeWhenTimeoutsLie(t *testing.T) {
	cfg := team(2, 0)
	res := explore3PC(t, cfg, bounds{timeouts: 3}, false, commit.Safety[*commit.ThreePhase](cfg), nil)
	v := res.Violation
	require.NotNil(t, v, "3PC was safe with asynchronous timers")
	require.ErrorIs(t, v, commit.ErrDisagreement)
	for _, e := range v.Trace.Events {
		assert.NotContains(t, []sim.EventKind{sim.Drop, sim.Crash}, e.Kind, "the counterexample needs no fault")
	}

	// Two-phase commit under the same bounds is safe.
	res2 := explore2PC(t, cfg, bounds{timeouts: 3}, false)
	requireNoViolation(t, res2, "2PC broke agreement or validity")
}

// The explorer benchmark of the issue: two-phase commit with a
// coordinator and 3 participants, one crash and every timer.
func BenchmarkExploreTwoPhase(b *testing.B) {
	cfg := team(3, 0)
	newNode, err := commit.NewTwoPhase(cfg)
	require.NoError(b, err)
	xc := sim.ExploreConfig[commit.Msg, *commit.TwoPhase]{
		Nodes: cfg.Nodes(), New: newNode,
		Invariant:  commit.Safety[*commit.TwoPhase](cfg),
		MaxCrashes: 1, MaxTimeouts: 4,
	}
	b.ReportAllocs()
	var res *sim.ExploreResult
	for b.Loop() {
		res, err = sim.Explore(xc)
		require.NoError(b, err)
	}
	b.ReportMetric(float64(res.Distinct), "states")
	b.ReportMetric(float64(res.Distinct)*float64(b.N)/b.Elapsed().Seconds(), "states/s")
	b.ReportMetric(res.BytesPerState, "bytes/state")
}

// The reductions of the explorer on two-phase commit (docs/simulation.md
// records the figures): the state counts with and without delay bounding
// and symmetry, none of which finds a violation. By default with two
// participants, one crash and three timeouts; with -long, also the
// benchmark's three participants with four timeouts.
func TestExploreTwoPhaseReductions(t *testing.T) {
	type setting struct {
		name                 string
		synchronous, ordered bool
		delays               int
		symmetric            bool
	}
	settings := []setting{
		{name: "default"},
		{name: "delay bound 0", ordered: true},
		{name: "delay bound 1", ordered: true, delays: 1},
		{name: "symmetry", symmetric: true},
		{name: "delay bound 1, symmetry", ordered: true, delays: 1, symmetric: true},
		{name: "synchronous", synchronous: true},
		{name: "synchronous, symmetry", synchronous: true, symmetric: true},
		{name: "synchronous, delay bound 1, symmetry", synchronous: true, ordered: true, delays: 1, symmetric: true},
	}
	sizes := []struct{ n, timeouts int }{{2, 3}}
	if *long {
		sizes = append(sizes, struct{ n, timeouts int }{3, 4})
	}
	for _, size := range sizes {
		cfg := team(size.n, 0)
		newNode, err := commit.NewTwoPhase(cfg)
		require.NoError(t, err)
		var lines []string
		counts := map[string]int{}
		for _, st := range settings {
			xc := sim.ExploreConfig[commit.Msg, *commit.TwoPhase]{
				Nodes: cfg.Nodes(), New: newNode, Invariant: commit.Safety[*commit.TwoPhase](cfg),
				MaxCrashes: 1, MaxTimeouts: size.timeouts,
				Synchronous: st.synchronous, DelayBounding: st.ordered, MaxDelays: st.delays,
			}
			if st.symmetric {
				xc.Symmetric = cfg.Participants
			}
			res, err := sim.Explore(xc)
			require.NoError(t, err)
			requireNoViolation(t, res, "2PC broke agreement or validity under "+st.name)
			require.True(t, res.Complete)
			counts[st.name] = res.Distinct
			lines = append(lines, fmt.Sprintf("%-38s %8d states %v", st.name, res.Distinct, res.Elapsed.Round(time.Millisecond)))
		}
		t.Logf("2PC, %d participants, 1 crash, %d timeouts:\n%s", size.n, size.timeouts, strings.Join(lines, "\n"))
		assert.Less(t, counts["symmetry"], counts["default"], "symmetry must reduce the states")
		assert.Less(t, counts["synchronous, symmetry"], counts["synchronous"], "symmetry must reduce the synchronous search")
		assert.Less(t, counts["delay bound 0"], counts["default"], "delivering in send order must reduce the states")
	}
}
