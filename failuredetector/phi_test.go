package failuredetector

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Akka's PhiAccrualFailureDetectorSpec, "return realistic phi values":
// mean 1000 ms, standard deviation 100 ms.
func TestLogisticPhiAkkaVectors(t *testing.T) {
	vectors := []struct {
		delay float64 // ms
		phi   float64
	}{{0, 0.0}, {500, 0.1}, {1000, 0.3}, {1200, 1.6}, {1400, 4.7}, {1600, 10.8}, {1700, 15.3}}
	for _, v := range vectors {
		got := LogisticPhi(v.delay, 1000, 100)
		assert.InDelta(t, v.phi, got, 0.1, "Akka spec: delay %v ms gives phi %v", v.delay, v.phi)
	}
}

// Akka's spec, "use good enough cumulative distribution function": the
// logistic CDF, 1 - 10^-φ, is within 0.001 of the normal CDF.
func TestLogisticCDFAkka(t *testing.T) {
	cdf := func(phi float64) float64 { return 1 - math.Pow(10, -phi) }
	assert.InDelta(t, 0.5, cdf(LogisticPhi(0, 0, 10)), 0.001)
	assert.InDelta(t, 0.69146, cdf(LogisticPhi(5, 0, 10)), 0.001)
	assert.InDelta(t, 0.84134, cdf(LogisticPhi(10, 0, 10)), 0.001)
	assert.InDelta(t, 0.93319, cdf(LogisticPhi(15, 0, 10)), 0.001)
	assert.InDelta(t, 0.97725, cdf(LogisticPhi(20, 0, 10)), 0.001)
	assert.InDelta(t, 0.99379, cdf(LogisticPhi(25, 0, 10)), 0.001)
	assert.InDelta(t, 0.99865, cdf(LogisticPhi(30, 0, 10)), 0.001)
	assert.InDelta(t, 0.99977, cdf(LogisticPhi(35, 0, 10)), 0.001)
	assert.InDelta(t, 0.99997, cdf(LogisticPhi(40, 0, 10)), 0.001)
	for x := 0.0; x < 50; x += 5 {
		assert.Less(t, LogisticPhi(x, 0, 10), LogisticPhi(x+5, 0, 10), "phi grows with the delay")
	}
}

// Far in the tail Akka's formula overflows to +Inf (Akka issue: "phi is
// infinite"); ours stays finite and keeps growing.
func TestPhiFiniteInTail(t *testing.T) {
	prev := 0.0
	for _, y := range []float64{10, 20, 24.9, 25, 25.1, 30, 40, 100, 1e3, 1e10, 1e100, 1e300} {
		n := NormalPhi(y, 0, 1)
		l := LogisticPhi(y, 0, 1)
		require.False(t, math.IsInf(n, 0) || math.IsNaN(n), "normal phi finite at y=%v", y)
		require.False(t, math.IsInf(l, 0) || math.IsNaN(l), "logistic phi finite at y=%v", y)
		assert.GreaterOrEqual(t, n, prev, "normal phi non-decreasing at y=%v", y)
		prev = n
	}
	// -log10 Q(y), computed with 40-digit arithmetic (mpmath).
	for _, v := range []struct{ y, phi float64 }{
		{5, 6.542645672390654}, {10, 23.11805340548608}, {15, 50.43521961427551},
		{20, 88.56009534307559}, {25, 137.5147476509955}, {30, 197.3092092616609},
	} {
		assert.InEpsilon(t, v.phi, NormalPhi(v.y, 0, 1), 1e-13, "normal phi at y=%v", v.y)
	}
}

func TestNormalPhiKnownValues(t *testing.T) {
	// Q(0) = 0.5, Q(1) = 0.158655, Q(3) = 0.0013499 (standard tables).
	assert.InDelta(t, -math.Log10(0.5), NormalPhi(0, 0, 1), 1e-12)
	assert.InDelta(t, -math.Log10(0.15865525393), NormalPhi(1, 0, 1), 1e-9)
	assert.InDelta(t, -math.Log10(0.00134989803), NormalPhi(3, 0, 1), 1e-9)
	assert.InDelta(t, 0, NormalPhi(-40, 0, 1), 1e-300)
}

