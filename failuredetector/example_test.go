package failuredetector_test

import (
	"errors"
	"fmt"
	"math"
	"time"

	fd "github.com/eventually-perfect/primitives/failuredetector"
)

// A peer heartbeats every second; after it falls silent, φ climbs until it
// crosses the threshold.
func ExamplePhi() {
	cfg := fd.DefaultConfig()
	cfg.AcceptableHeartbeatPause = 0 // make the example's numbers small
	p, err := fd.NewPhi(cfg)
	if err != nil {
		panic(err)
	}
	for i := range 10 {
		jitter := time.Duration(i%3) * 50 * time.Millisecond
		if err := p.Heartbeat(time.Duration(i)*time.Second + jitter); err != nil {
			fmt.Println(err)
			return
		}
	}
	last := p.Stats().LastHeartbeat
	for _, silence := range []time.Duration{500 * time.Millisecond, time.Second, 1500 * time.Millisecond, 2 * time.Second} {
		now := last + silence
		fmt.Printf("after %v: phi %.1f suspect %v\n", silence, p.Phi(now), p.Suspect(now))
	}
	// Output:
	// after 500ms: phi 0.0 suspect false
	// after 1s: phi 0.3 suspect false
	// after 1.5s: phi 4.5 suspect false
	// after 2s: phi 15.4 suspect true
}

func ExampleLogisticPhi() {
	// Akka's published values: mean 1000 ms, standard deviation 100 ms.
	for _, d := range []float64{1000, 1200, 1400, 1600} {
		fmt.Printf("%v ms: %.1f\n", d, fd.LogisticPhi(d, 1000, 100))
	}
	// Output:
	// 1000 ms: 0.3
	// 1200 ms: 1.6
	// 1400 ms: 4.7
	// 1600 ms: 10.8
}

func ExampleConfig_Validate() {
	cfg := fd.DefaultConfig()
	cfg.WindowSize = -1
	fmt.Println(cfg.Validate())
	// Output:
	// failuredetector: window size -1 not in [1, 1048576]: invalid configuration
}

// When will a silent peer be suspected? Cassandra's detector (the
// exponential distribution, phi_convict_threshold 8) convicts after
// 8·ln 10 ≈ 18.42 mean intervals of silence: with heartbeats every
// second, 18.42 s after the last one.
func ExamplePhi_SuspectAt() {
	cfg := fd.Config{Threshold: 8, Distribution: fd.Exponential{}} // no acceptable pause
	p, err := fd.NewPhi(cfg)
	if err != nil {
		panic(err)
	}
	for i := range 11 {
		if err := p.Heartbeat(time.Duration(i) * time.Second); err != nil {
			panic(err)
		}
	}
	at, ok := p.SuspectAt()
	fmt.Println(ok, at-10*time.Second)
	fmt.Printf("phi %.10f one nanosecond before, %.10f then\n", p.Phi(at-1), p.Phi(at))
	// Output:
	// true 18.420680744s
	// phi 7.9999999996 one nanosecond before, 8.0000000000 then
}

func ExampleWindow() {
	w, err := fd.NewWindow(3)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range []time.Duration{900, 1000, 1100, 1200} {
		w.Add(d * time.Millisecond)
	}
	fmt.Println(w.Len(), time.Duration(w.Mean()), time.Duration(w.StdDev()).Round(time.Millisecond))
	// Output:
	// 3 1.1s 82ms
}

func ExampleTimeout() {
	d, err := fd.NewTimeout(fd.TimeoutConfig{Timeout: 3 * time.Second})
	if err != nil {
		panic(err)
	}
	if err := d.Heartbeat(0); err != nil {
		panic(err)
	}
	at, ok := d.SuspectAt() // strictly more than 3 s of silence
	fmt.Println(d.Suspect(3*time.Second), d.Suspect(3*time.Second+1), at, ok)
	// Output:
	// false true 3.000000001s true
}

// The zero value takes the defaults; a negative timeout is refused.
func ExampleTimeoutConfig() {
	d, err := fd.NewTimeout(fd.TimeoutConfig{})
	if err != nil {
		panic(err)
	}
	if err := d.Heartbeat(0); err != nil {
		panic(err)
	}
	fmt.Println(d.SuspectAt())
	_, err = fd.NewTimeout(fd.TimeoutConfig{Timeout: -time.Second})
	fmt.Println(errors.Is(err, fd.ErrInvalidConfig), err)
	// Output:
	// 4.000000001s true
	// true failuredetector: timeout -1s is negative: invalid configuration
}

