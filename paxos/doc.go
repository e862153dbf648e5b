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
// healing. A specification checker follows the node in explorations and
// adversarial simulations, checking each message it sends against the
// abstract protocol (phases 1b, 2a and 2b, the durability contract) and
// each state against P2b and P3 ("Paxos Made Simple", section 2); and
// thirteen deliberately broken nodes (an acceptor that accepts below its
// promise, a proposer that takes the lowest-ballot value, a learner that
// adds up acceptances of different ballots...) must each be caught by
// the default go test (TestNodeMutantsKilled).
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
// A Replica (NewReplica, ReplicaConfig) keeps a replicated log of client
// Commands and drives a StateMachine with it. It is acceptor, learner and,
// when elected, leader, and like Node a deterministic state machine:
//
//	r, err := paxos.NewReplica(paxos.ReplicaConfig{ID: "a", Quorums: sys,
//		Seed: 1, StateMachine: app, SnapshotEvery: 10000}, &paxos.MemoryLogStorage{})
//	out, err := r.Submit(paxos.Command{Client: "c1", Seq: 1, Op: "inc"})
//	out, err = r.Step(msg) // for every LogMessage received
//	out, err = r.Tick()    // every tick
//
// A replica that hears no leader for its election timeout (drawn in
// [ElectionTicks, 2*ElectionTicks) from a source seeded by Seed and ID)
// runs phase 1 once for every slot from its decided prefix on; with a
// phase-1 quorum it re-proposes, in each undecided slot, the
// highest-ballot entry reported and fills the gaps with no-ops ("Paxos
// Made Simple", section 3). The leader then packs queued commands, up to
// MaxBatch, into one slot each, with at most Window undecided slots in
// flight; followers forward what they are given to it. Phases 1 and 2 go
// to every replica, or, with Thrifty, to one quorum containing the
// candidate or leader, retransmissions on Tick going to all. A promise
// also reports the acceptor's decided prefix, which the candidate learns
// instead of proposing it again. The leader's decided
// prefix rides on its accepts and heartbeats (and a LogCommit when no
// accept follows), from which acceptors learn the slots they accepted in
// its ballot; lagging replicas ask for the rest (LogCatchUp) and receive
// decisions, or a snapshot if they are behind the compaction point.
// Such a notice in ballot b is sound only if, in every slot below it in
// which the leader of b proposed, the decided value is that proposal; a
// leader that learns from another replica (a catch-up answer, an
// acceptor that had decided the slot, a snapshot) a decision that differs
// from its proposal has been overtaken by a higher ballot and steps down
// before it announces its prefix again (docs/paxos.md, section 9: the
// agreement violation this rule once allowed).
//
// Client sessions: a Command (Client, Seq) is applied at most once on
// every replica, however often a client retries it and even if two
// leaders decided it in two slots; the leader does not propose again a
// command it already queued or has in flight. The sessions (per client,
// the Seqs applied and the last result, Replica.Session) are replicated
// state and travel in snapshots. A Command without a Client is applied
// at least once, not exactly once: a follower forwards it to the leader
// again on every tick until it sees it applied, and a forward that
// arrives after the leader applied it is a new command. Give commands a
// session when applying twice matters.
//
// Log compaction: after SnapshotEvery applied slots a replica takes
// StateMachine.Snapshot, writes it with its compaction point, and drops
// the entries below. A replica asking for compacted slots, or a candidate
// whose decided prefix is below an acceptor's compaction point, receives
// the snapshot (in a LogSnapshot, or with the Promise: without it the
// candidate would fill compacted slots with no-ops) and restores it.
//
// Restart: a StateMachine is rebuilt from the last snapshot and the log,
// every later command applied again to a fresh state, which is exactly
// once for a state machine in memory. One whose state survives the
// process implements DurableStateMachine: it records how many slots it
// reflects atomically with their effects, and a restarted replica does
// not apply those slots again (it replays them into the sessions only).
//
// Persistence is incremental: LogStorage writes the promise and round,
// one accepted entry, or one snapshot at a time (MemoryLogStorage
// appends in amortised O(1)); a replica writes what a message depends on
// before returning it, and its caller makes those writes durable before
// sending it: persist, then send, with one sync per call or, with
// ReplicaConfig.GroupCommit, one sync for as many steps as the caller
// likes (see LogStorage). Decisions are not persisted: a restarted
// replica restores its snapshot and learns the rest again.
//
// Bad input: misaddressed messages, unknown senders and malformed ones
// (a leader's ballot not the sender's, a slot beyond any log, a no-op with
// commands) return ErrUnknownNode or ErrBadMessage; stale ballots are
// answered with a Nack; duplicates, replies to a role the replica left and
// slots compacted or too far ahead are dropped; all are counted in
// Replica.Stats and none changes the replica's state. LogMessage has a
// canonical binary encoding (MarshalBinary, Size for bandwidth models).
//
// The tests check each feature against the paper it comes from, the
// durability contract under random schedules, a retried command decided
// twice and applied once, and, in the simulator, agreement, validity,
// log integrity and exactly-once application under crashes, partitions,
// loss, duplication and reordering with drawn configurations; the sim
// explorer checks every interleaving of three replicas through two
// elections (Replica.Clone and Replica.AppendState serve it). Every
// harness also checks the abstract Paxos specification at each step,
// on ghost state (every promise, acceptance and learn, by ballot);
// adversarial schedules (hold-backs, faults aimed at the leader and at
// a minority that holds it) reach the rare orders; and thirteen
// deliberately broken replicas, each killed by the default go test, show
// what the verification catches.
// BenchmarkReplica measures three replicas in one process; the bench
// module compares them with go.etcd.io/raft/v3.
//
// Not there yet: sessions are never expired; membership is fixed; a
// replica more than 65536 slots behind catches up before it can lead; a
// leader cut off from the others keeps leading (no leases or quorum
// check) until it hears of a higher ballot, so commands submitted to it
// wait until then.
//
// # Binary payloads
//
// Command.Op and the result StateMachine.Apply returns are Go strings,
// which hold any bytes: zero bytes and invalid UTF-8 travel through the
// log, the messages' binary encoding, LogState, snapshots and sessions
// unchanged, with no base64 or other detour (traces quote them). They
// stay strings, not []byte, because a Command is shared without copies
// by the queue, the log, the messages and the replicas of one process,
// and a string can neither change under them nor stop Command being
// comparable. The copies a []byte API would save are needed anyway or
// avoided otherwise: a client builds Op with string(payload), one copy,
// which a []byte field would need too, since the log must not share the
// caller's buffer; a StateMachine reads the op with Command.OpBytes, a
// read-only view with no copy (0 allocations at any size, against one
// copy of the op with []byte(cmd.Op)); a result is copied once by
// string(result), and the session keeps it. BenchmarkReplicaBinary
// measures three replicas decoding 4 KiB binary ops: reading them
// through OpBytes instead of []byte(cmd.Op) removes 3 of 4 allocations
// and three quarters of the bytes allocated per command, and base64
// costs several times more. An Op (and a Client) is at most MaxOpSize
// bytes, 1 MiB: Submit and Step refuse a longer one with ErrBadCommand,
// and the encoders with ErrBadMessage, since no decoder would read it
// back; a result may be of any length.
//
// # Decoding cost
//
// Every decoder (Message, State, Entry, LogMessage and LogState's
// UnmarshalBinary) applies its limits while it reads: a length or count
// is checked against the bytes left before anything is allocated for it,
// and the whole input is checked in a first pass that allocates nothing
// before a second pass builds the value. So an input that is refused,
// however long, costs only its error (about 200 bytes), and an input
// that is accepted costs what the decoded value occupies in memory, each
// string, byte string and slice allocated once at its exact length. Per
// input byte, the worst case is:
//
//   - Message and State: 2 bytes (only strings are allocated, each
//     rounded up to the allocator's size class; a 1 MiB value costs 1).
//   - Entry, LogMessage and LogState: 16 bytes, plus a few hundred. The
//     worst inputs are many empty entries or commands: an Entry takes 64
//     bytes in memory and can take 5 on the wire, a Command 40 and 3, and
//     a slice is rounded up to the allocator's size class. Measured: 14.0
//     bytes per byte for a 1 MiB LogMessage whose entries hold one empty
//     command each, 13.3 for an Entry of empty commands, 11.4 for a
//     LogState; a snapshot costs 1 byte per byte.
//
// Before these limits (issue 11) the same inputs cost up to 21 bytes per
// byte, accepted or refused: a 10 MB LogMessage took 213 MB.
// TestDecodeAllocationBound checks the bounds on each decoder's worst
// inputs; BenchmarkDecodeWorst measures them. The session snapshot
// carried in a LogState or LogSnapshot is decoded separately, when a
// Replica restores it, and is not covered by these figures.
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
//   - R. van Renesse and D. Altinbuken, "Paxos Made Moderately Complex",
//     ACM Computing Surveys 47(3), 2015.
//   - D. Ongaro, "Consensus: Bridging Theory and Practice", PhD thesis,
//     Stanford, 2014 (client sessions, section 6.3).
//   - etcd/raft (go.etcd.io/raft): the state-machine style.
package paxos
