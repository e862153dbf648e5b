package clocks

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// uvarintLen is the number of bytes of the minimal uvarint encoding of x.
func uvarintLen(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }

// binarySize returns the length of v's binary encoding, or an error
// wrapping ErrTooLarge if v exceeds the encoding's limits.
func (v Vector) binarySize() (int, error) {
	if len(v.e) > MaxVectorEntries {
		return 0, fmt.Errorf("clocks: vector has %d entries, more than MaxVectorEntries (%d): %w",
			len(v.e), MaxVectorEntries, ErrTooLarge)
	}
	n := 1 + uvarintLen(uint64(len(v.e)))
	for _, x := range v.e {
		if len(x.ID) > MaxIDLen {
			return 0, fmt.Errorf("clocks: vector ID of %d bytes is longer than MaxIDLen (%d): %w",
				len(x.ID), MaxIDLen, ErrTooLarge)
		}
		if x.Count > MaxVectorCount {
			return 0, fmt.Errorf("clocks: vector count %d of %q exceeds MaxVectorCount: %w",
				x.Count, x.ID, ErrTooLarge)
		}
		n += uvarintLen(uint64(len(x.ID))) + len(x.ID) + uvarintLen(x.Count)
	}
	return n, nil
}

// AppendBinary appends the canonical binary encoding of v to b and returns
// the extended slice (encoding.BinaryAppender). The encoding is
//
//	version byte 1
//	uvarint     number of entries
//	per entry, in strictly increasing byte order of ID:
//	  uvarint   len(ID)
//	  bytes     ID
//	  uvarint   count (non-zero)
//
// with every uvarint in its shortest form, so equal clocks have identical
// encodings and the bytes can be hashed or compared directly. It fails, with
// an error wrapping ErrTooLarge and b returned unchanged, only if v has more
// than MaxVectorEntries entries, an ID longer than MaxIDLen bytes or a count
// above MaxVectorCount. It costs O(size) and allocates at most once, to grow
// b.
func (v Vector) AppendBinary(b []byte) ([]byte, error) {
	n, err := v.binarySize()
	if err != nil {
		return b, err
	}
	b = slices.Grow(b, n)
	b = append(b, vectorFormat)
	b = binary.AppendUvarint(b, uint64(len(v.e)))
	for _, x := range v.e {
		b = binary.AppendUvarint(b, uint64(len(x.ID)))
		b = append(b, x.ID...)
		b = binary.AppendUvarint(b, x.Count)
	}
	return b, nil
}

// MarshalBinary returns the canonical binary encoding of v described at
// AppendBinary (encoding.BinaryMarshaler).
func (v Vector) MarshalBinary() ([]byte, error) {
	return v.AppendBinary(nil)
}

// UnmarshalBinary decodes the encoding described at AppendBinary into v,
// replacing its contents (encoding.BinaryUnmarshaler). It accepts only the
// canonical encoding: input that is truncated, has trailing bytes, an
// unknown version, a varint not in its shortest form, IDs out of order or
// repeated, or a zero count is rejected with an error wrapping
// ErrMalformed; more than MaxVectorEntries entries, an ID longer than
// MaxIDLen bytes or a count above MaxVectorCount with an error wrapping
// ErrTooLarge. On error v is left unchanged. The decoded clock does not
// share storage with data.
//
// It costs O(len(data)) time. It checks the whole input before it
// allocates anything, so refused input costs only the error; accepted
// input allocates one slice of 32-byte slots, one per entry, and each ID:
// about 8.5 bytes per input byte at worst (an entry takes at least 4 bytes
// once the 256 one-byte IDs are used up).
func (v *Vector) UnmarshalBinary(data []byte) error {
	e, err := decodeVector(data)
	if err != nil {
		return err
	}
	v.e = e
	return nil
}

// decodeVector parses a binary Vector encoding: a first pass checks it and
// counts the entries, a second builds them.
func decodeVector(data []byte) ([]slot, error) {
	n, err := scanVector(data, nil)
	if err != nil || n == 0 {
		return nil, err
	}
	e := make([]slot, 0, n)
	if _, err := scanVector(data, &e); err != nil {
		return nil, err // unreachable: the first pass accepted data
	}
	return e, nil
}

