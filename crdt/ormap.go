package crdt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

const ormapFormat = 2 // format 2 added the replica stamps

// Causal is the constraint on ORMap values: the types of this package
// whose state is a store of dots with a causal context (ORSet, RWSet,
// MVRegister, EWFlag, DWFlag and ORMap itself). Inside a map they share
// the map's causal context, which is what lets a remove reset exactly what
// it observed (Almeida et al. 2018, section 7.4). Its methods are
// unexported: other types cannot be map values (counters are not
// causal; wrap one in a register if needed).
type Causal[V any] interface {
	causalContext() CausalContext
	withContext(CausalContext) V
	owned() (string, *recent)
	withOwner(string, *recent) V
	withGuard(*guard) V
	dotsWithin(c *CausalContext) (dots int, outside bool)
	joinStore(o V, mine, theirs CausalContext) V
	eachDot(func(Dot))
	storeLen() int
	decodeValue([]byte) (V, error)
	appendFromJSON(j *jsonIn, dst []byte) ([]byte, error)
	Clone() V
	MarshalBinary() ([]byte, error)
}

// ORMap is an observed-remove map whose values are causal CRDTs, nested
// to any depth (Almeida et al. 2018, section 7.4; Riak's map, Akka's
// ORMap). All values share the map's causal context. Updating a key
// applies a value's own mutator; removing a key resets what the remover
// observed of its value: a concurrent update to the value survives the
// remove (the key reappears with only that update), which is the
// observed-reset semantics.
//
// The zero value is an empty map, ready to use.
type ORMap[K comparable, V Causal[V]] struct {
	vals  map[K]V
	ctx   CausalContext
	owner string  // the replica of this copy's latest update; see identity.go
	mine  *recent // the stamps of this copy's latest updates
	guard *guard  // set while m is the value of an enclosing Update
}

// Update applies f, a mutator of the value at key (a zero value if the
// key is absent), at replica, and returns the map's delta. The replica is
// given once, to Update, which passes it to f: f must call one mutator of
// the value with it and return that mutator's delta, as in
//
//	d, err := m.Update("a", "cart", func(s *crdt.ORSet[string], replica string) crdt.ORSet[string] {
//		return s.Add(replica, "milk")
//	})
//
// For the time of the call the value is bound to replica: a mutator of it
// called with another replica ID (at any depth of nested maps) changes
// nothing, and Update then returns an error wrapping ErrWrongReplica and
// an empty delta, leaving m unchanged. Like the value's mutator, Update
// issues a dot of replica, or none for a remove. Besides the value's
// mutator, it allocates the delta's map and a small guard.
func (m *ORMap[K, V]) Update(replica string, key K, f func(v *V, replica string) V) (ORMap[K, V], error) {
	g := m.guard // set when m is itself the value of an enclosing Update
	if !g.allows(replica) {
		return ORMap[K, V]{}, wrongReplica(g)
	}
	if g == nil {
		g = &guard{replica: replica}
	}
	var v V
	if x, ok := m.vals[key]; ok {
		v = x
	}
	// The value works with the map's context and identity (owner and
	// recent stamps) for the time of the update, as if it were the map.
	v = v.withContext(m.ctx).withOwner(m.owner, m.mine).withGuard(g)
	d := f(&v, replica)
	if g.misused {
		// The refused mutator changed nothing: neither v nor m.ctx.
		return ORMap[K, V]{}, wrongReplica(g)
	}
	m.ctx = v.causalContext()
	m.owner, m.mine = v.owned()
	v = v.withContext(CausalContext{}).withOwner("", nil).withGuard(nil)
	if v.storeLen() == 0 {
		delete(m.vals, key)
	} else {
		if m.vals == nil {
			m.vals = map[K]V{}
		}
		m.vals[key] = v
	}
	delta := ORMap[K, V]{ctx: d.causalContext()}
	if d.storeLen() > 0 {
		delta.vals = map[K]V{key: d.withContext(CausalContext{}).withGuard(nil)}
	}
	return delta, nil
}

func wrongReplica(g *guard) error {
	return fmt.Errorf("crdt: ormap: update at replica %q called a mutator at replica %q: %w", g.replica, g.wrong, ErrWrongReplica)
}

// Remove removes key at replica, resetting the value this state observed,
// and returns the delta. It issues no dot: replica is taken so that every
// mutator of the causal types has one shape (see the package
// documentation, "Replica arguments"). Inside an enclosing Update (m a
// nested map), a replica other than the enclosing one changes nothing
// and makes that Update fail with ErrWrongReplica.
func (m *ORMap[K, V]) Remove(replica string, key K) ORMap[K, V] {
	var delta ORMap[K, V]
	if !m.guard.allows(replica) {
		return delta
	}
	if v, ok := m.vals[key]; ok {
		v.eachDot(delta.ctx.add)
		delete(m.vals, key)
	}
	return delta
}

