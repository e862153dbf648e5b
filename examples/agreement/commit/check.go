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
	first, firstID := Undecided, ""
	for _, id := range cfg.Nodes() {
		d := StoredDecision(storage(id))
		if d == Undecided {
			continue
		}
		if first == Undecided {
			first, firstID = d, id
			continue
		}
		if d != first {
			return fmt.Errorf("commit: %s decided %v but %s decided %v: %w", firstID, first, id, d, ErrDisagreement)
		}
	}
	if first != Committed {
		return nil
	}
	for _, p := range cfg.Participants {
		if v := StoredVote(storage(p)); v != VotedYes {
			return fmt.Errorf("commit: %s decided commit but %s's vote is %v: %w", firstID, p, v, ErrInvalidCommit)
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
