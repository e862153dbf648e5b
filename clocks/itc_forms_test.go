package clocks

// The two forms of the stamp's binary encoding. The authors' reference
// implementations, github.com/ricardobcl/Interval-Tree-Clocks at commit
// 0f246a4, write the base n of an event node (n, l, r) differently:
//
//   - c/itc.c, event_enc: enc_n(be, ev_n(e->n), 2) after the node's tag
//     bits, and event_dec reads it back with dec_n; java/itc/Event.java,
//     encode and decode, the same with enc_n(bt, this.value, 2) and dec_n:
//     the base is enc(n, 2);
//   - erlang/itc.erl, ence({N, L, R}) writes (ence(N))/bits, the clause
//     for a leaf, ence(N) -> encn(N, 2), where encn(N, B) starts with the
//     bits <<((1 bsl B) - 2):B>>, that is B-1 one bits and a zero: the leaf
//     tag 1 followed by enc(n, 2)'s own prefix. dece reads the base with
//     {N, B1} = dece(B), which expects that leaf tag. The base is 1 enc(n, 2).
//
// The test vectors below are derived by hand from those definitions; the
// derivation of each is written beside it.

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// encBits is enc(n, b) of section 6 as a string of '0' and '1'.
func encBits(n uint64, b uint) string {
	if n < 1<<b {
		return "0" + fmt.Sprintf("%0*b", int(b), n)
	}
	return "1" + encBits(n-1<<b, b+1)
}

// idBits and eventBits are an oracle for the encoding: the grammar of the
// reference implementations written as plainly as possible, on strings of
// bits, independently of bitWriter.
func idBits(i *idTree) string {
	switch {
	case i == idZero:
		return "000"
	case i == idOne:
		return "001"
	case i.l == idZero:
		return "01" + idBits(i.r)
	case i.r == idZero:
		return "10" + idBits(i.l)
	}
	return "11" + idBits(i.l) + idBits(i.r)
}

func eventBits(e *event, erlang bool) string {
	if e.isLeaf() {
		return "1" + encBits(e.n, 2)
	}
	base := encBits(e.n, 2)
	if erlang {
		base = "1" + base // the base written as a leaf
	}
	zl, zr := e.l.isLeaf() && e.l.n == 0, e.r.isLeaf() && e.r.n == 0
	switch {
	case e.n == 0 && zl:
		return "0" + "00" + eventBits(e.r, erlang)
	case e.n == 0 && zr:
		return "0" + "01" + eventBits(e.l, erlang)
	case e.n == 0:
		return "0" + "10" + eventBits(e.l, erlang) + eventBits(e.r, erlang)
	case zl:
		return "0" + "11" + "0" + "0" + base + eventBits(e.r, erlang)
	case zr:
		return "0" + "11" + "0" + "1" + base + eventBits(e.l, erlang)
	}
	return "0" + "11" + "1" + base + eventBits(e.l, erlang) + eventBits(e.r, erlang)
}

// packBits writes a string of bits (spaces ignored) most significant bit
// first into bytes, padding with zero bits.
func packBits(bits string) []byte {
	bits = strings.ReplaceAll(bits, " ", "")
	out := make([]byte, (len(bits)+7)/8)
	for i, c := range bits {
		if c == '1' {
			out[i/8] |= 0x80 >> (i % 8)
		}
	}
	return out
}

// hasPositiveBase reports whether e has an event node with a positive base,
// the only thing the two forms write differently.
func hasPositiveBase(e *event) bool {
	return !e.isLeaf() && (e.n > 0 || hasPositiveBase(e.l) || hasPositiveBase(e.r))
}

