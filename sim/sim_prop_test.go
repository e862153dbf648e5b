package sim_test

import (
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/eventually-perfect/primitives/clocks"
	"github.com/eventually-perfect/primitives/sim"
)

// propScenario is a randomly drawn simulation: a configuration, what the
// coreEcho nodes do, client requests and a fault schedule.
type propScenario struct {
	cfg     sim.Config
	pings   int
	tick    time.Duration
	ticks   int
	actions []propAction
}

// propAction is one scheduled client request or fault.
type propAction struct {
	at   time.Duration
	desc string
	do   func(s *sim.Sim[coreMsg])
}

func propLatency(t *rapid.T, label string) sim.Latency {
	ms := func(name string) time.Duration {
		return time.Duration(rapid.Int64Range(0, int64(5*time.Millisecond)).Draw(t, name))
	}
	switch rapid.IntRange(0, 3).Draw(t, label+" kind") {
	case 0:
		return sim.Constant(ms(label + " constant"))
	case 1:
		lo := ms(label + " min")
		return sim.Uniform(lo, lo+ms(label+" spread"))
	case 2:
		return sim.Normal(ms(label+" mean"), ms(label+" stddev"))
	default:
		return sim.Exponential(ms(label + " mean"))
	}
}

func propProbability(t *rapid.T, label string) float64 {
	if rapid.Bool().Draw(t, label+" zero") {
		return 0
	}
	return rapid.Float64Range(0, 1).Draw(t, label)
}

func propLink(t *rapid.T, label string) sim.LinkConfig {
	l := sim.LinkConfig{
		Latency:   propLatency(t, label+" latency"),
		Loss:      propProbability(t, label+" loss"),
		Duplicate: propProbability(t, label+" duplicate") / 2,
	}
	if rapid.Bool().Draw(t, label+" limited") {
		l.Bandwidth = rapid.Float64Range(1e4, 1e7).Draw(t, label+" bandwidth")
	}
	return l
}

func drawScenario(t *rapid.T) propScenario {
	n := rapid.IntRange(1, 4).Draw(t, "nodes")
	nodes := make([]string, n)
	for i := range nodes {
		nodes[i] = "n" + strconv.Itoa(i)
	}
	pick := rapid.SampledFrom(nodes)
	sc := propScenario{
		cfg: sim.Config{
			Seed:  rapid.Uint64().Draw(t, "seed"),
			Nodes: nodes,
			Link:  propLink(t, "default link"),
		},
		pings: rapid.IntRange(0, 3).Draw(t, "pings at start"),
		tick:  time.Duration(rapid.Int64Range(int64(time.Millisecond), int64(5*time.Millisecond)).Draw(t, "tick")),
		ticks: rapid.IntRange(0, 4).Draw(t, "ticks"),
	}
	for range rapid.IntRange(0, 3).Draw(t, "link overrides") {
		if sc.cfg.Links == nil {
			sc.cfg.Links = map[[2]string]sim.LinkConfig{}
		}
		sc.cfg.Links[[2]string{pick.Draw(t, "from"), pick.Draw(t, "to")}] = propLink(t, "override")
	}
	for _, id := range nodes {
		if rapid.Bool().Draw(t, "skewed "+id) {
			if sc.cfg.Clocks == nil {
				sc.cfg.Clocks = map[string]sim.ClockConfig{}
			}
			sc.cfg.Clocks[id] = sim.ClockConfig{
				Offset: time.Duration(rapid.Int64Range(-int64(time.Second), int64(time.Second)).Draw(t, "offset")),
				Drift:  rapid.Float64Range(-0.5, 1).Draw(t, "drift"),
			}
		}
	}
	if rapid.Bool().Draw(t, "service time") {
		sc.cfg.ServiceTime = time.Duration(rapid.Int64Range(0, int64(time.Millisecond)).Draw(t, "service"))
	}
	horizon := int64(30 * time.Millisecond)
	for range rapid.IntRange(0, 12).Draw(t, "actions") {
		at := time.Duration(rapid.Int64Range(0, horizon).Draw(t, "at"))
		id := pick.Draw(t, "node")
		var a propAction
		switch kind := rapid.IntRange(0, 7).Draw(t, "action"); kind {
		case 0:
			a = propAction{desc: "inject to " + id, do: func(s *sim.Sim[coreMsg]) { _ = s.Inject("client", id, coreMsg{Kind: "req"}) }}
		case 1:
			a = propAction{desc: "crash " + id, do: func(s *sim.Sim[coreMsg]) { _ = s.Crash(id) }}
		case 2:
			a = propAction{desc: "restart " + id, do: func(s *sim.Sim[coreMsg]) { _ = s.Restart(id) }}
		case 3:
			d := time.Duration(rapid.Int64Range(0, int64(10*time.Millisecond)).Draw(t, "pause"))
			a = propAction{desc: fmt.Sprint("pause ", id, " ", d), do: func(s *sim.Sim[coreMsg]) { _ = s.Pause(id, d) }}
		case 4:
			groups := make([][]string, 3)
			for _, n := range nodes {
				g := rapid.IntRange(0, 2).Draw(t, "group of "+n)
				groups[g] = append(groups[g], n)
			}
			a = propAction{desc: fmt.Sprint("partition ", groups), do: func(s *sim.Sim[coreMsg]) { _ = s.Partition(groups...) }}
		case 5:
			to := pick.Draw(t, "blocked")
			a = propAction{desc: "block " + id + "->" + to, do: func(s *sim.Sim[coreMsg]) { _ = s.Block(id, to) }}
		case 6:
			a = propAction{desc: "heal", do: func(s *sim.Sim[coreMsg]) { s.Heal() }}
		default:
			to := pick.Draw(t, "link to")
			l := propLink(t, "new link")
			a = propAction{desc: "set link " + id + "->" + to, do: func(s *sim.Sim[coreMsg]) { _ = s.SetLink(id, to, l) }}
		}
		a.at = at
		sc.actions = append(sc.actions, a)
	}
	return sc
}

