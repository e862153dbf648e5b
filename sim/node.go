package sim

import (
	"math/rand/v2"
	"slices"
	"time"
)

// Node is a protocol participant written as a deterministic state machine,
// in the style of etcd/raft: it is driven by calls, never by goroutines,
// timers, sockets, files, the wall clock or a global random source. Each
// call receives a Context through which the node reads its clock, its
// durable storage and its random source, and asks for messages to be sent
// and timers to be set. Whoever drives the node (the Simulator, the
// Explorer, or later a real network transport) carries those requests out
// after the call returns.
//
// Durability contract: the node's own value is volatile. A crash discards
// it; a restart creates a new value with the factory and calls Start, and
// only what the node wrote to Context.Storage survives. Storage writes take
// effect at once, before any message the same call sends leaves the node,
// so "persist, then send" is what a node gets by writing first.
type Node[M any] interface {
	// Start is called once when the node first starts and again after
	// every restart; Context.Storage holds what it persisted before.
	Start(ctx *Context[M])
	// Receive handles a message from peer from.
	Receive(ctx *Context[M], from string, msg M)
	// Timeout handles the expiry of the timer the node set under name.
	Timeout(ctx *Context[M], name string)
}

// Explorable is a Node that the Explorer can enumerate: it can copy itself
// and encode its state canonically, so that two states that behave the same
// encode to the same bytes and are explored once.
type Explorable[M any, N any] interface {
	Node[M]
	// Clone returns a deep copy: changing one must never change the other.
	Clone() N
	// AppendState appends a canonical encoding of the node's volatile
	// state to b: equal states give equal bytes (sort maps, no pointers).
	AppendState(b []byte) []byte
}

// Context is what a node sees of the world during one call. It is valid
// only for the duration of that call: do not keep it.
type Context[M any] struct {
	id      string
	peers   []string // every other node, sorted
	now     time.Duration
	rand    *rand.Rand
	storage *Storage

	sends  []outgoing[M]
	timers []timerOp
	notes  []string
}

// outgoing is a message a node asked to send.
type outgoing[M any] struct {
	To  string
	Msg M
}

// timerOp is a SetTimer (after >= 0) or CancelTimer (cancel) request.
type timerOp struct {
	name   string
	after  time.Duration
	cancel bool
}

// ID returns the node's identifier.
func (c *Context[M]) ID() string { return c.id }

// Peers returns the identifiers of every other node, sorted. The slice is
// shared: do not modify it.
func (c *Context[M]) Peers() []string { return c.peers }

// Now returns the node's local clock: time since the start of the run as
// this node's clock reads it, skew and drift included. In the Explorer,
// which abstracts time away, it is always 0: a protocol whose safety
// depends on clock readings cannot be checked there.
func (c *Context[M]) Now() time.Duration { return c.now }

// Rand returns the node's random source, seeded by the driver so that a
// run can be replayed. Never use the global random source in a node.
func (c *Context[M]) Rand() *rand.Rand { return c.rand }

// Storage returns the node's durable storage, which survives crashes.
func (c *Context[M]) Storage() *Storage { return c.storage }

// Send asks for msg to be sent to peer to once the call returns.
func (c *Context[M]) Send(to string, msg M) {
	c.sends = append(c.sends, outgoing[M]{To: to, Msg: msg})
}

// Broadcast sends msg to every other node.
func (c *Context[M]) Broadcast(msg M) {
	for _, p := range c.peers {
		c.Send(p, msg)
	}
}

// SetTimer asks for Timeout(name) to be called after the given duration of
// the node's local time, replacing any pending timer of the same name. A
// crash cancels every pending timer.
func (c *Context[M]) SetTimer(name string, after time.Duration) {
	c.timers = append(c.timers, timerOp{name: name, after: max(after, 0)})
}

// CancelTimer cancels the pending timer of the given name, if any.
func (c *Context[M]) CancelTimer(name string) {
	c.timers = append(c.timers, timerOp{name: name, cancel: true})
}

// Note records a local event in the trace (a decision, a state change worth
// seeing in a diagram). It does not change the node's state.
func (c *Context[M]) Note(text string) {
	c.notes = append(c.notes, text)
}

// reset prepares the context for a new call on node id.
func (c *Context[M]) reset(id string, peers []string, now time.Duration, r *rand.Rand, s *Storage) {
	c.id, c.peers, c.now, c.rand, c.storage = id, peers, now, r, s
	c.sends = c.sends[:0]
	c.timers = c.timers[:0]
	c.notes = c.notes[:0]
}

// peersOf returns the sorted list of nodes other than id.
func peersOf(nodes []string, id string) []string {
	out := make([]string, 0, len(nodes))
	for _, n := range nodes {
		if n != id {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}
