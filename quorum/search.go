package quorum

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Limits of Search.
const (
	// MaxSearchNodes is the most nodes Search accepts. Every antichain of
	// sets over 12 nodes has at most 924 sets (Sperner), so no candidate's
	// linear program is large, and f-resilient strategies visit at most
	// 2^12 subsets per candidate.
	MaxSearchNodes = 12
	// DefaultMaxSystems is how many candidate systems Search examines when
	// SearchConfig.MaxSystems is zero.
	DefaultMaxSystems = 1 << 16
)

// SearchConfig describes what Search looks for: the nodes, the goal each
// candidate's strategy is optimised for, the resilience a candidate must
// have, and how far to look.
type SearchConfig struct {
	// Nodes are the nodes to build quorum systems over, with their
	// capacities and latencies (as in Config.Nodes, but every node must be
	// described: capacities must be positive). 1 to MaxSearchNodes nodes.
	Nodes []Node
	// Goal is the workload, the objective, the limits on the other
	// measures and the f-resilience (Goal.Resilience) of the strategies
	// Search compares, exactly as System.Optimal takes them.
	Goal Goal
	// MinResilience keeps only systems whose read and write quorums both
	// survive any MinResilience failures (quoracle's resilience argument;
	// System.Resilience).
	MinResilience int
	// MaxHeight bounds how deeply operators nest in a candidate (quoracle
	// looks at height 2 first); 0 means no bound (len(Nodes) - 1, the
	// deepest an expression over distinct nodes can be).
	MaxHeight int
	// MaxSystems bounds how many candidates are examined; 0 means
	// DefaultMaxSystems.
	MaxSystems int
}

// A SearchResult is the best quorum system Search found and its strategy.
type SearchResult struct {
	System   *System
	Strategy *Strategy // optimal for SearchConfig.Goal on System
	// Examined is the number of candidate systems examined.
	Examined int
	// Complete reports whether every candidate up to MaxHeight was
	// examined; it is false when MaxSystems or the context ended the search
	// first, and then a better system may exist.
	Complete bool
}

