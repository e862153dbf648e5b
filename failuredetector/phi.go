package failuredetector

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// Config configures a Phi detector. DefaultConfig returns Akka's
// documented defaults (akka.remote.watch-failure-detector and
// akka.cluster.failure-detector in Akka's reference.conf). A zero
// Threshold, WindowSize, MinStdDeviation or FirstHeartbeatEstimate takes
// its default; a zero AcceptableHeartbeatPause means no pause (the plain
// detector of the paper) and a zero MaxLocalPause leaves the guard off, so
// the zero value is DefaultConfig without the acceptable pause.
type Config struct {
	// Threshold is the φ at or above which Suspect reports the peer.
	// φ = 1 means about a 10% chance that the suspicion is a mistake,
	// φ = 2 about 1%, φ = 8 about 10⁻⁸ (if the distribution fits). Default 8.
	Threshold float64
	// WindowSize is how many recent intervals the statistics cover, in
	// [1, MaxWindow]. Default 1000.
	WindowSize int
	// MinStdDeviation is a floor for the standard deviation, so that very
	// regular heartbeats do not make a tiny delay look like a crash (and
	// φ does not divide by zero). Default 100 ms.
	MinStdDeviation time.Duration
	// AcceptableHeartbeatPause is a delay added to the expected interval
	// before suspicion starts to grow: the pauses (garbage collection,
	// network hiccups) that the application wants to tolerate. Zero means
	// none; DefaultConfig sets 3 s.
	AcceptableHeartbeatPause time.Duration
	// FirstHeartbeatEstimate bootstraps the statistics at the first
	// heartbeat, before any interval has been seen: the window starts with
	// two intervals, estimate ± estimate/4, as in Akka. At most MaxSample.
	// Default 1 s.
	FirstHeartbeatEstimate time.Duration
	// Distribution models the intervals. nil means Normal.
	Distribution Distribution
	// MaxLocalPause guards against the monitor's own stalls: if two
	// consecutive calls to Suspect are further apart than MaxLocalPause, the
	// monitoring process itself probably stalled (a GC pause, a descheduled
	// VM), and the heartbeats it did not process in the meantime are likely
	// still queued; Suspect then reports false for MaxLocalPause after the
	// stall, as Cassandra's FailureDetector does (its MAX_LOCAL_PAUSE, 5 s).
	// It only makes sense when Suspect is called periodically (as
	// Monitor.Check is); 0, the default, disables the guard.
	MaxLocalPause time.Duration
}

// DefaultConfig returns Akka's defaults: threshold 8, at most 1000
// samples, minimum standard deviation 100 ms, acceptable heartbeat pause
// 3 s, first-heartbeat estimate 1 s, with the exact normal distribution
// and the local-pause guard off.
func DefaultConfig() Config {
	return Config{
		Threshold:                8,
		WindowSize:               1000,
		MinStdDeviation:          100 * time.Millisecond,
		AcceptableHeartbeatPause: 3 * time.Second,
		FirstHeartbeatEstimate:   time.Second,
		Distribution:             Normal{},
	}
}

// withDefaults returns c with every zero field that has a default set
// to it.
func (c Config) withDefaults() Config {
	def := DefaultConfig()
	if c.Threshold == 0 {
		c.Threshold = def.Threshold
	}
	if c.WindowSize == 0 {
		c.WindowSize = def.WindowSize
	}
	if c.MinStdDeviation == 0 {
		c.MinStdDeviation = def.MinStdDeviation
	}
	if c.FirstHeartbeatEstimate == 0 {
		c.FirstHeartbeatEstimate = def.FirstHeartbeatEstimate
	}
	if c.Distribution == nil {
		c.Distribution = def.Distribution
	}
	return c
}

