package crdt_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/eventually-perfect/primitives/crdt"
)

func sameMsg(a, b setMsg) bool {
	return a.Ack == b.Ack && a.Full == b.Full && a.Incarnation == b.Incarnation && a.Seq == b.Seq && a.State.Equal(b.State)
}

// sampleMsgs returns the same messages at every call (the digests of
// the states are drawn once).
func sampleMsgs() []setMsg {
	samples.once.Do(func() { samples.msgs = makeSampleMsgs() })
	msgs := make([]setMsg, len(samples.msgs))
	for i, m := range samples.msgs {
		msgs[i] = m
		msgs[i].State = m.State.Clone()
	}
	return msgs
}

var samples struct {
	once sync.Once
	msgs []setMsg
}

func makeSampleMsgs() []setMsg {
	var s crdt.ORSet[int]
	d := s.Add("a", 1)
	s.Add("b", 2)
	return []setMsg{
		{Incarnation: 0, Seq: 1, State: d},
		{Full: true, Incarnation: 1 << 40, Seq: 300, State: s.Clone()},
		{Ack: true, Incarnation: 7, Seq: 3},
		{Seq: 2}, // an empty interval
	}
}

// TestReplicaMessageRoundTrip: both encodings give back the message, and
// the binary one is canonical (decode then encode gives the same bytes).
func TestReplicaMessageRoundTrip(t *testing.T) {
	for _, m := range sampleMsgs() {
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var x setMsg
		if err := x.UnmarshalBinary(b); err != nil || !sameMsg(x, m) {
			t.Fatalf("%v: binary does not round-trip: %v, %v", m, x, err)
		}
		if again, _ := x.MarshalBinary(); !bytes.Equal(again, b) {
			t.Fatalf("%v: binary encoding is not canonical: %x then %x", m, b, again)
		}
		j, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var y setMsg
		if err := json.Unmarshal(j, &y); err != nil || !sameMsg(y, m) {
			t.Fatalf("%v: JSON %s does not round-trip: %v, %v", m, j, y, err)
		}
	}
	if _, err := (setMsg{Ack: true, Full: true, Seq: 1}).MarshalBinary(); !errors.Is(err, crdt.ErrMalformed) {
		t.Errorf("a message both Ack and Full was encoded: %v", err)
	}
	if _, err := (setMsg{Ack: true}).MarshalJSON(); !errors.Is(err, crdt.ErrMalformed) {
		t.Errorf("a message with sequence number 0 was encoded: %v", err)
	}
	type plain struct{ X int }
	if _, err := (crdt.ReplicaMessage[plain]{Seq: 1}).MarshalBinary(); err == nil {
		t.Error("a state without a binary encoding was encoded")
	}
}

