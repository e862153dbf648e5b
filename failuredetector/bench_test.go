package failuredetector

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

func benchPhi(b *testing.B, d Distribution) *Phi {
	cfg := DefaultConfig()
	cfg.Distribution = d
	p, err := NewPhi(cfg)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 2000 { // fill the window
		_ = p.Heartbeat(time.Duration(i)*time.Second + time.Duration(i%7)*time.Millisecond)
	}
	return p
}

func BenchmarkHeartbeat(b *testing.B) {
	p := benchPhi(b, Normal{})
	now := 3000 * time.Second
	b.ReportAllocs()
	for b.Loop() {
		now += time.Second
		_ = p.Heartbeat(now)
	}
}

func BenchmarkPhi(b *testing.B) {
	for _, d := range distributions {
		b.Run(d.(interface{ String() string }).String(), func(b *testing.B) {
			p := benchPhi(b, d)
			now := 2000*time.Second + 1500*time.Millisecond
			b.ReportAllocs()
			var sink float64
			for b.Loop() {
				sink += p.Phi(now)
			}
			_ = sink
		})
	}
}

func BenchmarkSuspectTimeout(b *testing.B) {
	d, _ := NewTimeout(TimeoutConfig{Timeout: time.Second})
	_ = d.Heartbeat(0)
	b.ReportAllocs()
	for b.Loop() {
		_ = d.Suspect(time.Second)
	}
}

func benchMonitor(b *testing.B, peers int) (*Monitor, []string) {
	m, err := NewMonitor(MonitorConfig{NewDetector: func() (Detector, error) { return NewPhi(DefaultConfig()) }})
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, peers)
	for i := range ids {
		ids[i] = "node-" + strconv.Itoa(i)
		if err := m.Add(ids[i], 0); err != nil {
			b.Fatal(err)
		}
	}
	return m, ids
}

// 10,000 peers, heartbeats from every core at once.
func BenchmarkMonitorHeartbeatParallel(b *testing.B) {
	m, ids := benchMonitor(b, 10000)
	defer m.Close()
	var clock atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			now := time.Duration(clock.Add(int64(100 * time.Microsecond)))
			_ = m.Heartbeat(ids[i%len(ids)], now) // ErrNonMonotonic possible across goroutines; ignored
			i += 7919
		}
	})
}

// One Check over 10,000 peers.
func BenchmarkMonitorCheck10000(b *testing.B) {
	m, _ := benchMonitor(b, 10000)
	defer m.Close()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = m.Check(time.Second)
	}
}

// Evaluating one hour of heartbeats at 1 Hz.
func BenchmarkEvaluateHour(b *testing.B) {
	tr, err := GenerateTrace(TraceConfig{Seed: 1, Interval: time.Second, Duration: time.Hour, Latency: 10 * time.Millisecond,
		Jitter: 20 * time.Millisecond, Loss: 0.01, PauseRate: 0.001, PauseDuration: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		p, _ := NewPhi(DefaultConfig())
		if _, err := Evaluate(tr, p, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSuspectPhi(b *testing.B) {
	p := benchPhi(b, Normal{})
	now := 2000*time.Second + 1500*time.Millisecond
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Suspect(now)
	}
}
