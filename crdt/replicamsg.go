package crdt

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// ReplicaMessage is what replicators exchange: a delta interval or full
// state with the sender's incarnation and sequence number, or an
// acknowledgement of an incarnation's sequence number.
//
// Its binary encoding (MarshalBinary) is a format byte (1), a kind byte
// (0 delta interval, 1 full state, 2 acknowledgement), the incarnation and
// the sequence number as uvarints, then, except in an acknowledgement,
// the state's own binary encoding (its MarshalBinary) up to the end. Its
// JSON is {"kind":"delta","incarnation":7,"seq":3,"state":...}, kind one
// of "delta", "full" and "ack", without state for "ack". Both need a
// state type with the matching encodings, as every state type of this
// package has.
type ReplicaMessage[S any] struct {
	Ack         bool   // an acknowledgement of Incarnation's Seq; State is unused
	Full        bool   // State is the sender's full state, not an interval
	Incarnation uint64 // the incarnation of the Replicator that numbered Seq
	Seq         uint64 // the sender's next sequence number when it sent State
	State       S
}

// replicaMsgFormat opens the binary encoding of a ReplicaMessage.
const replicaMsgFormat = 1

// Message kinds in the encodings.
const (
	kindDelta byte = iota
	kindFull
	kindAck
)

var kindNames = [...]string{kindDelta: "delta", kindFull: "full", kindAck: "ack"}

func (m ReplicaMessage[S]) kind() byte {
	switch {
	case m.Ack:
		return kindAck
	case m.Full:
		return kindFull
	}
	return kindDelta
}

// String returns "delta(3@7)", "full(3@7)" or "ack(3@7)": the kind, the
// sequence number and, after the @, the incarnation.
func (m ReplicaMessage[S]) String() string {
	return kindNames[m.kind()] + "(" + strconv.FormatUint(m.Seq, 10) + "@" + strconv.FormatUint(m.Incarnation, 10) + ")"
}

// errNoCodec reports a state type without the encoding asked for: a
// mistake of the program, not of the input.
var errNoCodec = errors.New("crdt: replica message: the state type has no such encoding")

func (m ReplicaMessage[S]) check() error {
	if m.Ack && m.Full {
		return fmt.Errorf("crdt: replica message: both Ack and Full: %w", ErrMalformed)
	}
	if m.Seq == 0 {
		return fmt.Errorf("crdt: replica message: sequence number 0: %w", ErrMalformed)
	}
	return nil
}

// AppendBinary appends the canonical binary encoding of m to b. It fails
// with ErrMalformed for a message no Replicator sends (both Ack and Full,
// or Seq 0), and with the state's error if it cannot be encoded.
func (m ReplicaMessage[S]) AppendBinary(b []byte) ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	b = append(b, replicaMsgFormat, m.kind())
	b = appendUvarint(b, m.Incarnation)
	b = appendUvarint(b, m.Seq)
	if m.Ack {
		return b, nil
	}
	var sb []byte
	var err error
	switch s := any(m.State).(type) {
	case encoding.BinaryAppender:
		return s.AppendBinary(b)
	case encoding.BinaryMarshaler:
		sb, err = s.MarshalBinary()
	default:
		p, ok := any(&m.State).(encoding.BinaryMarshaler)
		if !ok {
			return nil, fmt.Errorf("%w: %T is not an encoding.BinaryMarshaler", errNoCodec, m.State)
		}
		sb, err = p.MarshalBinary()
	}
	if err != nil {
		return nil, err
	}
	return append(b, sb...), nil
}

// MarshalBinary returns the canonical binary encoding of m (see
// AppendBinary).
func (m ReplicaMessage[S]) MarshalBinary() ([]byte, error) { return m.AppendBinary(nil) }

