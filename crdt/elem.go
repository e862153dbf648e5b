package crdt

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
)

// Elements, keys and values of the generic types are encoded with
// encoding/json, and their encodings must be canonical: what json.Marshal
// writes for the decoded value. Checking that with encoding/json costs a
// decode and an encode, about 150 bytes of garbage per element whatever
// its size, which would make a set of small elements cost 20 to 50 bytes
// per input byte to decode. For the common element types (strings of
// plain ASCII, integers and booleans), parseElem recognises the canonical
// encodings directly, allocating nothing but a string's bytes, and leaves
// every other case to encoding/json.

var errNotCanonical = errors.New("not the canonical JSON encoding")

// parseElem decodes b, the canonical JSON encoding of an E, or fails.
func parseElem[E any](b []byte) (E, error) {
	var e E
	if fastElem(&e, b) {
		return e, nil
	}
	return slowElem[E](b)
}

// slowElem is parseElem by encoding/json (in a function of its own, so
// that the fast path's variable does not escape).
func slowElem[E any](b []byte) (E, error) {
	var e E
	if err := json.Unmarshal(b, &e); err != nil {
		return e, err
	}
	again, err := json.Marshal(e)
	if err != nil {
		return e, err
	}
	if !bytes.Equal(again, b) {
		return e, errNotCanonical
	}
	return e, nil
}

// canonicalElem returns the canonical encoding of the E that the JSON b
// encodes: b itself if it is canonical, else a new encoding.
func canonicalElem[E any](b []byte) ([]byte, error) {
	var e E
	if fastElem(&e, b) {
		return b, nil
	}
	return slowCanonical[E](b)
}

// elemFromJSON decodes the JSON b as an E and returns it with its
// canonical encoding (b itself if b is canonical).
func elemFromJSON[E any](b []byte) (E, []byte, error) {
	var e E
	if fastElem(&e, b) {
		return e, b, nil
	}
	return slowFromJSON[E](b)
}

func slowFromJSON[E any](b []byte) (E, []byte, error) {
	var e E
	if err := json.Unmarshal(b, &e); err != nil {
		return e, nil, err
	}
	enc, err := json.Marshal(e)
	return e, enc, err
}

func slowCanonical[E any](b []byte) ([]byte, error) {
	var e E
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, err
	}
	return json.Marshal(e)
}

// fastElem decodes b into *p and reports true if p points to a string,
// integer or boolean and b is the canonical encoding of one; otherwise it
// reports false (b may still be canonical: encoding/json decides).
func fastElem(p any, b []byte) bool {
	switch p := p.(type) {
	case *string:
		s, ok := plainString(b)
		if ok {
			*p = string(s)
		}
		return ok
	case *bool:
		switch string(b) {
		case "true":
			*p = true
			return true
		case "false":
			*p = false
			return true
		}
		return false
	case *int:
		v, ok := canonicalInt(b, math.MinInt, math.MaxInt)
		*p = int(v)
		return ok
	case *int64:
		v, ok := canonicalInt(b, math.MinInt64, math.MaxInt64)
		*p = v
		return ok
	case *int32:
		v, ok := canonicalInt(b, math.MinInt32, math.MaxInt32)
		*p = int32(v)
		return ok
	case *uint:
		v, ok := canonicalUint(b, math.MaxUint)
		*p = uint(v)
		return ok
	case *uint64:
		v, ok := canonicalUint(b, math.MaxUint64)
		*p = v
		return ok
	case *uint32:
		v, ok := canonicalUint(b, math.MaxUint32)
		*p = uint32(v)
		return ok
	}
	return false
}

// plainString returns the content of a JSON string that json.Marshal
// writes unchanged: printable ASCII without quote, backslash or the
// characters it escapes for HTML (<, >, &).
func plainString(b []byte) ([]byte, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return nil, false
	}
	s := b[1 : len(b)-1]
	for _, c := range s {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return nil, false
		}
	}
	return s, true
}

// canonicalUint parses a decimal integer without sign, leading zeros,
// fraction or exponent, at most max.
func canonicalUint(b []byte, max uint64) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 || b[0] == '0' && len(b) > 1 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (max-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

// canonicalInt parses a decimal integer as json.Marshal writes it (no
// plus sign, no "-0"), within [min, max].
func canonicalInt(b []byte, min, max int64) (int64, bool) {
	if len(b) > 0 && b[0] == '-' {
		if len(b) == 2 && b[1] == '0' {
			return 0, false
		}
		v, ok := canonicalUint(b[1:], uint64(-(min+1))+1)
		if !ok {
			return 0, false
		}
		return -int64(v-1) - 1, true
	}
	v, ok := canonicalUint(b, uint64(max))
	return int64(v), ok
}
