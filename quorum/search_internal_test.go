package quorum

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// quoracle's TestSearch.test_dup_free_exprs (github.com/mwhittaker/
// quoracle, tests/test_search.py): the expressions of height at most 2
// over four nodes, in our syntax (quoracle's choose(k, [..]) without the
// brackets). quoracle lists some systems twice, (a + b) + c + d and
// a + b + c + d; the test compares the sets of quorum systems.
const quoracleHeight2Over4 = `
a + b + c + d
choose(2, a, b, c, d)
choose(3, a, b, c, d)
a * b * c * d
(a + b) + c + d
(a + b) * c * d
(a * b) + c + d
(a * b) * c * d
choose(2, a + b, c, d)
choose(2, a * b, c, d)
(a + c) + b + d
(a + c) * b * d
(a * c) + b + d
(a * c) * b * d
choose(2, a + c, b, d)
choose(2, a * c, b, d)
(a + d) + b + c
(a + d) * b * c
(a * d) + b + c
(a * d) * b * c
choose(2, a + d, b, c)
choose(2, a * d, b, c)
(b + c) + a + d
(b + c) * a * d
(b * c) + a + d
(b * c) * a * d
choose(2, b + c, a, d)
choose(2, b * c, a, d)
(b + d) + a + c
(b + d) * a * c
(b * d) + a + c
(b * d) * a * c
choose(2, b + d, a, c)
choose(2, b * d, a, c)
(c + d) + a + b
(c + d) * a * b
(c * d) + a + b
(c * d) * a * b
choose(2, c + d, a, b)
choose(2, c * d, a, b)
(a + b) + (c + d)
(a + b) + (c * d)
(a + b) * (c + d)
(a + b) * (c * d)
(a * b) + (c + d)
(a * b) + (c * d)
(a * b) * (c + d)
(a * b) * (c * d)
(a + c) + (b + d)
(a + c) + (b * d)
(a + c) * (b + d)
(a + c) * (b * d)
(a * c) + (b + d)
(a * c) + (b * d)
(a * c) * (b + d)
(a * c) * (b * d)
(a + d) + (b + c)
(a + d) + (b * c)
(a + d) * (b + c)
(a + d) * (b * c)
(a * d) + (b + c)
(a * d) + (b * c)
(a * d) * (b + c)
(a * d) * (b * c)
a + (b + c + d)
a + (b * c * d)
a * (b + c + d)
a * (b * c * d)
a + choose(2, b, c, d)
a * choose(2, b, c, d)
b + (a + c + d)
b + (a * c * d)
b * (a + c + d)
b * (a * c * d)
b + choose(2, a, c, d)
b * choose(2, a, c, d)
c + (a + b + d)
c + (a * b * d)
c * (a + b + d)
c * (a * b * d)
c + choose(2, a, b, d)
c * choose(2, a, b, d)
d + (a + b + c)
d + (a * b * c)
d * (a + b + c)
d * (a * b * c)
d + choose(2, a, b, c)
d * choose(2, a, b, c)
`

// family returns the minimal read quorums of e as a canonical string.
func family(t *testing.T, e Expr) string {
	t.Helper()
	s, err := New(Config{Reads: e})
	require.NoError(t, err)
	qs, err := s.MinimalQuorums(Read)
	require.NoError(t, err)
	var out []string
	for _, q := range qs {
		names := s.NamesOf(q)
		slices.Sort(names)
		out = append(out, strings.Join(names, ""))
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// candidates returns the families Search examines over n nodes a, b, ...
// up to height h, in order, failing on a family seen twice.
func candidates(t *testing.T, n, h int) []string {
	t.Helper()
	var g generator
	all := make([]int, n)
	for i := range n {
		g.leaves = append(g.leaves, Leaf(string(rune('a'+i))))
		all[i] = i
	}
	var out []string
	seen := map[string]string{}
	examine := func(e Expr, _ int) bool {
		f := family(t, e)
		if prev, dup := seen[f]; dup {
			t.Fatalf("%s and %s are the same quorum system: the search would examine it twice", prev, e)
		}
		seen[f] = e.String()
		out = append(out, f)
		return true
	}
	if n == 1 {
		examine(g.leaves[0], 0)
	}
	for height := 1; height <= h; height++ {
		g.exprs(all, height, true, examine)
	}
	return out
}

func TestSearchCandidatesMatchQuoracle(t *testing.T) {
	want := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(quoracleHeight2Over4), "\n") {
		e, err := Parse(line)
		require.NoError(t, err, line)
		want[family(t, e)] = true
	}
	got := map[string]bool{}
	for _, f := range candidates(t, 4, 2) {
		got[f] = true
	}
	assert.Equal(t, want, got, "quoracle: the quorum systems of height at most 2 over a, b, c, d")
	assert.Len(t, got, 50)

	// quoracle's three-node list: a + b + c, choose(2, ...), a*b*c and the
	// six forms x*(y + z), x + y*z.
	assert.Len(t, candidates(t, 3, 2), 9, "quoracle: 9 quorum systems over three nodes")
	assert.Len(t, candidates(t, 2, 1), 2, "quoracle: a + b and a*b")
	assert.Len(t, candidates(t, 1, 0), 1, "quoracle: a")
}

// The counts the documentation of Search states, and no system twice.
func TestSearchCandidateCounts(t *testing.T) {
	for n, want := range map[int]int{2: 2, 3: 9, 4: 74, 5: 885} {
		assert.Len(t, candidates(t, n, n-1), want, "candidates over %d nodes", n)
	}
	if testing.Short() {
		return
	}
	var g generator
	all := make([]int, 6)
	for i := range all {
		g.leaves = append(g.leaves, Leaf(fmt.Sprint("n", i)))
		all[i] = i
	}
	count := 0
	for h := 1; h <= 5; h++ {
		g.exprs(all, h, true, func(Expr, int) bool { count++; return true })
	}
	assert.Equal(t, 13684, count, "candidates over 6 nodes")
}

// Stopping the enumeration stops it at once.
func TestSearchCandidatesStop(t *testing.T) {
	var g generator
	all := make([]int, 6)
	for i := range all {
		g.leaves = append(g.leaves, Leaf(fmt.Sprint("n", i)))
		all[i] = i
	}
	calls := 0
	done := g.exprs(all, 3, true, func(Expr, int) bool { calls++; return calls < 10 })
	assert.False(t, done)
	assert.Equal(t, 10, calls, "no expression is yielded after yield returns false")
}
