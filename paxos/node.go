package paxos

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/eventually-perfect/primitives/quorum"
)

// Config describes one node of a single-decree Paxos instance.
type Config struct {
	// ID is this node's identifier.
	ID string
	// Quorums is the quorum system of the acceptors, whose nodes are the
	// acceptors: its read quorums are the phase-1 quorums and its write
	// quorums the phase-2 quorums (Flexible Paxos: only these two need to
	// intersect). quorum.Majority gives classic Paxos, quorum.Flexible(n,
	// q1, q2) FPaxos, and any other system works.
	Quorums *quorum.System
	// Learners are the nodes that acceptors tell of their acceptances. A
	// proposer also learns when its own phase 2 succeeds.
	Learners []string
	// Unsafe accepts a quorum system whose phase-1 and phase-2 quorums do
	// not all intersect (built with quorum.Config.Unchecked). Such a system
	// can choose two values; it exists for lessons that show it.
	Unsafe bool
	// Thrifty sends the first ballot's Prepare messages only to the
	// shortest prefix of Prefer that is a phase-1 quorum and its Accept
	// messages to the shortest prefix that is a phase-2 quorum, instead of
	// every acceptor (fewer messages; Moraru et al., EPaxos, SOSP 2013, and
	// the FPaxos evaluation use the same idea). Retries go to every
	// acceptor, so a crashed acceptor in the preferred quorum costs one
	// retry period, not liveness.
	Thrifty bool
	// Prefer orders the acceptors for Thrifty, nearest first; empty means
	// the order of Quorums.Names(). It may list only acceptors, once each.
	Prefer []string
	// RetryTicks is how many calls of Tick without a decision make the
	// proposer start a new ballot; 0 means 1.
	RetryTicks int

	// mutant breaks one rule on purpose, for the mutation score of the
	// tests (node_mutant.go); outside the package's tests it is zero.
	mutant nodeMutant
}

// phase of the proposer.
const (
	idle   = 0
	phase1 = 1
	phase2 = 2
)

// vote is what a learner has heard of one ballot.
type vote struct {
	ballot Ballot
	value  string
	from   quorum.Set
}

// Node is one participant in single-decree Paxos: an acceptor if it is
// one of Config.Quorums' nodes, a proposer once Propose is called, and a
// learner if it is among Config.Learners. It is a deterministic state
// machine: Propose, Step and Tick take input and return the messages to
// send; the node saves its State to its Storage before it returns a
// message that depends on it. It has no goroutines, timers or clock: the
// caller delivers messages and calls Tick periodically. A Node is not safe
// for concurrent use.
type Node struct {
	cfg      Config
	sys      *quorum.System
	acceptor bool
	learner  bool
	storage  Storage
	names    []string // the acceptors, as Quorums.Names() gives them

	st State // the acceptor's promise and acceptance and the proposer's round, as saved

	// proposer
	value    string // the value this node proposes
	proposer bool   // Propose was called
	ballot   Ballot // current ballot
	phase    uint8
	promises quorum.Set
	best     Ballot // highest acceptance reported in promises
	bestVal  string
	accepts  quorum.Set
	highest  Ballot // highest ballot heard of in NACKs
	ticks    int
	retried  bool // a ballot after the first: Thrifty no longer applies

	// learner
	decided  bool
	decision string
	votes    []vote // sorted by ballot

	dropped int

	// observe, if not nil, is called with every message the node sends,
	// to itself included, in order: the tests' specification checker
	// keeps its ghost state with it (node_export_test.go).
	observe func(Message)
}

