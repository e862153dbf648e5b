package crdt

import (
	"errors"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/eventually-perfect/primitives/clocks"
)

// allocCase is an input for a decoder, chosen to make it allocate as
// much as possible per input byte.
type allocCase struct {
	name   string
	input  []byte
	decode func([]byte) error
	want   error   // the error expected (nil: the input is valid)
	bound  float64 // the most the decoder may allocate per input byte
}

// The bounds the test holds the decoders to (package documentation,
// "Decoding costs"): 16 bytes per input byte, except for the binary
// encoding of maps of tiny values, where each value is a dot store with
// its own hash map (about 300 bytes in Go, and a slot of about 150 bytes
// in the map's own hash map) encoded in about 20 bytes; and nothing for
// entries beyond the limits.
const (
	allocBound      = 16
	mapAllocBound   = 36
	refusedAllocMax = 1
)

// shortID returns the i-th of a sequence of short, distinct replica IDs.
func shortID(i int) string { return strconv.FormatInt(int64(i), 36) }

func must[T any](x T, err error) T {
	if err != nil {
		panic(err)
	}
	return x
}

// counterOf returns a counter of n replicas with the shortest IDs.
func counterOf(n int) GCounter {
	e := make([]centry, n)
	for i := range e {
		e[i] = centry{shortID(i), 1, uint64(i) * 0x9e3779b97f4a7c15}
	}
	slices.SortFunc(e, func(a, b centry) int { return strings.Compare(a.id, b.id) })
	return GCounter{e: e}
}

