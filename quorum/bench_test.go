package quorum_test

import (
	"testing"

	"github.com/eventually-perfect/primitives/quorum"
)

func benchSystems(b *testing.B) map[string]*quorum.System {
	b.Helper()
	m5, _ := quorum.Majority(names(5)...)
	m64, _ := quorum.Majority(names(64)...)
	g, _ := quorum.GridNames(5, 5)
	g5, _ := quorum.Grid(g)
	return map[string]*quorum.System{"majority5": m5, "majority64": m64, "grid5x5": g5}
}

// BenchmarkIsQuorum: membership checks without allocation (issue 4: up to
// 64 nodes).
func BenchmarkIsQuorum(b *testing.B) {
	for _, name := range []string{"majority5", "majority64", "grid5x5"} {
		s := benchSystems(b)[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			set := s.All() &^ 0b1010
			n := 0
			for i := 0; b.Loop(); i++ {
				if s.IsQuorum(quorum.Side(i&1), set) {
					n++
				}
			}
			_ = n
		})
	}
}

// BenchmarkTrackerVote: one recorded vote and its result, per vote.
func BenchmarkTrackerVote(b *testing.B) {
	for _, name := range []string{"majority5", "majority64", "grid5x5"} {
		s := benchSystems(b)[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			t := quorum.NewTracker(s, quorum.Write)
			n := s.Len()
			i := 0
			for b.Loop() {
				if i == n {
					t.Reset()
					i = 0
				}
				t.Vote(i, i%3 != 0)
				i++
			}
		})
	}
}

func BenchmarkCommittedIndex(b *testing.B) {
	for _, name := range []string{"majority5", "majority64", "grid5x5"} {
		s := benchSystems(b)[name]
		acked := make([]uint64, s.Len())
		for i := range acked {
			acked[i] = uint64(i*7919) % 1000
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.CommittedIndex(quorum.Write, acked)
			}
		})
	}
}

// BenchmarkAnalysisGrid2x3 is the full analysis of quoracle's running
// example: build, minimal quorums, resiliences, optimal strategy and its
// measures (issue 4: well under a millisecond).
func BenchmarkAnalysisGrid2x3(b *testing.B) {
	b.ReportAllocs()
	w, _ := quorum.ReadFraction(0.25)
	for b.Loop() {
		e, _ := quorum.Parse("a*b*c + d*e*f")
		s, _ := quorum.New(quorum.Config{Reads: e})
		s.MinimalQuorums(quorum.Read)
		s.MinimalQuorums(quorum.Write)
		s.Resilience(quorum.Read)
		s.Resilience(quorum.Write)
		st, err := s.Optimal(quorum.Goal{Workload: w})
		if err != nil {
			b.Fatal(err)
		}
		st.Load()
		st.Capacity()
		for i := range s.Len() {
			st.NodeLoad(i)
		}
	}
}

// BenchmarkOptimalGrid5x5: the optimal strategy of a 5x5 grid, whose 3125
// write quorums are the linear program's columns (issue 4: under 100 ms).
func BenchmarkOptimalGrid5x5(b *testing.B) {
	b.ReportAllocs()
	s := benchSystems(b)["grid5x5"]
	w, _ := quorum.ReadFraction(0.25)
	for b.Loop() {
		if _, err := s.Optimal(quorum.Goal{Workload: w}); err != nil {
			b.Fatal(err)
		}
	}
}
