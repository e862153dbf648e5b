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
// Writes are durable once synced, as on a disk: Put and Delete change what
// Get reads at once, and Sync makes every write before it durable (one
// fsync for a batch of writes: group commit). A crash loses every write
// since the last Sync, and the node restarts with what was synced. Unless
// the simulation is configured with Config.ExplicitSync (or
// ExploreConfig.ExplicitSync), the simulator syncs each node's storage when
// each of its handlers returns, before the messages it sent leave: every
// handler is a batch, and writes are durable before anything depends on
// them. With ExplicitSync the node syncs itself, and a node that sends a
// message before the writes it depends on are synced is caught by the
// crash that loses them.
//
// Clone is O(1): the copy shares the map with the original until either of
// them is written, when the writer takes a private copy (O(n) once). The
// Explorer clones a node's storage for every step it tries, and most steps
// write nothing. A Storage may be cloned from several goroutines at once as
// long as nothing writes to it meanwhile.
type Storage struct {
	m      map[string][]byte // values are never modified in place
	writes int
	syncs  int
	// dirty is set by a write since the last Sync; durable is then the
	// contents at that Sync (m before the writes), which a crash returns
	// to. durable shares its map with no writer: m is copied first.
	dirty   bool
	durable map[string][]byte
	// shared is set when m may be referenced by another Storage (or by
	// durable), so the next write must copy it first.
	shared atomic.Bool
}

// write prepares s.m for a write: the first write since a Sync keeps the
// synced contents for a crash to return to.
func (s *Storage) write() {
	if !s.dirty {
		s.dirty, s.durable = true, s.m
		if s.m != nil {
			s.shared.Store(true)
		}
	}
	s.own()
}

// Sync makes every write before it durable: a crash no longer loses them.
// It counts as one sync (Syncs) if there was anything to sync.
func (s *Storage) Sync() {
	if s.dirty {
		s.dirty, s.durable = false, nil
		s.syncs++
	}
}

// Dirty reports whether there are writes since the last Sync, which a
// crash would lose.
func (s *Storage) Dirty() bool { return s.dirty }

// Syncs returns the number of Sync calls that made writes durable: what a
// disk would count as fsyncs.
func (s *Storage) Syncs() int { return s.syncs }

// lose returns s to its contents at the last Sync, as a crash does.
func (s *Storage) lose() {
	if s.dirty {
		s.m, s.dirty, s.durable = s.durable, false, nil
		if s.m != nil {
			s.shared.Store(true)
		}
	}
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

// Put stores a copy of value under key, durable at the next Sync.
func (s *Storage) Put(key string, value []byte) {
	s.write()
	if s.m == nil {
		s.m = make(map[string][]byte)
	}
	s.m[key] = slices.Clone(value)
	s.writes++
}

// Delete removes key, durably at the next Sync.
func (s *Storage) Delete(key string) {
	if _, ok := s.m[key]; ok {
		s.write()
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
// storage since it was created: a measure of how much a protocol writes
// (Syncs counts how often it makes the writes durable).
func (s *Storage) Writes() int { return s.writes }

// Clone returns an independent copy, in O(1): see Storage.
func (s *Storage) Clone() *Storage {
	c := &Storage{m: s.m, writes: s.writes, syncs: s.syncs, dirty: s.dirty, durable: s.durable}
	if len(s.m) > 0 {
		s.shared.Store(true)
		c.shared.Store(true)
	}
	return c
}

// AppendState appends a canonical encoding of the contents (not the write
// and sync counts) to b: keys in sorted order, each key and value
// length-prefixed; and, if writes are not synced, a 1 and the synced
// contents encoded the same way, since a crash then behaves differently.
func (s *Storage) AppendState(b []byte) []byte {
	b = appendMap(b, s.m)
	if s.dirty {
		b = append(b, 1)
		b = appendMap(b, s.durable)
	}
	return b
}

// appendMap appends the canonical encoding of m to b.
func appendMap(b []byte, m map[string][]byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		v := m[k]
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b
}
