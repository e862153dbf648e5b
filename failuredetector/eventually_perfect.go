package failuredetector

import (
	"fmt"
	"sync"
	"time"
)

// EventuallyPerfectConfig configures an EventuallyPerfect detector. A zero
// Timeout or Increment takes its default; a zero MaxTimeout means no
// limit, which is also the default, so the zero value is
// DefaultEventuallyPerfectConfig.
type EventuallyPerfectConfig struct {
	// Timeout is the first timeout: the peer is suspected once strictly
	// more than the current timeout has passed since its last heartbeat.
	// Default 4 s, as DefaultTimeoutConfig.
	Timeout time.Duration
	// Increment is added to the timeout after each false suspicion.
	// Default 1 s, one heartbeat interval.
	Increment time.Duration
	// MaxTimeout caps the timeout; zero means no limit. A limit forfeits
	// eventual accuracy if the real bound on message delays exceeds it.
	// If set, it must be at least Timeout.
	MaxTimeout time.Duration
}

// DefaultEventuallyPerfectConfig returns a first timeout of 4 s, an
// increment of 1 s and no limit.
func DefaultEventuallyPerfectConfig() EventuallyPerfectConfig {
	return EventuallyPerfectConfig{Timeout: 4 * time.Second, Increment: time.Second}
}

// withDefaults returns c with every zero field that has a default set
// to it.
func (c EventuallyPerfectConfig) withDefaults() EventuallyPerfectConfig {
	def := DefaultEventuallyPerfectConfig()
	if c.Timeout == 0 {
		c.Timeout = def.Timeout
	}
	if c.Increment == 0 {
		c.Increment = def.Increment
	}
	return c
}

// Validate reports the first problem with c (after defaults), wrapping
// ErrInvalidConfig: a negative timeout, increment or maximum, a maximum
// below the timeout, or sums that overflow time.Duration (the first
// increase, Timeout + Increment, or with a maximum MaxTimeout +
// Increment), which also wrap ErrOverflow.
func (c EventuallyPerfectConfig) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Timeout < 0:
		return fmt.Errorf("failuredetector: timeout %v is negative: %w", c.Timeout, ErrInvalidConfig)
	case c.Increment < 0:
		return fmt.Errorf("failuredetector: increment %v is negative: %w", c.Increment, ErrInvalidConfig)
	case c.MaxTimeout < 0:
		return fmt.Errorf("failuredetector: max timeout %v is negative: %w", c.MaxTimeout, ErrInvalidConfig)
	case c.MaxTimeout != 0 && c.MaxTimeout < c.Timeout:
		return fmt.Errorf("failuredetector: max timeout %v below timeout %v: %w", c.MaxTimeout, c.Timeout, ErrInvalidConfig)
	case overflows(c.Timeout, c.Increment):
		return fmt.Errorf("failuredetector: timeout %v plus increment %v: %w: %w",
			c.Timeout, c.Increment, ErrOverflow, ErrInvalidConfig)
	case c.MaxTimeout != 0 && overflows(c.MaxTimeout, c.Increment):
		return fmt.Errorf("failuredetector: max timeout %v plus increment %v: %w: %w",
			c.MaxTimeout, c.Increment, ErrOverflow, ErrInvalidConfig)
	}
	return nil
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

// NewEventuallyPerfect returns a ◇P detector configured by cfg (zero
// fields take their defaults, see EventuallyPerfectConfig), or an error
// wrapping ErrInvalidConfig (and ErrOverflow if its sums overflow
// time.Duration).
func NewEventuallyPerfect(cfg EventuallyPerfectConfig) (*EventuallyPerfect, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &EventuallyPerfect{timeout: cfg.Timeout, increment: cfg.Increment, max: cfg.MaxTimeout}, nil
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

// SuspectAt implements Detector: one nanosecond after the last heartbeat
// plus the current timeout.
func (d *EventuallyPerfect) SuspectAt() (time.Duration, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.started {
		return 0, false
	}
	return silenceExceeds(d.last, d.timeout)
}

// Timeout returns the current timeout and the number of false suspicions
// so far.
func (d *EventuallyPerfect) Timeout() (time.Duration, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.timeout, d.mistakes
}
