package crdt_test

import (
	"fmt"
	"testing"

	"github.com/eventually-perfect/primitives/crdt"
)

// BenchmarkORSetMerge merges two replicas' sets of n elements each (half
// of them shared), reporting ns per element: growth should be linear. The
// issue's yardstick is riak_dt's ORSWOT, about 0.75 s for 100,000
// elements.
func BenchmarkORSetMerge(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var x, y crdt.ORSet[int]
			for i := range n {
				x.Add("x", i)
				y.Add("y", i+n/2)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				z := x.Clone()
				b.StartTimer()
				if err := z.Merge(y); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(2*n), "ns/element")
		})
	}
}

// BenchmarkORSetDeltaSize reports the size of the delta of one Add to a
// 10,000-element set relative to the full state's (the issue asks for at
// most 1%).
func BenchmarkORSetDeltaSize(b *testing.B) {
	var s crdt.ORSet[int]
	for i := range 10000 {
		s.Add("a", i)
	}
	full, _ := s.MarshalBinary()
	var delta []byte
	b.ReportAllocs()
	for b.Loop() {
		c := s.Clone()
		d := c.Add("a", -1)
		delta, _ = d.MarshalBinary()
	}
	b.ReportMetric(100*float64(len(delta))/float64(len(full)), "%of-full")
	b.ReportMetric(float64(len(delta)), "delta-bytes")
}

// BenchmarkCounterMerge merges counters of 100 replicas.
func BenchmarkCounterMerge(b *testing.B) {
	var g1, g2 crdt.GCounter
	var p1, p2 crdt.PNCounter
	for i := range 100 {
		id := fmt.Sprintf("replica-%03d", i)
		g1.Inc(id, uint64(i+1))
		g2.Inc(id, uint64(100-i))
		p1.Inc(id, uint64(i+1))
		p1.Dec(id, 1)
		p2.Inc(id, uint64(100-i))
		p2.Dec(id, 2)
	}
	b.Run("GCounter", func(b *testing.B) {
		b.ReportAllocs()
		x := g1.Clone()
		for b.Loop() {
			x.Merge(g2)
		}
	})
	b.Run("PNCounter", func(b *testing.B) {
		b.ReportAllocs()
		x := p1.Clone()
		for b.Loop() {
			x.Merge(p2)
		}
	})
}

func BenchmarkORSetAdd(b *testing.B) {
	var s crdt.ORSet[int]
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Add("a", i%1000)
		i++
	}
}
