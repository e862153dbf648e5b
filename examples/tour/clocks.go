package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/eventually-perfect/primitives/clocks"
)

// The clocks section: three processes exchange messages; Lamport and vector
// clocks timestamp every event; a hybrid logical clock keeps timestamps
// close to skewed physical clocks; an interval tree clock lets replicas come
// and go. The lesson's data is computed by small pure functions
// (lamportVectorRun, hybridRun, itcRun) so that tour_test.go can check the
// claims the prose makes against the same data.

func clocksSection(t *tour) error {
	t.para(`Machines do not share a clock. Each has a quartz crystal that drifts by
		tens of microseconds per second, and the protocols that correct it
		(NTP) leave errors of milliseconds and sometimes step the clock
		backwards. So "which event came first?" cannot be answered by
		comparing wall-clock times taken on different machines. What we can
		say for sure is Lamport's "happened before": an event happened before
		another if they ran in that order on one process, or a message carried
		news of the first to the second's process before the second ran, or a
		chain of such steps links them. Events linked by no chain are
		concurrent. Logical clocks capture that relation with counters
		instead of time.`)

	if err := lamportVectorLesson(t); err != nil {
		return err
	}
	if t.brief("hybrid logical clocks, interval tree clocks and what each clock costs on the wire") {
		return nil
	}
	if err := hybridLesson(t); err != nil {
		return err
	}
	if err := itcLesson(t); err != nil {
		return err
	}
	return costLesson(t)
}

// costLesson compares what the clocks of the lesson cost on the wire, using
// the package's own encodings.
func costLesson(t *tour) error {
	t.heading("What each clock costs")
	run := lamportVectorRun(threeProcesses)
	last := run[len(run)-1]
	vbin, err := last.vector.MarshalBinary()
	if err != nil {
		return err
	}
	vjson, err := last.vector.MarshalJSON()
	if err != nil {
		return err
	}
	records, err := itcRun(itcScript)
	if err != nil {
		return err
	}
	largest, largestLen := clocks.Stamp{}, 0
	for _, r := range records {
		for _, n := range slices.Sorted(maps.Keys(r.stamps)) { // map order is random
			st := r.stamps[n]
			b, err := st.MarshalBinary()
			if err != nil {
				return err
			}
			if len(b) > largestLen {
				largest, largestLen = st, len(b)
			}
		}
	}
	var final clocks.Stamp
	for _, st := range records[len(records)-1].stamps {
		final = st
	}
	fbin, err := final.MarshalBinary()
	if err != nil {
		return err
	}
	t.printf("  %-20s 8 bytes as a uint64 (L(%s) = %d)\n", "Lamport time", last.name, last.lamport)
	t.printf("  %-20s %d bytes binary, %d bytes JSON (V(%s) = %s)\n", "vector clock", len(vbin), len(vjson), last.name, last.vector)
	t.printf("  %-20s %d bytes\n", "hybrid timestamp", clocks.TimestampSize)
	t.printf("  %-20s %d bytes at most in the run, for %s\n", "interval tree clock", largestLen, largest)
	t.printf("  %-20s %d bytes at the end, for %s\n", "", len(fbin), final)
	t.printf("\n")
	t.para(`A Lamport time or a hybrid timestamp has a fixed size whatever the
		number of processes. A vector grows by an ID and a count for every
		process that ever ticked it, so choose short IDs and few writers. An
		interval tree clock grows while replicas are forked and shrinks when
		they join back. docs/clocks.md compares the four in more depth.`)
	return nil
}

// ---------------------------------------------------------------------------
// Lamport and vector clocks on three processes

// procs are the three processes of the lesson, in diagram order.
var procs = []string{"alice", "bob", "carol"}

// stepKind is what a process does at one step of a scripted run.
type stepKind int

const (
	localStep   stepKind = iota // something happens on the process only
	sendStep                    // the process sends a message to peer
	receiveStep                 // the process receives a message from peer
)

