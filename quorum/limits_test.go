package quorum_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/quorum"
)

// allocated returns the bytes f allocates, the least of three runs after
// one to warm up (fmt's and the runtime's caches; an allocation by
// something else in between only adds).
func allocated(f func()) uint64 {
	runtime.GC()
	f()
	least := ^uint64(0)
	for range 3 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	return least
}

// issue11Expr is the expression of issue 11, written as the issue wrote
// it: majority(a0, ..., a16)*majority(b0, ..., b16), 34 nodes and
// C(17, 9)^2 = 590976100 minimal quorums per side.
func issue11Expr(t testing.TB) (string, quorum.Expr) {
	var a, b []string
	for i := range 17 {
		a = append(a, fmt.Sprintf("a%d", i))
		b = append(b, fmt.Sprintf("b%d", i))
	}
	text := "majority(" + strings.Join(a, ", ") + ") * majority(" + strings.Join(b, ", ") + ")"
	e, err := quorum.Parse(text)
	require.NoError(t, err)
	return text, e
}

// Issue 11: MinimalQuorums, New with both sides and everything that
// enumerates used to build the 590976100 minimal quorums of this 170-byte
// expression and die out of memory. They count them first and refuse with
// ErrTooLarge, in microseconds and kilobytes.
func TestIssue11ExpressionIsRefusedBeforeEnumerating(t *testing.T) {
	text, e := issue11Expr(t)
	require.Len(t, text, 169)
	const budget = 1 << 20 // bytes: the old enumeration needed tens of GiB

	var s *quorum.System
	var err error
	n := allocated(func() { s, err = quorum.New(quorum.Config{Reads: e}) })
	require.NoError(t, err, "one side and its dual need no enumeration")
	assert.Less(t, n, uint64(budget), "New(reads) allocated %d bytes", n)

	var qs []quorum.Set
	n = allocated(func() { qs, err = s.MinimalQuorums(quorum.Read) })
	assert.ErrorIs(t, err, quorum.ErrTooLarge, "more than 65536 minimal quorums must be refused")
	assert.Nil(t, qs)
	assert.Less(t, n, uint64(budget), "MinimalQuorums must count before it builds: allocated %d bytes", n)
	// The writes, the dual majority(a...) + majority(b...), have 2 * 24310.
	qs, err = s.MinimalQuorums(quorum.Write)
	require.NoError(t, err)
	assert.Len(t, qs, 2*24310, "the dual has C(17, 9) minimal quorums per half")
	assert.Contains(t, fmt.Sprint(s.MinimalQuorums(quorum.Read)), "590976100 minimal quorums", "the count is exact: no node is under two operators")

	// Both sides given: the same expression is checked for intersection
	// without enumerating; another spelling of it needs enumeration, which
	// is refused.
	var both *quorum.System
	n = allocated(func() { both, err = quorum.New(quorum.Config{Reads: e, Writes: e}) })
	require.NoError(t, err, "majority*majority intersects itself, decided without enumeration")
	assert.True(t, both.Intersecting())
	assert.Less(t, n, uint64(budget), "New(reads, writes) allocated %d bytes", n)

	first, second, _ := strings.Cut(text, " * ")
	swapped, err := quorum.Parse(second + " * " + first)
	require.NoError(t, err)
	n = allocated(func() { _, err = quorum.New(quorum.Config{Reads: e, Writes: swapped}) })
	assert.ErrorIs(t, err, quorum.ErrTooLarge, "two different expressions need enumeration, refused")
	assert.Less(t, n, uint64(budget), "New(reads, other writes) allocated %d bytes", n)
	unchecked, err := quorum.New(quorum.Config{Reads: e, Writes: swapped, Unchecked: true})
	require.NoError(t, err)
	assert.False(t, unchecked.Intersecting(), "an unchecked system whose intersection is unknown does not claim it")

	// Every other path that enumerates minimal quorums.
	w, err := quorum.ReadFraction(0.5)
	require.NoError(t, err)
	for name, f := range map[string]func() error{
		"Uniform":                  func() error { _, err := s.Uniform(quorum.Workload{}, 0); return err },
		"Optimal":                  func() error { _, err := s.Optimal(quorum.Goal{Workload: w}); return err },
		"Optimal on both":          func() error { _, err := both.Optimal(quorum.Goal{Workload: w}); return err },
		"Optimal, 1-resilient":     func() error { _, err := s.Optimal(quorum.Goal{Workload: w, Resilience: 1}); return err },
		"Optimal, latency":         func() error { _, err := s.Optimal(quorum.Goal{Workload: w, Objective: quorum.MinLatency}); return err },
		"MinimalQuorums on both":   func() error { _, err := both.MinimalQuorums(quorum.Write); return err },
		"Uniform on the unchecked": func() error { _, err := unchecked.Uniform(quorum.Workload{}, 0); return err },
	} {
		var err error
		n := allocated(func() { err = f() })
		assert.ErrorIs(t, err, quorum.ErrTooLarge, name)
		assert.Less(t, n, uint64(budget), "%s allocated %d bytes", name, n)
	}

	// What does not enumerate still works at this size.
	r, err := s.Resilience(quorum.Read)
	require.NoError(t, err)
	assert.Equal(t, 8, r, "losing 9 nodes of one majority stops reads")
	r, err = s.Resilience(quorum.Write)
	require.NoError(t, err)
	assert.Equal(t, 17, r, "writes need 9 of one half: 18 failures stop them")
	ok, err := s.SurvivesZoneLoss(quorum.Read, [][]string{{"a0", "a1", "a2", "a3"}}, 4)
	require.NoError(t, err)
	assert.True(t, ok, "13 of the a half remain after 4 zone losses and 4 more, 9 are enough")
	ok, err = s.SurvivesZoneLoss(quorum.Read, [][]string{{"a0", "a1", "a2", "a3"}}, 5)
	require.NoError(t, err)
	assert.False(t, ok, "4 + 5 failures in the a half leave 8 of 17")
	all := s.All()
	assert.True(t, s.IsRead(all) && s.IsWrite(all))
	assert.Equal(t, time.Duration(0), s.Latency(quorum.Read, all))
}

