package failuredetector

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// A Distribution of the caller's, which SuspectAt can only search: the
// uniform distribution on [0, 2·mean], with its tail floored so that φ
// stays finite and non-decreasing.
type uniformDist struct{}

func (uniformDist) Phi(e Estimate) float64 {
	p := max(1-e.Elapsed/(2*e.Mean), 1e-300)
	return -math.Log10(min(p, 1)) + max(e.Elapsed-2*e.Mean, 0)/e.Mean
}

// The law of SuspectAt for φ: with no further heartbeat, φ reaches the
// threshold at SuspectAt and not a nanosecond before (unless it already
// had at the last heartbeat), and Suspect agrees with φ on both sides.
func TestPropPhiSuspectAtCrossesThreshold(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := drawConfig(t)
		if rapid.Bool().Draw(t, "custom distribution") {
			cfg.Distribution = uniformDist{}
		}
		p, err := NewPhi(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := p.SuspectAt(); ok {
			t.Fatalf("SuspectAt must report no time before the first heartbeat")
		}
		now := time.Duration(rapid.Int64Range(-int64(time.Hour), int64(time.Hour)).Draw(t, "start"))
		for _, g := range append([]time.Duration{0}, drawGaps(t)...) {
			now += g
			if err := p.Heartbeat(now); err != nil {
				t.Fatal(err)
			}
		}
		at, ok := p.SuspectAt()
		if !ok {
			t.Fatalf("a silent peer must be suspected at some time (completeness), %v never", cfg.Distribution)
		}
		if at < now {
			t.Fatalf("SuspectAt %v is before the last heartbeat %v", at, now)
		}
		if phi := p.Phi(at); phi < cfg.Threshold || !p.Suspect(at) {
			t.Fatalf("at SuspectAt %v (%v after the last heartbeat) φ = %v must reach the threshold %v and Suspect (%v) must be true",
				at, at-now, phi, cfg.Threshold, p.Suspect(at))
		}
		if at > now {
			if phi := p.Phi(at - 1); phi >= cfg.Threshold || p.Suspect(at-1) {
				t.Fatalf("one nanosecond before SuspectAt %v, φ = %v must be below the threshold %v and Suspect (%v) false",
					at, phi, cfg.Threshold, p.Suspect(at-1))
			}
		}
	})
}

// The same law for the timeout detectors: Suspect turns true at SuspectAt
// and not a nanosecond before; no time before the first heartbeat.
func TestPropSuspectAtFirstSuspicion(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var d Detector
		var err error
		switch rapid.IntRange(0, 2).Draw(t, "kind") {
		case 0:
			d, err = NewTimeout(TimeoutConfig{Timeout: drawDuration(t, "timeout", 0)})
		case 1:
			d, err = NewAdaptive(AdaptiveConfig{
				Interval:     time.Duration(rapid.Int64Range(1, int64(time.Hour)).Draw(t, "interval")),
				SafetyMargin: time.Duration(rapid.Int64Range(0, int64(time.Hour)).Draw(t, "margin")),
				WindowSize:   rapid.IntRange(0, 20).Draw(t, "window"),
			})
		default:
			d, err = NewEventuallyPerfect(EventuallyPerfectConfig{
				Timeout:   time.Duration(rapid.Int64Range(0, int64(time.Hour)).Draw(t, "timeout")),
				Increment: time.Duration(rapid.Int64Range(0, int64(time.Hour)).Draw(t, "increment")),
			})
		}
		if err != nil {
			return // refused configurations are TestPropOnTimePeerNeverSuspected's business
		}
		if _, ok := d.SuspectAt(); ok {
			t.Fatalf("%s: SuspectAt must report no time before the first heartbeat", describe(d))
		}
		now := drawTime(t, "first")
		if err := d.Heartbeat(now); err != nil {
			t.Fatal(err)
		}
		for _, g := range drawGaps(t) {
			next := addSat(now, g)
			if err := d.Heartbeat(next); err != nil {
				t.Fatal(err)
			}
			now = next
		}
		at, ok := d.SuspectAt()
		if !ok {
			if d.Suspect(math.MaxInt64) {
				t.Fatalf("%s: SuspectAt says never, but Suspect(max) is true", describe(d))
			}
			return
		}
		if !d.Suspect(at) {
			t.Fatalf("%s: Suspect must be true at SuspectAt %v", describe(d), at)
		}
		if at > now && d.Suspect(at-1) {
			t.Fatalf("%s: Suspect must be false one nanosecond before SuspectAt %v", describe(d), at)
		}
	})
}

