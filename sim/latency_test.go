package sim_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/eventually-perfect/primitives/sim"
)

// coreSamples draws n delays from l with a fixed seed.
func coreSamples(l sim.Latency, n int) []time.Duration {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = l.Sample(r)
	}
	return out
}

func coreMean(ds []time.Duration) float64 {
	sum := 0.0
	for _, d := range ds {
		sum += float64(d)
	}
	return sum / float64(len(ds))
}

func TestLatencyConstant(t *testing.T) {
	for _, d := range coreSamples(sim.Constant(3*time.Millisecond), 100) {
		assert.Equal(t, 3*time.Millisecond, d)
	}
	assert.Equal(t, "constant(3ms)", sim.Constant(3*time.Millisecond).String())
}

func TestLatencyUniform(t *testing.T) {
	samples := coreSamples(sim.Uniform(10, 13), 1000)
	seen := map[time.Duration]bool{}
	for _, d := range samples {
		assert.True(t, d >= 10 && d <= 13, "uniform sample %v outside [10ns, 13ns]", d)
		seen[d] = true
	}
	assert.Len(t, seen, 4, "both ends are included")
	assert.Equal(t, []time.Duration{5, 5}, coreSamples(sim.Uniform(5, 5), 2), "a degenerate range")
	assert.Equal(t, "uniform(1ms,2ms)", sim.Uniform(time.Millisecond, 2*time.Millisecond).String())
}

func TestLatencyNormalIsTruncatedAtZero(t *testing.T) {
	samples := coreSamples(sim.Normal(time.Millisecond, 2*time.Millisecond), 10000)
	zeros := 0
	for _, d := range samples {
		assert.GreaterOrEqual(t, d, time.Duration(0), "a truncated normal is never negative")
		if d == 0 {
			zeros++
		}
	}
	assert.Less(t, zeros, 10, "truncation redraws instead of piling samples up at 0")
	wide := coreMean(coreSamples(sim.Normal(100*time.Millisecond, 10*time.Millisecond), 10000))
	assert.InEpsilon(t, float64(100*time.Millisecond), wide, 0.01, "far from 0 the mean is the mean")
	assert.Equal(t, "normal(5ms,1ms)", sim.Normal(5*time.Millisecond, time.Millisecond).String())
	assert.Equal(t, []time.Duration{0, 0}, coreSamples(sim.Normal(0, 0), 2))
}

func TestLatencyExponential(t *testing.T) {
	samples := coreSamples(sim.Exponential(10*time.Millisecond), 20000)
	for _, d := range samples {
		assert.GreaterOrEqual(t, d, time.Duration(0))
	}
	assert.InEpsilon(t, float64(10*time.Millisecond), coreMean(samples), 0.03, "the mean is the mean")
	assert.Equal(t, "exponential(10ms)", sim.Exponential(10*time.Millisecond).String())
}
