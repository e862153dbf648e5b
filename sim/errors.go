package sim

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Functions of this package wrap them with a message that
// names the problem; test for them with errors.Is.
var (
	// ErrInvalidConfig reports a configuration or argument the simulator
	// cannot run with: no nodes, a duplicate node, a negative latency, a
	// probability outside [0, 1], a partition naming a node twice...
	ErrInvalidConfig = errors.New("invalid configuration")
	// ErrUnknownNode reports a node identifier that is not in Config.Nodes
	// (or, where clients are allowed, not a known client either).
	ErrUnknownNode = errors.New("unknown node")
	// ErrNodePanic reports a node that panicked during a run; the error is
	// a *NodePanicError with the details.
	ErrNodePanic = errors.New("node panicked")
	// ErrEventLimit reports a run stopped after Config.MaxEvents events:
	// usually a protocol that never falls silent (periodic timers), which
	// RunFor is the way to run, or a livelock.
	ErrEventLimit = errors.New("event limit reached")
	// ErrQuiescent reports that RunUntil ran out of events before its
	// condition held: nothing left to happen can make it true.
	ErrQuiescent = errors.New("nothing left to do")
)

// NodePanicError reports a node that panicked in Start, Receive or Timeout
// (or a node factory that panicked). The run stops at the panic: the
// trace holds every event up to the handler call that panicked, and
// running the same configuration with the same seed reproduces it.
type NodePanicError struct {
	// Node is the identifier of the node that panicked.
	Node string
	// Seed is the seed of the run, to replay it.
	Seed uint64
	// Time is the true simulated time of the panic.
	Time time.Duration
	// Value is the value passed to panic.
	Value any
	// Stack is the goroutine's stack at the panic.
	Stack string
	// Trace is the run's trace up to the panic.
	Trace *Trace
}

// Error says which node panicked, when, with which seed, and why.
func (e *NodePanicError) Error() string {
	return fmt.Sprintf("sim: node %q panicked at %v (seed %d): %v", e.Node, e.Time, e.Seed, e.Value)
}

// Unwrap returns ErrNodePanic.
func (e *NodePanicError) Unwrap() error { return ErrNodePanic }
