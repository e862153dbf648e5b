package sim_test

import (
	"strconv"
	"testing"

	"github.com/eventually-perfect/primitives/sim"
)

// benchEchoMsg is the message of the echo benchmark.
type benchEchoMsg struct {
	N    int
	Pong bool
}

func (m benchEchoMsg) String() string {
	if m.Pong {
		return "pong " + strconv.Itoa(m.N)
	}
	return "ping " + strconv.Itoa(m.N)
}

// benchEcho is the trivial echo protocol: the pinger keeps window pings
// outstanding to the echoer until it has sent limit, and the echoer
// answers each ping with a pong.
type benchEcho struct {
	pinger bool
	window int
	limit  int
	sent   int
}

func (e *benchEcho) Start(ctx *sim.Context[benchEchoMsg]) {
	if !e.pinger {
		return
	}
	for e.sent < e.window && e.sent < e.limit {
		ctx.Send("echo", benchEchoMsg{N: e.sent})
		e.sent++
	}
}

func (e *benchEcho) Receive(ctx *sim.Context[benchEchoMsg], from string, m benchEchoMsg) {
	if !m.Pong {
		ctx.Send(from, benchEchoMsg{N: m.N, Pong: true})
		return
	}
	if e.sent < e.limit {
		ctx.Send(from, benchEchoMsg{N: e.sent})
		e.sent++
	}
}

func (e *benchEcho) Timeout(*sim.Context[benchEchoMsg], string) {}

// benchmarkEcho runs the echo protocol for b.N deliveries (one operation
// is one delivery, so allocs/op is allocations per delivery) and reports
// deliveries per second of wall time.
func benchmarkEcho(b *testing.B, cfg sim.Config) {
	b.ReportAllocs()
	cfg.Nodes = []string{"ping", "echo"}
	cfg.MaxEvents = -1
	limit := max(b.N/2, 1)
	s, err := sim.New(cfg, func(id string) sim.Node[benchEchoMsg] {
		return &benchEcho{pinger: id == "ping", window: 64, limit: limit}
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	if err := s.Run(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	deliveries := s.Stats().Deliveries
	if deliveries < 2*limit || cfg.Link.Duplicate == 0 && deliveries != 2*limit {
		b.Fatalf("got %d deliveries, want %d", deliveries, 2*limit)
	}
	b.ReportMetric(float64(deliveries)/b.Elapsed().Seconds(), "deliveries/s")
}

func BenchmarkSimEcho(b *testing.B) {
	b.Run("trace=off", func(b *testing.B) { benchmarkEcho(b, sim.Config{NoTrace: true}) })
	b.Run("trace=on", func(b *testing.B) { benchmarkEcho(b, sim.Config{}) })
	b.Run("trace=off/faults", func(b *testing.B) {
		benchmarkEcho(b, sim.Config{NoTrace: true, Link: sim.LinkConfig{
			Latency:   sim.Uniform(500_000, 1_500_000),
			Duplicate: 0.01,
			Bandwidth: 1e9,
		}, ServiceTime: 1000})
	})
}
