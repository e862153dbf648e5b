package failuredetector_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	fd "github.com/eventually-perfect/primitives/failuredetector"
	"github.com/eventually-perfect/primitives/sim"
)

// A simulated process that heartbeats to every peer and runs one ◇P
// detector per peer, recording each change of its suspicions.
type watcher struct {
	period time.Duration
	ds     map[string]*fd.EventuallyPerfect
	state  map[string]bool
	flips  map[string][]flip // per peer, in time order
}

type flip struct {
	at        time.Duration
	suspected bool
}

const checkEvery = 10 * time.Millisecond

func newWatcher(period time.Duration) *watcher {
	return &watcher{period: period, ds: map[string]*fd.EventuallyPerfect{}, state: map[string]bool{}, flips: map[string][]flip{}}
}

func (w *watcher) Start(ctx *sim.Context[string]) {
	for _, p := range ctx.Peers() {
		// Timeout 20 ms, below the 100 ms period: the detector starts out
		// far too aggressive and must learn.
		d, err := fd.NewEventuallyPerfect(fd.EventuallyPerfectConfig{Timeout: 20 * time.Millisecond, Increment: 20 * time.Millisecond})
		if err != nil {
			panic(err)
		}
		_ = d.Heartbeat(ctx.Now())
		w.ds[p] = d
	}
	ctx.SetTimer("beat", w.period)
	ctx.SetTimer("check", checkEvery)
}

func (w *watcher) Receive(ctx *sim.Context[string], from, _ string) {
	if d, ok := w.ds[from]; ok {
		_ = d.Heartbeat(ctx.Now())
		w.observe(ctx.Now(), from)
	}
}

func (w *watcher) Timeout(ctx *sim.Context[string], name string) {
	switch name {
	case "beat":
		ctx.Broadcast("hb")
		ctx.SetTimer("beat", w.period)
	case "check":
		for p := range w.ds {
			w.observe(ctx.Now(), p)
		}
		ctx.SetTimer("check", checkEvery)
	}
}

func (w *watcher) observe(now time.Duration, p string) {
	s := w.ds[p].Suspect(now)
	if s != w.state[p] {
		w.state[p] = s
		w.flips[p] = append(w.flips[p], flip{now, s})
	}
}

// lastFlip returns the last change of the suspicion of peer, if any.
func (w *watcher) lastFlip(peer string) (flip, bool) {
	f := w.flips[peer]
	if len(f) == 0 {
		return flip{}, false
	}
	return f[len(f)-1], true
}

// runEventuallyPerfect runs three watchers over a lossy network with
// delays up to maxDelay until gst (the global stabilisation time of Dwork,
// Lynch and Stockmeyer's partial synchrony), then a 5 ms network; c
// crashes at crash. It returns the watchers a and b.
func runEventuallyPerfect(t require.TestingT, seed uint64, maxDelay, gst, crash, end time.Duration) (a, b *watcher) {
	nodes := []string{"a", "b", "c"}
	s, err := sim.New(sim.Config{
		Seed:    seed,
		Nodes:   nodes,
		Link:    sim.LinkConfig{Latency: sim.Uniform(time.Millisecond, maxDelay), Loss: 0.2},
		NoTrace: true,
	}, func(string) sim.Node[string] { return newWatcher(100 * time.Millisecond) })
	require.NoError(t, err)
	s.At(gst, func(s *sim.Sim[string]) {
		for _, x := range nodes {
			for _, y := range nodes {
				if x != y {
					_ = s.SetLink(x, y, sim.LinkConfig{Latency: sim.Constant(5 * time.Millisecond)})
				}
			}
		}
	})
	s.At(crash, func(s *sim.Sim[string]) { _ = s.Crash("c") })
	require.NoError(t, s.RunFor(end))
	na, _ := s.Node("a")
	nb, _ := s.Node("b")
	return na.(*watcher), nb.(*watcher)
}

// Chandra and Toueg (1996), section 9.1: in a partially synchronous
// system, a detector that increases its timeout after each false
// suspicion is eventually perfect.
func TestEventuallyPerfectInSimulator(t *testing.T) {
	gst, crash, end := 5*time.Second, 10*time.Second, 20*time.Second
	a, b := runEventuallyPerfect(t, 1, 600*time.Millisecond, gst, crash, end)
	for _, w := range []*watcher{a, b} {
		// Strong completeness: the crashed c is suspected for ever, soon
		// after the crash.
		f, ok := w.lastFlip("c")
		require.True(t, ok)
		require.True(t, f.suspected, "strong completeness: crashed c ends suspected")
		require.Less(t, f.at, crash+2*time.Second, "c is suspected within 2 s of its crash")
		require.GreaterOrEqual(t, f.at, crash, "before its crash c was not suspected for good")
	}
	// Eventual strong accuracy: before stabilisation the detectors erred,
	// after it they stop suspecting the correct peer for good.
	for _, pair := range []struct {
		w    *watcher
		peer string
	}{{a, "b"}, {b, "a"}} {
		d := pair.w.ds[pair.peer]
		_, mistakes := d.Timeout()
		require.Greater(t, mistakes, 0, "the aggressive initial timeout made mistakes")
		f, ok := pair.w.lastFlip(pair.peer)
		require.True(t, ok)
		require.False(t, f.suspected, "eventual strong accuracy: correct %s ends trusted", pair.peer)
		require.Less(t, f.at, gst+time.Second, "no mistake about %s long after stabilisation", pair.peer)
	}
}

// The same two properties for random seeds, delay bounds and schedules.
func TestEventuallyPerfectProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		maxDelay := time.Duration(rapid.IntRange(1, 1000).Draw(t, "maxDelayMs")) * time.Millisecond
		gst := time.Duration(rapid.IntRange(0, 5000).Draw(t, "gstMs")) * time.Millisecond
		crash := gst + time.Duration(rapid.IntRange(0, 5000).Draw(t, "crashAfterGstMs"))*time.Millisecond
		end := crash + 10*time.Second
		a, b := runEventuallyPerfect(t, seed, maxDelay, gst, crash, end)
		for _, w := range []*watcher{a, b} {
			f, ok := w.lastFlip("c")
			if !ok || !f.suspected {
				t.Fatalf("strong completeness: crashed c is not suspected for good (flips %v)", w.flips["c"])
			}
		}
		for _, pair := range []struct {
			w    *watcher
			peer string
		}{{a, "b"}, {b, "a"}} {
			if f, ok := pair.w.lastFlip(pair.peer); ok && (f.suspected || f.at > crash+5*time.Second) {
				t.Fatalf("eventual strong accuracy: correct %s still suspected at %v (last change %v)", pair.peer, end, f)
			}
		}
	})
}
