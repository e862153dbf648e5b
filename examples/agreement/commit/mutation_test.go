package commit

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/sim"
)

// Mutation testing (level 9 of the verification ladder): each mutant
// below is a plausible bug in the two- and three-phase commit nodes, of
// the kind a student or a tired engineer writes. The suite of checks the
// lessons rely on (explorations and simulations with the invariants of
// check.go) must kill every mutant: find a run in which the mutant
// violates agreement, validity or the durability contract, while the
// real protocol passes the same checks. A verification suite is only as
// good as the bugs it catches; a mutant that survives names a check that
// is missing.
//
// The mutants are test-only types that embed the real nodes and change
// one rule, so that the protocol code itself carries no switch.

// mutation names one mutant.
type mutation uint8

const (
	original mutation = iota

	// Two-phase commit.
	eagerCommit    // the coordinator commits on the first yes
	countVotes     // the coordinator counts yes messages, not voters: a duplicate counts twice
	forgetVote     // a participant restarts without reading its vote: it forgets it across a crash
	yesAfterAbort  // a participant that aborted alone votes yes when Prepare arrives late
	uncertainAbort // an uncertain 2PC participant aborts on its timeout
	presumeCommit  // a coordinator that restarts undecided commits instead of aborting

	// Three-phase commit.
	uncertainCommit     // an uncertain 3PC participant commits on its timeout
	abortAfterPreCommit // the coordinator, missing an ack after PreCommit, aborts
	recoverAbort        // a coordinator that restarts after PreCommit aborts
	recoverByTimeout    // a participant that restarts uncertain decides by timeout, as if it had never been down
)

var mutationNames = map[mutation]string{
	original:            "the real protocol",
	eagerCommit:         "2PC coordinator commits on the first yes",
	countVotes:          "2PC coordinator counts yes messages, not voters",
	forgetVote:          "2PC participant forgets its vote across a crash",
	yesAfterAbort:       "2PC participant votes yes after aborting alone",
	uncertainAbort:      "2PC uncertain participant aborts on timeout",
	presumeCommit:       "2PC coordinator recovers undecided by committing",
	uncertainCommit:     "3PC uncertain participant commits on timeout",
	abortAfterPreCommit: "3PC coordinator aborts after sending PreCommit",
	recoverAbort:        "3PC coordinator recovers after PreCommit by aborting",
	recoverByTimeout:    "3PC participant recovers by the timeout rule",
}

func (m mutation) String() string { return mutationNames[m] }

// mutant2PC is a two-phase commit node with mutation m.
type mutant2PC struct {
	TwoPhase
	m mutation
}

func newMutant2PC(cfg Config, m mutation) (func(id string) *mutant2PC, error) {
	newNode, err := NewTwoPhase(cfg)
	if err != nil {
		return nil, err
	}
	return func(id string) *mutant2PC { return &mutant2PC{TwoPhase: *newNode(id), m: m} }, nil
}

func (n *mutant2PC) Clone() *mutant2PC { c := *n; return &c }

func (n *mutant2PC) Start(ctx *sim.Context[Msg]) {
	switch {
	case n.m == forgetVote && n.role == participant:
		n.base = newBase(n.cfg, n.id)
		if !n.recover(ctx) {
			ctx.SetTimer(timerPrepare, n.cfg.timeout) // the vote is on disk, unread
		}
	case n.m == presumeCommit && n.role == coordinator:
		n.base = newBase(n.cfg, n.id)
		if _, begun := ctx.Storage().Get(keyBegun); begun && StoredDecision(ctx.Storage()) == Undecided {
			n.decide(ctx, Committed)
			return
		}
		n.TwoPhase.Start(ctx)
	default:
		n.TwoPhase.Start(ctx)
	}
}

func (n *mutant2PC) Receive(ctx *sim.Context[Msg], from string, m Msg) {
	coord := n.role == coordinator && n.state == Waiting && m == Yes
	switch {
	case n.m == eagerCommit && coord:
		n.decide(ctx, Committed)
	case n.m == countVotes && coord:
		n.votes = n.votes<<1 | 1
		if n.votes == n.cfg.all {
			n.decide(ctx, Committed)
		}
	case n.m == yesAfterAbort && n.role == participant && m == Prepare && n.decision == Aborted:
		ctx.Send(from, Yes)
	default:
		n.TwoPhase.Receive(ctx, from, m)
	}
}

func (n *mutant2PC) Timeout(ctx *sim.Context[Msg], name string) {
	if n.m == uncertainAbort && name == timerDecision && n.Uncertain() {
		n.decide(ctx, Aborted)
		return
	}
	n.TwoPhase.Timeout(ctx, name)
}

// mutant3PC is a three-phase commit node with mutation m.
type mutant3PC struct {
	ThreePhase
	m mutation
}

func newMutant3PC(cfg Config, m mutation) (func(id string) *mutant3PC, error) {
	newNode, err := NewThreePhase(cfg)
	if err != nil {
		return nil, err
	}
	return func(id string) *mutant3PC { return &mutant3PC{ThreePhase: *newNode(id), m: m} }, nil
}

