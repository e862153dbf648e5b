package quorum

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// propNames are the nodes random expressions are drawn over: few enough
// that every subset can be checked by brute force.
var propNames = []string{"a", "b", "c", "d", "e", "f", "g"}

// genExpr draws a random expression of the given depth over propNames.
func genExpr(depth int) *rapid.Generator[Expr] {
	return rapid.Custom(func(t *rapid.T) Expr {
		if depth == 0 || rapid.IntRange(0, 3).Draw(t, "leafness") == 0 {
			return Leaf(rapid.SampledFrom(propNames).Draw(t, "node"))
		}
		n := rapid.IntRange(1, 4).Draw(t, "args")
		args := make([]Expr, n)
		for i := range args {
			args[i] = genExpr(depth-1).Draw(t, "arg")
		}
		k := rapid.IntRange(1, n).Draw(t, "k")
		return Choose(k, args...)
	})
}

// refEval is the reference semantics of an expression, written directly
// from its definition: at least k of the arguments hold.
func refEval(e Expr, live map[string]bool) bool {
	if e.kind == kindNode {
		return live[e.name]
	}
	c := 0
	for _, a := range e.args {
		if refEval(a, live) {
			c++
		}
	}
	return c >= e.k
}

func liveOf(s *System, set Set) map[string]bool {
	live := map[string]bool{}
	for _, n := range s.NamesOf(set) {
		live[n] = true
	}
	return live
}

func genSystem(t *rapid.T) *System {
	e := genExpr(3).Draw(t, "reads")
	s, err := New(Config{Reads: e})
	if err != nil {
		t.Fatalf("New rejected a valid expression %s: %v", e, err)
	}
	return s
}

func TestPropMembershipMatchesDefinition(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSystem(t)
		for set := Set(0); set <= s.All(); set++ {
			for side := range 2 {
				if got, want := s.IsQuorum(Side(side), set), refEval(s.exprs[side], liveOf(s, set)); got != want {
					t.Fatalf("membership of %s in %s quorums of %s is %v, the definition says %v", s.FormatSet(set), Side(side), s, got, want)
				}
			}
		}
	})
}

func TestPropDualsIntersect(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSystem(t)
		reads, err := s.MinimalQuorums(Read)
		if err != nil {
			t.Fatal(err)
		}
		for set := Set(0); set <= s.All(); set++ {
			if !s.IsWrite(set) {
				// the dual is exactly the sets meeting every read quorum
				for _, r := range reads {
					if r&set == 0 {
						goto next
					}
				}
				t.Fatalf("%s meets every read quorum of %s but is not a write quorum (dual not maximal)", s.FormatSet(set), s)
			next:
				continue
			}
			for _, r := range reads {
				if r&set == 0 {
					t.Fatalf("write quorum %s misses read quorum %s in %s: the dual must intersect every quorum", s.FormatSet(set), s.FormatSet(r), s)
				}
			}
		}
	})
}

func TestPropSupersetsAreQuorums(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSystem(t)
		a := Set(rapid.Uint64().Draw(t, "a")) & s.All()
		b := Set(rapid.Uint64().Draw(t, "b")) & s.All()
		for side := range 2 {
			if s.IsQuorum(Side(side), a) && !s.IsQuorum(Side(side), a|b) {
				t.Fatalf("%s is a %s quorum but its superset %s is not: quorums must be monotone", s.FormatSet(a), Side(side), s.FormatSet(a|b))
			}
		}
	})
}

func TestPropMinimalQuorumsAreMinimal(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSystem(t)
		for side := range 2 {
			qs, err := s.MinimalQuorums(Side(side))
			if err != nil {
				t.Fatal(err)
			}
			// brute force: the minimal quorums are the quorums none of whose
			// one-smaller subsets is a quorum
			var want []Set
			for set := Set(0); set <= s.All(); set++ {
				if !s.IsQuorum(Side(side), set) {
					continue
				}
				minimal := true
				for b := set; b != 0; b &= b - 1 {
					if s.IsQuorum(Side(side), set&^(b&-b)) {
						minimal = false
					}
				}
				if minimal {
					want = append(want, set)
				}
			}
			want = minimize(want)
			if fmt.Sprint(qs) != fmt.Sprint(want) {
				t.Fatalf("minimal %s quorums of %s: got %v, brute force finds %v", Side(side), s, qs, want)
			}
			// writes are the dual of reads, so each side's quorums are the
			// other side's blocking sets
			rs, err := s.Resilience(Side(side))
			if err != nil {
				t.Fatal(err)
			}
			blocking, _ := s.MinimalQuorums(1 - Side(side))
			smallest := s.Len() + 1
			for _, q := range blocking {
				smallest = min(smallest, q.Len())
			}
			if rs != smallest-1 {
				t.Fatalf("%s resilience of %s is %d, but the smallest set meeting every quorum has %d nodes: resilience is one less", Side(side), s, rs, smallest)
			}
		}
	})
}

