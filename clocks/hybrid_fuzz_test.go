package clocks_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/eventually-perfect/primitives/clocks"
)

// Fuzz targets for the Timestamp decoders. Both encodings are canonical, so
// every input a decoder accepts must re-encode to exactly the input, and
// every input it rejects must be rejected with ErrMalformed, leaving the
// receiver unchanged. Run one with, for example,
//
//	go test ./clocks -run XXX -fuzz FuzzTimestampUnmarshalBinary -fuzztime 30s

func FuzzTimestampUnmarshalBinary(f *testing.F) {
	for _, ts := range fuzzSeedTimestamps {
		data, _ := ts.MarshalBinary()
		f.Add(data)
	}
	f.Add([]byte{})
	f.Add([]byte{0x80})
	f.Add(make([]byte, clocks.TimestampSize+1))
	f.Fuzz(func(t *testing.T, data []byte) {
		sentinel := clocks.Timestamp{Wall: 42, Logical: 7}
		ts := sentinel
		err := ts.UnmarshalBinary(data)
		if len(data) != clocks.TimestampSize {
			if !errors.Is(err, clocks.ErrMalformed) {
				t.Fatalf("UnmarshalBinary accepted a %d-byte input or failed without ErrMalformed: %v", len(data), err)
			}
			if ts != sentinel {
				t.Fatalf("UnmarshalBinary changed its receiver on error: %v", ts)
			}
			return
		}
		if err != nil {
			t.Fatalf("every %d-byte input encodes a timestamp, but UnmarshalBinary(%x) failed: %v", clocks.TimestampSize, data, err)
		}
		again, err := ts.MarshalBinary()
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("binary encoding is not canonical: %x decodes to %v, which encodes to %x (%v)", data, ts, again, err)
		}
	})
}

func FuzzTimestampUnmarshalText(f *testing.F) {
	for _, ts := range fuzzSeedTimestamps {
		f.Add(ts.String())
	}
	for _, s := range []string{"", "-0.000000000+0", "01.000000000+0", "1.000000000+01", "9223372036.854775808+0", "1.000000000+4294967296"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sentinel := clocks.Timestamp{Wall: 42, Logical: 7}
		ts := sentinel
		if err := ts.UnmarshalText([]byte(s)); err != nil {
			if !errors.Is(err, clocks.ErrMalformed) {
				t.Fatalf("UnmarshalText(%q) failed without ErrMalformed: %v", s, err)
			}
			if ts != sentinel {
				t.Fatalf("UnmarshalText(%q) changed its receiver on error: %v", s, ts)
			}
			return
		}
		if again := ts.String(); again != s {
			t.Fatalf("text encoding is not canonical: %q parses to {%d %d}, which prints as %q", s, ts.Wall, ts.Logical, again)
		}
	})
}

// FuzzTimestampEncodings checks, for any two timestamps, that both
// encodings round-trip and that the binary encoding orders bytewise as the
// timestamps do.
func FuzzTimestampEncodings(f *testing.F) {
	for i, ts := range fuzzSeedTimestamps {
		u := fuzzSeedTimestamps[(i+1)%len(fuzzSeedTimestamps)]
		f.Add(ts.Wall, ts.Logical, u.Wall, u.Logical)
	}
	f.Fuzz(func(t *testing.T, wall int64, logical uint32, wall2 int64, logical2 uint32) {
		ts := clocks.Timestamp{Wall: wall, Logical: logical}
		u := clocks.Timestamp{Wall: wall2, Logical: logical2}

		var back clocks.Timestamp
		if err := back.UnmarshalText([]byte(ts.String())); err != nil || back != ts {
			t.Fatalf("text encoding does not round-trip: %v -> %q -> %v (%v)", ts, ts.String(), back, err)
		}
		a, _ := ts.MarshalBinary()
		b, _ := u.MarshalBinary()
		back = clocks.Timestamp{}
		if err := back.UnmarshalBinary(a); err != nil || back != ts {
			t.Fatalf("binary encoding does not round-trip: %v -> %x -> %v (%v)", ts, a, back, err)
		}
		if got, want := bytes.Compare(a, b), ts.Compare(u); got != want {
			t.Fatalf("binary encoding does not preserve order: %v.Compare(%v) = %d but bytes.Compare = %d", ts, u, want, got)
		}
	})
}

var fuzzSeedTimestamps = []clocks.Timestamp{
	{},
	{Wall: 1_700_000_000_000_000_001, Logical: 3},
	{Wall: -1, Logical: 0},
	{Wall: -1_500_000_000, Logical: 7},
	{Wall: math.MaxInt64, Logical: math.MaxUint32},
	{Wall: math.MinInt64, Logical: 1},
	{Wall: clocks.MaxWall, Logical: 0},
}

// FuzzTimestampUnmarshalJSON compares UnmarshalJSON, which reads the JSON
// string in place, with encoding/json's unquoting followed by
// UnmarshalText (see checkTextJSON).
func FuzzTimestampUnmarshalJSON(f *testing.F) {
	for _, ts := range fuzzSeedTimestamps {
		f.Add([]byte(`"` + ts.String() + `"`))
	}
	for _, s := range []string{`null`, `"\u0031.000000000+0"`, `"1.000000000+0\n"`, `1`, `{}`, `"`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkTextJSON(t, data,
			func(b []byte) (fmt.Stringer, error) {
				ts := clocks.Timestamp{Wall: 42, Logical: 7}
				err := ts.UnmarshalJSON(b)
				return ts, err
			},
			func(b []byte) (fmt.Stringer, error) {
				ts := clocks.Timestamp{Wall: 42, Logical: 7}
				err := ts.UnmarshalText(b)
				return ts, err
			})
	})
}
