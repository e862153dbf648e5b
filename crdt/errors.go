package crdt

import "errors"

// Sentinel errors. Every error the package returns wraps one of them, so
// callers can test with errors.Is.
var (
	// ErrMalformed reports an encoding that is truncated, has trailing
	// bytes, is not canonical or breaks an invariant of the type.
	ErrMalformed = errors.New("malformed encoding")
	// ErrTooLarge reports an encoding beyond the package's limits.
	ErrTooLarge = errors.New("encoding too large")
	// ErrOverflow reports an update that would take a count past
	// MaxCount.
	ErrOverflow = errors.New("count overflow")
	// ErrReplicaConflict reports two states that used the same replica
	// ID for different updates: two diverged copies of one replica, whose
	// merge would silently lose one of the updates.
	ErrReplicaConflict = errors.New("replica identity conflict")
	// ErrWrongReplica reports a mutator called, inside ORMap.Update, with
	// a replica ID other than the one given to Update: the update would
	// have been made under another replica's name. Nothing was changed.
	ErrWrongReplica = errors.New("mutator called with another replica ID")
)
