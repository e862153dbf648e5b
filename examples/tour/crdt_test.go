package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/crdt"
)

// TestCRDTCart checks the cart story's claims: the replicas converge to
// bread, eggs 6 (the concurrent add survives the remove) and both milk
// quantities.
func TestCRDTCart(t *testing.T) {
	steps, final, err := cartRun()
	require.NoError(t, err)
	require.Len(t, steps, 3)
	for i := range final {
		assert.True(t, final[i].Equal(final[0]), "replicas must converge (internal state)")
	}
	assert.Equal(t, "bread:1 eggs:6 milk:2|3", cartText(final[0]))
	assert.NotEqual(t, steps[1].carts[0], steps[1].carts[1], "the partition must make the carts diverge")
	assert.Equal(t, steps[0].carts[0], steps[0].carts[2])
}

// TestCRDTWins pins the add-wins/remove-wins scenario of issue 5.
func TestCRDTWins(t *testing.T) {
	aw, rw, cleared, err := winsRun()
	require.NoError(t, err)
	assert.Equal(t, []float64{2.718, 3.14}, aw)
	assert.Equal(t, []float64{2.718}, rw)
	assert.Empty(t, cleared)
}

// TestCRDTSection checks the printed lesson states the same figures.
func TestCRDTSection(t *testing.T) {
	raw, _ := runTour(t, t.TempDir(), "crdt")
	out := strings.Join(strings.Fields(raw), " ") // undo the wrapping
	assert.Contains(t, out, "bread:1 eggs:6 milk:2|3")
	assert.Contains(t, out, "add-wins set is [2.718 3.14]")
	assert.Contains(t, out, "remove-wins set is [2.718]")
	full, delta, emptied, err := deltaCost(10000)
	require.NoError(t, err)
	assert.Less(t, 100*delta, full, "a delta must be under 1% of the state")
	assert.Less(t, emptied, 40, "no tombstones: an emptied set is a few bytes (vector and stamp)")
	ratio := fmt.Sprintf("(%.2f%%", 100*float64(delta)/float64(full))
	assert.True(t, slices.Contains(strings.Fields(out), ratio), "the printed ratio %s", ratio)
	assert.Contains(t, out, "replica identity conflict")
}

// TestCRDTTwin: the restored copy of replica a is detected from both
// sides (the scenario of issue 5's replica identity requirement).
func TestCRDTTwin(t *testing.T) {
	e1, e2, err := twinRun()
	require.NoError(t, err)
	assert.ErrorIs(t, e1, crdt.ErrReplicaConflict)
	assert.ErrorIs(t, e2, crdt.ErrReplicaConflict)
}
