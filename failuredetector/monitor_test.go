package failuredetector

import (
	"fmt"
	"sync"
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
		NewDetector: func() (Detector, error) { return NewTimeout(2 * time.Second) },
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
		NewDetector: func() (Detector, error) { return NewTimeout(time.Second) },
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
		NewDetector: func() (Detector, error) { return NewTimeout(time.Second) },
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
	m, err := NewMonitor(MonitorConfig{NewDetector: func() (Detector, error) { return NewTimeout(0) }})
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
			NewDetector: func() (Detector, error) { return NewTimeout(timeout) },
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
