package quorum

import (
	"fmt"
)

// distinctNames rejects empty and repeated names.
func distinctNames(names []string) error {
	seen := map[string]bool{}
	for _, n := range names {
		if n == "" {
			return fmt.Errorf("quorum: empty node name: %w", ErrUnknownNode)
		}
		if seen[n] {
			return fmt.Errorf("quorum: node %q given twice: %w", n, ErrDuplicateNode)
		}
		seen[n] = true
	}
	if len(names) == 0 {
		return fmt.Errorf("quorum: no nodes: %w", ErrThreshold)
	}
	return nil
}

// Majority returns the system whose read and write quorums are the
// majorities of the named nodes (more than half), as in Paxos and Raft.
func Majority(names ...string) (*System, error) {
	if err := distinctNames(names); err != nil {
		return nil, err
	}
	m := MajorityOf(Leaves(names...)...)
	return New(Config{Reads: m, Writes: m})
}

// Flexible returns the flexible-quorum system of Howard, Malkhi and
// Spiegelman (Flexible Paxos, 2016): read (phase-1) quorums are any q1 of
// the nodes and write (phase-2) quorums any q2. Only reads must meet
// writes, which needs q1 + q2 > n; otherwise the error wraps
// ErrNoIntersection. Each threshold must lie in [1, n] (ErrThreshold).
func Flexible(names []string, q1, q2 int) (*System, error) {
	if err := distinctNames(names); err != nil {
		return nil, err
	}
	n := len(names)
	if q1 < 1 || q1 > n || q2 < 1 || q2 > n {
		return nil, fmt.Errorf("quorum: flexible thresholds q1=%d, q2=%d for %d nodes: %w", q1, q2, n, ErrThreshold)
	}
	if q1+q2 <= n {
		return nil, fmt.Errorf("quorum: flexible q1=%d + q2=%d <= n=%d: %w", q1, q2, n, ErrNoIntersection)
	}
	l := Leaves(names...)
	return New(Config{Reads: Choose(q1, l...), Writes: Choose(q2, l...)})
}

// Grid returns the grid system over rows of names (every row the same
// length): a read quorum is one whole row and a write quorum one node from
// every row, the dual. The 2x3 grid [[a b c] [d e f]] has reads
// a*b*c + d*e*f and writes (a+b+c)*(d+e+f), the running example of
// quoracle (Whittaker et al. 2021).
func Grid(rows [][]string) (*System, error) {
	var all []string
	for _, r := range rows {
		if len(r) != len(rows[0]) {
			return nil, fmt.Errorf("quorum: grid rows of lengths %d and %d: %w", len(rows[0]), len(r), ErrThreshold)
		}
		all = append(all, r...)
	}
	if err := distinctNames(all); err != nil {
		return nil, err
	}
	var reads []Expr
	for _, r := range rows {
		reads = append(reads, And(Leaves(r...)...))
	}
	return New(Config{Reads: Or(reads...)})
}

// GridNames returns rows x cols node names for Grid: a1 a2 ... in the
// first row, b1 b2 ... in the second, and so on (rows at most 26).
func GridNames(rows, cols int) ([][]string, error) {
	if rows < 1 || rows > 26 || cols < 1 || rows*cols > MaxNodes {
		return nil, fmt.Errorf("quorum: %dx%d grid: %w", rows, cols, ErrThreshold)
	}
	g := make([][]string, rows)
	for r := range g {
		for c := range cols {
			g[r] = append(g[r], fmt.Sprintf("%c%d", 'a'+r, c+1))
		}
	}
	return g, nil
}