// Get returns the value at key and whether the key is present. The value
// is a copy, without the map's causal context: read it, do not update it
// (use Update).
func (m ORMap[K, V]) Get(key K) (V, bool) {
	v, ok := m.vals[key]
	if ok {
		v = v.Clone()
	}
	return v, ok
}

// Len returns the number of keys.
func (m ORMap[K, V]) Len() int { return len(m.vals) }

// Keys returns the keys, sorted by their JSON encodings.
func (m ORMap[K, V]) Keys() []K { return orderedKeys(m.vals) }

func (m ORMap[K, V]) sorted() ([]encodedKey[K], error) {
	return sortedKeys(m.vals, jsonKeys[K]())
}

// Merge joins o into m, key by key with the values' own joins under the
// two maps' contexts. It costs time linear in the two maps' sizes. It
// fails with ErrReplicaConflict, leaving m unchanged, if the two sides are
// diverged copies of one replica: one dot supports values of different
// keys on the two sides, or the stamps of the map's context show it (as
// in ORSet.Merge).
func (m *ORMap[K, V]) Merge(o ORMap[K, V]) error {
	if err := m.ctx.identityConflict(o.ctx, m.owner, m.mine, "ormap"); err != nil {
		return err
	}
	if err := m.conflict(o); err != nil {
		return err
	}
	owner, mine := m.owner, m.mine
	*m = m.joinStore(o, m.ctx, o.ctx)
	m.ctx.Merge(o.ctx)
	m.owner, m.mine = owner, mine
	return nil
}

// Clone returns an independent copy of m, without an owner until its
// first update (see ORSet.Merge).
func (m ORMap[K, V]) Clone() ORMap[K, V] {
	c := ORMap[K, V]{ctx: m.ctx.Clone()}
	if len(m.vals) > 0 {
		c.vals = make(map[K]V, len(m.vals))
		for k, v := range m.vals {
			c.vals[k] = v.Clone()
		}
	}
	return c
}

// Equal reports whether m and o have the same keys, values and context,
// comparing values by their canonical encodings.
func (m ORMap[K, V]) Equal(o ORMap[K, V]) bool {
	a, err1 := m.MarshalBinary()
	b, err2 := o.MarshalBinary()
	return err1 == nil && err2 == nil && bytes.Equal(a, b)
}

// Size reports the metadata: keys, dots of all values, and the shared
// context.
func (m ORMap[K, V]) Size() Size {
	n := 0
	m.eachDot(func(Dot) { n++ })
	e, c := m.ctx.Size()
	return Size{Elements: len(m.vals), Dots: n, Vector: e, Cloud: c, Stamps: len(m.ctx.heads)}
}

