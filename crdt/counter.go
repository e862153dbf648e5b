package crdt

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/eventually-perfect/primitives/clocks"
)

// MaxCount is the largest count one replica may contribute to a counter
// (the same bound clocks.MaxVectorCount puts on a vector entry): updates
// beyond it fail with ErrOverflow, and decoders reject larger counts.
const MaxCount = clocks.MaxVectorCount

// Format bytes opening each binary encoding. Format 2 added the replica
// digests (see identity.go).
const (
	gcounterFormat  = 2
	pncounterFormat = 2
)

// GCounter is a grow-only counter (Shapiro et al. 2011, specification 6):
// each replica counts its own increments, and the value is the sum over
// replicas. Merge takes the per-replica maximum, which is commutative,
// associative and idempotent, so increments are never lost nor counted
// twice however states are exchanged.
//
// The state holds, per replica that ever incremented, its count and a
// 64-bit digest of its increments, which lets Merge detect two diverged
// copies of one replica (ErrReplicaConflict) instead of keeping the larger
// count and silently losing the other copy's increments. The zero value is
// a counter at 0, ready to use. Assigning a GCounter shares its entries:
// Clone it before keeping or sending a copy.
type GCounter struct {
	e     []centry // sorted by id, strictly; every count positive
	owner string   // the replica of this copy's latest increment
	mine  *recent  // the stamps of this copy's latest increments
}

// centry is one replica's count and the stamp's digest.
type centry struct {
	id  string
	n   uint64
	sum uint64
}

func (c GCounter) search(id string) (int, bool) {
	lo, hi := 0, len(c.e)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if c.e[m].id < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(c.e) && c.e[lo].id == id
}

// Inc adds n to the count of replica and returns the delta: a counter
// holding only replica's new count, which, merged anywhere, has the effect
// of the increment (Almeida et al. 2018, section 3.1). It fails with
// ErrOverflow, leaving c unchanged, if replica's count would pass MaxCount.
// The counter becomes replica's copy: see Merge.
func (c *GCounter) Inc(replica string, n uint64) (GCounter, error) {
	i, ok := c.search(replica)
	var cur centry
	if ok {
		cur = c.e[i]
	}
	if n > MaxCount-cur.n {
		return GCounter{}, fmt.Errorf("crdt: gcounter: increment %d of %q at %d: %w", n, replica, cur.n, ErrOverflow)
	}
	if n == 0 {
		return GCounter{}, nil
	}
	x := centry{replica, cur.n + n, link(cur.sum, cur.n+n)}
	if ok {
		c.e[i] = x
	} else {
		c.e = slices.Insert(slices.Clip(c.e), i, x)
	}
	c.owner = replica
	record(&c.mine, replica, stamp{x.n, x.sum})
	return GCounter{e: []centry{x}}, nil
}

// Value returns the sum of all replicas' counts, or math.MaxUint64 if the
// sum does not fit (which needs at least three replicas near MaxCount).
func (c GCounter) Value() uint64 {
	var s uint64
	for _, x := range c.e {
		if s > math.MaxUint64-x.n {
			return math.MaxUint64
		}
		s += x.n
	}
	return s
}

// Count returns replica's own contribution.
func (c GCounter) Count(replica string) uint64 {
	if i, ok := c.search(replica); ok {
		return c.e[i].n
	}
	return 0
}

// Merge joins o into c: each replica's count becomes the larger of the
// two. It costs O(n+m) for counters of n and m replicas.
//
// It fails with ErrReplicaConflict, leaving c unchanged, if o and c are
// diverged copies of one replica: both hold the same count for a replica
// with different digests (each copy counted its own increments from the
// same point), or o holds a larger count than c for the replica c last
// incremented as (c's owner), which only another copy of that replica
// can have produced, or a smaller count of the owner that c reached
// itself, among its last 16 increments, with another digest.
func (c *GCounter) Merge(o GCounter) error {
	aligned, err := c.check(o, c.owner, c.mine, "gcounter")
	if err != nil {
		return err
	}
	c.join(o, aligned)
	return nil
}

