package sim_test

// The worked protocol of docs/simulation.md: reliable delivery of two
// items from a sender to a receiver over a network that loses, duplicates
// and reorders messages, with acknowledgements and retransmission
// (stop-and-wait, in the family of the alternating bit protocol: Bartlett,
// Scantlebury and Wilkinson, "A note on reliable full-duplex transmission
// over half-duplex links", CACM 12(5), 1969). The lazy receiver
// acknowledges an item before it is durable and writes it to storage a
// little later (a group commit); the simulator and the explorer both show
// that a crash in between loses an item the sender was told had arrived.

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eventually-perfect/primitives/sim"
	"github.com/eventually-perfect/primitives/sim/simtest"
	"pgregory.net/rapid"
)

var wkDiagrams = flag.String("worked.diagrams", "",
	"write the worked protocol's diagrams (SVG, ShiViz) to this directory, e.g. ../docs/diagrams")

// wkItems is the number of items the sender delivers.
const wkItems = 2

// wkMsg is data(seq) from the sender or ack(seq) from the receiver.
type wkMsg struct {
	Ack bool
	Seq int
}

func (m wkMsg) String() string {
	if m.Ack {
		return "ack(" + strconv.Itoa(m.Seq) + ")"
	}
	return "data(" + strconv.Itoa(m.Seq) + ")"
}

// wkNode is either role. Durable state: the sender's highest acknowledged
// item ("acked"), the receiver's log of items ("log", one byte each).
type wkNode struct {
	sender bool
	lazy   bool // receiver: acknowledge first, write on a flush timer

	next, tries int    // sender, volatile: the item in flight, its retransmissions
	buffered    []byte // lazy receiver, volatile: items applied, not yet written
}

func newWorked(id string, lazy bool) *wkNode {
	return &wkNode{sender: id == "sender", lazy: lazy}
}

func (n *wkNode) Start(ctx *sim.Context[wkMsg]) {
	if !n.sender {
		return
	}
	n.next = 1
	if b, ok := ctx.Storage().Get("acked"); ok {
		n.next = int(b[0]) + 1 // resume after the last acknowledged item
	}
	n.sendNext(ctx)
}

func (n *wkNode) sendNext(ctx *sim.Context[wkMsg]) {
	if n.next > wkItems {
		ctx.CancelTimer("retry")
		ctx.Note("all acknowledged")
		return
	}
	n.tries = 0
	ctx.Send("receiver", wkMsg{Seq: n.next})
	ctx.SetTimer("retry", 10*time.Millisecond)
}

func (n *wkNode) Receive(ctx *sim.Context[wkMsg], from string, m wkMsg) {
	if n.sender {
		if m.Ack && m.Seq == n.next {
			ctx.Storage().Put("acked", []byte{byte(m.Seq)}) // persist...
			n.next++
			n.sendNext(ctx) // ...then send
		}
		return
	}
	log, _ := ctx.Storage().Get("log")
	last := len(log) + len(n.buffered)
	if m.Seq == last+1 { // the next item: apply it
		if n.lazy {
			n.buffered = append(n.buffered, byte(m.Seq))
			ctx.SetTimer("flush", 5*time.Millisecond)
		} else {
			ctx.Storage().Put("log", append(log, byte(m.Seq)))
		}
		last++
	}
	if m.Seq <= last { // new or a duplicate: acknowledge
		ctx.Send(from, wkMsg{Ack: true, Seq: m.Seq})
	}
}

func (n *wkNode) Timeout(ctx *sim.Context[wkMsg], name string) {
	if name == "flush" {
		log, _ := ctx.Storage().Get("log")
		ctx.Storage().Put("log", append(log, n.buffered...))
		n.buffered = nil
		return
	}
	if n.tries++; n.tries > 5 {
		ctx.Note("gave up on " + wkMsg{Seq: n.next}.String())
		return
	}
	ctx.Send("receiver", wkMsg{Seq: n.next})
	ctx.SetTimer("retry", 10*time.Millisecond)
}