// New returns the node described by cfg, with the State it finds in st.
// A configuration without an ID or quorum system, or whose quorums do not
// intersect without cfg.Unsafe, is an error wrapping ErrInvalidConfig or
// ErrNoIntersection.
func New(cfg Config, st Storage) (*Node, error) {
	if cfg.ID == "" || cfg.Quorums == nil || st == nil {
		return nil, fmt.Errorf("paxos: config needs an ID, a quorum system and a storage: %w", ErrInvalidConfig)
	}
	if !cfg.Quorums.Intersecting() && !cfg.Unsafe {
		return nil, fmt.Errorf("paxos: %v: %w", cfg.Quorums, ErrNoIntersection)
	}
	if cfg.RetryTicks < 0 {
		return nil, fmt.Errorf("paxos: RetryTicks %d: %w", cfg.RetryTicks, ErrInvalidConfig)
	}
	cfg.Learners = slices.Clone(cfg.Learners)
	slices.Sort(cfg.Learners)
	if len(slices.Compact(cfg.Learners)) != len(cfg.Learners) || slices.Contains(cfg.Learners, "") {
		return nil, fmt.Errorf("paxos: learners %q: %w", cfg.Learners, ErrInvalidConfig)
	}
	if len(cfg.Prefer) == 0 {
		cfg.Prefer = cfg.Quorums.Names()
	}
	cfg.Prefer = slices.Clone(cfg.Prefer)
	if _, err := cfg.Quorums.SetOf(cfg.Prefer...); err != nil {
		return nil, fmt.Errorf("paxos: prefer %q: %w: %w", cfg.Prefer, ErrInvalidConfig, err)
	}
	if p := slices.Clone(cfg.Prefer); len(slices.Compact(slices.Sorted(slices.Values(p)))) != len(p) {
		return nil, fmt.Errorf("paxos: prefer %q names a node twice: %w", cfg.Prefer, ErrInvalidConfig)
	}
	s, err := st.Load()
	if err != nil {
		return nil, fmt.Errorf("paxos: load: %w: %w", ErrStorage, err)
	}
	_, acc := cfg.Quorums.Index(cfg.ID)
	return &Node{
		cfg:      cfg,
		sys:      cfg.Quorums,
		acceptor: acc,
		learner:  slices.Contains(cfg.Learners, cfg.ID),
		storage:  st,
		names:    cfg.Quorums.Names(),
		st:       s,
	}, nil
}

// ID returns the node's identifier.
func (n *Node) ID() string { return n.cfg.ID }

// State returns the node's State as last saved.
func (n *Node) State() State { return n.st }

// Ballot returns the proposer's current ballot (zero before Propose).
func (n *Node) Ballot() Ballot { return n.ballot }

// Decided returns the chosen value once this node has learned it.
func (n *Node) Decided() (string, bool) { return n.decision, n.decided }

// Dropped counts the messages this node ignored as stale, duplicate or
// meant for a role it does not have.
func (n *Node) Dropped() int { return n.dropped }

// Propose makes this node a proposer of v and starts phase 1 with a new
// ballot, higher than any it has used or heard of. If a value was already
// accepted somewhere, Paxos may choose that value instead of v. Calling
// Propose again replaces v and starts another ballot; after the node has
// learned the decision it does nothing.
func (n *Node) Propose(v string) ([]Message, error) {
	if n.decided {
		return nil, nil
	}
	n.value, n.proposer = v, true
	var out outbox
	if err := n.startBallot(&out); err != nil {
		return nil, err
	}
	return n.deliverLocal(out)
}

// Tick tells the node that a retry period has passed. An undecided
// proposer starts a new ballot every Config.RetryTicks ticks (the caller
// should jitter its tick period so that competing proposers do not
// duel forever); a proposer that has learned the decision announces it to
// the learners again, so that learners that missed it catch up.
func (n *Node) Tick() ([]Message, error) {
	if !n.proposer {
		return nil, nil
	}
	var out outbox
	if n.decided {
		for _, l := range n.cfg.Learners {
			if l != n.cfg.ID {
				out.send(Message{Type: Decide, From: n.cfg.ID, To: l, Value: n.decision})
			}
		}
		return out, nil
	}
	n.ticks++
	if n.ticks < max(n.cfg.RetryTicks, 1) {
		return nil, nil
	}
	if err := n.startBallot(&out); err != nil {
		return nil, err
	}
	return n.deliverLocal(out)
}

