package commit

import (
	"errors"
	"fmt"
)

// Msg is a message of either protocol. One run decides one transaction, so
// a message needs no transaction identifier: a real system would run one
// instance per transaction and key every message by its identifier.
//
// The zero value is not a valid message; its String is "msg(0)".
type Msg uint8

// The messages. They follow Bernstein, Hadzilacos and Goodman (1987),
// chapter 7, where Prepare is called VOTE-REQ; other texts call Prepare,
// PreCommit and Commit "canCommit?", "preCommit" and "doCommit".
const (
	// Prepare asks a participant to vote on the transaction (coordinator
	// to participant).
	Prepare Msg = iota + 1
	// Yes votes to commit (participant to coordinator). A participant
	// that has sent it may no longer abort on its own: it is uncertain.
	Yes
	// No votes to abort (participant to coordinator); the participant has
	// already aborted.
	No
	// PreCommit tells a participant that every participant voted yes
	// (three-phase commit only, coordinator to participant).
	PreCommit
	// Ack acknowledges a PreCommit (three-phase commit only).
	Ack
	// Commit announces the decision to commit.
	Commit
	// Abort announces the decision to abort.
	Abort
	// Query asks for the decision: a two-phase participant asks the
	// coordinator, a recovering three-phase participant asks everyone.
	// Whoever has decided answers with Commit or Abort.
	Query
)

var msgNames = [...]string{
	Prepare:   "prepare",
	Yes:       "yes",
	No:        "no",
	PreCommit: "precommit",
	Ack:       "ack",
	Commit:    "commit",
	Abort:     "abort",
	Query:     "query",
}

// ErrMalformed reports bytes that are not the encoding of a Msg.
var ErrMalformed = errors.New("malformed message")

// Valid reports whether m is one of the defined messages.
func (m Msg) Valid() bool { return m >= Prepare && m <= Query }

// String returns the message's name as traces show it, such as "prepare".
func (m Msg) String() string {
	if !m.Valid() {
		return fmt.Sprintf("msg(%d)", uint8(m))
	}
	return msgNames[m]
}

// AppendBinary appends the one-byte canonical encoding of m to b. The
// explorer uses it to tell states apart.
func (m Msg) AppendBinary(b []byte) ([]byte, error) {
	return append(b, byte(m)), nil
}

// MarshalBinary returns the one-byte canonical encoding of m.
func (m Msg) MarshalBinary() ([]byte, error) { return m.AppendBinary(nil) }

// UnmarshalBinary decodes a message written by MarshalBinary. Anything but
// exactly one byte naming a defined message is rejected with an error
// wrapping ErrMalformed.
func (m *Msg) UnmarshalBinary(data []byte) error {
	if len(data) != 1 {
		return fmt.Errorf("commit: decoding a message of %d bytes, want 1: %w", len(data), ErrMalformed)
	}
	if v := Msg(data[0]); !v.Valid() {
		return fmt.Errorf("commit: decoding message kind %d: %w", data[0], ErrMalformed)
	}
	*m = Msg(data[0])
	return nil
}

// Decision is the outcome of the transaction at one node.
//
// The zero value is Undecided.
type Decision uint8

// The decisions.
const (
	// Undecided: the node does not know the outcome yet.
	Undecided Decision = iota
	// Committed: the node decided to commit.
	Committed
	// Aborted: the node decided to abort.
	Aborted
)

// String returns "undecided", "commit" or "abort".
func (d Decision) String() string {
	switch d {
	case Undecided:
		return "undecided"
	case Committed:
		return "commit"
	case Aborted:
		return "abort"
	}
	return fmt.Sprintf("decision(%d)", uint8(d))
}

// msg returns the message that announces d.
func (d Decision) msg() Msg {
	if d == Committed {
		return Commit
	}
	return Abort
}

// Vote is what a participant answered to Prepare.
//
// The zero value is NoVote: the participant has not voted.
type Vote uint8

// The votes.
const (
	// NoVote: the participant has not voted (it may still abort on its
	// own).
	NoVote Vote = iota
	// VotedYes: the participant sent Yes.
	VotedYes
	// VotedNo: the participant sent No (or aborted before voting).
	VotedNo
)

// String returns "none", "yes" or "no".
func (v Vote) String() string {
	switch v {
	case NoVote:
		return "none"
	case VotedYes:
		return "yes"
	case VotedNo:
		return "no"
	}
	return fmt.Sprintf("vote(%d)", uint8(v))
}

// State is where a node stands in the protocol, after the finite state
// automata of Skeen (1981): q (Initial), w (Waiting), p (Prepared), and the
// final states c and a, which are both Decided here (Decision says which).
//
// The zero value is Initial.
type State uint8

// The states.
const (
	// Initial: a participant waiting for Prepare. It has not voted and may
	// abort on its own.
	Initial State = iota
	// Waiting: a coordinator collecting votes, or a participant that voted
	// yes and waits for the outcome (two-phase) or for PreCommit
	// (three-phase). A participant in Waiting is uncertain: it cannot
	// decide alone, because the others may decide either way.
	Waiting
	// Prepared: three-phase commit only. The coordinator has sent
	// PreCommit (and collects acks); a participant has received it and
	// knows that every participant voted yes.
	Prepared
	// Decided: the node has decided, and persisted its decision.
	Decided
)

// String returns "initial", "waiting", "prepared" or "decided".
func (s State) String() string {
	switch s {
	case Initial:
		return "initial"
	case Waiting:
		return "waiting"
	case Prepared:
		return "prepared"
	case Decided:
		return "decided"
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}
