package failuredetector

import (
	"fmt"
	"sync"
	"time"
)

// AdaptiveConfig configures an Adaptive detector. A zero Interval or
// WindowSize takes its default; a zero SafetyMargin means no margin (a
// valid, if nervous, setting), so the zero value differs from
// DefaultAdaptiveConfig in that one field.
type AdaptiveConfig struct {
	// Interval (η) is how often the peer sends heartbeats. Default 1 s,
	// Akka's heartbeat interval.
	Interval time.Duration
	// SafetyMargin (α) is how long after the expected arrival of the next
	// heartbeat the detector waits before suspecting. Zero means no
	// margin: the peer is suspected as soon as a heartbeat is late, about
	// half the time. DefaultAdaptiveConfig sets 3 s, the acceptable
	// heartbeat pause of DefaultConfig.
	SafetyMargin time.Duration
	// WindowSize (n) is how many recent arrivals the expected arrival is
	// estimated from, in [1, MaxWindow]. Default 1000, as for Phi.
	WindowSize int
}

// DefaultAdaptiveConfig returns heartbeats every 1 s, a 3 s safety margin
// and a window of 1000 arrivals: a peer whose heartbeats arrive on time
// is suspected 4 s after the last one, as with DefaultTimeoutConfig.
func DefaultAdaptiveConfig() AdaptiveConfig {
	return AdaptiveConfig{Interval: time.Second, SafetyMargin: 3 * time.Second, WindowSize: 1000}
}

// withDefaults returns c with every zero field that has a default set
// to it.
func (c AdaptiveConfig) withDefaults() AdaptiveConfig {
	def := DefaultAdaptiveConfig()
	if c.Interval == 0 {
		c.Interval = def.Interval
	}
	if c.WindowSize == 0 {
		c.WindowSize = def.WindowSize
	}
	return c
}

// Validate reports the first problem with c (after defaults), wrapping
// ErrInvalidConfig: a negative interval or margin, a window outside
// [1, MaxWindow], or an interval plus margin that overflows
// time.Duration (which also wraps ErrOverflow).
func (c AdaptiveConfig) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Interval < 0:
		return fmt.Errorf("failuredetector: interval %v is negative: %w", c.Interval, ErrInvalidConfig)
	case c.SafetyMargin < 0:
		return fmt.Errorf("failuredetector: safety margin %v is negative: %w", c.SafetyMargin, ErrInvalidConfig)
	case c.WindowSize < 1 || c.WindowSize > MaxWindow:
		return fmt.Errorf("failuredetector: window size %d not in [1, %d]: %w", c.WindowSize, MaxWindow, ErrInvalidConfig)
	case overflows(c.Interval, c.SafetyMargin):
		return fmt.Errorf("failuredetector: interval %v plus safety margin %v: %w: %w",
			c.Interval, c.SafetyMargin, ErrOverflow, ErrInvalidConfig)
	}
	return nil
}

// Adaptive is Chen, Toueg and Aguilera's detector ("On the quality of
// service of failure detectors", IEEE Transactions on Computers 51(5),
// 2002, section 6): it estimates the expected arrival time of the next
// heartbeat from the last n arrivals,
//
//	EA(k+1) = (1/n) Σ (A(i) - η·i) + (k+1)·η,
//
// where η is the sending interval and A(i) the arrival time of the i-th
// heartbeat, and suspects the peer once the freshness point EA(k+1) + α
// (a constant safety margin) has passed. The running sum makes each
// heartbeat O(1). Heartbeat carries no sequence number, so the detector
// infers it from the gap: a gap of about m·η counts as m heartbeats, the
// missing ones lost (without this, each loss would shift the estimate
// early by η until it left the window). The zero value is not usable; create one
// with NewAdaptive. An Adaptive is safe for concurrent use.
//
// The arithmetic saturates: a freshness point beyond the largest
// time.Duration is that largest Duration, never a wrapped-around negative
// time, so heartbeats far in the future (or a run long enough for k·η to
// pass 292 years) leave an on-time peer unsuspected.
type Adaptive struct {
	mu    sync.Mutex
	eta   time.Duration
	alpha time.Duration
	w     *Window       // A(i) - (A(0) + η·i), shifted by offsetBias
	due   time.Duration // A(0) + η·k, when the last heartbeat k was due
	next  time.Duration // freshness point
	start bool
	last  time.Duration
}

// NewAdaptive returns Chen et al.'s detector configured by cfg (zero
// fields take their defaults, see AdaptiveConfig), or an error wrapping
// ErrInvalidConfig (and ErrOverflow if the interval plus the safety
// margin overflows time.Duration).
func NewAdaptive(cfg AdaptiveConfig) (*Adaptive, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	w, err := NewWindow(cfg.WindowSize)
	if err != nil {
		return nil, err
	}
	return &Adaptive{eta: cfg.Interval, alpha: cfg.SafetyMargin, w: w}, nil
}

// Heartbeat implements Detector. A heartbeat at the same time as the
// previous one is a duplicate and is ignored.
func (d *Adaptive) Heartbeat(now time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.start {
		d.start, d.due, d.last = true, now, now
		d.w.Add(offsetBias)
		d.next = addSat(now, d.eta+d.alpha) // Validate checked η + α
		return nil
	}
	if now < d.last {
		return fmt.Errorf("failuredetector: heartbeat at %v after one at %v: %w", now, d.last, ErrNonMonotonic)
	}
	if now == d.last {
		return nil
	}
	// Heartbeat carries no sequence number, so infer it: a gap of about
	// m intervals means m-1 heartbeats were lost (or never sent).
	steps := max(roundDiv(subSat(now, d.last), d.eta), 1)
	d.last = now
	d.due = addSat(d.due, mulSat(steps, d.eta))
	// The offsets A(i) - η·i - A(0) are negative when heartbeats arrive
	// faster than η; a Window holds non-negative samples, so they are
	// stored shifted by offsetBias (offsets beyond ±9 minutes saturate).
	off := min(max(subSat(now, d.due), -offsetBias), offsetBias)
	d.w.Add(off + offsetBias)
	mean := time.Duration(d.w.Mean()) - offsetBias
	// EA(k+1) + α = A(0) + mean + (k+1)·η + α.
	d.next = addSat(addSat(d.due, mean), d.eta+d.alpha)
	return nil
}

// roundDiv returns a/b rounded to the nearest integer, halves up, for
// a >= 0 and b > 0, exactly.
func roundDiv(a, b time.Duration) int64 {
	q, r := a/b, a%b
	if r >= b-r {
		q++
	}
	return int64(q)
}

// offsetBias keeps Adaptive's offsets positive inside a Window.
const offsetBias = MaxSample / 2

// Suspect implements Detector: true once now is past the freshness point.
func (d *Adaptive) Suspect(now time.Duration) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.start && now > d.next
}

// SuspectAt implements Detector: one nanosecond after Chen et al.'s
// freshness point EA(k+1) + α, the last instant at which the peer is
// still trusted.
func (d *Adaptive) SuspectAt() (time.Duration, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.start {
		return 0, false
	}
	return after(d.next)
}
