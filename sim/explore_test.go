package sim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
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

// TestExploreRaceTrace checks the counterexample's trace against the trace
// conventions: Time equals Seq, a delivery's clocks come after its send's
// (Lamport's clock condition, and the vector clock's strong condition), and
// the trace renders.
func TestExploreRaceTrace(t *testing.T) {
	res, err := Explore(xpRacerConfig("p1", "p2"))
	require.NoError(t, err)
	require.NotNil(t, res.Violation)
	tr := res.Violation.Trace
	sends := map[int]Event{}
	for i, e := range tr.Events {
		assert.Equal(t, i, e.Seq)
		assert.Equal(t, time.Duration(i), e.Time, "the explorer has no time: Time equals Seq")
		switch e.Kind {
		case Send:
			sends[e.MsgID] = e
		case Deliver:
			s, ok := sends[e.MsgID]
			require.True(t, ok, "every delivery has a send")
			assert.Equal(t, s.Node, e.Peer)
			assert.Equal(t, s.Peer, e.Node)
			assert.Less(t, s.Lamport, e.Lamport, "a send happens before its delivery (Lamport's clock condition)")
			assert.True(t, s.Vector.HappenedBefore(e.Vector), "a send's vector clock precedes its delivery's")
		}
	}
	var text, svg bytes.Buffer
	require.NoError(t, tr.WriteTranscript(&text))
	require.NoError(t, tr.WriteSVG(&svg))
	assert.Equal(t, len(tr.Events)+2, strings.Count(text.String(), "\n"), "a header, a column line and one line per event")
	assert.Contains(t, text.String(), "decide 1")
	assert.Contains(t, text.String(), "decide 2")
	assert.Contains(t, svg.String(), "<svg")
}

// xpRegister: a client writes a value to "reg", which acknowledges it to
// "witness". With persist, reg writes the value to storage before sending
// the acknowledgement and reads it back when it starts; without, a crash
// and restart lose an acknowledged value, the bug that durability contracts
// exist to catch (the write-ahead rule: persist, then reply).
type xpRegister struct {
	persist bool
	value   int // reg: the value held; witness: the value acknowledged
}

func (r *xpRegister) Start(ctx *Context[xpMsg]) {
	if v, ok := ctx.Storage().Get("value"); ok && r.persist {
		n, _ := binary.Varint(v)
		r.value = int(n)
	}
}
func (r *xpRegister) Receive(ctx *Context[xpMsg], from string, m xpMsg) {
	r.value = m.N
	if m.Kind == "put" {
		if r.persist {
			ctx.Storage().Put("value", binary.AppendVarint(nil, int64(m.N)))
		}
		ctx.Send("witness", xpMsg{Kind: "ack", N: m.N})
	}
}
func (r *xpRegister) Timeout(ctx *Context[xpMsg], name string) {}
func (r *xpRegister) Clone() *xpRegister                       { d := *r; return &d }
func (r *xpRegister) AppendState(b []byte) []byte              { return binary.AppendVarint(b, int64(r.value)) }

func xpRegisterConfig(persist bool) ExploreConfig[xpMsg, *xpRegister] {
	return ExploreConfig[xpMsg, *xpRegister]{
		Nodes:  []string{"reg", "witness"},
		New:    func(string) *xpRegister { return &xpRegister{persist: persist} },
		Inject: []Envelope[xpMsg]{{From: "client", To: "reg", Msg: xpMsg{Kind: "put", N: 7}}},
		Invariant: func(w *World[xpMsg, *xpRegister]) error {
			reg, regUp := w.Node("reg")
			wit, witUp := w.Node("witness")
			if regUp && witUp && wit.value != 0 && reg.value != wit.value {
				return fmt.Errorf("acknowledged %d, but reg holds %d", wit.value, reg.value)
			}
			return nil
		},
		MaxCrashes:    1,
		MaxRestarts:   1,
		EncodeMessage: xpEncode,
	}
}

