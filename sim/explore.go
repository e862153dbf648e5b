package sim

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"time"
)

// Exhaustive exploration
//
// (This section is written to be quoted or linked from the package
// documentation in doc.go; the doc comment of Explore states the same
// rules in short.)
//
// Explore is a bounded model checker for protocols written as Explorable
// nodes. Where the Simulator runs one schedule chosen by a seed, Explore
// runs all of them: from the initial state it applies, in every reachable
// state, every action the network, the timers and the failures allow, and
// checks an invariant in each state it reaches. Two paths that lead to the
// same state are explored once, so the cost is the number of distinct
// states, not the number of schedules.
//
// The model. A state is, for every node in Nodes order: whether it is up,
// its volatile value (an N; none while crashed), its durable Storage and
// the names of its pending timers; plus the multiset of messages in flight
// (Envelope values; equal messages between the same pair of nodes are
// interchangeable copies); plus how many drops, duplicates, crashes,
// restarts and timeouts the path to it used. The initial state has every
// node created with New and started (Start), and the Inject messages in
// flight. There is no time: Context.Now is always 0, a timer's duration is
// ignored, and a pending timer may fire at any moment (the asynchronous
// model, in which a timeout says nothing about whether a peer is alive), or,
// with ExploreConfig.Synchronous, only once no message in flight can be
// delivered (the synchronous model, in which a timeout means a loss or a
// crash).
//
// The actions, each one step of depth:
//
//   - deliver one message in flight to its destination, if that node is up
//     (a message to a crashed node waits for a restart);
//   - fire one pending timer of an up node, at most MaxTimeouts times on a
//     path;
//   - drop one message in flight, at most MaxDrops times on a path;
//   - duplicate one message in flight, at most MaxDuplicates times;
//   - crash an up node, at most MaxCrashes times: its volatile value and
//     timers are lost, its storage is kept, messages to it stay in flight;
//   - restart a crashed node, at most MaxRestarts times: New, then Start
//     with the storage it persisted;
//   - hold a message, at most MaxHolds times: a long delay, beyond any
//     timeout, after which a later action delivers it;
//   - change the network's partition into two sides, at most
//     MaxPartitions times: messages between the sides are lost.
//
// The bounds count actions on one path, not in the whole search, and they
// are part of the state, so a state reached with a budget left is not
// confused with the same configuration reached with the budget spent.
// Messages addressed to a name that is not a node (a client, as with
// Simulator.Inject) stay in flight, visible to invariants through
// World.InFlight; no action applies to them.
//
// The search is breadth-first, level by level, so the first violation
// found is one with the fewest actions, and it is returned with the path
// that leads to it replayed as a Trace (Time equals Seq; Lamport and vector
// clocks as the Simulator computes them), ready for WriteTranscript and
// WriteSVG. Among the violations of minimal depth the search returns the
// first in a fixed order (the order a one-worker search would meet them
// in), so the answer is the same for any number of Workers.
//
// Invariant is checked in every state (safety). Quiescent is checked in
// the states where nothing is left to do within the bounds: no message in
// flight to an up node, no up node with a pending timer unless MaxTimeouts
// is used up, and no crashed node unless MaxRestarts is used up. Drops,
// duplicates and crashes are faults that may happen but need not, so they
// never keep a state from being quiescent. A protocol that finishes only
// after more timeouts or restarts than the bounds allow is therefore
// reported as stuck: raise the bound, or make Quiescent accept it.
//
// Deduplication. Each state is reduced to a canonical byte encoding: for
// each node in order, its up flag, N.AppendState, Storage.AppendState and
// its sorted timer names; the path counters; and the in-flight multiset
// sorted by encoded bytes (From, To, EncodeMessage). Only a 128-bit hash of
// the encoding is kept in the visited set (computed in two stages: one hash
// per node and per message, then one over those). Two different states
// with equal hashes would make the search skip one of them; with n distinct
// states the chance that any pair collides is about n²/2¹²⁹, below 10⁻²¹
// for a billion states, far below the chance of a hardware fault.
//
// Reductions. Two opt-in reductions shrink the search for larger
// systems, each with a condition stated where it is configured. Delay
// bounding (ExploreConfig.DelayBounding, MaxDelays; Emmi, Qadeer and Rakamarić,
// "Delay-Bounded Scheduling", POPL 2011) keeps the messages in flight in a
// queue in send order and charges one delay for each delivery that is not
// of the oldest deliverable message: a search bounded by k delays covers
// every schedule within k deviations from in-order delivery, and its
// branching factor no longer grows with the number of messages in flight.
// The queue's order and the delays used are then part of the state.
// Symmetry reduction (ExploreConfig.Symmetric; Ip and Dill, "Better
// Verification Through Symmetry", 1996) deduplicates states up to a
// renaming of interchangeable nodes, by the hash of a canonical
// representative; it is exact (it reaches one state of every class the
// full search reaches) when the protocol, the invariants and the
// encodings treat those nodes alike.
//
// Randomness. Context.Rand is a source seeded before every handler call
// from the node's identifier, its state and the message or timer being
// handled, so that a state and an action always lead to the same successor.
// The explorer does not branch on random draws, so randomness in an
// explored protocol must not matter for its safety: one whose safety
// depends on its random choices is checked only for the choices these
// seeds give. (Randomised timeouts are harmless: time is abstracted away.)
//
// Costs. Each distinct state costs about 30 to 50 bytes for as long as the
// search runs (its hash in the visited set and the way back to its
// parent); the states of the current and next level are held in full, so
// peak memory also grows with the widest level (ExploreResult.Frontier
// times the size of a state: the node values, storages and messages that
// differ from the parent's; unchanged ones are shared). Each successor
// costs one Clone of the node that acts, one Storage.Clone, its handler
// call, one AppendState of that node and a hash of a few bytes per node
// and message. The levels are split across Workers goroutines. As a
// measure: a two-phase commit with a coordinator, three participants and
// generous bounds has 1.9 million states and a widest level of 377,000;
// exploring it took 45 bytes per state in the visited set, about 1.2 GB of
// resident memory at the peak (the two widest levels, with the garbage
// collector's headroom) and 12 seconds on one core.

