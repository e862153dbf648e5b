package quorum_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/quorum"
)

func TestParseRoundTrip(t *testing.T) {
	for _, in := range []string{
		"a*b*c + d*e*f",
		"choose(2, a, b, c)",
		"majority(a, b, c, d, e)",
		"(a + b)*c",
		"a*(b + choose(2, c, d, e)) + majority(f, g, h)",
		"node-1.eu*node_2",
		"choose(3, a, a, b, c)",
	} {
		e, err := quorum.Parse(in)
		require.NoError(t, err, in)
		assert.Equal(t, in, e.String(), "String writes back what Parse read")
	}
	e, err := quorum.Parse("  a *b+ c ")
	require.NoError(t, err)
	assert.Equal(t, "a*b + c", e.String(), "spaces are ignored and * binds tighter than +")
}

// Issue 11: names that are not identifiers are quoted, so that what
// String writes parses back as the same expression. And(x, "a+b") used to
// print as x*a+b, which parses as (x*a) + b.
func TestStringQuotesNames(t *testing.T) {
	for _, c := range []struct {
		e    quorum.Expr
		text string
	}{
		{quorum.And(quorum.Leaf("x"), quorum.Leaf("a+b")), `x*"a+b"`},
		{quorum.Or(quorum.Leaves("node 1", "10.0.0.1:7000")...), `"node 1" + "10.0.0.1:7000"`},
		{quorum.MajorityOf(quorum.Leaves(`say "hi"`, `back\slash`, "tab\there")...), `majority("say \"hi\"", "back\\slash", "tab\there")`},
		{quorum.Choose(1, quorum.Leaves("été", "日本", "\xff\x00")...), `choose(1, "été", "日本", "\xff\x00")`},
		{quorum.And(quorum.Leaves("node-1.eu", "_x", "choose", "majority")...), "node-1.eu*_x*choose*majority"},
		{quorum.Or(quorum.Leaves("1a", "-")...), `"1a" + "-"`},
		{quorum.Or(quorum.Leaf("a"), quorum.Leaf("a")), "choose(1, a, a)"},
		{quorum.And(quorum.Leaf("a")), "choose(1, a)"},
		{quorum.And(quorum.And(quorum.Leaves("a", "b")...), quorum.Leaf("c")), "(a*b)*c"},
	} {
		_, err := quorum.New(quorum.Config{Reads: c.e})
		require.NoError(t, err, c.text)
		assert.Equal(t, c.text, c.e.String())
		back, err := quorum.Parse(c.e.String())
		require.NoError(t, err, c.text)
		assert.True(t, back.Equal(c.e), "Parse(e.String()) must give e back: %s", c.text)
	}
	e, err := quorum.Parse(`"a" * "b c"`)
	require.NoError(t, err)
	assert.Equal(t, `a*"b c"`, e.String(), "a quoted identifier is written plain")
	for _, bad := range []string{`""`, `"a`, `a*"b`, `"a\q"`, "\"a\nb\"", "'a'", "`a`"} {
		_, err := quorum.Parse(bad)
		assert.ErrorIs(t, err, quorum.ErrSyntax, "%q", bad)
	}
}

