package crdt

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strings"
)

// kernel is the dot store shared by the causal types (Almeida et al.
// 2018, section 7.1, the "dot kernel"): a map from keys to the dots that
// support them, plus the causal context of everything seen. A key is
// present while it has a dot; a dot seen in the context but absent from
// the entries has been removed, so no tombstone is needed.
//
// The layout is made for large states. A key's dot is stored in the map
// itself as a slot (counter and replica index of up to two dots), without
// pointers, so that a merge reads no memory beyond the map and the garbage
// collector need not scan it (for keys without pointers). The replica IDs
// are held once, in a table (reps) that the slots index. The rare keys
// with more than two dots (concurrent adds at three replicas or more) keep
// them in a second map (more), as sorted lists.
//
// Invariants: every dot of the entries is in the context; no dot supports
// two keys; a key has one or two dots in its slot or at least three in
// more; dots are sorted (cmpDot) in slots and lists; lists are never
// modified in place, so states may share them; reps has no duplicates and
// its backing arrays are never written once shared (it is only extended
// by copying, or replaced), so clones and value copies may share it.
type kernel[K comparable] struct {
	entries map[K]slot
	more    map[K][]Dot // the dots of the keys whose slot is many
	reps    []string    // replica IDs, indexed by slot.r
	ctx     CausalContext
	owner   string  // the replica of this copy's latest update; see identity.go
	mine    *recent // the stamps of this copy's latest updates
	guard   *guard  // set inside ORMap.Update: the one replica mutators may use
}

// slot holds a key's dots: reps[r]:n, then reps[r2]:n2 if n2 > 0; or, if
// n is 0, a mark that the key has more than two, in kernel.more.
type slot struct {
	n, n2 uint64
	r, r2 uint32
}

func (s slot) many() bool { return s.n == 0 }

// pdot is a dot with its replica as an index into reps.
type pdot struct {
	n uint64
	r uint32
}

// pdots returns the dots of s (not many) and their number.
func (s slot) pdots() ([2]pdot, int) {
	if s.n2 == 0 {
		return [2]pdot{{s.n, s.r}}, 1
	}
	return [2]pdot{{s.n, s.r}, {s.n2, s.r2}}, 2
}

// dot returns the Dot of p.
func (k *kernel[K]) dot(p pdot) Dot { return Dot{k.reps[p.r], p.n} }

// list returns key's dots given its slot; dots held in the slot are put
// in buf.
func (k *kernel[K]) list(key K, s slot, buf *[2]Dot) []Dot {
	if s.many() {
		return k.more[key]
	}
	buf[0] = Dot{k.reps[s.r], s.n}
	if s.n2 == 0 {
		return buf[:1]
	}
	buf[1] = Dot{k.reps[s.r2], s.n2}
	return buf[:]
}

// slotOf returns the slot of one or two sorted dots of k's replicas.
func slotOf(ps []pdot) slot {
	s := slot{n: ps[0].n, r: ps[0].r}
	if len(ps) > 1 {
		s.n2, s.r2 = ps[1].n, ps[1].r
	}
	return s
}

// cmpPdot orders dots of k's replicas as cmpDot orders Dots.
func (k *kernel[K]) cmpPdot(a, b pdot) int {
	if a.r != b.r {
		return strings.Compare(k.reps[a.r], k.reps[b.r])
	}
	return cmp.Compare(a.n, b.n)
}

// rep returns the index of replica in reps, adding it if new.
func (k *kernel[K]) rep(replica string) uint32 {
	if i := slices.Index(k.reps, replica); i >= 0 {
		return uint32(i)
	}
	k.reps = append(slices.Clip(k.reps), replica)
	return uint32(len(k.reps) - 1)
}

