package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tests of the explorer's network faults: partitions (MaxPartitions) and
// long delays (MaxHolds).

// TestExplorePartitionStateCount checks the number of states against a
// count worked out by hand: the counter with two senders s1, s2 and one
// change of partition. A state is the sink's count, the incs in flight
// F, and the cut (the partition in force). The cuts keep the sink on
// side 0: {s1}, {s2} or {s1, s2} on the other side (4 cuts with none).
//
//   - no cut: F any subset, the count 2 - |F|: 4 states.
//   - {s1, s2} cut away: F is empty (the cut lost what was in flight), and
//     the count is 0, 1 or 2: 3 states.
//   - {s1} cut away: s1's inc is no longer in flight. If s2's inc still
//     is, the count is 0 or 1 (s1's was delivered before the cut or
//     not); once s2's is delivered, 1 or 2: 4 states. {s2}: likewise, 4.
//
// In all 15; with Partitions listing only the cut of both senders, 4 + 3
// = 7. Under Synchronous the network changes only when no message
// can be delivered, and both incs are deliverable from the start until
// they are delivered, so a partition changes nothing: 4 states without a
// cut, 1 with each of the three cuts after both incs arrived, 7.
func TestExplorePartitionStateCount(t *testing.T) {
	for _, tc := range []struct {
		name        string
		synchronous bool
		partitions  [][]string
		distinct    int
		minCount    int
	}{
		{"asynchronous", false, nil, 15, 0},
		{"synchronous", true, nil, 7, 2},
		{"one listed cut", false, [][]string{{"s1", "s2"}}, 7, 0},
		{"the same cut from the sink's side", false, [][]string{{"sink"}}, 7, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := xpCounterConfig(2)
			cfg.MaxPartitions, cfg.Synchronous, cfg.Partitions = 1, tc.synchronous, tc.partitions
			least := 2
			cfg.Invariant = func(w *World[xpMsg, *xpCounter]) error {
				if len(w.InFlight()) == 0 {
					least = min(least, sinkCount(w))
				}
				return nil
			}
			res, err := Explore(cfg)
			require.NoError(t, err)
			assert.Equal(t, tc.distinct, res.Distinct, "distinct states differ from the count derived by hand")
			assert.True(t, res.Complete)
			assert.Equal(t, tc.minCount, least, "the least count the sink ends with: a partition that begins while incs are in flight loses them, and under Synchronous none can")
		})
	}
}

// TestExplorePartitionTrace: the shortest path to a sink that ends with
// nothing cuts it away at once, and its trace shows the partition and the
// two losses.
func TestExplorePartitionTrace(t *testing.T) {
	cfg := xpCounterConfig(2)
	cfg.MaxPartitions = 1
	cfg.Invariant = func(w *World[xpMsg, *xpCounter]) error {
		if len(w.InFlight()) == 0 && sinkCount(w) == 0 {
			return errors.New("the sink received nothing")
		}
		return nil
	}
	res, err := Explore(cfg)
	require.NoError(t, err)
	require.NotNil(t, res.Violation, "a partition of the sink from both senders loses both incs")
	assert.Equal(t, 1, res.Violation.Depth, "one action: the partition")
	var faults, drops []string
	for _, e := range res.Violation.Trace.Events {
		switch e.Kind {
		case Fault:
			faults = append(faults, e.Text)
		case Drop:
			drops = append(drops, e.Node+"→"+e.Peer)
		}
	}
	assert.Equal(t, []string{"partition [sink] | [s1 s2]"}, faults)
	assert.ElementsMatch(t, []string{"s1→sink", "s2→sink"}, drops)
}

// xpEpoch: "c" asks "p" for an answer in epoch 1 when it starts, and in
// the next epoch each time its timer fires; p answers with the epoch it
// was asked in. c records whether it ever took an answer of an epoch
// before its current one. A
// protocol that trusts the network to deliver before a timeout: correct
// in the synchronous model, wrong once a message is delayed beyond it.
type xpEpoch struct {
	epoch int
	stale bool
}

func (n *xpEpoch) Start(ctx *Context[xpMsg]) {
	if ctx.ID() == "c" {
		n.epoch = 1
		ctx.Send("p", xpMsg{Kind: "ask", N: 1})
		ctx.SetTimer("retry", 1)
	}
}
func (n *xpEpoch) Receive(ctx *Context[xpMsg], from string, m xpMsg) {
	if m.Kind == "ask" {
		ctx.Send(from, xpMsg{Kind: "answer", N: m.N})
		return
	}
	n.stale = n.stale || m.N < n.epoch
}
func (n *xpEpoch) Timeout(ctx *Context[xpMsg], name string) {
	n.epoch++
	ctx.Send("p", xpMsg{Kind: "ask", N: n.epoch})
	ctx.SetTimer("retry", 1)
}
func (n *xpEpoch) Clone() *xpEpoch { d := *n; return &d }
func (n *xpEpoch) AppendState(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(n.epoch))
	if n.stale {
		return append(b, 1)
	}
	return append(b, 0)
}

