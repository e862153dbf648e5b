package sim_test

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/sim"
)

// coreMsg is the message of the test protocols of the simulator's tests.
type coreMsg struct {
	Kind  string // "ping", "pong", "req"
	N     int
	Bytes int // reported size; 0 means the default
}

func (m coreMsg) String() string { return m.Kind + " " + strconv.Itoa(m.N) }

// Size implements sim.Sizer.
func (m coreMsg) Size() int {
	if m.Bytes == 0 {
		return sim.DefaultMessageSize
	}
	return m.Bytes
}

// coreEcho answers every ping with a pong, counts what it received in
// volatile state and in durable storage, and can be told to ping its peers
// at Start and on a timer.
type coreEcho struct {
	pingsAtStart int           // pings to send to every peer at Start
	tick         time.Duration // if > 0, ping a random peer every tick
	ticks        int           // ... this many times

	received []coreMsg       // volatile
	times    []time.Duration // local time of each Receive
	fired    []time.Duration // local time of each Timeout
	started  int
	ticked   int
}

func (e *coreEcho) Start(ctx *sim.Context[coreMsg]) {
	e.started++
	for i := range e.pingsAtStart {
		for _, p := range ctx.Peers() {
			ctx.Send(p, coreMsg{Kind: "ping", N: i})
		}
	}
	if e.tick > 0 && e.ticks > 0 {
		ctx.SetTimer("tick", e.tick)
	}
}

func (e *coreEcho) Receive(ctx *sim.Context[coreMsg], from string, m coreMsg) {
	e.received = append(e.received, m)
	e.times = append(e.times, ctx.Now())
	n, _ := ctx.Storage().Get("count")
	ctx.Storage().Put("count", []byte(strconv.Itoa(atoi(n)+1)))
	if m.Kind == "ping" || m.Kind == "req" {
		ctx.Send(from, coreMsg{Kind: "pong", N: m.N, Bytes: m.Bytes})
	}
}

func (e *coreEcho) Timeout(ctx *sim.Context[coreMsg], name string) {
	e.fired = append(e.fired, ctx.Now())
	e.ticked++
	if peers := ctx.Peers(); len(peers) > 0 {
		ctx.Send(peers[ctx.Rand().IntN(len(peers))], coreMsg{Kind: "ping", N: 1000 + e.ticked})
	}
	ctx.Note("tick " + strconv.Itoa(e.ticked))
	if e.ticked < e.ticks {
		ctx.SetTimer(name, e.tick)
	}
}

func atoi(b []byte) int {
	n, _ := strconv.Atoi(string(b))
	return n
}

// coreNew returns a factory of coreEcho nodes; configure, if not nil,
// adjusts each new node.
func coreNew(configure func(id string, e *coreEcho)) func(id string) sim.Node[coreMsg] {
	return func(id string) sim.Node[coreMsg] {
		e := &coreEcho{}
		if configure != nil {
			configure(id, e)
		}
		return e
	}
}

func coreNode(t testing.TB, s *sim.Sim[coreMsg], id string) *coreEcho {
	t.Helper()
	n, ok := s.Node(id)
	require.True(t, ok, "node %s is up", id)
	return n.(*coreEcho)
}

// coreCount counts the trace events of a kind, at a node if node != "".
func coreCount(tr *sim.Trace, kind sim.EventKind, node string) int {
	n := 0
	for _, e := range tr.Events {
		if e.Kind == kind && (node == "" || e.Node == node) {
			n++
		}
	}
	return n
}

