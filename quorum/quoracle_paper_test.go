package quorum_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/quorum"
)

// The figures of the script that accompanies the quoracle paper (Whittaker
// et al. 2021, "Read-Write Quorum Systems Made Practical", section 3 and
// the paper's running examples), reproduced one by one. quoracle's
// Node(capacity=c) gives the node read and write capacity c.

func sys(t *testing.T, reads string, nodes ...quorum.Node) *quorum.System {
	t.Helper()
	e, err := quorum.Parse(reads)
	require.NoError(t, err)
	s, err := quorum.New(quorum.Config{Reads: e, Nodes: nodes})
	require.NoError(t, err)
	return s
}

func optimalCapacity(t *testing.T, s *quorum.System, w quorum.Workload, f int) float64 {
	t.Helper()
	st, err := s.Optimal(quorum.Goal{Workload: w, Resilience: f})
	require.NoError(t, err)
	return st.Capacity()
}

func TestQuoraclePaperBasics(t *testing.T) {
	m := sys(t, "a*b + b*c + a*c")
	r, _ := m.Resilience(quorum.Read)
	w, _ := m.Resilience(quorum.Write)
	assert.Equal(t, 1, min(r, w), "quoracle: majority.resilience() is 1")
	assert.InDelta(t, 1.5, optimalCapacity(t, m, fraction(t, 1), 0), 1e-9, "quoracle: majority capacity 1.5 at read fraction 1")
}

func uniformCap(name string, c float64) quorum.Node {
	return quorum.Node{Name: name, ReadCapacity: c, WriteCapacity: c}
}

func rw(name string, read, write float64, latency time.Duration) quorum.Node {
	return quorum.Node{Name: name, ReadCapacity: read, WriteCapacity: write, Latency: latency}
}

func TestQuoraclePaperCapacities(t *testing.T) {
	g := sys(t, "a*b + c*d", uniformCap("a", 100), uniformCap("b", 100), uniformCap("c", 50), uniformCap("d", 50))
	assert.InDelta(t, 150, optimalCapacity(t, g, fraction(t, 1), 0), 1e-6, "quoracle: capacities 100,100,50,50 give capacity 150")

	nodes := []quorum.Node{rw("a", 200, 100, 0), rw("b", 200, 100, 0), rw("c", 100, 50, 0), rw("d", 100, 50, 0)}
	g = sys(t, "a*b + c*d", nodes...)
	for _, c := range []struct{ fr, capacity float64 }{{1, 300}, {0.5, 200}, {0, 100}} {
		assert.InDelta(t, c.capacity, optimalCapacity(t, g, fraction(t, c.fr), 0), 1e-6, "quoracle: read/write capacities, read fraction %v", c.fr)
	}

	// A distribution of read fractions: quoracle prints 159 (rounded).
	d, err := quorum.Distribution([]float64{0, 0.25, 0.5, 0.75, 1}, []float64{10, 4, 2, 1, 1})
	require.NoError(t, err)
	g = sys(t, "a*c + b*d", nodes...)
	assert.InDelta(t, 159, optimalCapacity(t, g, d, 0), 0.5, "quoracle: capacity 159 under the workload distribution")
}

func TestQuoraclePaperResilientStrategies(t *testing.T) {
	nodes := []quorum.Node{rw("a", 200, 100, 0), rw("b", 200, 100, 0), rw("c", 100, 50, 0), rw("d", 100, 50, 0)}
	g := sys(t, "a*b + c*d", nodes...)
	c2 := sys(t, "choose(2, a, b, c, d)", nodes...)
	one := fraction(t, 1)
	assert.InDelta(t, 300, optimalCapacity(t, g, one, 0), 1e-6, "quoracle: grid capacity 300")
	assert.InDelta(t, 300, optimalCapacity(t, c2, one, 0), 1e-6, "quoracle: choose2 capacity 300")
	assert.InDelta(t, 100, optimalCapacity(t, g, one, 1), 1e-6, "quoracle: 1-resilient grid capacity 100")
	assert.InDelta(t, 200, optimalCapacity(t, c2, one, 1), 1e-6, "quoracle: 1-resilient choose2 capacity 200")
	st, err := c2.Optimal(quorum.Goal{Workload: one, Resilience: 1})
	require.NoError(t, err)
	reads, probs := st.Quorums(quorum.Read)
	got := map[string]float64{}
	for i, q := range reads {
		got[c2.FormatSet(q)] = probs[i]
	}
	assert.Equal(t, map[string]float64{"{a, b, c}": 0.5, "{a, b, d}": 0.5}, got, "quoracle: abd 0.5, abc 0.5")
}

func TestQuoraclePaperNetworkLoadAndLatency(t *testing.T) {
	s := time.Second
	g := sys(t, "a*b + c*d", rw("a", 200, 100, 4*s), rw("b", 200, 100, 4*s), rw("c", 100, 50, s), rw("d", 100, 50, s))
	one := fraction(t, 1)
	sigma, err := g.Optimal(quorum.Goal{Workload: one})
	require.NoError(t, err)
	assert.InDelta(t, 300, sigma.Capacity(), 1e-6, "quoracle: capacity 300")
	assert.InDelta(t, 2, sigma.NetworkLoad(), 1e-9, "quoracle: network load 2")
	assert.Equal(t, 3*s, sigma.Latency(), "quoracle: latency 3 seconds")

	fast, err := g.Optimal(quorum.Goal{Workload: one, Objective: quorum.MinLatency, MaxLoad: 1.0 / 150, MaxNetworkLoad: 2})
	require.NoError(t, err)
	reads, probs := fast.Quorums(quorum.Read)
	got := map[string]float64{}
	for i, q := range reads {
		got[g.FormatSet(q)] = probs[i]
	}
	assert.InDelta(t, 1.0/3, got["{a, b}"], 1e-9, "quoracle: ab 1/3")
	assert.InDelta(t, 2.0/3, got["{c, d}"], 1e-9, "quoracle: cd 2/3")
	assert.Equal(t, 2*s, fast.Latency())
}