// scanVector checks a binary Vector encoding and returns its number of
// entries. If out is not nil, it also appends the entries to *out; it
// allocates nothing else.
func scanVector(data []byte, out *[]slot) (int, error) {
	if len(data) == 0 {
		return 0, fmt.Errorf("clocks: vector encoding is empty: %w", ErrMalformed)
	}
	if data[0] != vectorFormat {
		return 0, fmt.Errorf("clocks: vector encoding has unknown version %d: %w", data[0], ErrMalformed)
	}
	d := decoder{data: data, off: 1}
	n, err := d.uvarint("entry count")
	if err != nil {
		return 0, err
	}
	if n > MaxVectorEntries {
		return 0, fmt.Errorf("clocks: vector encoding declares %d entries, more than MaxVectorEntries (%d): %w",
			n, MaxVectorEntries, ErrTooLarge)
	}
	// An entry takes at least 3 bytes (length, one ID byte, count), except
	// that one entry may have the empty ID and take 2: n entries need at
	// least 3n-1 bytes. A short input claiming many entries stops here.
	if rest := len(data) - d.off; n > uint64(rest+1)/3 {
		return 0, fmt.Errorf("clocks: vector encoding declares %d entries but has only %d bytes left: %w",
			n, rest, ErrMalformed)
	}
	var prev []byte
	for k := range n {
		start := d.off
		l, err := d.uvarint("ID length")
		if err != nil {
			return 0, err
		}
		if l > MaxIDLen {
			return 0, fmt.Errorf("clocks: vector ID at byte %d is %d bytes long, more than MaxIDLen (%d): %w",
				start, l, MaxIDLen, ErrTooLarge)
		}
		if l > uint64(len(data)-d.off) {
			return 0, fmt.Errorf("clocks: vector ID at byte %d is truncated: %w", start, ErrMalformed)
		}
		id := data[d.off : d.off+int(l)]
		d.off += int(l)
		if k > 0 {
			switch c := bytes.Compare(prev, id); {
			case c == 0:
				return 0, fmt.Errorf("clocks: vector ID %q repeated at byte %d: %w", id, start, ErrMalformed)
			case c > 0:
				return 0, fmt.Errorf("clocks: vector ID %q at byte %d is out of order: %w", id, start, ErrMalformed)
			}
		}
		countAt := d.off
		c, err := d.uvarint("count")
		if err != nil {
			return 0, err
		}
		if c == 0 {
			return 0, fmt.Errorf("clocks: vector count of %q at byte %d is zero: %w", id, countAt, ErrMalformed)
		}
		if c > MaxVectorCount {
			return 0, fmt.Errorf("clocks: vector count of %q at byte %d exceeds MaxVectorCount: %w",
				id, countAt, ErrTooLarge)
		}
		if out != nil {
			*out = append(*out, newSlot(string(id), c))
		}
		prev = id
	}
	if d.off != len(data) {
		return 0, fmt.Errorf("clocks: vector encoding has %d trailing bytes: %w", len(data)-d.off, ErrMalformed)
	}
	return int(n), nil
}

// decoder reads canonical uvarints from data, starting at off.
type decoder struct {
	data []byte
	off  int
}

// uvarint reads one uvarint in its shortest form; what names it in errors.
func (d *decoder) uvarint(what string) (uint64, error) {
	x, k := binary.Uvarint(d.data[d.off:])
	switch {
	case k == 0:
		return 0, fmt.Errorf("clocks: vector encoding truncated in %s at byte %d: %w", what, d.off, ErrMalformed)
	case k < 0:
		return 0, fmt.Errorf("clocks: vector %s at byte %d overflows 64 bits: %w", what, d.off, ErrMalformed)
	case k != uvarintLen(x):
		// binary.Uvarint accepts padded forms such as 0x80 0x00 for 0.
		return 0, fmt.Errorf("clocks: vector %s at byte %d is not a minimal varint: %w", what, d.off, ErrMalformed)
	}
	d.off += k
	return x, nil
}

// MarshalJSON returns v as a JSON object from ID to count with keys in
// increasing byte order and no zero counts, for example {"a":1,"b":2}, or {}
// when empty (json.Marshaler). The output is canonical: equal clocks give
// identical bytes. It fails with an error wrapping ErrTooLarge under the same
// limits as AppendBinary, and with an error wrapping ErrMalformed if an ID is
// not valid UTF-8, which a JSON string cannot carry (the binary encoding
// can).
func (v Vector) MarshalJSON() ([]byte, error) {
	n, err := v.binarySize()
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, n+4*len(v.e)+2)
	b = append(b, '{')
	for i, x := range v.e {
		if !utf8.ValidString(x.ID) {
			return nil, fmt.Errorf("clocks: vector ID %q is not valid UTF-8 and has no JSON form: %w", x.ID, ErrMalformed)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, x.ID)
		b = append(b, ':')
		b = strconv.AppendUint(b, x.Count, 10)
	}
	return append(b, '}'), nil
}

