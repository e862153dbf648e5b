package failuredetector

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

const maxDuration = time.Duration(math.MaxInt64)

func TestSaturatingArithmetic(t *testing.T) {
	const mx, mn = time.Duration(math.MaxInt64), time.Duration(math.MinInt64)
	for _, c := range []struct {
		op         string
		a, b, want time.Duration
	}{
		{"+", 1, 2, 3},
		{"+", mx, 1, mx},
		{"+", mx - 1, 1, mx},
		{"+", mx, mx, mx},
		{"+", mn, -1, mn},
		{"+", mn, mx, -1},
		{"-", 5, 3, 2},
		{"-", mx, -1, mx},
		{"-", 1, mn, mx},
		{"-", mn, 1, mn},
		{"-", -2, mx, mn},
		{"-", mx, mx, 0},
	} {
		got := addSat(c.a, c.b)
		if c.op == "-" {
			got = subSat(c.a, c.b)
		}
		assert.Equal(t, c.want, got, "%d %s %d must saturate", c.a, c.op, c.b)
	}
	assert.Equal(t, mx, mulSat(3, mx/2), "3·(max/2) saturates")
	assert.Equal(t, mx-1, mulSat(2, mx/2), "2·(max/2) fits")
	assert.Equal(t, time.Duration(0), mulSat(0, mx))
	assert.True(t, overflows(mx, 1))
	assert.False(t, overflows(mx-1, 1))
	assert.False(t, overflows(mx, 0))
	assert.True(t, overflows(mx/2+1, mx/2+1))
	for _, c := range []struct {
		a, b time.Duration
		want int64
	}{{0, 3, 0}, {1, 3, 0}, {2, 3, 1}, {3, 2, 2}, {5, 2, 3}, {mx, 1, math.MaxInt64}, {mx, mx, 1}, {mx/2 + 1, mx, 1}, {mx / 2, mx, 0}} {
		assert.Equal(t, c.want, roundDiv(c.a, c.b), "round(%d/%d), halves up", c.a, c.b)
	}
}

// TestConfigOverflowRejected: parameter combinations whose sums overflow
// time.Duration are refused with ErrOverflow (and ErrInvalidConfig);
// those that just fit are accepted.
func TestConfigOverflowRejected(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
	}{
		{"Adaptive interval max, margin 1", second(NewAdaptive(AdaptiveConfig{Interval: maxDuration, SafetyMargin: 1, WindowSize: 10}))},
		{"Adaptive interval and margin half max", second(NewAdaptive(AdaptiveConfig{Interval: maxDuration/2 + 1, SafetyMargin: maxDuration/2 + 1, WindowSize: 1}))},
		{"EventuallyPerfect timeout max, increment 1", second(NewEventuallyPerfect(EventuallyPerfectConfig{Timeout: maxDuration, Increment: 1}))},
		{"EventuallyPerfect increment max", second(NewEventuallyPerfect(EventuallyPerfectConfig{Timeout: time.Second, Increment: maxDuration}))},
		{"EventuallyPerfect max timeout max", second(NewEventuallyPerfect(EventuallyPerfectConfig{Timeout: time.Second, Increment: time.Second, MaxTimeout: maxDuration}))},
	} {
		assert.ErrorIs(t, c.err, ErrOverflow, c.name)
		assert.ErrorIs(t, c.err, ErrInvalidConfig, "%s: an overflow is an invalid configuration", c.name)
	}
	_, err := NewAdaptive(AdaptiveConfig{Interval: maxDuration - time.Second, SafetyMargin: time.Second, WindowSize: 1})
	assert.NoError(t, err, "interval + margin = the largest Duration fits")
	_, err = NewEventuallyPerfect(EventuallyPerfectConfig{Timeout: maxDuration - time.Second, Increment: time.Second})
	assert.NoError(t, err, "timeout + increment = the largest Duration fits")
}

func second[T any](_ T, err error) error { return err }

// The regressions below failed before the arithmetic saturated: a sum
// past the largest Duration wrapped around to a time in the distant past,
// and an on-time peer was suspected at once (or a silent one never).

func TestAdaptiveHugeMarginRegression(t *testing.T) {
	// Accepted: η + α is exactly the largest Duration. The second
	// heartbeat's freshness point, 2η + α, wrapped around.
	d, err := NewAdaptive(AdaptiveConfig{Interval: time.Second, SafetyMargin: maxDuration - time.Second, WindowSize: 10})
	require.NoError(t, err)
	for i := range time.Duration(5) {
		now := i * time.Second
		require.NoError(t, d.Heartbeat(now))
		assert.False(t, d.Suspect(now), "an on-time peer is never suspected: heartbeat %d at %v", i, now)
		assert.False(t, d.Suspect(now+time.Second), "an on-time peer is never suspected: before heartbeat %d", i+1)
	}
	assert.Equal(t, maxDuration, d.next, "the freshness point saturates")
	_, ok := d.SuspectAt()
	assert.False(t, ok, "a freshness point saturated at the largest Duration is never passed: SuspectAt has no time to give")
}

