package quorum_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/quorum"
)

// The figures of quoracle's README (github.com/mwhittaker/quoracle,
// README.md, sections "Load and Capacity" to "Search"), reproduced one by
// one, and those of its tests (tests/test_quorum_system.py). quoracle's
// Node(capacity=c) gives the node read and write capacity c.

func grid(t *testing.T, nodes ...quorum.Node) *quorum.System {
	t.Helper()
	return sys(t, "a*b*c + d*e*f", nodes...)
}

// probabilities returns a strategy's quorums of one side by their names.
func probabilities(s *quorum.System, st *quorum.Strategy, side quorum.Side) map[string]float64 {
	qs, ps := st.Quorums(side)
	out := map[string]float64{}
	for i, q := range qs {
		out[s.FormatSet(q)] = ps[i]
	}
	return out
}

func TestQuoracleReadmeHandMadeStrategy(t *testing.T) {
	g := grid(t)
	rows := func(names ...string) quorum.Set {
		set, err := g.SetOf(names...)
		require.NoError(t, err)
		return set
	}
	st, err := g.Strategy(fraction(t, 1),
		[]quorum.Set{rows("a", "b", "c"), rows("d", "e", "f")}, []float64{2, 1},
		[]quorum.Set{rows("a", "d"), rows("b", "e"), rows("c", "f")}, []float64{1, 1, 1})
	require.NoError(t, err)
	assert.InDelta(t, 2.0/3, st.Load(), 1e-12, "quoracle: strategy.load(read_fraction=1) is 2/3")
	assert.InDelta(t, 1.0/3, st.At(fraction(t, 0)).Load(), 1e-12, "quoracle: strategy.load(write_fraction=1) is 1/3")
	quarter := st.At(fraction(t, 0.25))
	assert.InDelta(t, 5.0/12, quarter.Load(), 1e-12, "quoracle: strategy.load(read_fraction=0.25) is 5/12")
	for i, want := range []float64{5.0 / 12, 5.0 / 12, 5.0 / 12, 1.0 / 3, 1.0 / 3, 1.0 / 3} {
		assert.InDelta(t, want, quarter.NodeLoad(i), 1e-12, "quoracle: node_load of %s at read fraction 0.25", g.Names()[i])
	}
	assert.Equal(t, "read fraction 1", st.Workload().String(), "At leaves the strategy it was called on alone")
	assert.Equal(t, "read fraction 0.25", quarter.Workload().String())
	q1, p1 := st.Quorums(quorum.Read)
	q2, p2 := quarter.Quorums(quorum.Read)
	assert.Equal(t, q1, q2, "At changes the workload, not the quorums")
	assert.Equal(t, p1, p2, "At changes the workload, not the probabilities")
}

func TestQuoracleReadmeOptimalAtOtherFractions(t *testing.T) {
	g := grid(t)
	st, err := g.Optimal(quorum.Goal{Workload: fraction(t, 0.25)})
	require.NoError(t, err)
	assert.InDelta(t, 0.375, st.Load(), 1e-9, "quoracle: grid.load(read_fraction=0.25) is 3/8")
	assert.InDelta(t, 8.0/3, st.Capacity(), 1e-9, "quoracle: grid.capacity(read_fraction=0.25) is 8/3")
	for _, c := range []struct{ fr, load float64 }{{0, 1.0 / 3}, {0.5, 5.0 / 12}, {1, 0.5}} {
		assert.InDelta(t, c.load, st.At(fraction(t, c.fr)).Load(), 1e-9, "quoracle: the strategy optimised for 0.25 has load %v at read fraction %v", c.load, c.fr)
	}
	d, err := quorum.Distribution([]float64{0.1, 0.75}, []float64{1, 1})
	require.NoError(t, err)
	st, err = g.Optimal(quorum.Goal{Workload: d})
	require.NoError(t, err)
	assert.InDelta(t, 0.40416666474999996, st.Load(), 1e-8, "quoracle: load 0.40416... under {0.1: 1, 0.75: 1}")
}