func TestSimPingPong(t *testing.T) {
	s, err := sim.New(sim.Config{Seed: 1, Nodes: []string{"a", "b", "c"}}, coreNew(func(id string, e *coreEcho) {
		if id == "a" {
			e.pingsAtStart = 2
		}
	}))
	require.NoError(t, err)
	require.NoError(t, s.Run())
	a, b, c := coreNode(t, s, "a"), coreNode(t, s, "b"), coreNode(t, s, "c")
	assert.Len(t, a.received, 4, "a gets a pong for each of its 4 pings")
	assert.Len(t, b.received, 2)
	assert.Len(t, c.received, 2)
	st := s.Stats()
	assert.Equal(t, 8, st.Sends)
	assert.Equal(t, 8, st.Deliveries)
	assert.Equal(t, 2*sim.DefaultLatency, s.Now(), "a round trip over default links takes two latencies")
	assert.Equal(t, 8, coreCount(s.Trace(), sim.Send, ""))
	assert.Equal(t, 8, coreCount(s.Trace(), sim.Deliver, ""))
	ok, err := s.Step()
	assert.False(t, ok, "nothing is left after Run")
	assert.NoError(t, err)
}

func TestSimInjectFromClient(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a"}}, coreNew(nil))
	require.NoError(t, err)
	require.NoError(t, s.Inject("client", "a", coreMsg{Kind: "req", N: 7}))
	require.NoError(t, s.Run())
	tr := s.Trace()
	assert.Equal(t, []string{"a", "client"}, tr.Nodes, "a client appears in the trace after the nodes")
	assert.Equal(t, 1, coreCount(tr, sim.Deliver, "client"), "the reply reaches the client")
	assert.ErrorIs(t, s.Inject("client", "nobody", coreMsg{}), sim.ErrUnknownNode)
	assert.ErrorIs(t, s.Inject("", "a", coreMsg{}), sim.ErrInvalidConfig)
}

func TestSimUnknownNodes(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a", "b"}}, coreNew(nil))
	require.NoError(t, err)
	assert.ErrorIs(t, s.Crash("x"), sim.ErrUnknownNode)
	assert.ErrorIs(t, s.Restart("x"), sim.ErrUnknownNode)
	assert.ErrorIs(t, s.Pause("x", time.Second), sim.ErrUnknownNode)
	assert.ErrorIs(t, s.Pause("a", -time.Second), sim.ErrInvalidConfig)
	assert.ErrorIs(t, s.Partition([]string{"a"}, []string{"x"}), sim.ErrUnknownNode)
	assert.ErrorIs(t, s.Partition([]string{"a"}, []string{"b", "a"}), sim.ErrInvalidConfig, "a partition naming a node twice")
	assert.ErrorIs(t, s.Block("a", "x"), sim.ErrUnknownNode)
	assert.ErrorIs(t, s.SetLink("x", "a", sim.LinkConfig{}), sim.ErrUnknownNode)
	assert.ErrorIs(t, s.SetLink("a", "b", sim.LinkConfig{Loss: 2}), sim.ErrInvalidConfig)
	assert.Nil(t, s.Storage("x"))
	_, ok := s.Node("x")
	assert.False(t, ok)
}

func TestSimCrashLosesVolatileKeepsDurable(t *testing.T) {
	// DESIGN.md, "The simulator's shape": a crash discards the node's
	// volatile state; restart rebuilds it from what it persisted.
	s, err := sim.New(sim.Config{Nodes: []string{"a", "b"}}, coreNew(func(id string, e *coreEcho) {
		if id == "a" {
			e.pingsAtStart = 3
		}
	}))
	require.NoError(t, err)
	require.NoError(t, s.RunFor(1500*time.Microsecond))
	assert.Len(t, coreNode(t, s, "b").received, 3)

	require.NoError(t, s.Crash("b"))
	_, up := s.Node("b")
	assert.False(t, up, "a crashed node has no value")
	assert.False(t, s.Up("b"))
	count, ok := s.Storage("b").Get("count")
	require.True(t, ok)
	assert.Equal(t, "3", string(count), "durable storage survives the crash")
	require.NoError(t, s.Crash("b"), "crashing a crashed node does nothing")

	require.NoError(t, s.Inject("a", "b", coreMsg{Kind: "x"}))
	require.NoError(t, s.Run())
	assert.Equal(t, 1, s.Stats().Drops, "a message to a crashed node is dropped")

	require.NoError(t, s.Restart("b"))
	b := coreNode(t, s, "b")
	assert.Empty(t, b.received, "volatile state is lost")
	assert.Equal(t, 1, b.started, "Start runs on the new value")
	require.NoError(t, s.Inject("a", "b", coreMsg{Kind: "x"}))
	require.NoError(t, s.Run())
	count, _ = s.Storage("b").Get("count")
	assert.Equal(t, "4", string(count), "the restarted node continues from its storage")
	require.NoError(t, s.Restart("b"), "restarting a node that is up does nothing")
	assert.Same(t, b, coreNode(t, s, "b"))
	st := s.Stats()
	assert.Equal(t, 1, st.Crashes)
	assert.Equal(t, 1, st.Restarts)
	assert.Equal(t, 1, coreCount(s.Trace(), sim.Crash, "b"))
	assert.Equal(t, 1, coreCount(s.Trace(), sim.Restart, "b"))
}