// Step handles a message addressed to this node and returns the messages
// to send. A message addressed to another node, or an acceptor's reply
// from a node that is not an acceptor, is an error wrapping
// ErrUnknownNode; a malformed one wraps ErrBadMessage; neither changes
// the node. Stale and duplicate messages are ignored (see Dropped) or
// answered with a Nack. A failing Storage gives an error wrapping
// ErrStorage, and nothing that depends on the failed write is sent.
func (n *Node) Step(m Message) ([]Message, error) {
	if err := n.check(m); err != nil {
		return nil, err
	}
	var out outbox
	if err := n.step(m, &out); err != nil {
		return nil, err
	}
	return n.deliverLocal(out)
}

type outbox []Message

func (o *outbox) send(m Message) { *o = append(*o, m) }

// deliverLocal handles the messages this node sends to itself at once and
// returns the others, in order.
func (n *Node) deliverLocal(out outbox) ([]Message, error) {
	var rest []Message
	for i := 0; i < len(out); i++ {
		m := out[i]
		if n.observe != nil {
			n.observe(m)
		}
		if m.To != n.cfg.ID {
			rest = append(rest, m)
			continue
		}
		if err := n.step(m, &out); err != nil {
			return rest, err
		}
	}
	return rest, nil
}

func (n *Node) check(m Message) error {
	if m.To != n.cfg.ID {
		return fmt.Errorf("paxos: message to %q reached %q: %w", m.To, n.cfg.ID, ErrUnknownNode)
	}
	switch m.Type {
	case Prepare, Accept:
		if m.Ballot.Round == 0 || m.Ballot.Node != m.From {
			return fmt.Errorf("paxos: %v from %q: ballot not the sender's: %w", m, m.From, ErrBadMessage)
		}
	case Promise, Accepted, Nack:
		if _, ok := n.sys.Index(m.From); !ok {
			return fmt.Errorf("paxos: %v from %q, not an acceptor: %w", m, m.From, ErrUnknownNode)
		}
	case Decide:
	default:
		return fmt.Errorf("paxos: message type %d: %w", m.Type, ErrBadMessage)
	}
	if m.From == "" {
		return fmt.Errorf("paxos: message without sender: %w", ErrBadMessage)
	}
	return nil
}

// persist is save, except under mutant mu, which adopts s without saving
// it.
func (n *Node) persist(mu nodeMutant, s State) error {
	if n.cfg.mutant == mu {
		n.st = s
		return nil
	}
	return n.save(s)
}

// save persists s, then adopts it.
func (n *Node) save(s State) error {
	if s == n.st {
		return nil
	}
	if err := n.storage.Save(s); err != nil {
		return fmt.Errorf("paxos: save: %w: %w", ErrStorage, err)
	}
	n.st = s
	return nil
}

// startBallot begins phase 1 with a ballot above every one this node has
// used or heard of ("Paxos Made Simple", section 2.2, phase 1a).
func (n *Node) startBallot(out *outbox) error {
	s := n.st
	s.Round = max(s.Round, n.highest.Round, n.st.Promised.Round) + 1
	if err := n.persist(nmRoundNotPersisted, s); err != nil { // never reuse a round after a restart
		return err
	}
	n.retried = !n.ballot.IsZero()
	n.ballot = Ballot{Round: s.Round, Node: n.cfg.ID}
	n.phase, n.promises, n.accepts, n.ticks = phase1, 0, 0, 0
	n.best, n.bestVal = Ballot{}, ""
	for _, a := range n.targets(n.sys.IsRead) {
		out.send(Message{Type: Prepare, From: n.cfg.ID, To: a, Ballot: n.ballot})
	}
	return nil
}

// targets returns the acceptors to ask in a phase whose quorums isQuorum
// recognises: all of them, or with Thrifty on a first ballot, the shortest
// preferred prefix that is a quorum.
func (n *Node) targets(isQuorum func(quorum.Set) bool) []string {
	if !n.cfg.Thrifty || n.retried {
		return n.names
	}
	var set quorum.Set
	for k, a := range n.cfg.Prefer {
		i, _ := n.sys.Index(a)
		set = set.With(i)
		if isQuorum(set) {
			return n.cfg.Prefer[:k+1]
		}
	}
	return n.cfg.Prefer
}

