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
// "majority(a, b, c, d, e)", with names that are not identifiers quoted
// as Go strings: `"10.0.0.1:7000" * "node 2"`. [New] builds a [System]
// from one side, the other side being its dual (the smallest sets that
// meet every quorum), or from both, and refuses a system whose sides do
// not intersect unless [Config].Unchecked asks for one. Ready-made systems: [Majority],
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
//	load, capacity := st.Load(), st.Capacity()      // 0.375 and 8/3, under w
//	other := st.At(w1).Load()                       // the same strategy under workload w1
//	q, err := st.Sample(quorum.Read, r)             // draw a read quorum from r (*rand.Rand)
//	u, err := s.Uniform(w, 1)                       // every minimal 1-resilient set equally often
//	wait := s.Latency(quorum.Read, s.All())         // until the fastest read quorum answers
//
//	res, err := quorum.Search(ctx, quorum.SearchConfig{Nodes: nodes, Goal: g, MinResilience: 1})
//	best, its := res.System, res.Strategy           // the best system over the nodes for g
//
//	t := quorum.NewTracker(s, quorum.Write)         // one round of votes
//	res, err := t.VoteName("a", true)               // quorum.Pending
//	res, err = t.VoteName("d", true)                // quorum.Won
//	commit, err := s.CommittedIndex(quorum.Write, matchIndex) // one index per node
//
// A [Strategy] remembers the workload it was made for, so a capacity is
// computed from the workload given once (to Optimal, Uniform or Strategy);
// [Strategy.At] measures the same strategy under another workload.
// Sampling takes the caller's *rand.Rand: nothing in the package uses a
// global random source, and a seeded source replays the same quorums.
// [Search] looks for the best system over a set of nodes, as quoracle's
// search does.
//
// # Guarantees
//
//   - A System built without Unchecked has intersecting read and write
//     quorums; a superset of a quorum is a quorum.
//   - Membership checks (IsRead, IsWrite, IsQuorum), Tracker votes,
//     CommittedIndex and Latency do not allocate. Sets are 64-bit masks, so
//     a System has at most [MaxNodes] (64) nodes.
//   - Bad input (malformed expressions, unknown or repeated nodes, bad
//     thresholds or capacities, infeasible goals, anything beyond the
//     limits below) gives an error wrapping one of the ErrXxx sentinels,
//     never a panic and never an unbounded allocation. Parse errors are
//     [*ParseError] values that say where the problem is.
//   - What String writes, Parse reads back: for every expression e that
//     New accepts, Parse(e.String()) returns an expression Equal to e.
//   - Everything is deterministic: the same input gives the same quorums in
//     the same order and the same strategy.
//
// # Limits and costs
//
// Expressions: New and Parse accept at most [MaxExprSize] (16384) leaves
// and operators (a weighted vote is one leaf per vote), operators nested
// at most [MaxExprDepth] (100) deep and names of at most [MaxNameLen] (255)
// bytes, and Parse reads at most [MaxExprLen] (32 MiB) of text, which is
// more than String writes for any expression within the other limits.
// Parse applies the limits while it reads: it stops at the first leaf,
// operator, name or parenthesis beyond them. It allocates at most 80 bytes
// per input byte plus 256 bytes (73 on the worst input we know,
// "a*b+a*b+..."; a test checks the bound on adversarial inputs): a 56-byte
// Expr per leaf or operator, once in its operator's exactly sized slice
// and once on a stack sized from the input's non-space bytes, plus the
// unescaped bytes of quoted names. Whatever the input, that is at most
// about 2 MiB plus the unescaped names (at most 4 MiB).
//
// Minimal quorums: enumerating them is exponential in general, so this
// package counts them first, without building them, and returns
// [ErrTooLarge] in bounded time and memory when there are more than 65536
// (a majority of 19 nodes has 92378; majority(a0, ..., a16) *
// majority(b0, ..., b16) has 590976100 and is refused in about a
// microsecond and 336 bytes). The count of "at least k of" a list of
// sub-expressions that share no node is the sum, over the minimal
// selections of arguments reaching k, of the product of their counts,
// computed by a dynamic program over the weight reached; it is exact when
// no node appears under two operators and an upper bound otherwise, so
// such an expression may be refused although it has fewer minimal
// quorums. Counting costs O(arguments × k) per operator; building the
// quorums costs time proportional to the sets built for every operator
// (at most 2^26 steps, including the minimality filter that shared nodes
// need) and 8 bytes per set (at most 2^20 sets, 8 MiB), both known and
// checked before anything is built.
//
// Everything else is bounded too. Membership checks, vote tracking,
// CommittedIndex, Latency, duals, resilience of expressions that share no
// node, SurvivesZoneLoss and the intersection check of a side against its
// dual, of flat weighted thresholds and of an expression against itself do
// not enumerate and work for every size. Checking two different
// expressions for intersection, Uniform and Optimal enumerate within the
// bounds above. Optimal solves a linear program whose columns are the
// minimal quorums, as quoracle does, and refuses one of more than 2^22
// coefficients (gonum's simplex peaks at about 40 bytes per coefficient);
// f-resilient strategies examine every subset of the nodes once and need
// at most 16 nodes.
//
// Search: the candidates are the expressions in which every node appears
// once (9 over 3 nodes, 74 over 4, 885 over 5, 13684 over 6, 258489 over
// 7), generated one at a time; [Search] accepts at most [MaxSearchNodes]
// (12) nodes (ErrTooLarge), examines at most SearchConfig.MaxSystems
// candidates ([DefaultMaxSystems], 65536, by default), checks its context
// before each candidate and keeps only the best so far, so its memory is
// that of one candidate's Optimal.
//
// Latency: contacting a set of nodes takes the time until the fastest
// quorum inside it has answered (quoracle's definition, [System.Latency]);
// for a minimal quorum that is its slowest node, and an f-resilient
// strategy, which contacts more nodes than a quorum, can be faster than
// its slowest node.
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