// DefaultMaxStates is the bound on distinct states used when
// ExploreConfig.MaxStates is 0.
const DefaultMaxStates = 1 << 20

// Envelope is a message in flight in the Explorer: From sent Msg to To.
type Envelope[M any] struct {
	From, To string
	Msg      M
}

// ExploreConfig describes a system to explore and the properties to check.
// Nodes, New and at least one of Invariant or Quiescent are what a useful
// configuration needs; every bound defaults to 0, which allows no fault of
// that kind.
type ExploreConfig[M any, N Explorable[M, N]] struct {
	// Nodes are the node identifiers: distinct and non-empty. Their order
	// is the order of the state encoding and of the trace's processes.
	Nodes []string
	// New creates the volatile value of node id, at the start and at every
	// restart; Start is then called on it.
	New func(id string) N
	// Inject are messages in flight in the initial state, such as client
	// requests. To must be a node; From may be any non-empty name.
	Inject []Envelope[M]
	// Invariant, if not nil, is checked in every reachable state; an error
	// is a safety violation.
	Invariant func(w *World[M, N]) error
	// Quiescent, if not nil, is checked in every reachable state where
	// nothing is left to do within the bounds (see Explore); an error says
	// the protocol can get stuck there: a liveness-style violation.
	Quiescent func(w *World[M, N]) error
	// Synchronous, if true, lets a timer fire only in states where no
	// message in flight can be delivered (every message sent has arrived,
	// been dropped, or is addressed to a crashed node): the synchronous
	// model, in which timeouts are longer than any message delay, so a
	// timeout means that a message was lost or a node crashed. Protocols
	// such as three-phase commit are correct only under this assumption.
	// If false (the default), any pending timer may fire at any moment: the
	// asynchronous model, in which a timeout proves nothing.
	Synchronous bool
	// ExplicitSync, if true, leaves syncing each node's Storage to the
	// node, as Config.ExplicitSync does in the simulator: a crash loses
	// the writes since the node's last Storage.Sync, and whether a node
	// has unsynced writes is part of the state. If false, the explorer
	// syncs a node's storage when each of its handlers returns.
	ExplicitSync bool
	// MaxDepth bounds the number of actions on a path; 0 means no bound.
	MaxDepth int
	// MaxDrops, MaxCrashes, MaxRestarts, MaxTimeouts and MaxDuplicates
	// bound how many actions of each kind one path may contain; 0 allows
	// none.
	MaxDrops, MaxCrashes, MaxRestarts, MaxTimeouts, MaxDuplicates int
	// MaxStates bounds the number of distinct states; the search stops with
	// Complete false when it is reached. 0 means DefaultMaxStates.
	MaxStates int
	// EncodeMessage appends a canonical encoding of m to b: equal messages
	// must encode equally and different ones differently. If nil, messages
	// implementing encoding.BinaryAppender use AppendBinary, and others are
	// formatted with fmt's %#v, which is canonical for plain values (maps
	// are printed sorted) but not for pointers; it is also the slower way.
	EncodeMessage func(b []byte, m M) []byte
	// Workers is the number of goroutines that search in parallel; 0 means
	// runtime.GOMAXPROCS(0). The result does not depend on it.
	Workers int

	// DelayBounding, if true, keeps the messages in flight in the order
	// they were sent, and lets a path deliver them out of that order only
	// MaxDelays times (delay-bounded scheduling, Emmi, Qadeer and Rakamarić,
	// POPL 2011): delivering the oldest message that can be delivered (to
	// an up node) is free, delivering any other costs one delay. Drops,
	// duplicates (a copy joins the end of the queue), crashes, restarts and
	// timers are bounded by their own limits, as without it. The search is
	// then an under-approximation, complete only for the paths with at
	// most MaxDelays out-of-order deliveries; what it gains is the
	// branching factor: from a state, one free delivery and, while delays
	// are left, the others, instead of every message in flight. The
	// queue's order is part of the state (two states with the same
	// messages in different orders are different), so with MaxDelays at
	// least the depth of the search it reaches every state the default
	// mode reaches, in more orders. If false (the default), the messages in
	// flight are a multiset and any of them may be delivered next.
	DelayBounding bool
	// MaxDelays bounds the out-of-order deliveries of a path under
	// DelayBounding; 0 allows none: messages are delivered in the order
	// they were sent, except those to a crashed node, which wait.
	MaxDelays int

	// MaxPartitions bounds how many times a path changes the network's
	// partition; 0 (the default) keeps the network whole. A partition
	// splits the nodes into two sides; a message between the sides is
	// lost: those in flight when it begins, and those sent or released
	// while it lasts (messages from or to clients are never cut). The
	// action chooses the next partition among every split of the nodes in
	// two and none (the network healed): 2^(n-1) choices for n nodes, so
	// partitions are for systems of a few nodes (at most 16), unless
	// Partitions lists the splits to choose from (at most 64 nodes). Under
	// Synchronous the network changes, as timers fire, only when no
	// message can be delivered: a partition begins or heals between the
	// exchanges that timeouts start, not in the middle of one (a loss in
	// the middle is a drop). A partition is one action that loses many
	// messages, those of every link it cuts: the faults behind a leader
	// change (a leader cut from its quorum, a candidate heard by only some)
	// cost one or two actions instead of one drop per message.
	MaxPartitions int
	// Partitions, if not nil, lists the partitions a change may choose,
	// each by the nodes of one side (the other side is every other node),
	// instead of every split: the faults of a known topology, such as
	// two data centres whose link fails and heals ([][]string{{"a",
	// "b"}}: the choices are that cut and none). Each side must name
	// known nodes, at least one and not all.
	Partitions [][]string
	// MaxHolds bounds how many messages a path holds back: a held message
	// leaves the messages in flight and waits, as long as the path likes,
	// to be delivered by a later action of its own (which costs nothing
	// and is not a delay). It does not keep timers or partitions from
	// happening under Synchronous: it is the one message delayed beyond
	// every timeout, a stale request or answer that arrives rounds later.
	// Any message a delivery is offered for may be held instead (under
	// DelayBounding, the oldest, or another while delays are left). A
	// held message is lost if a partition separates its ends when it is
	// released.
	MaxHolds int
	// Holdable, if not nil, restricts MaxHolds to the messages for which
	// it returns true: a message class ("catch-up requests", "answers")
	// rather than any message, as Simulator's HoldIf. Each class left out
	// divides the choices of where a long delay begins; what is left out
	// is not explored. It must be a pure function of the envelope.
	Holdable func(e Envelope[M]) bool

	// Symmetric, if it names two or more nodes, declares them
	// interchangeable (symmetry reduction, Ip and Dill, "Better
	// verification through symmetry", 1996): two states that differ only by
	// a renaming of these nodes among themselves are explored once. The
	// explorer deduplicates each state by a canonical representative of
	// its class: the least hash, over the renamings that order the nodes
	// by features no renaming changes (up or down, pending timers, the
	// number and kinds of messages each sent and is sent, storage when it
	// holds no identifiers), of the state's encoding under that renaming.
	// Its cost is one renamed encoding of the state per such renaming:
	// at most g! for a group of g nodes (6 for 3, 120 for 5), usually far
	// fewer once the nodes' states differ.
	//
	// The node type N must implement Renamable, which encodes a node's
	// state as it would be with every identifier renamed; a message
	// holding identifiers needs RenameMessage, and a storage holding them
	// RenameStorage. The reduction is sound only if the protocol does
	// not tell these nodes apart: renaming a reachable state and its
	// successors gives a reachable state and its successors, and Invariant
	// and Quiescent give the same verdict on a state and its renamings.
	// This fails, for instance, for a ballot or a tie-break ordered by node
	// identifier (a renaming changes which node wins) unless Renamable and
	// RenameMessage rename the identifiers inside ballots too, so that the
	// order moves with them; for a node that treats a particular
	// identifier specially (a fixed coordinator belongs outside the
	// group); for timer names that contain identifiers; for Context.Rand,
	// seeded by the node's identifier; and, under DelayBounding, for a
	// node that sends to its peers in identifier order (Broadcast does),
	// since a renaming then changes the queue's order: there the
	// reduction is a heuristic that may skip paths, not a proof.
	Symmetric []string
	// RenameMessage, if not nil, appends the canonical encoding of m with
	// every node identifier id in it replaced by rename(id), for Symmetric;
	// it must agree with EncodeMessage when rename is the identity. If nil,
	// messages hold no node identifiers except their sender and
	// destination, which the explorer renames itself.
	RenameMessage func(b []byte, m M, rename func(id string) string) []byte
	// RenameStorage, if not nil, appends a canonical encoding of s with
	// every node identifier id in it replaced by rename(id), for
	// Symmetric. If nil, storage holds no node identifiers and
	// Storage.AppendState is used as is.
	RenameStorage func(b []byte, s *Storage, rename func(id string) string) []byte
}

