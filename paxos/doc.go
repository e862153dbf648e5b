// Package paxos implements single-decree Paxos (Lamport, "Paxos Made
// Simple", 2001) with flexible quorums (Howard, Malkhi and Spiegelman,
// "Flexible Paxos: Quorum intersection revisited", 2016), written as a
// deterministic state machine that tests drive in a simulator and an
// exhaustive explorer, and that a real transport and disk could drive
// unchanged.
//
// Consensus asks a group of processes to choose one value among those
// proposed, such that only a proposed value is chosen, at most one value
// is chosen, and a process learns a value only if it was chosen. The FLP
// result (Fischer, Lynch and Paterson 1985) says no deterministic
// protocol can guarantee that a choice is ever made in an asynchronous
// system with one crash; Paxos keeps the safety properties always and
// makes progress whenever one proposer runs undisturbed long enough.
//
// A Node plays the three roles of the paper: it is an acceptor if it is
// one of Config.Quorums' nodes, a proposer once Propose is called, and a
// learner if Config.Learners lists it. A proposer runs two phases with a
// ballot (round, node) above any it has seen: phase 1 (Prepare/Promise)
// asks a phase-1 quorum to promise to ignore lower ballots and report
// what they accepted; phase 2 (Accept/Accepted) asks a phase-2 quorum to
// accept the value of the highest acceptance reported, or the proposer's
// own if none. Acceptors refuse lower ballots with a Nack that carries the
// ballot they promised. A value is chosen once a phase-2 quorum accepted
// it in one ballot; learners count Accepted messages per ballot.
//
// # Usage
//
//	sys, err := quorum.Majority("a", "b", "c")        // or quorum.Flexible, Grid, ...
//	n, err := paxos.New(paxos.Config{ID: "a", Quorums: sys, Learners: []string{"a", "b", "c"}},
//		&paxos.MemoryStorage{})                        // or a Storage on disk
//	out, err := n.Propose("v")                         // messages to send
//	out, err = n.Step(msg)                             // for every message received
//	out, err = n.Tick()                                // every retry period, jittered
//	v, ok := n.Decided()
//
// The caller sends every message returned, in any order, over any
// network that may lose, duplicate and reorder them. Messages a node sends
// to itself are handled inside the call.
//
// # Guarantees
//
//   - Agreement and validity: with a quorum system whose phase-1 quorums
//     all meet its phase-2 quorums, at most one value is chosen and it was
//     proposed, whatever messages are lost, duplicated or reordered and
//     whichever nodes crash and restart with their Storage. New refuses
//     other systems (ErrNoIntersection) unless Config.Unsafe asks for one.
//   - Durability contract: a node saves its State (promise, acceptance and
//     proposer round) with Storage.Save, and Save returns, before the call
//     returns any Promise, Accepted or Prepare that depends on it; if Save
//     fails, nothing depending on it is sent (ErrStorage).
//   - Bad input (a message for another node, an acceptor reply from a node
//     that is not an acceptor, a malformed ballot or type) returns an error
//     wrapping ErrUnknownNode or ErrBadMessage and changes nothing; stale
//     and duplicate messages are ignored (Dropped counts them) or answered
//     with a Nack. State decoding rejects malformed input with ErrCorrupt.
//   - Liveness is not guaranteed (FLP): competing proposers can preempt
//     each other forever. Jittered retry periods make that unlikely.
//
// The tests check these claims: unit tests per section of the paper; the
// sim explorer enumerates every interleaving of three acceptors and two
// proposers with a retry, a drop, a crash and a restart; it also finds two
// values chosen with the non-intersecting configuration q1 = q2 = 2 of 4
// acceptors, and with acceptors that forget to persist; rapid-drawn fault
// schedules in the simulator check agreement, validity and liveness after
// healing.
//
// # Trade-offs
//
// Phase-1 quorums are needed only when a proposer takes over; phase-2
// quorums on every decision. Flexible quorums let phase 2 use fewer
// acceptors (faster, cheaper) at the price of larger phase-1 quorums
// (slower recovery, fewer failures tolerated during it). With Thrifty a
// proposer first contacts only one quorum, saving messages at the cost of
// a retry if one of them is down.
//
// # Multi-Paxos
//
// A Replica (NewReplica, ReplicaConfig) is the Multi-Paxos core: a
// replicated log of commands. A replica that hears no leader for
// ReplicaConfig.ElectionTicks ticks runs phase 1 once for every slot;
// with a phase-1 quorum it re-proposes the highest-ballot value reported
// for each slot, fills the gaps with no-ops ("Paxos Made Simple",
// section 3) and then runs phase 2 per slot for new commands (Submit;
// followers forward to the leader). Decisions go to every replica;
// heartbeats carry the leader's decided prefix and lagging or restarted
// replicas catch up from it. A Replica saves its LogState (promise, round,
// accepted entries) before replying. Not yet there: batching, a pipeline
// window, client sessions (a command retried after a leader change may be
// decided twice), snapshots and log compaction (the whole LogState is
// saved on every change).
//
// # Papers
//
//   - L. Lamport, "Paxos Made Simple", ACM SIGACT News 32(4), 2001.
//   - L. Lamport, "The Part-Time Parliament", ACM TOCS 16(2), 1998.
//   - H. Howard, D. Malkhi and A. Spiegelman, "Flexible Paxos: Quorum
//     intersection revisited", OPODIS 2016 (arXiv:1608.06696).
//   - H. Howard, "Distributed consensus revised", PhD thesis, Cambridge,
//     2019.
//   - M. J. Fischer, N. A. Lynch and M. S. Paterson, "Impossibility of
//     Distributed Consensus with One Faulty Process", JACM 32(2), 1985.
//   - etcd/raft (go.etcd.io/raft): the state-machine style.
package paxos