// run runs the scenario to quiescence.
func (sc propScenario) run(t *rapid.T) (*sim.Trace, sim.Stats) {
	s, err := sim.New(sc.cfg, coreNew(func(_ string, e *coreEcho) {
		e.pingsAtStart, e.tick, e.ticks = sc.pings, sc.tick, sc.ticks
	}))
	if err != nil {
		t.Fatalf("a drawn configuration is valid: %v", err)
	}
	for _, a := range sc.actions {
		s.At(a.at, a.do)
	}
	if err := s.Run(); err != nil {
		t.Fatalf("a run with bounded timers and faults falls silent: %v", err)
	}
	return s.Trace(), s.Stats()
}

// networkEvent reports whether events of kind k happen in the network and
// carry no clocks.
func networkEvent(k sim.EventKind) bool {
	return k == sim.Drop || k == sim.Duplicate || k == sim.Fault
}

func TestSimPropInvariants(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := drawScenario(t)
		tr, st := sc.run(t)
		propCheckTrace(t, tr, st)
		tr2, st2 := sc.run(t)
		if !reflect.DeepEqual(tr, tr2) || st != st2 {
			t.Fatalf("replaying the same configuration and seed gives a different trace")
		}
	})
}

// propCheckTrace checks the simulator's invariants on a trace of a run
// that fell silent.
func propCheckTrace(t *rapid.T, tr *sim.Trace, st sim.Stats) {
	known := map[string]bool{}
	for _, n := range tr.Nodes {
		known[n] = true
	}
	type msgInfo struct {
		send      int // index of the Send event
		terminals int // Deliver and Drop events
	}
	msgs := map[int]*msgInfo{}
	counts := map[sim.EventKind]int{}
	down := map[string]bool{}   // crashed, not restarted
	paused := map[string]bool{} // paused, not resumed
	for i, e := range tr.Events {
		counts[e.Kind]++
		if e.Seq != i {
			t.Fatalf("events are numbered in order: event %d has Seq %d", i, e.Seq)
		}
		if i > 0 && e.Time < tr.Events[i-1].Time {
			t.Fatalf("time never goes backwards: event %d at %v after event %d at %v", i, e.Time, i-1, tr.Events[i-1].Time)
		}
		if e.Kind != sim.Fault && !known[e.Node] || e.Peer != "" && !known[e.Peer] {
			t.Fatalf("event %d names a process the trace does not list: %+v", i, e)
		}
		switch e.Kind {
		case sim.Send:
			if msgs[e.MsgID] != nil {
				t.Fatalf("message ids are unique: %d sent twice", e.MsgID)
			}
			msgs[e.MsgID] = &msgInfo{send: i}
		case sim.Duplicate:
			orig := msgs[e.MsgID]
			if orig == nil || msgs[e.Copy] != nil {
				t.Fatalf("a duplicate copies an earlier send into a new id: %+v", e)
			}
			msgs[e.Copy] = &msgInfo{send: orig.send}
		case sim.Deliver, sim.Drop:
			m := msgs[e.MsgID]
			if m == nil {
				t.Fatalf("every %v matches an earlier send of the same message: %+v", e.Kind, e)
			}
			send := tr.Events[m.send]
			from, to := e.Peer, e.Node
			if e.Kind == sim.Drop {
				from, to = e.Node, e.Peer
			}
			if from != send.Node || to != send.Peer {
				t.Fatalf("a message goes from its sender to its destination: %+v after %+v", e, send)
			}
			m.terminals++
			if m.terminals > 1 {
				t.Fatalf("no message is delivered or dropped twice (copies have their own ids): %d", e.MsgID)
			}
			if e.Kind == sim.Deliver && (down[e.Node] || paused[e.Node]) {
				t.Fatalf("a crashed or paused node receives nothing: %+v", e)
			}
		case sim.Timer, sim.Local:
			if down[e.Node] || paused[e.Node] {
				t.Fatalf("a crashed or paused node does nothing: %+v", e)
			}
		case sim.Crash:
			down[e.Node] = true
			paused[e.Node] = false
		case sim.Restart:
			down[e.Node] = false
		case sim.Pause:
			paused[e.Node] = true
		case sim.Resume:
			paused[e.Node] = false
		}
	}
	for id, m := range msgs {
		if m.terminals != 1 {
			t.Fatalf("once the run falls silent every message was delivered or dropped: %d has %d outcomes", id, m.terminals)
		}
	}
	if st.Sends != counts[sim.Send] || st.Deliveries != counts[sim.Deliver] || st.Drops != counts[sim.Drop] ||
		st.Duplicates != counts[sim.Duplicate] || st.Timers != counts[sim.Timer] || st.Crashes != counts[sim.Crash] ||
		st.Restarts != counts[sim.Restart] || st.Pauses != counts[sim.Pause] {
		t.Fatalf("stats count the trace's events: %+v vs %v", st, counts)
	}
	propCheckClocks(t, tr, msgs2sends(tr))
}

