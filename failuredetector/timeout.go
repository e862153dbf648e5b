package failuredetector

import (
	"fmt"
	"sync"
	"time"
)

// TimeoutConfig configures a Timeout detector. A zero field takes its
// default, so the zero value is DefaultTimeoutConfig.
type TimeoutConfig struct {
	// Timeout is how long the peer may stay silent: it is suspected once
	// strictly more than Timeout has passed since its last heartbeat.
	// Default 4 s: one heartbeat interval of 1 s plus the 3 s of
	// acceptable pause that DefaultConfig gives Phi, so that the two
	// tolerate the same pauses.
	Timeout time.Duration
}

// DefaultTimeoutConfig returns a 4 s timeout.
func DefaultTimeoutConfig() TimeoutConfig {
	return TimeoutConfig{Timeout: 4 * time.Second}
}

// withDefaults returns c with every zero field set to its default.
func (c TimeoutConfig) withDefaults() TimeoutConfig {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeoutConfig().Timeout
	}
	return c
}

// Validate reports the first problem with c (after defaults), wrapping
// ErrInvalidConfig: a negative timeout.
func (c TimeoutConfig) Validate() error {
	c = c.withDefaults()
	if c.Timeout < 0 {
		return fmt.Errorf("failuredetector: timeout %v is negative: %w", c.Timeout, ErrInvalidConfig)
	}
	return nil
}

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

// NewTimeout returns a fixed-timeout detector configured by cfg (zero
// fields take their defaults), or an error wrapping ErrInvalidConfig.
func NewTimeout(cfg TimeoutConfig) (*Timeout, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Timeout{timeout: cfg.withDefaults().Timeout}, nil
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

// SuspectAt implements Detector: one nanosecond after the last heartbeat
// plus the timeout.
func (d *Timeout) SuspectAt() (time.Duration, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.started {
		return 0, false
	}
	return silenceExceeds(d.last, d.timeout)
}