func ExampleAdaptive() {
	// Heartbeats sent every second arrive 100 ms late; Chen et al.'s
	// freshness point is the expected arrival plus the 200 ms safety
	// margin, 5.3 s: the last instant the peer is trusted.
	d, err := fd.NewAdaptive(fd.AdaptiveConfig{Interval: time.Second, SafetyMargin: 200 * time.Millisecond, WindowSize: 100})
	if err != nil {
		panic(err)
	}
	for i := range 5 {
		if err := d.Heartbeat(time.Duration(i)*time.Second + 100*time.Millisecond); err != nil {
			panic(err)
		}
	}
	fmt.Println(d.SuspectAt())
	// Output:
	// 5.300000001s true
}

// The defaults: heartbeats every second, a 3 s margin, 1000 arrivals. A
// zero SafetyMargin means no margin, so DefaultAdaptiveConfig is the
// place to start.
func ExampleAdaptiveConfig() {
	cfg := fd.DefaultAdaptiveConfig()
	fmt.Println(cfg.Interval, cfg.SafetyMargin, cfg.WindowSize, cfg.Validate())
	cfg.Interval = math.MaxInt64 // plus the margin: more than 292 years
	err := cfg.Validate()
	fmt.Println(errors.Is(err, fd.ErrOverflow), errors.Is(err, fd.ErrInvalidConfig))
	// Output:
	// 1s 3s 1000 <nil>
	// true true
}

func ExampleEventuallyPerfect() {
	// Each false suspicion adds a second to the timeout.
	d, err := fd.NewEventuallyPerfect(fd.EventuallyPerfectConfig{Timeout: time.Second, Increment: time.Second})
	if err != nil {
		panic(err)
	}
	if err := d.Heartbeat(0); err != nil {
		panic(err)
	}
	fmt.Println(d.Suspect(1500 * time.Millisecond))              // suspected...
	if err := d.Heartbeat(1500 * time.Millisecond); err != nil { // ...wrongly
		panic(err)
	}
	fmt.Println(d.Suspect(3000 * time.Millisecond)) // 1.5 s < 2 s
	fmt.Println(d.Timeout())
	fmt.Println(d.SuspectAt())
	// Output:
	// true
	// false
	// 2s 1
	// 3.500000001s true
}

// A maximum below the first timeout is refused.
func ExampleEventuallyPerfectConfig() {
	cfg := fd.EventuallyPerfectConfig{Timeout: 5 * time.Second, MaxTimeout: 2 * time.Second}
	fmt.Println(cfg.Validate())
	fmt.Println(fd.DefaultEventuallyPerfectConfig())
	// Output:
	// failuredetector: max timeout 2s below timeout 5s: invalid configuration
	// {4s 1s 0s}
}

func ExampleMonitor() {
	events := make(chan fd.Event, 10)
	m, err := fd.NewMonitor(fd.MonitorConfig{
		NewDetector: func() (fd.Detector, error) { return fd.NewTimeout(fd.TimeoutConfig{Timeout: 2 * time.Second}) },
		OnChange:    func(e fd.Event) { events <- e },
	})
	if err != nil {
		panic(err)
	}
	if err := m.Heartbeat("a", 0); err != nil {
		fmt.Println(err)
		return
	}
	if err := m.Heartbeat("b", 0); err != nil {
		fmt.Println(err)
		return
	}
	if err := m.Heartbeat("a", 2*time.Second); err != nil {
		fmt.Println(err)
		return
	}
	// b has been silent for 3 s
	if _, err := m.Check(3 * time.Second); err != nil {
		fmt.Println(err)
		return
	}
	if err := m.Heartbeat("b", 4*time.Second); err != nil {
		fmt.Println(err)
		return
	}
	m.Close() // delivers every queued event
	close(events)
	for e := range events {
		fmt.Println(e)
	}
	// Output:
	// b suspected at 3s
	// b recovered at 4s
}

func ExampleEventKind() {
	fmt.Println(fd.Suspected, fd.Recovered)
	// Output:
	// suspected recovered
}

// The four distributions on the same window: intervals of about a second,
// 2.5 s after the last heartbeat.
func ExampleDistribution() {
	w, err := fd.NewWindow(100)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range 100 {
		w.Add(time.Second + time.Duration(i%5-2)*50*time.Millisecond)
	}
	e := fd.Estimate{Elapsed: float64(2500 * time.Millisecond), Mean: w.Mean(), StdDev: max(w.StdDev(), float64(100*time.Millisecond)), Window: w}
	for _, d := range []fd.Distribution{fd.Normal{}, fd.Logistic{}, fd.Exponential{}, fd.Empirical{}} {
		fmt.Printf("%-11v %.2f\n", d, d.Phi(e))
	}
	// Output:
	// normal      50.44
	// logistic    113.84
	// exponential 1.09
	// empirical   2.61
}

