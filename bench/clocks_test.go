// Side-by-side benchmarks of package clocks against peer libraries and
// baselines. Run them in interleaved passes of one test binary, so that
// both sides of every ratio are measured back to back under the same load
// (docs/benchmarks.md says how the figures there were made):
//
//	cd bench && ./interleave.sh 8 '^Benchmark(Lamport|Vector|Hybrid)' -test.benchtime 300ms > new.txt
//	go run ./cmd/benchratio new.txt
//	go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -col /impl new.txt
//
// The vector clocks are compared with bench/mapvc, a baseline written here
// the way GoVector's map-based clock is (merge in place, Compare that stops
// at the first sign of concurrency): impl=map. impl=map-copy and
// impl=map-full are the slower forms earlier figures used.
//
// The map-based vector clock encodes to JSON, as such clocks commonly do;
// impl=ours is our canonical binary form and impl=ours-json our JSON form,
// which rejects duplicate keys and so does more work than encoding/json's
// map decoding.
package bench

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventually-perfect/primitives/bench/mapvc"
	"github.com/eventually-perfect/primitives/clocks"
	"github.com/hashicorp/serf/serf"
)

var sinkU64 uint64
var sinkOrder int

func BenchmarkLamportTick(b *testing.B) {
	b.Run("impl=ours", func(b *testing.B) {
		b.ReportAllocs()
		var c clocks.Lamport
		for b.Loop() {
			sinkU64 = c.Tick()
		}
	})
	b.Run("impl=serf", func(b *testing.B) {
		b.ReportAllocs()
		var c serf.LamportClock
		for b.Loop() {
			sinkU64 = uint64(c.Increment())
		}
	})
}

func BenchmarkLamportWitness(b *testing.B) {
	b.Run("impl=ours", func(b *testing.B) {
		b.ReportAllocs()
		var c clocks.Lamport
		var t uint64
		for b.Loop() {
			t += 2
			sinkU64 = c.Witness(t)
		}
	})
	b.Run("impl=serf", func(b *testing.B) {
		b.ReportAllocs()
		var c serf.LamportClock
		var t serf.LamportTime
		for b.Loop() {
			t += 2
			c.Witness(t)
		}
	})
	b.Run("impl=serf-event", func(b *testing.B) {
		b.ReportAllocs()
		var c serf.LamportClock
		var t serf.LamportTime
		for b.Loop() {
			t += 2
			serfReceiveEvent(&c, t)
		}
	})
}

// serfReceiveEvent gives serf's clock the semantics of Lamport's IR2 that
// clocks.Lamport.Witness has: the receive is an event with its own time,
// greater than both the remote time and every earlier local time. serf's
// Witness alone only makes the clock exceed the remote time, and does
// nothing when the clock is already ahead, so a serf user who needs a time
// for the receive event ticks as well.
func serfReceiveEvent(c *serf.LamportClock, t serf.LamportTime) {
	c.Witness(t)
	sinkU64 = uint64(c.Increment())
}

func BenchmarkLamportTickParallel(b *testing.B) {
	b.Run("impl=ours", func(b *testing.B) {
		b.ReportAllocs()
		var c clocks.Lamport
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Tick()
			}
		})
	})
	b.Run("impl=serf", func(b *testing.B) {
		b.ReportAllocs()
		var c serf.LamportClock
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Increment()
			}
		})
	})
}

func BenchmarkLamportWitnessParallel(b *testing.B) {
	// Every goroutine witnesses a remote time that is usually ahead, the
	// case where a lock-free clock has to retry its compare-and-swap.
	b.Run("impl=ours", func(b *testing.B) {
		b.ReportAllocs()
		var c clocks.Lamport
		var remote atomic.Uint64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Witness(remote.Add(2))
			}
		})
	})
	b.Run("impl=serf", func(b *testing.B) {
		b.ReportAllocs()
		var c serf.LamportClock
		var remote atomic.Uint64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Witness(serf.LamportTime(remote.Add(2)))
			}
		})
	})
	b.Run("impl=serf-event", func(b *testing.B) {
		b.ReportAllocs()
		var c serf.LamportClock
		var remote atomic.Uint64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				serfReceiveEvent(&c, serf.LamportTime(remote.Add(2)))
			}
		})
	})
}

var vectorSizes = []int{4, 16, 64, 256}

func id(i int) string { return "node-" + strconv.Itoa(i) }

// vectorPair returns two concurrent clocks over the same n processes: the
// first is ahead on even entries, the second on odd ones. Compare must
// therefore walk every entry before it can answer, unless it stops at the
// first entry ahead on each side (as the map baseline does).
func vectorPair(n int) (clocks.Vector, clocks.Vector, mapvc.VC, mapvc.VC) {
	var a, b clocks.Vector
	ma, mb := mapvc.VC{}, mapvc.VC{}
	for i := range n {
		x, y := uint64(10+i), uint64(10+i)
		if i%2 == 0 {
			x++
		} else {
			y++
		}
		a.Set(id(i), x)
		b.Set(id(i), y)
		ma[id(i)], mb[id(i)] = x, y
	}
	return a, b, ma, mb
}

// orderedPair returns a clock and a descendant of it that differs in the
// last entry only, the common case when comparing replicas that are nearly
// in sync.
func orderedPair(n int) (clocks.Vector, clocks.Vector, mapvc.VC, mapvc.VC) {
	a, _, ma, _ := vectorPair(n)
	b, mb := a.Clone(), ma.Copy()
	b.Tick(id(n - 1))
	mb.Tick(id(n - 1))
	return a, b, ma, mb
}

