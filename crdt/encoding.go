package crdt

import (
	"encoding/binary"
	"fmt"
	"math/bits"
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

// entryLimit is the MaxEntries the decoders apply: a variable, so that
// tests can see the limit applied without building inputs of a million
// entries.
var entryLimit = MaxEntries

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
	if n != uvarintLen(x) {
		return 0, d.errf("non-minimal %s", what)
	}
	d.b = d.b[n:]
	return x, nil
}

// uvarintLen is the length of the minimal uvarint encoding of x.
func uvarintLen(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }

// count reads a count of items each taking at least minBytes bytes,
// rejecting counts the rest of the input cannot hold.
func (d *decoder) count(what string, minBytes int) (int, error) {
	n, err := d.uvarint(what)
	if err != nil {
		return 0, err
	}
	if n > uint64(entryLimit) {
		return 0, fmt.Errorf("crdt: %s: %d %s: %w", d.what, n, what, ErrTooLarge)
	}
	if n*uint64(minBytes) > uint64(len(d.b)) {
		return 0, d.errf("%d %s in %d bytes", n, what, len(d.b))
	}
	return int(n), nil
}

func (d *decoder) bytes(what string) ([]byte, error) {
	n, k := binary.Uvarint(d.b)
	if k <= 0 || k != uvarintLen(n) {
		return nil, d.errf("bad or non-minimal %s length", what)
	}
	d.b = d.b[k:]
	if n > uint64(len(d.b)) {
		return nil, d.errf("truncated %s", what)
	}
	x := d.b[:n]
	d.b = d.b[n:]
	return x, nil
}
