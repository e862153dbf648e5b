package paxos

import (
	"encoding/binary"
	"fmt"
)

// This file is the binary encoding of the Multi-Paxos messages and of
// their parts (Command, Entry). Every encoding is canonical: one value has
// exactly one encoding, and decoders refuse anything else (non-minimal
// varints, trailing bytes, unknown versions and types, no-ops with
// commands) with an error wrapping ErrCorrupt. Decoders never allocate
// more than the input can justify: every count is checked against the
// bytes left before anything is allocated, and the whole input is
// checked before anything is (decoder.go).

const logMessageVersion = 1

// minCommandSize and minEntrySize are the fewest bytes a Command and an
// Entry can take; decoders bound counts with them.
const (
	minCommandSize = 3 // empty client, seq 0, empty op
	minEntrySize   = 5 // slot, zero ballot (2 bytes), flags, no commands
)

func stringLen(s string) int { return uvarintLen(uint64(len(s))) + len(s) }

func ballotLen(b Ballot) int { return uvarintLen(b.Round) + stringLen(b.Node) }

func appendCommand(b []byte, c Command) []byte {
	b = appendString(b, c.Client)
	b = binary.AppendUvarint(b, c.Seq)
	return appendString(b, c.Op)
}

func commandLen(c Command) int { return stringLen(c.Client) + uvarintLen(c.Seq) + stringLen(c.Op) }

func (d *decoder) command() Command {
	client := d.raw()
	seq := d.uvarint()
	return Command{Client: d.shared(client, &d.client), Seq: seq, Op: d.string()}
}

// AppendBinary appends the canonical encoding of e to b: the uvarint
// slot, the ballot, a flag byte (1 for a no-op), the uvarint number of
// commands and each command (client, uvarint seq, op; strings length
// prefixed, any bytes). A string longer than MaxOpSize, which no decoder
// would accept, is an error wrapping ErrBadMessage, and b is returned
// unchanged.
func (e Entry) AppendBinary(b []byte) ([]byte, error) {
	if err := encodableEntry(e); err != nil {
		return b, fmt.Errorf("paxos: encode entry: %w", err)
	}
	return appendEntry(b, e), nil
}

// MarshalBinary returns the encoding of AppendBinary.
func (e Entry) MarshalBinary() ([]byte, error) {
	return e.AppendBinary(make([]byte, 0, entryLen(e)))
}

// encodable refuses, with an error wrapping ErrBadMessage, a string that
// the decoders would refuse for its length.
func encodable(s string) error {
	if len(s) > maxEncoded {
		return fmt.Errorf("a string of %d bytes, over %d: %w", len(s), maxEncoded, ErrBadMessage)
	}
	return nil
}

func encodableCommand(c Command) error {
	if err := encodable(c.Client); err != nil {
		return err
	}
	return encodable(c.Op)
}

func encodableEntry(e Entry) error {
	if err := encodable(e.Ballot.Node); err != nil {
		return err
	}
	for _, c := range e.Commands {
		if err := encodableCommand(c); err != nil {
			return err
		}
	}
	return nil
}

// UnmarshalBinary decodes what AppendBinary encoded. Malformed,
// truncated, non-canonical or trailing input is an error wrapping
// ErrCorrupt, and e is left unchanged. It checks the whole input before
// it allocates anything, then allocates the commands in one slice and
// their strings: at most 16 bytes per input byte (see "Decoding cost" in
// the package documentation).
func (e *Entry) UnmarshalBinary(data []byte) error {
	d := dryRun(data, "entry")
	d.entry()
	if !d.rewind(data) {
		return d.err
	}
	t := d.entry()
	if d.err != nil { // a bug: the dry pass read the same input
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

// entry reads an entry; its commands take one allocation of exactly
// their number.
func (d *decoder) entry() Entry {
	e := Entry{Slot: d.uvarint(), Ballot: d.ballot()}
	switch d.byte() {
	case 0:
	case 1:
		e.NoOp = true
	default:
		d.fail("bad no-op flag")
	}
	n := d.count("commands", minCommandSize)
	if d.err == nil && e.NoOp && n > 0 {
		d.fail("no-op with %d commands", n)
	}
	if d.err != nil {
		return Entry{}
	}
	if n > 0 && !d.dry {
		e.Commands = make([]Command, n)
	}
	for i := 0; i < n && d.err == nil; i++ {
		c := d.command()
		if e.Commands != nil {
			e.Commands[i] = c
		}
	}
	return e
}

// entries reads a counted list of entries into one slice of exactly their
// number. If ordered, their slots must increase, from from on.
func (d *decoder) entries(ordered bool, from uint64) []Entry {
	n := d.count("entries", minEntrySize)
	var out []Entry
	if n > 0 && !d.dry {
		out = make([]Entry, n)
	}
	for i := 0; i < n && d.err == nil; i++ {
		e := d.entry()
		if ordered && d.err == nil && (e.Slot < from || i > 0 && e.Slot <= from) {
			d.fail("entry %d out of order", e.Slot)
		}
		from = e.Slot
		if out != nil {
			out[i] = e
		}
	}
	return out
}

// AppendBinary appends the canonical encoding of m to b: a version byte,
// the type byte, then every field in declaration order (strings and byte
// strings length prefixed, numbers as uvarints, Entries counted). Every
// field is present whatever the type, so the encoding is canonical; an
// empty Snapshot decodes as nil. A string longer than MaxOpSize, which
// no decoder would accept, is an error wrapping ErrBadMessage, and b is
// returned unchanged.
func (m LogMessage) AppendBinary(b []byte) ([]byte, error) {
	if err := m.encodable(); err != nil {
		return b, fmt.Errorf("paxos: encode log message: %w", err)
	}
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

func (m LogMessage) encodable() error {
	for _, s := range [...]string{m.From, m.To, m.Ballot.Node, m.Highest.Node} {
		if err := encodable(s); err != nil {
			return err
		}
	}
	if err := encodableEntry(m.Entry); err != nil {
		return err
	}
	for _, e := range m.Entries {
		if err := encodableEntry(e); err != nil {
			return err
		}
	}
	return encodableCommand(m.Command)
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
// bytes is an error wrapping ErrCorrupt, and m is left unchanged. It
// checks the whole input before it allocates anything; what it then
// allocates is at most 16 bytes per input byte (see "Decoding cost" in
// the package documentation).
func (m *LogMessage) UnmarshalBinary(data []byte) error {
	d := dryRun(data, "log message")
	d.logMessage()
	if !d.rewind(data) {
		return d.err
	}
	t := d.logMessage()
	if d.err != nil { // a bug: the dry pass read the same input
		return d.err
	}
	*m = t
	return nil
}

func (d *decoder) logMessage() LogMessage {
	var m LogMessage
	if v := d.byte(); v != logMessageVersion && d.err == nil {
		d.fail("unknown log message version %d", v)
	}
	m.Type = LogMsgType(d.byte())
	if d.err == nil && (m.Type < LogPrepare || m.Type > logMsgTypes) {
		d.fail("unknown log message type %d", m.Type)
	}
	m.From = d.string()
	m.To = d.string()
	m.Ballot = d.ballot()
	m.Entry = d.entry()
	m.Entries = d.entries(false, 0)
	m.Highest = d.ballot()
	m.Commit = d.uvarint()
	m.Command = d.command()
	m.SnapshotSlot = d.uvarint()
	m.Snapshot = d.bytes()
	return m
}
