// Command failuredetector sweeps the parameter of each failure detector in
// package failuredetector over generated heartbeat traces and shows the
// trade-off every detector makes: detecting a crash sooner costs more
// wrong suspicions. It prints a table, solves for the parameter that meets
// a target (detection within 5 s, at most one mistake a day), and writes a
// chart of mistake rate against detection time as SVG.
//
// Run it from the repository root:
//
//	go run ./examples/failuredetector                     # 24 h of heartbeats
//	go run ./examples/failuredetector -hours 6 -out /tmp  # quicker
//
// The output is deterministic: the traces come from fixed seeds. The chart
// is written to fd-qos-sweep.svg in the folder named by -out (created if
// missing), or by default in a new temporary folder whose path it prints;
// docs/failure-detectors.md shows the same chart from docs/diagrams.
//
// Two detection columns, because "detection time" has two origins. Chen,
// Toueg and Aguilera's T_D runs from the crash; a detector's parameter (a
// timeout, a margin) runs from the last heartbeat it received. Here the
// sender crashes 300 ms after sending a heartbeat that arrives about 20 ms
// later (up to about 75 ms with jitter), so the peer has been silent for
// 225 to 280 ms when it crashes, and a 1.1 s timeout detects the crash
// 0.82 to 0.874 s after it: less than its timeout. The table shows both
// the worst time from the crash and the worst silence from the last
// heartbeat, exact to the nanosecond (from Detector.SuspectAt).
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"github.com/eventually-perfect/primitives/examples/internal/outdir"
	"io"
	"os"
	"path/filepath"
	"time"

	fd "github.com/eventually-perfect/primitives/failuredetector"
)

