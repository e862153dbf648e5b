package clocks

import (
	"fmt"
	"math"
)

// Limits of the stamp encodings. A stamp that exceeds them cannot be
// encoded (MarshalBinary and MarshalText return an error wrapping
// ErrTooLarge) and is refused by the decoders, which therefore never
// recurse deeper than MaxStampDepth nor build more than MaxStampNodes nodes,
// whatever the input. Operations on stamps have no such limits; only a
// replica that forks far more children than ever rejoin comes near them.
const (
	// MaxStampDepth is the largest depth (edges from the root to the
	// deepest leaf) of the id tree and of the event tree of an encoded
	// stamp. An id tree of depth d gives its owner down to 1/2^d of the id
	// space.
	MaxStampDepth = 512
	// MaxStampNodes is the largest number of nodes, leaves included, of
	// the id tree and the event tree of an encoded stamp together.
	MaxStampNodes = 1 << 16
	// maxStampCounter bounds every counter of an encoded event tree (the
	// sum of the values on the path from the root to a node), so that no
	// arithmetic on decoded stamps can overflow before 2^63 more events.
	maxStampCounter = math.MaxInt64
)

// The binary encoding is the bit-level encoding of section 6 of the paper,
// written most significant bit first into bytes and padded with zero bits to
// a whole byte. The id tree comes first, then the event tree:
//
//	id    0        -> 00 0
//	      1        -> 00 1
//	      (0, i)   -> 01 id(i)
//	      (i, 0)   -> 10 id(i)
//	      (l, r)   -> 11 id(l) id(r)
//	event n        -> 1 enc(n, 2)                    (a leaf)
//	      (0, 0, r) -> 0 00 event(r)
//	      (0, l, 0) -> 0 01 event(l)
//	      (0, l, r) -> 0 10 event(l) event(r)
//	      (n, 0, r) -> 0 11 0 0 base(n) event(r)     (n > 0)
//	      (n, l, 0) -> 0 11 0 1 base(n) event(l)     (n > 0)
//	      (n, l, r) -> 0 11 1 base(n) event(l) event(r) (n > 0)
//
// where enc(n, B) is a 0 bit followed by n in B bits if n < 2^B, else a 1
// bit followed by enc(n - 2^B, B+1). Small counters take few bits (as a
// leaf, 0 to 3 take 4 bits and 4 to 11 take 6) and larger ones grow
// logarithmically. The seed (1, 0) encodes as the single byte 0x30, and the
// zero Stamp (0, 0) as 0x10.
//
// The authors' reference implementations disagree on base(n), the base of
// an event node
// (https://github.com/ricardobcl/Interval-Tree-Clocks, commit 0f246a4):
//
//   - c/itc.c (event_enc, event_dec) and java/itc/Event.java (encode,
//     decode) write base(n) = enc(n, 2);
//   - erlang/itc.erl (ence, dece) writes the base with the function that
//     writes a leaf, so base(n) = 1 enc(n, 2), one bit longer.
//
// Everything else is the same bit for bit, so the two forms differ exactly
// for stamps with an event node whose base is positive. MarshalBinary and
// UnmarshalBinary use the C and Java form; MarshalBinaryErlang and
// UnmarshalBinaryErlang the Erlang form. Neither form says which it is:
// bytes of one form given to the other's decoder are usually refused
// (ErrMalformed), but some decode to a different, valid stamp, so peers
// must agree on the form beforehand.
//
// The encoding is canonical: a stamp has exactly one encoding in each form,
// and the decoders reject everything else: trees that are not normalised
// ((1, 1), (0, 0), (n, m, m), an event node whose children both have a
// positive minimum), a zero child or a zero base written in a longer form
// than the one above, in the Erlang form a base that is not a leaf,
// nonzero padding bits, and trailing bytes.

