package clocks

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"
)

// Timestamp is a hybrid logical clock timestamp: a wall time in nanoseconds
// since the Unix epoch (the paper's l, the largest physical time the issuing
// clock had heard of) and a logical counter (the paper's c) that orders
// events sharing that wall time.
//
// Timestamps are totally ordered, by Wall and then by Logical; Compare and
// Before implement that order. Like Lamport times, they respect causality
// (if event e happened before event f then e's timestamp is before f's) but
// do not reveal it: two concurrent events also get ordered timestamps. Break
// ties between nodes with the node identifier if a strict total order of
// all events is needed.
//
// The zero value is the zero timestamp, before every timestamp a clock
// issues with a physical clock that reads after the epoch. Timestamp is a
// small value type: copy it freely.
//
// The binary encoding (MarshalBinary) is TimestampSize = 12 bytes and sorts
// bytewise exactly as the timestamps do, so encoded timestamps can serve
// directly as keys in an ordered key-value store. The text encoding
// (MarshalText, also used by encoding/json) is the String form.
type Timestamp struct {
	// Wall is nanoseconds since the Unix epoch, 1970-01-01T00:00:00Z.
	Wall int64
	// Logical counts events within the same Wall time.
	Logical uint32
}

// TimestampSize is the length in bytes of a Timestamp's binary encoding.
const TimestampSize = 12

// MaxWall is the latest wall time Update and Restore accept: 2^32
// nanoseconds (about 4.3 seconds) before the largest int64, in April 2262.
//
// No physical clock of this century reads anything near it, so a later
// timestamp is corrupt or hostile. Refusing it guarantees that a clock
// always has room for at least 2^64 more timestamps (2^32 nanoseconds of
// 2^32 logical values each), whatever its peers send, so Now never runs out
// of timestamps because of a message.
const MaxWall = math.MaxInt64 - 1<<32

// Compare returns -1 if t is before u, 0 if they are equal and +1 if t is
// after u. Wall times are compared first and Logical counters break ties.
func (t Timestamp) Compare(u Timestamp) int {
	if c := cmp.Compare(t.Wall, u.Wall); c != 0 {
		return c
	}
	return cmp.Compare(t.Logical, u.Logical)
}

// Before reports whether t is before u.
func (t Timestamp) Before(u Timestamp) bool {
	return t.Compare(u) < 0
}

// IsZero reports whether t is the zero Timestamp.
func (t Timestamp) IsZero() bool {
	return t == Timestamp{}
}

// Time returns the wall part of t as a time.Time, dropping the logical
// counter.
func (t Timestamp) Time() time.Time {
	return time.Unix(0, t.Wall)
}

// String returns t as seconds since the Unix epoch with exactly nine
// decimal places, a plus sign and the logical counter, for example
// "1700000000.000000001+3" for Wall 1700000000000000001 and Logical 3. A
// wall time before the epoch is written with a leading minus sign:
// "-1.500000000+0". Each timestamp has exactly one such form, and
// UnmarshalText parses it back.
func (t Timestamp) String() string {
	var buf [32]byte
	return string(t.appendString(buf[:0]))
}

func (t Timestamp) appendString(b []byte) []byte {
	b = appendWall(b, t.Wall)
	b = append(b, '+')
	return strconv.AppendUint(b, uint64(t.Logical), 10)
}

// appendWall appends w nanoseconds as decimal seconds with nine decimal
// places.
func appendWall(b []byte, w int64) []byte {
	abs := uint64(w)
	if w < 0 {
		b = append(b, '-')
		abs = -abs // two's complement magnitude, right for math.MinInt64 too
	}
	b = strconv.AppendUint(b, abs/1e9, 10)
	b = append(b, '.')
	frac := abs % 1e9
	for d := uint64(1e8); d > 0; d /= 10 {
		b = append(b, byte('0'+frac/d%10))
	}
	return b
}

