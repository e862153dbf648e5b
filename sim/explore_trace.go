package sim

import (
	"fmt"
	"time"

	"github.com/eventually-perfect/primitives/clocks"
)

// tracer records the events of a path while the explorer replays it, with
// the conventions of the Simulator's traces: Lamport and vector clocks per
// process (nodes, then clients in order of appearance), a Send at the
// sender, a Deliver at the receiver after merging the message's clocks,
// Drop and Duplicate in the network with zero clocks. Time equals Seq.
//
// The search does not tell copies of a message apart; the tracer numbers
// them, and a delivery or drop takes the oldest copy in flight.
type tracer[M any] struct {
	t       Trace
	index   map[string]int // process → position in lamport and vector
	lamport []*clocks.Lamport
	vector  []clocks.Vector
	copies  map[string][]int // message encoding → ids of its copies in flight, oldest first
	stamps  map[int]stamp    // message id → clocks it carries
	last    int              // last message id given
}

// stamp is what a message carries: its sender's clocks at the send.
type stamp struct {
	lamport uint64
	vector  clocks.Vector
}

func newTracer[M any](nodes []string) *tracer[M] {
	tr := &tracer[M]{
		index:  make(map[string]int),
		copies: make(map[string][]int),
		stamps: make(map[int]stamp),
	}
	for _, id := range nodes {
		tr.process(id)
	}
	return tr
}

// process returns the position of process id, adding it (a client) if
// new.
func (tr *tracer[M]) process(id string) int {
	if p, ok := tr.index[id]; ok {
		return p
	}
	p := len(tr.t.Nodes)
	tr.index[id] = p
	tr.t.Nodes = append(tr.t.Nodes, id)
	tr.lamport = append(tr.lamport, new(clocks.Lamport))
	tr.vector = append(tr.vector, clocks.Vector{})
	return p
}

func (tr *tracer[M]) record(e Event) {
	e.Seq = len(tr.t.Events)
	e.Time = time.Duration(e.Seq)
	tr.t.Events = append(tr.t.Events, e)
}

// local records a local event (timer, note, crash, restart) of node i.
func (tr *tracer[M]) local(i int, kind EventKind, text string) {
	id := tr.t.Nodes[i]
	l := tr.lamport[i].Tick()
	tr.vector[i].Tick(id)
	tr.record(Event{Kind: kind, Node: id, Text: text, Lamport: l, Vector: tr.vector[i].Clone()})
}

// send records a send and gives the message copy an id.
func (tr *tracer[M]) send(m *message[M]) {
	from, to := m.env.From, m.env.To
	p := tr.process(from)
	tr.process(to)
	l := tr.lamport[p].Tick()
	tr.vector[p].Tick(from)
	v := tr.vector[p].Clone()
	tr.last++
	id := tr.last
	tr.copies[string(m.enc)] = append(tr.copies[string(m.enc)], id)
	tr.stamps[id] = stamp{lamport: l, vector: v}
	tr.record(Event{Kind: Send, Node: from, Peer: to, MsgID: id, Text: fmt.Sprint(m.env.Msg), Lamport: l, Vector: v})
}

// take removes the oldest copy of m in flight and returns its id.
func (tr *tracer[M]) take(m *message[M]) int {
	q := tr.copies[string(m.enc)]
	id := q[0]
	if len(q) == 1 {
		delete(tr.copies, string(m.enc))
	} else {
		tr.copies[string(m.enc)] = q[1:]
	}
	return id
}

// deliver records the delivery of the oldest copy of m.
func (tr *tracer[M]) deliver(m *message[M]) {
	id := tr.take(m)
	st := tr.stamps[id]
	delete(tr.stamps, id)
	to := m.env.To
	p := tr.index[to]
	l := tr.lamport[p].Witness(st.lamport)
	tr.vector[p].Merge(st.vector)
	tr.vector[p].Tick(to)
	tr.record(Event{Kind: Deliver, Node: to, Peer: m.env.From, MsgID: id, Text: fmt.Sprint(m.env.Msg), Lamport: l, Vector: tr.vector[p].Clone()})
}

// drop records the loss of the oldest copy of m.
func (tr *tracer[M]) drop(m *message[M]) {
	id := tr.take(m)
	delete(tr.stamps, id)
	tr.record(Event{Kind: Drop, Node: m.env.From, Peer: m.env.To, MsgID: id, Text: fmt.Sprint(m.env.Msg)})
}

// duplicate records a new copy of the oldest copy of m.
func (tr *tracer[M]) duplicate(m *message[M]) {
	k := string(m.enc)
	id := tr.copies[k][0]
	tr.last++
	c := tr.last
	tr.copies[k] = append(tr.copies[k], c)
	tr.stamps[c] = tr.stamps[id]
	tr.record(Event{Kind: Duplicate, Node: m.env.From, Peer: m.env.To, MsgID: id, Copy: c, Text: fmt.Sprint(m.env.Msg)})
}

// fault records a change of the network: a partition, a long delay.
func (tr *tracer[M]) fault(text string) {
	tr.record(Event{Kind: Fault, Text: text})
}