// TestExploreCrashRestart: a crash discards the volatile value and keeps
// storage (the Node durability contract). The forgetful register loses an
// acknowledged value after put, ack, crash, restart: 4 actions, no fewer.
// The persisting one never does.
func TestExploreCrashRestart(t *testing.T) {
	res, err := Explore(xpRegisterConfig(false))
	require.NoError(t, err)
	require.NotNil(t, res.Violation, "a value kept only in memory is lost by a crash")
	assert.Equal(t, 4, res.Violation.Depth, "put, ack, crash and restart are all needed")
	var kinds []EventKind
	for _, e := range res.Violation.Trace.Events {
		kinds = append(kinds, e.Kind)
	}
	assert.Equal(t, []EventKind{Send, Deliver, Send, Deliver, Crash, Restart}, kinds)
	assert.Equal(t, []string{"reg", "witness", "client"}, res.Violation.Trace.Nodes, "clients come after the nodes")

	res, err = Explore(xpRegisterConfig(true))
	require.NoError(t, err)
	assert.Nil(t, res.Violation, "a value persisted before the acknowledgement survives a crash")
	assert.True(t, res.Complete)
}

// xpTimerNode: "a" sets a timer when it starts; "b" sends "a" a message.
type xpTimerNode struct{ got int }

func (n *xpTimerNode) Start(ctx *Context[xpMsg]) {
	if ctx.ID() == "a" {
		ctx.SetTimer("t", 1)
		ctx.SetTimer("u", 1)
		ctx.CancelTimer("u")
	} else {
		ctx.Send("a", xpMsg{Kind: "hello"})
	}
}
func (n *xpTimerNode) Receive(ctx *Context[xpMsg], from string, m xpMsg) { n.got++ }
func (n *xpTimerNode) Timeout(ctx *Context[xpMsg], name string)          { ctx.SetTimer(name, 1) }
func (n *xpTimerNode) Clone() *xpTimerNode                               { d := *n; return &d }
func (n *xpTimerNode) AppendState(b []byte) []byte                       { return append(b, byte(n.got)) }

// TestExploreCrashSemantics: a crash loses the node's timers and keeps the
// messages addressed to it in flight, undelivered while it is down.
func TestExploreCrashSemantics(t *testing.T) {
	cfg := ExploreConfig[xpMsg, *xpTimerNode]{
		Nodes: []string{"a", "b"},
		New:   func(string) *xpTimerNode { return new(xpTimerNode) },
		Invariant: func(w *World[xpMsg, *xpTimerNode]) error {
			if w.Up("a") {
				if got := w.Timers("a"); !slices.Equal(got, []string{"t"}) {
					return fmt.Errorf("timers of a are %q, want [t]: SetTimer then CancelTimer", got)
				}
				return nil
			}
			if w.Timers("a") != nil {
				return errors.New("a crashed node keeps no timers")
			}
			return fmt.Errorf("a is down with %d message(s) in flight", len(w.InFlight()))
		},
		MaxCrashes:    1,
		MaxTimeouts:   2,
		EncodeMessage: xpEncode,
	}
	res, err := Explore(cfg)
	require.NoError(t, err)
	require.NotNil(t, res.Violation)
	assert.Equal(t, "a is down with 1 message(s) in flight", res.Violation.Err.Error(),
		"the first crash of a (depth 1) leaves b's message in flight")
	assert.Equal(t, 1, res.Violation.Depth)

	// Without a restart, b's message to a crashed a is never delivered.
	// The states: a up with hello in flight or delivered (2), a down with
	// hello in flight or delivered before the crash (2), b down with hello
	// in flight or delivered (2): 6. A delivery to the crashed a would add
	// more, and the budget allows one crash per path, not one per node.
	cfg.Invariant = nil
	cfg.MaxTimeouts = 0
	res, err = Explore(cfg)
	require.NoError(t, err)
	assert.Equal(t, 6, res.Distinct)
	assert.True(t, res.Complete)
}

