package paxos

import (
	"encoding/binary"
	"fmt"
)

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
// ErrCorrupt, and s is left unchanged.
func (s *State) UnmarshalBinary(data []byte) error {
	d := decoder{b: data}
	if v := d.byte(); v != stateVersion && d.err == nil {
		d.fail("unknown version %d", v)
	}
	var t State
	t.Promised = d.ballot()
	t.Accepted = d.ballot()
	t.Value = d.string()
	t.Round = d.uvarint()
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return d.err
	}
	if t.Accepted.IsZero() && t.Value != "" {
		return fmt.Errorf("paxos: decode state: value without acceptance: %w", ErrCorrupt)
	}
	*s = t
	return nil
}

func appendBallot(b []byte, x Ballot) []byte {
	b = binary.AppendUvarint(b, x.Round)
	return appendString(b, x.Node)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

type decoder struct {
	b    []byte
	err  error
	what string // what is decoded, for errors; "" means "state"
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		what := d.what
		if what == "" {
			what = "state"
		}
		d.err = fmt.Errorf("paxos: decode "+what+": "+format+": %w", append(args, ErrCorrupt)...)
	}
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail("truncated")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	if n != len(binary.AppendUvarint(nil, v)) {
		d.fail("non-canonical varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > maxEncoded || n > uint64(len(d.b)) {
		d.fail("string of %d bytes", n)
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) ballot() Ballot {
	r := d.uvarint()
	n := d.string()
	if d.err == nil && (r == 0) != (n == "") {
		d.fail("ballot round %d with node %q", r, n)
	}
	return Ballot{Round: r, Node: n}
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