// MarshalBinary returns the compact binary encoding of s (the bit encoding
// of section 6 of the paper, in the form of the C and Java reference
// implementations; see AppendBinary). It fails with an error wrapping
// ErrTooLarge only if s exceeds MaxStampDepth or MaxStampNodes, or has a
// counter of 2^63 or more.
func (s Stamp) MarshalBinary() ([]byte, error) {
	return s.AppendBinary(nil)
}

// AppendBinary appends the binary encoding of s to b (see MarshalBinary)
// and returns the extended slice. On error it returns b unchanged.
//
// The encoding is the bit-level encoding of the paper's section 6, most
// significant bit first, zero-padded to a byte: ids as 00 0 (0), 00 1 (1),
// 01 i ((0, i)), 10 i ((i, 0)), 11 l r ((l, r)); event trees as 1 num(n) for
// a leaf n and, for a node, 0 followed by 00 r ((0, 0, r)), 01 l ((0, l, 0)),
// 10 l r ((0, l, r)), 11 00 num(n) r ((n, 0, r)), 11 01 num(n) l ((n, l, 0))
// or 11 1 num(n) l r ((n, l, r)), where num(n) is the prefix-free number
// encoding of the paper (0 to 3 in three bits). This is the form of the C
// and Java reference implementations; AppendBinaryErlang writes the form
// of the Erlang one, which spends one more bit on each num(n) of a node.
// It is canonical: equal stamps have equal encodings and UnmarshalBinary
// accepts nothing else.
func (s Stamp) AppendBinary(b []byte) ([]byte, error) {
	return s.appendBinary(b, false)
}

// MarshalBinaryErlang returns the binary encoding of s in the form of the
// authors' Erlang implementation (erlang/itc.erl in
// github.com/ricardobcl/Interval-Tree-Clocks): the form of MarshalBinary
// except that the base of an event node is written as a leaf, with a 1
// bit before its number. Its bits are those of itc:encode/1, padded with
// zero bits to a whole byte. Stamps whose event nodes all have a zero base
// encode the same in both forms. It fails like MarshalBinary.
func (s Stamp) MarshalBinaryErlang() ([]byte, error) {
	return s.AppendBinaryErlang(nil)
}

// AppendBinaryErlang appends the Erlang form of the binary encoding of s
// (see MarshalBinaryErlang) to b and returns the extended slice. On error
// it returns b unchanged.
func (s Stamp) AppendBinaryErlang(b []byte) ([]byte, error) {
	return s.appendBinary(b, true)
}

func (s Stamp) appendBinary(b []byte, erlang bool) ([]byte, error) {
	w := bitWriter{buf: b, erlang: erlang}
	nodes := 0
	if err := w.id(s.ident(), 0, &nodes); err != nil {
		return b, err
	}
	if err := w.event(s.events(), 0, 0, &nodes); err != nil {
		return b, err
	}
	return w.buf, nil
}

// UnmarshalBinary decodes a stamp encoded by MarshalBinary into s. It
// rejects truncated, non-canonical or otherwise malformed input with an
// error wrapping ErrMalformed, and input beyond the limits MaxStampDepth,
// MaxStampNodes or 2^63-1 for a counter with one wrapping ErrTooLarge. On
// error s is left unchanged.
//
// It checks the whole input before it allocates anything, so refused input
// costs only the error. An accepted stamp costs its nodes: 16 bytes for an
// id node and 24 for an event node (leaves 0 to 63 and the id leaves are
// shared), and an event node can take as little as 3 bits, so the worst
// case is 64 bytes per input byte, and never more than 24·MaxStampNodes
// bytes (1.5 MiB) in all.
func (s *Stamp) UnmarshalBinary(data []byte) error {
	return s.unmarshalBinary(data, false)
}

// UnmarshalBinaryErlang decodes a stamp encoded by MarshalBinaryErlang (or
// by the Erlang reference implementation, padded to a byte) into s. It
// rejects input as UnmarshalBinary does, and also a node base that is not
// written as a leaf; it allocates as UnmarshalBinary does. On error s is
// left unchanged.
func (s *Stamp) UnmarshalBinaryErlang(data []byte) error {
	return s.unmarshalBinary(data, true)
}

