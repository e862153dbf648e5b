package paxos

import "encoding/binary"

// State is what a node persists: its acceptor's promise and acceptance and
// the highest round its proposer used. Durability contract: a node saves
// State before it sends any message that depends on it (a Promise, an
// Accepted, or a Prepare of a new round), so that after a crash and
// restart it never contradicts what it told others ("Paxos Made Simple",
// section 2.3: "an acceptor must remember this information even if it
// fails and then restarts"). Forgetting the proposer's round would let a
// restarted proposer reuse a ballot with another value.
type State struct {
	// Promised is the highest ballot the acceptor has promised.
	Promised Ballot
	// Accepted and Value are the highest ballot the acceptor has accepted
	// and its value; Accepted is zero if it has accepted nothing.
	Accepted Ballot
	Value    string
	// Round is the highest round this node's proposer has used.
	Round uint64
}

// maxEncoded bounds the size of an encoded State's strings.
const maxEncoded = 1 << 20

const stateVersion = 1

// AppendBinary appends the canonical binary encoding of s to b: a version
// byte, then each ballot as a uvarint round and a length-prefixed node,
// the length-prefixed value and the uvarint round.
func (s State) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, stateVersion)
	b = appendBallot(b, s.Promised)
	b = appendBallot(b, s.Accepted)
	b = appendString(b, s.Value)
	b = binary.AppendUvarint(b, s.Round)
	return b, nil
}

// MarshalBinary returns the encoding of AppendBinary.
func (s State) MarshalBinary() ([]byte, error) { return s.AppendBinary(nil) }

// UnmarshalBinary decodes what MarshalBinary encoded. Malformed,
// truncated, non-canonical or trailing input is an error wrapping
// ErrCorrupt, and s is left unchanged. It checks the whole input before
// it allocates anything, then allocates only the strings (a ballot's
// node once if both ballots have the same): at most 2 bytes per input
// byte, each string being rounded up to the allocator's size class.
func (s *State) UnmarshalBinary(data []byte) error {
	d := dryRun(data, "state")
	d.state()
	if !d.rewind(data) {
		return d.err
	}
	t := d.state()
	if d.err != nil { // a bug: the dry pass read the same input
		return d.err
	}
	*s = t
	return nil
}

func (d *decoder) state() State {
	var s State
	if v := d.byte(); v != stateVersion && d.err == nil {
		d.fail("unknown version %d", v)
	}
	s.Promised = d.ballot()
	s.Accepted = d.ballot()
	value := d.raw()
	s.Value = d.text(value)
	s.Round = d.uvarint()
	if d.err == nil && s.Accepted.Round == 0 && len(value) > 0 {
		d.fail("value without acceptance")
	}
	return s
}

// Storage is where a node keeps its State across crashes. Save must make
// the state durable before it returns (on a disk: write and sync); a node
// sends nothing that depends on a State until Save has returned nil.
type Storage interface {
	// Load returns the last State saved, or the zero State if none.
	Load() (State, error)
	// Save stores s durably, replacing the previous State.
	Save(s State) error
}

// MemoryStorage is a Storage in memory, for tests and simulations. The
// zero value holds the zero State. It is not safe for concurrent use.
type MemoryStorage struct {
	st    State
	saves int
}

// Load returns the State last saved.
func (m *MemoryStorage) Load() (State, error) { return m.st, nil }

// Save replaces the stored State.
func (m *MemoryStorage) Save(s State) error {
	m.st = s
	m.saves++
	return nil
}

// Saves returns how many times Save was called.
func (m *MemoryStorage) Saves() int { return m.saves }
