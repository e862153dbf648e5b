package quorum_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/eventually-perfect/primitives/quorum"
)

func unitNodes(n int) []quorum.Node {
	nodes := make([]quorum.Node, n)
	for i := range nodes {
		nodes[i] = uniformCap(string(rune('a'+i)), 1)
	}
	return nodes
}

func TestSearchBadInput(t *testing.T) {
	ctx := context.Background()
	w := fraction(t, 0.5)
	for name, c := range map[string]struct {
		cfg  quorum.SearchConfig
		want error
	}{
		"no nodes":           {quorum.SearchConfig{Goal: quorum.Goal{Workload: w}}, quorum.ErrUnknownNode},
		"13 nodes":           {quorum.SearchConfig{Nodes: unitNodes(13)}, quorum.ErrTooLarge},
		"zero capacity":      {quorum.SearchConfig{Nodes: []quorum.Node{{Name: "a"}}}, quorum.ErrCapacity},
		"duplicate node":     {quorum.SearchConfig{Nodes: append(unitNodes(2), uniformCap("a", 1))}, quorum.ErrDuplicateNode},
		"negative budget":    {quorum.SearchConfig{Nodes: unitNodes(2), MaxSystems: -1}, quorum.ErrThreshold},
		"negative height":    {quorum.SearchConfig{Nodes: unitNodes(2), MaxHeight: -1}, quorum.ErrThreshold},
		"bad goal":           {quorum.SearchConfig{Nodes: unitNodes(2), Goal: quorum.Goal{MaxLoad: -1}}, quorum.ErrThreshold},
		"too resilient":      {quorum.SearchConfig{Nodes: unitNodes(3), MinResilience: 2}, quorum.ErrInfeasible},
		"impossible limit":   {quorum.SearchConfig{Nodes: unitNodes(3), Goal: quorum.Goal{Workload: w, MaxLoad: 0.1}}, quorum.ErrInfeasible},
		"no 3-resilient set": {quorum.SearchConfig{Nodes: unitNodes(3), Goal: quorum.Goal{Resilience: 3}}, quorum.ErrInfeasible},
	} {
		_, err := quorum.Search(ctx, c.cfg)
		assert.ErrorIs(t, err, c.want, name)
	}
}

// countdown is a context that is done after its Err has been asked n times:
// a deadline that expires at a chosen point of the search, deterministically.
type countdown struct {
	context.Context
	n int
}

func (c *countdown) Err() error {
	if c.n == 0 {
		return context.DeadlineExceeded
	}
	c.n--
	return nil
}

func TestSearchStops(t *testing.T) {
	cfg := quorum.SearchConfig{Nodes: unitNodes(5), Goal: quorum.Goal{Workload: fraction(t, 0.5)}}

	// A context already done: nothing examined, the context's error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := quorum.Search(ctx, cfg)
	assert.ErrorIs(t, err, context.Canceled)

	// A deadline after three candidates: the best of the three so far.
	res, err := quorum.Search(&countdown{Context: context.Background(), n: 3}, cfg)
	require.NoError(t, err, "quoracle returns the best so far when its timeout expires")
	assert.Equal(t, 3, res.Examined)
	assert.False(t, res.Complete)

	// The budget.
	cfg.MaxSystems = 7
	res, err = quorum.Search(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, 7, res.Examined)
	assert.False(t, res.Complete)

	// The whole enumeration of 5 nodes: 885 candidates.
	cfg.MaxSystems = 0
	res, err = quorum.Search(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, 885, res.Examined)
	assert.True(t, res.Complete)

	// Height 1 only: the thresholds choose(k, a, ..., e).
	cfg.MaxHeight = 1
	res, err = quorum.Search(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, 5, res.Examined)
	assert.True(t, res.Complete)
}

// One node: the only system is the node itself.
func TestSearchOneNode(t *testing.T) {
	res, err := quorum.Search(context.Background(), quorum.SearchConfig{Nodes: unitNodes(1)})
	require.NoError(t, err)
	assert.Equal(t, "reads: a; writes: a", res.System.String())
	assert.Equal(t, 1.0, res.Strategy.Load())
	assert.True(t, res.Complete)
}

// What Search returns is at least as good as well-known systems over the
// same nodes (every node once), for random capacities, read fractions and
// objectives, and it meets the resilience asked for.
func TestPropSearchNoWorseThanKnownSystems(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(2, 4).Draw(t, "nodes")
		nodes := make([]quorum.Node, n)
		names := make([]string, n)
		for i := range nodes {
			names[i] = fmt.Sprint("n", i)
			nodes[i] = quorum.Node{
				Name:          names[i],
				ReadCapacity:  float64(rapid.IntRange(1, 4).Draw(t, "read capacity")),
				WriteCapacity: float64(rapid.IntRange(1, 4).Draw(t, "write capacity")),
			}
		}
		w, err := quorum.ReadFraction(float64(rapid.IntRange(0, 4).Draw(t, "fraction")) / 4)
		if err != nil {
			t.Fatal(err)
		}
		objective := quorum.Objective(rapid.IntRange(0, 1).Draw(t, "objective"))
		minRes := rapid.IntRange(0, min(1, n-2)).Draw(t, "resilience") // two nodes: no system survives a failure
		g := quorum.Goal{Workload: w, Objective: objective}
		res, err := quorum.Search(context.Background(), quorum.SearchConfig{Nodes: nodes, Goal: g, MinResilience: minRes})
		if err != nil {
			t.Fatal(err)
		}
		measure := func(st *quorum.Strategy) float64 {
			if objective == quorum.MinNetworkLoad {
				return st.NetworkLoad()
			}
			return st.Load()
		}
		r1, _ := res.System.Resilience(quorum.Read)
		r2, _ := res.System.Resilience(quorum.Write)
		if min(r1, r2) < minRes {
			t.Fatalf("Search returned %s of resilience %d, below the %d asked for", res.System, min(r1, r2), minRes)
		}
		leaves := quorum.Leaves(names...)
		for _, e := range []quorum.Expr{quorum.MajorityOf(leaves...), quorum.And(leaves...), quorum.Or(leaves...), quorum.Choose(n-1, leaves...)} {
			s, err := quorum.New(quorum.Config{Reads: e, Nodes: nodes})
			if err != nil {
				t.Fatal(err)
			}
			a, _ := s.Resilience(quorum.Read)
			b, _ := s.Resilience(quorum.Write)
			if min(a, b) < minRes {
				continue
			}
			st, err := s.Optimal(g)
			if err != nil {
				t.Fatal(err)
			}
			if measure(res.Strategy) > measure(st)+1e-9 {
				t.Fatalf("Search returned %s with %v, but %s has %v: the best of all candidates is no worse than any one of them", res.System, measure(res.Strategy), s, measure(st))
			}
		}
	})
}