// TestExploreFaultBounds: the bounds limit each kind of fault per path,
// and are reached. k = 3 senders.
func TestExploreFaultBounds(t *testing.T) {
	const k = 3
	atMost := func(limit int) func(w *World[xpMsg, *xpCounter]) error {
		return func(w *World[xpMsg, *xpCounter]) error {
			if c := sinkCount(w); c > limit {
				return fmt.Errorf("count %d > %d", c, limit)
			}
			return nil
		}
	}
	// Duplicates: with d allowed, k + d incs can arrive, never more.
	cfg := xpCounterConfig(k)
	cfg.MaxDuplicates = 2
	cfg.Invariant = atMost(k + 2)
	res, err := Explore(cfg)
	require.NoError(t, err)
	assert.Nil(t, res.Violation, "two duplicates deliver at most k+2 incs")
	assert.True(t, res.Complete)

	cfg.Invariant = atMost(k + 1)
	res, err = Explore(cfg)
	require.NoError(t, err)
	require.NotNil(t, res.Violation, "two duplicates can deliver k+2 incs")
	assert.Equal(t, k+4, res.Violation.Depth, "two duplicates and k+2 deliveries")

	// Drops: with d allowed, at most d incs are lost.
	lost := func(limit int) func(w *World[xpMsg, *xpCounter]) error {
		return func(w *World[xpMsg, *xpCounter]) error {
			if l := k - sinkCount(w) - len(w.InFlight()); l > limit {
				return fmt.Errorf("%d incs lost", l)
			}
			return nil
		}
	}
	cfg = xpCounterConfig(k)
	cfg.MaxDrops = 1
	cfg.Invariant = lost(1)
	res, err = Explore(cfg)
	require.NoError(t, err)
	assert.Nil(t, res.Violation, "one drop loses at most one inc")

	cfg.MaxDrops = 2
	res, err = Explore(cfg)
	require.NoError(t, err)
	require.NotNil(t, res.Violation, "two drops lose two incs")
	assert.Equal(t, 2, res.Violation.Depth)
	assert.Equal(t, Drop, res.Violation.Trace.Events[len(res.Violation.Trace.Events)-1].Kind)
}

// TestExploreCounterDropsLaw checks the state count of the counter with k
// senders and MaxDrops d against the formula derived as in
// TestExploreCounterStateCount: a state is the set F of incs in flight and
// the number of drops used, at most min(d, k-|F|), so there are
// sum over j of C(k, j)·(min(d, k-j)+1) states.
func TestExploreCounterDropsLaw(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		k := rapid.IntRange(1, 5).Draw(t, "k")
		d := rapid.IntRange(0, 3).Draw(t, "d")
		cfg := xpCounterConfig(k)
		cfg.MaxDrops = d
		cfg.Workers = rapid.IntRange(1, 3).Draw(t, "workers")
		res, err := Explore(cfg)
		if err != nil {
			t.Fatal(err)
		}
		want, binom := 0, 1 // binom = C(k, j)
		for j := 0; j <= k; j++ {
			want += binom * (min(d, k-j) + 1)
			binom = binom * (k - j) / (j + 1)
		}
		if res.Distinct != want {
			t.Fatalf("with %d senders and %d drops the state count must be sum C(k,j)(min(d,k-j)+1) = %d, got %d", k, d, want, res.Distinct)
		}
	})
}

// xpAsk: "c" asks "p", which answers; c decides on the answer. With retry,
// c also sets a timer when it starts and asks again when it fires, until
// it decides.
type xpAsk struct {
	retry   bool
	decided bool
}

func (n *xpAsk) Start(ctx *Context[xpMsg]) {
	if ctx.ID() == "c" {
		ctx.Send("p", xpMsg{Kind: "ask"})
		if n.retry {
			ctx.SetTimer("retry", 1)
		}
	}
}
func (n *xpAsk) Receive(ctx *Context[xpMsg], from string, m xpMsg) {
	if m.Kind == "ask" {
		ctx.Send(from, xpMsg{Kind: "answer"})
		return
	}
	n.decided = true
	ctx.CancelTimer("retry")
}
func (n *xpAsk) Timeout(ctx *Context[xpMsg], name string) {
	ctx.Send("p", xpMsg{Kind: "ask"})
	ctx.SetTimer("retry", 1)
}
func (n *xpAsk) Clone() *xpAsk { d := *n; return &d }
func (n *xpAsk) AppendState(b []byte) []byte {
	if n.decided {
		return append(b, 1)
	}
	return append(b, 0)
}

func xpAskConfig(retry bool, drops, timeouts int) ExploreConfig[xpMsg, *xpAsk] {
	return ExploreConfig[xpMsg, *xpAsk]{
		Nodes: []string{"c", "p"},
		New:   func(string) *xpAsk { return &xpAsk{retry: retry} },
		Quiescent: func(w *World[xpMsg, *xpAsk]) error {
			if c, ok := w.Node("c"); ok && !c.decided {
				return errors.New("c is stuck undecided")
			}
			return nil
		},
		MaxDrops:      drops,
		MaxTimeouts:   timeouts,
		EncodeMessage: xpEncode,
	}
}