// Found by TestPropSuspectAtFirstSuspicion: a timeout of the largest
// Duration after a heartbeat at -1 ns. The exact sum last + timeout is
// representable, but Suspect's saturating difference never exceeds such a
// timeout, so there is no time to give.
func TestSuspectAtLargestTimeout(t *testing.T) {
	to, err := NewTimeout(TimeoutConfig{Timeout: math.MaxInt64})
	require.NoError(t, err)
	require.NoError(t, to.Heartbeat(-1))
	_, ok := to.SuspectAt()
	assert.False(t, ok, "Timeout: Suspect(max) is %v, so SuspectAt must say never", to.Suspect(math.MaxInt64))
	ep, err := NewEventuallyPerfect(EventuallyPerfectConfig{Timeout: math.MaxInt64 - 1, Increment: 1})
	require.NoError(t, err)
	require.NoError(t, ep.Heartbeat(-5))
	require.NoError(t, ep.Heartbeat(math.MaxInt64-1)) // a false suspicion: the timeout grows to the largest
	require.NoError(t, ep.Heartbeat(math.MaxInt64-1))
	_, ok = ep.SuspectAt()
	assert.False(t, ok, "EventuallyPerfect: Suspect(max) is %v, so SuspectAt must say never", ep.Suspect(math.MaxInt64))
}

// Cassandra's FailureDetector (org.apache.cassandra.gms.FailureDetector)
// computes φ = PHI_FACTOR·t/mean with PHI_FACTOR = 1/ln 10 and convicts at
// phi_convict_threshold, 8 by default (cassandra.yaml): conviction after
// 8·ln 10 = 18.420680744 mean intervals of silence.
func TestPhiSuspectAtCassandra(t *testing.T) {
	for _, c := range []struct {
		mean, want time.Duration
	}{
		{time.Second, 18420680744},           // ⌈18 420 680 743.95 ns⌉
		{500 * time.Millisecond, 9210340372}, // ⌈9 210 340 371.98 ns⌉
		{100 * time.Millisecond, 1842068075}, // ⌈1 842 068 074.40 ns⌉
	} {
		p, err := NewPhi(Config{Threshold: 8, Distribution: Exponential{}, FirstHeartbeatEstimate: c.mean})
		require.NoError(t, err)
		for i := range 20 {
			require.NoError(t, p.Heartbeat(time.Duration(i)*c.mean))
		}
		require.Equal(t, c.mean, p.Stats().Mean, "the window's mean is the heartbeat interval")
		last := 19 * c.mean
		at, ok := p.SuspectAt()
		require.True(t, ok)
		assert.Equal(t, c.want, at-last, "Cassandra's conviction point for a mean interval of %v: 8·ln 10 mean intervals", c.mean)
		assert.InDelta(t, 18.42, float64(at-last)/float64(c.mean), 0.001, "18.42 mean intervals")
	}
}

// The acceptable pause shifts the crossing by exactly itself.
func TestPhiSuspectAtPause(t *testing.T) {
	for _, dist := range append(distributions, uniformDist{}) {
		cfg := Config{Distribution: dist, Threshold: 3}
		p0, err := NewPhi(cfg)
		require.NoError(t, err)
		cfg.AcceptableHeartbeatPause = 3 * time.Second
		p3, err := NewPhi(cfg)
		require.NoError(t, err)
		for i := range 10 {
			now := time.Duration(i)*time.Second + time.Duration(i%3)*70*time.Millisecond
			require.NoError(t, p0.Heartbeat(now))
			require.NoError(t, p3.Heartbeat(now))
		}
		a0, ok0 := p0.SuspectAt()
		a3, ok3 := p3.SuspectAt()
		require.True(t, ok0 && ok3)
		assert.Equal(t, 3*time.Second, a3-a0, "%v: an acceptable pause of 3 s delays suspicion by 3 s", dist)
	}
}

