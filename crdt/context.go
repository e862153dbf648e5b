package crdt

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/eventually-perfect/primitives/clocks"
)

// Dot identifies one update: the Counter-th update issued by Replica. Each
// replica numbers its updates 1, 2, 3, ..., so a dot is unique as long as
// replica IDs are.
type Dot struct {
	Replica string
	Counter uint64
}

// String returns "replica:counter".
func (d Dot) String() string {
	return clocks.Entry{ID: d.Replica, Count: d.Counter}.String()
}

func cmpDot(a, b Dot) int {
	if c := strings.Compare(a.Replica, b.Replica); c != 0 {
		return c
	}
	return cmp.Compare(a.Counter, b.Counter)
}

// CausalContext is the set of dots a replica has seen, stored compactly
// (Almeida et al. 2018, section 5.2): a version vector holds, for each
// replica r, the largest n such that every dot r:1 ... r:n has been seen,
// and a dot cloud holds the dots seen beyond such a gap (dots that arrived
// out of order, through deltas). The representation is kept compact: no
// dot of the cloud is covered by the vector or extends it, so equal sets
// of dots have equal representations.
//
// Beside the dots, a context keeps, for each replica whose updates it has
// received with their stamps, the stamp of the latest: the dot's counter
// and a digest of that replica's updates, which lets Merge of the types
// built on contexts detect two diverged copies of one replica (see
// ErrReplicaConflict). The stamps are not part of the String form.
//
// The zero value is the empty context.
type CausalContext struct {
	vv    clocks.Vector
	cloud []Dot // sorted; never written in place, so copies may share it
	heads heads
}

// max returns the largest counter of replica's dots in c (0 if none).
func (c CausalContext) max(replica string) uint64 {
	n := c.vv.Get(replica)
	i, _ := slices.BinarySearchFunc(c.cloud, Dot{replica, math.MaxUint64}, cmpDot)
	if i > 0 && c.cloud[i-1].Replica == replica {
		n = max(n, c.cloud[i-1].Counter)
	}
	return n
}

// stamp records a new update d of its replica: its stamp follows the
// replica's previous one known here. It returns the stamp.
func (c *CausalContext) stamp(d Dot) stamp {
	prev, _ := c.heads.get(d.Replica)
	h := stamp{d.Counter, link(prev.sum, d.Counter)}
	c.heads.set(d.Replica, h)
	return h
}

// heads holds a context's stamps sorted by replica (a slice: a context
// has few replicas, and a delta one).
type heads []head

type head struct {
	r string
	stamp
}

