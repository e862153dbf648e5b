package sim_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/eventually-perfect/primitives/clocks"
	"github.com/eventually-perfect/primitives/sim"
)

// pingTrace is a tiny trace written by hand: a pings b, b answers, and the
// network loses b's second answer. Traces normally come from Sim.Trace or
// from an explorer Violation.
func pingTrace() *sim.Trace {
	v := func(a, b uint64) clocks.Vector {
		return clocks.VectorOf(clocks.Entry{ID: "a", Count: a}, clocks.Entry{ID: "b", Count: b})
	}
	ms := time.Millisecond
	return &sim.Trace{
		Seed:  1,
		Nodes: []string{"a", "b"},
		Events: []sim.Event{
			{Seq: 0, Time: 0, Kind: sim.Send, Node: "a", Peer: "b", MsgID: 1, Text: "ping", Lamport: 1, Vector: v(1, 0)},
			{Seq: 1, Time: 1 * ms, Kind: sim.Deliver, Node: "b", Peer: "a", MsgID: 1, Text: "ping", Lamport: 2, Vector: v(1, 1)},
			{Seq: 2, Time: 1 * ms, Kind: sim.Send, Node: "b", Peer: "a", MsgID: 2, Text: "pong", Lamport: 3, Vector: v(1, 2)},
			{Seq: 3, Time: 2 * ms, Kind: sim.Drop, Node: "b", Peer: "a", MsgID: 2, Text: "pong"},
			{Seq: 4, Time: 5 * ms, Kind: sim.Local, Node: "a", Text: "gave up", Lamport: 2, Vector: v(2, 0)},
		},
	}
}

func ExampleTrace_WriteTranscript() {
	if err := pingTrace().WriteTranscript(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// # trace: seed 1, 5 events, nodes: a b
	// seq  time  node  kind     peer  msg  lamport  vector      text
	//   0  0s    a     send     b     m1   1        {a:1}       ping
	//   1  1ms   b     deliver  a     m1   2        {a:1, b:1}  ping
	//   2  1ms   b     send     a     m2   3        {a:1, b:2}  pong
	//   3  2ms   b     drop     a     m2   -        -           pong
	//   4  5ms   a     note     -     -    2        {a:2}       gave up
}

func ExampleTrace_WriteShiViz() {
	// Save the output to a file and open it in ShiViz with "upload a file".
	if err := pingTrace().WriteShiViz(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// ^(?<seq>\d+) (?<time>\S+) (?<host>\S+) (?<clock>\{[^}]*\}) (?<event>.*)$
	//
	// 0 0s a {"a":1} send m1 to b: ping
	// 1 1ms b {"a":1,"b":1} deliver m1 from a: ping
	// 2 1ms b {"a":1,"b":2} send m2 to a: pong (dropped)
	// 4 5ms a {"a":2} note: gave up
}

func ExampleTrace_WriteSVG() {
	var b bytes.Buffer
	if err := pingTrace().WriteSVG(&b); err != nil {
		fmt.Println(err)
	}
	// Write b.Bytes() to a .svg file and open it in a browser; hovering
	// over a mark shows the event's description and clocks.
	svg := b.String()
	fmt.Println(strings.HasPrefix(svg, "<?xml"), strings.Contains(svg, "<svg "))
	fmt.Println(strings.Contains(svg, "<title>#3 at 2ms: drop m2 from b to a: pong</title>"))
	// Output:
	// true true
	// true
}