func TestQuoracleReadmeHeterogeneousNodes(t *testing.T) {
	g := grid(t, uniformCap("a", 1000), uniformCap("b", 500), uniformCap("c", 1000), uniformCap("d", 500), uniformCap("e", 1000), uniformCap("f", 500))
	st, err := g.Optimal(quorum.Goal{Workload: fraction(t, 0.75)})
	require.NoError(t, err)
	assert.InDelta(t, 0.00075, st.Load(), 1e-12, "quoracle: load 0.00075")
	assert.InDelta(t, 4000.0/3, st.Capacity(), 1e-6, "quoracle: capacity 1333.33")

	g = grid(t, rw("a", 10000, 1000, 0), rw("b", 5000, 500, 0), rw("c", 10000, 1000, 0), rw("d", 5000, 500, 0), rw("e", 10000, 1000, 0), rw("f", 5000, 500, 0))
	for _, c := range []struct{ fr, capacity float64 }{{1, 10000}, {0.5, 3913.043450018904}, {0, 2000}} {
		assert.InDelta(t, c.capacity, optimalCapacity(t, g, fraction(t, c.fr), 0), 1e-4, "quoracle: grid.capacity(read_fraction=%v)", c.fr)
	}
	writes := fraction(t, 0)
	assert.InDelta(t, 2000, optimalCapacity(t, g, writes, 0), 1e-6, "quoracle: grid.capacity(write_fraction=1, f=0)")
	assert.InDelta(t, 1000, optimalCapacity(t, g, writes, 1), 1e-6, "quoracle: grid.capacity(write_fraction=1, f=1)")
	write2 := func() *quorum.System {
		e, err := quorum.Parse("choose(2, a, b, c, d, e)")
		require.NoError(t, err)
		s, err := quorum.New(quorum.Config{Writes: e, Nodes: []quorum.Node{rw("a", 10000, 1000, 0), rw("b", 5000, 500, 0), rw("c", 10000, 1000, 0), rw("d", 5000, 500, 0), rw("e", 10000, 1000, 0)}})
		require.NoError(t, err)
		return s
	}()
	assert.InDelta(t, 2000, optimalCapacity(t, write2, writes, 0), 1e-6, "quoracle: write2.capacity(write_fraction=1, f=0)")
	assert.InDelta(t, 4000.0/3, optimalCapacity(t, write2, writes, 1), 1e-6, "quoracle: write2.capacity(write_fraction=1, f=1)")
}

func readmeLatencyGrid(t *testing.T) *quorum.System {
	s := time.Second
	return grid(t, rw("a", 10000, 1000, 1*s), rw("b", 5000, 500, 2*s), rw("c", 10000, 1000, 3*s), rw("d", 5000, 500, 4*s), rw("e", 10000, 1000, 5*s), rw("f", 5000, 500, 6*s))
}

func TestQuoracleReadmeLatency(t *testing.T) {
	s := time.Second
	g := readmeLatencyGrid(t)
	half := fraction(t, 0.5)
	sigma, err := g.Optimal(quorum.Goal{Workload: half, Objective: quorum.MinLatency})
	require.NoError(t, err)
	assert.Equal(t, map[string]float64{"{a, b, c}": 1}, probabilities(g, sigma, quorum.Read), "quoracle: reads {a, b, c}")
	writes, _ := sigma.Quorums(quorum.Write)
	for _, q := range writes { // quoracle picks {c, d}; {a, d} is as fast
		assert.Equal(t, 4*s, g.Latency(quorum.Write, q), "quoracle: the fastest write quorums take 4 s ({c, d} or {a, d})")
	}
	assert.Equal(t, 3*s, sigma.At(fraction(t, 1)).Latency(), "quoracle: sigma.latency(read_fraction=1)")
	assert.Equal(t, 4*s, sigma.At(fraction(t, 0)).Latency(), "quoracle: sigma.latency(read_fraction=0)")
	assert.Equal(t, 3500*time.Millisecond, sigma.Latency(), "quoracle: sigma.latency(read_fraction=0.5)")

	sigma, err = g.Optimal(quorum.Goal{Workload: half, Objective: quorum.MinLatency, MaxLoad: 1.0 / 1500})
	require.NoError(t, err)
	assert.InDelta(t, 1500, sigma.Capacity(), 1e-3, "quoracle: capacity 1500 under load_limit=1/1500")
	assert.InDelta(t, 3.666667, sigma.Latency().Seconds(), 1e-6, "quoracle: latency 3.666667 s")

	sigma, err = g.Optimal(quorum.Goal{Workload: half, MaxLatency: 4 * s})
	require.NoError(t, err)
	assert.InDelta(t, 3856.2090893331633, sigma.Capacity(), 1e-2, "quoracle: capacity 3856.2 under latency_limit=4s")
	assert.LessOrEqual(t, sigma.Latency(), 4*s+time.Microsecond)

	_, err = g.Optimal(quorum.Goal{Workload: half, MaxLatency: s})
	assert.ErrorIs(t, err, quorum.ErrInfeasible, "quoracle: NoStrategyFoundError under latency_limit=1s")

	sigma, err = g.Optimal(quorum.Goal{Workload: half, Objective: quorum.MinNetworkLoad})
	require.NoError(t, err)
	assert.InDelta(t, 2.5, sigma.NetworkLoad(), 1e-9, "quoracle: network load 2.5")
}