func TestSimCrashCancelsTimersAndQueuedInputs(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a"}, ServiceTime: 10 * time.Millisecond},
		coreNew(func(_ string, e *coreEcho) { e.tick, e.ticks = 50*time.Millisecond, 1 }))
	require.NoError(t, err)
	coreInjectN(t, s, "c", "a", 3) // arrive at 1ms; served at 11, 21, 31ms
	s.At(15*time.Millisecond, func(s *sim.Sim[coreMsg]) { _ = s.Crash("a") })
	require.NoError(t, s.Run())
	assert.Equal(t, 1, coreCount(s.Trace(), sim.Deliver, "a"), "only the input served before the crash is handled")
	assert.Equal(t, 2, s.Stats().Drops, "the input being served and the queued one are lost")
	assert.Zero(t, coreCount(s.Trace(), sim.Timer, "a"), "the crash cancelled the pending timer")
	assert.Equal(t, 50*time.Millisecond, s.Now(), "the cancelled timer's event still passes, doing nothing")
}

func TestSimRestartStartsTimersAgain(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a", "b"}},
		coreNew(func(id string, e *coreEcho) {
			if id == "a" {
				e.tick, e.ticks = 10*time.Millisecond, 2
			}
		}))
	require.NoError(t, err)
	s.At(5*time.Millisecond, func(s *sim.Sim[coreMsg]) { _ = s.Crash("a") })
	s.At(7*time.Millisecond, func(s *sim.Sim[coreMsg]) { _ = s.Restart("a") })
	require.NoError(t, s.Run())
	var times []time.Duration
	for _, e := range coreEvents(s.Trace(), sim.Timer) {
		times = append(times, e.Time)
	}
	assert.Equal(t, []time.Duration{17 * time.Millisecond, 27 * time.Millisecond}, times,
		"the timer set before the crash never fires; the restarted node's do")
}

func TestSimPauseDelaysProcessing(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a", "b"}}, coreNew(func(id string, e *coreEcho) {
		switch id {
		case "a":
			e.pingsAtStart = 1
		case "b":
			e.tick, e.ticks = 2*time.Millisecond, 1
		}
	}))
	require.NoError(t, err)
	require.NoError(t, s.Pause("b", 10*time.Millisecond))
	require.NoError(t, s.Pause("b", 5*time.Millisecond), "a shorter pause inside a longer one changes nothing")
	require.NoError(t, s.Run())
	b := coreNode(t, s, "b")
	assert.Equal(t, 10*time.Millisecond, b.times[0], "the ping that arrived at 1ms waits for the pause to end")
	assert.Equal(t, []time.Duration{10 * time.Millisecond}, b.fired, "the timer that expired at 2ms fires after the pause")
	assert.Equal(t, 11*time.Millisecond, coreNode(t, s, "a").times[0], "the pong leaves after the pause")
	assert.Equal(t, 1, coreCount(s.Trace(), sim.Pause, "b"))
	resumes := coreEvents(s.Trace(), sim.Resume)
	require.Len(t, resumes, 1)
	assert.Equal(t, 10*time.Millisecond, resumes[0].Time)
	// Inputs queued during the pause are handled in arrival order: the
	// ping (1ms) before the timer (2ms).
	var order []sim.EventKind
	for _, e := range s.Trace().Events {
		if e.Node == "b" && (e.Kind == sim.Deliver || e.Kind == sim.Timer) {
			order = append(order, e.Kind)
		}
	}
	assert.Equal(t, []sim.EventKind{sim.Deliver, sim.Timer}, order[:2])
}

