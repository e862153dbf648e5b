package sim_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/eventually-perfect/primitives/sim"
)

// ppMsg is the message of the ping-pong examples.
type ppMsg struct {
	Kind string // "ping" or "pong"
	N    int
}

func (m ppMsg) String() string { return m.Kind + "(" + strconv.Itoa(m.N) + ")" }

// ppNode plays ping-pong: the pinger sends ping(1), ping(2), ... to the
// ponger every 10ms of its local time; the ponger persists the last ping
// it saw, then answers with a pong.
type ppNode struct {
	pinger bool
	sent   int // volatile
}

func (p *ppNode) Start(ctx *sim.Context[ppMsg]) {
	if p.pinger {
		ctx.SetTimer("ping", 10*time.Millisecond)
		return
	}
	if last, ok := ctx.Storage().Get("last"); ok {
		ctx.Note("recovered last=" + string(last))
	}
}

func (p *ppNode) Receive(ctx *sim.Context[ppMsg], from string, m ppMsg) {
	if m.Kind == "ping" {
		ctx.Storage().Put("last", []byte(strconv.Itoa(m.N))) // persist, then send
		ctx.Send(from, ppMsg{Kind: "pong", N: m.N})
	}
}

func (p *ppNode) Timeout(ctx *sim.Context[ppMsg], name string) {
	p.sent++
	ctx.Send("b", ppMsg{Kind: "ping", N: p.sent})
	if p.sent < 3 {
		ctx.SetTimer("ping", 10*time.Millisecond)
	}
}

func newPP(id string) sim.Node[ppMsg] { return &ppNode{pinger: id == "a"} }

// ppPrint prints a trace, one event per line.
func ppPrint(tr *sim.Trace) {
	for _, e := range tr.Events {
		line := fmt.Sprintf("%-7v %-8s", e.Time, e.Kind)
		if e.Node != "" {
			line += " " + e.Node
		}
		switch e.Kind {
		case sim.Send, sim.Drop:
			line += "->" + e.Peer + " " + e.Text
		case sim.Deliver:
			line += "<-" + e.Peer + " " + e.Text
		case sim.Timer, sim.Local, sim.Fault, sim.Pause:
			line += " " + e.Text
		}
		if e.Lamport != 0 {
			line += fmt.Sprintf("  L=%d %v", e.Lamport, e.Vector)
		}
		fmt.Println(line)
	}
}

// A ping-pong run in which the ponger crashes and restarts: the ping sent
// while it is down is dropped, and the restarted ponger recovers what it
// persisted. Each event shows its Lamport time and vector clock.
func ExampleSim() {
	s, err := sim.New(sim.Config{
		Seed:  1,
		Nodes: []string{"a", "b"},
		Link:  sim.LinkConfig{Latency: sim.Constant(2 * time.Millisecond)},
	}, newPP)
	if err != nil {
		fmt.Println(err)
		return
	}
	s.At(15*time.Millisecond, func(s *sim.Sim[ppMsg]) {
		if err := s.Crash("b"); err != nil {
			fmt.Println(err)
		}
	})
	s.At(25*time.Millisecond, func(s *sim.Sim[ppMsg]) {
		if err := s.Restart("b"); err != nil {
			fmt.Println(err)
		}
	})
	if err := s.Run(); err != nil {
		fmt.Println(err)
		return
	}
	ppPrint(s.Trace())
	fmt.Printf("%+v\n", s.Stats())
	// Output:
	// 10ms    timer    a ping  L=1 {a:1}
	// 10ms    send     a->b ping(1)  L=2 {a:2}
	// 12ms    deliver  b<-a ping(1)  L=3 {a:2, b:1}
	// 12ms    send     b->a pong(1)  L=4 {a:2, b:2}
	// 14ms    deliver  a<-b pong(1)  L=5 {a:3, b:2}
	// 15ms    crash    b  L=5 {a:2, b:3}
	// 20ms    timer    a ping  L=6 {a:4, b:2}
	// 20ms    send     a->b ping(2)  L=7 {a:5, b:2}
	// 22ms    drop     a->b ping(2)
	// 25ms    restart  b  L=6 {a:2, b:4}
	// 25ms    note     b recovered last=1  L=7 {a:2, b:5}
	// 30ms    timer    a ping  L=8 {a:6, b:2}
	// 30ms    send     a->b ping(3)  L=9 {a:7, b:2}
	// 32ms    deliver  b<-a ping(3)  L=10 {a:7, b:6}
	// 32ms    send     b->a pong(3)  L=11 {a:7, b:7}
	// 34ms    deliver  a<-b pong(3)  L=12 {a:8, b:7}
	// {Events:10 Sends:5 Deliveries:4 Drops:1 Duplicates:0 Timers:3 Crashes:1 Restarts:1 Pauses:0 Held:0}
}

