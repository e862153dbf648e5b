package clocks_test

import (
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/clocks"
)

// vec builds a clock from alternating IDs and counts, for readable tables:
// vec("a", 1, "b", 2) is {a:1, b:2}. Zero counts are stored through Set,
// which must drop them.
func vec(kv ...any) clocks.Vector {
	var v clocks.Vector
	for i := 0; i < len(kv); i += 2 {
		v.Set(kv[i].(string), uint64(kv[i+1].(int)))
	}
	return v
}

func TestVectorZeroValueIsTheEmptyClock(t *testing.T) {
	var v clocks.Vector
	assert.Equal(t, 0, v.Len())
	assert.Equal(t, uint64(0), v.Get("a"), "an absent ID counts zero")
	assert.Equal(t, "{}", v.String())
	assert.Nil(t, v.Entries())
	assert.True(t, v.Equal(clocks.Vector{}))
	assert.True(t, v.Equal(clocks.VectorOf()))
	for range v.All() {
		t.Fatal("the empty clock has no entries to iterate")
	}
}

func TestVectorTickSetGet(t *testing.T) {
	var v clocks.Vector
	assert.Equal(t, uint64(1), v.Tick("b"))
	assert.Equal(t, uint64(2), v.Tick("b"))
	assert.Equal(t, uint64(1), v.Tick("a"))
	assert.Equal(t, uint64(2), v.Get("b"))
	assert.Equal(t, uint64(1), v.Get("a"))
	assert.Equal(t, "{a:1, b:2}", v.String())

	v.Set("c", 7)
	v.Set("a", 5)
	assert.Equal(t, "{a:5, b:2, c:7}", v.String())
	v.Set("b", 0)
	assert.Equal(t, "{a:5, c:7}", v.String(), "Set to zero removes the entry")
	assert.Equal(t, 2, v.Len())
	v.Set("zz", 0)
	assert.Equal(t, "{a:5, c:7}", v.String(), "Set of an absent ID to zero is a no-op")
	v.Set("a", 0)
	v.Set("c", 0)
	assert.Equal(t, 0, v.Len())
	assert.True(t, v.Equal(clocks.Vector{}), "removing every entry gives the empty clock")
}

func TestVectorOf(t *testing.T) {
	v := clocks.VectorOf(
		clocks.Entry{ID: "c", Count: 3},
		clocks.Entry{ID: "a", Count: 1},
		clocks.Entry{ID: "b", Count: 0},
		clocks.Entry{ID: "c", Count: 9},
		clocks.Entry{ID: "a", Count: 4},
	)
	assert.Equal(t, []clocks.Entry{{ID: "a", Count: 4}, {ID: "c", Count: 9}}, v.Entries(),
		"VectorOf must sort, drop zero counts and keep the largest count of a repeated ID")

	in := []clocks.Entry{{ID: "a", Count: 1}}
	w := clocks.VectorOf(in...)
	in[0].Count = 100
	assert.Equal(t, uint64(1), w.Get("a"), "VectorOf must not share storage with its argument")
}

func TestVectorTickOverflowPanics(t *testing.T) {
	v := clocks.VectorOf(clocks.Entry{ID: "a", Count: math.MaxUint64})
	assert.PanicsWithValue(t, `clocks: Vector.Tick overflows the count of "a"`, func() { v.Tick("a") },
		"Tick must not wrap a count around to zero")
	assert.Equal(t, uint64(math.MaxUint64), v.Get("a"))
}

// TestVectorCompareTable checks Compare against the definition of vector
// time (Mattern 1989; Fidge 1988): v <= o iff every entry of v is <= the
// entry of o, v < o iff v <= o and v != o, concurrent iff neither v <= o nor
// o <= v.
func TestVectorCompareTable(t *testing.T) {
	cases := []struct {
		v, o clocks.Vector
		want clocks.Order
	}{
		{vec(), vec(), clocks.Equal},
		{vec(), vec("a", 1), clocks.Before},
		{vec("a", 1), vec(), clocks.After},
		{vec("a", 1), vec("a", 1), clocks.Equal},
		{vec("a", 1), vec("a", 2), clocks.Before},
		{vec("a", 1), vec("a", 1, "b", 1), clocks.Before},
		{vec("b", 1), vec("a", 1, "b", 1), clocks.Before},
		{vec("a", 1, "b", 1), vec("b", 1), clocks.After},
		{vec("a", 1), vec("b", 1), clocks.Concurrent},
		{vec("a", 2, "b", 1), vec("a", 1, "b", 2), clocks.Concurrent},
		{vec("a", 1, "c", 1), vec("b", 1), clocks.Concurrent},
		{vec("a", 1, "b", 1, "c", 1), vec("a", 1, "b", 2, "c", 1), clocks.Before},
		{vec("a", 1, "c", 1), vec("a", 1, "b", 2, "c", 1), clocks.Before},
		{vec("a", 1, "c", 2), vec("a", 1, "b", 2, "c", 1), clocks.Concurrent},
		{vec("a", 3, "z", 1), vec("a", 3, "b", 1), clocks.Concurrent},
	}
	for _, c := range cases {
		got := c.v.Compare(c.o)
		assert.Equal(t, c.want, got, "%v.Compare(%v)", c.v, c.o)
		assert.Equal(t, c.want.Invert(), c.o.Compare(c.v), "%v.Compare(%v) must be the inverse", c.o, c.v)
		assert.Equal(t, got == clocks.Before, c.v.HappenedBefore(c.o), "HappenedBefore of %v, %v", c.v, c.o)
		assert.Equal(t, got == clocks.Concurrent, c.v.ConcurrentWith(c.o), "ConcurrentWith of %v, %v", c.v, c.o)
		assert.Equal(t, got == clocks.Equal || got == clocks.After, c.v.Descends(c.o), "Descends of %v, %v", c.v, c.o)
		assert.Equal(t, got == clocks.Equal, c.v.Equal(c.o), "Equal of %v, %v", c.v, c.o)
	}
}