func TestParseErrorsArePositioned(t *testing.T) {
	for _, c := range []struct {
		in       string
		offset   int
		sentinel error
		msg      string
	}{
		{"", 0, quorum.ErrSyntax, "end of input"},
		{"a*", 2, quorum.ErrSyntax, "end of input"},
		{"a + (b", 6, quorum.ErrSyntax, "expected ')'"},
		{"a $ b", 2, quorum.ErrSyntax, "unexpected '$'"},
		{"a + b + a", 8, quorum.ErrSyntax, `node "a" repeated`},
		{"choose(4, a, b, c)", 7, quorum.ErrThreshold, "between 1 and 3"},
		{"choose(0, a)", 7, quorum.ErrThreshold, "between 1 and 1"},
		{"choose(a, b)", 7, quorum.ErrSyntax, "needs a count"},
		{"choose(99999999999999999999999, a)", 7, quorum.ErrThreshold, "too large"},
		{"majority()", 9, quorum.ErrSyntax, "found ')'"},
		{"1a", 0, quorum.ErrSyntax, "expected a node"},
		{strings.Repeat("(", 200) + "a" + strings.Repeat(")", 200), 100, quorum.ErrTooLarge, "nested more than 100 deep"},
	} {
		_, err := quorum.Parse(c.in)
		var pe *quorum.ParseError
		require.ErrorAs(t, err, &pe, c.in)
		assert.Equal(t, c.offset, pe.Offset, "offset of the problem in %q (%v)", c.in, err)
		assert.ErrorIs(t, err, c.sentinel, c.in)
		assert.Contains(t, err.Error(), c.msg, c.in)
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	abc := quorum.MajorityOf(quorum.Leaves("a", "b", "c")...)
	for name, c := range map[string]struct {
		cfg      quorum.Config
		sentinel error
	}{
		"no expression":      {quorum.Config{}, quorum.ErrSyntax},
		"choose 0":           {quorum.Config{Reads: quorum.Choose(0, quorum.Leaf("a"))}, quorum.ErrThreshold},
		"choose too many":    {quorum.Config{Reads: quorum.Choose(3, quorum.Leaves("a", "b")...)}, quorum.ErrThreshold},
		"empty and":          {quorum.Config{Reads: quorum.And()}, quorum.ErrThreshold},
		"empty name":         {quorum.Config{Reads: quorum.Leaf("")}, quorum.ErrUnknownNode},
		"zero sub-expr":      {quorum.Config{Reads: quorum.Or(quorum.Leaf("a"), quorum.Expr{})}, quorum.ErrSyntax},
		"unknown described":  {quorum.Config{Reads: abc, Nodes: []quorum.Node{{Name: "z", ReadCapacity: 1, WriteCapacity: 1}}}, quorum.ErrUnknownNode},
		"described twice":    {quorum.Config{Reads: abc, Nodes: []quorum.Node{{Name: "a", ReadCapacity: 1, WriteCapacity: 1}, {Name: "a", ReadCapacity: 1, WriteCapacity: 1}}}, quorum.ErrDuplicateNode},
		"zero capacity":      {quorum.Config{Reads: abc, Nodes: []quorum.Node{{Name: "a", ReadCapacity: 0, WriteCapacity: 1}}}, quorum.ErrCapacity},
		"negative latency":   {quorum.Config{Reads: abc, Nodes: []quorum.Node{{Name: "a", ReadCapacity: 1, WriteCapacity: 1, Latency: -1}}}, quorum.ErrCapacity},
		"disjoint sides":     {quorum.Config{Reads: quorum.Or(quorum.Leaves("a", "b")...), Writes: quorum.Leaf("c")}, quorum.ErrNoIntersection},
		"2 of 5 and 3 of 5":  {quorum.Config{Reads: quorum.Choose(2, quorum.Leaves("a", "b", "c", "d", "e")...), Writes: quorum.Choose(3, quorum.Leaves("a", "b", "c", "d", "e")...)}, quorum.ErrNoIntersection},
		"more than 64 nodes": {quorum.Config{Reads: quorum.MajorityOf(quorum.Leaves(names(65)...)...)}, quorum.ErrTooLarge},
	} {
		s, err := quorum.New(c.cfg)
		assert.ErrorIs(t, err, c.sentinel, name)
		assert.Nil(t, s, name)
	}
}

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "n" + strings.Repeat("x", i/26) + string(rune('a'+i%26))
	}
	return out
}

// An unchecked system is built, reports that it does not intersect, and
// shows the disjoint quorums a lesson needs.
func TestUncheckedSystem(t *testing.T) {
	l := quorum.Leaves("a", "b", "c", "d", "e")
	s, err := quorum.New(quorum.Config{Reads: quorum.Choose(2, l...), Writes: quorum.Choose(2, l...), Unchecked: true})
	require.NoError(t, err)
	assert.False(t, s.Intersecting(), "2 + 2 <= 5: some read quorum misses some write quorum")
	r, _ := s.SetOf("a", "b")
	w, _ := s.SetOf("d", "e")
	assert.True(t, s.IsRead(r) && s.IsWrite(w) && r&w == 0, "disjoint read and write quorums exist")
}