// UnmarshalBinary decodes a canonical encoding into m, leaving m
// unchanged on error. Truncated input, an unknown format or kind,
// non-minimal varints, a zero sequence number, bytes after an
// acknowledgement and a state its own decoder refuses fail with an error
// wrapping ErrMalformed (or the state's ErrTooLarge). It allocates
// nothing beyond what the state's decoder does.
func (m *ReplicaMessage[S]) UnmarshalBinary(data []byte) error {
	d := decoder{what: "replica message", b: data}
	f, err := d.byte()
	if err != nil {
		return err
	}
	if f != replicaMsgFormat {
		return d.errf("unknown format %d", f)
	}
	k, err := d.byte()
	if err != nil {
		return err
	}
	if k > kindAck {
		return d.errf("unknown kind %d", k)
	}
	var x ReplicaMessage[S]
	x.Ack, x.Full = k == kindAck, k == kindFull
	if x.Incarnation, err = d.uvarint("incarnation"); err != nil {
		return err
	}
	if x.Seq, err = d.uvarint("sequence number"); err != nil {
		return err
	}
	if x.Seq == 0 {
		return d.errf("sequence number 0")
	}
	if x.Ack {
		if len(d.b) != 0 {
			return d.errf("%d bytes after an acknowledgement", len(d.b))
		}
		*m = x
		return nil
	}
	u, ok := any(&x.State).(encoding.BinaryUnmarshaler)
	if !ok {
		return fmt.Errorf("%w: %T is not an encoding.BinaryUnmarshaler", errNoCodec, x.State)
	}
	if err := u.UnmarshalBinary(d.b); err != nil {
		return stateError(err)
	}
	*m = x
	return nil
}

// stateError wraps a state decoder's error with ErrMalformed unless it
// wraps one of the package's sentinels already.
func stateError(err error) error {
	if errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge) {
		return fmt.Errorf("crdt: replica message: state: %w", err)
	}
	return fmt.Errorf("crdt: replica message: state: %w: %w", ErrMalformed, err)
}

// MarshalJSON encodes m as {"kind":"delta","incarnation":7,"seq":3,
// "state":...}, the state as its own MarshalJSON writes it; an
// acknowledgement has no state.
func (m ReplicaMessage[S]) MarshalJSON() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	b := append([]byte(`{"kind":"`), kindNames[m.kind()]...)
	b = append(b, `","incarnation":`...)
	b = strconv.AppendUint(b, m.Incarnation, 10)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, m.Seq, 10)
	if !m.Ack {
		s, err := json.Marshal(m.State)
		if err != nil {
			return nil, err
		}
		b = append(append(b, `,"state":`...), s...)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON decodes the form MarshalJSON writes (fields in any
// order), leaving m unchanged on error. Unknown, repeated or missing
// fields, an unknown kind, a state in an acknowledgement or none in a
// delta or full state, and a zero or non-integer sequence number fail
// with ErrMalformed; the state is decoded by its own UnmarshalJSON.
func (m *ReplicaMessage[S]) UnmarshalJSON(data []byte) error {
	j, err := newJSONIn("replica message", data)
	if err != nil {
		return err
	}
	var x ReplicaMessage[S]
	kind := -1
	var state []byte
	err = j.fields([]string{"kind", "incarnation", "seq", "state"}, 1<<3, func(f int) error {
		var err error
		switch f {
		case 0:
			var k []byte
			if k, err = j.str(); err != nil {
				return err
			}
			for i, n := range kindNames {
				if string(k) == n {
					kind = i
				}
			}
			if kind < 0 {
				return j.errf("unknown kind %q", k)
			}
		case 1:
			x.Incarnation, err = j.uint("incarnation", 1<<64-1)
		case 2:
			x.Seq, err = j.uint("seq", 1<<64-1)
		case 3:
			state, err = j.value()
		}
		return err
	})
	if err != nil {
		return err
	}
	if err := j.end(); err != nil {
		return err
	}
	x.Ack, x.Full = kind == int(kindAck), kind == int(kindFull)
	if x.Seq == 0 {
		return fmt.Errorf("crdt: replica message: sequence number 0: %w", ErrMalformed)
	}
	if x.Ack != (state == nil) {
		return fmt.Errorf("crdt: replica message: a state goes with a delta or full state, and only: %w", ErrMalformed)
	}
	if !x.Ack {
		if u, ok := any(&x.State).(json.Unmarshaler); ok {
			err = u.UnmarshalJSON(state)
		} else {
			err = json.Unmarshal(state, &x.State)
		}
		if err != nil {
			return stateError(err)
		}
	}
	*m = x
	return nil
}
