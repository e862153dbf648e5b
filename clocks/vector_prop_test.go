package clocks_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"pgregory.net/rapid"

	"github.com/eventually-perfect/primitives/clocks"
)

// mapClock is the naive reference vector clock the properties compare
// against: a map from ID to count written straight from the definitions
// (an absent ID counts zero; merge is the pointwise maximum; v <= o iff
// v[id] <= o[id] for every id). It is also the map-based baseline of the
// benchmarks.
type mapClock map[string]uint64

// merged returns a new map with the pointwise maximum (copy on merge).
func (m mapClock) merged(o mapClock) mapClock {
	r := maps.Clone(m)
	if r == nil {
		r = mapClock{}
	}
	for id, n := range o {
		if n > r[id] {
			r[id] = n
		}
	}
	return r
}

// compare walks both maps.
func (m mapClock) compare(o mapClock) clocks.Order {
	less, greater := false, false
	for id, n := range m {
		if n < o[id] {
			less = true
		} else if n > o[id] {
			greater = true
		}
	}
	for id, n := range o {
		if n > m[id] {
			less = true
		}
	}
	switch {
	case less && greater:
		return clocks.Concurrent
	case less:
		return clocks.Before
	case greater:
		return clocks.After
	}
	return clocks.Equal
}

// entries returns the non-zero entries sorted by ID, the form
// Vector.Entries must have.
func (m mapClock) entries() []clocks.Entry {
	var e []clocks.Entry
	for _, id := range slices.Sorted(maps.Keys(m)) {
		if m[id] != 0 {
			e = append(e, clocks.Entry{ID: id, Count: m[id]})
		}
	}
	return e
}

// vectorID draws IDs mostly from a small alphabet, so that clocks share
// entries and counts often tie, and sometimes awkward ones: empty,
// non-ASCII, invalid UTF-8, differing only by trailing zero bytes, and
// longer than 8 bytes with a common 8-byte prefix (Vector caches the first
// 8 bytes of each ID to compare them quickly), so that ordering is checked
// to be byte-wise everywhere.
var vectorID = rapid.OneOf(
	rapid.SampledFrom([]string{"a", "b", "c", "d", "e", "f"}),
	rapid.SampledFrom([]string{"", "\x00", "a\x00", "ab", "B", "é", "\xff", "a b", "abcdefgh", "abcdefgh\x00"}),
	rapid.SampledFrom([]string{"replica-", "replica-1", "replica-10", "replica-2", "replica-\x00", "replica-1\x00", "replic", "replica1", "replica2"}),
	rapid.StringN(0, 12, -1),
)

// vectorCount draws small counts, zero included, so that equal entries are
// common, and sometimes large ones, up to a little below MaxVectorCount so
// that a few ticks keep them encodable.
var vectorCount = rapid.OneOf(rapid.Uint64Range(0, 4), rapid.Uint64Range(0, clocks.MaxVectorCount-1000))

// drawVector draws a clock together with its reference map. It builds the
// clock in one of several ways (VectorOf, Set, Tick and Merge), so that the
// properties cover every constructor's output.
func drawVector(t *rapid.T, label string) (clocks.Vector, mapClock) {
	n := rapid.IntRange(0, 8).Draw(t, label+"_len")
	m := mapClock{}
	var v clocks.Vector
	switch rapid.IntRange(0, 2).Draw(t, label+"_how") {
	case 0:
		var e []clocks.Entry
		for range n {
			x := clocks.Entry{ID: vectorID.Draw(t, label+"_id"), Count: vectorCount.Draw(t, label+"_n")}
			e = append(e, x)
			m[x.ID] = max(m[x.ID], x.Count)
		}
		v = clocks.VectorOf(e...)
	case 1:
		for range n {
			id, c := vectorID.Draw(t, label+"_id"), vectorCount.Draw(t, label+"_n")
			v.Set(id, c)
			m[id] = c
		}
	default:
		for range n {
			id := vectorID.Draw(t, label+"_id")
			if rapid.Bool().Draw(t, label+"_tick") {
				v.Tick(id)
				m[id]++
			} else {
				c := vectorCount.Draw(t, label+"_n")
				v.Merge(clocks.VectorOf(clocks.Entry{ID: id, Count: c}))
				m[id] = max(m[id], c)
			}
		}
	}
	maps.DeleteFunc(m, func(_ string, c uint64) bool { return c == 0 })
	return v, m
}