// AppendBinary appends the TimestampSize-byte encoding of t to b: Wall as
// a big-endian 64-bit integer with its sign bit flipped, then Logical as a
// big-endian 32-bit integer. Flipping the sign bit maps the int64 range
// onto the uint64 range in order, so comparing two encodings bytewise
// (bytes.Compare) gives the same answer as Compare on the timestamps. It
// implements encoding.BinaryAppender and never fails.
func (t Timestamp) AppendBinary(b []byte) ([]byte, error) {
	b = binary.BigEndian.AppendUint64(b, uint64(t.Wall)^(1<<63))
	return binary.BigEndian.AppendUint32(b, t.Logical), nil
}

// MarshalBinary returns the TimestampSize-byte encoding of t described at
// AppendBinary. It implements encoding.BinaryMarshaler and never fails.
func (t Timestamp) MarshalBinary() ([]byte, error) {
	return t.AppendBinary(make([]byte, 0, TimestampSize))
}

// UnmarshalBinary decodes the encoding produced by MarshalBinary. Every
// TimestampSize-byte input is the encoding of exactly one timestamp; input
// of any other length is rejected with an error wrapping ErrMalformed,
// leaving t unchanged. It implements encoding.BinaryUnmarshaler.
func (t *Timestamp) UnmarshalBinary(data []byte) error {
	if len(data) != TimestampSize {
		return fmt.Errorf("clocks: hybrid timestamp is %d bytes, want %d: %w", len(data), TimestampSize, ErrMalformed)
	}
	t.Wall = int64(binary.BigEndian.Uint64(data) ^ (1 << 63))
	t.Logical = binary.BigEndian.Uint32(data[8:])
	return nil
}

// AppendText appends the String form of t to b. It implements
// encoding.TextAppender and never fails.
func (t Timestamp) AppendText(b []byte) ([]byte, error) {
	return t.appendString(b), nil
}

// MarshalText returns the String form of t. It implements
// encoding.TextMarshaler (and so the JSON encoding, a JSON string) and
// never fails.
func (t Timestamp) MarshalText() ([]byte, error) {
	return t.AppendText(nil)
}

// maxTextLen is the length of the longest String form,
// "-9223372036.854775808+4294967295".
const maxTextLen = 32

// UnmarshalText parses the String form of a timestamp. It accepts only that
// canonical form: an optional minus sign (not on a zero wall time), the
// seconds without leading zeros, a dot, exactly nine digits, a plus sign and
// the logical counter without leading zeros, all within range. Anything
// else is rejected with an error wrapping ErrMalformed, leaving t
// unchanged. It implements encoding.TextUnmarshaler (and so decodes the
// JSON encoding).
func (t *Timestamp) UnmarshalText(text []byte) error {
	bad := func(why string) error {
		// Quote at most maxTextLen bytes: an error about a huge input
		// must not cost a multiple of it.
		shown, more := text, ""
		if len(shown) > maxTextLen {
			shown, more = shown[:maxTextLen], fmt.Sprintf(" (and %d more bytes)", len(text)-maxTextLen)
		}
		return fmt.Errorf("clocks: hybrid timestamp %q%s: %s: %w", shown, more, why, ErrMalformed)
	}
	if len(text) > maxTextLen {
		return bad("too long")
	}
	s := text
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	secs, s, ok := parseDigits(s)
	if !ok {
		return bad("want decimal seconds without leading zeros")
	}
	if len(s) < 10 || s[0] != '.' {
		return bad("want a dot and nine decimal places")
	}
	var frac uint64
	for _, d := range s[1:10] {
		if d < '0' || d > '9' {
			return bad("want a dot and nine decimal places")
		}
		frac = frac*10 + uint64(d-'0')
	}
	s = s[10:]
	if len(s) == 0 || s[0] != '+' {
		return bad("want '+' and a logical counter after the nine decimal places")
	}
	logical, s, ok := parseDigits(s[1:])
	if !ok || len(s) != 0 {
		return bad("want a logical counter without leading zeros at the end")
	}
	if logical > math.MaxUint32 {
		return bad("logical counter out of range")
	}
	// The magnitude is at most 2^63 nanoseconds for a negative wall time and
	// 2^63-1 for a positive one.
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	if secs > limit/1e9 || secs*1e9 > limit-frac {
		return bad("wall time out of range")
	}
	abs := secs*1e9 + frac
	if neg && abs == 0 {
		return bad("zero wall time with a minus sign")
	}
	wall := int64(abs)
	if neg {
		wall = int64(-abs)
	}
	*t = Timestamp{Wall: wall, Logical: uint32(logical)}
	return nil
}

