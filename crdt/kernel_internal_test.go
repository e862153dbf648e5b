package crdt

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// refJoin is the join of two dot stores as Almeida et al. (2018, section
// 7.1) define it, on plain dot lists: a dot survives if both sides hold it,
// or if one side holds it and the other has not seen it.
func refJoin[K comparable](a, b map[K][]Dot, ca, cb CausalContext) map[K][]Dot {
	out := map[K][]Dot{}
	for _, key := range slices.Collect(maps.Keys(a)) {
		for _, d := range a[key] {
			if !cb.Contains(d) || slices.Contains(b[key], d) {
				out[key] = append(out[key], d)
			}
		}
	}
	for key, ds := range b {
		for _, d := range ds {
			if !ca.Contains(d) {
				out[key] = append(out[key], d)
			}
		}
	}
	for key, ds := range out {
		slices.SortFunc(ds, cmpDot)
		out[key] = slices.Compact(ds)
	}
	return out
}

// plain returns k's entries as dot lists.
func plain[K comparable](k kernel[K]) map[K][]Dot {
	out := map[K][]Dot{}
	for key, s := range k.entries {
		var buf [2]Dot
		out[key] = slices.Clone(k.list(key, s, &buf))
	}
	return out
}

// TestKernelJoinAgainstReference: the dot kernel's merge, with its inline
// slots, replica tables and fast paths (one context covering the other;
// small stores joined as lists),
// keeps exactly the dots of the join of Almeida et al. (2018, section
// 7.1) computed on plain dot lists, on random states of up to 40 replicas
// exchanging full states and deltas (so contexts have clouds and keys
// have up to several dots); and each result decodes back to itself.
func TestKernelJoinAgainstReference(t *testing.T) {
	defer func(n int) { smallStore = n }(smallStore)
	rapid.Check(t, func(t *rapid.T) {
		// Small stores take the list path unless the threshold is 0.
		smallStore = rapid.SampledFrom([]int{0, 16}).Draw(t, "smallStore")
		nStates := rapid.IntRange(2, 4).Draw(t, "states")
		nReps := rapid.IntRange(1, 10).Draw(t, "replicas per state")
		sets := make([]ORSet[int], nStates)
		var deltas []ORSet[int]
		for range rapid.IntRange(1, 60).Draw(t, "steps") {
			i := rapid.IntRange(0, nStates-1).Draw(t, "state")
			e := rapid.IntRange(0, 3).Draw(t, "element")
			switch rapid.IntRange(0, 6).Draw(t, "op") {
			case 0, 1:
				r := fmt.Sprintf("s%d-r%d", i, rapid.IntRange(0, nReps-1).Draw(t, "replica"))
				deltas = append(deltas, sets[i].Add(r, e))
			case 2:
				deltas = append(deltas, sets[i].Remove(fmt.Sprintf("s%d-r0", i), e))
			case 3:
				if rapid.IntRange(0, 3).Draw(t, "clear?") == 0 {
					deltas = append(deltas, sets[i].Clear(fmt.Sprintf("s%d-r0", i)))
				}
			case 4, 5:
				j := rapid.IntRange(0, nStates-1).Draw(t, "from")
				checkedMerge(t, &sets[i], sets[j].Clone())
			case 6:
				if len(deltas) > 0 {
					d := deltas[rapid.IntRange(0, len(deltas)-1).Draw(t, "delta")]
					checkedMerge(t, &sets[i], d.Clone())
				}
			}
		}
	})
}

func checkedMerge(t *rapid.T, s *ORSet[int], o ORSet[int]) {
	want := refJoin(plain(s.k), plain(o.k), s.k.ctx, o.k.ctx)
	before := s.String()
	if err := s.Merge(o); err != nil {
		return // a diverged copy (a state merged with a stale delta of itself, say): nothing to compare
	}
	if got := plain(s.k); !maps.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("merging %v into %v kept the dots %v, the join of the two dot stores keeps %v", o, before, got, want)
	}
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back ORSet[int]
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatalf("the merged state %v does not decode (%v): a merge must keep the kernel's invariants", s, err)
	}
	if !back.Equal(*s) {
		t.Fatalf("the merged state %v decodes as %v: Equal must not depend on the replica table", s, back)
	}
}

// TestKernelDotConflict: two copies of one replica that issued the same
// dot for different elements are told apart from a removal by the dots
// alone, when the stamps cannot show it (the receiver was cloned, so it
// has no record of its own updates, and the two heads differ in number):
// the dot check of ORSet.Merge (see ErrReplicaConflict) finds the dot
// under another element, among many, and a removed dot is no conflict.
func TestKernelDotConflict(t *testing.T) {
	var base ORSet[int]
	for i := range 1000 {
		base.Add("base", i)
	}
	a, b := base.Clone(), base.Clone()
	a.Add("r", -1) // r:1 for -1
	b.Add("r", -2) // r:1 again, for -2
	a.Add("r", -3) // r:2
	c := a.Clone()
	if err := c.Merge(b); !errors.Is(err, ErrReplicaConflict) {
		t.Fatalf("merging a copy that used dot r:1 for another element: got %v, want ErrReplicaConflict", err)
	}
	if !c.Equal(a) {
		t.Fatalf("a failed merge changed the receiver: %v", c)
	}
	d := a.Clone()
	d.Remove("r", -1) // r:1 removed: seen, not held
	if err := d.Merge(a); err != nil {
		t.Fatalf("merging a state holding a dot the receiver removed: %v, want no error", err)
	}
}

// TestKernelJoinSecondDot: a key with two dots on one side and only the
// second of them on the other (the first removed there), with equal
// contexts: both merge orders keep exactly the shared dot (Almeida et
// al. 2018, section 7.1), on the slot path and on the list path.
func TestKernelJoinSecondDot(t *testing.T) {
	defer func(n int) { smallStore = n }(smallStore)
	for _, small := range []int{0, 16} {
		smallStore = small
		var a, b ORSet[string]
		a.Add("a", "x") // a:1
		b.Add("b", "x") // b:1
		both := b.Clone()
		if err := both.Merge(a); err != nil {
			t.Fatal(err)
		}
		ac := a.Clone()
		second := b.Clone()
		if err := second.Merge(ac.Remove("a", "x")); err != nil { // a:1 seen and removed
			t.Fatal(err)
		}
		for _, c := range []struct{ into, from ORSet[string] }{{second.Clone(), both}, {both.Clone(), second}} {
			before := c.into.String()
			if err := c.into.Merge(c.from); err != nil {
				t.Fatal(err)
			}
			if got := c.into.String(); got != `{"x"@b:1} {a:1, b:1}` {
				t.Errorf("smallStore %d: merging %v into %v gave %s, want the shared dot b:1 only", small, c.from, before, got)
			}
		}
	}
}
