package bench

import (
	"testing"

	"github.com/eventually-perfect/primitives/bench/mapvc"
	"github.com/eventually-perfect/primitives/clocks"
)

// TestMapVCAgrees checks that the map baseline answers as clocks.Vector on
// the benchmark inputs, so that both sides of BenchmarkVectorCompare and
// BenchmarkVectorMerge do the same job.
func TestMapVCAgrees(t *testing.T) {
	want := map[clocks.Order]mapvc.Order{
		clocks.Equal: mapvc.Equal, clocks.Before: mapvc.Before,
		clocks.After: mapvc.After, clocks.Concurrent: mapvc.Concurrent,
	}
	for _, n := range vectorSizes {
		for _, pair := range []func(int) (clocks.Vector, clocks.Vector, mapvc.VC, mapvc.VC){vectorPair, orderedPair, nearPair} {
			x, y, mx, my := pair(n)
			for _, c := range [][4]any{{x, y, mx, my}, {y, x, my, mx}, {x, x, mx, mx}} {
				a, b := c[0].(clocks.Vector), c[1].(clocks.Vector)
				ma, mb := c[2].(mapvc.VC), c[3].(mapvc.VC)
				w := want[a.Compare(b)]
				if got := ma.Compare(mb); got != w {
					t.Errorf("n=%d: Compare = %v, clocks.Vector says %v", n, got, w)
				}
				if got := ma.CompareFull(mb); got != w {
					t.Errorf("n=%d: CompareFull = %v, clocks.Vector says %v", n, got, w)
				}
			}
			z, mz := x.Clone(), mx.Copy()
			z.Merge(y)
			mz.Merge(my)
			mc := mx.MergeCopy(my)
			if len(mz) != z.Len() || len(mc) != z.Len() {
				t.Fatalf("n=%d: merged sizes %d and %d, clocks.Vector %d", n, len(mz), len(mc), z.Len())
			}
			for k, v := range mz {
				if z.Get(k) != v || mc[k] != v {
					t.Errorf("n=%d: entry %s: in place %d, copy %d, clocks.Vector %d", n, k, v, mc[k], z.Get(k))
				}
			}
		}
	}
}
