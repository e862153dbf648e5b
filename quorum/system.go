package quorum

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"
)

// MaxNodes is the largest number of nodes a System may have: sets of nodes
// are 64-bit masks, which is what makes membership checks allocation free.
const MaxNodes = 64

// A Set is a set of a System's nodes, bit i standing for the node with
// index i (see System.Index). The zero Set is empty.
type Set uint64

// Has reports whether node i is in s.
func (s Set) Has(i int) bool { return i >= 0 && i < MaxNodes && s&(1<<uint(i)) != 0 }

// With returns s with node i added. Indices outside [0, MaxNodes) are ignored.
func (s Set) With(i int) Set {
	if i < 0 || i >= MaxNodes {
		return s
	}
	return s | 1<<uint(i)
}

// Len returns the number of nodes in s.
func (s Set) Len() int { return bits.OnesCount64(uint64(s)) }

// Side says which quorums a query is about: the read (phase-1) quorums or
// the write (phase-2) quorums.
type Side uint8

const (
	// Read selects the read quorums, which are also Paxos's phase-1 quorums.
	Read Side = iota
	// Write selects the write quorums, which are also Paxos's phase-2 quorums.
	Write
)

// String returns "read" or "write".
func (s Side) String() string {
	if s == Read {
		return "read"
	}
	return "write"
}

// A Node describes one node's capacities and latency, used by the load and
// latency analysis. Nodes a System's expressions mention but Config.Nodes
// does not describe get capacity 1 for reads and writes and latency 0.
type Node struct {
	Name string
	// ReadCapacity and WriteCapacity are how many reads and writes per unit
	// of time the node can serve; they must be positive. Only their ratios
	// matter to load; capacity comes out in the same unit.
	ReadCapacity, WriteCapacity float64
	// Latency is how long the node takes to answer; zero or more.
	Latency time.Duration
}

// Config describes a read/write quorum system for New. Give Reads, Writes
// or both; a side not given is the dual of the other (the smallest sets
// that meet every quorum of the given side).
type Config struct {
	Reads, Writes Expr
	// Nodes optionally gives capacities and latencies, one entry per node.
	Nodes []Node
	// Unchecked builds the system even if some read quorum misses some write
	// quorum. Such a system is unsafe for replication; it is useful in
	// lessons that show what goes wrong.
	Unchecked bool
}

// A System is a read/write quorum system over at most MaxNodes named
// nodes: every read quorum intersects every write quorum (unless built
// Unchecked). Quorums are monotone: a superset of a quorum is a quorum.
//
// A System is immutable and safe for concurrent use. Create one with New
// or a ready-made constructor (Majority, Flexible, Grid, Weighted, Aurora);
// the zero System is not usable.
type System struct {
	names       []string
	index       map[string]int
	nodes       []Node
	exprs       [2]Expr // read, write
	trees       [2]tree
	all         Set
	intersected bool // read and write quorums checked (or built) to intersect
}

