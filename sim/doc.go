// Package sim tests message-passing protocols by running them in a
// simulated world that the test controls completely: a deterministic
// discrete-event simulator with fault injection, an exhaustive explorer
// for small systems, and traces that render as text transcripts, SVG
// space-time diagrams and ShiViz logs.
//
// A distributed protocol is hard to test on real machines because the
// interesting behaviours (a message lost at the wrong moment, a crash
// between a write and a send, two timeouts that fire together) are rare
// and cannot be repeated. In a simulation, time, the network and failures
// are data: a run is a function of its configuration and seed, so a
// failure found once is found again, shrunk to a small case, and drawn.
//
// # Writing a protocol
//
// A protocol plugs in as a [Node]: a deterministic state machine in the
// style of etcd/raft. The driver calls Start, Receive and Timeout; the node
// reads its clock, durable storage and random source from the [Context]
// and asks for messages to be sent and timers to be set. A node has no
// goroutines, sockets, timers, wall clock or global random source, so the
// same code runs in the [Sim], in the explorer ([Explore]) and, later,
// behind a real network transport. Messages are values of one type M,
// usually a struct with a String method (traces show fmt.Sprint of each
// message) and, where bandwidth matters, a Size method ([Sizer]).
//
// # Usage
//
// Build a [Config], create the simulator with [New] (which validates the
// configuration and starts every node at time 0), schedule faults and
// client requests, run, and inspect the nodes, their storage, the [Stats]
// and the [Trace]:
//
//	s, err := sim.New(sim.Config{
//		Seed:  seed,
//		Nodes: []string{"a", "b", "c"},
//		Link:  sim.LinkConfig{Latency: sim.Uniform(time.Millisecond, 5*time.Millisecond), Loss: 0.01},
//	}, func(id string) sim.Node[Msg] { return newReplica(id) })
//	if err != nil {
//		return err // wraps sim.ErrInvalidConfig or sim.ErrUnknownNode
//	}
//	_ = s.Inject("client", "a", Msg{Op: "put x 1"}) // a client request
//	s.At(50*time.Millisecond, func(s *sim.Sim[Msg]) { _ = s.Crash("b") })
//	s.At(80*time.Millisecond, func(s *sim.Sim[Msg]) { _ = s.Restart("b") })
//	s.At(90*time.Millisecond, func(s *sim.Sim[Msg]) { _ = s.Partition([]string{"a"}, []string{"b", "c"}) })
//	s.At(200*time.Millisecond, func(s *sim.Sim[Msg]) { s.Heal() })
//	if err := s.RunFor(time.Second); err != nil {
//		return err // a *sim.NodePanicError, with the seed and the trace
//	}
//	s.Trace().WriteTranscript(os.Stdout)
//
// [Sim.Run] runs until nothing is left to happen (or [Config.MaxEvents]
// events: a protocol with periodic timers never falls silent, so run it
// with [Sim.RunFor]); [Sim.RunUntil] runs until a condition holds;
// [Sim.Step] processes one event. In a rapid property, draw the seed and a
// fault schedule (package sim/simtest does this), run, and check the
// protocol's invariants: a failing case shrinks to a minimal schedule.
//
// # What the simulator models
//
// Time is virtual: a run of simulated hours takes milliseconds, and
// nothing depends on the machine's clock or scheduler. Every link is
// one-way, configured by [LinkConfig] (per link in [Config.Links],
// changeable with [Sim.SetLink]):
//
//   - latency, drawn per message from [Constant], [Uniform], [Normal]
//     (truncated at 0) or [Exponential]; [LatencyMatrix] builds WAN
//     settings. A constant latency keeps a link first-in first-out; a
//     distribution with spread reorders messages, because each draws its
//     own delay;
//   - loss and duplication, each a probability per message; a duplicate is
//     delivered as its own message with its own delay;
//   - bandwidth: a message of s bytes occupies the link for
//     s/[LinkConfig.Bandwidth] seconds, queued behind the messages sent on
//     the link before it;
//   - partitions: [Sim.Partition] cuts every link between groups, both
//     ways; [Sim.Block] cuts one direction (an asymmetric partition);
//     [Sim.Heal] removes both. A cut link loses what is sent on it and
//     what was in flight on it when it arrives;
//   - hold-backs: [Sim.Hold] (a link) and [Sim.HoldIf] (a class of
//     messages) delay what is sent while they last until they end, then
//     deliver it: a message overtaken by many rounds, not a lost one.
//
// Nodes can crash ([Sim.Crash]: the node value, its pending timers and its
// queued inputs are lost, messages that reach it while it is down are
// dropped), restart ([Sim.Restart]), and pause ([Sim.Pause], as under a
// garbage-collection pause: inputs wait and timers that expire meanwhile
// fire after it). Each node has a local clock ([ClockConfig]): at true
// time t, [Context.Now] reads Offset + (1+Drift)·t, and a timer set for d
// fires after d/(1+Drift) of true time, so a fast clock times out early.
//
// Latency alone makes throughput independent of how many messages a node
// handles. [Config.ServiceTime] charges a node for each message or timer
// it handles (its effects happen when the service time is over, and
// inputs queue meanwhile), so a leader that must talk to more acceptors
// is slower, as in a real system; together with bandwidth this is what
// makes quorum size show up in throughput.
//
// # Guarantees
//
//   - Determinism: one seeded random source drives the network (loss,
//     duplication, latency), and each node's [Context.Rand] is seeded from
//     the seed and the node's identifier. Events are ordered by time, then
//     by the order they were scheduled. The same Config (seed included),
//     node code and schedule of actions give the same trace, event for
//     event; the tests compare traces of replayed runs for equality.
//   - Accounting: every message sent (or duplicated) ends in exactly one
//     delivery or drop once the run has fallen silent, and no message is
//     delivered twice except as a duplicate with its own identifier.
//   - Causality: each event of a node carries a Lamport time and a vector
//     clock (package clocks) that the simulator computes from the trace's
//     happened-before relation (process order and send-to-deliver edges):
//     Lamport times satisfy the clock condition, and vector clocks the
//     strong one (Lamport 1978; Fidge 1988; Mattern 1989). Protocols never
//     compute them. A crash resets none of them: they describe causality
//     in the run, not the node's state.
//   - Failure reports: a node that panics stops the run with a
//     [NodePanicError] holding the node, the seed, the panic value, the
//     stack and the trace so far. Invalid configurations and arguments are
//     errors wrapping [ErrInvalidConfig] or [ErrUnknownNode], never panics.
//
// # Durability contract
//
// A node's own value is volatile: a crash discards it and a restart builds
// a new one with the factory given to New, then calls Start. Only what the
// node wrote to [Context.Storage] survives. Storage writes take effect at
// once, before the messages of the same call leave, so a node that writes
// before it sends has persisted before anyone can act on the message. A
// protocol that forgets to persist something it promised passes every
// test without crashes and fails with them, which is the point: the
// factory must not share mutable state between the values it returns.
//
// # Traces
//
// Unless [Config.NoTrace] is set, every send, delivery, drop, duplicate,
// timer, note ([Context.Note]), crash, restart, pause, resume and network
// fault is recorded in the [Trace] with its true time and, for node
// events, its Lamport time and vector clock. Clients (names passed to
// [Sim.Inject] that are not nodes) appear as processes of their own. A
// trace renders as a stable text transcript ([Trace.WriteTranscript], for
// golden tests), a standalone SVG space-time diagram ([Trace.WriteSVG])
// and a log for the ShiViz visualiser ([Trace.WriteShiViz]).
//
// # The explorer
//
// Simulation samples runs; for small systems [Explore] enumerates them
// all, up to bounds on drops, duplicates, crashes, restarts and timeouts:
// breadth-first over every order of deliveries and faults, deduplicating
// states by the canonical encoding an [Explorable] node provides, checking
// an invariant in every state and a quiescence property in every final
// state, and returning the shortest counterexample as a Trace. Time is
// abstract there: timers fire in any order relative to messages, which
// covers every timing the simulator could produce and some it could not.
// Two opt-in reductions make larger systems affordable: delay-bounded
// scheduling ([ExploreConfig.DelayBounding]: messages delivered in send
// order, with at most MaxDelays exceptions per path) and symmetry
// reduction ([ExploreConfig.Symmetric]: interchangeable nodes, whose
// states are explored up to renaming; see [Renamable]).
//
// # Trade-offs
//
// The simulator runs one world at a time on one goroutine, so it is fast
// (millions of deliveries per second with tracing off; see the
// benchmarks) and replays exactly, but it finds only the bugs that its
// seeds and schedules reach: run many seeds, and explore small
// configurations exhaustively. Exploration is complete within its bounds
// but grows exponentially with them and ignores time, so it cannot check
// properties that depend on clocks or timeouts being long enough.
//
// What is not modelled: a node's own concurrency (a handler runs
// atomically), partial writes and corruption of storage, message
// corruption (a decoder's fuzz target covers that), and latency that
// depends on load other than through bandwidth and service time. Messages
// are passed by value: a message holding a slice or map shares it between
// sender, receiver and duplicates, so treat messages as immutable.
//
// # Papers and peers
//
//   - FoundationDB's deterministic simulation (Zhou et al., "FoundationDB:
//     A Distributed Unbundled Transactional Key Value Store", SIGMOD 2021,
//     and Will Wilson's talk "Testing Distributed Systems w/ Deterministic
//     Simulation", Strange Loop 2014): the whole system in one thread with
//     simulated network, disks and clocks, driven by one seed.
//   - Jepsen (Kyle Kingsbury, jepsen.io): partitions, pauses, clock skew
//     and crashes injected into real clusters, with histories checked
//     afterwards; the fault vocabulary here follows its nemeses.
//   - etcd/raft (go.etcd.io/raft): the protocol as a pure state machine
//     driven by messages and ticks, whose interaction tests replay
//     scenarios as transcripts.
//   - Leslie Lamport, "Time, Clocks, and the Ordering of Events in a
//     Distributed System", CACM 1978; Colin Fidge, "Timestamps in
//     Message-Passing Systems That Preserve the Partial Ordering", 1988;
//     Friedemann Mattern, "Virtual Time and Global States of Distributed
//     Systems", 1989.
//   - Ivan Beschastnikh et al., "Debugging Distributed Systems" (ShiViz),
//     CACM 2016.
//   - Model checking of implementations: Killian et al., "Life, Death, and
//     the Critical Transition: Finding Liveness Bugs in Systems Code"
//     (MaceMC), NSDI 2007; Yang et al., "MODIST: Transparent Model
//     Checking of Unmodified Distributed Systems", NSDI 2009.
//
// The chapter docs/simulation.md walks through testing a small protocol
// with the simulator and the explorer.
package sim
