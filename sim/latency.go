package sim

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Latency is a distribution of one-way message delays. The simulator
// draws one delay per message (and per duplicate) from the run's seeded
// random source, so delays, and the reorderings they cause, replay exactly.
// Build one with Constant, Uniform, Normal or Exponential.
type Latency interface {
	// Sample draws a delay, never negative.
	Sample(r *rand.Rand) time.Duration
	// String describes the distribution, as "uniform(1ms,5ms)".
	String() string

	validate() error
}

// Constant returns a latency of exactly d. Messages on a link with a
// constant latency (and no bandwidth limit) arrive in the order they were
// sent.
func Constant(d time.Duration) Latency { return constant(d) }

type constant time.Duration

func (c constant) Sample(*rand.Rand) time.Duration { return time.Duration(c) }
func (c constant) String() string                  { return fmt.Sprintf("constant(%v)", time.Duration(c)) }
func (c constant) validate() error {
	if c < 0 {
		return fmt.Errorf("negative latency %v", time.Duration(c))
	}
	return nil
}

// Uniform returns a latency drawn uniformly from [min, max], both included.
func Uniform(min, max time.Duration) Latency { return uniform{min, max} }

type uniform struct{ min, max time.Duration }

func (u uniform) Sample(r *rand.Rand) time.Duration {
	if u.max <= u.min {
		return u.min
	}
	return u.min + time.Duration(r.Int64N(int64(u.max-u.min)+1))
}
func (u uniform) String() string { return fmt.Sprintf("uniform(%v,%v)", u.min, u.max) }
func (u uniform) validate() error {
	if u.min < 0 {
		return fmt.Errorf("negative latency %v", u.min)
	}
	if u.max < u.min {
		return fmt.Errorf("uniform latency with max %v below min %v", u.max, u.min)
	}
	return nil
}

// Normal returns a latency drawn from a normal distribution with the given
// mean and standard deviation, truncated at 0: a negative draw is thrown
// away and drawn again (up to 16 times, then 0 is used), so the result is
// the normal distribution conditioned on being non-negative, not one with
// a spike at 0. With the mean at least two deviations above 0, truncation
// changes little.
func Normal(mean, stddev time.Duration) Latency { return normal{mean, stddev} }

type normal struct{ mean, stddev time.Duration }

func (n normal) Sample(r *rand.Rand) time.Duration {
	for range 16 {
		if d := float64(n.mean) + float64(n.stddev)*r.NormFloat64(); d >= 0 {
			return satDuration(d)
		}
	}
	return 0
}
func (n normal) String() string { return fmt.Sprintf("normal(%v,%v)", n.mean, n.stddev) }
func (n normal) validate() error {
	if n.mean < 0 || n.stddev < 0 {
		return fmt.Errorf("normal latency with negative mean %v or deviation %v", n.mean, n.stddev)
	}
	return nil
}

// Exponential returns a latency drawn from an exponential distribution
// with the given mean: mostly short delays with a long tail, a common model
// of queueing in a network.
func Exponential(mean time.Duration) Latency { return exponential(mean) }

type exponential time.Duration

func (e exponential) Sample(r *rand.Rand) time.Duration {
	return satDuration(float64(e) * r.ExpFloat64())
}
func (e exponential) String() string { return fmt.Sprintf("exponential(%v)", time.Duration(e)) }
func (e exponential) validate() error {
	if e < 0 {
		return fmt.Errorf("exponential latency with negative mean %v", time.Duration(e))
	}
	return nil
}
