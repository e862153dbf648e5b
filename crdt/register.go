package crdt

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/eventually-perfect/primitives/clocks"
)

const (
	lwwFormat    = 1
	mvFormat     = 2 // format 2 added the replica stamps
	ewflagFormat = 2
	dwflagFormat = 2
)

// LWWRegister is a last-writer-wins register (Shapiro et al. 2011,
// specification 8): each write carries a timestamp and the writer's replica
// ID, and the write with the largest (timestamp, replica) pair wins, so
// ties between equal timestamps are broken deterministically by replica
// ID. Concurrent writes other than the winner are lost by design: use
// MVRegister to keep them.
//
// Timestamps are the caller's: a Lamport time, a hybrid logical clock
// reading (clocks.Hybrid) packed into a uint64, or wall time in
// nanoseconds if the replicas' clocks are trusted. Write picks one past
// the largest timestamp the register has seen, which orders a replica's
// writes after everything it has merged.
//
// Two writes with the same timestamp and replica but different values can
// only come from two copies of one replica that diverged; Merge reports
// them with ErrReplicaConflict instead of keeping either silently.
//
// The zero value is an unset register. Values are encoded with
// encoding/json.
type LWWRegister[V comparable] struct {
	ts      uint64
	replica string
	value   V
	set     bool
}

// Set writes v at replica with timestamp ts and returns the delta (the
// register holding the write). A write that loses to the current one
// changes nothing and returns an empty delta. Writing a different value
// with the (timestamp, replica) pair of the current write fails with
// ErrReplicaConflict: that pair must identify one write.
func (r *LWWRegister[V]) Set(replica string, ts uint64, v V) (LWWRegister[V], error) {
	w := LWWRegister[V]{ts, replica, v, true}
	if r.set && ts == r.ts && replica == r.replica && v != r.value {
		return LWWRegister[V]{}, fmt.Errorf("crdt: lwwregister: replica %q already wrote at timestamp %d: %w", replica, ts, ErrReplicaConflict)
	}
	if r.set && !w.beats(*r) {
		return LWWRegister[V]{}, nil
	}
	*r = w
	return w, nil
}

// Write writes v at replica with the timestamp one past the register's
// current one (a Lamport clock over the register), and returns the delta.
// It fails with ErrOverflow at the end of the timestamp range.
func (r *LWWRegister[V]) Write(replica string, v V) (LWWRegister[V], error) {
	if r.set && r.ts == MaxCount {
		return LWWRegister[V]{}, fmt.Errorf("crdt: lwwregister: timestamp: %w", ErrOverflow)
	}
	ts := uint64(1)
	if r.set {
		ts = r.ts + 1
	}
	return r.Set(replica, ts, v)
}

func (r LWWRegister[V]) beats(o LWWRegister[V]) bool {
	if r.ts != o.ts {
		return r.ts > o.ts
	}
	return r.replica > o.replica
}

// Value returns the winning value and whether the register has been set.
func (r LWWRegister[V]) Value() (V, bool) { return r.value, r.set }

// Timestamp returns the winning write's timestamp and replica.
func (r LWWRegister[V]) Timestamp() (uint64, string) { return r.ts, r.replica }

// Merge keeps the winning write of r and o. Two different values written
// with the same timestamp by the same replica fail with
// ErrReplicaConflict, leaving r unchanged.
func (r *LWWRegister[V]) Merge(o LWWRegister[V]) error {
	if !o.set {
		return nil
	}
	if r.set && r.ts == o.ts && r.replica == o.replica {
		if r.value != o.value {
			return fmt.Errorf("crdt: lwwregister: replica %q wrote two values at timestamp %d: %w", o.replica, o.ts, ErrReplicaConflict)
		}
		return nil
	}
	if !r.set || o.beats(*r) {
		*r = o
	}
	return nil
}

// Clone returns a copy of r.
func (r LWWRegister[V]) Clone() LWWRegister[V] { return r }

// Equal reports whether r and o hold the same write.
func (r LWWRegister[V]) Equal(o LWWRegister[V]) bool { return r == o }

// String returns "value@ts:replica", with the value as JSON, or "unset".
func (r LWWRegister[V]) String() string {
	if !r.set {
		return "unset"
	}
	v, err := json.Marshal(r.value)
	if err != nil {
		return "!" + err.Error()
	}
	return string(v) + "@" + strconv.FormatUint(r.ts, 10) + ":" + r.replica
}