// Validate reports the first problem with c (after defaults), wrapping
// ErrInvalidConfig: a threshold that is NaN, infinite or negative, a
// window outside [1, MaxWindow], a negative duration, or a first-heartbeat
// estimate above MaxSample.
func (c Config) Validate() error {
	c = c.withDefaults()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("failuredetector: "+format+": %w", append(args, ErrInvalidConfig)...)
	}
	switch {
	case math.IsNaN(c.Threshold) || math.IsInf(c.Threshold, 0):
		return bad("threshold %v is not a finite number", c.Threshold)
	case c.Threshold < 0:
		return bad("threshold %v is negative", c.Threshold)
	case c.WindowSize < 1 || c.WindowSize > MaxWindow:
		return bad("window size %d not in [1, %d]", c.WindowSize, MaxWindow)
	case c.MinStdDeviation < 0:
		return bad("minimum standard deviation %v is negative", c.MinStdDeviation)
	case c.AcceptableHeartbeatPause < 0:
		return bad("acceptable heartbeat pause %v is negative", c.AcceptableHeartbeatPause)
	case c.FirstHeartbeatEstimate < 0 || c.FirstHeartbeatEstimate > MaxSample:
		return bad("first heartbeat estimate %v not in (0, %v]", c.FirstHeartbeatEstimate, MaxSample)
	case c.MaxLocalPause < 0:
		return bad("max local pause %v is negative", c.MaxLocalPause)
	}
	return nil
}

// Phi is a phi accrual failure detector (Hayashibara, Défago, Yared and
// Katayama, "The φ accrual failure detector", SRDS 2004) for one peer.
// Instead of a yes/no answer it outputs a suspicion level φ that grows with
// the time since the last heartbeat, scaled by how regular the heartbeats
// have been; the application chooses a threshold.
//
// Time is passed in as a time.Duration since an epoch of the caller's
// choice (time.Since(start), or the simulator's clock); the detector reads
// no clock and sets no timer. Until the first heartbeat the peer is not
// monitored: φ is 0. Heartbeat and φ cost O(1) for the Normal, Logistic
// and Exponential distributions (O(window) for Empirical) and never
// allocate. A Phi is safe for concurrent use.
//
// Two refinements over the paper, both from the peers' experience: an
// interval that ends while the peer is suspected (φ at or above the
// threshold when the heartbeat arrives) is not added to the window, so a
// pause or partition does not inflate the statistics and slow the next
// detection (as in Akka); and the optional local-pause guard
// (Config.MaxLocalPause).
type Phi struct {
	mu       sync.Mutex
	cfg      Config
	dist     Distribution
	w        *Window
	started  bool
	last     time.Duration // time of the last heartbeat
	skipped  int           // intervals not recorded because the peer was suspected
	checked  bool          // Suspect has been called
	lastCall time.Duration // time of the last Suspect call
	pausedAt time.Duration // end of the last local pause detected
	paused   bool
	// For Normal and Logistic, φ depends only on y = (elapsed-mean)/σ and
	// grows with it, so φ >= Threshold exactly when y >= yStar, computed
	// once: Suspect and Heartbeat then cost a division instead of erfc.
	fast  bool
	yStar float64
}

// NewPhi returns a detector configured by cfg (zero fields take their
// defaults, see Config), or an error wrapping ErrInvalidConfig.
func NewPhi(cfg Config) (*Phi, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	w, err := NewWindow(cfg.WindowSize)
	if err != nil {
		return nil, err
	}
	d := cfg.Distribution
	p := &Phi{cfg: cfg, dist: d, w: w}
	switch d.(type) {
	case Normal:
		p.fast, p.yStar = true, thresholdY(NormalPhi, cfg.Threshold)
	case Logistic:
		p.fast, p.yStar = true, thresholdY(LogisticPhi, cfg.Threshold)
	}
	return p, nil
}

