package clocks_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/eventually-perfect/primitives/clocks"
)

// The decoders' allocation, measured: for each decoder, the inputs that
// make it allocate the most per input byte, accepted or refused, and the
// bytes it allocates per input byte on them. The bounds asserted here are
// the ones stated in the package documentation (section Encodings).
// Allocation is counted with runtime.MemStats.TotalAlloc, which is exact
// and does not depend on timing, so these tests cannot flake; each input
// is large enough that the fixed cost of an error message is negligible.

// errorAllowance is what a refusal may allocate for its error, whatever
// the input's size.
const errorAllowance = 2048

// decodeCase is one decoder on one adversarial input.
type decodeCase struct {
	name   string
	in     func() []byte // built once, outside the measurement
	decode func([]byte) error
	ok     bool    // whether the decoder accepts the input
	bound  float64 // most bytes allocated per input byte
}

// allocPerByte returns the bytes decode allocates on in, per input byte,
// and decode's error.
func allocPerByte(in []byte, decode func([]byte) error) (float64, error) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := decode(in)
	runtime.ReadMemStats(&after)
	return float64(after.TotalAlloc-before.TotalAlloc) / float64(max(len(in), 1)), err
}

// The decoders under test.
var (
	decodeVectorBinary = func(b []byte) error { var v clocks.Vector; return v.UnmarshalBinary(b) }
	decodeVectorJSON   = func(b []byte) error { var v clocks.Vector; return v.UnmarshalJSON(b) }
	decodeVectorViaStd = func(b []byte) error { var v clocks.Vector; return json.Unmarshal(b, &v) }
	decodeStampBinary  = func(b []byte) error { var s clocks.Stamp; return s.UnmarshalBinary(b) }
	decodeStampText    = func(b []byte) error { var s clocks.Stamp; return s.UnmarshalText(b) }
	decodeTimestampTxt = func(b []byte) error { var ts clocks.Timestamp; return ts.UnmarshalText(b) }
	decodeTimestampBin = func(b []byte) error { var ts clocks.Timestamp; return ts.UnmarshalBinary(b) }
	decodeStampViaStd  = func(b []byte) error { var s clocks.Stamp; return json.Unmarshal(b, &s) }
	decodeTimestampStd = func(b []byte) error { var ts clocks.Timestamp; return json.Unmarshal(b, &ts) }
)

// shortVectorIDs returns n distinct IDs as short as possible among those a
// JSON string holds without escapes: the printable ASCII characters other
// than the quote and the backslash, then pairs of them, then triples.
func shortVectorIDs(n int) []string {
	var alphabet []byte
	for c := byte(' '); c <= '~'; c++ {
		if c != '"' && c != '\\' {
			alphabet = append(alphabet, c)
		}
	}
	ids := make([]string, 0, n)
	for length := 1; len(ids) < n; length++ {
		idx := make([]int, length)
		for len(ids) < n {
			b := make([]byte, length)
			for i, k := range idx {
				b[i] = alphabet[k]
			}
			ids = append(ids, string(b))
			i := length - 1
			for i >= 0 && idx[i] == len(alphabet)-1 {
				idx[i] = 0
				i--
			}
			if i < 0 {
				break
			}
			idx[i]++
		}
	}
	return ids
}

// densestVector returns the vector of MaxVectorEntries entries whose
// binary encoding is the shortest: all 256 one-byte IDs and then two-byte
// IDs, each with count 1 (4 bytes an entry, a 32-byte slot each decoded).
func densestVector() clocks.Vector {
	e := make([]clocks.Entry, 0, clocks.MaxVectorEntries)
	for i := range 256 {
		e = append(e, clocks.Entry{ID: string([]byte{byte(i)}), Count: 1})
	}
	for i := 0; len(e) < clocks.MaxVectorEntries; i++ {
		e = append(e, clocks.Entry{ID: string([]byte{byte(i >> 8), byte(i)}), Count: 1})
	}
	return clocks.VectorOf(e...)
}

// vectorJSON writes n members "id":count with the shortest IDs.
func vectorJSON(n int, count string) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, id := range shortVectorIDs(n) {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%s", id, count)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// hugeInput is the size of the oversized inputs: 60 MB, or 8 MB under the
// race detector, which multiplies the memory they take.
var hugeInput = 60 << 20

// raceDetector is set under the race detector, whose allocator rounds
// small objects up more than the normal one.
var raceDetector = false

// manyKeysJSON returns a Vector JSON of at least size bytes, with keys
// "0", "1", "2", ... (about 5 million of them for 60 MB).
func manyKeysJSON(size int) []byte {
	b := make([]byte, 0, size+32)
	b = append(b, '{')
	for i := 0; len(b) < size; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `":1`...)
	}
	return append(b, '}')
}

