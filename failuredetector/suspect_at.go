package failuredetector

import (
	"math"
	"slices"
	"time"
)

// SuspectAt implements Detector: the first nanosecond at which Suspect
// reports the peer if no heartbeat arrives, that is (with the local-pause
// guard off) the first at which φ reaches the threshold. It inverts φ
// for the window as it stands:
//
//   - Normal and Logistic: φ grows with y = (elapsed - pause - mean)/σ and
//     reaches the threshold at y*, which NewPhi finds once by bisection
//     (for Normal y* = √2·erfcinv(2·10^-threshold), 5.612 for
//     threshold 8; for Logistic the real root of the cubic
//     y·(1.5976 + 0.070566·y²) = ln(10^threshold - 1), 5.226 for 8), so
//     the peer is suspected at last + pause + mean + y*·σ;
//   - Exponential: φ = x/(mean·ln 10) reaches the threshold at
//     x = threshold·ln 10·mean, so at last + pause + threshold·ln 10·mean.
//     With Cassandra's phi_convict_threshold of 8 that is 18.42 mean
//     intervals of silence (Cassandra's FailureDetector computes
//     φ = PHI_FACTOR·t/mean with PHI_FACTOR = 1/ln 10);
//   - Empirical: from the quantile: φ >= threshold once at most
//     k = ⌊n·10^-threshold⌋ of the n intervals in the window are longer
//     than the silence, so at the (n-k)-th shortest interval; when k = 0,
//     on the exponential tail beyond the longest one;
//   - any other Distribution: by search alone.
//
// The closed form gives a guess; a search over whole nanoseconds then
// makes it exact against the very comparison Suspect makes, so that
// Suspect(t) is true and Suspect(t-1ns) false whatever the rounding. The
// search costs a few evaluations of φ when the guess is right and at most
// about 130 when it is not (a Distribution of the caller's); Empirical
// also sorts a copy of the window, O(n log n) and one allocation. It
// assumes φ is non-decreasing in the elapsed time, as Distribution asks.
//
// With the local-pause guard on, a guard still holding suspicion back
// postpones the answer to its end; a stall after the call (a call to
// Suspect more than MaxLocalPause after the previous one) would postpone
// it again, which SuspectAt cannot foresee.
func (p *Phi) SuspectAt() (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.started {
		return 0, false
	}
	x, ok := p.crossingGuess()
	if !ok {
		return 0, false
	}
	guess := addSat(p.last, durationCeil(float64(p.cfg.AcceptableHeartbeatPause)+x))
	t, ok := firstTrue(p.last, guess, p.suspect)
	if !ok {
		return 0, false
	}
	if g := p.cfg.MaxLocalPause; g > 0 && p.paused {
		if p.pausedAt > math.MaxInt64-g {
			return 0, false // the guard outlasts time.Duration
		}
		t = max(t, p.pausedAt+g)
	}
	return t, true
}

// crossingGuess returns the Estimate.Elapsed (the silence minus the
// acceptable pause) at which φ reaches the threshold, in nanoseconds, by
// inverting the distribution, and false if φ never reaches it.
func (p *Phi) crossingGuess() (float64, bool) {
	mean := p.w.Mean()
	sd := max(p.w.StdDev(), float64(p.cfg.MinStdDeviation))
	switch p.dist.(type) {
	case Normal, Logistic:
		if math.IsInf(p.yStar, 1) {
			return 0, false
		}
		return mean + p.yStar*sd, true
	case Exponential:
		return exponentialCrossing(p.cfg.Threshold, mean), true
	case Empirical:
		return empiricalCrossing(p.cfg.Threshold, p.w), true
	}
	return mean, true
}

// exponentialCrossing returns the x at which ExponentialPhi(x, mean)
// reaches threshold: threshold·ln 10·mean (18.42 mean intervals for
// threshold 8).
func exponentialCrossing(threshold, mean float64) float64 {
	if !(mean > 0) {
		mean = 1
	}
	return threshold * ln10 * mean
}

// empiricalCrossing returns the x at which Empirical's φ over w reaches
// threshold: the quantile of the intervals that at most n·10^-threshold
// exceed, or a point on the exponential tail beyond the longest. It costs
// O(n log n) and allocates a copy of the window.
func empiricalCrossing(threshold float64, w *Window) float64 {
	n := w.Len()
	if n == 0 {
		return 0
	}
	s := make([]time.Duration, n)
	for i := range n {
		s[i], _ = w.At(i)
	}
	slices.Sort(s)
	// φ = -log10(c/n) >= threshold while c > 0 needs c <= n·10^-threshold.
	// A threshold above 0 makes k < n; min guards the rounding.
	if k := int(math.Floor(float64(n) * math.Pow(10, -threshold))); k >= 1 {
		return float64(s[n-min(k, n-1)-1])
	}
	// No interval may be longer: past the longest, on the tail
	// φ = log10(n+1) + (x - max)/(mean·ln 10).
	longest := float64(s[n-1])
	rest := threshold - math.Log10(float64(n+1))
	if rest <= 0 {
		return longest
	}
	return longest + exponentialCrossing(rest, w.Mean())
}
