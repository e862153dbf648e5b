package sim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/sim"
)

// coreEvents returns the trace events of a kind.
func coreEvents(tr *sim.Trace, kind sim.EventKind) []sim.Event {
	var out []sim.Event
	for _, e := range tr.Events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// coreInjectN injects n requests from client to node, numbered from 0.
func coreInjectN(t *testing.T, s *sim.Sim[coreMsg], client, node string, n int) {
	t.Helper()
	for i := range n {
		require.NoError(t, s.Inject(client, node, coreMsg{Kind: "req", N: i}))
	}
}

func TestNetworkLossOneDropsEverything(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a", "b", "c"}, Link: sim.LinkConfig{Loss: 1}},
		coreNew(func(_ string, e *coreEcho) { e.pingsAtStart = 5 }))
	require.NoError(t, err)
	require.NoError(t, s.Run())
	st := s.Stats()
	assert.Equal(t, 30, st.Sends)
	assert.Equal(t, 30, st.Drops, "with loss 1 every message is lost")
	assert.Zero(t, st.Deliveries)
	assert.Len(t, coreEvents(s.Trace(), sim.Drop), 30)
}

func TestNetworkDuplicateOneDuplicatesEverything(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a", "b"}, Link: sim.LinkConfig{Duplicate: 1}},
		coreNew(func(id string, e *coreEcho) {
			if id == "a" {
				e.pingsAtStart = 3
			}
		}))
	require.NoError(t, err)
	require.NoError(t, s.Run())
	b := coreNode(t, s, "b")
	assert.Len(t, b.received, 6, "with duplicate 1 each of the 3 pings arrives twice")
	a := coreNode(t, s, "a")
	assert.Len(t, a.received, 12, "and each of the 6 pongs too")
	dups := coreEvents(s.Trace(), sim.Duplicate)
	require.Len(t, dups, 9)
	delivered := map[int]bool{}
	for _, e := range coreEvents(s.Trace(), sim.Deliver) {
		delivered[e.MsgID] = true
	}
	for _, d := range dups {
		assert.NotEqual(t, d.MsgID, d.Copy, "a copy has its own MsgID")
		assert.True(t, delivered[d.MsgID], "original %d delivered", d.MsgID)
		assert.True(t, delivered[d.Copy], "copy %d delivered", d.Copy)
	}
}

func TestNetworkSymmetricPartitionAndHeal(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a", "b", "c"}}, coreNew(nil))
	require.NoError(t, err)
	require.NoError(t, s.Partition([]string{"a"}, []string{"b", "c"}))
	require.NoError(t, s.Inject("a", "b", coreMsg{Kind: "x"}))
	require.NoError(t, s.Inject("b", "a", coreMsg{Kind: "x"}))
	require.NoError(t, s.Inject("b", "c", coreMsg{Kind: "x"}))
	require.NoError(t, s.Run())
	assert.Empty(t, coreNode(t, s, "a").received, "b cannot reach a across the partition")
	assert.Empty(t, coreNode(t, s, "b").received, "a cannot reach b across the partition")
	assert.Len(t, coreNode(t, s, "c").received, 1, "b reaches c on its own side")
	assert.Equal(t, 2, s.Stats().Drops)

	s.Heal()
	require.NoError(t, s.Inject("a", "b", coreMsg{Kind: "x"}))
	require.NoError(t, s.Run())
	require.NoError(t, s.Inject("b", "a", coreMsg{Kind: "x"}))
	require.NoError(t, s.Run())
	assert.Len(t, coreNode(t, s, "b").received, 1, "after Heal a reaches b")
	assert.Len(t, coreNode(t, s, "a").received, 1, "and b reaches a")
}

func TestNetworkPartitionRestFormsAGroup(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a", "b", "c"}}, coreNew(nil))
	require.NoError(t, err)
	require.NoError(t, s.Partition([]string{"a"}))
	require.NoError(t, s.Inject("b", "c", coreMsg{Kind: "req"}))
	require.NoError(t, s.Inject("b", "a", coreMsg{Kind: "req"}))
	require.NoError(t, s.Inject("client", "a", coreMsg{Kind: "req"}))
	require.NoError(t, s.Run())
	assert.Len(t, coreNode(t, s, "c").received, 1, "unnamed nodes b and c form one group")
	assert.Len(t, coreNode(t, s, "a").received, 1, "a hears only the client: partitions never cut clients off")
}

func TestNetworkPartitionDropsMessagesInFlight(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a", "b"}, Link: sim.LinkConfig{Latency: sim.Constant(10 * time.Millisecond)}}, coreNew(nil))
	require.NoError(t, err)
	require.NoError(t, s.Inject("a", "b", coreMsg{Kind: "ping"}))
	s.At(5*time.Millisecond, func(s *sim.Sim[coreMsg]) { _ = s.Partition([]string{"a"}, []string{"b"}) })
	require.NoError(t, s.Run())
	assert.Empty(t, coreNode(t, s, "b").received, "a message in flight when the link is cut is lost")
	drops := coreEvents(s.Trace(), sim.Drop)
	require.Len(t, drops, 1)
	assert.Equal(t, 10*time.Millisecond, drops[0].Time, "it is lost when it would have arrived")
}