// An expression that repeats nodes under several operators has an upper
// bound, not an exact count: refused without enumerating when the bound is
// too large, even though this one has only C(17, 9) = 24310 minimal
// quorums.
func TestSharedNodesAreBoundedNotCounted(t *testing.T) {
	var a []string
	for i := range 17 {
		a = append(a, fmt.Sprintf("a%d", i))
	}
	m := quorum.MajorityOf(quorum.Leaves(a...)...)
	s, err := quorum.New(quorum.Config{Reads: quorum.And(m, m)})
	require.NoError(t, err)
	var qs []quorum.Set
	n := allocated(func() { qs, err = s.MinimalQuorums(quorum.Read) })
	require.ErrorIs(t, err, quorum.ErrTooLarge)
	assert.Contains(t, err.Error(), "up to 590976100 minimal quorums", "the message says the count is a bound")
	assert.Nil(t, qs)
	assert.Less(t, n, uint64(1<<20))

	// joint consensus over overlapping configurations: the bound
	// (126 * 126) is enumerated and filtered to the true minimal quorums
	old := quorum.MajorityOf(quorum.Leaves("a", "b", "c", "d", "e", "f", "g", "h", "i")...)
	next := quorum.MajorityOf(quorum.Leaves("e", "f", "g", "h", "i", "j", "k", "l", "m")...)
	joint, err := quorum.New(quorum.Config{Reads: quorum.And(old, next), Writes: quorum.And(old, next)})
	require.NoError(t, err)
	qs, err = joint.MinimalQuorums(quorum.Read)
	require.NoError(t, err)
	for _, q := range qs {
		assert.True(t, joint.IsRead(q))
		for b := q; b != 0; b &= b - 1 {
			assert.False(t, joint.IsRead(q&^(b&-b)), "%s is not minimal", joint.FormatSet(q))
		}
	}
	assert.Less(t, len(qs), 126*126, "shared nodes make some unions non-minimal or equal")
}