// quoracle's README search: six nodes, resilience 1, 1-resilient
// strategies, 75% reads, latency at most 4 s and network load at most 4.
// quoracle finds choose(3, a, c, e, b + d + f) with capacity 3500,
// latency 3.907143 s and network load 3.985714 within its 60 s timeout;
// Search finds the same system among the 1894 candidates of height at
// most 2 (and the long run shows no other of the 13684 does better).
func TestQuoracleReadmeSearch(t *testing.T) {
	g := readmeLatencyGrid(t)
	cfg := quorum.SearchConfig{
		Nodes:         g.Nodes(),
		Goal:          quorum.Goal{Workload: fraction(t, 0.75), Resilience: 1, MaxLatency: 4 * time.Second, MaxNetworkLoad: 4},
		MinResilience: 1,
		MaxHeight:     2,
	}
	if !testing.Short() {
		cfg.MaxHeight = 0
	}
	res, err := quorum.Search(context.Background(), cfg)
	require.NoError(t, err)
	assert.True(t, res.Complete)
	want := sys(t, "choose(3, a, c, e, b + d + f)")
	assert.Equal(t, minimal(t, want), minimal(t, res.System), "quoracle: search finds choose(3, a, c, e, b + d + f), not %s", res.System)
	assert.InDelta(t, 3500, res.Strategy.Capacity(), 1e-6, "quoracle: capacity 3500")
	assert.InDelta(t, 3.907143, res.Strategy.Latency().Seconds(), 1e-6, "quoracle: latency 3.907143 s")
	assert.InDelta(t, 3.9857142674999997, res.Strategy.NetworkLoad(), 1e-6, "quoracle: network load 3.9857")
	assert.Same(t, res.System, res.Strategy.System())
}

// minimal returns the minimal read quorums of s by their names.
func minimal(t *testing.T, s *quorum.System) []string {
	t.Helper()
	qs, err := s.MinimalQuorums(quorum.Read)
	require.NoError(t, err)
	var out []string
	for _, q := range qs {
		names := s.NamesOf(q)
		slices.Sort(names)
		out = append(out, strings.Join(names, " "))
	}
	slices.Sort(out)
	return out
}

// quoracle's test_uniform_strategy: a*b + c*d + e*f with f = 1 reads any
// two rows, and writes to all six nodes.
func TestQuoracleUniformResilient(t *testing.T) {
	s := sys(t, "a*b + c*d + e*f")
	u, err := s.Uniform(fraction(t, 0.5), 1)
	require.NoError(t, err)
	third := 1.0 / 3
	assert.Equal(t, map[string]float64{"{a, b, c, d}": third, "{a, b, e, f}": third, "{c, d, e, f}": third}, probabilities(s, u, quorum.Read), "quoracle: 1-resilient reads")
	assert.Equal(t, map[string]float64{"{a, b, c, d, e, f}": 1}, probabilities(s, u, quorum.Write), "quoracle: 1-resilient writes")

	u, err = s.Uniform(fraction(t, 0.5), 0)
	require.NoError(t, err)
	assert.Len(t, probabilities(s, u, quorum.Write), 8, "f = 0: the minimal write quorums, one node per row")

	_, err = s.Uniform(fraction(t, 0.5), 2)
	assert.ErrorIs(t, err, quorum.ErrInfeasible, "no read set survives 2 failures... except all six; no write set does")
	_, err = s.Uniform(fraction(t, 0.5), -1)
	assert.ErrorIs(t, err, quorum.ErrThreshold)
}

