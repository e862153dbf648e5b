package clocks

// These are white-box unit tests (package clocks, not clocks_test): besides
// the public API they table-test the update rules of the hybrid logical
// clock as pure functions, and they set clocks to the very end of their
// range, a state no public method reaches in reasonable time. The
// properties over random histories are in hybrid_prop_test.go.
//
// Section references are to Kulkarni, Demirbas, Madappa, Avva, Leone,
// "Logical Physical Clocks" (OPODIS 2014); the algorithm is the HLC
// algorithm of its section 3 (Figure 5 of the technical report version).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// t0 is a realistic wall time to run fake clocks from: 2023-11-14T22:13:20Z.
const t0 = int64(1_700_000_000_000_000_000)

// fakeClock is a settable PhysicalClock for single-goroutine tests.
type fakeClock struct{ now int64 }

func (f *fakeClock) read() int64 { return f.now }

func ts(wall int64, logical uint32) Timestamp { return Timestamp{Wall: wall, Logical: logical} }

func TestTimestampCompareOrdersByWallThenLogical(t *testing.T) {
	tests := []struct {
		a, b Timestamp
		want int
	}{
		{ts(1, 0), ts(1, 0), 0},
		{ts(1, 0), ts(2, 0), -1},
		{ts(2, 0), ts(1, 0), 1},
		{ts(1, 5), ts(2, 0), -1},  // wall decides before logical
		{ts(2, 0), ts(1, 5), 1},   //
		{ts(1, 1), ts(1, 2), -1},  // logical breaks ties
		{ts(1, 2), ts(1, 1), 1},   //
		{ts(-1, 0), ts(0, 0), -1}, // before the epoch
		{ts(math.MinInt64, math.MaxUint32), ts(math.MaxInt64, 0), -1},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.a.Compare(tt.b), "%v.Compare(%v)", tt.a, tt.b)
		assert.Equal(t, -tt.want, tt.b.Compare(tt.a), "Compare is not antisymmetric: %v.Compare(%v)", tt.b, tt.a)
		assert.Equal(t, tt.want < 0, tt.a.Before(tt.b), "%v.Before(%v)", tt.a, tt.b)
	}
	assert.True(t, Timestamp{}.IsZero())
	assert.False(t, ts(0, 1).IsZero())
	assert.False(t, ts(1, 0).IsZero())
	assert.Equal(t, time.Unix(1_700_000_000, 5).UTC(), ts(t0+5, 9).Time().UTC())
}

func TestTimestampString(t *testing.T) {
	tests := []struct {
		ts   Timestamp
		want string
	}{
		{Timestamp{}, "0.000000000+0"},
		{ts(t0+1, 3), "1700000000.000000001+3"},
		{ts(1, 0), "0.000000001+0"},
		{ts(999_999_999, 0), "0.999999999+0"},
		{ts(1_000_000_000, 0), "1.000000000+0"},
		{ts(-1, 0), "-0.000000001+0"},
		{ts(-1_500_000_000, 7), "-1.500000000+7"},
		{ts(math.MaxInt64, math.MaxUint32), "9223372036.854775807+4294967295"},
		{ts(math.MinInt64, 0), "-9223372036.854775808+0"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.ts.String())
		text, err := tt.ts.MarshalText()
		require.NoError(t, err)
		assert.Equal(t, tt.want, string(text), "MarshalText must equal String")

		var back Timestamp
		require.NoError(t, back.UnmarshalText([]byte(tt.want)), "UnmarshalText must parse String's output")
		assert.Equal(t, tt.ts, back, "UnmarshalText must invert String")
	}
	assert.Equal(t, maxTextLen, len(ts(math.MinInt64, math.MaxUint32).String()), "maxTextLen is the longest String form")
}

