// Side-by-side benchmarks of package failuredetector. No Go library in the
// module graph offers a standalone φ accrual detector (hashicorp/memberlist
// detects failures by SWIM probing and suspicion timers, with no per-peer
// detector API), so the comparison is against a baseline: the
// straightforward implementation that keeps the last n intervals in a
// slice and recomputes the mean and standard deviation on every φ, as
// direct transcriptions of Hayashibara et al. (2004) do. Run:
//
//	cd bench && go test -run '^$' -bench 'Phi' -benchmem -count 6 -benchtime 300ms | tee fd.txt
//	benchstat -col /impl fd.txt
package bench

import (
	"math"
	"testing"
	"time"

	fd "github.com/eventually-perfect/primitives/failuredetector"
)

// naivePhi is the baseline: a slice window, statistics recomputed per φ.
type naivePhi struct {
	window    []float64
	max       int
	last      float64
	started   bool
	minStdDev float64
}

func (d *naivePhi) heartbeat(now float64) {
	if d.started {
		if len(d.window) == d.max {
			copy(d.window, d.window[1:])
			d.window = d.window[:len(d.window)-1]
		}
		d.window = append(d.window, now-d.last)
	}
	d.started, d.last = true, now
}

func (d *naivePhi) phi(now float64) float64 {
	var sum, sq float64
	for _, x := range d.window {
		sum += x
	}
	mean := sum / float64(len(d.window))
	for _, x := range d.window {
		sq += (x - mean) * (x - mean)
	}
	sd := math.Max(math.Sqrt(sq/float64(len(d.window))), d.minStdDev)
	return -math.Log10(0.5 * math.Erfc((now-d.last-mean)/sd/math.Sqrt2))
}

const fdWindow = 1000

func filledNaive() *naivePhi {
	d := &naivePhi{max: fdWindow, minStdDev: float64(100 * time.Millisecond)}
	for i := range 2 * fdWindow {
		d.heartbeat(float64(time.Duration(i)*time.Second + time.Duration(i%7)*time.Millisecond))
	}
	return d
}

func filledOurs(b *testing.B) *fd.Phi {
	cfg := fd.DefaultConfig()
	cfg.AcceptableHeartbeatPause = 0
	p, err := fd.NewPhi(cfg)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 2 * fdWindow {
		_ = p.Heartbeat(time.Duration(i)*time.Second + time.Duration(i%7)*time.Millisecond)
	}
	return p
}

var sinkF64 float64

func BenchmarkPhiHeartbeat(b *testing.B) {
	b.Run("impl=ours", func(b *testing.B) {
		p := filledOurs(b)
		now := time.Duration(2*fdWindow) * time.Second
		b.ReportAllocs()
		for b.Loop() {
			now += time.Second
			_ = p.Heartbeat(now)
		}
	})
	b.Run("impl=naive", func(b *testing.B) {
		d := filledNaive()
		now := float64(time.Duration(2*fdWindow) * time.Second)
		b.ReportAllocs()
		for b.Loop() {
			now += float64(time.Second)
			d.heartbeat(now)
		}
	})
}

func BenchmarkPhiValue(b *testing.B) {
	at := time.Duration(2*fdWindow-1)*time.Second + 1500*time.Millisecond
	b.Run("impl=ours", func(b *testing.B) {
		p := filledOurs(b)
		b.ReportAllocs()
		for b.Loop() {
			sinkF64 = p.Phi(at)
		}
	})
	b.Run("impl=naive", func(b *testing.B) {
		d := filledNaive()
		b.ReportAllocs()
		for b.Loop() {
			sinkF64 = d.phi(float64(at))
		}
	})
}
