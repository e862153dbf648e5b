// Package mapvc is a baseline for benchmarks: a vector clock written the way
// common map-based Go vector clocks are (a map from process ID to counter,
// copy on merge, comparison by walking both maps). It exists only to be
// measured against clocks.Vector; do not use it.
package mapvc

import "encoding/json"

// VC is a map-based vector clock.
type VC map[string]uint64

// Tick increments id's entry.
func (v VC) Tick(id string) { v[id]++ }

// Copy returns an independent copy.
func (v VC) Copy() VC {
	c := make(VC, len(v))
	for k, n := range v {
		c[k] = n
	}
	return c
}

// Merge returns a new clock holding the pointwise maximum (copy on merge).
func (v VC) Merge(o VC) VC {
	m := v.Copy()
	for k, n := range o {
		if n > m[k] {
			m[k] = n
		}
	}
	return m
}

// Order is the result of Compare.
type Order int

// The results of Compare.
const (
	Equal Order = iota
	Before
	After
	Concurrent
)

// Compare walks both maps, as map-based implementations do.
func (v VC) Compare(o VC) Order {
	less, greater := false, false
	for k, n := range v {
		m := o[k]
		if n < m {
			less = true
		} else if n > m {
			greater = true
		}
	}
	for k, m := range o {
		if _, ok := v[k]; ok {
			continue
		}
		if m > 0 {
			less = true
		}
	}
	switch {
	case less && greater:
		return Concurrent
	case less:
		return Before
	case greater:
		return After
	}
	return Equal
}

// Marshal encodes the clock as a JSON object, as map-based clocks commonly do.
func (v VC) Marshal() ([]byte, error) { return json.Marshal(map[string]uint64(v)) }

// Unmarshal decodes a JSON object.
func Unmarshal(b []byte) (VC, error) {
	var m map[string]uint64
	err := json.Unmarshal(b, &m)
	return VC(m), err
}
