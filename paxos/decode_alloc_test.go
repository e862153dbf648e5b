package paxos_test

// What the decoders allocate, per byte of input, on the inputs that make
// them allocate most (DESIGN.md: decoders "never allocate more than the
// input can justify"; issue 11: "a 10 MB Paxos log message takes 213
// MB"). Each family below is the worst shape of input for one decoder:
// the smallest encoding of the largest Go value (an Entry is 64 bytes in
// memory and 5 on the wire, a Command 40 and 3), or many short strings.
// Every family is measured as it is, and with one byte appended, which
// the decoder must refuse: what a refused input costs matters most,
// since anyone can send one.

import (
	"bytes"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/stretchr/testify/require"
)

// decodeFamily is one worst-case input of one decoder.
type decodeFamily struct {
	name   string
	decode func([]byte) error
	input  func(size int) []byte // a valid input of about size bytes
}

func decodeMessage(b []byte) error  { var m paxos.Message; return m.UnmarshalBinary(b) }
func decodeState(b []byte) error    { var s paxos.State; return s.UnmarshalBinary(b) }
func decodeEntry(b []byte) error    { var e paxos.Entry; return e.UnmarshalBinary(b) }
func decodeLogMsg(b []byte) error   { var m paxos.LogMessage; return m.UnmarshalBinary(b) }
func decodeLogState(b []byte) error { var s paxos.LogState; return s.UnmarshalBinary(b) }

// decoders are the decoders under test, by name.
var decoders = []struct {
	name   string
	decode func([]byte) error
}{
	{"Message", decodeMessage}, {"State", decodeState}, {"Entry", decodeEntry},
	{"LogMessage", decodeLogMsg}, {"LogState", decodeLogState},
}

func mustMarshal(t interface{ MarshalBinary() ([]byte, error) }) []byte {
	b, err := t.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return b
}

// entriesOf returns n entries of the given shape, numbered from slot 0 if
// ordered, all in slot 0 otherwise.
func entriesOf(n int, ordered bool, shape func(i int) paxos.Entry) []paxos.Entry {
	es := make([]paxos.Entry, n)
	for i := range es {
		es[i] = shape(i)
		if ordered {
			es[i].Slot = uint64(i)
		}
	}
	return es
}

// shortName returns a distinct name of two or three bytes for i (strings
// of one byte cost nothing to make in Go).
func shortName(i int) string { return fmt.Sprintf("%02x", i%4096) }

var (
	emptyEntry      = func(int) paxos.Entry { return paxos.Entry{} }
	oneCommandEntry = func(int) paxos.Entry { return paxos.Entry{Commands: []paxos.Command{{}}} }
	namedEntry      = func(i int) paxos.Entry {
		return paxos.Entry{Ballot: paxos.Ballot{Round: 1, Node: shortName(i)}, Commands: []paxos.Command{{Client: shortName(i + 1)}}}
	}
)

func decodeFamilies() []decodeFamily {
	return []decodeFamily{
		{"Message, short strings", decodeMessage, func(int) []byte {
			return mustMarshal(paxos.Message{Type: paxos.Promise, From: "ab", To: "cd", Ballot: b(1, "ef"), VBallot: b(1, "gh"), Value: "ij", Highest: b(1, "kl")})
		}},
		{"Message, 9-byte strings", decodeMessage, func(int) []byte {
			s := "123456789"
			return mustMarshal(paxos.Message{Type: paxos.Promise, From: s, To: s, Ballot: b(1, s), VBallot: b(1, s), Value: s, Highest: b(1, s)})
		}},
		{"Message, large value", decodeMessage, func(size int) []byte {
			return mustMarshal(paxos.Message{Type: paxos.Accept, From: "a", To: "b", Ballot: b(1, "a"), Value: strings.Repeat("v", min(size, 1<<20))})
		}},
		{"State, 9-byte strings", decodeState, func(int) []byte {
			s := "123456789"
			return mustMarshal(paxos.State{Promised: b(2, s), Accepted: b(1, s), Value: s, Round: 3})
		}},
		{"Entry, empty commands", decodeEntry, func(size int) []byte {
			return mustMarshal(paxos.Entry{Commands: make([]paxos.Command, size/3)})
		}},
		{"Entry, short clients", decodeEntry, func(size int) []byte {
			cs := make([]paxos.Command, size/5)
			for i := range cs {
				cs[i].Client = shortName(i)
			}
			return mustMarshal(paxos.Entry{Commands: cs})
		}},
		{"LogMessage, empty entries", decodeLogMsg, func(size int) []byte {
			return mustMarshal(paxos.LogMessage{Type: paxos.LogPromise, Entries: entriesOf(size/5, false, emptyEntry)})
		}},
		{"LogMessage, one empty command each", decodeLogMsg, func(size int) []byte {
			return mustMarshal(paxos.LogMessage{Type: paxos.LogPromise, Entries: entriesOf(size/8, false, oneCommandEntry)})
		}},
		{"LogMessage, short names", decodeLogMsg, func(size int) []byte {
			return mustMarshal(paxos.LogMessage{Type: paxos.LogPromise, Entries: entriesOf(size/13, false, namedEntry)})
		}},
		{"LogMessage, empty commands in Entry", decodeLogMsg, func(size int) []byte {
			return mustMarshal(paxos.LogMessage{Type: paxos.LogAccept, Entry: paxos.Entry{Commands: make([]paxos.Command, size/3)}})
		}},
		{"LogMessage, snapshot", decodeLogMsg, func(size int) []byte {
			return mustMarshal(paxos.LogMessage{Type: paxos.LogSnapshot, Snapshot: bytes.Repeat([]byte{7}, size)})
		}},
		{"LogState, empty entries", decodeLogState, func(size int) []byte {
			return mustMarshal(paxos.LogState{Entries: entriesOf(size/7, true, emptyEntry)})
		}},
		{"LogState, one empty command each", decodeLogState, func(size int) []byte {
			return mustMarshal(paxos.LogState{Entries: entriesOf(size/10, true, oneCommandEntry)})
		}},
	}
}

