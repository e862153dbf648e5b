package crdt

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/eventually-perfect/primitives/clocks"
)

// The JSON form of the causal types:
//
//	{"context":{"vector":{"a":3,"b":1},"cloud":[{"r":"a","n":5}],
//	            "stamps":[{"r":"a","n":5,"digest":"9f86d081884c7d65"}]},
//	 "entries":[{"element":"milk","dots":[{"r":"a","n":3}]}]}
//
// Entries come in the order of the binary encoding; a remove-wins entry
// tagged remove has "remove":true. Decoding accepts fields, entries and
// cloud dots in any order and elements in any JSON spelling that decodes
// to the element. It reads the JSON in place (jsonIn), applying the
// limits as it goes, converts it to the binary encoding and decodes that,
// so the binary decoder's checks (dots within the context, no dot shared,
// a compact context, limits) apply to JSON too.

type dotJSON struct {
	R string `json:"r"`
	N uint64 `json:"n"`
}

type headJSON struct {
	R      string `json:"r"`
	N      uint64 `json:"n"`
	Digest string `json:"digest"`
}

type contextJSON struct {
	Vector clocks.Vector `json:"vector"`
	Cloud  []dotJSON     `json:"cloud"`
	Heads  []headJSON    `json:"stamps"`
}

func toContextJSON(c CausalContext) contextJSON {
	j := contextJSON{Vector: c.vv, Cloud: []dotJSON{}, Heads: []headJSON{}}
	for _, d := range c.Cloud() {
		j.Cloud = append(j.Cloud, dotJSON{d.Replica, d.Counter})
	}
	for _, h := range c.heads {
		j.Heads = append(j.Heads, headJSON{h.r, h.n, sumString(h.sum)})
	}
	return j
}

type entryJSON struct {
	Element json.RawMessage `json:"element"`
	Remove  bool            `json:"remove,omitempty"`
	Dots    []dotJSON       `json:"dots"`
}

type kernelJSON struct {
	Context contextJSON `json:"context"`
	Entries []entryJSON `json:"entries"`
}

// jsonParts splits a binary key into its element's JSON and the remove
// tag; appendKey does the reverse, canonicalising the element.
type jsonParts[K any] struct {
	split     func(bin []byte) (elem []byte, remove bool)
	appendKey func(dst, elem []byte, remove bool) ([]byte, error)
}

func plainParts[E any]() jsonParts[E] {
	return jsonParts[E]{
		split: func(b []byte) ([]byte, bool) { return b, false },
		appendKey: func(dst, elem []byte, remove bool) ([]byte, error) {
			if remove {
				return nil, fmt.Errorf("remove tag on an element of a set without removes")
			}
			enc, err := canonicalElem[E](elem)
			return append(dst, enc...), err
		},
	}
}

func rwParts[E comparable]() jsonParts[rwKey[E]] {
	return jsonParts[rwKey[E]]{
		split: func(b []byte) ([]byte, bool) { return b[1:], b[0] == '-' },
		appendKey: func(dst, elem []byte, remove bool) ([]byte, error) {
			enc, err := canonicalElem[E](elem)
			tag := byte('+')
			if remove {
				tag = '-'
			}
			return append(append(dst, tag), enc...), err
		},
	}
}

func marshalKernelJSON[K comparable](k kernel[K], what string, kc keyCodec[K], jp jsonParts[K]) ([]byte, error) {
	es, err := k.sorted(kc)
	if err != nil {
		return nil, fmt.Errorf("crdt: %s: %w", what, err)
	}
	j := kernelJSON{Context: toContextJSON(k.ctx), Entries: []entryJSON{}}
	for _, e := range es {
		elem, rm := jp.split(e.enc)
		x := entryJSON{Element: elem, Remove: rm}
		for _, d := range e.dots {
			x.Dots = append(x.Dots, dotJSON{d.Replica, d.Counter})
		}
		j.Entries = append(j.Entries, x)
	}
	b, err := json.Marshal(j)
	if err != nil {
		return nil, fmt.Errorf("crdt: %s: %w", what, err)
	}
	return b, nil
}