// Search looks for the quorum system over c.Nodes whose optimal strategy
// is best for c.Goal, as quoracle's search does (Whittaker et al. 2021,
// section 5): it enumerates the expressions in which every node appears
// exactly once, reads = the expression and writes = its dual, keeps those
// with resilience at least c.MinResilience, finds each one's optimal
// strategy with System.Optimal(c.Goal), and returns the one whose
// objective (load, network load or latency, under c.Goal.Workload) is
// lowest; the first one found wins ties.
//
// Candidates come in order of height: first the thresholds over all nodes
// (choose(k, a, b, c, ...) for every k, which include the majority and
// read-one/write-all), then expressions of height 2 (every partition of the
// nodes into groups, a threshold over each group, a threshold over the
// groups), then 3, and so on, so a short search sees the simple systems
// first. Trivially equivalent forms are skipped (an Or directly under an
// Or, an And directly under an And), but a system may still be examined
// more than once under different spellings.
//
// The number of candidates explodes with the number of nodes (3 nodes
// have 9, 4 have 74, 5 have 885, 6 have 13684 and 7 have 258489; no two
// of them are the same system, checked up to 5 nodes), so the search is
// bounded: it refuses more than MaxSearchNodes nodes
// (ErrTooLarge), examines at most c.MaxSystems candidates, and stops when
// ctx is done. ctx is checked before each candidate, and one candidate
// costs one System.Optimal call over at most 12 nodes (milliseconds), so
// Search returns about that long after ctx is done. When the budget or
// ctx ends the search after something was found, Search returns the best
// so far with Complete false and a nil error, as quoracle returns the
// best so far when its timeout expires; when nothing was found yet it
// returns an error wrapping ctx.Err(), or ErrInfeasible when the budget
// ran out. When no candidate meets the resilience and the goal's limits,
// the error wraps ErrInfeasible.
//
// Memory: candidates are generated one at a time by recursion over the
// nodes (a few kilobytes of stack and partitions), and each candidate's
// system and strategy are dropped unless they are the best so far, so the
// peak is one candidate's System.Optimal (a linear program of at most
// (5 + fractions × 12) × (2^13 + fractions × 13 + 3) coefficients, a few
// megabytes for a single read fraction).
func Search(ctx context.Context, c SearchConfig) (*SearchResult, error) {
	n := len(c.Nodes)
	switch {
	case n == 0:
		return nil, fmt.Errorf("quorum: search over no nodes: %w", ErrUnknownNode)
	case n > MaxSearchNodes:
		return nil, fmt.Errorf("quorum: search over %d nodes, more than %d: %w", n, MaxSearchNodes, ErrTooLarge)
	case c.MinResilience < 0 || c.MaxHeight < 0 || c.MaxSystems < 0:
		return nil, fmt.Errorf("quorum: negative resilience, height or budget in search: %w", ErrThreshold)
	}
	if err := c.Goal.validate(); err != nil {
		return nil, err
	}
	leaves := make([]Expr, n)
	for i, node := range c.Nodes {
		leaves[i] = Leaf(node.Name)
	}
	// Validate the nodes once (names, duplicates, capacities) with the
	// simplest system over them.
	if _, err := New(Config{Reads: And(leaves...), Nodes: c.Nodes}); err != nil {
		return nil, err
	}
	for _, node := range c.Nodes {
		if !(node.ReadCapacity > 0) || !(node.WriteCapacity > 0) {
			return nil, fmt.Errorf("quorum: node %q: capacities %v/%v: %w", node.Name, node.ReadCapacity, node.WriteCapacity, ErrCapacity)
		}
	}
	maxHeight := n - 1
	if c.MaxHeight > 0 {
		maxHeight = min(c.MaxHeight, n-1)
	}
	budget := c.MaxSystems
	if budget == 0 {
		budget = DefaultMaxSystems
	}

	res := &SearchResult{}
	best := 0.0
	var stop error // why the search ended early
	examine := func(e Expr) bool {
		if err := ctx.Err(); err != nil {
			stop = err
			return false
		}
		if res.Examined == budget {
			stop = errBudget
			return false
		}
		res.Examined++
		s, err := New(Config{Reads: e, Nodes: c.Nodes})
		if err != nil {
			stop = err // cannot happen: e is over the validated nodes
			return false
		}
		if c.MinResilience > 0 {
			r, err1 := s.Resilience(Read)
			w, err2 := s.Resilience(Write)
			if err := errors.Join(err1, err2); err != nil || min(r, w) < c.MinResilience {
				return true
			}
		}
		st, err := s.Optimal(c.Goal)
		if err != nil {
			return true // infeasible limits or resilience, or too large: not a candidate
		}
		m := objective(st, c.Goal.Objective)
		if res.System == nil || m < best-1e-9*max(1, best) {
			res.System, res.Strategy, best = s, st, m
		}
		return true
	}

	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	var g generator
	g.leaves = leaves
	res.Complete = true
	if n == 1 {
		examine(leaves[0])
	}
	for h := 1; h <= maxHeight && stop == nil; h++ {
		g.exprs(all, h, true, func(e Expr, _ int) bool { return examine(e) })
	}
	if stop != nil {
		res.Complete = false
	}
	if res.System == nil {
		switch {
		case stop == nil:
			return nil, fmt.Errorf("quorum: no system over %d nodes meets the resilience and limits (%d examined): %w", n, res.Examined, ErrInfeasible)
		case errors.Is(stop, errBudget):
			return nil, fmt.Errorf("quorum: none of the first %d systems examined meets the resilience and limits: %w", res.Examined, ErrInfeasible)
		default:
			return nil, fmt.Errorf("quorum: search stopped after %d systems, none found yet: %w", res.Examined, stop)
		}
	}
	return res, nil
}

var errBudget = errors.New("budget spent")

