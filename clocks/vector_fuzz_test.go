package clocks_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/eventually-perfect/primitives/clocks"
)

// checkVectorInvariants fails unless v is sorted by ID, strictly, without
// zero counts and within the encoding limits.
func checkVectorInvariants(t *testing.T, v clocks.Vector) {
	t.Helper()
	e := v.Entries()
	if len(e) > clocks.MaxVectorEntries {
		t.Fatalf("decoded %d entries, more than MaxVectorEntries", len(e))
	}
	for i, x := range e {
		if x.Count == 0 || x.Count > clocks.MaxVectorCount {
			t.Fatalf("decoded count %d out of range in %v", x.Count, v)
		}
		if len(x.ID) > clocks.MaxIDLen {
			t.Fatalf("decoded an ID of %d bytes", len(x.ID))
		}
		if i > 0 && e[i-1].ID >= x.ID {
			t.Fatalf("decoded entries not strictly sorted: %v", v)
		}
	}
}

// FuzzVectorUnmarshalBinary: any input either decodes to a well-formed
// clock whose canonical encoding is exactly the input, or is rejected with
// ErrMalformed or ErrTooLarge, leaving the receiver unchanged. Never a
// panic.
func FuzzVectorUnmarshalBinary(f *testing.F) {
	for _, v := range []clocks.Vector{
		{}, vec("a", 1), vec("a", 1, "b", 300), vec("", 2, "ab", 1, "\xff", 1<<40),
		clocks.VectorOf(clocks.Entry{ID: "max", Count: clocks.MaxVectorCount}),
	} {
		enc, err := v.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	for _, bad := range [][]byte{
		nil, {2, 0}, {1}, {1, 0x80, 0x00}, {1, 1, 0x81, 0x00, 'a', 1}, {1, 1, 1, 'a', 0x81, 0x00},
		{1, 2, 1, 'a', 1}, {1, 1, 5, 'a', 'b', 1}, {1, 1, 1, 'a', 1, 0}, {1, 1, 1, 'a', 0},
		{1, 2, 1, 'b', 1, 1, 'a', 1}, {1, 2, 1, 'a', 1, 1, 'a', 2}, {1, 0x81, 0x80, 0x04},
		{1, 1, 0x81, 0x08, 'x'}, {1, 1, 1, 'a', 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01},
	} {
		f.Add(bad)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v := vec("sentinel", 3)
		err := v.UnmarshalBinary(data)
		if err != nil {
			if !errors.Is(err, clocks.ErrMalformed) && !errors.Is(err, clocks.ErrTooLarge) {
				t.Fatalf("error %v wraps neither ErrMalformed nor ErrTooLarge", err)
			}
			if v.String() != "{sentinel:3}" {
				t.Fatalf("the receiver changed on error: %v", v)
			}
			return
		}
		checkVectorInvariants(t, v)
		enc, err := v.MarshalBinary()
		if err != nil {
			t.Fatalf("a decoded clock %v does not re-encode: %v", v, err)
		}
		if !bytes.Equal(enc, data) {
			t.Fatalf("encoding is not canonical: %x decodes to %v, which encodes to %x", data, v, enc)
		}
	})
}

// FuzzVectorUnmarshalJSON: any input either decodes to a well-formed clock
// that survives decode, encode, decode unchanged (and whose encoding is a
// fixed point), or is rejected with ErrMalformed or ErrTooLarge, leaving the
// receiver unchanged. Accepted input is valid JSON. Never a panic.
func FuzzVectorUnmarshalJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":1}`, `{"b":2,"a":1}`, ` { "a" : 0 , "b" : 7 } `, `{"\u0061\n":3}`, `null`,
		`{"max":9223372036854775807}`, `{"é":1,"":2}`,
		``, `[]`, `"a"`, `{"a":1,"a":2}`, `{"a":-1}`, `{"a":1.5}`, `{"a":1e3}`, `{"a":"1"}`,
		`{"a":1} x`, `{"a":9223372036854775808}`, `{"a":01}`, "{\"\xff\":1}", `{"a":null}`, `{"a":1,}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v := vec("sentinel", 3)
		err := v.UnmarshalJSON(data)
		if err != nil {
			if !errors.Is(err, clocks.ErrMalformed) && !errors.Is(err, clocks.ErrTooLarge) {
				t.Fatalf("error %v wraps neither ErrMalformed nor ErrTooLarge", err)
			}
			if v.String() != "{sentinel:3}" {
				t.Fatalf("the receiver changed on error: %v", v)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		// What encoding/json reads from the same text, keys unescaped its
		// way, must be the clock, less its zero counts.
		var m map[string]uint64
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("accepted %q, which encoding/json refuses as a map of counts: %v", data, err)
		}
		var want []clocks.Entry
		for id, c := range m {
			if c != 0 {
				want = append(want, clocks.Entry{ID: id, Count: c})
			}
		}
		slices.SortFunc(want, func(x, y clocks.Entry) int { return strings.Compare(x.ID, y.ID) })
		if m == nil { // null, which leaves the receiver unchanged
			want = []clocks.Entry{{ID: "sentinel", Count: 3}}
		}
		if !slices.Equal(v.Entries(), want) && !(len(want) == 0 && v.Len() == 0) {
			t.Fatalf("UnmarshalJSON must read what encoding/json reads: %q gives %v, encoding/json %v", data, v.Entries(), want)
		}
		checkVectorInvariants(t, v)
		enc, err := v.MarshalJSON()
		if err != nil {
			t.Fatalf("a decoded clock %v does not re-encode: %v", v, err)
		}
		var back clocks.Vector
		if err := back.UnmarshalJSON(enc); err != nil {
			t.Fatalf("re-encoded %s does not decode: %v", enc, err)
		}
		if !slices.Equal(back.Entries(), v.Entries()) {
			t.Fatalf("JSON round trip changed the clock: %q -> %v -> %s -> %v", data, v, enc, back)
		}
		again, err := back.MarshalJSON()
		if err != nil || !bytes.Equal(again, enc) {
			t.Fatalf("JSON encoding is not a fixed point: %s then %s (%v)", enc, again, err)
		}
	})
}
