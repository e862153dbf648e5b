package sim_test

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/eventually-perfect/primitives/sim"
)

// exploreMsg is the message of the explorer examples: a proposal or a
// write of a value.
type exploreMsg struct {
	Kind  string
	Value int
}

func (m exploreMsg) String() string { return m.Kind + " " + strconv.Itoa(m.Value) }

// exploreRacer is a broken agreement protocol: proposers p1 and p2 send
// their number to acceptors a1 and a2, and each acceptor decides the first
// proposal it receives.
type exploreRacer struct{ decided int }

func (r *exploreRacer) Start(ctx *sim.Context[exploreMsg]) {
	if n, ok := map[string]int{"p1": 1, "p2": 2}[ctx.ID()]; ok {
		ctx.Send("a1", exploreMsg{"propose", n})
		ctx.Send("a2", exploreMsg{"propose", n})
	}
}

func (r *exploreRacer) Receive(ctx *sim.Context[exploreMsg], from string, m exploreMsg) {
	if r.decided == 0 {
		r.decided = m.Value
		ctx.Note("decide " + strconv.Itoa(m.Value))
	}
}

func (r *exploreRacer) Timeout(ctx *sim.Context[exploreMsg], name string) {}

func (r *exploreRacer) Clone() *exploreRacer { c := *r; return &c }

func (r *exploreRacer) AppendState(b []byte) []byte { return append(b, byte(r.decided)) }

// exploreAgreement fails if two acceptors decided differently.
func exploreAgreement(w *sim.World[exploreMsg, *exploreRacer]) error {
	a1, ok1 := w.Node("a1")
	a2, ok2 := w.Node("a2")
	if ok1 && ok2 && a1.decided != 0 && a2.decided != 0 && a1.decided != a2.decided {
		return fmt.Errorf("a1 decided %d, a2 decided %d", a1.decided, a2.decided)
	}
	return nil
}

func exploreRacerConfig() sim.ExploreConfig[exploreMsg, *exploreRacer] {
	return sim.ExploreConfig[exploreMsg, *exploreRacer]{
		Nodes:     []string{"p1", "p2", "a1", "a2"},
		New:       func(string) *exploreRacer { return new(exploreRacer) },
		Invariant: exploreAgreement,
	}
}