// step is one event in a scripted run, in the order the steps happen.
type step struct {
	proc string
	kind stepKind
	peer string // sendStep: the destination; receiveStep: the sender
	msg  string // sendStep, receiveStep: the message's name
	what string // the event in plain words
}

// threeProcesses is the run the lesson follows: alice, bob and carol edit a
// document together and pass drafts around.
var threeProcesses = []step{
	{proc: "alice", kind: localStep, what: "alice writes a first draft"},
	{proc: "alice", kind: sendStep, peer: "bob", msg: "m1", what: "alice sends the draft to bob"},
	{proc: "carol", kind: localStep, what: "carol starts an outline"},
	{proc: "bob", kind: localStep, what: "bob fixes a typo in his notes"},
	{proc: "bob", kind: receiveStep, peer: "alice", msg: "m1", what: "bob receives alice's draft"},
	{proc: "alice", kind: localStep, what: "alice rewrites the introduction"},
	{proc: "bob", kind: sendStep, peer: "carol", msg: "m2", what: "bob forwards the draft to carol"},
	{proc: "carol", kind: receiveStep, peer: "bob", msg: "m2", what: "carol receives the draft"},
	{proc: "carol", kind: sendStep, peer: "alice", msg: "m3", what: "carol sends alice her comments"},
	{proc: "alice", kind: receiveStep, peer: "carol", msg: "m3", what: "alice receives carol's comments"},
}

// stamped is an event of the run with the timestamps the clocks gave it.
type stamped struct {
	step
	name    string        // process initial and sequence number: "a1", "b2"
	lamport uint64        // the process's Lamport clock after the event
	vector  clocks.Vector // the process's vector clock after the event
	preds   []int         // immediate causal predecessors (indices into the run)
}

// lamportVectorRun replays a script with one Lamport clock and one vector
// clock per process. Messages carry the sender's timestamps.
func lamportVectorRun(script []step) []stamped {
	lamport := map[string]*clocks.Lamport{}
	vector := map[string]*clocks.Vector{}
	for _, p := range procs {
		lamport[p], vector[p] = new(clocks.Lamport), new(clocks.Vector)
	}
	type envelope struct {
		lamport uint64
		vector  clocks.Vector
		sent    int // index of the send event
	}
	inFlight := map[string]envelope{}
	last := map[string]int{} // index of each process's latest event
	seq := map[string]int{}

	var run []stamped
	for _, s := range script {
		p := s.proc
		seq[p]++
		e := stamped{step: s, name: fmt.Sprintf("%c%d", p[0], seq[p])}
		if i, ok := last[p]; ok {
			e.preds = append(e.preds, i)
		}
		switch s.kind {
		case localStep, sendStep:
			// A local event and a send are both one tick.
			e.lamport = lamport[p].Tick()
			vector[p].Tick(p)
		case receiveStep:
			// Receive: first take in what the sender knew, then tick.
			m := inFlight[s.msg]
			delete(inFlight, s.msg)
			e.lamport = lamport[p].Witness(m.lamport)
			vector[p].Merge(m.vector)
			vector[p].Tick(p)
			e.preds = append(e.preds, m.sent)
		}
		e.vector = vector[p].Clone()
		if s.kind == sendStep {
			inFlight[s.msg] = envelope{lamport: e.lamport, vector: e.vector.Clone(), sent: len(run)}
		}
		last[p] = len(run)
		run = append(run, e)
	}
	return run
}

// lamportButConcurrent picks the pair of events the lesson explains: x and y
// with L(x) < L(y), so Lamport's numbers suggest x came first, although the
// vector clocks say the two are concurrent. Among all such pairs it prefers
// one where y has heard from x's process, just not about x itself (the case
// that fools people), then the widest Lamport gap, then the earliest pair.
// ok is false if the run has no such pair.
func lamportButConcurrent(run []stamped) (x, y int, ok bool) {
	bestScore := -1
	for i := range run {
		for j := range run {
			a, b := run[i], run[j]
			if a.lamport >= b.lamport || a.vector.Compare(b.vector) != clocks.Concurrent {
				continue
			}
			score := int(b.lamport - a.lamport)
			if b.vector.Get(a.proc) > 0 {
				score += 1 << 20
			}
			if score > bestScore {
				bestScore, x, y, ok = score, i, j, true
			}
		}
	}
	return x, y, ok
}