func (n *mutant3PC) Clone() *mutant3PC { c := *n; return &c }

func (n *mutant3PC) Start(ctx *sim.Context[Msg]) {
	n.base = newBase(n.cfg, n.id)
	switch {
	case n.m == recoverAbort && n.role == coordinator && storedPrepared(ctx.Storage()) && StoredDecision(ctx.Storage()) == Undecided:
		n.decide(ctx, Aborted)
	case n.m == recoverByTimeout && n.role == participant && StoredVote(ctx.Storage()) == VotedYes && StoredDecision(ctx.Storage()) == Undecided:
		n.state = Waiting
		timer := timerPreCommit
		if storedPrepared(ctx.Storage()) {
			n.state, timer = Prepared, timerCommit
		}
		ctx.SetTimer(timer, n.cfg.timeout)
	default:
		n.ThreePhase.Start(ctx)
	}
}

func (n *mutant3PC) Timeout(ctx *sim.Context[Msg], name string) {
	switch {
	case n.m == uncertainCommit && n.role == participant && name == timerPreCommit && n.state == Waiting && !n.recovering:
		n.decide(ctx, Committed)
	case n.m == abortAfterPreCommit && n.role == coordinator && name == timerAcks && n.state == Prepared:
		n.decide(ctx, Aborted)
	default:
		n.ThreePhase.Timeout(ctx, name)
	}
}

// A check of the suite: it returns the violation it found, or nil, and
// fails t if it cannot run.
type check[N any] struct {
	name string
	run  func(t *testing.T, newNode func(Config) (func(string) N, error)) error
}

// exploreCheck explores cfg with the given bounds and timing model and
// checks commit.Safety in every state.
func exploreCheck[N interface {
	sim.Explorable[Msg, N]
	Decider
}](name string, cfg Config, b sim.ExploreConfig[Msg, N]) check[N] {
	return check[N]{name: name, run: func(t *testing.T, newNode func(Config) (func(string) N, error)) error {
		nn, err := newNode(cfg)
		require.NoError(t, err)
		b.Nodes, b.New, b.Invariant = cfg.Nodes(), nn, Safety[N](cfg)
		res, err := sim.Explore(b)
		require.NoError(t, err)
		if res.Violation != nil {
			return res.Violation
		}
		require.True(t, res.Complete, "%s: exploration cut short", name)
		return nil
	}}
}

// simCheck runs one transaction in the simulator for each crash time from
// 0 to 8ms, every 250µs, of each node in crash, restarting it 20ms later
// (after every timer of the others has fired), and checks CheckSafety at
// the end.
func simCheck[N sim.Node[Msg]](name string, cfg Config, crash ...string) check[N] {
	return check[N]{name: name, run: func(t *testing.T, newNode func(Config) (func(string) N, error)) error {
		nn, err := newNode(cfg)
		require.NoError(t, err)
		for _, id := range crash {
			for at := time.Duration(0); at <= 8*time.Millisecond; at += 250 * time.Microsecond {
				s, err := sim.New(sim.Config{Seed: 1, Nodes: cfg.Nodes()}, func(id string) sim.Node[Msg] { return nn(id) })
				require.NoError(t, err)
				var faultErr error // the scheduled crash's and restart's
				s.At(at, func(s *sim.Sim[Msg]) { faultErr = errors.Join(faultErr, s.Crash(id)) })
				s.At(at+20*time.Millisecond, func(s *sim.Sim[Msg]) { faultErr = errors.Join(faultErr, s.Restart(id)) })
				require.NoError(t, s.Run())
				require.NoError(t, faultErr)
				if err := CheckSafety(cfg, s.Storage); err != nil {
					return fmt.Errorf("crash %s at %v, restart 20ms later: %w", id, at, err)
				}
			}
		}
		return nil
	}}
}

// twoParticipants is the lessons' transaction with two participants,
// asking once when uncertain; oneNo has p2 vote no.
var (
	twoParticipants = Config{Coordinator: "coord", Participants: []string{"p1", "p2"}, Queries: 1}
	oneNo           = Config{Coordinator: "coord", Participants: []string{"p1", "p2"}, VoteNo: []string{"p2"}, Queries: 1}
)

// suite2PC is the checks of two-phase commit, cheapest first: the claims
// of TestExploreTwoPhaseIsSafe (safety needs no timing assumption), in
// small bounds.
func suite2PC() []check[*mutant2PC] {
	type xc = sim.ExploreConfig[Msg, *mutant2PC]
	return []check[*mutant2PC]{
		exploreCheck("explore, no faults", twoParticipants, xc{}),
		exploreCheck("explore, 2 timeouts", twoParticipants, xc{MaxTimeouts: 2}),
		exploreCheck("explore, a no vote, 2 timeouts", oneNo, xc{MaxTimeouts: 2}),
		exploreCheck("explore, 1 duplicate, 1 timeout", twoParticipants, xc{MaxDuplicates: 1, MaxTimeouts: 1}),
		exploreCheck("explore, 1 crash and restart, 3 timeouts", twoParticipants, xc{MaxCrashes: 1, MaxRestarts: 1, MaxTimeouts: 3}),
	}
}

