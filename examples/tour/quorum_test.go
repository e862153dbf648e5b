package main

import (
	"fmt"
	"math/bits"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/quorum"
)

// The quorum section's claims, held against independent calculations:
// brute force over subsets for intersection, resilience and Aurora's
// failures, and the closed forms of Naor and Wool (1998) and quoracle
// (Whittaker et al. 2021) for the loads.

func TestTourQuorumPrints(t *testing.T) {
	out, _ := runTour(t, t.TempDir(), "quorum")
	text := unwrap(out)
	f, err := quorumFacts()
	require.NoError(t, err)
	for _, want := range []string{
		"There are 10 minimal majorities",
		"e votes yes -> won",
		"read and write quorums do not intersect",
		"Commands then survive 3 failures, elections only 1",
		"commits up to index 7 with these quorums, against 4 with majorities",
		"load 0.3333 when every operation is a write, 0.375 when a quarter are reads (capacity 2.667",
		"0.5 when all are reads. A majority of five carries load 0.6",
		"majority of 9: 0.5556",
		"grid of 16: 0.2500",
		"reads survive a zone plus one copy: yes; writes survive a zone: yes; writes survive a zone plus one copy: no",
	} {
		assert.Contains(t, text, want, "the section should print %q", want)
	}
	assert.Equal(t, "(a + b + c)*(d + e + f)", f.gridWrites)
}

// Majorities of 5 intersect and there are C(5,3) = 10 of them; 2-of-5
// reads and writes do not intersect: brute force over all pairs.
func TestTourQuorumIntersectionByBruteForce(t *testing.T) {
	f, err := quorumFacts()
	require.NoError(t, err)
	count := 0
	for a := uint(0); a < 32; a++ {
		if bits.OnesCount(a) == 3 {
			count++
			for b := uint(0); b < 32; b++ {
				if bits.OnesCount(b) == 3 && a&b == 0 {
					t.Fatalf("two majorities %b and %b are disjoint", a, b)
				}
			}
		}
	}
	assert.Equal(t, count, f.majorityQuorums)
	assert.ErrorIs(t, f.unsafeErr, quorum.ErrNoIntersection)
	assert.Equal(t, "{a, b}", f.unsafeRead)
	assert.Equal(t, "{d, e}", f.unsafeWrite)
}

// Flexible Paxos with 5 replicas, |Q1| = 4, |Q2| = 2: phase 2 survives
// 5 - 2 = 3 failures, phase 1 5 - 4 = 1; the committed index is the
// |Q|-th largest acknowledgement.
func TestTourQuorumFlexible(t *testing.T) {
	f, err := quorumFacts()
	require.NoError(t, err)
	assert.Equal(t, [2]int{1, 3}, f.flexResilience)
	assert.Equal(t, flexAcks[1], f.flexCommit, "second largest")
	assert.Equal(t, flexAcks[2], f.majorityCommit, "third largest")
}

// quoracle's figures for the 2x3 grid, and the closed forms of the loads
// in the scaling table: (floor(n/2)+1)/n for a majority, 1/k for a k x k
// grid at half reads.
func TestTourQuorumLoads(t *testing.T) {
	f, err := quorumFacts()
	require.NoError(t, err)
	assert.Equal(t, [2]int{1, 2}, f.gridResilience)
	assert.InDelta(t, 1.0/3, f.gridLoads[0], 1e-9)
	assert.InDelta(t, 0.375, f.gridLoads[1], 1e-9)
	assert.InDelta(t, 0.5, f.gridLoads[2], 1e-9)
	assert.InDelta(t, 8.0/3, f.gridCapacity, 1e-9)
	assert.InDelta(t, 0.6, f.majority5Load, 1e-9)
	for n, l := range f.scalingMajority {
		assert.InDelta(t, float64(n/2+1)/float64(n), l, 1e-9, "majority of %d", n)
		assert.Greater(t, l, 0.5, "a majority's load never falls to 1/2")
	}
	for n, l := range f.scalingGrid {
		k := map[int]float64{4: 2, 9: 3, 16: 4}[n]
		assert.InDelta(t, 1/k, l, 1e-9, "grid of %d", n)
	}
}

// Aurora's claim by brute force: every failure set of one whole zone plus
// extra copies, counted directly against "4 of 6" and "3 of 6".
func TestTourQuorumAurora(t *testing.T) {
	f, err := quorumFacts()
	require.NoError(t, err)
	survives := func(need, extra int) bool {
		for zone := range 3 {
			for other := uint(0); other < 64; other++ {
				lost := uint(3) << (2 * zone)
				if bits.OnesCount(other&^lost) != extra {
					continue
				}
				if 6-bits.OnesCount(lost|other) < need {
					return false
				}
			}
		}
		return true
	}
	assert.Equal(t, survives(3, 1), f.auroraReads)
	assert.Equal(t, survives(4, 0), f.auroraWrites)
	assert.Equal(t, survives(4, 1), f.auroraWritesPlus)
	assert.True(t, f.auroraReads && f.auroraWrites && !f.auroraWritesPlus, fmt.Sprint(f.auroraReads, f.auroraWrites, f.auroraWritesPlus))
}
