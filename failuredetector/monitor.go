package failuredetector

import (
	"bytes"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// EventKind says whether a peer became suspected or recovered.
type EventKind int

const (
	// Suspected: the peer's detector started suspecting it.
	Suspected EventKind = iota + 1
	// Recovered: a heartbeat arrived from a suspected peer.
	Recovered
)

// String returns "suspected" or "recovered".
func (k EventKind) String() string {
	switch k {
	case Suspected:
		return "suspected"
	case Recovered:
		return "recovered"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is a transition of one peer, as reported to MonitorConfig.OnChange.
type Event struct {
	Peer string        // the node ID
	Kind EventKind     // Suspected or Recovered
	At   time.Duration // the time passed to the call that noticed it
}

// String formats the event as "b suspected at 5s".
func (e Event) String() string { return fmt.Sprintf("%s %v at %v", e.Peer, e.Kind, e.At) }

// MonitorConfig configures a Monitor.
type MonitorConfig struct {
	// NewDetector creates the detector for a newly added peer. Required.
	// Neither it nor the detectors it returns may call the Monitor: the
	// Monitor calls them while it adds the peer or holds the peer's lock.
	NewDetector func() (Detector, error)
	// OnChange receives every transition, in the order the Monitor noticed
	// them, on a goroutine of the Monitor's own: a slow callback delays
	// later callbacks, never Heartbeat or Check. nil discards events.
	//
	// OnChange may call any method of the Monitor: it runs holding no lock
	// of the Monitor's. Events it causes (a Check that finds a new
	// suspicion) are queued and delivered after it returns, like any
	// other. It may call Close, which then returns at once instead of
	// waiting for the delivery that is running it; see Close.
	OnChange func(Event)
}

// Monitor watches many peers, one detector each, keyed by node ID. Heartbeat
// reports a recovery when a suspected peer is heard from; Check, called
// periodically, reports new suspicions. Transitions go to the callback
// through an unbounded queue drained by one goroutine, so callers never
// block on the callback. Heartbeat costs a lock-free map lookup (sync.Map)
// and one per-peer lock plus the detector's own cost; Check costs O(peers).
//
// The zero value is not usable; create a Monitor with NewMonitor and
// release its goroutine with Close. A Monitor is safe for concurrent use.
type Monitor struct {
	cfg MonitorConfig

	peers sync.Map     // string -> *peer; lookups take no lock
	n     atomic.Int64 // number of peers

	qmu    sync.Mutex
	queue  []Event
	wake   chan struct{}
	closed bool
	done   chan struct{}

	// deliverer identifies the goroutine that runs the callbacks, so that
	// Close called from a callback knows it must not wait for itself.
	deliverer atomic.Uint64
}

type peer struct {
	mu        sync.Mutex
	d         Detector
	suspected bool
}

// NewMonitor starts a Monitor. It returns an error wrapping
// ErrInvalidConfig if cfg.NewDetector is nil.
func NewMonitor(cfg MonitorConfig) (*Monitor, error) {
	if cfg.NewDetector == nil {
		return nil, fmt.Errorf("failuredetector: monitor needs NewDetector: %w", ErrInvalidConfig)
	}
	m := &Monitor{
		cfg:  cfg,
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
	go m.deliver()
	return m, nil
}

// peer returns id's entry, creating it (with a fresh detector) if needed;
// created says whether this call created it.
func (m *Monitor) peer(id string) (p *peer, created bool, err error) {
	if v, ok := m.peers.Load(id); ok {
		return v.(*peer), false, nil
	}
	d, err := m.cfg.NewDetector()
	if err != nil {
		return nil, false, fmt.Errorf("failuredetector: creating detector for %q: %w", id, err)
	}
	if d == nil {
		return nil, false, fmt.Errorf("failuredetector: NewDetector returned nil for %q: %w", id, ErrInvalidConfig)
	}
	v, loaded := m.peers.LoadOrStore(id, &peer{d: d})
	if !loaded {
		m.n.Add(1)
	}
	return v.(*peer), !loaded, nil
}

// Add starts monitoring id as if a first heartbeat arrived at now, so that
// a peer that never speaks is still suspected. Adding a monitored peer
// does nothing.
func (m *Monitor) Add(id string, now time.Duration) error {
	p, created, err := m.peer(id)
	if err != nil || !created {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.d.Heartbeat(now)
}

// Remove stops monitoring id. It returns an error wrapping ErrUnknownPeer
// if id is not monitored.
func (m *Monitor) Remove(id string) error {
	if _, ok := m.peers.LoadAndDelete(id); !ok {
		return fmt.Errorf("failuredetector: remove %q: %w", id, ErrUnknownPeer)
	}
	m.n.Add(-1)
	return nil
}

// Heartbeat records a heartbeat from id at now, adding the peer if it is
// new, and reports a Recovered event if id was suspected and no longer is.
// It returns the detector's error (ErrNonMonotonic), an error from
// NewDetector, or ErrClosed. It takes no Monitor-wide lock.
func (m *Monitor) Heartbeat(id string, now time.Duration) error {
	p, _, err := m.peer(id)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.d.Heartbeat(now); err != nil {
		return err
	}
	if p.suspected && !p.d.Suspect(now) {
		p.suspected = false
		return m.emit(Event{Peer: id, Kind: Recovered, At: now})
	}
	return nil
}

// Check asks every peer's detector whether it suspects the peer at now,
// reports a Suspected event for each new suspicion, and returns how many
// peers are suspected. Call it periodically (every heartbeat interval, for
// example).
func (m *Monitor) Check(now time.Duration) (int, error) {
	n := 0
	var err error
	m.peers.Range(func(k, v any) bool {
		p := v.(*peer)
		p.mu.Lock()
		s := p.d.Suspect(now)
		if s && !p.suspected {
			p.suspected = true
			err = m.emit(Event{Peer: k.(string), Kind: Suspected, At: now})
		}
		p.mu.Unlock()
		if s {
			n++
		}
		return err == nil
	})
	return n, err
}

// Suspected returns the peers currently marked suspected (as of the last
// Check or Heartbeat), sorted.
func (m *Monitor) Suspected() []string {
	var out []string
	m.peers.Range(func(k, v any) bool {
		p := v.(*peer)
		p.mu.Lock()
		if p.suspected {
			out = append(out, k.(string))
		}
		p.mu.Unlock()
		return true
	})
	slices.Sort(out)
	return out
}

// Len returns the number of peers monitored.
func (m *Monitor) Len() int { return int(m.n.Load()) }

// emit queues e for the callback without blocking.
func (m *Monitor) emit(e Event) error {
	m.qmu.Lock()
	if m.closed {
		m.qmu.Unlock()
		return fmt.Errorf("failuredetector: event %v: %w", e, ErrClosed)
	}
	m.queue = append(m.queue, e)
	m.qmu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
	return nil
}

// deliver runs the callbacks until Close, then delivers what is left.
func (m *Monitor) deliver() {
	defer close(m.done)
	m.deliverer.Store(goroutineID())
	var batch []Event
	for {
		<-m.wake
		m.qmu.Lock()
		batch, m.queue = m.queue, batch[:0]
		closed := m.closed
		m.qmu.Unlock()
		if m.cfg.OnChange != nil {
			for _, e := range batch {
				m.cfg.OnChange(e)
			}
		}
		clear(batch)
		if closed {
			m.qmu.Lock()
			rest := len(m.queue)
			m.qmu.Unlock()
			if rest == 0 {
				return
			}
		}
	}
}

// Close stops the Monitor after every queued event has been delivered, and
// waits for that. Later calls that would report an event return ErrClosed;
// no event is queued after Close, so OnChange is called only for the
// events queued before it. Close is idempotent and safe to call from any
// goroutine.
//
// Called from OnChange, Close cannot wait: the delivery it would wait for
// is the one running the callback. It then marks the Monitor closed and
// returns at once; when the callback returns, the events queued before the
// Close are delivered, in order, and the Monitor's goroutine exits. A
// Close from another goroutine meanwhile waits for all of that.
func (m *Monitor) Close() {
	m.qmu.Lock()
	already := m.closed
	m.closed = true
	m.qmu.Unlock()
	if !already {
		select {
		case m.wake <- struct{}{}:
		default:
		}
	}
	if goroutineID() == m.deliverer.Load() {
		return // called from OnChange
	}
	<-m.done
}

// goroutineID returns the current goroutine's identifier, read from the
// first line of its stack trace ("goroutine 18 [running]:"). Go keeps
// goroutine identity hidden on purpose, and the library uses it for one
// thing only: Close must know whether it runs on the goroutine it would
// wait for. It costs about a microsecond, once per Close.
func goroutineID() uint64 {
	var buf [64]byte
	b := bytes.TrimPrefix(buf[:runtime.Stack(buf[:], false)], []byte("goroutine "))
	var id uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}
