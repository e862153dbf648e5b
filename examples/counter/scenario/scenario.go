// Package scenario runs a replicated counter on three simulated Multi-Paxos
// replicas through a leader crash: the story told by examples/counter and
// by the tour's Multi-Paxos section, computed here once so that both print
// the same facts and their tests check them.
//
// Three replicas n1, n2, n3 (paxos.Replica, each with a Counter as its
// state machine) run in the simulator (package sim) with links of 1 to 2
// ms. Client c1 submits increments one at a time in its session (client
// c1, seq 1, 2, ...), sending each to the replica it believes leads and,
// after a timeout, the same command to the next replica. Once c1 has a few
// increments acknowledged, the scenario waits for the leader's next tick,
// then:
//
//  1. cuts the leader's links to both followers for 4.5 ms while a
//     request from client c2 reaches it: the leader proposes c2#1 in a
//     slot, and its accepts are lost;
//  2. restores the links while a request from client c3 reaches it: the
//     leader proposes c3#1 in the next slot, and both followers accept it;
//  3. crashes the leader before its next tick would retransmit c2#1.
//
// The followers elect a new leader. Phase 1 reports c3#1 in the later slot
// and nothing in the earlier one, so the new leader fills that slot with a
// no-op ("Paxos Made Simple", section 3). c2 retries c2#1 at the new
// leader, which decides it in a later slot; c1 retries its outstanding
// increment after its timeout; the old leader restarts from its disk and
// catches up. Each replica's Counter counts how often each (client, seq)
// was applied, so the checks can show exactly-once application.
package scenario

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/eventually-perfect/primitives/sim"
)

// Options configure a run.
type Options struct {
	// Seed seeds the simulation (link delays) and the replicas' election
	// jitter; the same seed gives the same run.
	Seed uint64
	// Increments is how many increments client c1 submits; 0 means 8.
	Increments int
	// CrashAfter is how many of c1's increments are acknowledged before
	// the leader is crashed; 0 means 3.
	CrashAfter int
	// Downtime is how long the crashed leader stays down; 0 means 300 ms.
	Downtime time.Duration
}

// Line is one step of the story: something a node noted, a crash or
// restart, a network fault, a reply reaching a client.
type Line struct {
	At   time.Duration
	Node string
	Text string
}

// Proposal is a leader's proposal: a slot and the entry proposed in it.
type Proposal struct {
	Slot  uint64
	Entry string
}

// Result is what happened in a run.
type Result struct {
	Seed     uint64
	Replicas []string
	Story    []Line
	// Leaders lists who became leader, when, in order.
	Leaders []Line
	// Crashed is the leader crashed, at CrashAt, restarted at RestartAt.
	Crashed            string
	CrashAt, RestartAt time.Duration
	// Lost are the proposals the crashed leader made while its links were
	// down (c2#1's, and c1's if one arrived then), which nobody else
	// received; Kept is its proposal of c3#1 after the links came back,
	// which the others accepted.
	Lost []Proposal
	Kept Proposal
	// Values are the counters' final values, per replica.
	Values map[string]int64
	// Submitted are the distinct commands the clients submitted
	// ("c1#1", ...), sorted.
	Submitted []string
	// Applied counts, per replica, how many times each submitted command
	// was applied there; a command missing from the map was never
	// applied.
	Applied map[string]map[string]int
	// Log is the decided log of each replica, one String per slot.
	Log map[string][]string
	// NoOps are the slots decided as no-ops.
	NoOps []uint64
	// Retries counts c1's retries after a timeout.
	Retries int
	// End is the simulated time when every replica had applied every
	// command.
	End time.Duration
	// Trace is the whole run; Diagram is the same without ticks and
	// heartbeats, which WriteSVG draws.
	Trace, Diagram *sim.Trace
}

// debugTrace, if set (by a test), receives the transcript of a run that
// fails to converge.
var debugTrace io.Writer