// TestExploreQuiescent: Quiescent finds a stuck state, and a state only
// counts as quiescent when nothing is left to do within the bounds.
func TestExploreQuiescent(t *testing.T) {
	// Without faults c always decides.
	res, err := Explore(xpAskConfig(false, 0, 0))
	require.NoError(t, err)
	assert.Nil(t, res.Violation)
	assert.True(t, res.Complete)
	assert.Equal(t, 3, res.Distinct, "ask in flight, answer in flight, decided")

	// One drop, no retry: dropping the question leaves c waiting forever.
	res, err = Explore(xpAskConfig(false, 1, 0))
	require.NoError(t, err)
	require.NotNil(t, res.Violation)
	assert.True(t, res.Violation.Quiescent)
	assert.Equal(t, 1, res.Violation.Depth, "dropping the question is enough")
	assert.ErrorContains(t, res.Violation, "quiescent state violated after 1 actions: c is stuck")

	// With a retry timer and as many timeouts as drops, c gets through.
	res, err = Explore(xpAskConfig(true, 1, 1))
	require.NoError(t, err)
	assert.Nil(t, res.Violation, "one retry makes up for one drop")

	// A pending timer that may not fire any more does not keep a state
	// from being quiescent: two drops against one retry get c stuck with
	// its timer set.
	res, err = Explore(xpAskConfig(true, 2, 1))
	require.NoError(t, err)
	require.NotNil(t, res.Violation)
	assert.True(t, res.Violation.Quiescent)
	assert.Equal(t, 3, res.Violation.Depth, "drop, retry, drop")

	// A crashed node that may still restart keeps the state from being
	// quiescent; one that may not does not.
	cfg := xpAskConfig(false, 0, 0)
	cfg.MaxCrashes, cfg.MaxRestarts = 1, 1
	cfg.Quiescent = func(w *World[xpMsg, *xpAsk]) error {
		for _, id := range w.Nodes() {
			if !w.Up(id) {
				return fmt.Errorf("%s is down", id)
			}
		}
		if c, _ := w.Node("c"); !c.decided {
			return errors.New("c is stuck undecided")
		}
		return nil
	}
	res, err = Explore(cfg)
	require.NoError(t, err)
	assert.Nil(t, res.Violation, "a node that may restart is not stuck, and after a restart c decides")
	cfg.MaxRestarts = 0
	res, err = Explore(cfg)
	require.NoError(t, err)
	require.NotNil(t, res.Violation)
	assert.True(t, res.Violation.Quiescent)
	assert.Equal(t, 1, res.Violation.Depth, "crash p before it hears the question")
	assert.EqualError(t, res.Violation.Err, "p is down")
}

// xp2PCEveryoneDecides is the liveness side of 2PC: in a quiescent state
// every up participant has decided. Two-phase commit is blocking (Skeen,
// "Nonblocking Commit Protocols", 1981): if the coordinator crashes after
// the votes and never comes back, the participants that voted yes can
// neither commit nor abort.
func xp2PCEveryoneDecides(w *World[xpMsg, *xp2PC]) error {
	for _, id := range w.Nodes()[1:] {
		if n, ok := w.Node(id); ok && n.decided == 0 {
			return fmt.Errorf("%s is blocked undecided", id)
		}
	}
	return nil
}

// sameResult compares everything but the timings.
func sameResult(t *testing.T, want, got *ExploreResult, workers int) {
	t.Helper()
	assert.Equal(t, want.Distinct, got.Distinct, "distinct states with %d workers", workers)
	assert.Equal(t, want.Explored, got.Explored, "explored states with %d workers", workers)
	assert.Equal(t, want.Depth, got.Depth, "depth with %d workers", workers)
	assert.Equal(t, want.Frontier, got.Frontier, "frontier with %d workers", workers)
	assert.Equal(t, want.Complete, got.Complete, "completeness with %d workers", workers)
	assert.Equal(t, want.BytesPerState, got.BytesPerState, "visited-set layout with %d workers", workers)
	assert.Equal(t, want.Violation, got.Violation, "counterexample with %d workers", workers)
}

