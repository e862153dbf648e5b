package simtest

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"pgregory.net/rapid"

	"github.com/eventually-perfect/primitives/sim"
)

// FaultKind says what a Fault does.
type FaultKind uint8

// The kinds of faults a Schedule holds.
const (
	// Crash crashes Nodes[0] at At and restarts it For later.
	Crash FaultKind = iota + 1
	// Partition cuts Nodes off from Others, in both directions, from At
	// for For.
	Partition
	// Block cuts the one-way link from Nodes[0] to Nodes[1] from At for
	// For: Nodes[1] stops hearing Nodes[0], which still hears it.
	Block
	// Pause stops Nodes[0] from processing from At for For, as a long
	// garbage-collection pause would.
	Pause
	// Loss makes the link from Nodes[0] to Nodes[1] lose each message with
	// probability Loss from At for For.
	Loss
)

// allKinds lists every kind, in the order DrawSchedule prefers when it
// shrinks (rapid shrinks a choice towards the first).
var allKinds = []FaultKind{Crash, Partition, Block, Pause, Loss}

// String returns the kind's name in lower case: "crash", "partition"...
func (k FaultKind) String() string {
	switch k {
	case Crash:
		return "crash"
	case Partition:
		return "partition"
	case Block:
		return "block"
	case Pause:
		return "pause"
	case Loss:
		return "loss"
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// GoString returns the constant's Go name, simtest.Crash and so on.
func (k FaultKind) GoString() string {
	if k >= Crash && k <= Loss {
		s := k.String()
		return "simtest." + strings.ToUpper(s[:1]) + s[1:]
	}
	return "simtest.FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// Fault is one fault of a Schedule: it starts at true time At and lasts
// For. The zero value is not a valid fault (it has no kind).
type Fault struct {
	Kind FaultKind
	// At is when the fault starts, in true time since the start of the
	// run.
	At time.Duration
	// For is how long the fault lasts: the crashed node restarts, the
	// partition or block heals, the pause ends, the link's loss returns to
	// its configured value at At+For. It must be positive.
	For time.Duration
	// Nodes are the nodes the fault affects: the node for Crash and Pause,
	// the link's two ends (from, to) for Block and Loss, one side for
	// Partition.
	Nodes []string
	// Others is the other side of a Partition; nodes in neither Nodes nor
	// Others form a third group, as with sim.Sim.Partition.
	Others []string
	// Loss is the loss probability of a Loss fault, in [0, 1].
	Loss float64
}

// End returns the time the fault ends, At+For.
func (f Fault) End() time.Duration { return f.At + f.For }

// String describes the fault in words: "crash b at 120ms, restart at
// 150ms", "partition a | b c at 200ms, heal at 300ms", "block a->c at
// 250ms, heal at 400ms", "pause c at 300ms for 50ms", "loss 50% on a->b
// at 310ms, restore at 500ms".
func (f Fault) String() string {
	at, end := f.At.String(), f.End().String()
	switch f.Kind {
	case Crash:
		return fmt.Sprintf("crash %s at %s, restart at %s", nodeAt(f.Nodes, 0), at, end)
	case Partition:
		return fmt.Sprintf("partition %s | %s at %s, heal at %s", strings.Join(f.Nodes, " "), strings.Join(f.Others, " "), at, end)
	case Block:
		return fmt.Sprintf("block %s->%s at %s, heal at %s", nodeAt(f.Nodes, 0), nodeAt(f.Nodes, 1), at, end)
	case Pause:
		return fmt.Sprintf("pause %s at %s for %s", nodeAt(f.Nodes, 0), at, f.For)
	case Loss:
		return fmt.Sprintf("loss %s%% on %s->%s at %s, restore at %s",
			strconv.FormatFloat(100*f.Loss, 'g', 4, 64), nodeAt(f.Nodes, 0), nodeAt(f.Nodes, 1), at, end)
	}
	return fmt.Sprintf("%v %v at %s for %s", f.Kind, f.Nodes, at, f.For)
}

// GoString returns the fault as a Go composite literal, so that a schedule
// that failed a property can be pasted into a regression test.
func (f Fault) GoString() string {
	var b strings.Builder
	fmt.Fprintf(&b, "simtest.Fault{Kind: %#v, At: %s, For: %s, Nodes: %#v", f.Kind, goDuration(f.At), goDuration(f.For), f.Nodes)
	if f.Others != nil {
		fmt.Fprintf(&b, ", Others: %#v", f.Others)
	}
	if f.Loss != 0 {
		fmt.Fprintf(&b, ", Loss: %s", strconv.FormatFloat(f.Loss, 'g', -1, 64))
	}
	b.WriteString("}")
	return b.String()
}

// goDuration writes d as a Go expression: 120 * time.Millisecond.
func goDuration(d time.Duration) string {
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "time.Hour"}, {time.Minute, "time.Minute"}, {time.Second, "time.Second"},
		{time.Millisecond, "time.Millisecond"}, {time.Microsecond, "time.Microsecond"}} {
		if d != 0 && d%u.unit == 0 {
			return strconv.FormatInt(int64(d/u.unit), 10) + " * " + u.name
		}
	}
	return strconv.FormatInt(int64(d), 10)
}

func nodeAt(nodes []string, i int) string {
	if i < len(nodes) {
		return nodes[i]
	}
	return "?"
}

// Schedule is a list of faults to inject into a simulation, in order of
// start time. The zero value is the empty schedule: no faults.
type Schedule struct {
	Faults []Fault
}

// String lists the faults one per line after a count ("2 faults:"), or
// says "no faults"; it is meant for failure messages.
func (s Schedule) String() string {
	switch len(s.Faults) {
	case 0:
		return "no faults"
	case 1:
		return "1 fault: " + s.Faults[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d faults:", len(s.Faults))
	for _, f := range s.Faults {
		b.WriteString("\n  ")
		b.WriteString(f.String())
	}
	return b.String()
}

// GoString returns the schedule as a Go composite literal.
func (s Schedule) GoString() string {
	if len(s.Faults) == 0 {
		return "simtest.Schedule{}"
	}
	parts := make([]string, len(s.Faults))
	for i, f := range s.Faults {
		parts[i] = f.GoString()
	}
	return "simtest.Schedule{Faults: []simtest.Fault{" + strings.Join(parts, ", ") + "}}"
}

// MaxFaults is the largest number of faults DrawSchedule puts in a
// schedule.
const MaxFaults = 4

// Steps is the number of steps DrawSchedule divides the horizon into:
// fault times and durations are multiples of horizon/Steps (at least 1ns).
const Steps = 1000

// DrawSchedule draws a schedule of up to MaxFaults faults of every kind
// (with one node, only crashes and pauses) for the given nodes, each
// starting and ending within [0, horizon]:
//
//   - times and durations are multiples of one step, horizon/Steps; a
//     fault lasts at least one step and ends by the horizon, so a test can
//     run past the horizon and check that the system recovers;
//   - a Crash or Pause picks one node, a Block or Loss one ordered pair of
//     distinct nodes, a Partition splits the nodes into two non-empty
//     sides;
//   - a Loss fault's probability is a multiple of 10%, from 10% to 100%.
//
// Faults may overlap; Apply says how overlapping faults combine. The
// faults are sorted by start time.
//
// When a property fails, rapid shrinks what it drew, and so the schedule:
// it first drops faults, then moves each towards the first kind (Crash),
// the first node, time 0, the shortest duration and the lowest loss,
// keeping only what the failure needs. The failure message shows the
// shrunk schedule twice: rapid's log of the draws, and a line
// "[simtest] schedule: ..." in words.
//
// DrawSchedule fails the test case (t.Fatalf) if nodes is empty or names a
// node twice or horizon is not positive.
func DrawSchedule(t *rapid.T, nodes []string, horizon time.Duration) Schedule {
	return DrawScheduleOf(t, nodes, horizon, allKinds...)
}

// DrawScheduleOf is DrawSchedule restricted to the given kinds of faults:
// DrawScheduleOf(t, nodes, horizon, Partition, Block) draws only network
// faults, for a protocol that is not meant to survive crashes. With no
// kinds, or only kinds that need two nodes and a single node, the schedule
// is empty.
func DrawScheduleOf(t *rapid.T, nodes []string, horizon time.Duration, kinds ...FaultKind) Schedule {
	t.Helper()
	if err := checkNodes(nodes); err != nil {
		t.Fatalf("simtest: draw schedule: %v", err)
	}
	if horizon <= 0 {
		t.Fatalf("simtest: draw schedule: horizon %v is not positive", horizon)
	}
	var usable []FaultKind
	for _, k := range allKinds { // in the shrinking order, without repeats
		if slices.Contains(kinds, k) && (len(nodes) >= 2 || k == Crash || k == Pause) {
			usable = append(usable, k)
		}
	}
	for _, k := range kinds {
		if !slices.Contains(allKinds, k) {
			t.Fatalf("simtest: draw schedule: unknown fault kind %d", k)
		}
	}
	if len(usable) == 0 {
		return Schedule{}
	}
	step := max(horizon/Steps, 1)
	steps := int(min(horizon/step, Steps))
	fault := rapid.Custom(func(t *rapid.T) Fault {
		return drawFault(t, nodes, usable, step, steps)
	})
	faults := rapid.SliceOfN(fault, 0, MaxFaults).Draw(t, "faults")
	slices.SortStableFunc(faults, func(a, b Fault) int { return cmp.Compare(a.At, b.At) })
	s := Schedule{Faults: faults}
	t.Logf("[simtest] schedule: %s", s)
	return s
}

// drawFault draws one fault.
func drawFault(t *rapid.T, nodes []string, kinds []FaultKind, step time.Duration, steps int) Fault {
	f := Fault{Kind: rapid.SampledFrom(kinds).Draw(t, "kind")}
	at := rapid.IntRange(0, steps-1).Draw(t, "at")
	f.At = time.Duration(at) * step
	f.For = time.Duration(rapid.IntRange(1, steps-at).Draw(t, "for")) * step
	n := len(nodes)
	switch f.Kind {
	case Crash, Pause:
		f.Nodes = []string{rapid.SampledFrom(nodes).Draw(t, "node")}
	case Block, Loss:
		from := rapid.IntRange(0, n-1).Draw(t, "from")
		to := rapid.IntRange(0, n-2).Draw(t, "to")
		if to >= from {
			to++
		}
		f.Nodes = []string{nodes[from], nodes[to]}
		if f.Kind == Loss {
			f.Loss = float64(rapid.IntRange(1, 10).Draw(t, "loss tenths")) / 10
		}
	case Partition:
		perm := rapid.Permutation(nodes).Draw(t, "order")
		k := rapid.IntRange(1, n-1).Draw(t, "side")
		// Both sides in the order of nodes, for readable messages.
		side := make(map[string]bool, k)
		for _, id := range perm[:k] {
			side[id] = true
		}
		for _, id := range nodes {
			if side[id] {
				f.Nodes = append(f.Nodes, id)
			} else {
				f.Others = append(f.Others, id)
			}
		}
	}
	return f
}

func checkNodes(nodes []string) error {
	if len(nodes) == 0 {
		return fmt.Errorf("no nodes: %w", sim.ErrInvalidConfig)
	}
	seen := make(map[string]bool, len(nodes))
	for _, id := range nodes {
		if seen[id] {
			return fmt.Errorf("node %q named twice: %w", id, sim.ErrInvalidConfig)
		}
		seen[id] = true
	}
	return nil
}

// Validate reports the first fault of s that Apply could not carry out on
// a system of the given nodes, as an error wrapping sim.ErrInvalidConfig
// (a malformed fault) or sim.ErrUnknownNode.
func (s Schedule) Validate(nodes []string) error {
	known := make(map[string]bool, len(nodes))
	for _, id := range nodes {
		known[id] = true
	}
	for i, f := range s.Faults {
		if err := f.validate(known); err != nil {
			return fmt.Errorf("simtest: fault %d (%v): %w", i, f, err)
		}
	}
	return nil
}

func (f Fault) validate(known map[string]bool) error {
	if f.At < 0 {
		return fmt.Errorf("starts at negative time %v: %w", f.At, sim.ErrInvalidConfig)
	}
	if f.For <= 0 {
		return fmt.Errorf("duration %v is not positive: %w", f.For, sim.ErrInvalidConfig)
	}
	want := map[FaultKind]int{Crash: 1, Pause: 1, Block: 2, Loss: 2}
	switch f.Kind {
	case Crash, Pause, Block, Loss:
		if len(f.Nodes) != want[f.Kind] {
			return fmt.Errorf("a %v fault names %d nodes, not %d: %w", f.Kind, len(f.Nodes), want[f.Kind], sim.ErrInvalidConfig)
		}
		if len(f.Others) != 0 {
			return fmt.Errorf("only a partition has Others: %w", sim.ErrInvalidConfig)
		}
		if want[f.Kind] == 2 && f.Nodes[0] == f.Nodes[1] {
			return fmt.Errorf("a link from %q to itself: %w", f.Nodes[0], sim.ErrInvalidConfig)
		}
	case Partition:
		if len(f.Nodes) == 0 {
			return fmt.Errorf("a partition with an empty side: %w", sim.ErrInvalidConfig)
		}
		seen := make(map[string]bool)
		for _, id := range slices.Concat(f.Nodes, f.Others) {
			if seen[id] {
				return fmt.Errorf("a partition names %q twice: %w", id, sim.ErrInvalidConfig)
			}
			seen[id] = true
		}
	default:
		return fmt.Errorf("unknown kind %d: %w", f.Kind, sim.ErrInvalidConfig)
	}
	if f.Kind == Loss && !(f.Loss >= 0 && f.Loss <= 1) {
		return fmt.Errorf("loss probability %v outside [0, 1]: %w", f.Loss, sim.ErrInvalidConfig)
	}
	if f.Kind != Loss && f.Loss != 0 {
		return fmt.Errorf("only a loss fault has a probability: %w", sim.ErrInvalidConfig)
	}
	for _, id := range slices.Concat(f.Nodes, f.Others) {
		if !known[id] {
			return fmt.Errorf("node %q: %w", id, sim.ErrUnknownNode)
		}
	}
	return nil
}