// genVector is drawVector without the map, for properties that need only
// clocks.
var genVector = rapid.Custom(func(t *rapid.T) clocks.Vector {
	v, _ := drawVector(t, "v")
	return v
})

// checkWellFormed fails unless v's entries are sorted by ID, strictly, with
// no zero counts, and agree with Len and Get.
func checkWellFormed(t *rapid.T, v clocks.Vector, what string) {
	e := v.Entries()
	if len(e) != v.Len() {
		t.Fatalf("%s: Len is %d but Entries has %d: %v", what, v.Len(), len(e), v)
	}
	for i, x := range e {
		if x.Count == 0 {
			t.Fatalf("%s: a zero count is stored: %v", what, v)
		}
		if i > 0 && e[i-1].ID >= x.ID {
			t.Fatalf("%s: entries are not strictly sorted by ID: %v", what, v)
		}
		if v.Get(x.ID) != x.Count {
			t.Fatalf("%s: Get(%q) = %d disagrees with Entries (%d)", what, x.ID, v.Get(x.ID), x.Count)
		}
	}
}

// TestVectorStrongClockCondition replays random message-passing histories
// with one Vector per process, stamping each event by the rules of Fidge and
// Mattern (local: tick; send: tick, the message carries a copy; receive:
// merge, then tick), and checks the strong clock condition against
// happened-before computed from its definition (Lamport 1978, section 2):
// e -> f iff V(e) < V(f), and e || f iff V(e) and V(f) are incomparable.
func TestVectorStrongClockCondition(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := drawHistory(t, 5, 40)
		procs := make([]clocks.Vector, h.procs)
		stamp := make([]clocks.Vector, len(h.events))
		for i, ev := range h.events {
			v := &procs[ev.proc]
			if ev.kind == recvEvent {
				v.Merge(stamp[ev.msg]) // the message carried the sender's clone
			}
			v.Tick(procName(ev.proc))
			stamp[i] = v.Clone()
		}
		for i := range h.events {
			for j := range h.events {
				if i == j {
					continue
				}
				if got, want := stamp[i].HappenedBefore(stamp[j]), h.happenedBefore(i, j); got != want {
					t.Fatalf("strong clock condition violated: e%d -> e%d is %v but V(e%d)=%v < V(e%d)=%v is %v\n%s",
						i, j, want, i, stamp[i], j, stamp[j], got, h)
				}
				if got, want := stamp[i].ConcurrentWith(stamp[j]), h.concurrent(i, j); got != want {
					t.Fatalf("concurrency not detected exactly: e%d || e%d is %v but V(e%d)=%v || V(e%d)=%v is %v\n%s",
						i, j, want, i, stamp[i], j, stamp[j], got, h)
				}
			}
		}
	})
}