// Clone and AppendState make wkNode Explorable.
func (n *wkNode) Clone() *wkNode {
	c := *n
	c.buffered = slices.Clone(n.buffered)
	return &c
}

func (n *wkNode) AppendState(b []byte) []byte {
	b = append(b, byte(n.next), byte(n.tries), byte(len(n.buffered)))
	return append(b, n.buffered...)
}

// wkCheck is the safety property, from what the two nodes hold: the
// receiver applied items 1, 2, ... each once and in order, and every item
// the sender saw acknowledged is among them (durable, or buffered by a
// receiver that is up).
func wkCheck(sender, receiver *sim.Storage, buffered []byte) error {
	log, _ := receiver.Get("log")
	have := append(log, buffered...)
	for i, s := range have {
		if int(s) != i+1 {
			return fmt.Errorf("receiver applied %v, not each item once in order", have)
		}
	}
	acked := 0
	if b, ok := sender.Get("acked"); ok {
		acked = int(b[0])
	}
	if acked > len(have) {
		return fmt.Errorf("item %d was acknowledged, then lost by the receiver", len(have)+1)
	}
	return nil
}

// wkSimCheck applies wkCheck to the end of a simulation.
func wkSimCheck(s *sim.Sim[wkMsg]) error {
	var buffered []byte
	if r, up := s.Node("receiver"); up {
		buffered = r.(*wkNode).buffered
	}
	return wkCheck(s.Storage("sender"), s.Storage("receiver"), buffered)
}

// The simulator runs one schedule: here the receiver crashes 3ms into the
// run and restarts at 20ms. The lazy receiver has acknowledged item 1 but
// not yet written it.
func Example_workedSimulation() {
	for _, lazy := range []bool{true, false} {
		s, err := sim.New(sim.Config{Seed: 1, Nodes: []string{"sender", "receiver"}},
			func(id string) sim.Node[wkMsg] { return newWorked(id, lazy) })
		if err != nil {
			fmt.Println(err)
			return
		}
		s.At(3*time.Millisecond, func(s *sim.Sim[wkMsg]) {
			if err := s.Crash("receiver"); err != nil {
				fmt.Println(err)
			}
		})
		s.At(20*time.Millisecond, func(s *sim.Sim[wkMsg]) {
			if err := s.Restart("receiver"); err != nil {
				fmt.Println(err)
			}
		})
		if err := s.Run(); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("lazy=%v: %v\n", lazy, wkSimCheck(s))
		if lazy {
			if err := s.Trace().WriteTranscript(os.Stdout); err != nil {
				fmt.Println(err)
				return
			}
		}
	}
	// Output:
	// lazy=true: item 1 was acknowledged, then lost by the receiver
	// # trace: seed 1, 25 events, nodes: sender receiver
	// seq  time  node      kind     peer      msg  lamport  vector                   text
	//   0  0s    sender    send     receiver  m1   1        {sender:1}               data(1)
	//   1  1ms   receiver  deliver  sender    m1   2        {receiver:1, sender:1}   data(1)
	//   2  1ms   receiver  send     sender    m2   3        {receiver:2, sender:1}   ack(1)
	//   3  2ms   sender    deliver  receiver  m2   4        {receiver:2, sender:2}   ack(1)
	//   4  2ms   sender    send     receiver  m3   5        {receiver:2, sender:3}   data(2)
	//   5  3ms   receiver  crash    -         -    4        {receiver:3, sender:1}
	//   6  3ms   sender    drop     receiver  m3   -        -                        data(2)
	//   7  12ms  sender    timer    -         -    6        {receiver:2, sender:4}   retry
	//   8  12ms  sender    send     receiver  m4   7        {receiver:2, sender:5}   data(2)
	//   9  13ms  sender    drop     receiver  m4   -        -                        data(2)
	//  10  20ms  receiver  restart  -         -    5        {receiver:4, sender:1}
	//  11  22ms  sender    timer    -         -    8        {receiver:2, sender:6}   retry
	//  12  22ms  sender    send     receiver  m5   9        {receiver:2, sender:7}   data(2)
	//  13  23ms  receiver  deliver  sender    m5   10       {receiver:5, sender:7}   data(2)
	//  14  32ms  sender    timer    -         -    10       {receiver:2, sender:8}   retry
	//  15  32ms  sender    send     receiver  m6   11       {receiver:2, sender:9}   data(2)
	//  16  33ms  receiver  deliver  sender    m6   12       {receiver:6, sender:9}   data(2)
	//  17  42ms  sender    timer    -         -    12       {receiver:2, sender:10}  retry
	//  18  42ms  sender    send     receiver  m7   13       {receiver:2, sender:11}  data(2)
	//  19  43ms  receiver  deliver  sender    m7   14       {receiver:7, sender:11}  data(2)
	//  20  52ms  sender    timer    -         -    14       {receiver:2, sender:12}  retry
	//  21  52ms  sender    send     receiver  m8   15       {receiver:2, sender:13}  data(2)
	//  22  53ms  receiver  deliver  sender    m8   16       {receiver:8, sender:13}  data(2)
	//  23  62ms  sender    timer    -         -    16       {receiver:2, sender:14}  retry
	//  24  62ms  sender    note     -         -    17       {receiver:2, sender:15}  gave up on data(2)
	// lazy=false: <nil>
}