// huge returns prefix, size bytes of fill, then suffix.
func huge(prefix string, fill byte, size int, suffix string) []byte {
	b := make([]byte, 0, len(prefix)+size+len(suffix))
	b = append(b, prefix...)
	b = append(b, bytes.Repeat([]byte{fill}, size)...)
	return append(b, suffix...)
}

// chainStamp returns the text of the anonymous stamp whose event tree is a
// full binary tree of depth 7 of nodes (0, l, r), each of whose 128 leaves
// is a chain of 250 nodes (0, 0, e) ending in the leaf 1: 32,127 nodes at
// three bits each in the binary encoding, the most nodes per bit.
func chainStamp() string {
	var b strings.Builder
	var tree func(depth int)
	tree = func(depth int) {
		if depth == 7 {
			b.WriteString(strings.Repeat("(0, 0, ", 250))
			b.WriteString("1")
			b.WriteString(strings.Repeat(")", 250))
			return
		}
		b.WriteString("(0, ")
		tree(depth + 1)
		b.WriteString(", ")
		tree(depth + 1)
		b.WriteString(")")
	}
	b.WriteString("(0, ")
	tree(0)
	b.WriteString(")")
	return b.String()
}

// idChainStamp returns the text of a stamp whose id tree is a full binary
// tree of depth 7 whose 128 leaves are chains of 250 nodes (0, i) ending in
// 1: two bits a node.
func idChainStamp() string {
	var b strings.Builder
	var tree func(depth int)
	tree = func(depth int) {
		if depth == 7 {
			b.WriteString(strings.Repeat("(0, ", 250))
			b.WriteString("1")
			b.WriteString(strings.Repeat(")", 250))
			return
		}
		b.WriteString("(")
		tree(depth + 1)
		b.WriteString(", ")
		tree(depth + 1)
		b.WriteString(")")
	}
	b.WriteString("(")
	tree(0)
	b.WriteString(", 0)")
	return b.String()
}

// bigLeafStamp returns the text of the anonymous stamp whose event tree
// is a chain of nodes (0, 64, e) ending in the leaf 64 (in 250 chains of
// 250): each node brings a leaf too large to be shared, the most
// allocation per byte of text.
func bigLeafStamp() string {
	var b strings.Builder
	var tree func(depth int)
	tree = func(depth int) {
		if depth == 7 {
			b.WriteString(strings.Repeat("(0, 64, ", 250))
			b.WriteString("0")
			b.WriteString(strings.Repeat(")", 250))
			return
		}
		b.WriteString("(0, ")
		tree(depth + 1)
		b.WriteString(", ")
		tree(depth + 1)
		b.WriteString(")")
	}
	b.WriteString("(0, ")
	tree(0)
	b.WriteString(")")
	return b.String()
}

func mustBinary(s string) []byte {
	st, err := clocks.ParseStamp(s)
	if err != nil {
		panic(err)
	}
	b, err := st.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return b
}

func mustVectorBinary(v clocks.Vector) []byte {
	b, err := v.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return b
}

// withTrailing returns b with a byte appended: a refused input whose every
// other part is valid, so the decoder does all its work before refusing.
func withTrailing(b []byte, c byte) []byte { return append(slices.Clip(b), c) }