func TestAdaptiveFarFutureRegression(t *testing.T) {
	// Heartbeats every second ending at the largest Duration: now + η + α
	// wrapped around.
	d, err := NewAdaptive(AdaptiveConfig{Interval: time.Second, SafetyMargin: 100 * time.Millisecond, WindowSize: 10})
	require.NoError(t, err)
	for i := time.Duration(3); i >= 0; i-- {
		now := maxDuration - i*time.Second
		require.NoError(t, d.Heartbeat(now))
		assert.False(t, d.Suspect(now), "an on-time peer is never suspected: heartbeat at %v", now)
	}
	// And a peer silent since the far past is still suspected.
	d, err = NewAdaptive(AdaptiveConfig{Interval: time.Second, SafetyMargin: 0, WindowSize: 10})
	require.NoError(t, err)
	require.NoError(t, d.Heartbeat(math.MinInt64+1))
	assert.True(t, d.Suspect(maxDuration), "a peer silent for 584 years is suspected")
}

func TestEventuallyPerfectTimeoutOverflowRegression(t *testing.T) {
	// Accepted: timeout + increment fits. The second false suspicion took
	// the timeout past the largest Duration, to a negative one.
	inc := maxDuration/2 + 1
	d, err := NewEventuallyPerfect(EventuallyPerfectConfig{Timeout: time.Nanosecond, Increment: inc})
	require.NoError(t, err)
	require.NoError(t, d.Heartbeat(0))
	require.NoError(t, d.Heartbeat(2)) // late: the timeout grows to 1 + inc
	now := 4 + inc                     // late again: the timeout saturates
	require.NoError(t, d.Heartbeat(now))
	timeout, mistakes := d.Timeout()
	assert.Equal(t, 2, mistakes)
	assert.Equal(t, maxDuration, timeout, "the timeout saturates at the largest Duration")
	assert.False(t, d.Suspect(now+time.Second), "a peer heard a second ago is not suspected")
}

func TestElapsedOverflowRegression(t *testing.T) {
	// A heartbeat long before the epoch and a question long after: now -
	// last wrapped around to a negative elapsed time, and a peer silent
	// for centuries was not suspected.
	const last, now = time.Duration(math.MinInt64 + 1), maxDuration
	to, err := NewTimeout(TimeoutConfig{Timeout: time.Second})
	require.NoError(t, err)
	ep, err := NewEventuallyPerfect(EventuallyPerfectConfig{Timeout: time.Second, Increment: time.Second})
	require.NoError(t, err)
	p, err := NewPhi(DefaultConfig())
	require.NoError(t, err)
	for name, d := range map[string]Detector{"Timeout": to, "EventuallyPerfect": ep, "Phi": p} {
		require.NoError(t, d.Heartbeat(last), name)
		assert.True(t, d.Suspect(now), "%s: a peer silent for 584 years must be suspected (strong completeness)", name)
	}
	assert.Greater(t, p.Phi(now), DefaultConfig().Threshold, "Phi: φ of a peer silent for 584 years")
}

func TestTraceSpanOverflowRejected(t *testing.T) {
	err := Trace{Arrivals: []time.Duration{math.MinInt64 + 1}, End: maxDuration}.Validate()
	assert.ErrorIs(t, err, ErrInvalidTrace, "a trace longer than a Duration cannot be evaluated")
}

// drawDuration draws durations from every scale, the extremes included.
func drawDuration(t *rapid.T, label string, lo time.Duration) time.Duration {
	return time.Duration(rapid.OneOf(
		rapid.Int64Range(int64(lo), int64(lo)+10),
		rapid.Int64Range(int64(lo), int64(time.Minute)),
		rapid.Int64Range(int64(lo), math.MaxInt64),
		rapid.Int64Range(math.MaxInt64-int64(time.Minute), math.MaxInt64),
		rapid.Int64Range(math.MaxInt64/2-10, math.MaxInt64/2+10),
	).Draw(t, label))
}

// drawTime draws a heartbeat time anywhere in the range of a Duration.
func drawTime(t *rapid.T, label string) time.Duration {
	return time.Duration(rapid.OneOf(
		rapid.Int64Range(-int64(time.Hour), int64(time.Hour)),
		rapid.Int64(),
		rapid.Int64Range(math.MaxInt64-int64(time.Hour), math.MaxInt64),
		rapid.Int64Range(math.MinInt64, math.MinInt64+int64(time.Hour)),
	).Draw(t, label))
}

