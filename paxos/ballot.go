package paxos

import (
	"cmp"
	"strconv"
)

// Ballot numbers a proposal attempt: a round, made unique across
// proposers by the proposing node's identifier ("Paxos Made Simple",
// section 2.2: "different proposers choose their numbers from disjoint
// sets"). The zero Ballot is lower than every ballot a proposer uses and
// stands for "none".
type Ballot struct {
	Round uint64
	Node  string
}

// Compare orders ballots by round, then by node identifier: -1 if b < c,
// 0 if equal, +1 if b > c.
func (b Ballot) Compare(c Ballot) int {
	if r := cmp.Compare(b.Round, c.Round); r != 0 {
		return r
	}
	return cmp.Compare(b.Node, c.Node)
}

// Less reports whether b is lower than c.
func (b Ballot) Less(c Ballot) bool { return b.Compare(c) < 0 }

// IsZero reports whether b is the zero Ballot ("none").
func (b Ballot) IsZero() bool { return b.Round == 0 && b.Node == "" }

// String returns "round.node", or "-" for the zero Ballot.
func (b Ballot) String() string {
	if b.IsZero() {
		return "-"
	}
	return strconv.FormatUint(b.Round, 10) + "." + b.Node
}
