package main

import (
	"fmt"
	"strings"

	"github.com/eventually-perfect/primitives/examples/agreement/commit"
	"github.com/eventually-perfect/primitives/examples/agreement/lessons"
	"github.com/eventually-perfect/primitives/sim"
)

// The agreement section: two-phase and three-phase commit, run in the
// simulator and searched exhaustively by the explorer, with a coordinator
// and two participants so that every search takes a fraction of a second.
// The protocols are in examples/agreement/commit, the experiments in
// examples/agreement/lessons; `go run ./examples/agreement` and
// docs/agreement.md go further, with three participants.

// agreementTeam is the transaction of the section.
var agreementTeam = lessons.Team(2)

// agreementSafeBounds are the faults of the 2PC safety search.
var agreementSafeBounds = lessons.Bounds{Drops: 1, Crashes: 1, Restarts: 1, Timeouts: 3}

func agreementSection(t *tour) error {
	t.para(`Clocks let machines agree on the order of the events they have seen.
		They cannot make machines agree on anything else: a clock cannot tell
		a node about a message that never arrived. Take a transfer between
		two banks, each with its own database: either both databases apply
		it or neither does. Every node must reach the same decision, commit
		or abort, even when some of them crash. That is the commit problem,
		and its classic solutions show the trade-off at the heart of
		distributed systems: wait for a failed node and stay safe, or go on
		without it and risk disagreeing.`)

	team := agreementTeam
	t.heading("Two-phase commit")
	s, err := lessons.HappyPath2PC(team)
	if err != nil {
		return err
	}
	t.para(fmt.Sprintf(`A coordinator asks each participant to vote (prepare); each votes
		yes or no and writes its vote to disk first; if every vote is yes the
		coordinator decides commit, otherwise abort, writes the decision and
		announces it. Without failures that is %d messages for %d participants,
		and everyone commits: %s.`, s.Stats().Deliveries, len(team.Participants), decisionsLine(s, team)))

	safe, err := lessons.Safe2PC(team, agreementSafeBounds)
	if err != nil {
		return err
	}
	if safe.Result.Violation != nil {
		return fmt.Errorf("2PC safety: %w", safe.Result.Violation)
	}
	t.para(fmt.Sprintf(`Is it safe? The explorer tries every order of every message,
		timeout, loss, crash and restart within a budget (here %s) and checks
		in each state that no two nodes have decided differently and that
		nobody committed without a yes from every participant. It visited
		%d distinct states, up to %d steps deep, and found no violation.`,
		safe.Bounds, safe.Result.Distinct, safe.Result.Depth))

	blocked, err := lessons.Blocked2PC(team)
	if err != nil {
		return err
	}
	v := blocked.Result.Violation
	if v == nil {
		return fmt.Errorf("the explorer found no blocked schedule for 2PC")
	}
	t.para(fmt.Sprintf(`Is it live? Asked to find a state where nothing is left to
		happen and a running node is still undecided, the explorer needed %d
		distinct states to find one, %d steps long:`, blocked.Result.Distinct, v.Depth))
	story(t, v.Trace)
	t.para(`Every participant voted yes and then lost touch with the
		coordinator. A participant that voted yes has promised to commit if
		asked, so it may not abort; it knows neither the other votes nor whether
		the coordinator decided commit before it crashed, so it may not
		commit either. It is blocked until the coordinator comes back. The
		diagram 2pc-blocked.svg draws this schedule.`)

	if t.brief("three-phase commit, which does not block but needs a synchronous network") {
		return nil
	}
	t.heading("Three-phase commit")
	nonblocking, err := lessons.NonBlocking3PC(team)
	if err != nil {
		return err
	}
	if nonblocking.Result.Violation != nil {
		return fmt.Errorf("3PC blocked: %w", nonblocking.Result.Violation)
	}
	t.para(fmt.Sprintf(`Three-phase commit inserts a round between the votes and the
		decision: the coordinator first tells everyone that all voted yes
		(precommit) and waits for acknowledgements. Now a participant that
		times out can decide from its own state: uncertain (no precommit)
		means nobody can have committed, so abort; prepared (precommit
		received) means everyone voted yes, so commit. With any one node
		crashed at any moment (%s), the explorer checked %d distinct
		states: in every state where nothing is left to happen, every
		running node has decided. Three-phase commit does not block.`,
		nonblocking.Bounds, nonblocking.Result.Distinct))

	split, err := lessons.Split3PC(team)
	if err != nil {
		return err
	}
	v = split.Result.Violation
	if v == nil {
		return fmt.Errorf("the explorer found no split schedule for 3PC")
	}
	t.para(fmt.Sprintf(`The price is in the word "means". A timeout means a crash only if
		messages always arrive before it fires. Allowing lost messages (%s),
		the explorer found two participants deciding differently after %d
		distinct states, in %d steps:`, split.Bounds, split.Result.Distinct, v.Depth))
	story(t, v.Trace)
	t.para(`The precommit to the second participant is lost, as in a
		partition, while the first commits. The explorer let timers fire
		only once no message could arrive, so every timeout here is an
		honest one: the rule is followed and still the two sides disagree.
		With timers that may fire early, as in a network with no bound on
		delay, 3PC splits without losing anything at all. Two-phase commit
		stays safe and blocks; three-phase commit stays live and can
		disagree. Fischer, Lynch and Paterson proved in 1985 that the
		choice cannot be escaped: in an asynchronous network where one node
		may crash, no deterministic protocol can guarantee both that the
		nodes agree and that they always decide. Paxos, the subject of a
		later chapter, keeps agreement always and decides whenever the
		network behaves for long enough. The diagram
		3pc-partition.svg draws the split schedule.`)

	diagrams, err := lessons.ExplorerDiagrams(blocked, split)
	if err != nil {
		return err
	}
	for _, d := range diagrams {
		data, err := d.SVG()
		if err != nil {
			return err
		}
		if err := t.writeFile(d.Name, data); err != nil {
			return err
		}
	}
	t.para(`More in docs/agreement.md, and with three participants in
		go run ./examples/agreement.`)
	return nil
}