// Explore every interleaving of the four proposals and find the shortest
// schedule in which the acceptors disagree.
func ExampleExplore() {
	res, err := sim.Explore(exploreRacerConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("distinct states:", res.Distinct, "explored:", res.Explored, "complete:", res.Complete)
	fmt.Println("violation after", res.Violation.Depth, "actions:", res.Violation.Err)
	// Output:
	// distinct states: 13 explored: 5 complete: false
	// violation after 2 actions: a1 decided 1, a2 decided 2
}

// A violation carries the shortest path to it as a trace, ready to render
// as a transcript or an SVG space-time diagram.
func ExampleViolation() {
	res, err := sim.Explore(exploreRacerConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := res.Violation.Trace.WriteTranscript(os.Stdout); err != nil {
		fmt.Println(err)
		return
	}
	// Output:
	// # trace: seed 0, 8 events, untimed (steps), nodes: p1 p2 a1 a2
	// seq  node  kind     peer  msg  lamport  vector        text
	//   0  p1    send     a1    m1   1        {p1:1}        propose 1
	//   1  p1    send     a2    m2   2        {p1:2}        propose 1
	//   2  p2    send     a1    m3   1        {p2:1}        propose 2
	//   3  p2    send     a2    m4   2        {p2:2}        propose 2
	//   4  a1    deliver  p1    m1   2        {a1:1, p1:1}  propose 1
	//   5  a1    note     -     -    3        {a1:2, p1:1}  decide 1
	//   6  a2    deliver  p2    m4   3        {a2:1, p2:2}  propose 2
	//   7  a2    note     -     -    4        {a2:2, p2:2}  decide 2
}

// exploreRegister holds a value written by a client and acknowledges it to
// the client. With persist it writes the value to storage before
// acknowledging, and reads it back when it (re)starts.
type exploreRegister struct {
	persist bool
	value   int
}

func (r *exploreRegister) Start(ctx *sim.Context[exploreMsg]) {
	if v, ok := ctx.Storage().Get("value"); ok {
		r.value = int(v[0])
	}
}

func (r *exploreRegister) Receive(ctx *sim.Context[exploreMsg], from string, m exploreMsg) {
	r.value = m.Value
	if r.persist {
		ctx.Storage().Put("value", []byte{byte(m.Value)})
	}
	ctx.Send(from, exploreMsg{"ack", m.Value})
}

func (r *exploreRegister) Timeout(ctx *sim.Context[exploreMsg], name string) {}

func (r *exploreRegister) Clone() *exploreRegister { c := *r; return &c }

func (r *exploreRegister) AppendState(b []byte) []byte { return append(b, byte(r.value)) }

// exploreAcknowledged fails if the client was told a value is stored that
// the up register does not hold.
func exploreAcknowledged(w *sim.World[exploreMsg, *exploreRegister]) error {
	reg, up := w.Node("reg")
	for _, e := range w.InFlight() {
		if e.To == "client" && up && reg.value != e.Msg.Value {
			return fmt.Errorf("client was told %d, register holds %d", e.Msg.Value, reg.value)
		}
	}
	return nil
}

// A client request is an Envelope in flight from the start; the replies to
// the client stay in flight, where invariants can see them.
func ExampleEnvelope() {
	res, err := sim.Explore(sim.ExploreConfig[exploreMsg, *exploreRegister]{
		Nodes:     []string{"reg"},
		New:       func(string) *exploreRegister { return new(exploreRegister) },
		Inject:    []sim.Envelope[exploreMsg]{{From: "client", To: "reg", Msg: exploreMsg{"write", 7}}},
		Invariant: exploreAcknowledged,
		Quiescent: func(w *sim.World[exploreMsg, *exploreRegister]) error {
			fmt.Println("finally in flight:", w.InFlight())
			return nil
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("distinct states:", res.Distinct)
	// Output:
	// finally in flight: [{reg client ack 7}]
	// distinct states: 2
}

// The fault bounds say how many crashes, restarts, drops, duplicates and
// timeouts one path may contain. One crash and one restart are enough to
// show that a register that acknowledges before persisting loses data.
func ExampleExploreConfig() {
	for _, persist := range []bool{false, true} {
		res, err := sim.Explore(sim.ExploreConfig[exploreMsg, *exploreRegister]{
			Nodes:       []string{"reg"},
			New:         func(string) *exploreRegister { return &exploreRegister{persist: persist} },
			Inject:      []sim.Envelope[exploreMsg]{{From: "client", To: "reg", Msg: exploreMsg{"write", 7}}},
			Invariant:   exploreAcknowledged,
			MaxCrashes:  1,
			MaxRestarts: 1,
			MaxDrops:    1,
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		if res.Violation != nil {
			fmt.Printf("persist %v: %v\n", persist, res.Violation)
		} else {
			fmt.Printf("persist %v: safe in all %d states\n", persist, res.Distinct)
		}
	}
	// Output:
	// persist false: sim: invariant violated after 3 actions: client was told 7, register holds 0
	// persist true: safe in all 9 states
}

// ExploreResult says how much was explored and whether the search covered
// everything within the fault bounds.
func ExampleExploreResult() {
	cfg := exploreRacerConfig()
	cfg.Invariant = nil // explore everything
	for _, depth := range []int{2, 0} {
		cfg.MaxDepth = depth
		res, err := sim.Explore(cfg)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("MaxDepth %d: %d states, deepest level %d, widest level %d, complete %v\n",
			depth, res.Distinct, res.Depth, res.Frontier, res.Complete)
	}
	// Output:
	// MaxDepth 2: 13 states, deepest level 2, widest level 8, complete false
	// MaxDepth 0: 25 states, deepest level 4, widest level 8, complete true
}

// World is what Invariant and Quiescent see of a state: node values,
// storage, timers and the messages in flight.
func ExampleWorld() {
	cfg := exploreRacerConfig()
	cfg.Invariant = nil
	cfg.Quiescent = func(w *sim.World[exploreMsg, *exploreRacer]) error {
		a1, _ := w.Node("a1")
		a2, _ := w.Node("a2")
		if len(w.InFlight()) == 0 && a1.decided != a2.decided {
			return errors.New("the acceptors ended up apart")
		}
		return nil
	}
	res, err := sim.Explore(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Violation.Quiescent, res.Violation.Depth, res.Violation.Err)
	// Output:
	// true 4 the acceptors ended up apart
}