func (n *Node) step(m Message, out *outbox) error {
	switch m.Type {
	case Prepare:
		return n.onPrepare(m, out)
	case Accept:
		return n.onAccept(m, out)
	case Promise:
		n.onPromise(m, out)
	case Accepted:
		n.onAccepted(m)
	case Nack:
		n.onNack(m)
	case Decide:
		if n.learner || n.proposer {
			n.learn(m.Value)
		} else {
			n.dropped++
		}
	}
	return nil
}

// onPrepare is phase 1b: promise never to accept below m.Ballot and report
// the highest acceptance, or refuse with the higher promise.
func (n *Node) onPrepare(m Message, out *outbox) error {
	if !n.acceptor {
		n.dropped++
		return nil
	}
	if m.Ballot.Less(n.st.Promised) && n.cfg.mutant != nmPromiseBelowPromise {
		out.send(Message{Type: Nack, From: n.cfg.ID, To: m.From, Ballot: m.Ballot, Highest: n.st.Promised})
		return nil
	}
	s := n.st
	s.Promised = m.Ballot
	if err := n.persist(nmPromiseNotPersisted, s); err != nil {
		return err
	}
	p := Message{Type: Promise, From: n.cfg.ID, To: m.From, Ballot: m.Ballot, VBallot: n.st.Accepted, Value: n.st.Value}
	if n.cfg.mutant == nmPromiseWithoutAcceptance {
		p.VBallot, p.Value = Ballot{}, ""
	}
	out.send(p)
	return nil
}

// onAccept is phase 2b: accept unless a higher ballot was promised.
func (n *Node) onAccept(m Message, out *outbox) error {
	if !n.acceptor {
		n.dropped++
		return nil
	}
	if m.Ballot.Less(n.st.Promised) && n.cfg.mutant != nmAcceptBelowPromise {
		out.send(Message{Type: Nack, From: n.cfg.ID, To: m.From, Ballot: m.Ballot, Highest: n.st.Promised})
		return nil
	}
	s := n.st
	s.Accepted, s.Value = m.Ballot, m.Value
	if !m.Ballot.Less(s.Promised) { // it is below only under nmAcceptBelowPromise
		s.Promised = m.Ballot
	}
	if err := n.persist(nmAcceptanceNotPersisted, s); err != nil {
		return err
	}
	reply := Message{Type: Accepted, From: n.cfg.ID, Ballot: m.Ballot, Value: m.Value}
	toProposer := false
	for _, l := range n.cfg.Learners {
		reply.To = l
		out.send(reply)
		toProposer = toProposer || l == m.From
	}
	if !toProposer {
		reply.To = m.From
		out.send(reply)
	}
	return nil
}

// onPromise collects phase-1 votes; with a phase-1 quorum, the proposer
// asks for the value of the highest acceptance reported, or its own
// ("Paxos Made Simple", section 2.2, phase 2a).
func (n *Node) onPromise(m Message, out *outbox) {
	if n.phase != phase1 || !n.current(m.Ballot, nmPromiseAnyBallot) {
		n.dropped++
		return
	}
	i, _ := n.sys.Index(m.From)
	n.promises = n.promises.With(i)
	if n.higher(m.VBallot) {
		n.best, n.bestVal = m.VBallot, m.Value
	}
	if !n.sys.IsRead(n.promises) {
		return
	}
	v := n.value
	if !n.best.IsZero() && n.cfg.mutant != nmOwnValue {
		v = n.bestVal
	}
	n.phase = phase2
	n.bestVal = v
	for _, a := range n.targets(n.sys.IsWrite) {
		out.send(Message{Type: Accept, From: n.cfg.ID, To: a, Ballot: n.ballot, Value: v})
	}
}

