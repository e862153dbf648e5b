package clocks_test

import (
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/eventually-perfect/primitives/clocks"
)

// The tests below cite Lamport, "Time, Clocks, and the Ordering of Events in
// a Distributed System" (CACM 1978): the clock condition and the
// implementation rules IR1 and IR2 of its section on logical clocks. The
// behaviour at the very top of the uint64 range needs internal access and
// is tested in hybrid_test.go (TestLamportExhausted).

func TestLamportZeroValueStartsAtZero(t *testing.T) {
	var c clocks.Lamport
	assert.Equal(t, uint64(0), c.Now(), "the zero clock reads 0")
	assert.Equal(t, uint64(1), c.Tick(), "the first event of a fresh process gets time 1")
	assert.Equal(t, uint64(1), c.Now(), "Now reads the time of the last event")
	assert.Equal(t, uint64(1), c.Now(), "Now does not tick")
}

// IR1: each process increments its clock between any two successive events.
func TestLamportTickIncrementsBetweenEvents(t *testing.T) {
	var c clocks.Lamport
	for want := uint64(1); want <= 100; want++ {
		require.Equal(t, want, c.Tick(), "IR1: Tick must increment the clock by one")
	}
}

// IR2: on receipt of a message with timestamp Tm, the receiver sets its
// clock greater than or equal to its present value and greater than Tm.
// Witness sets it to max(present, Tm)+1, the least such value.
func TestLamportWitnessAdvancesPastMessage(t *testing.T) {
	tests := []struct {
		name         string
		local, msg   uint64
		want         uint64
		wantProperty string
	}{
		{"message from the future", 3, 10, 11, "past the message time"},
		{"message from the past", 10, 3, 11, "past the local time"},
		{"equal times", 7, 7, 8, "past both"},
		{"fresh receiver, message 0", 0, 0, 1, "past both"},
		{"fresh receiver", 0, 41, 42, "past the message time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c clocks.Lamport
			if tt.local > 0 {
				c.Witness(tt.local - 1) // a fresh clock witnessing v-1 reads v
			}
			require.Equal(t, tt.local, c.Now())
			got := c.Witness(tt.msg)
			assert.Equal(t, tt.want, got, "IR2: Witness must move the clock %s, by the least amount", tt.wantProperty)
			assert.Equal(t, got, c.Now())
		})
	}
}

// A Lamport time above MaxLamport cannot come from a correct clock; Witness
// caps it there, so one corrupt message cannot exhaust the receiver's range
// and the clock keeps increasing.
func TestLamportWitnessCapsRemoteTimeAtMaxLamport(t *testing.T) {
	var c clocks.Lamport
	c.Tick()
	assert.Equal(t, uint64(clocks.MaxLamport)+1, c.Witness(math.MaxUint64),
		"a time above MaxLamport must be treated as MaxLamport")
	assert.Equal(t, uint64(clocks.MaxLamport)+2, c.Witness(math.MaxUint64),
		"the clock must still advance on every event after a capped message")
	assert.Equal(t, uint64(clocks.MaxLamport)+3, c.Witness(clocks.MaxLamport),
		"the clock must still advance on every event after a capped message")
	assert.Equal(t, uint64(clocks.MaxLamport)+4, c.Tick(), "IR1 holds after a capped message")
	assert.Equal(t, uint64(clocks.MaxLamport)+5, c.Witness(5), "IR2 holds after a capped message")
}

// lamportTimes replays h with one Lamport clock per process: a local event
// and a send tick the sender's clock (the message carries the new time),
// a receipt witnesses the time the message carries.
func lamportTimes(h history) []uint64 {
	procs := make([]clocks.Lamport, h.procs)
	times := make([]uint64, len(h.events))
	for i, ev := range h.events {
		switch ev.kind {
		case localEvent, sendEvent:
			times[i] = procs[ev.proc].Tick()
		case recvEvent:
			times[i] = procs[ev.proc].Witness(times[ev.msg])
		}
	}
	return times
}

// The clock condition: for any events a, b, if a -> b then C(a) < C(b).
func TestLamportClockCondition(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := drawHistory(t, 5, 40)
		times := lamportTimes(h)
		for j := range h.events {
			for i := range j {
				if h.happenedBefore(i, j) && times[i] >= times[j] {
					t.Fatalf("clock condition violated: e%d happened before e%d but L(e%d)=%d >= L(e%d)=%d\n%s",
						i, j, i, times[i], j, times[j], h)
				}
			}
		}
	})
}

// With Tick and Witness choosing the least value IR1 and IR2 allow, starting
// from 0, an event's Lamport time is exactly the number of events on the
// longest happened-before chain that ends with it. This pins the clock down
// completely and shows what the number means.
func TestLamportTimeIsLongestCausalChain(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := drawHistory(t, 5, 40)
		times := lamportTimes(h)
		depth := make([]uint64, len(h.events)) // longest chain ending at each event, itself included
		for j := range h.events {
			depth[j] = 1
			for i := range j {
				if h.happenedBefore(i, j) {
					depth[j] = max(depth[j], depth[i]+1)
				}
			}
			if times[j] != depth[j] {
				t.Fatalf("Lamport time is not the length of the longest causal chain: L(e%d)=%d, chain length %d\n%s",
					j, times[j], depth[j], h)
			}
		}
	})
}

