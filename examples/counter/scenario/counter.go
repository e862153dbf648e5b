package scenario

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/eventually-perfect/primitives/paxos"
)

// ErrBadSnapshot reports a counter snapshot that does not decode.
var ErrBadSnapshot = errors.New("malformed counter snapshot")

// Counter is the replicated application: one integer, changed by the
// operations "inc" (add one) and "add n" (add the integer n). It is a
// paxos.StateMachine: the replicated log calls Apply once per decided
// command, in log order, on every replica. The zero value is a counter
// at 0.
//
// Besides its value it records, for the example's checks, how many times
// each (client, seq) was applied and the result each one returned; that
// record is instrumentation, not replicated state, and is not part of the
// snapshot.
type Counter struct {
	value   int64
	last    map[string]uint64  // the highest seq applied per client
	results map[session]string // what each session command returned
	applied map[session]int    // how many times each was applied
	order   []session          // the session commands in the order applied
}

// session names one command of a client session.
type session struct {
	client string
	seq    uint64
}

// Value returns the counter's value.
func (c *Counter) Value() int64 { return c.value }

// Apply executes one command and returns the counter's value after it, or
// an error text for an operation it does not know (which changes nothing).
func (c *Counter) Apply(cmd paxos.Command) string {
	result := c.apply(cmd.Op)
	if cmd.Client != "" {
		k := session{cmd.Client, cmd.Seq}
		if c.last == nil {
			c.last, c.results, c.applied = map[string]uint64{}, map[session]string{}, map[session]int{}
		}
		c.last[cmd.Client] = max(c.last[cmd.Client], cmd.Seq)
		c.results[k] = result
		c.applied[k]++
		c.order = append(c.order, k)
	}
	return result
}

func (c *Counter) apply(op string) string {
	switch {
	case op == "inc":
		c.value++
	case strings.HasPrefix(op, "add "):
		n, err := strconv.ParseInt(op[len("add "):], 10, 64)
		if err != nil {
			return "error: " + err.Error()
		}
		c.value += n
	default:
		return fmt.Sprintf("error: unknown operation %q", op)
	}
	return strconv.FormatInt(c.value, 10)
}

// result returns what the command (client, seq) returned when it was
// applied here, if it has been.
func (c *Counter) result(client string, seq uint64) (string, bool) {
	r, ok := c.results[session{client, seq}]
	return r, ok
}

// Snapshot encodes the counter's value.
func (c *Counter) Snapshot() ([]byte, error) {
	return binary.AppendVarint(nil, c.value), nil
}

// Restore replaces the counter's value with the one a Snapshot encoded.
func (c *Counter) Restore(b []byte) error {
	v, n := binary.Varint(b)
	if n <= 0 || n != len(b) {
		return fmt.Errorf("counter: %d bytes: %w", len(b), ErrBadSnapshot)
	}
	c.value = v
	return nil
}
