package sim_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/eventually-perfect/primitives/sim"
)

// hbNode is the hold-back tests' protocol: every node sends a numbered
// beat to every peer every millisecond, beats times (100 by default), and
// remembers when (true time) it received each beat.
type hbNode struct {
	beats int
	sent  int
	got   map[string][]hbGot // per sender, in arrival order
}

type hbGot struct {
	n  int
	at time.Duration
}

func (h *hbNode) Start(ctx *sim.Context[int]) {
	h.got = map[string][]hbGot{}
	ctx.SetTimer("beat", time.Millisecond)
}

func (h *hbNode) Receive(ctx *sim.Context[int], from string, n int) {
	h.got[from] = append(h.got[from], hbGot{n: n, at: ctx.Now()})
}

func (h *hbNode) Timeout(ctx *sim.Context[int], _ string) {
	h.sent++
	ctx.Broadcast(h.sent)
	if h.sent < h.beats {
		ctx.SetTimer("beat", time.Millisecond)
	}
}

func newHB(t require.TestingT, seed uint64, link sim.LinkConfig, nodes ...string) *sim.Sim[int] {
	return newHBN(t, seed, 100, link, nodes...)
}

func newHBN(t require.TestingT, seed uint64, beats int, link sim.LinkConfig, nodes ...string) *sim.Sim[int] {
	s, err := sim.New(sim.Config{Seed: seed, Nodes: nodes, Link: link}, func(string) sim.Node[int] { return &hbNode{beats: beats} })
	require.NoError(t, err)
	return s
}

func hbGotFrom(t require.TestingT, s *sim.Sim[int], to, from string) []hbGot {
	n, ok := s.Node(to)
	require.True(t, ok)
	return n.(*hbNode).got[from]
}

// A held link delays what is sent on it while the hold lasts, and loses
// nothing: the beats a sends to b from 10ms to 60ms all arrive, at 61ms
// (the end of the hold plus the 1ms latency), ahead of the beats sent
// after; the other direction and other links are untouched.
func TestHoldDelaysWithoutLoss(t *testing.T) {
	s := newHB(t, 1, sim.LinkConfig{}, "a", "b", "c")
	ms := time.Millisecond
	s.At(10*ms, func(s *sim.Sim[int]) { require.NoError(t, s.Hold("a", "b", 50*ms)) })
	require.NoError(t, s.Run())

	st := s.Stats()
	assert.Zero(t, st.Drops, "a hold must not lose anything")
	assert.Equal(t, st.Sends, st.Deliveries, "every message sent is delivered")
	assert.Equal(t, 50, st.Held, "beats 10 to 59 of a to b are held")

	got := hbGotFrom(t, s, "b", "a")
	require.Len(t, got, 100, "b receives every beat of a")
	for i, g := range got {
		switch sent := time.Duration(g.n) * ms; {
		case sent >= 10*ms && sent < 60*ms:
			assert.Equal(t, 61*ms, g.at, "beat %d, sent during the hold, arrives when it ends plus the latency", g.n)
		default:
			assert.Equal(t, sent+ms, g.at, "beat %d, sent outside the hold, takes the latency only", g.n)
		}
		assert.Equal(t, i+1, g.n, "held beats arrive in the order sent, ahead of later ones (constant latency)")
	}
	for _, other := range [][2]string{{"b", "a"}, {"c", "b"}, {"a", "c"}} {
		for _, g := range hbGotFrom(t, s, other[1], other[0]) {
			assert.Equal(t, time.Duration(g.n)*ms+ms, g.at, "the hold of a->b delayed %s->%s", other[0], other[1])
		}
	}
	faults := coreEvents(s.Trace(), sim.Fault)
	require.Len(t, faults, 1)
	assert.Equal(t, "hold a->b for 50ms", faults[0].Text)
}