func TestSimPauseExtendsAndCrashEndsIt(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a"}}, coreNew(nil))
	require.NoError(t, err)
	require.NoError(t, s.Pause("a", 5*time.Millisecond))
	s.At(3*time.Millisecond, func(s *sim.Sim[coreMsg]) { _ = s.Pause("a", 5*time.Millisecond) })
	require.NoError(t, s.Inject("c", "a", coreMsg{Kind: "x"}))
	require.NoError(t, s.Run())
	assert.Equal(t, []time.Duration{8 * time.Millisecond}, coreNode(t, s, "a").times, "a longer pause extends the current one")

	require.NoError(t, s.Pause("a", time.Second))
	require.NoError(t, s.Crash("a"))
	require.NoError(t, s.Restart("a"))
	restarted := s.Now()
	require.NoError(t, s.Inject("c", "a", coreMsg{Kind: "x"}))
	require.NoError(t, s.Run())
	assert.Equal(t, []time.Duration{restarted + sim.DefaultLatency}, coreNode(t, s, "a").times, "a restarted node is not paused")
	require.NoError(t, s.Crash("a"))
	require.NoError(t, s.Pause("a", time.Second), "pausing a crashed node does nothing")
	assert.Equal(t, 3, s.Stats().Pauses, "the pause, its extension and the pause before the crash")
}

func TestSimServiceTimeLimitsThroughput(t *testing.T) {
	// DESIGN.md: each message a node handles occupies it for the service
	// time, so a node handles at most 1/ServiceTime messages per second.
	const service = 10 * time.Millisecond
	s, err := sim.New(sim.Config{Nodes: []string{"a"}, ServiceTime: service}, coreNew(nil))
	require.NoError(t, err)
	coreInjectN(t, s, "c", "a", 100) // all arrive at 1ms
	require.NoError(t, s.Run())
	times := coreNode(t, s, "a").times
	require.Len(t, times, 100)
	for i, at := range times {
		assert.Equal(t, sim.DefaultLatency+time.Duration(i+1)*service, at, "input %d is served after the ones before it", i)
	}
	rate := float64(len(times)) / (times[99] - sim.DefaultLatency).Seconds()
	assert.InDelta(t, 1/service.Seconds(), rate, 1e-9, "throughput is 1/ServiceTime")
}

func TestSimServiceTimeDuringPause(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a"}, ServiceTime: 10 * time.Millisecond}, coreNew(nil))
	require.NoError(t, err)
	require.NoError(t, s.Inject("c", "a", coreMsg{Kind: "x"})) // served 1ms..11ms
	s.At(5*time.Millisecond, func(s *sim.Sim[coreMsg]) { _ = s.Pause("a", 20*time.Millisecond) })
	require.NoError(t, s.Run())
	assert.Equal(t, []time.Duration{25 * time.Millisecond}, coreNode(t, s, "a").times, "an input in service completes when the pause ends")
}

