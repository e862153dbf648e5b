package simtest_test

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/eventually-perfect/primitives/sim"
	"github.com/eventually-perfect/primitives/sim/simtest"
)

// TestScheduleDrawWithinLimits checks the documented limits of a drawn
// schedule.
func TestScheduleDrawWithinLimits(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 5).Draw(t, "n")
		nodes := []string{"a", "b", "c", "d", "e"}[:n]
		horizon := time.Duration(rapid.Int64Range(1, int64(time.Hour)).Draw(t, "horizon"))
		s := simtest.DrawSchedule(t, nodes, horizon)
		step := max(horizon/simtest.Steps, 1)

		require.NoError(t, s.Validate(nodes), "a drawn schedule is valid for its nodes")
		assert.LessOrEqual(t, len(s.Faults), simtest.MaxFaults, "a schedule has at most MaxFaults faults")
		assert.True(t, slices.IsSortedFunc(s.Faults, func(a, b simtest.Fault) int { return int(a.At - b.At) }),
			"faults are sorted by start time: %v", s)
		for _, f := range s.Faults {
			assert.GreaterOrEqual(t, f.At, time.Duration(0), "%v starts before 0", f)
			assert.LessOrEqual(t, f.End(), horizon, "%v ends after the horizon %v", f, horizon)
			assert.GreaterOrEqual(t, f.For, step, "%v lasts less than a step", f)
			assert.Zero(t, f.At%step, "%v does not start on the grid of %v", f, step)
			assert.Zero(t, f.For%step, "%v does not last a whole number of steps", f)
			if n == 1 {
				assert.Contains(t, []simtest.FaultKind{simtest.Crash, simtest.Pause}, f.Kind, "one node: only crashes and pauses")
			}
			switch f.Kind {
			case simtest.Partition:
				assert.NotEmpty(t, f.Nodes, "a partition has two non-empty sides")
				assert.NotEmpty(t, f.Others, "a partition has two non-empty sides")
				assert.ElementsMatch(t, nodes, slices.Concat(f.Nodes, f.Others), "the sides of a partition cover the nodes")
			case simtest.Loss:
				tenths := f.Loss * 10
				assert.True(t, f.Loss >= 0.1 && f.Loss <= 1 && tenths == float64(int(tenths+0.5)),
					"loss %v is not a multiple of 10%% in [10%%, 100%%]", f.Loss)
			}
		}
	})
}

func TestScheduleDrawOfKinds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := simtest.DrawScheduleOf(t, []string{"a", "b", "c"}, time.Second, simtest.Partition, simtest.Block)
		for _, f := range s.Faults {
			assert.Contains(t, []simtest.FaultKind{simtest.Partition, simtest.Block}, f.Kind, "only the kinds asked for are drawn")
		}
		one := simtest.DrawScheduleOf(t, []string{"a"}, time.Second, simtest.Partition)
		assert.Empty(t, one.Faults, "a partition needs two nodes")
	})
}

// reg is a one-value register replica: it keeps the last value a client
// sent it, in memory only (forgetful) or also on disk (durable), and
// acknowledges it to the sender.
type reg struct {
	durable bool
	value   int
}

func (r *reg) Start(ctx *sim.Context[int]) {
	if b, ok := ctx.Storage().Get("v"); ok && r.durable {
		r.value = int(b[0])
	}
}

func (r *reg) Receive(ctx *sim.Context[int], from string, v int) {
	if r.durable {
		ctx.Storage().Put("v", []byte{byte(v)})
	}
	r.value = v
	ctx.Send(from, v)
}

func (r *reg) Timeout(*sim.Context[int], string) {}

func newSim(t require.TestingT, durable bool, nodes ...string) *sim.Sim[int] {
	s, err := sim.New(sim.Config{Seed: 1, Nodes: nodes}, func(string) sim.Node[int] { return &reg{durable: durable} })
	require.NoError(t, err)
	return s
}

// faultLog lists the trace's crash, restart, pause, resume and fault
// events as "time kind node text".
func faultLog(tr *sim.Trace) []string {
	var out []string
	for _, e := range tr.Events {
		switch e.Kind {
		case sim.Crash, sim.Restart, sim.Pause, sim.Resume, sim.Fault:
			out = append(out, strings.TrimSpace(fmt.Sprintf("%v %s %s", e.Time, kind(e.Kind), strings.TrimSpace(e.Node+" "+e.Text))))
		}
	}
	return out
}

func kind(k sim.EventKind) string {
	return map[sim.EventKind]string{sim.Crash: "crash", sim.Restart: "restart", sim.Pause: "pause", sim.Resume: "resume", sim.Fault: "fault"}[k]
}

