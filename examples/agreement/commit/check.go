package commit

import (
	"errors"
	"fmt"

	"github.com/eventually-perfect/primitives/sim"
)

// The properties of an atomic commitment protocol, as Bernstein,
// Hadzilacos and Goodman (1987, chapter 7) state them (AC1 to AC5),
// reported by the checks below.
var (
	// ErrDisagreement: two nodes decided differently (AC1: all processes
	// that reach a decision reach the same one).
	ErrDisagreement = errors.New("nodes decided differently")
	// ErrInvalidCommit: a node decided commit although some participant
	// did not vote yes (AC3: commit only if every process voted yes).
	ErrInvalidCommit = errors.New("commit without a yes vote from every participant")
	// ErrUndecided: a running node has not decided, and nothing left to
	// happen will make it decide (the run is quiescent). AC5 asks that
	// every process eventually decide once failures are repaired and none
	// occur for long enough; two-phase commit meets that only once the
	// coordinator recovers.
	ErrUndecided = errors.New("a running node is undecided")
)

// CheckSafety checks agreement (AC1) and validity (AC3) on the durable
// records of the nodes cfg names, so that a node that decided and then
// crashed still counts. storage returns a node's durable storage (nil
// counts as empty). It returns nil or an error wrapping ErrDisagreement or
// ErrInvalidCommit that names the nodes involved.
func CheckSafety(cfg Config, storage func(id string) *sim.Storage) error {
	if err := CheckAgreement(cfg.Nodes(), storage); err != nil {
		return err
	}
	for _, id := range cfg.Nodes() {
		if StoredDecision(storage(id)) != Committed {
			continue
		}
		for _, p := range cfg.Participants {
			if v := StoredVote(storage(p)); v != VotedYes {
				return fmt.Errorf("commit: %s decided commit but %s's vote is %v: %w", id, p, v, ErrInvalidCommit)
			}
		}
		break
	}
	return nil
}

// CheckAgreement checks that the nodes ids have not decided differently,
// according to their durable records: AC1 restricted to those nodes. It
// returns nil or an error wrapping ErrDisagreement that names two nodes
// that disagree.
func CheckAgreement(ids []string, storage func(id string) *sim.Storage) error {
	first, firstID := Undecided, ""
	for _, id := range ids {
		d := StoredDecision(storage(id))
		switch {
		case d == Undecided:
		case first == Undecided:
			first, firstID = d, id
		case d != first:
			return fmt.Errorf("commit: %s decided %v but %s decided %v: %w", firstID, first, id, d, ErrDisagreement)
		}
	}
	return nil
}

// CheckDecided checks that every node cfg names that is running has
// decided. decision returns a node's decision, and false if the node is
// down (a crashed node is not expected to decide). It returns nil or an
// error wrapping ErrUndecided that names the undecided nodes.
func CheckDecided(cfg Config, decision func(id string) (Decision, bool)) error {
	var undecided []string
	for _, id := range cfg.Nodes() {
		if d, up := decision(id); up && d == Undecided {
			undecided = append(undecided, id)
		}
	}
	if len(undecided) > 0 {
		return fmt.Errorf("commit: %v running but undecided: %w", undecided, ErrUndecided)
	}
	return nil
}

// Decider is what both protocols' nodes report to the checks.
type Decider interface {
	Decision() Decision
}

// Safety returns an invariant for sim.Explore: CheckSafety on the
// storages of the state, and the durability contract (every running
// node's decision is the one in its storage).
func Safety[N Decider](cfg Config) func(w *sim.World[Msg, N]) error {
	return func(w *sim.World[Msg, N]) error {
		for _, id := range cfg.Nodes() {
			if n, up := w.Node(id); up && n.Decision() != StoredDecision(w.Storage(id)) {
				return fmt.Errorf("commit: %s decided %v but stored %v", id, n.Decision(), StoredDecision(w.Storage(id)))
			}
		}
		return CheckSafety(cfg, w.Storage)
	}
}

// Termination returns a quiescent check for sim.Explore: CheckDecided on
// the running nodes of the state.
func Termination[N Decider](cfg Config) func(w *sim.World[Msg, N]) error {
	return func(w *sim.World[Msg, N]) error {
		return CheckDecided(cfg, func(id string) (Decision, bool) {
			n, up := w.Node(id)
			if !up {
				return Undecided, false
			}
			return n.Decision(), true
		})
	}
}
