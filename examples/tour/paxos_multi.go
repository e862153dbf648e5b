package main

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/eventually-perfect/primitives/examples/counter/scenario"
)

// The Multi-Paxos section: a replicated counter on three simulated
// replicas through a leader crash (the scenario of examples/counter): one
// phase 1 per leader, phase 2 per slot, a lost proposal that the next
// leader fills with a no-op, and client sessions that make retries
// harmless. The facts it prints come from scenario.Run;
// paxos_multi_test.go checks them.

func init() {
	register(section{order: 75, name: "multipaxos", title: "Multi-Paxos: a replicated log through a leader crash", run: multipaxosSection})
}

// multipaxosSeed is the seed of the run the section shows.
const multipaxosSeed = 1

func tourMs(d time.Duration) string {
	return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)), ".0") + " ms"
}

func multipaxosSection(t *tour) error {
	res, err := scenario.Run(scenario.Options{Seed: multipaxosSeed})
	if err != nil {
		return err
	}
	t.para(`Paxos chooses one value. A replicated service needs a sequence of
	them: a log of commands that every replica applies in the same order to
	its copy of the state (Lamport, "Paxos Made Simple", section 3). Running
	a full Paxos instance per slot would cost two round trips per command.
	Multi-Paxos elects a leader that runs phase 1 once, for every slot it
	has not seen decided, and then only phase 2 per slot: one round trip
	per command, or per batch of commands.`)

	t.heading("A replicated counter")
	first := res.Leaders[0]
	t.para(fmt.Sprintf(`Three replicas %s each apply the decided log to their own counter.
	Client c1 submits %d increments, one at a time, each tagged with its
	session: client c1, sequence number 1, 2, and so on. After %s without a
	leader's heartbeat, replicas start elections with jittered timeouts;
	%s won the first one, at %s.`, strings.Join(res.Replicas, ", "), len(res.Submitted)-2,
		"five ticks", first.Node, tourMs(first.At)))

	t.heading("The leader crashes")
	newLeader := res.Leaders[len(res.Leaders)-1]
	var lost, slots []string
	filled := len(res.Lost) > 0
	for _, l := range res.Lost {
		lost = append(lost, fmt.Sprintf("%s in slot %d", l.Entry, l.Slot))
		slots = append(slots, fmt.Sprint(l.Slot))
		filled = filled && slices.Contains(res.NoOps, l.Slot)
	}
	t.para(fmt.Sprintf(`At %s the links from the leader %s to the others fail for 4.5 ms,
	while a request from client c2 reaches it. %s proposes %s around then, and
	nobody else receives those accepts. The links come back; %s proposes
	client c3's increment, %s, in slot %d, which the others accept; at %s,
	before its next tick would send the lost proposals again, %s crashes.`,
		tourMs(res.CrashAt-9*time.Millisecond), res.Crashed, res.Crashed, strings.Join(lost, " and "),
		res.Crashed, res.Kept.Entry, res.Kept.Slot, tourMs(res.CrashAt), res.Crashed))
	fill := "found something in the lost slots"
	if filled {
		were := "slot %s was"
		if len(slots) > 1 {
			were = "slots %s were"
		}
		fill = fmt.Sprintf(`learns from the majority that answers that slot %d was accepted
		and `+were+` not. A value can be chosen in a slot only with the
		acceptance of a majority, and every majority meets the one that
		answered; so nothing was chosen there, and the new leader fills the gap
		with a no-op, keeping the log gap-free so that replicas can apply it in
		order`, res.Kept.Slot, strings.Join(slots, " and "))
	}
	t.para(fmt.Sprintf(`%s is elected at %s. Its phase 1 %s. It also proposes again, in its
	own ballot, what it found accepted (c3's increment, in slot %d). Clients
	c2 and c3 retry at the new leader; c1, whose request went unanswered,
	retries the same command (same sequence number) at another replica.
	%s restarts at %s from what it saved on disk, and catches up.`,
		newLeader.Node, tourMs(newLeader.At), fill, res.Kept.Slot, res.Crashed, tourMs(res.RestartAt)))

	t.para("The decided log, the same on every replica:")
	for slot, e := range res.Log[res.Replicas[0]] {
		t.printf("    slot %2d  %s\n", slot, e)
	}
	t.printf("\n")
	var values []string
	for _, id := range res.Replicas {
		values = append(values, fmt.Sprintf("%s=%d", id, res.Values[id]))
	}
	once := true
	for _, id := range res.Replicas {
		for _, c := range res.Submitted {
			once = once && res.Applied[id][c] == 1
		}
	}
	onceText := "each exactly once"
	if !once {
		onceText = "but NOT each exactly once"
	}
	t.para(fmt.Sprintf(`Final counters: %s, for %d distinct increments, %s on every
	replica. A retried command reuses its sequence number, and a replica
	does not apply a command of a session whose sequence number it has
	already applied: that is what makes a retry after a timeout or a leader
	change safe. Without sessions, the retry of a command that was decided
	but whose reply was lost with the leader would count twice.`, strings.Join(values, ", "), len(res.Submitted), onceText))

	var svg bytes.Buffer
	if err := res.Diagram.WriteSVG(&svg); err != nil {
		return err
	}
	if err := t.writeFile("multipaxos-counter.svg", svg.Bytes()); err != nil {
		return err
	}
	t.para(`The space-time diagram of the run, without the ticks and heartbeats,
	is in multipaxos-counter.svg; go run ./examples/counter tells the same
	story event by event.`)
	return nil
}
