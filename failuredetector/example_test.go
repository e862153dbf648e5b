package failuredetector_test

import (
	"fmt"
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
		_ = p.Heartbeat(time.Duration(i)*time.Second + jitter)
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
	cfg.WindowSize = 0
	fmt.Println(cfg.Validate())
	// Output:
	// failuredetector: window size 0 not in [1, 1048576]: invalid configuration
}

func ExampleWindow() {
	w, _ := fd.NewWindow(3)
	for _, d := range []time.Duration{900, 1000, 1100, 1200} {
		w.Add(d * time.Millisecond)
	}
	fmt.Println(w.Len(), time.Duration(w.Mean()), time.Duration(w.StdDev()).Round(time.Millisecond))
	// Output:
	// 3 1.1s 82ms
}

func ExampleTimeout() {
	d, _ := fd.NewTimeout(3 * time.Second)
	_ = d.Heartbeat(0)
	fmt.Println(d.Suspect(3*time.Second), d.Suspect(3*time.Second+1))
	// Output:
	// false true
}

func ExampleAdaptive() {
	// Heartbeats sent every second arrive 100 ms late; the freshness point
	// is the expected arrival plus the 200 ms safety margin.
	d, _ := fd.NewAdaptive(time.Second, 200*time.Millisecond, 100)
	for i := range 5 {
		_ = d.Heartbeat(time.Duration(i)*time.Second + 100*time.Millisecond)
	}
	fp, _ := d.FreshnessPoint()
	fmt.Println(fp)
	// Output:
	// 5.3s
}

func ExampleEventuallyPerfect() {
	// Each false suspicion adds a second to the timeout.
	d, _ := fd.NewEventuallyPerfect(time.Second, time.Second, 0)
	_ = d.Heartbeat(0)
	fmt.Println(d.Suspect(1500 * time.Millisecond)) // suspected...
	_ = d.Heartbeat(1500 * time.Millisecond)        // ...wrongly
	fmt.Println(d.Suspect(3000 * time.Millisecond)) // 1.5 s < 2 s
	fmt.Println(d.Timeout())
	// Output:
	// true
	// false
	// 2s 1
}

func ExampleMonitor() {
	events := make(chan fd.Event, 10)
	m, err := fd.NewMonitor(fd.MonitorConfig{
		NewDetector: func() (fd.Detector, error) { return fd.NewTimeout(2 * time.Second) },
		OnChange:    func(e fd.Event) { events <- e },
	})
	if err != nil {
		panic(err)
	}
	_ = m.Heartbeat("a", 0)
	_ = m.Heartbeat("b", 0)
	_ = m.Heartbeat("a", 2*time.Second)
	_, _ = m.Check(3 * time.Second) // b has been silent for 3 s
	_ = m.Heartbeat("b", 4*time.Second)
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