// suite3PC is the checks of three-phase commit: the claim of
// TestExploreThreePhaseIsSafeUnderCrashesWhenSynchronous (safe under a
// crash when timeouts mean failures), with and without a no vote, and the
// simulator's crash sweeps with restarts (which the explorer's synchronous
// model cannot order, see that test).
func suite3PC() []check[*mutant3PC] {
	type xc = sim.ExploreConfig[Msg, *mutant3PC]
	queries := Config{Coordinator: "coord", Participants: []string{"p1", "p2", "p3"}, Queries: 2}
	return []check[*mutant3PC]{
		exploreCheck("explore synchronous, 1 crash, 3 timeouts", twoParticipants, xc{Synchronous: true, MaxCrashes: 1, MaxTimeouts: 3}),
		exploreCheck("explore synchronous, a no vote, 1 crash, 3 timeouts", oneNo, xc{Synchronous: true, MaxCrashes: 1, MaxTimeouts: 3}),
		simCheck[*mutant3PC]("simulate crash sweeps with restarts", queries, "coord", "p1"),
	}
}

// verdict is what the suite found on one mutant: the check that killed
// it, the violation and the time from the start of the suite; a nil
// violation means the mutant survived.
type verdict struct {
	m         mutation
	check     string
	violation error
	took      time.Duration
}

// kill runs the suite on mutant m until a check finds a violation.
func kill[N any](t *testing.T, m mutation, suite []check[N], newNode func(Config) (func(string) N, error)) verdict {
	t.Helper()
	start := time.Now()
	for _, c := range suite {
		if v := c.run(t, newNode); v != nil {
			return verdict{m, c.name, v, time.Since(start)}
		}
	}
	return verdict{m: m, took: time.Since(start)}
}

// TestMutantsAreKilled runs the suite on the real protocols, which must
// pass every check, and on every mutant, which must fail one. It reports
// the score and the time to kill each mutant, the figures of
// docs/agreement.md.
func TestMutantsAreKilled(t *testing.T) {
	var results []verdict
	for _, m := range []mutation{original, eagerCommit, countVotes, forgetVote, yesAfterAbort, uncertainAbort, presumeCommit} {
		results = append(results, kill(t, m, suite2PC(), func(c Config) (func(string) *mutant2PC, error) { return newMutant2PC(c, m) }))
	}
	for _, m := range []mutation{original, uncertainCommit, abortAfterPreCommit, recoverAbort, recoverByTimeout} {
		results = append(results, kill(t, m, suite3PC(), func(c Config) (func(string) *mutant3PC, error) { return newMutant3PC(c, m) }))
	}
	killed, total := 0, 0
	var report strings.Builder
	for _, r := range results {
		if r.m == original {
			if r.violation != nil {
				t.Errorf("the real protocol fails check %q: %v; the suite must pass on it for a kill to mean anything", r.check, r.violation)
			}
			continue
		}
		total++
		if r.violation == nil {
			t.Errorf("mutant %q survived every check: the suite misses this bug", r.m)
			continue
		}
		killed++
		var viol *sim.Violation
		what := r.violation.Error()
		if errors.As(r.violation, &viol) {
			what = fmt.Sprintf("%v (%d actions)", viol.Err, viol.Depth)
		}
		fmt.Fprintf(&report, "\n  %-52s killed in %8v by %s: %s", r.m, r.took.Round(10*time.Microsecond), r.check, what)
	}
	t.Logf("mutation score %d/%d:%s", killed, total, report.String())
	assert.Equal(t, total, killed, "every mutant must be killed")
}

// The explorer's reductions keep finding the eager coordinator: with
// delay bounding, with symmetry among the participants, and with both.
func TestMutantFoundWithReductions(t *testing.T) {
	cfg := Config{Coordinator: "coord", Participants: []string{"p1", "p2", "p3"}}
	for _, c := range []struct {
		name      string
		ordered   bool
		symmetric bool
	}{{"delay bound 0", true, false}, {"symmetry", false, true}, {"both", true, true}} {
		newNode, err := newMutant2PC(cfg, eagerCommit)
		require.NoError(t, err)
		xc := sim.ExploreConfig[Msg, *mutant2PC]{
			Nodes: cfg.Nodes(), New: newNode, Invariant: Safety[*mutant2PC](cfg),
			MaxCrashes: 1, MaxTimeouts: 4, DelayBounding: c.ordered,
		}
		if c.symmetric {
			xc.Symmetric = cfg.Participants
		}
		res, err := sim.Explore(xc)
		require.NoError(t, err)
		require.NotNil(t, res.Violation, "%s: the eager coordinator must still be found", c.name)
		assert.ErrorIs(t, res.Violation, ErrInvalidCommit, c.name)
		t.Logf("%s: found after %d states, %d actions", c.name, res.Distinct, res.Violation.Depth)
	}
}
