package clocks

import (
	"cmp"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Limits enforced by the Vector encoders and decoders. A decoder rejects
// input beyond them with an error wrapping ErrTooLarge before allocating for
// it, and an encoder refuses (with the same error) to produce an encoding
// its own decoder would reject, so every encoding round-trips.
const (
	// MaxVectorEntries is the largest number of entries in an encoded
	// Vector. Real version vectors stay far below it; Prune keeps them there.
	MaxVectorEntries = 1 << 16
	// MaxIDLen is the longest identifier, in bytes, in an encoded Vector.
	MaxIDLen = 1024
	// MaxVectorCount is the largest count in an encoded Vector.
	//
	// Ticking one entry a billion times a second takes 292 years to pass
	// 2^63, so a larger count in a message means a corrupt or hostile peer.
	// Accepting it would let one message push an entry to the top of its
	// range, where the receiver's next Tick would overflow. Capping decoded
	// counts at 2^63-1 leaves 2^63 ticks of headroom after any merge, and
	// keeps every count representable as a signed 64-bit integer.
	MaxVectorCount = math.MaxInt64
)

// vectorFormat is the version byte that opens every binary Vector encoding.
const vectorFormat = 1

// Entry is one component of a Vector: the number of events of the process
// (or replica) ID that the clock has seen.
type Entry struct {
	ID    string
	Count uint64
}

// String returns "id:count", with the ID quoted as in Vector.String.
func (e Entry) String() string {
	return string(appendEntry(nil, e))
}

// Vector is a vector clock (Fidge 1988; Mattern, "Virtual Time and Global
// States of Distributed Systems", 1989), also used as a version vector
// (Parker et al., "Detection of Mutual Inconsistency in Distributed
// Systems", 1983). It maps process or replica IDs to event counts and
// characterises causality exactly: for events e and f stamped V(e) and V(f)
// by the rules below, e happened before f if and only if
// V(e).HappenedBefore(V(f)), and they are concurrent if and only if
// V(e).ConcurrentWith(V(f)) (the strong clock condition).
//
// The rules, for a process with identifier self and clock v:
//
//   - local event or send: v.Tick(self); a message carries v.Clone();
//   - receipt of a message carrying m: v.Merge(m), then v.Tick(self).
//
// Used as a version vector for replicated data, a replica ticks its own ID
// when it updates the data and merges the vector of any version it
// incorporates; Compare then tells whether one version supersedes another or
// the two conflict (Concurrent).
//
// # Representation
//
// The vector is sparse: an absent ID counts zero, so {a:1} and {a:1, b:0}
// are the same clock, and zero counts are never stored. Entries are kept in
// a slice sorted by ID (byte-wise string order), which makes Compare and
// Merge a single merge-walk over both operands: O(n+m) time with no
// allocation. Each entry also caches the first 8 bytes of its ID as an
// integer, so the walks match and order IDs of up to 8 bytes without
// comparing strings (an entry takes 32 bytes plus its ID). Get and Tick of a
// present ID take O(log n) by binary search; adding an ID that is not yet
// present, or removing one, copies the entries (O(n), one allocation). IDs
// are arbitrary strings (the empty string included); the binary and JSON
// encodings limit them to MaxIDLen bytes.
//
// The zero value is the empty clock, ready to use: it has seen no event, it
// is Equal to every other empty clock and happened before every non-empty
// one.
//
// # Copies
//
// A Vector value refers to its entries, like a slice: after w := v the two
// share storage, and a Tick, Set or Merge through &v that only changes the
// count of an ID already present may be visible through w too (until one
// of them adds or removes an ID, which gives it storage of its own). Use
// Clone to obtain an independent copy, for example before sending a clock
// in a message or storing it beside a version. The mutating methods (Tick, Set,
// Merge, Prune, PruneFunc, UnmarshalBinary, UnmarshalJSON) have pointer
// receivers; the rest take the Vector by value. The package never writes
// past the end of the entries or moves them in place, so however copies are
// used, each one remains a well-formed clock (sorted, no zeros). Merge never
// lets the receiver share storage with its argument, and every slice the
// methods return is freshly allocated.
//
// A Vector is not safe for concurrent mutation: guard it with a mutex if
// several goroutines update it. Any number of goroutines may call the
// non-mutating methods at once, as long as nothing mutates the Vector or a
// copy that shares its storage meanwhile.
type Vector struct {
	// e holds the entries sorted by ID, strictly increasing, with no zero
	// counts; nil when empty. Structural changes (inserting or removing an
	// ID) always build a new slice; only counts are updated in place.
	e []slot
}

// slot is an Entry with the first bytes of its ID cached as an integer, so
// that the merge-walks of Compare and Merge can match and order IDs of up to
// 8 bytes (most replica IDs) with integer comparisons, without calling into
// the runtime to compare strings.
type slot struct {
	key uint64 // idKey(ID)
	Entry
}

// idKey packs the first 8 bytes of id big-endian, padding with zero bytes.
// Keys order IDs consistently with byte-wise string order: if idKey(x) <
// idKey(y) then x < y. Equal keys leave the order to the rest of the
// strings, except that two IDs of at most 8 bytes with equal keys differ at
// most by trailing zero bytes, so their lengths decide.
func idKey(id string) uint64 {
	var k uint64
	for i := range min(len(id), 8) {
		k |= uint64(id[i]) << (56 - 8*i)
	}
	return k
}

// newSlot returns the slot for id with count n.
func newSlot(id string, n uint64) slot {
	return slot{key: idKey(id), Entry: Entry{ID: id, Count: n}}
}

// sameID reports whether x and y hold the same ID.
func sameID(x, y *slot) bool {
	return x.key == y.key && len(x.ID) == len(y.ID) && (len(x.ID) <= 8 || x.ID == y.ID)
}

// lessID reports whether x's ID sorts before y's, given that they differ.
func lessID(x, y *slot) bool {
	if x.key != y.key {
		return x.key < y.key
	}
	if len(x.ID) <= 8 && len(y.ID) <= 8 {
		return len(x.ID) < len(y.ID)
	}
	return x.ID < y.ID
}

// cmpID orders slots by ID, for sorting.
func cmpID(x, y slot) int {
	switch {
	case sameID(&x, &y):
		return 0
	case lessID(&x, &y):
		return -1
	}
	return 1
}

// VectorOf returns a Vector with the given entries, which may come in any
// order. Zero counts are dropped; if an ID appears more than once, its
// largest count is kept. The result does not share storage with entries.
// It costs O(n log n) for n entries.
func VectorOf(entries ...Entry) Vector {
	e := make([]slot, 0, len(entries))
	for _, x := range entries {
		if x.Count != 0 {
			e = append(e, newSlot(x.ID, x.Count))
		}
	}
	if len(e) == 0 {
		return Vector{}
	}
	slices.SortFunc(e, cmpID)
	out := e[:1]
	for _, x := range e[1:] {
		if last := &out[len(out)-1]; sameID(&x, last) {
			last.Count = max(last.Count, x.Count)
			continue
		}
		out = append(out, x)
	}
	return Vector{e: slices.Clip(out)}
}

// search returns the position of id in the sorted entries e, or the
// position where it would be inserted, and whether it is present.
func search(e []slot, id string) (int, bool) {
	x := newSlot(id, 0)
	lo, hi := 0, len(e)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if y := &e[m]; y.key < x.key || y.key == x.key && !sameID(y, &x) && lessID(y, &x) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(e) && sameID(&e[lo], &x)
}

// insertAt returns a new slice with x inserted at position i of e.
func insertAt(e []slot, i int, x slot) []slot {
	n := make([]slot, len(e)+1)
	copy(n, e[:i])
	n[i] = x
	copy(n[i+1:], e[i:])
	return n
}

// removeAt returns a new slice without position i of e (nil if empty).
func removeAt(e []slot, i int) []slot {
	if len(e) == 1 {
		return nil
	}
	n := make([]slot, len(e)-1)
	copy(n, e[:i])
	copy(n[i:], e[i+1:])
	return n
}

// Tick records an event of process id: it increments id's count and returns
// the new count (1 if id was absent). It costs O(log n) if id is present,
// O(n) with one allocation if it is new.
//
// Tick panics if the count would overflow uint64. Ticking alone cannot get
// there in any realistic lifetime, and decoders accept counts of at most
// MaxVectorCount, leaving 2^63 ticks of headroom after any merge; only Set or
// VectorOf with a count close to 2^64 can reach it.
func (v *Vector) Tick(id string) uint64 {
	i, ok := search(v.e, id)
	if !ok {
		v.e = insertAt(v.e, i, newSlot(id, 1))
		return 1
	}
	c := v.e[i].Count
	if c == math.MaxUint64 {
		panic("clocks: Vector.Tick overflows the count of " + strconv.Quote(id))
	}
	v.e[i].Count = c + 1
	return c + 1
}

// Set sets id's count to n; n == 0 removes the entry. Set can move a count
// backwards, which no clock rule does: it is meant for building clocks in
// tests and for restoring state. It costs O(log n) to change a present
// entry, O(n) with one allocation to add or remove one.
func (v *Vector) Set(id string, n uint64) {
	i, ok := search(v.e, id)
	switch {
	case ok && n == 0:
		v.e = removeAt(v.e, i)
	case ok:
		v.e[i].Count = n
	case n != 0:
		v.e = insertAt(v.e, i, newSlot(id, n))
	}
}

// Get returns id's count, 0 if absent. It costs O(log n).
func (v Vector) Get(id string) uint64 {
	if i, ok := search(v.e, id); ok {
		return v.e[i].Count
	}
	return 0
}

// Merge sets v to the pointwise maximum of v and o, the least clock that
// descends both (their join). It costs O(n+m) for n and m entries. When every
// ID of o is already in v, the common case between replicas of one system,
// it updates v in place and allocates nothing; otherwise it builds one new
// slice for the union. v never shares storage with o afterwards.
func (v *Vector) Merge(o Vector) {
	a, b := v.e, o.e
	i, j := 0, 0
	for j < len(b) && i < len(a) {
		if x, y := &a[i], &b[j]; sameID(x, y) {
			if y.Count > x.Count {
				x.Count = y.Count
			}
			i++
			j++
		} else if lessID(x, y) {
			i++
		} else {
			break // y is an ID that v lacks
		}
	}
	if j == len(b) {
		return
	}
	v.e = mergeGrow(a, b, i, j)
}

// mergeGrow returns a new slice holding the union of a and b with the
// larger count for common IDs, given that a[:i] already holds the merge of
// itself with b[:j].
func mergeGrow(a, b []slot, i, j int) []slot {
	n := i
	for p, q := i, j; ; n++ {
		if p == len(a) {
			n += len(b) - q
			break
		}
		if q == len(b) {
			n += len(a) - p
			break
		}
		if x, y := &a[p], &b[q]; sameID(x, y) {
			p++
			q++
		} else if lessID(x, y) {
			p++
		} else {
			q++
		}
	}
	out := make([]slot, i, n)
	copy(out, a[:i])
	for i < len(a) && j < len(b) {
		if x, y := a[i], b[j]; sameID(&x, &y) {
			x.Count = max(x.Count, y.Count)
			out = append(out, x)
			i++
			j++
		} else if lessID(&x, &y) {
			out = append(out, x)
			i++
		} else {
			out = append(out, y)
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// Compare returns how v relates to o in causal order: Equal if the counts
// agree everywhere; Before if v <= o pointwise and they differ (v happened
// before o: o has seen everything v has, and more); After if o happened
// before v; Concurrent otherwise (each has seen an event the other has
// not). It costs O(n+m) in one merge-walk and allocates nothing.
func (v Vector) Compare(o Vector) Order {
	a, b := v.e, o.e
	// First walk both in lockstep while the IDs coincide, the common case
	// between replicas of one system, accumulating in d whether v is
	// behind o (bit 0) and ahead of it (bit 1) somewhere.
	var d uint8
	n := min(len(a), len(b))
	a0, b0 := a[:n], b[:n]
	i := 0
	for ; i < len(a0); i++ {
		x, y := &a0[i], &b0[i]
		if !sameID(x, y) {
			break
		}
		d |= b2u(x.Count < y.Count) | b2u(x.Count > y.Count)<<1
	}
	if d == 3 {
		return Concurrent
	}
	// Then the general merge-walk from where the IDs first differ.
	less, greater := d&1 != 0, d&2 != 0
	j := i
	for i < len(a) && j < len(b) {
		x, y := &a[i], &b[j]
		if sameID(x, y) {
			if x.Count < y.Count {
				less = true
			} else if x.Count > y.Count {
				greater = true
			}
			i++
			j++
		} else if lessID(x, y) {
			greater = true // only v has x.ID
			i++
		} else {
			less = true // only o has y.ID
			j++
		}
		if less && greater {
			return Concurrent
		}
	}
	greater = greater || i < len(a)
	less = less || j < len(b)
	switch {
	case less && greater:
		return Concurrent
	case less:
		return Before
	case greater:
		return After
	}
	return Equal
}

// b2u converts a bool to 0 or 1 without a branch.
func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// HappenedBefore reports whether v.Compare(o) == Before: o has seen every
// event v has seen, and at least one more.
func (v Vector) HappenedBefore(o Vector) bool { return v.Compare(o) == Before }

// ConcurrentWith reports whether v.Compare(o) == Concurrent: each clock has
// seen an event the other has not.
func (v Vector) ConcurrentWith(o Vector) bool { return v.Compare(o) == Concurrent }

// Descends reports whether v has seen every event o has seen: v >= o
// pointwise, that is v.Compare(o) is Equal or After. Every clock descends
// itself and the empty clock. It costs O(n+m) and allocates nothing.
func (v Vector) Descends(o Vector) bool {
	a, b := v.e, o.e
	if len(a) < len(b) {
		return false // o has an ID that v lacks
	}
	i := 0
	for k := range b {
		y := &b[k]
		for i < len(a) && !sameID(&a[i], y) && lessID(&a[i], y) {
			i++
		}
		if i == len(a) || !sameID(&a[i], y) || a[i].Count < y.Count {
			return false
		}
		i++
	}
	return true
}

// Equal reports whether v and o are the same clock: every ID has the same
// count in both (absent counting as zero). It costs O(n).
func (v Vector) Equal(o Vector) bool {
	if len(v.e) != len(o.e) {
		return false
	}
	for i := range v.e {
		if x, y := &v.e[i], &o.e[i]; x.Count != y.Count || !sameID(x, y) {
			return false
		}
	}
	return true
}

// Len returns the number of IDs with a non-zero count.
func (v Vector) Len() int { return len(v.e) }

// All returns an iterator over the IDs with a non-zero count and their
// counts, in increasing order of ID. Mutating v during the iteration does
// not affect it.
func (v Vector) All() iter.Seq2[string, uint64] {
	e := v.e
	return func(yield func(string, uint64) bool) {
		for _, x := range e {
			if !yield(x.ID, x.Count) {
				return
			}
		}
	}
}

// Entries returns the non-zero entries sorted by ID, in a new slice the
// caller owns; nil if v is empty.
func (v Vector) Entries() []Entry {
	if len(v.e) == 0 {
		return nil
	}
	e := make([]Entry, len(v.e))
	for i, x := range v.e {
		e[i] = x.Entry
	}
	return e
}

// Clone returns an independent copy of v: mutating either one never affects
// the other.
func (v Vector) Clone() Vector { return Vector{e: slices.Clone(v.e)} }

// String returns the clock as "{a:1, b:2}", sorted by ID; "{}" when empty.
// An ID made only of ASCII letters, digits and the characters _ - . / @ is
// written as it is; any other ID (empty, or containing spaces, ':', ',',
// quotes, braces, non-ASCII or non-printable bytes) is written as a Go
// quoted string, as strconv.Quote does: {"node 1":2, "host:7000":1}. The
// result is deterministic, so it can be compared in tests and logs.
func (v Vector) String() string {
	b := make([]byte, 0, 2+8*len(v.e))
	b = append(b, '{')
	for i, x := range v.e {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendEntry(b, x.Entry)
	}
	return string(append(b, '}'))
}

// appendEntry appends "id:count" with the ID quoted when it is not simple.
func appendEntry(b []byte, e Entry) []byte {
	if simpleID(e.ID) {
		b = append(b, e.ID...)
	} else {
		b = strconv.AppendQuote(b, e.ID)
	}
	b = append(b, ':')
	return strconv.AppendUint(b, e.Count, 10)
}

// simpleID reports whether id can be printed without quotes.
func simpleID(id string) bool {
	if id == "" {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '_', c == '-', c == '.', c == '/', c == '@':
		default:
			return false
		}
	}
	return true
}

// Prune keeps at most max entries: if v has more, it removes those with the
// smallest counts (among equal counts, the smaller ID first) and returns the
// removed entries sorted by ID, so that the caller can log or otherwise
// handle them; it returns nil if nothing was removed. A negative max counts
// as zero. It costs O(n log n) and allocates only when it removes entries.
//
// Pruning bounds the size of version vectors that would otherwise grow with
// every replica or client that ever wrote: Riak prunes each object's clock
// once it has more than small_vclock entries (its big_vclock, young_vclock
// and old_vclock bucket properties tune when), removing the entries that
// were updated longest ago. A count is a proxy for that age here; use
// PruneFunc to choose the entries by another rule.
//
// Pruning loses information, and always in one direction: the pruned clock
// claims to have seen less than it has. Writing p for the pruned v:
//
//   - If p.Compare(w) is After, so is v.Compare(w), and if p descends w, so
//     does v: those answers stay true.
//   - If v happened after w, p may compare Concurrent with w (a false
//     conflict: a version store keeps both versions as siblings and asks
//     the application to resolve them), Equal, or even Before w.
//   - If v is concurrent with w, p may compare Before w.
//
// The last two cases are the dangerous ones: a store that discards
// versions dominated by another would discard p's version although it holds
// updates w lacks. For example, with w = {a:1, b:5} and v = {a:2, b:5} (v
// saw w and one more event of a), v.Prune(1) removes a:2 and leaves {b:5},
// which compares Before w. Riak mitigates this by pruning only entries
// untouched for a long time (old_vclock), which no live version is likely
// still to carry; prune only entries that are no longer in use, and prefer
// a large max.
func (v *Vector) Prune(max int) []Entry {
	if max < 0 {
		max = 0
	}
	k := len(v.e) - max // how many entries to drop
	if k <= 0 {
		return nil
	}
	byCount := v.Entries()
	slices.SortFunc(byCount, func(x, y Entry) int {
		if c := cmp.Compare(x.Count, y.Count); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	last := byCount[k-1]   // the last entry to drop in (count, ID) order
	dropped := byCount[:0] // reuses byCount's storage: only last is still needed
	var kept []slot
	if max > 0 {
		kept = make([]slot, 0, max)
	}
	for _, x := range v.e {
		if x.Count < last.Count || x.Count == last.Count && x.ID <= last.ID {
			dropped = append(dropped, x.Entry)
		} else {
			kept = append(kept, x)
		}
	}
	v.e = kept
	return slices.Clip(dropped)
}

// PruneFunc removes every entry for which drop returns true and returns the
// removed entries sorted by ID, or nil if none was removed (also when drop
// is nil). drop is called once per entry, in order of ID. It costs O(n) and
// allocates only when it removes entries. The caveats of Prune apply.
func (v *Vector) PruneFunc(drop func(e Entry) bool) []Entry {
	if drop == nil {
		return nil
	}
	var dropped []Entry
	var kept []slot
	for i, x := range v.e {
		if !drop(x.Entry) {
			if dropped != nil {
				kept = append(kept, x)
			}
			continue
		}
		if dropped == nil {
			kept = make([]slot, i, len(v.e)-1)
			copy(kept, v.e[:i])
		}
		dropped = append(dropped, x.Entry)
	}
	if dropped == nil {
		return nil
	}
	if len(kept) == 0 {
		kept = nil
	}
	v.e = kept
	return dropped
}
