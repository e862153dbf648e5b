package quorum

import (
	"cmp"
	"fmt"
	"slices"
)

// VoteResult is the outcome of a vote so far.
type VoteResult uint8

const (
	// Pending: neither outcome is settled; more votes are needed. It is the
	// zero VoteResult.
	Pending VoteResult = iota
	// Lost: the nodes that have not voted no can no longer form a quorum.
	Lost
	// Won: the nodes that voted yes contain a quorum.
	Won
)

// String returns "pending", "lost" or "won".
func (r VoteResult) String() string {
	switch r {
	case Lost:
		return "lost"
	case Won:
		return "won"
	}
	return "pending"
}

// A Tracker counts the yes and no votes of one election or one round
// (a Paxos phase, a Raft election) against one side of a System, for any
// quorum system, not only majorities. It is the generalisation of etcd
// raft's quorum.MajorityConfig.VoteResult. Each node's first vote counts;
// later votes from the same node are ignored, as etcd's tracker does.
//
// Recording a vote does not allocate and costs one or two membership
// checks. A Tracker is a small value (it may be copied to snapshot it); it
// is not safe for concurrent use. The zero Tracker has no system: every
// vote to it fails with ErrUnknownNode.
type Tracker struct {
	sys     *System
	side    Side
	yes, no Set
}

// NewTracker returns a Tracker for side's quorums of s with no votes yet.
func NewTracker(s *System, side Side) Tracker {
	return Tracker{sys: s, side: side & 1}
}

// Vote records node i's vote (i as given by System.Index) and returns the
// result so far. An index outside the system is an error wrapping
// ErrUnknownNode and changes nothing.
func (t *Tracker) Vote(i int, yes bool) (VoteResult, error) {
	if t.sys == nil || i < 0 || i >= len(t.sys.names) {
		return t.Result(), fmt.Errorf("quorum: vote from node index %d: %w", i, ErrUnknownNode)
	}
	bit := Set(1) << uint(i)
	if (t.yes|t.no)&bit == 0 {
		if yes {
			t.yes |= bit
		} else {
			t.no |= bit
		}
	}
	return t.Result(), nil
}

// VoteName is Vote with the node named rather than indexed; it costs one
// map lookup more and does not allocate.
func (t *Tracker) VoteName(name string, yes bool) (VoteResult, error) {
	if t.sys == nil {
		return Pending, fmt.Errorf("quorum: vote from %q: no system: %w", name, ErrUnknownNode)
	}
	i, ok := t.sys.index[name]
	if !ok {
		return t.Result(), fmt.Errorf("quorum: vote from %q: %w", name, ErrUnknownNode)
	}
	return t.Vote(i, yes)
}

// Result returns Won once the yes votes contain a quorum, Lost once the
// nodes that have not voted no contain none, and Pending otherwise. In an
// intersecting system a read round and a write round can never both be won
// by disjoint voters, which is what Paxos relies on.
func (t *Tracker) Result() VoteResult {
	if t.sys == nil {
		return Pending
	}
	tr := &t.sys.trees[t.side]
	if tr.eval(0, t.yes) {
		return Won
	}
	if !tr.eval(0, t.sys.all&^t.no) {
		return Lost
	}
	return Pending
}

// Yes returns the nodes that voted yes.
func (t *Tracker) Yes() Set { return t.yes }

// No returns the nodes that voted no.
func (t *Tracker) No() Set { return t.no }

// Reset forgets every vote, keeping the system and side.
func (t *Tracker) Reset() { t.yes, t.no = 0, 0 }

// CommittedIndex returns the largest index that a quorum of the given side
// has acknowledged: the largest I such that the nodes with acked[i] >= I
// form a quorum. acked[i] is node i's acknowledged index (its match index
// in Raft). It generalises etcd raft's quorum.MajorityConfig.CommittedIndex
// from majorities to any quorum system (for Flexible Paxos, pass Write for
// the phase-2 quorums). A slice of the wrong length is an error wrapping
// ErrUnknownNode.
//
// It does not allocate; it sorts the n indices (insertion sort for up to 8
// nodes, as etcd does, pdqsort beyond) and then binary searches for the
// shortest quorum prefix: O(n log n) plus O(log n) membership checks.
func (s *System) CommittedIndex(side Side, acked []uint64) (uint64, error) {
	n := len(s.names)
	if len(acked) != n {
		return 0, fmt.Errorf("quorum: %d acknowledged indices for %d nodes: %w", len(acked), n, ErrUnknownNode)
	}
	type ack struct {
		index uint64
		node  uint8
	}
	var buf [MaxNodes]ack // on the stack: no allocation
	acks := buf[:n]
	for i, a := range acked {
		acks[i] = ack{a, uint8(i)}
	}
	if n <= 8 { // insertion sort, decreasing: cheapest for real cluster sizes
		for i := 1; i < n; i++ {
			for j := i; j > 0 && acks[j-1].index < acks[j].index; j-- {
				acks[j-1], acks[j] = acks[j], acks[j-1]
			}
		}
	} else {
		slices.SortFunc(acks, func(a, b ack) int { return cmp.Compare(b.index, a.index) })
	}
	var prefix [MaxNodes]Set // prefix[p]: the p+1 nodes with the largest acks
	var acc Set
	for p := range n {
		acc |= 1 << acks[p].node
		prefix[p] = acc
	}
	tr := &s.trees[side&1]
	lo, hi := 0, n-1 // prefix[hi] (every node) is always a quorum
	for lo < hi {
		mid := (lo + hi) / 2
		if tr.eval(0, prefix[mid]) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return acks[lo].index, nil
}
