package paxos_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/eventually-perfect/primitives/sim"
	"github.com/eventually-perfect/primitives/sim/simtest"
	"pgregory.net/rapid"
)

var simNodes = []string{"n1", "n2", "n3"}

// drawClocks draws a local clock for each node: an offset (skew) within
// one second either way and a drift rate from 20% slow to 20% fast, in
// steps of 2%, or a perfect clock (what rapid shrinks towards). Drift is
// exaggerated far beyond a real quartz's 10-100 ppm on purpose: every
// timer a node sets runs on its local clock, so drift changes which node
// times out first and how often, which is what the protocols must not
// depend on for safety. (Much more than 20% and a leader's heartbeats
// come slower than a fast follower's election timeout: liveness then
// fails by design, not by a bug.) Offsets change what Context.Now reads
// and, since these nodes keep no clock readings, should change nothing:
// the draw keeps them so that a protocol that started to rely on them
// would be caught.
func drawClocks(t *rapid.T, nodes []string) map[string]sim.ClockConfig {
	out := map[string]sim.ClockConfig{}
	for _, id := range nodes {
		off := rapid.IntRange(-1000, 1000).Draw(t, "offset ms "+id)
		drift := rapid.IntRange(-10, 10).Draw(t, "drift 2% "+id)
		if off != 0 || drift != 0 {
			out[id] = sim.ClockConfig{Offset: time.Duration(off) * time.Millisecond, Drift: float64(drift) / 50}
		}
	}
	return out
}

// runSchedule runs three nodes (all acceptors and learners; n1 proposes
// "x" and n2 "y") with drawn clock skew and drift (drawClocks) under the
// drawn seed and fault schedule, over links
// that reorder (1 to 5 ms) and duplicate 5% of messages, checking after
// every event that no two decisions ever made differ (agreement) and that
// only proposed values are decided (validity); once the faults are over,
// every node must decide within two seconds of simulated time (liveness
// after healing).
func runSchedule(t *rapid.T) {
	sys, err := quorum.Majority(simNodes...)
	runScheduleOn(t, simNodes, sys, err)
}

// runScheduleOn is runSchedule with the given nodes and quorum system.
func runScheduleOn(t *rapid.T, simNodes []string, sys *quorum.System, err error) {
	c := drawSimCase(t, simNodes, sys, err)
	if err := c.run(); err != nil {
		t.Fatal(err)
	}
}

// simCase is one run of runSchedule: the nodes, their quorum system, the
// simulator's seed, the fault schedule and the clocks.
type simCase struct {
	nodes  []string
	sys    *quorum.System
	seed   uint64
	sched  simtest.Schedule
	clocks map[string]sim.ClockConfig
	// mutant, if not "", breaks every node (node_mutant.go); spec checks
	// the specification after every event (node_spec_test.go). The
	// mutation test sets them.
	mutant string
	spec   bool
}

// drawSimCase draws a simCase on nodes and sys (err is sys's
// construction error, which fails t).
func drawSimCase(t *rapid.T, nodes []string, sys *quorum.System, err error) simCase {
	seed := rapid.Uint64().Draw(t, "seed")
	sched := simtest.DrawSchedule(t, nodes, simHorizon)
	if err != nil {
		t.Fatal(err)
	}
	return simCase{nodes: nodes, sys: sys, seed: seed, sched: sched, clocks: drawClocks(t, nodes)}
}

// simHorizon is when the last fault of a drawn schedule ends, at the
// latest; adversarialHorizon, of an adversarial one (a few retry periods:
// the proposers compete in the first tens of milliseconds, and a fault
// after a decision is a fault wasted).
const (
	simHorizon         = 500 * time.Millisecond
	adversarialHorizon = 60 * time.Millisecond
)

// nodeMessageClasses are the classes of messages that an adversarial
// schedule may hold back (simtest.Hold): one per type of message.
var nodeMessageClasses = map[string]func(from, to string, m paxos.Message) bool{}

func init() {
	for t := paxos.Prepare; t <= paxos.Decide; t++ {
		nodeMessageClasses[t.String()] = func(_, _ string, m paxos.Message) bool { return m.Type == t }
	}
}

// drawNodeAdversarialCase draws a simCase whose schedule is drawn by
// swarm testing (Groce et al. 2012: each kind of fault enabled or not, at
// its own rate) with up to six faults, Hold included: a class of
// messages (the promises, the acceptances...) held back on one link or on
// all, then delivered late, so that stale promises and acceptances reach
// a proposer that has moved on to a later ballot. The faults fall in the
// first adversarialHorizon, while the proposers compete.
func drawNodeAdversarialCase(t *rapid.T, nodes []string, sys *quorum.System) simCase {
	seed := rapid.Uint64().Draw(t, "seed")
	classes := slices.Sorted(maps.Keys(nodeMessageClasses))
	sw := simtest.DrawSwarm(t, simtest.Options{Messages: classes, MaxFaults: 6})
	sched := sw.Draw(t, nodes, adversarialHorizon)
	return simCase{nodes: nodes, sys: sys, seed: seed, sched: sched, clocks: drawClocks(t, nodes)}
}