// xpEpochConfig explores xpEpoch in the synchronous model with two
// timeouts, checking that c never takes the answer of an earlier epoch.
func xpEpochConfig(holds, partitions int) ExploreConfig[xpMsg, *xpEpoch] {
	return ExploreConfig[xpMsg, *xpEpoch]{
		Nodes: []string{"c", "p"},
		New:   func(string) *xpEpoch { return &xpEpoch{} },
		Invariant: func(w *World[xpMsg, *xpEpoch]) error {
			if c, _ := w.Node("c"); c.stale {
				return fmt.Errorf("c took the answer of an earlier epoch in epoch %d", c.epoch)
			}
			return nil
		},
		Synchronous: true, DelayBounding: true,
		MaxTimeouts: 2, MaxHolds: holds, MaxPartitions: partitions,
		EncodeMessage: xpEncode, Workers: 1,
	}
}

// TestExploreHoldDeliversLate: in the synchronous model a reply always
// arrives before the next timeout, so without holds c never takes a stale
// answer; one long delay breaks that, and the trace shows the message held
// and delivered after the timer.
func TestExploreHoldDeliversLate(t *testing.T) {
	res, err := Explore(xpEpochConfig(0, 0))
	require.NoError(t, err)
	require.Nil(t, res.Violation, "no message outlives a timeout in the synchronous model")
	require.True(t, res.Complete)

	res, err = Explore(xpEpochConfig(1, 0))
	require.NoError(t, err)
	require.NotNil(t, res.Violation, "a message held beyond two timeouts must be found delivered late")
	var kinds []string
	for _, e := range res.Violation.Trace.Events {
		switch e.Kind {
		case Fault:
			kinds = append(kinds, "fault "+e.Text)
		case Timer:
			kinds = append(kinds, "timer "+e.Node)
		case Deliver:
			kinds = append(kinds, "deliver "+e.Text+" at "+e.Node)
		}
	}
	require.NotEmpty(t, kinds)
	joined := strings.Join(kinds, "; ")
	assert.Contains(t, joined, "fault hold ", "the trace names the held message: %s", joined)
	assert.True(t, strings.Contains(joined, "deliver answer(1) at c") && strings.Index(joined, "timer c") < strings.LastIndex(joined, "deliver answer(1) at c"),
		"the stale answer arrives after a timeout: %s", joined)
}

// TestExploreHeldMessageCrossesPartition: a held message released while a
// partition separates its ends is lost, not delivered.
func TestExploreHeldMessageCrossesPartition(t *testing.T) {
	cfg := xpEpochConfig(1, 1)
	cfg.MaxTimeouts = 0
	// Hold the ask, cut c from p, release: the explorer offers the
	// release, and its successor must have lost the message.
	x, err := newExplorer(cfg)
	require.NoError(t, err)
	w := newWorker(x)
	s := w.initial().keep()
	s = w.step(s, makeAction(actHold, 0)).keep()
	require.Len(t, s.held, 1)
	s = w.step(s, makeAction(actPartition, slices.Index(x.cuts, 0b10))).keep()
	var offered []action
	x.forActions(s, func(a action) bool { offered = append(offered, a); return true })
	require.Contains(t, offered, makeAction(actRelease, 0), "a held message may be released at any time")
	s = w.step(s, makeAction(actRelease, 0)).keep()
	assert.Empty(t, s.held)
	assert.Empty(t, s.flight, "the released ask crossed the partition: it must be lost, and p must not answer")
	assert.Equal(t, s.nodes[x.index["p"]].h, w.initial().nodes[x.index["p"]].h, "p received nothing")
}

// TestExploreNetworkFaultBounds: the new bounds are validated like the
// others, and partitions are refused with symmetry or too many nodes.
func TestExploreNetworkFaultBounds(t *testing.T) {
	cfg := xpCounterConfig(2)
	cfg.MaxPartitions = -1
	_, err := Explore(cfg)
	require.ErrorIs(t, err, ErrInvalidConfig)
	cfg = xpCounterConfig(2)
	cfg.MaxHolds = -1
	_, err = Explore(cfg)
	require.ErrorIs(t, err, ErrInvalidConfig)
	cfg = xpCounterConfig(maxPartitioned) // maxPartitioned senders and the sink
	cfg.MaxPartitions = 1
	_, err = Explore(cfg)
	require.ErrorIs(t, err, ErrInvalidConfig, "more nodes than partitions can enumerate")
	for _, side := range [][]string{{}, {"sink", "s1", "s2"}, {"s1", "nobody"}} {
		cfg = xpCounterConfig(2)
		cfg.MaxPartitions, cfg.Partitions = 1, [][]string{side}
		_, err = Explore(cfg)
		require.ErrorIs(t, err, ErrInvalidConfig, "partition side %v must be refused", side)
	}
	cfg = xpCounterConfig(3)
	cfg.MaxHolds, cfg.Symmetric = 1, []string{"s1", "s2"}
	_, err = Explore(cfg)
	require.ErrorIs(t, err, ErrInvalidConfig, "holds with symmetry are refused, not silently unsound")
	assert.Contains(t, err.Error(), "MaxHolds")
}