// Renamable is implemented by node values that support symmetry
// reduction (ExploreConfig.Symmetric): AppendRenamed appends the
// canonical encoding the node's volatile state would have if every node
// identifier id it holds (as a string, an index, a bit in a set, inside a
// ballot...) were rename(id). rename is a permutation of the symmetric
// nodes and the identity elsewhere; with the identity it must append what
// distinguishes states as well as AppendState does.
type Renamable interface {
	AppendRenamed(b []byte, rename func(id string) string) []byte
}

// ExploreResult reports what an exploration covered and what it found.
type ExploreResult struct {
	// Explored counts the states whose successors were computed.
	Explored int
	// Distinct counts the different states reached, the initial one
	// included.
	Distinct int
	// Depth is the deepest level reached: the number of actions on the
	// longest of the shortest paths to the states found.
	Depth int
	// Frontier is the largest number of states in one level, which bounds
	// how many states were held in full at once.
	Frontier int
	// Elapsed is the wall-clock duration of the search.
	Elapsed time.Duration
	// StatesPerSecond is Distinct divided by Elapsed.
	StatesPerSecond float64
	// BytesPerState is the memory of the visited set and of the links back
	// to parents, divided by Distinct: what each state costs for the whole
	// search. It does not count the states held in full in the frontier.
	BytesPerState float64
	// Complete reports that every state reachable within the fault bounds
	// was explored: neither MaxDepth nor MaxStates cut the search short, and
	// no violation stopped it.
	Complete bool
	// Violation is the first violation found, or nil.
	Violation *Violation
}

