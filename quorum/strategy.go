package quorum

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"time"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
)

// ErrNotQuorum: a strategy names a set that is not a quorum of its side.
var ErrNotQuorum = errors.New("not a quorum")

// A Workload is the mix of operations a system serves: a read fraction
// (the share of operations that are reads), or a distribution over read
// fractions when the mix varies (quoracle's distributions, Whittaker et
// al. 2021, section 3). The zero Workload is all writes (read fraction 0).
type Workload struct {
	fractions, weights []float64 // weights sum to 1
}

// ReadFraction returns the workload whose read fraction is always f, in
// [0, 1] (ErrWorkload otherwise).
func ReadFraction(f float64) (Workload, error) {
	if !(f >= 0 && f <= 1) {
		return Workload{}, fmt.Errorf("quorum: read fraction %v outside [0, 1]: %w", f, ErrWorkload)
	}
	return Workload{fractions: []float64{f}, weights: []float64{1}}, nil
}

// Distribution returns the workload whose read fraction is fractions[i]
// with probability proportional to weights[i]. Fractions lie in [0, 1],
// weights are positive and finite (ErrWorkload otherwise).
func Distribution(fractions, weights []float64) (Workload, error) {
	if len(fractions) == 0 || len(fractions) != len(weights) {
		return Workload{}, fmt.Errorf("quorum: %d fractions and %d weights: %w", len(fractions), len(weights), ErrWorkload)
	}
	total := 0.0
	for i, f := range fractions {
		if !(f >= 0 && f <= 1) || !(weights[i] > 0) || math.IsInf(weights[i], 0) {
			return Workload{}, fmt.Errorf("quorum: read fraction %v with weight %v: %w", f, weights[i], ErrWorkload)
		}
		total += weights[i]
	}
	w := Workload{fractions: slices.Clone(fractions), weights: make([]float64, len(weights))}
	for i, x := range weights {
		w.weights[i] = x / total
	}
	return w, nil
}

func (w Workload) each() ([]float64, []float64) {
	if len(w.fractions) == 0 {
		return []float64{0}, []float64{1}
	}
	return w.fractions, w.weights
}

// mean returns the expected read fraction.
func (w Workload) mean() float64 {
	fs, ps := w.each()
	m := 0.0
	for i, f := range fs {
		m += f * ps[i]
	}
	return m
}

// String returns "read fraction f" or the distribution as "{f: p, ...}".
func (w Workload) String() string {
	fs, ps := w.each()
	if len(fs) == 1 {
		return fmt.Sprintf("read fraction %g", fs[0])
	}
	s := "{"
	for i, f := range fs {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%g: %g", f, ps[i])
	}
	return s + "}"
}

// A Strategy says how often each quorum is used: a probability
// distribution over read quorums and one over write quorums (Naor and
// Wool 1998, section 2), and the workload it serves. Its load is the
// busiest node's share of the work, measured against that node's
// capacity; its capacity, the inverse of the load, is how many operations
// per unit of time the system can serve.
//
// A Strategy remembers the workload it was made for (Workload), and its
// measures (Load, Capacity, NetworkLoad, Latency and the per-node ones)
// are taken under that workload, so the workload is given once: to
// Optimal in the Goal, or to Uniform and Strategy. quoracle users who
// wrote strategy.load(read_fraction=x) at another read fraction than the
// one the strategy was optimised for write st.At(w).Load(): At says
// explicitly that the strategy is measured under a workload it was not
// made for (where it may not be optimal).
//
// A Strategy is immutable and safe for concurrent use. Get one from
// System.Optimal, System.Uniform or System.Strategy; the zero Strategy is
// not usable (its measures are zero and Sample refuses it).
type Strategy struct {
	sys      *System
	workload Workload
	quorums  [2][]Set
	probs    [2][]float64
	cum      [2][]float64 // running sums of probs, for Sample
	use      [2][]float64 // per node: probability it is in the chosen quorum
}