func TestScheduleApplyCrashRestart(t *testing.T) {
	s := newSim(t, false, "a", "b")
	ms := time.Millisecond
	sched := simtest.Schedule{Faults: []simtest.Fault{
		{Kind: simtest.Crash, At: 10 * ms, For: 40 * ms, Nodes: []string{"a"}},
		// a is already down: this crash and its restart do nothing.
		{Kind: simtest.Crash, At: 20 * ms, For: 10 * ms, Nodes: []string{"a"}},
		{Kind: simtest.Crash, At: 20 * ms, For: 10 * ms, Nodes: []string{"b"}},
	}}
	require.NoError(t, simtest.Apply(s, sched))
	require.NoError(t, s.RunFor(35*ms))
	assert.False(t, s.Up("a"), "a crashed at 10ms and restarts at 50ms: the overlapping crash must not restart it at 30ms")
	assert.True(t, s.Up("b"), "b restarted at 30ms")
	require.NoError(t, s.Run())
	assert.True(t, s.Up("a"), "every crashed node restarts")
	assert.Equal(t, []string{"10ms crash a", "20ms crash b", "30ms restart b", "50ms restart a"}, faultLog(s.Trace()))
}

func TestScheduleApplyNetworkFaultsOverlap(t *testing.T) {
	s := newSim(t, false, "a", "b", "c")
	ms := time.Millisecond
	sched := simtest.Schedule{Faults: []simtest.Fault{
		{Kind: simtest.Partition, At: 10 * ms, For: 20 * ms, Nodes: []string{"a"}, Others: []string{"b", "c"}},
		{Kind: simtest.Block, At: 15 * ms, For: 30 * ms, Nodes: []string{"b", "c"}},
		{Kind: simtest.Partition, At: 20 * ms, For: 5 * ms, Nodes: []string{"a", "b"}, Others: []string{"c"}},
	}}
	require.NoError(t, simtest.Apply(s, sched))
	require.NoError(t, s.Run())
	assert.Equal(t, []string{
		"10ms fault partition a | b c",
		"15ms fault block b->c",
		"20ms fault partition a b | c",
		// The second partition ends: heal, then restore what is still
		// under way (the first partition and the block).
		"25ms fault heal", "25ms fault partition a | b c", "25ms fault block b->c",
		"30ms fault heal", "30ms fault block b->c",
		"45ms fault heal",
	}, faultLog(s.Trace()))
}

func TestScheduleApplyPauseAndLoss(t *testing.T) {
	nodes := []string{"a", "b"}
	cfg := sim.Config{Seed: 1, Nodes: nodes, Links: map[[2]string]sim.LinkConfig{{"a", "b"}: {Latency: sim.Constant(3 * time.Millisecond)}}}
	s, err := sim.New(cfg, func(string) sim.Node[int] { return &reg{} })
	require.NoError(t, err)
	ms := time.Millisecond
	sched := simtest.Schedule{Faults: []simtest.Fault{
		{Kind: simtest.Pause, At: 5 * ms, For: 10 * ms, Nodes: []string{"b"}},
		{Kind: simtest.Loss, At: 10 * ms, For: 20 * ms, Nodes: []string{"a", "b"}, Loss: 0.5},
		{Kind: simtest.Loss, At: 12 * ms, For: 3 * ms, Nodes: []string{"a", "b"}, Loss: 1},
		{Kind: simtest.Loss, At: 12 * ms, For: 3 * ms, Nodes: []string{"b", "a"}, Loss: 1},
	}}
	require.NoError(t, simtest.Apply(s, sched))
	require.NoError(t, s.Run())
	assert.Equal(t, []string{
		"5ms pause b 10ms",
		"10ms fault link a->b constant(3ms) loss=0.5",
		"12ms fault link a->b constant(3ms) loss=1",
		"12ms fault link b->a constant(1ms) loss=1",
		// The highest loss under way applies; at the end the configured
		// link comes back, latency included.
		"15ms fault link a->b constant(3ms) loss=0.5",
		"15ms fault link b->a constant(1ms)",
		"15ms resume b",
		"30ms fault link a->b constant(3ms)",
	}, faultLog(s.Trace()))
}