// Weighted returns Gifford's weighted voting system (Gifford 1979): node
// i holds votes[i] votes, a read quorum gathers at least r votes and a
// write quorum at least w. Reads meet writes when r + w exceeds the total
// votes; otherwise the error wraps ErrNoIntersection. Votes must be
// positive and the thresholds in [1, total] (ErrThreshold). Each vote is a
// leaf of the expressions, so the total must stay below MaxExprSize
// (ErrTooLarge).
func Weighted(names []string, votes []int, r, w int) (*System, error) {
	if err := distinctNames(names); err != nil {
		return nil, err
	}
	if len(votes) != len(names) {
		return nil, fmt.Errorf("quorum: %d names but %d vote counts: %w", len(names), len(votes), ErrThreshold)
	}
	total := 0
	var args []Expr
	for i, v := range votes {
		if v < 1 || v > 1<<16 {
			return nil, fmt.Errorf("quorum: node %q has %d votes: %w", names[i], v, ErrThreshold)
		}
		total += v
		if total >= MaxExprSize {
			return nil, fmt.Errorf("quorum: %d votes or more, the most is %d: %w", total, MaxExprSize-1, ErrTooLarge)
		}
		for range v {
			args = append(args, Leaf(names[i]))
		}
	}
	if r < 1 || r > total || w < 1 || w > total {
		return nil, fmt.Errorf("quorum: thresholds r=%d, w=%d of %d votes: %w", r, w, total, ErrThreshold)
	}
	if r+w <= total {
		return nil, fmt.Errorf("quorum: r=%d + w=%d <= %d votes: %w", r, w, total, ErrNoIntersection)
	}
	return New(Config{Reads: Choose(r, args...), Writes: Choose(w, args...)})
}

// AuroraZones are the zones of Aurora: three availability zones with two
// copies each.
var AuroraZones = [][]string{{"a1", "a2"}, {"b1", "b2"}, {"c1", "c2"}}

// Aurora returns the quorum system of Amazon Aurora (Verbitski et al.,
// SIGMOD 2017): six copies of the data, two in each of three zones
// (AuroraZones), writes to any 4 and reads from any 3. Aurora's claim is
// that it can lose a whole zone and still write, and lose a zone plus one
// more copy and still read; CheckAurora verifies it.
func Aurora() *System {
	var all []string
	for _, z := range AuroraZones {
		all = append(all, z...)
	}
	l := Leaves(all...)
	s, err := New(Config{Reads: Choose(3, l...), Writes: Choose(4, l...)})
	if err != nil {
		panic("quorum: Aurora: " + err.Error()) // unreachable: 3 + 4 > 6
	}
	return s
}

// SurvivesZoneLoss reports whether s keeps a quorum of the given side
// after any one zone fails together with any extra other nodes. Zones
// name nodes of s (ErrUnknownNode otherwise); extra must not be negative
// (ErrThreshold).
//
// It does not try the failures one by one: the fewest failures that
// leave no quorum, given that a zone's nodes have failed, is the smallest
// number of other nodes in a quorum of the dual (a set that meets every
// quorum), found by the same knapsack as Resilience. For an expression
// that shares nodes between operators the dual's minimal quorums are
// enumerated instead, within the bounds of MinimalQuorums (ErrTooLarge).
func (s *System) SurvivesZoneLoss(side Side, zones [][]string, extra int) (bool, error) {
	if extra < 0 {
		return false, fmt.Errorf("quorum: %d extra failures: %w", extra, ErrThreshold)
	}
	dual := compile(s.exprs[side&1].Dual(), s.index)
	var blocking []Set
	if dual.shared {
		var err error
		if blocking, err = dual.minimal(); err != nil {
			return false, err
		}
	}
	for _, z := range zones {
		lost, err := s.SetOf(z...)
		if err != nil {
			return false, err
		}
		// the fewest failures beyond the zone that leave no quorum
		fewest := MaxNodes + 1
		if dual.shared {
			for _, b := range blocking {
				fewest = min(fewest, (b &^ lost).Len())
			}
		} else {
			fewest = dual.minSizeAt(0, lost)
		}
		if fewest <= extra {
			return false, nil
		}
	}
	return true, nil
}