// New builds a quorum system from c, validating it: expressions must be
// well formed (ErrThreshold, ErrUnknownNode for an empty name), within the
// limits on expressions (MaxExprSize, MaxExprDepth, MaxNameLen:
// ErrTooLarge) and mention at most MaxNodes nodes (ErrTooLarge),
// capacities must be positive (ErrCapacity), Config.Nodes may describe
// each node once and only nodes the expressions mention
// (ErrDuplicateNode, ErrUnknownNode), and unless c.Unchecked, every read
// quorum must intersect every write quorum (ErrNoIntersection).
//
// Intersection is decided without enumerating quorums when one side is
// the dual of the other, when both are thresholds over the same votes,
// and when both are the same expression with no node under two
// operators; otherwise New enumerates one side's minimal quorums, and
// returns ErrTooLarge rather than enumerate beyond the bounds that
// System.MinimalQuorums states. Every expression New accepts is written
// by Expr.String in a form that Parse reads back.
func New(c Config) (*System, error) {
	if c.Reads.kind == kindInvalid && c.Writes.kind == kindInvalid {
		return nil, fmt.Errorf("quorum: no read or write expression: %w", ErrSyntax)
	}
	for side, e := range []Expr{c.Reads, c.Writes} {
		if e.kind == kindInvalid {
			continue
		}
		if err := checkLimits(e, Side(side)); err != nil {
			return nil, err
		}
	}
	dual := false
	if c.Reads.kind == kindInvalid {
		c.Reads, dual = c.Writes.Dual(), true
	} else if c.Writes.kind == kindInvalid {
		c.Writes, dual = c.Reads.Dual(), true
	}
	s := &System{index: map[string]int{}, exprs: [2]Expr{c.Reads, c.Writes}}
	for _, e := range s.exprs {
		for _, n := range e.Nodes() {
			if _, ok := s.index[n]; !ok {
				if len(s.names) == MaxNodes {
					return nil, fmt.Errorf("quorum: more than %d nodes: %w", MaxNodes, ErrTooLarge)
				}
				s.index[n] = len(s.names)
				s.names = append(s.names, n)
			}
		}
	}
	s.nodes = make([]Node, len(s.names))
	for i, n := range s.names {
		s.nodes[i] = Node{Name: n, ReadCapacity: 1, WriteCapacity: 1}
	}
	described := map[string]bool{}
	for _, n := range c.Nodes {
		i, ok := s.index[n.Name]
		if !ok {
			return nil, fmt.Errorf("quorum: node %q is described but in no quorum: %w", n.Name, ErrUnknownNode)
		}
		if described[n.Name] {
			return nil, fmt.Errorf("quorum: node %q described twice: %w", n.Name, ErrDuplicateNode)
		}
		described[n.Name] = true
		if !(n.ReadCapacity > 0) || !(n.WriteCapacity > 0) || math.IsInf(n.ReadCapacity, 0) || math.IsInf(n.WriteCapacity, 0) || n.Latency < 0 {
			return nil, fmt.Errorf("quorum: node %q: capacities %v/%v and latency %v: %w", n.Name, n.ReadCapacity, n.WriteCapacity, n.Latency, ErrCapacity)
		}
		s.nodes[i] = n
	}
	s.all = Set(math.MaxUint64 >> (64 - uint(len(s.names))))
	for side := range s.trees {
		s.trees[side] = compile(s.exprs[side], s.index)
	}
	if dual {
		s.intersected = true
	} else {
		ok, err := s.checkIntersection()
		if err != nil && !c.Unchecked {
			return nil, err
		}
		s.intersected = ok
		if !ok && !c.Unchecked {
			return nil, fmt.Errorf("quorum: %w", ErrNoIntersection)
		}
	}
	return s, nil
}

// checkIntersection reports whether every read quorum meets every write
// quorum.
func (s *System) checkIntersection() (bool, error) {
	r, w := &s.trees[Read], &s.trees[Write]
	if r.flatSameAs(w) {
		// Weighted thresholds over the same votes: they meet unless the
		// votes can be split into a read quorum and a disjoint write
		// quorum. r + w > total (Gifford's rule) is enough, not needed:
		// choose(1, a, a) meets itself.
		n := &r.nodes[0]
		weights := make([]int, len(n.weighted))
		for i, l := range n.weighted {
			weights[i] = l.w
		}
		return !split(weights, n.mask.Len(), n.k, w.nodes[0].k), nil
	}
	if !r.shared && s.exprs[Read].Equal(s.exprs[Write]) {
		return r.intersecting(0), nil
	}
	var errs [2]error
	for _, side := range []Side{Read, Write} {
		qs, err := s.trees[side].minimal()
		if err != nil {
			errs[side] = err
			continue
		}
		other := &s.trees[1-side]
		for _, q := range qs {
			if other.eval(0, s.all&^q) {
				return false, nil
			}
		}
		return true, nil
	}
	return false, fmt.Errorf("quorum: checking intersection: read side: %w; write side: %w", errs[Read], errs[Write])
}

// Len returns the number of nodes.
func (s *System) Len() int { return len(s.names) }

