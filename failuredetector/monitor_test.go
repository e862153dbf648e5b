package failuredetector

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestMonitorTransitions(t *testing.T) {
	var mu sync.Mutex
	var events []string
	m, err := NewMonitor(MonitorConfig{
		NewDetector: func() (Detector, error) { return NewTimeout(TimeoutConfig{Timeout: 2 * time.Second}) },
		OnChange: func(e Event) {
			mu.Lock()
			events = append(events, e.String())
			mu.Unlock()
		},
	})
	require.NoError(t, err)
	require.NoError(t, m.Add("a", 0))
	require.NoError(t, m.Heartbeat("b", 0))
	assert.Equal(t, 2, m.Len())
	for s := time.Duration(1); s <= 5; s++ {
		require.NoError(t, m.Heartbeat("a", s*time.Second))
		n, err := m.Check(s * time.Second)
		require.NoError(t, err)
		if s >= 3 {
			assert.Equal(t, 1, n, "b silent for more than 2 s is suspected")
		}
	}
	assert.Equal(t, []string{"b"}, m.Suspected())
	require.NoError(t, m.Heartbeat("b", 6*time.Second))
	assert.Empty(t, m.Suspected())
	assert.ErrorIs(t, m.Remove("zz"), ErrUnknownPeer)
	require.NoError(t, m.Remove("a"))
	m.Close()
	m.Close()
	assert.Equal(t, []string{"b suspected at 3s", "b recovered at 6s"}, events,
		"each transition is reported once, in order")
	_, err = m.Check(100 * time.Second)
	assert.ErrorIs(t, err, ErrClosed)
}

func TestMonitorCallbackDoesNotBlock(t *testing.T) {
	release := make(chan struct{})
	m, err := NewMonitor(MonitorConfig{
		NewDetector: func() (Detector, error) { return NewTimeout(TimeoutConfig{Timeout: time.Second}) },
		OnChange:    func(Event) { <-release },
	})
	require.NoError(t, err)
	for i := range 100 {
		require.NoError(t, m.Add(fmt.Sprint(i), 0))
	}
	n, err := m.Check(time.Hour) // 100 events, callback stuck on the first
	require.NoError(t, err)
	assert.Equal(t, 100, n, "Check returns although the callback is blocked")
	close(release)
	m.Close()
}

func TestMonitorConcurrent(t *testing.T) {
	var mu sync.Mutex
	count := map[EventKind]int{}
	m, err := NewMonitor(MonitorConfig{
		NewDetector: func() (Detector, error) { return NewTimeout(TimeoutConfig{Timeout: time.Second}) },
		OnChange: func(e Event) {
			mu.Lock()
			count[e.Kind]++
			mu.Unlock()
		},
	})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 1000 {
				_ = m.Heartbeat(fmt.Sprint(g, "-", i%50), time.Duration(i)*time.Millisecond)
			}
		})
	}
	wg.Go(func() {
		for i := range 100 {
			_, _ = m.Check(time.Duration(i) * 10 * time.Millisecond)
		}
	})
	wg.Wait()
	_, err = m.Check(time.Hour)
	require.NoError(t, err)
	m.Close()
	assert.Equal(t, 200, m.Len())
	assert.Equal(t, 200, count[Suspected]-count[Recovered], "every peer ends suspected exactly once more than recovered")
}

func TestMonitorBadConfig(t *testing.T) {
	_, err := NewMonitor(MonitorConfig{})
	assert.ErrorIs(t, err, ErrInvalidConfig)
	m, err := NewMonitor(MonitorConfig{NewDetector: func() (Detector, error) { return NewTimeout(TimeoutConfig{Timeout: -time.Second}) }})
	require.NoError(t, err)
	assert.ErrorIs(t, m.Add("a", 0), ErrInvalidConfig)
	m.Close()
}

// Model-based test: a Monitor of fixed-timeout detectors against a map of
// last-heartbeat times, with transitions counted.
func TestMonitorModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		const timeout = 3 * time.Second
		var mu sync.Mutex
		events := map[string][]EventKind{}
		m, err := NewMonitor(MonitorConfig{
			NewDetector: func() (Detector, error) { return NewTimeout(TimeoutConfig{Timeout: timeout}) },
			OnChange: func(e Event) {
				mu.Lock()
				events[e.Peer] = append(events[e.Peer], e.Kind)
				mu.Unlock()
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		last := map[string]time.Duration{}
		suspected := map[string]bool{}
		want := map[string][]EventKind{}
		var now time.Duration
		peers := []string{"a", "b", "c", "d"}
		t.Repeat(map[string]func(*rapid.T){
			"heartbeat": func(t *rapid.T) {
				id := rapid.SampledFrom(peers).Draw(t, "peer")
				now += time.Duration(rapid.Int64Range(0, int64(5*time.Second)).Draw(t, "dt"))
				if err := m.Heartbeat(id, now); err != nil {
					t.Fatalf("heartbeat: %v", err)
				}
				last[id] = now
				if suspected[id] {
					suspected[id] = false
					want[id] = append(want[id], Recovered)
				}
			},
			"check": func(t *rapid.T) {
				now += time.Duration(rapid.Int64Range(0, int64(5*time.Second)).Draw(t, "dt"))
				n, err := m.Check(now)
				if err != nil {
					t.Fatalf("check: %v", err)
				}
				count := 0
				for id, l := range last {
					if now-l > timeout {
						count++
						if !suspected[id] {
							suspected[id] = true
							want[id] = append(want[id], Suspected)
						}
					}
				}
				if n != count {
					t.Fatalf("Check counts the peers silent for longer than the timeout: got %d, want %d", n, count)
				}
			},
			"": func(t *rapid.T) {
				var ws []string
				for id, s := range suspected {
					if s {
						ws = append(ws, id)
					}
				}
				got := m.Suspected()
				if len(got) != len(ws) || m.Len() != len(last) {
					t.Fatalf("Suspected lists exactly the suspected peers: got %v, model %v", got, suspected)
				}
			},
		})
		m.Close()
		for _, id := range peers {
			if fmt.Sprint(events[id]) != fmt.Sprint(want[id]) {
				t.Fatalf("each peer's transitions alternate and match the model: %s got %v, want %v", id, events[id], want[id])
			}
		}
	})
}

