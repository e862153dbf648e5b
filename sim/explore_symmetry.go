package sim

import (
	"cmp"
	"encoding/binary"
	"slices"
)

// This file holds symmetry reduction (ExploreConfig.Symmetric): the hash
// of a state's canonical representative.
//
// A renaming π permutes the symmetric group's nodes and leaves the others
// alone. The renamed state π(s) has at position π(i) what node i has in s,
// with every identifier inside renamed by π: node values (Renamable),
// storages (RenameStorage), messages (sender, destination, and
// RenameMessage). Two states are symmetric if one is a renaming of the
// other; the canonical hash of s is the least hash of an encoding of π(s),
// over a set P(s) of renamings such that P(σ(s)) = P(s)∘σ⁻¹ for every
// renaming σ. Then {π(s) : π ∈ P(s)} is the same set of states for s and
// σ(s), and so is its least hash: symmetric states get the same canonical
// hash, and different classes different ones (up to hash collisions).
//
// P(s) is every renaming when all the group's nodes look alike. To make it
// smaller, each node gets a key that no renaming changes (key(σ(s), σ(i))
// = key(s, i)): whether it is up, its timer names, its storage's hash if
// storage holds no identifiers, and the multisets of the messages it sent
// and is sent (counted, and fingerprinted by their bodies when messages
// hold no identifiers). P(s) is then the set of renamings that put the
// group's nodes in the order of their keys: one per ordering of each run
// of equal keys. States of a protocol whose nodes have already diverged
// need a handful of encodings, not g!.

// symScratch is one worker's scratch space for symHash.
type symScratch struct {
	ids   []string
	sym   []int // the group, in node order
	symOf []int // node -> position in sym, or -1
	// perm maps a group position k to the position perm[k] its node is
	// renamed to; inv is its inverse.
	perm, inv []int
	order     []int       // group positions, sorted by key
	runs      [][2]int    // runs of equal keys in order
	keys      [][2]uint64 // each group position's key
	sums      [][2]uint64 // each group position's messages: sent, received
	rename    func(id string) string
	msgs      []flightHash // the renamed messages in flight
	buf       []byte       // the renamed state's encoding
	nbuf      []byte       // one node's renamed encoding
	sbuf      []byte       // a node value's or storage's renamed encoding
}

// flightHash is a renamed message in flight: its hash and copies.
type flightHash struct {
	h     [2]uint64
	count int32
}

func (z *symScratch) init(ids []string, sym, symOf []int) {
	g := len(sym)
	z.ids, z.sym, z.symOf = ids, sym, symOf
	z.perm, z.inv, z.order = make([]int, g), make([]int, g), make([]int, g)
	z.keys = make([][2]uint64, g)
	z.sums = make([][2]uint64, g)
	names := make([]string, g) // the group's identifiers
	for k, i := range sym {
		names[k] = ids[i]
	}
	// A scan of a few short strings is faster than a map lookup.
	z.rename = func(id string) string {
		for k, name := range names {
			if name == id {
				return names[z.perm[k]]
			}
		}
		return id
	}
}

// renameIndex returns the name node i (-1: a client named id) has under
// the renaming.
func (z *symScratch) renameIndex(i int, id string) string {
	if i < 0 || z.symOf[i] < 0 {
		return id
	}
	return z.ids[z.sym[z.perm[z.symOf[i]]]]
}

// symHash returns the hash of the canonical representative of s's class
// under the group's renamings. Cost: the keys (one pass over the nodes and
// messages), then one renamed encoding of s (each node's AppendRenamed,
// RenameStorage and each message renamed and hashed, plus a sort of the
// messages) per renaming in P(s).
func (w *worker[M, N]) symHash(s *state[M, N]) [2]uint64 {
	z := &w.sym
	g := len(z.sym)
	w.symKeys(s)
	for k := range z.order {
		z.order[k] = k
	}
	slices.SortStableFunc(z.order, func(a, b int) int { return compareHash(z.keys[a], z.keys[b]) })
	var best [2]uint64
	first := true
	// Enumerate the orderings of each run of equal keys: order[r] is the
	// group position whose node is renamed to group position r.
	runs := z.runs[:0]
	for lo := 0; lo < g; {
		hi := lo + 1
		for hi < g && z.keys[z.order[hi]] == z.keys[z.order[lo]] {
			hi++
		}
		runs = append(runs, [2]int{lo, hi})
		lo = hi
	}
	z.runs = runs
	var visit func(run int)
	visit = func(run int) {
		if run == len(runs) {
			for r, k := range z.order {
				z.perm[k] = r
				z.inv[r] = k
			}
			h := w.renamedHash(s)
			if first || compareHash(h, best) < 0 {
				best, first = h, false
			}
			return
		}
		lo, hi := runs[run][0], runs[run][1]
		permute(z.order[lo:hi], func() { visit(run + 1) })
	}
	visit(0)
	if best == ([2]uint64{}) {
		best[1] = 1 // the visited set's empty slot
	}
	return best
}

