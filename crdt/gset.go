package crdt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

const (
	gsetFormat    = 1
	twopsetFormat = 1
)

// GSet is a grow-only set (Shapiro et al. 2011, specification 11): Add
// inserts, nothing removes, Merge is set union. The zero value is an empty
// set. Elements are encoded with encoding/json, as in ORSet.
type GSet[E comparable] struct {
	m map[E]struct{}
}

// Add inserts e and returns the delta, the set {e}.
func (s *GSet[E]) Add(e E) GSet[E] {
	if s.m == nil {
		s.m = map[E]struct{}{}
	}
	s.m[e] = struct{}{}
	return GSet[E]{map[E]struct{}{e: {}}}
}

// Contains reports whether e is in the set.
func (s GSet[E]) Contains(e E) bool {
	_, ok := s.m[e]
	return ok
}

// Len returns the number of elements.
func (s GSet[E]) Len() int { return len(s.m) }

// Elements returns the elements sorted by their JSON encodings.
func (s GSet[E]) Elements() []E { return orderedKeys(s.m) }

// Merge adds o's elements to s. It never fails.
func (s *GSet[E]) Merge(o GSet[E]) error {
	if len(o.m) > 0 && s.m == nil {
		s.m = make(map[E]struct{}, len(o.m))
	}
	maps.Copy(s.m, o.m)
	return nil
}

// Clone returns an independent copy of s.
func (s GSet[E]) Clone() GSet[E] { return GSet[E]{maps.Clone(s.m)} }

// Equal reports whether s and o have the same elements.
func (s GSet[E]) Equal(o GSet[E]) bool { return len(s.m) == len(o.m) && maps.Equal(s.m, o.m) }

// String returns the elements as JSON, sorted: {"a", "b"}.
func (s GSet[E]) String() string {
	es, err := sortedElements(s.m)
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
	}
	b.WriteByte('}')
	return b.String()
}

func sortedElements[E comparable](m map[E]struct{}) ([]encodedKey[E], error) {
	return sortedKeys(m, jsonKeys[E]())
}

func (s GSet[E]) appendBinary(b []byte) ([]byte, error) {
	es, err := sortedElements(s.m)
	if err != nil {
		return nil, err
	}
	if len(es) > MaxEntries {
		return nil, fmt.Errorf("%d elements: %w", len(es), ErrTooLarge)
	}
	b = appendUvarint(b, uint64(len(es)))
	for _, e := range es {
		b = appendUvarint(b, uint64(len(e.enc)))
		b = append(b, e.enc...)
	}
	return b, nil
}

func decodeGSet[E comparable](d *decoder) (GSet[E], error) {
	n, err := d.count("elements", 2)
	if err != nil {
		return GSet[E]{}, err
	}
	kc := jsonKeys[E]()
	var s GSet[E]
	var prev []byte
	for i := range n {
		enc, err := d.bytes("element")
		if err != nil {
			return GSet[E]{}, err
		}
		if len(enc) > MaxElementLen {
			return GSet[E]{}, fmt.Errorf("crdt: %s: element of %d bytes: %w", d.what, len(enc), ErrTooLarge)
		}
		if i > 0 && bytes.Compare(prev, enc) >= 0 {
			return GSet[E]{}, d.errf("elements not sorted")
		}
		prev = enc
		e, err := kc.decode(enc)
		if err != nil {
			return GSet[E]{}, d.errf("element %q: %v", enc, err)
		}
		if s.m == nil {
			// Sized for the elements the input can hold if they take 4
			// bytes or more, as all but the first hundred do.
			s.m = make(map[E]struct{}, min(n, len(d.b)/4+1))
		}
		if _, dup := s.m[e]; dup {
			return GSet[E]{}, d.errf("duplicate element %q", enc)
		}
		s.m[e] = struct{}{}
	}
	return s, nil
}

// AppendBinary appends the canonical binary encoding: a format byte, the
// number of elements, then each element's JSON encoding, length prefixed,
// in byte order.
func (s GSet[E]) AppendBinary(b []byte) ([]byte, error) {
	b, err := s.appendBinary(append(b, gsetFormat))
	if err != nil {
		return nil, fmt.Errorf("crdt: gset: %w", err)
	}
	return b, nil
}

// MarshalBinary returns the canonical binary encoding of s.
func (s GSet[E]) MarshalBinary() ([]byte, error) { return s.AppendBinary(nil) }

// UnmarshalBinary decodes a canonical encoding into s, leaving s unchanged
// on error.
func (s *GSet[E]) UnmarshalBinary(data []byte) error {
	d := decoder{what: "gset", b: data}
	if f, err := d.byte(); err != nil {
		return err
	} else if f != gsetFormat {
		return d.errf("unknown format %d", f)
	}
	x, err := decodeGSet[E](&d)
	if err != nil {
		return err
	}
	if len(d.b) != 0 {
		return d.errf("%d trailing bytes", len(d.b))
	}
	*s = x
	return nil
}

// MarshalJSON encodes s as a JSON array of its elements, sorted by their
// encodings.
func (s GSet[E]) MarshalJSON() ([]byte, error) {
	es, err := sortedElements(s.m)
	if err != nil {
		return nil, fmt.Errorf("crdt: gset: %w", err)
	}
	b := []byte{'['}
	for i, e := range es {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e.enc...)
	}
	return append(b, ']'), nil
}

// UnmarshalJSON decodes a JSON array of elements (duplicates are
// rejected), leaving s unchanged on error.
func (s *GSet[E]) UnmarshalJSON(data []byte) error {
	j, err := newJSONIn("gset", data)
	if err != nil {
		return err
	}
	x, err := decodeGSetJSON[E](j)
	if err != nil {
		return err
	}
	if err := j.end(); err != nil {
		return err
	}
	*s = x
	return nil
}