func (hs heads) search(r string) (int, bool) {
	lo, hi := 0, len(hs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if hs[m].r < r {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(hs) && hs[lo].r == r
}

func (hs heads) get(r string) (stamp, bool) {
	if i, ok := hs.search(r); ok {
		return hs[i].stamp, true
	}
	return stamp{}, false
}

// set updates r's stamp in place, or inserts it in a new slice.
func (hs *heads) set(r string, s stamp) {
	i, ok := hs.search(r)
	if ok {
		(*hs)[i].stamp = s
		return
	}
	*hs = slices.Insert(slices.Clip(*hs), i, head{r, s})
}

// join keeps, for each replica, the later stamp of hs and o (of equal
// counters, the larger digest, so that it is a join even on conflicting
// states, which the types' Merge methods refuse before joining).
func (hs *heads) join(o heads) {
	a := *hs
	i, j := 0, 0
	for i < len(a) && j < len(o) {
		x, y := &a[i], &o[j]
		switch {
		case x.r == y.r:
			if y.n > x.n || y.n == x.n && y.sum > x.sum {
				x.stamp = y.stamp
			}
			i++
			j++
		case x.r < y.r:
			i++
		default:
			i = len(a) + 1 // o has a replica hs lacks
		}
	}
	if j == len(o) {
		return
	}
	out := make(heads, 0, len(a)+len(o))
	i, j = 0, 0
	for i < len(a) && j < len(o) {
		x, y := a[i], o[j]
		switch {
		case x.r == y.r:
			if y.n > x.n || y.n == x.n && y.sum > x.sum {
				x.stamp = y.stamp
			}
			out = append(out, x)
			i++
			j++
		case x.r < y.r:
			out = append(out, x)
			i++
		default:
			out = append(out, y)
			j++
		}
	}
	out = append(out, a[i:]...)
	*hs = append(out, o[j:]...)
}

// identityConflict reports the signs of two diverged copies of one
// replica between c and o: a replica's stamp with the same counter and a
// different digest on the two sides, or, when c belongs to owner (the
// replica of c's latest update), a dot of owner in o beyond every dot of
// owner in c, or a stamp of owner in o for one of c's own recent updates
// (mine) with another digest.
func (c CausalContext) identityConflict(o CausalContext, owner string, mine *recent, what string) error {
	i := 0
	for _, h := range o.heads {
		for i < len(c.heads) && c.heads[i].r < h.r {
			i++
		}
		if i < len(c.heads) && c.heads[i].r == h.r && c.heads[i].n == h.n && c.heads[i].sum != h.sum {
			return conflictErr(what, h.r, "two different histories of %d updates", h.n)
		}
		if mine.mismatch(h.r, h.n, h.sum) {
			return conflictErr(what, h.r, "the other side's update %d is not the one this copy made", h.n)
		}
	}
	if owner != "" {
		if theirs, mine := o.max(owner), c.max(owner); theirs > mine {
			return conflictErr(what, owner, "the other side has update %d, this copy made %d", theirs, mine)
		}
	}
	return nil
}

// covers reports whether c has seen every dot o has.
func (c *CausalContext) covers(o *CausalContext) bool {
	if !c.vv.Descends(o.vv) {
		return false
	}
	for _, d := range o.cloud {
		if !c.Contains(d) {
			return false
		}
	}
	return true
}

// dots returns the number of dots in c, saturated at MaxUint64.
func (c CausalContext) dots() uint64 {
	n := uint64(len(c.cloud))
	for _, k := range c.vv.All() {
		if n+k < n {
			return math.MaxUint64
		}
		n += k
	}
	return n
}

// Contains reports whether d has been seen.
func (c CausalContext) Contains(d Dot) bool {
	if d.Counter <= c.vv.Get(d.Replica) {
		return true
	}
	return c.inCloud(d)
}

// inCloud reports whether d is in the cloud.
func (c CausalContext) inCloud(d Dot) bool {
	if len(c.cloud) == 0 {
		return false
	}
	_, ok := slices.BinarySearchFunc(c.cloud, d, cmpDot)
	return ok
}

// next returns a dot replica has not issued nor seen.
func (c CausalContext) next(replica string) Dot {
	return Dot{replica, c.max(replica) + 1}
}

// add inserts d and compacts.
func (c *CausalContext) add(d Dot) {
	if c.Contains(d) {
		return
	}
	if d.Counter == c.vv.Get(d.Replica)+1 {
		c.vv.Set(d.Replica, d.Counter)
		c.absorb(d.Replica)
		return
	}
	i, _ := slices.BinarySearchFunc(c.cloud, d, cmpDot)
	c.cloud = slices.Insert(slices.Clip(c.cloud), i, d) // a new slice
}

// absorb moves replica's dots that now extend the vector out of the cloud.
func (c *CausalContext) absorb(replica string) {
	n := c.vv.Get(replica)
	i, _ := slices.BinarySearchFunc(c.cloud, Dot{replica, n + 1}, cmpDot)
	j := i
	for j < len(c.cloud) && c.cloud[j] == (Dot{replica, n + 1}) {
		n++
		j++
	}
	if j > i {
		c.cloud = slices.Concat(c.cloud[:i], c.cloud[j:]) // a new slice
		if len(c.cloud) == 0 {
			c.cloud = nil
		}
	}
	c.vv.Set(replica, n)
}

// Merge adds every dot of o to c, and o's stamps: for each replica, the
// later of the two (of equal counters, the larger digest, so that Merge
// stays a join even on the conflicting states that the types' Merge
// methods refuse).
func (c *CausalContext) Merge(o CausalContext) {
	c.heads.join(o.heads)
	c.vv.Merge(o.vv)
	if len(c.cloud) == 0 && len(o.cloud) == 0 {
		return
	}
	// The union of the clouds, sorted, in a new slice.
	out := make([]Dot, 0, len(c.cloud)+len(o.cloud))
	a, b := c.cloud, o.cloud
	for len(a) > 0 && len(b) > 0 {
		switch x := cmpDot(a[0], b[0]); {
		case x < 0:
			out, a = append(out, a[0]), a[1:]
		case x > 0:
			out, b = append(out, b[0]), b[1:]
		default:
			out, a, b = append(out, a[0]), a[1:], b[1:]
		}
	}
	out = append(append(out, a...), b...)
	// Compact it, replica by replica: drop the dots the vector covers,
	// and move those that extend it into it.
	kept := out[:0]
	for i := 0; i < len(out); {
		r := out[i].Replica
		n := c.vv.Get(r)
		from := n
		start := len(kept)
		for ; i < len(out) && out[i].Replica == r; i++ {
			switch d := out[i]; {
			case d.Counter <= n:
			case d.Counter == n+1 && len(kept) == start:
				n++
			default:
				kept = append(kept, d)
			}
		}
		if n != from {
			c.vv.Set(r, n)
		}
	}
	c.cloud = nil
	if len(kept) > 0 {
		c.cloud = kept
	}
}

// Clone returns an independent copy of c.
func (c CausalContext) Clone() CausalContext {
	return CausalContext{c.vv.Clone(), slices.Clone(c.cloud), slices.Clone(c.heads)}
}

// Equal reports whether c and o hold the same dots and stamps.
func (c CausalContext) Equal(o CausalContext) bool {
	return c.vv.Equal(o.vv) && slices.Equal(c.cloud, o.cloud) &&
		slices.Equal(c.heads, o.heads)
}

// Vector returns the version vector part (a copy).
func (c CausalContext) Vector() clocks.Vector { return c.vv.Clone() }

// Cloud returns the dots beyond the vector, sorted.
func (c CausalContext) Cloud() []Dot {
	return slices.Clone(c.cloud)
}

// Size returns the number of vector entries and of cloud dots: the
// context's metadata.
func (c CausalContext) Size() (entries, cloud int) { return c.vv.Len(), len(c.cloud) }

// String returns the vector, then the cloud if not empty:
// "{a:3, b:1} + [a:5, c:2]".
func (c CausalContext) String() string {
	s := c.vv.String()
	if len(c.cloud) > 0 {
		s += " + " + dotsString(c.Cloud())
	}
	return s
}

func dotsString(ds []Dot) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range ds {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(d.String())
	}
	b.WriteByte(']')
	return b.String()
}

// appendBinary appends the binary form: the vector's encoding, length
// prefixed, the number of cloud dots and each dot in order, then the
// number of stamps and each in replica order: the replica (length
// prefixed), the counter and the 8-byte digest.
func (c CausalContext) appendBinary(b []byte) ([]byte, error) {
	vb, err := c.vv.MarshalBinary()
	if err != nil {
		return nil, err
	}
	b = appendUvarint(b, uint64(len(vb)))
	b = append(b, vb...)
	b = appendUvarint(b, uint64(len(c.cloud)))
	for _, d := range c.Cloud() {
		b = appendDot(b, d)
	}
	return appendHeads(b, c.heads), nil
}

func appendHeads(b []byte, hs heads) []byte {
	b = appendUvarint(b, uint64(len(hs)))
	for _, h := range hs {
		b = appendDot(b, Dot{h.r, h.n})
		b = appendSum(b, h.sum)
	}
	return b
}

func appendDot(b []byte, d Dot) []byte {
	b = appendUvarint(b, uint64(len(d.Replica)))
	b = append(b, d.Replica...)
	return appendUvarint(b, d.Counter)
}

func (d *decoder) dot() (Dot, error) {
	r, n, err := d.dotParts()
	if err != nil {
		return Dot{}, err
	}
	return Dot{string(r), n}, nil
}

// dotParts reads a dot without allocating its replica ID.
func (d *decoder) dotParts() ([]byte, uint64, error) {
	r, err := d.bytes("replica")
	if err != nil {
		return nil, 0, err
	}
	if len(r) > clocks.MaxIDLen {
		return nil, 0, d.errf("replica ID of %d bytes", len(r))
	}
	n, err := d.uvarint("counter")
	if err != nil {
		return nil, 0, err
	}
	if n == 0 || n > MaxCount {
		return nil, 0, d.errf("dot counter %d out of range", n)
	}
	return r, n, nil
}

// context decodes a causal context, checking that it is compact.
func (d *decoder) context() (CausalContext, error) {
	vb, err := d.bytes("vector")
	if err != nil {
		return CausalContext{}, err
	}
	var c CausalContext
	if err := c.vv.UnmarshalBinary(vb); err != nil {
		return CausalContext{}, vectorError(d.what, err)
	}
	n, err := d.count("cloud dots", 2)
	if err != nil {
		return CausalContext{}, err
	}
	var prev Dot
	for i := range n {
		rb, cn, err := d.dotParts()
		if err != nil {
			return CausalContext{}, err
		}
		// Dots come sorted by replica: reuse the previous one's ID.
		x := Dot{prev.Replica, cn}
		if i == 0 || prev.Replica != string(rb) {
			x.Replica = string(rb)
		}
		if i > 0 && cmpDot(prev, x) >= 0 {
			return CausalContext{}, d.errf("cloud dots not sorted")
		}
		if x.Counter <= c.vv.Get(x.Replica)+1 {
			return CausalContext{}, d.errf("cloud dot %v not compact", x)
		}
		if c.cloud == nil {
			// A cloud dot takes 3 bytes or more (a replica ID's length,
			// the ID, a counter of at least 2): the slice is sized for
			// no more than the rest of the input can hold.
			c.cloud = make([]Dot, 0, min(n, 1+len(d.b)/3))
		}
		c.cloud = append(c.cloud, x)
		prev = x
	}
	nh, err := d.count("stamps", 10)
	if err != nil {
		return CausalContext{}, err
	}
	for i := range nh {
		x, err := d.dot()
		if err != nil {
			return CausalContext{}, err
		}
		if i > 0 && prev.Replica >= x.Replica {
			return CausalContext{}, d.errf("stamps not sorted")
		}
		if !c.Contains(x) {
			return CausalContext{}, d.errf("stamp %v outside the context", x)
		}
		s, err := d.sum()
		if err != nil {
			return CausalContext{}, err
		}
		if c.heads == nil {
			c.heads = make(heads, 0, nh)
		}
		c.heads = append(c.heads, head{x.Replica, stamp{x.Counter, s}})
		prev = x
	}
	return c, nil
}