func TestNetworkAsymmetricBlockAndScheduledHeal(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a", "b"}}, coreNew(nil))
	require.NoError(t, err)
	require.NoError(t, s.Block("a", "b"))
	require.NoError(t, s.Inject("a", "b", coreMsg{Kind: "req"}))
	require.NoError(t, s.Inject("b", "a", coreMsg{Kind: "req"}))
	s.At(time.Second, func(s *sim.Sim[coreMsg]) { s.Heal() })
	s.At(2*time.Second, func(s *sim.Sim[coreMsg]) { _ = s.Inject("a", "b", coreMsg{Kind: "req", N: 2}) })
	require.NoError(t, s.Run())
	b := coreNode(t, s, "b")
	assert.Equal(t, []coreMsg{{Kind: "req", N: 2}}, b.received, "b hears a only after the scheduled heal")
	a := coreNode(t, s, "a")
	assert.Equal(t, "req", a.received[0].Kind, "the other direction works during the block")
	assert.Equal(t, 2, s.Stats().Drops, "a's req to b and its pong to b's req are lost before the heal")
	faults := coreEvents(s.Trace(), sim.Fault)
	require.Len(t, faults, 2)
	assert.Equal(t, "block a->b", faults[0].Text)
	assert.Equal(t, "heal", faults[1].Text)
	assert.Equal(t, time.Second, faults[1].Time)
}

func TestNetworkBandwidth(t *testing.T) {
	// A message of s bytes occupies a link of bandwidth w for s/w: 1000
	// bytes at 1000 B/s take one second, and a second message queues
	// behind the first.
	s, err := sim.New(sim.Config{Nodes: []string{"a"}, Link: sim.LinkConfig{Latency: sim.Constant(0), Bandwidth: 1000}}, coreNew(nil))
	require.NoError(t, err)
	require.NoError(t, s.Inject("client", "a", coreMsg{Kind: "x", Bytes: 1000}))
	require.NoError(t, s.Inject("client", "a", coreMsg{Kind: "x", Bytes: 500}))
	require.NoError(t, s.Run())
	a := coreNode(t, s, "a")
	assert.Equal(t, []time.Duration{time.Second, 1500 * time.Millisecond}, a.times)
}

func TestNetworkBandwidthDefaultSize(t *testing.T) {
	type plain struct{ N int } // not a Sizer: counts as DefaultMessageSize bytes
	var got []time.Duration
	s, err := sim.New(sim.Config{Nodes: []string{"a"}, Link: sim.LinkConfig{Latency: sim.Constant(0), Bandwidth: sim.DefaultMessageSize}},
		func(string) sim.Node[plain] {
			return &coreFunc[plain]{recv: func(ctx *sim.Context[plain], _ string, _ plain) { got = append(got, ctx.Now()) }}
		})
	require.NoError(t, err)
	require.NoError(t, s.Inject("c", "a", plain{}))
	require.NoError(t, s.Run())
	assert.Equal(t, []time.Duration{time.Second}, got)
}

func TestNetworkConstantLatencyIsFIFO(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a"}}, coreNew(nil))
	require.NoError(t, err)
	coreInjectN(t, s, "c", "a", 50)
	require.NoError(t, s.Run())
	for i, m := range coreNode(t, s, "a").received {
		assert.Equal(t, i, m.N, "a constant latency keeps a link's messages in order")
	}
}

func TestNetworkRandomLatencyReorders(t *testing.T) {
	s, err := sim.New(sim.Config{Seed: 3, Nodes: []string{"a"}, Link: sim.LinkConfig{Latency: sim.Uniform(time.Millisecond, 10*time.Millisecond)}}, coreNew(nil))
	require.NoError(t, err)
	coreInjectN(t, s, "c", "a", 50)
	require.NoError(t, s.Run())
	received := coreNode(t, s, "a").received
	require.Len(t, received, 50)
	inversions := 0
	for i := 1; i < len(received); i++ {
		if received[i].N < received[i-1].N {
			inversions++
		}
	}
	assert.Positive(t, inversions, "each message draws its own delay, so later ones overtake earlier ones")
}

func TestNetworkSetLinkAtRunTime(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a", "b"}}, coreNew(nil))
	require.NoError(t, err)
	require.NoError(t, s.SetLink("a", "b", sim.LinkConfig{Latency: sim.Constant(50 * time.Millisecond)}))
	require.NoError(t, s.Inject("a", "b", coreMsg{Kind: "x"}))
	require.NoError(t, s.Run())
	assert.Equal(t, []time.Duration{50 * time.Millisecond}, coreNode(t, s, "b").times)
	faults := coreEvents(s.Trace(), sim.Fault)
	require.Len(t, faults, 1)
	assert.Equal(t, "link a->b constant(50ms)", faults[0].Text)
}

