package crdt_test

import (
	"fmt"
	"testing"

	"github.com/eventually-perfect/primitives/crdt"
)

// BenchmarkORSetMerge merges two replicas' sets of n elements each (half
// of them shared), reporting ns per element of the two sets (2n): growth
// should be linear. The two replicas have never exchanged anything, so
// neither has seen a dot of the other, every element of one is looked up
// in the other and the shared half ends with two dots. The comparison
// with an ORSWOT written the way riak_dt and rust-crdts write it runs in
// bench/ (docs/benchmarks.md); riak_dt itself, in Erlang, was never
// measured here.
func BenchmarkORSetMerge(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var x, y crdt.ORSet[int]
			for i := range n {
				x.Add("x", i)
				y.Add("y", i+n/2)
			}
			benchMerge(b, x, y, 2*n)
		})
	}
}

// BenchmarkORSetMergeSynced merges replicas that share a history of n
// elements, as anti-entropy between replicas in touch does, reporting ns
// per element of the two sets (2n):
//   - diverged: since the common state each replica added n/100 new
//     elements and removed n/100 old ones (every element of each side is
//     looked up in the other);
//   - stale: the receiver missed the other's n/100 adds and removes (the
//     other side's context covers the receiver's);
//   - behind: the other side is the stale one (the receiver's context
//     covers it: it brings nothing new).
func BenchmarkORSetMergeSynced(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		var base crdt.ORSet[int]
		for i := range n {
			base.Add("a", i)
		}
		x, y := base.Clone(), base.Clone()
		for i := range n / 100 {
			x.Add("x", n+i)
			x.Remove("x", i)
			y.Add("y", 2*n+i)
			y.Remove("y", n/2+i)
		}
		ahead := base.Clone()
		for i := range n / 100 {
			ahead.Add("b", n+i)
			ahead.Remove("b", i)
		}
		b.Run(fmt.Sprintf("%d/diverged", n), func(b *testing.B) { benchMerge(b, x, y, 2*n) })
		b.Run(fmt.Sprintf("%d/stale", n), func(b *testing.B) { benchMerge(b, base, ahead, 2*n) })
		b.Run(fmt.Sprintf("%d/behind", n), func(b *testing.B) { benchMerge(b, ahead, base, 2*n) })
	}
}

// benchMerge times merging y into copies of x (the copies are made with
// the timer stopped) and reports ns per element of the two sets.
func benchMerge(b *testing.B, x, y crdt.ORSet[int], elements int) {
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		z := x.Clone()
		b.StartTimer()
		if err := z.Merge(y); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(elements), "ns/element")
}

// BenchmarkORSetDeltaSize reports the size of the delta of one Add to a
// 10,000-element set relative to the full state's (the issue asks for at
// most 1%), and the size of that set once emptied by removes.
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
	b.ReportMetric(float64(len(full)), "full-bytes")
	// The same set with every element removed: no tombstones, just the
	// causal context.
	for i := range 10000 {
		s.Remove("a", i)
	}
	empty, _ := s.MarshalBinary()
	b.ReportMetric(float64(len(empty)), "emptied-bytes")
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

// BenchmarkORMapMerge merges two maps of 1,000 keys, each an ORSet of a
// few elements, updated at 20 replicas per side (so the values' merges,
// one per key, each resolve the replicas against the maps' contexts).
func BenchmarkORMapMerge(b *testing.B) {
	var x, y crdt.ORMap[int, crdt.ORSet[int]]
	for i := range 1000 {
		for j := range 3 {
			rx, ry := fmt.Sprintf("x%02d", (i+j)%20), fmt.Sprintf("y%02d", (i+j)%20)
			mustUpdate(&x, rx, i, func(s *crdt.ORSet[int], r string) crdt.ORSet[int] { return s.Add(r, j) })
			mustUpdate(&y, ry, i+500, func(s *crdt.ORSet[int], r string) crdt.ORSet[int] { return s.Add(r, j) })
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		z := x.Clone()
		b.StartTimer()
		if err := z.Merge(y); err != nil {
			b.Fatal(err)
		}
	}
}
