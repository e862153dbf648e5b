package failuredetector

import (
	"math"
	"time"
)

// Detector is the interface every detector in this package implements:
// heartbeats in, a yes/no suspicion out, with time passed in.
//
// Implementations here are safe for concurrent use, never suspect a peer
// before its first heartbeat, and (with the local-pause guard of Phi off)
// are monotone between heartbeats: once Suspect(t) is true it stays true
// for every later t until the next heartbeat. Evaluate relies on that.
type Detector interface {
	// Heartbeat records a heartbeat that arrived at now; it returns an
	// error wrapping ErrNonMonotonic if now is before the last heartbeat.
	Heartbeat(now time.Duration) error
	// Suspect reports whether the peer is suspected at now.
	Suspect(now time.Duration) bool
	// SuspectAt returns the earliest time at which Suspect will report
	// the peer if no heartbeat arrives before then: Suspect(t) is true
	// and, if t is later than the last heartbeat, Suspect(t-1ns) is
	// false. It is exact to the nanosecond, not an estimate. The boolean
	// is false before the first heartbeat and when no such time exists
	// within the range of a time.Duration (a timeout saturated at about
	// 292 years is never passed).
	SuspectAt() (time.Duration, bool)
}

var (
	_ Detector = (*Phi)(nil)
	_ Detector = (*Timeout)(nil)
	_ Detector = (*Adaptive)(nil)
	_ Detector = (*EventuallyPerfect)(nil)
)

// after returns the first instant strictly after deadline, the moment a
// detector that suspects once now > deadline starts suspecting, and
// false if deadline is the last representable time.
func after(deadline time.Duration) (time.Duration, bool) {
	if deadline == math.MaxInt64 {
		return 0, false
	}
	return deadline + 1, true
}

// silenceExceeds returns the first now with subSat(now, last) > timeout,
// the test Timeout and EventuallyPerfect make, and false if there is
// none. The saturation matters at the end of the range: with a timeout
// of math.MaxInt64 no difference exceeds it, even one whose exact value
// would.
func silenceExceeds(last, timeout time.Duration) (time.Duration, bool) {
	if timeout == math.MaxInt64 {
		return 0, false
	}
	return after(addSat(last, timeout))
}

// firstTrue returns the smallest t in [lo, math.MaxInt64] with pred(t),
// and false if pred is false even at math.MaxInt64. pred must be monotone
// on that range (false, then true for good). The search starts from guess,
// which a closed-form inversion makes exact or nearly so: it gallops away
// from the guess in doubling steps until it brackets the change, then
// bisects, so it costs O(log |answer - guess|) calls of pred, and at most
// about 130 whatever the guess.
func firstTrue(lo, guess time.Duration, pred func(time.Duration) bool) (time.Duration, bool) {
	const hi = time.Duration(math.MaxInt64)
	guess = min(max(guess, lo), hi)
	var a, b time.Duration // pred(a) false, pred(b) true, a < b
	if pred(guess) {
		b = guess
		for step := time.Duration(1); ; step = mulSat(2, step) {
			if b == lo {
				return lo, true
			}
			a = max(subSat(b, step), lo)
			if !pred(a) {
				break
			}
			b = a
		}
	} else {
		a = guess
		for step := time.Duration(1); ; step = mulSat(2, step) {
			if a == hi {
				return 0, false
			}
			b = addSat(a, step)
			if pred(b) {
				break
			}
			a = b
		}
	}
	// uint64(b)-uint64(a) is the distance b-a, exact even when that
	// exceeds math.MaxInt64.
	for uint64(b)-uint64(a) > 1 {
		m := a + time.Duration((uint64(b)-uint64(a))/2)
		if pred(m) {
			b = m
		} else {
			a = m
		}
	}
	return b, true
}

// durationCeil converts x nanoseconds to a Duration, rounding up and
// clamping to the range of a Duration (NaN gives 0).
func durationCeil(x float64) time.Duration {
	switch {
	case math.IsNaN(x):
		return 0
	case x >= math.MaxInt64:
		return math.MaxInt64
	case x <= math.MinInt64:
		return math.MinInt64
	}
	return time.Duration(math.Ceil(x))
}
