package crdt_test

import (
	"encoding"
	"encoding/json"

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
