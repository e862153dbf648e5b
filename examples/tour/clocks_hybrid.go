package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/eventually-perfect/primitives/clocks"
)

// The hybrid logical clock part of the clocks section. Physical clocks are
// simulated: a shared "true time" that the script advances, and per node an
// offset from it, so the run is the same on every machine and every day.

// hlcEpoch is the true time at which the simulated run starts.
var hlcEpoch = time.Date(2025, time.January, 1, 12, 0, 0, 0, time.UTC).UnixNano()

// hlcMaxOffset is the largest clock offset the nodes tolerate, CockroachDB's
// default.
const hlcMaxOffset = 500 * time.Millisecond

// hlcStepKind is what happens at one step of the hybrid clock script.
type hlcStepKind int

const (
	hlcLocal   hlcStepKind = iota // a local event or a send: Now
	hlcSend                       // a send: Now, and the timestamp travels as msg
	hlcReceive                    // a receive: Update with msg's timestamp
	hlcAdjust                     // the node's physical clock is stepped by shift
)

// hlcStep is one step of the script.
type hlcStep struct {
	at    time.Duration // true time since hlcEpoch
	node  string
	kind  hlcStepKind
	msg   string
	shift time.Duration // hlcAdjust: how far the clock is stepped
	what  string
}

// hlcOffsets are the nodes' physical clock errors at the start: bob's clock
// runs ahead, carol's behind, and dave's is far ahead (say his VM resumed
// from a snapshot with a badly set clock).
var hlcOffsets = map[string]time.Duration{
	"alice": 0,
	"bob":   150 * time.Millisecond,
	"carol": -40 * time.Millisecond,
	"dave":  1500 * time.Millisecond,
}

var hlcScript = []hlcStep{
	{at: 0, node: "bob", kind: hlcSend, msg: "h1", what: "bob sends h1 to alice"},
	{at: 10 * time.Millisecond, node: "alice", kind: hlcReceive, msg: "h1", what: "alice receives h1"},
	{at: 20 * time.Millisecond, node: "alice", kind: hlcLocal, what: "alice writes a record"},
	{at: 30 * time.Millisecond, node: "alice", kind: hlcSend, msg: "h2", what: "alice sends h2 to carol"},
	{at: 40 * time.Millisecond, node: "carol", kind: hlcReceive, msg: "h2", what: "carol receives h2"},
	{at: 60 * time.Millisecond, node: "carol", kind: hlcLocal, what: "carol writes a record"},
	{at: 170 * time.Millisecond, node: "alice", kind: hlcLocal, what: "alice writes a record"},
	{at: 180 * time.Millisecond, node: "alice", kind: hlcAdjust, shift: -100 * time.Millisecond, what: "NTP steps alice's clock back 100ms"},
	{at: 190 * time.Millisecond, node: "alice", kind: hlcLocal, what: "alice writes a record"},
	{at: 200 * time.Millisecond, node: "alice", kind: hlcSend, msg: "h3", what: "alice sends h3 to bob"},
	{at: 210 * time.Millisecond, node: "bob", kind: hlcReceive, msg: "h3", what: "bob receives h3"},
	{at: 220 * time.Millisecond, node: "dave", kind: hlcSend, msg: "h4", what: "dave sends h4 to carol"},
	{at: 230 * time.Millisecond, node: "carol", kind: hlcReceive, msg: "h4", what: "carol receives h4"},
}

// hlcRow is what happened at one step: the node's physical reading and its
// hybrid clock afterwards.
type hlcRow struct {
	hlcStep
	physical int64            // the node's physical clock at the step
	ts       clocks.Timestamp // the hybrid clock after the step
	before   clocks.Timestamp // the hybrid clock before the step
	remote   clocks.Timestamp // hlcReceive: the timestamp the message carried
	err      error            // from Update, if it refused the message
}

// simClock is a simulated physical clock: true time plus an offset.
type simClock struct {
	now    *int64 // true time, shared by all nodes
	offset int64
}

func (c *simClock) read() int64 { return *c.now + c.offset }

// hybridRun plays the script with one hybrid clock per node, each reading
// its own simulated physical clock.
func hybridRun(script []hlcStep) []hlcRow {
	now := hlcEpoch
	phys := map[string]*simClock{}
	hlc := map[string]*clocks.Hybrid{}
	for node, off := range hlcOffsets {
		phys[node] = &simClock{now: &now, offset: int64(off)}
		hlc[node] = clocks.NewHybrid(phys[node].read, hlcMaxOffset)
	}
	inFlight := map[string]clocks.Timestamp{}
	var rows []hlcRow
	for _, s := range script {
		now = hlcEpoch + int64(s.at)
		c := hlc[s.node]
		r := hlcRow{hlcStep: s, before: c.Last()}
		switch s.kind {
		case hlcLocal:
			r.ts = c.Now()
		case hlcSend:
			r.ts = c.Now()
			inFlight[s.msg] = r.ts
		case hlcReceive:
			r.remote = inFlight[s.msg]
			r.ts, r.err = c.Update(r.remote)
			if r.err != nil {
				r.ts = c.Last()
			}
		case hlcAdjust:
			phys[s.node].offset += int64(s.shift)
			r.ts = c.Last()
		}
		r.physical = phys[s.node].read()
		rows = append(rows, r)
	}
	return rows
}