// deadlockGuard is how long the re-entrancy tests wait for a call that
// returns in microseconds when correct: a deadlock detector, so that a
// deadlock fails the test instead of hanging it, not a timing assertion.
const deadlockGuard = 5 * time.Second

// returnsWithin runs f on its own goroutine and fails the test if f has
// not returned after deadlockGuard.
func returnsWithin(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(deadlockGuard):
		t.Fatalf("%s did not return within %v: deadlock", what, deadlockGuard)
	}
}

// Regression: Close called from OnChange waited for the delivery goroutine,
// which was running the callback, and never returned.
func TestMonitorCloseFromCallback(t *testing.T) {
	var mu sync.Mutex
	var delivered []string
	release := make(chan struct{})
	closed := make(chan struct{})
	var once sync.Once
	var m *Monitor
	m, err := NewMonitor(MonitorConfig{
		NewDetector: func() (Detector, error) { return NewTimeout(TimeoutConfig{Timeout: time.Second}) },
		OnChange: func(e Event) {
			mu.Lock()
			delivered = append(delivered, e.String())
			mu.Unlock()
			once.Do(func() {
				<-release // the three events are queued
				m.Close()
				close(closed)
			})
		},
	})
	require.NoError(t, err)
	for _, id := range []string{"a", "b", "c"} {
		require.NoError(t, m.Add(id, 0))
	}
	n, err := m.Check(time.Hour)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	close(release)
	select {
	case <-closed:
	case <-time.After(deadlockGuard):
		t.Fatalf("Close called from OnChange did not return within %v: deadlock", deadlockGuard)
	}
	returnsWithin(t, "Close after a Close from OnChange", m.Close)
	mu.Lock()
	assert.Len(t, delivered, 3, "the events queued before a Close from OnChange are still delivered: %v", delivered)
	mu.Unlock()
	assert.ErrorIs(t, m.Heartbeat("a", 2*time.Hour), ErrClosed, "no event is queued after Close")
}

// Every other Monitor method called from OnChange returns, and an event
// it causes is delivered after the callback, like any other.
func TestMonitorMethodsFromCallback(t *testing.T) {
	var m *Monitor
	type result struct {
		n         int
		suspected []string
		errs      []error
	}
	results := make(chan result, 1)
	events := make(chan Event, 10)
	var once sync.Once
	m, err := NewMonitor(MonitorConfig{
		NewDetector: func() (Detector, error) { return NewTimeout(TimeoutConfig{Timeout: time.Second}) },
		OnChange: func(e Event) {
			events <- e
			once.Do(func() {
				var r result
				r.errs = append(r.errs, m.Heartbeat("a", e.At), m.Add("c", e.At), m.Remove("c"))
				var err error
				r.n, err = m.Check(e.At + 5*time.Second) // suspects a and b again
				r.errs = append(r.errs, err)
				r.suspected = m.Suspected()
				_ = m.Len()
				results <- r
			})
		},
	})
	require.NoError(t, err)
	require.NoError(t, m.Add("a", 0))
	require.NoError(t, m.Add("b", 0))
	_, err = m.Check(2 * time.Second) // a and b suspected: the first event runs the calls
	require.NoError(t, err)
	var r result
	select {
	case r = <-results:
	case <-time.After(deadlockGuard):
		t.Fatalf("Monitor methods called from OnChange did not return within %v: deadlock", deadlockGuard)
	}
	for _, err := range r.errs {
		assert.NoError(t, err, "Monitor methods work from OnChange")
	}
	assert.Equal(t, 2, r.n, "Check from OnChange sees both peers silent")
	assert.Equal(t, []string{"a", "b"}, r.suspected)
	returnsWithin(t, "Close", m.Close)
	close(events)
	var kinds []string
	for e := range events {
		kinds = append(kinds, e.Kind.String())
	}
	assert.ElementsMatch(t, []string{"suspected", "suspected", "recovered", "suspected"}, kinds,
		"events caused from OnChange are delivered after it: a and b suspected, a recovered, a suspected again")
}

// Close from another goroutine still waits for the callback that is
// running: OnChange is never called after Close returns.
func TestMonitorCloseWaitsForRunningCallback(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var running atomic.Bool
	m, err := NewMonitor(MonitorConfig{
		NewDetector: func() (Detector, error) { return NewTimeout(TimeoutConfig{Timeout: time.Second}) },
		OnChange: func(Event) {
			running.Store(true)
			close(entered)
			<-release
			running.Store(false)
		},
	})
	require.NoError(t, err)
	require.NoError(t, m.Add("a", 0))
	_, err = m.Check(time.Hour)
	require.NoError(t, err)
	<-entered
	closed := make(chan struct{})
	go func() {
		m.Close()
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("Close from another goroutine must wait for the running callback")
	case <-time.After(10 * time.Millisecond):
	}
	close(release)
	select {
	case <-closed:
	case <-time.After(deadlockGuard):
		t.Fatalf("Close did not return within %v after the callback did: deadlock", deadlockGuard)
	}
	assert.False(t, running.Load(), "no callback runs after Close returns")
}
