package crdt

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Format 2 added the replica stamps to the causal context.
const (
	orsetFormat = 2
	rwsetFormat = 2
)

// ORSet is the optimised add-wins observed-remove set without tombstones
// (Bieniusa et al. 2012; Almeida et al. 2018, section 7.2, "add-wins
// set"), generic over comparable elements.
//
// Each Add tags the element with a fresh [Dot] of the adding replica and
// drops the dots it had; Remove drops the element's dots. A [CausalContext]
// records every dot the replica has seen, so a merge can tell a dot the
// other side has not seen yet (keep it) from one it has seen and removed
// (drop it). An element is present while it has a dot. When an add and a
// remove of the same element are concurrent, the remove only drops the
// dots it observed, so the add wins.
//
// Deltas carry the dots of the update and the context they cover, so
// merging them in any order, with duplicates, has the effect of merging
// the full states; a lost delta is repaired by any later full-state merge,
// never by losing an element (unlike delta sets that rely on causal
// delivery).
//
// The zero value is an empty set, ready to use. Elements are encoded with
// encoding/json in the binary and JSON forms, so E must encode to JSON
// canonically (decoding then re-encoding an element gives the same bytes),
// as strings, numbers, booleans and structs of them do.
type ORSet[E comparable] struct {
	k kernel[E]
}

// Add inserts e at replica and returns the delta. It issues a dot of
// replica.
func (s *ORSet[E]) Add(replica string, e E) ORSet[E] {
	if !s.k.allows(replica) {
		return ORSet[E]{}
	}
	return ORSet[E]{s.k.put(replica, e)}
}

// Remove removes e at replica (the adds of it that this state has
// observed) and returns the delta. Removing an absent element returns an
// empty delta. It issues no dot: replica is taken so that every mutator
// of the causal types has one shape (see the package documentation,
// "Replica arguments"), and is checked inside ORMap.Update.
func (s *ORSet[E]) Remove(replica string, e E) ORSet[E] {
	if !s.k.allows(replica) {
		return ORSet[E]{}
	}
	return ORSet[E]{s.k.remove(e)}
}

// Clear removes, at replica, every element observed and returns the
// delta. Like Remove, it issues no dot.
func (s *ORSet[E]) Clear(replica string) ORSet[E] {
	if !s.k.allows(replica) {
		return ORSet[E]{}
	}
	return ORSet[E]{s.k.clear()}
}

// Contains reports whether e is in the set.
func (s ORSet[E]) Contains(e E) bool {
	_, ok := s.k.entries[e]
	return ok
}

// Len returns the number of elements.
func (s ORSet[E]) Len() int { return len(s.k.entries) }

// Elements returns the elements, sorted by their JSON encodings (so the
// order is deterministic).
func (s ORSet[E]) Elements() []E { return orderedKeys(s.k.entries) }

// Merge joins o into s. It costs O(n + m) map operations for sets of n and
// m elements. It fails with ErrReplicaConflict, leaving s unchanged, if
// the two sides are copies of one replica that diverged (a clone, or a
// restore from an old backup, that kept the replica ID and updated): they
// used one dot for different elements, or hold different stamps for the
// same update of a replica, or o has updates of the replica s last added
// as (its owner) beyond those s made. See the package documentation for
// what is guaranteed.
func (s *ORSet[E]) Merge(o ORSet[E]) error {
	return s.k.merge(o.k)
}

// Clone returns an independent copy of s.
func (s ORSet[E]) Clone() ORSet[E] { return ORSet[E]{s.k.clone()} }

// Equal reports whether s and o have the same elements, dots and causal
// context.
func (s ORSet[E]) Equal(o ORSet[E]) bool { return s.k.equal(o.k) }

// Context returns the causal context (a copy).
func (s ORSet[E]) Context() CausalContext { return s.k.ctx.Clone() }

// Size reports the metadata: the number of elements, of dots supporting
// them, of version vector entries and of dots in the context's cloud.
func (s ORSet[E]) Size() Size {
	return kernelSize(s.k)
}

// Size is the metadata of a causal CRDT.
type Size struct {
	Elements int // elements or keys present
	Dots     int // dots supporting them (at least one each)
	Vector   int // entries of the causal context's version vector
	Cloud    int // dots of the causal context beyond the vector
	Stamps   int // replica stamps (one per replica seen; see ErrReplicaConflict)
}

