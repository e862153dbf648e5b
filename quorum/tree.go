package quorum

import (
	"fmt"
	"math/bits"
	"slices"
)

// A tree is an Expr compiled against a System's node indices: every node
// is a weighted threshold "at least k of" its leaves (weight = how many
// times the leaf is repeated among the arguments) and its sub-trees.
// Node 0 is the root.
type tree struct {
	nodes  []cnode
	shared bool // some leaf appears under two different tree nodes
}

type cnode struct {
	k        int
	mask     Set     // leaves of weight 1
	weighted []wleaf // leaves repeated among the arguments
	kids     []int32 // sub-trees
}

type wleaf struct {
	bit Set
	w   int
}

// compile turns a validated expression into a tree.
func compile(e Expr, index map[string]int) tree {
	var t tree
	owner := map[int]int32{} // leaf index -> tree node that holds it
	if e.kind == kindNode {
		e = Expr{kind: kindChoose, k: 1, args: []Expr{e}}
	}
	var rec func(e Expr) int32
	rec = func(e Expr) int32 {
		at := int32(len(t.nodes))
		t.nodes = append(t.nodes, cnode{})
		n := cnode{k: e.k}
		weight := map[int]int{}
		var order []int
		for _, a := range e.args {
			if a.kind != kindNode {
				continue
			}
			i := index[a.name]
			if weight[i] == 0 {
				order = append(order, i)
			}
			weight[i]++
		}
		for _, i := range order {
			if o, ok := owner[i]; ok && o != at {
				t.shared = true
			}
			owner[i] = at
			if weight[i] == 1 {
				n.mask |= 1 << uint(i)
			} else {
				n.weighted = append(n.weighted, wleaf{bit: 1 << uint(i), w: weight[i]})
			}
		}
		for _, a := range e.args {
			if a.kind == kindChoose {
				n.kids = append(n.kids, rec(a))
			}
		}
		t.nodes[at] = n
		return at
	}
	rec(e)
	return t
}

// eval reports whether s satisfies tree node i. It does not allocate.
func (t *tree) eval(i int32, s Set) bool {
	n := &t.nodes[i]
	c := bits.OnesCount64(uint64(s & n.mask))
	for _, w := range n.weighted {
		if s&w.bit != 0 {
			c += w.w
		}
	}
	if c >= n.k {
		return true
	}
	rest := len(n.kids)
	for _, kid := range n.kids {
		rest--
		if t.eval(kid, s) {
			c++
			if c >= n.k {
				return true
			}
		} else if c+rest < n.k {
			return false
		}
	}
	return false
}

// total returns the root's total weight of leaves.
func (t *tree) total() int {
	n := &t.nodes[0]
	c := n.mask.Len()
	for _, w := range n.weighted {
		c += w.w
	}
	return c
}

// flatSameAs reports whether t and o are single weighted thresholds over
// the same leaves with the same weights.
func (t *tree) flatSameAs(o *tree) bool {
	if len(t.nodes) != 1 || len(o.nodes) != 1 || len(t.nodes[0].kids) != 0 || len(o.nodes[0].kids) != 0 {
		return false
	}
	a, b := &t.nodes[0], &o.nodes[0]
	if a.mask != b.mask || len(a.weighted) != len(b.weighted) {
		return false
	}
	for _, w := range a.weighted {
		if !slices.Contains(b.weighted, w) {
			return false
		}
	}
	return true
}

// minimal enumerates the minimal quorums of the tree.
func (t *tree) minimal() ([]Set, error) {
	qs, err := t.quorums(0)
	if err != nil {
		return nil, err
	}
	return minimize(qs), nil
}

// quorums returns sets that include every minimal quorum of node i (and
// possibly some non-minimal ones), by dynamic programming over the node's
// arguments: states[c] holds the sets reaching weight c (capped at k).
func (t *tree) quorums(i int32) ([]Set, error) {
	n := &t.nodes[i]
	type item struct {
		opts []Set
		w    int
	}
	var items []item
	for b := n.mask; b != 0; b &= b - 1 {
		items = append(items, item{[]Set{b & -b}, 1})
	}
	for _, w := range n.weighted {
		items = append(items, item{[]Set{w.bit}, w.w})
	}
	for _, kid := range n.kids {
		qs, err := t.quorums(kid)
		if err != nil {
			return nil, err
		}
		items = append(items, item{minimize(qs), 1})
	}
	states := make([][]Set, n.k+1)
	states[0] = []Set{0}
	count := 1
	for _, it := range items {
		next := make([][]Set, n.k+1)
		for c := range states {
			next[c] = append(next[c], states[c]...)
		}
		for c := 0; c < n.k; c++ { // sets already at k need nothing more
			for _, s := range states[c] {
				for _, o := range it.opts {
					nc := min(c+it.w, n.k)
					next[nc] = append(next[nc], s|o)
					count++
				}
			}
		}
		if count > 4*maxQuorums {
			return nil, fmt.Errorf("quorum: more than %d minimal quorums: %w", maxQuorums, ErrTooLarge)
		}
		next[n.k] = minimize(next[n.k])
		states = next
	}
	if len(states[n.k]) > maxQuorums {
		return nil, fmt.Errorf("quorum: more than %d minimal quorums: %w", maxQuorums, ErrTooLarge)
	}
	return states[n.k], nil
}

// minimize sorts sets by size then value, and drops duplicates and
// supersets of other sets. It reuses the slice.
func minimize(sets []Set) []Set {
	slices.SortFunc(sets, func(a, b Set) int {
		if la, lb := a.Len(), b.Len(); la != lb {
			return la - lb
		}
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	})
	sets = slices.Compact(sets)
	kept := sets[:0]
	for _, s := range sets {
		minimal := true
		for _, k := range kept {
			if k&s == k {
				minimal = false
				break
			}
		}
		if minimal {
			kept = append(kept, s)
		}
	}
	return kept
}

// minSize returns the size of the smallest quorum of the tree.
func (t *tree) minSize() (int, error) {
	if t.shared {
		qs, err := t.minimal()
		if err != nil {
			return 0, err
		}
		return qs[0].Len(), nil
	}
	return t.minSizeAt(0), nil
}

// minSizeAt is a knapsack over node i's arguments, exact when no leaf is
// shared between tree nodes.
func (t *tree) minSizeAt(i int32) int {
	n := &t.nodes[i]
	const inf = 1 << 30
	cost := make([]int, n.k+1)
	for c := 1; c <= n.k; c++ {
		cost[c] = inf
	}
	add := func(w, price int) {
		for c := n.k; c >= 0; c-- { // each argument used at most once
			if cost[c] == inf {
				continue
			}
			nc := min(c+w, n.k)
			cost[nc] = min(cost[nc], cost[c]+price)
		}
	}
	for b := n.mask; b != 0; b &= b - 1 {
		add(1, 1)
	}
	for _, w := range n.weighted {
		add(w.w, 1)
	}
	for _, kid := range n.kids {
		add(1, t.minSizeAt(kid))
	}
	return cost[n.k]
}
