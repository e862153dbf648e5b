package clocks

// Unit tests for interval tree clocks. They live inside the package so that
// they can inspect the trees; the property, fuzz and example tests are in
// package clocks_test. Section numbers refer to Almeida, Baquero and Fonte,
// "Interval Tree Clocks: A Logical Clock for Dynamic Systems", OPODIS 2008.

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// StampNormalForm returns an error describing the first place where the
// trees of s are not in the normal form of section 5.1, or nil. It is an
// oracle written independently of the constructors in itc.go, exported to
// the property and fuzz tests of package clocks_test.
func StampNormalForm(s Stamp) error {
	if s.id != nil {
		if err := normalID(s.id, "id"); err != nil {
			return err
		}
	}
	if s.ev != nil {
		return normalEvent(s.ev, "event")
	}
	return nil
}

func normalID(i *idTree, path string) error {
	switch {
	case i == idZero || i == idOne:
		return nil
	case i == nil || i.l == nil || i.r == nil:
		return fmt.Errorf("%s: id leaf that is not one of the shared leaves 0 and 1", path)
	case i.l == idZero && i.r == idZero:
		return fmt.Errorf("%s: id (0, 0) should be 0", path)
	case i.l == idOne && i.r == idOne:
		return fmt.Errorf("%s: id (1, 1) should be 1", path)
	}
	if err := normalID(i.l, path+".l"); err != nil {
		return err
	}
	return normalID(i.r, path+".r")
}

func normalEvent(e *event, path string) error {
	switch {
	case e == nil:
		return fmt.Errorf("%s: nil event child", path)
	case (e.l == nil) != (e.r == nil):
		return fmt.Errorf("%s: event node with only one child", path)
	case e.l == nil:
		return nil
	case e.l.l == nil && e.r.l == nil && e.l.n == e.r.n:
		return fmt.Errorf("%s: event (n, m, m) should be the leaf n+m", path)
	}
	if err := normalEvent(e.l, path+".l"); err != nil {
		return err
	}
	if err := normalEvent(e.r, path+".r"); err != nil {
		return err
	}
	// With normalised children, the minimum of a child is its root value.
	if min(e.l.n, e.r.n) != 0 {
		return fmt.Errorf("%s: event node whose children both have a positive minimum", path)
	}
	return nil
}

func mustParse(t testing.TB, text string) Stamp {
	t.Helper()
	s, err := ParseStamp(text)
	require.NoError(t, err, "test stamp %q must parse", text)
	return s
}

func TestStampNormalFormOracleCatchesUnnormalisedTrees(t *testing.T) {
	// The oracle used by the property tests must be able to fail.
	bad := []Stamp{
		{id: &idTree{l: idOne, r: idOne}},
		{id: &idTree{l: idZero, r: idZero}},
		{id: &idTree{}}, // a leaf that is neither shared leaf
		{ev: &event{n: 0, l: leaf(2), r: leaf(2)}},
		{ev: &event{n: 0, l: leaf(1), r: &event{n: 1, l: leaf(0), r: leaf(1)}}},
		{ev: &event{n: 0, l: leaf(0), r: &event{n: 0, l: leaf(3), r: leaf(3)}}},
	}
	for _, s := range bad {
		assert.Error(t, StampNormalForm(s), "the normal-form oracle must reject %s", s)
	}
	assert.NoError(t, StampNormalForm(Stamp{}), "the zero stamp is normalised")
	assert.NoError(t, StampNormalForm(Seed()), "the seed is normalised")
}

func TestStampSeedAndZeroValue(t *testing.T) {
	assert.Equal(t, "(1, 0)", Seed().String(), "the seed is (1, 0) (section 5)")
	var zero Stamp
	assert.Equal(t, "(0, 0)", zero.String(), "the zero Stamp is the anonymous stamp (0, 0)")
	assert.True(t, zero.IsAnonymous())
	assert.False(t, Seed().IsAnonymous())
	assert.Equal(t, Equal, zero.Compare(Seed()), "zero and seed have both seen nothing")
	assert.True(t, zero.Equal(mustParse(t, "(0, 0)")), "the zero value equals the parsed (0, 0)")
	assert.True(t, zero.Equal(Seed().Peek()))
}