// rel writes a Unix-nanosecond time as an offset from the epoch of the run,
// "+150ms", which is easier to read than a full date.
func rel(ns int64) string {
	d := time.Duration(ns - hlcEpoch)
	if d >= 0 {
		return "+" + d.String()
	}
	return d.String()
}

func hybridLesson(t *tour) error {
	t.heading("Hybrid logical clocks")
	t.para(`Logical clocks forget the time of day, and a database that keeps
		versions by timestamp needs it ("read as of 12:00"). A hybrid logical
		clock (Kulkarni et al., 2014) is a pair: a wall part that follows the
		largest physical time the node has seen, its own clock or one carried
		by a message, and a small logical counter that orders events sharing
		a wall part. When the node's physical clock moves past the wall part,
		the counter drops back to zero.`)
	t.para(fmt.Sprintf(`Simulated clocks: alice's is right, bob's runs %s ahead, carol's %s
		behind, dave's %s ahead. Times below are relative to the start of the
		run, %s. Every node refuses timestamps more than %s ahead of its own
		physical clock.`,
		hlcOffsets["bob"], -hlcOffsets["carol"], hlcOffsets["dave"],
		time.Unix(0, hlcEpoch).UTC().Format(time.RFC3339), hlcMaxOffset))

	rows := hybridRun(hlcScript)
	t.printf("  %-6s %-36s %-9s %-15s %s\n", "true", "event", "physical", "HLC wall,logic", "HLC ahead by")
	var rejected *hlcRow
	for i, r := range rows {
		if r.err != nil {
			rejected = &rows[i]
		}
		hl := fmt.Sprintf("%s,%d", rel(r.ts.Wall), r.ts.Logical)
		ahead := time.Duration(r.ts.Wall - r.physical).String()
		switch {
		case r.err != nil:
			hl, ahead = "refused", ""
		case r.kind == hlcAdjust:
			hl, ahead = "(no event)", ""
		}
		t.printf("  %-6s %-36s %-9s %-15s %s\n", "+"+r.at.String(), r.what, rel(r.physical), hl, ahead)
	}
	t.printf("\n")

	// What the table shows, with the numbers read from the run.
	var maxAhead time.Duration
	var maxLogical uint32
	for _, r := range rows {
		maxAhead = max(maxAhead, time.Duration(r.ts.Wall-r.physical))
		maxLogical = max(maxLogical, r.ts.Logical)
	}
	lo, hi := clockSpread(hlcScript, "dave")
	t.para(fmt.Sprintf(`Bob's message drags alice's and carol's wall parts ahead of their own
		clocks, and the logical counter (up to %d here) orders their events
		until alice's clock catches up and the counter resets. The wall part
		never falls behind a node's physical clock and never gets further
		ahead of it than the clocks disagree: at most %s here, while the
		clocks of alice, bob and carol were up to %s apart. When NTP steps
		alice's clock backwards, her timestamps keep increasing: the wall
		part holds and the counter moves.`,
		maxLogical, maxAhead, hi-lo))
	if err := t.writeFile("clocks-hybrid.svg", hybridPlot(rows, []string{"alice", "bob", "carol"})); err != nil {
		return err
	}
	t.para(`clocks-hybrid.svg plots the same run: each node's physical clock as a
		dashed line at its offset from true time, each timestamp as a dot at
		its wall part.`)
	if rejected == nil {
		return fmt.Errorf("the hybrid clock accepted every message; the lesson expects one refusal")
	}
	t.para(fmt.Sprintf(`Dave's message carries a wall time %s ahead of %s's physical clock.
		Accepting it would drag every clock it reaches that far into the
		future, and timestamps, once issued, cannot be taken back. So %s's
		clock refuses it and stays at %s (the String form: seconds since 1970
		and the logical counter). Update returns an error that wraps
		clocks.ErrClockOffset (errors.Is reports %t), so the caller can drop
		the message and raise an alarm:`,
		time.Duration(rejected.remote.Wall-rejected.physical), rejected.node, rejected.node,
		rejected.ts, errors.Is(rejected.err, clocks.ErrClockOffset)))
	t.printf("%s\n\n", wrap(rejected.err.Error(), 78, "    "))
	t.para(`CockroachDB does the same with its maximum clock offset (500ms by
		default), and a node that finds its own clock too far from its peers
		shuts itself down rather than hand out misleading timestamps.`)
	return nil
}

// clockSpread returns the smallest and largest offset from true time that
// the physical clocks of the script's nodes had at any step, leaving out
// the nodes named in except.
func clockSpread(script []hlcStep, except ...string) (lo, hi time.Duration) {
	off := map[string]time.Duration{}
	for n, o := range hlcOffsets {
		off[n] = o
	}
	skip := map[string]bool{}
	for _, n := range except {
		skip[n] = true
	}
	first := true
	note := func() {
		for n, o := range off {
			if skip[n] {
				continue
			}
			if first || o < lo {
				lo = o
			}
			if first || o > hi {
				hi = o
			}
			first = false
		}
	}
	note()
	for _, s := range script {
		if s.kind == hlcAdjust {
			off[s.node] += s.shift
			note()
		}
	}
	return lo, hi
}
