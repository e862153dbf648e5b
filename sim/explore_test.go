package sim

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The protocols of these tests are tiny on purpose: small enough that the
// number of states they have can be worked out by hand. Every identifier
// starts with xp so as not to collide with other tests of the package.

// xpMsg is the message type of the test protocols.
type xpMsg struct {
	Kind string
	N    int
}

func (m xpMsg) String() string { return m.Kind + "(" + strconv.Itoa(m.N) + ")" }

func xpEncode(b []byte, m xpMsg) []byte {
	b = binary.AppendUvarint(b, uint64(len(m.Kind)))
	b = append(b, m.Kind...)
	return binary.AppendVarint(b, int64(m.N))
}

// xpCounter: every node but "sink" sends one inc to "sink" when it starts;
// the sink counts what it receives.
type xpCounter struct {
	sink  bool
	count int
}

func newXPCounter(id string) *xpCounter { return &xpCounter{sink: id == "sink"} }

func (c *xpCounter) Start(ctx *Context[xpMsg]) {
	if !c.sink {
		ctx.Send("sink", xpMsg{Kind: "inc", N: 1})
	}
}
func (c *xpCounter) Receive(ctx *Context[xpMsg], from string, m xpMsg) { c.count += m.N }
func (c *xpCounter) Timeout(ctx *Context[xpMsg], name string)          {}
func (c *xpCounter) Clone() *xpCounter                                 { d := *c; return &d }
func (c *xpCounter) AppendState(b []byte) []byte                       { return binary.AppendVarint(b, int64(c.count)) }

// xpCounterConfig is the counter with k senders s1..sk.
func xpCounterConfig(k int) ExploreConfig[xpMsg, *xpCounter] {
	nodes := []string{"sink"}
	for i := 1; i <= k; i++ {
		nodes = append(nodes, "s"+strconv.Itoa(i))
	}
	return ExploreConfig[xpMsg, *xpCounter]{Nodes: nodes, New: newXPCounter, EncodeMessage: xpEncode, Workers: 1}
}

// sinkCount reads the sink's count.
func sinkCount(w *World[xpMsg, *xpCounter]) int {
	n, ok := w.Node("sink")
	if !ok {
		return -1
	}
	return n.count
}

// TestExploreCounterStateCount checks the number of distinct states against
// counts worked out by hand for k = 3 senders, each with one inc to the
// sink. The senders never change, so a state is the sink's count, the
// messages in flight and the budgets used.
//
//   - No faults: a state is the set F of incs still in flight (the count is
//     k - |F|), and every subset is reachable: 2^k = 8 states, the last at
//     depth k.
//   - MaxDrops 1: a state is F and whether a drop happened, d (the count is
//     k - |F| - d; which inc was dropped is forgotten). d = 1 needs
//     |F| < k, so there are 2^k + (2^k - 1) = 15 states.
//   - MaxDuplicates 1: with u duplicates used, k + u copies existed and the
//     count is k + u - |F|, so a state is the multiset F and u. u = 0: F is
//     a set, 2^k states. u = 1: either one inc still has both copies in
//     flight (k choices, times 2^(k-1) for the others) or F is a set (any of
//     the 2^k: the duplicated inc had one or both copies delivered). In all
//     2^k + k·2^(k-1) + 2^k = 28 states.
func TestExploreCounterStateCount(t *testing.T) {
	for _, tc := range []struct {
		name            string
		drops, dups     int
		distinct, depth int
	}{
		{"no faults", 0, 0, 8, 3},
		{"one drop", 1, 0, 15, 3},
		{"one duplicate", 0, 1, 28, 5}, // duplicate, then deliver k+1 copies
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := xpCounterConfig(3)
			cfg.MaxDrops, cfg.MaxDuplicates = tc.drops, tc.dups
			res, err := Explore(cfg)
			require.NoError(t, err)
			assert.Equal(t, tc.distinct, res.Distinct, "distinct states differ from the count derived by hand")
			assert.Equal(t, tc.distinct, res.Explored, "a complete search expands every distinct state")
			assert.Equal(t, tc.depth, res.Depth, "deepest level")
			assert.True(t, res.Complete)
			assert.Nil(t, res.Violation)
		})
	}
}