// Names returns the node names in index order (the order in which the
// read expression, then the write expression, first mention them).
func (s *System) Names() []string { return slices.Clone(s.names) }

// Nodes returns every node's description, in index order.
func (s *System) Nodes() []Node { return slices.Clone(s.nodes) }

// Index returns the index of the named node, its bit in a Set.
func (s *System) Index(name string) (int, bool) {
	i, ok := s.index[name]
	return i, ok
}

// Expr returns the expression of one side's quorums.
func (s *System) Expr(side Side) Expr { return s.exprs[side&1] }

// All returns the set of every node.
func (s *System) All() Set { return s.all }

// Intersecting reports whether every read quorum meets every write quorum.
// It is false only for some systems built with Config.Unchecked.
func (s *System) Intersecting() bool { return s.intersected }

// SetOf returns the set of the named nodes; an unknown name is an error
// wrapping ErrUnknownNode.
func (s *System) SetOf(names ...string) (Set, error) {
	var set Set
	for _, n := range names {
		i, ok := s.index[n]
		if !ok {
			return 0, fmt.Errorf("quorum: node %q: %w", n, ErrUnknownNode)
		}
		set = set.With(i)
	}
	return set, nil
}

// NamesOf returns the names of the nodes in set, in index order.
func (s *System) NamesOf(set Set) []string {
	var names []string
	for i, n := range s.names {
		if set.Has(i) {
			names = append(names, n)
		}
	}
	return names
}

// FormatSet writes set as {a, b, c}.
func (s *System) FormatSet(set Set) string {
	return "{" + strings.Join(s.NamesOf(set), ", ") + "}"
}

// IsQuorum reports whether set contains a quorum of the given side. Nodes
// outside the system are ignored. It does not allocate; its cost is linear
// in the size of the expression.
func (s *System) IsQuorum(side Side, set Set) bool {
	return s.trees[side&1].eval(0, set&s.all)
}

// IsRead reports whether set contains a read quorum.
func (s *System) IsRead(set Set) bool { return s.trees[Read].eval(0, set&s.all) }

// IsWrite reports whether set contains a write quorum.
func (s *System) IsWrite(set Set) bool { return s.trees[Write].eval(0, set&s.all) }

// MinimalQuorums returns one side's minimal quorums (quorums none of whose
// proper subsets is a quorum), ordered by size then by bits.
//
// It counts them before it builds them (see the package documentation)
// and returns an error wrapping ErrTooLarge, without enumerating, when
// there are more than 65536 (a majority of 19 nodes already has 92378,
// majority(a0, ..., a16)*majority(b0, ..., b16) has 590976100), or when
// building them would build more than 2^20 sets over all its operators
// or take more than 2^26 steps. The count is exact for expressions in
// which no node appears under two operators; for the others it is an
// upper bound, so such a system may be refused although it has fewer
// minimal quorums. Counting costs O(arguments × threshold) per operator;
// enumerating, time proportional to the sets built and 8 bytes per set
// (at most 8 MiB).
func (s *System) MinimalQuorums(side Side) ([]Set, error) {
	return s.trees[side&1].minimal()
}

// Available reports whether, with the nodes in failed down, a read quorum
// and a write quorum of live nodes remain.
func (s *System) Available(failed Set) (read, write bool) {
	live := s.all &^ failed
	return s.IsRead(live), s.IsWrite(live)
}

// Resilience returns the largest f such that any f failures leave a quorum
// of the given side: one less than the size of the smallest set that meets
// every quorum of that side. For both sides at once take the smaller of
// the two.
func (s *System) Resilience(side Side) (int, error) {
	d := compile(s.exprs[side&1].Dual(), s.index)
	m, err := d.minSize()
	if err != nil {
		return 0, err
	}
	return m - 1, nil
}

// String describes the system as "reads: <expr>; writes: <expr>".
func (s *System) String() string {
	return "reads: " + s.exprs[Read].String() + "; writes: " + s.exprs[Write].String()
}