func TestSimClockSkewAndDrift(t *testing.T) {
	clocks := map[string]sim.ClockConfig{
		"fast": {Offset: 5 * time.Second, Drift: 1}, // runs twice as fast, 5s ahead
		"slow": {Offset: -time.Second, Drift: -0.5}, // runs at half speed, 1s behind
	}
	s, err := sim.New(sim.Config{Nodes: []string{"fast", "slow", "ok"}, Clocks: clocks}, coreNew(func(id string, e *coreEcho) {
		e.tick, e.ticks = 10*time.Millisecond, 1
		if id == "ok" {
			e.pingsAtStart = 1
		}
	}))
	require.NoError(t, err)
	require.NoError(t, s.Run())
	fast, slow, ok := coreNode(t, s, "fast"), coreNode(t, s, "slow"), coreNode(t, s, "ok")
	// ok's ping arrives at true time 1ms.
	assert.Equal(t, 5*time.Second+2*time.Millisecond, fast.times[0], "Now = Offset + (1+Drift)·t")
	assert.Equal(t, -time.Second+500*time.Microsecond, slow.times[0])
	// A timer of 10ms of local time: 5ms of true time on the fast clock,
	// 20ms on the slow one, 10ms on a perfect one.
	assert.Equal(t, []time.Duration{5*time.Second + 10*time.Millisecond}, fast.fired)
	assert.Equal(t, []time.Duration{-time.Second + 10*time.Millisecond}, slow.fired)
	assert.Equal(t, []time.Duration{10 * time.Millisecond}, ok.fired)
	trueTimes := map[string]time.Duration{}
	for _, e := range coreEvents(s.Trace(), sim.Timer) {
		trueTimes[e.Node] = e.Time
	}
	assert.Equal(t, map[string]time.Duration{"fast": 5 * time.Millisecond, "slow": 20 * time.Millisecond, "ok": 10 * time.Millisecond}, trueTimes,
		"a fast clock fires its timers early in true time, a slow one late")
}

// coreBoom panics when it receives "boom".
type coreBoom struct{ coreEcho }

func (b *coreBoom) Receive(ctx *sim.Context[coreMsg], from string, m coreMsg) {
	if m.Kind == "boom" {
		panic("boom at " + strconv.Itoa(m.N))
	}
	b.coreEcho.Receive(ctx, from, m)
}

func TestSimNodePanic(t *testing.T) {
	s, err := sim.New(sim.Config{Seed: 42, Nodes: []string{"a", "b"}}, func(id string) sim.Node[coreMsg] {
		return &coreBoom{coreEcho{pingsAtStart: 1}}
	})
	require.NoError(t, err)
	require.NoError(t, s.Inject("a", "b", coreMsg{Kind: "boom", N: 7}))
	err = s.Run()
	require.ErrorIs(t, err, sim.ErrNodePanic)
	var pe *sim.NodePanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "b", pe.Node)
	assert.Equal(t, uint64(42), pe.Seed)
	assert.Equal(t, "boom at 7", pe.Value)
	assert.Equal(t, sim.DefaultLatency, pe.Time)
	assert.Contains(t, pe.Stack, "coreBoom", "the stack shows where the node panicked")
	assert.Contains(t, err.Error(), "seed 42", "the message gives the seed to replay the run")
	require.NotNil(t, pe.Trace)
	last := pe.Trace.Events[len(pe.Trace.Events)-1]
	assert.Equal(t, sim.Deliver, last.Kind, "the trace ends with the delivery that made b panic")
	assert.Equal(t, "boom 7", last.Text)
	ok, err2 := s.Step()
	assert.False(t, ok)
	assert.Same(t, err, err2, "the run stays stopped")
	assert.ErrorIs(t, s.RunFor(time.Second), sim.ErrNodePanic)
}

