package sim

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tests of the explorer's reductions: delay-bounded scheduling
// (ExploreConfig.DelayBounding) and symmetry reduction
// (ExploreConfig.Symmetric), on the two-phase commit of
// explore_bench_test.go.

// xpView is a state of xp2PC as an invariant sees it, written out under a
// renaming of the participants: every node's up flag, value (renamed),
// storage and timers in node order, and the multiset of messages in
// flight (renamed, sorted). It leaves out what the path spent (the fault
// budgets and delays), so that states of different searches compare.
func xpView(w *World[xpMsg, *xp2PC], rename func(string) string) string {
	desc := map[string][]byte{}
	for _, id := range w.Nodes() {
		var b []byte
		if n, up := w.Node(id); up {
			b = append(b, 'u')
			b = n.AppendRenamed(b, rename)
		}
		b = w.Storage(id).AppendState(append(b, 0xff))
		for _, name := range w.Timers(id) {
			b = appendString(b, name)
		}
		desc[rename(id)] = b
	}
	var out []byte
	for _, id := range w.Nodes() {
		out = appendString(out, string(desc[id]))
	}
	var msgs []string
	for _, e := range w.InFlight() {
		msgs = append(msgs, string(xpEncode(appendString(appendString(nil, rename(e.From)), rename(e.To)), e.Msg)))
	}
	slices.Sort(msgs)
	for _, m := range msgs {
		out = appendString(out, m)
	}
	return string(out)
}

// xpCanonical is the least xpView over every renaming of the
// participants: the test's own canonical form, by brute force.
func xpCanonical(w *World[xpMsg, *xp2PC]) string {
	ps := w.Nodes()[1:]
	best := ""
	var perm func(k int)
	order := slices.Clone(ps)
	perm = func(k int) {
		if k == len(order) {
			to := map[string]string{}
			for i, p := range ps {
				to[p] = order[i]
			}
			v := xpView(w, func(id string) string {
				if r, ok := to[id]; ok {
					return r
				}
				return id
			})
			if best == "" || v < best {
				best = v
			}
			return
		}
		for i := k; i < len(order); i++ {
			order[k], order[i] = order[i], order[k]
			perm(k + 1)
			order[k], order[i] = order[i], order[k]
		}
	}
	perm(0)
	return best
}

// xpViews explores cfg and returns the set of views f gives of the
// states it reaches, with the result.
func xpViews(t *testing.T, cfg ExploreConfig[xpMsg, *xp2PC], f func(*World[xpMsg, *xp2PC]) string) (map[string]bool, *ExploreResult) {
	t.Helper()
	var mu sync.Mutex
	seen := map[string]bool{}
	inv := cfg.Invariant
	cfg.Invariant = func(w *World[xpMsg, *xp2PC]) error {
		v := f(w)
		mu.Lock()
		seen[v] = true
		mu.Unlock()
		if inv != nil {
			return inv(w)
		}
		return nil
	}
	res, err := Explore(cfg)
	require.NoError(t, err)
	require.Nil(t, res.Violation)
	require.True(t, res.Complete)
	return seen, res
}

func identity(id string) string { return id }

// xpSmallConfig is xp2PCConfig with one crash and one drop, no restart
// and no timeout: a few hundred states with three participants.
func xpSmallConfig(k int) ExploreConfig[xpMsg, *xp2PC] {
	cfg := xp2PCConfig(k)
	cfg.MaxRestarts, cfg.MaxTimeouts = 0, 0
	return cfg
}

// With a delay bound at least as long as any path, delay-bounded
// scheduling reaches every state the default search reaches (it orders
// the messages in flight, and may reach each configuration in several
// orders); with smaller bounds it reaches a subset, growing with the
// bound. Emmi, Qadeer and Rakamarić (2011): a delay bound of k explores every
// schedule that deviates k times from the deterministic one.
func TestExploreDelayBoundingReachesEveryStateWhenUnbounded(t *testing.T) {
	view := func(w *World[xpMsg, *xp2PC]) string { return xpView(w, identity) }
	base := func() ExploreConfig[xpMsg, *xp2PC] {
		cfg := xp2PCConfig(2)
		cfg.MaxRestarts = 0
		return cfg
	}
	full, fullRes := xpViews(t, base(), view)
	prev := map[string]bool{}
	for _, d := range []int{0, 1, 100} {
		cfg := base()
		cfg.DelayBounding, cfg.MaxDelays = true, d
		got, res := xpViews(t, cfg, view)
		for v := range got {
			require.True(t, full[v], "with %d delays the search reached a state the full search does not: %s", d, v)
		}
		for v := range prev {
			require.True(t, got[v], "raising the delay bound to %d lost a state: %s", d, v)
		}
		prev = got
		t.Logf("delay bound %3d: %5d of the %d configurations, %5d states (the default search: %d)", d, len(got), len(full), res.Distinct, fullRes.Distinct)
	}
	assert.Equal(t, len(full), len(prev), "with an unbounded number of delays, delay bounding must reach every state of the full search")
}

