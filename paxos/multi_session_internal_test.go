package paxos

import (
	"bytes"
	"testing"

	"pgregory.net/rapid"
)

// TestSessionModel: a client's session agrees with a set of applied
// Seqs (the reference model) for any order of commands, as long as no
// more than maxAbove are applied ahead of a missing one; beyond that the
// oldest missing Seqs are given up, never a newer one.
func TestSessionModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var c client
		applied := map[uint64]bool{}
		seqs := rapid.SliceOf(rapid.Uint64Range(1, 40)).Draw(t, "seqs")
		for _, s := range seqs {
			if c.applied(s) != applied[s] {
				t.Fatalf("session says Seq %d applied=%v, the model %v", s, c.applied(s), applied[s])
			}
			if !applied[s] {
				c.add(s)
				applied[s] = true
			}
		}
		for s := uint64(1); s <= 41; s++ {
			if c.applied(s) != applied[s] {
				t.Fatalf("session says Seq %d applied=%v, the model %v (%+v)", s, c.applied(s), applied[s], c)
			}
		}
		if len(c.above) > maxAbove {
			t.Fatalf("a session keeps %d Seqs above its prefix, more than %d", len(c.above), maxAbove)
		}
	})
}

// FuzzSessionSnapshot: the replicated-state snapshot decoder never
// panics, and what it accepts re-encodes to its input (canonical).
func FuzzSessionSnapshot(f *testing.F) {
	f.Add(encodeSnapshot(map[string]*client{"a": {seq: 3, above: []uint64{5, 9}, last: 9, result: "ok"}, "b": {seq: 1}}, []byte("app")))
	f.Add(encodeSnapshot(nil, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		clients, app, err := decodeSnapshot(data)
		if err != nil {
			return
		}
		if again := encodeSnapshot(clients, app); !bytes.Equal(again, data) {
			t.Fatalf("a decoded snapshot must re-encode to its input: %x, then %x", data, again)
		}
	})
}

// TestSessionSnapshotBinaryResult: a session's result is any bytes, of any
// length (even over the 1 MiB that bounds a command's op): the snapshot
// keeps it byte for byte.
func TestSessionSnapshotBinaryResult(t *testing.T) {
	big := bytes.Repeat([]byte{0, 0xff, 0xc3, 0x28}, maxEncoded/2)
	for _, result := range []string{"\x00", "\xff\xfe\x00\xc3\x28", string(big)} {
		in := map[string]*client{"\x00c\xff": {seq: 2, last: 2, result: result}}
		clients, app, err := decodeSnapshot(encodeSnapshot(in, []byte{0, 1, 0xff}))
		if err != nil {
			t.Fatalf("a snapshot with a result of %d bytes does not decode: %v", len(result), err)
		}
		c := clients["\x00c\xff"]
		if c == nil || c.result != result || c.last != 2 || !bytes.Equal(app, []byte{0, 1, 0xff}) {
			t.Fatalf("a session's binary result of %d bytes changed through the snapshot", len(result))
		}
	}
}
