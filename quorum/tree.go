package quorum

import (
	"cmp"
	"fmt"
	"math"
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

// Limits on enumerating minimal quorums.
const (
	// maxQuorums is the most minimal quorums an enumeration returns.
	maxQuorums = 1 << 16
	// maxSets bounds the sets one enumeration builds over all tree nodes
	// (8 MiB), counted before it starts.
	maxSets = 1 << 20
	// maxSteps bounds the work of one enumeration, counted before it
	// starts: every candidate set it will build, weighted by the number of
	// arguments of its operator, plus the cost of the minimality filter
	// for expressions that share nodes between operators.
	maxSteps = 1 << 26
)

// satAdd and satMul are addition and multiplication that saturate at
// math.MaxUint64 instead of wrapping.
func satAdd(a, b uint64) uint64 {
	s, carry := bits.Add64(a, b, 0)
	if carry != 0 {
		return math.MaxUint64
	}
	return s
}

func satMul(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 {
		return math.MaxUint64
	}
	return lo
}

// items returns the number of arguments of tree node i once repeated
// leaves are merged.
func (t *tree) items(i int32) int {
	n := &t.nodes[i]
	return n.mask.Len() + len(n.weighted) + len(n.kids)
}

// heavyFirst returns node i's weighted leaves, heaviest first.
func (t *tree) heavyFirst(i int32) []wleaf {
	ws := slices.Clone(t.nodes[i].weighted)
	slices.SortStableFunc(ws, func(a, b wleaf) int { return b.w - a.w })
	return ws
}

// counts returns, for every tree node, how many minimal quorums it has,
// computed without enumerating them, saturating at math.MaxUint64.
//
// A minimal quorum of "at least k of" some arguments is the union of one
// minimal quorum of each argument in a minimal selection: a set of
// arguments whose weights reach k and stop reaching it when its lightest
// argument is dropped. Taking the arguments heaviest first, a selection is
// counted when its last (lightest) argument brings its weight from below
// k to k or more; a dynamic program over the weight so far gives, for
// every selection, the product of its arguments' counts, and their sum.
// When the arguments share no node (no leaf is shared between tree
// nodes) the unions are distinct and minimal, and the count is exact;
// otherwise it is an upper bound, since every minimal quorum is still one
// of these unions.
//
// Its cost is O(arguments × k) per tree node, at most O(MaxExprSize²)
// for an expression within the limits, and it allocates k words per tree
// node.
func (t *tree) counts() []uint64 {
	c := make([]uint64, len(t.nodes))
	for i := len(t.nodes) - 1; i >= 0; i-- { // sub-trees have larger indices
		c[i] = t.countAt(int32(i), c)
	}
	return c
}

func (t *tree) countAt(i int32, c []uint64) uint64 {
	n := &t.nodes[i]
	dp := make([]uint64, n.k) // dp[s]: selections so far of weight s < k
	dp[0] = 1
	rest := t.weight(i) // weight of the arguments not yet added
	reach := 0          // heaviest selection so far, capped at k-1
	var total uint64
	add := func(w int, count uint64) {
		lo := max(0, n.k-rest) // lighter selections cannot reach k any more
		for s := min(reach, n.k-1); s >= lo; s-- {
			if dp[s] == 0 {
				continue
			}
			v := satMul(dp[s], count)
			if s+w >= n.k {
				total = satAdd(total, v)
			} else {
				dp[s+w] = satAdd(dp[s+w], v)
			}
		}
		reach = min(reach+w, n.k-1)
		rest -= w
	}
	for _, w := range t.heavyFirst(i) {
		add(w.w, 1)
	}
	for b := n.mask; b != 0; b &= b - 1 {
		add(1, 1)
	}
	for _, kid := range n.kids {
		add(1, c[kid])
	}
	return total
}

// weight returns the total weight of node i's arguments.
func (t *tree) weight(i int32) int {
	n := &t.nodes[i]
	w := n.mask.Len() + len(n.kids)
	for _, l := range n.weighted {
		w += l.w
	}
	return w
}

// countString writes a count for an error message.
func countString(c uint64, exact bool) string {
	s := fmt.Sprint(c)
	if c == math.MaxUint64 {
		s = "more than 2^64"
	}
	if !exact {
		s = "up to " + s
	}
	return s
}

// minimal returns the minimal quorums of the tree, ordered by size then
// by bits, or an error wrapping ErrTooLarge, decided before enumerating
// anything, when there are more than maxQuorums of them (or, for an
// expression that shares nodes between operators, when the upper bound
// on their number is more than maxQuorums), or the enumeration would
// build more than maxSets sets over all tree nodes or take more than
// maxSteps steps.
//
// It builds each tree node's minimal quorums from its arguments' by a
// depth-first search over the arguments, heaviest first, that stops
// adding arguments once the weight reaches k and abandons a branch whose
// remaining arguments cannot reach k: every branch it follows ends in a
// quorum it returns, so the work is proportional to the output. Memory is
// at most the counts of all tree nodes, 8 bytes per set.
func (t *tree) minimal() ([]Set, error) {
	c := t.counts()
	if c[0] > maxQuorums {
		return nil, fmt.Errorf("quorum: %s minimal quorums, more than %d: %w", countString(c[0], !t.shared), maxQuorums, ErrTooLarge)
	}
	var sets, steps uint64
	for i := range t.nodes {
		sets = satAdd(sets, c[i])
		steps = satAdd(steps, satMul(c[i], uint64(t.items(int32(i))+1)))
	}
	if sets > maxSets {
		return nil, fmt.Errorf("quorum: enumerating %s minimal quorums builds %s sets over all operators, more than %d: %w", countString(c[0], !t.shared), countString(sets, true), maxSets, ErrTooLarge)
	}
	pairs := false
	if t.shared {
		// the cheaper of comparing every pair of candidates and evaluating
		// every candidate without each of its nodes
		cmps := satMul(c[0], c[0]) / 2
		evals := satMul(satMul(c[0], MaxNodes), uint64(t.size()))
		pairs = cmps <= evals
		steps = satAdd(steps, min(cmps, evals))
	}
	if steps > maxSteps {
		return nil, fmt.Errorf("quorum: enumerating %s minimal quorums takes more than %d steps: %w", countString(c[0], !t.shared), maxSteps, ErrTooLarge)
	}
	lists := make([][]Set, len(t.nodes))
	for i := len(t.nodes) - 1; i >= 0; i-- {
		lists[i] = t.enumerate(int32(i), lists, c[i])
		for _, kid := range t.nodes[i].kids {
			lists[kid] = nil
		}
		if t.shared && i > 0 {
			sortSets(lists[i])
			lists[i] = slices.Compact(lists[i])
		}
	}
	qs := lists[0]
	if !t.shared {
		sortSets(qs) // distinct and minimal by construction
		return qs, nil
	}
	if pairs {
		return minimize(qs), nil
	}
	kept := qs[:0]
	for _, q := range qs {
		minimal := true
		for b := q; b != 0 && minimal; b &= b - 1 {
			minimal = !t.eval(0, q&^(b&-b))
		}
		if minimal {
			kept = append(kept, q)
		}
	}
	sortSets(kept)
	return slices.Compact(kept), nil
}

// size returns the number of arguments over all tree nodes, the most
// work one eval does.
func (t *tree) size() int {
	s := 0
	for i := range t.nodes {
		s += t.items(int32(i))
	}
	return s
}

// enumerate returns sets that include every minimal quorum of node i
// (exactly its minimal quorums when no leaf is shared), at most count of
// them, from the sets of its sub-trees in lists.
func (t *tree) enumerate(i int32, lists [][]Set, count uint64) []Set {
	n := &t.nodes[i]
	type item struct {
		w    int
		bit  Set   // a leaf
		opts []Set // a sub-tree's quorums
	}
	items := make([]item, 0, t.items(i))
	for _, w := range t.heavyFirst(i) {
		items = append(items, item{w: w.w, bit: w.bit})
	}
	for b := n.mask; b != 0; b &= b - 1 {
		items = append(items, item{w: 1, bit: b & -b})
	}
	for _, kid := range n.kids {
		items = append(items, item{w: 1, opts: lists[kid]})
	}
	rest := make([]int, len(items)+1) // rest[j]: weight of items[j:]
	for j := len(items) - 1; j >= 0; j-- {
		rest[j] = rest[j+1] + items[j].w
	}
	out := make([]Set, 0, count)
	var rec func(j, w int, acc Set)
	rec = func(j, w int, acc Set) {
		if w >= n.k {
			out = append(out, acc)
			return
		}
		if w+rest[j] < n.k {
			return
		}
		it := &items[j]
		if it.opts == nil {
			rec(j+1, w+it.w, acc|it.bit)
		}
		for _, o := range it.opts {
			rec(j+1, w+it.w, acc|o)
		}
		rec(j+1, w, acc)
	}
	rec(0, 0, 0)
	return out
}

// sortSets sorts sets by size then value.
func sortSets(sets []Set) {
	slices.SortFunc(sets, func(a, b Set) int {
		if la, lb := a.Len(), b.Len(); la != lb {
			return la - lb
		}
		return cmp.Compare(a, b)
	})
}

// intersecting reports whether every two quorums of tree node i meet,
// without enumerating them. It is exact when no leaf is shared between
// tree nodes (the caller checks). Two disjoint quorums exist exactly when
// the arguments can be given to two selections, each reaching k, that
// share only arguments which themselves have two disjoint quorums: a
// shared leaf, or a shared argument whose quorums all meet, would be a
// common node. Those arguments go to both selections; the others (leaves
// and intersecting sub-trees) must be split, a subset-sum problem over
// the leaves' weights (split). Cost O(leaves × total weight) per tree
// node.
func (t *tree) intersecting(i int32) bool {
	n := &t.nodes[i]
	disjoint := 0 // sub-trees with two disjoint quorums
	units := n.mask.Len()
	for _, kid := range n.kids {
		if t.intersecting(kid) {
			units++
		} else {
			disjoint++
		}
	}
	need := n.k - disjoint
	if need <= 0 {
		return false
	}
	weights := make([]int, len(n.weighted))
	for j, w := range n.weighted {
		weights[j] = w.w
	}
	return !split(weights, units, need, need)
}

// split reports whether leaves of the given weights, and units more
// leaves of weight 1, can be divided into two disjoint groups weighing at
// least a and at least b (a, b >= 1). It is a subset-sum over the
// weights: O(len(weights) × total weight) time, total weight + 1 bytes.
func split(weights []int, units, a, b int) bool {
	total := units
	for _, w := range weights {
		total += w
	}
	if total < a+b {
		return false
	}
	reach := make([]bool, total+1) // reach[s]: some of the weights sum to s
	reach[0] = true
	for _, w := range weights {
		for s := total - w; s >= 0; s-- {
			if reach[s] {
				reach[s+w] = true
			}
		}
	}
	for s, ok := range reach {
		// the first group takes s of weights and j units, the second the rest
		if ok && max(0, a-s) <= min(units, total-s-b) {
			return true
		}
	}
	return false
}

// minimize sorts sets by size then value, and drops duplicates and
// supersets of other sets. It reuses the slice.
func minimize(sets []Set) []Set {
	sortSets(sets)
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
	return t.minSizeAt(0, 0), nil
}

// minSizeAt is a knapsack over node i's arguments, exact when no leaf is
// shared between tree nodes: the fewest nodes outside free in a quorum of
// node i (nodes in free cost nothing).
func (t *tree) minSizeAt(i int32, free Set) int {
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
	price := func(bit Set) int {
		if free&bit != 0 {
			return 0
		}
		return 1
	}
	for b := n.mask; b != 0; b &= b - 1 {
		add(1, price(b&-b))
	}
	for _, w := range n.weighted {
		add(w.w, price(w.bit))
	}
	for _, kid := range n.kids {
		add(1, t.minSizeAt(kid, free))
	}
	return cost[n.k]
}