// TestVectorBugIdenticalClocksAreEqual pins a bug found in several vector
// clock libraries: Compare answers Concurrent whenever neither clock is
// strictly before the other (written as !a.Before(b) && !b.Before(a)),
// which wrongly includes identical clocks. Identical clocks describe the
// same causal past: they are Equal, never Concurrent.
func TestVectorBugIdenticalClocksAreEqual(t *testing.T) {
	a := vec("a", 3, "b", 1)
	b := vec("b", 1, "a", 3)
	assert.Equal(t, clocks.Equal, a.Compare(b))
	assert.False(t, a.ConcurrentWith(b), "identical clocks must not be reported as concurrent")
	assert.False(t, a.HappenedBefore(b))
	assert.False(t, b.HappenedBefore(a))
	assert.True(t, a.Descends(b), "a clock descends an identical one")
	assert.Equal(t, clocks.Equal, a.Compare(a), "a clock is Equal to itself")
}

// TestVectorBugZeroEntriesKeepClocksEqual pins a bug of implementations
// that store explicit zeros and then compare entry counts or whole maps
// (len(a) == len(b), reflect.DeepEqual): {a:1} and {a:1, b:0} mean the same
// thing, since an absent process has zero events (Fidge 1988: a timestamp
// has one entry per process, initially zero), so they must be Equal however
// the zero got there, and encode identically.
func TestVectorBugZeroEntriesKeepClocksEqual(t *testing.T) {
	plain := vec("a", 1)

	var viaSet clocks.Vector
	viaSet.Set("a", 1)
	viaSet.Set("b", 0)

	var viaSetThenClear clocks.Vector
	viaSetThenClear.Set("a", 1)
	viaSetThenClear.Set("b", 5)
	viaSetThenClear.Set("b", 0)

	viaVectorOf := clocks.VectorOf(clocks.Entry{ID: "a", Count: 1}, clocks.Entry{ID: "b", Count: 0})

	var viaJSON clocks.Vector
	require.NoError(t, json.Unmarshal([]byte(`{"a":1,"b":0}`), &viaJSON))

	for name, v := range map[string]clocks.Vector{
		"Set(b, 0)": viaSet, "Set(b, 5) then Set(b, 0)": viaSetThenClear,
		"VectorOf with b:0": viaVectorOf, "JSON with b:0": viaJSON,
	} {
		assert.Equal(t, clocks.Equal, plain.Compare(v), "{a:1} vs %s %v", name, v)
		assert.Equal(t, clocks.Equal, v.Compare(plain), "%s %v vs {a:1}", name, v)
		assert.True(t, v.Equal(plain), "%s: a zero entry must not make clocks unequal", name)
		assert.Equal(t, 1, v.Len(), "%s: zero entries must not be stored", name)
		assert.Equal(t, "{a:1}", v.String(), name)
		want, err := plain.MarshalBinary()
		require.NoError(t, err)
		got, err := v.MarshalBinary()
		require.NoError(t, err)
		assert.Equal(t, want, got, "%s: equal clocks must have identical encodings", name)
	}

	// The canonical binary encoding has no zero counts: a decoder that
	// accepted one would give two encodings to one clock.
	var fromBinary clocks.Vector
	err := fromBinary.UnmarshalBinary([]byte{1, 2, 1, 'a', 1, 1, 'b', 0})
	assert.ErrorIs(t, err, clocks.ErrMalformed, "a zero count in the binary encoding is not canonical")
}

// TestVectorBugConcurrentClocksAreNotDescendants pins two bugs of popular
// implementations. The first checks only the IDs of one clock (for each ID
// in a, a[id] >= b[id]) and forgets the IDs only b has, so {a:1} "descends"
// {b:1}. The second orders clocks by the sum of their counts or by their
// first differing entry, which orders {a:2, b:1} and {a:1, b:2}. Both pairs
// are concurrent: each clock has seen an event the other has not (Mattern
// 1989: x || y iff neither V(x) <= V(y) nor V(y) <= V(x)).
func TestVectorBugConcurrentClocksAreNotDescendants(t *testing.T) {
	pairs := [][2]clocks.Vector{
		{vec("a", 1), vec("b", 1)},
		{vec("a", 2, "b", 1), vec("a", 1, "b", 2)},
		{vec("a", 5), vec("a", 1, "b", 1)},
	}
	for _, p := range pairs {
		x, y := p[0], p[1]
		assert.Equal(t, clocks.Concurrent, x.Compare(y), "%v vs %v", x, y)
		assert.Equal(t, clocks.Concurrent, y.Compare(x), "%v vs %v", y, x)
		assert.False(t, x.Descends(y), "%v must not descend the concurrent %v", x, y)
		assert.False(t, y.Descends(x), "%v must not descend the concurrent %v", y, x)
		assert.False(t, x.HappenedBefore(y))
		assert.False(t, y.HappenedBefore(x))
		assert.True(t, x.ConcurrentWith(y))
	}
}

