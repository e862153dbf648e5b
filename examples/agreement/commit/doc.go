// Package commit implements two-phase and three-phase commit, the two
// classic atomic commitment protocols, as teaching material for the
// chapter docs/agreement.md: one coordinator asks the participants of a
// transaction to vote, and every node must reach the same decision,
// commit or abort.
//
// Both protocols are written as sim.Node state machines (message or timer
// in, messages and durable writes out; no goroutines, no clock reads), so
// the simulator runs them with real delays and faults and the explorer
// enumerates every interleaving of their messages, timeouts and crashes.
// The lessons they teach:
//
//   - Two-phase commit (TwoPhase) is safe: in no explored schedule do two
//     nodes decide differently. It is not live: if the coordinator crashes
//     after the participants vote yes, they stay undecided until it
//     recovers.
//   - Three-phase commit (ThreePhase) does not block when the coordinator
//     crashes: every running participant decides by a timeout rule. The
//     rule is only right when a timeout means a crash; under a partition
//     (or messages slower than the timeout) two participants decide
//     differently.
//
// # Usage
//
// One Config describes a transaction; a constructor validates it and
// returns a node factory for the simulator or the explorer:
//
//	cfg := commit.Config{Coordinator: "coord", Participants: []string{"p1", "p2"}, Queries: 1}
//	newNode, err := commit.NewTwoPhase(cfg)
//	if err != nil { ... }
//	s, err := sim.New(sim.Config{Nodes: cfg.Nodes()}, func(id string) sim.Node[commit.Msg] { return newNode(id) })
//	...
//	err = s.Run()
//	err = commit.CheckSafety(cfg, s.Storage)
//
// CheckSafety and CheckDecided state the properties of atomic commitment
// (agreement, validity, termination) over durable records and running
// nodes, for invariants and tests.
//
// # Guarantees and assumptions
//
// One run decides one transaction. Every vote and decision is written to
// the node's durable storage before any message that depends on it is
// sent, so a node that crashes and restarts never contradicts what it said
// before. Three-phase commit's safety assumes a synchronous network
// (messages arrive within the timeout); two-phase commit's safety assumes
// nothing about timing.
//
// Durable records, the keys a node writes to sim.Storage:
//
//   - "begun" (coordinator): it sent Prepare. A coordinator that restarts
//     with "begun" but no decision crashed while undecided.
//   - "vote" (participant): "yes" or "no", written before the vote is sent.
//   - "prepared" (three-phase): PreCommit sent (coordinator) or received
//     (participant).
//   - "decision": "commit" or "abort", written before the decision is
//     noted or announced.
//
// Timers, named after what the node is waiting for: "prepare" (a
// participant waits for Prepare), "votes" and "acks" (the coordinator),
// "precommit" and "commit" (a three-phase participant), "decision" (an
// uncertain participant about to ask, or note that it is blocked).
//
// # References
//
//   - J. Gray, "Notes on data base operating systems", 1978 (two-phase
//     commit).
//   - D. Skeen, "Nonblocking commit protocols", SIGMOD 1981 (three-phase
//     commit, and the conditions for a protocol not to block).
//   - P. A. Bernstein, V. Hadzilacos, N. Goodman, "Concurrency Control and
//     Recovery in Database Systems", Addison-Wesley 1987, chapter 7 (the
//     properties AC1 to AC5, timeouts, termination and recovery).
package commit
