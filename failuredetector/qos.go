package failuredetector

import (
	"fmt"
	"math"
	"time"
)

// QoS holds Chen, Toueg and Aguilera's quality-of-service metrics of a
// detector on one trace ("On the quality of service of failure detectors",
// 2002, section 2). Mistakes are counted while the peer is up, from its
// first heartbeat until its crash (or the end of the trace).
type QoS struct {
	// Detected says the detector suspected the crashed peer for good
	// before the trace ended. False when the peer did not crash.
	Detected bool
	// DetectionTime (T_D) is the time from the crash to the start of the
	// final, permanent suspicion (0 if that suspicion began before the
	// crash). If the crash was not detected it is the time from the crash
	// to the end of the trace, a lower bound.
	DetectionTime time.Duration
	// Mistakes is the number of wrong suspicions (S-transitions while up).
	Mistakes int
	// MistakeRate (λ_M) is Mistakes per second of Observed time.
	MistakeRate float64
	// MistakeRecurrence (T_MR) is the mean time between mistakes,
	// Observed/Mistakes; 0 when there was no mistake (T_MR is infinite).
	MistakeRecurrence time.Duration
	// MistakeDuration (T_M) is the mean length of a wrong suspicion (cut
	// at the crash).
	MistakeDuration time.Duration
	// QueryAccuracy (P_A) is the probability that a query at a random time
	// while the peer is up gets the right answer (not suspected).
	QueryAccuracy float64
	// Observed is how long the peer was up and monitored.
	Observed time.Duration
}

// String formats the metrics on one line.
func (q QoS) String() string {
	det := "not crashed"
	if q.Detected {
		det = fmt.Sprintf("detected in %v", q.DetectionTime)
	} else if q.DetectionTime > 0 {
		det = fmt.Sprintf("undetected after %v", q.DetectionTime)
	}
	return fmt.Sprintf("%s; %d mistakes in %v (%.3g/h, mean %v); accuracy %.6f",
		det, q.Mistakes, q.Observed, q.MistakeRate*3600, q.MistakeDuration, q.QueryAccuracy)
}

// DefaultResolution is the precision with which Evaluate locates the start
// of a suspicion when given a resolution of 0.
const DefaultResolution = time.Millisecond

// Evaluate replays tr into d, a fresh detector, and measures its QoS. The
// detector is asked at every heartbeat and, between heartbeats, the start
// of each suspicion is located by bisection to within resolution (0 means
// DefaultResolution), which relies on d being monotone between heartbeats
// (every detector in this package is, with Phi's local-pause guard off).
// The cost is O(heartbeats · log(gap/resolution)) detector calls. It
// returns an error wrapping ErrInvalidTrace for a malformed trace or
// resolution, or the detector's error.
func Evaluate(tr Trace, d Detector, resolution time.Duration) (QoS, error) {
	if err := tr.Validate(); err != nil {
		return QoS{}, err
	}
	if resolution < 0 {
		return QoS{}, fmt.Errorf("failuredetector: resolution %v is negative: %w", resolution, ErrInvalidTrace)
	}
	if resolution == 0 {
		resolution = DefaultResolution
	}
	if d == nil {
		return QoS{}, fmt.Errorf("failuredetector: nil detector: %w", ErrInvalidConfig)
	}
	upUntil := tr.End
	if tr.Crashed {
		upUntil = tr.Crash
	}
	start := tr.Arrivals[0]

	var q QoS
	var wrong time.Duration // total time wrongly suspected
	var sStart time.Duration
	suspected := false
	begin := func(at time.Duration) { suspected, sStart = true, at }
	finish := func(at time.Duration) { // a suspicion [sStart, at) ends
		suspected = false
		if sStart < upUntil {
			q.Mistakes++
			wrong += min(at, upUntil) - sStart
		}
	}

	if err := d.Heartbeat(start); err != nil {
		return QoS{}, err
	}
	if d.Suspect(start) {
		begin(start)
	}
	for i := 0; i < len(tr.Arrivals); i++ {
		lo := tr.Arrivals[i]
		hi, last := tr.End, true // the gap is (lo, hi]
		if i+1 < len(tr.Arrivals) {
			hi, last = tr.Arrivals[i+1]-1, false
		}
		if !suspected && hi > lo && d.Suspect(hi) {
			begin(firstSuspect(d, lo, hi, resolution))
		}
		if last {
			break
		}
		next := tr.Arrivals[i+1]
		if err := d.Heartbeat(next); err != nil {
			return QoS{}, err
		}
		if suspected && !d.Suspect(next) {
			finish(next)
		}
	}
	// A suspicion still running at the end: the final one.
	if suspected {
		if tr.Crashed {
			q.Detected = true
			q.DetectionTime = max(sStart-tr.Crash, 0)
			if sStart < tr.Crash { // wrong until the crash made it right
				q.Mistakes++
				wrong += tr.Crash - sStart
			}
		} else {
			finish(tr.End)
		}
	} else if tr.Crashed {
		q.DetectionTime = tr.End - tr.Crash
	}
	q.Observed = upUntil - start
	if q.Observed > 0 {
		q.MistakeRate = float64(q.Mistakes) / q.Observed.Seconds()
		q.QueryAccuracy = 1 - float64(wrong)/float64(q.Observed)
	} else {
		q.QueryAccuracy = 1
	}
	if q.Mistakes > 0 {
		q.MistakeRecurrence = q.Observed / time.Duration(q.Mistakes)
		q.MistakeDuration = wrong / time.Duration(q.Mistakes)
	}
	q.QueryAccuracy = math.Max(0, math.Min(1, q.QueryAccuracy))
	return q, nil
}

