package quorum_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/eventually-perfect/primitives/quorum"
)

func ExampleExpr() {
	rows := quorum.Or(quorum.And(quorum.Leaves("a", "b", "c")...), quorum.And(quorum.Leaves("d", "e", "f")...))
	fmt.Println(rows)
	fmt.Println(rows.Dual())
	fmt.Println(quorum.Choose(2, quorum.Leaves("x", "y", "z")...).Dual())
	// Output:
	// a*b*c + d*e*f
	// (a + b + c)*(d + e + f)
	// majority(x, y, z)
}

func ExampleParse() {
	e, err := quorum.Parse("majority(a, b, c) * choose(1, d, e)")
	fmt.Println(e, err)
	// Output:
	// majority(a, b, c)*choose(1, d, e) <nil>
}

func ExampleExpr_String() {
	e := quorum.And(quorum.Leaf("x"), quorum.Or(quorum.Leaves("10.0.0.1:7000", "node 2")...))
	fmt.Println(e)
	back, err := quorum.Parse(e.String())
	fmt.Println(back.Equal(e), err)
	// Output:
	// x*("10.0.0.1:7000" + "node 2")
	// true <nil>
}

func ExampleParseError() {
	_, err := quorum.Parse("a*b + (c*d")
	var pe *quorum.ParseError
	fmt.Println(errors.As(err, &pe), pe.Offset, errors.Is(err, quorum.ErrSyntax))
	fmt.Println(err)
	// Output:
	// true 10 true
	// quorum: parse error at column 11: expected ')', found end of input
}

func ExampleSystem() {
	e, err := quorum.Parse("a*b*c + d*e*f")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := quorum.New(quorum.Config{Reads: e})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s)
	writes, err := s.MinimalQuorums(quorum.Write)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(writes), "minimal write quorums, e.g.", s.FormatSet(writes[0]))
	r, err := s.Resilience(quorum.Read)
	if err != nil {
		fmt.Println(err)
		return
	}
	w, err := s.Resilience(quorum.Write)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("read resilience", r, "write resilience", w)
	// Output:
	// reads: a*b*c + d*e*f; writes: (a + b + c)*(d + e + f)
	// 9 minimal write quorums, e.g. {a, d}
	// read resilience 1 write resilience 2
}

func ExampleSet() {
	s, err := quorum.Majority("a", "b", "c")
	if err != nil {
		fmt.Println(err)
		return
	}
	set, err := s.SetOf("a", "c")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(set.Len(), s.IsWrite(set), s.IsWrite(set&^1)) // drop a (bit 0)
	// Output:
	// 2 true false
}

