package clocks

import (
	"errors"
	"strconv"
)

// Order is the result of comparing two causal timestamps (vector clocks or
// interval tree clock stamps). Causal time is a partial order, so two
// timestamps may be neither before nor after each other: they are
// Concurrent. The zero value is Equal.
type Order int8

const (
	// Equal means the two timestamps describe the same causal past.
	Equal Order = iota
	// Before means the receiver happened before the argument: every event
	// the receiver has seen, the argument has seen too, and the argument has
	// seen at least one more.
	Before
	// After means the argument happened before the receiver.
	After
	// Concurrent means neither timestamp has seen everything the other has:
	// the events are causally unrelated.
	Concurrent
)

// String returns "equal", "before", "after" or "concurrent".
func (o Order) String() string {
	switch o {
	case Equal:
		return "equal"
	case Before:
		return "before"
	case After:
		return "after"
	case Concurrent:
		return "concurrent"
	}
	return "Order(" + strconv.Itoa(int(o)) + ")"
}

// Invert returns the order seen from the other side: Before becomes After
// and After becomes Before; Equal and Concurrent are symmetric.
func (o Order) Invert() Order {
	switch o {
	case Before:
		return After
	case After:
		return Before
	}
	return o
}

// Errors returned by the decoders and clocks of this package. They are
// wrapped with more detail; test for them with errors.Is.
var (
	// ErrMalformed reports encoded input that is truncated, has trailing
	// bytes, is not in canonical form (unsorted or duplicate entries, zero
	// counters, non-minimal varints, unnormalised trees) or is otherwise
	// not a valid encoding.
	ErrMalformed = errors.New("malformed encoding")
	// ErrTooLarge reports encoded input that exceeds a documented size
	// limit (too many entries, an identifier or tree too large).
	ErrTooLarge = errors.New("encoding too large")
	// ErrClockOffset reports a remote hybrid timestamp further ahead of the
	// local physical clock than the configured maximum offset.
	ErrClockOffset = errors.New("remote clock offset exceeds maximum")
	// ErrOverlap reports an attempt to join two interval tree clock stamps
	// whose identities overlap, which no correct fork/join history produces.
	ErrOverlap = errors.New("interval tree clock identities overlap")
)