// TestExploreDeterministicAcrossWorkers: the result, counterexample trace
// included, does not depend on the number of workers.
func TestExploreDeterministicAcrossWorkers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config func() ExploreConfig[xpMsg, *xp2PC]
		check  func(t *testing.T, res *ExploreResult)
	}{
		{"safe", func() ExploreConfig[xpMsg, *xp2PC] { return xp2PCConfig(3) }, func(t *testing.T, res *ExploreResult) {
			assert.Nil(t, res.Violation, "2PC never lets two nodes decide differently (AC1)")
			assert.True(t, res.Complete)
			assert.Equal(t, res.Distinct, res.Explored)
		}},
		{"blocking", func() ExploreConfig[xpMsg, *xp2PC] {
			cfg := xp2PCConfig(3)
			cfg.MaxRestarts, cfg.MaxDrops = 0, 0
			cfg.Quiescent = xp2PCEveryoneDecides
			return cfg
		}, func(t *testing.T, res *ExploreResult) {
			require.NotNil(t, res.Violation, "2PC blocks when the coordinator crashes for good")
			assert.True(t, res.Violation.Quiescent)
			assert.ErrorContains(t, res.Violation, "blocked undecided")
			// The coordinator must crash once a participant voted yes
			// and before it decided, and that participant's timer must
			// fire and its question go unanswered.
			var kinds []EventKind
			for _, e := range res.Violation.Trace.Events {
				kinds = append(kinds, e.Kind)
			}
			assert.Contains(t, kinds, Crash)
		}},
		{"limited", func() ExploreConfig[xpMsg, *xp2PC] {
			cfg := xp2PCConfig(3)
			cfg.MaxStates = 20000
			return cfg
		}, func(t *testing.T, res *ExploreResult) {
			assert.Equal(t, 20000, res.Distinct)
			assert.False(t, res.Complete)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var first *ExploreResult
			for _, workers := range []int{1, 2, 4} {
				cfg := tc.config()
				cfg.Workers = workers
				res, err := Explore(cfg)
				require.NoError(t, err)
				if first == nil {
					first = res
					tc.check(t, res)
					continue
				}
				sameResult(t, first, res, workers)
			}
		})
	}
}

// TestExploreDeterministicProperty: on random bounds, Workers 1 and 3
// explore the same states and find the same counterexample.
func TestExploreDeterministicProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := xp2PCConfig(2)
		cfg.MaxCrashes = rapid.IntRange(0, 1).Draw(t, "crashes")
		cfg.MaxRestarts = rapid.IntRange(0, 1).Draw(t, "restarts")
		cfg.MaxDrops = rapid.IntRange(0, 1).Draw(t, "drops")
		cfg.MaxDuplicates = rapid.IntRange(0, 1).Draw(t, "duplicates")
		cfg.MaxTimeouts = rapid.IntRange(0, 2).Draw(t, "timeouts")
		if rapid.Bool().Draw(t, "quiescent") {
			cfg.Quiescent = xp2PCEveryoneDecides
		}
		cfg.New = newXP2PC(2, rapid.SampledFrom([]string{"", "p1", "p2"}).Draw(t, "no-voter"))
		cfg.Workers = 1
		one, err := Explore(cfg)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Workers = 3
		three, err := Explore(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if one.Distinct != three.Distinct || one.Explored != three.Explored || one.Depth != three.Depth {
			t.Fatalf("the number of workers must not change what is explored: %+v vs %+v", one, three)
		}
		if (one.Violation == nil) != (three.Violation == nil) ||
			one.Violation != nil && !reflect.DeepEqual(one.Violation, three.Violation) {
			t.Fatalf("the number of workers must not change the counterexample: %v vs %v", one.Violation, three.Violation)
		}
	})
}