func TestTimestampUnmarshalTextRejectsNonCanonicalInput(t *testing.T) {
	for _, in := range []string{
		"",
		"0",
		"0.000000000",
		"0.000000000+",
		"+0.000000000+0",          // plus sign on the wall time
		"-0.000000000+0",          // negative zero
		"00.000000000+0",          // leading zero in the seconds
		"01.000000000+0",          //
		"1.00000000+0",            // eight places
		"1.0000000000+0",          // ten places
		"1,000000000+0",           //
		"1.000000000-1",           //
		"1.000000000+01",          // leading zero in the counter
		"1.000000000+-1",          //
		"1.000000000+0 ",          // trailing space
		" 1.000000000+0",          //
		"1.000000000+4294967296",  // counter out of range
		"9223372036.854775808+0",  // wall out of range
		"-9223372036.854775809+0", //
		"9223372037.000000000+0",  //
		"99999999999999999999.000000000+0",
		"1.00000000a+0",
		"1.000000000+0x",
		"1.000000000+99999999999999999999999",
	} {
		before := ts(42, 7)
		got := before
		err := got.UnmarshalText([]byte(in))
		assert.ErrorIs(t, err, ErrMalformed, "UnmarshalText(%q) must fail with ErrMalformed", in)
		assert.Equal(t, before, got, "UnmarshalText(%q) must leave the receiver unchanged on error", in)
	}
}