// TestVectorMergeIsAJoin checks the semilattice laws of Merge on the
// entries themselves, not only through Compare: commutative, associative,
// idempotent, with the empty clock as identity, and the result is the least
// upper bound of its inputs.
func TestVectorMergeIsAJoin(t *testing.T) {
	merge := func(x, y clocks.Vector) clocks.Vector {
		r := x.Clone()
		r.Merge(y)
		return r
	}
	rapid.Check(t, func(t *rapid.T) {
		a, ma := drawVector(t, "a")
		b, mb := drawVector(t, "b")
		c, _ := drawVector(t, "c")
		ab := merge(a, b)
		checkWellFormed(t, ab, "a merge b")
		if got, want := ab.Entries(), ma.merged(mb).entries(); !slices.Equal(got, want) {
			t.Fatalf("merge is not the pointwise maximum: %v merge %v = %v, want %v", a, b, got, want)
		}
		if x, y := ab.Entries(), merge(b, a).Entries(); !slices.Equal(x, y) {
			t.Fatalf("merge is not commutative: %v merge %v = %v but the other way %v", a, b, x, y)
		}
		if x, y := merge(ab, c).Entries(), merge(a, merge(b, c)).Entries(); !slices.Equal(x, y) {
			t.Fatalf("merge is not associative: (%v merge %v) merge %v = %v but %v", a, b, c, x, y)
		}
		if x := merge(a, a).Entries(); !slices.Equal(x, a.Entries()) {
			t.Fatalf("merge is not idempotent: %v merge itself = %v", a, x)
		}
		if x := merge(a, clocks.Vector{}).Entries(); !slices.Equal(x, a.Entries()) {
			t.Fatalf("the empty clock is not a right identity: %v merge {} = %v", a, x)
		}
		if x := merge(clocks.Vector{}, a).Entries(); !slices.Equal(x, a.Entries()) {
			t.Fatalf("the empty clock is not a left identity: {} merge %v = %v", a, x)
		}
		if !ab.Descends(a) || !ab.Descends(b) {
			t.Fatalf("merge is not an upper bound: %v merge %v = %v does not descend both", a, b, ab)
		}
		// Least: any clock that descends both inputs descends the merge. c
		// merged with both inputs is such a clock; c alone sometimes is.
		for _, w := range []clocks.Vector{merge(ab, c), c} {
			if w.Descends(a) && w.Descends(b) && !w.Descends(ab) {
				t.Fatalf("merge is not the least upper bound: %v descends %v and %v but not their merge %v", w, a, b, ab)
			}
		}
		// Merging into a copy that shares storage (w := v) gives the same
		// result as merging into an independent clone.
		shared := a
		shared.Merge(b)
		if x := shared.Entries(); !slices.Equal(x, ab.Entries()) {
			t.Fatalf("merge into a shared copy differs: %v, want %v", x, ab)
		}
		checkWellFormed(t, a, "a after merging into a copy of it")
	})
}

// TestVectorCompareIsAPartialOrder checks that Compare is the partial
// order of vector time (Mattern 1989): reflexive, antisymmetric,
// transitive, with Compare(b, a) the inverse of Compare(a, b), agreeing
// with the naive map-based reference, and that the helpers agree with it.
func TestVectorCompareIsAPartialOrder(t *testing.T) {
	leq := func(o clocks.Order) bool { return o == clocks.Equal || o == clocks.Before }
	rapid.Check(t, func(t *rapid.T) {
		a, ma := drawVector(t, "a")
		b, mb := drawVector(t, "b")
		c, _ := drawVector(t, "c")
		// Drawn independently, clocks are mostly concurrent; derive some
		// from each other so that every order is exercised.
		switch rapid.IntRange(0, 2).Draw(t, "relate") {
		case 1:
			b = a.Clone()
			b.Merge(genVector.Draw(t, "extra"))
			mb = mapClockOf(b)
		case 2:
			b = a.Clone()
			mb = mapClockOf(b)
		}
		ab := a.Compare(b)
		if want := ma.compare(mb); ab != want {
			t.Fatalf("Compare disagrees with the reference: %v vs %v gives %v, want %v", a, b, ab, want)
		}
		if got := a.Compare(a); got != clocks.Equal {
			t.Fatalf("Compare is not reflexive: %v vs itself is %v", a, got)
		}
		if ba := b.Compare(a); ba != ab.Invert() {
			t.Fatalf("Compare is not antisymmetric in form: %v vs %v is %v but the reverse is %v", a, b, ab, ba)
		}
		if leq(ab) && leq(b.Compare(a)) && ab != clocks.Equal {
			t.Fatalf("Compare is not antisymmetric: %v <= %v and back, but not Equal (%v)", a, b, ab)
		}
		if ab == clocks.Equal && (!a.Equal(b) || !slices.Equal(a.Entries(), b.Entries())) {
			t.Fatalf("Compare says Equal but the clocks differ: %v, %v", a, b)
		}
		if bc := b.Compare(c); leq(ab) && leq(bc) {
			ac := a.Compare(c)
			if !leq(ac) {
				t.Fatalf("Compare is not transitive: %v <= %v <= %v but %v vs %v is %v", a, b, c, a, c, ac)
			}
			if (ab == clocks.Before || bc == clocks.Before) && ac != clocks.Before {
				t.Fatalf("Before is not transitive: %v, %v, %v give %v, %v then %v", a, b, c, ab, bc, ac)
			}
		}
		if a.HappenedBefore(b) != (ab == clocks.Before) || a.ConcurrentWith(b) != (ab == clocks.Concurrent) ||
			a.Descends(b) != (ab == clocks.Equal || ab == clocks.After) || a.Equal(b) != (ab == clocks.Equal) {
			t.Fatalf("a helper disagrees with Compare = %v for %v, %v", ab, a, b)
		}
	})
}