// New validates the configuration before anything starts, and says what
// is wrong.
func ExampleConfig() {
	cfg := sim.Config{
		Nodes: []string{"a", "b"},
		Link:  sim.LinkConfig{Latency: sim.Uniform(time.Millisecond, 5*time.Millisecond), Loss: 1.5},
	}
	_, err := sim.New(cfg, newPP)
	fmt.Println(err)
	fmt.Println(errors.Is(err, sim.ErrInvalidConfig))

	cfg.Link.Loss = 0.1
	cfg.Clocks = map[string]sim.ClockConfig{"c": {Drift: 1e-4}}
	fmt.Println(cfg.Validate())
	// Output:
	// sim: default link: loss 1.5 not in [0, 1]: invalid configuration
	// true
	// sim: clock of node "c": unknown node
}

// A latency matrix for three regions; one direction of each pair is
// enough when the latencies are symmetric.
func ExampleLatencyMatrix() {
	links := sim.LatencyMatrix(map[string]map[string]time.Duration{
		"frankfurt": {"virginia": 45 * time.Millisecond, "tokyo": 115 * time.Millisecond},
		"virginia":  {"tokyo": 80 * time.Millisecond},
	})
	s, err := sim.New(sim.Config{Nodes: []string{"frankfurt", "virginia", "tokyo"}, Links: links}, newPP)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := s.Inject("frankfurt", "tokyo", ppMsg{Kind: "ping", N: 1}); err != nil {
		fmt.Println(err)
		return
	}
	if err := s.Run(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("round trip frankfurt-tokyo:", s.Now())
	fmt.Println(links[[2]string{"tokyo", "virginia"}])
	// Output:
	// round trip frankfurt-tokyo: 230ms
	// constant(80ms)
}

// Latency distributions, sampled from a seeded source as the simulator
// does.
func ExampleLatency() {
	r := rand.New(rand.NewPCG(1, 2))
	for _, l := range []sim.Latency{
		sim.Constant(10 * time.Millisecond),
		sim.Uniform(5*time.Millisecond, 15*time.Millisecond),
		sim.Normal(10*time.Millisecond, 2*time.Millisecond),
		sim.Exponential(10 * time.Millisecond),
	} {
		fmt.Printf("%-24v %v\n", l, l.Sample(r).Round(time.Microsecond))
	}
	// Output:
	// constant(10ms)           10ms
	// uniform(5ms,15ms)        12.694ms
	// normal(10ms,2ms)         10.149ms
	// exponential(10ms)        365µs
}

// Constant latency keeps the messages of a link in order.
func ExampleConstant() {
	fmt.Println(sim.Constant(3 * time.Millisecond))
	// Output:
	// constant(3ms)
}

// A lossy link with limited bandwidth: a 1000-byte message takes 1s to
// transmit at 1000 B/s before its latency starts.
func ExampleLinkConfig() {
	l := sim.LinkConfig{Latency: sim.Constant(20 * time.Millisecond), Loss: 0.01, Bandwidth: 1000}
	fmt.Println(l)
	s, err := sim.New(sim.Config{Nodes: []string{"a"}, Link: sim.LinkConfig{Latency: sim.Constant(20 * time.Millisecond), Bandwidth: 1000}},
		func(string) sim.Node[sizedMsg] { return nopNode[sizedMsg]{} })
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := s.Inject("client", "a", sizedMsg(1000)); err != nil {
		fmt.Println(err)
		return
	}
	if err := s.Run(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Now())
	// Output:
	// constant(20ms) loss=0.01 bandwidth=1000B/s
	// 1.02s
}

// sizedMsg is a message of the given number of bytes.
type sizedMsg int

// Size implements sim.Sizer.
func (m sizedMsg) Size() int { return int(m) }

// A message type reports its size for bandwidth accounting by
// implementing Sizer; others count as DefaultMessageSize bytes.
func ExampleSizer() {
	var m any = sizedMsg(1500)
	s, ok := m.(sim.Sizer)
	fmt.Println(ok, s.Size(), sim.DefaultMessageSize)
	// Output:
	// true 1500 64
}

// nopNode does nothing.
type nopNode[M any] struct{}

func (nopNode[M]) Start(*sim.Context[M])              {}
func (nopNode[M]) Receive(*sim.Context[M], string, M) {}
func (nopNode[M]) Timeout(*sim.Context[M], string)    {}

// clockNode notes its local clock at Start and when its timer fires.
type clockNode struct{}

func (clockNode) Start(ctx *sim.Context[ppMsg]) {
	ctx.Note("start, local " + ctx.Now().String())
	ctx.SetTimer("t", time.Second)
}
func (clockNode) Receive(*sim.Context[ppMsg], string, ppMsg) {}
func (clockNode) Timeout(ctx *sim.Context[ppMsg], _ string) {
	ctx.Note("timer, local " + ctx.Now().String())
}

// A skewed, drifting clock: "fast" starts 2s ahead and runs 25% fast, so
// its one-second timer fires after 800ms of true time.
func ExampleClockConfig() {
	s, err := sim.New(sim.Config{
		Nodes:  []string{"fast", "exact"},
		Clocks: map[string]sim.ClockConfig{"fast": {Offset: 2 * time.Second, Drift: 0.25}},
	}, func(string) sim.Node[ppMsg] { return clockNode{} })
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := s.Run(); err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range s.Trace().Events {
		if e.Kind == sim.Local {
			fmt.Printf("true %-6v %-5s %s\n", e.Time, e.Node, e.Text)
		}
	}
	// Output:
	// true 0s     fast  start, local 2s
	// true 0s     exact start, local 0s
	// true 800ms  fast  timer, local 3s
	// true 1s     exact timer, local 1s
}

// A node that panics stops the run; the error carries the seed and the
// trace up to the panic, to replay and inspect it.
func ExampleNodePanicError() {
	s, err := sim.New(sim.Config{Seed: 7, Nodes: []string{"a"}}, func(string) sim.Node[ppMsg] {
		return &panicky{}
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := s.Inject("client", "a", ppMsg{Kind: "ping", N: 1}); err != nil {
		fmt.Println(err)
		return
	}
	err = s.Run()
	var pe *sim.NodePanicError
	if errors.As(err, &pe) {
		fmt.Println(err)
		fmt.Println(pe.Node, pe.Seed, len(pe.Trace.Events), "events")
	}
	fmt.Println(errors.Is(err, sim.ErrNodePanic))
	// Output:
	// sim: node "a" panicked at 1ms (seed 7): unexpected ping(1)
	// a 7 2 events
	// true
}

type panicky struct{ nopNode[ppMsg] }

func (*panicky) Receive(_ *sim.Context[ppMsg], _ string, m ppMsg) { panic("unexpected " + m.String()) }

// A symmetric partition isolates p; a scheduled heal ends it.
func ExampleSim_Partition() {
	s, err := sim.New(sim.Config{Nodes: []string{"p", "q", "r"}}, newPP)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := s.Partition([]string{"p"}, []string{"q", "r"}); err != nil {
		fmt.Println(err)
		return
	}
	s.At(time.Second, func(s *sim.Sim[ppMsg]) { s.Heal() })
	if err := s.Inject("p", "q", ppMsg{Kind: "ping", N: 1}); err != nil {
		fmt.Println(err)
		return
	}
	s.At(2*time.Second, func(s *sim.Sim[ppMsg]) {
		if err := s.Inject("p", "q", ppMsg{Kind: "ping", N: 2}); err != nil {
			fmt.Println(err)
		}
	})
	if err := s.Run(); err != nil {
		fmt.Println(err)
		return
	}
	ppPrint(s.Trace())
	// Output:
	// 0s      fault    partition p | q r
	// 0s      send     p->q ping(1)  L=1 {p:1}
	// 0s      drop     p->q ping(1)
	// 1s      fault    heal
	// 2s      send     p->q ping(2)  L=2 {p:2}
	// 2.001s  deliver  q<-p ping(2)  L=3 {p:2, q:1}
	// 2.001s  send     q->p pong(2)  L=4 {p:2, q:2}
	// 2.002s  deliver  p<-q pong(2)  L=5 {p:3, q:2}
}

// Stats count what happened, also when the trace is off.
func ExampleStats() {
	s, err := sim.New(sim.Config{Seed: 3, Nodes: []string{"a", "b"}, NoTrace: true,
		Link: sim.LinkConfig{Loss: 0.5}}, newPP)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := s.Run(); err != nil {
		fmt.Println(err)
		return
	}
	st := s.Stats()
	fmt.Println(st.Sends, st.Deliveries, st.Drops, len(s.Trace().Events))
	// Output:
	// 4 2 2 0
}