// appendJSONString appends s, which must be valid UTF-8, as a JSON string:
// quotes, backslashes and control characters are escaped, all else is kept.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// UnmarshalJSON decodes a JSON object from ID to count into v, replacing its
// contents (json.Unmarshaler). Keys may come in any order. A count must be
// a non-negative integer written without fraction or exponent; a zero count
// is accepted and dropped, since an absent ID counts zero. The input is
// rejected with an error wrapping ErrMalformed if it is not a single JSON
// object (or null), is not valid UTF-8, repeats a key (after unescaping) or
// has a count that is negative, fractional, in exponent form or not a
// number; with an error wrapping ErrTooLarge if it has more than
// MaxVectorEntries keys, a key longer than MaxIDLen bytes or a count above
// MaxVectorCount. On error v is left unchanged.
//
// JSON null leaves v unchanged, following the convention of encoding/json
// for values that cannot be nil, so that a struct field holding a Vector
// decodes from null as it would for any other non-pointer type.
//
// It costs O(len(data)) time plus O(n log n) for n keys. Limits apply while
// reading: the key after the MaxVectorEntries-th, the byte after the
// MaxIDLen-th of a key and the digit that takes a count past MaxVectorCount
// each stop the decoder at once. A first pass checks the whole input and
// counts the keys before anything is allocated, so refused input costs only
// the error (except a repeated key, found after sorting); accepted input
// allocates one slice of 32-byte slots and each key: about 4.5 bytes per
// input byte at worst (a member takes at least 7 bytes, "ab":0, once the
// 93 one-character keys are used up).
func (v *Vector) UnmarshalJSON(data []byte) error {
	e, null, err := decodeVectorJSON(data)
	if err != nil {
		return err
	}
	if !null {
		v.e = e
	}
	return nil
}

// decodeVectorJSON parses the JSON form of a Vector, reporting null apart.
// A first pass checks the input and counts the members; a second builds
// them.
func decodeVectorJSON(data []byte) (e []slot, null bool, err error) {
	if !utf8.Valid(data) {
		return nil, false, fmt.Errorf("clocks: vector JSON is not valid UTF-8: %w", ErrMalformed)
	}
	first := vectorJSON{data: data}
	if err := first.object(); err != nil || first.null || first.n == 0 {
		return nil, first.null, err
	}
	second := vectorJSON{data: data, out: make([]slot, 0, first.n)}
	if err := second.object(); err != nil {
		return nil, false, err // unreachable: the first pass accepted data
	}
	e = second.out
	slices.SortFunc(e, cmpID)
	for i := 1; i < len(e); i++ {
		if sameID(&e[i-1], &e[i]) {
			return nil, false, fmt.Errorf("clocks: vector JSON repeats key %q: %w", e[i].ID, ErrMalformed)
		}
	}
	e = slices.DeleteFunc(e, func(x slot) bool { return x.Count == 0 })
	if len(e) == 0 {
		return nil, false, nil
	}
	return e, false, nil
}

// vectorJSON reads the JSON form of a Vector: optional white space, then
// null or an object whose members map strings to non-negative integers,
// then optional white space. It accepts exactly the JSON texts of that
// shape (RFC 8259) and, unlike a general JSON decoder, never holds more of
// the input than one key.
type vectorJSON struct {
	data    []byte
	off     int
	n       int    // members read
	null    bool   // the input is null
	out     []slot // if not nil, members are appended here
	scratch []byte // unescaped key, allocated at the first escaped key
}

func (s *vectorJSON) errorf(format string, args ...any) error {
	return fmt.Errorf("clocks: vector JSON at byte %d: %s: %w", s.off, fmt.Sprintf(format, args...), ErrMalformed)
}

// space skips JSON white space.
func (s *vectorJSON) space() {
	for s.off < len(s.data) {
		switch s.data[s.off] {
		case ' ', '\t', '\n', '\r':
			s.off++
		default:
			return
		}
	}
}

// peek returns the next byte, or 0 at the end.
func (s *vectorJSON) peek() byte {
	if s.off < len(s.data) {
		return s.data[s.off]
	}
	return 0
}

// object reads the whole input.
func (s *vectorJSON) object() error {
	s.space()
	if bytes.HasPrefix(s.data[s.off:], []byte("null")) {
		s.off += len("null")
		s.null = true
	} else {
		if s.peek() != '{' {
			return s.errorf("not an object")
		}
		s.off++
		s.space()
		if s.peek() == '}' {
			s.off++
		} else if err := s.members(); err != nil {
			return err
		}
	}
	s.space()
	if s.off != len(s.data) {
		return s.errorf("data after the value")
	}
	return nil
}