// TestExploreInvalidConfig: configurations Explore cannot run are
// rejected with ErrInvalidConfig before anything runs.
func TestExploreInvalidConfig(t *testing.T) {
	valid := func() ExploreConfig[xpMsg, *xpCounter] { return xpCounterConfig(2) }
	for _, tc := range []struct {
		name    string
		change  func(c *ExploreConfig[xpMsg, *xpCounter])
		unknown bool
	}{
		{"no nodes", func(c *ExploreConfig[xpMsg, *xpCounter]) { c.Nodes = nil }, false},
		{"duplicate node", func(c *ExploreConfig[xpMsg, *xpCounter]) { c.Nodes = []string{"sink", "s1", "sink"} }, false},
		{"empty node", func(c *ExploreConfig[xpMsg, *xpCounter]) { c.Nodes = []string{"sink", ""} }, false},
		{"nil New", func(c *ExploreConfig[xpMsg, *xpCounter]) { c.New = nil }, false},
		{"negative drops", func(c *ExploreConfig[xpMsg, *xpCounter]) { c.MaxDrops = -1 }, false},
		{"negative depth", func(c *ExploreConfig[xpMsg, *xpCounter]) { c.MaxDepth = -1 }, false},
		{"negative states", func(c *ExploreConfig[xpMsg, *xpCounter]) { c.MaxStates = -1 }, false},
		{"negative crashes", func(c *ExploreConfig[xpMsg, *xpCounter]) { c.MaxCrashes = -2 }, false},
		{"negative restarts", func(c *ExploreConfig[xpMsg, *xpCounter]) { c.MaxRestarts = -1 }, false},
		{"negative timeouts", func(c *ExploreConfig[xpMsg, *xpCounter]) { c.MaxTimeouts = -1 }, false},
		{"negative duplicates", func(c *ExploreConfig[xpMsg, *xpCounter]) { c.MaxDuplicates = -1 }, false},
		{"negative workers", func(c *ExploreConfig[xpMsg, *xpCounter]) { c.Workers = -1 }, false},
		{"huge bound", func(c *ExploreConfig[xpMsg, *xpCounter]) { c.MaxTimeouts = 1 << 40 }, false},
		{"inject from nobody", func(c *ExploreConfig[xpMsg, *xpCounter]) {
			c.Inject = []Envelope[xpMsg]{{To: "sink", Msg: xpMsg{Kind: "inc"}}}
		}, false},
		{"inject to unknown node", func(c *ExploreConfig[xpMsg, *xpCounter]) {
			c.Inject = []Envelope[xpMsg]{{From: "client", To: "nobody", Msg: xpMsg{Kind: "inc"}}}
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid()
			tc.change(&cfg)
			res, err := Explore(cfg)
			assert.Nil(t, res)
			require.ErrorIs(t, err, ErrInvalidConfig)
			assert.Equal(t, tc.unknown, errors.Is(err, ErrUnknownNode))
			assert.True(t, strings.HasPrefix(err.Error(), "sim: explore: "), "error %q names its origin", err)
		})
	}
}

// xpPanicky panics on its second message, or in Start for the node named
// "bad".
type xpPanicky struct{ got int }

func (n *xpPanicky) Start(ctx *Context[xpMsg]) {
	if ctx.ID() == "bad" {
		panic("cannot start")
	}
	if ctx.ID() != "sink" {
		ctx.Send("sink", xpMsg{Kind: "inc"})
	}
}
func (n *xpPanicky) Receive(ctx *Context[xpMsg], from string, m xpMsg) {
	n.got++
	if n.got == 2 {
		panic(fmt.Sprintf("second message, from %s", from))
	}
}
func (n *xpPanicky) Timeout(ctx *Context[xpMsg], name string) {}
func (n *xpPanicky) Clone() *xpPanicky                        { d := *n; return &d }
func (n *xpPanicky) AppendState(b []byte) []byte              { return append(b, byte(n.got)) }

// TestExploreNodePanic: a panicking node stops the search with a
// *NodePanicError whose trace replays a shortest path to the panic.
func TestExploreNodePanic(t *testing.T) {
	for _, workers := range []int{1, 2} {
		res, err := Explore(ExploreConfig[xpMsg, *xpPanicky]{
			Nodes:   []string{"sink", "s1", "s2", "s3"},
			New:     func(string) *xpPanicky { return new(xpPanicky) },
			Workers: workers,
		})
		assert.Nil(t, res)
		require.ErrorIs(t, err, ErrNodePanic)
		var np *NodePanicError
		require.ErrorAs(t, err, &np)
		assert.Equal(t, "sink", np.Node)
		assert.Equal(t, "second message, from s2", np.Value, "the first panic in search order: s1's inc, then s2's")
		assert.Contains(t, np.Stack, "xpPanicky", "the stack shows the panicking handler")
		require.NotNil(t, np.Trace)
		ev := np.Trace.Events
		require.Len(t, ev, 5, "three sends, then two deliveries")
		last := ev[len(ev)-1]
		assert.Equal(t, Deliver, last.Kind)
		assert.Equal(t, "sink", last.Node)
		assert.Equal(t, "s2", last.Peer)
		assert.Equal(t, time.Duration(len(ev)), np.Time)
	}

	// A panic in Start while building the initial state.
	_, err := Explore(ExploreConfig[xpMsg, *xpPanicky]{
		Nodes: []string{"sink", "bad"},
		New:   func(string) *xpPanicky { return new(xpPanicky) },
	})
	var np *NodePanicError
	require.ErrorAs(t, err, &np)
	assert.Equal(t, "bad", np.Node)
	assert.Equal(t, "cannot start", np.Value)
}