// AppendBinary appends the canonical encoding: a format byte, then 0 for
// an unset register or 1, the timestamp, the replica (length prefixed)
// and the value's JSON encoding (length prefixed).
func (r LWWRegister[V]) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, lwwFormat)
	if !r.set {
		return append(b, 0), nil
	}
	v, err := json.Marshal(r.value)
	if err != nil {
		return nil, fmt.Errorf("crdt: lwwregister: %w: %w", ErrMalformed, err)
	}
	if len(v) > MaxElementLen || len(r.replica) > clocks.MaxIDLen || r.ts > MaxCount {
		return nil, fmt.Errorf("crdt: lwwregister: %w", ErrTooLarge)
	}
	b = append(b, 1)
	b = appendUvarint(b, r.ts)
	b = appendUvarint(b, uint64(len(r.replica)))
	b = append(b, r.replica...)
	b = appendUvarint(b, uint64(len(v)))
	return append(b, v...), nil
}

// MarshalBinary returns the canonical binary encoding of r.
func (r LWWRegister[V]) MarshalBinary() ([]byte, error) { return r.AppendBinary(nil) }

// UnmarshalBinary decodes a canonical encoding into r, leaving r unchanged
// on error.
func (r *LWWRegister[V]) UnmarshalBinary(data []byte) error {
	d := decoder{what: "lwwregister", b: data}
	if f, err := d.byte(); err != nil {
		return err
	} else if f != lwwFormat {
		return d.errf("unknown format %d", f)
	}
	set, err := d.byte()
	if err != nil {
		return err
	}
	var x LWWRegister[V]
	switch set {
	case 0:
	case 1:
		x.set = true
		if x.ts, err = d.uvarint("timestamp"); err != nil {
			return err
		}
		if x.ts > MaxCount {
			return fmt.Errorf("crdt: lwwregister: timestamp %d: %w", x.ts, ErrTooLarge)
		}
		rep, err := d.bytes("replica")
		if err != nil {
			return err
		}
		if len(rep) > clocks.MaxIDLen {
			return fmt.Errorf("crdt: lwwregister: replica of %d bytes: %w", len(rep), ErrTooLarge)
		}
		x.replica = string(rep)
		v, err := d.bytes("value")
		if err != nil {
			return err
		}
		if x.value, err = parseElem[V](v); err != nil {
			return d.errf("value %q: %v", v, err)
		}
	default:
		return d.errf("bad set flag %d", set)
	}
	if len(d.b) != 0 {
		return d.errf("%d trailing bytes", len(d.b))
	}
	*r = x
	return nil
}

type lwwJSON struct {
	Timestamp *uint64         `json:"timestamp,omitempty"`
	Replica   *string         `json:"replica,omitempty"`
	Value     json.RawMessage `json:"value,omitempty"`
}

// MarshalJSON encodes r as {"timestamp":7,"replica":"bob","value":"coffee"},
// or {} when unset.
func (r LWWRegister[V]) MarshalJSON() ([]byte, error) {
	if !r.set {
		return []byte("{}"), nil
	}
	v, err := json.Marshal(r.value)
	if err != nil {
		return nil, fmt.Errorf("crdt: lwwregister: %w: %w", ErrMalformed, err)
	}
	return json.Marshal(lwwJSON{&r.ts, &r.replica, v})
}

var lwwFields = []string{"timestamp", "replica", "value"}

// UnmarshalJSON decodes the form MarshalJSON writes, with the checks of
// UnmarshalBinary, leaving r unchanged on error.
func (r *LWWRegister[V]) UnmarshalJSON(data []byte) error {
	j, err := newJSONIn("lwwregister", data)
	if err != nil {
		return err
	}
	var ts uint64
	var replica, value []byte
	seen := 0
	err = j.fields(lwwFields, 1<<3-1, func(f int) error {
		seen |= 1 << f
		var err error
		switch f {
		case 0:
			ts, err = j.uint("timestamp", MaxCount)
		case 1:
			replica, err = j.str()
		case 2:
			value, err = j.value()
		}
		return err
	})
	if err != nil {
		return err
	}
	if err := j.end(); err != nil {
		return err
	}
	b := []byte{lwwFormat}
	switch seen {
	case 0:
		b = append(b, 0)
	case 1<<3 - 1:
		v, err := canonicalElem[V](value)
		if err != nil {
			return fmt.Errorf("crdt: lwwregister: value: %w: %w", ErrMalformed, err)
		}
		b = append(b, 1)
		b = appendUvarint(b, ts)
		b = appendUvarint(b, uint64(len(replica)))
		b = append(b, replica...)
		b = appendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	default:
		return fmt.Errorf("crdt: lwwregister: timestamp, replica and value go together: %w", ErrMalformed)
	}
	return r.UnmarshalBinary(b)
}