// unmarshalBinary reads data twice: once to check it, building nothing,
// and once to build the stamp.
func (s *Stamp) unmarshalBinary(data []byte, erlang bool) error {
	if _, err := decodeStamp(data, erlang, false); err != nil {
		return err
	}
	v, err := decodeStamp(data, erlang, true)
	if err != nil {
		return err // unreachable: the first pass accepted data
	}
	*s = v
	return nil
}

// decodeStamp decodes data; unless build is set, it only checks it and
// returns a stamp of placeholders.
func decodeStamp(data []byte, erlang, build bool) (Stamp, error) {
	d := bitReader{buf: data, erlang: erlang, build: build}
	id, err := d.id(0)
	if err != nil {
		return Stamp{}, err
	}
	ev, err := d.event(0, 0)
	if err != nil {
		return Stamp{}, err
	}
	// Only zero padding may follow, and less than a byte of it.
	if rest := len(data)*8 - d.pos; rest >= 8 {
		return Stamp{}, fmt.Errorf("clocks: stamp encoding has %d trailing bytes: %w", rest/8, ErrMalformed)
	}
	if pad, _ := d.read(uint(len(data)*8 - d.pos)); pad != 0 {
		return Stamp{}, fmt.Errorf("clocks: stamp encoding has nonzero padding bits: %w", ErrMalformed)
	}
	return Stamp{id: id, ev: treeOf(ev, build)}, nil
}

// bitWriter appends bits, most significant first, to buf.
type bitWriter struct {
	buf    []byte
	free   uint // unused low bits in the last byte of buf that we appended
	erlang bool // write a node's base in the Erlang form
}

// write appends the low n bits of v, n ≤ 64.
func (w *bitWriter) write(v uint64, n uint) {
	for n > 0 {
		if w.free == 0 {
			w.buf = append(w.buf, 0)
			w.free = 8
		}
		k := min(n, w.free)
		chunk := (v >> (n - k)) & (1<<k - 1)
		w.buf[len(w.buf)-1] |= byte(chunk << (w.free - k))
		w.free -= k
		n -= k
	}
}

// number writes enc(n, 2) of section 6.
func (w *bitWriter) number(n uint64) {
	b := uint(2)
	for n >= 1<<b {
		w.write(1, 1)
		n -= 1 << b
		b++
	}
	w.write(0, 1)
	w.write(n, b)
}

// base writes the base of an event node: enc(n, 2), or in the Erlang form
// the leaf n, 1 enc(n, 2).
func (w *bitWriter) base(n uint64) {
	if w.erlang {
		w.write(1, 1)
	}
	w.number(n)
}

func tooLarge(what string) error {
	return fmt.Errorf("clocks: stamp %s: %w", what, ErrTooLarge)
}

func (w *bitWriter) id(i *idTree, depth int, nodes *int) error {
	if *nodes++; *nodes > MaxStampNodes {
		return tooLarge("has more than MaxStampNodes nodes")
	}
	switch {
	case i == idZero:
		w.write(0b000, 3)
		return nil
	case i == idOne:
		w.write(0b001, 3)
		return nil
	case depth >= MaxStampDepth:
		return tooLarge("id tree is deeper than MaxStampDepth")
	case i.l == idZero:
		w.write(0b01, 2)
		*nodes++ // the implicit leaf
		return w.id(i.r, depth+1, nodes)
	case i.r == idZero:
		w.write(0b10, 2)
		*nodes++
		return w.id(i.l, depth+1, nodes)
	}
	w.write(0b11, 2)
	if err := w.id(i.l, depth+1, nodes); err != nil {
		return err
	}
	return w.id(i.r, depth+1, nodes)
}

