package clocks_test

import (
	"fmt"

	"strings"

	"pgregory.net/rapid"
)

// This file generates random message-passing histories for the property
// tests of every clock in the package, and computes Lamport's
// happened-before relation on them directly from its definition (process
// order plus send-to-receive edges, closed transitively), without using any
// clock. Each clock's test replays the same histories and compares what the
// clock says against this reference.

// eventKind is what a process does at one step of a history.
type eventKind int

const (
	localEvent eventKind = iota // an internal event
	sendEvent                   // sends one message to peer
	recvEvent                   // receives the message sent by event msg
)

// event is one step of a history, in the global order the steps ran.
type event struct {
	proc int       // the process that performed it, 0..procs-1
	kind eventKind //
	peer int       // for sendEvent: the destination process
	msg  int       // for recvEvent: the index of the matching sendEvent
}

// history is a run of a message-passing system: procs processes, and
// events in the order they ran. Messages may be received in any order
// (the network reorders) and some are never received (lost or in flight).
type history struct {
	procs  int
	events []event
	// reach[i] is a bitset of the events that happened before event i.
	reach [][]uint64
}

// procName gives the string identifier used for process p in clocks that
// are keyed by replica ID.
func procName(p int) string { return string(rune('a' + p)) }

// drawHistory draws a random history of 2 to maxProcs processes and up to
// maxEvents events.
func drawHistory(t *rapid.T, maxProcs, maxEvents int) history {
	procs := rapid.IntRange(2, maxProcs).Draw(t, "procs")
	steps := rapid.IntRange(1, maxEvents).Draw(t, "steps")
	h := history{procs: procs}
	// inFlight[p] lists the send events addressed to p not yet received.
	inFlight := make([][]int, procs)
	for range steps {
		p := rapid.IntRange(0, procs-1).Draw(t, "proc")
		kind := eventKind(rapid.IntRange(0, 2).Draw(t, "kind"))
		ev := event{proc: p, kind: kind}
		switch kind {
		case sendEvent:
			q := rapid.IntRange(0, procs-2).Draw(t, "to")
			if q >= p {
				q++ // never to itself
			}
			ev.peer = q
			inFlight[q] = append(inFlight[q], len(h.events))
		case recvEvent:
			if len(inFlight[p]) == 0 {
				ev.kind = localEvent
				break
			}
			k := rapid.IntRange(0, len(inFlight[p])-1).Draw(t, "which")
			ev.msg = inFlight[p][k]
			inFlight[p] = append(inFlight[p][:k], inFlight[p][k+1:]...)
		}
		h.events = append(h.events, ev)
	}
	h.closure()
	return h
}

// closure computes reach from the definition of happened-before: e -> f if
// e precedes f on the same process, or e is the send of a message whose
// receipt is f, or there is g with e -> g and g -> f.
func (h *history) closure() {
	n := len(h.events)
	words := (n + 63) / 64
	h.reach = make([][]uint64, n)
	last := make([]int, h.procs) // last event index of each process, -1 if none
	for p := range last {
		last[p] = -1
	}
	for i, ev := range h.events {
		r := make([]uint64, words)
		if prev := last[ev.proc]; prev >= 0 {
			or(r, h.reach[prev])
			r[prev/64] |= 1 << (prev % 64)
		}
		if ev.kind == recvEvent {
			or(r, h.reach[ev.msg])
			r[ev.msg/64] |= 1 << (ev.msg % 64)
		}
		h.reach[i] = r
		last[ev.proc] = i
	}
}

func or(dst, src []uint64) {
	for i := range src {
		dst[i] |= src[i]
	}
}

// happenedBefore reports whether event i happened before event j.
func (h history) happenedBefore(i, j int) bool {
	return h.reach[j][i/64]&(1<<(i%64)) != 0
}

// concurrent reports whether distinct events i and j are causally
// unrelated.
func (h history) concurrent(i, j int) bool {
	return i != j && !h.happenedBefore(i, j) && !h.happenedBefore(j, i)
}

// String renders the history one event per line, for failure messages.
func (h history) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d processes\n", h.procs)
	for i, ev := range h.events {
		switch ev.kind {
		case localEvent:
			fmt.Fprintf(&b, "e%d: %s local\n", i, procName(ev.proc))
		case sendEvent:
			fmt.Fprintf(&b, "e%d: %s send to %s\n", i, procName(ev.proc), procName(ev.peer))
		case recvEvent:
			fmt.Fprintf(&b, "e%d: %s receive e%d\n", i, procName(ev.proc), ev.msg)
		}
	}
	return b.String()
}
