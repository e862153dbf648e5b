package sim

import (
	"encoding/binary"
	"maps"
	"slices"
	"sync/atomic"
)

// Storage is a node's durable storage: a map from keys to byte strings
// that survives crashes and restarts. Values are copied in and out, so a
// node cannot change what is stored except through Put and Delete. The zero
// value is an empty storage, ready to use. Use a Storage through a pointer;
// Clone, not assignment, copies it.
//
// Clone is O(1): the copy shares the map with the original until either of
// them is written, when the writer takes a private copy (O(n) once). The
// Explorer clones a node's storage for every step it tries, and most steps
// write nothing. A Storage may be cloned from several goroutines at once as
// long as nothing writes to it meanwhile.
type Storage struct {
	m      map[string][]byte // values are never modified in place
	writes int
	// shared is set when m may be referenced by another Storage, so the
	// next write must copy it first.
	shared atomic.Bool
}

// own makes s.m private to s before a write.
func (s *Storage) own() {
	if s.shared.Load() {
		s.m = maps.Clone(s.m)
		s.shared.Store(false)
	}
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
	s.own()
	if s.m == nil {
		s.m = make(map[string][]byte)
	}
	s.m[key] = slices.Clone(value)
	s.writes++
}

// Delete removes key, durably.
func (s *Storage) Delete(key string) {
	if _, ok := s.m[key]; ok {
		s.own()
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

// Clone returns an independent copy, in O(1): see Storage.
func (s *Storage) Clone() *Storage {
	c := &Storage{m: s.m, writes: s.writes}
	if len(s.m) > 0 {
		s.shared.Store(true)
		c.shared.Store(true)
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