// TestReplicaMessageRejects: malformed encodings are refused with
// ErrMalformed, and leave the receiver unchanged.
func TestReplicaMessageRejects(t *testing.T) {
	good, _ := sampleMsgs()[0].MarshalBinary()
	ack, _ := sampleMsgs()[2].MarshalBinary()
	binaries := map[string][]byte{
		"empty":                 {},
		"unknown format":        {2, 2, 0, 1},
		"unknown kind":          {1, 3, 0, 1},
		"truncated":             {1, 2, 0},
		"non-minimal varint":    {1, 2, 0x80, 0x00, 1},
		"sequence number 0":     {1, 2, 0, 0},
		"bytes after an ack":    append(append([]byte{}, ack...), 0),
		"state missing":         {1, 0, 0, 1},
		"state trailing byte":   append(append([]byte{}, good...), 0),
		"state truncated":       good[:len(good)-1],
		"state of another type": {1, 0, 0, 1, 1, 0},
	}
	for name, b := range binaries {
		x := sampleMsgs()[1]
		if err := x.UnmarshalBinary(b); !errors.Is(err, crdt.ErrMalformed) {
			t.Errorf("%s (%x): got %v, want ErrMalformed", name, b, err)
		}
		if !sameMsg(x, sampleMsgs()[1]) {
			t.Errorf("%s: a failed decode changed the receiver", name)
		}
	}
	state := `{"context":{"vector":{},"cloud":[],"stamps":[]},"entries":[]}`
	jsons := map[string]string{
		"null":              `null`,
		"array":             `[]`,
		"missing kind":      `{"incarnation":1,"seq":1}`,
		"missing seq":       `{"kind":"ack","incarnation":1}`,
		"unknown field":     `{"kind":"ack","incarnation":1,"seq":1,"x":1}`,
		"field twice":       `{"kind":"ack","incarnation":1,"seq":1,"seq":2}`,
		"field in capitals": `{"Kind":"ack","incarnation":1,"seq":1}`,
		"unknown kind":      `{"kind":"nack","incarnation":1,"seq":1}`,
		"ack with a state":  `{"kind":"ack","incarnation":1,"seq":1,"state":` + state + `}`,
		"delta, no state":   `{"kind":"delta","incarnation":1,"seq":1}`,
		"seq 0":             `{"kind":"ack","incarnation":1,"seq":0}`,
		"seq 1.0":           `{"kind":"ack","incarnation":1,"seq":1.0}`,
		"seq -1":            `{"kind":"ack","incarnation":1,"seq":-1}`,
		"seq as a string":   `{"kind":"ack","incarnation":1,"seq":"1"}`,
		"trailing data":     `{"kind":"ack","incarnation":1,"seq":1} {}`,
		"bad state":         `{"kind":"full","incarnation":1,"seq":1,"state":{}}`,
		"state not a set":   `{"kind":"full","incarnation":1,"seq":1,"state":[]}`,
	}
	for name, j := range jsons {
		x := sampleMsgs()[1]
		if err := x.UnmarshalJSON([]byte(j)); !errors.Is(err, crdt.ErrMalformed) {
			t.Errorf("%s (%s): got %v, want ErrMalformed", name, j, err)
		}
		if !sameMsg(x, sampleMsgs()[1]) {
			t.Errorf("%s: a failed decode changed the receiver", name)
		}
	}
	if err := new(setMsg).UnmarshalJSON([]byte(`{"kind":"full","incarnation":1,"seq":1,"state":` + state + `}`)); err != nil {
		t.Errorf("a full state with an empty set was refused: %v", err)
	}
}

// FuzzReplicaMessageUnmarshalBinary: any input is refused with
// ErrMalformed or ErrTooLarge, leaving the receiver unchanged, or decodes
// to a message whose encoding is the input (canonical). Never a panic.
func FuzzReplicaMessageUnmarshalBinary(f *testing.F) {
	for _, m := range sampleMsgs() {
		b, _ := m.MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte{1, 2, 0x80, 0x00, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		x := sampleMsgs()[1]
		if err := x.UnmarshalBinary(data); err != nil {
			checkRejected(t, err)
			if !sameMsg(x, sampleMsgs()[1]) {
				t.Fatal("failed decode changed the receiver")
			}
			return
		}
		again, err := x.MarshalBinary()
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("decoded %v re-encodes to %x, %v; input %x", x, again, err, data)
		}
	})
}

// FuzzReplicaMessageUnmarshalJSON: any input is refused with ErrMalformed
// or ErrTooLarge, leaving the receiver unchanged, or decodes to a message
// whose JSON decodes back to an equal message.
func FuzzReplicaMessageUnmarshalJSON(f *testing.F) {
	for _, m := range sampleMsgs() {
		b, _ := json.Marshal(m)
		f.Add(b)
		f.Add(dupFirstKey(b, false))
	}
	f.Add([]byte(`{"kind":"ack","incarnation":1,"seq":1.0}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		x := sampleMsgs()[1]
		if err := x.UnmarshalJSON(data); err != nil {
			checkRejected(t, err)
			if !sameMsg(x, sampleMsgs()[1]) {
				t.Fatal("failed decode changed the receiver")
			}
			return
		}
		enc, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		var y setMsg
		if err := y.UnmarshalJSON(enc); err != nil || !sameMsg(x, y) {
			t.Fatalf("%v does not round-trip through %s: %v", x, enc, err)
		}
	})
}