// TestStampPaperRun replays a run in the style of the example of section
// 5 (a seed forked into replicas that record events and join), with every
// intermediate stamp worked out by hand from the definitions of sections
// 5.1 to 5.4.
func TestStampPaperRun(t *testing.T) {
	seed := Seed()
	a, b := seed.Fork()
	require.Equal(t, "((1, 0), 0)", a.String(), "split(1) gives the left half first (section 5.2)")
	require.Equal(t, "((0, 1), 0)", b.String(), "split(1) gives the right half second (section 5.2)")

	a1 := a.Event()
	assert.Equal(t, "((1, 0), (0, 1, 0))", a1.String(), "fill changes nothing on a leaf, grow expands it (section 5.4)")
	b1 := b.Event()
	assert.Equal(t, "((0, 1), (0, 0, 1))", b1.String())
	assert.Equal(t, Concurrent, a1.Compare(b1), "independent events are concurrent")
	assert.Equal(t, Before, seed.Compare(a1))

	b2, c := b1.Fork()
	assert.Equal(t, "((0, (1, 0)), (0, 0, 1))", b2.String(), "split((0, i)) splits i (section 5.2)")
	assert.Equal(t, "((0, (0, 1)), (0, 0, 1))", c.String())

	c1 := c.Event()
	assert.Equal(t, "((0, (0, 1)), (0, 0, (1, 0, 1)))", c1.String(),
		"grow expands the leaf 1 under the owned quarter (section 5.4)")
	a2 := a1.Event()
	assert.Equal(t, "((1, 0), (0, 2, 0))", a2.String(), "grow increments an existing leaf when it can")

	d, err := a2.Join(c1)
	require.NoError(t, err)
	assert.Equal(t, "((1, (0, 1)), (1, 1, (0, 0, 1)))", d.String(),
		"join sums the ids and takes the pointwise maximum, normalised (section 5.3)")
	assert.Equal(t, After, d.Compare(a2))
	assert.Equal(t, After, d.Compare(c1))
	assert.Equal(t, After, d.Compare(b2), "b2 has seen only what c, forked from the same stamp, had seen")

	d1 := d.Event()
	assert.Equal(t, "((1, (0, 1)), (1, 2, (0, 0, 1)))", d1.String(),
		"grow prefers the owned leaf at depth 1 (cost 1) to the one at depth 2 (cost 2) (section 5.4)")

	all, err := d1.Join(b2)
	require.NoError(t, err)
	assert.Equal(t, "(1, (1, 2, (0, 0, 1)))", all.String(), "joining every replica gives back the whole id 1")
	assert.Equal(t, "(1, 3)", all.Event().String(), "owning everything, fill flattens the tree to its maximum")
}

func TestStampFillSimplifies(t *testing.T) {
	// Section 5.4: fill raises what the stamp owns to its neighbour's
	// level, shrinking the tree, and only grows when that changes nothing.
	cases := []struct{ before, after, why string }{
		{"((1, 0), (0, 0, 1))", "((1, 0), 1)", "the owned left half is filled up to the right half's minimum"},
		{"((0, 1), (0, 1, 0))", "((0, 1), 1)", "the owned right half is filled up to the left half's minimum"},
		{"(1, (0, 1, (0, 2, 0)))", "(1, 2)", "owning everything, fill(1, e) is max(e)"},
		{"((1, 0), (0, (0, 1, 0), 2))", "((1, 0), 2)", "fill replaces an owned subtree by a leaf at least its maximum"},
		{"((0, (1, 0)), (0, 0, (0, 0, 1)))", "((0, (1, 0)), (0, 0, 1))", "fill works below the root and renormalises"},
	}
	for _, c := range cases {
		got := mustParse(t, c.before).Event()
		assert.Equal(t, c.after, got.String(), "%s: event on %s", c.why, c.before)
		assert.Equal(t, Before, mustParse(t, c.before).Compare(got), "an event is a strict advance")
	}
}

func TestStampGrowChoosesLeastCost(t *testing.T) {
	// Section 5.4: grow minimises first the number of leaves it expands,
	// then the depth of the increment; on a tie it grows to the right.
	cases := []struct{ before, after, why string }{
		{"(((1, 0), (1, 0)), (0, (0, 1, 0), 0))", "(((1, 0), (1, 0)), (0, (0, 2, 0), 0))",
			"a deeper existing leaf beats expanding a shallower one"},
		{"(((1, 0), 1), (0, (0, 1, 0), 0))", "(((1, 0), 1), (0, (0, 1, 0), 1))",
			"the shallower of two existing leaves wins"},
		{"(((1, 0), (0, 1)), 0)", "(((1, 0), (0, 1)), (0, 0, (0, 0, 1)))",
			"on a tie grow goes right"},
		{"(1, 7)", "(1, 8)", "owning everything, an event increments the leaf"},
		{"((1, 0), 5)", "((1, 0), (5, 1, 0))", "expanding a leaf of the owned half"},
	}
	for _, c := range cases {
		got := mustParse(t, c.before).Event()
		assert.Equal(t, c.after, got.String(), "%s: event on %s", c.why, c.before)
	}
}

func TestStampForkThenJoinIsIdentity(t *testing.T) {
	// The case that breaks other implementations: joining the seed's two
	// halves must give back the seed, not a tree (1, 1) or a panic.
	a, b := Seed().Fork()
	j, err := a.Join(b)
	require.NoError(t, err)
	assert.Equal(t, "(1, 0)", j.String(), "join(fork(seed)) must be the seed (sum normalises (1, 1) to 1)")
	j, err = b.Join(a)
	require.NoError(t, err)
	assert.Equal(t, "(1, 0)", j.String(), "join of the halves in either order")

	for _, text := range []string{"(1, 0)", "((1, 0), (0, 2, 0))", "((0, (1, 0)), (0, 0, (1, 0, 1)))", "(((1, 0), 1), 3)"} {
		s := mustParse(t, text)
		x, y := s.Fork()
		assert.NoError(t, StampNormalForm(x))
		assert.NoError(t, StampNormalForm(y))
		j, err := x.Join(y)
		require.NoError(t, err, "the two halves of a fork never overlap")
		assert.True(t, s.Equal(j), "fork then join must give back %s, got %s", s, j)
	}

	// Events on both halves, then join: the events survive, the id is 1.
	a, b = a.Event(), b.Event().Event()
	j, err = a.Join(b)
	require.NoError(t, err)
	assert.Equal(t, "(1, (1, 0, 1))", j.String())
}