func TestExponentialPhiCassandra(t *testing.T) {
	// Cassandra's ArrivalWindow.phi: PHI_FACTOR · t / mean, PHI_FACTOR = 1/ln 10.
	assert.InDelta(t, 1/math.Ln10, ExponentialPhi(1000, 1000), 1e-12)
	assert.InDelta(t, 5/math.Ln10, ExponentialPhi(5000, 1000), 1e-12)
	assert.Equal(t, 0.0, ExponentialPhi(-1, 1000))
}

func TestConfigValidate(t *testing.T) {
	require.NoError(t, DefaultConfig().Validate())
	cases := map[string]func(*Config){
		"NaN threshold":      func(c *Config) { c.Threshold = math.NaN() },
		"infinite threshold": func(c *Config) { c.Threshold = math.Inf(1) },
		"negative threshold": func(c *Config) { c.Threshold = -1 },
		"negative window":    func(c *Config) { c.WindowSize = -1 },
		"huge window":        func(c *Config) { c.WindowSize = MaxWindow + 1 },
		"negative min sd":    func(c *Config) { c.MinStdDeviation = -1 },
		"negative pause":     func(c *Config) { c.AcceptableHeartbeatPause = -1 },
		"negative first":     func(c *Config) { c.FirstHeartbeatEstimate = -1 },
		"huge first":         func(c *Config) { c.FirstHeartbeatEstimate = MaxSample + 1 },
		"negative local":     func(c *Config) { c.MaxLocalPause = -1 },
	}
	for name, mutate := range cases {
		c := DefaultConfig()
		mutate(&c)
		err := c.Validate()
		assert.ErrorIs(t, err, ErrInvalidConfig, name)
		_, err = NewPhi(c)
		assert.ErrorIs(t, err, ErrInvalidConfig, name)
	}
	d := DefaultConfig()
	assert.Equal(t, 8.0, d.Threshold)
	assert.Equal(t, 1000, d.WindowSize)
	assert.Equal(t, 100*time.Millisecond, d.MinStdDeviation)
	assert.Equal(t, 3*time.Second, d.AcceptableHeartbeatPause)
	assert.Equal(t, time.Second, d.FirstHeartbeatEstimate)
}

func testConfig() Config {
	c := DefaultConfig()
	c.AcceptableHeartbeatPause = 0
	return c
}

// Akka's spec: "return phi value of 0.0 on startup for each address, when
// no heartbeats" and "return phi based on guess when only one heartbeat".
func TestPhiBootstrap(t *testing.T) {
	p, err := NewPhi(testConfig())
	require.NoError(t, err)
	assert.Equal(t, 0.0, p.Phi(time.Hour), "no heartbeat: not monitored")
	assert.False(t, p.Suspect(time.Hour))
	require.NoError(t, p.Heartbeat(0))
	st := p.Stats()
	assert.Equal(t, 2, st.Samples, "bootstrap seeds two intervals")
	assert.Equal(t, time.Second, st.Mean)
	assert.Less(t, p.Phi(time.Second), 1.0, "one expected interval after the first heartbeat")
	assert.Greater(t, p.Phi(3*time.Second), 8.0, "3 s of silence after a 1 s estimate")
}

// Akka's spec: "mark node as available after a series of successful
// heartbeats" and "mark node as dead if heartbeat are missed".
func TestPhiRegularThenSilent(t *testing.T) {
	p, err := NewPhi(testConfig())
	require.NoError(t, err)
	var now time.Duration
	for range 20 {
		require.NoError(t, p.Heartbeat(now))
		now += time.Second
	}
	last := now - time.Second
	assert.False(t, p.Suspect(last+1100*time.Millisecond))
	assert.True(t, p.Suspect(last+5*time.Second))
}

func TestPhiBadTimestamps(t *testing.T) {
	p, err := NewPhi(testConfig())
	require.NoError(t, err)
	require.NoError(t, p.Heartbeat(10*time.Second))
	before := p.Stats()
	err = p.Heartbeat(5 * time.Second)
	assert.True(t, errors.Is(err, ErrNonMonotonic))
	assert.Equal(t, before, p.Stats(), "a rejected heartbeat changes nothing")
	require.NoError(t, p.Heartbeat(10*time.Second), "duplicate heartbeats are ignored")
	assert.Equal(t, before, p.Stats())
	assert.Equal(t, p.Phi(10*time.Second), p.Phi(0), "querying the past counts as no time elapsed")
}