// xpRacer: proposers p1 and p2 send their value to acceptors a1 and a2,
// and an acceptor decides the first value it receives: a deliberately
// broken agreement protocol, since the two acceptors can receive different
// proposals first.
type xpRacer struct {
	id      string
	decided int
}

func newXPRacer(id string) *xpRacer { return &xpRacer{id: id} }

func (r *xpRacer) Start(ctx *Context[xpMsg]) {
	if v, ok := strings.CutPrefix(r.id, "p"); ok {
		n, _ := strconv.Atoi(v)
		ctx.Send("a1", xpMsg{Kind: "propose", N: n})
		ctx.Send("a2", xpMsg{Kind: "propose", N: n})
	}
}
func (r *xpRacer) Receive(ctx *Context[xpMsg], from string, m xpMsg) {
	if r.decided == 0 {
		r.decided = m.N
		ctx.Note("decide " + strconv.Itoa(m.N))
	}
}
func (r *xpRacer) Timeout(ctx *Context[xpMsg], name string) {}
func (r *xpRacer) Clone() *xpRacer                          { d := *r; return &d }
func (r *xpRacer) AppendState(b []byte) []byte              { return binary.AppendVarint(b, int64(r.decided)) }

// xpAgreement fails if two up acceptors decided different values.
func xpAgreement(w *World[xpMsg, *xpRacer]) error {
	seen := 0
	for _, id := range w.Nodes() {
		if n, ok := w.Node(id); ok && n.decided != 0 {
			if seen != 0 && seen != n.decided {
				return fmt.Errorf("acceptors decided %d and %d", seen, n.decided)
			}
			seen = n.decided
		}
	}
	return nil
}

func xpRacerConfig(proposers ...string) ExploreConfig[xpMsg, *xpRacer] {
	return ExploreConfig[xpMsg, *xpRacer]{
		Nodes:         append(proposers, "a1", "a2"),
		New:           newXPRacer,
		Invariant:     xpAgreement,
		EncodeMessage: xpEncode,
	}
}

// TestExploreFindsShortestRace: the race needs two deliveries (p1's
// proposal to one acceptor, p2's to the other), so the counterexample has
// depth 2 and its trace shows the four sends, two deliveries and two
// decisions.
func TestExploreFindsShortestRace(t *testing.T) {
	res, err := Explore(xpRacerConfig("p1", "p2"))
	require.NoError(t, err)
	require.NotNil(t, res.Violation, "two acceptors deciding their first proposal can disagree")
	v := res.Violation
	assert.Equal(t, 2, v.Depth, "the shortest disagreement takes two deliveries")
	assert.Equal(t, 2, res.Depth)
	assert.False(t, res.Complete)
	assert.False(t, v.Quiescent)
	assert.ErrorContains(t, v, "acceptors decided")

	var kinds []EventKind
	for _, e := range v.Trace.Events {
		kinds = append(kinds, e.Kind)
	}
	assert.Equal(t, []EventKind{Send, Send, Send, Send, Deliver, Local, Deliver, Local}, kinds)
	assert.Equal(t, []string{"p1", "p2", "a1", "a2"}, v.Trace.Nodes)
	d1, d2 := v.Trace.Events[4], v.Trace.Events[6]
	assert.NotEqual(t, d1.Peer, d2.Peer, "the two acceptors heard from different proposers")
	assert.NotEqual(t, d1.Node, d2.Node)

	// With a single proposer there is nothing to disagree on.
	res, err = Explore(xpRacerConfig("p1"))
	require.NoError(t, err)
	assert.Nil(t, res.Violation)
	assert.True(t, res.Complete)
	assert.Equal(t, 4, res.Distinct, "each acceptor has or has not received the proposal")
}