func TestPropOptimalNotAboveUniform(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSystem(t)
		f := rapid.Float64Range(0, 1).Draw(t, "read fraction")
		w, _ := ReadFraction(f)
		u, err := s.Uniform(w, 0)
		if err != nil {
			t.Fatal(err)
		}
		o, err := s.Optimal(Goal{Workload: w})
		if err != nil {
			t.Fatalf("optimal strategy of %s: %v", s, err)
		}
		if o.Load() > u.Load()+1e-9 {
			t.Fatalf("optimal load %v above the uniform strategy's %v for %s at %v: the optimum is never worse than any strategy", o.Load(), u.Load(), s, f)
		}
	})
}

// The vote tracker agrees with a brute-force reference: won when some
// subset of the yes voters satisfies the expression, lost when no subset of
// the nodes that did not vote no does.
func TestPropTrackerMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSystem(t)
		side := Side(rapid.IntRange(0, 1).Draw(t, "side"))
		tr := NewTracker(s, side)
		voted := map[int]bool{}
		yes, no := map[string]bool{}, map[string]bool{}
		for range rapid.IntRange(0, 2*s.Len()).Draw(t, "votes") {
			i := rapid.IntRange(0, s.Len()-1).Draw(t, "node")
			v := rapid.Bool().Draw(t, "yes")
			got, err := tr.Vote(i, v)
			if err != nil {
				t.Fatal(err)
			}
			if !voted[i] {
				voted[i] = true
				if v {
					yes[s.names[i]] = true
				} else {
					no[s.names[i]] = true
				}
			}
			notNo := map[string]bool{}
			for _, n := range s.names {
				notNo[n] = !no[n]
			}
			want := Pending
			switch {
			case refEval(s.exprs[side], yes):
				want = Won
			case !refEval(s.exprs[side], notNo):
				want = Lost
			}
			if got != want {
				t.Fatalf("after yes=%v no=%v the tracker says %v, the reference %v", yes, no, got, want)
			}
		}
	})
}

// CommittedIndex agrees with its definition: the largest acknowledged
// value v such that the nodes with acks >= v form a quorum.
func TestPropCommittedIndexMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSystem(t)
		side := Side(rapid.IntRange(0, 1).Draw(t, "side"))
		acked := rapid.SliceOfN(rapid.Uint64Range(0, 5), s.Len(), s.Len()).Draw(t, "acked")
		got, err := s.CommittedIndex(side, acked)
		if err != nil {
			t.Fatal(err)
		}
		var want uint64
		for _, v := range acked {
			live := map[string]bool{}
			for i, a := range acked {
				live[s.names[i]] = a >= v
			}
			if refEval(s.exprs[side], live) && v > want {
				want = v
			}
		}
		if got != want {
			t.Fatalf("committed index of %v in %s quorums of %s is %d; by definition %d", acked, side, s, got, want)
		}
	})
}

// nastyNames are node names that are not identifiers: spaces, operators,
// quotes, escapes, keywords, addresses, unicode, control and invalid
// bytes.
var nastyNames = []string{
	"a", "b", "node-1", "x.y", "_", "choose", "majority", "node 1", " ", "  a",
	"10.0.0.1:7000", "[::1]:7000", "a+b", "a*b", "(a)", "a,b", "a)", "(", ",",
	`"`, `\`, `"quoted"`, `\"`, "a\"b", "'", "`", "\t", "\n", "\r\n", "\x00",
	"\xff", "\xc3", "\u2028", "\ufeff", "é", "日本", "🙂", "Ǆ", "\u0301a", "1", "-",
	".", "0x10", "choose(1, a)", "majority(a)", "<invalid>", "a\x00b", "\x7f",
}

