package crdt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// kernel is the dot store shared by the causal types (Almeida et al.
// 2018, section 7.1, the "dot kernel"): a map from keys to the dots that
// support them, plus the causal context of everything seen. A key is
// present while it has a dot; a dot seen in the context but absent from
// the entries has been removed, so no tombstone is needed.
//
// Invariants: every dot of the entries is in the context; no dot supports
// two keys; no key has an empty dot list; dot lists are sorted. Dot lists
// are never modified in place (every change stores a new slice), so
// states may share them.
type kernel[K comparable] struct {
	entries map[K][]Dot
	ctx     CausalContext
	owner   string  // the replica of this copy's latest update; see identity.go
	mine    *recent // the stamps of this copy's latest updates
}

// put replaces key's dots with a new dot of replica and returns the delta:
// the key with its new dot, and a context of the old dots and the new one.
func (k *kernel[K]) put(replica string, key K) kernel[K] {
	d := k.ctx.next(replica)
	var delta kernel[K]
	for _, old := range k.entries[key] {
		delta.ctx.add(old)
	}
	delta.ctx.add(d)
	delta.entries = map[K][]Dot{key: {d}}
	if k.entries == nil {
		k.entries = map[K][]Dot{}
	}
	k.entries[key] = []Dot{d}
	k.ctx.add(d)
	st := k.ctx.stamp(d)
	delta.ctx.heads = heads{{replica, st}}
	k.owner = replica
	record(&k.mine, replica, st)
	return delta
}

// remove drops key's dots and returns the delta: no entries and a context
// of the dots removed.
func (k *kernel[K]) remove(key K) kernel[K] {
	var delta kernel[K]
	for _, old := range k.entries[key] {
		delta.ctx.add(old)
	}
	delete(k.entries, key)
	return delta
}

// clear removes every key and returns the delta.
func (k *kernel[K]) clear() kernel[K] {
	var delta kernel[K]
	for _, ds := range k.entries {
		for _, d := range ds {
			delta.ctx.add(d)
		}
	}
	k.entries = nil
	return delta
}

// conflict reports a dot that supports different keys in k and o: two
// copies of one replica issued the same dot for different updates. Dots of
// o that k has seen but does not hold under the same key are normally
// ones k removed; only then is an index of k's dots built (O(|k|)) to
// tell a removal from a conflict.
func (k *kernel[K]) conflict(o kernel[K]) error {
	if err := k.ctx.identityConflict(o.ctx, k.owner, k.mine, "merge"); err != nil {
		return err
	}
	var index map[Dot]K
	for key, ods := range o.entries {
		var ds []Dot
		looked := false
		for _, d := range ods {
			if !k.ctx.Contains(d) {
				continue // new to k: nothing to compare (and no lookup)
			}
			if !looked {
				ds, looked = k.entries[key], true
			}
			if slices.Contains(ds, d) {
				continue
			}
			if index == nil {
				index = make(map[Dot]K, len(k.entries))
				for kk, kds := range k.entries {
					for _, x := range kds {
						index[x] = kk
					}
				}
			}
			if _, ok := index[d]; ok {
				return fmt.Errorf("crdt: dot %v supports different updates on the two sides: %w", d, ErrReplicaConflict)
			}
		}
	}
	return nil
}

// merge joins o into k: a dot survives if both sides have it, or if one
// side has it and the other has not seen it. It costs O(|k| + |o|) map
// operations. It fails with ErrReplicaConflict, leaving k unchanged, if a
// dot supports different keys on the two sides, or if the stamps show two
// diverged copies of one replica (identityConflict).
func (k *kernel[K]) merge(o kernel[K]) error {
	if err := k.conflict(o); err != nil {
		return err
	}
	k.joinStore(o, k.ctx, o.ctx)
	k.ctx.Merge(o.ctx)
	return nil
}