func ExampleSide() {
	s, err := quorum.Flexible([]string{"a", "b", "c", "d"}, 3, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, side := range []quorum.Side{quorum.Read, quorum.Write} {
		r, err := s.Resilience(side)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(side, "quorums survive", r, "failures")
	}
	// Output:
	// read quorums survive 1 failures
	// write quorums survive 2 failures
}

func ExampleConfig() {
	// Reads and writes given separately, and an unsafe pair built on
	// purpose for a lesson.
	l := quorum.Leaves("a", "b", "c", "d")
	_, err := quorum.New(quorum.Config{Reads: quorum.Choose(2, l...), Writes: quorum.Choose(2, l...)})
	fmt.Println(err)
	s, err := quorum.New(quorum.Config{Reads: quorum.Choose(2, l...), Writes: quorum.Choose(2, l...), Unchecked: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Intersecting())
	// Output:
	// quorum: read and write quorums do not intersect
	// false
}

func ExampleNode() {
	// A node twice as fast as the others gets twice the work.
	e, err := quorum.Parse("choose(2, a, b, c)")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := quorum.New(quorum.Config{Reads: e, Writes: e, Nodes: []quorum.Node{
		{Name: "a", ReadCapacity: 2, WriteCapacity: 2, Latency: time.Millisecond},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	w, err := quorum.ReadFraction(0.5)
	if err != nil {
		fmt.Println(err)
		return
	}
	st, err := s.Optimal(quorum.Goal{Workload: w})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("load %.3f capacity %.3f\n", st.Load(), st.Capacity())
	// Output:
	// load 0.500 capacity 2.000
}

func ExampleSystem_Latency() {
	ms := time.Millisecond
	s, err := quorum.New(quorum.Config{
		Reads: quorum.MajorityOf(quorum.Leaves("a", "b", "c")...),
		Nodes: []quorum.Node{
			{Name: "a", ReadCapacity: 1, WriteCapacity: 1, Latency: 1 * ms},
			{Name: "b", ReadCapacity: 1, WriteCapacity: 1, Latency: 2 * ms},
			{Name: "c", ReadCapacity: 1, WriteCapacity: 1, Latency: 100 * ms},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ac, err := s.SetOf("a", "c")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Latency(quorum.Read, ac), s.Latency(quorum.Read, s.All()))
	w, err := quorum.ReadFraction(0.5)
	if err != nil {
		fmt.Println(err)
		return
	}
	st, err := s.Optimal(quorum.Goal{Workload: w, Resilience: 1}) // survive one failure
	if err != nil {
		fmt.Println(err)
		return
	}
	reads, _ := st.Quorums(quorum.Read)
	fmt.Println(s.FormatSet(reads[0]), st.Latency())
	// Output:
	// 100ms 2ms
	// {a, b, c} 2ms
}

func ExampleTracker() {
	s, err := quorum.Majority("a", "b", "c", "d", "e")
	if err != nil {
		fmt.Println(err)
		return
	}
	t := quorum.NewTracker(s, quorum.Write)
	for _, v := range []struct {
		node string
		yes  bool
	}{{"a", true}, {"b", false}, {"c", true}, {"d", true}} {
		r, err := t.VoteName(v.node, v.yes)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(v.node, v.yes, r)
	}
	// Output:
	// a true pending
	// b false pending
	// c true pending
	// d true won
}

func ExampleVoteResult() {
	g, err := quorum.Grid([][]string{{"a", "b"}, {"c", "d"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	t := quorum.NewTracker(g, quorum.Read) // a whole row must say yes
	if _, err := t.VoteName("a", false); err != nil {
		fmt.Println(err)
		return
	}
	r, err := t.VoteName("c", false)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r)
	// Output:
	// lost
}

func ExampleSystem_CommittedIndex() {
	s, err := quorum.Majority("a", "b", "c")
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := s.CommittedIndex(quorum.Write, []uint64{7, 9, 4})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c)
	// Output:
	// 7
}

func ExampleStrategy() {
	e, err := quorum.Parse("a*b*c + d*e*f")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := quorum.New(quorum.Config{Reads: e})
	if err != nil {
		fmt.Println(err)
		return
	}
	w, err := quorum.ReadFraction(0.25)
	if err != nil {
		fmt.Println(err)
		return
	}
	st, err := s.Optimal(quorum.Goal{Workload: w})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("load %.3f capacity %.3f network load %.2f\n", st.Load(), st.Capacity(), st.NetworkLoad())
	for i, n := range s.Names() {
		fmt.Printf("%s %.3f ", n, st.NodeLoad(i))
	}
	fmt.Println()
	// Output:
	// load 0.375 capacity 2.667 network load 2.25
	// a 0.375 b 0.375 c 0.375 d 0.375 e 0.375 f 0.375
}

func ExampleWorkload() {
	s, err := quorum.Majority("a", "b", "c")
	if err != nil {
		fmt.Println(err)
		return
	}
	mixed, err := quorum.Distribution([]float64{0.1, 0.9}, []float64{3, 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	u, err := s.Uniform(mixed, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(mixed, u.Load())
	// Output:
	// {0.1: 0.75, 0.9: 0.25} 0.6666666666666666
}

func ExampleObjective() {
	s, err := quorum.Majority("a", "b", "c", "d", "e")
	if err != nil {
		fmt.Println(err)
		return
	}
	w, err := quorum.ReadFraction(0.5)
	if err != nil {
		fmt.Println(err)
		return
	}
	st, err := s.Optimal(quorum.Goal{Workload: w, Objective: quorum.MinNetworkLoad})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.NetworkLoad())
	// Output:
	// 3
}

func ExampleGoal() {
	s, err := quorum.Majority("a", "b", "c", "d", "e")
	if err != nil {
		fmt.Println(err)
		return
	}
	w, err := quorum.ReadFraction(0.5)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = s.Optimal(quorum.Goal{Workload: w, MaxLoad: 0.5})
	fmt.Println(err)
	st, err := s.Optimal(quorum.Goal{Workload: w, Resilience: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.1f\n", st.Load())
	// Output:
	// quorum: no strategy meets the limits: infeasible
	// 0.8
}

func ExampleAurora() {
	s := quorum.Aurora()
	reads, err := s.SurvivesZoneLoss(quorum.Read, quorum.AuroraZones, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	writes, err := s.SurvivesZoneLoss(quorum.Write, quorum.AuroraZones, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("reads survive a zone and one more:", reads)
	fmt.Println("writes survive a zone:", writes)
	// Output:
	// reads survive a zone and one more: true
	// writes survive a zone: true
}

func ExampleStrategy_At() {
	// The workload is given once, to Optimal; At measures the same strategy
	// under another workload, where it may not be the best.
	e, err := quorum.Parse("a*b*c + d*e*f")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := quorum.New(quorum.Config{Reads: e})
	if err != nil {
		fmt.Println(err)
		return
	}
	quarter, err := quorum.ReadFraction(0.25)
	if err != nil {
		fmt.Println(err)
		return
	}
	st, err := s.Optimal(quorum.Goal{Workload: quarter})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%v: load %.4f capacity %.4f\n", st.Workload(), st.Load(), st.Capacity())
	for _, f := range []float64{0, 0.5, 1} {
		w, err := quorum.ReadFraction(f)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%v: load %.4f\n", w, st.At(w).Load())
	}
	// Output:
	// read fraction 0.25: load 0.3750 capacity 2.6667
	// read fraction 0: load 0.3333
	// read fraction 0.5: load 0.4167
	// read fraction 1: load 0.5000
}

func ExampleStrategy_Sample() {
	e, err := quorum.Parse("a*b*c + d*e*f")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := quorum.New(quorum.Config{Reads: e})
	if err != nil {
		fmt.Println(err)
		return
	}
	rows, err := s.MinimalQuorums(quorum.Read)
	if err != nil {
		fmt.Println(err)
		return
	}
	cols, err := s.MinimalQuorums(quorum.Write)
	if err != nil {
		fmt.Println(err)
		return
	}
	w, err := quorum.ReadFraction(1)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Read the top row twice as often as the bottom one (quoracle's README).
	even := make([]float64, len(cols))
	for i := range even {
		even[i] = 1
	}
	st, err := s.Strategy(w, rows, []float64{2, 1}, cols, even)
	if err != nil {
		fmt.Println(err)
		return
	}
	r := rand.New(rand.NewPCG(1, 2)) // seeded: the same quorums every run
	top := 0
	for range 3000 {
		q, err := st.Sample(quorum.Read, r)
		if err != nil {
			fmt.Println(err)
			return
		}
		if q == rows[0] {
			top++
		}
	}
	fmt.Println(s.FormatSet(rows[0]), "drawn about 2000 times:", top > 1900 && top < 2100)
	// Output:
	// {a, b, c} drawn about 2000 times: true
}

func ExampleSystem_Uniform() {
	// Contacting sets that survive one failure: any two rows to read, all
	// six nodes to write (quoracle's uniform_strategy(f=1)).
	e, err := quorum.Parse("a*b + c*d + e*f")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := quorum.New(quorum.Config{Reads: e})
	if err != nil {
		fmt.Println(err)
		return
	}
	w, err := quorum.ReadFraction(0.5)
	if err != nil {
		fmt.Println(err)
		return
	}
	for f := range 2 {
		u, err := s.Uniform(w, f)
		if err != nil {
			fmt.Println(err)
			return
		}
		reads, _ := u.Quorums(quorum.Read)
		writes, _ := u.Quorums(quorum.Write)
		fmt.Printf("f=%d: %d read sets like %s, %d write sets like %s, load %.3f\n",
			f, len(reads), s.FormatSet(reads[0]), len(writes), s.FormatSet(writes[0]), u.Load())
	}
	// Output:
	// f=0: 3 read sets like {a, b}, 8 write sets like {a, c, e}, load 0.417
	// f=1: 3 read sets like {a, b, c, d}, 1 write sets like {a, b, c, d, e, f}, load 0.833
}

func ExampleSearch() {
	// The best system over five identical nodes for a read-heavy workload,
	// among those that survive one failure.
	nodes := []quorum.Node{}
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		nodes = append(nodes, quorum.Node{Name: n, ReadCapacity: 1, WriteCapacity: 1})
	}
	w, err := quorum.ReadFraction(0.9)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := quorum.Search(context.Background(), quorum.SearchConfig{
		Nodes:         nodes,
		Goal:          quorum.Goal{Workload: w},
		MinResilience: 1,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.System)
	fmt.Printf("load %.3f, %d systems examined, complete %v\n", res.Strategy.Load(), res.Examined, res.Complete)
	// Output:
	// reads: majority(a, b, c) + d*e; writes: majority(a, b, c)*(d + e)
	// load 0.420, 885 systems examined, complete true
}

func ExampleSearchConfig() {
	// Bounded: at most 20 candidates, the simplest first.
	nodes := []quorum.Node{}
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		nodes = append(nodes, quorum.Node{Name: n, ReadCapacity: 1, WriteCapacity: 1})
	}
	w, err := quorum.ReadFraction(0.5)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := quorum.Search(ctx, quorum.SearchConfig{Nodes: nodes, Goal: quorum.Goal{Workload: w}, MaxSystems: 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: load %.3f after %d systems, complete %v\n", res.System.Expr(quorum.Read), res.Strategy.Load(), res.Examined, res.Complete)
	// Output:
	// (a + b + c + d + e)*f: load 0.550 after 20 systems, complete false
}

func ExampleSearchResult() {
	// quoracle's README search: six nodes with different capacities and
	// latencies, 75% reads, 1-resilient strategies, latency at most 4 s and
	// network load at most 4, over systems of height at most 2.
	s := time.Second
	var nodes []quorum.Node
	for i, n := range []string{"a", "b", "c", "d", "e", "f"} {
		c := 10000.0
		if i%2 == 1 {
			c = 5000
		}
		nodes = append(nodes, quorum.Node{Name: n, ReadCapacity: c, WriteCapacity: c / 10, Latency: time.Duration(i+1) * s})
	}
	w, err := quorum.ReadFraction(0.75)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := quorum.Search(context.Background(), quorum.SearchConfig{
		Nodes:         nodes,
		Goal:          quorum.Goal{Workload: w, Resilience: 1, MaxLatency: 4 * s, MaxNetworkLoad: 4},
		MinResilience: 1,
		MaxHeight:     2,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	st := res.Strategy
	fmt.Println(res.System.Expr(quorum.Read))
	fmt.Printf("capacity %.0f latency %v network load %.4f\n", st.Capacity(), st.Latency().Round(time.Millisecond), st.NetworkLoad())
	// Output:
	// majority(a, b + d + f, c, e)
	// capacity 3500 latency 3.907s network load 3.9857
}