// Run runs the scenario.
func Run(opt Options) (*Result, error) {
	if opt.Increments == 0 {
		opt.Increments = 8
	}
	if opt.CrashAfter == 0 {
		opt.CrashAfter = 3
	}
	if opt.Downtime == 0 {
		opt.Downtime = 300 * time.Millisecond
	}
	if opt.CrashAfter >= opt.Increments || opt.Increments < 1 {
		return nil, fmt.Errorf("scenario: the crash must come before the last increment (%d of %d)", opt.CrashAfter, opt.Increments)
	}
	replicas := []string{"n1", "n2", "n3"}
	sys, err := quorum.Majority(replicas...)
	if err != nil {
		return nil, err
	}
	disks := map[string]*paxos.MemoryLogStorage{}
	for _, id := range replicas {
		disks[id] = &paxos.MemoryLogStorage{}
	}
	s, err := sim.New(sim.Config{
		Seed:  opt.Seed,
		Nodes: append(slices.Clone(replicas), "c1"),
		Link:  sim.LinkConfig{Latency: sim.Uniform(time.Millisecond, 2*time.Millisecond)},
	}, func(id string) sim.Node[Msg] {
		if id == "c1" {
			return &clientNode{replicas: replicas, total: opt.Increments, timeout: 80 * time.Millisecond}
		}
		k := slices.Index(replicas, id)
		return &replicaNode{disk: disks[id], cfg: paxos.ReplicaConfig{
			ID: id, Quorums: sys, ElectionTicks: 5, Seed: opt.Seed*16 + uint64(k),
		}}
	})
	if err != nil {
		return nil, err
	}
	res := &Result{Seed: opt.Seed, Replicas: replicas}
	const limit = 20 * time.Second
	runUntil := func(what string, cond func() bool) error {
		if err := s.RunUntil(func() bool { return cond() || s.Now() > limit }); err != nil {
			return err
		}
		if !cond() {
			return fmt.Errorf("scenario (seed %d): %s did not happen within %v", opt.Seed, what, limit)
		}
		return nil
	}
	n, ok := s.Node("c1")
	c1, isClient := n.(*clientNode)
	if !ok || !isClient {
		return nil, fmt.Errorf("scenario: client c1 is not in the simulation")
	}
	client := func() *clientNode { return c1 } // c1 never crashes: the same node throughout
	replica := func(id string) (*replicaNode, bool) {
		n, ok := s.Node(id)
		if !ok {
			return nil, false
		}
		return n.(*replicaNode), true
	}
	leader := func(among []string) string {
		for _, id := range among {
			if r, ok := replica(id); ok && r.r.Leader() {
				return id
			}
		}
		return ""
	}

	// Normal operation until c1 has CrashAfter increments acknowledged.
	if err := runUntil("the first increments", func() bool { return client().acked >= opt.CrashAfter && leader(replicas) != "" }); err != nil {
		return nil, err
	}
	old := leader(replicas)
	var followers []string
	for _, id := range replicas {
		if id != old {
			followers = append(followers, id)
		}
	}
	// Wait for the leader's tick, so that the next one is a tick period
	// away: the steps below take 9 ms.
	seen := len(s.Trace().Events)
	if err := runUntil("the leader's tick", func() bool {
		ev := s.Trace().Events
		for ; seen < len(ev); seen++ {
			if ev[seen].Kind == sim.Timer && ev[seen].Node == old {
				return true
			}
		}
		return false
	}); err != nil {
		return nil, err
	}
	for _, f := range followers {
		if err := s.Block(old, f); err != nil {
			return nil, err
		}
	}
	c2 := paxos.Command{Client: "c2", Seq: 1, Op: "inc"}
	c3 := paxos.Command{Client: "c3", Seq: 1, Op: "inc"}
	if err := s.Inject("c2", old, Msg{Kind: kindRequest, Cmd: c2}); err != nil {
		return nil, err
	}
	if err := s.RunFor(4500 * time.Microsecond); err != nil {
		return nil, err
	}
	s.Heal()
	if err := s.Inject("c3", old, Msg{Kind: kindRequest, Cmd: c3}); err != nil {
		return nil, err
	}
	if err := s.RunFor(4500 * time.Microsecond); err != nil {
		return nil, err
	}
	res.Lost, res.Kept = proposals(s.Trace().Events, old, c3)
	if err := s.Crash(old); err != nil {
		return nil, err
	}
	res.Crashed, res.CrashAt = old, s.Now()
	res.RestartAt = res.CrashAt + opt.Downtime
	var restartErr error // the scheduled restart's, checked once the run is over
	s.At(res.RestartAt, func(s *sim.Sim[Msg]) { restartErr = s.Restart(old) })

	// A new leader; c2 and c3, which have no answer, retry at it.
	if err := runUntil("a new leader", func() bool { return leader(followers) != "" }); err != nil {
		return nil, err
	}
	for _, c := range []paxos.Command{c2, c3} {
		if err := s.Inject(c.Client, leader(followers), Msg{Kind: kindRequest, Cmd: c}); err != nil {
			return nil, err
		}
	}

	// Until every replica, the restarted one included, has applied every
	// command, and every client has its answer.
	res.Submitted = []string{c2.String(), c3.String()}
	for i := 1; i <= opt.Increments; i++ {
		res.Submitted = append(res.Submitted, paxos.Command{Client: "c1", Seq: uint64(i), Op: "inc"}.String())
	}
	want := int64(len(res.Submitted))
	if err := runUntil("convergence", func() bool {
		if !client().done() || !answered(s.Trace(), "c2") || !answered(s.Trace(), "c3") {
			return false
		}
		for _, id := range replicas {
			r, ok := replica(id)
			if !ok || r.sm.Value() < want {
				return false
			}
		}
		return true
	}); err != nil || restartErr != nil {
		if restartErr != nil {
			return nil, fmt.Errorf("scenario (seed %d): restarting %s: %w", opt.Seed, old, restartErr)
		}
		var state []string
		for _, id := range replicas {
			if r, ok := replica(id); ok {
				state = append(state, fmt.Sprintf("%s: counter %d, applied %d slots, leader %v", id, r.sm.Value(), r.r.Applied(), r.r.Leader()))
			} else {
				state = append(state, id+": down")
			}
		}
		c := client()
		state = append(state, fmt.Sprintf("c1: %d of %d acknowledged", c.acked, c.total),
			fmt.Sprintf("c2 answered %v, c3 answered %v", answered(s.Trace(), "c2"), answered(s.Trace(), "c3")))
		if debugTrace != nil {
			if werr := s.Trace().WriteTranscript(debugTrace); werr != nil {
				err = errors.Join(err, fmt.Errorf("writing the transcript: %w", werr))
			}
		}
		return nil, fmt.Errorf("%w (%s)", err, strings.Join(state, "; "))
	}
	res.End = s.Now()
	res.Retries = client().tries
	res.Values, res.Applied, res.Log = map[string]int64{}, map[string]map[string]int{}, map[string][]string{}
	for _, id := range replicas {
		r, ok := replica(id)
		if !ok {
			return nil, fmt.Errorf("scenario (seed %d): replica %s is down at the end", opt.Seed, id)
		}
		res.Values[id] = r.sm.Value()
		res.Applied[id] = map[string]int{}
		for k, n := range r.sm.applied {
			res.Applied[id][paxos.Command{Client: k.client, Seq: k.seq, Op: "inc"}.String()] = n
		}
		for _, e := range r.r.Log() {
			res.Log[id] = append(res.Log[id], e.String())
			if e.NoOp && id == replicas[0] {
				res.NoOps = append(res.NoOps, e.Slot)
			}
		}
	}
	slices.Sort(res.Submitted)
	res.Trace = s.Trace()
	res.Diagram = diagram(res.Trace)
	res.Story, res.Leaders = story(res.Trace)
	return res, nil
}

