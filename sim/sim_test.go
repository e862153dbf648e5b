package sim_test

import (
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/sim"
)

// coreMsg is the message of the test protocols of the simulator's tests.
type coreMsg struct {
	Kind  string // "ping", "pong", "req"
	N     int
	Bytes int // reported size; 0 means the default
}

func (m coreMsg) String() string { return m.Kind + " " + strconv.Itoa(m.N) }

// Size implements sim.Sizer.
func (m coreMsg) Size() int {
	if m.Bytes == 0 {
		return sim.DefaultMessageSize
	}
	return m.Bytes
}

// coreEcho answers every ping with a pong, counts what it received in
// volatile state and in durable storage, and can be told to ping its peers
// at Start and on a timer.
type coreEcho struct {
	pingsAtStart int           // pings to send to every peer at Start
	tick         time.Duration // if > 0, ping a random peer every tick
	ticks        int           // ... this many times

	received []coreMsg       // volatile
	times    []time.Duration // local time of each Receive
	fired    []time.Duration // local time of each Timeout
	started  int
	ticked   int
}

func (e *coreEcho) Start(ctx *sim.Context[coreMsg]) {
	e.started++
	for i := range e.pingsAtStart {
		for _, p := range ctx.Peers() {
			ctx.Send(p, coreMsg{Kind: "ping", N: i})
		}
	}
	if e.tick > 0 && e.ticks > 0 {
		ctx.SetTimer("tick", e.tick)
	}
}

func (e *coreEcho) Receive(ctx *sim.Context[coreMsg], from string, m coreMsg) {
	e.received = append(e.received, m)
	e.times = append(e.times, ctx.Now())
	n, _ := ctx.Storage().Get("count")
	ctx.Storage().Put("count", []byte(strconv.Itoa(atoi(n)+1)))
	if m.Kind == "ping" || m.Kind == "req" {
		ctx.Send(from, coreMsg{Kind: "pong", N: m.N, Bytes: m.Bytes})
	}
}

func (e *coreEcho) Timeout(ctx *sim.Context[coreMsg], name string) {
	e.fired = append(e.fired, ctx.Now())
	e.ticked++
	if peers := ctx.Peers(); len(peers) > 0 {
		ctx.Send(peers[ctx.Rand().IntN(len(peers))], coreMsg{Kind: "ping", N: 1000 + e.ticked})
	}
	ctx.Note("tick " + strconv.Itoa(e.ticked))
	if e.ticked < e.ticks {
		ctx.SetTimer(name, e.tick)
	}
}

func atoi(b []byte) int {
	n, _ := strconv.Atoi(string(b))
	return n
}

// coreNew returns a factory of coreEcho nodes; configure, if not nil,
// adjusts each new node.
func coreNew(configure func(id string, e *coreEcho)) func(id string) sim.Node[coreMsg] {
	return func(id string) sim.Node[coreMsg] {
		e := &coreEcho{}
		if configure != nil {
			configure(id, e)
		}
		return e
	}
}

func coreNode(t testing.TB, s *sim.Sim[coreMsg], id string) *coreEcho {
	t.Helper()
	n, ok := s.Node(id)
	require.True(t, ok, "node %s is up", id)
	return n.(*coreEcho)
}

// coreCount counts the trace events of a kind, at a node if node != "".
func coreCount(tr *sim.Trace, kind sim.EventKind, node string) int {
	n := 0
	for _, e := range tr.Events {
		if e.Kind == kind && (node == "" || e.Node == node) {
			n++
		}
	}
	return n
}

func TestSimPingPong(t *testing.T) {
	s, err := sim.New(sim.Config{Seed: 1, Nodes: []string{"a", "b", "c"}}, coreNew(func(id string, e *coreEcho) {
		if id == "a" {
			e.pingsAtStart = 2
		}
	}))
	require.NoError(t, err)
	require.NoError(t, s.Run())
	a, b, c := coreNode(t, s, "a"), coreNode(t, s, "b"), coreNode(t, s, "c")
	assert.Len(t, a.received, 4, "a gets a pong for each of its 4 pings")
	assert.Len(t, b.received, 2)
	assert.Len(t, c.received, 2)
	st := s.Stats()
	assert.Equal(t, 8, st.Sends)
	assert.Equal(t, 8, st.Deliveries)
	assert.Equal(t, 2*sim.DefaultLatency, s.Now(), "a round trip over default links takes two latencies")
	assert.Equal(t, 8, coreCount(s.Trace(), sim.Send, ""))
	assert.Equal(t, 8, coreCount(s.Trace(), sim.Deliver, ""))
	ok, err := s.Step()
	assert.False(t, ok, "nothing is left after Run")
	assert.NoError(t, err)
}

func TestSimInjectFromClient(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a"}}, coreNew(nil))
	require.NoError(t, err)
	require.NoError(t, s.Inject("client", "a", coreMsg{Kind: "req", N: 7}))
	require.NoError(t, s.Run())
	tr := s.Trace()
	assert.Equal(t, []string{"a", "client"}, tr.Nodes, "a client appears in the trace after the nodes")
	assert.Equal(t, 1, coreCount(tr, sim.Deliver, "client"), "the reply reaches the client")
	assert.ErrorIs(t, s.Inject("client", "nobody", coreMsg{}), sim.ErrUnknownNode)
	assert.ErrorIs(t, s.Inject("", "a", coreMsg{}), sim.ErrInvalidConfig)
}

func TestSimUnknownNodes(t *testing.T) {
	s, err := sim.New(sim.Config{Nodes: []string{"a", "b"}}, coreNew(nil))
	require.NoError(t, err)
	assert.ErrorIs(t, s.Crash("x"), sim.ErrUnknownNode)
	assert.ErrorIs(t, s.Restart("x"), sim.ErrUnknownNode)
	assert.ErrorIs(t, s.Pause("x", time.Second), sim.ErrUnknownNode)
	assert.ErrorIs(t, s.Pause("a", -time.Second), sim.ErrInvalidConfig)
	assert.ErrorIs(t, s.Partition([]string{"a"}, []string{"x"}), sim.ErrUnknownNode)
	assert.ErrorIs(t, s.Partition([]string{"a"}, []string{"b", "a"}), sim.ErrInvalidConfig, "a partition naming a node twice")
	assert.ErrorIs(t, s.Block("a", "x"), sim.ErrUnknownNode)
	assert.ErrorIs(t, s.SetLink("x", "a", sim.LinkConfig{}), sim.ErrUnknownNode)
	assert.ErrorIs(t, s.SetLink("a", "b", sim.LinkConfig{Loss: 2}), sim.ErrInvalidConfig)
	assert.Nil(t, s.Storage("x"))
	_, ok := s.Node("x")
	assert.False(t, ok)
}

var _ = errors.Is
var _ = fmt.Sprint
