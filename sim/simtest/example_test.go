package simtest_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"pgregory.net/rapid"

	"github.com/eventually-perfect/primitives/sim"
	"github.com/eventually-perfect/primitives/sim/simtest"
)

// pinger answers every ping with a pong.
type pinger struct{}

func (pinger) Start(*sim.Context[string]) {}
func (pinger) Receive(ctx *sim.Context[string], from string, m string) {
	if m == "ping" {
		ctx.Send(from, "pong")
	}
}
func (pinger) Timeout(*sim.Context[string], string) {}

// A property test draws a schedule with DrawSchedule inside rapid.Check;
// here rapid's Example draws one outside a test.
func ExampleDrawSchedule() {
	nodes := []string{"a", "b", "c"}
	gen := rapid.Custom(func(t *rapid.T) simtest.Schedule {
		return simtest.DrawSchedule(t, nodes, time.Second)
	})
	s := gen.Example(1)
	fmt.Println(s.Validate(nodes) == nil)
	fmt.Println(s)
	// Output:
	// true
	// 4 faults:
	//   pause b at 0s for 438ms
	//   loss 80% on a->b at 146ms, restore at 147ms
	//   block c->b at 193ms, heal at 311ms
	//   loss 30% on b->a at 230ms, restore at 593ms
}