func TestMajorityAndFlexible(t *testing.T) {
	m, err := quorum.Majority("a", "b", "c", "d", "e")
	require.NoError(t, err)
	qs, err := m.MinimalQuorums(quorum.Read)
	require.NoError(t, err)
	assert.Len(t, qs, 10, "C(5,3) minimal majorities")
	r, _ := m.Resilience(quorum.Write)
	assert.Equal(t, 2, r, "a majority of 5 survives 2 failures")

	// Flexible Paxos (Howard et al. 2016, section 3): n = 5, |Q1| = 4, |Q2| = 2.
	f, err := quorum.Flexible([]string{"a", "b", "c", "d", "e"}, 4, 2)
	require.NoError(t, err)
	r1, _ := f.Resilience(quorum.Read)
	r2, _ := f.Resilience(quorum.Write)
	assert.Equal(t, 1, r1, "phase 1 with |Q1| = 4 of 5 survives one failure")
	assert.Equal(t, 3, r2, "phase 2 with |Q2| = 2 of 5 survives three failures")

	_, err = quorum.Flexible([]string{"a", "b", "c", "d"}, 2, 2)
	assert.ErrorIs(t, err, quorum.ErrNoIntersection, "q1 + q2 must exceed n")
	_, err = quorum.Flexible([]string{"a", "b"}, 3, 1)
	assert.ErrorIs(t, err, quorum.ErrThreshold)
	_, err = quorum.Flexible([]string{"a", "a"}, 2, 1)
	assert.ErrorIs(t, err, quorum.ErrDuplicateNode)
	_, err = quorum.Majority()
	assert.ErrorIs(t, err, quorum.ErrThreshold)
}

func TestGrid(t *testing.T) {
	g, err := quorum.GridNames(3, 3)
	require.NoError(t, err)
	s, err := quorum.Grid(g)
	require.NoError(t, err)
	reads, _ := s.MinimalQuorums(quorum.Read)
	writes, _ := s.MinimalQuorums(quorum.Write)
	assert.Len(t, reads, 3, "a read quorum is a whole row")
	assert.Len(t, writes, 27, "a write quorum takes one node of each of 3 rows")
	_, err = quorum.Grid([][]string{{"a", "b"}, {"c"}})
	assert.ErrorIs(t, err, quorum.ErrThreshold)
	_, err = quorum.GridNames(9, 9)
	assert.ErrorIs(t, err, quorum.ErrThreshold)
}

// Gifford (1979) weighted voting: one strong copy with 2 votes and two
// weak ones with 1 vote, r = 2, w = 3 out of 4 votes.
func TestWeightedVoting(t *testing.T) {
	s, err := quorum.Weighted([]string{"a", "b", "c"}, []int{2, 1, 1}, 2, 3)
	require.NoError(t, err)
	reads, _ := s.MinimalQuorums(quorum.Read)
	writes, _ := s.MinimalQuorums(quorum.Write)
	show := func(qs []quorum.Set) (out []string) {
		for _, q := range qs {
			out = append(out, s.FormatSet(q))
		}
		return out
	}
	assert.Equal(t, []string{"{a}", "{b, c}"}, show(reads), "2 votes read: a alone or both weak copies")
	assert.Equal(t, []string{"{a, b}", "{a, c}"}, show(writes), "3 votes write: a and one weak copy")
	e, err := quorum.Parse(s.Expr(quorum.Read).String())
	require.NoError(t, err, "the textual form of weighted voting parses back")
	p, err := quorum.New(quorum.Config{Reads: e})
	require.NoError(t, err)
	back, _ := p.MinimalQuorums(quorum.Read)
	assert.Equal(t, show(reads), show(back), "choose(2, a, a, b, c) gives a two votes")
	_, err = quorum.Weighted([]string{"a", "b", "c"}, []int{2, 1, 1}, 2, 2)
	assert.ErrorIs(t, err, quorum.ErrNoIntersection, "r + w must exceed the total votes")
	_, err = quorum.Weighted([]string{"a", "b"}, []int{0, 1}, 1, 1)
	assert.ErrorIs(t, err, quorum.ErrThreshold)
	_, err = quorum.Weighted([]string{"a", "b"}, []int{1}, 1, 1)
	assert.ErrorIs(t, err, quorum.ErrThreshold)
}