// Violation is a reachable state that breaks Invariant or, if Quiescent is
// set, a quiescent state that breaks Quiescent, with a shortest path to
// it. A *Violation is an error.
type Violation struct {
	// Err is the error Invariant or Quiescent returned.
	Err error
	// Quiescent reports that Quiescent failed (the state is stuck), rather
	// than Invariant.
	Quiescent bool
	// Depth is the number of actions from the initial state.
	Depth int
	// Trace replays the path from the initial state, its Start calls
	// included.
	Trace *Trace
}

// Error describes the violation.
func (v *Violation) Error() string {
	what := "invariant"
	if v.Quiescent {
		what = "quiescent state"
	}
	return fmt.Sprintf("sim: %s violated after %d actions: %v", what, v.Depth, v.Err)
}

// Unwrap returns Err.
func (v *Violation) Unwrap() error { return v.Err }

// World is the read-only view of one explored state that Invariant and
// Quiescent receive. It is valid only during the call; node values and
// storages are shared with the explorer and must not be modified. The
// checks run on several goroutines at once, so they must not write to
// shared variables without synchronisation.
type World[M any, N any] struct {
	ids   []string
	index map[string]int
	s     *state[M, N]
}

// Nodes returns the node identifiers in configuration order. The slice is
// shared: do not modify it.
func (w *World[M, N]) Nodes() []string { return w.ids }

