package quorum_test

import (
	"testing"

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
		assert.InDelta(t, c.load, st.Load(w), 1e-9, "quoracle: optimal load of the 2x3 grid at read fraction %v", c.fr)
		if c.fr == 0.25 {
			assert.InDelta(t, 8.0/3, st.Capacity(w), 1e-9, "quoracle: capacity 8/3 at read fraction 0.25")
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
		assert.InDelta(t, 0.6, st.Load(w), 1e-9, "quoracle: a majority of 5 has load 3/5 at read fraction %v", fr)
	}
}