func TestStampAnonymous(t *testing.T) {
	var zero Stamp
	assert.True(t, zero.Event().Equal(zero), "event on an anonymous stamp leaves it unchanged")
	s := mustParse(t, "(0, (0, 0, 2))")
	assert.True(t, s.Event().Equal(s), "event on an anonymous stamp leaves it unchanged")

	x, y := s.Fork()
	assert.True(t, x.Equal(s) && y.Equal(s), "forking an anonymous stamp gives two anonymous copies")

	p := mustParse(t, "((1, 0), (0, 2, 0))").Peek()
	assert.Equal(t, "(0, (0, 2, 0))", p.String(), "peek keeps the events and drops the id (section 5.2)")

	j, err := zero.Join(zero)
	require.NoError(t, err, "anonymous stamps never overlap")
	assert.Equal(t, "(0, 0)", j.String())

	j, err = Seed().Join(s)
	require.NoError(t, err)
	assert.Equal(t, "(1, (0, 0, 2))", j.String(), "joining an anonymous stamp adds its events only")
	j, err = s.Join(Seed())
	require.NoError(t, err)
	assert.Equal(t, "(1, (0, 0, 2))", j.String(), "join with an anonymous stamp from either side")
}

func TestStampJoinOverlapIsAnError(t *testing.T) {
	cases := [][2]string{
		{"(1, 0)", "(1, 0)"},                          // two seeds
		{"((1, 0), 0)", "((1, 0), 1)"},                // the same half twice
		{"((1, 0), 0)", "(((0, 1), 0), 0)"},           // a quarter inside the half
		{"(1, 0)", "((0, 1), 0)"},                     // 1 overlaps any non-zero id
		{"((1, (0, 1)), 0)", "((0, (0, 1)), 0)"},      // the same quarter twice
		{"((0, ((1, 0), 1)), 0)", "((0, (0, 1)), 0)"}, // overlap deep down
	}
	for _, c := range cases {
		a, err := ParseStamp(c[0])
		require.NoError(t, err)
		b, err := ParseStamp(c[1])
		require.NoError(t, err)
		j, err := a.Join(b)
		assert.ErrorIs(t, err, ErrOverlap, "joining %s and %s must report overlapping ids", a, b)
		assert.True(t, j.Equal(a), "a failed join returns the receiver unchanged")
		_, err = a.Receive(b)
		assert.ErrorIs(t, err, ErrOverlap, "receive joins, so it must refuse overlapping ids too")
		_, _, err = a.Sync(b)
		assert.ErrorIs(t, err, ErrOverlap, "sync joins, so it must refuse overlapping ids too")
	}
}

func TestStampSendReceiveSync(t *testing.T) {
	// Section 5.5: send = event then peek, receive = join then event,
	// sync = join then fork.
	a, b := Seed().Fork()
	a2, msg := a.Send()
	assert.Equal(t, "((1, 0), (0, 1, 0))", a2.String(), "send records an event")
	assert.True(t, msg.IsAnonymous(), "the message stamp is anonymous")
	assert.Equal(t, Equal, msg.Compare(a2), "the message carries exactly the sender's events")

	b2, err := b.Receive(msg)
	require.NoError(t, err)
	assert.Equal(t, "((0, 1), 1)", b2.String(), "receive joins then fills the receiver's half")
	assert.Equal(t, Before, msg.Compare(b2), "the send happened before the receipt")
	assert.Equal(t, Before, a2.Compare(b2))

	x, y, err := a2.Sync(b2)
	require.NoError(t, err)
	assert.Equal(t, "((1, 0), 1)", x.String(), "sync gives both replicas the joined events")
	assert.Equal(t, "((0, 1), 1)", y.String())
	assert.Equal(t, Equal, x.Compare(y))
}

func TestStampCompareAndLeq(t *testing.T) {
	cases := []struct {
		a, b string
		want Order
	}{
		{"(0, 0)", "(1, 0)", Equal},
		{"(0, 1)", "(0, 2)", Before},
		{"(0, (0, 1, 0))", "(0, (0, 0, 1))", Concurrent},
		{"(0, (1, 0, 2))", "(0, 3)", Before},
		{"(0, (1, 0, 2))", "(0, 2)", Concurrent},
		{"(0, (0, (0, 1, 0), 0))", "(0, (0, 1, 0))", Before},
		{"((1, 0), (2, 1, 0))", "((0, 1), (2, 1, 0))", Equal}, // ids are ignored
	}
	for _, c := range cases {
		a, b := mustParse(t, c.a), mustParse(t, c.b)
		assert.Equal(t, c.want, a.Compare(b), "%s compared with %s", a, b)
		assert.Equal(t, c.want.Invert(), b.Compare(a), "comparison is antisymmetric: %s with %s", b, a)
		assert.Equal(t, c.want == Equal || c.want == Before, a.Leq(b), "leq agrees with compare: %s ≤ %s", a, b)
	}
}

