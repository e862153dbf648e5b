package paxos_test

import (
	"fmt"
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
	seed := rapid.Uint64().Draw(t, "seed")
	horizon := 500 * time.Millisecond
	sched := simtest.DrawSchedule(t, simNodes, horizon)
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{"n1": "x", "n2": "y"}
	clocks := drawClocks(t, simNodes)
	s, err := sim.New(sim.Config{
		Seed:    seed,
		Nodes:   simNodes,
		Clocks:  clocks,
		Link:    sim.LinkConfig{Latency: sim.Uniform(time.Millisecond, 5*time.Millisecond), Duplicate: 0.05},
		NoTrace: true,
	}, func(id string) sim.Node[paxos.Message] {
		return newPeer(paxos.Config{ID: id, Quorums: sys, Learners: simNodes, Thrifty: true}, values[id], false)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := simtest.Apply(s, sched); err != nil {
		t.Fatal(err)
	}
	chosen, by := "", ""
	var violation error
	check := func() {
		for _, id := range simNodes {
			nd, ok := s.Node(id)
			if !ok {
				continue
			}
			v, ok := nd.(*peer).n.Decided()
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
	}
	end := horizon + 2*time.Second
	err = s.RunUntil(func() bool {
		check()
		return violation != nil || s.Now() >= end
	})
	if err != nil {
		t.Fatal(err)
	}
	if violation != nil {
		t.Fatalf("%v (seed %d, %v, clocks %v)", violation, seed, sched, clocks)
	}
	for _, id := range simNodes {
		nd, ok := s.Node(id)
		if !ok {
			t.Fatalf("liveness: %s is down after every fault ended", id)
		}
		if _, ok := nd.(*peer).n.Decided(); !ok {
			t.Fatalf("liveness: %s undecided 2s after the faults ended (seed %d, %v, clocks %v)", id, seed, sched, clocks)
		}
	}
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