func TestNetworkPerLinkOverridesAndMatrix(t *testing.T) {
	links := sim.LatencyMatrix(map[string]map[string]time.Duration{
		"eu": {"us": 40 * time.Millisecond},
	})
	s, err := sim.New(sim.Config{Nodes: []string{"eu", "us", "asia"}, Links: links}, coreNew(nil))
	require.NoError(t, err)
	require.NoError(t, s.Inject("eu", "us", coreMsg{Kind: "x"}))
	require.NoError(t, s.Inject("us", "eu", coreMsg{Kind: "x"}))
	require.NoError(t, s.Inject("eu", "asia", coreMsg{Kind: "x"}))
	require.NoError(t, s.Run())
	assert.Equal(t, []time.Duration{40 * time.Millisecond}, coreNode(t, s, "us").times)
	assert.Equal(t, []time.Duration{40 * time.Millisecond}, coreNode(t, s, "eu").times, "the reverse direction takes the same latency")
	assert.Equal(t, []time.Duration{sim.DefaultLatency}, coreNode(t, s, "asia").times, "links not in the matrix keep the default")
}

func TestNetworkCrashedDestinationDropsAtDelivery(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a", "b"}, Link: sim.LinkConfig{Latency: sim.Constant(10 * time.Millisecond)}}, coreNew(nil))
	require.NoError(t, err)
	require.NoError(t, s.Inject("a", "b", coreMsg{Kind: "x"}))
	s.At(5*time.Millisecond, func(s *sim.Sim[coreMsg]) { _ = s.Crash("b") })
	require.NoError(t, s.Run())
	drops := coreEvents(s.Trace(), sim.Drop)
	require.Len(t, drops, 1, "b was up when the message left but down when it arrived")
	assert.Equal(t, 10*time.Millisecond, drops[0].Time)
	assert.Equal(t, "a", drops[0].Node, "a Drop names the sender as Node")
	assert.Equal(t, "b", drops[0].Peer)
}

// coreFunc is a node built from functions, for one-off tests.
type coreFunc[M any] struct {
	start   func(ctx *sim.Context[M])
	recv    func(ctx *sim.Context[M], from string, m M)
	timeout func(ctx *sim.Context[M], name string)
}

func (f *coreFunc[M]) Start(ctx *sim.Context[M]) {
	if f.start != nil {
		f.start(ctx)
	}
}

func (f *coreFunc[M]) Receive(ctx *sim.Context[M], from string, m M) {
	if f.recv != nil {
		f.recv(ctx, from, m)
	}
}

func (f *coreFunc[M]) Timeout(ctx *sim.Context[M], name string) {
	if f.timeout != nil {
		f.timeout(ctx, name)
	}
}

// coreIface is an interface message type: the simulator asks the dynamic
// value for its size.
type coreIface interface{ Kind() string }

type coreBig struct{}

func (coreBig) Kind() string { return "big" }
func (coreBig) Size() int    { return 2000 }

type coreSmall struct{}

func (coreSmall) Kind() string { return "small" }

func TestNetworkBandwidthInterfaceMessages(t *testing.T) {
	var got []time.Duration
	s, err := sim.New(sim.Config{Nodes: []string{"a"}, Link: sim.LinkConfig{Latency: sim.Constant(0), Bandwidth: 1000}},
		func(string) sim.Node[coreIface] {
			return &coreFunc[coreIface]{recv: func(ctx *sim.Context[coreIface], _ string, _ coreIface) { got = append(got, ctx.Now()) }}
		})
	require.NoError(t, err)
	require.NoError(t, s.Inject("c", "a", coreBig{}))
	require.NoError(t, s.Inject("c", "a", coreSmall{}))
	require.NoError(t, s.Run())
	assert.Equal(t, []time.Duration{2 * time.Second, 2064 * time.Millisecond}, got,
		"a message of an interface type is sized by its dynamic value, or counts DefaultMessageSize bytes")
}

func TestNetworkSendToUnknownNameReachesAClient(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a"}}, func(string) sim.Node[coreMsg] {
		return &coreFunc[coreMsg]{start: func(ctx *sim.Context[coreMsg]) { ctx.Send("observer", coreMsg{Kind: "hello"}) }}
	})
	require.NoError(t, err)
	require.NoError(t, s.Run())
	assert.Equal(t, []string{"a", "observer"}, s.Trace().Nodes, "a name that is not a node becomes a client in the trace")
	assert.Equal(t, 1, coreCount(s.Trace(), sim.Deliver, "observer"))
	assert.False(t, s.Up("observer"), "a client is not a node")
	assert.ErrorIs(t, s.Crash("observer"), sim.ErrUnknownNode)
	require.NoError(t, s.Block("a", "observer"), "known clients can be blocked")
}