// The converse of the clock condition does not hold: C(a) < C(b) does not
// mean a -> b. A Lamport clock orders concurrent events too, so it cannot
// tell concurrency from causality. This test shows it on the smallest
// example, and then finds more in random histories.
func TestLamportOrdersConcurrentEvents(t *testing.T) {
	// a does two local events; b does one. a's second event and b's event
	// are concurrent, yet their times are 2 and 1.
	h := history{procs: 2, events: []event{
		{proc: 0, kind: localEvent},
		{proc: 0, kind: localEvent},
		{proc: 1, kind: localEvent},
	}}
	h.closure()
	times := lamportTimes(h)
	require.True(t, h.concurrent(1, 2), "e1 and e2 are on different processes with no message between them")
	assert.Equal(t, []uint64{1, 2, 1}, times)
	assert.Less(t, times[2], times[1], "concurrent events get ordered Lamport times")

	// And it is the common case, not a corner: in random histories with
	// concurrent events on different processes, some pair gets different
	// times whenever the processes did different amounts of work.
	found := 0
	rapid.Check(t, func(t *rapid.T) {
		h := drawHistory(t, 4, 30)
		times := lamportTimes(h)
		for j := range h.events {
			for i := range j {
				if h.concurrent(i, j) && times[i] != times[j] {
					found++
					return
				}
			}
		}
	})
	assert.Positive(t, found, "random histories should contain concurrent events with ordered Lamport times")
}

// Many goroutines ticking one clock: no time is handed out twice, none is
// skipped, and each goroutine sees its own times strictly increase.
func TestLamportConcurrentTicksAreUnique(t *testing.T) {
	const goroutines, ticks = 8, 5000
	var c clocks.Lamport
	got := make([][]uint64, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			times := make([]uint64, ticks)
			for k := range times {
				times[k] = c.Tick()
			}
			got[g] = times
		})
	}
	wg.Wait()

	var all []uint64
	for g, times := range got {
		require.True(t, slices.IsSorted(times) && !hasAdjacentDuplicates(times),
			"goroutine %d saw the clock go backwards or stand still", g)
		all = append(all, times...)
	}
	slices.Sort(all)
	assert.False(t, hasAdjacentDuplicates(all), "a time was handed out twice")
	assert.Equal(t, uint64(goroutines*ticks), c.Now(), "the final time must equal the number of ticks")
	assert.Equal(t, uint64(1), all[0])
	assert.Equal(t, uint64(goroutines*ticks), all[len(all)-1], "no time may be skipped by ticks alone")
}

// Mixing Tick and Witness from many goroutines: every call still returns a
// distinct time, each goroutine's times strictly increase, and every
// Witness result is past the time witnessed.
func TestLamportConcurrentTickAndWitness(t *testing.T) {
	const goroutines, ops = 8, 5000
	var c clocks.Lamport
	got := make([][]uint64, goroutines)
	bad := make([]int, goroutines) // Witness results not past their argument
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			times := make([]uint64, ops)
			for k := range times {
				if k%3 == g%3 {
					msg := uint64(k * goroutines) // sometimes ahead of the clock, sometimes behind
					times[k] = c.Witness(msg)
					if times[k] <= msg {
						bad[g]++
					}
				} else {
					times[k] = c.Tick()
				}
			}
			got[g] = times
		})
	}
	wg.Wait()

	var all []uint64
	for g, times := range got {
		require.Zero(t, bad[g], "IR2: goroutine %d got a Witness result not past the message time", g)
		require.True(t, slices.IsSorted(times) && !hasAdjacentDuplicates(times),
			"goroutine %d saw the clock go backwards or stand still", g)
		all = append(all, times...)
	}
	slices.Sort(all)
	assert.False(t, hasAdjacentDuplicates(all), "a time was handed out twice")
	assert.Equal(t, all[len(all)-1], c.Now(), "Now must read the last time handed out")
}

func hasAdjacentDuplicates(s []uint64) bool {
	for i := 1; i < len(s); i++ {
		if s[i] == s[i-1] {
			return true
		}
	}
	return false
}

var lamportSink uint64

func BenchmarkLamportTick(b *testing.B) {
	b.ReportAllocs()
	var c clocks.Lamport
	for b.Loop() {
		lamportSink = c.Tick()
	}
}

func BenchmarkLamportTickParallel(b *testing.B) {
	b.ReportAllocs()
	var c clocks.Lamport
	b.RunParallel(func(pb *testing.PB) {
		var t uint64
		for pb.Next() {
			t = c.Tick()
		}
		lamportSinkAtomic(t)
	})
}

func BenchmarkLamportWitness(b *testing.B) {
	b.ReportAllocs()
	var c clocks.Lamport
	var msg uint64
	for b.Loop() {
		msg += 2 // a peer running ahead: every Witness moves the clock
		lamportSink = c.Witness(msg)
	}
}

func BenchmarkLamportWitnessParallel(b *testing.B) {
	b.ReportAllocs()
	var c clocks.Lamport
	b.RunParallel(func(pb *testing.PB) {
		var t, msg uint64
		for pb.Next() {
			msg += 2
			t = c.Witness(msg)
		}
		lamportSinkAtomic(t)
	})
}

var lamportSinkMu sync.Mutex

func lamportSinkAtomic(t uint64) {
	lamportSinkMu.Lock()
	lamportSink = t
	lamportSinkMu.Unlock()
}
