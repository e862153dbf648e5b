package failuredetector

import (
	"fmt"
	"sync"
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
}

var (
	_ Detector = (*Phi)(nil)
	_ Detector = (*Timeout)(nil)
	_ Detector = (*Adaptive)(nil)
	_ Detector = (*EventuallyPerfect)(nil)
)

// Timeout is the simplest detector: it suspects a peer once more than a
// fixed timeout has passed since its last heartbeat. The timeout trades
// detection time against mistakes directly and does not adapt to the
// network. The zero value is not usable; create one with NewTimeout.
// A Timeout is safe for concurrent use.
type Timeout struct {
	mu      sync.Mutex
	timeout time.Duration
	started bool
	last    time.Duration
}

// NewTimeout returns a fixed-timeout detector, or an error wrapping
// ErrInvalidConfig if timeout is not positive.
func NewTimeout(timeout time.Duration) (*Timeout, error) {
	if timeout <= 0 {
		return nil, fmt.Errorf("failuredetector: timeout %v must be positive: %w", timeout, ErrInvalidConfig)
	}
	return &Timeout{timeout: timeout}, nil
}

// Heartbeat implements Detector.
func (d *Timeout) Heartbeat(now time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started && now < d.last {
		return fmt.Errorf("failuredetector: heartbeat at %v after one at %v: %w", now, d.last, ErrNonMonotonic)
	}
	d.started, d.last = true, now
	return nil
}

// Suspect implements Detector: true once now - last heartbeat > timeout
// (the difference saturating, so that no pair of times wraps it around).
func (d *Timeout) Suspect(now time.Duration) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.started && subSat(now, d.last) > d.timeout
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

// NewAdaptive returns Chen et al.'s detector for heartbeats sent every
// interval, with safety margin alpha and n arrivals in the estimate. It
// returns an error wrapping ErrInvalidConfig unless interval > 0,
// alpha >= 0 and 1 <= n <= MaxWindow, and one wrapping both ErrOverflow
// and ErrInvalidConfig if interval + alpha overflows time.Duration.
func NewAdaptive(interval, alpha time.Duration, n int) (*Adaptive, error) {
	if interval <= 0 {
		return nil, fmt.Errorf("failuredetector: interval %v must be positive: %w", interval, ErrInvalidConfig)
	}
	if alpha < 0 {
		return nil, fmt.Errorf("failuredetector: safety margin %v is negative: %w", alpha, ErrInvalidConfig)
	}
	if overflows(interval, alpha) {
		return nil, fmt.Errorf("failuredetector: interval %v plus safety margin %v: %w: %w",
			interval, alpha, ErrOverflow, ErrInvalidConfig)
	}
	w, err := NewWindow(n)
	if err != nil {
		return nil, err
	}
	return &Adaptive{eta: interval, alpha: alpha, w: w}, nil
}

// Heartbeat implements Detector. A heartbeat at the same time as the
// previous one is a duplicate and is ignored.
func (d *Adaptive) Heartbeat(now time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.start {
		d.start, d.due, d.last = true, now, now
		d.w.Add(offsetBias)
		d.next = addSat(now, d.eta+d.alpha) // NewAdaptive checked η + α
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

// FreshnessPoint returns the time after which the peer is suspected if no
// heartbeat arrives, and false before the first heartbeat.
func (d *Adaptive) FreshnessPoint() (time.Duration, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.next, d.start
}

// EventuallyPerfect is a detector of class ◇P (eventually perfect) in
// partially synchronous systems, after Chandra and Toueg ("Unreliable
// failure detectors for reliable distributed systems", JACM 43(2), 1996,
// section 9.1): it suspects a peer after a timeout without heartbeats,
// and each time a heartbeat proves a suspicion wrong it increases the
// timeout by Increment. A crashed peer sends nothing, so it is suspected
// forever (strong completeness); once message delays are bounded (after
// the unknown global stabilisation time), the timeout grows past the bound
// after finitely many mistakes and the detector never suspects a correct
// peer again (eventual strong accuracy). The zero value is not usable;
// create one with NewEventuallyPerfect. Safe for concurrent use.
//
// Without a maximum, the timeout grows until it saturates at the largest
// time.Duration (about 292 years) instead of wrapping around to a negative
// timeout that would suspect every peer at once.
type EventuallyPerfect struct {
	mu        sync.Mutex
	timeout   time.Duration
	increment time.Duration
	max       time.Duration
	started   bool
	last      time.Duration
	mistakes  int
}

// NewEventuallyPerfect returns a ◇P detector starting with the given
// timeout and adding increment after each false suspicion, up to max
// (0 means no limit; a limit forfeits eventual accuracy if the real bound
// on delays exceeds it). It returns an error wrapping ErrInvalidConfig for
// a non-positive timeout or increment, or a max below timeout, and one
// wrapping both ErrOverflow and ErrInvalidConfig if the first increase,
// timeout + increment, or (with a max) max + increment overflows
// time.Duration.
func NewEventuallyPerfect(timeout, increment, max time.Duration) (*EventuallyPerfect, error) {
	switch {
	case timeout <= 0:
		return nil, fmt.Errorf("failuredetector: timeout %v must be positive: %w", timeout, ErrInvalidConfig)
	case increment <= 0:
		return nil, fmt.Errorf("failuredetector: increment %v must be positive: %w", increment, ErrInvalidConfig)
	case max != 0 && max < timeout:
		return nil, fmt.Errorf("failuredetector: max timeout %v below timeout %v: %w", max, timeout, ErrInvalidConfig)
	case overflows(timeout, increment):
		return nil, fmt.Errorf("failuredetector: timeout %v plus increment %v: %w: %w",
			timeout, increment, ErrOverflow, ErrInvalidConfig)
	case max != 0 && overflows(max, increment):
		return nil, fmt.Errorf("failuredetector: max timeout %v plus increment %v: %w: %w",
			max, increment, ErrOverflow, ErrInvalidConfig)
	}
	return &EventuallyPerfect{timeout: timeout, increment: increment, max: max}, nil
}

// Heartbeat implements Detector. A heartbeat from a suspected peer is a
// false suspicion: the timeout grows by the increment.
func (d *EventuallyPerfect) Heartbeat(now time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started && now < d.last {
		return fmt.Errorf("failuredetector: heartbeat at %v after one at %v: %w", now, d.last, ErrNonMonotonic)
	}
	if d.started && subSat(now, d.last) > d.timeout {
		d.mistakes++
		d.timeout = addSat(d.timeout, d.increment)
		if d.max != 0 && d.timeout > d.max {
			d.timeout = d.max
		}
	}
	d.started, d.last = true, now
	return nil
}

// Suspect implements Detector: true once more than the current timeout has
// passed since the last heartbeat.
func (d *EventuallyPerfect) Suspect(now time.Duration) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.started && subSat(now, d.last) > d.timeout
}

// Timeout returns the current timeout and the number of false suspicions
// so far.
func (d *EventuallyPerfect) Timeout() (time.Duration, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.timeout, d.mistakes
}
