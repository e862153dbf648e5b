package failuredetector

import (
	"math"
	"time"
)

// Saturating arithmetic on durations. The detectors add and subtract
// times they are given (a heartbeat at 290 years, a freshness point past
// the end of time.Duration); a sum that wrapped around would turn "never
// suspect" into "always suspect". These clamp to the range instead:
// a freshness point at math.MaxInt64 nanoseconds is simply never reached.

// addSat returns a+b, clamped to [math.MinInt64, math.MaxInt64].
func addSat(a, b time.Duration) time.Duration {
	s := a + b
	switch {
	case b > 0 && s < a:
		return math.MaxInt64
	case b < 0 && s > a:
		return math.MinInt64
	}
	return s
}

// subSat returns a-b, clamped to [math.MinInt64, math.MaxInt64].
func subSat(a, b time.Duration) time.Duration {
	s := a - b
	switch {
	case b < 0 && s < a:
		return math.MaxInt64
	case b > 0 && s > a:
		return math.MinInt64
	}
	return s
}

// mulSat returns k·d for k >= 0 and d > 0, clamped to math.MaxInt64.
func mulSat(k int64, d time.Duration) time.Duration {
	if k > math.MaxInt64/int64(d) {
		return math.MaxInt64
	}
	return time.Duration(k) * d
}

// overflows reports whether the sum of the non-negative durations ds
// exceeds math.MaxInt64.
func overflows(ds ...time.Duration) bool {
	var s time.Duration
	for _, d := range ds {
		if d > math.MaxInt64-s {
			return true
		}
		s += d
	}
	return false
}