func ExampleApply() {
	s, err := sim.New(sim.Config{Seed: 1, Nodes: []string{"a", "b"}}, func(string) sim.Node[string] { return pinger{} })
	if err != nil {
		fmt.Println(err)
		return
	}
	sched := simtest.Schedule{Faults: []simtest.Fault{
		{Kind: simtest.Partition, At: 0, For: 10 * time.Millisecond, Nodes: []string{"a"}, Others: []string{"b"}},
		{Kind: simtest.Crash, At: 20 * time.Millisecond, For: 5 * time.Millisecond, Nodes: []string{"b"}},
	}}
	if err := simtest.Apply(s, sched); err != nil {
		fmt.Println(err)
		return
	}
	// a pings b three times: during the partition, after it, and while b
	// is down.
	for _, at := range []time.Duration{5, 15, 22} {
		s.At(at*time.Millisecond, func(s *sim.Sim[string]) {
			if err := s.Inject("a", "b", "ping"); err != nil {
				fmt.Println(err)
			}
		})
	}
	if err := s.Run(); err != nil {
		fmt.Println(err)
		return
	}
	if err := s.Trace().WriteTranscript(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// # trace: seed 1, 12 events, nodes: a b
	// seq  time  node  kind     peer  msg  lamport  vector      text
	//   0  0s    -     fault    -     -    -        -           partition a | b
	//   1  5ms   a     send     b     m1   1        {a:1}       ping
	//   2  5ms   a     drop     b     m1   -        -           ping
	//   3  10ms  -     fault    -     -    -        -           heal
	//   4  15ms  a     send     b     m2   2        {a:2}       ping
	//   5  16ms  b     deliver  a     m2   3        {a:2, b:1}  ping
	//   6  16ms  b     send     a     m3   4        {a:2, b:2}  pong
	//   7  17ms  a     deliver  b     m3   5        {a:3, b:2}  pong
	//   8  20ms  b     crash    -     -    5        {a:2, b:3}
	//   9  22ms  a     send     b     m4   6        {a:4, b:2}  ping
	//  10  23ms  a     drop     b     m4   -        -           ping
	//  11  25ms  b     restart  -     -    6        {a:2, b:4}
}

func ExampleSchedule() {
	s := simtest.Schedule{Faults: []simtest.Fault{
		{Kind: simtest.Crash, At: 120 * time.Millisecond, For: 30 * time.Millisecond, Nodes: []string{"b"}},
		{Kind: simtest.Loss, At: 310 * time.Millisecond, For: 190 * time.Millisecond, Nodes: []string{"a", "b"}, Loss: 0.5},
	}}
	fmt.Println(s)
	fmt.Println(s.Validate([]string{"a", "b"}))
	fmt.Println(s.Validate([]string{"a"}))
	// Output:
	// 2 faults:
	//   crash b at 120ms, restart at 150ms
	//   loss 50% on a->b at 310ms, restore at 500ms
	// <nil>
	// simtest: fault 0 (crash b at 120ms, restart at 150ms): node "b": unknown node
}

func ExampleFault() {
	f := simtest.Fault{Kind: simtest.Block, At: time.Second, For: 2 * time.Second, Nodes: []string{"a", "c"}}
	fmt.Println(f)
	fmt.Println(f.End())
	fmt.Printf("%#v\n", f) // paste into a regression test
	// Output:
	// block a->c at 1s, heal at 3s
	// 3s
	// simtest.Fault{Kind: simtest.Block, At: 1 * time.Second, For: 2 * time.Second, Nodes: []string{"a", "c"}}
}

func ExampleFaultKind() {
	for _, k := range []simtest.FaultKind{simtest.Crash, simtest.Partition, simtest.Block, simtest.Pause, simtest.Loss, simtest.Hold} {
		fmt.Printf("%v %#v\n", k, k)
	}
	// Output:
	// crash simtest.Crash
	// partition simtest.Partition
	// block simtest.Block
	// pause simtest.Pause
	// loss simtest.Loss
	// hold simtest.Hold
}

// Draw with roles and classes of messages: faults on fixed nodes, faults
// aimed at a role, and hold-backs of a class.
func ExampleDraw() {
	nodes := []string{"a", "b", "c", "d", "e"}
	o := simtest.Options{Roles: []string{"leader", "quorum"}, Messages: []string{"catch-up"}, MaxFaults: 6}
	gen := rapid.Custom(func(t *rapid.T) simtest.Schedule {
		return simtest.Draw(t, nodes, time.Second, o)
	})
	fmt.Println(gen.Example(57))
	// Output:
	// 6 faults:
	//   block c->a at 0s, heal at 1ms
	//   crash a at 0s, restart at 9ms
	//   crash c at 2ms, restart at 24ms
	//   crash b at 4ms, restart at 898ms
	//   partition {quorum} | rest at 15ms, heal at 534ms
	//   hold catch-up on {quorum}->{leader} at 207ms, release at 209ms
}

// Options say what Draw may use; a schedule drawn with roles needs
// ApplyWith and Targets that resolve them.
func ExampleOptions() {
	o := simtest.Options{
		Kinds:     []simtest.FaultKind{simtest.Crash, simtest.Hold},
		Roles:     []string{"leader"},
		Messages:  []string{"heartbeat"},
		MaxFaults: 8,
	}
	gen := rapid.Custom(func(t *rapid.T) simtest.Schedule {
		return simtest.Draw(t, []string{"a", "b", "c"}, time.Second, o)
	})
	fmt.Println(gen.Example(5))
	// Output:
	// 6 faults:
	//   hold heartbeat on {leader}->* at 0s, release at 2ms
	//   crash b at 4ms, restart at 6ms
	//   crash {leader} at 17ms, restart at 19ms
	//   hold heartbeat on c->b at 52ms, release at 60ms
	//   crash {leader} at 836ms, restart at 928ms
	//   crash {leader} at 876ms, restart at 886ms
}

// Swarm testing: each run first draws which features it uses, then a
// schedule of those only.
func ExampleDrawSwarm() {
	o := simtest.Options{Roles: []string{"leader"}, Messages: []string{"catch-up"}}
	gen := rapid.Custom(func(t *rapid.T) string {
		sw := simtest.DrawSwarm(t, o)
		return sw.String() + "\n" + sw.Draw(t, []string{"a", "b", "c"}, time.Second).String()
	})
	for _, seed := range []int{0, 1} {
		fmt.Println(gen.Example(seed))
	}
	// Output:
	// crash×2 partition×2 loss×1 | targets: fixed {leader} | messages: all
	// 4 faults:
	//   partition {leader} | rest at 5ms, heal at 12ms
	//   partition a b | c at 173ms, heal at 197ms
	//   crash a at 882ms, restart at 885ms
	//   loss 20% on {leader}->* at 999ms, restore at 1s
	// loss×2 | targets: fixed | messages: all
	// 3 faults:
	//   loss 70% on a->b at 0s, restore at 1ms
	//   loss 50% on c->b at 52ms, restore at 369ms
	//   loss 90% on c->b at 100ms, restore at 106ms
}

// A Swarm can be written by hand to focus a test on a few features: here
// only crashes of the leader.
func ExampleSwarm() {
	sw := simtest.Swarm{Kinds: []simtest.FaultKind{simtest.Crash}, Roles: []string{"leader"}, MaxFaults: 3}
	fmt.Println(sw)
	gen := rapid.Custom(func(t *rapid.T) simtest.Schedule {
		return sw.Draw(t, []string{"a", "b", "c"}, time.Second)
	})
	fmt.Println(gen.Example(6))
	// Output:
	// crash×1 | targets: {leader} | messages: all
	// 3 faults:
	//   crash {leader} at 0s, restart at 833ms
	//   crash {leader} at 6ms, restart at 7ms
	//   crash {leader} at 337ms, restart at 460ms
}

// Targets resolve a schedule's roles and classes of messages when its
// faults start. Here the role "leader" reads a variable that an election
// at 10ms moves from a to b, so the crash aimed at the leader at 15ms
// strikes b; the hold of the class "pongs" delays c's answer to the end
// of the hold.
func ExampleTargets() {
	s, err := sim.New(sim.Config{Seed: 1, Nodes: []string{"a", "b", "c"}}, func(string) sim.Node[string] { return pinger{} })
	if err != nil {
		fmt.Println(err)
		return
	}
	leader := "a"
	s.At(10*time.Millisecond, func(*sim.Sim[string]) { leader = "b" }) // an election, say
	tg := simtest.Targets[string]{
		Roles: map[string]func(*sim.Sim[string]) []string{
			"leader": func(*sim.Sim[string]) []string { return []string{leader} },
		},
		Messages: map[string]func(from, to, m string) bool{
			"pongs": func(_, _, m string) bool { return m == "pong" },
		},
	}
	sched := simtest.Schedule{Faults: []simtest.Fault{
		{Kind: simtest.Crash, At: 15 * time.Millisecond, For: 5 * time.Millisecond, Role: "leader"},
		{Kind: simtest.Hold, At: 30 * time.Millisecond, For: 20 * time.Millisecond, Messages: "pongs"},
	}}
	if err := simtest.ApplyWith(s, sched, tg); err != nil {
		fmt.Println(err)
		return
	}
	s.At(35*time.Millisecond, func(s *sim.Sim[string]) {
		if err := s.Inject("a", "c", "ping"); err != nil {
			fmt.Println(err)
		}
	})
	if err := s.Run(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sched)
	for _, e := range s.Trace().Events {
		fmt.Println(strings.Join(strings.Fields(fmt.Sprint(e.Time, " ", e.Kind, " ", e.Node, " ", e.Text)), " "))
	}
	// Output:
	// 2 faults:
	//   crash {leader} at 15ms, restart at 20ms
	//   hold pongs everywhere at 30ms, release at 50ms
	// 15ms crash b
	// 20ms restart b
	// 30ms fault hold pongs everywhere for 20ms
	// 35ms send a ping
	// 36ms deliver c ping
	// 36ms send c pong
	// 51ms deliver a pong
}
