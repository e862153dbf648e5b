package crdt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// Limits of the decoders: input beyond them is rejected with ErrTooLarge
// before anything is allocated for it.
const (
	// MaxElementLen is the longest encoded element (or key) in bytes.
	MaxElementLen = 1 << 16
	// MaxEntries is the largest number of elements, dots or keys in one
	// encoded state.
	MaxEntries = 1 << 20
)

func appendUvarint(b []byte, x uint64) []byte { return binary.AppendUvarint(b, x) }

// decoder reads a binary encoding, rejecting non-minimal varints.
type decoder struct {
	what string
	b    []byte
}

func (d *decoder) errf(format string, args ...any) error {
	return fmt.Errorf("crdt: %s: %s: %w", d.what, fmt.Sprintf(format, args...), ErrMalformed)
}

func (d *decoder) byte() (byte, error) {
	if len(d.b) == 0 {
		return 0, d.errf("truncated")
	}
	x := d.b[0]
	d.b = d.b[1:]
	return x, nil
}

func (d *decoder) uvarint(what string) (uint64, error) {
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		return 0, d.errf("bad %s", what)
	}
	if n != len(binary.AppendUvarint(nil, x)) {
		return 0, d.errf("non-minimal %s", what)
	}
	d.b = d.b[n:]
	return x, nil
}

// count reads a count of items each taking at least minBytes bytes,
// rejecting counts the rest of the input cannot hold.
func (d *decoder) count(what string, minBytes int) (int, error) {
	n, err := d.uvarint(what)
	if err != nil {
		return 0, err
	}
	if n > MaxEntries {
		return 0, fmt.Errorf("crdt: %s: %d %s: %w", d.what, n, what, ErrTooLarge)
	}
	if n*uint64(minBytes) > uint64(len(d.b)) {
		return 0, d.errf("%d %s in %d bytes", n, what, len(d.b))
	}
	return int(n), nil
}

func (d *decoder) bytes(what string) ([]byte, error) {
	n, err := d.uvarint(what + " length")
	if err != nil {
		return nil, err
	}
	if n > uint64(len(d.b)) {
		return nil, d.errf("truncated %s", what)
	}
	x := d.b[:n]
	d.b = d.b[n:]
	return x, nil
}

// strictJSON decodes an object with exactly the given fields into v,
// rejecting duplicate keys where keyed says (see checkJSONKeys).
func strictJSON(data []byte, v any, keyed func([]string) bool, fields ...string) error {
	if err := checkJSONKeys(data, keyed); err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if raw == nil {
		return fmt.Errorf("null: %w", ErrMalformed)
	}
	for _, f := range fields {
		if _, ok := raw[f]; !ok {
			return fmt.Errorf("missing field %q: %w", f, ErrMalformed)
		}
	}
	if len(raw) != len(fields) {
		return fmt.Errorf("unknown fields: %w", ErrMalformed)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return nil
}
