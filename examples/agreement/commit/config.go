package commit

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/eventually-perfect/primitives/sim"
)

// ErrInvalidConfig reports a Config the protocols cannot run with.
var ErrInvalidConfig = errors.New("invalid configuration")

// DefaultTimeout is the Timeout used when Config.Timeout is zero: ten
// times the simulator's default one-millisecond latency, so that in a run
// without faults every timer is cancelled before it fires.
const DefaultTimeout = 10 * time.Millisecond

// MaxParticipants is the largest number of participants a Config may
// name (votes are tracked in a 64-bit set).
const MaxParticipants = 64

// Config describes one transaction: who coordinates it, who takes part,
// how each participant votes, and how long nodes wait before acting on a
// timeout. The same Config serves both protocols.
//
// The zero value is not usable: a Config needs a coordinator and at least
// one participant.
type Config struct {
	// Coordinator is the node that asks for votes and decides.
	Coordinator string
	// Participants are the nodes that vote; distinct, none equal to
	// Coordinator.
	Participants []string
	// VoteNo lists the participants that vote no; every other participant
	// votes yes.
	VoteNo []string
	// Timeout is how long a node waits for the next message it expects
	// (Prepare, the votes, PreCommit, the acks, the decision) before its
	// timer fires. Zero means DefaultTimeout.
	Timeout time.Duration
	// Queries is how many times an uncertain participant that has not
	// heard the outcome asks for it (Query) before it stops asking and
	// notes that it is blocked. A two-phase participant asks the
	// coordinator after every timeout; a three-phase participant asks
	// only when it recovers from a crash in an uncertain state (while it
	// runs, its timeouts decide instead). Bounding the questions makes
	// a blocked run fall silent, so the explorer can see it is stuck. Zero
	// means the participant never asks.
	Queries int
}

// Nodes returns the coordinator followed by the participants: the node
// list to give the simulator or the explorer.
func (c Config) Nodes() []string {
	return append([]string{c.Coordinator}, c.Participants...)
}

// Validate reports whether the protocols can run with c, with an error
// wrapping ErrInvalidConfig that names the problem.
func (c Config) Validate() error {
	_, err := c.compile()
	return err
}

// config is a validated Config in the form the nodes use. Nodes share one
// config and never change it, so cloning a node copies only a pointer.
type config struct {
	coordinator  string
	participants []string
	index        map[string]int // participant -> bit number
	all          uint64         // a set bit per participant
	voteNo       uint64         // participants that vote no
	timeout      time.Duration
	queries      int
}

func (c Config) compile() (*config, error) {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("commit: "+format+": %w", append(args, ErrInvalidConfig)...)
	}
	if c.Coordinator == "" {
		return nil, invalid("no coordinator")
	}
	if len(c.Participants) == 0 {
		return nil, invalid("no participants")
	}
	if len(c.Participants) > MaxParticipants {
		return nil, invalid("%d participants, at most %d", len(c.Participants), MaxParticipants)
	}
	if c.Timeout < 0 {
		return nil, invalid("negative timeout %v", c.Timeout)
	}
	if c.Queries < 0 {
		return nil, invalid("negative number of queries %d", c.Queries)
	}
	cfg := &config{
		coordinator:  c.Coordinator,
		participants: slices.Clone(c.Participants),
		index:        make(map[string]int, len(c.Participants)),
		timeout:      c.Timeout,
		queries:      c.Queries,
	}
	if cfg.timeout == 0 {
		cfg.timeout = DefaultTimeout
	}
	for i, p := range c.Participants {
		switch {
		case p == "":
			return nil, invalid("participant %d has an empty name", i)
		case p == c.Coordinator:
			return nil, invalid("participant %q is also the coordinator", p)
		}
		if _, dup := cfg.index[p]; dup {
			return nil, invalid("participant %q named twice", p)
		}
		cfg.index[p] = i
		cfg.all |= 1 << i
	}
	for _, p := range c.VoteNo {
		i, ok := cfg.index[p]
		if !ok {
			return nil, invalid("VoteNo names %q, which is not a participant", p)
		}
		cfg.voteNo |= 1 << i
	}
	return cfg, nil
}

// role is what a node does in the protocol.
type role uint8

const (
	bystander role = iota // not named in the Config: takes no part
	coordinator
	participant
)

// roleOf returns id's role and, for a participant, its bit.
func (c *config) roleOf(id string) (role, uint64) {
	if id == c.coordinator {
		return coordinator, 0
	}
	if i, ok := c.index[id]; ok {
		return participant, 1 << i
	}
	return bystander, 0
}

// Durable records. Every node keeps at most these keys in its storage.
const (
	keyBegun    = "begun"    // coordinator: it sent Prepare (value empty)
	keyVote     = "vote"     // participant: "yes" or "no"
	keyPrepared = "prepared" // three-phase: PreCommit sent or received (value empty)
	keyDecision = "decision" // "commit" or "abort"
)

// StoredDecision returns the decision recorded in a node's durable
// storage: what the node decided, even if it has crashed since. A nil
// storage holds no decision.
func StoredDecision(s *sim.Storage) Decision {
	if s == nil {
		return Undecided
	}
	v, ok := s.Get(keyDecision)
	switch {
	case !ok:
		return Undecided
	case string(v) == "commit":
		return Committed
	default:
		return Aborted
	}
}

// StoredVote returns the vote recorded in a participant's durable storage.
// A nil storage holds no vote.
func StoredVote(s *sim.Storage) Vote {
	if s == nil {
		return NoVote
	}
	v, ok := s.Get(keyVote)
	switch {
	case !ok:
		return NoVote
	case string(v) == "yes":
		return VotedYes
	default:
		return VotedNo
	}
}

// storedPrepared reports whether a three-phase node recorded PreCommit.
func storedPrepared(s *sim.Storage) bool {
	_, ok := s.Get(keyPrepared)
	return ok
}