// HoldIf holds a class of messages, on every link: here the even beats
// of c, for 30ms from 20ms. Odd beats and other senders' beats go through
// on time.
func TestHoldIfHoldsAClass(t *testing.T) {
	s := newHB(t, 1, sim.LinkConfig{}, "a", "b", "c")
	ms := time.Millisecond
	s.At(20*ms, func(s *sim.Sim[int]) {
		require.NoError(t, s.HoldIf("even beats of c", 30*ms, func(from, _ string, n int) bool { return from == "c" && n%2 == 0 }))
	})
	require.NoError(t, s.Run())
	assert.Equal(t, 2*15, s.Stats().Held, "c's even beats 20 to 48, to a and to b")
	assert.Zero(t, s.Stats().Drops)
	for _, to := range []string{"a", "b"} {
		got := hbGotFrom(t, s, to, "c")
		require.Len(t, got, 100)
		for _, g := range got {
			sent := time.Duration(g.n) * ms
			if g.n%2 == 0 && sent >= 20*ms && sent < 50*ms {
				assert.Equal(t, 51*ms, g.at, "even beat %d of c is held until 50ms", g.n)
			} else {
				assert.Equal(t, sent+ms, g.at, "beat %d of c is not in the class", g.n)
			}
		}
		for _, g := range hbGotFrom(t, s, to, "a") {
			assert.Equal(t, time.Duration(g.n)*ms+ms, g.at, "a's beats are not in the class")
		}
	}
	assert.Equal(t, "hold even beats of c for 30ms", coreEvents(s.Trace(), sim.Fault)[0].Text)
}

// A held message meets the network as it is when the hold ends: a
// partition under way then drops it, and a crashed destination too. The
// hold only delays.
func TestHoldThenPartitionDrops(t *testing.T) {
	s := newHB(t, 1, sim.LinkConfig{}, "a", "b")
	ms := time.Millisecond
	s.At(10*ms, func(s *sim.Sim[int]) { require.NoError(t, s.Hold("a", "b", 10*ms)) })
	s.At(15*ms, func(s *sim.Sim[int]) { require.NoError(t, s.Partition([]string{"a"}, []string{"b"})) })
	s.At(25*ms, func(s *sim.Sim[int]) { s.Heal() })
	require.NoError(t, s.Run())
	got := hbGotFrom(t, s, "b", "a")
	for _, g := range got {
		assert.False(t, g.n >= 10 && g.n < 25, "beat %d was sent before the partition healed and arrived while it was under way, yet was delivered", g.n)
	}
	assert.Len(t, got, 100-15, "beats 10 to 24 of a are lost to the partition (10 to 14 when their hold ends)")
}

func TestHoldRejectsBadArguments(t *testing.T) {
	s := newHB(t, 1, sim.LinkConfig{}, "a", "b")
	assert.ErrorIs(t, s.Hold("a", "z", time.Second), sim.ErrUnknownNode)
	assert.ErrorIs(t, s.Hold("z", "a", time.Second), sim.ErrUnknownNode)
	assert.ErrorIs(t, s.Hold("a", "a", time.Second), sim.ErrInvalidConfig)
	assert.ErrorIs(t, s.Hold("a", "b", -time.Second), sim.ErrInvalidConfig)
	assert.ErrorIs(t, s.HoldIf("x", time.Second, nil), sim.ErrInvalidConfig)
	assert.ErrorIs(t, s.HoldIf("x", -1, func(string, string, int) bool { return true }), sim.ErrInvalidConfig)
	assert.Empty(t, coreEvents(s.Trace(), sim.Fault), "a rejected hold records nothing")
}