// The optimum over f-resilient sets is no worse than the uniform strategy
// over the minimal ones.
func TestUniformResilientNotBetterThanOptimal(t *testing.T) {
	for _, text := range []string{"majority(a, b, c, d, e)", "a*b*c + d*e*f", "choose(2, a, b, c, d)"} {
		s := sys(t, text)
		for _, f := range []int{0, 1} {
			for _, fr := range []float64{0, 0.3, 1} {
				u, err := s.Uniform(fraction(t, fr), f)
				if errors.Is(err, quorum.ErrInfeasible) {
					continue
				}
				require.NoError(t, err)
				o, err := s.Optimal(quorum.Goal{Workload: fraction(t, fr), Resilience: f})
				require.NoError(t, err)
				assert.LessOrEqual(t, o.Load(), u.Load()+1e-9, "%s, f=%d, read fraction %v: the optimal f-resilient load is at most the uniform one's", text, f, fr)
			}
		}
	}
}

func TestSample(t *testing.T) {
	g := grid(t)
	abc, _ := g.SetOf("a", "b", "c")
	def, _ := g.SetOf("d", "e", "f")
	ad, _ := g.SetOf("a", "d")
	be, _ := g.SetOf("b", "e")
	st, err := g.Strategy(fraction(t, 1), []quorum.Set{abc, def}, []float64{2, 1}, []quorum.Set{ad, be}, []float64{0, 1})
	require.NoError(t, err)

	r := rand.New(rand.NewPCG(1, 2))
	const draws = 30000
	counts := map[quorum.Set]int{}
	for range draws {
		q, err := st.Sample(quorum.Read, r)
		require.NoError(t, err)
		counts[q]++
		w, err := st.Sample(quorum.Write, r)
		require.NoError(t, err)
		require.Equal(t, be, w, "a quorum of probability 0 is never drawn")
	}
	// 2/3 of the draws: the standard deviation is sqrt(n p (1-p)) = 82.
	assert.InDelta(t, draws*2.0/3, float64(counts[abc]), 5*math.Sqrt(draws*2.0/9), "quoracle: get_read_quorum returns {a, b, c} twice as often as {d, e, f}")
	assert.Equal(t, draws, counts[abc]+counts[def], "only the strategy's quorums are drawn")

	replay := func(seed uint64) []quorum.Set {
		r := rand.New(rand.NewPCG(seed, 0))
		var out []quorum.Set
		for range 20 {
			q, err := st.Sample(quorum.Read, r)
			require.NoError(t, err)
			out = append(out, q)
		}
		return out
	}
	assert.Equal(t, replay(7), replay(7), "the same seed draws the same quorums")

	_, err = st.Sample(quorum.Read, nil)
	assert.ErrorIs(t, err, quorum.ErrWorkload, "a nil source is refused")
	var zero quorum.Strategy
	_, err = zero.Sample(quorum.Read, r)
	assert.ErrorIs(t, err, quorum.ErrWorkload, "the zero Strategy is refused")
	assert.Equal(t, 0.0, zero.Load(), "the zero Strategy's measures are zero")
	assert.Equal(t, 0.0, zero.Capacity())
	assert.Equal(t, time.Duration(0), zero.Latency())
}

func TestSampleAllocatesNothing(t *testing.T) {
	s, err := quorum.Majority("a", "b", "c", "d", "e")
	require.NoError(t, err)
	st, err := s.Uniform(fraction(t, 0.5), 0)
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(3, 4))
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := st.Sample(quorum.Write, r); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}