// event writes e, whose root sits base above zero.
func (w *bitWriter) event(e *event, depth int, base uint64, nodes *int) error {
	if *nodes++; *nodes > MaxStampNodes {
		return tooLarge("has more than MaxStampNodes nodes")
	}
	if e.n > maxStampCounter-base {
		return tooLarge("has a counter of 2^63 or more")
	}
	if e.isLeaf() {
		w.write(1, 1)
		w.number(e.n)
		return nil
	}
	if depth >= MaxStampDepth {
		return tooLarge("event tree is deeper than MaxStampDepth")
	}
	zl, zr := e.l.isLeaf() && e.l.n == 0, e.r.isLeaf() && e.r.n == 0
	if zl || zr {
		*nodes++ // the implicit leaf
	}
	switch {
	case e.n == 0 && zl:
		w.write(0b000, 3)
	case e.n == 0 && zr:
		w.write(0b001, 3)
	case e.n == 0:
		w.write(0b010, 3)
	case zl:
		w.write(0b01100, 5)
		w.base(e.n)
	case zr:
		w.write(0b01101, 5)
		w.base(e.n)
	default:
		w.write(0b0111, 4)
		w.base(e.n)
	}
	base += e.n
	if !zl {
		if err := w.event(e.l, depth+1, base, nodes); err != nil {
			return err
		}
	}
	if !zr {
		return w.event(e.r, depth+1, base, nodes)
	}
	return nil
}

// bitReader decodes a stamp, reading bits most significant first.
type bitReader struct {
	buf    []byte
	pos    int  // bits consumed
	nodes  int  // nodes decoded so far, implicit zero leaves included
	erlang bool // read a node's base in the Erlang form
	build  bool // build the stamp; otherwise only check the input
}

// Placeholders for the nodes of a stamp that is only checked, not built:
// the checks look at the values of a node's children, never below them.
var (
	idChecked    = &idTree{}
	eventChecked = &event{}
)

// treeOf returns e, a node the decoders hold as a value, as a tree: a
// shared leaf when it can, a new node when building, a placeholder when
// only checking.
func treeOf(e event, build bool) *event {
	switch {
	case e.isLeaf() && (build || e.n < uint64(len(smallLeaves))):
		return leaf(e.n)
	case !build:
		return eventChecked
	}
	return &event{n: e.n, l: e.l, r: e.r}
}

// read returns the next n bits, n ≤ 64; ok is false if fewer remain.
func (r *bitReader) read(n uint) (v uint64, ok bool) {
	if len(r.buf)*8-r.pos < int(n) {
		return 0, false
	}
	for n > 0 {
		off := uint(r.pos % 8)
		k := min(n, 8-off)
		chunk := uint64(r.buf[r.pos/8]>>(8-off-k)) & (1<<k - 1)
		v = v<<k | chunk
		r.pos += int(k)
		n -= k
	}
	return v, true
}

func (r *bitReader) bits(n uint) (uint64, error) {
	v, ok := r.read(n)
	if !ok {
		return 0, fmt.Errorf("clocks: stamp encoding truncated at bit %d: %w", r.pos, ErrMalformed)
	}
	return v, nil
}

// count accounts for k more nodes.
func (r *bitReader) count(k int) error {
	if r.nodes += k; r.nodes > MaxStampNodes {
		return tooLarge("has more than MaxStampNodes nodes")
	}
	return nil
}

func malformed(pos int, what string) error {
	return fmt.Errorf("clocks: stamp encoding at bit %d: %s: %w", pos, what, ErrMalformed)
}

// number reads enc(n, 2) of section 6.
func (r *bitReader) number() (uint64, error) {
	var base uint64
	b := uint(2)
	for {
		more, err := r.bits(1)
		if err != nil {
			return 0, err
		}
		if more == 0 {
			break
		}
		base += 1 << b
		b++
		if b > 63 {
			return 0, tooLarge("has a counter of 2^63 or more")
		}
	}
	v, err := r.bits(b)
	if err != nil {
		return 0, err
	}
	return base + v, nil // base ≤ 2^63-4 and v < 2^63: no overflow
}

