package paxos_test

import (
	"os"
	"strings"
	"testing"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/eventually-perfect/primitives/sim"
	"github.com/stretchr/testify/require"
)

// explore5 explores five replicas a..e with majority quorums, commands
// submitted at c, a and e (three clients), the specification checked in
// every state (checkGhost), under delay-bounded scheduling (Emmi, Qadeer
// and Rakamarić, POPL 2011: messages are delivered in the order they were sent,
// except maxDelays times per path) and synchronous timers (a timer fires
// only when no message can be delivered), with timeouts election or
// heartbeat timers in all and drops lost messages.
func explore5(t *testing.T, mutant string, timeouts, drops, maxDelays, maxStates int) *sim.ExploreResult {
	nodes := []string{"a", "b", "c", "d", "e"}
	sys, err := quorum.Majority(nodes...)
	require.NoError(t, err)
	cmds := map[string][]paxos.Command{
		"c": {{Client: "x", Seq: 1, Op: "X"}}, "a": {{Client: "e", Seq: 1, Op: "E"}}, "e": {{Client: "d", Seq: 1, Op: "D"}}}
	res, err := sim.Explore(sim.ExploreConfig[paxos.LogMessage, *explReplica]{
		Nodes: nodes,
		New: func(id string) *explReplica {
			return &explReplica{cfg: paxos.ReplicaConfig{ID: id, Quorums: sys, ElectionTicks: 1}, cmds: cmds[id], mutant: mutant}
		},
		Invariant:     func(w *sim.World[paxos.LogMessage, *explReplica]) error { return checkGhost(sys, w.Nodes(), w.Storage) },
		EncodeMessage: func(b []byte, m paxos.LogMessage) []byte { b, _ = m.AppendBinary(b); return b },
		Synchronous:   true, DelayBounding: true, MaxDelays: maxDelays,
		MaxTimeouts: timeouts, MaxDrops: drops, MaxStates: maxStates,
		Workers: 1,
	})
	require.NoError(t, err)
	return res
}

// TestReplicaExploredFive explores five replicas (explore5) with two
// timeouts and one out-of-order delivery per path: 10,368 states,
// complete, every one checked against the specification. PAXOS_LONG=1
// widens it to three timeouts and one dropped message (see the log for
// the count; it stops at 1,500,000 states). Every replica campaigns and
// messages may be reordered, but faults are single drops, so it does not
// reach the issue-11 trace, which needs three elections, about five lost
// messages and a catch-up request delayed across two of them; the
// two-site exploration below, whose faults are partitions between sites
// and one long delay, finds it (TestReplicaExploredSitesFindsIssue11).
func TestReplicaExploredFive(t *testing.T) {
	timeouts, drops, states := 2, 0, 200_000
	long := os.Getenv("PAXOS_LONG") != ""
	if long {
		timeouts, drops, states = 3, 1, 1_500_000
	}
	res := explore5(t, "", timeouts, drops, 1, states)
	if res.Violation != nil {
		t.Fatalf("%v", res.Violation)
	}
	require.True(t, res.Complete || long, "the default bounds must be explored completely: %+v", res)
	t.Logf("five replicas: %d distinct states, depth %d, widest level %d, complete %v, %v", res.Distinct, res.Depth, res.Frontier, res.Complete, res.Elapsed)
}

// TestReplicaExploredFiveCanFail: the same exploration kills broken
// replicas, at the first bad step: a leader that decides one
// acknowledgement short (P3) and an acceptor that accepts below its
// promise (P1).
func TestReplicaExploredFiveCanFail(t *testing.T) {
	for _, m := range []string{"decide-one-short", "accept-below-promise"} {
		res := explore5(t, m, 2, 0, 1, 200_000)
		require.NotNil(t, res.Violation, "the exploration of five replicas did not catch mutant %s", m)
		t.Logf("%s: %v", m, res.Violation.Err)
	}
}

// siteBounds are the fault bounds of exploreSites.
type siteBounds struct {
	timeouts, cuts, holds, states int
}