// firstSuspect returns the first time in (lo, hi] at which d suspects, to
// within resolution, given that it does at hi.
func firstSuspect(d Detector, lo, hi, resolution time.Duration) time.Duration {
	for hi-lo > resolution {
		mid := lo + (hi-lo)/2
		if d.Suspect(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// Target is a QoS requirement: detection within MaxDetection and at most
// MaxMistakeRate mistakes per second (1.0/86400 is one a day).
type Target struct {
	MaxDetection   time.Duration // worst acceptable detection time
	MaxMistakeRate float64       // mistakes per second
}

// Solution is the parameter SolveThreshold chose and the QoS it gives
// over the traces (pooled as EvaluateAll does).
type Solution struct {
	Param float64 // the chosen parameter
	QoS   QoS     // what it achieves on the traces
}

// EvaluateAll evaluates a fresh detector from newDetector on each trace
// and pools the results: mistakes, observed time and wrongly suspected time
// are summed (so MistakeRate, MistakeRecurrence, MistakeDuration and
// QueryAccuracy are over all traces together), DetectionTime is the worst
// over the traces with a crash, and Detected says every crash was detected.
func EvaluateAll(traces []Trace, newDetector func() (Detector, error), resolution time.Duration) (QoS, error) {
	if len(traces) == 0 {
		return QoS{}, fmt.Errorf("failuredetector: no traces: %w", ErrInvalidTrace)
	}
	pooled := QoS{Detected: hasCrash(traces)}
	var wrong float64
	for _, tr := range traces {
		d, err := newDetector()
		if err != nil {
			return QoS{}, err
		}
		q, err := Evaluate(tr, d, resolution)
		if err != nil {
			return QoS{}, err
		}
		if tr.Crashed {
			pooled.Detected = pooled.Detected && q.Detected
			pooled.DetectionTime = max(pooled.DetectionTime, q.DetectionTime)
		}
		pooled.Mistakes += q.Mistakes
		pooled.Observed += q.Observed
		wrong += (1 - q.QueryAccuracy) * float64(q.Observed)
	}
	pooled.QueryAccuracy = 1
	if pooled.Observed > 0 {
		pooled.MistakeRate = float64(pooled.Mistakes) / pooled.Observed.Seconds()
		pooled.QueryAccuracy = math.Max(0, 1-wrong/float64(pooled.Observed))
	}
	if pooled.Mistakes > 0 {
		pooled.MistakeRecurrence = pooled.Observed / time.Duration(pooled.Mistakes)
		pooled.MistakeDuration = time.Duration(wrong / float64(pooled.Mistakes))
	}
	return pooled, nil
}

// SolveThreshold finds the smallest parameter in [lo, hi] (a φ threshold,
// a timeout in seconds, a safety margin: whatever newDetector reads) whose
// pooled mistake rate over the traces meets the target, by bisection to
// within (hi-lo)·1e-6, and checks that its worst detection time meets the
// target too (the worst over the traces with a crash); a smaller parameter detects faster, so this is the best
// parameter if any is. It assumes the mistake rate does not increase with
// the parameter. It returns an error wrapping ErrInfeasible if no
// parameter in the range meets both, or ErrInvalidConfig for a bad range.
// Traces with a crash contribute detection times; every trace contributes
// mistakes.
func SolveThreshold(traces []Trace, newDetector func(param float64) (Detector, error), lo, hi float64, target Target, resolution time.Duration) (Solution, error) {
	if !(lo <= hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return Solution{}, fmt.Errorf("failuredetector: range [%v, %v] is empty or infinite: %w", lo, hi, ErrInvalidConfig)
	}
	if !(target.MaxMistakeRate >= 0) || target.MaxDetection < 0 {
		return Solution{}, fmt.Errorf("failuredetector: target %+v is negative or NaN: %w", target, ErrInvalidConfig)
	}
	eval := func(x float64) (QoS, error) {
		return EvaluateAll(traces, func() (Detector, error) { return newDetector(x) }, resolution)
	}
	meets := func(q QoS) bool { return q.MistakeRate <= target.MaxMistakeRate }
	qhi, err := eval(hi)
	if err != nil {
		return Solution{}, err
	}
	if !meets(qhi) {
		return Solution{}, fmt.Errorf("failuredetector: even %v makes %.3g mistakes/s > %.3g: %w", hi, qhi.MistakeRate, target.MaxMistakeRate, ErrInfeasible)
	}
	best, bestQ := hi, qhi
	if qlo, err := eval(lo); err != nil {
		return Solution{}, err
	} else if meets(qlo) {
		best, bestQ = lo, qlo
	} else {
		a, b := lo, hi
		for b-a > (hi-lo)*1e-6 {
			mid := a + (b-a)/2
			q, err := eval(mid)
			if err != nil {
				return Solution{}, err
			}
			if meets(q) {
				b, bestQ = mid, q
			} else {
				a = mid
			}
		}
		best = b
	}
	if !bestQ.Detected && hasCrash(traces) || bestQ.DetectionTime > target.MaxDetection {
		return Solution{Param: best, QoS: bestQ}, fmt.Errorf("failuredetector: parameter %v meets the mistake rate but detects in %v > %v: %w", best, bestQ.DetectionTime, target.MaxDetection, ErrInfeasible)
	}
	return Solution{Param: best, QoS: bestQ}, nil
}

func hasCrash(traces []Trace) bool {
	for _, tr := range traces {
		if tr.Crashed {
			return true
		}
	}
	return false
}