func TestStampOperationsDoNotMutate(t *testing.T) {
	s := mustParse(t, "((1, (0, 1)), (1, 1, (0, 0, 1)))")
	o := mustParse(t, "((0, (1, 0)), (0, 0, (0, 2, 0)))")
	before, obefore := s.String(), o.String()
	_ = s.Event()
	_, _ = s.Fork()
	_, _ = s.Join(o)
	_, _ = s.Send()
	_, _ = s.Receive(o.Peek())
	_, _, _ = s.Sync(o)
	_ = s.Peek()
	assert.Equal(t, before, s.String(), "stamps are immutable values")
	assert.Equal(t, obefore, o.String(), "stamps are immutable values")
}

func TestStampJoinSharesUnchangedTrees(t *testing.T) {
	s := mustParse(t, "((1, 0), (0, 3, (0, 1, 0)))")
	j, err := s.Join(s.Peek())
	require.NoError(t, err)
	assert.Same(t, s.ev, j.ev, "joining what is already known reuses the event tree")
	assert.Equal(t, 0, int(testing.AllocsPerRun(100, func() { _ = s.Compare(j) })), "compare does not allocate")
}

func TestStampDeepForkChain(t *testing.T) {
	// A replica that keeps forking off children that never come back
	// deepens its id by one level per fork. Operations have no depth
	// limit; only the encodings do.
	s := Seed()
	for range MaxStampDepth + 10 {
		s, _ = s.Fork()
		s = s.Event()
	}
	require.NoError(t, StampNormalForm(s))
	_, err := s.MarshalBinary()
	assert.ErrorIs(t, err, ErrTooLarge, "a stamp deeper than MaxStampDepth cannot be encoded")
	_, err = s.MarshalText()
	assert.ErrorIs(t, err, ErrTooLarge, "nor written as text")
}

// Binary encoding (section 6).

func bitsToBytes(t testing.TB, bits string) []byte {
	t.Helper()
	bits = strings.ReplaceAll(bits, " ", "")
	out := make([]byte, (len(bits)+7)/8)
	for i, c := range bits {
		switch c {
		case '1':
			out[i/8] |= 0x80 >> (i % 8)
		case '0':
		default:
			t.Fatalf("bad bit %q", c)
		}
	}
	return out
}

func TestStampBinaryVectors(t *testing.T) {
	// Encodings worked out by hand from the grammar of section 6.
	cases := []struct{ stamp, bits string }{
		{"(1, 0)", "00 1  1 0 00"},
		{"(0, 0)", "00 0  1 0 00"},
		{"((1, 0), (0, 1, 0))", "10 00 1  0 01 1 0 01"},
		{"((0, 1), (0, 0, 1))", "01 00 1  0 00 1 0 01"},
		{"(1, 4)", "00 1  1 1 0 000"},
		{"(1, 11)", "00 1  1 1 0 111"},
		{"(1, 12)", "00 1  1 1 1 0 0000"},
		{"(((1, 0), 1), (2, (0, 1, 0), 3))", "11 10 00 1 00 1  0 11 1 0 10 0 01 1 0 01 1 0 11"},
		{"((1, 0), (3, 0, 1))", "10 00 1  0 11 0 0 0 11 1 0 01"},
		{"((1, 0), (3, 1, 0))", "10 00 1  0 11 0 1 0 11 1 0 01"},
	}
	for _, c := range cases {
		s := mustParse(t, c.stamp)
		want := bitsToBytes(t, c.bits)
		got, err := s.MarshalBinary()
		require.NoError(t, err)
		assert.Equal(t, want, got, "encoding of %s", c.stamp)
		var back Stamp
		require.NoError(t, back.UnmarshalBinary(want), "decoding %s", c.stamp)
		assert.True(t, back.Equal(s), "decoding %x gives %s, want %s", want, back, s)
	}
	seed, _ := Seed().MarshalBinary()
	assert.Equal(t, []byte{0x30}, seed, "the seed is one byte")
	zero, _ := Stamp{}.MarshalBinary()
	assert.Equal(t, []byte{0x10}, zero, "the zero stamp is one byte")
}