// Node returns the volatile value of node id, and false if id is crashed
// or not a node.
func (w *World[M, N]) Node(id string) (N, bool) {
	i, ok := w.index[id]
	if !ok || !w.s.nodes[i].up {
		var zero N
		return zero, false
	}
	return w.s.nodes[i].n, true
}

// Up reports whether node id is up.
func (w *World[M, N]) Up(id string) bool {
	i, ok := w.index[id]
	return ok && w.s.nodes[i].up
}

// Storage returns the durable storage of node id, crashed or not, or nil
// if id is not a node. Read it only.
func (w *World[M, N]) Storage(id string) *Storage {
	i, ok := w.index[id]
	if !ok {
		return nil
	}
	return w.s.nodes[i].storage
}

// Timers returns the names of the pending timers of node id, sorted (none
// while it is crashed). The slice is shared: do not modify it.
func (w *World[M, N]) Timers(id string) []string {
	i, ok := w.index[id]
	if !ok {
		return nil
	}
	return w.s.nodes[i].timers
}

// InFlight returns the messages in flight, one Envelope per copy, sorted
// by encoding (in the order they were sent, under
// ExploreConfig.DelayBounding), then the held ones (ExploreConfig.MaxHolds)
// in the order they were held. It allocates a new slice at each call.
func (w *World[M, N]) InFlight() []Envelope[M] {
	n := 0
	for _, e := range w.s.flight {
		n += int(e.count)
	}
	for _, e := range w.s.held {
		n += int(e.count)
	}
	out := make([]Envelope[M], 0, n)
	for _, es := range [][]flightEntry[M]{w.s.flight, w.s.held} {
		for _, e := range es {
			for range e.count {
				out = append(out, e.msg.env)
			}
		}
	}
	return out
}

// Explore searches every state reachable from the initial state of cfg
// within its bounds, breadth-first, checks cfg.Invariant in each state and
// cfg.Quiescent in each quiescent one, and reports what it covered with a
// shortest violation, if it found one.
//
// A state is, for each node: up or crashed, its value (an N), its Storage
// and its pending timers; plus the multiset of messages in flight and the
// faults used so far on the path. The initial state has every node made by
// New and started, and the Inject messages in flight. From each state the
// actions are: deliver a message in flight to an up node; fire a pending
// timer of an up node (at most MaxTimeouts per path); drop a message
// (MaxDrops); duplicate one (MaxDuplicates); crash an up node (MaxCrashes:
// it loses its value and timers, keeps its storage, and messages to it wait
// in flight); restart a crashed node (MaxRestarts: New, then Start with its
// storage). There is no time: Context.Now returns 0, timer durations are
// ignored, and any pending timer may fire at any moment. Context.Rand is
// reseeded from the node, its state and the event before each call, so its
// draws are fixed, not explored. Messages to a name that is not a node (a
// client) stay in flight, visible to invariants; no action applies to them.
//
// A state is quiescent when nothing is left to do within the bounds: no
// message in flight to an up node, no up node with a pending timer unless
// MaxTimeouts is used up, no crashed node unless MaxRestarts is used up.
// Drops, duplicates and crashes may happen but need not, so they do not
// count.
//
// Two opt-in reductions change the model: with DelayBounding the messages
// in flight are a queue in send order and delivering any but the oldest
// deliverable one costs one of MaxDelays delays; with Symmetric, states
// that differ by a renaming of the listed nodes count as one (see the
// fields' documentation for the conditions each needs).
//
// States are deduplicated by a 128-bit hash of a canonical encoding built
// from N.AppendState, Storage.AppendState, the timer names, the messages'
// encodings (EncodeMessage) and the fault counters; the chance of a
// collision is negligible (about n²/2¹²⁹ for n states). The search stops
// at the end of the first level with a violation and returns the first one
// in a fixed order, with its path replayed as a Trace; Distinct, Explored,
// Depth and the violation do not depend on Workers.
//
// The error is non-nil only for a configuration Explore cannot run
// (wrapping ErrInvalidConfig) or a node that panicked (a *NodePanicError
// wrapping ErrNodePanic, whose Trace replays a shortest path to the panic).
// A violation is not an error: it is in the result. A panic in Invariant or
// Quiescent is a bug in the test and is raised again on the caller's
// goroutine.
//
// Cost: time proportional to the number of distinct states times the
// actions per state, each action costing one Clone, one Storage.Clone, the
// handler call and an AppendState of the node that acts. Memory: 30 to 50
// bytes per distinct state for the whole search, plus the states of the
// widest level (ExploreResult.Frontier) held in full; unchanged node
// values, storages and messages are shared between states.
func Explore[M any, N Explorable[M, N]](cfg ExploreConfig[M, N]) (*ExploreResult, error) {
	x, err := newExplorer(cfg)
	if err != nil {
		return nil, err
	}
	return x.run()
}

