package logstore

import (
	"errors"
	"fmt"
	"sync"

	"github.com/eventually-perfect/primitives/disk"
	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/wal"
)

// stateCompactEvery is how many States a StateStore's log holds before
// Save drops all but the last (one wal.TruncateBefore).
const stateCompactEvery = 64

// StateStore is a paxos.Storage on a write-ahead log in one directory of
// a disk.FS: the durable state of a single-decree Node. Save appends the
// whole State as one record and syncs it (the Node's contract: durable
// when Save returns); Load returns the last one. Every 64 saves the log
// is truncated before the last record. A StateStore is safe for
// concurrent use. Create one with OpenState; the zero value is not
// usable.
type StateStore struct {
	mu     sync.Mutex
	log    *wal.Log
	st     paxos.State
	err    error
	closed bool
}

var _ paxos.Storage = (*StateStore)(nil)

// OpenState opens the single-decree store in directory dir of fsys,
// creating an empty one if the directory holds none, and recovers the
// last State saved (see wal.Open). Only opts.WAL applies. The directory
// must exist and hold nothing else (not a Store).
func OpenState(fsys disk.FS, dir string, opts Options) (*StateStore, error) {
	l, err := openLog(fsys, dir, opts)
	if err != nil {
		return nil, err
	}
	s := &StateStore{log: l}
	if last := l.LastIndex(); last >= l.FirstIndex() {
		b, err := l.Read(last)
		if err != nil {
			_ = l.Close()
			return nil, openError(dir, err)
		}
		r, err := decodeRecord(b)
		if err == nil && r.kind != kindState {
			err = fmt.Errorf("%w: a record of kind %d in a StateStore", ErrCorrupt, r.kind)
		}
		if err != nil {
			_ = l.Close()
			return nil, fmt.Errorf("logstore: open %s: record %d: %w", dir, last, err)
		}
		s.st = r.state
	}
	return s, nil
}

// Load returns the last State saved, or the zero State if none.
func (s *StateStore) Load() (paxos.State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return paxos.State{}, ErrClosed
	}
	if s.err != nil {
		return paxos.State{}, s.err
	}
	return s.st, nil
}

// Save stores st durably, replacing the previous State: one record
// appended and one fsync. A State that the paxos decoder would not read
// back is refused with ErrInvalid; an I/O error stops the store
// (ErrBroken) until it is reopened.
func (s *StateStore) Save(st paxos.State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.err != nil {
		return s.err
	}
	rec, err := encodeState(st)
	if err != nil {
		return fmt.Errorf("logstore: save: %w", err)
	}
	i, err := s.log.Append(rec)
	if errors.Is(err, wal.ErrTooLarge) {
		return fmt.Errorf("logstore: save: %w: %w", ErrTooLarge, err)
	}
	if err == nil {
		err = s.log.Sync()
	}
	if err == nil && i-s.log.FirstIndex()+1 >= stateCompactEvery {
		err = s.log.TruncateBefore(i)
	}
	if err != nil {
		s.err = fmt.Errorf("logstore: save: %w: %w", ErrBroken, err)
		return s.err
	}
	s.st = st
	return nil
}

// Close closes the store's files (every State saved is already durable).
// Closing a stopped store returns the error that stopped it; closing
// twice returns ErrClosed.
func (s *StateStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.closed = true
	err := s.log.Close()
	if s.err != nil {
		return s.err
	}
	if err != nil {
		return fmt.Errorf("logstore: close: %w", err)
	}
	return nil
}