func TestStampUnmarshalBinaryRejects(t *testing.T) {
	deepID := strings.Repeat("01 ", MaxStampDepth+1) + "00 1  1 0 00"
	deepEvent := "00 1 " + strings.Repeat("0 00 ", MaxStampDepth+1) + "1 0 01"
	hugeCounter := "00 1  1 " + strings.Repeat("1", 62) + "0" + strings.Repeat("1", 64)
	cases := []struct {
		bits string
		want error
		why  string
	}{
		{"", ErrMalformed, "empty input"},
		{"10 00 1  0 01", ErrMalformed, "truncated"},
		{"00 1  1 0 00 0 00000000", ErrMalformed, "a trailing byte"},
		{"00 1  1 0 00 1", ErrMalformed, "nonzero padding"},
		{"11 00 1 00 1  1 0 00", ErrMalformed, "id (1, 1)"},
		{"01 00 0  1 0 00", ErrMalformed, "id (0, 0) in short form"},
		{"11 00 0 00 1  1 0 00", ErrMalformed, "id (0, 1) in the long form"},
		{"11 00 1 00 0  1 0 00", ErrMalformed, "id (1, 0) in the long form"},
		{"00 1  0 00 1 0 00", ErrMalformed, "event (0, 0, 0)"},
		{"00 1  0 10 1 0 01 1 0 01", ErrMalformed, "event (0, 1, 1)"},
		{"00 1  0 10 1 0 01 1 0 10", ErrMalformed, "event (0, 1, 2): both children positive"},
		{"00 1  0 10 1 0 00 1 0 01", ErrMalformed, "event (0, 0, 1) in the long form"},
		{"00 1  0 11 0 0 0 00 1 0 01", ErrMalformed, "event (0, 0, 1) with an explicit zero base"},
		{"00 1  0 11 1 0 01 1 0 00 1 0 01", ErrMalformed, "event (1, 0, 1) in the long form"},
		{deepID, ErrTooLarge, "id deeper than MaxStampDepth"},
		{deepEvent, ErrTooLarge, "event tree deeper than MaxStampDepth"},
		{hugeCounter, ErrTooLarge, "a counter of 2^64 or more"},
	}
	for _, c := range cases {
		s := mustParse(t, "((1, 0), (0, 1, 0))")
		before := s.String()
		err := s.UnmarshalBinary(bitsToBytes(t, c.bits))
		assert.ErrorIs(t, err, c.want, "%s must be rejected", c.why)
		assert.Equal(t, before, s.String(), "UnmarshalBinary leaves the receiver unchanged on error (%s)", c.why)
	}
}

func TestStampUnmarshalBinaryNodeLimit(t *testing.T) {
	// A complete id tree with 2^16 leaves (1, 0) written by hand: within
	// the depth limit but beyond MaxStampNodes.
	var w bitWriter
	var write func(depth int)
	write = func(depth int) {
		if depth == 16 {
			w.write(0b10001, 5) // (1, 0)
			return
		}
		w.write(0b11, 2)
		write(depth + 1)
		write(depth + 1)
	}
	write(0)
	w.write(0b1000, 4)
	var s Stamp
	err := s.UnmarshalBinary(w.buf)
	assert.ErrorIs(t, err, ErrTooLarge, "more than MaxStampNodes nodes must be refused")
}

func TestStampCounterLimits(t *testing.T) {
	maxText := fmt.Sprintf("(1, %d)", uint64(maxStampCounter))
	s := mustParse(t, maxText)
	b, err := s.MarshalBinary()
	require.NoError(t, err, "the largest counter can be encoded")
	var back Stamp
	require.NoError(t, back.UnmarshalBinary(b), "and decoded")
	assert.Equal(t, maxText, back.String())

	_, err = ParseStamp(fmt.Sprintf("(1, %d)", uint64(maxStampCounter)+1))
	assert.ErrorIs(t, err, ErrTooLarge, "a counter of 2^63 is refused")
	_, err = ParseStamp(fmt.Sprintf("(1, (%d, 0, 1))", uint64(maxStampCounter)))
	assert.ErrorIs(t, err, ErrTooLarge, "counters are sums along the path, and they are bounded too")
	_, err = s.Event().MarshalBinary()
	assert.ErrorIs(t, err, ErrTooLarge, "a stamp that went past the limit cannot be encoded")
}

func TestStampAppendBinary(t *testing.T) {
	prefix := []byte{0xff, 0xff}
	s := mustParse(t, "((1, 0), (0, 1, 0))")
	b, err := s.AppendBinary(prefix[:2:2])
	require.NoError(t, err)
	assert.Equal(t, []byte{0xff, 0xff, 0x89, 0x90}, b, "AppendBinary appends after the prefix without touching it")
	assert.Equal(t, []byte{0xff, 0xff}, prefix)
}

// Text notation.

func TestStampParseRoundTrip(t *testing.T) {
	for _, text := range []string{
		"(0, 0)", "(1, 0)", "((1, 0), (0, 1, 0))", "((0, (1, 0)), (0, 0, (1, 0, 1)))",
		"(((1, 0), (0, 1)), (5, (0, 1, 0), 2))", "(1, 18446744073)",
	} {
		s, err := ParseStamp(text)
		require.NoError(t, err, "parsing %q", text)
		assert.Equal(t, text, s.String(), "parse then print is the identity")
		assert.NoError(t, StampNormalForm(s))
	}
}