// Aurora (Verbitski et al. 2017, section 2.1): "tolerate losing an entire
// AZ and one additional node without losing read availability, and
// losing an entire AZ without losing write availability".
func TestAuroraClaim(t *testing.T) {
	s := quorum.Aurora()
	ok, err := s.SurvivesZoneLoss(quorum.Read, quorum.AuroraZones, 1)
	require.NoError(t, err)
	assert.True(t, ok, "reads survive a zone plus one more copy")
	ok, _ = s.SurvivesZoneLoss(quorum.Write, quorum.AuroraZones, 0)
	assert.True(t, ok, "writes survive a zone")
	ok, _ = s.SurvivesZoneLoss(quorum.Write, quorum.AuroraZones, 1)
	assert.False(t, ok, "writes do not survive a zone plus one more copy")
	ok, _ = s.SurvivesZoneLoss(quorum.Read, quorum.AuroraZones, 2)
	assert.False(t, ok, "reads do not survive a zone plus two more copies")
	_, err = s.SurvivesZoneLoss(quorum.Read, [][]string{{"zz"}}, 0)
	assert.ErrorIs(t, err, quorum.ErrUnknownNode)

	failed, _ := s.SetOf("a1", "a2", "b1")
	read, write := s.Available(failed)
	assert.True(t, read, "3 copies left: reads")
	assert.False(t, write, "3 copies left: no writes")
}

func TestSetOfUnknown(t *testing.T) {
	s := quorum.Aurora()
	_, err := s.SetOf("a1", "nope")
	assert.ErrorIs(t, err, quorum.ErrUnknownNode)
	set, _ := s.SetOf("c2", "a1")
	assert.Equal(t, []string{"a1", "c2"}, s.NamesOf(set))
	assert.Equal(t, 2, set.Len())
}

// etcd raft's quorum tests (quorum/testdata/majority_vote.txt) check that a
// majority of 3 is won with 2 yes votes and lost with 2 no votes; the same
// holds here, and the tracker also handles grids.
func TestTracker(t *testing.T) {
	m, _ := quorum.Majority("1", "2", "3")
	tr := quorum.NewTracker(m, quorum.Write)
	assert.Equal(t, quorum.Pending, tr.Result())
	r, err := tr.VoteName("1", true)
	require.NoError(t, err)
	assert.Equal(t, quorum.Pending, r)
	r, _ = tr.VoteName("1", false)
	assert.Equal(t, quorum.Pending, r, "a node's second vote is ignored")
	r, _ = tr.VoteName("2", true)
	assert.Equal(t, quorum.Won, r)

	tr.Reset()
	tr.VoteName("1", false)
	r, _ = tr.VoteName("3", false)
	assert.Equal(t, quorum.Lost, r)
	_, err = tr.VoteName("9", true)
	assert.ErrorIs(t, err, quorum.ErrUnknownNode)
	_, err = tr.Vote(7, true)
	assert.ErrorIs(t, err, quorum.ErrUnknownNode)
	var zero quorum.Tracker
	_, err = zero.Vote(0, true)
	assert.ErrorIs(t, err, quorum.ErrUnknownNode)

	g, _ := quorum.Grid([][]string{{"a", "b", "c"}, {"d", "e", "f"}})
	rt := quorum.NewTracker(g, quorum.Read)
	rt.VoteName("a", true)
	rt.VoteName("e", false)
	r, _ = rt.VoteName("b", false)
	assert.Equal(t, quorum.Lost, r, "no whole row can vote yes")
	wt := quorum.NewTracker(g, quorum.Write)
	wt.VoteName("a", true)
	r, _ = wt.VoteName("f", true)
	assert.Equal(t, quorum.Won, r, "one node per row is a write quorum")
}

