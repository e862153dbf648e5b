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