// MVRegister is a multi-value register (Shapiro et al. 2011,
// specification 10; Almeida et al. 2018, section 7.3): a write replaces
// the values it has observed, and concurrent writes are all kept, for the
// application to reconcile (as Dynamo's shopping cart does). It is built
// on the same dots and causal context as ORSet.
//
// The zero value is an empty register. Values are encoded with
// encoding/json.
type MVRegister[V comparable] struct {
	k kernel[V]
}

// Write replaces every value observed by v, at replica, and returns the
// delta. It issues a dot of replica.
func (r *MVRegister[V]) Write(replica string, v V) MVRegister[V] {
	if !r.k.allows(replica) {
		return MVRegister[V]{}
	}
	cleared := r.k.clear()
	d := r.k.put(replica, v)
	d.ctx.Merge(cleared.ctx)
	return MVRegister[V]{d}
}

// Values returns the concurrent values, sorted by their JSON encodings;
// none if the register was never written.
func (r MVRegister[V]) Values() []V { return orderedKeys(r.k.entries) }

// Merge joins o into r. It fails with ErrReplicaConflict as ORSet.Merge
// does.
func (r *MVRegister[V]) Merge(o MVRegister[V]) error {
	return r.k.merge(o.k)
}

// Clone returns an independent copy of r.
func (r MVRegister[V]) Clone() MVRegister[V] { return MVRegister[V]{r.k.clone()} }

// Equal reports whether r and o have the same values, dots and context.
func (r MVRegister[V]) Equal(o MVRegister[V]) bool { return r.k.equal(o.k) }

// Size reports the metadata.
func (r MVRegister[V]) Size() Size { return kernelSize(r.k) }

// String returns the values with their dots, then the causal context.
func (r MVRegister[V]) String() string { return kernelString(r.k, jsonKeys[V]()) }

// MarshalBinary returns the canonical binary encoding, laid out as
// ORSet's.
func (r MVRegister[V]) MarshalBinary() ([]byte, error) {
	return marshalKernel(r.k, "mvregister", mvFormat, jsonKeys[V]())
}

// UnmarshalBinary decodes a canonical encoding into r, leaving r unchanged
// on error.
func (r *MVRegister[V]) UnmarshalBinary(data []byte) error {
	k, err := unmarshalKernel(data, "mvregister", mvFormat, jsonKeys[V]())
	if err != nil {
		return err
	}
	r.k = k
	return nil
}

// MarshalJSON encodes r as ORSet does: its causal context and entries.
func (r MVRegister[V]) MarshalJSON() ([]byte, error) {
	return marshalKernelJSON(r.k, "mvregister", jsonKeys[V](), plainParts[V]())
}

// UnmarshalJSON decodes the form MarshalJSON writes.
func (r *MVRegister[V]) UnmarshalJSON(data []byte) error {
	b, err := kernelJSONToBinary(data, "mvregister", mvFormat, plainParts[V]())
	if err != nil {
		return err
	}
	return r.UnmarshalBinary(b)
}

func kernelSize[K comparable](k kernel[K]) Size {
	e, c := k.ctx.Size()
	return Size{Elements: len(k.entries), Dots: k.dots(), Vector: e, Cloud: c, Stamps: len(k.ctx.heads)}
}

func marshalKernel[K comparable](k kernel[K], what string, format byte, kc keyCodec[K]) ([]byte, error) {
	b, err := k.appendBinary([]byte{format}, kc)
	if err != nil {
		return nil, fmt.Errorf("crdt: %s: %w", what, err)
	}
	return b, nil
}

// EWFlag is an enable-wins flag (Almeida et al. 2018, section 7.1): Enable
// adds a dot, Disable removes the dots it observed, so an enable
// concurrent with a disable survives. The zero value is disabled.
type EWFlag struct {
	k kernel[bool]
}

// Enable enables the flag at replica and returns the delta. It issues a
// dot of replica.
func (f *EWFlag) Enable(replica string) EWFlag {
	if !f.k.allows(replica) {
		return EWFlag{}
	}
	return EWFlag{f.k.put(replica, true)}
}

// Disable disables the flag at replica and returns the delta. It issues
// no dot (it removes the enables it observed): replica is taken so that
// EWFlag and DWFlag have the same mutators (see the package
// documentation, "Replica arguments"), and is checked inside
// ORMap.Update.
func (f *EWFlag) Disable(replica string) EWFlag {
	if !f.k.allows(replica) {
		return EWFlag{}
	}
	return EWFlag{f.k.clear()}
}

// Value reports whether the flag is enabled.
func (f EWFlag) Value() bool { return len(f.k.entries) > 0 }

// Merge joins o into f. It fails with ErrReplicaConflict as ORSet.Merge
// does.
func (f *EWFlag) Merge(o EWFlag) error { return f.k.merge(o.k) }

