package quorum_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/quorum"
)

// These tests reproduce the figures published with quoracle: Whittaker,
// Charapko, Hellerstein, Howard and Stoica, "Read-Write Quorum Systems Made
// Practical", PaPoC 2021, section 3 (the 2x3 grid a*b*c + d*e*f with unit
// capacities) and the majority example.

func grid2x3(t *testing.T) *quorum.System {
	t.Helper()
	e, err := quorum.Parse("a*b*c + d*e*f")
	require.NoError(t, err)
	s, err := quorum.New(quorum.Config{Reads: e})
	require.NoError(t, err)
	return s
}

func fraction(t *testing.T, f float64) quorum.Workload {
	t.Helper()
	w, err := quorum.ReadFraction(f)
	require.NoError(t, err)
	return w
}

func TestQuoracleGridResilience(t *testing.T) {
	s := grid2x3(t)
	r, err := s.Resilience(quorum.Read)
	require.NoError(t, err)
	w, err := s.Resilience(quorum.Write)
	require.NoError(t, err)
	assert.Equal(t, 1, r, "quoracle: the 2x3 grid's read resilience is 1")
	assert.Equal(t, 2, w, "quoracle: the 2x3 grid's write resilience is 2")
	assert.Equal(t, "(a + b + c)*(d + e + f)", s.Expr(quorum.Write).String(), "writes are the dual of reads")
}

func TestQuoracleGridOptimalLoad(t *testing.T) {
	s := grid2x3(t)
	for _, c := range []struct{ fr, load float64 }{{0, 1.0 / 3}, {0.25, 0.375}, {1, 0.5}} {
		w := fraction(t, c.fr)
		st, err := s.Optimal(quorum.Goal{Workload: w})
		require.NoError(t, err)
		assert.InDelta(t, c.load, st.Load(), 1e-9, "quoracle: optimal load of the 2x3 grid at read fraction %v", c.fr)
		if c.fr == 0.25 {
			assert.InDelta(t, 8.0/3, st.Capacity(), 1e-9, "quoracle: capacity 8/3 at read fraction 0.25")
		}
	}
}

func TestQuoracleMajorityLoad(t *testing.T) {
	s, err := quorum.Majority("a", "b", "c", "d", "e")
	require.NoError(t, err)
	for _, fr := range []float64{0, 0.25, 0.5, 0.75, 1} {
		w := fraction(t, fr)
		st, err := s.Optimal(quorum.Goal{Workload: w})
		require.NoError(t, err)
		assert.InDelta(t, 0.6, st.Load(), 1e-9, "quoracle: a majority of 5 has load 3/5 at read fraction %v", fr)
	}
}

// The latency of contacting a set of nodes is the time until the fastest
// quorum inside it has answered, as in quoracle (github.com/mwhittaker/
// quoracle, QuorumSystem._quorum_latency: sort the contacted nodes by
// latency and take the first prefix that is a quorum), not the latency of
// the set's slowest node. It is the reason an f-resilient strategy
// contacts more nodes than a quorum: issue 11's example, majority(a, b, c)
// with latencies 1, 2 and 100 ms and f = 1, takes 2 ms.
func TestQuoracleResilientLatencyIsFastestQuorum(t *testing.T) {
	ms := time.Millisecond
	s, err := quorum.New(quorum.Config{
		Reads: quorum.MajorityOf(quorum.Leaves("a", "b", "c")...),
		Nodes: []quorum.Node{
			{Name: "a", ReadCapacity: 1, WriteCapacity: 1, Latency: 1 * ms},
			{Name: "b", ReadCapacity: 1, WriteCapacity: 1, Latency: 2 * ms},
			{Name: "c", ReadCapacity: 1, WriteCapacity: 1, Latency: 100 * ms},
		},
	})
	require.NoError(t, err)
	all := s.All()
	ac, err := s.SetOf("a", "c")
	require.NoError(t, err)
	assert.Equal(t, 2*ms, s.Latency(quorum.Read, all), "contacting a, b and c waits for a and b")
	assert.Equal(t, 100*ms, s.Latency(quorum.Read, ac), "a minimal quorum waits for its slowest node")

	for _, fr := range []float64{0, 0.5, 1} {
		w := fraction(t, fr)
		st, err := s.Optimal(quorum.Goal{Workload: w, Resilience: 1})
		require.NoError(t, err)
		for _, side := range []quorum.Side{quorum.Read, quorum.Write} {
			qs, _ := st.Quorums(side)
			require.Equal(t, []quorum.Set{all}, qs, "surviving one failure needs all three nodes")
		}
		assert.Equal(t, 2*ms, st.Latency(), "quoracle: the 1-resilient strategy of majority(a, b, c) takes 2 ms at read fraction %v, not 100 ms", fr)
		fast, err := s.Optimal(quorum.Goal{Workload: w, Resilience: 1, Objective: quorum.MinLatency})
		require.NoError(t, err)
		assert.Equal(t, 2*ms, fast.Latency())
	}
	// The same holds for a strategy given by hand.
	st, err := s.Strategy(fraction(t, 0.5), []quorum.Set{all}, []float64{1}, []quorum.Set{ac}, []float64{1})
	require.NoError(t, err)
	assert.Equal(t, 51*ms, st.Latency(), "half the operations take 2 ms, half 100 ms")
}

// Because a larger set can contain a faster quorum, the optimiser looks
// beyond the minimal f-resilient sets when latency matters, and the
// strategy changes: with writes choose(2, a, b, c, a*d), f = 1, and a and
// d fast, the only minimal 1-resilient write set {a, b, c} waits for b or
// c (100 ms), while {a, b, c, d} answers as soon as a and d have (1 ms).
func TestResilientStrategyContactsMoreNodesForLatency(t *testing.T) {
	ms := time.Millisecond
	w, err := quorum.Parse("choose(2, a, b, c, a*d)")
	require.NoError(t, err)
	s, err := quorum.New(quorum.Config{Writes: w, Nodes: []quorum.Node{
		{Name: "a", ReadCapacity: 1, WriteCapacity: 1, Latency: 1 * ms},
		{Name: "b", ReadCapacity: 1, WriteCapacity: 1, Latency: 100 * ms},
		{Name: "c", ReadCapacity: 1, WriteCapacity: 1, Latency: 100 * ms},
		{Name: "d", ReadCapacity: 1, WriteCapacity: 1, Latency: 1 * ms},
	}})
	require.NoError(t, err)
	writes := fraction(t, 0)
	abc, _ := s.SetOf("a", "b", "c")

	byLoad, err := s.Optimal(quorum.Goal{Workload: writes, Resilience: 1})
	require.NoError(t, err)
	qs, _ := byLoad.Quorums(quorum.Write)
	assert.Equal(t, []quorum.Set{abc}, qs, "the least load uses the minimal 1-resilient set")
	assert.Equal(t, 100*ms, byLoad.Latency())

	byLatency, err := s.Optimal(quorum.Goal{Workload: writes, Resilience: 1, Objective: quorum.MinLatency})
	require.NoError(t, err)
	qs, _ = byLatency.Quorums(quorum.Write)
	assert.Equal(t, []quorum.Set{s.All()}, qs, "the lowest latency contacts d too")
	assert.Equal(t, 1*ms, byLatency.Latency())

	_, err = s.Optimal(quorum.Goal{Workload: writes, Resilience: 1, MaxLatency: 50 * ms})
	assert.NoError(t, err, "a 50 ms limit is met by contacting all four")
}