// etcd raft's quorum/testdata/majority_commit.txt: a majority of 3 with
// acknowledged indices 100, 101, 99 commits 100 (the median).
func TestCommittedIndex(t *testing.T) {
	m, _ := quorum.Majority("1", "2", "3")
	c, err := m.CommittedIndex(quorum.Write, []uint64{100, 101, 99})
	require.NoError(t, err)
	assert.Equal(t, uint64(100), c)
	_, err = m.CommittedIndex(quorum.Write, []uint64{1})
	assert.ErrorIs(t, err, quorum.ErrUnknownNode)

	f, _ := quorum.Flexible([]string{"a", "b", "c", "d", "e"}, 4, 2)
	c, _ = f.CommittedIndex(quorum.Write, []uint64{7, 3, 9, 1, 2})
	assert.Equal(t, uint64(7), c, "flexible phase 2: the second largest acknowledgement commits")

	g, _ := quorum.Grid([][]string{{"a", "b", "c"}, {"d", "e", "f"}})
	c, _ = g.CommittedIndex(quorum.Read, []uint64{5, 6, 7, 9, 9, 1})
	assert.Equal(t, uint64(5), c, "a whole row must acknowledge: row a..c has 5")
	c, _ = g.CommittedIndex(quorum.Write, []uint64{5, 6, 7, 9, 9, 1})
	assert.Equal(t, uint64(7), c, "one node per row: c has 7, d and e 9")
}

func TestStrategyMeasures(t *testing.T) {
	e, _ := quorum.Parse("a*b*c + d*e*f")
	s, err := quorum.New(quorum.Config{Reads: e, Nodes: []quorum.Node{
		{Name: "a", ReadCapacity: 1, WriteCapacity: 1, Latency: 10 * time.Millisecond},
		{Name: "d", ReadCapacity: 1, WriteCapacity: 1, Latency: 30 * time.Millisecond},
	}})
	require.NoError(t, err)
	half, err := quorum.ReadFraction(0.5)
	require.NoError(t, err)
	u, err := s.Uniform(half, 0)
	require.NoError(t, err)
	// Uniform: each row read with probability 1/2, each node written with
	// probability 1/3: node load 0.5*0.5 + 0.5/3 = 5/12.
	assert.InDelta(t, 5.0/12, u.Load(), 1e-12)
	assert.InDelta(t, 12.0/5, u.Capacity(), 1e-12)
	assert.InDelta(t, 0.5*3+0.5*2, u.NetworkLoad(), 1e-12, "reads contact 3 nodes, writes 2")
	// Read latency: rows at 10ms and 30ms -> 20ms. Writes: 30ms if d is
	// chosen (1/3), else 10ms if a is chosen (1/3 of the rest), else 0.
	wantWrite := (30.0 + 10.0*2.0/3) / 3
	assert.InDelta(t, float64(time.Millisecond)*(0.5*20+0.5*wantWrite), float64(u.Latency()), 1)
	for i := range s.Len() {
		assert.InDelta(t, 5.0/12, u.NodeLoad(i), 1e-12)
		assert.InDelta(t, 1, u.NodeUtilization(i), 1e-12, "every node is a bottleneck in the symmetric grid")
		assert.InDelta(t, 12.0/5*(0.5*0.5+0.5/3), u.NodeThroughput(i), 1e-12)
	}
	assert.Equal(t, 0.0, u.NodeLoad(99), "unknown node index")

	a, _ := s.SetOf("a", "b", "c")
	w1, _ := s.SetOf("a", "d")
	st, err := s.Strategy(half, []quorum.Set{a}, []float64{2}, []quorum.Set{w1}, []float64{1})
	require.NoError(t, err)
	assert.InDelta(t, 1, st.Load(), 1e-12, "a is in every chosen quorum")
	notQ, _ := s.SetOf("a")
	_, err = s.Strategy(half, []quorum.Set{notQ}, []float64{1}, []quorum.Set{w1}, []float64{1})
	assert.ErrorIs(t, err, quorum.ErrNotQuorum)
	_, err = s.Strategy(half, []quorum.Set{a}, []float64{0}, []quorum.Set{w1}, []float64{1})
	assert.ErrorIs(t, err, quorum.ErrWorkload)
}

