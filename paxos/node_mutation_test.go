package paxos_test

// The mutation score of the single-decree Node's verification (DESIGN
// level 9). Each mutant (paxos/node_mutant.go) breaks one rule of the
// Node on purpose; the default go test must kill every one of them: the
// exploration or the randomised simulation, both with the specification
// checker of node_spec_test.go, must report a violation. The killers are
// tried cheapest first:
//
//  1. the exhaustive exploration of two proposers and three acceptors
//     without faults or retries (explore_test.go's world, with the
//     proposers as learners): 6,105 states;
//  2. the exhaustive exploration of one proposer that retries once and
//     three acceptors (a stale promise or acceptance of its first ballot
//     can reach it in its second): 37,822 states;
//  3. simulated schedules, alternately sim_test.go's runSchedule (three
//     nodes, two competing proposers, retries, drawn faults) and its
//     adversarial variant (swarm-drawn faults that hold a class of
//     messages back and deliver it late), up to nodeMutantSchedules.

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/eventually-perfect/primitives/sim"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// nodeSpecWorld is explore_test.go's world (acceptors a1..a3 with majority
// quorums, proposers p1 and p2, no faults, no retry) with the proposers
// as learners, every node built with mutant, and the specification
// checked in every state besides agreement and validity.
func nodeSpecWorld(t testing.TB, mutant string) sim.ExploreConfig[paxos.Message, *peer] {
	sys := majority3(t)
	cfg := world(t, sys, false, false)
	build := cfg.New
	cfg.New = func(id string) *peer {
		p := build(id)
		p.cfg.Learners = []string{"p1", "p2"}
		p.mutant, p.spec = mutant, true
		return p
	}
	cfg.Invariant = func(w *sim.World[paxos.Message, *peer]) error {
		if err := safe("x", "y")(w); err != nil {
			return err
		}
		return checkNodeSpec(sys, w.Nodes(), w.Storage, func(id string) (string, bool) {
			if p, ok := w.Node(id); ok {
				return p.n.Decided()
			}
			return "", false
		})
	}
	return cfg
}

// nodeRetryWorld is nodeSpecWorld with p1 as the only proposer, allowed
// one retry.
func nodeRetryWorld(t testing.TB, mutant string) sim.ExploreConfig[paxos.Message, *peer] {
	cfg := nodeSpecWorld(t, mutant)
	cfg.Nodes = []string{"a1", "a2", "a3", "p1"}
	cfg.MaxTimeouts = 1
	return cfg
}

// nodeExploreKiller explores cfg and returns what it covered and the
// violation it found (a node that panicked counts), or nil.
func nodeExploreKiller(t testing.TB, cfg sim.ExploreConfig[paxos.Message, *peer]) (*sim.ExploreResult, error) {
	res, err := sim.Explore(cfg)
	if err != nil {
		var panicked *sim.NodePanicError
		if errors.As(err, &panicked) {
			if res == nil {
				res = &sim.ExploreResult{}
			}
			return res, err
		}
		t.Fatal(err)
	}
	if res.Violation != nil {
		return res, res.Violation
	}
	return res, nil
}

// nodeMutantSchedules bounds how many simulated schedules a mutant may
// survive in the default run.
const nodeMutantSchedules = 1000

// nodeSimKiller runs up to n drawn schedules with mutant and the
// specification checker, alternately runSchedule's and adversarial ones
// (drawNodeAdversarialCase), and returns how many it ran and the first
// violation, or nil.
func nodeSimKiller(mutant string, n int) (int, error) {
	sys, err := quorum.Majority(simNodes...)
	if err != nil {
		panic(err)
	}
	gens := []*rapid.Generator[simCase]{
		rapid.Custom(func(t *rapid.T) simCase { return drawSimCase(t, simNodes, sys, nil) }),
		rapid.Custom(func(t *rapid.T) simCase { return drawNodeAdversarialCase(t, simNodes, sys) }),
	}
	for i := range n {
		c := gens[i%2].Example(i / 2)
		c.mutant, c.spec = mutant, true
		if err := c.run(); err != nil {
			return i + 1, err
		}
	}
	return n, nil
}

// TestNodeMutantsKilled requires every mutant of the Node to be killed by
// the default verification, and reports the mutation score and the time
// each mutant took to kill (go test -v).
func TestNodeMutantsKilled(t *testing.T) {
	// The correct node passes every killer: a killer that fails on it
	// would kill every mutant and prove nothing.
	worlds := []struct {
		name  string
		world func(testing.TB, string) sim.ExploreConfig[paxos.Message, *peer]
	}{{"exploration without faults", nodeSpecWorld}, {"exploration with a retry", nodeRetryWorld}}
	for _, w := range worlds {
		res, err := nodeExploreKiller(t, w.world(t, ""))
		require.NoError(t, err, "the correct node violates the specification, agreement or validity in the %s", w.name)
		require.True(t, res.Complete, "the %s of the correct node was cut short at %d states", w.name, res.Distinct)
		t.Logf("correct node: %s, %d states, depth %d, no violation (%v)", w.name, res.Distinct, res.Depth, res.Elapsed.Round(time.Millisecond))
	}
	start := time.Now()
	_, err := nodeSimKiller("", nodeMutantSchedules)
	require.NoError(t, err, "the correct node fails a simulated schedule")
	t.Logf("correct node: %d simulated schedules with the specification checker, no violation (%v)", nodeMutantSchedules, time.Since(start).Round(time.Millisecond))

	killed := 0
	for _, m := range paxos.NodeMutants() {
		start := time.Now()
		var killer string
		var err error
		for _, w := range worlds {
			var res *sim.ExploreResult
			if res, err = nodeExploreKiller(t, w.world(t, m)); err != nil {
				killer = fmt.Sprintf("%s (%d states)", w.name, res.Distinct)
				break
			}
		}
		if err == nil {
			var n int
			if n, err = nodeSimKiller(m, nodeMutantSchedules); err != nil {
				killer = fmt.Sprintf("simulation, schedule %d", n)
			}
		}
		if err == nil {
			t.Errorf("mutant %q survived: both explorations and %d simulated schedules found no violation", m, nodeMutantSchedules)
			continue
		}
		killed++
		how := strings.Join(strings.Fields(err.Error()), " ")
		if len(how) > 200 {
			how = how[:200] + "..."
		}
		t.Logf("killed %-26s in %8v by %s: %s", m, time.Since(start).Round(time.Millisecond), killer, how)
	}
	t.Logf("mutation score: %d of %d node mutants killed", killed, len(paxos.NodeMutants()))
}