// TestVectorEmptyClocks: the empty clock is the bottom of the order
// (Fidge 1988: every process starts with all entries zero). Two empty clocks
// are Equal, not Concurrent, and the empty clock happened before any
// non-empty one; every clock descends it.
func TestVectorEmptyClocks(t *testing.T) {
	var empty, other clocks.Vector
	assert.Equal(t, clocks.Equal, empty.Compare(other), "empty vs empty")
	assert.True(t, empty.Descends(other))
	assert.Equal(t, clocks.Before, empty.Compare(vec("a", 1)), "empty vs non-empty")
	assert.Equal(t, clocks.After, vec("a", 1).Compare(empty), "non-empty vs empty")
	assert.True(t, vec("a", 1).Descends(empty))
	assert.False(t, empty.Descends(vec("a", 1)))
	assert.Equal(t, clocks.Equal, vec("a", 0).Compare(empty), "a clock of zeros is the empty clock")
}

func TestVectorMerge(t *testing.T) {
	cases := []struct{ v, o, want clocks.Vector }{
		{vec(), vec(), vec()},
		{vec(), vec("a", 1), vec("a", 1)},
		{vec("a", 1), vec(), vec("a", 1)},
		{vec("a", 1, "b", 5), vec("a", 3, "b", 2), vec("a", 3, "b", 5)},
		{vec("b", 1), vec("a", 1, "c", 1), vec("a", 1, "b", 1, "c", 1)},
		{vec("a", 2, "c", 1), vec("b", 1, "c", 3, "d", 1), vec("a", 2, "b", 1, "c", 3, "d", 1)},
		{vec("a", 1, "b", 1, "c", 1), vec("b", 4), vec("a", 1, "b", 4, "c", 1)},
		{vec("a", 1, "b", 1), vec("a", 2, "b", 2, "c", 2), vec("a", 2, "b", 2, "c", 2)},
	}
	for _, c := range cases {
		got := c.v.Clone()
		got.Merge(c.o)
		assert.Equal(t, c.want.Entries(), got.Entries(), "%v merge %v", c.v, c.o)
	}
}

// TestVectorMergeInPlaceAllocatesNothing checks the fast path: merging a
// clock whose IDs the receiver already has updates the counts in place.
func TestVectorMergeInPlaceAllocatesNothing(t *testing.T) {
	v := bigVector(16, 0)
	o := bigVector(16, 1)
	sub := vec("id-003", 100)
	allocs := testing.AllocsPerRun(100, func() {
		v.Merge(o)
		v.Merge(sub)
	})
	assert.Zero(t, allocs, "merging known IDs must not allocate")
	assert.Equal(t, uint64(100), v.Get("id-003"))
}

// TestVectorMergeDoesNotAliasArgument: after v.Merge(o), mutating v must
// never change o, even when v was empty (the tempting shortcut v = o) or o
// brought new IDs.
func TestVectorMergeDoesNotAliasArgument(t *testing.T) {
	o := vec("a", 1, "b", 1)
	var v clocks.Vector
	v.Merge(o)
	v.Tick("a")
	v.Tick("b")
	assert.Equal(t, "{a:1, b:1}", o.String(), "Merge into an empty clock must copy its argument")

	w := vec("b", 1)
	w.Merge(o)
	w.Tick("a")
	assert.Equal(t, "{a:1, b:1}", o.String(), "Merge that grows must copy its argument's entries")

	o.Tick("a")
	assert.Equal(t, "{a:2, b:1}", w.String(), "mutating the argument later must not change the receiver")
	assert.Equal(t, "{a:2, b:2}", v.String(), "mutating the argument later must not change the receiver")
}

// TestVectorCopiesStayWellFormed pins the classic slice-aliasing bug of
// clocks stored in a slice: w := v shares v's backing array, and if v kept
// spare capacity, v.Tick("b") and w.Tick("c") would both append into the
// same slot, silently turning v's b entry into c. Structural changes here
// always build a new slice, so every copy remains a well-formed clock.
func TestVectorCopiesStayWellFormed(t *testing.T) {
	var v clocks.Vector
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		v.Tick(id) // with append-style growth, v would now have spare capacity
	}
	w := v
	v.Tick("x")
	w.Tick("y")
	assert.Equal(t, "{a:1, b:1, c:1, d:1, e:1, x:1}", v.String(), "ticking a copy must not overwrite the original's new entry")
	assert.Equal(t, "{a:1, b:1, c:1, d:1, e:1, y:1}", w.String())
	u := v
	u.Tick("b0") // an insertion in the middle must not shift entries under v
	assert.Equal(t, "{a:1, b:1, c:1, d:1, e:1, x:1}", v.String())

	x := vec("a", 1, "b", 1, "c", 1)
	y := x
	x.Set("a", 0) // removing must not shift entries under y
	assert.Equal(t, "{a:1, b:1, c:1}", y.String())
	y.Prune(1)
	assert.Equal(t, "{b:1, c:1}", x.String())

	z := x.Clone()
	x.Tick("b")
	assert.Equal(t, "{b:1, c:1}", z.String(), "a Clone is independent of the original")
}

