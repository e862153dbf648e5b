package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/eventually-perfect/primitives/quorum"
)

// The quorum section: why overlapping quorums keep replicated data safe,
// what breaks when they do not overlap, flexible quorums, the load and
// capacity analysis that separates majorities from grids, and Aurora's
// six copies over three zones. The numbers it prints come from
// quorumFacts, which quorum_test.go checks against independent
// calculations.

func init() {
	register(section{order: 20, name: "quorum", title: "Quorums: who must answer, and what it costs", run: quorumSection})
}

// quorumFactsT is everything the section states, computed by the package.
type quorumFactsT struct {
	majorityQuorums  int             // minimal quorums of a majority of 5
	majorityVotes    []string        // the vote round, one line per vote
	unsafeErr        error           // what New says about 2-of-5 reads and writes
	unsafeRead       string          // a read quorum of the unchecked system
	unsafeWrite      string          // a write quorum disjoint from it
	flexResilience   [2]int          // Flexible(5, 4, 2): read and write resilience
	flexCommit       uint64          // its committed index for flexAcks
	majorityCommit   uint64          // a majority of 5's committed index for flexAcks
	gridWrites       string          // the 2x3 grid's write expression
	gridResilience   [2]int          // read and write resilience of the grid
	gridLoads        [3]float64      // optimal load at read fractions 0, 0.25, 1
	gridCapacity     float64         // capacity at 0.25
	majority5Load    float64         // optimal load of a majority of 5 at 0.25
	scalingMajority  map[int]float64 // n -> optimal load at 1/2
	scalingGrid      map[int]float64 // n = k*k -> optimal load at 1/2
	auroraReads      bool            // reads survive a zone plus one copy
	auroraWrites     bool            // writes survive a zone
	auroraWritesPlus bool            // writes survive a zone plus one copy
}

// flexAcks are the acknowledged log indices of five replicas.
var flexAcks = []uint64{9, 7, 4, 3, 1}

var quorumNames = []string{"a", "b", "c", "d", "e"}

