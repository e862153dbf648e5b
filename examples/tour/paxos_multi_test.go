package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/examples/counter/scenario"
)

// The Multi-Paxos section's claims, checked against what it prints and
// against the run recomputed here.
func TestMultipaxosSection(t *testing.T) {
	dir := t.TempDir()
	out, files := runTour(t, dir, "multipaxos")
	flat := unwrap(out)
	res, err := scenario.Run(scenario.Options{Seed: multipaxosSeed})
	require.NoError(t, err)

	// A leader change: the first leader crashed, another leads after.
	require.GreaterOrEqual(t, len(res.Leaders), 2)
	first, last := res.Leaders[0], res.Leaders[len(res.Leaders)-1]
	assert.Contains(t, flat, first.Node+" won the first one")
	assert.Equal(t, first.Node, res.Crashed, "the section says the first leader is the one that crashes")
	assert.NotEqual(t, res.Crashed, last.Node, "the new leader must be another replica")
	assert.Contains(t, flat, last.Node+" is elected at")

	// The no-op: the slot whose proposal was lost is decided as a no-op,
	// and the printed log says so.
	require.NotEmpty(t, res.Lost, "the leader's proposals during the link failure must be lost")
	for _, l := range res.Lost {
		assert.Contains(t, res.NoOps, l.Slot, "the lost slot %d must be filled with a no-op", l.Slot)
		assert.Regexp(t, regexp.MustCompile(fmt.Sprintf(`(?m)^\s+slot\s+%d\s+no-op$`, l.Slot)), out, "the printed log must show slot %d as a no-op", l.Slot)
		assert.Contains(t, flat, fmt.Sprintf("%s in slot %d", l.Entry, l.Slot))
	}
	assert.Contains(t, flat, "fills the gap with a no-op")
	assert.Regexp(t, regexp.MustCompile(fmt.Sprintf(`(?m)^\s+slot\s+%d\s+c3#1:inc$`, res.Kept.Slot)), out, "c3#1 must be decided where the old leader proposed it")

	// Convergence and exactly-once: every replica's counter equals the
	// number of distinct increments, each applied once, logs identical.
	n := len(res.Submitted)
	for _, id := range res.Replicas {
		assert.Contains(t, flat, fmt.Sprintf("%s=%d", id, n))
		assert.EqualValues(t, n, res.Values[id])
		assert.Equal(t, res.Log[res.Replicas[0]], res.Log[id], "the section claims one log on every replica")
		for _, c := range res.Submitted {
			assert.Equal(t, 1, res.Applied[id][c], "%s applied %s %d times", id, c, res.Applied[id][c])
		}
	}
	assert.Contains(t, flat, fmt.Sprintf("for %d distinct increments, each exactly once on every replica", n))
	listed := regexp.MustCompile(`(?m)^\s+slot\s+\d+\s`).FindAllString(out, -1)
	assert.Len(t, listed, len(res.Log[res.Replicas[0]]), "the printed log must list every slot")
	printedCmds := len(regexp.MustCompile(`(?m)^\s+slot\s+\d+\s+c\d#\d+:inc$`).FindAllString(out, -1))
	assert.Equal(t, n, printedCmds, "each increment appears once in the printed log")

	require.Contains(t, files, "multipaxos-counter.svg")
	svg, err := os.ReadFile(filepath.Join(dir, "multipaxos-counter.svg"))
	require.NoError(t, err)
	assert.Contains(t, string(svg), "<svg")
	assert.Contains(t, string(svg), "crash", "the diagram should show the crash")
}