// Intervals that end while the peer is suspected are not recorded, so a
// long pause does not make the detector slow afterwards.
func TestPhiSuspicionDoesNotPoison(t *testing.T) {
	p, err := NewPhi(testConfig())
	require.NoError(t, err)
	var now time.Duration
	for range 50 {
		require.NoError(t, p.Heartbeat(now))
		now += time.Second
	}
	meanBefore := p.Stats().Mean
	now += time.Minute // a partition: the peer was suspected
	require.True(t, p.Suspect(now-time.Second))
	require.NoError(t, p.Heartbeat(now))
	st := p.Stats()
	assert.Equal(t, meanBefore, st.Mean, "the interval spanning the suspicion is left out")
	assert.Equal(t, 1, st.Skipped)
}

func TestPhiLocalPauseGuard(t *testing.T) {
	c := testConfig()
	c.MaxLocalPause = 2 * time.Second
	p, err := NewPhi(c)
	require.NoError(t, err)
	var now time.Duration
	for range 20 {
		require.NoError(t, p.Heartbeat(now))
		assert.False(t, p.Suspect(now))
		now += time.Second
	}
	// The monitor stalls for 10 s: the first check after it does not
	// convict, nor do checks within MaxLocalPause of it.
	now += 10 * time.Second
	assert.False(t, p.Suspect(now), "no conviction right after our own pause")
	assert.False(t, p.Suspect(now+time.Second))
	assert.True(t, p.Suspect(now+2*time.Second), "the guard expires")
}

func TestWindowStats(t *testing.T) {
	w, err := NewWindow(3)
	require.NoError(t, err)
	for _, d := range []time.Duration{1, 2, 3, 4} {
		w.Add(d)
	}
	assert.Equal(t, 3, w.Len())
	assert.Equal(t, time.Duration(9), w.Sum(), "oldest evicted: 2+3+4")
	assert.InDelta(t, 3, w.Mean(), 1e-12)
	assert.InDelta(t, 2.0/3, w.Variance(), 1e-12)
	assert.Equal(t, time.Duration(4), w.Max())
	_, err = NewWindow(0)
	assert.ErrorIs(t, err, ErrInvalidConfig)
}

// The complaint the issue quotes: perfectly regular heartbeats make σ 0 and
// φ infinite or NaN once one is late. With the smallest allowed minimum
// standard deviation (1 ns) φ stays finite and keeps growing.
func TestPhiRegularHeartbeatsStayFinite(t *testing.T) {
	for _, d := range distributions {
		cfg := testConfig()
		cfg.MinStdDeviation = 1
		cfg.Distribution = d
		p, err := NewPhi(cfg)
		require.NoError(t, err)
		for i := range 2000 {
			require.NoError(t, p.Heartbeat(time.Duration(i)*time.Second))
		}
		prev := 0.0
		for _, late := range []time.Duration{1, time.Millisecond, time.Second, time.Hour} {
			phi := p.Phi(1999*time.Second + time.Second + late)
			assert.False(t, math.IsInf(phi, 0) || math.IsNaN(phi), "%v: phi finite %v late", d, late)
			assert.GreaterOrEqual(t, phi, prev, "%v: phi grows with lateness", d)
			prev = phi
		}
		assert.True(t, p.Suspect(1999*time.Second+time.Second+time.Hour), "%v: an hour late is suspected", d)
	}
}

// Akka's spec, "use maxSampleSize heartbeats": the window keeps only the
// most recent WindowSize intervals.
func TestPhiWindowBounded(t *testing.T) {
	cfg := testConfig()
	cfg.WindowSize = 3
	p, err := NewPhi(cfg)
	require.NoError(t, err)
	for _, at := range []time.Duration{0, 100, 200, 300, 400, 500} {
		require.NoError(t, p.Heartbeat(at*time.Millisecond))
	}
	st := p.Stats()
	assert.Equal(t, 3, st.Samples)
	assert.Equal(t, 100*time.Millisecond, st.Mean, "the bootstrap intervals have left the window")
}