func TestStampBinaryFormsVectors(t *testing.T) {
	cases := []struct {
		stamp            string
		cBits, erlBits   string // id bits | event bits, hand-derived
		cBytes, erlBytes []byte
		cAsErl, erlAsC   string // what the other form's decoder makes of the bytes: a stamp, or "" for an error
	}{
		{
			// id 1 = 00 1; leaf 0 = 1 enc(0, 2) = 1 0 00. Section 6's seed: one byte.
			stamp: "(1, 0)", cBits: "001 1000", erlBits: "001 1000",
			cBytes: []byte{0x30}, erlBytes: []byte{0x30}, cAsErl: "(1, 0)", erlAsC: "(1, 0)",
		},
		{
			// id 0 = 00 0; leaf 5 = 1 enc(5, 2) = 1 1 enc(1, 3) = 1 1 0 001.
			stamp: "(0, 5)", cBits: "000 110001", erlBits: "000 110001",
			cBytes: []byte{0x18, 0x80}, erlBytes: []byte{0x18, 0x80}, cAsErl: "(0, 5)", erlAsC: "(0, 5)",
		},
		{
			// (1, 0, 2) = 0 11 0 0 base(1) leaf(2), base(1) = enc(1, 2) = 0 01
			// (C, Java) or 1 0 01 (Erlang); leaf(2) = 1 0 10.
			stamp: "(1, (1, 0, 2))", cBits: "001 01100 001 1010", erlBits: "001 01100 1001 1010",
			cBytes: []byte{0x2c, 0x34}, erlBytes: []byte{0x2c, 0x9a},
		},
		{
			// id (1, 0) = 10 00 1; (1, 2, (0, 0, 1)) = 0 11 1 base(1) leaf(2)
			// (0 00 leaf(1)), leaf(1) = 1 0 01.
			stamp:   "((1, 0), (1, 2, (0, 0, 1)))",
			cBits:   "10001 0111 001 1010 000 1001",
			erlBits: "10001 0111 1001 1010 000 1001",
			cBytes:  []byte{0x8b, 0x9a, 0x12}, erlBytes: []byte{0x8b, 0xcd, 0x09},
		},
		{
			// (2, (0, 1, 0), 0) = 0 11 0 1 base(2) (0 01 leaf(1)), base(2) =
			// 0 10 or 1 0 10.
			stamp: "(0, (2, (0, 1, 0), 0))", cBits: "000 01101 010 001 1001", erlBits: "000 01101 1010 001 1001",
			cBytes: []byte{0x0d, 0x46, 0x40}, erlBytes: []byte{0x0d, 0xa3, 0x20},
		},
		{
			// (5, 0, 1) = 0 11 0 0 base(5) leaf(1), base(5) = enc(5, 2) = 1 0 001
			// or 1 1 0 001.
			stamp: "(0, (5, 0, 1))", cBits: "000 01100 10001 1001", erlBits: "000 01100 110001 1001",
			cBytes: []byte{0x0c, 0x8c, 0x80}, erlBytes: []byte{0x0c, 0xc6, 0x40},
		},
		{
			// A silent misread, C bytes read as Erlang. (6, 0, (0, 1, 0)) =
			// 0 11 0 0 base(6) (0 01 leaf(1)), base(6) = 1 0 010 in the C form.
			// The Erlang decoder takes base(6)'s first bit for the leaf tag, so
			// the base is 1 (0 01); the bits left, 0 00 1 1 0 010, are
			// (0, 0, 6): (1, 0, (0, 0, 6)), also normalised, and the three
			// padding bits are zero.
			stamp: "(0, (6, 0, (0, 1, 0)))", cBits: "000 01100 10010 001 1001", erlBits: "000 01100 110010 001 1001",
			cBytes: []byte{0x0c, 0x91, 0x90}, erlBytes: []byte{0x0c, 0xc8, 0xc8},
			cAsErl: "(0, (1, 0, (0, 0, 6)))",
		},
		{
			// A silent misread, Erlang bytes read as C. (1, 6, 0) = 0 11 0 1
			// base(1) leaf(6), base(1) = 1 0 01 in the Erlang form, leaf(6) =
			// 1 10010. The C decoder reads enc(n, 2) from the leaf tag on:
			// 1 0 011 is 4 + 3 = 7, and the bits left, 1 0 01, are the leaf 1:
			// (7, 1, 0).
			stamp: "((0, (1, 0)), (1, 6, 0))", cBits: "0110001 01101 001 110010", erlBits: "0110001 01101 1001 110010",
			cBytes: []byte{0x62, 0xd3, 0x90}, erlBytes: []byte{0x62, 0xd9, 0xc8},
			erlAsC: "((0, (1, 0)), (7, 1, 0))",
		},
	}
	for _, c := range cases {
		s, err := ParseStamp(c.stamp)
		require.NoError(t, err, c.stamp)
		require.Equal(t, c.cBytes, packBits(c.cBits), "%s: the hand-derived C bits must pack to the hand-derived bytes", c.stamp)
		require.Equal(t, c.erlBytes, packBits(c.erlBits), "%s: the hand-derived Erlang bits must pack to the hand-derived bytes", c.stamp)
		assert.Equal(t, strings.ReplaceAll(c.cBits, " ", ""), idBits(s.ident())+eventBits(s.events(), false), "%s: the oracle must agree with the hand derivation (C form)", c.stamp)
		assert.Equal(t, strings.ReplaceAll(c.erlBits, " ", ""), idBits(s.ident())+eventBits(s.events(), true), "%s: the oracle must agree with the hand derivation (Erlang form)", c.stamp)

		got, err := s.MarshalBinary()
		require.NoError(t, err)
		assert.Equal(t, c.cBytes, got, "%s: MarshalBinary writes the C and Java form", c.stamp)
		got, err = s.MarshalBinaryErlang()
		require.NoError(t, err)
		assert.Equal(t, c.erlBytes, got, "%s: MarshalBinaryErlang writes the Erlang form", c.stamp)

		var back Stamp
		require.NoError(t, back.UnmarshalBinary(c.cBytes), c.stamp)
		assert.True(t, back.Equal(s), "%s: UnmarshalBinary reads the C form back, got %s", c.stamp, back)
		back = Stamp{}
		require.NoError(t, back.UnmarshalBinaryErlang(c.erlBytes), c.stamp)
		assert.True(t, back.Equal(s), "%s: UnmarshalBinaryErlang reads the Erlang form back, got %s", c.stamp, back)

		// Each form's bytes given to the other's decoder.
		for _, x := range []struct {
			what   string
			data   []byte
			decode func(*Stamp, []byte) error
			want   string
		}{
			{"C bytes read as Erlang", c.cBytes, (*Stamp).UnmarshalBinaryErlang, c.cAsErl},
			{"Erlang bytes read as C", c.erlBytes, (*Stamp).UnmarshalBinary, c.erlAsC},
		} {
			var other Stamp
			err := x.decode(&other, x.data)
			if x.want == "" {
				assert.ErrorIs(t, err, ErrMalformed, "%s: %s must be refused", c.stamp, x.what)
				continue
			}
			require.NoError(t, err, "%s: %s", c.stamp, x.what)
			assert.Equal(t, x.want, other.String(), "%s: %s", c.stamp, x.what)
		}
	}
}

