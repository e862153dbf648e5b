package sim_test

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/eventually-perfect/primitives/sim"
)

// gossip is the message of the examples in this file: a rumour and how many
// hops it has travelled.
type gossip struct {
	Rumour string
	Hops   int
}

func (g gossip) String() string { return fmt.Sprintf("%s/%d", g.Rumour, g.Hops) }

// gossiper passes a rumour on to every peer the first time it hears it,
// persisting it first so that a restarted gossiper does not spread it again.
type gossiper struct {
	heard bool
}

func (g *gossiper) Start(ctx *sim.Context[gossip]) {
	_, g.heard = ctx.Storage().Get("rumour")
	if ctx.ID() == "a" && !g.heard {
		ctx.SetTimer("start", time.Millisecond)
	}
}

func (g *gossiper) Receive(ctx *sim.Context[gossip], from string, m gossip) {
	if g.heard {
		return
	}
	g.heard = true
	ctx.Storage().Put("rumour", []byte(m.Rumour)) // persist, then send
	ctx.Note("heard " + m.Rumour + " from " + from)
	for _, p := range ctx.Peers() {
		if p != from {
			ctx.Send(p, gossip{Rumour: m.Rumour, Hops: m.Hops + 1})
		}
	}
}

func (g *gossiper) Timeout(ctx *sim.Context[gossip], name string) {
	g.heard = true
	ctx.Storage().Put("rumour", []byte("cake"))
	ctx.Broadcast(gossip{Rumour: "cake"})
}

// Clone and AppendState make gossiper Explorable.
func (g *gossiper) Clone() *gossiper { c := *g; return &c }

func (g *gossiper) AppendState(b []byte) []byte {
	return binary.AppendUvarint(b, map[bool]uint64{false: 0, true: 1}[g.heard])
}

// A Node is a state machine driven through a Context: here three gossipers
// spread a rumour, and the trace shows who heard it from whom.
func ExampleNode() {
	s, err := sim.New(sim.Config{Seed: 1, Nodes: []string{"a", "b", "c"}},
		func(id string) sim.Node[gossip] { return &gossiper{} })
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
			fmt.Println(e.Node+":", e.Text)
		}
	}
	// Output:
	// b: heard cake from a
	// c: heard cake from a
}

// The Context is the node's whole view of the world during one call: its
// identity and peers, its clock, its durable storage, and the requests it
// makes (send, set a timer, note an event), carried out after the call.
func ExampleContext() {
	s, err := sim.New(sim.Config{Seed: 1, Nodes: []string{"a", "b"}},
		func(id string) sim.Node[gossip] { return &gossiper{} })
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := s.Run(); err != nil {
		fmt.Println(err)
		return
	}
	for _, id := range []string{"a", "b"} {
		v, ok := s.Storage(id).Get("rumour")
		fmt.Printf("%s persisted %q: %v\n", id, v, ok)
	}
	// Output:
	// a persisted "cake": true
	// b persisted "cake": true
}

// An Explorable node can be copied and encoded, so the Explorer can try
// every order of deliveries and crashes. Here it checks that a crash and
// restart never make a gossiper forget the rumour.
func ExampleExplorable() {
	res, err := sim.Explore(sim.ExploreConfig[gossip, *gossiper]{
		Nodes:       []string{"a", "b", "c"},
		New:         func(id string) *gossiper { return &gossiper{} },
		MaxCrashes:  1,
		MaxRestarts: 1,
		MaxTimeouts: 1,
		Invariant: func(w *sim.World[gossip, *gossiper]) error {
			for _, id := range w.Nodes() {
				_, stored := w.Storage(id).Get("rumour")
				if n, up := w.Node(id); up && stored && !n.heard {
					return fmt.Errorf("%s forgot the rumour", id)
				}
			}
			return nil
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("violation:", res.Violation != nil, "complete:", res.Complete, "states:", res.Distinct)
	// Output:
	// violation: false complete: true states: 70
}

// Every event of a run has a kind; String gives the name the renderings
// print.
func ExampleEventKind() {
	for _, k := range []sim.EventKind{sim.Send, sim.Deliver, sim.Drop, sim.Local, sim.Crash} {
		fmt.Print(k, " ")
	}
	fmt.Println()
	// Output:
	// send deliver drop note crash
}

// A Trace records every event with the logical clocks the simulator keeps
// for each node: a Deliver's vector clock shows everything the receiver has
// heard of.
func ExampleTrace() {
	s, err := sim.New(sim.Config{Seed: 1, Nodes: []string{"a", "b", "c"}},
		func(id string) sim.Node[gossip] { return &gossiper{} })
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := s.Run(); err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range s.Trace().Events {
		if e.Kind == sim.Deliver {
			fmt.Printf("%s %s<-%s %v L=%d %v\n", e.Kind, e.Node, e.Peer, e.Text, e.Lamport, e.Vector)
		}
	}
	// Output:
	// deliver b<-a cake/0 L=3 {a:2, b:1}
	// deliver c<-a cake/0 L=4 {a:3, c:1}
	// deliver c<-b cake/1 L=7 {a:3, b:3, c:4}
	// deliver b<-c cake/1 L=7 {a:3, b:4, c:3}
}

// An Event links a message's send to its delivery or drop through MsgID.
func ExampleEvent() {
	s, err := sim.New(sim.Config{Seed: 1, Nodes: []string{"a", "b"}, Link: sim.LinkConfig{Loss: 1}},
		func(id string) sim.Node[gossip] { return &gossiper{} })
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := s.Run(); err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range s.Trace().Events {
		if e.MsgID != 0 {
			fmt.Printf("m%d %s at %s\n", e.MsgID, e.Kind, e.Node)
		}
	}
	// Output:
	// m1 send at a
	// m1 drop at a
}
