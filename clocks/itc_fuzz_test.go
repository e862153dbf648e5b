package clocks_test

import (
	"bytes"
	"errors"
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