func TestWorkloads(t *testing.T) {
	_, err := quorum.ReadFraction(1.5)
	assert.ErrorIs(t, err, quorum.ErrWorkload)
	_, err = quorum.Distribution([]float64{0.5}, []float64{-1})
	assert.ErrorIs(t, err, quorum.ErrWorkload)
	_, err = quorum.Distribution(nil, nil)
	assert.ErrorIs(t, err, quorum.ErrWorkload)

	// quoracle defines capacity under a distribution as the expected
	// capacity, not the inverse of the expected load.
	s := grid2x3(t)
	d, err := quorum.Distribution([]float64{0, 1}, []float64{1, 1})
	require.NoError(t, err)
	u, err := s.Uniform(d, 0)
	require.NoError(t, err)
	l0, l1 := u.At(fraction(t, 0)).Load(), u.At(fraction(t, 1)).Load()
	assert.InDelta(t, (l0+l1)/2, u.Load(), 1e-12)
	assert.InDelta(t, (1/l0+1/l1)/2, u.Capacity(), 1e-12, "capacity is E[1/load]")
	assert.NotEqual(t, 2/(l0+l1), u.Capacity())
	assert.Equal(t, "{0: 0.5, 1: 0.5}", d.String())
}

func TestOptimalGoals(t *testing.T) {
	s := grid2x3(t)
	w := fraction(t, 0.25)
	// Minimising network load picks the smallest quorums: writes contact 2
	// nodes, reads 3: 0.25*3 + 0.75*2.
	st, err := s.Optimal(quorum.Goal{Workload: w, Objective: quorum.MinNetworkLoad})
	require.NoError(t, err)
	assert.InDelta(t, 2.25, st.NetworkLoad(), 1e-9)
	// A load limit below the optimum is infeasible.
	_, err = s.Optimal(quorum.Goal{Workload: w, MaxLoad: 0.3})
	assert.ErrorIs(t, err, quorum.ErrInfeasible)
	st, err = s.Optimal(quorum.Goal{Workload: w, Objective: quorum.MinNetworkLoad, MaxLoad: 0.4})
	require.NoError(t, err)
	assert.LessOrEqual(t, st.Load(), 0.4+1e-9, "the load limit holds")
	_, err = s.Optimal(quorum.Goal{MaxLoad: -1})
	assert.ErrorIs(t, err, quorum.ErrThreshold)

	// Latency: with a slow node d, the fastest reads avoid its row.
	e, _ := quorum.Parse("a*b*c + d*e*f")
	sl, err := quorum.New(quorum.Config{Reads: e, Nodes: []quorum.Node{{Name: "d", ReadCapacity: 1, WriteCapacity: 1, Latency: time.Second}}})
	require.NoError(t, err)
	one := fraction(t, 1)
	st, err = sl.Optimal(quorum.Goal{Workload: one, Objective: quorum.MinLatency})
	require.NoError(t, err)
	assert.Equal(t, time.Duration(0), st.Latency(), "reads use the row without d")
	_, err = sl.Optimal(quorum.Goal{Workload: one, Objective: quorum.MinLatency, MaxLoad: 0.5 + 1e-9, MaxLatency: time.Millisecond})
	assert.ErrorIs(t, err, quorum.ErrInfeasible, "load 1/2 needs both rows, so half the reads wait for d")
}

// quoracle's f-resilient strategies: with f = 1 a majority of 5 must use
// quorums of 4, so its load rises from 3/5 to 4/5.
func TestOptimalResilient(t *testing.T) {
	s, _ := quorum.Majority("a", "b", "c", "d", "e")
	w := fraction(t, 0.5)
	st, err := s.Optimal(quorum.Goal{Workload: w, Resilience: 1})
	require.NoError(t, err)
	assert.InDelta(t, 0.8, st.Load(), 1e-9)
	_, err = s.Optimal(quorum.Goal{Workload: w, Resilience: 3})
	assert.ErrorIs(t, err, quorum.ErrInfeasible, "no quorum of 5 survives 3 of its nodes failing")
	big, _ := quorum.Majority(names(17)...)
	_, err = big.Optimal(quorum.Goal{Workload: w, Resilience: 1})
	assert.ErrorIs(t, err, quorum.ErrTooLarge)
}

func TestTooManyQuorums(t *testing.T) {
	s, err := quorum.Majority(names(25)...)
	require.NoError(t, err)
	_, err = s.MinimalQuorums(quorum.Read)
	assert.ErrorIs(t, err, quorum.ErrTooLarge)
	r, err := s.Resilience(quorum.Read)
	require.NoError(t, err, "resilience does not enumerate")
	assert.Equal(t, 12, r)
}
