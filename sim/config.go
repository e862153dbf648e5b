package sim

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"time"
)

// DefaultLatency is the latency of a link whose LinkConfig.Latency is nil.
const DefaultLatency = time.Millisecond

// DefaultMaxEvents is the event limit of a Config whose MaxEvents is 0.
const DefaultMaxEvents = 10_000_000

// DefaultMessageSize is the size in bytes the simulator assumes for a
// message that does not implement Sizer.
const DefaultMessageSize = 64

// LinkConfig describes a one-way link between two nodes. The zero value is
// a reliable link with DefaultLatency and unlimited bandwidth.
type LinkConfig struct {
	// Latency is the distribution of one-way delays; nil means
	// Constant(DefaultLatency). A distribution with spread reorders
	// messages: each message draws its own delay, so a later one can
	// overtake an earlier one.
	Latency Latency
	// Loss is the probability, in [0, 1], that a message is lost.
	Loss float64
	// Duplicate is the probability, in [0, 1], that a message that was
	// not lost is delivered twice (the copy draws its own delay).
	Duplicate float64
	// Bandwidth is the link's capacity in bytes per second; 0 means
	// unlimited. A message of s bytes (see Sizer) occupies the link for
	// s/Bandwidth seconds, queued behind the messages sent on the same
	// link before it, and its latency starts when it has left.
	Bandwidth float64
}

// ClockConfig describes a node's local clock: Context.Now returns
// Offset + (1+Drift)·t at true time t, and a timer set for d of local time
// fires after d/(1+Drift) of true time. The zero value is a perfect clock.
type ClockConfig struct {
	// Offset is the clock's reading at true time 0 (skew); it may be
	// negative.
	Offset time.Duration
	// Drift is the clock's rate error: 100e-6 runs 100 ppm fast, -100e-6
	// 100 ppm slow. It must be greater than -1 (a clock that stops or runs
	// backwards is not a clock).
	Drift float64
}

// Config describes a simulated system: its nodes, its network, its
// clocks and its seed. The zero value is invalid (it has no nodes); a
// Config with only Nodes set is a reliable network with 1 ms links,
// perfect clocks, no service time and seed 0.
type Config struct {
	// Seed seeds every random choice of the run: the same Config and seed
	// give the same run, event for event.
	Seed uint64
	// Nodes are the identifiers of the nodes: distinct and non-empty. The
	// trace draws them in this order.
	Nodes []string
	// Link is every link's configuration unless Links overrides it.
	Link LinkConfig
	// Links overrides Link for the one-way link from key[0] to key[1].
	// An override replaces the whole LinkConfig. LatencyMatrix builds one
	// from a table of WAN latencies.
	Links map[[2]string]LinkConfig
	// Clocks gives nodes a skewed or drifting local clock.
	Clocks map[string]ClockConfig
	// ExplicitSync, if true, leaves syncing each node's Storage to the
	// node (Storage.Sync): a crash loses every write since the node's last
	// Sync. A node that batches the work of several handlers and syncs
	// once (group commit) runs with it, and one that sends before it syncs
	// is caught. If false, the simulator syncs a node's storage when each
	// of its handlers returns.
	ExplicitSync bool
	// ServiceTime is the time a node spends on each message or timer it
	// handles: the handler's effects (sends, timers, storage writes) happen
	// when it is over, and inputs that arrive meanwhile queue. A node then
	// handles at most one input per ServiceTime. 0 means instantaneous.
	ServiceTime time.Duration
	// MaxEvents stops a run with ErrEventLimit after this many events; 0
	// means DefaultMaxEvents, and a negative value no limit.
	MaxEvents int
	// NoTrace turns trace recording off (Trace returns a trace with no
	// events), for benchmarks and long runs. Stats are still kept.
	NoTrace bool
}