// permute calls f once for each ordering of a (Heap's algorithm), which
// it leaves in one of them.
func permute(a []int, f func()) {
	var gen func(n int)
	gen = func(n int) {
		if n <= 1 {
			f()
			return
		}
		for i := range n - 1 {
			gen(n - 1)
			if n%2 == 0 {
				a[i], a[n-1] = a[n-1], a[i]
			} else {
				a[0], a[n-1] = a[n-1], a[0]
			}
		}
		gen(n - 1)
	}
	gen(len(a))
}

// symKeys computes each group node's key: features of its part of s that
// no renaming changes.
func (w *worker[M, N]) symKeys(s *state[M, N]) {
	x, z := w.x, &w.sym
	plain := x.cfg.RenameMessage == nil
	sums := z.sums
	clear(sums)
	for _, e := range s.flight {
		m := e.msg
		for side, end := range [2]int{m.from, m.to} {
			if end < 0 || z.symOf[end] < 0 {
				continue
			}
			// The message as its group end sees it: its body if it holds
			// no identifiers, and the other end if that is not in the
			// group (a renaming keeps it).
			f := uint64(side + 1)
			if plain {
				other := m.to
				if side == 1 {
					other = m.from
				}
				b := binary.AppendVarint(z.nbuf[:0], int64(other))
				if other >= 0 && z.symOf[other] >= 0 {
					b = binary.AppendVarint(b[:0], -2) // some group node
				}
				b = append(b, m.enc[m.body:]...)
				z.nbuf = b
				f = hash128(b)[0] ^ uint64(side+1)
			}
			sums[z.symOf[end]][side] += f * uint64(e.count)
		}
	}
	for k, i := range z.sym {
		slot := &s.nodes[i]
		b := z.buf[:0]
		if slot.up {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
		b = binary.AppendUvarint(b, uint64(len(slot.timers)))
		for _, name := range slot.timers {
			b = appendString(b, name)
		}
		if x.cfg.RenameStorage == nil {
			b = appendHash(b, slot.sh)
		}
		b = appendHash(b, sums[k])
		z.buf = b
		z.keys[k] = hash128(b)
	}
}

// renamedHash hashes the encoding of π(s) for the renaming in w.sym.perm:
// each position's renamed node, the budgets, and the renamed messages in
// flight (sorted by hash, or in queue order under DelayBounding).
func (w *worker[M, N]) renamedHash(s *state[M, N]) [2]uint64 {
	x, z := w.x, &w.sym
	b := z.buf[:0]
	for j := range s.nodes {
		i := j
		if r := z.symOf[j]; r >= 0 {
			i = z.sym[z.inv[r]] // the node renamed to position j
		}
		b = appendHash(b, w.renamedNodeHash(&s.nodes[i]))
	}
	for _, u := range s.used[:x.encodedBudgets] {
		b = binary.AppendUvarint(b, uint64(u))
	}
	z.msgs = z.msgs[:0]
	for _, e := range s.flight {
		z.msgs = append(z.msgs, flightHash{h: w.renamedMessageHash(e.msg), count: e.count})
	}
	if !x.ordered {
		slices.SortFunc(z.msgs, func(a, b flightHash) int { return compareHash(a.h, b.h) })
	}
	b = binary.AppendUvarint(b, uint64(len(z.msgs)))
	for _, m := range z.msgs {
		b = appendHash(b, m.h)
		b = binary.AppendUvarint(b, uint64(m.count))
	}
	z.buf = b
	return hash128(b)
}

// renamedNodeHash hashes one node's part of a state under the renaming,
// as nodeHash does without one.
func (w *worker[M, N]) renamedNodeHash(slot *nodeSlot[N]) [2]uint64 {
	x, z := w.x, &w.sym
	b := z.nbuf[:0]
	if slot.up {
		z.sbuf = x.appendRenamed(slot.n, z.sbuf[:0], z.rename)
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(z.sbuf)))
		b = append(b, z.sbuf...)
	} else {
		b = append(b, 0)
	}
	if x.cfg.RenameStorage != nil {
		z.sbuf = x.cfg.RenameStorage(z.sbuf[:0], slot.storage, z.rename)
		b = appendHash(b, hash128(z.sbuf))
	} else {
		b = appendHash(b, slot.sh)
	}
	b = binary.AppendUvarint(b, uint64(len(slot.timers)))
	for _, name := range slot.timers {
		b = appendString(b, name)
	}
	z.nbuf = b
	return hash128(b)
}

// renamedMessageHash hashes a message's encoding under the renaming.
func (w *worker[M, N]) renamedMessageHash(m *message[M]) [2]uint64 {
	x, z := w.x, &w.sym
	b := appendString(z.sbuf[:0], z.renameIndex(m.from, m.env.From))
	b = appendString(b, z.renameIndex(m.to, m.env.To))
	if x.cfg.RenameMessage != nil {
		b = x.cfg.RenameMessage(b, m.env.Msg, z.rename)
	} else {
		b = append(b, m.enc[m.body:]...)
	}
	z.sbuf = b
	return hash128(b)
}

func compareHash(a, b [2]uint64) int {
	return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
}
