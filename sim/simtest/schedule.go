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
	// Hold holds back the messages sent on the link from Nodes[0] to
	// Nodes[1] (or, with no Nodes, on every link) from At for For: they are
	// not lost but delivered when the fault ends, after their latency
	// (sim.Sim.Hold). With Messages, only the messages of that class are
	// held: a delayed catch-up reply, a stale heartbeat.
	Hold
)

// allKinds lists every kind, in the order the drawing functions prefer
// when they shrink (rapid shrinks a choice towards the first).
var allKinds = []FaultKind{Crash, Partition, Block, Pause, Loss, Hold}

// classicKinds are the kinds DrawSchedule draws: those it drew before
// Hold was added, so that the schedules existing tests draw from a seed
// stay the same.
var classicKinds = allKinds[:5]

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
	case Hold:
		return "hold"
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// GoString returns the constant's Go name, simtest.Crash and so on.
func (k FaultKind) GoString() string {
	if k >= Crash && k <= Hold {
		s := k.String()
		return "simtest." + strings.ToUpper(s[:1]) + s[1:]
	}
	return "simtest.FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// Fault is one fault of a Schedule: it starts at true time At and lasts
// For. The zero value is not a valid fault (it has no kind).
//
// A fault names its nodes in one of two ways. With fixed nodes (Nodes and
// Others), it strikes the same nodes whatever the run does. Aimed at a
// role (Role, and OtherRole), it strikes whichever nodes hold the role
// when it starts, as a callback of the test's Targets says ("the current
// leader", "the leader's phase-2 quorum"): the fault that hurts a
// protocol most is aimed at the node that matters at that moment, and a
// schedule drawn with fixed nodes rarely hits it. Either way the fault
// prints, replays and shrinks: a role is a name, resolved when the fault
// starts, the same way in every replay of the run.
type Fault struct {
	Kind FaultKind
	// At is when the fault starts, in true time since the start of the
	// run.
	At time.Duration
	// For is how long the fault lasts: the crashed node restarts, the
	// partition or block heals, the pause ends, the link's loss returns to
	// its configured value, the held messages are released at At+For. It
	// must be positive.
	For time.Duration
	// Nodes are the nodes the fault affects: the node for Crash and Pause,
	// the link's two ends (from, to) for Block, Loss and Hold (none for a
	// Hold of every link), one side for Partition. A fault aimed at a
	// Role has no Nodes.
	Nodes []string
	// Others is the other side of a Partition; nodes in neither Nodes nor
	// Others form a third group, as with sim.Sim.Partition.
	Others []string
	// Loss is the loss probability of a Loss fault, in [0, 1].
	Loss float64
	// Role, if not empty, aims the fault at a role instead of fixed nodes:
	// when the fault starts, the Targets' callback for Role names the nodes
	// R it strikes. Crash crashes every node of R that is up (and restarts
	// them at the end), Pause pauses each, Partition cuts R off from the
	// other side, and Block, Loss and Hold act on every link from a node
	// of R to a node of the other side. If R is empty when the fault
	// starts, the fault does nothing.
	Role string
	// OtherRole, for a Partition, Block, Loss or Hold aimed at Role, names
	// the other side: the nodes its callback names when the fault starts,
	// less those of R. Empty means every node not in R.
	OtherRole string
	// Messages, for a Hold, names the class of messages held (a key of the
	// Targets' Messages, such as "catch-up replies"); empty means every
	// message on the fault's links.
	Messages string
}

// End returns the time the fault ends, At+For.
func (f Fault) End() time.Duration { return f.At + f.For }

// String describes the fault in words: "crash b at 120ms, restart at
// 150ms", "partition a | b c at 200ms, heal at 300ms", "block a->c at
// 250ms, heal at 400ms", "pause c at 300ms for 50ms", "loss 50% on a->b
// at 310ms, restore at 500ms", "hold catch-up on a->c at 100ms, release
// at 900ms". A role is written in braces: "crash {leader} at 10ms,
// restart at 40ms", "partition {quorum} | rest at ...", "block
// {leader}->* at ...".
func (f Fault) String() string {
	at, end := f.At.String(), f.End().String()
	one, from, to := nodeAt(f.Nodes, 0), nodeAt(f.Nodes, 0), nodeAt(f.Nodes, 1)
	side, other := strings.Join(f.Nodes, " "), strings.Join(f.Others, " ")
	if f.Role != "" {
		one, from, side = "{"+f.Role+"}", "{"+f.Role+"}", "{"+f.Role+"}"
		to, other = "*", "rest"
		if f.OtherRole != "" {
			to, other = "{"+f.OtherRole+"}", "{"+f.OtherRole+"}"
		}
	}
	switch f.Kind {
	case Crash:
		return fmt.Sprintf("crash %s at %s, restart at %s", one, at, end)
	case Partition:
		return fmt.Sprintf("partition %s | %s at %s, heal at %s", side, other, at, end)
	case Block:
		return fmt.Sprintf("block %s->%s at %s, heal at %s", from, to, at, end)
	case Pause:
		return fmt.Sprintf("pause %s at %s for %s", one, at, f.For)
	case Loss:
		return fmt.Sprintf("loss %s%% on %s->%s at %s, restore at %s",
			strconv.FormatFloat(100*f.Loss, 'g', 4, 64), from, to, at, end)
	case Hold:
		what := "hold"
		if f.Messages != "" {
			what += " " + f.Messages
		}
		where := " on " + from + "->" + to
		if f.Role == "" && len(f.Nodes) == 0 {
			where = " everywhere"
		}
		return fmt.Sprintf("%s%s at %s, release at %s", what, where, at, end)
	}
	return fmt.Sprintf("%v %v at %s for %s", f.Kind, f.Nodes, at, f.For)
}

// GoString returns the fault as a Go composite literal, so that a schedule
// that failed a property can be pasted into a regression test.
func (f Fault) GoString() string {
	var b strings.Builder
	fmt.Fprintf(&b, "simtest.Fault{Kind: %#v, At: %s, For: %s", f.Kind, goDuration(f.At), goDuration(f.For))
	if f.Nodes != nil {
		fmt.Fprintf(&b, ", Nodes: %#v", f.Nodes)
	}
	if f.Others != nil {
		fmt.Fprintf(&b, ", Others: %#v", f.Others)
	}
	if f.Loss != 0 {
		fmt.Fprintf(&b, ", Loss: %s", strconv.FormatFloat(f.Loss, 'g', -1, 64))
	}
	for _, field := range []struct{ name, v string }{{"Role", f.Role}, {"OtherRole", f.OtherRole}, {"Messages", f.Messages}} {
		if field.v != "" {
			fmt.Fprintf(&b, ", %s: %q", field.name, field.v)
		}
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

// DrawSchedule draws a schedule of up to MaxFaults faults of every
// classic kind (Crash, Partition, Block, Pause and Loss; with one node,
// only crashes and pauses) for the given nodes, each starting and ending
// within [0, horizon]:
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
// faults are sorted by start time. Hold faults, added after the others,
// are drawn only when asked for (DrawScheduleOf, Draw, DrawSwarm), so
// that the schedules DrawSchedule draws from given draws stay the same.
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
	t.Helper()
	return DrawScheduleOf(t, nodes, horizon, classicKinds...)
}

// DrawScheduleOf is DrawSchedule restricted to the given kinds of faults:
// DrawScheduleOf(t, nodes, horizon, Partition, Block) draws only network
// faults, for a protocol that is not meant to survive crashes. A Hold
// holds every message on one link, drawn as a Block's. With no kinds, or
// only kinds that need two nodes and a single node, the schedule is
// empty.
func DrawScheduleOf(t *rapid.T, nodes []string, horizon time.Duration, kinds ...FaultKind) Schedule {
	t.Helper()
	return Draw(t, nodes, horizon, Options{Kinds: kinds})
}

// Options says what Draw and DrawSwarm may put in a schedule. The zero
// value allows every kind of fault, Hold included, on fixed nodes only,
// up to MaxFaults faults.
type Options struct {
	// Kinds are the kinds of faults to draw; nil means every kind. Kinds
	// that need two nodes are left out for a single node, unless they can
	// be aimed at a role.
	Kinds []FaultKind
	// Roles name the roles faults may be aimed at (Fault.Role), such as
	// "leader" or "quorum"; the Targets given to ApplyWith resolve them.
	// A drawn fault then strikes fixed nodes or one of the roles, and a
	// Partition, Block, Loss or Hold aimed at a role may take another
	// role as its other side (Fault.OtherRole).
	Roles []string
	// Messages name the classes of messages a Hold may hold back
	// (Fault.Messages), such as "catch-up replies"; the Targets given to
	// ApplyWith recognise them. A drawn Hold holds every message of its
	// links or one class; a Hold of one class may hold it on every link.
	Messages []string
	// MaxFaults bounds the faults of a schedule; 0 means MaxFaults. Raise
	// it for leader changes in quick succession.
	MaxFaults int
}

// Draw draws a schedule as DrawSchedule does, of the kinds, roles and
// message classes o allows. With o.Kinds the only field set it draws
// exactly what DrawScheduleOf(t, nodes, horizon, o.Kinds...) draws. Each
// fault draws its kind, start and duration, then its target: fixed nodes
// or, with o.Roles, a role (and for a Partition or a link fault, the
// other side: everything else, or another role); then, for a Hold with
// o.Messages, its class of messages. Shrinking moves each fault towards
// fixed nodes and every message, so a role or a class that survives
// shrinking is one the failure needs.
//
// Draw fails the test case (t.Fatalf) if nodes is empty or names a node
// twice, horizon is not positive, o names an unknown kind, a role or class
// twice or an empty one, or o.MaxFaults is negative.
func Draw(t *rapid.T, nodes []string, horizon time.Duration, o Options) Schedule {
	t.Helper()
	p, err := newPalette(nodes, horizon, o)
	if err != nil {
		t.Fatalf("simtest: draw schedule: %v", err)
	}
	return p.draw(t, nodes, horizon)
}

// palette is what one draw may use: kinds with their weights, targets,
// message classes. Draw uses every feature Options allows, DrawSwarm a
// subset.
type palette struct {
	kinds   []FaultKind
	weights []int    // relative rate of each kind; nil: uniform
	fixed   bool     // faults may strike fixed nodes
	roles   []string // roles faults may be aimed at
	classes []string // Hold classes; "" (every message) first
	// onlyClasses: a Hold may not hold every message, only a class of
	// classes[1:].
	onlyClasses bool
	maxFaults   int
}

// newPalette checks nodes, horizon and o, and returns the palette of
// everything o allows.
func newPalette(nodes []string, horizon time.Duration, o Options) (*palette, error) {
	if err := checkNodes(nodes); err != nil {
		return nil, err
	}
	if horizon <= 0 {
		return nil, fmt.Errorf("horizon %v is not positive", horizon)
	}
	if o.MaxFaults < 0 {
		return nil, fmt.Errorf("negative MaxFaults %d", o.MaxFaults)
	}
	kinds := o.Kinds
	if kinds == nil {
		kinds = allKinds
	}
	for _, k := range kinds {
		if !slices.Contains(allKinds, k) {
			return nil, fmt.Errorf("unknown fault kind %d", k)
		}
	}
	for _, names := range [][]string{o.Roles, o.Messages} {
		seen := make(map[string]bool)
		for _, n := range names {
			if n == "" || seen[n] {
				return nil, fmt.Errorf("role or message class %q empty or named twice", n)
			}
			seen[n] = true
		}
	}
	p := &palette{fixed: true, roles: o.Roles, classes: append([]string{""}, o.Messages...), maxFaults: o.MaxFaults}
	if p.maxFaults == 0 {
		p.maxFaults = MaxFaults
	}
	for _, k := range allKinds { // in the shrinking order, without repeats
		if slices.Contains(kinds, k) && (len(nodes) >= 2 || k == Crash || k == Pause || len(o.Roles) > 0) {
			p.kinds = append(p.kinds, k)
		}
	}
	return p, nil
}

// draw draws a schedule from the palette.
func (p *palette) draw(t *rapid.T, nodes []string, horizon time.Duration) Schedule {
	t.Helper()
	if len(p.kinds) == 0 {
		return Schedule{}
	}
	step := max(horizon/Steps, 1)
	steps := int(min(horizon/step, Steps))
	fault := rapid.Custom(func(t *rapid.T) Fault {
		return p.drawFault(t, nodes, step, steps)
	})
	faults := rapid.SliceOfN(fault, 0, p.maxFaults).Draw(t, "faults")
	slices.SortStableFunc(faults, func(a, b Fault) int { return cmp.Compare(a.At, b.At) })
	s := Schedule{Faults: faults}
	t.Logf("[simtest] schedule: %s", s)
	return s
}

// drawFault draws one fault. The draws of a fault on fixed nodes of a
// classic kind are those DrawSchedule always made, in the same order.
func (p *palette) drawFault(t *rapid.T, nodes []string, step time.Duration, steps int) Fault {
	var f Fault
	if p.weights == nil {
		f.Kind = rapid.SampledFrom(p.kinds).Draw(t, "kind")
	} else {
		f.Kind = p.kinds[weighted(t, p.weights)]
	}
	at := rapid.IntRange(0, steps-1).Draw(t, "at")
	f.At = time.Duration(at) * step
	f.For = time.Duration(rapid.IntRange(1, steps-at).Draw(t, "for")) * step
	n := len(nodes)
	pair := f.Kind == Block || f.Kind == Loss || f.Kind == Hold || f.Kind == Partition
	if targets := p.targets(f.Kind, n); len(targets) > 1 {
		f.Role = rapid.SampledFrom(targets).Draw(t, "target")
	} else if len(targets) == 1 {
		f.Role = targets[0]
	}
	if f.Role != "" && pair && len(p.roles) > 1 {
		others := []string{""}
		for _, r := range p.roles {
			if r != f.Role {
				others = append(others, r)
			}
		}
		f.OtherRole = rapid.SampledFrom(others).Draw(t, "other role")
	}
	if f.Kind == Hold {
		classes := p.classes
		if p.onlyClasses {
			classes = classes[1:]
		}
		if len(classes) > 1 {
			f.Messages = rapid.SampledFrom(classes).Draw(t, "messages")
		} else if len(classes) == 1 {
			f.Messages = classes[0]
		}
	}
	everywhere := f.Kind == Hold && f.Role == "" && f.Messages != "" &&
		(n < 2 || rapid.Bool().Draw(t, "every link"))
	switch {
	case f.Role != "" || everywhere:
	case f.Kind == Crash || f.Kind == Pause:
		f.Nodes = []string{rapid.SampledFrom(nodes).Draw(t, "node")}
	case f.Kind == Block || f.Kind == Loss || f.Kind == Hold:
		from := rapid.IntRange(0, n-1).Draw(t, "from")
		to := rapid.IntRange(0, n-2).Draw(t, "to")
		if to >= from {
			to++
		}
		f.Nodes = []string{nodes[from], nodes[to]}
	case f.Kind == Partition:
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
	if f.Kind == Loss {
		f.Loss = float64(rapid.IntRange(1, 10).Draw(t, "loss tenths")) / 10
	}
	return f
}

// targets returns the targets a fault of kind k may strike, fixed nodes
// ("") first: fixed nodes if the palette allows them and there are enough
// nodes for the kind, or a Hold of one class on every link could be
// drawn, then the roles.
func (p *palette) targets(k FaultKind, n int) []string {
	var out []string
	if p.fixed && (n >= 2 || k == Crash || k == Pause || (k == Hold && len(p.classes) > 1)) {
		out = append(out, "")
	}
	return append(out, p.roles...)
}

// weighted draws an index with probability proportional to its weight;
// it shrinks towards index 0.
func weighted(t *rapid.T, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := rapid.IntRange(0, total-1).Draw(t, "kind")
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
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
	bad := func(format string, args ...any) error {
		return fmt.Errorf(format+": %w", append(args, sim.ErrInvalidConfig)...)
	}
	if f.At < 0 {
		return bad("starts at negative time %v", f.At)
	}
	if f.For <= 0 {
		return bad("duration %v is not positive", f.For)
	}
	if !slices.Contains(allKinds, f.Kind) {
		return bad("unknown kind %d", f.Kind)
	}
	if len(f.Others) != 0 && f.Kind != Partition {
		return bad("only a partition has Others")
	}
	if f.OtherRole != "" && (f.Role == "" || f.Kind == Crash || f.Kind == Pause) {
		return bad("OtherRole without a Role, or on a %v", f.Kind)
	}
	if f.Messages != "" && f.Kind != Hold {
		return bad("only a hold has a class of Messages")
	}
	switch {
	case f.Role != "":
		if len(f.Nodes) != 0 || len(f.Others) != 0 {
			return bad("a fault aimed at role %q names nodes", f.Role)
		}
	case f.Kind == Crash || f.Kind == Pause:
		if len(f.Nodes) != 1 {
			return bad("a %v fault names %d nodes, not 1", f.Kind, len(f.Nodes))
		}
	case f.Kind == Block || f.Kind == Loss || (f.Kind == Hold && len(f.Nodes) != 0):
		if len(f.Nodes) != 2 {
			return bad("a %v fault names %d nodes, not 2", f.Kind, len(f.Nodes))
		}
		if f.Nodes[0] == f.Nodes[1] {
			return bad("a link from %q to itself", f.Nodes[0])
		}
	case f.Kind == Partition:
		if len(f.Nodes) == 0 {
			return bad("a partition with an empty side")
		}
		seen := make(map[string]bool)
		for _, id := range slices.Concat(f.Nodes, f.Others) {
			if seen[id] {
				return bad("a partition names %q twice", id)
			}
			seen[id] = true
		}
	}
	if f.Kind == Loss && !(f.Loss >= 0 && f.Loss <= 1) {
		return bad("loss probability %v outside [0, 1]", f.Loss)
	}
	if f.Kind != Loss && f.Loss != 0 {
		return bad("only a loss fault has a probability")
	}
	for _, id := range slices.Concat(f.Nodes, f.Others) {
		if !known[id] {
			return fmt.Errorf("node %q: %w", id, sim.ErrUnknownNode)
		}
	}
	return nil
}
