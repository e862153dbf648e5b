package clocks_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/eventually-perfect/primitives/clocks"
)

// itcFuzzSeeds are stamps whose encodings seed the fuzz targets.
var itcFuzzSeeds = []string{
	"(0, 0)",
	"(1, 0)",
	"((1, 0), (0, 1, 0))",
	"((0, (1, 0)), (0, 0, (1, 0, 1)))",
	"((1, (0, 1)), (1, 2, (0, 0, 1)))",
	"(((1, 0), (0, 1)), (5, (0, 1, 0), 2))",
	"(1, 9223372036854775807)",
	"(0, (3, 0, (0, (0, 12, 0), 1)))",
}

// checkDecodedStamp exercises the operations on a stamp a decoder accepted:
// none may panic, and each must keep its promises.
func checkDecodedStamp(t *testing.T, s clocks.Stamp) {
	if err := clocks.StampNormalForm(s); err != nil {
		t.Fatalf("the decoder must only accept normalised stamps: %s: %v", s, err)
	}
	if p, err := clocks.ParseStamp(s.String()); err != nil || !p.Equal(s) {
		t.Fatalf("ParseStamp must invert String: %s -> %s (%v)", s, p, err)
	}
	x, y := s.Fork()
	j, err := x.Join(y)
	if err != nil || !j.Equal(s) {
		t.Fatalf("fork then join must give back the stamp: %s -> %s, %s -> %s (%v)", s, x, y, j, err)
	}
	if _, err := s.Join(s); s.IsAnonymous() == (err != nil) {
		t.Fatalf("joining a stamp with itself fails exactly when it owns something: %s: %v", s, err)
	} else if err != nil && !errors.Is(err, clocks.ErrOverlap) {
		t.Fatalf("a join error must wrap ErrOverlap: %v", err)
	}
	e := s.Event()
	if err := clocks.StampNormalForm(e); err != nil {
		t.Fatalf("event must return a normalised stamp: %s -> %s: %v", s, e, err)
	}
	switch {
	case s.IsAnonymous() && !e.Equal(s):
		t.Fatalf("event on an anonymous stamp must leave it unchanged: %s -> %s", s, e)
	case !s.IsAnonymous() && s.Compare(e) != clocks.Before:
		t.Fatalf("event must be a strict advance: %s -> %s compares %v", s, e, s.Compare(e))
	}
}

// FuzzStampUnmarshalBinary feeds arbitrary bytes to the binary decoder: it
// must never panic, must reject with ErrMalformed or ErrTooLarge, and
// whatever it accepts must be normalised and re-encode to the same bytes.
func FuzzStampUnmarshalBinary(f *testing.F) {
	for _, text := range itcFuzzSeeds {
		s, err := clocks.ParseStamp(text)
		if err != nil {
			f.Fatal(err)
		}
		b, err := s.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(append(b, 0)) // a trailing byte
		f.Add(b[:len(b)-1]) // truncated
		f.Add(append([]byte{}, b[0]^0x40))
	}
	for _, garbage := range [][]byte{
		nil, {0x00}, {0xff}, {0xff, 0xff, 0xff, 0xff}, {0xc9, 0x80}, {0x44, 0x00},
		bytes.Repeat([]byte{0x55}, 200), bytes.Repeat([]byte{0xff}, 20),
	} {
		f.Add(garbage)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s clocks.Stamp
		if err := s.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, clocks.ErrMalformed) && !errors.Is(err, clocks.ErrTooLarge) {
				t.Fatalf("decode errors must wrap ErrMalformed or ErrTooLarge: %v", err)
			}
			if !s.Equal(clocks.Stamp{}) {
				t.Fatalf("UnmarshalBinary must leave its receiver unchanged on error, got %s", s)
			}
			return
		}
		again, err := s.MarshalBinary()
		if err != nil {
			t.Fatalf("a decoded stamp must encode again: %s: %v", s, err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("the encoding must be canonical: %x decodes to %s which encodes to %x", data, s, again)
		}
		checkDecodedStamp(t, s)
	})
}

