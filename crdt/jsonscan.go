package crdt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxJSONLen bounds the JSON a decoder reads: 64 bytes for each of the
// MaxEntries entries a state may have (64 MiB).
const maxJSONLen = 64 * MaxEntries

// maxJSONDepth bounds the nesting of the values (elements, keys) the
// decoders read (encoding/json itself stops at 10,000 levels).
const maxJSONDepth = 1000

// jsonIn reads a JSON document token by token, in place: strings without
// escapes are returned as slices of the input, numbers are parsed from it,
// and nothing is allocated for the structure, so a decoder can apply its
// limits while it reads and allocate only what it keeps. The document is
// checked with json.Valid first (which allocates nothing), so the reader
// meets only well-formed JSON and its errors are about the shape: an
// object where an array was wanted, an unknown or repeated field, a
// number out of range.
type jsonIn struct {
	what string
	b    []byte
	i    int
}

// newJSONIn returns a reader of data, or an error wrapping ErrTooLarge
// for a document longer than maxJSONLen or ErrMalformed for one that is
// not valid JSON.
func newJSONIn(what string, data []byte) (*jsonIn, error) {
	if len(data) > maxJSONLen {
		return nil, fmt.Errorf("crdt: %s: %d bytes of JSON: %w", what, len(data), ErrTooLarge)
	}
	if !json.Valid(data) {
		return nil, fmt.Errorf("crdt: %s: invalid JSON: %w", what, ErrMalformed)
	}
	return &jsonIn{what: what, b: data}, nil
}

func (j *jsonIn) errf(format string, args ...any) error {
	return fmt.Errorf("crdt: %s: JSON at byte %d: %s: %w", j.what, j.i, fmt.Sprintf(format, args...), ErrMalformed)
}

func (j *jsonIn) tooLarge(format string, args ...any) error {
	return fmt.Errorf("crdt: %s: JSON at byte %d: %s: %w", j.what, j.i, fmt.Sprintf(format, args...), ErrTooLarge)
}

func (j *jsonIn) space() {
	for j.i < len(j.b) {
		switch j.b[j.i] {
		case ' ', '\t', '\n', '\r':
			j.i++
		default:
			return
		}
	}
}

// peek returns the next byte that is not white space, or 0 at the end.
func (j *jsonIn) peek() byte {
	j.space()
	if j.i < len(j.b) {
		return j.b[j.i]
	}
	return 0
}

// end checks that nothing but white space follows.
func (j *jsonIn) end() error {
	if j.peek() != 0 {
		return j.errf("data after the value")
	}
	return nil
}

// object reads an object, calling member for each key with the reader at
// the member's value, which member must read.
func (j *jsonIn) object(member func(key []byte) error) error {
	if j.peek() != '{' {
		return j.errf("want an object")
	}
	j.i++
	if j.peek() == '}' {
		j.i++
		return nil
	}
	for {
		key, err := j.str()
		if err != nil {
			return err
		}
		j.peek()
		j.i++ // the colon
		if err := member(key); err != nil {
			return err
		}
		if j.peek() == '}' {
			j.i++
			return nil
		}
		j.i++ // the comma
	}
}

// fields reads an object whose keys are the given field names, each
// required unless optional says otherwise and none repeated, calling
// member with the field's index.
func (j *jsonIn) fields(names []string, optional uint64, member func(field int) error) error {
	var seen uint64
	err := j.object(func(key []byte) error {
		f := -1
		for i, n := range names {
			if string(key) == n {
				f = i
				break
			}
		}
		switch {
		case f < 0:
			return j.errf("unknown field %q", key)
		case seen&(1<<f) != 0:
			return j.errf("field %q twice", key)
		}
		seen |= 1 << f
		return member(f)
	})
	if err != nil {
		return err
	}
	for i, n := range names {
		if seen&(1<<i) == 0 && optional&(1<<i) == 0 {
			return j.errf("missing field %q", n)
		}
	}
	return nil
}