// wkBounds are the explorer's fault bounds for the worked protocol.
type wkBounds struct{ drops, dups, crashes, timeouts int }

// wkExplore explores every schedule with at most one crash, one restart,
// one drop, one duplicate and three timeouts.
func wkExplore(lazy bool) (*sim.ExploreResult, error) {
	return wkExploreWithin(lazy, wkBounds{drops: 1, dups: 1, crashes: 1, timeouts: 3})
}

func wkExploreWithin(lazy bool, b wkBounds) (*sim.ExploreResult, error) {
	return sim.Explore(sim.ExploreConfig[wkMsg, *wkNode]{
		Nodes: []string{"sender", "receiver"},
		New:   func(id string) *wkNode { return newWorked(id, lazy) },
		Invariant: func(w *sim.World[wkMsg, *wkNode]) error {
			var buffered []byte
			if r, up := w.Node("receiver"); up {
				buffered = r.buffered
			}
			return wkCheck(w.Storage("sender"), w.Storage("receiver"), buffered)
		},
		// When nothing is left to do: if a timer is still pending, only
		// the timeout bound stopped the protocol; otherwise it must have
		// delivered everything.
		Quiescent: func(w *sim.World[wkMsg, *wkNode]) error {
			for _, id := range w.Nodes() {
				if len(w.Timers(id)) > 0 {
					return nil
				}
			}
			if log, _ := w.Storage("receiver").Get("log"); len(log) != wkItems {
				return fmt.Errorf("the sender stopped with %d of %d items delivered", len(log), wkItems)
			}
			return nil
		},
		MaxDrops: b.drops, MaxDuplicates: b.dups, MaxTimeouts: b.timeouts,
		MaxCrashes: b.crashes, MaxRestarts: b.crashes,
	})
}

// The explorer runs every schedule within its bounds and returns a
// shortest counterexample.
func Example_workedExploration() {
	for _, lazy := range []bool{true, false} {
		res, err := wkExplore(lazy)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("lazy=%v: complete=%v distinct=%d depth=%d\n", lazy, res.Complete, res.Distinct, res.Depth)
		if v := res.Violation; v != nil {
			fmt.Println(v)
			if err := v.Trace.WriteTranscript(os.Stdout); err != nil {
				fmt.Println(err)
				return
			}
		}
	}
	// Output:
	// lazy=true: complete=false distinct=80 depth=3
	// sim: invariant violated after 3 actions: item 1 was acknowledged, then lost by the receiver
	// # trace: seed 0, 6 events, untimed (steps), nodes: sender receiver
	// seq  node      kind     peer      msg  lamport  vector                  text
	//   0  sender    send     receiver  m1   1        {sender:1}              data(1)
	//   1  receiver  deliver  sender    m1   2        {receiver:1, sender:1}  data(1)
	//   2  receiver  send     sender    m2   3        {receiver:2, sender:1}  ack(1)
	//   3  sender    deliver  receiver  m2   4        {receiver:2, sender:2}  ack(1)
	//   4  sender    send     receiver  m3   5        {receiver:2, sender:3}  data(2)
	//   5  receiver  crash    -         -    4        {receiver:3, sender:1}
	// lazy=false: complete=true distinct=8198 depth=17
}

