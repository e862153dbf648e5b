package failuredetector

import (
	"errors"
	"math"
	"math/big"
	"testing"
	"time"

	"pgregory.net/rapid"
)

var distributions = []Distribution{Normal{}, Logistic{}, Exponential{}, Empirical{}}

func drawConfig(t *rapid.T) Config {
	c := DefaultConfig()
	c.Threshold = rapid.Float64Range(0.01, 1000).Draw(t, "threshold")
	c.WindowSize = rapid.IntRange(1, 50).Draw(t, "window")
	c.MinStdDeviation = time.Duration(rapid.Int64Range(1, int64(time.Second)).Draw(t, "minStd"))
	c.AcceptableHeartbeatPause = time.Duration(rapid.Int64Range(0, int64(5*time.Second)).Draw(t, "pause"))
	c.FirstHeartbeatEstimate = time.Duration(rapid.Int64Range(1, int64(10*time.Second)).Draw(t, "first"))
	c.Distribution = rapid.SampledFrom(distributions).Draw(t, "dist")
	return c
}

// drawGaps draws heartbeat intervals, including zero and huge ones.
func drawGaps(t *rapid.T) []time.Duration {
	return rapid.SliceOfN(rapid.Custom(func(t *rapid.T) time.Duration {
		return time.Duration(rapid.OneOf(
			rapid.Int64Range(0, int64(3*time.Second)),
			rapid.Int64Range(0, int64(time.Hour)),
			rapid.Just(int64(0)),
		).Draw(t, "gap"))
	}), 0, 60).Draw(t, "gaps")
}

func TestPropPhiNonDecreasing(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p, err := NewPhi(drawConfig(t))
		if err != nil {
			t.Fatal(err)
		}
		var now time.Duration
		for _, g := range drawGaps(t) {
			now += g
			if err := p.Heartbeat(now); err != nil {
				t.Fatal(err)
			}
		}
		a := time.Duration(rapid.Int64Range(0, int64(24*time.Hour)).Draw(t, "a"))
		b := a + time.Duration(rapid.Int64Range(0, int64(24*time.Hour)).Draw(t, "b-a"))
		if pa, pb := p.Phi(now+a), p.Phi(now+b); pa > pb {
			t.Fatalf("phi must not decrease with the time since the last heartbeat: phi(%v)=%v > phi(%v)=%v", a, pa, b, pb)
		}
	})
}

// direct recomputes the window's statistics from its samples, exactly.
func direct(w *Window) (mean, variance float64) {
	n := w.Len()
	if n == 0 {
		return 0, 0
	}
	sum, sq := new(big.Int), new(big.Int)
	for i := range n {
		x, _ := w.At(i)
		bx := big.NewInt(int64(x))
		sum.Add(sum, bx)
		sq.Add(sq, new(big.Int).Mul(bx, bx))
	}
	// variance = (n·Σx² - (Σx)²) / n²
	num := new(big.Int).Sub(new(big.Int).Mul(big.NewInt(int64(n)), sq), new(big.Int).Mul(sum, sum))
	v, _ := new(big.Rat).SetFrac(num, big.NewInt(int64(n)*int64(n))).Float64()
	m, _ := new(big.Rat).SetFrac(sum, big.NewInt(int64(n))).Float64()
	return m, v
}

func TestPropWindowMatchesDirect(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		size := rapid.IntRange(1, 40).Draw(t, "size")
		w, err := NewWindow(size)
		if err != nil {
			t.Fatal(err)
		}
		xs := rapid.SliceOf(rapid.Int64Range(-10, int64(MaxSample)+10)).Draw(t, "samples")
		for _, x := range xs {
			w.Add(time.Duration(x))
		}
		if want := min(len(xs), size); w.Len() != want {
			t.Fatalf("the window holds the last min(n, size) samples: len %d, want %d", w.Len(), want)
		}
		for i := range w.Len() {
			got, _ := w.At(i)
			x := time.Duration(xs[len(xs)-w.Len()+i])
			if want := min(max(x, 0), MaxSample); got != want {
				t.Fatalf("sample %d is %v, want %v (the oldest first, clamped)", i, got, want)
			}
		}
		m, v := direct(w)
		if !near(w.Mean(), m, 1e-12) || !near(w.Variance(), v, 1e-12) {
			t.Fatalf("running statistics must equal a direct recomputation: mean %v vs %v, variance %v vs %v", w.Mean(), m, w.Variance(), v)
		}
	})
}

func near(a, b, rel float64) bool {
	return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b))+1e-300
}