// String returns the elements with their dots, then the causal context:
// "{2.718@a:2, 3.14@b:1} {a:3, b:1}". Elements are written as JSON.
func (s ORSet[E]) String() string { return kernelString(s.k, jsonKeys[E]()) }

func kernelString[K comparable](k kernel[K], kc keyCodec[K]) string {
	es, err := k.sorted(kc)
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
		for j, d := range e.dots {
			if j == 0 {
				b.WriteByte('@')
			} else {
				b.WriteByte('+')
			}
			b.WriteString(d.String())
		}
	}
	b.WriteString("} ")
	b.WriteString(k.ctx.String())
	return b.String()
}

func jsonKeys[E any]() keyCodec[E] {
	return keyCodec[E]{
		encode: func(e E) ([]byte, error) { return json.Marshal(e) },
		decode: parseElem[E],
	}
}

// AppendBinary appends the canonical binary encoding: a format byte, the
// causal context (vector encoding, length prefixed; the cloud dots), then
// the elements in order of their JSON encodings, each with its dots.
func (s ORSet[E]) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, orsetFormat)
	b, err := s.k.appendBinary(b, jsonKeys[E]())
	if err != nil {
		return nil, fmt.Errorf("crdt: orset: %w", err)
	}
	return b, nil
}

// MarshalBinary returns the canonical binary encoding of s.
func (s ORSet[E]) MarshalBinary() ([]byte, error) { return s.AppendBinary(nil) }

// UnmarshalBinary decodes a canonical encoding into s, leaving s unchanged
// on error (which wraps ErrMalformed or ErrTooLarge). It rejects dots
// outside the context, dots shared by two elements, unsorted or
// non-canonical elements and contexts that are not compact.
func (s *ORSet[E]) UnmarshalBinary(data []byte) error {
	k, err := unmarshalKernel(data, "orset", orsetFormat, jsonKeys[E]())
	if err != nil {
		return err
	}
	s.k = k
	return nil
}

func unmarshalKernel[K comparable](data []byte, what string, format byte, kc keyCodec[K]) (kernel[K], error) {
	d := decoder{what: what, b: data}
	f, err := d.byte()
	if err != nil {
		return kernel[K]{}, err
	}
	if f != format {
		return kernel[K]{}, d.errf("unknown format %d", f)
	}
	return decodeKernel(&d, kc)
}

// MarshalJSON encodes s as {"context":{"vector":{"a":3},"cloud":[]},
// "entries":[{"element":"milk","dots":[{"r":"a","n":3}]}]}: the causal
// context (version vector and cloud dots) and each element with its dots.
func (s ORSet[E]) MarshalJSON() ([]byte, error) {
	return marshalKernelJSON(s.k, "orset", jsonKeys[E](), plainParts[E]())
}

// UnmarshalJSON decodes the form MarshalJSON writes (entries and dots in
// any order), with the checks of UnmarshalBinary, leaving s unchanged on
// error.
func (s *ORSet[E]) UnmarshalJSON(data []byte) error {
	b, err := kernelJSONToBinary(data, "orset", orsetFormat, plainParts[E]())
	if err != nil {
		return err
	}
	return s.UnmarshalBinary(b)
}

// rwKey tags an element with the kind of the last update seen: an add or
// a remove.
type rwKey[E comparable] struct {
	e   E
	add bool
}

// RWSet is the remove-wins set (Almeida et al. 2018, section 7.2; the
// "RWSet" of the delta-enabled-crdts reference library): when an add and
// a remove of the same element are concurrent, the remove wins. Add and
// Remove both replace the element's observed dots with a fresh dot tagged
// with the operation; an element is present when it has an add dot and no
// remove dot. Unlike the ORSet, a removed element leaves its remove dot
// behind (a tombstone, the price of letting removes win) until a later
// add that has observed it replaces it.
//
// The zero value is an empty set. Elements are encoded as in ORSet.
type RWSet[E comparable] struct {
	k kernel[rwKey[E]]
}

// Add inserts e at replica and returns the delta. It issues a dot of
// replica.
func (s *RWSet[E]) Add(replica string, e E) RWSet[E] {
	return s.update(replica, e, true)
}