// thresholdY returns the smallest y (to within floating-point resolution)
// with phi(y, 0, 1) >= threshold, or +Inf if there is none, by bisection.
func thresholdY(phi func(x, mean, sd float64) float64, threshold float64) float64 {
	lo, hi := -1e100, 1.0
	for phi(hi, 0, 1) < threshold {
		if hi >= 1e100 {
			return math.Inf(1)
		}
		lo, hi = hi, hi*2
	}
	for range 2000 {
		mid := lo + (hi-lo)/2
		if mid == lo || mid == hi {
			break
		}
		if phi(mid, 0, 1) >= threshold {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// fastMargin is how close, relative to |y*|, the standardised delay may
// come to y* before suspect asks φ itself: closer than that, the rounding
// of φ, not that of y, could decide, so φ decides.
const fastMargin = 1e-9

// suspect reports phi(now) >= threshold, through yStar when it can.
func (p *Phi) suspect(now time.Duration) bool {
	if !p.fast {
		return p.phi(now) >= p.cfg.Threshold
	}
	if !p.started {
		return false
	}
	elapsed := max(subSat(now, p.last), 0)
	y, _ := standardise(float64(elapsed)-float64(p.cfg.AcceptableHeartbeatPause), p.w.Mean(),
		max(p.w.StdDev(), float64(p.cfg.MinStdDeviation)))
	if math.Abs(y-p.yStar) <= fastMargin*max(1, math.Abs(p.yStar)) {
		return p.phi(now) >= p.cfg.Threshold
	}
	return y > p.yStar
}

// Heartbeat records a heartbeat that arrived at now. The first heartbeat
// starts monitoring, seeding the window from Config.FirstHeartbeatEstimate.
// A heartbeat at the same time as the previous one is a duplicate and is
// ignored. A heartbeat earlier than the previous one returns an error
// wrapping ErrNonMonotonic and changes nothing.
func (p *Phi) Heartbeat(now time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.started {
		p.started = true
		p.last = now
		// Akka's bootstrap: two intervals at mean ± mean/4.
		est := p.cfg.FirstHeartbeatEstimate
		p.w.Add(est - est/4)
		p.w.Add(est + est/4)
		return nil
	}
	if now < p.last {
		return fmt.Errorf("failuredetector: heartbeat at %v after one at %v: %w", now, p.last, ErrNonMonotonic)
	}
	if now == p.last {
		return nil
	}
	if !p.suspect(now) {
		p.w.Add(subSat(now, p.last))
	} else {
		p.skipped++
	}
	p.last = now
	return nil
}

// Phi returns the suspicion level at now: -log10 of the probability, under
// the configured distribution, that a heartbeat would arrive later than
// now given the last one. It is 0 before the first heartbeat and for a
// now earlier than the last heartbeat, never negative, NaN or +Inf.
func (p *Phi) Phi(now time.Duration) float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.phi(now)
}

func (p *Phi) phi(now time.Duration) float64 {
	if !p.started {
		return 0
	}
	elapsed := max(subSat(now, p.last), 0)
	return sanitize(p.dist.Phi(Estimate{
		Elapsed: float64(elapsed) - float64(p.cfg.AcceptableHeartbeatPause),
		Mean:    p.w.Mean(),
		StdDev:  max(p.w.StdDev(), float64(p.cfg.MinStdDeviation)),
		Window:  p.w,
	}))
}

// Suspect reports whether φ at now is at or above the threshold, unless
// the local-pause guard holds it back (see Config.MaxLocalPause). For the
// Normal and Logistic distributions it compares the standardised delay
// with the one at which φ reaches the threshold, precomputed by NewPhi, so
// it costs no logarithm except within a billionth of that boundary,
// where it asks φ: it agrees with Phi(now) >= Threshold exactly.
func (p *Phi) Suspect(now time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if g := p.cfg.MaxLocalPause; g > 0 {
		if p.checked && subSat(now, p.lastCall) > g {
			p.paused, p.pausedAt = true, now
		}
		if now > p.lastCall || !p.checked {
			p.lastCall = now
		}
		p.checked = true
		if p.paused && subSat(now, p.pausedAt) < g {
			return false
		}
	}
	return p.suspect(now)
}

// PhiStats is a snapshot of a Phi detector's state, for monitoring and
// teaching.
type PhiStats struct {
	Started       bool          // a heartbeat has been seen
	LastHeartbeat time.Duration // when the last heartbeat arrived
	Samples       int           // intervals in the window
	Mean          time.Duration // their mean
	StdDev        time.Duration // their standard deviation (before the minimum is applied)
	Skipped       int           // intervals left out because they ended during a suspicion
}

// Stats returns a snapshot of the detector's state.
func (p *Phi) Stats() PhiStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return PhiStats{
		Started:       p.started,
		LastHeartbeat: p.last,
		Samples:       p.w.Len(),
		Mean:          time.Duration(p.w.Mean()),
		StdDev:        time.Duration(p.w.StdDev()),
		Skipped:       p.skipped,
	}
}