func TestTimestampJSON(t *testing.T) {
	type msg struct {
		At Timestamp `json:"at"`
	}
	data, err := json.Marshal(msg{At: ts(t0+1, 3)})
	require.NoError(t, err)
	assert.JSONEq(t, `{"at":"1700000000.000000001+3"}`, string(data))

	var back msg
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, ts(t0+1, 3), back.At)

	err = json.Unmarshal([]byte(`{"at":"soon"}`), &back)
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestTimestampBinary(t *testing.T) {
	tests := []struct {
		ts   Timestamp
		want []byte
	}{
		{Timestamp{}, []byte{0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{ts(1, 2), []byte{0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2}},
		{ts(-1, 0), []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}},
		{ts(math.MinInt64, 0), []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{ts(math.MaxInt64, math.MaxUint32), bytes.Repeat([]byte{0xff}, 12)},
	}
	for _, tt := range tests {
		got, err := tt.ts.MarshalBinary()
		require.NoError(t, err)
		assert.Equal(t, tt.want, got, "MarshalBinary(%v)", tt.ts)

		prefix := []byte("key/")
		appended, err := tt.ts.AppendBinary(prefix)
		require.NoError(t, err)
		assert.Equal(t, append([]byte("key/"), tt.want...), appended, "AppendBinary must append to its argument")

		var back Timestamp
		require.NoError(t, back.UnmarshalBinary(got))
		assert.Equal(t, tt.ts, back, "UnmarshalBinary must invert MarshalBinary")
	}

	// Sorting encodings bytewise sorts the timestamps.
	sorted := []Timestamp{ts(math.MinInt64, 0), ts(-2, 5), ts(-1, 0), ts(0, 0), ts(0, 1), ts(1, 0), ts(t0, math.MaxUint32), ts(t0+1, 0)}
	for i := 1; i < len(sorted); i++ {
		a, _ := sorted[i-1].MarshalBinary()
		b, _ := sorted[i].MarshalBinary()
		assert.Equal(t, -1, bytes.Compare(a, b), "byte order must equal timestamp order: %v < %v", sorted[i-1], sorted[i])
	}
}

func TestTimestampUnmarshalBinaryRejectsWrongLength(t *testing.T) {
	for _, n := range []int{0, 1, 8, 11, 13, 24} {
		before := ts(42, 7)
		got := before
		err := got.UnmarshalBinary(make([]byte, n))
		assert.ErrorIs(t, err, ErrMalformed, "a %d-byte input must be rejected", n)
		assert.Equal(t, before, got, "UnmarshalBinary must leave the receiver unchanged on error")
	}
}

// The send or local event rule: l' = max(l, pt); c' = c+1 if l' = l, else 0.
func TestHybridSendRule(t *testing.T) {
	tests := []struct {
		name string
		last Timestamp
		pt   int64
		want Timestamp
	}{
		{"physical clock ahead: take it, counter restarts", ts(10, 4), 20, ts(20, 0)},
		{"physical clock stalled: count", ts(10, 4), 10, ts(10, 5)},
		{"physical clock behind: keep l, count", ts(10, 4), 3, ts(10, 5)},
		{"first event", Timestamp{}, t0, ts(t0, 0)},
		{"counter full: carry into wall", ts(10, math.MaxUint32), 10, ts(11, 0)},
		{"counter full, physical clock ahead: no carry needed", ts(10, math.MaxUint32), 11, ts(11, 0)},
	}
	for _, tt := range tests {
		got, ok := sendRule(tt.last, tt.pt)
		require.True(t, ok, tt.name)
		assert.Equal(t, tt.want, got, tt.name)
	}
	_, ok := sendRule(ts(math.MaxInt64, math.MaxUint32), math.MaxInt64)
	assert.False(t, ok, "the largest timestamp has no successor")
}

// The receive rule: l' = max(l, l.m, pt), and c' by which of l and l.m
// reached l': both: max(c, c.m)+1; only l: c+1; only l.m: c.m+1; neither
// (the physical clock is ahead of both): 0.
func TestHybridReceiveRule(t *testing.T) {
	tests := []struct {
		name         string
		last, remote Timestamp
		pt           int64
		want         Timestamp
	}{
		{"l = l.m = max: continue from the larger counter", ts(10, 4), ts(10, 7), 5, ts(10, 8)},
		{"l = l.m = max, local counter larger", ts(10, 9), ts(10, 7), 5, ts(10, 10)},
		{"l = l.m = pt", ts(10, 2), ts(10, 3), 10, ts(10, 4)},
		{"only l is max: count on", ts(10, 4), ts(8, 9), 5, ts(10, 5)},
		{"l = pt is max", ts(10, 4), ts(8, 9), 10, ts(10, 5)},
		{"only l.m is max: continue from the message", ts(8, 9), ts(10, 4), 5, ts(10, 5)},
		{"l.m = pt is max", ts(8, 9), ts(10, 4), 10, ts(10, 5)},
		{"pt is max: counter restarts", ts(8, 9), ts(9, 4), 10, ts(10, 0)},
		{"message older than everything", ts(10, 0), Timestamp{}, 10, ts(10, 1)},
		{"counter full on both: carry", ts(10, math.MaxUint32), ts(10, 3), 10, ts(11, 0)},
		{"remote counter full: carry", ts(9, 0), ts(10, math.MaxUint32), 10, ts(11, 0)},
	}
	for _, tt := range tests {
		got, ok := receiveRule(tt.last, tt.remote, tt.pt)
		require.True(t, ok, tt.name)
		assert.Equal(t, tt.want, got, tt.name)
		assert.True(t, tt.last.Before(got) && tt.remote.Before(got), "%s: the receive event must be after both the last event and the message", tt.name)
	}
	_, ok := receiveRule(ts(math.MaxInt64, math.MaxUint32), ts(0, 0), 0)
	assert.False(t, ok, "the largest timestamp has no successor")
}

func TestHybridZeroValueReadsSystemClock(t *testing.T) {
	var c Hybrid
	before := time.Now().UnixNano()
	got := c.Now()
	after := time.Now().UnixNano()
	assert.GreaterOrEqual(t, got.Wall, before, "the zero Hybrid must read the system clock")
	assert.LessOrEqual(t, got.Wall, after, "the zero Hybrid must read the system clock")
	assert.Equal(t, got, c.Last())

	_, err := c.Update(ts(time.Now().Add(time.Hour).UnixNano(), 0))
	assert.NoError(t, err, "the zero Hybrid bounds no offset")

	n := NewHybrid(nil, 0)
	assert.GreaterOrEqual(t, n.Now().Wall, after, "a nil PhysicalClock means SystemClock")
}

func TestHybridNowCountsWhilePhysicalTimeStalls(t *testing.T) {
	pc := &fakeClock{now: t0}
	c := NewHybrid(pc.read, 0)
	assert.True(t, c.Last().IsZero(), "Last is zero before the first event")
	assert.Equal(t, ts(t0, 0), c.Now())
	assert.Equal(t, ts(t0, 1), c.Now())
	assert.Equal(t, ts(t0, 2), c.Now())
	pc.now += 10
	assert.Equal(t, ts(t0+10, 0), c.Now(), "the counter restarts when physical time moves on")
	assert.Equal(t, ts(t0+10, 0), c.Last(), "Last reads without advancing")
	assert.Equal(t, ts(t0+10, 0), c.Last())
}

// A physical clock stepped back an hour (an NTP correction, a VM restored
// from a snapshot) must not make the hybrid clock go backwards: it keeps
// its wall time and counts until physical time catches up.
func TestHybridMonotonicWhenPhysicalClockStepsBack(t *testing.T) {
	pc := &fakeClock{now: t0}
	c := NewHybrid(pc.read, 0)
	prev := c.Now()
	pc.now -= int64(time.Hour)
	for i := range 1000 {
		pc.now += int64(time.Second) // catch up after 3600 events
		var got Timestamp
		if i%2 == 0 {
			got = c.Now()
		} else {
			var err error
			got, err = c.Update(ts(pc.now-int64(time.Minute), 0))
			require.NoError(t, err)
		}
		require.True(t, prev.Before(got), "monotonicity violated after the physical clock stepped back: %v then %v", prev, got)
		require.Equal(t, t0, got.Wall, "the wall time holds while physical time is behind")
		prev = got
	}
	pc.now = t0 + 1
	assert.Equal(t, ts(t0+1, 0), c.Now(), "once physical time passes the wall time, the clock follows it again")
}

// When 2^32 events share one wall time, the counter carries into the wall
// time rather than wrap.
func TestHybridLogicalOverflowCarriesIntoWall(t *testing.T) {
	pc := &fakeClock{now: t0}
	c := NewHybrid(pc.read, 0)
	require.NoError(t, c.Restore(ts(t0, math.MaxUint32-1)))
	assert.Equal(t, ts(t0, math.MaxUint32), c.Now())
	assert.Equal(t, ts(t0+1, 0), c.Now(), "a full counter must carry into the wall time")
	assert.Equal(t, ts(t0+1, 1), c.Now())
	pc.now = t0 + 1
	assert.Equal(t, ts(t0+1, 2), c.Now(), "after a carry the clock is 1ns ahead of physical time and counts on")
	pc.now = t0 + 2
	assert.Equal(t, ts(t0+2, 0), c.Now())

	// The same through Update, from a remote whose counter is full.
	got, err := c.Update(ts(t0+2, math.MaxUint32))
	require.NoError(t, err)
	assert.Equal(t, ts(t0+3, 0), got, "a receive past a full counter must carry too")
}

func TestHybridUpdateRejectsRemoteBeyondMaxOffset(t *testing.T) {
	const maxOffset = 500 * time.Millisecond
	pc := &fakeClock{now: t0}
	c := NewHybrid(pc.read, maxOffset)
	before := c.Now()

	got, err := c.Update(ts(t0+int64(maxOffset)+1, 0))
	require.ErrorIs(t, err, ErrClockOffset, "a remote 1ns beyond the maximum offset must be rejected")
	assert.Zero(t, got, "a rejected Update returns the zero Timestamp")
	assert.Equal(t, before, c.Last(), "a rejected Update must leave the clock unchanged")
	assert.Equal(t, "clocks: remote timestamp 1700000000.500000001+0 is 500.000001ms ahead of physical time 1700000000.000000000, more than the maximum offset 500ms: remote clock offset exceeds maximum",
		err.Error(), "the error must give the remote, the physical time and the bound")
	assert.Equal(t, ts(t0, 1), c.Now(), "the clock keeps working after a rejection")

	got, err = c.Update(ts(t0+int64(maxOffset), 3))
	require.NoError(t, err, "a remote exactly at the maximum offset is accepted")
	assert.Equal(t, ts(t0+int64(maxOffset), 4), got)

	// The bound is relative to physical time, not to the clock: a remote
	// slightly ahead of the (already advanced) clock is accepted only if it
	// is within the bound of physical time.
	_, err = c.Update(ts(t0+int64(maxOffset)+1, 0))
	assert.ErrorIs(t, err, ErrClockOffset)
	pc.now++
	_, err = c.Update(ts(t0+int64(maxOffset)+1, 0))
	assert.NoError(t, err, "the bound moves with physical time")

	// Remotes behind are always accepted.
	_, err = c.Update(ts(math.MinInt64, 0))
	assert.NoError(t, err)
}

func TestHybridUpdateOffsetCheckDoesNotOverflow(t *testing.T) {
	pc := &fakeClock{now: math.MinInt64}
	c := NewHybrid(pc.read, time.Second)
	_, err := c.Update(ts(1, 0))
	assert.ErrorIs(t, err, ErrClockOffset, "a remote 2^63ns ahead must be rejected, not wrap to a negative offset")
	assert.Contains(t, err.Error(), "more than 292 years")

	pc.now = math.MaxInt64
	_, err = c.Update(ts(math.MinInt64, 0))
	assert.NoError(t, err, "a remote 2^64ns behind must be accepted, not wrap to a positive offset")

	maxBound := time.Duration(math.MaxInt64)
	assert.True(t, ahead(math.MaxInt64, math.MinInt64+1, maxBound), "a difference of 2^64-2 exceeds any bound")
	assert.False(t, ahead(math.MinInt64, math.MaxInt64, 0), "a difference of -(2^64-1) exceeds no bound")
	assert.True(t, ahead(math.MaxInt64, -1, maxBound), "a difference of 2^63 exceeds the largest bound")
	assert.False(t, ahead(math.MaxInt64, 0, maxBound), "a difference equal to the bound does not exceed it")
}

// A negative maximum offset is applied as written: a remote must then be at
// least that far behind. It is not silently read as "no bound".
func TestHybridNegativeMaxOffsetRejectsRemotesNotFarBehind(t *testing.T) {
	pc := &fakeClock{now: t0}
	c := NewHybrid(pc.read, -time.Second)
	_, err := c.Update(ts(t0, 0))
	assert.ErrorIs(t, err, ErrClockOffset, "with maxOffset -1s a remote at physical time is refused")
	_, err = c.Update(ts(t0-int64(time.Second), 0))
	assert.NoError(t, err, "with maxOffset -1s a remote 1s behind is accepted")
}

func TestHybridUpdateRejectsRemoteAfterMaxWall(t *testing.T) {
	pc := &fakeClock{now: t0}
	c := NewHybrid(pc.read, 0) // no offset bound: MaxWall is the only guard
	before := c.Now()
	got, err := c.Update(ts(MaxWall+1, 0))
	assert.ErrorIs(t, err, ErrClockOffset)
	assert.Zero(t, got)
	assert.Equal(t, before, c.Last(), "a rejected Update must leave the clock unchanged")

	got, err = c.Update(ts(MaxWall, 0))
	require.NoError(t, err)
	assert.Equal(t, ts(MaxWall, 1), got, "MaxWall itself is accepted")
	assert.Equal(t, time.Date(2262, 4, 11, 23, 47, 12, 559_808_511, time.UTC), ts(MaxWall, 0).Time().UTC())
}

// A node that restarts restores the last timestamp it persisted; its clock
// must not issue anything at or below it, even with physical time behind.
func TestHybridRestoreAfterRestart(t *testing.T) {
	pc := &fakeClock{now: t0}
	c := NewHybrid(pc.read, time.Second)
	for range 5 {
		c.Now()
	}
	persisted := c.Last()

	pc.now -= int64(time.Minute) // the node comes back with its clock behind
	restarted := NewHybrid(pc.read, time.Second)
	require.NoError(t, restarted.Restore(persisted))
	assert.Equal(t, persisted, restarted.Last(), "Restore records no event")
	assert.True(t, persisted.Before(restarted.Now()), "a restored clock must issue timestamps after the persisted one")

	// Restore never moves the clock back.
	last := restarted.Last()
	require.NoError(t, restarted.Restore(ts(t0-int64(time.Hour), 0)))
	assert.Equal(t, last, restarted.Last(), "restoring an older timestamp must do nothing")

	// Restore trusts its argument beyond the maximum offset, but not past MaxWall.
	require.NoError(t, restarted.Restore(ts(t0+int64(time.Hour), 0)))
	assert.Equal(t, ts(t0+int64(time.Hour), 1), restarted.Now())
	err := restarted.Restore(ts(MaxWall+1, 0))
	assert.ErrorIs(t, err, ErrClockOffset)
	assert.Equal(t, ts(t0+int64(time.Hour), 1), restarted.Last(), "a rejected Restore must leave the clock unchanged")
}

// A physical clock reading past MaxWall (broken, or hostile) is read as
// MaxWall, so the clock keeps issuing increasing timestamps instead of
// being exhausted at once.
func TestHybridPhysicalClockPastMaxWallIsCapped(t *testing.T) {
	pc := &fakeClock{now: math.MaxInt64}
	c := NewHybrid(pc.read, 0)
	first := c.Now()
	assert.Equal(t, ts(MaxWall, 0), first, "a physical reading past MaxWall must be capped at MaxWall")
	assert.True(t, first.Before(c.Now()), "the clock must stay strictly monotonic at MaxWall")
}

// The end of the range, reachable only from inside the package (2^64
// events after MaxWall). Now panics rather than repeat a timestamp, Update
// returns an error.
func TestHybridExhausted(t *testing.T) {
	pc := &fakeClock{now: math.MaxInt64}
	c := NewHybrid(pc.read, 0)
	c.last = ts(math.MaxInt64, math.MaxUint32-1)
	assert.Equal(t, ts(math.MaxInt64, math.MaxUint32), c.Now(), "the last timestamp is still issued")
	assert.PanicsWithValue(t, "clocks: hybrid clock exhausted at 9223372036.854775807+4294967295", func() { c.Now() })
	got, err := c.Update(ts(t0, 0))
	assert.ErrorIs(t, err, ErrClockOffset)
	assert.Zero(t, got)
	assert.Equal(t, ts(math.MaxInt64, math.MaxUint32), c.Last(), "an exhausted clock must not change")
}

// The Lamport counter at the top of its range: the next event has no time
// left, and both methods panic rather than wrap to 0 or repeat a time, even
// when the guard band above the last time is hit repeatedly. This needs
// 2^62 ticks past MaxLamport, so it is set here from inside the package.
func TestLamportExhausted(t *testing.T) {
	var c Lamport
	c.t.Store(lamportLast - 1)
	assert.Equal(t, uint64(lamportLast), c.Tick(), "the last time is still issued")
	want := "clocks: Lamport clock exhausted after 9223372036854775807"
	require.Equal(t, want, "clocks: Lamport clock exhausted after "+strconv.FormatUint(lamportLast, 10),
		"the panic message must name the last time the clock issues")
	for range 100 {
		assert.PanicsWithValue(t, want, func() { c.Tick() })
		assert.PanicsWithValue(t, want, func() { c.Witness(3) })
	}
	assert.Greater(t, c.Now(), uint64(lamportLast), "an exhausted clock must not wrap to 0")
}

// Many goroutines sharing one Hybrid, all calling Now and Update: every
// call returns a distinct timestamp, each goroutine sees its timestamps
// strictly increase, and every Update result is after the remote.
func TestHybridConcurrentUse(t *testing.T) {
	const goroutines, ops = 8, 3000
	// The physical clock advances by 1ns on every third read and steps back
	// now and then, so the logical counter and the wall time both move. The
	// Hybrid reads it from all goroutines, so it has its own lock.
	pc := &fakeClock{now: t0}
	var mu sync.Mutex
	reads := 0
	c := NewHybrid(func() int64 {
		mu.Lock()
		defer mu.Unlock()
		reads++
		if reads%97 == 0 {
			pc.now -= 20
		} else if reads%3 == 0 {
			pc.now++
		}
		return pc.now
	}, time.Second)

	got := make([][]Timestamp, goroutines)
	errs := make([]error, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			out := make([]Timestamp, 0, ops)
			for k := range ops {
				if k%4 != g%4 {
					out = append(out, c.Now())
					continue
				}
				remote := c.Last()
				remote.Wall += int64(g) // a peer a little ahead
				next, err := c.Update(remote)
				if err == nil && !remote.Before(next) {
					err = fmt.Errorf("Update(%v) returned %v, not after the remote", remote, next)
				}
				if err != nil {
					errs[g] = err
					break
				}
				out = append(out, next)
			}
			got[g] = out
		})
	}
	wg.Wait()

	var all []Timestamp
	for g, seq := range got {
		require.NoError(t, errs[g], "goroutine %d", g)
		for k := 1; k < len(seq); k++ {
			require.True(t, seq[k-1].Before(seq[k]), "goroutine %d saw the clock go backwards or repeat: %v then %v", g, seq[k-1], seq[k])
		}
		all = append(all, seq...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Before(all[j]) })
	for k := 1; k < len(all); k++ {
		require.NotEqual(t, all[k-1], all[k], "timestamp %v was issued twice", all[k])
	}
	assert.Equal(t, all[len(all)-1], c.Last(), "Last must read the latest timestamp issued")
}