// Validate reports the first problem that makes c unusable, as an error
// wrapping ErrInvalidConfig (or ErrUnknownNode for a Links or Clocks
// entry naming a node not in Nodes). New calls it; call it yourself to
// check a configuration without starting anything.
func (c Config) Validate() error {
	if len(c.Nodes) == 0 {
		return fmt.Errorf("sim: config has no nodes: %w", ErrInvalidConfig)
	}
	seen := make(map[string]bool, len(c.Nodes))
	for _, id := range c.Nodes {
		if id == "" {
			return fmt.Errorf("sim: config has an empty node identifier: %w", ErrInvalidConfig)
		}
		if seen[id] {
			return fmt.Errorf("sim: config names node %q twice: %w", id, ErrInvalidConfig)
		}
		seen[id] = true
	}
	if err := c.Link.validate(); err != nil {
		return fmt.Errorf("sim: default link: %w", err)
	}
	for _, k := range linkKeys(c.Links) {
		for _, id := range k {
			if !seen[id] {
				return fmt.Errorf("sim: link %s->%s: node %q: %w", k[0], k[1], id, ErrUnknownNode)
			}
		}
		if err := c.Links[k].validate(); err != nil {
			return fmt.Errorf("sim: link %s->%s: %w", k[0], k[1], err)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(c.Clocks)) {
		if !seen[id] {
			return fmt.Errorf("sim: clock of node %q: %w", id, ErrUnknownNode)
		}
		if d := c.Clocks[id].Drift; !(d > -1) || math.IsInf(d, 0) {
			return fmt.Errorf("sim: clock of node %q: drift %v not in (-1, +Inf): %w", id, d, ErrInvalidConfig)
		}
	}
	if c.ServiceTime < 0 {
		return fmt.Errorf("sim: negative service time %v: %w", c.ServiceTime, ErrInvalidConfig)
	}
	return nil
}

// validate checks a link configuration; errors wrap ErrInvalidConfig.
func (l LinkConfig) validate() error {
	if l.Latency != nil {
		if err := l.Latency.validate(); err != nil {
			return fmt.Errorf("%w: %w", err, ErrInvalidConfig)
		}
	}
	if !probability(l.Loss) {
		return fmt.Errorf("loss %v not in [0, 1]: %w", l.Loss, ErrInvalidConfig)
	}
	if !probability(l.Duplicate) {
		return fmt.Errorf("duplicate %v not in [0, 1]: %w", l.Duplicate, ErrInvalidConfig)
	}
	if !(l.Bandwidth >= 0) || math.IsInf(l.Bandwidth, 0) {
		return fmt.Errorf("bandwidth %v not a non-negative number: %w", l.Bandwidth, ErrInvalidConfig)
	}
	return nil
}

// String describes the link, as "uniform(1ms,5ms) loss=0.1".
func (l LinkConfig) String() string {
	lat := l.Latency
	if lat == nil {
		lat = Constant(DefaultLatency)
	}
	s := lat.String()
	if l.Loss > 0 {
		s += fmt.Sprintf(" loss=%v", l.Loss)
	}
	if l.Duplicate > 0 {
		s += fmt.Sprintf(" duplicate=%v", l.Duplicate)
	}
	if l.Bandwidth > 0 {
		s += fmt.Sprintf(" bandwidth=%vB/s", l.Bandwidth)
	}
	return s
}

// probability reports whether p is in [0, 1] (NaN is not).
func probability(p float64) bool { return p >= 0 && p <= 1 }

// linkKeys returns the keys of m in order, so validation reports the same
// problem first on every run.
func linkKeys(m map[[2]string]LinkConfig) [][2]string {
	return slices.SortedFunc(maps.Keys(m), func(a, b [2]string) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	})
}

// LatencyMatrix turns a table of one-way latencies, m[from][to], into
// per-link overrides for Config.Links: each link gets a Constant latency
// and otherwise a perfect LinkConfig (set loss and the rest afterwards).
// A pair given in one direction only gets the same latency in the other,
// so a symmetric table needs only its upper half. Entries from a node to
// itself are ignored. Measured round-trip times halve into one-way
// latencies.
func LatencyMatrix(m map[string]map[string]time.Duration) map[[2]string]LinkConfig {
	out := make(map[[2]string]LinkConfig)
	for from, row := range m {
		for to, d := range row {
			if from == to {
				continue
			}
			out[[2]string{from, to}] = LinkConfig{Latency: Constant(d)}
			if _, ok := m[to][from]; !ok {
				out[[2]string{to, from}] = LinkConfig{Latency: Constant(d)}
			}
		}
	}
	return out
}

// Sizer is implemented by messages that know their size in bytes, which
// links with a Bandwidth use to compute how long a message occupies them.
// Messages that do not implement it count as DefaultMessageSize bytes.
type Sizer interface {
	Size() int
}

// sizeOf returns the size of *m in bytes for bandwidth accounting. It
// asks through a pointer, which an interface holds without allocating, so
// a Sizer message costs no allocation; a message type that is itself an
// interface is asked for its dynamic value's size.
func sizeOf[M any](m *M) int {
	if s, ok := any(m).(Sizer); ok {
		return max(s.Size(), 0)
	}
	if reflect.TypeFor[M]().Kind() == reflect.Interface {
		if s, ok := any(*m).(Sizer); ok {
			return max(s.Size(), 0)
		}
	}
	return DefaultMessageSize
}