// genName draws a node name: usually a nasty one, sometimes an arbitrary
// unicode string or arbitrary bytes (empty included).
func genName(t *rapid.T) string {
	switch rapid.IntRange(0, 3).Draw(t, "kind of name") {
	case 0:
		return rapid.String().Draw(t, "unicode name")
	case 1:
		return string(rapid.SliceOfN(rapid.Byte(), 0, 8).Draw(t, "byte name"))
	}
	return rapid.SampledFrom(nastyNames).Draw(t, "nasty name")
}

// genAnyExpr draws an expression over the given names with every
// constructor, one-argument Ands and Ors and repeated operands included.
func genAnyExpr(names []string, depth int) *rapid.Generator[Expr] {
	return rapid.Custom(func(t *rapid.T) Expr {
		if depth == 0 || rapid.IntRange(0, 3).Draw(t, "leafness") == 0 {
			return Leaf(rapid.SampledFrom(names).Draw(t, "node"))
		}
		args := make([]Expr, rapid.IntRange(1, 4).Draw(t, "args"))
		for i := range args {
			args[i] = genAnyExpr(names, depth-1).Draw(t, "arg")
		}
		switch rapid.IntRange(0, 3).Draw(t, "operator") {
		case 0:
			return And(args...)
		case 1:
			return Or(args...)
		case 2:
			return MajorityOf(args...)
		}
		return Choose(rapid.IntRange(1, len(args)).Draw(t, "k"), args...)
	})
}

// The round-trip law: for every expression e that New accepts,
// Parse(e.String()) succeeds and gives back an expression Equal to e
// (and so does the dual New computes for the other side).
func TestPropParseStringRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		names := rapid.SliceOfN(rapid.Custom(genName), 1, 6).Draw(t, "names")
		e := genAnyExpr(names, 3).Draw(t, "e")
		s, err := New(Config{Reads: e})
		if err != nil {
			if !errors.Is(err, ErrUnknownNode) { // only empty names are refused here
				t.Fatalf("New(%#v): %v", e, err)
			}
			return
		}
		for _, x := range []Expr{e, s.Expr(Write)} {
			text := x.String()
			back, err := Parse(text)
			if err != nil {
				t.Fatalf("Parse(e.String()) must succeed for every expression New accepts; e = %#v, e.String() = %q: %v", x, text, err)
			}
			if !back.Equal(x) {
				t.Fatalf("Parse(e.String()) must give e back for every expression New accepts; e = %#v, e.String() = %q, Parse gave %#v", x, text, back)
			}
			if again := back.String(); again != text {
				t.Fatalf("String must be deterministic on equal expressions: %q, then %q", text, again)
			}
		}
	})
}

// New accepts two explicitly given sides exactly when every read quorum
// meets every write quorum, checked by brute force over all pairs of
// subsets. Half the draws are flat thresholds over the same weighted votes
// (decided by splitting the votes, not enumerating), half arbitrary
// expressions.
func TestPropNewAcceptsExactlyIntersecting(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var reads, writes Expr
		if rapid.Bool().Draw(t, "flat") {
			// weighted votes: a node repeated counts once per repetition
			var l []Expr
			for _, n := range propNames[:rapid.IntRange(1, len(propNames)).Draw(t, "n")] {
				for range rapid.IntRange(1, 3).Draw(t, "votes") {
					l = append(l, Leaf(n))
				}
			}
			reads = Choose(rapid.IntRange(1, len(l)).Draw(t, "q1"), l...)
			writes = Choose(rapid.IntRange(1, len(l)).Draw(t, "q2"), l...)
		} else {
			reads, writes = genExpr(3).Draw(t, "reads"), genExpr(3).Draw(t, "writes")
		}
		s, err := New(Config{Reads: reads, Writes: writes, Unchecked: true})
		if err != nil {
			t.Fatal(err)
		}
		want := true
		for r := Set(0); r <= s.All() && want; r++ {
			if !refEval(reads, liveOf(s, r)) {
				continue
			}
			for w := Set(0); w <= s.All(); w++ {
				if r&w == 0 && refEval(writes, liveOf(s, w)) {
					want = false
					break
				}
			}
		}
		if s.Intersecting() != want {
			t.Fatalf("reads %s, writes %s: Intersecting() = %v, brute force says %v", reads, writes, s.Intersecting(), want)
		}
		_, err = New(Config{Reads: reads, Writes: writes})
		if want != (err == nil) {
			t.Fatalf("reads %s, writes %s intersect: %v, but checked New returned %v", reads, writes, want, err)
		}
	})
}