// decodeGSetJSON reads an array of elements, refusing it as soon as it
// meets the element after the MaxEntries-th. It allocates the set's map,
// sized by a first pass, and the elements.
func decodeGSetJSON[E comparable](j *jsonIn) (GSet[E], error) {
	var s GSet[E]
	n, err := j.count("elements", entryLimit)
	if err != nil {
		return s, err
	}
	if n > 0 {
		s.m = make(map[E]struct{}, n)
	}
	err = j.array(func() error {
		raw, err := j.value()
		if err != nil {
			return err
		}
		e, enc, err := elemFromJSON[E](raw)
		if err != nil {
			return j.errf("element %.64s: %v", raw, err)
		}
		if len(enc) > MaxElementLen {
			return j.tooLarge("element of %d bytes", len(enc))
		}
		if _, dup := s.m[e]; dup {
			return j.errf("duplicate element %.64s", raw)
		}
		s.m[e] = struct{}{}
		return nil
	})
	return s, err
}

// TwoPSet is the two-phase set (Shapiro et al. 2011, specification 12): a
// GSet of added elements and a GSet of removed ones (tombstones). An
// element is present if added and never removed; once removed it can never
// be added again, and its tombstone stays forever. Prefer ORSet unless
// that is the semantics wanted. The zero value is an empty set.
type TwoPSet[E comparable] struct {
	added, removed GSet[E]
}

// Add inserts e and returns the delta. Adding a removed element has no
// visible effect.
func (s *TwoPSet[E]) Add(e E) TwoPSet[E] { return TwoPSet[E]{added: s.added.Add(e)} }

// Remove removes e for ever and returns the delta. Removing an element
// never added records the tombstone all the same, so that a concurrent
// add is cancelled.
func (s *TwoPSet[E]) Remove(e E) TwoPSet[E] { return TwoPSet[E]{removed: s.removed.Add(e)} }

// Contains reports whether e was added and never removed.
func (s TwoPSet[E]) Contains(e E) bool { return s.added.Contains(e) && !s.removed.Contains(e) }

// Elements returns the elements present, sorted by their JSON encodings.
func (s TwoPSet[E]) Elements() []E {
	return slices.DeleteFunc(s.added.Elements(), s.removed.Contains)
}

// Merge joins o into s. It never fails.
func (s *TwoPSet[E]) Merge(o TwoPSet[E]) error {
	s.added.Merge(o.added)
	return s.removed.Merge(o.removed)
}

// Clone returns an independent copy of s.
func (s TwoPSet[E]) Clone() TwoPSet[E] { return TwoPSet[E]{s.added.Clone(), s.removed.Clone()} }

// Equal reports whether s and o have the same added and removed elements.
func (s TwoPSet[E]) Equal(o TwoPSet[E]) bool {
	return s.added.Equal(o.added) && s.removed.Equal(o.removed)
}

// Tombstones returns the number of removed elements remembered.
func (s TwoPSet[E]) Tombstones() int { return s.removed.Len() }

// String returns "+{added} -{removed}".
func (s TwoPSet[E]) String() string { return "+" + s.added.String() + " -" + s.removed.String() }

// AppendBinary appends the canonical binary encoding: a format byte, then
// the added and the removed elements as in GSet.
func (s TwoPSet[E]) AppendBinary(b []byte) ([]byte, error) {
	b, err := s.added.appendBinary(append(b, twopsetFormat))
	if err == nil {
		b, err = s.removed.appendBinary(b)
	}
	if err != nil {
		return nil, fmt.Errorf("crdt: twopset: %w", err)
	}
	return b, nil
}

// MarshalBinary returns the canonical binary encoding of s.
func (s TwoPSet[E]) MarshalBinary() ([]byte, error) { return s.AppendBinary(nil) }

// UnmarshalBinary decodes a canonical encoding into s, leaving s unchanged
// on error.
func (s *TwoPSet[E]) UnmarshalBinary(data []byte) error {
	d := decoder{what: "twopset", b: data}
	if f, err := d.byte(); err != nil {
		return err
	} else if f != twopsetFormat {
		return d.errf("unknown format %d", f)
	}
	a, err := decodeGSet[E](&d)
	if err != nil {
		return err
	}
	r, err := decodeGSet[E](&d)
	if err != nil {
		return err
	}
	if len(d.b) != 0 {
		return d.errf("%d trailing bytes", len(d.b))
	}
	s.added, s.removed = a, r
	return nil
}

type twopJSON[E comparable] struct {
	Added   *GSet[E] `json:"added"`
	Removed *GSet[E] `json:"removed"`
}

// MarshalJSON encodes s as {"added":[...],"removed":[...]}.
func (s TwoPSet[E]) MarshalJSON() ([]byte, error) {
	return json.Marshal(twopJSON[E]{&s.added, &s.removed})
}

var twopFields = []string{"added", "removed"}

// UnmarshalJSON decodes the form MarshalJSON writes, leaving s unchanged
// on error.
func (s *TwoPSet[E]) UnmarshalJSON(data []byte) error {
	j, err := newJSONIn("twopset", data)
	if err != nil {
		return err
	}
	var a, r GSet[E]
	err = j.fields(twopFields, 0, func(f int) error {
		var err error
		if f == 0 {
			a, err = decodeGSetJSON[E](j)
		} else {
			r, err = decodeGSetJSON[E](j)
		}
		return err
	})
	if err != nil {
		return err
	}
	if err := j.end(); err != nil {
		return err
	}
	s.added, s.removed = a, r
	return nil
}