// Limits on expressions are the same in New and Parse, and Parse applies
// them while it reads.
func TestExpressionLimits(t *testing.T) {
	deep := quorum.Leaf("a")
	for range quorum.MaxExprDepth {
		deep = quorum.Or(deep, quorum.Leaf("b"))
	}
	_, err := quorum.New(quorum.Config{Reads: deep})
	require.NoError(t, err, "MaxExprDepth operators deep is allowed")
	back, err := quorum.Parse(deep.String())
	require.NoError(t, err)
	assert.True(t, back.Equal(deep))
	deeper := quorum.Or(deep, quorum.Leaf("c"))
	_, err = quorum.New(quorum.Config{Reads: deeper})
	assert.ErrorIs(t, err, quorum.ErrTooLarge, "one operator deeper is refused by New")
	_, err = quorum.Parse(deeper.String())
	assert.ErrorIs(t, err, quorum.ErrTooLarge, "and by Parse")
	_, err = quorum.Parse("((" + deeper.String() + "))")
	assert.ErrorIs(t, err, quorum.ErrTooLarge)

	wide := quorum.Choose(1, quorum.Leaves(strings.Split(strings.Repeat("a,", quorum.MaxExprSize), ",")[:quorum.MaxExprSize]...)...)
	_, err = quorum.New(quorum.Config{Reads: wide})
	assert.ErrorIs(t, err, quorum.ErrTooLarge, "MaxExprSize leaves and one operator are one too many")
	_, err = quorum.Parse(wide.String())
	assert.ErrorIs(t, err, quorum.ErrTooLarge)

	long := strings.Repeat("n", quorum.MaxNameLen+1)
	_, err = quorum.New(quorum.Config{Reads: quorum.Leaf(long)})
	assert.ErrorIs(t, err, quorum.ErrTooLarge)
	_, err = quorum.Parse(long)
	assert.ErrorIs(t, err, quorum.ErrTooLarge)
	_, err = quorum.Parse(`"` + long + `"`)
	assert.ErrorIs(t, err, quorum.ErrTooLarge)
	_, err = quorum.Parse(strings.Repeat(" ", quorum.MaxExprLen) + "a")
	assert.ErrorIs(t, err, quorum.ErrTooLarge, "input beyond MaxExprLen is refused unread")

	_, err = quorum.Weighted([]string{"a", "b"}, []int{quorum.MaxExprSize / 2, quorum.MaxExprSize / 2}, 1, quorum.MaxExprSize)
	assert.ErrorIs(t, err, quorum.ErrTooLarge, "one leaf per vote: MaxExprSize votes do not fit")
	_, err = quorum.Weighted([]string{"a", "b"}, []int{quorum.MaxExprSize/2 - 1, quorum.MaxExprSize / 2}, 1, quorum.MaxExprSize-1)
	assert.NoError(t, err)
}

// The longest text String can write for an expression New accepts (the
// most leaves, each the longest name with every byte escaped) is within
// MaxExprLen, and Parse reads it back.
func TestLongestExpressionRoundTrips(t *testing.T) {
	if testing.Short() {
		t.Skip("parses 16 MiB")
	}
	name := strings.Repeat("\x01", quorum.MaxNameLen)
	leaves := make([]quorum.Expr, quorum.MaxExprSize-1)
	for i := range leaves {
		leaves[i] = quorum.Leaf(name)
	}
	e := quorum.Choose(1, leaves...)
	_, err := quorum.New(quorum.Config{Reads: e})
	require.NoError(t, err)
	text := e.String()
	assert.LessOrEqual(t, len(text), quorum.MaxExprLen)
	back, err := quorum.Parse(text)
	require.NoError(t, err)
	assert.True(t, back.Equal(e), "Parse(e.String()) must give back the largest expression New accepts")
}