// nearPair returns two concurrent clocks that agree everywhere except in
// two entries, one ahead on each side: two replicas that each made one
// update since they last synchronised. A comparison that stops at the
// first sign of concurrency has to find both entries first.
func nearPair(n int) (clocks.Vector, clocks.Vector, mapvc.VC, mapvc.VC) {
	a, _, ma, _ := vectorPair(n)
	b, mb := a.Clone(), ma.Copy()
	a.Tick(id(0))
	ma.Tick(id(0))
	b.Tick(id(n - 1))
	mb.Tick(id(n - 1))
	return a, b, ma, mb
}

func BenchmarkVectorCompare(b *testing.B) {
	pairs := map[string]func(int) (clocks.Vector, clocks.Vector, mapvc.VC, mapvc.VC){
		"concurrent": vectorPair, "ordered": orderedPair, "near": nearPair,
	}
	for _, n := range vectorSizes {
		for _, kind := range []string{"concurrent", "ordered", "near"} {
			pair := pairs[kind]
			x, y, mx, my := pair(n)
			b.Run(fmt.Sprintf("n=%d/case=%s/impl=ours", n, kind), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					sinkOrder = int(x.Compare(y))
				}
			})
			b.Run(fmt.Sprintf("n=%d/case=%s/impl=map", n, kind), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					sinkOrder = int(mx.Compare(my))
				}
			})
			b.Run(fmt.Sprintf("n=%d/case=%s/impl=map-full", n, kind), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					sinkOrder = int(mx.CompareFull(my))
				}
			})
		}
	}
}

func BenchmarkVectorMerge(b *testing.B) {
	for _, n := range vectorSizes {
		x, y, mx, my := vectorPair(n)
		b.Run(fmt.Sprintf("n=%d/impl=ours", n), func(b *testing.B) {
			b.ReportAllocs()
			// Merging into the same clock repeatedly is the steady state of
			// a replica receiving updates: after the first merge no entry is
			// new. The clone per iteration would hide that, so merge in place.
			z := x.Clone()
			for b.Loop() {
				z.Merge(y)
			}
		})
		b.Run(fmt.Sprintf("n=%d/impl=map", n), func(b *testing.B) {
			b.ReportAllocs()
			// In place, as GoVector merges: the same steady state as ours.
			z := mx.Copy()
			for b.Loop() {
				z.Merge(my)
			}
		})
		b.Run(fmt.Sprintf("n=%d/impl=map-copy", n), func(b *testing.B) {
			b.ReportAllocs()
			z := mx
			for b.Loop() {
				z = z.MergeCopy(my)
			}
		})
	}
}

func BenchmarkVectorTick(b *testing.B) {
	for _, n := range vectorSizes {
		x, _, mx, _ := vectorPair(n)
		who := id(n / 2)
		b.Run(fmt.Sprintf("n=%d/impl=ours", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkU64 = x.Tick(who)
			}
		})
		b.Run(fmt.Sprintf("n=%d/impl=map", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				mx.Tick(who)
			}
		})
	}
}

func BenchmarkVectorEncode(b *testing.B) {
	for _, n := range vectorSizes {
		x, _, mx, _ := vectorPair(n)
		b.Run(fmt.Sprintf("n=%d/impl=ours", n), func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				var err error
				buf, err = x.AppendBinary(buf[:0])
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(buf)), "bytes")
		})
		b.Run(fmt.Sprintf("n=%d/impl=ours-json", n), func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				var err error
				if buf, err = x.MarshalJSON(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(buf)), "bytes")
		})
		b.Run(fmt.Sprintf("n=%d/impl=map", n), func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				var err error
				if buf, err = mx.Marshal(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(buf)), "bytes")
		})
	}
}

func BenchmarkVectorDecode(b *testing.B) {
	for _, n := range vectorSizes {
		x, _, mx, _ := vectorPair(n)
		enc, err := x.MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		menc, err := mx.Marshal()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("n=%d/impl=ours", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var v clocks.Vector
				if err := v.UnmarshalBinary(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
		jenc, err := x.MarshalJSON()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("n=%d/impl=ours-json", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var v clocks.Vector
				if err := v.UnmarshalJSON(jenc); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("n=%d/impl=map", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := mapvc.Unmarshal(menc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHybridNow measures the hybrid logical clock's Now alone and with
// every goroutine contending for the one clock. The physical clock is a
// cheap counter so that the figure is the clock's own cost, not the cost of
// reading the system time (reported separately as impl=system).
func BenchmarkHybridNow(b *testing.B) {
	var fake atomic.Int64
	fake.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	physical := func() int64 { return fake.Add(1) }
	b.Run("mode=sequential/impl=ours", func(b *testing.B) {
		b.ReportAllocs()
		c := clocks.NewHybrid(physical, 0)
		for b.Loop() {
			c.Now()
		}
	})
	b.Run("mode=parallel/impl=ours", func(b *testing.B) {
		b.ReportAllocs()
		c := clocks.NewHybrid(physical, 0)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Now()
			}
		})
	})
	b.Run("mode=parallel/impl=system", func(b *testing.B) {
		b.ReportAllocs()
		c := clocks.NewHybrid(clocks.SystemClock, 0)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Now()
			}
		})
	})
}
