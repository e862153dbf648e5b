package crdt

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/eventually-perfect/primitives/clocks"
)

// MaxCount is the largest count one replica may contribute to a counter
// (the same bound clocks.MaxVectorCount puts on a vector entry): updates
// beyond it fail with ErrOverflow, and decoders reject larger counts.
const MaxCount = clocks.MaxVectorCount

// Format bytes opening each binary encoding.
const (
	gcounterFormat  = 1
	pncounterFormat = 1
)

// GCounter is a grow-only counter (Shapiro et al. 2011, specification 6):
// each replica counts its own increments, and the value is the sum over
// replicas. Merge takes the per-replica maximum, which is commutative,
// associative and idempotent, so increments are never lost nor counted
// twice however states are exchanged.
//
// The state is a clocks.Vector from replica ID to that replica's count; it
// costs one entry per replica that ever incremented. The zero value is a
// counter at 0, ready to use. A GCounter refers to its entries as a
// clocks.Vector does: Clone it before sending or storing a copy.
type GCounter struct {
	v clocks.Vector
}

// Inc adds n to the count of replica and returns the delta: a counter
// holding only replica's new count, which, merged anywhere, has the effect
// of the increment (Almeida et al. 2018, section 3.1). It fails with
// ErrOverflow, leaving c unchanged, if replica's count would pass MaxCount.
func (c *GCounter) Inc(replica string, n uint64) (GCounter, error) {
	cur := c.v.Get(replica)
	if n > MaxCount-cur {
		return GCounter{}, fmt.Errorf("crdt: gcounter: increment %d of %q at %d: %w", n, replica, cur, ErrOverflow)
	}
	if n == 0 {
		return GCounter{}, nil
	}
	c.v.Set(replica, cur+n)
	return GCounter{clocks.VectorOf(clocks.Entry{ID: replica, Count: cur + n})}, nil
}

// Value returns the sum of all replicas' counts, or math.MaxUint64 if the
// sum does not fit (which needs at least three replicas near MaxCount).
func (c GCounter) Value() uint64 {
	var s uint64
	for _, n := range c.v.All() {
		if s > math.MaxUint64-n {
			return math.MaxUint64
		}
		s += n
	}
	return s
}

// Count returns replica's own contribution.
func (c GCounter) Count(replica string) uint64 { return c.v.Get(replica) }

// Merge joins o into c: each replica's count becomes the larger of the
// two. It costs O(n+m) for counters of n and m replicas and never fails;
// the error result is there for uniformity with the other types.
func (c *GCounter) Merge(o GCounter) error {
	c.v.Merge(o.v)
	return nil
}

// Clone returns an independent copy of c.
func (c GCounter) Clone() GCounter { return GCounter{c.v.Clone()} }

// Equal reports whether c and o hold the same per-replica counts.
func (c GCounter) Equal(o GCounter) bool { return c.v.Equal(o.v) }

// Size returns the number of replicas with a count: the counter's
// metadata, one entry each.
func (c GCounter) Size() int { return c.v.Len() }

// Counts returns the per-replica counts as a version vector (a copy).
func (c GCounter) Counts() clocks.Vector { return c.v.Clone() }

// String returns "7 {a:3, b:4}": the value, then the per-replica counts in
// replica ID order (deterministic).
func (c GCounter) String() string {
	return strconv.FormatUint(c.Value(), 10) + " " + c.v.String()
}

// AppendBinary appends the canonical binary encoding of c: a format byte,
// then the clocks.Vector encoding of the per-replica counts.
func (c GCounter) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, gcounterFormat)
	b, err := c.v.AppendBinary(b)
	if err != nil {
		return nil, fmt.Errorf("crdt: gcounter: %w: %w", ErrTooLarge, err)
	}
	return b, nil
}

// MarshalBinary returns the canonical binary encoding of c.
func (c GCounter) MarshalBinary() ([]byte, error) { return c.AppendBinary(nil) }

// UnmarshalBinary decodes a canonical encoding into c. Malformed,
// non-canonical or oversized input fails with an error wrapping
// ErrMalformed or ErrTooLarge, and leaves c unchanged.
func (c *GCounter) UnmarshalBinary(data []byte) error {
	v, err := decodeCounts("gcounter", data, gcounterFormat)
	if err != nil {
		return err
	}
	c.v = v
	return nil
}

// decodeCounts decodes a format byte followed by a vector.
func decodeCounts(what string, data []byte, format byte) (clocks.Vector, error) {
	if len(data) == 0 {
		return clocks.Vector{}, fmt.Errorf("crdt: %s: empty input: %w", what, ErrMalformed)
	}
	if data[0] != format {
		return clocks.Vector{}, fmt.Errorf("crdt: %s: unknown format %d: %w", what, data[0], ErrMalformed)
	}
	var v clocks.Vector
	if err := v.UnmarshalBinary(data[1:]); err != nil {
		return clocks.Vector{}, vectorError(what, err)
	}
	return v, nil
}

// vectorError wraps an error of the clocks decoders with this package's
// sentinel.
func vectorError(what string, err error) error {
	if errors.Is(err, clocks.ErrTooLarge) {
		return fmt.Errorf("crdt: %s: %w: %w", what, ErrTooLarge, err)
	}
	return fmt.Errorf("crdt: %s: %w: %w", what, ErrMalformed, err)
}

// MarshalJSON encodes c as an object from replica ID to count,
// {"a":3,"b":4}, in replica ID order.
func (c GCounter) MarshalJSON() ([]byte, error) {
	b, err := c.v.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("crdt: gcounter: %w: %w", ErrTooLarge, err)
	}
	return b, nil
}