// kernelJSONToBinary converts the JSON form into the binary encoding
// (format byte included), or fails with ErrMalformed or ErrTooLarge.
func kernelJSONToBinary[K any](data []byte, what string, format byte, jp jsonParts[K]) ([]byte, error) {
	j, err := newJSONIn(what, data)
	if err != nil {
		return nil, err
	}
	b, err := kernelFromJSON(j, nil, format, jp)
	if err != nil {
		return nil, err
	}
	return b, j.end()
}

// jdot is a dot read from JSON, its replica ID a slice of the input.
type jdot struct {
	r []byte
	n uint64
}

func cmpJdot(a, b jdot) int {
	if c := bytes.Compare(a.r, b.r); c != 0 {
		return c
	}
	return cmp.Compare(a.n, b.n)
}

func appendJdot(b []byte, d jdot) []byte {
	b = appendUvarint(b, uint64(len(d.r)))
	b = append(b, d.r...)
	return appendUvarint(b, d.n)
}

var (
	dotFields     = []string{"r", "n"}
	stampFields   = []string{"r", "n", "digest"}
	contextFields = []string{"vector", "cloud", "stamps"}
	kernelFields  = []string{"context", "entries"}
	entryFields   = []string{"element", "remove", "dots"}
	mapFields     = []string{"key", "value"}
)

// dot reads {"r":...,"n":...}.
func (j *jsonIn) dot() (jdot, error) {
	var x jdot
	err := j.fields(dotFields, 0, func(f int) error {
		var err error
		if f == 0 {
			x.r, err = j.str()
		} else {
			x.n, err = j.uint("dot counter", MaxCount)
		}
		return err
	})
	return x, err
}

// count returns the number of elements of the array at the reader's
// position, refusing more than limit with ErrTooLarge as soon as it meets
// the next, without moving.
func (j *jsonIn) count(what string, limit int) (int, error) {
	save := j.i
	n := 0
	err := j.array(func() error {
		if n++; n > limit {
			return j.tooLarge("more than %d %s", limit, what)
		}
		_, err := j.value()
		return err
	})
	j.i = save
	return n, err
}

// positions reads an object of the given fields (all required), skipping
// their values and returning where each starts.
func (j *jsonIn) positions(names []string, at []int) error {
	return j.fields(names, 0, func(f int) error {
		at[f] = j.i
		_, err := j.value()
		return err
	})
}