func TestVectorCompareAllocatesNothing(t *testing.T) {
	a, b := bigVector(64, 0), bigVector(64, 1)
	c := vec("zzz", 1)
	allocs := testing.AllocsPerRun(100, func() {
		_ = a.Compare(b)
		_ = b.Compare(a)
		_ = a.Compare(c)
		_ = a.Descends(b)
		_ = a.Equal(b)
		_ = a.Get("id-010")
	})
	assert.Zero(t, allocs, "Compare, Descends, Equal and Get must not allocate")
}

func TestVectorEntriesAndAll(t *testing.T) {
	v := vec("b", 2, "a", 1, "c", 3)
	e := v.Entries()
	assert.Equal(t, []clocks.Entry{{ID: "a", Count: 1}, {ID: "b", Count: 2}, {ID: "c", Count: 3}}, e)
	e[0].Count = 99
	assert.Equal(t, uint64(1), v.Get("a"), "Entries must return a copy")

	var ids []string
	for id, n := range v.All() {
		ids = append(ids, id+"="+strconv.FormatUint(n, 10))
		if id == "b" {
			break
		}
	}
	assert.Equal(t, []string{"a=1", "b=2"}, ids, "All yields in ID order and stops when asked")
}

func TestVectorString(t *testing.T) {
	cases := []struct {
		v    clocks.Vector
		want string
	}{
		{vec(), "{}"},
		{vec("a", 1), "{a:1}"},
		{vec("b", 2, "a", 1), "{a:1, b:2}"},
		{vec("node-1.example/x@y_z", 3), "{node-1.example/x@y_z:3}"},
		{vec("", 1), `{"":1}`},
		{vec("host:7000", 1, "node 1", 2), `{"host:7000":1, "node 1":2}`},
		{vec("a,b", 1, "{", 2, `"`, 3), `{"\"":3, "a,b":1, "{":2}`},
		{vec("é", 1, "\x00", 2), `{"\x00":2, "é":1}`},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.v.String())
	}
	assert.Equal(t, "a:1", clocks.Entry{ID: "a", Count: 1}.String())
	assert.Equal(t, `"a b":0`, clocks.Entry{ID: "a b"}.String())
	assert.Equal(t, "[a:1 b:2]", fmt.Sprint(vec("a", 1, "b", 2).Entries()))
}

func TestVectorPrune(t *testing.T) {
	v := vec("a", 5, "b", 1, "c", 3, "d", 1, "e", 9)
	dropped := v.Prune(3)
	assert.Equal(t, []clocks.Entry{{ID: "b", Count: 1}, {ID: "d", Count: 1}}, dropped,
		"Prune drops the smallest counts and returns them sorted by ID")
	assert.Equal(t, "{a:5, c:3, e:9}", v.String())

	assert.Nil(t, v.Prune(3), "nothing to drop at the limit")
	assert.Nil(t, v.Prune(10), "nothing to drop below the limit")
	assert.Equal(t, "{a:5, c:3, e:9}", v.String())

	ties := vec("x", 2, "a", 2, "m", 2)
	assert.Equal(t, []clocks.Entry{{ID: "a", Count: 2}, {ID: "m", Count: 2}}, ties.Prune(1),
		"among equal counts the smaller ID is dropped first")
	assert.Equal(t, "{x:2}", ties.String())

	all := vec("a", 1, "b", 2)
	assert.Equal(t, []clocks.Entry{{ID: "a", Count: 1}, {ID: "b", Count: 2}}, all.Prune(0))
	assert.Equal(t, 0, all.Len())
	assert.True(t, all.Equal(clocks.Vector{}))

	neg := vec("a", 1)
	assert.Len(t, neg.Prune(-1), 1, "a negative max counts as zero")
	assert.Equal(t, 0, neg.Len())
}

