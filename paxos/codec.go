package paxos

import (
	"encoding"
	"fmt"
)

// messageVersion is the first byte of an encoded Message. A decoder
// refuses every other version, so the format can change later without a
// new reader misreading an old message or the reverse.
const messageVersion = 1

// AppendBinary appends the canonical binary encoding of m to b: a version
// byte, the type byte, From and To as length-prefixed strings, then
// Ballot, VBallot, the length-prefixed Value and Highest, each ballot as
// a uvarint round and a length-prefixed node. Every field is written
// whatever the type, so the encoding is a plain function of the Message.
// A string longer than 1 MiB, which no decoder would accept, is an error
// wrapping ErrBadMessage, and b is returned unchanged. It costs
// O(Size()) and allocates only if b lacks the capacity.
func (m Message) AppendBinary(b []byte) ([]byte, error) {
	for _, s := range [...]string{m.From, m.To, m.Value, m.Ballot.Node, m.VBallot.Node, m.Highest.Node} {
		if len(s) > maxEncoded {
			return b, fmt.Errorf("paxos: encode message: a string of %d bytes: %w", len(s), ErrBadMessage)
		}
	}
	b = append(b, messageVersion, byte(m.Type))
	b = appendString(b, m.From)
	b = appendString(b, m.To)
	b = appendBallot(b, m.Ballot)
	b = appendBallot(b, m.VBallot)
	b = appendString(b, m.Value)
	b = appendBallot(b, m.Highest)
	return b, nil
}

// MarshalBinary returns the encoding of AppendBinary in a new slice of
// exactly Size() bytes.
func (m Message) MarshalBinary() ([]byte, error) {
	return m.AppendBinary(make([]byte, 0, m.Size()))
}

// Size returns the length in bytes of m's binary encoding, without
// encoding it. It makes Message a sim.Sizer, so that simulated links with
// a bandwidth charge each message for what it would weigh on a wire.
func (m Message) Size() int {
	return 2 + stringLen(m.From) + stringLen(m.To) + ballotLen(m.Ballot) +
		ballotLen(m.VBallot) + stringLen(m.Value) + ballotLen(m.Highest)
}

// UnmarshalBinary decodes what AppendBinary encoded. It is strict: an
// unknown version or message type, a truncated input, trailing bytes, a
// varint written in more bytes than it needs, a string longer than the
// input (or than 1 MiB), or a ballot with a round but no node (or a node
// but no round) is an error wrapping ErrCorrupt, and m is left unchanged.
// So every input it accepts re-encodes to itself byte for byte (the
// encoding is canonical). It checks the whole input before it allocates
// anything, then allocates only the strings (a ballot's node once if it
// repeats): at most 2 bytes per input byte, each string being rounded
// up to the allocator's size class.
func (m *Message) UnmarshalBinary(data []byte) error {
	d := dryRun(data, "message")
	d.message()
	if !d.rewind(data) {
		return d.err
	}
	t := d.message()
	if d.err != nil { // a bug: the dry pass read the same input
		return d.err
	}
	*m = t
	return nil
}

func (d *decoder) message() Message {
	var m Message
	if v := d.byte(); v != messageVersion && d.err == nil {
		d.fail("unknown message version %d", v)
	}
	m.Type = MsgType(d.byte())
	if d.err == nil && (m.Type < Prepare || m.Type > Decide) {
		d.fail("unknown message type %d", uint8(m.Type))
	}
	m.From = d.string()
	m.To = d.string()
	m.Ballot = d.ballot()
	m.VBallot = d.ballot()
	m.Value = d.string()
	m.Highest = d.ballot()
	return m
}

// Message implements the standard library's binary encoding interfaces.
var (
	_ encoding.BinaryAppender    = Message{}
	_ encoding.BinaryMarshaler   = Message{}
	_ encoding.BinaryUnmarshaler = (*Message)(nil)
)
