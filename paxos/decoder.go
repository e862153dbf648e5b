package paxos

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// This file holds what every binary encoding of the package shares: how
// numbers, strings and ballots are written, and the decoder that reads
// them back.
//
// A decoder applies its limits while it reads, never after. Every length
// and count is checked against the bytes left before anything is
// allocated for it (a count of n entries needs at least n times the
// smallest entry's encoding), so a length prefix cannot make it allocate
// more than the input holds. And the decoders of the exported types read
// their input twice (dryRun, rewind): a first, dry pass checks everything
// and allocates nothing, then a second pass builds the value, allocating
// each string, list and byte string once, at its exact size. Input that
// is refused therefore costs no allocation beyond the error, and input
// that is accepted costs what the decoded value occupies in memory: see
// "Decoding cost" in the package documentation for the worst case per
// input byte.

func appendBallot(b []byte, x Ballot) []byte {
	b = binary.AppendUvarint(b, x.Round)
	return appendString(b, x.Node)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

func uvarintLen(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }

// decoder reads a canonical encoding from b. The first problem it finds
// is kept in err, after which every read returns a zero value, so that a
// caller reads a whole structure and checks err once.
//
// A dry decoder checks everything a real one checks but allocates
// nothing: string returns "", bytes and lists return nil. A check that
// needs a string reads it in place (raw).
type decoder struct {
	b    []byte
	err  error
	what string // what is decoded, for errors; "" means "state"
	dry  bool
	// node and client are the last ballot node and command client made;
	// an equal one that follows shares the string instead of allocating
	// another (a leader's entries all carry its ballot; a batch often
	// holds one client's commands).
	node, client string
}

// dryRun returns a dry decoder over data. The decoder of a type reads
// it twice, in the same way (so that it allocates nothing on input it
// refuses):
//
//	d := dryRun(data, "thing")
//	d.thing()
//	if !d.rewind(data) {
//		return d.err
//	}
//	t := d.thing()
func dryRun(data []byte, what string) decoder {
	return decoder{b: data, what: what, dry: true}
}

// rewind ends the dry pass: it refuses trailing bytes and reports
// whether the input passed, in which case it turns d into a real decoder
// at the start of data. The real pass cannot fail where the dry one
// passed.
func (d *decoder) rewind(data []byte) bool {
	d.end()
	if d.err != nil {
		return false
	}
	*d = decoder{b: data, what: d.what}
	return true
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

// end refuses trailing bytes.
func (d *decoder) end() {
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
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

// uvarint reads a uvarint written in as few bytes as its value needs.
func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	if n != uvarintLen(v) {
		d.fail("non-canonical varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a count of items that each take at least least bytes, and
// refuses one that the bytes left cannot hold.
func (d *decoder) count(what string, least int) int {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)/least) {
		d.fail("%d %s in %d bytes", n, what, len(d.b))
	}
	if d.err != nil {
		return 0
	}
	return int(n)
}

// raw reads a length-prefixed string of at most maxEncoded bytes and
// returns it in place: the slice aliases the input.
func (d *decoder) raw() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > maxEncoded || n > uint64(len(d.b)) {
		d.fail("string of %d bytes", n)
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

// string reads a length-prefixed string ("" when dry).
func (d *decoder) string() string { return d.text(d.raw()) }

// longString reads a length-prefixed string bounded only by the bytes
// left, not by maxEncoded ("" when dry): a session's result, which the
// StateMachine chose and the replica cannot refuse.
func (d *decoder) longString() string {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)) {
		d.fail("string of %d bytes in %d", n, len(d.b))
	}
	if d.err != nil {
		return ""
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return d.text(p)
}

// text returns p, read by raw, as a new string ("" when dry).
func (d *decoder) text(p []byte) string {
	if d.dry || len(p) == 0 {
		return ""
	}
	return string(p)
}

// shared returns p as a string, reusing *last if it is equal and making
// it the last one otherwise.
func (d *decoder) shared(p []byte, last *string) string {
	if d.dry || len(p) == 0 {
		return ""
	}
	if string(p) != *last { // compares in place, without a conversion
		*last = string(p)
	}
	return *last
}

// bytes reads a length-prefixed byte string into a new slice (nil when
// empty or dry). Unlike strings, it may be as long as the input.
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)) {
		d.fail("%d bytes in %d", n, len(d.b))
	}
	if d.err != nil || n == 0 {
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	if d.dry {
		return nil
	}
	return append([]byte(nil), p...)
}

// ballot reads a ballot: both round and node, or neither. When dry, the
// node is left empty; the round tells a ballot from the zero one.
func (d *decoder) ballot() Ballot {
	r := d.uvarint()
	p := d.raw()
	if d.err == nil && (r == 0) != (len(p) == 0) {
		d.fail("ballot round %d with a node of %d bytes", r, len(p)) // not the node: it may be long
	}
	return Ballot{Round: r, Node: d.shared(p, &d.node)}
}