// TestVectorPruneOnlyForgets checks what Prune guarantees: it keeps at most
// max entries, drops the smallest counts first (ties: smaller ID first),
// returns exactly what it removed, and the pruned clock only ever looks
// older than the original: if it compares After (or descends) a clock w,
// the original did too.
func TestVectorPruneOnlyForgets(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v, _ := drawVector(t, "v")
		w, _ := drawVector(t, "w")
		limit := rapid.IntRange(-1, 9).Draw(t, "max")
		p := v.Clone()
		dropped := p.Prune(limit)
		checkWellFormed(t, p, "pruned clock")
		if p.Len() > max(limit, 0) {
			t.Fatalf("Prune(%d) kept %d entries: %v", limit, p.Len(), p)
		}
		if want := min(v.Len(), max(limit, 0)); p.Len() != want {
			t.Fatalf("Prune(%d) of %v kept %d entries, want %d", limit, v, p.Len(), want)
		}
		if len(dropped) == 0 && dropped != nil {
			t.Fatalf("Prune returned an empty non-nil slice")
		}
		if !slices.IsSortedFunc(dropped, func(x, y clocks.Entry) int { return strings.Compare(x.ID, y.ID) }) {
			t.Fatalf("Prune did not return the dropped entries sorted by ID: %v", dropped)
		}
		back := p.Clone()
		back.Merge(clocks.VectorOf(dropped...))
		if !back.Equal(v) || len(dropped)+p.Len() != v.Len() {
			t.Fatalf("Prune did not return exactly what it removed: %v -> %v plus %v", v, p, dropped)
		}
		for _, d := range dropped {
			for id, n := range p.All() {
				if n < d.Count || n == d.Count && id < d.ID {
					t.Fatalf("Prune dropped %v but kept the smaller %s:%d", d, id, n)
				}
			}
		}
		if !v.Descends(p) {
			t.Fatalf("a pruned clock must be an ancestor or equal of the original: %v, %v", v, p)
		}
		pw, vw := p.Compare(w), v.Compare(w)
		if pw == clocks.After && vw != clocks.After {
			t.Fatalf("pruning invented an After: pruned %v vs %v is after, but the original %v is %v", p, w, v, vw)
		}
		if pw == clocks.Concurrent && vw != clocks.Concurrent && vw != clocks.After {
			t.Fatalf("pruning made a clock look newer: pruned %v vs %v is concurrent, original is %v", p, w, vw)
		}
		if p.Descends(w) && !v.Descends(w) {
			t.Fatalf("pruning invented a descent: %v descends %v but the original %v does not", p, w, v)
		}
	})
}