// Uniform returns the strategy that picks every minimal f-resilient
// quorum of each side with equal probability, for workload w (quoracle's
// uniform_strategy(f)). A set is f-resilient when it still contains a
// quorum after any f of its nodes fail; for f = 0 these are the minimal
// quorums. f > 0 needs at most 16 nodes (ErrTooLarge) and a side with no
// f-resilient set (f beyond its resilience) gives ErrInfeasible; a
// negative f gives ErrThreshold. It enumerates within the bounds of
// System.MinimalQuorums.
func (s *System) Uniform(w Workload, f int) (*Strategy, error) {
	if f < 0 {
		return nil, fmt.Errorf("quorum: resilience %d: %w", f, ErrThreshold)
	}
	var q [2][]Set
	var p [2][]float64
	for side := range q {
		qs, err := s.resilientQuorums(Side(side), f, false)
		if err != nil {
			return nil, err
		}
		if len(qs) == 0 {
			return nil, fmt.Errorf("quorum: no %d-resilient %s quorum: %w", f, Side(side), ErrInfeasible)
		}
		q[side] = qs
		p[side] = make([]float64, len(qs))
		for i := range qs {
			p[side][i] = 1 / float64(len(qs))
		}
	}
	return s.newStrategy(w, q, p), nil
}

// Strategy returns the strategy for workload w that picks reads[i] with
// probability proportional to readWeights[i], and writes likewise
// (quoracle's make_strategy). Every set must be a quorum of its side
// (ErrNotQuorum) and the weights non-negative with a positive sum
// (ErrWorkload).
func (s *System) Strategy(w Workload, reads []Set, readWeights []float64, writes []Set, writeWeights []float64) (*Strategy, error) {
	q := [2][]Set{slices.Clone(reads), slices.Clone(writes)}
	p := [2][]float64{slices.Clone(readWeights), slices.Clone(writeWeights)}
	for side := range q {
		if len(q[side]) != len(p[side]) || len(q[side]) == 0 {
			return nil, fmt.Errorf("quorum: %d %s quorums and %d weights: %w", len(q[side]), Side(side), len(p[side]), ErrWorkload)
		}
		total := 0.0
		for i, set := range q[side] {
			if !s.IsQuorum(Side(side), set) || set&^s.all != 0 {
				return nil, fmt.Errorf("quorum: %s is not a %s quorum: %w", s.FormatSet(set), Side(side), ErrNotQuorum)
			}
			if !(p[side][i] >= 0) || math.IsInf(p[side][i], 0) {
				return nil, fmt.Errorf("quorum: weight %v: %w", p[side][i], ErrWorkload)
			}
			total += p[side][i]
		}
		if !(total > 0) {
			return nil, fmt.Errorf("quorum: %s weights sum to %v: %w", Side(side), total, ErrWorkload)
		}
		for i := range p[side] {
			p[side][i] /= total
		}
	}
	return s.newStrategy(w, q, p), nil
}

func (s *System) newStrategy(w Workload, q [2][]Set, p [2][]float64) *Strategy {
	st := &Strategy{sys: s, workload: w, quorums: q, probs: p}
	for side := range q {
		st.use[side] = make([]float64, len(s.names))
		st.cum[side] = make([]float64, len(p[side]))
		acc := 0.0
		for i, set := range q[side] {
			acc += p[side][i]
			st.cum[side][i] = acc
			for x := range s.names {
				if set.Has(x) {
					st.use[side][x] += p[side][i]
				}
			}
		}
	}
	return st
}

// Workload returns the workload the strategy was made for, under which
// its measures are taken.
func (st *Strategy) Workload() Workload { return st.workload }

// At returns the same strategy (the same quorums with the same
// probabilities) measured under workload w instead of its own: how a
// strategy optimised for one read fraction fares at another, as in
// quoracle's load plots. The result shares st's tables; it costs one
// small allocation.
func (st *Strategy) At(w Workload) *Strategy {
	c := *st
	c.workload = w
	return &c
}

// System returns the system whose quorums the strategy picks.
func (st *Strategy) System() *System { return st.sys }

// Quorums returns the quorums of one side that the strategy uses and
// their probabilities.
func (st *Strategy) Quorums(side Side) ([]Set, []float64) {
	return slices.Clone(st.quorums[side&1]), slices.Clone(st.probs[side&1])
}

