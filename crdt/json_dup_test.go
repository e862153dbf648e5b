package crdt_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/eventually-perfect/primitives/crdt"
)

// dupFirstKey returns the JSON object b with its first member written
// twice, once with the key as given (or upper-cased if upper), the
// spelling a lenient decoder would take the last of silently.
func dupFirstKey(b []byte, upper bool) []byte {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') || !dec.More() {
		return nil
	}
	t, err := dec.Token()
	if err != nil {
		return nil
	}
	key := t.(string)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil
	}
	if upper {
		key = strings.ToUpper(key)
	}
	k, _ := json.Marshal(key)
	return append(append(append(append([]byte{'{'}, k...), ':'), raw...), append([]byte{','}, b[1:]...)...)
}

type jsonCase struct {
	name  string
	state json.Marshaler
	dec   func([]byte) error
}

func jsonCases() []jsonCase {
	var g crdt.GCounter
	g.Inc("a", 2)
	var p crdt.PNCounter
	p.Inc("a", 3)
	p.Dec("b", 1)
	var s crdt.ORSet[string]
	s.Add("a", "x")
	var rw crdt.RWSet[string]
	rw.Add("a", "x")
	var mv crdt.MVRegister[int]
	mv.Write("a", 1)
	var ew crdt.EWFlag
	ew.Enable("a")
	var dw crdt.DWFlag
	dw.Enable("a")
	var lww crdt.LWWRegister[string]
	lww.Write("a", "x")
	var tp crdt.TwoPSet[string]
	tp.Add("x")
	var m cart
	mustUpdate(&m, "a", "k", func(v *crdt.ORSet[int], r string) crdt.ORSet[int] { return v.Add(r, 1) })
	return []jsonCase{
		{"gcounter", g, func(b []byte) error { var x crdt.GCounter; return x.UnmarshalJSON(b) }},
		{"pncounter", p, func(b []byte) error { var x crdt.PNCounter; return x.UnmarshalJSON(b) }},
		{"orset", s, func(b []byte) error { var x crdt.ORSet[string]; return x.UnmarshalJSON(b) }},
		{"rwset", rw, func(b []byte) error { var x crdt.RWSet[string]; return x.UnmarshalJSON(b) }},
		{"mvregister", mv, func(b []byte) error { var x crdt.MVRegister[int]; return x.UnmarshalJSON(b) }},
		{"ewflag", ew, func(b []byte) error { var x crdt.EWFlag; return x.UnmarshalJSON(b) }},
		{"dwflag", dw, func(b []byte) error { var x crdt.DWFlag; return x.UnmarshalJSON(b) }},
		{"lwwregister", lww, func(b []byte) error { var x crdt.LWWRegister[string]; return x.UnmarshalJSON(b) }},
		{"twopset", tp, func(b []byte) error { var x crdt.TwoPSet[string]; return x.UnmarshalJSON(b) }},
		{"ormap", m, func(b []byte) error { var x cart; return x.UnmarshalJSON(b) }},
	}
}

// TestJSONDuplicateKeys: every JSON decoder rejects an object with a key
// twice, which encoding/json would otherwise resolve silently by keeping
// the last (and other parsers by keeping the first): top level, nested,
// and field names repeated in another case.
func TestJSONDuplicateKeys(t *testing.T) {
	for _, c := range jsonCases() {
		b, err := json.Marshal(c.state)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.dec(b); err != nil {
			t.Fatalf("%s: valid JSON %s rejected: %v", c.name, b, err)
		}
		for _, upper := range []bool{false, true} {
			d := dupFirstKey(b, upper)
			if c.name == "gcounter" && upper {
				continue // replica IDs "a" and "A" are different replicas
			}
			if err := c.dec(d); !errors.Is(err, crdt.ErrMalformed) {
				t.Errorf("%s: duplicate key in %s: got %v, want ErrMalformed", c.name, d, err)
			}
		}
	}
	nested := map[string]struct {
		dec  func([]byte) error
		data string
	}{
		"orset context": {func(b []byte) error { var x crdt.ORSet[string]; return x.UnmarshalJSON(b) },
			`{"context":{"vector":{"a":1},"vector":{"a":1},"cloud":[]},"entries":[{"element":"x","dots":[{"r":"a","n":1}]}]}`},
		"orset dot": {func(b []byte) error { var x crdt.ORSet[string]; return x.UnmarshalJSON(b) },
			`{"context":{"vector":{"a":2},"cloud":[]},"entries":[{"element":"x","dots":[{"r":"a","n":1,"n":2}]}]}`},
		"orset vector": {func(b []byte) error { var x crdt.ORSet[string]; return x.UnmarshalJSON(b) },
			`{"context":{"vector":{"a":2,"a":1},"cloud":[]},"entries":[]}`},
		"pncounter inner": {func(b []byte) error { var x crdt.PNCounter; return x.UnmarshalJSON(b) },
			`{"p":{"a":1,"a":2},"n":{}}`},
	}
	for name, c := range nested {
		if err := c.dec([]byte(c.data)); !errors.Is(err, crdt.ErrMalformed) {
			t.Errorf("%s: duplicate key in %s: got %v, want ErrMalformed", name, c.data, err)
		}
	}
}

// TestJSONDuplicateKeysInElements: an element, key or value that is an
// object is checked for repeated keys too, at any depth.
func TestJSONDuplicateKeysInElements(t *testing.T) {
	type pt struct{ X, Y int }
	cases := map[string]struct {
		dec  func([]byte) error
		data string
	}{
		"gset": {func(b []byte) error { var x crdt.GSet[pt]; return x.UnmarshalJSON(b) },
			`[{"X":1,"Y":2,"X":3}]`},
		"orset": {func(b []byte) error { var x crdt.ORSet[pt]; return x.UnmarshalJSON(b) },
			`{"context":{"vector":{"a":1},"cloud":[],"stamps":[]},"entries":[{"element":{"X":1,"X":2},"dots":[{"r":"a","n":1}]}]}`},
		"lwwregister": {func(b []byte) error { var x crdt.LWWRegister[pt]; return x.UnmarshalJSON(b) },
			`{"timestamp":1,"replica":"a","value":{"X":1,"Y":2,"Y":3}}`},
	}
	for name, c := range cases {
		if err := c.dec([]byte(c.data)); !errors.Is(err, crdt.ErrMalformed) {
			t.Errorf("%s: duplicate key inside an element: got %v, want ErrMalformed", name, err)
		}
	}
	var s crdt.GSet[pt]
	if err := s.UnmarshalJSON([]byte(`[{"Y":2,"X":1}]`)); err != nil || !s.Contains(pt{1, 2}) {
		t.Errorf("an element with its fields in another order: %v, %v", s, err)
	}
}