// objective returns the measure st minimises.
func objective(st *Strategy, o Objective) float64 {
	switch o {
	case MinNetworkLoad:
		return st.NetworkLoad()
	case MinLatency:
		return float64(st.Latency()) / float64(time.Second)
	}
	return st.Load()
}

// generator enumerates the expressions over a set of nodes in which every
// node appears exactly once.
type generator struct {
	leaves []Expr
}

// exprs calls yield with every expression over nodes (indices into
// g.leaves) of height exactly h (a leaf has height 0), or at most h when
// upTo, with its height, until yield returns false; it reports whether
// yield never did. An expression of height 1 is a threshold over the
// leaves; one of height h > 1 is a threshold over the groups of a
// partition of nodes into two or more groups, not all single nodes, with
// an expression of height below h over each group and at least one of
// height h-1. An Or directly under an Or and an And directly under an And
// are skipped: they equal the flattened form, generated elsewhere.
func (g *generator) exprs(nodes []int, h int, exact bool, yield func(Expr, int) bool) bool {
	if len(nodes) == 1 {
		if h == 0 || !exact {
			return yield(g.leaves[nodes[0]], 0)
		}
		return true
	}
	if h == 0 {
		return true
	}
	if h == 1 || !exact {
		args := make([]Expr, len(nodes))
		for i, x := range nodes {
			args[i] = g.leaves[x]
		}
		for k := 1; k <= len(nodes); k++ {
			if !yield(threshold(k, args), 1) {
				return false
			}
		}
		if h == 1 {
			return true
		}
	}
	// Height 2 to h: partitions into groups, not all single nodes.
	lo := 2
	if exact {
		lo = h
	}
	for height := lo; height <= h; height++ {
		ok := partitions(nodes, func(groups [][]int) bool {
			if len(groups) == 1 || len(groups) == len(nodes) {
				return true
			}
			args := make([]Expr, len(groups))
			heights := make([]int, len(groups))
			var product func(i int) bool
			product = func(i int) bool {
				if i == len(groups) {
					top := 0
					for _, x := range heights {
						top = max(top, x)
					}
					if top != height-1 {
						return true
					}
					for k := 1; k <= len(groups); k++ {
						if !flattens(k, args) && !yield(threshold(k, args), height) {
							return false
						}
					}
					return true
				}
				return g.exprs(groups[i], height-1, false, func(e Expr, eh int) bool {
					args[i], heights[i] = e, eh
					return product(i + 1)
				})
			}
			return product(0)
		})
		if !ok {
			return false
		}
	}
	return true
}

// threshold returns "at least k of args", spelt as And, Or or Choose.
func threshold(k int, args []Expr) Expr {
	switch {
	case k == len(args):
		return And(args...)
	case k == 1:
		return Or(args...)
	case k == len(args)/2+1:
		return MajorityOf(args...)
	}
	return Choose(k, args...)
}

// flattens reports whether "k of args" has an Or argument under an Or or an
// And argument under an And.
func flattens(k int, args []Expr) bool {
	for _, a := range args {
		if a.kind != kindChoose {
			continue
		}
		if k == 1 && a.k == 1 || k == len(args) && a.k == len(a.args) {
			return true
		}
	}
	return false
}

// partitions calls yield with every partition of nodes into non-empty
// groups, each group in the order of nodes, until yield returns false; it
// reports whether yield never did. It places each node in turn into one of
// the groups so far or a new one (restricted growth strings), so it holds
// one partition at a time.
func partitions(nodes []int, yield func([][]int) bool) bool {
	groups := make([][]int, 0, len(nodes))
	var place func(i int) bool
	place = func(i int) bool {
		if i == len(nodes) {
			return yield(groups)
		}
		for j := range groups {
			groups[j] = append(groups[j], nodes[i])
			ok := place(i + 1)
			groups[j] = groups[j][:len(groups[j])-1]
			if !ok {
				return false
			}
		}
		groups = append(groups, []int{nodes[i]})
		ok := place(i + 1)
		groups = groups[:len(groups)-1]
		return ok
	}
	return place(0)
}