// TestWorkedProtocol checks the worked protocol the way the chapter
// describes: the explorer proves the durable receiver safe within its
// bounds and finds a counterexample for the lazy one.
func TestWorkedProtocol(t *testing.T) {
	good, err := wkExplore(false)
	if err != nil {
		t.Fatal(err)
	}
	if !good.Complete || good.Violation != nil {
		t.Fatalf("a receiver that writes before it acknowledges must never lose an acknowledged item: complete=%v, %v", good.Complete, good.Violation)
	}
	bad, err := wkExplore(true)
	if err != nil {
		t.Fatal(err)
	}
	if bad.Violation == nil || bad.Violation.Quiescent {
		t.Fatalf("the explorer must find that a lazy receiver loses an acknowledged item, got %+v", bad)
	}
	var svg bytes.Buffer
	if err := bad.Violation.Trace.WriteSVG(&svg); err != nil {
		t.Fatal(err)
	}
	if *wkDiagrams == "" {
		return
	}
	// The diagrams docs/simulation.md shows.
	s, err := sim.New(sim.Config{Seed: 1, Nodes: []string{"sender", "receiver"}},
		func(id string) sim.Node[wkMsg] { return newWorked(id, true) })
	if err != nil {
		t.Fatal(err)
	}
	s.At(3*time.Millisecond, func(s *sim.Sim[wkMsg]) {
		if err := s.Crash("receiver"); err != nil {
			t.Error(err)
		}
	})
	s.At(20*time.Millisecond, func(s *sim.Sim[wkMsg]) {
		if err := s.Restart("receiver"); err != nil {
			t.Error(err)
		}
	})
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	for name, write := range map[string]func(*os.File) error{
		"simulation-lazy-explorer.svg": func(f *os.File) error { return bad.Violation.Trace.WriteSVG(f) },
		"simulation-lazy-run.svg":      func(f *os.File) error { return s.Trace().WriteSVG(f) },
		"simulation-lazy-run.shiviz":   func(f *os.File) error { return s.Trace().WriteShiViz(f) },
	} {
		f, err := os.Create(filepath.Join(*wkDiagrams, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := write(f); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWorkedFaultSchedules is the property test of the chapter: under any
// drawn fault schedule, every acknowledged item survives (durable
// receiver), and once the faults are over everything is delivered.
func TestWorkedFaultSchedules(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nodes := []string{"sender", "receiver"}
		s, err := sim.New(sim.Config{Seed: rapid.Uint64().Draw(t, "seed"), Nodes: nodes,
			Link: sim.LinkConfig{Latency: sim.Uniform(time.Millisecond, 3*time.Millisecond), Duplicate: 0.1}},
			func(id string) sim.Node[wkMsg] { return newWorked(id, false) })
		if err != nil {
			t.Fatal(err)
		}
		// The sender's last retransmission of an item comes 50ms after
		// its first send, so with every fault over by 40ms it gets
		// through.
		sched := simtest.DrawSchedule(t, nodes, 40*time.Millisecond)
		if err := simtest.Apply(s, sched); err != nil {
			t.Fatal(err)
		}
		if err := s.Run(); err != nil {
			t.Fatal(err)
		}
		if err := wkSimCheck(s); err != nil {
			t.Fatalf("an acknowledged item must survive any fault: %v", err)
		}
		if log, _ := s.Storage("receiver").Get("log"); len(log) != wkItems {
			t.Fatalf("once the faults are over, every item must be delivered: the receiver has %v", log)
		}
	})
}

// BenchmarkWorkedExplore measures how the explorer's work grows with its
// bounds, for the durable receiver (docs/simulation.md, section 6):
//
//	go test ./sim -run '^$' -bench WorkedExplore -benchtime 1x
func BenchmarkWorkedExplore(b *testing.B) {
	for _, bounds := range []wkBounds{
		{0, 0, 0, 0}, {0, 0, 0, 1}, {0, 0, 0, 3}, {1, 0, 0, 3}, {1, 1, 0, 3},
		{1, 1, 1, 3}, {2, 1, 1, 3}, {2, 2, 1, 4}, {2, 2, 2, 4}, {3, 2, 2, 5},
	} {
		name := fmt.Sprintf("drops=%d/dups=%d/crashes=%d/timeouts=%d", bounds.drops, bounds.dups, bounds.crashes, bounds.timeouts)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var res *sim.ExploreResult
			for b.Loop() {
				var err error
				if res, err = wkExploreWithin(false, bounds); err != nil {
					b.Fatal(err)
				}
			}
			if res.Violation != nil || !res.Complete {
				b.Fatalf("the durable receiver must be safe and the search complete: %+v", res)
			}
			b.ReportMetric(float64(res.Distinct), "states")
			b.ReportMetric(float64(res.Depth), "depth")
		})
	}
}