// FuzzStampUnmarshalBinaryErlang feeds arbitrary bytes to the decoder of
// the Erlang form: it must never panic, must reject with ErrMalformed or
// ErrTooLarge leaving its receiver unchanged, and whatever it accepts must
// be normalised and re-encode to the same bytes in the Erlang form. If the
// C and Java decoder accepts the same bytes as the same stamp, the two
// forms of that stamp must coincide (no event node has a positive base).
func FuzzStampUnmarshalBinaryErlang(f *testing.F) {
	for _, text := range itcFuzzSeeds {
		s, err := clocks.ParseStamp(text)
		if err != nil {
			f.Fatal(err)
		}
		for _, marshal := range []func(clocks.Stamp) ([]byte, error){clocks.Stamp.MarshalBinaryErlang, clocks.Stamp.MarshalBinary} {
			b, err := marshal(s)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
			f.Add(append(b, 0))
			f.Add(b[:len(b)-1])
		}
	}
	for _, garbage := range [][]byte{nil, {0x00}, {0xff}, {0x0c, 0x91, 0x90}, {0x62, 0xd9, 0xc8}, bytes.Repeat([]byte{0x7b}, 40)} {
		f.Add(garbage)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s clocks.Stamp
		if err := s.UnmarshalBinaryErlang(data); err != nil {
			if !errors.Is(err, clocks.ErrMalformed) && !errors.Is(err, clocks.ErrTooLarge) {
				t.Fatalf("decode errors must wrap ErrMalformed or ErrTooLarge: %v", err)
			}
			if !s.Equal(clocks.Stamp{}) {
				t.Fatalf("UnmarshalBinaryErlang must leave its receiver unchanged on error, got %s", s)
			}
			return
		}
		again, err := s.MarshalBinaryErlang()
		if err != nil {
			t.Fatalf("a decoded stamp must encode again: %s: %v", s, err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("the Erlang form must be canonical: %x decodes to %s which encodes to %x", data, s, again)
		}
		var c clocks.Stamp
		if c.UnmarshalBinary(data) == nil && c.Equal(s) {
			if other, _ := s.MarshalBinary(); !bytes.Equal(other, data) {
				t.Fatalf("both decoders read %x as %s, so its forms must coincide, but the C form is %x", data, s, other)
			}
		}
		checkDecodedStamp(t, s)
	})
}

// FuzzStampUnmarshalJSON compares UnmarshalJSON, which reads the JSON
// string in place, with encoding/json's own unquoting followed by
// UnmarshalText: on valid JSON they must agree, and on anything they must
// not panic and must fail with the sentinels.
func FuzzStampUnmarshalJSON(f *testing.F) {
	for _, text := range itcFuzzSeeds {
		f.Add([]byte(`"` + text + `"`))
	}
	for _, s := range []string{`null`, ` "(1, 0)" `, `"\u00281, 0)"`, `"(1, 0)\u0000"`, `"(1,\t0)"`, `1`, `"`, `"\x"`, `"(1, 0)`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkTextJSON(t, data,
			func(b []byte) (fmt.Stringer, error) { s := clocks.Seed(); err := s.UnmarshalJSON(b); return s, err },
			func(b []byte) (fmt.Stringer, error) { s := clocks.Seed(); err := s.UnmarshalText(b); return s, err })
	})
}

// checkTextJSON is the differential check of FuzzStampUnmarshalJSON and
// FuzzTimestampUnmarshalJSON: viaJSON decodes JSON into a fresh value,
// viaText the text that encoding/json unquotes from it.
func checkTextJSON(t *testing.T, data []byte, viaJSON, viaText func([]byte) (fmt.Stringer, error)) {
	got, err := viaJSON(data)
	if err != nil && !errors.Is(err, clocks.ErrMalformed) && !errors.Is(err, clocks.ErrTooLarge) {
		t.Fatalf("UnmarshalJSON errors must wrap ErrMalformed or ErrTooLarge: %v", err)
	}
	if !json.Valid(data) {
		return
	}
	var str *string
	if json.Unmarshal(data, &str) != nil {
		if err == nil {
			t.Fatalf("UnmarshalJSON must refuse a JSON value that is not a string or null: %s", data)
		}
		return
	}
	if str == nil { // null leaves the value unchanged
		if fresh, _ := viaJSON([]byte("null")); err != nil || got.String() != fresh.String() {
			t.Fatalf("null must leave the value unchanged: %s (%v)", got, err)
		}
		return
	}
	want, wantErr := viaText([]byte(*str))
	if (err == nil) != (wantErr == nil) || err == nil && got.String() != want.String() {
		t.Fatalf("UnmarshalJSON must agree with encoding/json's unquoting then UnmarshalText on %s: %v (%v), want %v (%v)",
			data, got, err, want, wantErr)
	}
}

// FuzzStampParse feeds arbitrary text to ParseStamp (and so UnmarshalText
// and JSON decoding): never a panic, errors wrap the sentinels, and what it
// accepts prints back as the same text.
func FuzzStampParse(f *testing.F) {
	for _, text := range itcFuzzSeeds {
		f.Add(text)
		f.Add(text[:len(text)-1])
		f.Add(text + " ")
	}
	for _, garbage := range []string{"", "(", "((1, 1), 0)", "(1, (0, 1, 1))", "(1, 01)", "(1,0)", "(1, 99999999999999999999)"} {
		f.Add(garbage)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, err := clocks.ParseStamp(text)
		if err != nil {
			if !errors.Is(err, clocks.ErrMalformed) && !errors.Is(err, clocks.ErrTooLarge) {
				t.Fatalf("parse errors must wrap ErrMalformed or ErrTooLarge: %v", err)
			}
			return
		}
		if s.String() != text {
			t.Fatalf("the text notation must be canonical: %q parses to %s", text, s)
		}
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatalf("a parsed stamp must encode: %s: %v", s, err)
		}
		var back clocks.Stamp
		if err := back.UnmarshalBinary(b); err != nil || !back.Equal(s) {
			t.Fatalf("binary decoding must invert encoding: %s -> %x -> %s (%v)", s, b, back, err)
		}
		checkDecodedStamp(t, s)
	})
}
