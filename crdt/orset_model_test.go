package crdt_test

import (
	"maps"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/eventually-perfect/primitives/crdt"
)

// tombORSet is the reference model: the original observed-remove set of
// Shapiro et al. (2011, specification 15), with a unique tag per add and
// every removed tag kept as a tombstone. It is simple enough to trust by
// reading, and the optimised ORSet must show the same elements.
type tombORSet struct {
	tags  map[crdt.Dot]int // live tag -> element
	tombs map[crdt.Dot]bool
	next  uint64
}

func newTomb() *tombORSet { return &tombORSet{map[crdt.Dot]int{}, map[crdt.Dot]bool{}, 0} }

func (s *tombORSet) add(r string, e int, uniq uint64) {
	s.tags[crdt.Dot{Replica: r, Counter: uniq}] = e
}

func (s *tombORSet) remove(e int) {
	for t, x := range s.tags {
		if x == e {
			s.tombs[t] = true
			delete(s.tags, t)
		}
	}
}

func (s *tombORSet) clear() {
	for t := range s.tags {
		s.tombs[t] = true
	}
	clear(s.tags)
}

func (s *tombORSet) merge(o *tombORSet) {
	maps.Copy(s.tombs, o.tombs)
	for t, e := range o.tags {
		s.tags[t] = e
	}
	for t := range s.tags {
		if s.tombs[t] {
			delete(s.tags, t)
		}
	}
}

func (s *tombORSet) clone() *tombORSet {
	return &tombORSet{maps.Clone(s.tags), maps.Clone(s.tombs), s.next}
}

func (s *tombORSet) elements() []int {
	set := map[int]bool{}
	for _, e := range s.tags {
		set[e] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// TestORSetAgainstTombstoneModel: on random histories of adds, removes,
// clears and merges on three replicas, the optimised ORSet without
// tombstones shows exactly the elements of the classic OR-Set with
// tombstones (Bieniusa et al. 2012 prove the two equivalent).
func TestORSetAgainstTombstoneModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ids := []string{"a", "b", "c"}
		var sets [3]crdt.ORSet[int]
		var models [3]*tombORSet
		for i := range models {
			models[i] = newTomb()
		}
		var uniq uint64
		for range rapid.IntRange(1, 40).Draw(t, "steps") {
			i := rapid.IntRange(0, 2).Draw(t, "replica")
			e := rapid.IntRange(0, 3).Draw(t, "element")
			switch rapid.IntRange(0, 4).Draw(t, "op") {
			case 0, 1:
				uniq++
				sets[i].Add(ids[i], e)
				models[i].add(ids[i], e, uniq)
			case 2:
				sets[i].Remove(ids[i], e)
				models[i].remove(e)
			case 3:
				sets[i].Clear(ids[i])
				models[i].clear()
			case 4:
				j := rapid.IntRange(0, 2).Draw(t, "from")
				if err := sets[i].Merge(sets[j].Clone()); err != nil {
					t.Fatal(err)
				}
				models[i].merge(models[j].clone())
			}
			for k := range sets {
				got, want := sets[k].Elements(), models[k].elements()
				if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
					t.Fatalf("replica %s shows %v, the tombstone OR-Set shows %v: the optimised set must keep the observed-remove semantics\n state = %v",
						ids[k], got, want, sets[k])
				}
			}
		}
	})
}