// allocCases returns the worst cases, for states of about n entries.
func allocCases(n int) []allocCase {
	var cs []allocCase
	add := func(name string, input []byte, decode func([]byte) error) {
		cs = append(cs, allocCase{name: name, input: input, decode: decode, bound: allocBound})
	}
	both := func(name string, s interface {
		MarshalBinary() ([]byte, error)
		MarshalJSON() ([]byte, error)
	}, bin, js func([]byte) error) {
		add(name+"/binary", must(s.MarshalBinary()), bin)
		add(name+"/json", must(s.MarshalJSON()), js)
	}
	// Counters: replicas with the shortest IDs.
	g := counterOf(n)
	both("gcounter", g, func(b []byte) error { var x GCounter; return x.UnmarshalBinary(b) },
		func(b []byte) error { var x GCounter; return x.UnmarshalJSON(b) })
	pn := PNCounter{p: counterOf(n), n: counterOf(n)}
	both("pncounter", pn, func(b []byte) error { var x PNCounter; return x.UnmarshalBinary(b) },
		func(b []byte) error { var x PNCounter; return x.UnmarshalJSON(b) })
	// Grow-only and two-phase sets of small integers and short strings.
	var gi GSet[int]
	var gs GSet[string]
	var tp TwoPSet[int]
	for i := range n {
		gi.Add(i)
		gs.Add(shortID(i))
		tp.Add(i)
		tp.Remove(i)
	}
	both("gset[int]", gi, func(b []byte) error { var x GSet[int]; return x.UnmarshalBinary(b) },
		func(b []byte) error { var x GSet[int]; return x.UnmarshalJSON(b) })
	both("gset[string]", gs, func(b []byte) error { var x GSet[string]; return x.UnmarshalBinary(b) },
		func(b []byte) error { var x GSet[string]; return x.UnmarshalJSON(b) })
	both("twopset[int]", tp, func(b []byte) error { var x TwoPSet[int]; return x.UnmarshalBinary(b) },
		func(b []byte) error { var x TwoPSet[int]; return x.UnmarshalJSON(b) })
	// Causal sets: many elements of one replica.
	var oi ORSet[int]
	var os ORSet[string]
	var rw RWSet[int]
	for i := range n {
		oi.Add("a", i)
		os.Add("a", shortID(i))
		rw.Remove("a", i)
	}
	both("orset[int]", oi, func(b []byte) error { var x ORSet[int]; return x.UnmarshalBinary(b) },
		func(b []byte) error { var x ORSet[int]; return x.UnmarshalJSON(b) })
	both("orset[string]", os, func(b []byte) error { var x ORSet[string]; return x.UnmarshalBinary(b) },
		func(b []byte) error { var x ORSet[string]; return x.UnmarshalJSON(b) })
	both("rwset[int]", rw, func(b []byte) error { var x RWSet[int]; return x.UnmarshalBinary(b) },
		func(b []byte) error { var x RWSet[int]; return x.UnmarshalJSON(b) })
	// A context that is all cloud: every other dot of a few one-byte
	// replicas (the shortest cloud dots).
	var cl ORSet[int]
	for i := range n {
		cl.k.ctx.add(Dot{string(rune('a' + i%26)), uint64(2*(i/26) + 2)})
	}
	both("orset cloud", cl, func(b []byte) error { var x ORSet[int]; return x.UnmarshalBinary(b) },
		func(b []byte) error { var x ORSet[int]; return x.UnmarshalJSON(b) })
	// Many replicas, each with a vector entry, a stamp and a dot of the
	// one element (concurrent enables of a flag).
	var ew EWFlag
	reps := min(n, clocks.MaxVectorEntries)
	es := make([]clocks.Entry, reps)
	var dots []Dot
	for i := range reps {
		id := shortID(i)
		es[i] = clocks.Entry{ID: id, Count: 1}
		ew.k.ctx.heads.set(id, stamp{1, uint64(i)})
		dots = append(dots, Dot{id, 1})
	}
	slices.SortFunc(dots, cmpDot)
	ew.k.ctx.vv = clocks.VectorOf(es...)
	ew.k.entries = map[bool]slot{true: {}}
	ew.k.more = map[bool][]Dot{true: dots}
	both("ewflag", ew, func(b []byte) error { var x EWFlag; return x.UnmarshalBinary(b) },
		func(b []byte) error { var x EWFlag; return x.UnmarshalJSON(b) })
	// Maps: many keys, one small value each.
	var m ORMap[int, ORSet[int]]
	for i := range n / 4 {
		must(m.Update("a", i, func(s *ORSet[int], r string) ORSet[int] { return s.Add(r, 0) }))
	}
	both("ormap", m, func(b []byte) error { var x ORMap[int, ORSet[int]]; return x.UnmarshalBinary(b) },
		func(b []byte) error { var x ORMap[int, ORSet[int]]; return x.UnmarshalJSON(b) })
	cs[len(cs)-2].bound = mapAllocBound
	// Maps of maps: each value is a map of one key, itself holding a
	// one-element set, so two hash maps per key.
	type inner = ORMap[int, ORSet[int]]
	var nm ORMap[int, inner]
	for i := range n / 6 {
		must(nm.Update("a", i, func(v *inner, r string) inner {
			return must(v.Update(r, 0, func(s *ORSet[int], r string) ORSet[int] { return s.Add(r, 0) }))
		}))
	}
	both("ormap of ormaps", nm, func(b []byte) error { var x ORMap[int, inner]; return x.UnmarshalBinary(b) },
		func(b []byte) error { var x ORMap[int, inner]; return x.UnmarshalJSON(b) })
	cs[len(cs)-2].bound = mapAllocBound
	// A register holding the largest value, all escapes.
	var lw LWWRegister[string]
	must(lw.Write("a", strings.Repeat("é\x01", MaxElementLen/8-1)))
	both("lwwregister", lw, func(b []byte) error { var x LWWRegister[string]; return x.UnmarshalBinary(b) },
		func(b []byte) error { var x LWWRegister[string]; return x.UnmarshalJSON(b) })
	// A replica message wrapping a set.
	msg := ReplicaMessage[ORSet[int]]{Full: true, Seq: 1, State: oi}
	both("replica message", msg, func(b []byte) error { var x ReplicaMessage[ORSet[int]]; return x.UnmarshalBinary(b) },
		func(b []byte) error { var x ReplicaMessage[ORSet[int]]; return x.UnmarshalJSON(b) })

	// Length prefixes that claim as many items as the rest of the input
	// could hold, then junk after the first item.
	rest := 8 * n
	attack := func(name string, prefix []byte, per int, item []byte, decode func([]byte) error) {
		b := appendUvarint(slices.Clone(prefix), uint64(rest/per))
		b = append(b, item...)
		b = append(b, slices.Repeat([]byte{0xff}, rest-len(item))...)
		cs = append(cs, allocCase{name: name, input: b, decode: decode, want: ErrMalformed, bound: allocBound})
	}
	var one ORSet[string]
	one.Add("a", "x")
	ctx1 := must(one.k.ctx.appendBinary(nil))
	decodeSet := func(b []byte) error { var x ORSet[string]; return x.UnmarshalBinary(b) }
	attack("gcounter replicas/count", []byte{gcounterFormat}, 10, nil, func(b []byte) error { var x GCounter; return x.UnmarshalBinary(b) })
	attack("gset elements/count", []byte{gsetFormat}, 2, []byte{3, '"', 'x', '"'}, func(b []byte) error { var x GSet[string]; return x.UnmarshalBinary(b) })
	attack("orset entries/count", append([]byte{orsetFormat}, ctx1...), minEntryBytes,
		appendDot([]byte{3, '"', 'x', '"', 1}, Dot{"a", 1}), decodeSet)
	attack("orset dots/count", append(append([]byte{orsetFormat}, ctx1...), 1, 3, '"', 'x', '"'), 2,
		appendDot(nil, Dot{"a", 1}), decodeSet)
	vb := must(clocks.Vector{}.MarshalBinary())
	attack("orset cloud/count", append(append([]byte{orsetFormat}, byte(len(vb))), vb...), 2,
		appendDot(nil, Dot{"a", 2}), decodeSet)
	var m1 ORMap[string, ORSet[int]]
	must(m1.Update("a", "k", func(s *ORSet[int], r string) ORSet[int] { return s.Add(r, 0) }))
	full := must(m1.MarshalBinary())
	mctx := must(m1.ctx.appendBinary([]byte{ormapFormat}))
	attack("ormap keys/count", mctx, minMapEntryBytes, full[len(mctx)+1:],
		func(b []byte) error { var x ORMap[string, ORSet[int]]; return x.UnmarshalBinary(b) })
	return cs
}