// joinStore joins o's entries into k's, given the causal contexts of the
// two sides (the kernels' own, or those of the maps that hold them).
//
// It is written for large states: a key of k is looked up in o only if o
// has seen one of its dots (otherwise it stays as it is), the dot lists
// are built in a reused buffer, and the lists that change are stored in
// slabs of a few thousand dots rather than allocated one by one.
func (k *kernel[K]) joinStore(o kernel[K], mine, theirs CausalContext) {
	seenByO, seenByK := theirs.Contains, mine.Contains // bound once: each binding allocates
	var st dotStore
	for key, ds := range k.entries {
		if !slices.ContainsFunc(ds, seenByO) {
			continue // o has seen none of key's dots: all stay
		}
		if _, ok := o.entries[key]; ok {
			continue // handled below
		}
		kept := st.buf[:0]
		for _, d := range ds {
			if !seenByO(d) {
				kept = append(kept, d)
			}
		}
		st.buf = kept
		k.setDots(key, ds, kept, &st)
	}
	for key, ods := range o.entries {
		ds := k.entries[key]
		if len(ds) == 0 && !slices.ContainsFunc(ods, seenByK) {
			// A key new to k with no dot k has seen: take o's dots as
			// they are (dot lists are never modified in place, so the
			// two states may share them).
			if k.entries == nil {
				k.entries = make(map[K][]Dot, len(o.entries))
			}
			k.entries[key] = ods
			continue
		}
		kept := st.buf[:0]
		for _, d := range ds {
			if !seenByO(d) || slices.Contains(ods, d) {
				kept = append(kept, d)
			}
		}
		for _, d := range ods {
			if !seenByK(d) {
				kept = append(kept, d)
			}
		}
		st.buf = kept
		slices.SortFunc(kept, cmpDot)
		if k.entries == nil && len(kept) > 0 {
			k.entries = map[K][]Dot{}
		}
		k.setDots(key, ds, kept, &st)
	}
}

// dotStore hands out the dot lists a merge stores: copies of the scratch
// buffer, carved from slabs.
type dotStore struct {
	buf  []Dot // scratch for the list being built
	slab []Dot
}

// maxSlab is the largest slab: slabs start at 16 dots and double, so a
// merge wastes at most about half of what it stores.
const maxSlab = 4096

func (st *dotStore) keep(ds []Dot) []Dot {
	if len(ds) > cap(st.slab)-len(st.slab) {
		st.slab = make([]Dot, 0, max(len(ds), min(maxSlab, 2*cap(st.slab)), 16))
	}
	n := len(st.slab)
	st.slab = append(st.slab, ds...)
	return st.slab[n : n+len(ds) : n+len(ds)]
}

// setDots stores kept (a scratch list) as key's dots if they differ from
// old.
func (k *kernel[K]) setDots(key K, old, kept []Dot, st *dotStore) {
	switch {
	case len(kept) == 0:
		delete(k.entries, key)
	case len(kept) != len(old) || !slices.Equal(kept, old):
		k.entries[key] = st.keep(kept)
	}
}

func (k kernel[K]) clone() kernel[K] {
	var c kernel[K]
	if len(k.entries) > 0 {
		c.entries = make(map[K][]Dot, len(k.entries))
		for key, ds := range k.entries {
			c.entries[key] = ds // shared: dot lists are immutable
		}
	}
	c.ctx = k.ctx.Clone()
	return c
}

func (k kernel[K]) equal(o kernel[K]) bool {
	return k.ctx.Equal(o.ctx) && len(k.entries) == len(o.entries) &&
		maps.EqualFunc(k.entries, o.entries, slices.Equal)
}

// dots returns the number of dots in the entries.
func (k kernel[K]) dots() int {
	n := 0
	for _, ds := range k.entries {
		n += len(ds)
	}
	return n
}

// keyCodec encodes keys canonically: decode(encode(k)) == k and
// encode(decode(b)) == b for every b decode accepts.
type keyCodec[K any] struct {
	encode func(K) ([]byte, error)
	decode func([]byte) (K, error)
}

type encodedKey[K any] struct {
	enc  []byte
	key  K
	dots []Dot
}

// sorted returns the entries sorted by their encoded keys.
func (k kernel[K]) sorted(kc keyCodec[K]) ([]encodedKey[K], error) {
	out := make([]encodedKey[K], 0, len(k.entries))
	for key, ds := range k.entries {
		b, err := kc.encode(key)
		if err != nil {
			return nil, err
		}
		if len(b) > MaxElementLen {
			return nil, fmt.Errorf("element of %d bytes: %w", len(b), ErrTooLarge)
		}
		out = append(out, encodedKey[K]{b, key, ds})
	}
	slices.SortFunc(out, func(a, b encodedKey[K]) int { return bytes.Compare(a.enc, b.enc) })
	return out, nil
}