func TestScheduleApplyRejectsBadSchedules(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		name string
		f    simtest.Fault
		err  error
	}{
		{"unknown node", simtest.Fault{Kind: simtest.Crash, At: ms, For: ms, Nodes: []string{"z"}}, sim.ErrUnknownNode},
		{"unknown partition node", simtest.Fault{Kind: simtest.Partition, At: ms, For: ms, Nodes: []string{"a"}, Others: []string{"z"}}, sim.ErrUnknownNode},
		{"no kind", simtest.Fault{At: ms, For: ms, Nodes: []string{"a"}}, sim.ErrInvalidConfig},
		{"negative time", simtest.Fault{Kind: simtest.Crash, At: -ms, For: ms, Nodes: []string{"a"}}, sim.ErrInvalidConfig},
		{"zero duration", simtest.Fault{Kind: simtest.Pause, At: ms, Nodes: []string{"a"}}, sim.ErrInvalidConfig},
		{"two nodes for a crash", simtest.Fault{Kind: simtest.Crash, At: ms, For: ms, Nodes: []string{"a", "b"}}, sim.ErrInvalidConfig},
		{"self link", simtest.Fault{Kind: simtest.Block, At: ms, For: ms, Nodes: []string{"a", "a"}}, sim.ErrInvalidConfig},
		{"node on both sides", simtest.Fault{Kind: simtest.Partition, At: ms, For: ms, Nodes: []string{"a"}, Others: []string{"a"}}, sim.ErrInvalidConfig},
		{"empty side", simtest.Fault{Kind: simtest.Partition, At: ms, For: ms, Others: []string{"a"}}, sim.ErrInvalidConfig},
		{"loss above 1", simtest.Fault{Kind: simtest.Loss, At: ms, For: ms, Nodes: []string{"a", "b"}, Loss: 1.5}, sim.ErrInvalidConfig},
		{"loss NaN", simtest.Fault{Kind: simtest.Loss, At: ms, For: ms, Nodes: []string{"a", "b"}, Loss: nan()}, sim.ErrInvalidConfig},
		{"loss on a crash", simtest.Fault{Kind: simtest.Crash, At: ms, For: ms, Nodes: []string{"a"}, Loss: 0.5}, sim.ErrInvalidConfig},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newSim(t, false, "a", "b")
			before := s.Pending()
			good := simtest.Fault{Kind: simtest.Crash, At: ms, For: ms, Nodes: []string{"b"}}
			err := simtest.Apply(s, simtest.Schedule{Faults: []simtest.Fault{good, c.f}})
			assert.ErrorIs(t, err, c.err)
			assert.Equal(t, before, s.Pending(), "a rejected schedule schedules nothing, not even its valid faults")
		})
	}
}

func nan() float64 {
	zero := 0.0
	return zero / zero
}

func TestScheduleString(t *testing.T) {
	ms := time.Millisecond
	s := simtest.Schedule{Faults: []simtest.Fault{
		{Kind: simtest.Crash, At: 120 * ms, For: 30 * ms, Nodes: []string{"b"}},
		{Kind: simtest.Partition, At: 200 * ms, For: 100 * ms, Nodes: []string{"a"}, Others: []string{"b", "c"}},
		{Kind: simtest.Block, At: 250 * ms, For: 150 * ms, Nodes: []string{"a", "c"}},
		{Kind: simtest.Pause, At: 300 * ms, For: 50 * ms, Nodes: []string{"c"}},
		{Kind: simtest.Loss, At: 310 * ms, For: 190 * ms, Nodes: []string{"a", "b"}, Loss: 0.5},
	}}
	assert.Equal(t, `5 faults:
  crash b at 120ms, restart at 150ms
  partition a | b c at 200ms, heal at 300ms
  block a->c at 250ms, heal at 400ms
  pause c at 300ms for 50ms
  loss 50% on a->b at 310ms, restore at 500ms`, s.String())
	assert.Equal(t, "no faults", simtest.Schedule{}.String())
	assert.Equal(t, "1 fault: pause c at 300ms for 50ms", simtest.Schedule{Faults: s.Faults[3:4]}.String())
	assert.Equal(t, `simtest.Schedule{Faults: []simtest.Fault{simtest.Fault{Kind: simtest.Crash, At: 120 * time.Millisecond, For: 30 * time.Millisecond, Nodes: []string{"b"}}, `+
		`simtest.Fault{Kind: simtest.Loss, At: 1500 * time.Microsecond, For: 7, Nodes: []string{"a", "b"}, Loss: 0.5}}}`,
		fmt.Sprintf("%#v", simtest.Schedule{Faults: []simtest.Fault{s.Faults[0], {Kind: simtest.Loss, At: 1500 * time.Microsecond, For: 7, Nodes: []string{"a", "b"}, Loss: 0.5}}}))
	assert.Equal(t, "FaultKind(9)", simtest.FaultKind(9).String())
}

// recorder is a rapid.TB that records what rapid reports instead of
// failing the test, so that a test can run a property that is meant to
// fail and look at the counterexample rapid shrank it to.
type recorder struct {
	failed bool
	logs   []string
}