// The law of a hold, under random latencies, duplication and several
// overlapping holds: a message sent while a hold that matches it is under
// way is delivered (never lost: there is no other fault), and no earlier
// than the end of the last such hold; and holds neither lose nor add
// messages: every link delivers as many as in the same run without them.
func TestHoldLaw(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ms := time.Millisecond
		seed := rapid.Uint64().Draw(t, "seed")
		link := sim.LinkConfig{Latency: sim.Uniform(ms/2, 3*ms), Duplicate: 0.1}
		nodes := []string{"a", "b", "c"}
		type h struct {
			from, to   string
			start, end time.Duration
		}
		var holds []h
		s := newHBN(t, seed, 25, link, nodes...)
		for range rapid.IntRange(0, 3).Draw(t, "holds") {
			from := rapid.SampledFrom(nodes).Draw(t, "from")
			to := rapid.SampledFrom(nodes).Filter(func(x string) bool { return x != from }).Draw(t, "to")
			start := time.Duration(rapid.IntRange(0, 25).Draw(t, "start ms")) * ms
			d := time.Duration(rapid.IntRange(0, 20).Draw(t, "for ms")) * ms
			holds = append(holds, h{from, to, start, start + d})
			s.At(start, func(s *sim.Sim[int]) {
				if err := s.Hold(from, to, d); err != nil {
					t.Fatal(err)
				}
			})
		}
		if err := s.Run(); err != nil {
			t.Fatal(err)
		}
		if st := s.Stats(); st.Drops != 0 || st.Sends+st.Duplicates != st.Deliveries {
			t.Fatalf("a hold must delay, not lose: %+v", st)
		}
		// Without holds, the same seed gives the same latencies: compare
		// with a run without them.
		free := newHBN(t, seed, 25, link, nodes...)
		if err := free.Run(); err != nil {
			t.Fatal(err)
		}
		for _, to := range nodes {
			for _, from := range nodes {
				if from == to {
					continue
				}
				var last time.Duration
				for _, g := range hbGotFrom(t, s, to, from) {
					sent := time.Duration(g.n) * ms
					for _, x := range holds {
						// A beat sent at the very moment a hold starts may
						// leave before it or after it, in scheduling order.
						if x.from == from && x.to == to && sent > x.start && sent < x.end {
							last = max(last, x.end)
						}
					}
					if g.at < last {
						t.Fatalf("beat %d of %s to %s was held until %v but arrived at %v", g.n, from, to, last, g.at)
					}
				}
				if a, b := len(hbGotFrom(t, s, to, from)), len(hbGotFrom(t, free, to, from)); a != b {
					t.Fatalf("%s received %d beats of %s with holds, %d without: holds must not lose or add messages", to, a, from, b)
				}
			}
		}
	})
}

// Node a beats to b every millisecond; the link a->b is held from 3ms
// to 8ms. The five beats sent meanwhile arrive together when the hold
// ends (plus the 1ms latency), none is lost, and the beats after them are
// on time again.
func ExampleSim_Hold() {
	s, err := sim.New(sim.Config{Nodes: []string{"a", "b"}}, func(string) sim.Node[int] { return &hbNode{beats: 100} })
	if err != nil {
		fmt.Println(err)
		return
	}
	// Hold what a sends to b from 3ms to 8ms.
	s.At(3*time.Millisecond, func(s *sim.Sim[int]) {
		if err := s.Hold("a", "b", 5*time.Millisecond); err != nil {
			fmt.Println(err)
		}
	})
	if err := s.RunFor(12 * time.Millisecond); err != nil {
		fmt.Println(err)
		return
	}
	n, _ := s.Node("b")
	for _, g := range n.(*hbNode).got["a"] {
		fmt.Printf("beat %d arrived at %v\n", g.n, g.at)
	}
	fmt.Println(s.Stats().Held, "held,", s.Stats().Drops, "lost")
	fmt.Println(errors.Is(s.Hold("a", "z", time.Second), sim.ErrUnknownNode))
	// Output:
	// beat 1 arrived at 2ms
	// beat 2 arrived at 3ms
	// beat 3 arrived at 9ms
	// beat 4 arrived at 9ms
	// beat 5 arrived at 9ms
	// beat 6 arrived at 9ms
	// beat 7 arrived at 9ms
	// beat 8 arrived at 9ms
	// beat 9 arrived at 10ms
	// beat 10 arrived at 11ms
	// beat 11 arrived at 12ms
	// 5 held, 0 lost
	// true
}
