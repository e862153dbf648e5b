package sim

import (
	"encoding/binary"
	"maps"
	"slices"
)

// Storage is a node's durable storage: a map from keys to byte strings
// that survives crashes and restarts. Values are copied in and out, so a
// node cannot change what is stored except through Put and Delete. The zero
// value is an empty storage, ready to use.
type Storage struct {
	m      map[string][]byte
	writes int
}

// Get returns a copy of the value stored under key, and whether there is
// one.
func (s *Storage) Get(key string) ([]byte, bool) {
	v, ok := s.m[key]
	if !ok {
		return nil, false
	}
	return slices.Clone(v), true
}

// Put stores a copy of value under key, durably.
func (s *Storage) Put(key string, value []byte) {
	if s.m == nil {
		s.m = make(map[string][]byte)
	}
	s.m[key] = slices.Clone(value)
	s.writes++
}

// Delete removes key, durably.
func (s *Storage) Delete(key string) {
	if _, ok := s.m[key]; ok {
		delete(s.m, key)
		s.writes++
	}
}

// Keys returns the stored keys, sorted.
func (s *Storage) Keys() []string {
	return slices.Sorted(maps.Keys(s.m))
}

// Len returns the number of stored keys.
func (s *Storage) Len() int { return len(s.m) }

// Writes returns the number of Put and Delete calls that changed the
// storage since it was created: a measure of how often a protocol syncs to
// disk.
func (s *Storage) Writes() int { return s.writes }

// Clone returns an independent copy.
func (s *Storage) Clone() *Storage {
	c := &Storage{writes: s.writes}
	if len(s.m) > 0 {
		c.m = make(map[string][]byte, len(s.m))
		for k, v := range s.m {
			c.m[k] = v // values are never modified in place
		}
	}
	return c
}

// AppendState appends a canonical encoding of the contents (not the write
// count) to b: keys in sorted order, each key and value length-prefixed.
func (s *Storage) AppendState(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s.m)))
	for _, k := range s.Keys() {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		v := s.m[k]
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b
}