// TestVectorPruneConsequences shows, on concrete clocks, what pruning does
// to comparisons (the trade-off Riak makes with small_vclock/big_vclock):
// a pruned clock claims to have seen less than it has.
func TestVectorPruneConsequences(t *testing.T) {
	// A false conflict: v descends w, but after pruning v looks concurrent.
	w := vec("a", 1, "b", 5)
	v := vec("a", 1, "b", 6)
	require.Equal(t, clocks.After, v.Compare(w))
	v.Prune(1) // drops a:1
	assert.Equal(t, clocks.Concurrent, v.Compare(w),
		"pruning a descendant can make it look concurrent (a false conflict, resolved as siblings)")

	// An inversion: v saw w and one more event of a, but after pruning it
	// looks older than w. A store that discards dominated versions would
	// discard v's update: a lost write.
	w = vec("a", 1, "b", 5)
	v = vec("a", 2, "b", 5)
	require.Equal(t, clocks.After, v.Compare(w))
	v.Prune(1) // drops a:2
	assert.Equal(t, clocks.Before, v.Compare(w), "pruning a descendant can make it look like an ancestor")

	// Concurrent clocks can look ordered too.
	w = vec("a", 1, "b", 1)
	v = vec("b", 1, "c", 1)
	require.Equal(t, clocks.Concurrent, v.Compare(w))
	v.Prune(1) // drops b:1
	assert.Equal(t, clocks.Concurrent, v.Compare(w))
	v.Prune(0)
	assert.Equal(t, clocks.Before, v.Compare(w), "pruning a concurrent clock can make it look like an ancestor")

	// What stays true: if the pruned clock still compares After, the
	// original did too (the property test checks this in general).
	w = vec("a", 1)
	v = vec("a", 2, "b", 1, "c", 3)
	v.Prune(2)
	assert.Equal(t, clocks.After, v.Compare(w))
}

func TestVectorPruneFunc(t *testing.T) {
	v := vec("a", 1, "b", 2, "c", 3, "d", 4)
	var seen []string
	dropped := v.PruneFunc(func(e clocks.Entry) bool {
		seen = append(seen, e.ID)
		return e.Count%2 == 0
	})
	assert.Equal(t, []string{"a", "b", "c", "d"}, seen, "drop is called once per entry in ID order")
	assert.Equal(t, []clocks.Entry{{ID: "b", Count: 2}, {ID: "d", Count: 4}}, dropped)
	assert.Equal(t, "{a:1, c:3}", v.String())

	assert.Nil(t, v.PruneFunc(func(clocks.Entry) bool { return false }))
	assert.Nil(t, v.PruneFunc(nil), "a nil func drops nothing")
	assert.Equal(t, "{a:1, c:3}", v.String())

	assert.Len(t, v.PruneFunc(func(clocks.Entry) bool { return true }), 2)
	assert.True(t, v.Equal(clocks.Vector{}))
}

func TestVectorBinaryGolden(t *testing.T) {
	cases := []struct {
		v    clocks.Vector
		want []byte
	}{
		{vec(), []byte{1, 0}},
		{vec("a", 1), []byte{1, 1, 1, 'a', 1}},
		{vec("b", 300, "a", 1), []byte{1, 2, 1, 'a', 1, 1, 'b', 0xac, 0x02}},
		{vec("", 2, "ab", 1), []byte{1, 2, 0, 2, 2, 'a', 'b', 1}},
	}
	for _, c := range cases {
		got, err := c.v.MarshalBinary()
		require.NoError(t, err)
		assert.Equal(t, c.want, got, "encoding of %v", c.v)

		prefix := []byte("xyz")
		got, err = c.v.AppendBinary(prefix)
		require.NoError(t, err)
		assert.Equal(t, append([]byte("xyz"), c.want...), got, "AppendBinary must append")

		var back clocks.Vector
		require.NoError(t, back.UnmarshalBinary(c.want))
		assert.True(t, back.Equal(c.v), "decoding %x gave %v, want %v", c.want, back, c.v)
	}
}

// TestVectorUnmarshalBinaryRejects lists the ways an encoding can be bad;
// each must be rejected with the right sentinel and leave the receiver as
// it was.
func TestVectorUnmarshalBinaryRejects(t *testing.T) {
	long := strings.Repeat("x", clocks.MaxIDLen+1)
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty input", nil, clocks.ErrMalformed},
		{"unknown version", []byte{2, 0}, clocks.ErrMalformed},
		{"version 0", []byte{0, 0}, clocks.ErrMalformed},
		{"missing count", []byte{1}, clocks.ErrMalformed},
		{"truncated count varint", []byte{1, 0x80}, clocks.ErrMalformed},
		{"non-minimal entry count", []byte{1, 0x80, 0x00}, clocks.ErrMalformed},
		{"non-minimal ID length", []byte{1, 1, 0x81, 0x00, 'a', 1}, clocks.ErrMalformed},
		{"non-minimal count", []byte{1, 1, 1, 'a', 0x81, 0x00}, clocks.ErrMalformed},
		{"varint overflow", []byte{1, 1, 1, 'a', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, clocks.ErrMalformed},
		{"count says 2, one entry", []byte{1, 2, 1, 'a', 1}, clocks.ErrMalformed},
		{"count says 1, no entry", []byte{1, 1}, clocks.ErrMalformed},
		{"truncated ID", []byte{1, 1, 5, 'a', 'b', 1}, clocks.ErrMalformed},
		{"missing count of entry", []byte{1, 1, 1, 'a'}, clocks.ErrMalformed},
		{"trailing byte", []byte{1, 1, 1, 'a', 1, 0}, clocks.ErrMalformed},
		{"trailing byte after empty", []byte{1, 0, 0}, clocks.ErrMalformed},
		{"zero count", []byte{1, 1, 1, 'a', 0}, clocks.ErrMalformed},
		{"unsorted IDs", []byte{1, 2, 1, 'b', 1, 1, 'a', 1}, clocks.ErrMalformed},
		{"duplicate IDs", []byte{1, 2, 1, 'a', 1, 1, 'a', 2}, clocks.ErrMalformed},
		{"duplicate empty IDs", []byte{1, 2, 0, 1, 0, 1}, clocks.ErrMalformed},
		{"prefix sorts first", []byte{1, 2, 2, 'a', 'b', 1, 1, 'a', 1}, clocks.ErrMalformed},
		{"too many entries", []byte{1, 0x81, 0x80, 0x04}, clocks.ErrTooLarge},
		{"huge entry count", []byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f}, clocks.ErrTooLarge},
		{"ID too long", append([]byte{1, 1, 0x81, 0x08}, long...), clocks.ErrTooLarge},
		{"count above MaxVectorCount", []byte{1, 1, 1, 'a', 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, clocks.ErrTooLarge},
	}
	for _, c := range cases {
		v := vec("keep", 7)
		err := v.UnmarshalBinary(c.in)
		require.Error(t, err, c.name)
		assert.ErrorIs(t, err, c.want, "%s: %v", c.name, err)
		assert.Equal(t, "{keep:7}", v.String(), "%s: the receiver must be unchanged on error", c.name)
		assert.True(t, strings.HasPrefix(err.Error(), "clocks: "), "%s: error %q lacks the package prefix", c.name, err)
	}
}