// translate returns, for each replica of names, its index in reps,
// adding those that are new (in one copy).
func (k *kernel[K]) translate(names []string) []uint32 {
	tr := make([]uint32, len(names))
	var index map[string]uint32
	if len(k.reps) > 16 {
		index = make(map[string]uint32, len(k.reps))
		for i, r := range k.reps {
			index[r] = uint32(i)
		}
	}
	reps := k.reps
	for i, r := range names {
		j, ok := -1, false
		if index != nil {
			var x uint32
			x, ok = index[r]
			j = int(x)
		} else {
			j = slices.Index(reps, r)
			ok = j >= 0
		}
		if !ok {
			if len(reps) == len(k.reps) {
				reps = slices.Clip(reps)
			}
			reps = append(reps, r)
			j = len(reps) - 1
			if index != nil {
				index[r] = uint32(j)
			}
		}
		tr[i] = uint32(j)
	}
	k.reps = reps
	return tr
}

// seenBy answers, for the dots of one side, whether a context has seen
// them, with the context's vector resolved once per replica of the side.
type seenBy struct {
	reps  []string
	upto  []uint64 // the context's vector entry for reps[i]
	cloud []bool   // whether the context's cloud has dots of reps[i]
	ctx   *CausalContext
	any   bool // some dot of reps has been seen
}

func resolve(reps []string, c *CausalContext) seenBy {
	v := seenBy{reps: reps, upto: make([]uint64, len(reps)), cloud: make([]bool, len(reps)), ctx: c}
	var clouded map[string]bool
	if len(c.cloud) > 0 {
		clouded = map[string]bool{}
		for _, d := range c.cloud {
			clouded[d.Replica] = true
		}
	}
	for i, r := range reps {
		v.upto[i] = c.vv.Get(r)
		v.cloud[i] = clouded[r]
		v.any = v.any || v.upto[i] > 0 || v.cloud[i]
	}
	return v
}

// has reports whether the context has seen p.
func (v *seenBy) has(p pdot) bool {
	if p.n <= v.upto[p.r] {
		return true
	}
	if !v.cloud[p.r] {
		return false
	}
	return v.ctx.inCloud(Dot{v.reps[p.r], p.n})
}

// hasAny reports whether the context has seen a dot of s (not many).
func (v *seenBy) hasAny(s slot) bool {
	return v.has(pdot{s.n, s.r}) || s.n2 > 0 && v.has(pdot{s.n2, s.r2})
}

// allows reports whether a mutator may run at replica: always, except
// inside ORMap.Update, where the map's replica is the only one (see
// guard).
func (k *kernel[K]) allows(replica string) bool { return k.guard.allows(replica) }

// put replaces key's dots with a new dot of replica and returns the delta:
// the key with its new dot, and a context of the old dots and the new one.
func (k *kernel[K]) put(replica string, key K) kernel[K] {
	d := k.ctx.next(replica)
	var delta kernel[K]
	old, had := k.entries[key]
	if had {
		var buf [2]Dot
		for _, x := range k.list(key, old, &buf) {
			delta.ctx.add(x)
		}
	}
	delta.ctx.add(d)
	delta.entries = map[K]slot{key: {n: d.Counter}}
	delta.reps = []string{replica}
	if k.entries == nil {
		k.entries = map[K]slot{}
	}
	if had && old.many() {
		delete(k.more, key)
	}
	k.entries[key] = slot{n: d.Counter, r: k.rep(replica)}
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
	if s, ok := k.entries[key]; ok {
		var buf [2]Dot
		for _, d := range k.list(key, s, &buf) {
			delta.ctx.add(d)
		}
		delete(k.entries, key)
		delete(k.more, key)
	}
	return delta
}

// clear removes every key and returns the delta.
func (k *kernel[K]) clear() kernel[K] {
	var delta kernel[K]
	k.eachDot(delta.ctx.add)
	k.entries, k.more = nil, nil
	return delta
}

