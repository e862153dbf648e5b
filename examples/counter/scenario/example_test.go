package scenario_test

import (
	"fmt"

	"github.com/eventually-perfect/primitives/examples/counter/scenario"
	"github.com/eventually-perfect/primitives/paxos"
)

// The counter applies "inc" and "add n", and refuses anything else
// without changing.
func ExampleCounter() {
	var c scenario.Counter
	fmt.Println(c.Apply(paxos.Command{Client: "c1", Seq: 1, Op: "inc"}))
	fmt.Println(c.Apply(paxos.Command{Client: "c1", Seq: 2, Op: "add 41"}))
	fmt.Println(c.Apply(paxos.Command{Client: "c1", Seq: 3, Op: "double"}))
	fmt.Println(c.Value())
	// Output:
	// 1
	// 42
	// error: unknown operation "double"
	// 42
}

// A run through the leader crash: every replica ends with the same
// counter, and the slots whose proposals were lost are no-ops.
func ExampleRun() {
	res, err := scenario.Run(scenario.Options{Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("crashed:", res.Crashed, "then led by", res.Leaders[len(res.Leaders)-1].Node)
	fmt.Printf("n1=%d n2=%d n3=%d\n", res.Values["n1"], res.Values["n2"], res.Values["n3"])
	for _, l := range res.Lost {
		fmt.Printf("slot %d: %s lost, decided %s\n", l.Slot, l.Entry, res.Log["n1"][l.Slot])
	}
	fmt.Printf("slot %d: %s\n", res.Kept.Slot, res.Log["n1"][res.Kept.Slot])
	// Output:
	// crashed: n1 then led by n3
	// n1=10 n2=10 n3=10
	// slot 3: c1#4:inc lost, decided no-op
	// slot 4: c2#1:inc lost, decided no-op
	// slot 5: c3#1:inc
}

// One failure-free single-decree run: the messages of the two phases.
func ExampleSteps() {
	t, err := scenario.Steps()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range t.Events {
		if e.Kind.String() == "send" && e.Peer == "b" {
			fmt.Printf("%s -> %s: %s\n", e.Node, e.Peer, e.Text)
		}
	}
	// Output:
	// a -> b: prepare 1.a
	// a -> b: accept 1.a=v
	// a -> b: accepted 1.a=v
	// c -> b: accepted 1.a=v
}