// array reads an array, calling elem with the reader at each element,
// which elem must read.
func (j *jsonIn) array(elem func() error) error {
	if j.peek() != '[' {
		return j.errf("want an array")
	}
	j.i++
	if j.peek() == ']' {
		j.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		if j.peek() == ']' {
			j.i++
			return nil
		}
		j.i++ // the comma
	}
}

// str reads a string and returns its value: a slice of the input if it
// has no escapes (and is valid UTF-8), else a copy unescaped as
// encoding/json does (invalid UTF-8 becoming U+FFFD).
func (j *jsonIn) str() ([]byte, error) {
	if j.peek() != '"' {
		return nil, j.errf("want a string")
	}
	start := j.i
	j.i++
	plain := true
	for j.b[j.i] != '"' {
		if j.b[j.i] == '\\' {
			plain = false
			j.i++
		}
		j.i++
	}
	j.i++
	raw := j.b[start:j.i]
	if plain && utf8.Valid(raw) {
		return raw[1 : len(raw)-1], nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, j.errf("%v", err)
	}
	return []byte(s), nil
}

// number returns the literal of a number.
func (j *jsonIn) number() ([]byte, error) {
	c := j.peek()
	if c != '-' && (c < '0' || c > '9') {
		return nil, j.errf("want a number")
	}
	start := j.i
	for j.i < len(j.b) && strings.IndexByte("+-0123456789.eE", j.b[j.i]) >= 0 {
		j.i++
	}
	return j.b[start:j.i], nil
}

// uint reads a non-negative integer written without fraction or exponent
// (what encoding/json accepts for a uint64), at most limit.
func (j *jsonIn) uint(what string, limit uint64) (uint64, error) {
	lit, err := j.number()
	if err != nil {
		return 0, err
	}
	for _, c := range lit {
		if c < '0' || c > '9' {
			return 0, j.errf("%s %s is not a non-negative integer", what, lit)
		}
	}
	n, err := strconv.ParseUint(string(lit), 10, 64)
	if err != nil || n > limit {
		return 0, j.tooLarge("%s %s", what, lit)
	}
	return n, nil
}

// boolean reads true or false.
func (j *jsonIn) boolean() (bool, error) {
	switch j.peek() {
	case 't':
		j.i += len("true")
		return true, nil
	case 'f':
		j.i += len("false")
		return false, nil
	}
	return false, j.errf("want a boolean")
}

// value skips any value and returns its bytes, checking on the way that
// no object in it has a key twice (which encoding/json would resolve
// silently by keeping the last, and other parsers by keeping the first).
func (j *jsonIn) value() ([]byte, error) {
	j.space()
	start := j.i
	if err := j.skip(0); err != nil {
		return nil, err
	}
	return j.b[start:j.i], nil
}

func (j *jsonIn) skip(depth int) error {
	if depth > maxJSONDepth {
		return j.errf("nested deeper than %d", maxJSONDepth)
	}
	switch j.peek() {
	case '{':
		var small [8][]byte
		keys := small[:0]
		var many map[string]bool
		return j.object(func(key []byte) error {
			if many == nil && len(keys) == len(small) {
				many = make(map[string]bool, 2*len(small))
				for _, k := range keys {
					many[string(k)] = true
				}
			}
			if many != nil {
				if many[string(key)] {
					return j.errf("key %q twice", key)
				}
				many[string(key)] = true
			} else {
				for _, k := range keys {
					if bytes.Equal(k, key) {
						return j.errf("key %q twice", key)
					}
				}
				keys = append(keys, key)
			}
			return j.skip(depth + 1)
		})
	case '[':
		return j.array(func() error { return j.skip(depth + 1) })
	case '"':
		_, err := j.str()
		return err
	case 't', 'f':
		_, err := j.boolean()
		return err
	case 'n':
		j.i += len("null")
		return nil
	}
	_, err := j.number()
	return err
}
