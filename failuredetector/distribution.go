package failuredetector

import "math"

// Estimate is what a Distribution sees when asked for φ: the time since the
// last heartbeat and the statistics of the recent intervals. All times are
// in nanoseconds.
type Estimate struct {
	// Elapsed is the time since the last heartbeat minus the acceptable
	// heartbeat pause. It may be negative.
	Elapsed float64
	// Mean is the mean of the intervals in the window.
	Mean float64
	// StdDev is the standard deviation of the intervals in the window,
	// raised to the configured minimum.
	StdDev float64
	// Window holds the intervals themselves, for distributions that need
	// more than two moments. Distributions must not modify it.
	Window *Window
}

// A Distribution turns an Estimate into φ = -log10 P(the next heartbeat
// arrives later than Elapsed), the suspicion level of Hayashibara et al.
// (2004), section 3. Implementations must be pure and should be
// non-decreasing in Elapsed; the detectors replace a negative result by 0
// and a NaN or infinite one by math.MaxFloat64 (a distribution that cannot
// answer counts as maximally suspicious, so completeness is kept).
type Distribution interface {
	Phi(e Estimate) float64
}

const ln10 = math.Ln10

// Normal models intervals as normally distributed with the window's mean
// and standard deviation, as Hayashibara et al. (2004) propose. φ is
// computed exactly from math.Erfc and, in the far tail where the
// probability underflows, from the asymptotic expansion of the log of the
// tail, so it stays finite and precise for any finite input: at 40
// standard deviations φ is about 349.4, not +Inf.
type Normal struct{}

// Phi implements Distribution with NormalPhi.
func (Normal) Phi(e Estimate) float64 { return NormalPhi(e.Elapsed, e.Mean, e.StdDev) }

// String returns "normal".
func (Normal) String() string { return "normal" }

// normalAsymptotic is the number of standard deviations beyond which
// NormalPhi uses the asymptotic expansion. Below it math.Erfc is accurate
// to about 1e-15 relative (it loses digits further out: 1e-10 at 25);
// above it the first omitted term of the nine-term series is below 1e-13
// relative, so φ is precise to about 1e-13 everywhere.
const normalAsymptotic = 15

// NormalPhi returns -log10 Q((elapsed-mean)/stddev), where Q is the upper
// tail of the standard normal distribution. A non-positive or NaN stddev
// is treated as the smallest positive one; a NaN elapsed or mean gives 0.
func NormalPhi(elapsed, mean, stddev float64) float64 {
	y, ok := standardise(elapsed, mean, stddev)
	if !ok {
		return 0
	}
	return -logNormalTail(y) / ln10
}

// logNormalTail returns ln Q(y) for the standard normal tail Q.
func logNormalTail(y float64) float64 {
	switch {
	case y < 0:
		// Q(y) = 1 - Q(-y); log1p keeps it precise when Q(-y) is tiny.
		return math.Log1p(-0.5 * math.Erfc(-y/math.Sqrt2))
	case y < normalAsymptotic:
		return math.Log(0.5 * math.Erfc(y/math.Sqrt2))
	default:
		// Q(y) = φ(y)/y · Σ (-1)^k (2k-1)!! / y^(2k)
		// (Abramowitz and Stegun 26.2.12), taken in logs.
		u := 1 / (y * y)
		series, term := 1.0, 1.0
		for k := 1; k <= 9; k++ {
			term *= -float64(2*k-1) * u
			series += term
		}
		return -0.5*y*y - math.Log(y) - 0.5*math.Log(2*math.Pi) + math.Log(series)
	}
}

// standardise returns (elapsed-mean)/stddev clamped to ±1e100, and false
// if the inputs contain NaN.
func standardise(elapsed, mean, stddev float64) (float64, bool) {
	if math.IsNaN(elapsed) || math.IsNaN(mean) {
		return 0, false
	}
	if !(stddev > 0) { // also NaN
		stddev = math.SmallestNonzeroFloat64
	}
	y := (elapsed - mean) / stddev
	if math.IsNaN(y) { // ∞ - ∞
		return 0, false
	}
	return max(-1e100, min(1e100, y)), true
}