// base reads the base of an event node: enc(n, 2), or in the Erlang form
// a leaf, 1 enc(n, 2).
func (r *bitReader) base() (uint64, error) {
	if r.erlang {
		start := r.pos
		isLeaf, err := r.bits(1)
		if err != nil {
			return 0, err
		}
		if isLeaf != 1 {
			return 0, malformed(start, "the base of an event node is not a leaf (Erlang form)")
		}
	}
	return r.number()
}

func (r *bitReader) id(depth int) (*idTree, error) {
	start := r.pos
	if err := r.count(1); err != nil {
		return nil, err
	}
	tag, err := r.bits(2)
	if err != nil {
		return nil, err
	}
	if tag == 0b00 {
		v, err := r.bits(1)
		if err != nil {
			return nil, err
		}
		if v == 0 {
			return idZero, nil
		}
		return idOne, nil
	}
	if depth >= MaxStampDepth {
		return nil, tooLarge("id tree is deeper than MaxStampDepth")
	}
	switch tag {
	case 0b01, 0b10: // (0, i) or (i, 0)
		if err := r.count(1); err != nil {
			return nil, err
		}
		i, err := r.id(depth + 1)
		if err != nil {
			return nil, err
		}
		switch {
		case i == idZero:
			return nil, malformed(start, "id (0, 0) is not normalised")
		case !r.build:
			return idChecked, nil
		case tag == 0b01:
			return &idTree{l: idZero, r: i}, nil
		}
		return &idTree{l: i, r: idZero}, nil
	}
	l, err := r.id(depth + 1)
	if err != nil {
		return nil, err
	}
	rt, err := r.id(depth + 1)
	if err != nil {
		return nil, err
	}
	switch {
	case l == idZero || rt == idZero:
		return nil, malformed(start, "id node with a 0 child is not in its short form")
	case l == idOne && rt == idOne:
		return nil, malformed(start, "id (1, 1) is not normalised")
	case !r.build:
		return idChecked, nil
	}
	return &idTree{l: l, r: rt}, nil
}

// event reads an event tree whose root sits base above zero, and returns
// its root as a value (its children built by treeOf), so that the checks of
// the root's parent need no allocation.
func (r *bitReader) event(depth int, base uint64) (event, error) {
	start := r.pos
	if err := r.count(1); err != nil {
		return event{}, err
	}
	isLeaf, err := r.bits(1)
	if err != nil {
		return event{}, err
	}
	if isLeaf == 1 {
		n, err := r.number()
		if err != nil {
			return event{}, err
		}
		if n > maxStampCounter-base {
			return event{}, tooLarge("has a counter of 2^63 or more")
		}
		return event{n: n}, nil
	}
	if depth >= MaxStampDepth {
		return event{}, tooLarge("event tree is deeper than MaxStampDepth")
	}
	tag, err := r.bits(2)
	if err != nil {
		return event{}, err
	}
	var n uint64
	hasL, hasR := true, true
	switch tag {
	case 0b00:
		hasL = false
	case 0b01:
		hasR = false
	case 0b11:
		both, err := r.bits(1)
		if err != nil {
			return event{}, err
		}
		if both == 0 {
			which, err := r.bits(1) // 0: (n, 0, r), 1: (n, l, 0)
			if err != nil {
				return event{}, err
			}
			hasL, hasR = which == 1, which == 0
		}
		if n, err = r.base(); err != nil {
			return event{}, err
		}
		if n == 0 {
			return event{}, malformed(start, "event node with a zero base is not in its short form")
		}
		if n > maxStampCounter-base {
			return event{}, tooLarge("has a counter of 2^63 or more")
		}
	}
	var l, rt event // the leaf 0 unless read
	if !hasL || !hasR {
		if err := r.count(1); err != nil {
			return event{}, err
		}
	}
	if hasL {
		if l, err = r.event(depth+1, base+n); err != nil {
			return event{}, err
		}
		if l.isLeaf() && l.n == 0 {
			return event{}, malformed(start, "event node with a 0 child is not in its short form")
		}
	}
	if hasR {
		if rt, err = r.event(depth+1, base+n); err != nil {
			return event{}, err
		}
		if rt.isLeaf() && rt.n == 0 {
			return event{}, malformed(start, "event node with a 0 child is not in its short form")
		}
	}
	switch {
	case l.isLeaf() && rt.isLeaf() && l.n == rt.n:
		return event{}, malformed(start, "event node with two equal leaves is not normalised")
	case min(l.n, rt.n) != 0:
		return event{}, malformed(start, "event node whose children both have a positive minimum is not normalised")
	}
	return event{n: n, l: treeOf(l, r.build), r: treeOf(rt, r.build)}, nil
}

