package paxos

import (
	"encoding/binary"
	"math/bits"
)

// This file is the binary encoding of the Multi-Paxos messages and of
// their parts (Command, Entry). Every encoding is canonical: one value has
// exactly one encoding, and decoders refuse anything else (non-minimal
// varints, trailing bytes, unknown versions and types, no-ops with
// commands) with an error wrapping ErrCorrupt. Decoders never allocate
// more than the input can justify: every count is checked against the
// bytes left before anything is allocated.

const logMessageVersion = 1

// minCommandSize and minEntrySize are the fewest bytes a Command and an
// Entry can take; decoders bound counts with them.
const (
	minCommandSize = 3 // empty client, seq 0, empty op
	minEntrySize   = 5 // slot, zero ballot (2 bytes), flags, no commands
)

func uvarintLen(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }

func stringLen(s string) int { return uvarintLen(uint64(len(s))) + len(s) }

func ballotLen(b Ballot) int { return uvarintLen(b.Round) + stringLen(b.Node) }

func appendCommand(b []byte, c Command) []byte {
	b = appendString(b, c.Client)
	b = binary.AppendUvarint(b, c.Seq)
	return appendString(b, c.Op)
}

func commandLen(c Command) int { return stringLen(c.Client) + uvarintLen(c.Seq) + stringLen(c.Op) }

func (d *decoder) command() Command {
	return Command{Client: d.string(), Seq: d.uvarint(), Op: d.string()}
}

// AppendBinary appends the canonical encoding of e to b: the uvarint
// slot, the ballot, a flag byte (1 for a no-op), the uvarint number of
// commands and each command (client, uvarint seq, op; strings length
// prefixed).
func (e Entry) AppendBinary(b []byte) ([]byte, error) { return appendEntry(b, e), nil }

// MarshalBinary returns the encoding of AppendBinary.
func (e Entry) MarshalBinary() ([]byte, error) {
	return appendEntry(make([]byte, 0, entryLen(e)), e), nil
}

// UnmarshalBinary decodes what AppendBinary encoded. Malformed,
// truncated, non-canonical or trailing input is an error wrapping
// ErrCorrupt, and e is left unchanged.
func (e *Entry) UnmarshalBinary(data []byte) error {
	d := decoder{b: data, what: "entry"}
	t := d.entry()
	d.end()
	if d.err != nil {
		return d.err
	}
	*e = t
	return nil
}

func appendEntry(b []byte, e Entry) []byte {
	b = binary.AppendUvarint(b, e.Slot)
	b = appendBallot(b, e.Ballot)
	b = append(b, boolByte(e.NoOp))
	b = binary.AppendUvarint(b, uint64(len(e.Commands)))
	for _, c := range e.Commands {
		b = appendCommand(b, c)
	}
	return b
}

func entryLen(e Entry) int {
	n := uvarintLen(e.Slot) + ballotLen(e.Ballot) + 1 + uvarintLen(uint64(len(e.Commands)))
	for _, c := range e.Commands {
		n += commandLen(c)
	}
	return n
}

func (d *decoder) entry() Entry {
	e := Entry{Slot: d.uvarint(), Ballot: d.ballot()}
	switch d.byte() {
	case 0:
	case 1:
		e.NoOp = true
	default:
		d.fail("bad no-op flag")
	}
	n := d.uvarint()
	switch {
	case d.err != nil:
		return Entry{}
	case e.NoOp && n > 0:
		d.fail("no-op with %d commands", n)
	case n > uint64(len(d.b)/minCommandSize):
		d.fail("%d commands in %d bytes", n, len(d.b))
	}
	if d.err != nil {
		return Entry{}
	}
	if n > 0 {
		e.Commands = make([]Command, n)
		for i := range e.Commands {
			e.Commands[i] = d.command()
		}
	}
	return e
}

func (d *decoder) entries() []Entry {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)/minEntrySize) {
		d.fail("%d entries in %d bytes", n, len(d.b))
	}
	if d.err != nil || n == 0 {
		return nil
	}
	out := make([]Entry, 0, n)
	for i := uint64(0); i < n && d.err == nil; i++ {
		out = append(out, d.entry())
	}
	return out
}

func appendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// bytes reads a length-prefixed byte string; empty is nil.
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)) {
		d.fail("%d bytes in %d", n, len(d.b))
	}
	if d.err != nil || n == 0 {
		return nil
	}
	p := append([]byte(nil), d.b[:n]...)
	d.b = d.b[n:]
	return p
}

func (d *decoder) end() {
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
}

// AppendBinary appends the canonical encoding of m to b: a version byte,
// the type byte, then every field in declaration order (strings and byte
// strings length prefixed, numbers as uvarints, Entries counted). Every
// field is present whatever the type, so the encoding is canonical; an
// empty Snapshot decodes as nil.
func (m LogMessage) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, logMessageVersion, byte(m.Type))
	b = appendString(b, m.From)
	b = appendString(b, m.To)
	b = appendBallot(b, m.Ballot)
	b = appendEntry(b, m.Entry)
	b = binary.AppendUvarint(b, uint64(len(m.Entries)))
	for _, e := range m.Entries {
		b = appendEntry(b, e)
	}
	b = appendBallot(b, m.Highest)
	b = binary.AppendUvarint(b, m.Commit)
	b = appendCommand(b, m.Command)
	b = binary.AppendUvarint(b, m.SnapshotSlot)
	return appendBytes(b, m.Snapshot), nil
}

// MarshalBinary returns the encoding of AppendBinary, Size bytes long.
func (m LogMessage) MarshalBinary() ([]byte, error) {
	return m.AppendBinary(make([]byte, 0, m.Size()))
}

// Size returns the length of m's binary encoding, without encoding it; it
// implements sim.Sizer, so simulated links charge a message its size.
func (m LogMessage) Size() int {
	n := 2 + stringLen(m.From) + stringLen(m.To) + ballotLen(m.Ballot) + entryLen(m.Entry) +
		uvarintLen(uint64(len(m.Entries)))
	for _, e := range m.Entries {
		n += entryLen(e)
	}
	return n + ballotLen(m.Highest) + uvarintLen(m.Commit) + commandLen(m.Command) +
		uvarintLen(m.SnapshotSlot) + uvarintLen(uint64(len(m.Snapshot))) + len(m.Snapshot)
}

// UnmarshalBinary decodes what AppendBinary encoded. An unknown version or
// type, a malformed ballot, a no-op with commands, a count larger than
// the input could hold, a non-minimal varint, truncation or trailing
// bytes is an error wrapping ErrCorrupt, and m is left unchanged.
func (m *LogMessage) UnmarshalBinary(data []byte) error {
	d := decoder{b: data, what: "log message"}
	if v := d.byte(); v != logMessageVersion && d.err == nil {
		d.fail("unknown log message version %d", v)
	}
	var t LogMessage
	t.Type = LogMsgType(d.byte())
	if d.err == nil && (t.Type < LogPrepare || t.Type > logMsgTypes) {
		d.fail("unknown log message type %d", t.Type)
	}
	t.From = d.string()
	t.To = d.string()
	t.Ballot = d.ballot()
	t.Entry = d.entry()
	t.Entries = d.entries()
	t.Highest = d.ballot()
	t.Commit = d.uvarint()
	t.Command = d.command()
	t.SnapshotSlot = d.uvarint()
	t.Snapshot = d.bytes()
	d.end()
	if d.err != nil {
		return d.err
	}
	*m = t
	return nil
}