func TestPropDistributionsMatchClosedForm(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		mean := rapid.Float64Range(1, 1e10).Draw(t, "mean")
		sd := rapid.Float64Range(1e-3, 1e10).Draw(t, "sd")
		y := rapid.Float64Range(-30, normalAsymptotic).Draw(t, "y")
		x := mean + y*sd
		want := -math.Log10(0.5 * math.Erfc((x-mean)/sd/math.Sqrt2))
		if got := NormalPhi(x, mean, sd); !near(got, want, 1e-9) && math.Abs(got-want) > 1e-15 {
			t.Fatalf("normal phi is -log10 Q(y): got %v, want %v at y=%v", got, want, y)
		}
		// Akka's own formula, where it is finite.
		yy := (x - mean) / sd
		e := math.Exp(-yy * (1.5976 + 0.070566*yy*yy))
		var akka float64
		if x > mean {
			akka = -math.Log10(e / (1 + e))
		} else {
			akka = -math.Log10(1 - 1/(1+e))
		}
		if !math.IsInf(akka, 0) && !math.IsNaN(akka) {
			if got := LogisticPhi(x, mean, sd); !near(got, akka, 1e-9) && math.Abs(got-akka) > 1e-12 {
				t.Fatalf("logistic phi is Akka's formula: got %v, want %v at y=%v", got, akka, yy)
			}
		}
		el := rapid.Float64Range(0, 1e12).Draw(t, "elapsed")
		if got, want := ExponentialPhi(el, mean), el/(mean*math.Ln10); !near(got, want, 1e-12) {
			t.Fatalf("exponential phi is t/(mean ln 10): got %v, want %v", got, want)
		}
	})
}

func TestPropEmpiricalMatchesCount(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w, _ := NewWindow(30)
		xs := rapid.SliceOfN(rapid.Int64Range(0, 1e6), 1, 30).Draw(t, "samples")
		for _, x := range xs {
			w.Add(time.Duration(x))
		}
		el := float64(rapid.Int64Range(-10, 2e6).Draw(t, "elapsed"))
		c := 0
		mx := int64(0)
		for _, x := range xs {
			if float64(x) > el {
				c++
			}
			mx = max(mx, x)
		}
		got := Empirical{}.Phi(Estimate{Elapsed: el, Mean: w.Mean(), Window: w})
		var want float64
		if c > 0 {
			want = -math.Log10(float64(c) / float64(len(xs)))
		} else {
			want = math.Log10(float64(len(xs)+1)) + ExponentialPhi(el-float64(mx), w.Mean())
		}
		if !near(got, want, 1e-12) && math.Abs(got-want) > 1e-12 {
			t.Fatalf("empirical phi is -log10 of the fraction of longer intervals: got %v, want %v", got, want)
		}
	})
}

// The detector's φ is the distribution's φ on a direct recomputation of
// the window statistics, shifted by the acceptable pause.
func TestPropDetectorUsesWindow(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := drawConfig(t)
		cfg.Distribution = Normal{}
		p, _ := NewPhi(cfg)
		var now time.Duration
		for _, g := range drawGaps(t) {
			now += g
			_ = p.Heartbeat(now)
		}
		if !p.Stats().Started {
			return
		}
		at := now + time.Duration(rapid.Int64Range(0, int64(time.Minute)).Draw(t, "at"))
		m, v := direct(p.w)
		want := NormalPhi(float64(at-now)-float64(cfg.AcceptableHeartbeatPause), m, max(math.Sqrt(v), float64(cfg.MinStdDeviation)))
		if got := p.Phi(at); !near(got, want, 1e-9) {
			t.Fatalf("phi must equal the normal tail of the recomputed statistics: got %v want %v", got, want)
		}
	})
}

func checkFinite(t *rapid.T, p *Phi, now time.Duration) {
	phi := p.Phi(now)
	if math.IsNaN(phi) || math.IsInf(phi, 0) || phi < 0 {
		t.Fatalf("phi must be finite and non-negative for any input: phi(%v) = %v", now, phi)
	}
	_ = p.Suspect(now)
}

