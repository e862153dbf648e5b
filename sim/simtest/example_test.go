package simtest_test

import (
	"fmt"
	"os"
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
		s.At(at*time.Millisecond, func(s *sim.Sim[string]) { _ = s.Inject("a", "b", "ping") })
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
	for _, k := range []simtest.FaultKind{simtest.Crash, simtest.Partition, simtest.Block, simtest.Pause, simtest.Loss} {
		fmt.Printf("%v %#v\n", k, k)
	}
	// Output:
	// crash simtest.Crash
	// partition simtest.Partition
	// block simtest.Block
	// pause simtest.Pause
	// loss simtest.Loss
}