func TestSimPanicInStartOrFactory(t *testing.T) {
	_, err := sim.New(sim.Config{Nodes: []string{"a"}}, func(string) sim.Node[coreMsg] {
		return &coreFunc[coreMsg]{start: func(*sim.Context[coreMsg]) { panic("no disk") }}
	})
	var pe *sim.NodePanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "no disk", pe.Value)

	restarts := 0
	s, err := sim.New(sim.Config{Nodes: []string{"a"}}, func(string) sim.Node[coreMsg] {
		restarts++
		if restarts > 1 {
			panic("factory")
		}
		return &coreEcho{}
	})
	require.NoError(t, err)
	require.NoError(t, s.Crash("a"))
	err = s.Restart("a")
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "factory", pe.Value)

	_, err = sim.New(sim.Config{Nodes: []string{"a"}}, func(string) sim.Node[coreMsg] { return nil })
	assert.ErrorIs(t, err, sim.ErrInvalidConfig, "a factory returning nil")
	_, err = sim.New[coreMsg](sim.Config{Nodes: []string{"a"}}, nil)
	assert.ErrorIs(t, err, sim.ErrInvalidConfig, "a nil factory")
}

// coreFaultyConfig is a configuration with every kind of randomness.
func coreFaultyConfig(seed uint64) sim.Config {
	return sim.Config{
		Seed:  seed,
		Nodes: []string{"a", "b", "c", "d"},
		Link: sim.LinkConfig{
			Latency:   sim.Exponential(3 * time.Millisecond),
			Loss:      0.1,
			Duplicate: 0.1,
		},
		Links:       map[[2]string]sim.LinkConfig{{"a", "b"}: {Latency: sim.Normal(5*time.Millisecond, 2*time.Millisecond), Bandwidth: 1e5}},
		Clocks:      map[string]sim.ClockConfig{"c": {Drift: 0.01}},
		ServiceTime: 100 * time.Microsecond,
	}
}

// coreRun runs coreFaultyConfig with timers, random peers, a crash, a
// pause and a partition, and returns its trace and stats.
func coreRun(t *testing.T, seed uint64) (*sim.Trace, sim.Stats) {
	t.Helper()
	s, err := sim.New(coreFaultyConfig(seed), coreNew(func(_ string, e *coreEcho) {
		e.pingsAtStart = 2
		e.tick, e.ticks = 3*time.Millisecond, 10
	}))
	require.NoError(t, err)
	s.At(4*time.Millisecond, func(s *sim.Sim[coreMsg]) { _ = s.Crash("b") })
	s.At(9*time.Millisecond, func(s *sim.Sim[coreMsg]) { _ = s.Restart("b") })
	s.At(6*time.Millisecond, func(s *sim.Sim[coreMsg]) { _ = s.Pause("c", 4*time.Millisecond) })
	s.At(10*time.Millisecond, func(s *sim.Sim[coreMsg]) { _ = s.Partition([]string{"a", "b"}) })
	s.At(20*time.Millisecond, func(s *sim.Sim[coreMsg]) { s.Heal() })
	require.NoError(t, s.Inject("client", "a", coreMsg{Kind: "req"}))
	require.NoError(t, s.Run())
	return s.Trace(), s.Stats()
}

func TestSimSameSeedSameTrace(t *testing.T) {
	tr1, st1 := coreRun(t, 7)
	tr2, st2 := coreRun(t, 7)
	require.NotEmpty(t, tr1.Events)
	assert.Equal(t, fmt.Sprintf("%+v", tr1), fmt.Sprintf("%+v", tr2), "the same seed gives a byte-identical trace")
	assert.Equal(t, tr1, tr2)
	assert.Equal(t, st1, st2)
	different := 0
	for seed := uint64(8); seed < 13; seed++ {
		tr3, _ := coreRun(t, seed)
		if fmt.Sprintf("%+v", tr3.Events) != fmt.Sprintf("%+v", tr1.Events) {
			different++
		}
	}
	assert.Equal(t, 5, different, "different seeds give different runs")
}