// Sample draws a quorum of the given side from the strategy's
// distribution, using r and nothing else, so that a seeded r replays the
// same quorums (quoracle's get_read_quorum and get_write_quorum). It
// costs one r.Float64 and a binary search, without allocating. A nil r or
// the zero Strategy gives an error wrapping ErrWorkload.
func (st *Strategy) Sample(side Side, r *rand.Rand) (Set, error) {
	cum := st.cum[side&1]
	if r == nil || len(cum) == 0 {
		return 0, fmt.Errorf("quorum: sampling needs a strategy and a random source: %w", ErrWorkload)
	}
	u := r.Float64() * cum[len(cum)-1] // the sums may end a rounding error away from 1
	lo, hi := 0, len(cum)              // the first quorum whose running sum is above u
	for lo < hi {
		mid := (lo + hi) / 2
		if cum[mid] > u {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	for lo == len(cum) || st.probs[side&1][lo] == 0 { // only if u rounded up to the total
		lo--
	}
	return st.quorums[side&1][lo], nil
}

// nodeLoadAt is node x's load at read fraction f: the expected work it
// does per operation, as a fraction of its capacity.
func (st *Strategy) nodeLoadAt(x int, f float64) float64 {
	n := st.sys.nodes[x]
	return f*st.use[Read][x]/n.ReadCapacity + (1-f)*st.use[Write][x]/n.WriteCapacity
}

func (st *Strategy) loadAt(f float64) float64 {
	l := 0.0
	for x := range st.use[Read] {
		l = max(l, st.nodeLoadAt(x, f))
	}
	return l
}

// Load returns the strategy's load under its workload: the load of its
// busiest node, averaged over the workload's read fractions.
func (st *Strategy) Load() float64 {
	fs, ps := st.workload.each()
	l := 0.0
	for i, f := range fs {
		l += ps[i] * st.loadAt(f)
	}
	return l
}

// Capacity returns the expected capacity under the strategy's workload:
// the inverse of the load at each read fraction, averaged over the
// workload (quoracle's definition: the expectation of the capacity, not
// the inverse of the expected load). For a single read fraction it is
// 1/Load().
func (st *Strategy) Capacity() float64 {
	fs, ps := st.workload.each()
	c := 0.0
	for i, f := range fs {
		if l := st.loadAt(f); l > 0 {
			c += ps[i] / l
		}
	}
	return c
}

// NetworkLoad returns the expected number of nodes contacted per
// operation under the strategy's workload.
func (st *Strategy) NetworkLoad() float64 {
	f := st.workload.mean()
	return f*st.expect(Read, func(q Set) float64 { return float64(q.Len()) }) +
		(1-f)*st.expect(Write, func(q Set) float64 { return float64(q.Len()) })
}

// Latency returns the expected latency of an operation: for each set the
// strategy contacts, the time until the fastest quorum inside it has
// answered (see System.Latency), averaged over the strategy and the mean
// read fraction of its workload.
func (st *Strategy) Latency() time.Duration {
	f := st.workload.mean()
	read := func(q Set) float64 { return float64(st.sys.Latency(Read, q)) }
	write := func(q Set) float64 { return float64(st.sys.Latency(Write, q)) }
	return time.Duration(math.Round(f*st.expect(Read, read) + (1-f)*st.expect(Write, write)))
}

func (st *Strategy) expect(side Side, v func(Set) float64) float64 {
	e := 0.0
	for i, q := range st.quorums[side] {
		e += st.probs[side][i] * v(q)
	}
	return e
}

// Latency returns how long an operation that contacts the nodes in set
// waits for a quorum of the given side: the time until the fastest quorum
// inside set has answered, that is the least, over the quorums Q inside
// set, of the latency of Q's slowest node. This is quoracle's definition
// (Whittaker et al. 2021), and the reason to contact more nodes than a
// quorum: in majority(a, b, c) with latencies 1, 2 and 100 ms, contacting
// all three takes 2 ms, not 100. For a minimal quorum it is the latency of
// its slowest node. If set contains no quorum, Latency returns the latency
// of its slowest node; nodes outside the system are ignored.
//
// It does not enumerate quorums: it sorts set's nodes by latency and
// binary searches for the shortest fastest-first prefix that is a quorum,
// O(n log n) plus O(log n) membership checks, without allocating.
func (s *System) Latency(side Side, set Set) time.Duration {
	set &= s.all
	var buf [MaxNodes]int8 // on the stack: no allocation
	order := buf[:0]
	for x := range s.nodes {
		if set.Has(x) {
			order = append(order, int8(x))
		}
	}
	if len(order) == 0 {
		return 0
	}
	lat := func(i int) time.Duration { return s.nodes[order[i]].Latency }
	for i := 1; i < len(order); i++ { // insertion sort: n <= 64
		for j := i; j > 0 && lat(j-1) > lat(j); j-- {
			order[j-1], order[j] = order[j], order[j-1]
		}
	}
	var prefix [MaxNodes]Set // prefix[p]: the p+1 fastest nodes of set
	var acc Set
	for p, x := range order {
		acc |= 1 << uint(x)
		prefix[p] = acc
	}
	tr := &s.trees[side&1]
	lo, hi := 0, len(order)-1 // prefix[hi] is set: the answer if set is no quorum
	for lo < hi {
		mid := (lo + hi) / 2
		if tr.eval(0, prefix[mid]) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lat(lo)
}

// NodeLoad returns node i's load (its expected work per operation as a
// fraction of its capacity) averaged over the strategy's workload; 0 for
// an index outside the system.
func (st *Strategy) NodeLoad(i int) float64 {
	return st.perNode(i, func(f float64) float64 { return st.nodeLoadAt(i, f) })
}

// NodeUtilization returns the fraction of node i's capacity in use when
// the system runs at its capacity, averaged over the strategy's workload;
// the busiest nodes have utilization 1.
func (st *Strategy) NodeUtilization(i int) float64 {
	return st.perNode(i, func(f float64) float64 { return st.nodeLoadAt(i, f) / st.loadAt(f) })
}

// NodeThroughput returns how many operations per unit of time node i takes
// part in when the system runs at its capacity, averaged over the
// strategy's workload.
func (st *Strategy) NodeThroughput(i int) float64 {
	return st.perNode(i, func(f float64) float64 {
		return (f*st.use[Read][i] + (1-f)*st.use[Write][i]) / st.loadAt(f)
	})
}

func (st *Strategy) perNode(i int, at func(float64) float64) float64 {
	if i < 0 || i >= len(st.use[Read]) {
		return 0
	}
	fs, ps := st.workload.each()
	v := 0.0
	for k, f := range fs {
		v += ps[k] * at(f)
	}
	return v
}

// Objective is what System.Optimal minimises.
type Objective uint8

const (
	// MinLoad minimises the load (maximises throughput). The zero Objective.
	MinLoad Objective = iota
	// MinNetworkLoad minimises the expected number of nodes contacted.
	MinNetworkLoad
	// MinLatency minimises the expected latency.
	MinLatency
)

// Goal describes the strategy System.Optimal looks for.
type Goal struct {
	Workload  Workload  // the read fraction or its distribution
	Objective Objective // what to minimise; MinLoad by default
	// Limits on the other measures; zero means no limit.
	MaxLoad        float64
	MaxNetworkLoad float64
	MaxLatency     time.Duration
	// Resilience f > 0 makes the strategy contact sets of nodes that still
	// contain a quorum after any f of them fail (quoracle's f-resilient
	// strategies); an operation's latency is then the time until the
	// fastest quorum inside the set answers (System.Latency). It examines
	// every subset of the nodes once, so it needs at most 16 nodes
	// (ErrTooLarge): 65536 membership checks and about 1 MiB.
	Resilience int
}

// Optimal returns a strategy that minimises g.Objective under g's limits,
// found by linear programming (gonum's simplex) over the minimal quorums,
// as quoracle does (Whittaker et al. 2021, section 4). Limits no strategy
// can meet give an error wrapping ErrInfeasible.
//
// The strategy remembers g.Workload, and its measures are taken under it:
// s.Optimal(g) then st.Capacity() is quoracle's
// qs.capacity(read_fraction=...), the workload given once. To see how the
// same strategy fares under another workload, use Strategy.At.
//
// With g.Resilience f > 0 the columns are the minimal f-resilient sets
// and, when latency is the objective or limited, also the larger
// f-resilient sets that answer strictly sooner than every f-resilient set
// one node smaller (a larger set can contain a faster quorum; see
// System.Latency). No other set can do better on any measure, so the
// strategy is optimal over all f-resilient sets.
//
// Its cost grows with the number of columns: the 5x5 grid's 3125 write
// quorums take tens of milliseconds, a majority of 18 nodes (43758
// quorums per side) under a second. It enumerates minimal quorums within
// the bounds of System.MinimalQuorums (ErrTooLarge beyond), and refuses
// with ErrTooLarge a linear program of more than 2^22 coefficients: rows
// × columns, that is (2 + fractions × nodes + limits) × (read and write
// quorums + fractions × (nodes + 1) + limits), where fractions is the
// number of read fractions of the workload and limits the number of
// limits set in g. gonum's simplex keeps several dense copies of the
// program; measured, its heap peaks at about 40 bytes per coefficient, so
// at most about 160 MiB, and the largest programs take seconds.
func (s *System) Optimal(g Goal) (*Strategy, error) {
	if err := g.validate(); err != nil {
		return nil, err
	}
	var q [2][]Set
	latency := g.Objective == MinLatency || g.MaxLatency > 0
	for side := range q {
		qs, err := s.resilientQuorums(Side(side), g.Resilience, latency)
		if err != nil {
			return nil, err
		}
		if len(qs) == 0 {
			return nil, fmt.Errorf("quorum: no %d-resilient %s quorum: %w", g.Resilience, Side(side), ErrInfeasible)
		}
		q[side] = qs
	}
	return s.solve(q, g)
}

// validate refuses negative or NaN limits and resilience and unknown
// objectives with ErrThreshold.
func (g Goal) validate() error {
	if g.MaxLoad < 0 || g.MaxNetworkLoad < 0 || g.MaxLatency < 0 || g.Resilience < 0 || math.IsNaN(g.MaxLoad) || math.IsNaN(g.MaxNetworkLoad) || math.IsInf(g.MaxLoad, 0) || math.IsInf(g.MaxNetworkLoad, 0) {
		return fmt.Errorf("quorum: negative, infinite or NaN limit or resilience in goal: %w", ErrThreshold)
	}
	if g.Objective > MinLatency {
		return fmt.Errorf("quorum: objective %d: %w", g.Objective, ErrThreshold)
	}
	return nil
}

// solve finds the strategy over the read and write sets in q that
// minimises g.Objective under g's limits.
func (s *System) solve(q [2][]Set, g Goal) (*Strategy, error) {
	fs, ps := g.Workload.each()
	mean := g.Workload.mean()
	n, nr, nw, m := len(s.names), len(q[Read]), len(q[Write]), len(fs)
	// Columns: read quorum probabilities, write quorum probabilities, the
	// load L_i at each read fraction, one slack per (fraction, node) and one
	// per limit.
	colL := nr + nw
	colSlack := colL + m
	limits := 0
	for _, on := range []bool{g.MaxLoad > 0, g.MaxNetworkLoad > 0, g.MaxLatency > 0} {
		if on {
			limits++
		}
	}
	cols := colSlack + m*n + limits
	rows := 2 + m*n + limits
	if rows*cols > maxLPEntries {
		return nil, fmt.Errorf("quorum: linear program of %d rows and %d columns, more than %d coefficients: %w", rows, cols, maxLPEntries, ErrTooLarge)
	}
	A := mat.NewDense(rows, cols, nil)
	b := make([]float64, rows)
	c := make([]float64, cols)
	for j := range nr {
		A.Set(0, j, 1)
	}
	for j := range nw {
		A.Set(1, nr+j, 1)
	}
	b[0], b[1] = 1, 1
	for i, f := range fs {
		for x := range n {
			r := 2 + i*n + x
			node := s.nodes[x]
			for j, set := range q[Read] {
				if set.Has(x) {
					A.Set(r, j, f/node.ReadCapacity)
				}
			}
			for j, set := range q[Write] {
				if set.Has(x) {
					A.Set(r, nr+j, (1-f)/node.WriteCapacity)
				}
			}
			A.Set(r, colL+i, -1)
			A.Set(r, colSlack+i*n+x, 1)
		}
	}
	size := func(set Set) float64 { return float64(set.Len()) }
	lat := func(side Side) func(Set) float64 {
		return func(set Set) float64 { return s.Latency(side, set).Seconds() }
	}
	// per quorum coefficient of an expected measure (network load, latency)
	expected := func(read, write func(Set) float64, row []float64) {
		for j, set := range q[Read] {
			row[j] = mean * read(set)
		}
		for j, set := range q[Write] {
			row[nr+j] = (1 - mean) * write(set)
		}
	}
	loadRow := make([]float64, cols)
	for i := range fs {
		loadRow[colL+i] = ps[i]
	}
	netRow, latRow := make([]float64, cols), make([]float64, cols)
	expected(size, size, netRow)
	expected(lat(Read), lat(Write), latRow)
	r := 2 + m*n
	for _, lim := range []struct {
		on    bool
		row   []float64
		bound float64
	}{
		{g.MaxLoad > 0, loadRow, g.MaxLoad},
		{g.MaxNetworkLoad > 0, netRow, g.MaxNetworkLoad},
		{g.MaxLatency > 0, latRow, g.MaxLatency.Seconds()},
	} {
		if !lim.on {
			continue
		}
		for j, v := range lim.row {
			if v != 0 {
				A.Set(r, j, v)
			}
		}
		A.Set(r, cols-limits+(r-2-m*n), 1)
		b[r] = lim.bound
		r++
	}
	switch g.Objective {
	case MinLoad:
		copy(c, loadRow)
	case MinNetworkLoad:
		copy(c, netRow)
	case MinLatency:
		copy(c, latRow)
	}
	_, x, err := lp.Simplex(c, A, b, 1e-10, nil)
	if err != nil {
		if errors.Is(err, lp.ErrInfeasible) {
			return nil, fmt.Errorf("quorum: no strategy meets the limits: %w", ErrInfeasible)
		}
		return nil, fmt.Errorf("quorum: linear program: %v: %w", err, ErrInfeasible)
	}
	var p [2][]float64
	var kept [2][]Set
	for side, off := range []int{0, nr} {
		total := 0.0
		for j := range q[side] {
			if v := x[off+j]; v > 1e-12 {
				kept[side] = append(kept[side], q[side][j])
				p[side] = append(p[side], v)
				total += v
			}
		}
		for j := range p[side] {
			p[side][j] /= total
		}
	}
	return s.newStrategy(g.Workload, kept, p), nil
}

// maxLPEntries bounds the coefficients of Optimal's linear program.
const maxLPEntries = 1 << 22

// resilientQuorums returns the candidate sets of an f-resilient strategy
// of side: for f = 0 the minimal quorums; for f > 0 the f-resilient sets
// (sets that contain a quorum after any f of their nodes fail) none of
// whose one-smaller subsets is f-resilient, and with latency also those
// whose every f-resilient one-smaller subset answers later. Every other
// f-resilient set contains a candidate that is as fast, so a strategy
// over the candidates is as good as any.
//
// For f > 0 it visits every subset S of the nodes once, in increasing
// order, so that S minus a node is always visited before S, and keeps
// two tables: how many failures S survives (capped at f), and how long the
// fastest quorum inside S takes. S survives g failures exactly when it is
// a quorum and S minus any one node survives g-1; the fastest quorum
// inside S is S itself or the fastest inside S minus a node. Cost:
// 2^n membership checks and 2^n·n steps, 9·2^n bytes; n <= 16.
func (s *System) resilientQuorums(side Side, f int, latency bool) ([]Set, error) {
	if f == 0 {
		return s.MinimalQuorums(side)
	}
	n := len(s.names)
	if n > 16 {
		return nil, fmt.Errorf("quorum: %d-resilient strategies need at most 16 nodes, not %d: %w", f, n, ErrTooLarge)
	}
	if f >= n {
		return nil, nil // no set survives the failure of all its nodes
	}
	const never = time.Duration(math.MaxInt64)
	size := 1 << n
	survives := make([]int8, size) // -1: not a quorum
	var fastest []time.Duration
	if latency {
		fastest = make([]time.Duration, size)
	}
	var out []Set
	for v := range size {
		set := Set(v)
		if !s.IsQuorum(side, set) {
			survives[v] = -1
			if latency {
				fastest[v] = never
			}
			continue
		}
		g := int8(f)
		var slowest time.Duration
		for b := set; b != 0; b &= b - 1 {
			g = min(g, survives[set&^(b&-b)]+1)
			slowest = max(slowest, s.nodes[bits.TrailingZeros64(uint64(b))].Latency)
		}
		survives[v] = g
		if latency {
			fastest[v] = slowest
			for b := set; b != 0; b &= b - 1 {
				fastest[v] = min(fastest[v], fastest[set&^(b&-b)])
			}
		}
		if g < int8(f) {
			continue
		}
		candidate := true
		for b := set; b != 0 && candidate; b &= b - 1 {
			y := set &^ (b & -b)
			candidate = survives[y] < int8(f) || (latency && fastest[y] > fastest[v])
		}
		if candidate {
			out = append(out, set)
		}
	}
	sortSets(out)
	return out, nil
}