// UnmarshalJSON decodes a JSON string holding the String form, as
// UnmarshalText does (json.Unmarshaler). It reads the string in place, so
// that an oversized input costs no copy; JSON null leaves t unchanged, and
// any other JSON value is rejected with an error wrapping ErrMalformed.
// (Encoding uses MarshalText.)
func (t *Timestamp) UnmarshalJSON(data []byte) error {
	return unmarshalJSONString("hybrid timestamp", data, t.UnmarshalText)
}

// parseDigits parses a non-empty run of decimal digits without a leading
// zero (except "0" itself) from the start of s. It fails if there is no
// digit, on a leading zero, or if the number exceeds 20 digits' worth of
// uint64 range.
func parseDigits(s []byte) (n uint64, rest []byte, ok bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if n > (math.MaxUint64-9)/10 {
			return 0, nil, false
		}
		n = n*10 + uint64(s[i]-'0')
		i++
	}
	if i == 0 || (i > 1 && s[0] == '0') {
		return 0, nil, false
	}
	return n, s[i:], true
}

// PhysicalClock reads a physical clock: nanoseconds since the Unix epoch.
// It need not be monotonic; a Hybrid stays monotonic when its physical
// clock steps backwards. Tests and simulations pass a fake one.
type PhysicalClock func() int64

// SystemClock is the PhysicalClock of the operating system,
// time.Now().UnixNano(). NTP and operators can step it backwards.
func SystemClock() int64 {
	return time.Now().UnixNano()
}

// Hybrid is a hybrid logical clock (HLC), from Kulkarni, Demirbas,
// Madappa, Avva and Leone, "Logical Physical Clocks" (OPODIS 2014). It
// issues Timestamps that, like Lamport times, respect causality, yet stay
// within the clock synchronisation error of physical time, so they can stand
// in for wall-clock timestamps (snapshot reads "as of" a time, time-to-live,
// human-readable logs) without inheriting their anomalies.
//
// Each node keeps one Hybrid. Call Now for a local event or to stamp an
// outgoing message, and Update with the timestamp of each message received.
// The clock guarantees, for the timestamps of every node running it:
//
//   - Monotonicity: each Now or Update returns a timestamp after every
//     timestamp this clock returned before, even when the physical clock
//     steps backwards (an NTP correction, a virtual machine migration).
//   - Causality: if event e happened before event f, then e's timestamp
//     is before f's.
//   - Never behind physical time: Wall is at least the physical clock
//     reading taken for the event.
//   - Close to physical time: Wall is the largest physical clock reading
//     in the event's causal past (the event itself included; a timestamp
//     given to Restore counts as part of that past). So if the nodes'
//     physical clocks are monotonic and never more than ε apart, Wall is at
//     most ε ahead of the local physical clock. The logical counter is
//     bounded too: it never exceeds the number of events in the causal past
//     that share the same Wall (the paper's section 3).
//
// Causality needs the receiver to accept the message: a message whose
// Update failed has not been received as far as the clock is concerned.
//
// A single peer with a badly wrong clock breaks the last property for
// everyone: its timestamps drag every clock that hears from it ahead of
// physical time. The maxOffset given to NewHybrid bounds that damage: Update
// rejects a timestamp that is more than maxOffset ahead of the local
// physical clock.
//
// The logical counter is 32 bits. If it would overflow (2^32 events within
// one nanosecond of wall time, which only a stalled physical clock allows),
// the clock carries into Wall: the next timestamp is Wall+1ns with Logical
// 0. This keeps every guarantee above except that Wall then runs up to 1ns
// per 2^32 such events ahead of the largest physical reading. At the very
// end of the representable range (Wall math.MaxInt64 with Logical
// math.MaxUint32) Now panics rather than return a timestamp that is not
// after the previous one. No physical clock can take a Hybrid there:
// physical readings are capped at MaxWall, and Update and Restore refuse
// timestamps past it, so exhaustion takes 2^64 events after MaxWall.
//
// The zero value is a clock that reads SystemClock and bounds no offset,
// ready to use. A Hybrid is safe for concurrent use by multiple goroutines:
// each call reads the physical clock and then updates the state under a
// mutex. The physical clock is read before the mutex is taken, which keeps
// the critical section to a few nanoseconds (the system clock takes tens),
// so a PhysicalClock shared by goroutines must itself be safe for concurrent
// use, as SystemClock is. A Hybrid must not be copied after first use.
type Hybrid struct {
	physical  PhysicalClock
	maxOffset time.Duration

	mu   sync.Mutex
	last Timestamp // the last timestamp issued, or restored
}