func (r *recorder) Helper()      {}
func (r *recorder) Name() string { return "TestScheduleShrinks" }
func (r *recorder) Logf(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}
func (r *recorder) Log(args ...any)                   { r.logs = append(r.logs, fmt.Sprint(args...)) }
func (r *recorder) Skipf(string, ...any)              {}
func (r *recorder) Skip(...any)                       {}
func (r *recorder) SkipNow()                          {}
func (r *recorder) Errorf(format string, args ...any) { r.Logf(format, args...); r.failed = true }
func (r *recorder) Error(args ...any)                 { r.Log(args...); r.failed = true }
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }
func (r *recorder) Fatal(args ...any)                 { r.Error(args...) }
func (r *recorder) FailNow()                          { r.failed = true }
func (r *recorder) Fail()                             { r.failed = true }
func (r *recorder) Failed() bool                      { return r.failed }

// setFlag sets a command-line flag for the duration of a test.
func setFlag(t *testing.T, name, value string) {
	f := flag.Lookup(name)
	require.NotNil(t, f, "flag %s", name)
	old := f.Value.String()
	require.NoError(t, flag.Set(name, value))
	t.Cleanup(func() { _ = flag.Set(name, old) })
}

// registerProperty is the property "a replica that acknowledged a write
// still holds the value, whatever faults happened meanwhile", on a
// register that keeps its value in memory (forgetful) or also on disk
// (durable). It records the last schedule it ran.
func registerProperty(durable bool, last *simtest.Schedule) func(*rapid.T) {
	return func(t *rapid.T) {
		nodes := []string{"a", "b", "c"}
		s := newSim(t, durable, nodes...)
		// A horizon of 10s makes a step 10ms, longer than a write and its
		// acknowledgement take.
		sched := simtest.DrawSchedule(t, nodes, 10*time.Second)
		*last = sched
		require.NoError(t, simtest.Apply(s, sched))
		for _, n := range nodes {
			require.NoError(t, s.Inject("client", n, 7))
		}
		require.NoError(t, s.Run())
		for _, e := range s.Trace().Events {
			if e.Kind != sim.Send || e.Peer != "client" {
				continue
			}
			node, up := s.Node(e.Node)
			if !up || node.(*reg).value != 7 {
				t.Fatalf("replica %s lost a write it acknowledged (an acknowledged write must survive crashes) under %v", e.Node, sched)
			}
		}
	}
}

// TestScheduleShrinksToOneCrash runs a property that a forgetful register
// breaks and checks what rapid reports: not the first failing schedule it
// drew (typically several overlapping faults), but the minimal one, a
// single crash of the first node one step after the start (after it
// acknowledged the write; a crash at time 0 loses the write before it is
// acknowledged, which breaks no promise) for one step. Network faults and
// pauses cannot break this register (clients are never partitioned off,
// and the replicas do not talk to one another), so the shrunk schedule
// shows exactly the fault the protocol does not survive.
func TestScheduleShrinksToOneCrash(t *testing.T) {
	setFlag(t, "rapid.nofailfile", "true") // the failure is expected: keep testdata clean
	setFlag(t, "rapid.seed", "1")          // a fixed seed, so the test does not depend on luck
	var last simtest.Schedule
	rec := &recorder{}
	rapid.Check(rec, registerProperty(false, &last))

	require.True(t, rec.failed, "the forgetful register must fail under some schedule")
	step := 10 * time.Millisecond
	want := simtest.Schedule{Faults: []simtest.Fault{{Kind: simtest.Crash, At: step, For: step, Nodes: []string{"a"}}}}
	assert.Equal(t, want, last, "rapid should shrink the failure to one crash of a after one step, for one step, not %v", last)
	log := strings.Join(rec.logs, "\n")
	assert.Contains(t, log, "[simtest] schedule: 1 fault: crash a at 10ms, restart at 20ms", "the failure message names the shrunk schedule")
	assert.Contains(t, log, "replica a lost a write it acknowledged")
}

// TestScheduleDurableRegisterSurvives is the same property on the register
// that persists before it acknowledges: it holds under every schedule.
func TestScheduleDurableRegisterSurvives(t *testing.T) {
	var last simtest.Schedule
	rapid.Check(t, registerProperty(true, &last))
}

// TestScheduleReplays checks that the same schedule applied to the same
// configuration gives the same run.
func TestScheduleReplays(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nodes := []string{"a", "b", "c"}
		sched := simtest.DrawSchedule(t, nodes, time.Second)
		run := func() string {
			s := newSim(t, true, nodes...)
			require.NoError(t, simtest.Apply(s, sched))
			for _, n := range nodes {
				require.NoError(t, s.Inject("client", n, 1))
			}
			require.NoError(t, s.Run())
			var b strings.Builder
			require.NoError(t, s.Trace().WriteTranscript(&b))
			return b.String()
		}
		assert.Equal(t, run(), run(), "the same schedule and seed must give the same trace")
	})
}
