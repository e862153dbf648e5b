package clocks

import (
	"math"
	"sync/atomic"
)

// MaxLamport is the largest remote time a Lamport clock takes at face value:
// 2^62-1. Witness treats any larger argument as MaxLamport.
//
// A correct clock cannot get there: ticking a billion times a second, a
// Lamport clock needs 146 years to pass 2^62. A larger time in a message
// therefore means a corrupt or hostile peer, and believing it would let one
// message push the clock to the top of its range, where the next Tick has
// nowhere to go. Capping what Witness accepts leaves 2^62 ticks (another 146
// years) of headroom after any message. Callers that would rather drop such
// a message than cap it can compare its time with MaxLamport before calling
// Witness.
const MaxLamport = 1<<62 - 1

// Lamport is a Lamport clock, the scalar logical clock of Lamport, "Time,
// Clocks, and the Ordering of Events in a Distributed System" (CACM 1978).
// Each process keeps one. It implements the paper's two rules:
//
//   - IR1: a process increments its clock between any two successive
//     events (Tick, used for local events and for sends, whose new value the
//     message carries).
//   - IR2: on receipt of a message with time t, the process sets its clock
//     to a value greater than both t and its present value (Witness).
//
// Together they give the clock condition: if event a happened before event
// b then L(a) < L(b). The converse does not hold: concurrent events get
// ordered times too, so a Lamport clock cannot detect concurrency (use
// Vector for that). Break ties between processes with the process
// identifier to obtain a total order consistent with causality.
//
// The zero value is a clock at time 0, ready to use. A Lamport is safe for
// concurrent use by multiple goroutines and never blocks: every method is a
// few atomic instructions. It must not be copied after first use.
//
// The times a clock returns strictly increase: no two calls return the same
// value and no call returns a value smaller than one returned before it
// (in the order the calls took effect), and every time fits in a signed
// 64-bit integer (a Java long, an SQL bigint). Rather than wrap around or
// repeat a value, which would silently break ordering, Tick and Witness
// panic once the clock would pass math.MaxInt64, which takes 2^62 ticks
// after the largest time Witness accepts (see MaxLamport).
type Lamport struct {
	t atomic.Uint64
}

// lamportLast is the last time a clock issues. The 2^63 values above it are
// a guard band: a Tick that lands there panics instead of returning, so no
// number of racing goroutines can make the counter wrap around to 0 and
// repeat times. Testing for the band is a test of the sign bit, the
// cheapest check there is, which keeps Tick as fast as an unchecked add.
const lamportLast = math.MaxInt64

// Tick records a local or send event (IR1) and returns the new time, one
// more than the clock's previous value. A message sent at this event
// carries the returned time. It is a single atomic add.
func (c *Lamport) Tick() uint64 {
	n := c.t.Add(1)
	if int64(n) < 0 { // n > lamportLast
		panic(lamportExhausted)
	}
	return n
}

// Witness records the receipt of a message stamped with time t (IR2) and
// returns the new time, max(c.Now(), t)+1, which is greater than both. A t
// above MaxLamport is treated as MaxLamport.
//
// Witness is also how a restarted process resumes: witnessing the last time
// it persisted guarantees it never reissues a time it handed out before.
func (c *Lamport) Witness(t uint64) uint64 {
	for {
		cur := c.t.Load()
		if t > MaxLamport {
			t = MaxLamport
		}
		if t < cur {
			// The clock is already past t and only moves forward, so
			// max(clock, t)+1 is clock+1 whatever other goroutines do
			// meanwhile: a plain add, with no retry.
			return c.Tick()
		}
		// t+1 <= MaxLamport+1, far below lamportLast.
		if c.t.CompareAndSwap(cur, t+1) {
			return t + 1
		}
	}
}

// Now returns the clock's current time, the value returned by the last
// Tick or Witness (0 before any), without recording an event.
func (c *Lamport) Now() uint64 {
	return c.t.Load()
}

// lamportExhausted is the panic value of a clock that has run out.
const lamportExhausted = "clocks: Lamport clock exhausted after 9223372036854775807"