// For the Normal and Logistic distributions the standardised delay y* at
// which φ reaches the threshold has a closed form; NewPhi's bisection
// must find it.
func TestThresholdYClosedForms(t *testing.T) {
	normal := func(th float64) float64 { return math.Sqrt2 * math.Erfcinv(2*math.Pow(10, -th)) }
	// Akka's φ = log10(1 + e^z) with z = y·(1.5976 + 0.070566·y²): solve
	// the depressed cubic y³ + a·y - b = 0 by Cardano's formula.
	logistic := func(th float64) float64 {
		z := math.Log(math.Pow(10, th) - 1)
		a, b := 1.5976/0.070566, z/0.070566
		r := math.Sqrt(b*b/4 + a*a*a/27)
		return math.Cbrt(b/2+r) + math.Cbrt(b/2-r)
	}
	for _, th := range []float64{0.1, 0.5, 1, 2, 4, 8, 16, 50} {
		assert.InDelta(t, logistic(th), thresholdY(LogisticPhi, th), 1e-9*max(1, logistic(th)), "logistic y* for threshold %v", th)
		// math.Erfcinv(x) is Erfinv(1-x), which loses the digits of a
		// small x: the closed form is only a check up to about 8 (and
		// the reason NewPhi bisects instead).
		if th <= 8 {
			assert.InDelta(t, normal(th), thresholdY(NormalPhi, th), 1e-6*max(1, normal(th)), "normal y* for threshold %v", th)
		}
	}
	assert.InDelta(t, 5.612, thresholdY(NormalPhi, 8), 0.001, "φ = 8 is 5.612 standard deviations late")
	assert.InDelta(t, 5.226, thresholdY(LogisticPhi, 8), 0.001, "Akka's φ = 8 is 5.226 standard deviations late")
}

// Empirical: the crossing is a quantile of the window, or a point on the
// exponential tail past its longest interval.
func TestPhiSuspectAtEmpirical(t *testing.T) {
	newP := func(th float64) *Phi {
		p, err := NewPhi(Config{Threshold: th, Distribution: Empirical{}, WindowSize: 10, FirstHeartbeatEstimate: 8 * time.Second})
		require.NoError(t, err)
		// The window: the bootstrap's 6 s and 10 s, then 1 s to 8 s (none
		// long enough to be suspected, which would leave it out).
		now := time.Duration(0)
		require.NoError(t, p.Heartbeat(now))
		for i := 1; i <= 8; i++ {
			now += time.Duration(i) * time.Second
			require.NoError(t, p.Heartbeat(now))
		}
		return p
	}
	last := 36 * time.Second
	// Threshold 0.98: at most ⌊10·10^-0.98⌋ = 1 interval in ten may be
	// longer: 8 s. (At threshold 1 exactly, -log10(1/10) may round just
	// below 1, and SuspectAt, true to φ as computed, says 10 s.)
	p := newP(0.98)
	require.Equal(t, 10, p.Stats().Samples)
	at, ok := p.SuspectAt()
	require.True(t, ok)
	assert.Equal(t, 8*time.Second, at-last, "φ reaches 1 when only the 10 s interval is longer")
	// Threshold 2: none may be longer; the tail from log10(11) with the
	// mean of 5.2 s.
	at, ok = newP(2).SuspectAt()
	require.True(t, ok)
	want := 10e9 + (2-math.Log10(11))*math.Ln10*5.2e9
	assert.InDelta(t, want, float64(at-last), 2, "φ reaches 2 on the exponential tail")
}

// The local-pause guard postpones the answer to its end.
func TestPhiSuspectAtLocalPause(t *testing.T) {
	cfg := testConfig()
	cfg.MaxLocalPause = 5 * time.Second
	p, err := NewPhi(cfg)
	require.NoError(t, err)
	require.NoError(t, p.Heartbeat(0))
	assert.False(t, p.Suspect(0))
	base, ok := p.SuspectAt()
	require.True(t, ok)
	assert.False(t, p.Suspect(10*time.Second), "a stall of 10 s between calls: the guard holds")
	at, ok := p.SuspectAt()
	require.True(t, ok)
	assert.Equal(t, 15*time.Second, at, "suspicion waits for the end of the guard")
	assert.Less(t, base, at)
	assert.False(t, p.Suspect(at-1))
	assert.True(t, p.Suspect(at))
}

// firstTrue finds the first true of a monotone predicate from any guess,
// in a bounded number of calls.
func TestPropFirstTrue(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		lo := drawTime(t, "lo")
		k := drawTime(t, "first true")
		never := rapid.Bool().Draw(t, "never")
		guess := drawTime(t, "guess")
		calls := 0
		pred := func(x time.Duration) bool { calls++; return !never && x >= k }
		got, ok := firstTrue(lo, guess, pred)
		switch {
		case never && ok:
			t.Fatalf("a predicate that is never true has no first true, got %v", got)
		case !never && (!ok || got != max(k, lo)):
			t.Fatalf("firstTrue(lo %v, guess %v) for x >= %v = %v, %v; want %v", lo, guess, k, got, ok, max(k, lo))
		case calls > 130:
			t.Fatalf("firstTrue must be bounded: %d calls", calls)
		}
	})
}