// TestWorkedDocQuotes checks that every Go snippet of docs/simulation.md
// is quoted verbatim from the code of this package or of sim/simtest, so
// that the chapter's code compiles and is tested. A line "// ..." in a
// snippet marks an elision, and a snippet may quote several declarations:
// each part between elisions, and each declaration, must match.
func TestWorkedDocQuotes(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "simulation.md"))
	if err != nil {
		t.Fatal(err)
	}
	var sources []string
	for _, pattern := range []string{"*.go", filepath.Join("simtest", "*.go")} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			sources = append(sources, string(b))
		}
	}
	blocks := strings.Split(string(doc), "```go\n")[1:]
	if len(blocks) < 10 {
		t.Fatalf("found %d Go snippets in the chapter, expected at least 10", len(blocks))
	}
	for i, block := range blocks {
		code, _, ok := strings.Cut(block, "```")
		if !ok {
			t.Fatalf("snippet %d is not closed", i+1)
		}
		var part []string
		check := func() {
			chunk := strings.Join(part, "\n")
			part = nil
			if strings.TrimSpace(chunk) == "" {
				return
			}
			for _, src := range sources {
				if strings.Contains(src, chunk) {
					return
				}
			}
			t.Errorf("snippet %d of docs/simulation.md is not in the code any more (regenerate the quote):\n%s", i+1, chunk)
		}
		for _, line := range strings.Split(strings.TrimSuffix(code, "\n"), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "// ...") || strings.HasPrefix(strings.TrimSpace(line), "// Output: ...") {
				check()
				continue
			}
			if strings.HasPrefix(line, "func ") || strings.HasPrefix(line, "type ") {
				check() // declarations quoted together need not be adjacent
			}
			part = append(part, line)
		}
		check()
	}
	// Quoted example output must still be what the examples print.
	for i, block := range strings.Split(string(doc), "\n```\n")[1:] {
		out, _, _ := strings.Cut(block, "```")
		if !strings.HasPrefix(out, "lazy=") && !strings.HasPrefix(out, "# trace") {
			continue
		}
		var quoted []string
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			quoted = append(quoted, strings.TrimRight("\t// "+line, " "))
		}
		chunk := strings.Join(quoted, "\n")
		found := false
		for _, src := range sources {
			found = found || strings.Contains(src, chunk)
		}
		if !found {
			t.Errorf("output block %d of docs/simulation.md is not what the examples print any more:\n%s", i+1, out)
		}
	}
}