func quorumFacts() (quorumFactsT, error) {
	var f quorumFactsT
	m, err := quorum.Majority(quorumNames...)
	if err != nil {
		return f, err
	}
	qs, err := m.MinimalQuorums(quorum.Write)
	if err != nil {
		return f, err
	}
	f.majorityQuorums = len(qs)
	tr := quorum.NewTracker(m, quorum.Write)
	for _, v := range []struct {
		node string
		yes  bool
	}{{"a", true}, {"b", false}, {"c", true}, {"e", true}} {
		r, err := tr.VoteName(v.node, v.yes)
		if err != nil {
			return f, err
		}
		word := "no"
		if v.yes {
			word = "yes"
		}
		f.majorityVotes = append(f.majorityVotes, fmt.Sprintf("%s votes %-3s -> %s", v.node, word, r))
	}

	l := quorum.Leaves(quorumNames...)
	_, f.unsafeErr = quorum.New(quorum.Config{Reads: quorum.Choose(2, l...), Writes: quorum.Choose(2, l...)})
	unsafe, err := quorum.New(quorum.Config{Reads: quorum.Choose(2, l...), Writes: quorum.Choose(2, l...), Unchecked: true})
	if err != nil {
		return f, err
	}
	r, err := unsafe.SetOf("a", "b")
	if err != nil {
		return f, err
	}
	w, err := unsafe.SetOf("d", "e")
	if err != nil {
		return f, err
	}
	if !unsafe.IsRead(r) || !unsafe.IsWrite(w) {
		return f, errors.New("the unsafe example's quorums are not quorums")
	}
	f.unsafeRead, f.unsafeWrite = unsafe.FormatSet(r), unsafe.FormatSet(w)

	flex, err := quorum.Flexible(quorumNames, 4, 2)
	if err != nil {
		return f, err
	}
	for side := range 2 {
		if f.flexResilience[side], err = flex.Resilience(quorum.Side(side)); err != nil {
			return f, err
		}
	}
	if f.flexCommit, err = flex.CommittedIndex(quorum.Write, flexAcks); err != nil {
		return f, err
	}
	if f.majorityCommit, err = m.CommittedIndex(quorum.Write, flexAcks); err != nil {
		return f, err
	}

	e, err := quorum.Parse("a*b*c + d*e*f")
	if err != nil {
		return f, err
	}
	g, err := quorum.New(quorum.Config{Reads: e})
	if err != nil {
		return f, err
	}
	f.gridWrites = g.Expr(quorum.Write).String()
	for side := range 2 {
		if f.gridResilience[side], err = g.Resilience(quorum.Side(side)); err != nil {
			return f, err
		}
	}
	optimal := func(s *quorum.System, fr float64) (*quorum.Strategy, error) {
		w, err := quorum.ReadFraction(fr)
		if err != nil {
			return nil, err
		}
		return s.Optimal(quorum.Goal{Workload: w}) // the strategy remembers w
	}
	for i, fr := range []float64{0, 0.25, 1} {
		st, err := optimal(g, fr)
		if err != nil {
			return f, err
		}
		f.gridLoads[i] = st.Load()
		if fr == 0.25 {
			f.gridCapacity = st.Capacity()
		}
	}
	st, err := optimal(m, 0.25)
	if err != nil {
		return f, err
	}
	f.majority5Load = st.Load()

	f.scalingMajority, f.scalingGrid = map[int]float64{}, map[int]float64{}
	for n := 3; n <= 9; n += 2 {
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("n%d", i)
		}
		s, err := quorum.Majority(names...)
		if err != nil {
			return f, err
		}
		st, err := optimal(s, 0.5)
		if err != nil {
			return f, err
		}
		f.scalingMajority[n] = st.Load()
	}
	for k := 2; k <= 4; k++ {
		rows, err := quorum.GridNames(k, k)
		if err != nil {
			return f, err
		}
		s, err := quorum.Grid(rows)
		if err != nil {
			return f, err
		}
		st, err := optimal(s, 0.5)
		if err != nil {
			return f, err
		}
		f.scalingGrid[k*k] = st.Load()
	}

	a := quorum.Aurora()
	if f.auroraReads, err = a.SurvivesZoneLoss(quorum.Read, quorum.AuroraZones, 1); err != nil {
		return f, err
	}
	if f.auroraWrites, err = a.SurvivesZoneLoss(quorum.Write, quorum.AuroraZones, 0); err != nil {
		return f, err
	}
	if f.auroraWritesPlus, err = a.SurvivesZoneLoss(quorum.Write, quorum.AuroraZones, 1); err != nil {
		return f, err
	}
	return f, nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func quorumSection(t *tour) error {
	f, err := quorumFacts()
	if err != nil {
		return err
	}
	t.para(`A replicated service cannot wait for every replica: one slow or
		crashed machine would stop it. So it waits for a quorum, a set of
		replicas large enough to act for all of them. What makes this safe
		is intersection: if every read quorum shares at least one replica with
		every write quorum, a read always meets someone who saw the latest
		write. Paxos uses the same fact for its two phases: a new leader's
		phase-1 quorum meets every earlier phase-2 quorum, so it learns any
		value that might have been chosen.`)

	t.heading("Majorities")
	t.para(fmt.Sprintf(`With five replicas a through e, any three form a majority, and two
		majorities always share a replica (3 + 3 > 5). There are %d minimal
		majorities. A quorum.Tracker counts the votes of one round, for any
		quorum system, without allocating; the round is won as soon as a
		quorum has said yes, even with a "no" and a silent replica:`, f.majorityQuorums))
	for _, v := range f.majorityVotes {
		t.printf("    %s\n", v)
	}
	t.printf("\n")
	t.para(fmt.Sprintf(`Quorums that do not meet are refused. Reads from any two replicas
		and writes to any two is a tempting "fast" configuration; quorum.New
		says: %q. Built anyway (Unchecked, for lessons like this one), it lets
		a write go to %s and a later read ask %s, which never hears of it.`,
		f.unsafeErr, f.unsafeWrite, f.unsafeRead))

	t.heading("Flexible quorums")
	t.para(fmt.Sprintf(`Flexible Paxos (Howard, Malkhi and Spiegelman, 2016) noticed that
		only phase-1 quorums must meet phase-2 quorums; two phase-2 quorums
		need not meet. With five replicas, phase 1 (rare: leader election) can
		use 4 and phase 2 (every command) only 2, since 4 + 2 > 5. Commands
		then survive %d failures, elections only %d. A leader whose replicas
		have acknowledged log indices %v commits up to index %d with these
		quorums, against %d with majorities (CommittedIndex, etcd raft's
		function generalised to any quorum system).`,
		f.flexResilience[quorum.Write], f.flexResilience[quorum.Read], flexAcks, f.flexCommit, f.majorityCommit))

	if t.brief("load and capacity, and Aurora's six copies in three zones") {
		return nil
	}
	t.heading("Load and capacity")
	t.para(fmt.Sprintf(`Quorums also decide throughput. Each operation keeps every replica
		of its quorum busy; a strategy says how often each quorum is used, its
		load is the busiest replica's share of the work, and its capacity is
		one over the load (Naor and Wool, 1998). Arrange six replicas in two
		rows, a b c over d e f; a read asks a whole row, a write one replica of
		each row, which is the dual %s. Reads survive %d failure, writes %d.
		The package finds the best strategy by linear programming, as quoracle
		does (Whittaker et al., 2021): load %.4g when every operation is a
		write, %.4g when a quarter are reads (capacity %.4g: the six serve
		that many times what one replica alone could), %.4g when all are
		reads. A majority of five carries
		load %.4g at the same mix.`,
		f.gridWrites, f.gridResilience[quorum.Read], f.gridResilience[quorum.Write],
		f.gridLoads[0], f.gridLoads[1], f.gridCapacity, f.gridLoads[2], f.majority5Load))
	t.para(`Adding replicas does not help a majority: every operation still
		involves more than half of them, so its load never falls below 1/2. A
		k-by-k grid's operations touch about k of its k*k replicas, so its
		load falls like 1/sqrt(n). The lowest load at half reads, half writes:`)
	var rows []string
	for _, n := range []int{3, 5, 7, 9} {
		rows = append(rows, fmt.Sprintf("    %-15s %.4f", fmt.Sprintf("majority of %d:", n), f.scalingMajority[n]))
	}
	for _, n := range []int{4, 9, 16} {
		rows = append(rows, fmt.Sprintf("    %-15s %.4f", fmt.Sprintf("grid of %d:", n), f.scalingGrid[n]))
	}
	t.printf("%s\n\n", strings.Join(rows, "\n"))
	t.para(`The price is availability: a grid's read needs a whole row, so one
		failure in each row stops reads, and a write needs every row, so a
		lost row stops writes. Choosing a quorum system is choosing
		where to sit between load, latency and fault tolerance; the package
		computes all three so the choice is made with numbers.`)

	t.heading("Aurora: six copies in three zones")
	t.para(fmt.Sprintf(`Amazon Aurora keeps six copies of each piece of data, two in each of
		three availability zones, writes to any four and reads from any three
		(4 + 3 > 6). Its claim is that reads survive the loss of a zone plus
		one more copy, and writes the loss of a zone. Checking every zone and
		every extra copy: reads survive a zone plus one copy: %s; writes
		survive a zone: %s; writes survive a zone plus one copy: %s.`,
		yesNo(f.auroraReads), yesNo(f.auroraWrites), yesNo(f.auroraWritesPlus)))
	return nil
}