func TestStampBinaryErlangRejects(t *testing.T) {
	cases := []struct {
		name string
		bits string
		want error
	}{
		{"base not a leaf", "000 01100 0 01 1001", ErrMalformed},            // (n, 0, r) whose base starts with 0
		{"zero base in the long form", "000 01100 1000 1001", ErrMalformed}, // (0, 0, 1) written with a base
		{"truncated base", "000 01100 1", ErrMalformed},
		{"nonzero padding", "001 1000 1", ErrMalformed},
	}
	for _, c := range cases {
		var s Stamp
		err := s.UnmarshalBinaryErlang(packBits(c.bits))
		assert.ErrorIs(t, err, c.want, c.name)
		assert.True(t, s.Equal(Stamp{}), "%s: the receiver must be unchanged on error", c.name)
	}
}

// TestStampBinaryFormsProperties checks, for arbitrary stamps: each form is
// the oracle's bits, each decoder inverts its encoder, the forms differ
// exactly when an event node has a positive base, and a decoder given the
// other form's bytes never reads them as the stamp they encode (it refuses
// them, or, rarely, reads another stamp).
func TestStampBinaryFormsProperties(t *testing.T) {
	var differ, misreadAsErl, misreadAsC int
	rapid.Check(t, func(t *rapid.T) {
		s := arbitraryStamp().Draw(t, "s")
		c, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		e, err := s.MarshalBinaryErlang()
		if err != nil {
			t.Fatal(err)
		}
		if want := packBits(idBits(s.ident()) + eventBits(s.events(), false)); string(c) != string(want) {
			t.Fatalf("MarshalBinary must write the C and Java grammar: %s: %x, want %x", s, c, want)
		}
		if want := packBits(idBits(s.ident()) + eventBits(s.events(), true)); string(e) != string(want) {
			t.Fatalf("MarshalBinaryErlang must write the Erlang grammar: %s: %x, want %x", s, e, want)
		}
		var back Stamp
		if err := back.UnmarshalBinaryErlang(e); err != nil || !back.Equal(s) {
			t.Fatalf("UnmarshalBinaryErlang must invert MarshalBinaryErlang: %s -> %x -> %s (%v)", s, e, back, err)
		}
		if (string(c) != string(e)) != hasPositiveBase(s.events()) {
			t.Fatalf("the forms must differ exactly when an event node has a positive base: %s: %x and %x", s, c, e)
		}
		if string(c) == string(e) {
			return
		}
		differ++
		for _, x := range []struct {
			data    []byte
			decode  func(*Stamp, []byte) error
			misread *int
		}{{c, (*Stamp).UnmarshalBinaryErlang, &misreadAsErl}, {e, (*Stamp).UnmarshalBinary, &misreadAsC}} {
			var other Stamp
			err := x.decode(&other, x.data)
			switch {
			case err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge):
				t.Fatalf("a decode error must wrap ErrMalformed or ErrTooLarge: %v", err)
			case err == nil && other.Equal(s):
				t.Fatalf("bytes of one form must never decode to the same stamp in the other when the forms differ: %s from %x", s, x.data)
			case err == nil:
				*x.misread++
				if nf := StampNormalForm(other); nf != nil {
					t.Fatalf("a misread stamp must still be normalised: %s: %v", other, nf)
				}
			}
		}
	})
	t.Logf("of %d stamps whose forms differ, %d C encodings read as another stamp by the Erlang decoder, %d Erlang encodings by the C decoder",
		differ, misreadAsErl, misreadAsC)
}
