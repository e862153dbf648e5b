package sim

import (
	"strconv"
	"time"

	"github.com/eventually-perfect/primitives/clocks"
)

// EventKind says what happened at a trace event.
type EventKind uint8

// The kinds of trace events.
const (
	// Send: Node sent message MsgID to Peer.
	Send EventKind = iota + 1
	// Deliver: Node received message MsgID from Peer.
	Deliver
	// Drop: the network lost message MsgID from Node to Peer (loss,
	// partition, or the destination was down).
	Drop
	// Duplicate: the network duplicated message MsgID from Node to Peer;
	// the copy is delivered as its own message with a new MsgID, given in
	// Copy.
	Duplicate
	// Timer: Node's timer Text fired.
	Timer
	// Local: Node noted Text (Context.Note).
	Local
	// Crash: Node crashed, losing its volatile state.
	Crash
	// Restart: Node restarted from its durable storage.
	Restart
	// Pause: Node stopped processing (as under a GC pause) until Resume.
	Pause
	// Resume: Node resumed processing after a Pause.
	Resume
	// Fault: a network fault changed (partition, heal, link settings); Text
	// says which. Node is empty.
	Fault
)

// String returns the lower-case name of the kind, as the renderings print
// it: "send", "deliver", "drop", "duplicate", "timer", "note", "crash",
// "restart", "pause", "resume" or "fault".
func (k EventKind) String() string {
	switch k {
	case Send:
		return "send"
	case Deliver:
		return "deliver"
	case Drop:
		return "drop"
	case Duplicate:
		return "duplicate"
	case Timer:
		return "timer"
	case Local:
		return "note"
	case Crash:
		return "crash"
	case Restart:
		return "restart"
	case Pause:
		return "pause"
	case Resume:
		return "resume"
	case Fault:
		return "fault"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Event is one entry of a Trace.
type Event struct {
	// Seq numbers the events of a trace from 0, in the order they happened.
	Seq int
	// Time is the true (simulated) time of the event; in the Explorer,
	// which has no time, it equals Seq.
	Time time.Duration
	// Kind says what happened.
	Kind EventKind
	// Node is where the event happened (the sender for Send, Drop and
	// Duplicate; the receiver for Deliver).
	Node string
	// Peer is the other end of a message event.
	Peer string
	// MsgID identifies a message: a Send and its Deliver, Drop or Duplicate
	// share it. 0 for events that are not about a message.
	MsgID int
	// Copy is the MsgID of the copy made by a Duplicate event.
	Copy int
	// Text renders the message, the timer's name, the note, or the fault.
	Text string
	// Lamport and Vector are Node's logical clocks after the event (zero
	// for Drop, Duplicate and Fault events, which happen in the network).
	Lamport uint64
	Vector  clocks.Vector
}

// Trace is the record of a run: every send, delivery, drop, duplicate,
// timer, note, crash, restart, pause and fault, in order.
type Trace struct {
	// Seed is the seed of the run that produced the trace (0 for the
	// Explorer).
	Seed uint64
	// Nodes lists the node identifiers, in the order the diagrams draw
	// them.
	Nodes []string
	// Events are the events in the order they happened.
	Events []Event
}