// Symmetry reduction visits one state of every class the full search
// reaches, no more and no fewer: the set of canonical forms (computed by
// brute force over all renamings) is the same with and without it, and
// it explores between 1/3! of the states and all of them.
func TestExploreSymmetryVisitsEveryClass(t *testing.T) {
	for _, ordered := range []bool{false, true} {
		cfg := xpSmallConfig(3)
		if ordered {
			cfg.DelayBounding, cfg.MaxDelays = true, 2
		}
		full, fullRes := xpViews(t, cfg, xpCanonical)
		cfg.Symmetric = []string{"p1", "p2", "p3"}
		reduced, res := xpViews(t, cfg, xpCanonical)
		if !ordered {
			assert.Equal(t, full, reduced, "symmetry reduction must reach exactly the classes the full search reaches")
		} else {
			// Broadcast sends in identifier order, so with an ordered queue
			// renaming a state does not give a reachable state: the
			// reduction may skip classes (ExploreConfig.Symmetric says so).
			for v := range reduced {
				require.True(t, full[v], "symmetry reduction reached a class the full search does not")
			}
		}
		assert.LessOrEqual(t, res.Distinct, fullRes.Distinct)
		assert.GreaterOrEqual(t, 6*res.Distinct, fullRes.Distinct, "three interchangeable nodes reduce by 3! at most")
		assert.Equal(t, fullRes.Depth, res.Depth, "the reduction keeps the depth of the shortest paths")
		t.Logf("delay bounding %v: %d classes; %d states without symmetry, %d with", ordered, len(full), fullRes.Distinct, res.Distinct)
	}
}

// Both reductions keep finding a known bug: a coordinator that commits
// on the first yes breaks validity (commit only if everyone voted yes).
// Symmetry keeps the shortest counterexample (deliver one prepare, then
// its yes); with no delays the yes waits behind the other two prepares.
func TestExploreReductionsFindTheEagerCoordinator(t *testing.T) {
	for _, c := range []struct {
		name      string
		ordered   bool
		delays    int
		symmetric bool
		depth     int
	}{
		{"full", false, 0, false, 2},
		{"delay bound 0", true, 0, false, 4},
		{"delay bound 1", true, 1, false, 2},
		{"symmetry", false, 0, true, 2},
		{"both", true, 0, true, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := xp2PCConfig(3)
			cfg.New = func(id string) *xp2PC { n := newXP2PC(3)(id); n.eager = true; return n }
			cfg.DelayBounding, cfg.MaxDelays = c.ordered, c.delays
			if c.symmetric {
				cfg.Symmetric = []string{"p1", "p2", "p3"}
			}
			res, err := Explore(cfg)
			require.NoError(t, err)
			require.NotNil(t, res.Violation, "the eager coordinator must be found")
			assert.ErrorContains(t, res.Violation, "committed but")
			assert.Equal(t, c.depth, res.Violation.Depth, "the shortest counterexample: deliver a prepare, then its yes")
			t.Logf("%s: found after %d states", c.name, res.Distinct)
		})
	}
}

var long = flag.Bool("long", false, "explore larger configurations (the reductions' table with 3 and 4 participants: about a minute)")