// ParseStamp parses a stamp written in the notation of String, such as
// "(1, 0)" or "((1, 0), (0, (1, 0, 2)))". The text must be exactly what
// String produces for some stamp: single spaces after the commas, decimal
// counters without leading zeros, and normalised trees; anything else is
// rejected with an error wrapping ErrMalformed, and trees beyond the limits
// of the binary encoding with one wrapping ErrTooLarge.
//
// It checks the whole text before it allocates anything, so refused text
// costs only the error; an accepted stamp costs its nodes, at most about
// 5.4 bytes per byte of text (an event node and a leaf above 63, 24 bytes
// each, take at least 9 bytes of text: "(0, 64, " and ")").
func ParseStamp(text string) (Stamp, error) {
	if _, err := parseStamp(text, false); err != nil {
		return Stamp{}, err
	}
	return parseStamp(text, true)
}

// parseStamp parses text; unless build is set, it only checks it and
// returns a stamp of placeholders.
func parseStamp[T string | []byte](text T, build bool) (Stamp, error) {
	p := parser[T]{text: text, build: build}
	if err := p.expect("("); err != nil {
		return Stamp{}, err
	}
	id, err := p.id(0)
	if err != nil {
		return Stamp{}, err
	}
	if err := p.expect(", "); err != nil {
		return Stamp{}, err
	}
	ev, err := p.event(0, 0)
	if err != nil {
		return Stamp{}, err
	}
	if err := p.expect(")"); err != nil {
		return Stamp{}, err
	}
	if p.pos != len(text) {
		return Stamp{}, p.errorf("trailing text")
	}
	return Stamp{id: id, ev: treeOf(ev, build)}, nil
}

// MarshalText returns String() as bytes, so that stamps appear in JSON and
// other text formats in the paper's notation. It fails like MarshalBinary
// for stamps beyond the encoding limits, which ParseStamp would refuse.
func (s Stamp) MarshalText() ([]byte, error) {
	// Check the limits with the binary encoder, which also bounds the
	// size of the text.
	if _, err := s.AppendBinary(make([]byte, 0, 64)); err != nil {
		return nil, err
	}
	return []byte(s.String()), nil
}

// UnmarshalText parses text with ParseStamp into s. On error s is left
// unchanged.
func (s *Stamp) UnmarshalText(text []byte) error {
	// Parse the bytes in place: refused text then costs no copy.
	if _, err := parseStamp(text, false); err != nil {
		return err
	}
	v, err := parseStamp(text, true)
	if err != nil {
		return err // unreachable: the first pass accepted text
	}
	*s = v
	return nil
}

// UnmarshalJSON decodes a JSON string holding the text notation, as
// UnmarshalText does (json.Unmarshaler). It reads the string in place, so
// that an oversized input costs no copy; JSON null leaves s unchanged, and
// any other JSON value is rejected with an error wrapping ErrMalformed.
// (Encoding uses MarshalText.)
func (s *Stamp) UnmarshalJSON(data []byte) error {
	return unmarshalJSONString("stamp", data, s.UnmarshalText)
}

// parser reads the text notation of stamps, from a string (ParseStamp) or
// from bytes (UnmarshalText).
type parser[T string | []byte] struct {
	text  T
	pos   int
	nodes int
	build bool // build the stamp; otherwise only check the text
}