// appendBinary appends the context, the number of entries, then each
// entry in encoded key order: the key (length prefixed), the number of its
// dots and the dots in order.
func (k kernel[K]) appendBinary(b []byte, kc keyCodec[K]) ([]byte, error) {
	if len(k.entries) > MaxEntries || len(k.ctx.cloud) > MaxEntries {
		return nil, fmt.Errorf("%d entries: %w", len(k.entries), ErrTooLarge)
	}
	b, err := k.ctx.appendBinary(b)
	if err != nil {
		return nil, err
	}
	es, err := k.sorted(kc)
	if err != nil {
		return nil, err
	}
	b = appendUvarint(b, uint64(len(es)))
	for _, e := range es {
		b = appendUvarint(b, uint64(len(e.enc)))
		b = append(b, e.enc...)
		b = appendUvarint(b, uint64(len(e.dots)))
		for _, d := range e.dots {
			b = appendDot(b, d)
		}
	}
	return b, nil
}

// kernel decodes what appendBinary writes and checks the invariants.
func decodeKernel[K comparable](d *decoder, kc keyCodec[K]) (kernel[K], error) {
	var k kernel[K]
	ctx, err := d.context()
	if err != nil {
		return k, err
	}
	k.ctx = ctx
	n, err := d.count("entries", 3)
	if err != nil {
		return k, err
	}
	seen := map[Dot]bool{}
	var prev []byte
	for i := range n {
		enc, err := d.bytes("element")
		if err != nil {
			return k, err
		}
		if len(enc) > MaxElementLen {
			return k, fmt.Errorf("crdt: %s: element of %d bytes: %w", d.what, len(enc), ErrTooLarge)
		}
		if i > 0 && bytes.Compare(prev, enc) >= 0 {
			return k, d.errf("elements not sorted")
		}
		prev = enc
		key, err := kc.decode(enc)
		if err != nil {
			return k, d.errf("element: %v", err)
		}
		if again, err := kc.encode(key); err != nil || !bytes.Equal(again, enc) {
			return k, d.errf("element %q not canonical", enc)
		}
		nd, err := d.count("dots", 2)
		if err != nil {
			return k, err
		}
		if nd == 0 {
			return k, d.errf("element without dots")
		}
		ds := make([]Dot, 0, nd)
		for j := range nd {
			x, err := d.dot()
			if err != nil {
				return k, err
			}
			if j > 0 && cmpDot(ds[j-1], x) >= 0 {
				return k, d.errf("dots not sorted")
			}
			if !ctx.Contains(x) {
				return k, d.errf("dot %v outside the causal context", x)
			}
			if seen[x] {
				return k, d.errf("dot %v supports two elements", x)
			}
			seen[x] = true
			ds = append(ds, x)
		}
		if k.entries == nil {
			k.entries = make(map[K][]Dot, n)
		}
		k.entries[key] = ds
	}
	if len(d.b) != 0 {
		return k, d.errf("%d trailing bytes", len(d.b))
	}
	return k, nil
}

// eachDot calls f for every dot of the entries.
func (k kernel[K]) eachDot(f func(Dot)) {
	for _, ds := range k.entries {
		for _, d := range ds {
			f(d)
		}
	}
}

// orderedKeys returns the keys of m sorted by their JSON encodings, or, if
// some key has none (a float infinity, say), by their fmt forms, so that
// accessors never drop elements.
func orderedKeys[K comparable, V any](m map[K]V) []K {
	type kv struct {
		enc []byte
		key K
	}
	out := make([]kv, 0, len(m))
	for k := range m {
		b, err := json.Marshal(k)
		if err != nil {
			b = []byte(fmt.Sprint(k))
		}
		out = append(out, kv{b, k})
	}
	slices.SortFunc(out, func(a, b kv) int { return bytes.Compare(a.enc, b.enc) })
	keys := make([]K, len(out))
	for i, x := range out {
		keys[i] = x.key
	}
	return keys
}