// String returns "{key: value, ...} context", keys as JSON in order,
// values by their own String (whose context part is empty inside a map).
func (m ORMap[K, V]) String() string {
	es, err := m.sorted()
	if err != nil {
		return "!" + err.Error()
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, e := range es {
		if i > 0 {
			b.WriteString(", ")
		}
		b.Write(e.enc)
		b.WriteString(": ")
		fmt.Fprint(&b, m.vals[e.key])
	}
	b.WriteString("} ")
	b.WriteString(m.ctx.String())
	return b.String()
}

func (m ORMap[K, V]) causalContext() CausalContext { return m.ctx }

func (m ORMap[K, V]) owned() (string, *recent) { return m.owner, m.mine }

func (m ORMap[K, V]) withOwner(o string, r *recent) ORMap[K, V] {
	m.owner, m.mine = o, r
	return m
}

func (m ORMap[K, V]) withGuard(g *guard) ORMap[K, V] {
	m.guard = g
	return m
}

func (m ORMap[K, V]) dotsWithin(c *CausalContext) (n int, outside bool) {
	for _, v := range m.vals {
		vn, vo := v.dotsWithin(c)
		n, outside = n+vn, outside || vo
	}
	return n, outside
}

func (m ORMap[K, V]) withContext(c CausalContext) ORMap[K, V] {
	m.ctx = c
	return m
}

func (m ORMap[K, V]) joinStore(o ORMap[K, V], mine, theirs CausalContext) ORMap[K, V] {
	out := ORMap[K, V]{ctx: m.ctx}
	put := func(k K, v V) {
		if v.storeLen() == 0 {
			return
		}
		if out.vals == nil {
			out.vals = map[K]V{}
		}
		out.vals[k] = v
	}
	for k, v := range m.vals {
		ov, ok := o.vals[k]
		if !ok {
			var zero V
			ov = zero
		}
		put(k, v.joinStore(ov, mine, theirs))
	}
	for k, ov := range o.vals {
		if _, ok := m.vals[k]; ok {
			continue
		}
		var zero V
		put(k, zero.joinStore(ov, mine, theirs))
	}
	return out
}

func (m ORMap[K, V]) eachDot(f func(Dot)) {
	for _, v := range m.vals {
		v.eachDot(f)
	}
}

func (m ORMap[K, V]) storeLen() int { return len(m.vals) }

// MarshalBinary returns the canonical binary encoding: a format byte, the
// map's causal context, the number of keys, then each key's JSON encoding
// (length prefixed, in byte order) and its value's binary encoding
// (length prefixed), written with a context of exactly the value's dots.
func (m ORMap[K, V]) MarshalBinary() ([]byte, error) {
	b, err := m.ctx.appendBinary([]byte{ormapFormat})
	if err != nil {
		return nil, fmt.Errorf("crdt: ormap: %w", err)
	}
	es, err := m.sorted()
	if err != nil {
		return nil, fmt.Errorf("crdt: ormap: %w", err)
	}
	b = appendUvarint(b, uint64(len(es)))
	for _, e := range es {
		v := m.vals[e.key]
		vb, err := v.withContext(dotsContext(v)).MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("crdt: ormap: %w", err)
		}
		b = appendUvarint(b, uint64(len(e.enc)))
		b = append(b, e.enc...)
		b = appendUvarint(b, uint64(len(vb)))
		b = append(b, vb...)
	}
	return b, nil
}

// dotsContext returns the causal context of exactly v's dots.
func dotsContext[V Causal[V]](v V) CausalContext {
	var c CausalContext
	v.eachDot(c.add)
	return c
}

// UnmarshalBinary decodes a canonical encoding into m, leaving m unchanged
// on error. It rejects values whose dots lie outside the map's context or
// are shared between keys, and empty values.
func (m *ORMap[K, V]) UnmarshalBinary(data []byte) error {
	x, err := m.decodeValue(data)
	if err != nil {
		return err
	}
	*m = x
	return nil
}

// minMapEntryBytes is the fewest bytes an encoded key and value take: a
// key length and one byte of key, a value length, and the smallest
// value (a format byte, a context of one dot in 7 bytes, no cloud, no
// stamps, one entry of minEntryBytes).
const minMapEntryBytes = 3 + 1 + 7 + 2 + 1 + minEntryBytes

func (ORMap[K, V]) decodeValue(data []byte) (ORMap[K, V], error) {
	d := decoder{what: "ormap", b: data}
	var m ORMap[K, V]
	if f, err := d.byte(); err != nil {
		return m, err
	} else if f != ormapFormat {
		return m, d.errf("unknown format %d", f)
	}
	ctx, err := d.context()
	if err != nil {
		return m, err
	}
	m.ctx = ctx
	n, err := d.count("keys", minMapEntryBytes)
	if err != nil {
		return m, err
	}
	kc := jsonKeys[K]()
	var prev []byte
	total := 0
	for i := range n {
		enc, err := d.bytes("key")
		if err != nil {
			return m, err
		}
		if len(enc) > MaxElementLen {
			return m, fmt.Errorf("crdt: ormap: key of %d bytes: %w", len(enc), ErrTooLarge)
		}
		if i > 0 && bytes.Compare(prev, enc) >= 0 {
			return m, d.errf("keys not sorted")
		}
		prev = enc
		key, err := kc.decode(enc)
		if err != nil {
			return m, d.errf("key %q: %v", enc, err)
		}
		vb, err := d.bytes("value")
		if err != nil {
			return m, err
		}
		var zero V
		v, err := zero.decodeValue(vb)
		if err != nil {
			return m, fmt.Errorf("crdt: ormap: value of %q: %w", enc, err)
		}
		if v.storeLen() == 0 {
			return m, d.errf("empty value at %q", enc)
		}
		// The value's context must hold exactly its dots: it holds them
		// all (its decoder checked), they are distinct, so it is enough
		// that it holds as many dots as there are, and no stamps.
		dots, outside := v.dotsWithin(&ctx)
		vc := v.causalContext()
		if len(vc.heads) != 0 || vc.dots() != uint64(dots) {
			return m, d.errf("value at %q has a context beyond its dots", enc)
		}
		if outside {
			return m, d.errf("value at %q has a dot outside the context", enc)
		}
		total += dots
		if m.vals == nil {
			m.vals = make(map[K]V, n)
		}
		m.vals[key] = v.withContext(CausalContext{})
	}
	if len(d.b) != 0 {
		return m, d.errf("%d trailing bytes", len(d.b))
	}
	if x, dup := sharedDot(total, ctx.vv.Len(), m.eachDot); dup {
		return m, d.errf("dot %v supports two keys", x)
	}
	return m, nil
}