func (p *parser[T]) errorf(format string, args ...any) error {
	return fmt.Errorf("clocks: parsing stamp at offset %d: %s: %w", p.pos, fmt.Sprintf(format, args...), ErrMalformed)
}

func (p *parser[T]) expect(s string) error {
	if len(p.text)-p.pos < len(s) {
		return p.errorf("expected %q", s)
	}
	for i := range len(s) {
		if p.text[p.pos+i] != s[i] {
			return p.errorf("expected %q", s)
		}
	}
	p.pos += len(s)
	return nil
}

func (p *parser[T]) count() error {
	if p.nodes++; p.nodes > MaxStampNodes {
		return tooLarge("has more than MaxStampNodes nodes")
	}
	return nil
}

func (p *parser[T]) peek() byte {
	if p.pos < len(p.text) {
		return p.text[p.pos]
	}
	return 0
}

func (p *parser[T]) id(depth int) (*idTree, error) {
	start := p.pos
	if err := p.count(); err != nil {
		return nil, err
	}
	switch p.peek() {
	case '0':
		p.pos++
		return idZero, nil
	case '1':
		p.pos++
		return idOne, nil
	case '(':
	default:
		return nil, p.errorf("expected an id")
	}
	if depth >= MaxStampDepth {
		return nil, tooLarge("id tree is deeper than MaxStampDepth")
	}
	p.pos++
	l, err := p.id(depth + 1)
	if err != nil {
		return nil, err
	}
	if err := p.expect(", "); err != nil {
		return nil, err
	}
	r, err := p.id(depth + 1)
	if err != nil {
		return nil, err
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	if (l == idZero && r == idZero) || (l == idOne && r == idOne) {
		p.pos = start
		return nil, p.errorf("id is not normalised")
	}
	if !p.build {
		return idChecked, nil
	}
	return &idTree{l: l, r: r}, nil
}

func (p *parser[T]) number(base uint64) (uint64, error) {
	start := p.pos
	limit := maxStampCounter - base
	var n uint64
	for p.pos < len(p.text) && '0' <= p.text[p.pos] && p.text[p.pos] <= '9' {
		if p.pos > start && p.text[start] == '0' {
			p.pos = start
			return 0, p.errorf("counter with a leading zero")
		}
		d := uint64(p.text[p.pos] - '0')
		if n > limit/10 || n*10+d > limit { // limit < 2^63: no overflow
			return 0, tooLarge("has a counter of 2^63 or more")
		}
		n = n*10 + d
		p.pos++
	}
	if p.pos == start {
		return 0, p.errorf("expected a counter")
	}
	return n, nil
}

// event parses an event tree and returns its root as a value, as
// bitReader.event does.
func (p *parser[T]) event(depth int, base uint64) (event, error) {
	start := p.pos
	if err := p.count(); err != nil {
		return event{}, err
	}
	if p.peek() != '(' {
		n, err := p.number(base)
		if err != nil {
			return event{}, err
		}
		return event{n: n}, nil
	}
	if depth >= MaxStampDepth {
		return event{}, tooLarge("event tree is deeper than MaxStampDepth")
	}
	p.pos++
	n, err := p.number(base)
	if err != nil {
		return event{}, err
	}
	if err := p.expect(", "); err != nil {
		return event{}, err
	}
	l, err := p.event(depth+1, base+n)
	if err != nil {
		return event{}, err
	}
	if err := p.expect(", "); err != nil {
		return event{}, err
	}
	r, err := p.event(depth+1, base+n)
	if err != nil {
		return event{}, err
	}
	if err := p.expect(")"); err != nil {
		return event{}, err
	}
	if (l.isLeaf() && r.isLeaf() && l.n == r.n) || min(l.n, r.n) != 0 {
		p.pos = start
		return event{}, p.errorf("event tree is not normalised")
	}
	return event{n: n, l: treeOf(l, p.build), r: treeOf(r, p.build)}, nil
}