// longestChain returns the longest chain of events, each happening before
// the next, that ends at event e. With every Lamport clock starting at zero
// and ticking by one, its length is exactly L(e).
func longestChain(run []stamped, e int) []int {
	depth := make([]int, len(run)) // events are in run order, so preds come first
	from := make([]int, len(run))
	for i := range run {
		depth[i], from[i] = 1, -1
		for _, p := range run[i].preds {
			if depth[p]+1 > depth[i] {
				depth[i], from[i] = depth[p]+1, p
			}
		}
	}
	var chain []int
	for i := e; i >= 0; i = from[i] {
		chain = append(chain, i)
	}
	for l, r := 0, len(chain)-1; l < r; l, r = l+1, r-1 {
		chain[l], chain[r] = chain[r], chain[l]
	}
	return chain
}

// relation is the symbol for how event a relates to event b.
func relation(a, b clocks.Vector) string {
	switch a.Compare(b) {
	case clocks.Before:
		return "->"
	case clocks.After:
		return "<-"
	case clocks.Concurrent:
		return "||"
	}
	return "="
}

func lamportVectorLesson(t *tour) error {
	t.heading("Lamport and vector clocks")
	t.para(`A Lamport clock is one counter per process. Every local event and
		every send adds one; a message carries the sender's counter, and the
		receiver sets its own to the larger of the two plus one. A vector
		clock keeps one counter per process instead: a process adds one to
		its own entry at each event, and on receive it first takes the
		entry-wise maximum with the vector the message carried. Here is a run
		of three processes. The vector lists the events of each process that
		the event has heard of, directly or through others.`)

	run := lamportVectorRun(threeProcesses)
	t.printf("  %-4s %-6s %-34s %3s  %s\n", "", "", "", "L", "vector")
	for _, e := range run {
		t.printf("  %-4s %-6s %-34s %3d  %s\n", e.name, e.proc, e.what, e.lamport, e.vector)
	}
	t.printf("\n")

	// The whole happened-before relation, read off the vectors.
	t.para(`Comparing two vectors entry by entry tells us how any two events are
		related: "->" the row happened before the column, "<-" the column
		happened before the row, "||" concurrent (each has heard of something
		the other has not).`)
	t.printf("      ")
	for _, e := range run {
		t.printf("%4s", e.name)
	}
	t.printf("\n")
	ordered, concurrent, agrees, split := 0, 0, 0, 0
	for i, a := range run {
		t.printf("  %-4s", a.name)
		for j, b := range run {
			t.printf("%4s", relation(a.vector, b.vector))
			if j <= i {
				continue
			}
			switch a.vector.Compare(b.vector) {
			case clocks.Before, clocks.After:
				ordered++
				lo, hi := a, b
				if a.vector.Compare(b.vector) == clocks.After {
					lo, hi = b, a
				}
				if lo.lamport < hi.lamport {
					agrees++
				}
			case clocks.Concurrent:
				concurrent++
				if a.lamport != b.lamport {
					split++
				}
			}
		}
		t.printf("\n")
	}
	t.printf("\n")
	t.para(fmt.Sprintf(`Of the %d pairs of events, %d are causally ordered and %d are
		concurrent. For %d of the %d ordered pairs the earlier event has the
		smaller Lamport time: that is Lamport's clock condition, if x happened
		before y then L(x) < L(y), and it always holds. The converse does not:
		%d of the %d concurrent pairs have different Lamport times too, so
		the numbers alone would put them in an order that nothing in the run
		supports.`,
		ordered+concurrent, ordered, concurrent, agrees, ordered, split, concurrent))

	x, y, ok := lamportButConcurrent(run)
	if !ok {
		return fmt.Errorf("the run has no Lamport-ordered concurrent pair to explain")
	}
	ex, ey := run[x], run[y]
	t.printf("Lamport orders %s before %s (L(%s) = %d < L(%s) = %d), yet they are %s.\n\n",
		ex.name, ey.name, ex.name, ex.lamport, ey.name, ey.lamport, ex.vector.Compare(ey.vector))
	t.para(fmt.Sprintf(`Why concurrent: %s is %s's event number %d, but %s has heard of %s of
		%s's events, so %s is not in %s's past. And %s is %s's event number %d,
		but %s has heard of %s of %s's events, so %s is not in %s's past
		either.`,
		ex.name, ex.proc, ex.vector.Get(ex.proc), ey.name, count(ey.vector.Get(ex.proc)), ex.proc,
		ex.name, ey.name,
		ey.name, ey.proc, ey.vector.Get(ey.proc), ex.name, count(ex.vector.Get(ey.proc)), ey.proc,
		ey.name, ex.name))
	t.para(fmt.Sprintf(`Why Lamport puts %s first anyway: a Lamport time is the length of the
		longest chain of events leading up to an event. For %s that is %s;
		for %s it is %s. A longer chain says nothing about which events are
		on it. A Lamport clock is a single number, so it must put every pair
		of events in some order; a vector clock pays one entry per process to
		know for sure.`,
		ex.name, ey.name, chainString(run, longestChain(run, y)),
		ex.name, chainString(run, longestChain(run, x))))

	d := spacetimeOf(run, x, y)
	if err := t.writeFile("clocks-spacetime.svg", d.svg()); err != nil {
		return err
	}
	t.para(`The space-time diagram of this run is in clocks-spacetime.svg: one line
		per process, time flowing to the right, arrows for messages, the
		concurrent pair in orange.`)
	return nil
}

