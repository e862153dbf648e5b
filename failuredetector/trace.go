package failuredetector

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Trace is what a monitor saw of one peer: the arrival times of its
// heartbeats, whether and when it crashed, and when observation ended.
type Trace struct {
	// Arrivals are the heartbeat arrival times, non-decreasing, at least one.
	Arrivals []time.Duration
	// Crashed says the peer crashed at Crash; otherwise it was up
	// throughout. Heartbeats sent before a crash may arrive after it.
	Crashed bool
	Crash   time.Duration
	// End is when observation stopped, at or after the last arrival and
	// the crash.
	End time.Duration
}

// Validate reports a malformed trace, wrapping ErrInvalidTrace.
func (tr Trace) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("failuredetector: trace: "+format+": %w", append(args, ErrInvalidTrace)...)
	}
	if len(tr.Arrivals) == 0 {
		return bad("no heartbeats")
	}
	if !slices.IsSorted(tr.Arrivals) {
		return bad("arrivals not in time order")
	}
	last := tr.Arrivals[len(tr.Arrivals)-1]
	if tr.End < last {
		return bad("end %v before the last arrival %v", tr.End, last)
	}
	if tr.Arrivals[0] == math.MinInt64 || subSat(tr.End, tr.Arrivals[0]) == math.MaxInt64 {
		return bad("spans more than a time.Duration holds")
	}
	if tr.Crashed && (tr.Crash < tr.Arrivals[0] || tr.Crash > tr.End) {
		return bad("crash at %v outside [%v, %v]", tr.Crash, tr.Arrivals[0], tr.End)
	}
	return nil
}

// TraceConfig describes a heartbeat trace to generate: a sender that
// heartbeats every Interval over a network with a base latency, jitter,
// independent and bursty loss, a sender that stalls as under garbage
// collection, and optionally a crash. Every random choice comes from a
// generator seeded with Seed, so a configuration gives one trace.
type TraceConfig struct {
	Seed     uint64        // seeds every random choice
	Interval time.Duration // heartbeat sending period (> 0)
	Duration time.Duration // length of the trace (> 0)
	Latency  time.Duration // base one-way delay (>= 0)
	// Jitter is the standard deviation of a normal delay added to Latency
	// (delays are truncated at 0).
	Jitter time.Duration
	// Loss is the probability that a heartbeat is lost on its own.
	Loss float64
	// BurstRate is the probability, per heartbeat, that a burst of losses
	// starts; bursts last BurstLength heartbeats on average (geometric).
	BurstRate   float64
	BurstLength float64
	// PauseRate is the rate of GC-like pauses of the sender, per second of
	// trace (a Poisson process); each lasts PauseDuration on average
	// (exponential). Heartbeats due during a pause are not sent; one is
	// sent when the pause ends.
	PauseRate     float64
	PauseDuration time.Duration
	// Crash, if positive, is when the sender crashes: nothing is sent from
	// then on.
	Crash time.Duration
}

// Validate reports a configuration GenerateTrace cannot use, wrapping
// ErrInvalidTrace.
func (c TraceConfig) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("failuredetector: trace config: "+format+": %w", append(args, ErrInvalidTrace)...)
	}
	prob := func(p float64) bool { return p >= 0 && p <= 1 } // false for NaN
	switch {
	case c.Interval <= 0:
		return bad("interval %v must be positive", c.Interval)
	case c.Duration <= 0 || c.Duration > 1<<60:
		return bad("duration %v not in (0, 2^60 ns]", c.Duration)
	case c.Duration/c.Interval > 1e8:
		return bad("more than 1e8 heartbeats")
	case c.Latency < 0 || c.Jitter < 0 || c.PauseDuration < 0:
		return bad("negative latency, jitter or pause duration")
	case !prob(c.Loss) || c.Loss == 1:
		return bad("loss %v not in [0, 1)", c.Loss)
	case !prob(c.BurstRate):
		return bad("burst rate %v not in [0, 1]", c.BurstRate)
	case c.BurstRate > 0 && !(c.BurstLength >= 1 && c.BurstLength < 1e9):
		return bad("burst length %v must be at least 1", c.BurstLength)
	case !(c.PauseRate >= 0 && c.PauseRate < 1e6):
		return bad("pause rate %v not in [0, 1e6)", c.PauseRate)
	case c.Crash < 0 || c.Crash > c.Duration:
		return bad("crash %v not in [0, %v]", c.Crash, c.Duration)
	}
	return nil
}

// GenerateTrace returns the trace c describes, or an error wrapping
// ErrInvalidTrace. The first heartbeat (sent at time 0) always arrives, and
// a crash before it arrives is moved to its arrival, so the trace always
// starts with the peer monitored. The cost is linear in Duration/Interval.
func GenerateTrace(c TraceConfig) (Trace, error) {
	if err := c.Validate(); err != nil {
		return Trace{}, err
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0x6661696c75726564)) // "failured"
	exp := func(mean float64) time.Duration {                // saturates far beyond any trace
		return time.Duration(min(rng.ExpFloat64()*mean, 1<<60))
	}

	tr := Trace{End: c.Duration}
	stop := c.Duration
	if c.Crash > 0 {
		tr.Crashed, tr.Crash, stop = true, c.Crash, c.Crash
	}
	nextPause := time.Duration(math.MaxInt64)
	if c.PauseRate > 0 {
		nextPause = exp(float64(time.Second) / c.PauseRate)
	}
	burst := 0
	send := func(at time.Duration) {
		lost := false
		switch {
		case at == 0: // the first heartbeat always arrives
		case burst > 0:
			burst--
			lost = true
		case c.BurstRate > 0 && rng.Float64() < c.BurstRate:
			burst = int(math.Ceil(rng.ExpFloat64()*c.BurstLength)) - 1
			lost = true
		case rng.Float64() < c.Loss:
			lost = true
		}
		if lost {
			return
		}
		delay := c.Latency + time.Duration(rng.NormFloat64()*float64(c.Jitter))
		tr.Arrivals = append(tr.Arrivals, at+max(delay, 0))
	}
	for at := time.Duration(0); at < stop; at += c.Interval {
		for at >= nextPause {
			end := nextPause + exp(float64(c.PauseDuration))
			nextPause = end + exp(float64(time.Second)/c.PauseRate)
			if at >= end {
				continue // the pause fell between two heartbeats
			}
			for at < end && at < stop {
				at += c.Interval // heartbeats due during the pause are not sent
			}
			if end < stop {
				send(end) // the one the stalled timer fires on resuming
			}
		}
		if at >= stop {
			break
		}
		send(at)
	}
	if len(tr.Arrivals) == 0 { // a crash at time 0 still sends the first
		send(0)
	}
	slices.Sort(tr.Arrivals)
	tr.End = max(tr.End, tr.Arrivals[len(tr.Arrivals)-1])
	if tr.Crashed {
		tr.Crash = max(tr.Crash, tr.Arrivals[0])
	}
	return tr, nil
}