var hybridSink Timestamp

func BenchmarkHybridNow(b *testing.B) {
	b.ReportAllocs()
	c := NewHybrid(SystemClock, 0)
	for b.Loop() {
		hybridSink = c.Now()
	}
}

// BenchmarkHybridNowFakeClock isolates the cost of the clock itself from
// the cost of reading the system clock.
func BenchmarkHybridNowFakeClock(b *testing.B) {
	b.ReportAllocs()
	pc := &fakeClock{now: t0}
	c := NewHybrid(pc.read, 0)
	for b.Loop() {
		hybridSink = c.Now()
	}
}

func BenchmarkHybridNowParallel(b *testing.B) {
	b.ReportAllocs()
	c := NewHybrid(SystemClock, 0)
	b.RunParallel(func(pb *testing.PB) {
		var t Timestamp
		for pb.Next() {
			t = c.Now()
		}
		_ = t
	})
}

func BenchmarkHybridUpdate(b *testing.B) {
	b.ReportAllocs()
	c := NewHybrid(SystemClock, 500*time.Millisecond)
	remote := c.Now()
	for b.Loop() {
		remote.Logical++
		var err error
		hybridSink, err = c.Update(remote)
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHybridUpdateParallel(b *testing.B) {
	b.ReportAllocs()
	c := NewHybrid(SystemClock, 500*time.Millisecond)
	start := c.Now()
	b.RunParallel(func(pb *testing.PB) {
		remote := start
		for pb.Next() {
			remote.Logical++
			if _, err := c.Update(remote); err != nil {
				panic(err)
			}
		}
	})
}

func BenchmarkTimestampMarshalBinary(b *testing.B) {
	b.ReportAllocs()
	t := ts(t0, 42)
	buf := make([]byte, 0, TimestampSize)
	for b.Loop() {
		buf, _ = t.AppendBinary(buf[:0])
	}
	var back Timestamp
	if err := back.UnmarshalBinary(buf); err != nil || back != t {
		b.Fatal("round trip failed")
	}
}
