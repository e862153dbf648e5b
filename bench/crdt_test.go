// Side-by-side benchmarks of package crdt against baselines. No Go CRDT
// library could be fetched through the module proxy when these were
// written (github.com/neurodrone/crdt, github.com/TykTechnologies/crdt and
// github.com/DarkInno/crdt were all refused, November 2026; the peers the
// issue names are in Rust, Erlang and Scala), so the peer is a baseline
// written here from the definitions:
// the classic observed-remove set with tombstones (Shapiro et al. 2011,
// specification 15), each add tagged with a unique (replica, counter) tag
// and each removed tag kept for ever. Run:
//
//	cd bench && go test -run '^$' -bench 'ORSet|Counter' -benchmem -benchtime 300ms
package bench

import (
	"fmt"
	"testing"

	"github.com/eventually-perfect/primitives/crdt"
)

// tag is the unique identifier of one add in the tombstone set.
type tag struct {
	replica string
	n       uint64
}

// tombSet is the classic OR-Set: live tags per element and a set of
// removed tags (tombstones) that only grows.
type tombSet struct {
	live  map[int]map[tag]struct{}
	tombs map[tag]struct{}
	next  map[string]uint64
}

func newTombSet() *tombSet {
	return &tombSet{map[int]map[tag]struct{}{}, map[tag]struct{}{}, map[string]uint64{}}
}

func (s *tombSet) add(replica string, e int) {
	s.next[replica]++
	t := tag{replica, s.next[replica]}
	if s.live[e] == nil {
		s.live[e] = map[tag]struct{}{}
	}
	s.live[e][t] = struct{}{}
}

func (s *tombSet) remove(e int) {
	for t := range s.live[e] {
		s.tombs[t] = struct{}{}
	}
	delete(s.live, e)
}

// merge: union of tombstones; live tags of both sides minus tombstones.
func (s *tombSet) merge(o *tombSet) {
	for t := range o.tombs {
		s.tombs[t] = struct{}{}
	}
	for e, ts := range s.live {
		for t := range ts {
			if _, dead := s.tombs[t]; dead {
				delete(ts, t)
			}
		}
		if len(ts) == 0 {
			delete(s.live, e)
		}
	}
	for e, ts := range o.live {
		for t := range ts {
			if _, dead := s.tombs[t]; dead {
				continue
			}
			if s.live[e] == nil {
				s.live[e] = map[tag]struct{}{}
			}
			s.live[e][t] = struct{}{}
		}
	}
	for r, n := range o.next {
		s.next[r] = max(s.next[r], n)
	}
}

func (s *tombSet) clone() *tombSet {
	c := newTombSet()
	for e, ts := range s.live {
		m := make(map[tag]struct{}, len(ts))
		for t := range ts {
			m[t] = struct{}{}
		}
		c.live[e] = m
	}
	for t := range s.tombs {
		c.tombs[t] = struct{}{}
	}
	for r, n := range s.next {
		c.next[r] = n
	}
	return c
}

// BenchmarkORSetMerge merges two replicas of n elements each (half
// shared), after each replica added and removed n/2 other elements (so
// the baseline carries n/2 tombstones per side).
func BenchmarkORSetMerge(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("n=%d/impl=ours", n), func(b *testing.B) {
			var x, y crdt.ORSet[int]
			for i := range n {
				x.Add("x", i)
				y.Add("y", i+n/2)
			}
			for i := range n / 2 {
				x.Add("x", -1-i)
				x.Remove("x", -1-i)
				y.Add("y", -1-i)
				y.Remove("y", -1-i)
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
		})
		b.Run(fmt.Sprintf("n=%d/impl=tombstones", n), func(b *testing.B) {
			x, y := newTombSet(), newTombSet()
			for i := range n {
				x.add("x", i)
				y.add("y", i+n/2)
			}
			for i := range n / 2 {
				x.add("x", -1-i)
				x.remove(-1 - i)
				y.add("y", -1-i)
				y.remove(-1 - i)
			}
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				z := x.clone()
				b.StartTimer()
				z.merge(y)
			}
		})
	}
}

// BenchmarkCounterMerge merges GCounters of 100 replicas: ours (a sorted
// vector) against a map from replica to count.
func BenchmarkCounterMerge(b *testing.B) {
	var g1, g2 crdt.GCounter
	m1, m2 := map[string]uint64{}, map[string]uint64{}
	for i := range 100 {
		id := fmt.Sprintf("replica-%03d", i)
		g1.Inc(id, uint64(i+1))
		g2.Inc(id, uint64(100-i))
		m1[id], m2[id] = uint64(i+1), uint64(100-i)
	}
	b.Run("impl=ours", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			g1.Merge(g2)
		}
	})
	b.Run("impl=map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for k, v := range m2 {
				m1[k] = max(m1[k], v)
			}
		}
	})
}