// Weighted voting against its definition (Gifford 1979): a set is a read
// quorum when its votes reach r, a write quorum when they reach w, and the
// system exists exactly when r + w exceeds the total.
func TestPropWeightedMatchesVotes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 6).Draw(t, "n")
		votes := rapid.SliceOfN(rapid.IntRange(1, 3), n, n).Draw(t, "votes")
		total := 0
		for _, v := range votes {
			total += v
		}
		r := rapid.IntRange(1, total).Draw(t, "r")
		w := rapid.IntRange(1, total).Draw(t, "w")
		s, err := Weighted(propNames[:n], votes, r, w)
		if (err == nil) != (r+w > total) {
			t.Fatalf("Weighted(votes %v, r %d, w %d): error %v, but r + w > total is %v", votes, r, w, err, r+w > total)
		}
		if err != nil {
			return
		}
		for set := Set(0); set <= s.All(); set++ {
			got := 0
			for i, v := range votes {
				if set.Has(i) {
					got += v
				}
			}
			if s.IsRead(set) != (got >= r) || s.IsWrite(set) != (got >= w) {
				t.Fatalf("votes %v, r %d, w %d: %s has %d votes but IsRead %v, IsWrite %v", votes, r, w, s.FormatSet(set), got, s.IsRead(set), s.IsWrite(set))
			}
		}
	})
}

// Naor and Wool's averaging bound (1998, section 3): the busiest node
// carries at least the average load, so with unit capacities no strategy's
// load is below (expected quorum size) / n, and the optimal load is at
// least (f_r * smallest read quorum + (1 - f_r) * smallest write quorum) / n.
func TestPropOptimalLoadAboveAveragingBound(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSystem(t)
		f := rapid.Float64Range(0, 1).Draw(t, "read fraction")
		w, _ := ReadFraction(f)
		o, err := s.Optimal(Goal{Workload: w})
		if err != nil {
			t.Fatal(err)
		}
		if o.Load() < o.NetworkLoad()/float64(s.Len())-1e-9 {
			t.Fatalf("%s at %v: load %v below network load / n = %v: the busiest node carries at least the average", s, f, o.Load(), o.NetworkLoad()/float64(s.Len()))
		}
		smallest := func(side Side) float64 {
			qs, _ := s.MinimalQuorums(side)
			return float64(qs[0].Len())
		}
		bound := (f*smallest(Read) + (1-f)*smallest(Write)) / float64(s.Len())
		if o.Load() < bound-1e-9 {
			t.Fatalf("%s at %v: optimal load %v below the averaging bound %v", s, f, o.Load(), bound)
		}
	})
}

