package crdt

import (
	"cmp"
	"maps"
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
// The zero value is the empty context.
type CausalContext struct {
	vv    clocks.Vector
	cloud map[Dot]struct{}
}

// Contains reports whether d has been seen.
func (c CausalContext) Contains(d Dot) bool {
	if d.Counter <= c.vv.Get(d.Replica) {
		return true
	}
	_, ok := c.cloud[d]
	return ok
}

// next returns a dot replica has not issued nor seen.
func (c CausalContext) next(replica string) Dot {
	n := c.vv.Get(replica)
	for d := range c.cloud {
		if d.Replica == replica && d.Counter > n {
			n = d.Counter
		}
	}
	return Dot{replica, n + 1}
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
	if c.cloud == nil {
		c.cloud = map[Dot]struct{}{}
	}
	c.cloud[d] = struct{}{}
}

// absorb moves replica's dots that now extend the vector out of the cloud.
func (c *CausalContext) absorb(replica string) {
	n := c.vv.Get(replica)
	for {
		d := Dot{replica, n + 1}
		if _, ok := c.cloud[d]; !ok {
			break
		}
		delete(c.cloud, d)
		n++
	}
	c.vv.Set(replica, n)
}

// Merge adds every dot of o to c.
func (c *CausalContext) Merge(o CausalContext) {
	c.vv.Merge(o.vv)
	for d := range o.cloud {
		if c.cloud == nil {
			c.cloud = map[Dot]struct{}{}
		}
		c.cloud[d] = struct{}{}
	}
	if len(c.cloud) == 0 {
		return
	}
	touched := map[string]bool{}
	for d := range c.cloud {
		if d.Counter <= c.vv.Get(d.Replica) {
			delete(c.cloud, d)
		}
		touched[d.Replica] = true
	}
	for r := range touched {
		c.absorb(r)
	}
	if len(c.cloud) == 0 {
		c.cloud = nil
	}
}

// Clone returns an independent copy of c.
func (c CausalContext) Clone() CausalContext {
	return CausalContext{c.vv.Clone(), maps.Clone(c.cloud)}
}

// Equal reports whether c and o hold the same dots.
func (c CausalContext) Equal(o CausalContext) bool {
	return c.vv.Equal(o.vv) && len(c.cloud) == len(o.cloud) && maps.Equal(c.cloud, o.cloud)
}

// Vector returns the version vector part (a copy).
func (c CausalContext) Vector() clocks.Vector { return c.vv.Clone() }

// Cloud returns the dots beyond the vector, sorted.
func (c CausalContext) Cloud() []Dot {
	return slices.SortedFunc(maps.Keys(c.cloud), cmpDot)
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

// appendContext appends the binary form: the vector's encoding, length
// prefixed, then the number of cloud dots and each dot in order.
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
	return b, nil
}

func appendDot(b []byte, d Dot) []byte {
	b = appendUvarint(b, uint64(len(d.Replica)))
	b = append(b, d.Replica...)
	return appendUvarint(b, d.Counter)
}

func (d *decoder) dot() (Dot, error) {
	r, err := d.bytes("replica")
	if err != nil {
		return Dot{}, err
	}
	if len(r) > clocks.MaxIDLen {
		return Dot{}, d.errf("replica ID of %d bytes", len(r))
	}
	n, err := d.uvarint("counter")
	if err != nil {
		return Dot{}, err
	}
	if n == 0 || n > MaxCount {
		return Dot{}, d.errf("dot counter %d out of range", n)
	}
	return Dot{string(r), n}, nil
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
		x, err := d.dot()
		if err != nil {
			return CausalContext{}, err
		}
		if i > 0 && cmpDot(prev, x) >= 0 {
			return CausalContext{}, d.errf("cloud dots not sorted")
		}
		if x.Counter <= c.vv.Get(x.Replica)+1 {
			return CausalContext{}, d.errf("cloud dot %v not compact", x)
		}
		if c.cloud == nil {
			c.cloud = make(map[Dot]struct{}, n)
		}
		c.cloud[x] = struct{}{}
		prev = x
	}
	return c, nil
}
