package paxos

import "fmt"

// MsgType says what a Message is.
type MsgType uint8

// The message types of single-decree Paxos ("Paxos Made Simple", section
// 2.2 and 2.3), a NACK that tells a proposer which ballot beat it, and
// Decide, with which a learner that knows the chosen value tells others.
const (
	// Prepare is phase 1a: the proposer asks acceptors to promise Ballot.
	Prepare MsgType = iota + 1
	// Promise is phase 1b: the acceptor promised Ballot and reports its
	// highest acceptance (VBallot, Value; VBallot zero if none).
	Promise
	// Accept is phase 2a: the proposer asks acceptors to accept Value in
	// Ballot.
	Accept
	// Accepted is phase 2b: the acceptor accepted Value in Ballot; it goes
	// to the proposer and to every learner.
	Accepted
	// Nack rejects a Prepare or Accept for Ballot: the acceptor has promised
	// Highest, which is higher.
	Nack
	// Decide announces the chosen Value.
	Decide
)

// String returns the type's name.
func (t MsgType) String() string {
	switch t {
	case Prepare:
		return "prepare"
	case Promise:
		return "promise"
	case Accept:
		return "accept"
	case Accepted:
		return "accepted"
	case Nack:
		return "nack"
	case Decide:
		return "decide"
	}
	return fmt.Sprintf("msgtype(%d)", uint8(t))
}

// Message is what Paxos nodes send to one another. Treat it as an
// immutable value.
type Message struct {
	Type     MsgType
	From, To string
	// Ballot is the ballot the message is about.
	Ballot Ballot
	// VBallot and Value are, in a Promise, the acceptor's highest accepted
	// ballot and its value; in Accept and Accepted, Value is the value of
	// Ballot; in Decide, the chosen value.
	VBallot Ballot
	Value   string
	// Highest is, in a Nack, the highest ballot the acceptor has promised.
	Highest Ballot
}

// String formats the message compactly for traces, for example
// "promise 2.p1 (acc 1.p2=x)".
func (m Message) String() string {
	switch m.Type {
	case Prepare:
		return fmt.Sprintf("prepare %v", m.Ballot)
	case Promise:
		if m.VBallot.IsZero() {
			return fmt.Sprintf("promise %v", m.Ballot)
		}
		return fmt.Sprintf("promise %v (acc %v=%s)", m.Ballot, m.VBallot, m.Value)
	case Accept:
		return fmt.Sprintf("accept %v=%s", m.Ballot, m.Value)
	case Accepted:
		return fmt.Sprintf("accepted %v=%s", m.Ballot, m.Value)
	case Nack:
		return fmt.Sprintf("nack %v (promised %v)", m.Ballot, m.Highest)
	case Decide:
		return fmt.Sprintf("decide %s", m.Value)
	}
	return m.Type.String()
}