// Any goal whose limits the uniform strategy meets is feasible, and the
// optimum meets the limits and is no worse than uniform on its objective:
// random capacities, latencies, read-fraction distributions and
// objectives.
func TestPropOptimalGoalsNoWorseThanUniform(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := genExpr(3).Draw(t, "reads")
		var nodes []Node
		for _, n := range e.Nodes() {
			nodes = append(nodes, Node{
				Name:          n,
				ReadCapacity:  float64(rapid.IntRange(1, 4).Draw(t, "read capacity")),
				WriteCapacity: float64(rapid.IntRange(1, 4).Draw(t, "write capacity")),
				Latency:       time.Duration(rapid.IntRange(0, 50).Draw(t, "latency")) * time.Millisecond,
			})
		}
		s, err := New(Config{Reads: e, Nodes: nodes})
		if err != nil {
			t.Fatal(err)
		}
		k := rapid.IntRange(1, 3).Draw(t, "fractions")
		fs, ws := make([]float64, k), make([]float64, k)
		for i := range fs {
			fs[i] = float64(rapid.IntRange(0, 4).Draw(t, "fraction")) / 4
			ws[i] = float64(rapid.IntRange(1, 3).Draw(t, "weight"))
		}
		w, err := Distribution(fs, ws)
		if err != nil {
			t.Fatal(err)
		}
		u, err := s.Uniform(w, 0)
		if err != nil {
			t.Fatal(err)
		}
		obj := Objective(rapid.IntRange(0, 2).Draw(t, "objective"))
		g := Goal{Workload: w, Objective: obj}
		if rapid.Bool().Draw(t, "limit load") && obj != MinLoad {
			g.MaxLoad = u.Load() + 1e-9
		}
		if rapid.Bool().Draw(t, "limit network") && obj != MinNetworkLoad {
			g.MaxNetworkLoad = u.NetworkLoad() + 1e-9
		}
		if rapid.Bool().Draw(t, "limit latency") && obj != MinLatency && u.Latency() > 0 {
			g.MaxLatency = u.Latency() + time.Microsecond
		}
		o, err := s.Optimal(g)
		if err != nil {
			t.Fatalf("%s, goal %+v met by the uniform strategy: %v", s, g, err)
		}
		value := func(st *Strategy) float64 {
			switch obj {
			case MinNetworkLoad:
				return st.NetworkLoad()
			case MinLatency:
				return float64(st.Latency())
			}
			return st.Load()
		}
		tol := 1e-6
		if obj == MinLatency {
			tol = 1 // latencies are rounded to the nanosecond
		}
		if value(o) > value(u)+tol {
			t.Fatalf("%s: optimal %v worse than uniform %v on objective %d: an optimum is never worse than a feasible strategy", s, value(o), value(u), obj)
		}
		if g.MaxLoad > 0 && o.Load() > g.MaxLoad+1e-6 ||
			g.MaxNetworkLoad > 0 && o.NetworkLoad() > g.MaxNetworkLoad+1e-6 ||
			g.MaxLatency > 0 && o.Latency() > g.MaxLatency+time.Microsecond {
			t.Fatalf("%s: optimum breaks a limit of %+v: load %v network %v latency %v", s, g, o.Load(), o.NetworkLoad(), o.Latency())
		}
	})
}

// genReadOnce draws an expression in which no node appears under two
// operators; within one operator a node may be repeated (a weighted
// vote). Nodes are n0, n1, ... in order, at most 10 of them.
func genReadOnce(t *rapid.T) Expr {
	next := 0
	var rec func(depth int) Expr
	rec = func(depth int) Expr {
		if depth == 0 || next >= 9 || rapid.IntRange(0, 3).Draw(t, "leafness") == 0 {
			next++
			return Leaf(fmt.Sprintf("n%d", next-1))
		}
		var args []Expr
		var mine []string
		for range rapid.IntRange(1, 4).Draw(t, "args") {
			switch {
			case len(mine) > 0 && rapid.IntRange(0, 3).Draw(t, "repeat") == 0:
				args = append(args, Leaf(rapid.SampledFrom(mine).Draw(t, "repeated")))
			case next < 10 && rapid.Bool().Draw(t, "leaf"):
				mine = append(mine, fmt.Sprintf("n%d", next))
				args = append(args, Leaf(mine[len(mine)-1]))
				next++
			case next < 10:
				args = append(args, rec(depth-1))
			}
		}
		if len(args) == 0 {
			next++
			return Leaf(fmt.Sprintf("n%d", next-1))
		}
		return Choose(rapid.IntRange(1, len(args)).Draw(t, "k"), args...)
	}
	return rec(3)
}

// bruteMinimal lists the minimal quorums of one side by trying every set.
func bruteMinimal(s *System, side Side) []Set {
	var out []Set
	for set := Set(0); set <= s.All(); set++ {
		if !s.IsQuorum(side, set) {
			continue
		}
		minimal := true
		for b := set; b != 0 && minimal; b &= b - 1 {
			minimal = !s.IsQuorum(side, set&^(b&-b))
		}
		if minimal {
			out = append(out, set)
		}
	}
	sortSets(out)
	return out
}