func TestStampParseRejects(t *testing.T) {
	for _, text := range []string{
		"", "(1,0)", "(1, 0) ", " (1, 0)", "(1, 0", "(2, 0)", "(1, 01)", "(1, -1)",
		"((1, 1), 0)", "((0, 0), 0)", "(1, (0, 1, 1))", "(1, (0, 1, 2))", "(1, (1, 0, 0))",
		"(1, (0, 0))", "(1, (0, 0, 1, 2))", "(1, 0)(1, 0)", "(1, +1)",
	} {
		_, err := ParseStamp(text)
		assert.ErrorIs(t, err, ErrMalformed, "%q is not the canonical notation of a stamp", text)
	}
	deep := "(" + strings.Repeat("(0, ", MaxStampDepth+1) + "1" + strings.Repeat(")", MaxStampDepth+1) + ", 0)"
	_, err := ParseStamp(deep)
	assert.ErrorIs(t, err, ErrTooLarge, "ids deeper than MaxStampDepth are refused")
}

func TestStampJSON(t *testing.T) {
	s := mustParse(t, "((1, 0), (0, 1, 0))")
	b, err := json.Marshal(map[string]Stamp{"clock": s})
	require.NoError(t, err)
	assert.Equal(t, `{"clock":"((1, 0), (0, 1, 0))"}`, string(b), "stamps appear in JSON in the paper's notation")
	var back map[string]Stamp
	require.NoError(t, json.Unmarshal(b, &back))
	assert.True(t, back["clock"].Equal(s))
	var bad Stamp
	err = json.Unmarshal([]byte(`"((1, 1), 0)"`), &bad)
	assert.ErrorIs(t, err, ErrMalformed)
	assert.True(t, errors.Is(err, ErrMalformed))
}

// Semantics. An id tree is a set of points of [0, 1) and an event tree a
// function from [0, 1) to counters (section 4). Cutting the interval into
// 2^depth equal slots, for a depth at least that of every tree involved,
// turns both into plain slices, on which the operations have obvious
// definitions. The properties below check the tree algorithms against them
// on arbitrary normalised stamps, not only those a history reaches.

// treeDepth is the depth of the deeper of the two trees of s.
func treeDepth(s Stamp) int {
	var idDepth func(*idTree) int
	idDepth = func(i *idTree) int {
		if i.l == nil {
			return 0
		}
		return 1 + max(idDepth(i.l), idDepth(i.r))
	}
	var evDepth func(*event) int
	evDepth = func(e *event) int {
		if e.isLeaf() {
			return 0
		}
		return 1 + max(evDepth(e.l), evDepth(e.r))
	}
	return max(idDepth(s.ident()), evDepth(s.events()))
}

// ownedSlots is the id tree i as a set of 2^depth slots.
func ownedSlots(i *idTree, depth int) []bool {
	out := make([]bool, 1<<depth)
	var walk func(i *idTree, lo, width int)
	walk = func(i *idTree, lo, width int) {
		switch i {
		case idZero:
		case idOne:
			for k := lo; k < lo+width; k++ {
				out[k] = true
			}
		default:
			walk(i.l, lo, width/2)
			walk(i.r, lo+width/2, width/2)
		}
	}
	walk(i, 0, 1<<depth)
	return out
}

// counterSlots is the event tree e as a function on 2^depth slots.
func counterSlots(e *event, depth int) []uint64 {
	out := make([]uint64, 1<<depth)
	var walk func(e *event, base uint64, lo, width int)
	walk = func(e *event, base uint64, lo, width int) {
		if e.isLeaf() {
			for k := lo; k < lo+width; k++ {
				out[k] = base + e.n
			}
			return
		}
		walk(e.l, base+e.n, lo, width/2)
		walk(e.r, base+e.n, lo+width/2, width/2)
	}
	walk(e, 0, 0, 1<<depth)
	return out
}

// arbitraryStamp generates normalised stamps of depth at most 5 with small
// counters, built with the package's own normalising constructors (whose
// output the normal-form oracle then checks).
func arbitraryStamp() *rapid.Generator[Stamp] {
	var genID func(t *rapid.T, depth int) *idTree
	genID = func(t *rapid.T, depth int) *idTree {
		switch k := rapid.IntRange(0, 4).Draw(t, "id"); {
		case depth == 0 || k == 0:
			return idZero
		case k == 1:
			return idOne
		}
		return mkID(genID(t, depth-1), genID(t, depth-1))
	}
	var genEvent func(t *rapid.T, depth int) *event
	genEvent = func(t *rapid.T, depth int) *event {
		n := rapid.Uint64Range(0, 3).Draw(t, "n")
		if depth == 0 || rapid.IntRange(0, 2).Draw(t, "shape") == 0 {
			return leaf(n)
		}
		return node(n, genEvent(t, depth-1), genEvent(t, depth-1))
	}
	return rapid.Custom(func(t *rapid.T) Stamp {
		return Stamp{id: genID(t, 5), ev: genEvent(t, 5)}
	})
}

func TestITCArbitraryStampsAreNormalised(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := arbitraryStamp().Draw(t, "s")
		if err := StampNormalForm(s); err != nil {
			t.Fatalf("mkID and node must build normalised trees: %s: %v", s, err)
		}
	})
}