// NewHybrid returns a clock reading physical (SystemClock if nil), whose
// Update rejects remote timestamps more than maxOffset ahead of physical
// time.
//
// A maxOffset of 0 sets no bound. Choose a bound comfortably larger than
// the error of the clock synchronisation in use (CockroachDB's default is
// 500ms) so that healthy peers are never refused. NewHybrid does not reject
// a negative maxOffset; it is applied as written: Update then refuses any
// timestamp that is not at least -maxOffset behind the physical clock,
// which makes a sign error show up as ErrClockOffset errors on the first
// messages instead of silently turning the check off.
func NewHybrid(physical PhysicalClock, maxOffset time.Duration) *Hybrid {
	return &Hybrid{physical: physical, maxOffset: maxOffset}
}

// read returns the physical time, capped at MaxWall: a physical clock that
// reads past April 2262 (a broken or hostile clock source) is treated as
// reading MaxWall, which leaves the clock 2^64 more timestamps before it is
// exhausted instead of exhausting it at once.
func (c *Hybrid) read() int64 {
	pt := int64(0)
	if c.physical == nil {
		pt = SystemClock()
	} else {
		pt = c.physical()
	}
	return min(pt, MaxWall)
}

// Now records a local or send event and returns its timestamp (the paper's
// "send or local event" rule): the wall time becomes the larger of the
// last wall time and the physical clock; if that did not move it forward,
// the logical counter is incremented, otherwise it restarts at 0. Put
// another way, the result is the least timestamp after the clock's last one
// whose wall time is not behind the physical clock.
//
// Now panics only if the clock has reached the largest representable
// timestamp, which takes 2^64 events after MaxWall (see Hybrid).
func (c *Hybrid) Now() Timestamp {
	pt := c.read()
	c.mu.Lock()
	defer c.mu.Unlock()
	next, ok := sendRule(c.last, pt)
	if !ok {
		panic("clocks: hybrid clock exhausted at " + c.last.String())
	}
	c.last = next
	return next
}