// UnmarshalJSON decodes the form MarshalJSON writes, leaving c unchanged
// on error. Zero counts, duplicate IDs and counts past MaxCount are
// rejected.
func (c *GCounter) UnmarshalJSON(data []byte) error {
	if err := checkJSONKeys(data, noFields); err != nil {
		return fmt.Errorf("crdt: gcounter: %w", err)
	}
	var v clocks.Vector
	if err := v.UnmarshalJSON(data); err != nil {
		return vectorError("gcounter", err)
	}
	c.v = v
	return nil
}

// PNCounter is a counter that goes up and down (Shapiro et al. 2011,
// specification 7): two GCounters, one for increments and one for
// decrements; the value is their difference. The zero value is a counter
// at 0, ready to use.
type PNCounter struct {
	p, n GCounter
}

// Inc adds n to the counter at replica and returns the delta.
func (c *PNCounter) Inc(replica string, n uint64) (PNCounter, error) {
	d, err := c.p.Inc(replica, n)
	if err != nil {
		return PNCounter{}, fmt.Errorf("crdt: pncounter: %w", errors.Unwrap(err))
	}
	return PNCounter{p: d}, nil
}

// Dec subtracts n from the counter at replica and returns the delta.
func (c *PNCounter) Dec(replica string, n uint64) (PNCounter, error) {
	d, err := c.n.Inc(replica, n)
	if err != nil {
		return PNCounter{}, fmt.Errorf("crdt: pncounter: %w", errors.Unwrap(err))
	}
	return PNCounter{n: d}, nil
}

// Value returns increments minus decrements, saturated to the int64
// range.
func (c PNCounter) Value() int64 {
	p, n := c.p.Value(), c.n.Value()
	if p >= n {
		if p-n > math.MaxInt64 {
			return math.MaxInt64
		}
		return int64(p - n)
	}
	if n-p > 1<<63 {
		return math.MinInt64
	}
	return -int64(n-p-1) - 1
}

// Merge joins o into c. It never fails.
func (c *PNCounter) Merge(o PNCounter) error {
	c.p.v.Merge(o.p.v)
	c.n.v.Merge(o.n.v)
	return nil
}

// Clone returns an independent copy of c.
func (c PNCounter) Clone() PNCounter { return PNCounter{c.p.Clone(), c.n.Clone()} }

// Equal reports whether c and o hold the same per-replica counts.
func (c PNCounter) Equal(o PNCounter) bool { return c.p.Equal(o.p) && c.n.Equal(o.n) }

// Size returns the number of per-replica entries (increments plus
// decrements).
func (c PNCounter) Size() int { return c.p.Size() + c.n.Size() }

// String returns "-1 +{a:3} -{b:4}": the value, then the increments and
// decrements per replica.
func (c PNCounter) String() string {
	return strconv.FormatInt(c.Value(), 10) + " +" + c.p.v.String() + " -" + c.n.v.String()
}

// AppendBinary appends the canonical binary encoding of c: a format byte,
// the length of the increments' vector encoding as a uvarint, that
// encoding, then the decrements' vector encoding.
func (c PNCounter) AppendBinary(b []byte) ([]byte, error) {
	p, err := c.p.v.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("crdt: pncounter: %w: %w", ErrTooLarge, err)
	}
	b = append(b, pncounterFormat)
	b = appendUvarint(b, uint64(len(p)))
	b = append(b, p...)
	b, err = c.n.v.AppendBinary(b)
	if err != nil {
		return nil, fmt.Errorf("crdt: pncounter: %w: %w", ErrTooLarge, err)
	}
	return b, nil
}

// MarshalBinary returns the canonical binary encoding of c.
func (c PNCounter) MarshalBinary() ([]byte, error) { return c.AppendBinary(nil) }

// UnmarshalBinary decodes a canonical encoding into c, leaving c unchanged
// on error (which wraps ErrMalformed or ErrTooLarge).
func (c *PNCounter) UnmarshalBinary(data []byte) error {
	d := decoder{what: "pncounter", b: data}
	if f, err := d.byte(); err != nil {
		return err
	} else if f != pncounterFormat {
		return fmt.Errorf("crdt: pncounter: unknown format %d: %w", f, ErrMalformed)
	}
	pb, err := d.bytes("increments")
	if err != nil {
		return err
	}
	var p, n clocks.Vector
	if err := p.UnmarshalBinary(pb); err != nil {
		return vectorError("pncounter", err)
	}
	if err := n.UnmarshalBinary(d.b); err != nil {
		return vectorError("pncounter", err)
	}
	c.p, c.n = GCounter{p}, GCounter{n}
	return nil
}

type pnJSON struct {
	P *GCounter `json:"p"`
	N *GCounter `json:"n"`
}

// MarshalJSON encodes c as {"p":{"a":3},"n":{"b":4}}.
func (c PNCounter) MarshalJSON() ([]byte, error) {
	return json.Marshal(pnJSON{&c.p, &c.n})
}

// UnmarshalJSON decodes the form MarshalJSON writes, leaving c unchanged
// on error. Both fields are required; unknown fields are rejected.
func (c *PNCounter) UnmarshalJSON(data []byte) error {
	var p, n GCounter
	if err := strictJSON(data, &pnJSON{&p, &n}, topFields, "p", "n"); err != nil {
		return fmt.Errorf("crdt: pncounter: %w", err)
	}
	c.p, c.n = p, n
	return nil
}

// isClocksErr reports whether err comes from a clocks decoder.
func isClocksErr(err error) bool {
	return errors.Is(err, clocks.ErrMalformed) || errors.Is(err, clocks.ErrTooLarge)
}