// overLimit returns inputs of entryLimit+1 entries, which the decoders
// must refuse with ErrTooLarge, having allocated nothing for them.
func overLimit() []allocCase {
	k := entryLimit + 1
	var cs []allocCase
	add := func(name string, input []byte, decode func([]byte) error) {
		cs = append(cs, allocCase{name: name, input: input, decode: decode, want: ErrTooLarge, bound: refusedAllocMax})
	}
	add("gcounter/binary", must(counterOf(k).MarshalBinary()), func(b []byte) error { var x GCounter; return x.UnmarshalBinary(b) })
	add("gcounter/json", must(counterOf(k).MarshalJSON()), func(b []byte) error { var x GCounter; return x.UnmarshalJSON(b) })
	var gs GSet[int]
	var os ORSet[int]
	var cl ORSet[int]
	var m ORMap[int, EWFlag]
	for i := range k {
		gs.Add(i)
		os.Add("a", i)
		cl.k.ctx.add(Dot{"a", uint64(2*i + 2)})
		must(m.Update("a", i, func(f *EWFlag, r string) EWFlag { return f.Enable(r) }))
	}
	add("gset/binary", must(gs.MarshalBinary()), func(b []byte) error { var x GSet[int]; return x.UnmarshalBinary(b) })
	add("gset/json", must(gs.MarshalJSON()), func(b []byte) error { var x GSet[int]; return x.UnmarshalJSON(b) })
	add("orset/binary", must(os.MarshalBinary()), func(b []byte) error { var x ORSet[int]; return x.UnmarshalBinary(b) })
	add("orset/json", must(os.MarshalJSON()), func(b []byte) error { var x ORSet[int]; return x.UnmarshalJSON(b) })
	add("orset cloud/json", must(cl.MarshalJSON()), func(b []byte) error { var x ORSet[int]; return x.UnmarshalJSON(b) })
	add("ormap/binary", must(m.MarshalBinary()), func(b []byte) error { var x ORMap[int, EWFlag]; return x.UnmarshalBinary(b) })
	add("ormap/json", must(m.MarshalJSON()), func(b []byte) error { var x ORMap[int, EWFlag]; return x.UnmarshalJSON(b) })
	return cs
}

// allocated returns the bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestDecodersAllocationPerInputByte: every decoder, on the inputs that
// make it allocate the most per input byte (states of many minimal
// entries, and length prefixes that claim all the input could hold),
// allocates at most 16 bytes per input byte (36 for the binary encoding
// of maps of tiny values), and refuses input beyond the entry limit
// having allocated at most 1 byte per input byte. This is a memory
// bound, not a time bound: the figures are exact counts of heap bytes.
// The worst cases measured are in the package documentation; run with -v
// to see them all.
func TestDecodersAllocationPerInputByte(t *testing.T) {
	slack := 1.0
	if raceEnabled {
		// The race detector disables sync.Pool (encoding/json's buffers)
		// and allocates for itself: the bounds are doubled, and the
		// figures are not the package's.
		slack = 2
		t.Log("race detector on: allocation bounds doubled")
	}
	check := func(prefix string, cs []allocCase) {
		for _, c := range cs {
			c.bound *= slack
			var err error
			a := allocated(func() { err = c.decode(c.input) })
			perByte := float64(a) / float64(len(c.input))
			t.Logf("%-32s %8d bytes  %5.1f bytes allocated per input byte", prefix+c.name, len(c.input), perByte)
			switch {
			case c.want == nil && err != nil:
				t.Errorf("%s%s: a valid input was refused: %v", prefix, c.name, err)
			case c.want != nil && !errors.Is(err, c.want):
				t.Errorf("%s%s: got %v, want %v", prefix, c.name, err, c.want)
			}
			if perByte > c.bound {
				t.Errorf("%s%s: the decoder allocated %.1f bytes per input byte (%d for %d), more than %v", prefix, c.name, perByte, a, len(c.input), c.bound)
			}
		}
	}
	n := 6000
	if raceEnabled {
		n = 1500 // the race detector slows the building of the inputs
	}
	check("", allocCases(n))
	defer func(n int) { entryLimit = n }(entryLimit)
	entryLimit = 2000
	check("over the limit: ", overLimit())
}
