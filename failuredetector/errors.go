package failuredetector

import "errors"

// Sentinel errors. Functions wrap them with context, so test with errors.Is.
var (
	// ErrInvalidConfig reports a configuration that Validate rejects:
	// a non-positive window, a NaN or negative threshold, and so on.
	ErrInvalidConfig = errors.New("invalid configuration")

	// ErrOverflow reports parameters whose arithmetic would overflow a
	// time.Duration (about 292 years): a timeout plus its increment, an
	// interval plus its safety margin. Errors wrapping it also wrap
	// ErrInvalidConfig.
	ErrOverflow = errors.New("parameters overflow time.Duration")

	// ErrNonMonotonic reports a heartbeat whose timestamp is earlier than
	// the previous one. The detector's state is left unchanged.
	ErrNonMonotonic = errors.New("timestamp earlier than the previous heartbeat")

	// ErrUnknownPeer reports a Monitor operation on a peer it does not
	// monitor.
	ErrUnknownPeer = errors.New("unknown peer")

	// ErrInvalidTrace reports a heartbeat trace or trace configuration that
	// cannot be evaluated or generated.
	ErrInvalidTrace = errors.New("invalid trace")

	// ErrInfeasible reports that no parameter in the searched range meets a
	// QoS target.
	ErrInfeasible = errors.New("no parameter meets the target")

	// ErrClosed reports a Monitor operation after Close.
	ErrClosed = errors.New("monitor closed")
)