func propNoNaN(t *rapid.T) {
	cfg := drawConfig(t)
	cfg.MaxLocalPause = time.Duration(rapid.Int64Range(0, int64(time.Minute)).Draw(t, "localPause"))
	p, err := NewPhi(cfg)
	if err != nil {
		t.Fatal(err)
	}
	times := rapid.SliceOf(rapid.Int64()).Draw(t, "times") // any order, any sign
	for _, x := range times {
		now := time.Duration(x)
		checkFinite(t, p, now)
		if err := p.Heartbeat(now); err != nil && !errors.Is(err, ErrNonMonotonic) {
			t.Fatalf("bad timestamps give ErrNonMonotonic, got %v", err)
		}
		checkFinite(t, p, now)
		checkFinite(t, p, now+time.Duration(rapid.Int64().Draw(t, "query")))
	}
	f := rapid.Float64()
	for _, fn := range []func(a, b, c float64) float64{NormalPhi, LogisticPhi, func(a, b, _ float64) float64 { return ExponentialPhi(a, b) }} {
		got := fn(f.Draw(t, "x"), f.Draw(t, "mean"), f.Draw(t, "sd"))
		if math.IsNaN(got) || math.IsInf(got, 0) || got < 0 {
			t.Fatalf("phi functions are finite and non-negative for any float input, got %v", got)
		}
	}
}

func TestPropNoNaN(t *testing.T) { rapid.Check(t, propNoNaN) }

// FuzzPhi drives the no-NaN property from go test -fuzz.
func FuzzPhi(f *testing.F) { f.Fuzz(rapid.MakeFuzz(propNoNaN)) }

// Completeness: on any generated trace with a crash, every detector ends
// up suspecting the crashed peer for good.
func TestPropCompleteness(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		interval := time.Duration(rapid.Int64Range(int64(10*time.Millisecond), int64(2*time.Second)).Draw(t, "interval"))
		cfg := TraceConfig{
			Seed:          rapid.Uint64().Draw(t, "seed"),
			Interval:      interval,
			Duration:      interval * 200,
			Latency:       time.Duration(rapid.Int64Range(0, int64(interval)).Draw(t, "latency")),
			Jitter:        time.Duration(rapid.Int64Range(0, int64(interval)).Draw(t, "jitter")),
			Loss:          rapid.Float64Range(0, 0.5).Draw(t, "loss"),
			BurstRate:     rapid.Float64Range(0, 0.05).Draw(t, "burstRate"),
			BurstLength:   rapid.Float64Range(1, 10).Draw(t, "burstLength"),
			PauseRate:     rapid.Float64Range(0, 0.1).Draw(t, "pauseRate"),
			PauseDuration: time.Duration(rapid.Int64Range(0, int64(5*time.Second)).Draw(t, "pauseDuration")),
			Crash:         interval * time.Duration(rapid.IntRange(1, 100).Draw(t, "crashAfter")),
		}
		cfg.Duration = cfg.Crash + time.Hour
		tr, err := GenerateTrace(cfg)
		if err != nil {
			t.Fatal(err)
		}
		pc := DefaultConfig()
		pc.Distribution = rapid.SampledFrom(distributions).Draw(t, "dist")
		detectors := map[string]func() (Detector, error){
			"phi":     func() (Detector, error) { return NewPhi(pc) },
			"timeout": func() (Detector, error) { return NewTimeout(TimeoutConfig{Timeout: 3 * interval}) },
			"adaptive": func() (Detector, error) {
				return NewAdaptive(AdaptiveConfig{Interval: interval, SafetyMargin: interval, WindowSize: 100})
			},
			"◇P": func() (Detector, error) {
				return NewEventuallyPerfect(EventuallyPerfectConfig{Timeout: interval, Increment: interval})
			},
		}
		for name, nd := range detectors {
			d, err := nd()
			if err != nil {
				t.Fatal(err)
			}
			q, err := Evaluate(tr, d, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !q.Detected {
				t.Fatalf("completeness: %s never suspected the crashed peer for good (%v)", name, q)
			}
		}
	})
}

// Suspect's shortcut through the standardised delay agrees with φ,
// exactly: near the boundary it asks φ.
func TestPropSuspectAgreesWithPhi(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := drawConfig(t)
		p, _ := NewPhi(cfg)
		var now time.Duration
		for _, g := range drawGaps(t) {
			now += g
			_ = p.Heartbeat(now)
		}
		at := now + time.Duration(rapid.Int64Range(0, int64(time.Hour)).Draw(t, "at"))
		if at2, ok := p.SuspectAt(); ok && rapid.Bool().Draw(t, "on the boundary") {
			at = at2 - time.Duration(rapid.IntRange(0, 1).Draw(t, "before"))
		}
		phi := p.Phi(at)
		if got, want := p.Suspect(at), phi >= cfg.Threshold; got != want {
			t.Fatalf("Suspect must equal phi >= threshold: Suspect %v, phi %v, threshold %v", got, phi, cfg.Threshold)
		}
	})
}