// check finds the conflicts Merge reports, in one merge-walk, for a
// counter whose owner is owner.
func (c *GCounter) check(o GCounter, owner string, mine *recent, what string) (aligned bool, err error) {
	a, b := c.e, o.e
	i, j := 0, 0
	matched := 0
	for j < len(b) {
		y := &b[j]
		if i < len(a) && a[i].id == y.id { // the common case: equality first
			x := &a[i]
			if x.n == y.n && x.sum != y.sum {
				return false, conflictErr(what, y.id, "two different histories of %d", y.n)
			}
			if y.n > x.n && x.id == owner {
				return false, conflictErr(what, y.id, "the other side has %d of this copy's %d", y.n, x.n)
			}
			if y.n < x.n && mine.mismatch(y.id, y.n, y.sum) {
				return false, conflictErr(what, y.id, "the other side's %d is not the one this copy made", y.n)
			}
			i++
			j++
			matched++
			continue
		}
		if i < len(a) && a[i].id < y.id {
			i++
			continue
		}
		if y.id == owner && owner != "" {
			return false, conflictErr(what, y.id, "the other side has updates of this copy's replica")
		}
		j++
	}
	return matched == len(a) && matched == len(b), nil
}

// join merges o's entries into c's after check: by position if they hold
// the same replicas (the common case between replicas of one system, with
// no string comparison), by a merge-walk otherwise.
func (c *GCounter) join(o GCounter, aligned bool) {
	if !aligned {
		c.e = mergeCounts(c.e, o.e)
		return
	}
	for i := range c.e {
		if y := &o.e[i]; y.n > c.e[i].n {
			c.e[i] = *y
		}
	}
}