// msgs2sends maps every message id (copies included) to the index of the
// Send event of the message it carries.
func msgs2sends(tr *sim.Trace) map[int]int {
	out := map[int]int{}
	for i, e := range tr.Events {
		switch e.Kind {
		case sim.Send:
			out[e.MsgID] = i
		case sim.Duplicate:
			out[e.Copy] = out[e.MsgID]
		}
	}
	return out
}

// propCheckClocks checks the Lamport and vector timestamps of the trace
// against the trace's own happened-before relation: process order plus
// send-to-deliver edges (Lamport 1978, section 2).
func propCheckClocks(t *rapid.T, tr *sim.Trace, sendOf map[int]int) {
	var clocked []int             // indices of events with clocks
	pos := map[int]int{}          // event index -> position in clocked
	last := map[string]int{}      // process -> position of its last event
	own := map[string]uint64{}    // process -> number of its events so far
	preds := make([][]int, 0, 64) // positions of immediate predecessors
	for i, e := range tr.Events {
		if networkEvent(e.Kind) {
			if e.Lamport != 0 || e.Vector.Len() != 0 {
				t.Fatalf("network events carry no clocks: %+v", e)
			}
			continue
		}
		p := len(clocked)
		clocked = append(clocked, i)
		pos[i] = p
		var ps []int
		if q, ok := last[e.Node]; ok {
			ps = append(ps, q)
		}
		if e.Kind == sim.Deliver {
			ps = append(ps, pos[sendOf[e.MsgID]])
		}
		preds = append(preds, ps)
		last[e.Node] = p
		own[e.Node]++
		if got := e.Vector.Get(e.Node); got != own[e.Node] {
			t.Fatalf("a process's own vector entry counts its events: %+v has %d, want %d", e, got, own[e.Node])
		}
		for _, q := range ps {
			a := tr.Events[clocked[q]]
			if a.Lamport >= e.Lamport {
				t.Fatalf("clock condition: %+v happened before %+v but its Lamport time is not smaller", a, e)
			}
			if a.Vector.Compare(e.Vector) != clocks.Before {
				t.Fatalf("vector clocks: %+v happened before %+v but its vector is not smaller", a, e)
			}
		}
	}
	if len(clocked) > 300 {
		return // the quadratic check below is for small traces
	}
	// Strong clock condition (Fidge 1988, Mattern 1989): V(a) < V(b) if and
	// only if a happened before b, with happened-before the transitive
	// closure of the edges above.
	reach := make([]*big.Int, len(clocked))
	for b := range clocked {
		reach[b] = new(big.Int)
		for _, q := range preds[b] {
			reach[b].Or(reach[b], reach[q])
			reach[b].SetBit(reach[b], q, 1)
		}
	}
	for b := range clocked {
		eb := tr.Events[clocked[b]]
		for a := range b {
			ea := tr.Events[clocked[a]]
			hb := reach[b].Bit(a) == 1
			if got := ea.Vector.Compare(eb.Vector); hb != (got == clocks.Before) {
				t.Fatalf("strong clock condition: happened-before %v but vectors compare %v:\n%+v\n%+v", hb, got, ea, eb)
			}
		}
	}
}