// Logistic is the logistic approximation of the normal distribution that
// Akka's PhiAccrualFailureDetector uses (after Bowling et al. 2009,
// "A logistic approximation to the cumulative normal distribution"). It
// reproduces Akka's published φ values; it is computed in log space, so
// far in the tail it grows like y³ instead of becoming +Inf.
type Logistic struct{}

// Phi implements Distribution with LogisticPhi.
func (Logistic) Phi(e Estimate) float64 { return LogisticPhi(e.Elapsed, e.Mean, e.StdDev) }

// String returns "logistic".
func (Logistic) String() string { return "logistic" }

// LogisticPhi returns Akka's φ: with y = (elapsed-mean)/stddev and
// z = y·(1.5976 + 0.070566·y²), P(later) = 1/(1+e^z), so φ = log10(1+e^z),
// evaluated as a softplus so that it neither overflows nor loses
// precision. Akka computes the same quantity as -log10(e/(1+e)) with
// e = exp(-z), which is +Inf once exp(-z) underflows. Degenerate inputs are
// treated as in NormalPhi.
func LogisticPhi(elapsed, mean, stddev float64) float64 {
	y, ok := standardise(elapsed, mean, stddev)
	if !ok {
		return 0
	}
	z := y * (1.5976 + 0.070566*y*y)
	return softplus(z) / ln10
}

// softplus returns ln(1+e^z) without overflow.
func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}

// Exponential models intervals as exponentially distributed with the
// window's mean, as Cassandra's FailureDetector does: P(later than t) =
// e^(-t/mean), so φ = t/(mean·ln 10), linear in the elapsed time. It
// ignores the variance, so it reacts to silence at the same pace however
// regular the heartbeats have been. A negative Elapsed gives 0.
type Exponential struct{}

// Phi implements Distribution with ExponentialPhi.
func (Exponential) Phi(e Estimate) float64 { return ExponentialPhi(e.Elapsed, e.Mean) }

// String returns "exponential".
func (Exponential) String() string { return "exponential" }

// ExponentialPhi returns max(elapsed, 0)/(mean·ln 10). A non-positive or
// NaN mean is treated as 1 ns; a NaN elapsed gives 0.
func ExponentialPhi(elapsed, mean float64) float64 {
	if !(elapsed > 0) { // also NaN
		return 0
	}
	if !(mean > 0) {
		mean = 1
	}
	phi := elapsed / (mean * ln10)
	return min(phi, math.MaxFloat64)
}

// Empirical uses the intervals in the window themselves as the
// distribution: P(later than t) is the fraction of intervals longer than t.
// Beyond the longest interval seen, where that fraction is 0, the tail is
// extended exponentially from 1/(n+1) with the window's mean, so φ stays
// finite and keeps growing: φ = log10(n+1) + (t - max)/(mean·ln 10).
// It makes no assumption about the shape of the distribution (bimodal
// intervals after GC pauses, for example), at the cost of O(window) per φ.
type Empirical struct{}

// String returns "empirical".
func (Empirical) String() string { return "empirical" }

// Phi implements Distribution.
func (Empirical) Phi(e Estimate) float64 {
	w := e.Window
	if w == nil || w.Len() == 0 || math.IsNaN(e.Elapsed) {
		return 0
	}
	n := w.Len()
	if c := w.CountAbove(e.Elapsed); c > 0 {
		return -math.Log10(float64(c) / float64(n))
	}
	mean := e.Mean
	if !(mean > 0) {
		mean = 1
	}
	return math.Log10(float64(n+1)) + ExponentialPhi(e.Elapsed-float64(w.Max()), mean)
}

// sanitize maps a distribution's output to [0, MaxFloat64].
func sanitize(phi float64) float64 {
	switch {
	case math.IsNaN(phi):
		return math.MaxFloat64
	case phi > math.MaxFloat64:
		return math.MaxFloat64
	case phi < 0:
		return 0
	}
	return phi
}