// decodeCases are the adversarial inputs, with the bounds the package
// documentation states.
var decodeCases = []decodeCase{
	{"Vector binary/densest", func() []byte { return mustVectorBinary(densestVector()) }, decodeVectorBinary, true, 9},
	{"Vector binary/densest+trailing byte", func() []byte { return withTrailing(mustVectorBinary(densestVector()), 0) }, decodeVectorBinary, false, 9},
	{"Vector JSON/densest", func() []byte { return vectorJSON(clocks.MaxVectorEntries, "1") }, decodeVectorJSON, true, 6},
	{"Vector JSON/densest, zero counts", func() []byte { return vectorJSON(clocks.MaxVectorEntries, "0") }, decodeVectorJSON, true, 6},
	{"Vector JSON/densest+trailing data", func() []byte { return withTrailing(vectorJSON(clocks.MaxVectorEntries, "1"), 'x') }, decodeVectorJSON, false, 0.01},
	{"Vector JSON/densest via encoding/json", func() []byte { return vectorJSON(clocks.MaxVectorEntries, "1") }, decodeVectorViaStd, true, 6},
	{"Vector JSON/60 MB, 5 million keys", func() []byte { return manyKeysJSON(hugeInput) }, decodeVectorJSON, false, 0.01},
	{"Vector JSON/60 MB key", func() []byte { return huge(`{"`, 'x', hugeInput, `":1}`) }, decodeVectorJSON, false, 0.01},
	{"Vector JSON/60 MB count", func() []byte { return huge(`{"x":`, '9', hugeInput, `}`) }, decodeVectorJSON, false, 0.01},
	{"Vector JSON/60 MB of nesting", func() []byte { return huge(`{"x":`, '[', hugeInput, ``) }, decodeVectorJSON, false, 0.01},
	{"Stamp binary/event chains", func() []byte { return mustBinary(chainStamp()) }, decodeStampBinary, true, 66},
	{"Stamp binary/event chains+trailing byte", func() []byte { return withTrailing(mustBinary(chainStamp()), 0) }, decodeStampBinary, false, 0.01},
	{"Stamp binary/id chains", func() []byte { return mustBinary(idChainStamp()) }, decodeStampBinary, true, 66},
	{"Stamp text/event chains", func() []byte { return []byte(chainStamp()) }, decodeStampText, true, 5},
	{"Stamp text/event chains+trailing space", func() []byte { return withTrailing([]byte(chainStamp()), ' ') }, decodeStampText, false, 0.01},
	{"Stamp text/id chains", func() []byte { return []byte(idChainStamp()) }, decodeStampText, true, 5},
	{"Stamp text/big leaves", func() []byte { return []byte(bigLeafStamp()) }, decodeStampText, true, 6},
	{"Stamp binary/big leaves", func() []byte { return mustBinary(bigLeafStamp()) }, decodeStampBinary, true, 66},
	{"Stamp JSON/event chains via encoding/json", func() []byte { return []byte(`"` + chainStamp() + `"`) }, decodeStampViaStd, true, 5},
	{"Stamp JSON/60 MB invalid UTF-8 via encoding/json", func() []byte { return huge(`"`, 0xff, hugeInput, `"`) }, decodeStampViaStd, false, 0.01},
	{"Timestamp JSON/60 MB invalid UTF-8 via encoding/json", func() []byte { return huge(`"`, 0xff, hugeInput, `"`) }, decodeTimestampStd, false, 0.01},
	{"Timestamp text/60 MB", func() []byte { return huge("", 0xff, hugeInput, "") }, decodeTimestampTxt, false, 0.01},
	{"Timestamp binary/60 MB", func() []byte { return make([]byte, hugeInput) }, decodeTimestampBin, false, 0.01},
}

// TestDecodersAllocationPerInputByte: no decoder allocates more per input
// byte than the package documentation states, on the inputs that make it
// allocate the most; refused input costs (almost) nothing, because every
// decoder checks its input before it builds anything.
func TestDecodersAllocationPerInputByte(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 60 MB inputs; run without -short")
	}
	for _, c := range decodeCases {
		in := c.in()
		got, err := allocPerByte(in, c.decode)
		if c.ok && err != nil {
			t.Errorf("%s: the decoder must accept this input: %v", c.name, err)
		}
		if !c.ok && err == nil {
			t.Errorf("%s: the decoder must refuse this input", c.name)
		}
		t.Logf("%-45s %9d bytes: %6.2f bytes allocated per input byte (bound %g)", c.name, len(in), got, c.bound)
		// The error message is allowed its few hundred bytes.
		if c.ok && raceDetector {
			continue
		}
		if got*float64(len(in)) > c.bound*float64(len(in))+errorAllowance {
			t.Errorf("%s: allocated %.2f bytes per input byte, more than the documented %g", c.name, got, c.bound)
		}
	}
}

// BenchmarkDecodeAllocation reports the bytes allocated per input byte
// (B/in-byte) for each adversarial input of decodeCases:
//
//	go test ./clocks -run XXX -bench DecodeAllocation -benchtime 3x
func BenchmarkDecodeAllocation(b *testing.B) {
	for _, c := range decodeCases {
		in := c.in()
		b.Run(strings.ReplaceAll(c.name, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for b.Loop() {
				_ = c.decode(in)
			}
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/float64(len(in)), "B/in-byte")
		})
	}
}