func TestITCEventMatchesSemantics(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := arbitraryStamp().Draw(t, "s")
		after := s.Event()
		if err := StampNormalForm(after); err != nil {
			t.Fatalf("event must return a normalised stamp: event(%s) = %s: %v", s, after, err)
		}
		if s.IsAnonymous() {
			if !after.Equal(s) {
				t.Fatalf("event on an anonymous stamp must leave it unchanged: %s became %s", s, after)
			}
			return
		}
		if !idEqual(s.ident(), after.ident()) {
			t.Fatalf("event must not change the id: %s became %s", s, after)
		}
		d := max(treeDepth(s), treeDepth(after))
		owned := ownedSlots(s.ident(), d)
		was, now := counterSlots(s.events(), d), counterSlots(after.events(), d)
		raised := false
		for k := range was {
			switch {
			case !owned[k] && now[k] != was[k]:
				t.Fatalf("event must only change counters the stamp owns: slot %d of %d went %d -> %d in %s -> %s", k, len(was), was[k], now[k], s, after)
			case now[k] < was[k]:
				t.Fatalf("event must never lower a counter: slot %d went %d -> %d in %s -> %s", k, was[k], now[k], s, after)
			case now[k] > was[k]:
				raised = true
			}
		}
		if !raised || s.Compare(after) != Before {
			t.Fatalf("event must be a strict advance: %s -> %s", s, after)
		}
	})
}

func TestITCJoinForkLeqMatchSemantics(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := arbitraryStamp().Draw(t, "a")
		b := arbitraryStamp().Draw(t, "b")
		d := max(treeDepth(a), treeDepth(b))
		ia, ib := ownedSlots(a.ident(), d), ownedSlots(b.ident(), d)
		ea, eb := counterSlots(a.events(), d), counterSlots(b.events(), d)

		overlap, le := false, true
		for k := range ia {
			overlap = overlap || ia[k] && ib[k]
			le = le && ea[k] <= eb[k]
		}
		if a.Leq(b) != le {
			t.Fatalf("leq must be the pointwise order: leq(%s, %s) = %v", a, b, a.Leq(b))
		}

		j, err := a.Join(b)
		if overlap {
			if !errors.Is(err, ErrOverlap) {
				t.Fatalf("join of overlapping ids must fail with ErrOverlap: %s, %s: %v", a, b, err)
			}
		} else {
			if err != nil {
				t.Fatalf("join of disjoint ids must succeed: %s, %s: %v", a, b, err)
			}
			if err := StampNormalForm(j); err != nil {
				t.Fatalf("join must return a normalised stamp: %s: %v", j, err)
			}
			dj := max(d, treeDepth(j))
			ij, ej := ownedSlots(j.ident(), dj), counterSlots(j.events(), dj)
			ia, ib := ownedSlots(a.ident(), dj), ownedSlots(b.ident(), dj)
			ea, eb := counterSlots(a.events(), dj), counterSlots(b.events(), dj)
			for k := range ij {
				if ij[k] != (ia[k] || ib[k]) {
					t.Fatalf("the joined id must be the union of the ids: %s, %s -> %s", a, b, j)
				}
				if ej[k] != max(ea[k], eb[k]) {
					t.Fatalf("the joined events must be the pointwise maximum: %s, %s -> %s", a, b, j)
				}
			}
		}

		x, y := a.Fork()
		for _, h := range []Stamp{x, y} {
			if err := StampNormalForm(h); err != nil {
				t.Fatalf("fork must return normalised stamps: fork(%s) = %s, %s: %v", a, x, y, err)
			}
		}
		df := max(treeDepth(a), treeDepth(x), treeDepth(y))
		io, ix, iy := ownedSlots(a.ident(), df), ownedSlots(x.ident(), df), ownedSlots(y.ident(), df)
		for k := range io {
			if ix[k] && iy[k] || io[k] != (ix[k] || iy[k]) {
				t.Fatalf("fork must split the id into two disjoint parts covering it: %s -> %s, %s", a, x, y)
			}
		}
		if !a.IsAnonymous() && (x.IsAnonymous() || y.IsAnonymous()) {
			t.Fatalf("fork of a non-anonymous stamp must give both sides a part: %s -> %s, %s", a, x, y)
		}
	})
}

func TestITCEncodingsRoundTripArbitraryStamps(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := arbitraryStamp().Draw(t, "s")
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatalf("a small stamp must encode: %s: %v", s, err)
		}
		var back Stamp
		if err := back.UnmarshalBinary(b); err != nil || !back.Equal(s) {
			t.Fatalf("binary decoding must invert encoding: %s -> %x -> %s (%v)", s, b, back, err)
		}
		p, err := ParseStamp(s.String())
		if err != nil || !p.Equal(s) {
			t.Fatalf("ParseStamp must invert String: %s -> %s (%v)", s, p, err)
		}
	})
}

// A history with about sixteen replicas for benchmarks and size figures.

