// Package mapvc is a baseline for benchmarks: a vector clock written the way
// the map-based Go vector clocks in use are (GoVector's vclock.VClock is a
// map[string]uint64 merged in place, and its Compare returns as soon as it
// has seen an entry ahead on each side). It is written here, not imported:
// GoVector is not served by the module proxy. Merge and Compare are the
// best a map allows; MergeCopy and CompareFull are the slower forms that
// earlier versions of docs/benchmarks.md were measured against, kept so
// that the old figures can be reproduced. It exists only to be measured
// against clocks.Vector; do not use it.
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

// Merge sets v to the pointwise maximum of v and o, in place, as GoVector's
// VClock.Merge does: one lookup in v per entry of o, no allocation once v
// has every ID of o.
func (v VC) Merge(o VC) {
	for k, n := range o {
		if v[k] < n {
			v[k] = n
		}
	}
}

// MergeCopy returns a new clock holding the pointwise maximum: a copy of v
// on every merge. The baseline of earlier figures, slower than Merge.
func (v VC) MergeCopy(o VC) VC {
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

// Compare orders v and o. It walks v looking each ID up in o, returns
// Concurrent as soon as it has seen one entry ahead on each side (as
// GoVector's Compare does), and walks o only when o has an ID that v lacks
// (when every ID of v is in o and the sizes agree, o has no other).
func (v VC) Compare(o VC) Order {
	less, greater := false, false
	found := 0
	for k, n := range v {
		m, ok := o[k]
		if ok {
			found++
		}
		if n < m {
			less = true
		} else if n > m {
			greater = true
		}
		if less && greater {
			return Concurrent
		}
	}
	if found < len(o) {
		for k, m := range o {
			if _, ok := v[k]; !ok && m > 0 {
				less = true
				break
			}
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

// CompareFull walks both maps to the end whatever it finds. The baseline
// of earlier figures, slower than Compare on concurrent clocks.
func (v VC) CompareFull(o VC) Order {
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