// TestPropOnTimePeerNeverSuspected: for any configuration the
// constructors accept, a peer whose heartbeats arrive exactly on time is
// never suspected, wherever in the range of a Duration they fall. On time
// means every interval for Adaptive, within the timeout for Timeout, and
// within the current timeout for EventuallyPerfect (after any number of
// false suspicions, which grow it, possibly up to saturation). A
// configuration the constructors refuse must be refused with
// ErrInvalidConfig, and with ErrOverflow exactly when its sums overflow.
func TestPropOnTimePeerNeverSuspected(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var d Detector
		var gap func(t *rapid.T) time.Duration // the next on-time interval
		var err error
		switch kind := rapid.IntRange(0, 2).Draw(t, "kind"); kind {
		case 0:
			eta, alpha := drawDuration(t, "interval", 1), drawDuration(t, "margin", 0)
			var a *Adaptive
			a, err = NewAdaptive(AdaptiveConfig{Interval: eta, SafetyMargin: alpha, WindowSize: rapid.IntRange(1, 8).Draw(t, "n")})
			if (err != nil) != overflows(eta, alpha) || err != nil && !errors.Is(err, ErrOverflow) {
				t.Fatalf("NewAdaptive with interval %v and margin %v must refuse exactly the parameters whose sum overflows, with ErrOverflow: %v", eta, alpha, err)
			}
			d, gap = a, func(*rapid.T) time.Duration { return eta }
		case 1:
			timeout, inc := drawDuration(t, "timeout", 1), drawDuration(t, "increment", 1)
			limit := time.Duration(0)
			if rapid.Bool().Draw(t, "bounded") {
				limit = timeout + drawDuration(t, "max-timeout", 0)
				if limit < timeout { // the draw overflowed: no limit
					limit = 0
				}
			}
			var e *EventuallyPerfect
			e, err = NewEventuallyPerfect(EventuallyPerfectConfig{Timeout: timeout, Increment: inc, MaxTimeout: limit})
			over := overflows(timeout, inc) || limit != 0 && overflows(limit, inc)
			if (err != nil) != over || err != nil && !errors.Is(err, ErrOverflow) {
				t.Fatalf("NewEventuallyPerfect with timeout %v, increment %v and max timeout %v must refuse exactly the parameters whose sums overflow, with ErrOverflow: %v", timeout, inc, limit, err)
			}
			d, gap = e, func(t *rapid.T) time.Duration {
				cur, _ := e.Timeout()
				return time.Duration(rapid.Int64Range(0, int64(cur)).Draw(t, "gap"))
			}
			if err == nil {
				// False suspicions first: each late heartbeat grows the timeout.
				now := drawTime(t, "start")
				if err := e.Heartbeat(now); err != nil {
					t.Fatal(err)
				}
				for range rapid.IntRange(0, 3).Draw(t, "mistakes") {
					cur, _ := e.Timeout()
					late := addSat(now, addSat(cur, 1))
					if late <= now || late == maxDuration {
						break
					}
					if err := e.Heartbeat(late); err != nil {
						t.Fatal(err)
					}
					now = late
				}
			}
		default:
			timeout := drawDuration(t, "timeout", 1)
			var to *Timeout
			to, err = NewTimeout(TimeoutConfig{Timeout: timeout})
			d, gap = to, func(t *rapid.T) time.Duration {
				return time.Duration(rapid.Int64Range(0, int64(timeout)).Draw(t, "gap"))
			}
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("a refused configuration must wrap ErrInvalidConfig: %v", err)
			}
			return
		}
		now := drawTime(t, "first")
		if last, ok := lastHeartbeat(d); ok {
			now = last
		}
		if err := d.Heartbeat(now); err != nil {
			t.Fatal(err)
		}
		for i := range rapid.IntRange(1, 30).Draw(t, "heartbeats") {
			if d.Suspect(now) {
				t.Fatalf("a peer whose heartbeats arrive on time must never be suspected: %s suspects it at its heartbeat %d (%v)", describe(d), i, now)
			}
			g := gap(t)
			next := now + g
			if next < now { // past the end of time
				return
			}
			if d.Suspect(next) {
				t.Fatalf("a peer whose heartbeats arrive on time must never be suspected: %s suspects it at %v, when heartbeat %d is due (%v after %v)", describe(d), next, i+1, g, now)
			}
			if err := d.Heartbeat(next); err != nil {
				t.Fatal(err)
			}
			now = next
		}
	})
}

// lastHeartbeat returns an EventuallyPerfect's last heartbeat, which the
// property continues from.
func lastHeartbeat(d Detector) (time.Duration, bool) {
	if e, ok := d.(*EventuallyPerfect); ok {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.last, e.started
	}
	return 0, false
}

func describe(d Detector) string {
	switch d := d.(type) {
	case *Adaptive:
		return fmt.Sprintf("Adaptive(η=%v, α=%v, freshness point %v)", d.eta, d.alpha, d.next)
	case *EventuallyPerfect:
		timeout, mistakes := d.Timeout()
		return fmt.Sprintf("EventuallyPerfect(timeout %v after %d mistakes)", timeout, mistakes)
	case *Timeout:
		return fmt.Sprintf("Timeout(%v)", d.timeout)
	}
	return fmt.Sprint(d)
}