type ormapEntryJSON struct {
	Key   json.RawMessage `json:"key"`
	Value json.RawMessage `json:"value"`
}

type ormapJSON struct {
	Context contextJSON      `json:"context"`
	Entries []ormapEntryJSON `json:"entries"`
}

// MarshalJSON encodes m as {"context":{...},"entries":[{"key":"cart",
// "value":{...}}]}: the map's causal context, then each key with its
// value's JSON (whose context holds exactly the value's dots).
func (m ORMap[K, V]) MarshalJSON() ([]byte, error) {
	es, err := m.sorted()
	if err != nil {
		return nil, fmt.Errorf("crdt: ormap: %w", err)
	}
	j := ormapJSON{Context: toContextJSON(m.ctx), Entries: []ormapEntryJSON{}}
	for _, e := range es {
		v := m.vals[e.key]
		vj, err := json.Marshal(v.withContext(dotsContext(v)))
		if err != nil {
			return nil, fmt.Errorf("crdt: ormap: %w", err)
		}
		j.Entries = append(j.Entries, ormapEntryJSON{e.enc, vj})
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes the form MarshalJSON writes (entries in any
// order), with the checks of UnmarshalBinary, leaving m unchanged on
// error.
func (m *ORMap[K, V]) UnmarshalJSON(data []byte) error {
	j, err := newJSONIn("ormap", data)
	if err != nil {
		return err
	}
	b, err := ORMap[K, V]{}.appendFromJSON(j, nil)
	if err != nil {
		return err
	}
	if err := j.end(); err != nil {
		return err
	}
	x, err := m.decodeValue(b)
	if err != nil {
		return err
	}
	*m = x
	return nil
}

// appendFromJSON reads the JSON of a map at the reader's position and
// appends its binary encoding to dst: the context, then the keys in
// order, each with its value's binary encoding, converted from its JSON
// by the value type.
func (ORMap[K, V]) appendFromJSON(j *jsonIn, dst []byte) ([]byte, error) {
	dst, end, n, err := j.kernelHead(dst, ormapFormat)
	if err != nil {
		return nil, err
	}
	idx := make([]span, 0, n)
	var arena, value []byte
	err = j.array(func() error {
		var at [2]int
		if err := j.positions(mapFields, at[:]); err != nil {
			return err
		}
		after := j.i
		j.i = at[0]
		raw, _ := j.value()
		enc, err := canonicalElem[K](raw)
		if err != nil {
			return j.errf("key %.64s: %v", raw, err)
		}
		start := len(arena)
		arena = append(arena, enc...)
		key := len(arena)
		j.i = at[1]
		var zero V
		if value, err = zero.appendFromJSON(j, value[:0]); err != nil {
			return err
		}
		arena = appendUvarint(arena, uint64(len(value)))
		arena = append(arena, value...)
		idx = append(idx, span{start, key, len(arena)})
		j.i = after
		return nil
	})
	if err != nil {
		return nil, err
	}
	j.i = end
	return assemble(dst, arena, idx), nil
}

// conflict reports a dot of o's value at one key that m holds at another.
// The index of m's dots is built only when o has a dot m has seen but does
// not hold at the same key (normally a removal).
func (m ORMap[K, V]) conflict(o ORMap[K, V]) error {
	var index map[Dot]K
	var err error
	for key, ov := range o.vals {
		mine := map[Dot]bool{}
		if v, ok := m.vals[key]; ok {
			v.eachDot(func(d Dot) { mine[d] = true })
		}
		ov.eachDot(func(d Dot) {
			if err != nil || mine[d] || !m.ctx.Contains(d) {
				return
			}
			if index == nil {
				index = map[Dot]K{}
				for k, v := range m.vals {
					v.eachDot(func(x Dot) { index[x] = k })
				}
			}
			if k, ok := index[d]; ok && k != key {
				err = fmt.Errorf("crdt: ormap: dot %v supports different keys on the two sides: %w", d, ErrReplicaConflict)
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}
