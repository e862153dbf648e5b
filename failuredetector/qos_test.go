package failuredetector

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const s = time.Second

// A hand-checked case of Chen, Toueg and Aguilera's definitions (2002,
// section 2.2): one wrong suspicion of 1.5 s, then a crash.
func TestEvaluateByHand(t *testing.T) {
	tr := Trace{Arrivals: []time.Duration{0, 1 * s, 2 * s, 3 * s, 6 * s, 7 * s}, Crashed: true, Crash: 7500 * time.Millisecond, End: 20 * s}
	d, err := NewTimeout(TimeoutConfig{Timeout: 1500 * time.Millisecond})
	require.NoError(t, err)
	q, err := Evaluate(tr, d, time.Microsecond)
	require.NoError(t, err)
	assert.Equal(t, 1, q.Mistakes)
	assert.InDelta(t, float64(1500*time.Millisecond), float64(q.MistakeDuration), float64(time.Microsecond), "T_M: suspected from 4.5 s to 6 s")
	assert.True(t, q.Detected)
	assert.InDelta(t, float64(time.Second), float64(q.DetectionTime), float64(time.Microsecond), "T_D: suspected at 8.5 s, crash at 7.5 s")
	assert.Equal(t, 7500*time.Millisecond, q.Observed)
	assert.InDelta(t, 0.8, q.QueryAccuracy, 1e-6, "P_A: 1.5 s wrong out of 7.5 s")
	assert.InDelta(t, 1/7.5, q.MistakeRate, 1e-9, "λ_M")
	assert.Equal(t, 7500*time.Millisecond, q.MistakeRecurrence, "T_MR = 1/λ_M")
}

func TestEvaluateNoCrashNoMistake(t *testing.T) {
	tr := Trace{Arrivals: []time.Duration{0, s, 2 * s}, End: 2 * s}
	d, _ := NewTimeout(TimeoutConfig{Timeout: 5 * s})
	q, err := Evaluate(tr, d, 0)
	require.NoError(t, err)
	assert.Equal(t, QoS{QueryAccuracy: 1, Observed: 2 * s}, q)
}

func TestEvaluateBadInput(t *testing.T) {
	d, _ := NewTimeout(TimeoutConfig{Timeout: s})
	for name, tr := range map[string]Trace{
		"empty":        {},
		"unsorted":     {Arrivals: []time.Duration{2, 1}, End: 3},
		"end early":    {Arrivals: []time.Duration{1, 2}, End: 1},
		"crash before": {Arrivals: []time.Duration{5}, Crashed: true, Crash: 1, End: 9},
	} {
		_, err := Evaluate(tr, d, 0)
		assert.ErrorIs(t, err, ErrInvalidTrace, name)
	}
	_, err := Evaluate(Trace{Arrivals: []time.Duration{0}, End: 1}, d, -1)
	assert.ErrorIs(t, err, ErrInvalidTrace)
}

func TestGenerateTrace(t *testing.T) {
	cfg := TraceConfig{Seed: 7, Interval: 100 * time.Millisecond, Duration: time.Minute, Latency: 10 * time.Millisecond, Jitter: 5 * time.Millisecond}
	a, err := GenerateTrace(cfg)
	require.NoError(t, err)
	b, err := GenerateTrace(cfg)
	require.NoError(t, err)
	assert.Equal(t, a, b, "a seed gives one trace")
	assert.Len(t, a.Arrivals, 600)

	cfg.Loss = 0.5
	lossy, err := GenerateTrace(cfg)
	require.NoError(t, err)
	assert.InDelta(t, 300, len(lossy.Arrivals), 60, "half the heartbeats are lost")

	cfg.Loss = 0
	cfg.PauseRate, cfg.PauseDuration = 0.1, 2*s
	paused, err := GenerateTrace(cfg)
	require.NoError(t, err)
	gap := time.Duration(0)
	for i := 1; i < len(paused.Arrivals); i++ {
		gap = max(gap, paused.Arrivals[i]-paused.Arrivals[i-1])
	}
	assert.Greater(t, gap, 500*time.Millisecond, "GC-like pauses leave gaps")

	cfg.PauseRate = 0
	cfg.Crash = 30 * s
	crashed, err := GenerateTrace(cfg)
	require.NoError(t, err)
	assert.True(t, crashed.Crashed)
	assert.Less(t, crashed.Arrivals[len(crashed.Arrivals)-1], 30*s+50*time.Millisecond, "nothing is sent after the crash")

	for name, c := range map[string]TraceConfig{
		"no interval":     {Duration: s},
		"bad loss":        {Interval: s, Duration: s, Loss: 1},
		"burst no length": {Interval: s, Duration: s, BurstRate: 0.1},
		"late crash":      {Interval: s, Duration: s, Crash: 2 * s},
	} {
		_, err := GenerateTrace(c)
		assert.ErrorIs(t, err, ErrInvalidTrace, name)
	}
}

func TestSolveThreshold(t *testing.T) {
	var traces []Trace
	for seed := range uint64(3) {
		tr, err := GenerateTrace(TraceConfig{Seed: seed, Interval: s, Duration: time.Hour, Latency: 10 * time.Millisecond,
			Jitter: 50 * time.Millisecond, Loss: 0.01, Crash: 50 * time.Minute})
		require.NoError(t, err)
		traces = append(traces, tr)
	}
	newTimeout := func(x float64) (Detector, error) {
		return NewTimeout(TimeoutConfig{Timeout: time.Duration(x * float64(time.Second))})
	}
	sol, err := SolveThreshold(traces, newTimeout, 0.5, 30, Target{MaxDetection: 10 * s, MaxMistakeRate: 0}, 0)
	require.NoError(t, err)
	// With 1% independent loss, two losses in a row happen within an hour,
	// three in a row rarely: the timeout must cover two missed heartbeats.
	assert.Greater(t, sol.Param, 2.0)
	assert.Less(t, sol.Param, 4.1)
	assert.Equal(t, 0, sol.QoS.Mistakes)
	_, err = SolveThreshold(traces, newTimeout, 0.5, 30, Target{MaxDetection: s, MaxMistakeRate: 0}, 0)
	assert.ErrorIs(t, err, ErrInfeasible, "no timeout both detects in 1 s and never errs")
}