// The state counts of docs/simulation.md: two-phase commit with a
// coordinator and k participants (one crash, one restart, one drop, one
// timeout), with each reduction and both; k = 2 and three settings by
// default, and with -long every setting and k = 3 and 4 too (about a
// minute and 430 MB on two cores).
func TestExploreReductionCounts(t *testing.T) {
	ks := []int{2}
	if *long {
		ks = append(ks, 3, 4)
	}
	type row struct {
		name                 string
		synchronous, ordered bool
		delays               int
		symmetric            bool
	}
	rows := []row{
		{name: "default"},
		{name: "symmetry", symmetric: true},
		{name: "synchronous, delay bound 1, symmetry", synchronous: true, ordered: true, delays: 1, symmetric: true},
	}
	if *long {
		rows = slices.Insert(rows, 1,
			row{name: "synchronous", synchronous: true},
			row{name: "delay bound 1", ordered: true, delays: 1},
			row{name: "synchronous, delay bound 1", synchronous: true, ordered: true, delays: 1})
	}
	var lines []string
	counts := map[string][]int{}
	for _, r := range rows {
		line := fmt.Sprintf("%-40s", r.name)
		for _, k := range ks {
			cfg := xp2PCConfig(k)
			cfg.Synchronous, cfg.DelayBounding, cfg.MaxDelays = r.synchronous, r.ordered, r.delays
			if r.symmetric {
				cfg.Symmetric = xp2PCNodes(k)[1:]
			}
			res, err := Explore(cfg)
			require.NoError(t, err)
			require.Nil(t, res.Violation)
			require.True(t, res.Complete)
			counts[r.name] = append(counts[r.name], res.Distinct)
			line += fmt.Sprintf(" %7d (%v)", res.Distinct, res.Elapsed.Round(time.Millisecond))
		}
		lines = append(lines, line)
	}
	t.Logf("2PC, 1 crash, 1 restart, 1 drop, 1 timeout; states with %v participants:\n%s", ks, strings.Join(lines, "\n"))
	// Delay bounding alone may explore more states than the default search
	// on a small system: it reaches fewer configurations, but each in
	// several orders of the queue. Its gain comes with many messages in
	// flight, and with synchronous timers.
	def := counts["default"]
	assert.Less(t, 3*counts["symmetry"][0], 2*def[0], "symmetry between 2 participants should divide the states by nearly 2")
	assert.Less(t, 3*counts["synchronous, delay bound 1, symmetry"][0], def[0], "the reductions together should divide the states by 3")
	if len(ks) > 1 {
		assert.Less(t, 4*counts["symmetry"][1], def[1], "symmetry among 3 participants should divide the states by nearly 3!")
		assert.Less(t, 10*counts["synchronous, delay bound 1, symmetry"][1], def[1], "the reductions together should divide the states by 10")
	}
}

func TestExploreReductionConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		set  func(*ExploreConfig[xpMsg, *xp2PC])
		err  error
	}{
		{"delays without ordering", func(c *ExploreConfig[xpMsg, *xp2PC]) { c.MaxDelays = 1 }, ErrInvalidConfig},
		{"negative delays", func(c *ExploreConfig[xpMsg, *xp2PC]) { c.DelayBounding, c.MaxDelays = true, -1 }, ErrInvalidConfig},
		{"unknown symmetric node", func(c *ExploreConfig[xpMsg, *xp2PC]) { c.Symmetric = []string{"p1", "zz"} }, ErrUnknownNode},
		{"symmetric node twice", func(c *ExploreConfig[xpMsg, *xp2PC]) { c.Symmetric = []string{"p1", "p1"} }, ErrInvalidConfig},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := xp2PCConfig(2)
			c.set(&cfg)
			_, err := Explore(cfg)
			assert.ErrorIs(t, err, c.err)
		})
	}
	// A node type that cannot rename its state cannot be symmetric.
	cfg := xpCounterConfig(2)
	cfg.Symmetric = []string{"s1", "s2"}
	_, err := Explore(cfg)
	assert.ErrorIs(t, err, ErrInvalidConfig)
	assert.ErrorContains(t, err, "does not implement Renamable")
}

// The reductions keep the explorer's promise that the result does not
// depend on the number of workers.
func TestExploreReductionsDeterministicAcrossWorkers(t *testing.T) {
	var want *ExploreResult
	for _, workers := range []int{1, 3} {
		cfg := xp2PCConfig(2)
		cfg.DelayBounding, cfg.MaxDelays, cfg.Symmetric, cfg.Workers = true, 2, []string{"p1", "p2"}, workers
		cfg.New = func(id string) *xp2PC { n := newXP2PC(2)(id); n.eager = id == "c"; return n }
		cfg.Invariant = nil
		cfg.Quiescent = func(w *World[xpMsg, *xp2PC]) error {
			if d, _ := w.Storage("p2").Get("decision"); string(d) == "c" {
				return fmt.Errorf("p2 committed") // reached at depth 6 or so
			}
			return nil
		}
		res, err := Explore(cfg)
		require.NoError(t, err)
		if want == nil {
			want = res
			continue
		}
		assert.Equal(t, want.Distinct, res.Distinct, "%d workers", workers)
		assert.Equal(t, want.Explored, res.Explored, "%d workers", workers)
		assert.Equal(t, want.Depth, res.Depth, "%d workers", workers)
		assert.Equal(t, want.Violation, res.Violation, "%d workers: the counterexample differs", workers)
	}
}