func main() {
	out := flag.String("out", "", "folder to write the chart into, created if missing (default: a new temporary folder)")
	hours := flag.Int("hours", 24, "hours of heartbeats per long trace (two traces)")
	flag.Parse()
	if flag.NArg() > 0 || *hours < 1 || *hours > 24*30 {
		flag.Usage()
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	err := run(w, *out, time.Duration(*hours)*time.Hour)
	// A bufio.Writer keeps its first write error and returns it from Flush,
	// so the Fprintf calls into it need no checks of their own.
	if err = errors.Join(err, w.Flush()); err != nil {
		fmt.Fprintln(os.Stderr, "failuredetector:", err)
		os.Exit(1)
	}
}

// network is the heartbeat traffic every detector is judged on: one
// heartbeat a second over a LAN-like link with jitter, 1% loss, a few loss
// bursts a day and, about once an hour, a GC-like pause of the sender.
func network(seed uint64, d, crash time.Duration) fd.TraceConfig {
	return fd.TraceConfig{
		Seed: seed, Interval: time.Second, Duration: d,
		Latency: 20 * time.Millisecond, Jitter: 30 * time.Millisecond,
		Loss: 0.01, BurstRate: 0.00005, BurstLength: 2,
		PauseRate: 1.0 / 3600, PauseDuration: 500 * time.Millisecond,
		Crash: crash,
	}
}

// traces returns two long traces without a crash (for mistakes) and twenty
// ten-minute traces that end in a crash (for detection time).
func traces(long time.Duration) ([]fd.Trace, error) {
	var trs []fd.Trace
	for seed := range uint64(2) {
		tr, err := fd.GenerateTrace(network(seed, long, 0))
		if err != nil {
			return nil, err
		}
		trs = append(trs, tr)
	}
	for seed := range uint64(20) {
		crash := 5*time.Minute + time.Duration(seed)*7*time.Second + 300*time.Millisecond
		tr, err := fd.GenerateTrace(network(100+seed, 10*time.Minute, crash))
		if err != nil {
			return nil, err
		}
		trs = append(trs, tr)
	}
	return trs, nil
}

// A detector family: one parameter, swept over values.
type family struct {
	name   string
	param  string // what the parameter means
	values []float64
	lo, hi float64 // the range the solver searches
	new    func(x float64) (fd.Detector, error)
}

// phiConfig is Akka's configuration with the given distribution, threshold
// and acceptable pause (0 shows the raw distribution).
func phiConfig(dist fd.Distribution, threshold float64, pause time.Duration) fd.Config {
	cfg := fd.DefaultConfig()
	cfg.Distribution = dist
	cfg.Threshold = threshold
	cfg.AcceptableHeartbeatPause = pause
	return cfg
}

var families = []family{
	{
		name: "phi (normal)", param: "threshold",
		values: []float64{0.5, 1, 2, 4, 8, 16, 32, 64, 128},
		lo:     0.1, hi: 200,
		new: func(x float64) (fd.Detector, error) { return fd.NewPhi(phiConfig(fd.Normal{}, x, 0)) },
	},
	{
		name: "phi (normal, 1 s pause)", param: "threshold",
		values: []float64{0.5, 1, 2, 4, 8, 16, 32},
		lo:     0.1, hi: 200,
		new: func(x float64) (fd.Detector, error) { return fd.NewPhi(phiConfig(fd.Normal{}, x, time.Second)) },
	},
	{
		name: "phi (exponential)", param: "threshold",
		values: []float64{0.5, 1, 1.5, 2, 3, 4, 6, 8},
		lo:     0.1, hi: 20,
		new: func(x float64) (fd.Detector, error) { return fd.NewPhi(phiConfig(fd.Exponential{}, x, 0)) },
	},
	{
		name: "timeout", param: "timeout (s)",
		values: []float64{1.1, 1.5, 2, 2.5, 3, 4, 5, 7, 10},
		lo:     1, hi: 20,
		new: func(x float64) (fd.Detector, error) { return fd.NewTimeout(fd.TimeoutConfig{Timeout: seconds(x)}) },
	},
	{
		name: "Chen et al.", param: "margin α (s)",
		values: []float64{0.05, 0.1, 0.5, 1, 1.5, 2, 3, 5, 8},
		lo:     0, hi: 20,
		new: func(x float64) (fd.Detector, error) {
			return fd.NewAdaptive(fd.AdaptiveConfig{Interval: time.Second, SafetyMargin: seconds(x), WindowSize: 100})
		},
	},
	{
		name: "eventually perfect", param: "first timeout (s)",
		values: []float64{1.1, 1.5, 2, 2.5, 3, 4, 5, 7, 10},
		lo:     1, hi: 20,
		new: func(x float64) (fd.Detector, error) {
			return fd.NewEventuallyPerfect(fd.EventuallyPerfectConfig{Timeout: seconds(x), Increment: 500 * time.Millisecond})
		},
	},
}

func seconds(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }

// point is one detector setting's QoS.
type point struct {
	param     float64
	detection time.Duration // from the crash, worst over the crash traces (Chen et al.'s T_D)
	silence   time.Duration // from the last heartbeat received, worst over the crash traces
	perDay    float64       // mistakes per day, pooled
	accuracy  float64
}

// sweep evaluates every family at every value.
func sweep(trs []fd.Trace) ([][]point, error) {
	out := make([][]point, len(families))
	for i, f := range families {
		for _, x := range f.values {
			newDetector := func() (fd.Detector, error) { return f.new(x) }
			q, err := fd.EvaluateAll(trs, newDetector, 0)
			if err != nil {
				return nil, fmt.Errorf("%s at %v: %w", f.name, x, err)
			}
			fromCrash, fromLast, err := worstDetection(trs, newDetector)
			if err != nil {
				return nil, fmt.Errorf("%s at %v: %w", f.name, x, err)
			}
			out[i] = append(out[i], point{x, fromCrash, fromLast, q.MistakeRate * 86400, q.QueryAccuracy})
		}
	}
	return out, nil
}

// worstDetection returns, over the traces that end in a crash, the
// longest time from the crash to the final suspicion (Chen et al.'s T_D)
// and the longest from the last heartbeat received to it: the same
// moment, measured from where the detector's own parameter is measured.
// Both come from SuspectAt, exact to the nanosecond: after the last
// heartbeat nothing arrives, so the final suspicion starts at SuspectAt.
// (Evaluate locates a suspicion by bisection, to within a millisecond.)
func worstDetection(trs []fd.Trace, newDetector func() (fd.Detector, error)) (fromCrash, fromLast time.Duration, err error) {
	for _, tr := range trs {
		if !tr.Crashed {
			continue
		}
		d, err := newDetector()
		if err != nil {
			return 0, 0, err
		}
		q, err := fd.Evaluate(tr, d, 0)
		if err != nil {
			return 0, 0, err
		}
		at, ok := d.SuspectAt()
		if !q.Detected || !ok {
			return 0, 0, fmt.Errorf("the crash at %v was not detected by the end of the trace", tr.Crash)
		}
		// Every heartbeat in a crash trace was sent before the crash.
		last := tr.Arrivals[len(tr.Arrivals)-1]
		fromCrash = max(fromCrash, at-tr.Crash)
		fromLast = max(fromLast, at-last)
	}
	return fromCrash, fromLast, nil
}

func run(w io.Writer, dir string, long time.Duration) error {
	trs, err := traces(long)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Heartbeats every 1 s, 20 ms ± 30 ms latency, 1%% loss, loss bursts, GC-like pauses.\n")
	fmt.Fprintf(w, "Mistakes are counted on 2 × %v without a crash, detection on 20 crashes.\n", long)
	fmt.Fprintf(w, "Each crash comes 300 ms after a heartbeat is sent (it arrives about 20 ms later), so\n")
	fmt.Fprintf(w, "detection is shown twice, both the worst of the 20: \"from crash\" (Chen et al.'s T_D)\n")
	fmt.Fprintf(w, "and \"from last hb\", from the last heartbeat received, where a timeout is measured.\n")
	fmt.Fprintf(w, "The first is shorter by the silence before the crash (300 ms less the heartbeat's\n")
	fmt.Fprintf(w, "latency): a 1.1 s timeout detects a crash in 0.87 s at worst, not in 1.1 s.\n\n")
	pts, err := sweep(trs)
	if err != nil {
		return err
	}
	for i, f := range families {
		fmt.Fprintf(w, "%s\n  %-18s %-11s %-13s %-14s %s\n", f.name, f.param, "from crash", "from last hb", "mistakes/day", "query accuracy")
		for _, p := range pts[i] {
			fmt.Fprintf(w, "  %-18g %-11v %-13v %-14.1f %.6f\n", p.param, p.detection.Round(time.Millisecond),
				p.silence.Round(time.Millisecond), p.perDay, p.accuracy)
		}
		fmt.Fprintln(w)
	}
	target := fd.Target{MaxDetection: 5 * time.Second, MaxMistakeRate: 1.0 / 86400}
	fmt.Fprintf(w, "Target: detection within %v of the crash, at most one mistake a day.\n", target.MaxDetection)
	for _, f := range families {
		sol, err := fd.SolveThreshold(trs, f.new, f.lo, f.hi, target, 0)
		switch {
		case errors.Is(err, fd.ErrInfeasible):
			fmt.Fprintf(w, "  %-24s infeasible: %v\n", f.name, err)
		case err != nil:
			return err
		default:
			fmt.Fprintf(w, "  %-24s %s %.3g: detection %v, %.2f mistakes/day\n", f.name, f.param, sol.Param,
				sol.QoS.DetectionTime.Round(time.Millisecond), sol.QoS.MistakeRate*86400)
		}
	}
	dir, err = outdir.Prepare(dir, "failuredetector")
	if err != nil {
		return err
	}
	name := filepath.Join(dir, "fd-qos-sweep.svg")
	fh, err := os.Create(name)
	if err != nil {
		return err
	}
	err = writeChart(fh, pts)
	if err = errors.Join(err, fh.Close()); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nwrote %s\n", name)
	return nil
}