// TestVectorUnmarshalBinaryAllocationIsBounded: a tiny input that claims
// many entries must be rejected before anything is allocated for them.
func TestVectorUnmarshalBinaryAllocationIsBounded(t *testing.T) {
	in := []byte{1, 0xff, 0xff, 0x03, 1, 'a', 1} // claims 65535 entries
	var v clocks.Vector
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 10 {
		err := v.UnmarshalBinary(in)
		require.ErrorIs(t, err, clocks.ErrMalformed)
	}
	runtime.ReadMemStats(&after)
	// 65535 entries would take 2 MiB; the error message takes a few
	// hundred bytes.
	perCall := (after.TotalAlloc - before.TotalAlloc) / 10
	assert.Less(t, perCall, uint64(4096), "a rejected short input must not allocate for its claimed entries")
}

func TestVectorEncodersRefuseWhatDecodersReject(t *testing.T) {
	long := vec(strings.Repeat("x", clocks.MaxIDLen+1), 1)
	_, err := long.MarshalBinary()
	assert.ErrorIs(t, err, clocks.ErrTooLarge, "an ID longer than MaxIDLen")
	_, err = long.MarshalJSON()
	assert.ErrorIs(t, err, clocks.ErrTooLarge)
	ok := vec(strings.Repeat("x", clocks.MaxIDLen), 1)
	_, err = ok.MarshalBinary()
	assert.NoError(t, err, "an ID of exactly MaxIDLen bytes is allowed")

	huge := clocks.VectorOf(clocks.Entry{ID: "a", Count: clocks.MaxVectorCount + 1})
	buf := []byte("prefix")
	got, err := huge.AppendBinary(buf)
	assert.ErrorIs(t, err, clocks.ErrTooLarge, "a count above MaxVectorCount")
	assert.Equal(t, "prefix", string(got), "AppendBinary returns b unchanged on error")
	_, err = huge.MarshalJSON()
	assert.ErrorIs(t, err, clocks.ErrTooLarge)

	entries := make([]clocks.Entry, clocks.MaxVectorEntries+1)
	for i := range entries {
		entries[i] = clocks.Entry{ID: strconv.Itoa(i), Count: 1}
	}
	many := clocks.VectorOf(entries...)
	_, err = many.MarshalBinary()
	assert.ErrorIs(t, err, clocks.ErrTooLarge, "more than MaxVectorEntries entries")
	enc, err := clocks.VectorOf(entries[:clocks.MaxVectorEntries]...).MarshalBinary()
	require.NoError(t, err, "exactly MaxVectorEntries entries is allowed")
	var back clocks.Vector
	require.NoError(t, back.UnmarshalBinary(enc))
	assert.Equal(t, clocks.MaxVectorEntries, back.Len())

	_, err = vec("\xff", 1).MarshalJSON()
	assert.ErrorIs(t, err, clocks.ErrMalformed, "JSON cannot carry an ID that is not UTF-8")
	_, err = vec("\xff", 1).MarshalBinary()
	assert.NoError(t, err, "the binary encoding carries any ID")
}