// A distribution of one's own: a uniform one, for teaching.
type uniform struct{}

func (uniform) Phi(e fd.Estimate) float64 {
	// P(later than t) = 1 - t/(2·mean) on [0, 2·mean].
	p := max(1-e.Elapsed/(2*e.Mean), 1e-300)
	return -math.Log10(min(p, 1))
}

func ExampleEstimate() {
	cfg := fd.DefaultConfig()
	cfg.AcceptableHeartbeatPause = 0
	cfg.Distribution = uniform{}
	p, err := fd.NewPhi(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	// the window starts at 0.75 s and 1.25 s: mean 1 s
	if err := p.Heartbeat(0); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.3f %.3f\n", p.Phi(time.Second), p.Phi(1900*time.Millisecond))
	// Output:
	// 0.301 1.301
}

func ExampleNormal() {
	// 5 standard deviations late: P = 2.9e-7.
	fmt.Printf("%.2f\n", fd.Normal{}.Phi(fd.Estimate{Elapsed: 1500, Mean: 1000, StdDev: 100}))
	// Output: 6.54
}

func ExampleLogistic() {
	fmt.Printf("%.2f\n", fd.Logistic{}.Phi(fd.Estimate{Elapsed: 1500, Mean: 1000, StdDev: 100}))
	// Output: 7.30
}

func ExampleExponential() {
	// Cassandra's φ is linear: one mean interval of silence is 1/ln 10.
	fmt.Printf("%.3f\n", fd.Exponential{}.Phi(fd.Estimate{Elapsed: 1000, Mean: 1000}))
	// Output: 0.434
}

func ExampleEmpirical() {
	w, err := fd.NewWindow(10)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range []time.Duration{1, 1, 1, 1, 1, 1, 1, 1, 5, 5} { // bimodal: GC pauses
		w.Add(d * time.Second)
	}
	e := fd.Estimate{Elapsed: float64(2 * time.Second), Mean: w.Mean(), Window: w}
	fmt.Printf("%.2f\n", fd.Empirical{}.Phi(e)) // 2 of 10 intervals were longer
	// Output: 0.70
}

func ExamplePhiStats() {
	p, err := fd.NewPhi(fd.DefaultConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := p.Heartbeat(0); err != nil {
		fmt.Println(err)
		return
	}
	if err := p.Heartbeat(time.Second); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%+v\n", p.Stats())
	// Output:
	// {Started:true LastHeartbeat:1s Samples:3 Mean:1s StdDev:204.124145ms Skipped:0}
}

// Any detector can be evaluated on the same trace.
func ExampleDetector() {
	tr := fd.Trace{Arrivals: []time.Duration{0, time.Second, 2 * time.Second}, Crashed: true, Crash: 2500 * time.Millisecond, End: 10 * time.Second}
	timeout, err := fd.NewTimeout(fd.TimeoutConfig{Timeout: 1500 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	phi, err := fd.NewPhi(fd.DefaultConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range []fd.Detector{timeout, phi} {
		q, err := fd.Evaluate(tr, d, time.Microsecond)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(q.DetectionTime.Round(time.Millisecond))
	}
	// Output:
	// 1s
	// 4.492s
}

func ExampleEvent() {
	fmt.Println(fd.Event{Peer: "b", Kind: fd.Suspected, At: 3 * time.Second})
	// Output: b suspected at 3s
}

func ExampleMonitorConfig() {
	cfg := fd.DefaultConfig()
	cfg.MaxLocalPause = 5 * time.Second // Check runs on a ticker: guard against our own stalls
	mc := fd.MonitorConfig{
		NewDetector: func() (fd.Detector, error) { return fd.NewPhi(cfg) },
		OnChange:    func(e fd.Event) { fmt.Println(e) },
	}
	m, err := fd.NewMonitor(mc)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := m.Add("b", 0); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := m.Check(time.Minute); err != nil {
		fmt.Println(err)
		return
	}
	m.Close()
	// Output: b suspected at 1m0s
}

func ExampleTrace() {
	tr := fd.Trace{Arrivals: []time.Duration{0, time.Second, 4 * time.Second}, End: 5 * time.Second}
	d, err := fd.NewTimeout(fd.TimeoutConfig{Timeout: 2 * time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	q, err := fd.Evaluate(tr, d, time.Nanosecond)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(q)
	// Output: not crashed; 1 mistakes in 5s (720/h, mean 999.999999ms); accuracy 0.800000
}

func ExampleQoS() {
	tr, err := fd.GenerateTrace(fd.TraceConfig{Seed: 1, Interval: time.Second, Duration: time.Hour,
		Latency: 10 * time.Millisecond, Jitter: 20 * time.Millisecond, Loss: 0.05, Crash: 59 * time.Minute})
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := fd.NewTimeout(fd.TimeoutConfig{Timeout: 2500 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	q, err := fd.Evaluate(tr, d, time.Millisecond)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(q.Detected, q.DetectionTime.Round(100*time.Millisecond), q.Mistakes)
	// Output: true 1.5s 1
}

func ExampleTraceConfig() {
	// A sender stalls as in a garbage-collection pause: the heartbeats due
	// at 4 s to 8 s are never sent, one is sent when it resumes.
	tr, err := fd.GenerateTrace(fd.TraceConfig{Seed: 5, Interval: time.Second, Duration: 10 * time.Second,
		PauseRate: 0.3, PauseDuration: 3 * time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tr.Arrivals)
	// Output: [0s 1s 2s 3s 8.84575605s 9s]
}

// Detection within 5 s and no mistake in a day of heartbeats.
func ExampleSolveThreshold() {
	var traces []fd.Trace
	for seed := range uint64(2) {
		tr, err := fd.GenerateTrace(fd.TraceConfig{Seed: seed, Interval: time.Second, Duration: 24 * time.Hour,
			Latency: 10 * time.Millisecond, Jitter: 50 * time.Millisecond, Loss: 0.01,
			PauseRate: 1.0 / 3600, PauseDuration: 500 * time.Millisecond, Crash: 23 * time.Hour})
		if err != nil {
			fmt.Println(err)
			return
		}
		traces = append(traces, tr)
	}
	newPhi := func(threshold float64) (fd.Detector, error) {
		cfg := fd.DefaultConfig()
		cfg.AcceptableHeartbeatPause = time.Second
		cfg.Threshold = threshold
		return fd.NewPhi(cfg)
	}
	sol, err := fd.SolveThreshold(traces, newPhi, 0.1, 50, fd.Target{MaxDetection: 5 * time.Second, MaxMistakeRate: 1.0 / 86400}, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("threshold %.1f: detection %v, %d mistakes in %v\n", sol.Param,
		sol.QoS.DetectionTime.Round(10*time.Millisecond), sol.QoS.Mistakes, sol.QoS.Observed.Round(time.Hour))
	// Output: threshold 24.1: detection 2.27s, 1 mistakes in 46h0m0s
}

// Akka's defaults, and the logistic distribution to reproduce Akka's φ
// exactly.
func ExampleConfig() {
	cfg := fd.DefaultConfig()
	cfg.Distribution = fd.Logistic{}
	fmt.Println(cfg.Threshold, cfg.WindowSize, cfg.MinStdDeviation, cfg.AcceptableHeartbeatPause, cfg.FirstHeartbeatEstimate, cfg.Validate())
	// Output: 8 1000 100ms 3s 1s <nil>
}

// A target that no timeout can meet on a lossy network.
func ExampleTarget() {
	tr, err := fd.GenerateTrace(fd.TraceConfig{Seed: 1, Interval: time.Second, Duration: time.Hour,
		Loss: 0.2, Crash: 59 * time.Minute})
	if err != nil {
		fmt.Println(err)
		return
	}
	newTimeout := func(x float64) (fd.Detector, error) {
		return fd.NewTimeout(fd.TimeoutConfig{Timeout: time.Duration(x * float64(time.Second))})
	}
	_, err = fd.SolveThreshold([]fd.Trace{tr}, newTimeout, 0.5, 10,
		fd.Target{MaxDetection: 2 * time.Second, MaxMistakeRate: 1.0 / 3600}, 0)
	fmt.Println(errors.Is(err, fd.ErrInfeasible))
	// Output: true
}

// Perfectly regular heartbeats: a timeout of one interval never errs.
func ExampleSolution() {
	tr, err := fd.GenerateTrace(fd.TraceConfig{Seed: 1, Interval: time.Second, Duration: time.Hour, Crash: 59 * time.Minute})
	if err != nil {
		fmt.Println(err)
		return
	}
	newTimeout := func(x float64) (fd.Detector, error) {
		return fd.NewTimeout(fd.TimeoutConfig{Timeout: time.Duration(x * float64(time.Second))})
	}
	sol, err := fd.SolveThreshold([]fd.Trace{tr}, newTimeout, 0.5, 10, fd.Target{MaxDetection: 2 * time.Second}, 0)
	fmt.Printf("%.2f s, %d mistakes, %v\n", sol.Param, sol.QoS.Mistakes, err)
	// Output: 1.00 s, 0 mistakes, <nil>
}