// TestVectorEncodingsRoundTripAndAreCanonical: decoding an encoding gives
// back the clock, and equal clocks, however built, encode to identical
// bytes (binary and JSON).
func TestVectorEncodingsRoundTripAndAreCanonical(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v, m := drawVector(t, "v")
		bin, err := v.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary(%v): %v", v, err)
		}
		var back clocks.Vector
		if err := back.UnmarshalBinary(bin); err != nil {
			t.Fatalf("binary round trip failed: %v encodes to %x which does not decode: %v", v, bin, err)
		}
		if !slices.Equal(back.Entries(), v.Entries()) {
			t.Fatalf("binary round trip changed the clock: %v -> %x -> %v", v, bin, back)
		}
		checkWellFormed(t, back, "decoded clock")

		// The same clock built another way: entries shuffled, with
		// explicit zeros mixed in, through VectorOf.
		e := m.entries()
		for _, id := range rapid.SliceOfN(vectorID, 0, 3).Draw(t, "zeros") {
			if m[id] == 0 {
				e = append(e, clocks.Entry{ID: id})
			}
		}
		perm := rapid.Permutation(e).Draw(t, "perm")
		same := clocks.VectorOf(perm...)
		bin2, err := same.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(bin, bin2) {
			t.Fatalf("binary encoding is not canonical: %v and %v are equal but encode to %x and %x", v, same, bin, bin2)
		}

		js, err := json.Marshal(v)
		if !utf8Entries(v) {
			if err == nil {
				t.Fatalf("MarshalJSON accepted an ID that is not UTF-8: %v", v)
			}
			return
		}
		if err != nil {
			t.Fatalf("MarshalJSON(%v): %v", v, err)
		}
		var fromJSON clocks.Vector
		if err := json.Unmarshal(js, &fromJSON); err != nil {
			t.Fatalf("JSON round trip failed: %v encodes to %s which does not decode: %v", v, js, err)
		}
		if !slices.Equal(fromJSON.Entries(), v.Entries()) {
			t.Fatalf("JSON round trip changed the clock: %v -> %s -> %v", v, js, fromJSON)
		}
		js2, _ := json.Marshal(same)
		if !bytes.Equal(js, js2) {
			t.Fatalf("JSON encoding is not canonical: %s and %s for equal clocks", js, js2)
		}
		var generic map[string]uint64
		if err := json.Unmarshal(js, &generic); err != nil || !maps.Equal(generic, map[string]uint64(m)) {
			t.Fatalf("JSON form %s does not read back as the object %v with encoding/json (%v)", js, m, err)
		}
	})
}

// utf8Entries reports whether every ID of v is valid UTF-8.
func utf8Entries(v clocks.Vector) bool {
	for id := range v.All() {
		if !utf8.ValidString(id) {
			return false
		}
	}
	return true
}

// vectorMachine is a model-based test of a Vector against a map from ID to
// count: every operation is applied to both and the results compared. It
// also keeps a plain copy (w := v) taken at some point, which must stay a
// well-formed clock whatever is done to v, and an independent Clone, which
// must not change at all.
type vectorMachine struct {
	v       clocks.Vector
	model   mapClock
	alias   clocks.Vector // a plain copy of v: shares storage
	clone   clocks.Vector // a Clone of v taken at the same time
	cloneOf []clocks.Entry
}

func (m *vectorMachine) Tick(t *rapid.T) {
	// Counts are drawn up to MaxVectorCount, so Tick cannot overflow here.
	id := vectorID.Draw(t, "id")
	got := m.v.Tick(id)
	m.model[id]++
	if got != m.model[id] {
		t.Fatalf("Tick(%q) returned %d, want %d", id, got, m.model[id])
	}
}

func (m *vectorMachine) Set(t *rapid.T) {
	id, n := vectorID.Draw(t, "id"), vectorCount.Draw(t, "n")
	m.v.Set(id, n)
	if n == 0 {
		delete(m.model, id)
	} else {
		m.model[id] = n
	}
}

