package crdt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/eventually-perfect/primitives/clocks"
)

// The JSON form of the causal types:
//
//	{"context":{"vector":{"a":3,"b":1},"cloud":[{"r":"a","n":5}]},
//	 "entries":[{"element":"milk","dots":[{"r":"a","n":3}]}]}
//
// Entries come in the order of the binary encoding; a remove-wins entry
// tagged remove has "remove":true. Decoding accepts entries and cloud dots
// in any order and elements in any JSON spelling that decodes to the
// element, converts to the binary encoding and decodes that, so the
// binary decoder's checks (dots within the context, no dot shared, a
// compact context, limits) apply to JSON too.

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
// tag; binKey does the reverse, canonicalising the element.
type jsonParts[K any] struct {
	split  func(bin []byte) (elem []byte, remove bool)
	binKey func(elem []byte, remove bool) ([]byte, error)
}

func canonicalJSON[E any](elem []byte) ([]byte, error) {
	var e E
	if err := json.Unmarshal(elem, &e); err != nil {
		return nil, err
	}
	return json.Marshal(e)
}

func plainParts[E any]() jsonParts[E] {
	return jsonParts[E]{
		split: func(b []byte) ([]byte, bool) { return b, false },
		binKey: func(elem []byte, remove bool) ([]byte, error) {
			if remove {
				return nil, fmt.Errorf("remove tag on an element of a set without removes")
			}
			return canonicalJSON[E](elem)
		},
	}
}

func rwParts[E comparable]() jsonParts[rwKey[E]] {
	return jsonParts[rwKey[E]]{
		split: func(b []byte) ([]byte, bool) { return b[1:], b[0] == '-' },
		binKey: func(elem []byte, remove bool) ([]byte, error) {
			b, err := canonicalJSON[E](elem)
			if err != nil {
				return nil, err
			}
			tag := byte('+')
			if remove {
				tag = '-'
			}
			return append([]byte{tag}, b...), nil
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
	if len(data) > 64*MaxEntries {
		return nil, fmt.Errorf("crdt: %s: %d bytes of JSON: %w", what, len(data), ErrTooLarge)
	}
	if err := checkJSONKeys(data, causalFields); err != nil {
		return nil, fmt.Errorf("crdt: %s: %w", what, err)
	}
	var j kernelJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		if err2 := jsonVectorError(what, err); err2 != nil {
			return nil, err2
		}
		return nil, fmt.Errorf("crdt: %s: %w: %w", what, ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("crdt: %s: trailing data: %w", what, ErrMalformed)
	}
	if len(j.Context.Cloud) > MaxEntries || len(j.Context.Heads) > MaxEntries || len(j.Entries) > MaxEntries {
		return nil, fmt.Errorf("crdt: %s: %w", what, ErrTooLarge)
	}
	b, err := j.Context.appendBinary([]byte{format}, what)
	if err != nil {
		return nil, err
	}
	type entry struct {
		key  []byte
		dots []Dot
	}
	entries := make([]entry, len(j.Entries))
	for i, e := range j.Entries {
		key, err := jp.binKey(e.Element, e.Remove)
		if err != nil {
			return nil, fmt.Errorf("crdt: %s: element %s: %w: %w", what, e.Element, ErrMalformed, err)
		}
		ds := make([]Dot, len(e.Dots))
		for k, d := range e.Dots {
			ds[k] = Dot{d.R, d.N}
		}
		slices.SortFunc(ds, cmpDot)
		entries[i] = entry{key, ds}
	}
	slices.SortFunc(entries, func(a, b entry) int { return bytes.Compare(a.key, b.key) })
	b = appendUvarint(b, uint64(len(entries)))
	for _, e := range entries {
		b = appendUvarint(b, uint64(len(e.key)))
		b = append(b, e.key...)
		b = appendUvarint(b, uint64(len(e.dots)))
		for _, d := range e.dots {
			b = appendDot(b, d)
		}
	}
	return b, nil
}

// jsonVectorError maps a clocks decoding error met inside the JSON to
// this package's sentinels.
func jsonVectorError(what string, err error) error {
	if isClocksErr(err) {
		return vectorError(what, err)
	}
	return nil
}

// appendBinary appends the binary encoding of the causal context c (the
// vector, length-prefixed, then the sorted cloud) to b, the shared prefix
// of the kernel and ORMap encodings.
func (c contextJSON) appendBinary(b []byte, what string) ([]byte, error) {
	vb, err := c.Vector.MarshalBinary()
	if err != nil {
		return nil, vectorError(what, err)
	}
	b = appendUvarint(b, uint64(len(vb)))
	b = append(b, vb...)
	cloud := make([]Dot, len(c.Cloud))
	for i, d := range c.Cloud {
		cloud[i] = Dot{d.R, d.N}
	}
	slices.SortFunc(cloud, cmpDot)
	b = appendUvarint(b, uint64(len(cloud)))
	for _, d := range cloud {
		b = appendDot(b, d)
	}
	// Stamps in the order of the JSON (the binary decoder requires them
	// sorted, so unsorted or repeated replicas are rejected there).
	b = appendUvarint(b, uint64(len(c.Heads)))
	for _, h := range c.Heads {
		s, err := parseSum(h.Digest)
		if err != nil {
			return nil, fmt.Errorf("crdt: %s: %w", what, err)
		}
		b = appendDot(b, Dot{h.R, h.N})
		b = appendSum(b, s)
	}
	return b, nil
}