// TestExploreBounds: MaxDepth and MaxStates cut the search and say so.
func TestExploreBounds(t *testing.T) {
	cfg := xpCounterConfig(3)
	cfg.MaxDepth = 2
	res, err := Explore(cfg)
	require.NoError(t, err)
	assert.Equal(t, 2, res.Depth)
	assert.Equal(t, 1+3+3, res.Distinct, "levels of C(3,0), C(3,1) and C(3,2) states")
	assert.Equal(t, 1+3, res.Explored, "the states at MaxDepth are checked, not expanded")
	assert.False(t, res.Complete, "depth 2 leaves deliveries undone")

	cfg.MaxDepth = 3
	res, err = Explore(cfg)
	require.NoError(t, err)
	assert.True(t, res.Complete, "nothing is left to do at depth 3: the bound cut nothing")
	assert.Equal(t, 8, res.Distinct)

	cfg.MaxDepth = 0
	cfg.MaxStates = 5
	res, err = Explore(cfg)
	require.NoError(t, err)
	assert.Equal(t, 5, res.Distinct)
	assert.False(t, res.Complete)

	cfg.MaxStates = 8
	res, err = Explore(cfg)
	require.NoError(t, err)
	assert.Equal(t, 8, res.Distinct)
	assert.True(t, res.Complete, "exactly as many states as allowed is not a cut")
	assert.Positive(t, res.BytesPerState)
	assert.Positive(t, res.StatesPerSecond)
	assert.Positive(t, res.Elapsed)
}

// xpEcho answers every message, with the same message, to its sender.
type xpEcho struct{}

func (xpEcho) Start(ctx *Context[xpMsg])                         {}
func (xpEcho) Receive(ctx *Context[xpMsg], from string, m xpMsg) { ctx.Send(from, m) }
func (xpEcho) Timeout(ctx *Context[xpMsg], name string)          {}
func (xpEcho) Clone() xpEcho                                     { return xpEcho{} }
func (xpEcho) AppendState(b []byte) []byte                       { return b }

// TestExploreClients: injected messages come from clients; what nodes send
// back to a client stays in flight for invariants to see, and no action
// applies to it. Equal messages are copies of one another: two equal
// requests are one multiset entry with two copies.
func TestExploreClients(t *testing.T) {
	req := xpMsg{Kind: "req", N: 1}
	res, err := Explore(ExploreConfig[xpMsg, xpEcho]{
		Nodes:  []string{"e"},
		New:    func(string) xpEcho { return xpEcho{} },
		Inject: []Envelope[xpMsg]{{From: "client", To: "e", Msg: req}, {From: "client", To: "e", Msg: req}},
		Quiescent: func(w *World[xpMsg, xpEcho]) error {
			return fmt.Errorf("in flight: %v", w.InFlight())
		},
		MaxDrops:      1,
		MaxDuplicates: 1,
		// the default encoding: fmt's %#v
	})
	require.NoError(t, err)
	require.NotNil(t, res.Violation)
	assert.Equal(t, 2, res.Violation.Depth, "two deliveries before nothing is left to do")
	assert.EqualError(t, res.Violation.Err,
		"in flight: [{e client req(1)} {e client req(1)}]", "the replies stay in flight")
	assert.Equal(t, []string{"e", "client"}, res.Violation.Trace.Nodes)
}

// xpBinMsg encodes itself with AppendBinary.
type xpBinMsg uint8

func (m xpBinMsg) AppendBinary(b []byte) ([]byte, error) {
	if m == 255 {
		return b, errors.New("unencodable")
	}
	return append(b, byte(m)), nil
}

type xpBinNode struct{}

func (xpBinNode) Start(ctx *Context[xpBinMsg]) {
	if ctx.ID() == "a" {
		ctx.Send("b", 1)
		ctx.Send("b", 1)
	}
}
func (xpBinNode) Receive(ctx *Context[xpBinMsg], from string, m xpBinMsg) {
	if m == 1 {
		ctx.Send(from, 255)
	}
}
func (xpBinNode) Timeout(ctx *Context[xpBinMsg], name string) {}
func (xpBinNode) Clone() xpBinNode                            { return xpBinNode{} }
func (xpBinNode) AppendState(b []byte) []byte                 { return b }