// conflict reports a dot that supports different keys in k and o: two
// copies of one replica issued the same dot for different updates. Dots of
// o that k has seen but does not hold under the same key are normally
// ones k removed; only if there are such dots are k's entries scanned
// (O(|k|), sequentially, with a range check per dot before any lookup) for
// one of them under another key.
func (k *kernel[K]) conflict(o kernel[K]) error {
	if err := k.ctx.identityConflict(o.ctx, k.owner, k.mine, "merge"); err != nil {
		return err
	}
	seen := resolve(o.reps, &k.ctx)
	if !seen.any {
		return nil // k has seen none of o's dots
	}
	var suspects map[Dot]bool
	var obuf, kbuf [2]Dot
	for key, os := range o.entries {
		if !os.many() && !seen.hasAny(os) {
			continue // new to k: nothing to compare (and no lookup)
		}
		var ds []Dot
		looked := false
		for _, d := range o.list(key, os, &obuf) {
			if !k.ctx.Contains(d) {
				continue
			}
			if !looked {
				if s, ok := k.entries[key]; ok {
					ds = k.list(key, s, &kbuf)
				}
				looked = true
			}
			if !slices.Contains(ds, d) {
				if suspects == nil {
					suspects = map[Dot]bool{}
				}
				suspects[d] = true
			}
		}
	}
	if len(suspects) == 0 {
		return nil
	}
	lo, hi := make([]uint64, len(k.reps)), make([]uint64, len(k.reps))
	for i := range lo {
		lo[i] = math.MaxUint64
	}
	index := make(map[string]int, len(k.reps))
	for i, r := range k.reps {
		index[r] = i
	}
	for d := range suspects {
		if i, ok := index[d.Replica]; ok {
			lo[i], hi[i] = min(lo[i], d.Counter), max(hi[i], d.Counter)
		}
	}
	for key, s := range k.entries {
		if s.many() {
			for _, d := range k.more[key] {
				if suspects[d] {
					return dotConflict(d)
				}
			}
			continue
		}
		ps, n := s.pdots()
		for _, p := range ps[:n] {
			if lo[p.r] <= p.n && p.n <= hi[p.r] && suspects[k.dot(p)] {
				return dotConflict(k.dot(p))
			}
		}
	}
	return nil
}