// validateExplore reports the first problem with cfg, wrapping
// ErrInvalidConfig.
func validateExplore[M any, N Explorable[M, N]](cfg *ExploreConfig[M, N]) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("sim: explore: "+format+": %w", append(args, ErrInvalidConfig)...)
	}
	if len(cfg.Nodes) == 0 {
		return bad("no nodes")
	}
	seen := make(map[string]bool, len(cfg.Nodes))
	for _, id := range cfg.Nodes {
		if id == "" {
			return bad("empty node identifier")
		}
		if seen[id] {
			return bad("node %q listed twice", id)
		}
		seen[id] = true
	}
	if cfg.New == nil {
		return bad("New is nil")
	}
	for _, b := range []struct {
		name string
		v    int
	}{
		{"MaxDepth", cfg.MaxDepth}, {"MaxDrops", cfg.MaxDrops},
		{"MaxCrashes", cfg.MaxCrashes}, {"MaxRestarts", cfg.MaxRestarts},
		{"MaxTimeouts", cfg.MaxTimeouts}, {"MaxDuplicates", cfg.MaxDuplicates},
		{"MaxStates", cfg.MaxStates}, {"Workers", cfg.Workers},
		{"MaxDelays", cfg.MaxDelays}, {"MaxPartitions", cfg.MaxPartitions},
		{"MaxHolds", cfg.MaxHolds},
	} {
		if b.v < 0 {
			return bad("negative %s %d", b.name, b.v)
		}
		if b.v > maxBound && b.name != "MaxStates" && b.name != "MaxDepth" {
			return bad("%s %d exceeds %d", b.name, b.v, maxBound)
		}
	}
	if cfg.MaxDelays > 0 && !cfg.DelayBounding {
		return bad("MaxDelays %d without DelayBounding", cfg.MaxDelays)
	}
	for _, side := range cfg.Partitions {
		if len(side) == 0 || len(side) >= len(cfg.Nodes) {
			return bad("partition side %v: it must hold at least one node and not all", side)
		}
		for _, id := range side {
			if !seen[id] {
				return fmt.Errorf("sim: explore: partition side %v: node %q: %w", side, id, errors.Join(ErrInvalidConfig, ErrUnknownNode))
			}
		}
	}
	if cfg.MaxPartitions > 0 && cfg.Partitions == nil && len(cfg.Nodes) > maxPartitioned {
		return bad("MaxPartitions with %d nodes and every split allowed, at most %d (or list the Partitions)", len(cfg.Nodes), maxPartitioned)
	}
	if cfg.MaxPartitions > 0 && len(cfg.Nodes) > 64 {
		return bad("MaxPartitions with %d nodes, at most 64", len(cfg.Nodes))
	}
	if (cfg.MaxPartitions > 0 || cfg.MaxHolds > 0) && len(cfg.Symmetric) > 1 {
		return bad("Symmetric with MaxPartitions or MaxHolds is not supported")
	}
	inGroup := make(map[string]bool, len(cfg.Symmetric))
	for _, id := range cfg.Symmetric {
		if !seen[id] {
			return fmt.Errorf("sim: explore: symmetric node %q: %w", id, errors.Join(ErrInvalidConfig, ErrUnknownNode))
		}
		if inGroup[id] {
			return bad("symmetric node %q listed twice", id)
		}
		inGroup[id] = true
	}
	if len(cfg.Symmetric) > maxSymmetric {
		return bad("%d symmetric nodes, at most %d", len(cfg.Symmetric), maxSymmetric)
	}
	if len(cfg.Symmetric) > 1 && !reflect.TypeFor[N]().Implements(reflect.TypeFor[Renamable]()) {
		return bad("symmetric nodes, but %v does not implement Renamable", reflect.TypeFor[N]())
	}
	for _, e := range cfg.Inject {
		if e.From == "" {
			return bad("injected message to %q from an empty name", e.To)
		}
		if !seen[e.To] {
			return fmt.Errorf("sim: explore: injected message to %q: %w", e.To,
				errors.Join(ErrInvalidConfig, ErrUnknownNode))
		}
	}
	return nil
}