// Counting before enumerating: the count of minimal quorums computed
// without building them equals the number MinimalQuorums returns (and a
// brute force finds) when no node is under two operators, and bounds it
// from above otherwise.
func TestPropCountsMatchEnumeration(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var e Expr
		if rapid.Bool().Draw(t, "read-once") {
			e = genReadOnce(t)
		} else {
			e = genExpr(3).Draw(t, "shared")
		}
		s, err := New(Config{Reads: e})
		if err != nil {
			t.Fatal(err)
		}
		for side := range 2 {
			tr := &s.trees[side]
			count := tr.counts()[0]
			qs, err := s.MinimalQuorums(Side(side))
			if err != nil {
				t.Fatal(err)
			}
			if want := bruteMinimal(s, Side(side)); fmt.Sprint(qs) != fmt.Sprint(want) {
				t.Fatalf("minimal %s quorums of %s: got %v, brute force finds %v", Side(side), s, qs, want)
			}
			if !tr.shared && count != uint64(len(qs)) {
				t.Fatalf("%s side of %s shares no node between operators: the count %d must equal the %d minimal quorums", Side(side), s, count, len(qs))
			}
			if count < uint64(len(qs)) {
				t.Fatalf("%s side of %s: the count %d must bound the %d minimal quorums from above", Side(side), s, count, len(qs))
			}
		}
	})
}

// The same expression on both sides is checked for intersection without
// enumerating when no node is under two operators; either way the answer
// is the brute force's: no two quorums are disjoint.
func TestPropSelfIntersectionMatchesBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var e Expr
		if rapid.Bool().Draw(t, "read-once") {
			e = genReadOnce(t)
		} else {
			e = genExpr(3).Draw(t, "shared")
		}
		s, err := New(Config{Reads: e, Writes: e, Unchecked: true})
		if err != nil {
			t.Fatal(err)
		}
		qs := bruteMinimal(s, Read)
		want := true
		for _, a := range qs {
			for _, b := range qs {
				if a&b == 0 {
					want = false
				}
			}
		}
		if s.Intersecting() != want {
			t.Fatalf("%s as both reads and writes: Intersecting() = %v, but brute force says every two quorums meet is %v", e, s.Intersecting(), want)
		}
	})
}

// genTimedSystem draws a system of at most 7 nodes with random latencies.
func genTimedSystem(t *rapid.T) *System {
	e := genExpr(3).Draw(t, "reads")
	var nodes []Node
	for _, n := range e.Nodes() {
		nodes = append(nodes, Node{Name: n, ReadCapacity: 1, WriteCapacity: 1,
			Latency: time.Duration(rapid.IntRange(0, 5).Draw(t, "latency")) * time.Millisecond})
	}
	s, err := New(Config{Reads: e, Nodes: nodes})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// bruteLatency is the definition: the least, over the quorums inside set,
// of the latency of the quorum's slowest node.
func bruteLatency(s *System, side Side, set Set) (time.Duration, bool) {
	best, found := time.Duration(0), false
	for q := set; ; q = (q - 1) & set { // every subset of set
		if s.IsQuorum(side, q) {
			var slowest time.Duration
			for x := range s.Len() {
				if q.Has(x) {
					slowest = max(slowest, s.nodes[x].Latency)
				}
			}
			if !found || slowest < best {
				best, found = slowest, true
			}
		}
		if q == 0 {
			return best, found
		}
	}
}

// bruteResilient reports whether set still contains a quorum after any f
// of its nodes fail.
func bruteResilient(s *System, side Side, set Set, f int) bool {
	for q := set; ; q = (q - 1) & set {
		if (set&^q).Len() <= f && !s.IsQuorum(side, q) {
			return false
		}
		if q == 0 {
			return true
		}
	}
}

// System.Latency is the time until the fastest quorum inside the set has
// answered (quoracle's definition), checked against every subset.
func TestPropLatencyIsFastestQuorumInside(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genTimedSystem(t)
		side := Side(rapid.IntRange(0, 1).Draw(t, "side"))
		set := Set(rapid.Uint64().Draw(t, "set")) & s.All()
		want, ok := bruteLatency(s, side, set)
		if !ok {
			return
		}
		if got := s.Latency(side, set); got != want {
			t.Fatalf("%s: contacting %s waits %v for a %s quorum, but the fastest quorum inside it answers in %v", s, s.FormatSet(set), got, side, want)
		}
	})
}