// Clone returns an independent copy of f.
func (f EWFlag) Clone() EWFlag { return EWFlag{f.k.clone()} }

// Equal reports whether f and o have the same dots and context.
func (f EWFlag) Equal(o EWFlag) bool { return f.k.equal(o.k) }

// String returns "true" or "false", the enabling dots and the context.
func (f EWFlag) String() string {
	return strconv.FormatBool(f.Value()) + " " + kernelString(f.k, jsonKeys[bool]())
}

// MarshalBinary returns the canonical binary encoding.
func (f EWFlag) MarshalBinary() ([]byte, error) {
	return marshalKernel(f.k, "ewflag", ewflagFormat, jsonKeys[bool]())
}

// UnmarshalBinary decodes a canonical encoding into f, leaving f unchanged
// on error.
func (f *EWFlag) UnmarshalBinary(data []byte) error {
	k, err := unmarshalKernel(data, "ewflag", ewflagFormat, jsonKeys[bool]())
	if _, off := k.entries[false]; err == nil && off {
		err = fmt.Errorf("crdt: ewflag: a disabled entry: %w", ErrMalformed)
	}
	if err != nil {
		return err
	}
	f.k = k
	return nil
}

// MarshalJSON encodes f as ORSet does: its causal context and entries.
func (f EWFlag) MarshalJSON() ([]byte, error) {
	return marshalKernelJSON(f.k, "ewflag", jsonKeys[bool](), plainParts[bool]())
}

// UnmarshalJSON decodes the form MarshalJSON writes.
func (f *EWFlag) UnmarshalJSON(data []byte) error {
	b, err := kernelJSONToBinary(data, "ewflag", ewflagFormat, plainParts[bool]())
	if err != nil {
		return err
	}
	return f.UnmarshalBinary(b)
}

// DWFlag is a disable-wins flag: Enable and Disable each replace the dots
// they observed with a fresh dot tagged with the operation, and the flag
// is enabled only if an enable dot survives and no disable dot does, so a
// disable concurrent with an enable wins. The zero value is disabled.
type DWFlag struct {
	k kernel[bool]
}

// Enable enables the flag at replica and returns the delta. It issues a
// dot of replica.
func (f *DWFlag) Enable(replica string) DWFlag { return f.update(replica, true) }

// Disable disables the flag at replica and returns the delta. It issues a
// disable dot of replica, which wins over concurrent enables.
func (f *DWFlag) Disable(replica string) DWFlag { return f.update(replica, false) }

func (f *DWFlag) update(replica string, on bool) DWFlag {
	if !f.k.allows(replica) {
		return DWFlag{}
	}
	other := f.k.remove(!on)
	d := f.k.put(replica, on)
	d.ctx.Merge(other.ctx)
	return DWFlag{d}
}

// Value reports whether the flag is enabled.
func (f DWFlag) Value() bool {
	_, on := f.k.entries[true]
	_, off := f.k.entries[false]
	return on && !off
}

// Merge joins o into f. It fails with ErrReplicaConflict as ORSet.Merge
// does.
func (f *DWFlag) Merge(o DWFlag) error { return f.k.merge(o.k) }

// Clone returns an independent copy of f.
func (f DWFlag) Clone() DWFlag { return DWFlag{f.k.clone()} }

// Equal reports whether f and o have the same dots and context.
func (f DWFlag) Equal(o DWFlag) bool { return f.k.equal(o.k) }

// String returns "true" or "false", the tagged dots and the context.
func (f DWFlag) String() string {
	return strconv.FormatBool(f.Value()) + " " + kernelString(f.k, jsonKeys[bool]())
}

// MarshalBinary returns the canonical binary encoding.
func (f DWFlag) MarshalBinary() ([]byte, error) {
	return marshalKernel(f.k, "dwflag", dwflagFormat, jsonKeys[bool]())
}

// UnmarshalBinary decodes a canonical encoding into f, leaving f unchanged
// on error.
func (f *DWFlag) UnmarshalBinary(data []byte) error {
	k, err := unmarshalKernel(data, "dwflag", dwflagFormat, jsonKeys[bool]())
	if err != nil {
		return err
	}
	f.k = k
	return nil
}

// MarshalJSON encodes f as ORSet does: its causal context and entries.
func (f DWFlag) MarshalJSON() ([]byte, error) {
	return marshalKernelJSON(f.k, "dwflag", jsonKeys[bool](), plainParts[bool]())
}

// UnmarshalJSON decodes the form MarshalJSON writes.
func (f *DWFlag) UnmarshalJSON(data []byte) error {
	b, err := kernelJSONToBinary(data, "dwflag", dwflagFormat, plainParts[bool]())
	if err != nil {
		return err
	}
	return f.UnmarshalBinary(b)
}