// context reads the JSON of a causal context and appends its binary
// form, as CausalContext.appendBinary writes it, to b.
func (j *jsonIn) context(b []byte) ([]byte, error) {
	var at [3]int
	if err := j.positions(contextFields, at[:]); err != nil {
		return nil, err
	}
	end := j.i

	j.i = at[0]
	if j.peek() != '{' {
		return nil, j.errf("vector: want an object")
	}
	raw, err := j.value()
	if err != nil {
		return nil, err
	}
	var v clocks.Vector
	if err := v.UnmarshalJSON(raw); err != nil {
		return nil, vectorError(j.what, err)
	}
	vb, err := v.MarshalBinary()
	if err != nil {
		return nil, vectorError(j.what, err)
	}
	b = appendUvarint(b, uint64(len(vb)))
	b = append(b, vb...)

	j.i = at[1]
	n, err := j.count("cloud dots", entryLimit)
	if err != nil {
		return nil, err
	}
	cloud := make([]jdot, 0, n)
	err = j.array(func() error {
		d, err := j.dot()
		cloud = append(cloud, d)
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(cloud, cmpJdot)
	b = appendUvarint(b, uint64(n))
	for _, d := range cloud {
		b = appendJdot(b, d)
	}

	// Stamps in the order of the JSON (the binary decoder requires them
	// sorted, so unsorted or repeated replicas are rejected there).
	j.i = at[2]
	if n, err = j.count("stamps", entryLimit); err != nil {
		return nil, err
	}
	b = appendUvarint(b, uint64(n))
	err = j.array(func() error {
		var d jdot
		var sum uint64
		err := j.fields(stampFields, 0, func(f int) error {
			var err error
			switch f {
			case 0:
				d.r, err = j.str()
			case 1:
				d.n, err = j.uint("stamp counter", MaxCount)
			case 2:
				var s []byte
				if s, err = j.str(); err == nil {
					sum, err = parseSumBytes(s)
				}
			}
			return err
		})
		b = appendSum(appendJdot(b, d), sum)
		return err
	})
	if err != nil {
		return nil, err
	}
	j.i = end
	return b, nil
}

// span locates one entry's binary form in an arena: the key in
// [start, key), the rest in [key, end).
type span struct{ start, key, end int }

// assemble appends the entries of arena, sorted by key, each with its
// key length, after their number.
func assemble(dst, arena []byte, idx []span) []byte {
	slices.SortFunc(idx, func(a, b span) int {
		return bytes.Compare(arena[a.start:a.key], arena[b.start:b.key])
	})
	size := uvarintLen(uint64(len(idx)))
	for _, s := range idx {
		size += uvarintLen(uint64(s.key-s.start)) + s.end - s.start
	}
	dst = slices.Grow(dst, size)
	dst = appendUvarint(dst, uint64(len(idx)))
	for _, s := range idx {
		dst = appendUvarint(dst, uint64(s.key-s.start))
		dst = append(dst, arena[s.start:s.end]...)
	}
	return dst
}

// kernelHead reads the head of a causal type's JSON at the reader's
// position (its fields "context" and "entries"): it appends the format
// byte and the binary context to dst, leaves the reader at the entries'
// array and returns where the object ends and how many entries it holds
// (checked against entryLimit before anything is allocated for them).
func (j *jsonIn) kernelHead(dst []byte, format byte) (out []byte, end, n int, err error) {
	var at [2]int
	if err := j.positions(kernelFields, at[:]); err != nil {
		return nil, 0, 0, err
	}
	end = j.i
	j.i = at[0]
	if dst, err = j.context(append(dst, format)); err != nil {
		return nil, 0, 0, err
	}
	j.i = at[1]
	if n, err = j.count("entries", entryLimit); err != nil {
		return nil, 0, 0, err
	}
	return dst, end, n, nil
}

// kernelFromJSON reads the JSON of a causal type at the reader's position
// and appends its binary encoding (format byte first) to dst. Besides
// dst, it allocates the cloud's dots (32 bytes each), an index of 24
// bytes per entry, and an arena holding the entries' binary forms.
func kernelFromJSON[K any](j *jsonIn, dst []byte, format byte, jp jsonParts[K]) ([]byte, error) {
	dst, end, n, err := j.kernelHead(dst, format)
	if err != nil {
		return nil, err
	}
	idx := make([]span, 0, n)
	var arena []byte
	var dots []jdot
	err = j.array(func() error {
		elemAt, dotsAt, remove := 0, 0, false
		err := j.fields(entryFields, 1<<1, func(f int) error {
			var err error
			switch f {
			case 0:
				elemAt = j.i
				_, err = j.value()
			case 1:
				remove, err = j.boolean()
			case 2:
				dotsAt = j.i
				_, err = j.value()
			}
			return err
		})
		if err != nil {
			return err
		}
		after := j.i
		j.i = elemAt
		elem, _ := j.value()
		start := len(arena)
		if arena, err = jp.appendKey(arena, elem, remove); err != nil {
			return j.errf("element %.64s: %v", elem, err)
		}
		key := len(arena)
		j.i = dotsAt
		dots = dots[:0]
		err = j.array(func() error {
			d, err := j.dot()
			dots = append(dots, d)
			return err
		})
		if err != nil {
			return err
		}
		slices.SortFunc(dots, cmpJdot)
		arena = appendUvarint(arena, uint64(len(dots)))
		for _, d := range dots {
			arena = appendJdot(arena, d)
		}
		idx = append(idx, span{start, key, len(arena)})
		j.i = after
		return nil
	})
	if err != nil {
		return nil, err
	}
	j.i = end
	return assemble(dst, arena, idx), nil
}