// churnHistory runs a deterministic random history: the seed is forked into
// procs replicas, which then record events and exchange messages; every
// step, with probability churn, one replica retires (joins into another) and
// a new one is forked. It returns the final stamps of the replicas.
func churnHistory(procs, steps int, churn float64, seed uint64) []Stamp {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	stamps := []Stamp{Seed()}
	for len(stamps) < procs {
		k := rng.IntN(len(stamps))
		a, b := stamps[k].Fork()
		stamps[k] = a
		stamps = append(stamps, b)
	}
	var inFlight []Stamp
	for range steps {
		p := rng.IntN(len(stamps))
		switch r := rng.Float64(); {
		case r < churn:
			q := rng.IntN(len(stamps) - 1)
			if q >= p {
				q++
			}
			j, err := stamps[p].Join(stamps[q])
			if err != nil {
				panic(err) // the history is built to never overlap
			}
			stamps[p] = j
			stamps[q] = stamps[len(stamps)-1]
			stamps = stamps[:len(stamps)-1]
			k := rng.IntN(len(stamps))
			a, b := stamps[k].Fork()
			stamps[k] = a
			stamps = append(stamps, b)
		case r < 0.4:
			stamps[p] = stamps[p].Event()
		case r < 0.7:
			var msg Stamp
			stamps[p], msg = stamps[p].Send()
			inFlight = append(inFlight, msg)
		case len(inFlight) > 0:
			k := rng.IntN(len(inFlight))
			s, err := stamps[p].Receive(inFlight[k])
			if err != nil {
				panic(err)
			}
			stamps[p] = s
			inFlight[k] = inFlight[len(inFlight)-1]
			inFlight = inFlight[:len(inFlight)-1]
		}
	}
	return stamps
}

func encodedSizes(stamps []Stamp) (minSize, maxSize int, mean float64) {
	minSize = 1 << 30
	total := 0
	for _, s := range stamps {
		b, err := s.MarshalBinary()
		if err != nil {
			panic(err)
		}
		minSize, maxSize = min(minSize, len(b)), max(maxSize, len(b))
		total += len(b)
	}
	return minSize, maxSize, float64(total) / float64(len(stamps))
}

// TestStampEncodedSizes records the encoded size of stamps from a few
// histories (run with -v to see them) and checks that they stay normalised
// and within reason: after a history with churn, the stamps of sixteen
// replicas are a few dozen bytes, not one entry per replica that ever
// existed.
func TestStampEncodedSizes(t *testing.T) {
	for _, h := range []struct {
		procs, steps int
		churn        float64
	}{{4, 1000, 0}, {16, 2000, 0}, {16, 2000, 0.05}, {64, 5000, 0.05}} {
		stamps := churnHistory(h.procs, h.steps, h.churn, 1)
		for _, s := range stamps {
			require.NoError(t, StampNormalForm(s))
		}
		lo, hi, mean := encodedSizes(stamps)
		t.Logf("%2d replicas, %4d steps, churn %.2f: encoded size min %d, mean %.1f, max %d bytes",
			h.procs, h.steps, h.churn, lo, mean, hi)
		assert.Less(t, hi, 64*h.procs, "stamps stay within a few bytes per live replica")
	}
}

// benchHistories are the two histories of sixteen replicas the benchmarks
// take their stamps from: "steady" (2000 steps of events and messages) and
// "churn" (the same, but every step retires a replica and forks a new one
// with probability 0.05, which fragments the id space and deepens the
// trees).
var benchHistories = []struct {
	name  string
	churn float64
}{{"steady", 0}, {"churn", 0.05}}

// benchStamps runs f on the final stamps of each history.
func benchStamps(b *testing.B, f func(b *testing.B, st []Stamp)) {
	for _, h := range benchHistories {
		st := churnHistory(16, 2000, h.churn, 1)
		b.Run(h.name, func(b *testing.B) {
			b.ReportAllocs()
			f(b, st)
		})
	}
}

func BenchmarkStampEvent(b *testing.B) {
	benchStamps(b, func(b *testing.B, st []Stamp) {
		for b.Loop() {
			_ = st[0].Event()
		}
	})
}

func BenchmarkStampFork(b *testing.B) {
	benchStamps(b, func(b *testing.B, st []Stamp) {
		for b.Loop() {
			_, _ = st[0].Fork()
		}
	})
}

func BenchmarkStampJoin(b *testing.B) {
	benchStamps(b, func(b *testing.B, st []Stamp) {
		for b.Loop() {
			if _, err := st[0].Join(st[1]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkStampCompare(b *testing.B) {
	benchStamps(b, func(b *testing.B, st []Stamp) {
		for b.Loop() {
			_ = st[0].Compare(st[1])
		}
	})
}

func BenchmarkStampMarshalBinary(b *testing.B) {
	benchStamps(b, func(b *testing.B, st []Stamp) {
		buf := make([]byte, 0, 256)
		for b.Loop() {
			var err error
			if buf, err = st[0].AppendBinary(buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(buf)), "bytes")
	})
}

func BenchmarkStampUnmarshalBinary(b *testing.B) {
	benchStamps(b, func(b *testing.B, st []Stamp) {
		data, err := st[0].MarshalBinary()
		require.NoError(b, err)
		for b.Loop() {
			var s Stamp
			if err := s.UnmarshalBinary(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