// onAccepted counts phase-2 votes, as the proposer of the ballot and as a
// learner (section 2.4: a value is chosen once a phase-2 quorum accepted
// it in one ballot).
func (n *Node) onAccepted(m Message) {
	used := false
	i, _ := n.sys.Index(m.From)
	if n.phase == phase2 && n.current(m.Ballot, nmAcceptedAnyBallot) {
		used = true
		n.accepts = n.accepts.With(i)
		if n.phase2Quorum(n.accepts) {
			n.learn(n.bestVal)
		}
	}
	if n.learner && !n.decided {
		used = true
		k := n.vote(m)
		n.votes[k].from = n.votes[k].from.With(i)
		if n.sys.IsWrite(n.votes[k].from) || n.cfg.mutant == nmLearnAnyAccepted {
			n.learn(n.votes[k].value)
		}
	}
	if !used {
		n.dropped++
	}
}

// current reports whether b is the proposer's current ballot (under
// mutant mu, any ballot of this node).
func (n *Node) current(b Ballot, mu nodeMutant) bool {
	if n.cfg.mutant == mu {
		return b.Node == n.cfg.ID
	}
	return b == n.ballot
}

// higher reports whether an acceptance in ballot b, reported by a
// promise, is higher than the best one reported so far (under
// nmLowestBallotValue, lower).
func (n *Node) higher(b Ballot) bool {
	if n.cfg.mutant == nmLowestBallotValue {
		return !b.IsZero() && (n.best.IsZero() || b.Less(n.best))
	}
	return n.best.Less(b)
}

// phase2Quorum reports whether the acceptors in set form a phase-2
// quorum (under nmDecideOneShort, would with one more).
func (n *Node) phase2Quorum(set quorum.Set) bool {
	if n.cfg.mutant == nmDecideOneShort {
		for i := range n.names {
			if n.sys.IsWrite(set.With(i)) {
				return true
			}
		}
	}
	return n.sys.IsWrite(set)
}

// vote returns the index in n.votes of the ballot of m's acceptance,
// adding it if it is new (under nmLearnAcrossBallots, of the first
// acceptance of m's value in any ballot).
func (n *Node) vote(m Message) int {
	if n.cfg.mutant == nmLearnAcrossBallots {
		for k, v := range n.votes {
			if v.value == m.Value {
				return k
			}
		}
	}
	k, found := slices.BinarySearchFunc(n.votes, m.Ballot, func(v vote, b Ballot) int { return v.ballot.Compare(b) })
	if !found {
		n.votes = slices.Insert(n.votes, k, vote{ballot: m.Ballot, value: m.Value})
	}
	return k
}

// onNack abandons the current ballot if an acceptor promised a higher
// one; the next Tick starts a ballot above it.
func (n *Node) onNack(m Message) {
	if n.highest.Less(m.Highest) {
		n.highest = m.Highest
	}
	if n.phase != idle && m.Ballot == n.ballot && n.ballot.Less(m.Highest) {
		n.phase = idle
		return
	}
	n.dropped++
}

func (n *Node) learn(v string) {
	if n.decided {
		return
	}
	n.decided, n.decision = true, v
	n.phase, n.votes = idle, nil
}

// Clone returns a deep copy of n that uses storage st, which should hold
// the same State (for model checkers that copy a node with its storage).
func (n *Node) Clone(st Storage) *Node {
	c := *n
	c.storage = st
	c.votes = slices.Clone(n.votes)
	return &c
}

// AppendState appends a canonical encoding of the node's state to b:
// equal states give equal bytes. Model checkers use it to recognise
// states they have seen.
func (n *Node) AppendState(b []byte) []byte {
	b, _ = n.st.AppendBinary(b)
	b = appendString(b, n.value)
	b = append(b, boolByte(n.proposer), n.phase, boolByte(n.decided), boolByte(n.retried))
	b = appendBallot(b, n.ballot)
	b = binary.AppendUvarint(b, uint64(n.promises))
	b = binary.AppendUvarint(b, uint64(n.accepts))
	b = appendBallot(b, n.best)
	b = appendString(b, n.bestVal)
	b = appendBallot(b, n.highest)
	b = binary.AppendUvarint(b, uint64(n.ticks))
	b = appendString(b, n.decision)
	b = binary.AppendUvarint(b, uint64(len(n.votes)))
	for _, v := range n.votes {
		b = appendBallot(b, v.ballot)
		b = appendString(b, v.value)
		b = binary.AppendUvarint(b, uint64(v.from))
	}
	return b
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}