// proposals reads, in events, the accepts node sent: lost are the
// proposals none of which was delivered, in slot order, and kept the one
// of cmd.
func proposals(events []sim.Event, node string, cmd paxos.Command) (lost []Proposal, kept Proposal) {
	sent := map[int]Proposal{}
	reached := map[uint64]bool{}
	var all []Proposal
	for _, e := range events {
		switch {
		case e.Kind == sim.Send && e.Node == node && strings.HasPrefix(e.Text, "accept "):
			var p Proposal
			i := strings.Index(e.Text, "[")
			j := strings.Index(e.Text, "]=")
			if i < 0 || j < i {
				continue
			}
			if _, err := fmt.Sscanf(e.Text[i:j+1], "[%d]", &p.Slot); err != nil {
				continue
			}
			p.Entry = e.Text[j+2:]
			sent[e.MsgID] = p
			if !slices.Contains(all, p) {
				all = append(all, p)
			}
		case e.Kind == sim.Deliver:
			if p, ok := sent[e.MsgID]; ok {
				reached[p.Slot] = true
			}
		}
	}
	for _, p := range all {
		if p.Entry == cmd.String() {
			kept = p
		} else if !reached[p.Slot] {
			lost = append(lost, p)
		}
	}
	slices.SortFunc(lost, func(a, b Proposal) int { return cmp.Compare(a.Slot, b.Slot) })
	return lost, kept
}

// answered reports whether a reply reached client.
func answered(t *sim.Trace, client string) bool {
	for _, e := range t.Events {
		if e.Kind == sim.Deliver && e.Node == client && strings.HasPrefix(e.Text, "reply ") {
			return true
		}
	}
	return false
}

// diagram returns the trace without the replicas' ticks and the
// heartbeats (and their drops), which would fill the drawing: a copy
// whose events are renumbered in order.
func diagram(t *sim.Trace) *sim.Trace {
	skip := map[int]bool{}
	for _, e := range t.Events {
		if e.Kind == sim.Send && strings.HasPrefix(e.Text, "heartbeat ") {
			skip[e.MsgID] = true
		}
	}
	d := &sim.Trace{Seed: t.Seed, Nodes: slices.Clone(t.Nodes)}
	for _, e := range t.Events {
		if e.Kind == sim.Timer && e.Text == "tick" || e.MsgID != 0 && skip[e.MsgID] {
			continue
		}
		e.Seq = len(d.Events)
		d.Events = append(d.Events, e)
	}
	return d
}

// story picks out of the trace what the narrative tells: notes (a new
// leader, a client's retry), crashes, restarts, network faults and the
// replies clients receive.
func story(t *sim.Trace) (lines, leaders []Line) {
	for _, e := range t.Events {
		var text string
		switch e.Kind {
		case sim.Local:
			text = e.Text
			if text == "leader" {
				text = "becomes leader"
				leaders = append(leaders, Line{e.Time, e.Node, text})
			}
		case sim.Crash:
			text = "crashes"
		case sim.Restart:
			text = "restarts from its disk"
		case sim.Fault:
			text = "network: " + e.Text
		case sim.Deliver:
			if strings.HasPrefix(e.Text, "reply ") {
				text = "receives " + e.Text + " from " + e.Peer
			}
		}
		if text != "" {
			lines = append(lines, Line{e.Time, e.Node, text})
		}
	}
	return lines, leaders
}