// TestExploreBinaryAppender: without EncodeMessage, messages encode with
// AppendBinary; an encoding error is reported as a panic of the sender.
func TestExploreBinaryAppender(t *testing.T) {
	_, err := Explore(ExploreConfig[xpBinMsg, xpBinNode]{
		Nodes: []string{"a", "b"},
		New:   func(string) xpBinNode { return xpBinNode{} },
	})
	var np *NodePanicError
	require.ErrorAs(t, err, &np)
	assert.Equal(t, "b", np.Node)
	assert.ErrorContains(t, np.Value.(error), "unencodable")
	kinds := []EventKind{}
	for _, e := range np.Trace.Events {
		kinds = append(kinds, e.Kind)
	}
	assert.Equal(t, []EventKind{Send, Send, Deliver}, kinds)

	// An injected message that cannot be encoded is a configuration error.
	_, err = Explore(ExploreConfig[xpBinMsg, xpBinNode]{
		Nodes:  []string{"a", "b"},
		New:    func(string) xpBinNode { return xpBinNode{} },
		Inject: []Envelope[xpBinMsg]{{From: "client", To: "a", Msg: 255}},
	})
	require.ErrorIs(t, err, ErrInvalidConfig)
	assert.ErrorContains(t, err, "unencodable")
}

// xpDice draws a number from Context.Rand when it starts and sends it.
type xpDice struct{ n int }

func (d *xpDice) Start(ctx *Context[xpMsg]) {
	d.n = ctx.Rand().IntN(1000)
	ctx.Broadcast(xpMsg{Kind: "roll", N: d.n})
}
func (d *xpDice) Receive(ctx *Context[xpMsg], from string, m xpMsg) { d.n += m.N }
func (d *xpDice) Timeout(ctx *Context[xpMsg], name string)          {}
func (d *xpDice) Clone() *xpDice                                    { c := *d; return &c }
func (d *xpDice) AppendState(b []byte) []byte                       { return binary.AppendVarint(b, int64(d.n)) }

// TestExploreRand: Context.Rand is seeded from the node and its state, so
// explorations that use it repeat exactly, with any number of workers,
// and different nodes draw differently.
func TestExploreRand(t *testing.T) {
	run := func(workers int) *ExploreResult {
		res, err := Explore(ExploreConfig[xpMsg, *xpDice]{
			Nodes: []string{"a", "b", "c"},
			New:   func(string) *xpDice { return new(xpDice) },
			Invariant: func(w *World[xpMsg, *xpDice]) error {
				a, _ := w.Node("a")
				b, _ := w.Node("b")
				if len(w.InFlight()) == 6 && a.n == b.n {
					return errors.New("a and b rolled the same")
				}
				return errors.New("rolls")
			},
			MaxCrashes: 1, MaxRestarts: 1,
			EncodeMessage: xpEncode,
			Workers:       workers,
		})
		require.NoError(t, err)
		return res
	}
	first := run(1)
	require.NotNil(t, first.Violation)
	assert.EqualError(t, first.Violation.Err, "rolls", "nodes seed their Rand differently")
	sameResult(t, first, run(1), 1)
	sameResult(t, first, run(2), 2)
}

// TestExploreHash: the state hash is deterministic (a fixed input has a
// fixed hash, whatever the process), depends on every byte and on the
// length, and shows no collision on a million similar inputs, in either
// half.
func TestExploreHash(t *testing.T) {
	assert.Equal(t, hash128([]byte("eventually perfect")), hash128([]byte("eventually perfect")))
	assert.Equal(t, [2]uint64{0x95bd9ad367befcd3, 0x77d4b46c4ef339ef}, hash128([]byte("eventually perfect")),
		"the hash must not change between processes or releases without reason")
	base := []byte("0123456789abcdefghij")
	h := hash128(base)
	for i := range base {
		for bit := range 8 {
			c := slices.Clone(base)
			c[i] ^= 1 << bit
			assert.NotEqual(t, h, hash128(c), "flipping bit %d of byte %d must change the hash", bit, i)
		}
	}
	assert.NotEqual(t, hash128(nil), hash128([]byte{0}), "length counts")
	assert.NotEqual(t, hash128([]byte{0}), hash128([]byte{0, 0}), "length counts")

	lo := make(map[uint64]bool, 1<<18)
	hi := make(map[uint64]bool, 1<<18)
	var b []byte
	for i := range 1 << 18 {
		b = binary.LittleEndian.AppendUint32(b[:0], uint32(i))
		b = append(b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
		h := hash128(b)
		require.False(t, lo[h[0]] || hi[h[1]], "collision in a 64-bit half at input %d", i)
		lo[h[0]], hi[h[1]] = true, true
	}
}