// count writes a number of events in words when it is zero.
func count(n uint64) string {
	if n == 0 {
		return "none"
	}
	return fmt.Sprint(n)
}

// chainString writes a chain of events as "a1 -> a2 -> b2 (3 events)".
func chainString(run []stamped, chain []int) string {
	names := make([]string, len(chain))
	for i, e := range chain {
		names[i] = run[e].name
	}
	return fmt.Sprintf("%s (%d events)", strings.Join(names, " -> "), len(chain))
}

// compactVector writes v as "[2,3,0]", one entry per process in procs
// order, which fits under a dot in the diagram.
func compactVector(v clocks.Vector) string {
	parts := make([]string, len(procs))
	for i, p := range procs {
		parts[i] = fmt.Sprint(v.Get(p))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// spacetimeOf draws the run, highlighting events x and y.
func spacetimeOf(run []stamped, x, y int) *spacetime {
	d := &spacetime{
		title: "Three processes: Lamport times and vector clocks",
		procs: procs,
	}
	index := map[string]int{}
	for i, p := range procs {
		index[p] = i
	}
	sent := map[string]int{}
	for i, e := range run {
		d.events = append(d.events, spacetimeEvent{
			proc:      index[e.proc],
			name:      e.name,
			top:       fmt.Sprintf("L=%d", e.lamport),
			bottom:    compactVector(e.vector),
			highlight: i == x || i == y,
		})
		switch e.kind {
		case sendStep:
			sent[e.msg] = i
		case receiveStep:
			d.arrows = append(d.arrows, spacetimeArrow{from: sent[e.msg], to: i, label: e.msg})
		}
	}
	ex, ey := run[x], run[y]
	d.notes = []string{
		fmt.Sprintf("Vectors are written [alice,bob,carol]. In orange: %s and %s. L(%s)=%d < L(%s)=%d,",
			ex.name, ey.name, ex.name, ex.lamport, ey.name, ey.lamport),
		fmt.Sprintf("but %s %s %s is neither >= nor <= entry-wise: the events are concurrent.",
			compactVector(ex.vector), "vs", compactVector(ey.vector)),
	}
	return d
}