// allocated returns the bytes allocated per call of f, averaged over
// runs calls (runtime.MemStats.TotalAlloc, which counts every allocation,
// garbage included).
//
// The counter is the whole process's, so what other goroutines allocate
// meanwhile (the fuzzing engine's, under -fuzz) would be counted too: the
// least of five measurements is taken, since noise only adds.
func allocated(runs int, f func()) float64 {
	f() // warm up: lazily built tables and the like are not the decoder's
	least := math.Inf(1)
	for range 5 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range runs {
			f()
		}
		runtime.ReadMemStats(&after)
		least = min(least, float64(after.TotalAlloc-before.TotalAlloc)/float64(runs))
	}
	return least
}

// decodeCost returns the bytes a decoder allocates per input byte on
// input, and on input with a byte appended (which it must refuse).
func decodeCost(t testing.TB, fam decodeFamily, input []byte) (ok, refused float64) {
	require.NoError(t, fam.decode(input), "%s: the worst-case input must decode", fam.name)
	bad := append(bytes.Clone(input), 0)
	require.Error(t, fam.decode(bad), "%s: a trailing byte must be refused", fam.name)
	runs := max(4, min(256, 1<<16/len(input)))
	ok = allocated(runs, func() { _ = fam.decode(input) }) / float64(len(input))
	refused = allocated(max(16, runs), func() { _ = fam.decode(bad) }) / float64(len(bad))
	return ok, refused
}

// Bounds on what a decoder may allocate (the worst case stated in the
// package documentation, "Decoding cost"): an input that is accepted
// costs at most perByte bytes per input byte, plus slack (the error, or
// the rounding of a small slice up to the allocator's size class); an
// input that is refused costs at most slack, whatever its length. The
// error takes about 200 bytes; under the race detector, fmt's pool of
// printers drops some at random, and making a new one costs more.
const (
	perByte = 16
	slack   = 1024
)

// decodeSizes are the sizes each family is measured at: every small size
// (where the allocator's rounding weighs most) and powers of four to 64 KiB.
func decodeSizes() []int {
	var sizes []int
	for n := 1; n <= 48; n++ {
		sizes = append(sizes, n)
	}
	for n := 64; n <= 1<<16; n *= 4 {
		sizes = append(sizes, n)
	}
	return sizes
}

// TestDecodeAllocationBound: no decoder allocates more than perByte bytes
// per byte of an input it accepts (plus slack), and none allocates more
// than slack bytes for an input it refuses, on the worst-case inputs of
// each decoder at every size. (Before the decoders checked their input in
// a dry pass, a refused 1 MiB LogMessage allocated 21 bytes per byte.)
func TestDecodeAllocationBound(t *testing.T) {
	for _, fam := range decodeFamilies() {
		worst, worstRefused, at := 0.0, 0.0, 0
		seen := map[int]bool{}
		for _, size := range decodeSizes() {
			in := fam.input(size)
			if seen[len(in)] {
				continue
			}
			seen[len(in)] = true
			ok, refused := decodeCost(t, fam, in)
			n := float64(len(in))
			require.LessOrEqual(t, ok*n, perByte*n+slack,
				"%s: decoding %d bytes allocated %.0f bytes; an accepted input may cost at most %d bytes per byte plus %d", fam.name, len(in), ok*n, perByte, slack)
			require.LessOrEqual(t, refused*(n+1), float64(slack),
				"%s: refusing %d bytes allocated %.0f bytes; a refused input may cost only the error (%d bytes)", fam.name, len(in)+1, refused*(n+1), slack)
			if ok > worst && len(in) >= 1<<10 {
				worst, at = ok, len(in)
			}
			worstRefused = max(worstRefused, refused*(n+1))
		}
		t.Logf("%-38s worst %5.2f bytes per input byte (%d bytes, inputs of 1 KiB or more); refused: at most %.0f bytes", fam.name, worst, at, worstRefused)
	}
}

// BenchmarkDecodeWorst decodes the worst input of each family at 1 MiB,
// and the same with a trailing byte (refused); alloc-B/in-B is what the
// decoder allocated per input byte (go test -bench DecodeWorst -benchmem).
func BenchmarkDecodeWorst(b *testing.B) {
	for _, fam := range decodeFamilies() {
		in := fam.input(1 << 20)
		bad := append(bytes.Clone(in), 0)
		for _, c := range []struct {
			name string
			in   []byte
		}{{"ok", in}, {"refused", bad}} {
			b.Run(strings.ReplaceAll(fam.name, " ", "_")+"/"+c.name, func(b *testing.B) {
				b.SetBytes(int64(len(c.in)))
				b.ReportAllocs()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				for b.Loop() {
					_ = fam.decode(c.in)
				}
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/float64(len(c.in)), "alloc-B/in-B")
			})
		}
	}
}