func (m *vectorMachine) Get(t *rapid.T) {
	id := vectorID.Draw(t, "id")
	if got := m.v.Get(id); got != m.model[id] {
		t.Fatalf("Get(%q) = %d, want %d", id, got, m.model[id])
	}
}

func (m *vectorMachine) Merge(t *rapid.T) {
	o, mo := drawVector(t, "o")
	m.v.Merge(o)
	m.model = m.model.merged(mo)
	if got := o.Entries(); !slices.Equal(got, mo.entries()) {
		t.Fatalf("Merge changed its argument: %v, want %v", got, mo.entries())
	}
}

func (m *vectorMachine) Prune(t *rapid.T) {
	limit := rapid.IntRange(0, 8).Draw(t, "max")
	dropped := m.v.Prune(limit)
	// The model: order by (count, ID) and drop from the front.
	e := m.model.entries()
	slices.SortFunc(e, func(x, y clocks.Entry) int {
		if x.Count != y.Count {
			return cmp.Compare(x.Count, y.Count)
		}
		return strings.Compare(x.ID, y.ID)
	})
	var want []clocks.Entry
	if k := len(e) - limit; k > 0 {
		want = e[:k]
		for _, x := range want {
			delete(m.model, x.ID)
		}
		slices.SortFunc(want, func(x, y clocks.Entry) int { return strings.Compare(x.ID, y.ID) })
	}
	if !slices.Equal(dropped, want) {
		t.Fatalf("Prune(%d) dropped %v, want %v", limit, dropped, want)
	}
}

func (m *vectorMachine) Snapshot(t *rapid.T) {
	m.alias = m.v
	m.clone = m.v.Clone()
	m.cloneOf = m.v.Entries()
}

func (m *vectorMachine) MutateAlias(t *rapid.T) {
	// Mutating the plain copy may show through v only as changed counts of
	// IDs v already has: never as an ID added, removed or replaced.
	ids := slices.Collect(maps.Keys(m.model))
	slices.Sort(ids)
	if rapid.Bool().Draw(t, "tick") {
		m.alias.Tick(vectorID.Draw(t, "id"))
	} else {
		m.alias.Set(vectorID.Draw(t, "id"), vectorCount.Draw(t, "n"))
	}
	var after []string
	for id := range m.v.All() {
		after = append(after, id)
	}
	if !slices.Equal(ids, after) {
		t.Fatalf("mutating a plain copy changed the IDs of the original: %q, was %q", after, ids)
	}
	m.model = mapClockOf(m.v)
}

func (m *vectorMachine) Check(t *rapid.T) {
	checkWellFormed(t, m.v, "clock")
	if got, want := m.v.Entries(), m.model.entries(); !slices.Equal(got, want) {
		t.Fatalf("clock %v disagrees with the model %v", got, want)
	}
	checkWellFormed(t, m.alias, "plain copy of the clock")
	if got := m.clone.Entries(); !slices.Equal(got, m.cloneOf) {
		t.Fatalf("a Clone changed when the original did: %v, want %v", got, m.cloneOf)
	}
}

func TestVectorStateMachine(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := &vectorMachine{model: mapClock{}}
		t.Repeat(rapid.StateMachineActions(m))
	})
}

// TestVectorStringIsDeterministic: equal clocks print identically, and the
// printed form lists every entry.
func TestVectorStringIsDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v, m := drawVector(t, "v")
		w := clocks.VectorOf(rapid.Permutation(m.entries()).Draw(t, "perm")...)
		if v.String() != w.String() {
			t.Fatalf("String is not deterministic: %s vs %s for equal clocks", v, w)
		}
		want := make([]string, 0, len(m))
		for _, e := range m.entries() {
			want = append(want, e.String())
		}
		if got := "{" + strings.Join(want, ", ") + "}"; v.String() != got {
			t.Fatalf("String = %s, want %s", v, got)
		}
	})
}