func dotConflict(d Dot) error {
	return fmt.Errorf("crdt: dot %v supports different updates on the two sides: %w", d, ErrReplicaConflict)
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
// The replica IDs of both sides are resolved against the other side's
// context once, so that deciding whether a one-dot key survives costs an
// array lookup and no string comparison. A key of k is looked up in o only
// if o has seen its dot (and none is, when o has seen no dot of k's
// replicas); keys with several dots take a slower path with dot lists
// built in a reused buffer.
func (k *kernel[K]) joinStore(o kernel[K], mine, theirs CausalContext) {
	if len(k.entries)+len(o.entries) <= smallStore {
		k.joinLists(o, mine, theirs)
		return
	}
	switch {
	case mine.covers(&theirs):
		k.dropSeen(o, theirs)
		return
	case theirs.covers(&mine):
		k.takeTheirs(o, mine)
		return
	}
	if len(o.entries) > 0 && k.entries == nil {
		k.entries = make(map[K]slot, len(o.entries))
	}
	var tr []uint32
	if len(o.entries) > 0 {
		tr = k.translate(o.reps)
	}
	seenByO := resolve(k.reps, &theirs)
	seenByK := resolve(o.reps, &mine)
	var st dotStore
	if seenByO.any {
		for key, s := range k.entries {
			if !s.many() {
				if !seenByO.hasAny(s) {
					continue // o has seen none of key's dots: they stay
				}
				if _, ok := o.entries[key]; ok {
					continue // handled below
				}
				// o has seen and removed the dots it has seen.
				ps, n := s.pdots()
				kept := ps[:0]
				for _, p := range ps[:n] {
					if !seenByO.has(p) {
						kept = append(kept, p)
					}
				}
				if len(kept) == 0 {
					delete(k.entries, key)
				} else {
					k.entries[key] = slotOf(kept)
				}
				continue
			}
			ds := k.more[key]
			if !slices.ContainsFunc(ds, theirs.Contains) {
				continue
			}
			if _, ok := o.entries[key]; ok {
				continue // handled below
			}
			kept := st.buf[:0]
			for _, d := range ds {
				if !theirs.Contains(d) {
					kept = append(kept, d)
				}
			}
			st.buf = kept
			k.setDots(key, s, kept, &st)
		}
	}
	var kbuf, obuf [2]Dot
	for key, os := range o.entries {
		s, ok := k.entries[key]
		if !os.many() && !(ok && s.many()) {
			// At most two dots on each side, held in the slots.
			var kd [2]pdot
			nk := 0
			if ok {
				kd, nk = s.pdots()
			}
			od, no := os.pdots()
			var kept [4]pdot
			c := 0
			for _, p := range kd[:nk] {
				q := p
				if !seenByO.has(q) || no > 0 && q == (pdot{od[0].n, tr[od[0].r]}) || no > 1 && q == (pdot{od[1].n, tr[od[1].r]}) {
					kept[c] = q
					c++
				}
			}
			mineKept := c
			for _, p := range od[:no] {
				if !seenByK.has(p) {
					kept[c] = pdot{p.n, tr[p.r]}
					c++
				}
			}
			switch {
			case c == nk && mineKept == nk:
				// unchanged
			case c == 0:
				delete(k.entries, key)
			case c <= 2:
				if c == 2 && k.cmpPdot(kept[0], kept[1]) > 0 {
					kept[0], kept[1] = kept[1], kept[0]
				}
				k.entries[key] = slotOf(kept[:c])
			default:
				ds := st.buf[:0]
				for _, p := range kept[:c] {
					ds = append(ds, k.dot(p))
				}
				slices.SortFunc(ds, cmpDot)
				st.buf = ds
				k.setDots(key, s, ds, &st)
			}
			continue
		}
		var ds []Dot
		if ok {
			ds = k.list(key, s, &kbuf)
		}
		ods := o.list(key, os, &obuf)
		kept := st.buf[:0]
		for _, d := range ds {
			if !theirs.Contains(d) || slices.Contains(ods, d) {
				kept = append(kept, d)
			}
		}
		for _, d := range ods {
			if !mine.Contains(d) {
				kept = append(kept, d)
			}
		}
		st.buf = kept
		slices.SortFunc(kept, cmpDot)
		k.setDots(key, s, kept, &st)
	}
}

// smallStore is the size up to which joinStore works on dot lists
// without resolving the replicas first (ORMap values are often that
// small, and merged one by one under the same contexts). A variable so
// that tests can send small states down either path.
var smallStore = 16

// joinLists is joinStore on dot lists, dot by dot: no setup per merge.
func (k *kernel[K]) joinLists(o kernel[K], mine, theirs CausalContext) {
	if len(k.entries) == 0 {
		k.reps = slices.Clip(o.reps) // share the table rather than build it dot by dot
	}
	var scratch [8]Dot
	buf := scratch[:0] // stays on the stack: setDots copies what it keeps
	var st dotStore
	var kbuf, obuf [2]Dot
	for key, s := range k.entries {
		if _, ok := o.entries[key]; ok {
			continue // handled below
		}
		ds := k.list(key, s, &kbuf)
		if !slices.ContainsFunc(ds, theirs.Contains) {
			continue
		}
		kept := buf[:0]
		for _, d := range ds {
			if !theirs.Contains(d) {
				kept = append(kept, d)
			}
		}
		buf = kept
		k.setDots(key, s, kept, &st)
	}
	for key, os := range o.entries {
		s, ok := k.entries[key]
		var ds []Dot
		if ok {
			ds = k.list(key, s, &kbuf)
		}
		ods := o.list(key, os, &obuf)
		kept := buf[:0]
		for _, d := range ds {
			if !theirs.Contains(d) || slices.Contains(ods, d) {
				kept = append(kept, d)
			}
		}
		for _, d := range ods {
			if !mine.Contains(d) {
				kept = append(kept, d)
			}
		}
		buf = kept
		if !ok && len(kept) == 0 || ok && slices.Equal(kept, ds) {
			continue
		}
		slices.SortFunc(kept, cmpDot)
		if k.entries == nil {
			k.entries = make(map[K]slot, len(o.entries))
		}
		k.setDots(key, s, kept, &st)
	}
}

// trSlot returns s (not many) with its replica indexes mapped by tr.
func trSlot(s slot, tr []uint32) slot {
	s.r = tr[s.r]
	if s.n2 > 0 {
		s.r2 = tr[s.r2]
	}
	return s
}

// dropSeen is joinStore when o has seen nothing that k has not (theirs
// within mine): o brings no dot, so k only loses the dots o has seen and
// does not hold. Only k's keys with dots o has seen are looked up in o
// (none, when o has seen no dot of k's replicas).
func (k *kernel[K]) dropSeen(o kernel[K], theirs CausalContext) {
	seenByO := resolve(k.reps, &theirs)
	if !seenByO.any {
		return
	}
	var tr []uint32
	if len(o.entries) > 0 {
		tr = k.translate(o.reps)
	}
	var st dotStore
	var kbuf, obuf [2]Dot
	for key, s := range k.entries {
		if !s.many() {
			if !seenByO.hasAny(s) {
				continue // o has seen none of key's dots: they stay
			}
			os, ok := o.entries[key]
			if ok && !os.many() && trSlot(os, tr) == s {
				continue // o has the same dots
			}
			if !ok || !os.many() {
				var od [2]pdot
				no := 0
				if ok {
					od, no = trSlot(os, tr).pdots()
				}
				ps, n := s.pdots()
				kept := ps[:0]
				for _, p := range ps[:n] {
					if !seenByO.has(p) || no > 0 && p == od[0] || no > 1 && p == od[1] {
						kept = append(kept, p)
					}
				}
				if len(kept) == 0 {
					delete(k.entries, key)
				} else {
					k.entries[key] = slotOf(kept)
				}
				continue
			}
		}
		ds := k.list(key, s, &kbuf)
		if !slices.ContainsFunc(ds, theirs.Contains) {
			continue
		}
		var ods []Dot
		if os, ok := o.entries[key]; ok {
			ods = o.list(key, os, &obuf)
		}
		kept := st.buf[:0]
		for _, d := range ds {
			if !theirs.Contains(d) || slices.Contains(ods, d) {
				kept = append(kept, d)
			}
		}
		st.buf = kept
		if len(kept) != len(ds) {
			k.setDots(key, s, kept, &st)
		}
	}
}

// takeTheirs is joinStore when k has seen nothing that o has not (mine
// within theirs): every dot of k has been seen by o, so k's entries become
// o's, less the dots k has seen and does not hold. They are built from a
// copy of o's; only o's keys with dots k has seen are looked up in k.
func (k *kernel[K]) takeTheirs(o kernel[K], mine CausalContext) {
	out := kernel[K]{entries: maps.Clone(o.entries), more: maps.Clone(o.more), reps: slices.Clip(o.reps)}
	seenByK := resolve(o.reps, &mine)
	if seenByK.any {
		tr := k.indexes(o.reps)
		var st dotStore
		var kbuf, obuf [2]Dot
		for key, os := range o.entries {
			if !os.many() {
				if !seenByK.hasAny(os) {
					continue // new to k: it stays
				}
				s, ok := k.entries[key]
				if ok && !s.many() {
					// Compare in o's replica indexes (a replica k lacks
					// maps to none of k's).
					ps, n := os.pdots()
					kd, nk := s.pdots()
					kept := ps[:0]
					for _, p := range ps[:n] {
						if !seenByK.has(p) || tr[p.r] >= 0 && (pdot{p.n, uint32(tr[p.r])} == kd[0] || nk > 1 && pdot{p.n, uint32(tr[p.r])} == kd[1]) {
							kept = append(kept, p)
						}
					}
					switch {
					case len(kept) == n:
					case len(kept) == 0:
						delete(out.entries, key)
					default:
						out.entries[key] = slotOf(kept)
					}
					continue
				}
			}
			ods := o.list(key, os, &obuf)
			if !slices.ContainsFunc(ods, mine.Contains) {
				continue
			}
			var ds []Dot
			if s, ok := k.entries[key]; ok {
				ds = k.list(key, s, &kbuf)
			}
			kept := st.buf[:0]
			for _, d := range ods {
				if !mine.Contains(d) || slices.Contains(ds, d) {
					kept = append(kept, d)
				}
			}
			st.buf = kept
			if len(kept) != len(ods) {
				out.setDots(key, os, kept, &st)
			}
		}
	}
	if len(out.entries) == 0 {
		out.entries, out.more = nil, nil
	}
	k.entries, k.more, k.reps = out.entries, out.more, out.reps
}

// indexes returns, for each replica of names, its index in reps, or -1.
func (k *kernel[K]) indexes(names []string) []int32 {
	tr := make([]int32, len(names))
	for i, r := range names {
		tr[i] = int32(slices.Index(k.reps, r))
	}
	return tr
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

// setDots stores kept (a sorted scratch list) as key's dots, given its
// old slot.
func (k *kernel[K]) setDots(key K, old slot, kept []Dot, st *dotStore) {
	switch {
	case len(kept) == 0:
		delete(k.entries, key)
		if old.many() {
			delete(k.more, key)
		}
	case len(kept) <= 2:
		if old.many() {
			delete(k.more, key)
		}
		s := slot{n: kept[0].Counter, r: k.rep(kept[0].Replica)}
		if len(kept) == 2 {
			s.n2, s.r2 = kept[1].Counter, k.rep(kept[1].Replica)
		}
		if k.entries == nil {
			k.entries = map[K]slot{}
		}
		k.entries[key] = s
	default:
		if old.many() && slices.Equal(kept, k.more[key]) {
			return
		}
		if k.entries == nil {
			k.entries = map[K]slot{}
		}
		if k.more == nil {
			k.more = map[K][]Dot{}
		}
		k.entries[key] = slot{}
		k.more[key] = st.keep(kept)
	}
}

func (k kernel[K]) clone() kernel[K] {
	var c kernel[K]
	if len(k.entries) > 0 {
		c.entries = maps.Clone(k.entries)
	}
	if len(k.more) > 0 {
		c.more = maps.Clone(k.more) // lists shared: they are immutable
	}
	c.reps = slices.Clip(k.reps)
	c.ctx = k.ctx.Clone()
	return c
}

func (k kernel[K]) equal(o kernel[K]) bool {
	if !k.ctx.Equal(o.ctx) || len(k.entries) != len(o.entries) || len(k.more) != len(o.more) {
		return false
	}
	same := slices.Equal(k.reps, o.reps)
	for key, s := range k.entries {
		os, ok := o.entries[key]
		switch {
		case !ok || s.many() != os.many():
			return false
		case s.many():
			if !slices.Equal(k.more[key], o.more[key]) {
				return false
			}
		case same:
			if s != os {
				return false
			}
		default:
			var a, b [2]Dot
			if !slices.Equal(k.list(key, s, &a), o.list(key, os, &b)) {
				return false
			}
		}
	}
	return true
}

// dots returns the number of dots in the entries.
func (k kernel[K]) dots() int {
	n := 0
	for key, s := range k.entries {
		switch {
		case s.many():
			n += len(k.more[key])
		case s.n2 > 0:
			n += 2
		default:
			n++
		}
	}
	return n
}

// keyCodec encodes keys canonically: decode(encode(k)) == k, and decode
// accepts only what encode writes: encode(decode(b)) == b.
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
	out, err := sortedKeys(k.entries, kc)
	if err != nil {
		return nil, err
	}
	few := make([]Dot, 0, 2*(len(k.entries)-len(k.more)))
	for i := range out {
		key := out[i].key
		s := k.entries[key]
		if s.many() {
			out[i].dots = k.more[key]
			continue
		}
		var buf [2]Dot
		n := len(few)
		few = append(few, k.list(key, s, &buf)...)
		out[i].dots = few[n:len(few):len(few)]
	}
	return out, nil
}

// sortedKeys returns the keys of m with their encodings (no dots), sorted
// by the encodings.
func sortedKeys[K comparable, V any](m map[K]V, kc keyCodec[K]) ([]encodedKey[K], error) {
	out := make([]encodedKey[K], 0, len(m))
	for key := range m {
		b, err := kc.encode(key)
		if err != nil {
			return nil, err
		}
		if len(b) > MaxElementLen {
			return nil, fmt.Errorf("element of %d bytes: %w", len(b), ErrTooLarge)
		}
		out = append(out, encodedKey[K]{enc: b, key: key})
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

// minEntryBytes is the fewest bytes an encoded entry takes: a key length
// and one byte of key, a dot count, and a dot (an empty replica's length
// and a counter).
const minEntryBytes = 5

// decodeKernel decodes what appendBinary writes and checks the
// invariants. It allocates the entries map (sized for the entries the
// count claims, of which the input holds at most one per minEntryBytes),
// each replica ID once, each key's decoded value, the dot lists of keys
// with more than two dots (exactly), and, at the end, 8 or 16 bytes per
// dot to check that no dot supports two keys.
func decodeKernel[K comparable](d *decoder, kc keyCodec[K]) (kernel[K], error) {
	var k kernel[K]
	ctx, err := d.context()
	if err != nil {
		return k, err
	}
	k.ctx = ctx
	n, err := d.count("entries", minEntryBytes)
	if err != nil {
		return k, err
	}
	// The dots' replicas are those of the context (where they must be).
	reps := repTable{hint: min(ctx.vv.Len(), len(d.b)/minEntryBytes) + 1}
	k.reps = make([]string, 0, min(reps.hint, 64))
	var prev []byte
	total := 0
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
			return k, d.errf("element %q: %v", enc, err)
		}
		nd, err := d.count("dots", 2)
		if err != nil {
			return k, err
		}
		if nd == 0 {
			return k, d.errf("element without dots")
		}
		var ps [2]pdot
		var list []Dot // grown as dots are read, not as nd claims
		var last Dot
		for j := range nd {
			rb, c, err := d.dotParts()
			if err != nil {
				return k, err
			}
			r := reps.index(&k.reps, rb)
			x := Dot{k.reps[r], c}
			if j > 0 && cmpDot(last, x) >= 0 {
				return k, d.errf("dots not sorted")
			}
			if !ctx.Contains(x) {
				return k, d.errf("dot %v outside the causal context", x)
			}
			last = x
			if nd <= 2 {
				ps[j] = pdot{c, r}
			} else {
				list = append(list, x)
			}
		}
		total += nd
		if k.entries == nil {
			// Sized for the entries the input can hold if they take 8
			// bytes or more, as all but the first thousand do.
			k.entries = make(map[K]slot, min(n, len(d.b)/8+1))
		}
		if nd > 2 {
			if k.more == nil {
				k.more = map[K][]Dot{}
			}
			k.entries[key] = slot{}
			k.more[key] = slices.Clip(list)
			continue
		}
		k.entries[key] = slotOf(ps[:nd])
	}
	if len(d.b) != 0 {
		return k, d.errf("%d trailing bytes", len(d.b))
	}
	if x, dup := k.sharedDot(total, &reps); dup {
		return k, d.errf("dot %v supports two elements", x)
	}
	k.reps = slices.Clip(k.reps)
	return k, nil
}

// repTable finds replica IDs in a kernel's reps while decoding, so that
// each ID is allocated once: by a linear search while there are few, by
// a map beyond.
type repTable struct {
	m    map[string]uint32
	hint int // the replicas expected (those of the causal context)
}

const repTableLinear = 8

// index returns the index of the replica rb in reps, appending it if new.
func (t *repTable) index(reps *[]string, rb []byte) uint32 {
	if t.m == nil {
		for i, r := range *reps {
			if r == string(rb) {
				return uint32(i)
			}
		}
		if len(*reps) < repTableLinear {
			*reps = append(*reps, string(rb))
			return uint32(len(*reps) - 1)
		}
		t.m = make(map[string]uint32, max(2*repTableLinear, t.hint))
		for i, r := range *reps {
			t.m[r] = uint32(i)
		}
	}
	if i, ok := t.m[string(rb)]; ok {
		return i
	}
	r := string(rb)
	*reps = append(*reps, r)
	t.m[r] = uint32(len(*reps) - 1)
	return uint32(len(*reps) - 1)
}

// lookup returns the index of replica r, which index has seen.
func (t *repTable) lookup(reps []string, r string) uint32 {
	if t.m != nil {
		return t.m[r]
	}
	return uint32(slices.Index(reps, r))
}

// sharedDot reports a dot that supports two keys, given the number of
// dots (total) and the table that indexed the replicas. It sorts the
// dots, packed into one 8-byte word each when the counters and replica
// indexes fit (16 bytes otherwise).
func (k *kernel[K]) sharedDot(total int, reps *repTable) (Dot, bool) {
	if total < 2 {
		return Dot{}, false
	}
	return sortedShared(total, k.reps, func(f func(pdot)) { k.eachPdot(reps, f) })
}

// sharedDot reports a dot that each calls twice, given the number of dots
// (total) and a hint of the number of replicas.
func sharedDot(total, replicas int, each func(func(Dot))) (Dot, bool) {
	if total < 2 {
		return Dot{}, false
	}
	index := make(map[string]uint32, replicas+1)
	var names []string
	each(func(x Dot) {
		if _, ok := index[x.Replica]; !ok {
			index[x.Replica] = uint32(len(names))
			names = append(names, x.Replica)
		}
	})
	return sortedShared(total, names, func(f func(pdot)) {
		each(func(x Dot) { f(pdot{x.Counter, index[x.Replica]}) })
	})
}

// sortedShared finds a repeated dot among the total dots that each
// gives, whose replicas index names.
func sortedShared(total int, names []string, each func(func(pdot))) (Dot, bool) {
	var top uint64
	each(func(p pdot) { top = max(top, p.n) })
	rbits := bits.Len(uint(len(names)))
	if bits.Len64(top)+rbits <= 64 {
		xs := make([]uint64, 0, total)
		each(func(p pdot) { xs = append(xs, uint64(p.r)<<(64-rbits)|p.n) })
		slices.Sort(xs)
		for i := 1; i < len(xs); i++ {
			if xs[i] == xs[i-1] {
				mask := uint64(1)<<(64-rbits) - 1
				return Dot{names[xs[i]>>(64-rbits)], xs[i] & mask}, true
			}
		}
		return Dot{}, false
	}
	ps := make([]pdot, 0, total)
	each(func(p pdot) { ps = append(ps, p) })
	slices.SortFunc(ps, func(a, b pdot) int {
		if a.r != b.r {
			return cmp.Compare(a.r, b.r)
		}
		return cmp.Compare(a.n, b.n)
	})
	for i := 1; i < len(ps); i++ {
		if ps[i] == ps[i-1] {
			return Dot{names[ps[i].r], ps[i].n}, true
		}
	}
	return Dot{}, false
}

// eachPdot calls f for every dot of the entries, as a pdot.
func (k *kernel[K]) eachPdot(reps *repTable, f func(pdot)) {
	for key, s := range k.entries {
		if !s.many() {
			ps, n := s.pdots()
			for _, p := range ps[:n] {
				f(p)
			}
			continue
		}
		for _, d := range k.more[key] {
			f(pdot{d.Counter, reps.lookup(k.reps, d.Replica)})
		}
	}
}

// dotsWithin returns the number of k's dots and whether one of them lies
// outside c (without a closure, which an interface call would allocate).
func (k kernel[K]) dotsWithin(c *CausalContext) (n int, outside bool) {
	for key, s := range k.entries {
		if s.many() {
			for _, d := range k.more[key] {
				n++
				outside = outside || !c.Contains(d)
			}
			continue
		}
		ps, m := s.pdots()
		for _, p := range ps[:m] {
			n++
			outside = outside || !c.Contains(k.dot(p))
		}
	}
	return n, outside
}

// eachDot calls f for every dot of the entries.
func (k kernel[K]) eachDot(f func(Dot)) {
	for key, s := range k.entries {
		if !s.many() {
			f(Dot{k.reps[s.r], s.n})
			if s.n2 > 0 {
				f(Dot{k.reps[s.r2], s.n2})
			}
			continue
		}
		for _, d := range k.more[key] {
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