func TestVectorJSON(t *testing.T) {
	cases := []struct {
		v    clocks.Vector
		want string
	}{
		{vec(), `{}`},
		{vec("b", 2, "a", 1), `{"a":1,"b":2}`},
		{vec("q\"\\", 1, "tab\t", 2, "é<>&", 3), `{"q\"\\":1,"tab\u0009":2,"é<>&":3}`},
		{clocks.VectorOf(clocks.Entry{ID: "max", Count: clocks.MaxVectorCount}), `{"max":9223372036854775807}`},
	}
	for _, c := range cases {
		got, err := json.Marshal(c.v)
		require.NoError(t, err)
		if c.want == `{"q\"\\":1,"tab\u0009":2,"é<>&":3}` {
			// encoding/json re-escapes <, > and & for HTML safety when it
			// calls a Marshaler; MarshalJSON itself does not.
			direct, err := c.v.MarshalJSON()
			require.NoError(t, err)
			assert.Equal(t, c.want, string(direct))
		} else {
			assert.Equal(t, c.want, string(got))
		}
		var back clocks.Vector
		require.NoError(t, json.Unmarshal(got, &back))
		assert.True(t, back.Equal(c.v), "JSON round trip of %v gave %v", c.v, back)
	}

	var v clocks.Vector
	require.NoError(t, v.UnmarshalJSON([]byte(` { "c" : 3 , "a":1, "b":0 } `)))
	assert.Equal(t, "{a:1, c:3}", v.String(), "keys in any order, whitespace, zero counts dropped")
	require.NoError(t, v.UnmarshalJSON([]byte(`{"\u0061":2}`)))
	assert.Equal(t, "{a:2}", v.String(), "escaped keys are unescaped")
	require.NoError(t, v.UnmarshalJSON([]byte(`{}`)))
	assert.Equal(t, "{}", v.String(), "{} is the empty clock and replaces the receiver")

	type message struct {
		Clock clocks.Vector  `json:"clock"`
		Ptr   *clocks.Vector `json:"ptr"`
	}
	m := message{Clock: vec("keep", 1)}
	require.NoError(t, json.Unmarshal([]byte(`{"clock":null,"ptr":null}`), &m))
	assert.Equal(t, "{keep:1}", m.Clock.String(), "null leaves a Vector unchanged, as encoding/json does for non-nil types")
	assert.Nil(t, m.Ptr)
	require.NoError(t, json.Unmarshal([]byte(`{"clock":{"x":1},"ptr":{"y":2}}`), &m))
	assert.Equal(t, "{x:1}", m.Clock.String())
	assert.Equal(t, "{y:2}", m.Ptr.String())
	out, err := json.Marshal(m)
	require.NoError(t, err)
	assert.Equal(t, `{"clock":{"x":1},"ptr":{"y":2}}`, string(out))
}

func TestVectorUnmarshalJSONRejects(t *testing.T) {
	long := strings.Repeat("x", clocks.MaxIDLen+1)
	var many strings.Builder
	many.WriteByte('{')
	for i := range clocks.MaxVectorEntries + 1 {
		if i > 0 {
			many.WriteByte(',')
		}
		fmt.Fprintf(&many, `"%d":1`, i)
	}
	many.WriteByte('}')
	cases := []struct {
		name string
		in   string
		want error
	}{
		{"empty input", ``, clocks.ErrMalformed},
		{"array", `[]`, clocks.ErrMalformed},
		{"string", `"a"`, clocks.ErrMalformed},
		{"number", `1`, clocks.ErrMalformed},
		{"true", `true`, clocks.ErrMalformed},
		{"unterminated", `{"a":1`, clocks.ErrMalformed},
		{"missing value", `{"a"}`, clocks.ErrMalformed},
		{"trailing comma", `{"a":1,}`, clocks.ErrMalformed},
		{"trailing data", `{"a":1} x`, clocks.ErrMalformed},
		{"two values", `{} {}`, clocks.ErrMalformed},
		{"null then data", `null {}`, clocks.ErrMalformed},
		{"duplicate key", `{"a":1,"a":1}`, clocks.ErrMalformed},
		{"duplicate key with zero", `{"a":0,"b":1,"a":2}`, clocks.ErrMalformed},
		{"duplicate after unescaping", `{"a":1,"\u0061":2}`, clocks.ErrMalformed},
		{"negative count", `{"a":-1}`, clocks.ErrMalformed},
		{"negative zero", `{"a":-0}`, clocks.ErrMalformed},
		{"fraction", `{"a":1.5}`, clocks.ErrMalformed},
		{"integral float", `{"a":1.0}`, clocks.ErrMalformed},
		{"exponent", `{"a":1e3}`, clocks.ErrMalformed},
		{"string count", `{"a":"1"}`, clocks.ErrMalformed},
		{"null count", `{"a":null}`, clocks.ErrMalformed},
		{"object count", `{"a":{}}`, clocks.ErrMalformed},
		{"leading zero", `{"a":01}`, clocks.ErrMalformed},
		{"invalid UTF-8", "{\"\xff\":1}", clocks.ErrMalformed},
		{"count above MaxVectorCount", `{"a":9223372036854775808}`, clocks.ErrTooLarge},
		{"count above uint64", `{"a":18446744073709551616}`, clocks.ErrTooLarge},
		{"key too long", `{"` + long + `":1}`, clocks.ErrTooLarge},
		{"too many keys", many.String(), clocks.ErrTooLarge},
	}
	for _, c := range cases {
		v := vec("keep", 7)
		err := v.UnmarshalJSON([]byte(c.in))
		require.Error(t, err, c.name)
		assert.ErrorIs(t, err, c.want, "%s: %v", c.name, err)
		assert.Equal(t, "{keep:7}", v.String(), "%s: the receiver must be unchanged on error", c.name)
	}
}

// bigVector returns a clock over n IDs "id-000", "id-001", ... with counts
// 10+i, plus bump on every odd entry.
func bigVector(n int, bump uint64) clocks.Vector { return bigVectorIDs(n, bump, shortIDs) }