// exploreSites explores five replicas in two sites, a and b in one and c,
// d and e in the other, whose link fails and heals (the partition between
// the sites, bounds.cuts changes per path); the links inside a site never
// fail. Two replicas contend for leadership, one per site: a and c (the
// others never campaign). Clients submit X at c, E at b and D at e (b and
// e forward them to the leader they know when their timer fires; d only
// answers). Timers fire only when no message can be delivered
// (synchronous), at most bounds.timeouts times; messages are delivered
// in the order they were sent (delay bound 0), except that one catch-up
// request may be delayed beyond any timeout (bounds.holds): the class of
// stale message issue 11 is about. The specification is checked in every
// state (checkGhost).
//
// These bounds stand for the faults of the issue-11 scenario without
// naming its steps: a leader change or two between the sites, a link that
// fails and heals, one long delay. What they leave out is stated where
// they are set: symmetry does not apply (ballots order replicas by
// identifier), so the explorer is given a topology instead of every
// partition of five nodes, which would multiply each change of partition
// by 16.
func exploreSites(t *testing.T, mutant string, b siteBounds) *sim.ExploreResult {
	nodes := []string{"a", "b", "c", "d", "e"}
	sys, err := quorum.Majority(nodes...)
	require.NoError(t, err)
	cmds := map[string][]paxos.Command{
		"c": {{Client: "x", Seq: 1, Op: "X"}}, "b": {{Client: "e", Seq: 1, Op: "E"}}, "e": {{Client: "d", Seq: 1, Op: "D"}}}
	res, err := sim.Explore(sim.ExploreConfig[paxos.LogMessage, *explReplica]{
		Nodes: nodes,
		New: func(id string) *explReplica {
			ticks := 1 // a and c campaign at their first timeout
			if id != "a" && id != "c" {
				ticks = 1 << 20 // never within the bounds
			}
			return &explReplica{cfg: paxos.ReplicaConfig{ID: id, Quorums: sys, ElectionTicks: ticks},
				cmds: cmds[id], mutant: mutant, passive: id == "d"}
		},
		Invariant:     func(w *sim.World[paxos.LogMessage, *explReplica]) error { return checkGhost(sys, w.Nodes(), w.Storage) },
		EncodeMessage: func(b []byte, m paxos.LogMessage) []byte { b, _ = m.AppendBinary(b); return b },
		Synchronous:   true, DelayBounding: true,
		MaxTimeouts: b.timeouts, MaxPartitions: b.cuts, Partitions: [][]string{{"a", "b"}},
		MaxHolds: b.holds, Holdable: func(e sim.Envelope[paxos.LogMessage]) bool { return e.Msg.Type == paxos.LogCatchUp },
		MaxStates: b.states, Workers: 1,
	})
	require.NoError(t, err)
	return res
}

// TestReplicaExploredSites explores the two sites (exploreSites) with
// four timeouts, two changes of the link and one delayed catch-up
// request, completely (19,624 states, under a second without -race): the
// specification holds in every state of the correct replica.
// TestReplicaExploredSitesCanFail shows the same bounds kill seven of the
// thirteen mutants. PAXOS_LONG=1 widens them to the bounds in which the
// exploration finds the issue-11 bug by itself
// (TestReplicaExploredSitesFindsIssue11): seven timeouts, four changes of
// the link, one delayed catch-up request, 3,795,947 states, complete, no
// violation (2.5 minutes, 3.5 GB).
func TestReplicaExploredSites(t *testing.T) {
	b := siteBounds{timeouts: 4, cuts: 2, holds: 1, states: 1_000_000}
	if os.Getenv("PAXOS_LONG") != "" {
		b = issue11Bounds
	}
	res := exploreSites(t, "", b)
	if res.Violation != nil {
		t.Fatalf("%v", res.Violation)
	}
	require.True(t, res.Complete, "the default bounds must be explored completely: %+v", res)
	t.Logf("two sites, %+v: %d distinct states, depth %d, widest level %d, %v", b, res.Distinct, res.Depth, res.Frontier, res.Elapsed)
}

// TestReplicaExploredSitesCanFail: the default two-site exploration kills
// the broken replicas whose bug a partition between the sites and a
// leader change expose, each at its first bad step.
func TestReplicaExploredSitesCanFail(t *testing.T) {
	for _, m := range []string{"notice-any-ballot", "accept-below-promise", "skip-phase1-value",
		"promise-without-acceptances", "decide-one-short", "ack-without-accept", "promise-not-persisted"} {
		res := exploreSites(t, m, siteBounds{timeouts: 4, cuts: 2, holds: 1, states: 1_000_000})
		require.NotNil(t, res.Violation, "the two-site exploration did not catch mutant %s", m)
		t.Logf("%s: %d states: %v", m, res.Distinct, res.Violation.Err)
	}
}

// issue11Bounds are the two-site bounds within which the exploration
// finds the issue-11 bug, and within which the correct replica is
// explored completely under PAXOS_LONG.
var issue11Bounds = siteBounds{timeouts: 7, cuts: 4, holds: 1, states: 5_000_000}

// TestReplicaExploredSitesFindsIssue11 puts the issue-11 bug back (a
// leader that learns another decision than its proposal keeps leading)
// and lets the two-site exploration find it by itself, breadth-first, so
// that the counterexample is a shortest one within the bounds: seven
// timeouts, four changes of the link between the sites and one delayed
// catch-up request. It takes 1,824,426 states (depth 61) and 1.5 minutes
// (2.4 GB), so it runs with PAXOS_LONG=1; the default run keeps the mutant killed
// by the specification checker and the adversarial simulation
// (mutation_test.go). The violation is the one the issue describes: b
// learns E in slot 1 from a commit notice of a's ballot after a learned
// D there from c's catch-up answer.
func TestReplicaExploredSitesFindsIssue11(t *testing.T) {
	if os.Getenv("PAXOS_LONG") == "" {
		t.Skip("1.8 million states: PAXOS_LONG=1 runs it")
	}
	res := exploreSites(t, "leader-keeps-stale-proposal", issue11Bounds)
	require.NotNil(t, res.Violation, "the two-site exploration did not find the issue-11 bug within its bounds: %+v", res)
	require.Contains(t, res.Violation.Err.Error(), "P3", "the first bad step is a learn of a value no quorum accepted")
	t.Logf("found after %d states (depth %d, widest level %d) in %v: %v", res.Distinct, res.Violation.Depth, res.Frontier, res.Elapsed, res.Violation.Err)
	var transcript strings.Builder
	require.NoError(t, res.Violation.Trace.WriteTranscript(&transcript))
	t.Logf("the counterexample:\n%s", transcript.String())
}