// members reads "key": count pairs up to and including the closing brace.
func (s *vectorJSON) members() error {
	for {
		if s.n == MaxVectorEntries {
			return fmt.Errorf("clocks: vector JSON has more than MaxVectorEntries (%d) keys: %w",
				MaxVectorEntries, ErrTooLarge)
		}
		id, err := s.key()
		if err != nil {
			return err
		}
		s.space()
		if s.peek() != ':' {
			return s.errorf("expected a colon after the key")
		}
		s.off++
		s.space()
		c, err := s.count()
		if err != nil {
			return err
		}
		s.n++
		if s.out != nil {
			s.out = append(s.out, newSlot(id, c))
		}
		s.space()
		switch s.peek() {
		case ',':
			s.off++
			s.space()
		case '}':
			s.off++
			return nil
		default:
			return s.errorf("expected a comma or a closing brace")
		}
	}
}

// key reads a JSON string. It stops with ErrTooLarge as soon as the
// unescaped key passes MaxIDLen bytes, and returns the key only when
// building (s.out != nil), as a string of its own.
func (s *vectorJSON) key() (string, error) {
	if s.peek() != '"' {
		return "", s.errorf("expected a string key")
	}
	s.off++
	start, n, escaped := s.off, 0, false
	for {
		if n > MaxIDLen {
			return "", fmt.Errorf("clocks: vector JSON key at byte %d is longer than MaxIDLen (%d) bytes: %w",
				start-1, MaxIDLen, ErrTooLarge)
		}
		if s.off >= len(s.data) {
			return "", s.errorf("unterminated string")
		}
		switch c := s.data[s.off]; {
		case c == '"':
			raw := s.data[start:s.off]
			s.off++
			switch {
			case s.out == nil:
				return "", nil
			case !escaped:
				return string(raw), nil
			}
			if s.scratch == nil {
				s.scratch = make([]byte, 0, MaxIDLen+utf8.UTFMax)
			}
			s.scratch = unescapeJSON(s.scratch[:0], raw)
			return string(s.scratch), nil
		case c < 0x20:
			return "", s.errorf("control character in a string")
		case c != '\\':
			s.off++
			n++
			continue
		}
		escaped = true
		r, w, ok := jsonEscape(s.data[s.off:])
		if !ok {
			return "", s.errorf("invalid escape")
		}
		s.off += w
		n += utf8.RuneLen(r)
	}
}

// jsonEscape decodes the escape sequence at the start of b (which starts
// with a backslash) and returns the rune it stands for and its length in
// bytes. A \u escape of a high surrogate followed by one of a low
// surrogate stands for their pair; a lone surrogate stands for U+FFFD, as
// encoding/json decodes it.
func jsonEscape(b []byte) (r rune, width int, ok bool) {
	if len(b) < 2 {
		return 0, 0, false
	}
	switch b[1] {
	case '"', '\\', '/':
		return rune(b[1]), 2, true
	case 'b':
		return '\b', 2, true
	case 'f':
		return '\f', 2, true
	case 'n':
		return '\n', 2, true
	case 'r':
		return '\r', 2, true
	case 't':
		return '\t', 2, true
	case 'u':
	default:
		return 0, 0, false
	}
	r = hex4(b[2:])
	if r < 0 {
		return 0, 0, false
	}
	if !utf16.IsSurrogate(r) {
		return r, 6, true
	}
	if len(b) >= 12 && b[6] == '\\' && b[7] == 'u' {
		if pair := utf16.DecodeRune(r, hex4(b[8:])); pair != utf8.RuneError {
			return pair, 12, true
		}
	}
	return utf8.RuneError, 6, true
}

// hex4 returns the value of four hexadecimal digits at the start of b, or
// -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// unescapeJSON appends the contents of a JSON string, already checked by
// vectorJSON.key, to dst.
func unescapeJSON(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		if raw[i] != '\\' {
			dst = append(dst, raw[i])
			i++
			continue
		}
		r, w, _ := jsonEscape(raw[i:])
		dst = utf8.AppendRune(dst, r)
		i += w
	}
	return dst
}

// count reads a count: a JSON number that is a non-negative integer
// without fraction or exponent. It stops with ErrTooLarge at the digit
// that takes the count past MaxVectorCount.
func (s *vectorJSON) count() (uint64, error) {
	start := s.off
	if s.peek() == '-' {
		return 0, s.errorf("negative count")
	}
	var c uint64
	for s.off < len(s.data) && '0' <= s.data[s.off] && s.data[s.off] <= '9' {
		if s.off > start && s.data[start] == '0' {
			return 0, s.errorf("count with a leading zero")
		}
		d := uint64(s.data[s.off] - '0')
		if c > (MaxVectorCount-d)/10 {
			return 0, fmt.Errorf("clocks: vector JSON count at byte %d exceeds MaxVectorCount: %w", start, ErrTooLarge)
		}
		c = c*10 + d
		s.off++
	}
	switch {
	case s.off == start:
		return 0, s.errorf("count is not a number")
	case s.peek() == '.' || s.peek() == 'e' || s.peek() == 'E':
		return 0, s.errorf("count is not an integer")
	}
	return c, nil
}
