// Package quorum describes quorum systems, checks that they are safe,
// analyses their load, capacity and latency, and counts votes against them
// at run time.
//
// A quorum system says which sets of nodes may act for the whole: a write
// is durable once a write quorum stores it, and a read that asks a read
// quorum is sure to meet at least one node that stored it, because every
// read quorum intersects every write quorum. Paxos relies on the same
// fact for its two phases; Flexible Paxos (Howard, Malkhi and Spiegelman
// 2016) observed that only phase-1 quorums need to meet phase-2 quorums,
// and that is what a read/write quorum system expresses.
//
// Quorums are described by expressions over named nodes ([Expr]): a node,
// And (all of), Or (one of), Choose (k of) and MajorityOf, or their
// textual form read by [Parse]: "a*b*c + d*e*f", "choose(2, a, b, c)",
// "majority(a, b, c, d, e)". [New] builds a [System] from one side, the
// other side being its dual (the smallest sets that meet every quorum),
// or from both, and refuses a system whose sides do not intersect unless
// [Config].Unchecked asks for one. Ready-made systems: [Majority],
// [Flexible] (q1 + q2 > n), [Grid], [Weighted] (Gifford 1979) and [Aurora]
// (six copies in three zones, writes 4, reads 3).
//
// # Usage
//
//	e, err := quorum.Parse("a*b*c + d*e*f")        // reads: a whole row
//	s, err := quorum.New(quorum.Config{Reads: e})   // writes: the dual, one node per row
//	set, err := s.SetOf("a", "e")
//	ok := s.IsWrite(set)                            // true: a and e cover both rows
//	r, err := s.Resilience(quorum.Read)             // 1: any one failure leaves a row
//
//	w, err := quorum.ReadFraction(0.25)
//	st, err := s.Optimal(quorum.Goal{Workload: w})  // linear program over the quorums
//	load, capacity := st.Load(w), st.Capacity(w)    // 0.375 and 8/3
//
//	t := quorum.NewTracker(s, quorum.Write)         // one round of votes
//	res, err := t.VoteName("a", true)               // quorum.Pending
//	res, err = t.VoteName("d", true)                // quorum.Won
//	commit, err := s.CommittedIndex(quorum.Write, matchIndex) // one index per node
//
// # Guarantees
//
//   - A System built without Unchecked has intersecting read and write
//     quorums; a superset of a quorum is a quorum.
//   - Membership checks (IsRead, IsWrite, IsQuorum), Tracker votes and
//     CommittedIndex do not allocate. Sets are 64-bit masks, so a System
//     has at most [MaxNodes] (64) nodes.
//   - Bad input (malformed expressions, unknown or repeated nodes, bad
//     thresholds or capacities, infeasible goals) gives an error wrapping
//     one of the ErrXxx sentinels, never a panic. Parse errors are
//     [*ParseError] values that say where the problem is.
//   - Everything is deterministic: the same input gives the same quorums in
//     the same order and the same strategy.
//
// # Trade-offs
//
// Enumerating minimal quorums is exponential in general; this package
// enumerates at most 65536 of them and returns [ErrTooLarge] beyond
// (a majority of 21 already has 352716), so the analysis suits the small
// systems people deploy, not a majority of 64. Membership checks, vote
// tracking and resilience of systems without shared nodes do not
// enumerate and work for every size. Optimal strategies solve a linear
// program whose columns are the minimal quorums, as quoracle does.
//
// # Papers
//
//   - M. Naor and A. Wool, "The Load, Capacity, and Availability of Quorum
//     Systems", SIAM J. Computing 27(2), 1998: strategies, load, capacity.
//   - M. Whittaker, A. Charapko, J. M. Hellerstein, H. Howard and I.
//     Stoica, "Read-Write Quorum Systems Made Practical", PaPoC 2021
//     (quoracle): the analysis this package reproduces.
//   - D. K. Gifford, "Weighted Voting for Replicated Data", SOSP 1979.
//   - H. Howard, D. Malkhi and A. Spiegelman, "Flexible Paxos: Quorum
//     intersection revisited", 2016.
//   - A. Verbitski et al., "Amazon Aurora: Design Considerations for High
//     Throughput Cloud-Native Relational Databases", SIGMOD 2017.
//   - etcd raft's quorum package, whose VoteResult and CommittedIndex the
//     Tracker and System.CommittedIndex generalise.
package quorum