// run simulates c and returns the first violation it finds: of agreement
// or validity (or, with c.spec, of the specification) after any event, or
// of liveness two seconds after the faults ended.
func (c simCase) run() error {
	values := map[string]string{"n1": "x", "n2": "y"}
	s, err := sim.New(sim.Config{
		Seed:    c.seed,
		Nodes:   c.nodes,
		Clocks:  c.clocks,
		Link:    sim.LinkConfig{Latency: sim.Uniform(time.Millisecond, 5*time.Millisecond), Duplicate: 0.05},
		NoTrace: true,
	}, func(id string) sim.Node[paxos.Message] {
		p := newPeer(paxos.Config{ID: id, Quorums: c.sys, Learners: c.nodes, Thrifty: true}, values[id], false)
		p.mutant, p.spec = c.mutant, c.spec
		return p
	})
	if err != nil {
		return err
	}
	if err := simtest.ApplyWith(s, c.sched, simtest.Targets[paxos.Message]{Messages: nodeMessageClasses}); err != nil {
		return err
	}
	chosen, by := "", ""
	var violation error
	decided := func(id string) (string, bool) {
		if nd, ok := s.Node(id); ok {
			return nd.(*peer).n.Decided()
		}
		return "", false
	}
	// changed reports whether a storage was written or a decision made or
	// lost since it was last called: the specification's invariants need
	// checking only then.
	var last [2]int
	changed := func() bool {
		var now [2]int
		for i, id := range c.nodes {
			now[0] += s.Storage(id).Writes()
			if _, ok := decided(id); ok {
				now[1] |= 1 << i
			}
		}
		defer func() { last = now }()
		return now != last
	}
	check := func() {
		for _, id := range c.nodes {
			v, ok := decided(id)
			if !ok {
				continue
			}
			if v != "x" && v != "y" {
				violation = fmt.Errorf("validity: %s decided %q, which nobody proposed", id, v)
			} else if by == "" {
				chosen, by = v, id
			} else if v != chosen && violation == nil {
				violation = fmt.Errorf("agreement: %s decided %q, but %s had decided %q", id, v, by, chosen)
			}
		}
		if c.spec && violation == nil && changed() {
			violation = checkNodeSpec(c.sys, c.nodes, s.Storage, decided)
		}
	}
	end := simHorizon + 2*time.Second
	err = s.RunUntil(func() bool {
		check()
		return violation != nil || s.Now() >= end
	})
	if err != nil {
		return err
	}
	if violation != nil {
		return fmt.Errorf("%w (seed %d, %v, clocks %v)", violation, c.seed, c.sched, c.clocks)
	}
	for _, id := range c.nodes {
		nd, ok := s.Node(id)
		if !ok {
			return fmt.Errorf("liveness: %s is down after every fault ended", id)
		}
		if _, ok := nd.(*peer).n.Decided(); !ok {
			return fmt.Errorf("liveness: %s undecided 2s after the faults ended (seed %d, %v, clocks %v)", id, c.seed, c.sched, c.clocks)
		}
	}
	return nil
}

// TestSimulatedFaults checks agreement, validity and liveness after
// healing on rapid-drawn fault schedules: crashes and restarts with
// durable state, pauses, partitions, one-way blocks and message loss, on
// links that reorder and duplicate. rapid's -rapid.checks flag sets the
// number of schedules (100 by default; the long run is
// go test -run TestSimulatedFaults -rapid.checks=10000).
func TestSimulatedFaults(t *testing.T) {
	rapid.Check(t, runSchedule)
}

// TestSimulatedFaultsAdversarial is TestSimulatedFaults with schedules
// drawn adversarially (drawNodeAdversarialCase: swarm testing with messages
// held back and delivered late) and the specification checker of
// node_spec_test.go on, which checks every step against the abstract
// Paxos specification, not only the decisions.
func TestSimulatedFaultsAdversarial(t *testing.T) {
	sys, err := quorum.Majority(simNodes...)
	if err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(t *rapid.T) {
		c := drawNodeAdversarialCase(t, simNodes, sys)
		c.spec = true
		if err := c.run(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestSimulatedFaultsFlexible is TestSimulatedFaults with five nodes and
// the FPaxos system q1 = 4, q2 = 2 (Howard, Malkhi and Spiegelman 2016:
// safe because q1 + q2 > n), with thrifty proposers.
func TestSimulatedFaultsFlexible(t *testing.T) {
	nodes := []string{"n1", "n2", "n3", "n4", "n5"}
	rapid.Check(t, func(t *rapid.T) {
		sys, err := quorum.Flexible(nodes, 4, 2)
		runScheduleOn(t, nodes, sys, err)
	})
}