// decisionsLine lists each node's decision in a finished run.
func decisionsLine(s *sim.Sim[commit.Msg], cfg commit.Config) string {
	d := lessons.Decisions(s, cfg)
	parts := make([]string, 0, len(d))
	for _, id := range cfg.Nodes() {
		parts = append(parts, id+" "+d[id])
	}
	return strings.Join(parts, ", ")
}

// story prints a counterexample trace as numbered steps in words: each
// action of the explorer (a delivery, a loss, a timer, a crash) and,
// indented under it, what the node noted and the messages it sent that
// are still on their way at the end. Other sends show up as the
// deliveries that follow them.
func story(t *tour, tr *sim.Trace) {
	arrived := map[int]bool{}
	for _, e := range tr.Events {
		if e.Kind == sim.Deliver || e.Kind == sim.Drop {
			arrived[e.MsgID] = true
		}
	}
	n := 0
	for _, e := range tr.Events {
		switch e.Kind {
		case sim.Deliver:
			n++
			t.printf("  %2d. %s receives %s from %s\n", n, e.Node, e.Text, e.Peer)
		case sim.Drop:
			n++
			t.printf("  %2d. the network loses %s's %s to %s\n", n, e.Node, e.Text, e.Peer)
		case sim.Timer:
			n++
			t.printf("  %2d. %s's %q timer fires\n", n, e.Node, e.Text)
		case sim.Crash:
			n++
			t.printf("  %2d. %s crashes\n", n, e.Node)
		case sim.Restart:
			n++
			t.printf("  %2d. %s restarts\n", n, e.Node)
		case sim.Local:
			t.printf("        %s: %s\n", e.Node, e.Text)
		case sim.Send:
			if !arrived[e.MsgID] {
				t.printf("        %s sends %s to %s, still on its way at the end\n", e.Node, e.Text, e.Peer)
			}
		}
	}
	t.printf("\n")
}