// mergeCounts returns the per-replica maximum of a and b, updating a in
// place (and allocating nothing) when b has no replica a lacks.
func mergeCounts(a, b []centry) []centry {
	i, j := 0, 0
	for j < len(b) && i < len(a) {
		x, y := &a[i], &b[j]
		switch {
		case x.id == y.id:
			if y.n > x.n {
				*x = *y
			}
			i++
			j++
		case x.id < y.id:
			i++
		default:
			i = len(a) + 1 // b has an ID a lacks
		}
	}
	if j == len(b) {
		return a
	}
	out := make([]centry, 0, len(a)+len(b)-j)
	i, j = 0, 0
	for i < len(a) && j < len(b) {
		x, y := a[i], b[j]
		switch {
		case x.id == y.id:
			if y.n > x.n {
				x = y
			}
			out = append(out, x)
			i++
			j++
		case x.id < y.id:
			out = append(out, x)
			i++
		default:
			out = append(out, y)
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// Clone returns an independent copy of c. The copy has no owner until
// its first increment (see Merge).
func (c GCounter) Clone() GCounter { return GCounter{e: slices.Clone(c.e)} }

// Equal reports whether c and o hold the same per-replica counts and
// digests.
func (c GCounter) Equal(o GCounter) bool { return slices.Equal(c.e, o.e) }

// Size returns the number of replicas with a count: the counter's
// metadata, one entry each (the replica ID, the count and an 8-byte
// digest).
func (c GCounter) Size() int { return len(c.e) }

// Counts returns the per-replica counts as a version vector (a copy).
func (c GCounter) Counts() clocks.Vector {
	es := make([]clocks.Entry, len(c.e))
	for i, x := range c.e {
		es[i] = clocks.Entry{ID: x.id, Count: x.n}
	}
	return clocks.VectorOf(es...)
}

// String returns "7 {a:3, b:4}": the value, then the per-replica counts in
// replica ID order (deterministic; the digests are left out).
func (c GCounter) String() string {
	return strconv.FormatUint(c.Value(), 10) + " " + c.Counts().String()
}

// AppendBinary appends the canonical binary encoding of c: a format byte,
// the number of replicas, then for each in ID order its ID (length
// prefixed), its count (uvarint) and its digest (8 bytes).
func (c GCounter) AppendBinary(b []byte) ([]byte, error) {
	b, err := appendCounts(append(b, gcounterFormat), c.e)
	if err != nil {
		return nil, fmt.Errorf("crdt: gcounter: %w", err)
	}
	return b, nil
}

func appendCounts(b []byte, e []centry) ([]byte, error) {
	if len(e) > MaxEntries {
		return nil, fmt.Errorf("%d replicas: %w", len(e), ErrTooLarge)
	}
	b = appendUvarint(b, uint64(len(e)))
	for _, x := range e {
		if len(x.id) > clocks.MaxIDLen || x.n > MaxCount {
			return nil, fmt.Errorf("replica %q: %w", x.id, ErrTooLarge)
		}
		b = appendUvarint(b, uint64(len(x.id)))
		b = append(b, x.id...)
		b = appendUvarint(b, x.n)
		b = appendSum(b, x.sum)
	}
	return b, nil
}

// counts decodes what appendCounts writes.
func (d *decoder) counts() ([]centry, error) {
	k, err := d.count("replicas", 10)
	if err != nil {
		return nil, err
	}
	var e []centry
	if k > 0 {
		e = make([]centry, 0, k)
	}
	for i := range k {
		id, err := d.bytes("replica")
		if err != nil {
			return nil, err
		}
		if len(id) > clocks.MaxIDLen {
			return nil, fmt.Errorf("crdt: %s: replica ID of %d bytes: %w", d.what, len(id), ErrTooLarge)
		}
		if i > 0 && e[i-1].id >= string(id) {
			return nil, d.errf("replicas not sorted")
		}
		n, err := d.uvarint("count")
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, d.errf("zero count")
		}
		if n > MaxCount {
			return nil, fmt.Errorf("crdt: %s: count %d: %w", d.what, n, ErrTooLarge)
		}
		s, err := d.sum()
		if err != nil {
			return nil, err
		}
		e = append(e, centry{string(id), n, s})
	}
	return e, nil
}

// MarshalBinary returns the canonical binary encoding of c.
func (c GCounter) MarshalBinary() ([]byte, error) { return c.AppendBinary(nil) }

// UnmarshalBinary decodes a canonical encoding into c. Malformed,
// non-canonical or oversized input fails with an error wrapping
// ErrMalformed or ErrTooLarge, and leaves c unchanged. The decoded counter
// has no owner until its first increment.
func (c *GCounter) UnmarshalBinary(data []byte) error {
	d := decoder{what: "gcounter", b: data}
	if f, err := d.byte(); err != nil {
		return err
	} else if f != gcounterFormat {
		return d.errf("unknown format %d", f)
	}
	e, err := d.counts()
	if err != nil {
		return err
	}
	if len(d.b) != 0 {
		return d.errf("%d trailing bytes", len(d.b))
	}
	*c = GCounter{e: e}
	return nil
}

// vectorError wraps an error of the clocks decoders with this package's
// sentinel.
func vectorError(what string, err error) error {
	if errors.Is(err, clocks.ErrTooLarge) {
		return fmt.Errorf("crdt: %s: %w: %w", what, ErrTooLarge, err)
	}
	return fmt.Errorf("crdt: %s: %w: %w", what, ErrMalformed, err)
}

// MarshalJSON encodes c as an object from replica ID to its count and
// digest, {"a":{"n":3,"digest":"9f86d081884c7d65"}}, in replica ID order.
func (c GCounter) MarshalJSON() ([]byte, error) {
	b, err := appendCountsJSON(nil, c.e)
	if err != nil {
		return nil, fmt.Errorf("crdt: gcounter: %w", err)
	}
	return b, nil
}

func appendCountsJSON(b []byte, e []centry) ([]byte, error) {
	b = append(b, '{')
	for i, x := range e {
		if i > 0 {
			b = append(b, ',')
		}
		id, err := json.Marshal(x.id)
		if err != nil {
			return nil, err
		}
		b = append(b, id...)
		b = append(b, `:{"n":`...)
		b = strconv.AppendUint(b, x.n, 10)
		b = append(b, `,"digest":"`...)
		b = append(b, sumString(x.sum)...)
		b = append(b, `"}`...)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON decodes the form MarshalJSON writes, leaving c unchanged
// on error. Duplicate IDs, zero counts, counts past MaxCount and missing
// or malformed digests are rejected.
func (c *GCounter) UnmarshalJSON(data []byte) error {
	j, err := newJSONIn("gcounter", data)
	if err != nil {
		return err
	}
	e, err := j.counts()
	if err != nil {
		return err
	}
	if err := j.end(); err != nil {
		return err
	}
	*c = GCounter{e: e}
	return nil
}

var countFields = []string{"n", "digest"}

// counts reads a counter's JSON object, refusing it as soon as it meets
// the replica after the MaxEntries-th. It allocates one slice of 32-byte
// entries, sized by a first pass, and each replica ID.
func (j *jsonIn) counts() ([]centry, error) {
	save, n := j.i, 0
	err := j.object(func([]byte) error {
		if n++; n > entryLimit {
			return j.tooLarge("more than %d replicas", entryLimit)
		}
		_, err := j.value()
		return err
	})
	if err != nil {
		return nil, err
	}
	j.i = save
	var e []centry
	if n > 0 {
		e = make([]centry, 0, n)
	}
	err = j.object(func(id []byte) error {
		if len(id) > clocks.MaxIDLen {
			return j.tooLarge("replica ID of %d bytes", len(id))
		}
		var x centry
		err := j.fields(countFields, 0, func(f int) error {
			var err error
			if f == 0 {
				if x.n, err = j.uint("count", MaxCount); err == nil && x.n == 0 {
					err = j.errf("replica %q: zero count", id)
				}
				return err
			}
			var s []byte
			if s, err = j.str(); err == nil {
				x.sum, err = parseSumBytes(s)
			}
			return err
		})
		x.id = string(id)
		e = append(e, x)
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(e, func(a, b centry) int { return strings.Compare(a.id, b.id) })
	for i := 1; i < len(e); i++ {
		if e[i].id == e[i-1].id {
			return nil, j.errf("replica %q twice", e[i].id)
		}
	}
	return e, nil
}

// PNCounter is a counter that goes up and down (Shapiro et al. 2011,
// specification 7): two GCounters, one for increments and one for
// decrements; the value is their difference. The zero value is a counter
// at 0, ready to use.
type PNCounter struct {
	p, n  GCounter
	owner string // the replica of this copy's latest update, up or down
}

// Inc adds n to the counter at replica and returns the delta.
func (c *PNCounter) Inc(replica string, n uint64) (PNCounter, error) {
	d, err := c.p.Inc(replica, n)
	if err != nil {
		return PNCounter{}, fmt.Errorf("crdt: pncounter: %w", errors.Unwrap(err))
	}
	if n > 0 {
		c.owner = replica
	}
	return PNCounter{p: d}, nil
}

// Dec subtracts n from the counter at replica and returns the delta.
func (c *PNCounter) Dec(replica string, n uint64) (PNCounter, error) {
	d, err := c.n.Inc(replica, n)
	if err != nil {
		return PNCounter{}, fmt.Errorf("crdt: pncounter: %w", errors.Unwrap(err))
	}
	if n > 0 {
		c.owner = replica
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

// Merge joins o into c. It fails with ErrReplicaConflict, leaving c
// unchanged, on the conflicts GCounter.Merge reports, in the increments or
// in the decrements; c's owner is the replica of its latest increment or
// decrement, and o may hold neither more increments nor more decrements
// of it than c.
func (c *PNCounter) Merge(o PNCounter) error {
	ap, err := c.p.check(o.p, c.owner, c.p.mine, "pncounter")
	if err != nil {
		return err
	}
	an, err := c.n.check(o.n, c.owner, c.n.mine, "pncounter")
	if err != nil {
		return err
	}
	c.p.join(o.p, ap)
	c.n.join(o.n, an)
	return nil
}

// Clone returns an independent copy of c, without an owner (see
// GCounter.Clone).
func (c PNCounter) Clone() PNCounter { return PNCounter{p: c.p.Clone(), n: c.n.Clone()} }

// Equal reports whether c and o hold the same per-replica counts and
// digests.
func (c PNCounter) Equal(o PNCounter) bool { return c.p.Equal(o.p) && c.n.Equal(o.n) }

// Size returns the number of per-replica entries (increments plus
// decrements).
func (c PNCounter) Size() int { return c.p.Size() + c.n.Size() }

// String returns "-1 +{a:3} -{b:4}": the value, then the increments and
// decrements per replica.
func (c PNCounter) String() string {
	return strconv.FormatInt(c.Value(), 10) + " +" + c.p.Counts().String() + " -" + c.n.Counts().String()
}

// AppendBinary appends the canonical binary encoding of c: a format byte,
// the length of the increments' encoding as a uvarint, that encoding, then
// the decrements' encoding, each laid out as in GCounter without its
// format byte.
func (c PNCounter) AppendBinary(b []byte) ([]byte, error) {
	p, err := appendCounts(nil, c.p.e)
	if err != nil {
		return nil, fmt.Errorf("crdt: pncounter: %w", err)
	}
	b = append(b, pncounterFormat)
	b = appendUvarint(b, uint64(len(p)))
	b = append(b, p...)
	b, err = appendCounts(b, c.n.e)
	if err != nil {
		return nil, fmt.Errorf("crdt: pncounter: %w", err)
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
		return d.errf("unknown format %d", f)
	}
	pb, err := d.bytes("increments")
	if err != nil {
		return err
	}
	pd := decoder{what: "pncounter", b: pb}
	p, err := pd.counts()
	if err != nil {
		return err
	}
	if len(pd.b) != 0 {
		return d.errf("%d trailing bytes in the increments", len(pd.b))
	}
	n, err := d.counts()
	if err != nil {
		return err
	}
	if len(d.b) != 0 {
		return d.errf("%d trailing bytes", len(d.b))
	}
	*c = PNCounter{p: GCounter{e: p}, n: GCounter{e: n}}
	return nil
}

// MarshalJSON encodes c as {"p":{"a":{"n":3,"digest":"..."}},"n":{...}}:
// the increments and the decrements as GCounter writes them.
func (c PNCounter) MarshalJSON() ([]byte, error) {
	b, err := appendCountsJSON([]byte(`{"p":`), c.p.e)
	if err == nil {
		b, err = appendCountsJSON(append(b, `,"n":`...), c.n.e)
	}
	if err != nil {
		return nil, fmt.Errorf("crdt: pncounter: %w", err)
	}
	return append(b, '}'), nil
}

var pnFields = []string{"p", "n"}

// UnmarshalJSON decodes the form MarshalJSON writes, leaving c unchanged
// on error. Both fields are required; unknown and duplicate fields are
// rejected.
func (c *PNCounter) UnmarshalJSON(data []byte) error {
	j, err := newJSONIn("pncounter", data)
	if err != nil {
		return err
	}
	var p, n []centry
	err = j.fields(pnFields, 0, func(f int) error {
		var err error
		if f == 0 {
			p, err = j.counts()
		} else {
			n, err = j.counts()
		}
		return err
	})
	if err != nil {
		return err
	}
	if err := j.end(); err != nil {
		return err
	}
	*c = PNCounter{p: GCounter{e: p}, n: GCounter{e: n}}
	return nil
}