// The allocation bound that doc.go states: Parse allocates at most 80
// bytes per input byte plus 256, whatever the input, accepted or not.
func TestParseAllocationPerByte(t *testing.T) {
	var distinct []string
	for i := range 3000 {
		distinct = append(distinct, fmt.Sprintf("n%d", i))
	}
	for name, in := range map[string]string{
		"leaves of choose":  "choose(1," + strings.Repeat("a,", 8000) + "a)",
		"or of ands":        strings.TrimSuffix(strings.Repeat("a*b+", 4000), "+"),
		"and of ors":        strings.TrimSuffix(strings.Repeat("(a+b)*", 2000), "*"),
		"functions":         "choose(1," + strings.Repeat("choose(1,a),", 2000) + "a)",
		"majorities":        "majority(" + strings.Repeat("majority(a,b),", 2000) + "a)",
		"distinct ands":     strings.Join(distinct, "*"),
		"escaped names":     "choose(1," + strings.Repeat(`"\x01\x02",`, 3000) + "a)",
		"raw quoted":        "choose(1," + strings.Repeat("\"\x01\",", 3000) + "a)",
		"parentheses":       strings.Repeat("(", 100) + "a" + strings.Repeat(")", 100),
		"deep":              strings.Repeat("majority(a,", 99) + "a" + strings.Repeat(")", 99),
		"too deep":          strings.Repeat("majority(a,", 200) + "a" + strings.Repeat(")", 200),
		"too many":          "choose(1," + strings.Repeat("a,", quorum.MaxExprSize+10) + "a)",
		"repeated":          strings.Repeat("a+", 20) + "a",
		"truncated":         "choose(1," + strings.Repeat("a,", 8000),
		"one leaf":          "a",
		"and":               "a*b",
		"or":                "a + b",
		"choose":            "choose(2, a, b, c)",
		"whitespace":        strings.Repeat(" ", 100000) + "a",
		"bad quote":         `"abc`,
		"threshold":         "choose(99999999999999999999999999999, a)",
		"empty quoted name": `a*""`,
	} {
		n := allocated(func() { _, _ = quorum.Parse(in) })
		assert.LessOrEqual(t, n, 80*uint64(len(in))+256, "%s: Parse allocated %d bytes for %d input bytes, above 80 per byte plus 256", name, n, len(in))
		t.Logf("%-17s %7d bytes in, %8d allocated: %5.1f per byte", name, len(in), n, float64(n)/float64(len(in)))
	}
}

// Optimal refuses a linear program beyond 2^22 coefficients before it
// builds it.
func TestOptimalRefusesHugePrograms(t *testing.T) {
	s, err := quorum.Majority(names(17)...)
	require.NoError(t, err)
	fs := make([]float64, 8)
	ws := make([]float64, 8)
	for i := range fs {
		fs[i], ws[i] = float64(i)/8, 1
	}
	w, err := quorum.Distribution(fs, ws)
	require.NoError(t, err)
	n := allocated(func() { _, err = s.Optimal(quorum.Goal{Workload: w}) })
	assert.ErrorIs(t, err, quorum.ErrTooLarge, "(2 + 8*17) rows by 48620 + 8*18 columns")
	assert.Less(t, n, uint64(16<<20), "refused before the program is built: %d bytes", n)
}

// Latency, like membership checks, does not allocate: it sorts the set's
// nodes on the stack.
func TestLatencyDoesNotAllocate(t *testing.T) {
	s, err := quorum.Majority(names(64)...)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(100, func() { _ = s.Latency(quorum.Write, s.All()) })
	assert.Zero(t, allocs, "System.Latency must not allocate")
}

// A sub-expression can have many more minimal quorums than the whole:
// in choose(2, a, a, X) the two votes of a are a quorum on their own and
// X never matters, yet enumerating bottom-up would build X's C(24, 11) =
// 2496144 quorums. The bound on the sets built over all operators refuses
// it before building anything.
func TestSubExpressionsAreBoundedToo(t *testing.T) {
	x := quorum.Choose(11, quorum.Leaves(names(24)...)...)
	e := quorum.Choose(2, quorum.Leaf("a"), quorum.Leaf("a"), x)
	s, err := quorum.New(quorum.Config{Reads: e})
	require.NoError(t, err)
	n := allocated(func() { _, err = s.MinimalQuorums(quorum.Read) })
	assert.ErrorIs(t, err, quorum.ErrTooLarge)
	assert.Contains(t, err.Error(), "2496145 sets over all operators")
	assert.Less(t, n, uint64(1<<20), "refused before building: %d bytes", n)
	assert.True(t, s.IsRead(1), "a alone is a read quorum")
}