// ID formats for the benchmarks: short IDs fit the 8 bytes that Vector
// compares as an integer; long ones share a prefix longer than that, so
// every comparison of equal IDs compares the strings.
const (
	shortIDs = "id-%03d"
	longIDs  = "eu-west-1.replica-%03d.example.com"
)

// bigVectorIDs is bigVector with IDs from the given format.
func bigVectorIDs(n int, bump uint64, format string) clocks.Vector {
	e := make([]clocks.Entry, n)
	for i := range e {
		e[i] = clocks.Entry{ID: fmt.Sprintf(format, i), Count: uint64(10 + i)}
		if i%2 == 1 {
			e[i].Count += bump
		}
	}
	return clocks.VectorOf(e...)
}

// mapClockOf converts a Vector to the map-based reference clock.
func mapClockOf(v clocks.Vector) mapClock {
	m := mapClock{}
	for id, n := range v.All() {
		m[id] = n
	}
	return m
}

var (
	vectorBenchSizes = []int{4, 16, 64, 256}
	sinkOrder        clocks.Order
	sinkCount        uint64
	sinkBytes        []byte
)

// The benchmarks run each operation on clocks.Vector (impl=sorted) and on
// mapClock (impl=map), a map-based clock written the way common Go vector
// clocks are (copy on merge, compare by walking both maps), so that the
// ratio is measured in one run:
//
//	go test ./clocks -run '^$' -bench 'Vector' -benchmem
//
// The bench module measures the same against peer libraries.

// BenchmarkVectorCompare compares a clock with a descendant that differs in
// its odd entries, so Compare must walk every entry before answering.
func BenchmarkVectorCompare(b *testing.B) {
	for _, n := range vectorBenchSizes {
		for _, ids := range []struct{ name, format string }{{"short", shortIDs}, {"long", longIDs}} {
			x, y := bigVectorIDs(n, 0, ids.format), bigVectorIDs(n, 1, ids.format)
			b.Run(fmt.Sprintf("n=%d/ids=%s/impl=sorted", n, ids.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					sinkOrder = x.Compare(y)
				}
			})
			mx, my := mapClockOf(x), mapClockOf(y)
			b.Run(fmt.Sprintf("n=%d/ids=%s/impl=map", n, ids.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					sinkOrder = mx.compare(my)
				}
			})
		}
	}
}

// BenchmarkVectorMerge merges a clock over the same IDs into a replica's
// clock, the steady state of a replica receiving updates.
func BenchmarkVectorMerge(b *testing.B) {
	for _, n := range vectorBenchSizes {
		for _, ids := range []struct{ name, format string }{{"short", shortIDs}, {"long", longIDs}} {
			x, y := bigVectorIDs(n, 0, ids.format), bigVectorIDs(n, 1, ids.format)
			b.Run(fmt.Sprintf("n=%d/ids=%s/impl=sorted", n, ids.name), func(b *testing.B) {
				b.ReportAllocs()
				z := x.Clone()
				for b.Loop() {
					z.Merge(y)
				}
			})
			mx, my := mapClockOf(x), mapClockOf(y)
			b.Run(fmt.Sprintf("n=%d/ids=%s/impl=map", n, ids.name), func(b *testing.B) {
				b.ReportAllocs()
				z := mx
				for b.Loop() {
					z = z.merged(my)
				}
			})
		}
	}
}

// BenchmarkVectorMergeNewID merges a clock that brings one new ID into a
// fresh copy of the receiver: the slow path, which allocates the union.
func BenchmarkVectorMergeNewID(b *testing.B) {
	for _, n := range vectorBenchSizes {
		x := bigVector(n, 0)
		y := x.Clone()
		y.Tick("id-new")
		b.Run(fmt.Sprintf("n=%d/impl=sorted", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				z := x
				z.Merge(y) // builds a new slice; x itself is not modified
			}
		})
	}
}

func BenchmarkVectorTick(b *testing.B) {
	for _, n := range vectorBenchSizes {
		x := bigVector(n, 0)
		who := fmt.Sprintf("id-%03d", n/2)
		b.Run(fmt.Sprintf("n=%d/impl=sorted", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkCount = x.Tick(who)
			}
		})
		mx := mapClockOf(x)
		b.Run(fmt.Sprintf("n=%d/impl=map", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				mx[who]++
			}
		})
	}
}

func BenchmarkVectorMarshalBinary(b *testing.B) {
	for _, n := range vectorBenchSizes {
		x := bigVector(n, 0)
		b.Run(fmt.Sprintf("n=%d/impl=sorted", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if sinkBytes, err = x.MarshalBinary(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(sinkBytes)), "bytes")
		})
		b.Run(fmt.Sprintf("n=%d/impl=sorted-append", n), func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				var err error
				if buf, err = x.AppendBinary(buf[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVectorUnmarshalBinary(b *testing.B) {
	for _, n := range vectorBenchSizes {
		enc, err := bigVector(n, 0).MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("n=%d/impl=sorted", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			for b.Loop() {
				var v clocks.Vector
				if err := v.UnmarshalBinary(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