// The candidate sets of an f-resilient strategy are, by definition, the
// f-resilient sets none of whose one-smaller subsets is f-resilient (and,
// when latency matters, is as fast).
func TestPropResilientCandidatesMatchDefinition(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genTimedSystem(t)
		side := Side(rapid.IntRange(0, 1).Draw(t, "side"))
		f := rapid.IntRange(1, 3).Draw(t, "f")
		latency := rapid.Bool().Draw(t, "latency")
		got, err := s.resilientQuorums(side, f, latency)
		if err != nil {
			t.Fatal(err)
		}
		var want []Set
		for set := Set(0); set <= s.All(); set++ {
			if !bruteResilient(s, side, set, f) {
				continue
			}
			lat, _ := bruteLatency(s, side, set)
			keep := true
			for b := set; b != 0 && keep; b &= b - 1 {
				y := set &^ (b & -b)
				if bruteResilient(s, side, y, f) {
					ly, _ := bruteLatency(s, side, y)
					keep = latency && ly > lat
				}
			}
			if keep {
				want = append(want, set)
			}
		}
		sortSets(want)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%d-resilient %s candidates of %s (latency %v): got %v, by definition %v", f, side, s, latency, got, want)
		}
	})
}

// An f-resilient strategy over the candidate sets is as good as one over
// every f-resilient set: the optimum of the linear program over all of
// them is the same, for latency as objective or as limit.
func TestPropResilientOptimumOverAllSets(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genTimedSystem(t)
		f := rapid.IntRange(1, 2).Draw(t, "f")
		w, _ := ReadFraction(float64(rapid.IntRange(0, 4).Draw(t, "fraction")) / 4)
		g := Goal{Workload: w, Resilience: f, Objective: MinLatency}
		if rapid.Bool().Draw(t, "latency as limit") {
			g.Objective = MinLoad
			g.MaxLatency = time.Duration(rapid.IntRange(1, 5).Draw(t, "max latency")) * time.Millisecond
		} else if rapid.Bool().Draw(t, "load limit") {
			g.MaxLoad = float64(rapid.IntRange(2, 4).Draw(t, "max load")) / 4
		}
		var all [2][]Set
		for side := range all {
			for set := Set(0); set <= s.All(); set++ {
				if bruteResilient(s, Side(side), set, f) {
					all[side] = append(all[side], set)
				}
			}
		}
		value := func(st *Strategy) float64 {
			if g.Objective == MinLatency {
				return float64(st.Latency())
			}
			return st.Load()
		}
		got, err := s.Optimal(g)
		if len(all[Read]) == 0 || len(all[Write]) == 0 {
			if !errors.Is(err, ErrInfeasible) {
				t.Fatalf("%s has no %d-resilient set on some side, but Optimal says %v", s, f, err)
			}
			return
		}
		want, errAll := s.solve(all, g)
		if (err == nil) != (errAll == nil) {
			t.Fatalf("%s, goal %+v: over the candidates %v, over every %d-resilient set %v: pruning must not change feasibility", s, g, err, f, errAll)
		}
		if err != nil {
			return
		}
		if value(got) > value(want)+1e-6*max(1, value(want)) {
			t.Fatalf("%s, goal %+v: optimum over the candidates %v, over every %d-resilient set %v: no other set can do better", s, g, value(got), f, value(want))
		}
	})
}

// SurvivesZoneLoss against its definition: for every zone and every
// choice of extra other failed nodes, a quorum remains.
func TestPropSurvivesZoneLossMatchesBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSystem(t)
		side := Side(rapid.IntRange(0, 1).Draw(t, "side"))
		var zones [][]string
		for _, n := range s.Names() {
			if len(zones) == 0 || rapid.Bool().Draw(t, "new zone") {
				zones = append(zones, nil)
			}
			zones[len(zones)-1] = append(zones[len(zones)-1], n)
		}
		extra := rapid.IntRange(0, s.Len()).Draw(t, "extra")
		got, err := s.SurvivesZoneLoss(side, zones, extra)
		if err != nil {
			t.Fatal(err)
		}
		want := true
		for _, z := range zones {
			lost, _ := s.SetOf(z...)
			rest := s.All() &^ lost
			for f := rest; ; f = (f - 1) & rest {
				if f.Len() == min(extra, rest.Len()) && !s.IsQuorum(side, rest&^f) {
					want = false
				}
				if f == 0 {
					break
				}
			}
		}
		if got != want {
			t.Fatalf("%s, zones %v, %d extra failures: SurvivesZoneLoss(%s) = %v, trying every failure says %v", s, zones, extra, side, got, want)
		}
	})
}