func TestSimEventLimit(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a", "b"}, MaxEvents: 25},
		coreNew(func(_ string, e *coreEcho) { e.tick, e.ticks = time.Millisecond, 1<<30 }))
	require.NoError(t, err)
	err = s.Run()
	require.ErrorIs(t, err, sim.ErrEventLimit, "a protocol that never falls silent hits the limit")
	assert.Equal(t, 25, s.Stats().Events)

	s, err = sim.New(sim.Config{Nodes: []string{"a", "b"}},
		coreNew(func(_ string, e *coreEcho) { e.tick, e.ticks = time.Millisecond, 1<<30 }))
	require.NoError(t, err)
	require.NoError(t, s.RunFor(100*time.Millisecond), "RunFor is the way to run it")
	assert.Equal(t, 100*time.Millisecond, s.Now())
	assert.Equal(t, 100, coreNode(t, s, "a").ticked)
	assert.ErrorIs(t, s.RunFor(-time.Second), sim.ErrInvalidConfig)
}

func TestSimRunUntil(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a", "b"}}, coreNew(func(id string, e *coreEcho) {
		if id == "a" {
			e.pingsAtStart = 3
		}
	}))
	require.NoError(t, err)
	a := coreNode(t, s, "a")
	require.NoError(t, s.RunUntil(func() bool { return len(a.received) == 1 }))
	assert.Len(t, a.received, 1)
	assert.Equal(t, 2*time.Millisecond, s.Now())
	err = s.RunUntil(func() bool { return false })
	assert.ErrorIs(t, err, sim.ErrQuiescent)
	assert.Len(t, a.received, 3)
}

func TestSimAtInThePastRunsNow(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a"}}, coreNew(nil))
	require.NoError(t, err)
	require.NoError(t, s.RunFor(time.Second))
	var at time.Duration
	s.At(0, func(s *sim.Sim[coreMsg]) { at = s.Now() })
	s.At(time.Second, nil)
	assert.Equal(t, 1, s.Pending(), "a nil action is ignored")
	require.NoError(t, s.Run())
	assert.Equal(t, time.Second, at, "time never goes backwards")
}

func TestSimNoTrace(t *testing.T) {
	cfg := coreFaultyConfig(1)
	cfg.NoTrace = true
	s, err := sim.New(cfg, coreNew(func(_ string, e *coreEcho) { e.pingsAtStart = 3 }))
	require.NoError(t, err)
	require.NoError(t, s.Run())
	assert.Empty(t, s.Trace().Events)
	assert.Equal(t, cfg.Nodes, s.Trace().Nodes)
	assert.Positive(t, s.Stats().Deliveries, "stats are kept without a trace")
}

func TestSimCancelAndReplaceTimers(t *testing.T) {
	var fired []string
	s, err := sim.New(sim.Config{Nodes: []string{"a"}}, func(string) sim.Node[coreMsg] {
		return &coreFunc[coreMsg]{
			start: func(ctx *sim.Context[coreMsg]) {
				ctx.SetTimer("x", 10*time.Millisecond)
				ctx.SetTimer("x", 20*time.Millisecond) // replaces the first
				ctx.SetTimer("y", 5*time.Millisecond)
				ctx.CancelTimer("y")
				ctx.SetTimer("z", 30*time.Millisecond)
			},
			timeout: func(ctx *sim.Context[coreMsg], name string) {
				fired = append(fired, fmt.Sprint(name, "@", ctx.Now()))
			},
		}
	})
	require.NoError(t, err)
	require.NoError(t, s.Run())
	assert.Equal(t, []string{"x@20ms", "z@30ms"}, fired)
	assert.Equal(t, 2, s.Stats().Timers)
	assert.True(t, errors.Is(s.Crash("a"), nil))
}

func TestSimHugeDurationsSaturate(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a"}}, func(string) sim.Node[coreMsg] {
		return &coreFunc[coreMsg]{start: func(ctx *sim.Context[coreMsg]) { ctx.SetTimer("never", math.MaxInt64) }}
	})
	require.NoError(t, err)
	require.NoError(t, s.RunFor(time.Hour))
	require.NoError(t, s.Pause("a", math.MaxInt64))
	require.NoError(t, s.Run())
	assert.Equal(t, time.Duration(math.MaxInt64), s.Now(), "time saturates instead of wrapping into the past")
	assert.Equal(t, 1, s.Stats().Timers)
}