// maxBound is the largest fault bound and worker count accepted: far more
// than an exhaustive search can use, and small enough for the counters.
const maxBound = 1 << 20

// maxPartitioned is the most nodes MaxPartitions accepts: each change of
// partition is one of 2^(n-1) actions.
const maxPartitioned = 16

// maxSymmetric is the largest symmetric group accepted: canonicalising a
// state of a group of g nodes may cost g! encodings, and 10! is already
// far too many.
const maxSymmetric = 10

// newExplorer validates cfg and precomputes what every worker shares.
func newExplorer[M any, N Explorable[M, N]](cfg ExploreConfig[M, N]) (*explorer[M, N], error) {
	if err := validateExplore(&cfg); err != nil {
		return nil, err
	}
	x := &explorer[M, N]{
		cfg:   cfg,
		ids:   append([]string(nil), cfg.Nodes...),
		index: make(map[string]int, len(cfg.Nodes)),
	}
	for i, id := range x.ids {
		x.index[id] = i
		x.peers = append(x.peers, peersOf(x.ids, id))
		x.idSeed = append(x.idSeed, hashString(id))
	}
	x.bounds = [numBudgets]int32{
		budgetDrops:      int32(cfg.MaxDrops),
		budgetDuplicates: int32(cfg.MaxDuplicates),
		budgetCrashes:    int32(cfg.MaxCrashes),
		budgetRestarts:   int32(cfg.MaxRestarts),
		budgetTimeouts:   int32(cfg.MaxTimeouts),
		budgetDelays:     int32(cfg.MaxDelays),
		budgetPartitions: int32(cfg.MaxPartitions),
		budgetHolds:      int32(cfg.MaxHolds),
	}
	x.network = cfg.MaxPartitions > 0 || cfg.MaxHolds > 0
	if cfg.MaxPartitions > 0 {
		x.cuts = []uint64{0}
		if cfg.Partitions == nil {
			for c := uint64(2); c < 1<<len(x.ids); c += 2 {
				x.cuts = append(x.cuts, c) // the first node on side 0
			}
		}
		for _, side := range cfg.Partitions {
			var c uint64
			for _, id := range side {
				c |= 1 << x.index[id]
			}
			if c&1 != 0 {
				c ^= 1<<len(x.ids) - 1 // the same partition, first node on side 0
			}
			if !slices.Contains(x.cuts, c) {
				x.cuts = append(x.cuts, c)
			}
		}
	}
	x.ordered = cfg.DelayBounding
	x.encodedBudgets = budgetDelays // the default mode's encoding, unchanged
	if x.ordered {
		x.encodedBudgets = budgetDelays + 1
	}
	x.symOf = make([]int, len(x.ids))
	for i := range x.symOf {
		x.symOf[i] = -1
	}
	if len(cfg.Symmetric) > 1 {
		for _, id := range x.ids { // in node order
			if slices.Contains(cfg.Symmetric, id) {
				x.symOf[x.index[id]] = len(x.sym)
				x.sym = append(x.sym, x.index[id])
			}
		}
		x.appendRenamed = func(n N, b []byte, rename func(string) string) []byte {
			return any(n).(Renamable).AppendRenamed(b, rename)
		}
	}
	x.encode = cfg.EncodeMessage
	if x.encode == nil {
		x.encode = defaultEncode[M]
	}
	x.maxStates = cfg.MaxStates
	if x.maxStates == 0 {
		x.maxStates = DefaultMaxStates
	}
	x.workers = cfg.Workers
	if x.workers == 0 {
		x.workers = runtime.GOMAXPROCS(0)
	}
	return x, nil
}