// Update records the receipt of a message stamped remote and returns the
// receive event's timestamp (the paper's "receive event" rule): the wall
// time becomes the largest of the last wall time, remote's wall time and
// the physical clock, and the logical counter continues from whichever of
// the two timestamps reached that wall time (the larger counter if both
// did), or restarts at 0 if only the physical clock did. Put another way,
// the result is the least timestamp after both the clock's last one and
// remote whose wall time is not behind the physical clock.
//
// Update returns the zero Timestamp and an error wrapping ErrClockOffset,
// and leaves the clock unchanged, if remote.Wall is more than the maximum
// offset ahead of the physical clock (when NewHybrid was given one), or
// after MaxWall.
func (c *Hybrid) Update(remote Timestamp) (Timestamp, error) {
	pt := c.read()
	if c.maxOffset != 0 && ahead(remote.Wall, pt, c.maxOffset) {
		return Timestamp{}, fmt.Errorf("clocks: remote timestamp %v is %s ahead of physical time %s, more than the maximum offset %v: %w",
			remote, formatDiff(remote.Wall, pt), appendWall(nil, pt), c.maxOffset, ErrClockOffset)
	}
	if remote.Wall > MaxWall {
		return Timestamp{}, fmt.Errorf("clocks: remote timestamp %v is after the latest wall time a clock accepts, %s: %w",
			remote, appendWall(nil, MaxWall), ErrClockOffset)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	next, ok := receiveRule(c.last, remote, pt)
	if !ok {
		return Timestamp{}, fmt.Errorf("clocks: hybrid clock exhausted at %v, cannot receive %v: %w", c.last, remote, ErrClockOffset)
	}
	c.last = next
	return next, nil
}

// Last returns the timestamp of the clock's last event (the zero Timestamp
// before the first), without recording an event.
func (c *Hybrid) Last() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// Restore makes every later timestamp of the clock after ts, without
// recording an event; it does nothing if the clock is already at or after
// ts. A node calls it on restart with a timestamp it persisted before
// stopping (its last one, or a high-water mark it persisted ahead of use),
// so that it never reissues a timestamp it handed out before, even if its
// physical clock is now behind.
//
// Unlike Update, Restore applies no maximum offset: the node's own history
// is trusted even if it is far ahead of the physical clock. It rejects a ts
// after MaxWall, leaving the clock unchanged, with an error wrapping
// ErrClockOffset.
func (c *Hybrid) Restore(ts Timestamp) error {
	if ts.Wall > MaxWall {
		return fmt.Errorf("clocks: restored timestamp %v is after the latest wall time a clock accepts, %s: %w",
			ts, appendWall(nil, MaxWall), ErrClockOffset)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last.Before(ts) {
		c.last = ts
	}
	return nil
}

// sendRule is the paper's rule for a send or local event at a node whose
// last timestamp is last and whose physical clock reads pt. It reports
// false if last is the largest representable timestamp.
func sendRule(last Timestamp, pt int64) (Timestamp, bool) {
	if pt > last.Wall {
		return Timestamp{Wall: pt}, true
	}
	return successor(last)
}

// receiveRule is the paper's rule for receiving a message stamped remote at
// a node whose last timestamp is last and whose physical clock reads pt. It
// reports false if the result would not fit.
func receiveRule(last, remote Timestamp, pt int64) (Timestamp, bool) {
	l := max(last.Wall, remote.Wall, pt)
	switch {
	case l == last.Wall && l == remote.Wall:
		return successor(Timestamp{Wall: l, Logical: max(last.Logical, remote.Logical)})
	case l == last.Wall:
		return successor(last)
	case l == remote.Wall:
		return successor(remote)
	default: // only the physical clock reached l
		return Timestamp{Wall: l}, true
	}
}

// successor returns the timestamp right after t: the next logical counter,
// or the next nanosecond with counter 0 when the counter is full. It
// reports false if t is the largest representable timestamp.
func successor(t Timestamp) (Timestamp, bool) {
	switch {
	case t.Logical < math.MaxUint32:
		return Timestamp{Wall: t.Wall, Logical: t.Logical + 1}, true
	case t.Wall < math.MaxInt64:
		return Timestamp{Wall: t.Wall + 1}, true
	default:
		return t, false
	}
}

// ahead reports whether remote - pt > bound, without overflowing.
func ahead(remote, pt int64, bound time.Duration) bool {
	d := remote - pt
	if (remote >= 0) != (pt >= 0) && (d >= 0) != (remote >= 0) {
		// The difference overflowed: its true sign is remote's.
		return remote >= 0
	}
	return d > int64(bound)
}

// formatDiff formats remote - pt as a duration, or in seconds if the
// difference does not fit a time.Duration.
func formatDiff(remote, pt int64) string {
	d := remote - pt
	if (remote >= 0) != (pt >= 0) && (d >= 0) != (remote >= 0) {
		return "more than 292 years"
	}
	return time.Duration(d).String()
}