// Remove removes e at replica and returns the delta. It issues a remove
// dot of replica even if e is absent, so that it wins over concurrent
// adds.
func (s *RWSet[E]) Remove(replica string, e E) RWSet[E] {
	return s.update(replica, e, false)
}

func (s *RWSet[E]) update(replica string, e E, add bool) RWSet[E] {
	if !s.k.allows(replica) {
		return RWSet[E]{}
	}
	other := s.k.remove(rwKey[E]{e, !add})
	delta := s.k.put(replica, rwKey[E]{e, add})
	delta.ctx.Merge(other.ctx)
	return RWSet[E]{delta}
}

// Contains reports whether e is in the set: added, and no remove of it
// survives.
func (s RWSet[E]) Contains(e E) bool {
	_, add := s.k.entries[rwKey[E]{e, true}]
	_, rm := s.k.entries[rwKey[E]{e, false}]
	return add && !rm
}

// Elements returns the elements present, sorted by their JSON encodings.
func (s RWSet[E]) Elements() []E {
	present := map[E]struct{}{}
	for k := range s.k.entries {
		if k.add && s.Contains(k.e) {
			present[k.e] = struct{}{}
		}
	}
	return orderedKeys(present)
}

// Merge joins o into s. It fails with ErrReplicaConflict as ORSet.Merge does.
func (s *RWSet[E]) Merge(o RWSet[E]) error {
	return s.k.merge(o.k)
}

// Clone returns an independent copy of s.
func (s RWSet[E]) Clone() RWSet[E] { return RWSet[E]{s.k.clone()} }

// Equal reports whether s and o have the same tagged dots and context.
func (s RWSet[E]) Equal(o RWSet[E]) bool { return s.k.equal(o.k) }

// Size reports the metadata; Elements counts tagged entries, removes
// included.
func (s RWSet[E]) Size() Size { return kernelSize(s.k) }

// String returns the tagged entries (+e for adds, -e for removes) with
// their dots, then the causal context.
func (s RWSet[E]) String() string { return kernelString(s.k, rwKeys[E]()) }

func rwKeys[E comparable]() keyCodec[rwKey[E]] {
	j := jsonKeys[E]()
	return keyCodec[rwKey[E]]{
		encode: func(k rwKey[E]) ([]byte, error) {
			b, err := j.encode(k.e)
			if err != nil {
				return nil, err
			}
			tag := byte('-')
			if k.add {
				tag = '+'
			}
			return append([]byte{tag}, b...), nil
		},
		decode: func(b []byte) (rwKey[E], error) {
			if len(b) == 0 || (b[0] != '+' && b[0] != '-') {
				return rwKey[E]{}, fmt.Errorf("bad tag")
			}
			e, err := j.decode(b[1:])
			return rwKey[E]{e, b[0] == '+'}, err
		},
	}
}

// AppendBinary appends the canonical binary encoding: as ORSet's, each
// element preceded by '+' (add) or '-' (remove).
func (s RWSet[E]) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, rwsetFormat)
	b, err := s.k.appendBinary(b, rwKeys[E]())
	if err != nil {
		return nil, fmt.Errorf("crdt: rwset: %w", err)
	}
	return b, nil
}

// MarshalBinary returns the canonical binary encoding of s.
func (s RWSet[E]) MarshalBinary() ([]byte, error) { return s.AppendBinary(nil) }

// UnmarshalBinary decodes a canonical encoding into s, leaving s unchanged
// on error.
func (s *RWSet[E]) UnmarshalBinary(data []byte) error {
	k, err := unmarshalKernel(data, "rwset", rwsetFormat, rwKeys[E]())
	if err != nil {
		return err
	}
	s.k = k
	return nil
}

// MarshalJSON encodes s as ORSet does, entries for removes marked
// "remove":true.
func (s RWSet[E]) MarshalJSON() ([]byte, error) {
	return marshalKernelJSON(s.k, "rwset", rwKeys[E](), rwParts[E]())
}

// UnmarshalJSON decodes the form MarshalJSON writes, leaving s unchanged
// on error.
func (s *RWSet[E]) UnmarshalJSON(data []byte) error {
	b, err := kernelJSONToBinary(data, "rwset", rwsetFormat, rwParts[E]())
	if err != nil {
		return err
	}
	return s.UnmarshalBinary(b)
}
