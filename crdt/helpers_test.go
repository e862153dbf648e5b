package crdt_test

import (
	"encoding"
	"encoding/json"

	"github.com/eventually-perfect/primitives/crdt"
	"github.com/eventually-perfect/primitives/crdt/crdttest"
)

// codecs returns the binary and JSON codecs of a type for the law checker.
func codecs[T any, P interface {
	*T
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}]() []crdttest.Codec[P] {
	return []crdttest.Codec[P]{
		{
			Name:      "binary",
			Marshal:   func(s P) ([]byte, error) { return s.MarshalBinary() },
			Unmarshal: func(b []byte) (P, error) { s := P(new(T)); return s, s.UnmarshalBinary(b) },
		},
		{
			Name:      "json",
			Marshal:   func(s P) ([]byte, error) { return json.Marshal(s) },
			Unmarshal: func(b []byte) (P, error) { s := P(new(T)); return s, json.Unmarshal(b, s) },
		},
	}
}

// mustUpdate is ORMap.Update for tests whose mutators use the replica
// they are given, where an error is a bug of the test.
func mustUpdate[K comparable, V crdt.Causal[V]](m *crdt.ORMap[K, V], replica string, key K, f func(v *V, replica string) V) crdt.ORMap[K, V] {
	d, err := m.Update(replica, key, f)
	if err != nil {
		panic(err)
	}
	return d
}
