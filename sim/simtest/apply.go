package simtest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/eventually-perfect/primitives/sim"
)

// Targets resolves the names a schedule uses for roles (Fault.Role,
// Fault.OtherRole) and classes of messages (Fault.Messages). The zero
// value resolves none: a schedule that uses no names needs no Targets.
type Targets[M any] struct {
	// Roles maps a role's name to a callback that names the nodes holding
	// it now: "leader" to the node most others follow, "quorum" to the
	// leader's phase-2 quorum. It is called when a fault aimed at the role
	// starts, with the simulator in the state of that moment, and may read
	// it (Node, Up, Storage) but must not change it. Names that are not
	// nodes are ignored, and so are repeats.
	Roles map[string]func(s *sim.Sim[M]) []string
	// Messages maps a class's name to a predicate on a message sent from
	// from to to (sim.Sim.HoldIf's match): "catch-up replies" to the
	// messages of that type. It is called for each message sent while a
	// Hold of that class is under way, and must not panic.
	Messages map[string]func(from, to string, msg M) bool
}

// Apply schedules every fault of sched on s with s.At, to happen when the
// simulation reaches its start and end times (true time since the start
// of the run; times already past happen at once). Call it before running
// the simulation. It returns an error, and schedules nothing, if the
// schedule is not valid for s's nodes (see Schedule.Validate) or names a
// role or a class of messages: those need ApplyWith.
//
// Each fault uses the simulator's own operations:
//
//   - Crash calls s.Crash, then s.Restart at the end. A crash of a node
//     that is already down does nothing, and neither does its restart: the
//     node comes back when the crash that took it down ends.
//   - Pause calls s.Pause for the fault's duration; overlapping pauses of
//     a node extend one another.
//   - Partition and Block call s.Partition and s.Block. Since s.Heal ends
//     every partition and block at once and a partition replaces the one
//     before, the end of one of these faults heals the network and then
//     restores those still under way: every block, and the partition that
//     started last. Apply assumes the schedule is the only source of
//     partitions and blocks in the run.
//   - Loss calls s.SetLink with the link's configuration from s.Config
//     (Config.Links, or Config.Link) and the fault's loss, and restores
//     that configuration at the end; overlapping losses on one link apply
//     the highest.
//   - Hold calls s.Hold for the fault's duration (s.HoldIf for a class of
//     messages or several links): what is sent meanwhile is delivered
//     after the end, not lost. Holds do not interfere with one another or
//     with the other faults.
//
// Every one of these is recorded in the trace as the simulator records
// it: crash, restart, pause and resume events, and fault events for the
// network.
func Apply[M any](s *sim.Sim[M], sched Schedule) error {
	return ApplyWith(s, sched, Targets[M]{})
}

// ApplyWith is Apply for schedules that aim faults at roles or hold
// classes of messages: tg resolves their names. A fault aimed at a role
// resolves it when it starts, by calling tg.Roles[Role] (and
// tg.Roles[OtherRole]) on the simulator, and strikes the nodes named
// then, as Fault.Role describes, until it ends: a crash restarts the nodes
// it crashed, a partition or block heals the links it cut, even if the
// role has moved on meanwhile. The same schedule on the same run resolves
// the same way, so it replays. It returns an error, and schedules nothing,
// if the schedule is not valid for s's nodes or names a role or class tg
// does not resolve.
func ApplyWith[M any](s *sim.Sim[M], sched Schedule, tg Targets[M]) error {
	cfg := s.Config()
	if err := sched.Validate(cfg.Nodes); err != nil {
		return err
	}
	for i, f := range sched.Faults {
		for _, r := range []string{f.Role, f.OtherRole} {
			if r != "" && tg.Roles[r] == nil {
				return fmt.Errorf("simtest: fault %d (%v): no callback for role %q: %w", i, f, r, sim.ErrInvalidConfig)
			}
		}
		if f.Messages != "" && tg.Messages[f.Messages] == nil {
			return fmt.Errorf("simtest: fault %d (%v): no predicate for messages %q: %w", i, f, f.Messages, sim.ErrInvalidConfig)
		}
	}
	a := &applier[M]{
		faults: slices.Clone(sched.Faults),
		tg:     tg,
		cfg:    cfg,
		down:   make(map[string]int),
		links:  make(map[int][][2]string),
		losses: make(map[[2]string][]int),
	}
	for i, f := range a.faults {
		s.At(f.At, func(s *sim.Sim[M]) { a.start(s, i) })
		if f.Kind != Pause && f.Kind != Hold {
			s.At(f.End(), func(s *sim.Sim[M]) { a.end(s, i) })
		}
	}
	return nil
}

// applier carries out a schedule, keeping track of the faults under way so
// that overlapping ones combine as Apply documents.
type applier[M any] struct {
	faults     []Fault // as resolved when they started: a role's nodes filled in
	tg         Targets[M]
	cfg        sim.Config
	down       map[string]int // crashed node -> the fault that crashed it
	partitions []int          // partitions under way, in start order
	blocks     []int          // blocks under way, in start order
	links      map[int][][2]string
	losses     map[[2]string][]int
}

// The errors of the simulator's operations below cannot happen: Apply has
// checked every node and value. A node panic in Restart stops the run, and
// the run reports it.

// resolve fills in the nodes of fault i if it is aimed at a role: Nodes
// are the role's nodes now, Others the other side (for a partition, and
// as the ends of a link fault's links).
func (a *applier[M]) resolve(s *sim.Sim[M], i int) {
	f := &a.faults[i]
	if f.Role == "" {
		return
	}
	f.Nodes = a.members(s, f.Role, nil)
	if f.OtherRole != "" {
		f.Others = a.members(s, f.OtherRole, f.Nodes)
	} else {
		for _, id := range a.cfg.Nodes {
			if !slices.Contains(f.Nodes, id) {
				f.Others = append(f.Others, id)
			}
		}
	}
}

// members returns the nodes role names now, in configuration order,
// without those of except.
func (a *applier[M]) members(s *sim.Sim[M], role string, except []string) []string {
	named := a.tg.Roles[role](s)
	var out []string
	for _, id := range a.cfg.Nodes {
		if slices.Contains(named, id) && !slices.Contains(except, id) {
			out = append(out, id)
		}
	}
	return out
}

// linksOf returns the links of a Block, Loss or Hold fault that has
// started: its two nodes, or every link from Nodes to Others for a fault
// aimed at a role. A Hold with neither (every link) has none.
func (a *applier[M]) linksOf(i int) [][2]string {
	f := a.faults[i]
	if f.Role == "" {
		if len(f.Nodes) == 2 {
			return [][2]string{{f.Nodes[0], f.Nodes[1]}}
		}
		return nil
	}
	var out [][2]string
	for _, from := range f.Nodes {
		for _, to := range f.Others {
			out = append(out, [2]string{from, to})
		}
	}
	return out
}

func (a *applier[M]) start(s *sim.Sim[M], i int) {
	a.resolve(s, i)
	f := a.faults[i]
	switch f.Kind {
	case Crash:
		for _, id := range f.Nodes {
			if s.Up(id) {
				_ = s.Crash(id)
				a.down[id] = i
			}
		}
	case Pause:
		for _, id := range f.Nodes {
			_ = s.Pause(id, f.For)
		}
	case Partition:
		if len(f.Nodes) > 0 && len(f.Others) > 0 {
			a.partitions = append(a.partitions, i)
			_ = s.Partition(f.Nodes, f.Others)
		}
	case Block:
		a.links[i] = a.linksOf(i)
		if len(a.links[i]) == 0 {
			return // nobody holds the role, or nobody is on the other side
		}
		a.blocks = append(a.blocks, i)
		for _, l := range a.links[i] {
			_ = s.Block(l[0], l[1])
		}
	case Loss:
		a.links[i] = a.linksOf(i)
		for _, k := range a.links[i] {
			a.losses[k] = append(a.losses[k], i)
			a.setLoss(s, k)
		}
	case Hold:
		a.hold(s, i)
	}
}

// hold starts Hold fault i.
func (a *applier[M]) hold(s *sim.Sim[M], i int) {
	f := a.faults[i]
	links := a.linksOf(i)
	if f.Role == "" && f.Messages == "" && len(links) == 1 {
		_ = s.Hold(links[0][0], links[0][1], f.For)
		return
	}
	if f.Role != "" && len(links) == 0 {
		return // nobody holds the role, or nobody is on the other side
	}
	class := a.tg.Messages[f.Messages]
	what := f.Messages
	if what == "" {
		what = "every message"
	}
	on := make(map[[2]string]bool, len(links))
	var names []string
	for _, l := range links {
		on[l] = true
		names = append(names, l[0]+"->"+l[1])
	}
	if len(links) > 0 {
		what += " on " + strings.Join(names, " ")
	} else {
		what += " everywhere"
	}
	_ = s.HoldIf(what, f.For, func(from, to string, msg M) bool {
		return (len(on) == 0 || on[[2]string{from, to}]) && (class == nil || class(from, to, msg))
	})
}

func (a *applier[M]) end(s *sim.Sim[M], i int) {
	f := a.faults[i]
	switch f.Kind {
	case Crash:
		for _, id := range f.Nodes {
			if by, ok := a.down[id]; ok && by == i {
				delete(a.down, id)
				_ = s.Restart(id)
			}
		}
	case Partition, Block:
		under := len(a.partitions) + len(a.blocks)
		a.partitions = slices.DeleteFunc(a.partitions, func(j int) bool { return j == i })
		a.blocks = slices.DeleteFunc(a.blocks, func(j int) bool { return j == i })
		if len(a.partitions)+len(a.blocks) == under {
			return // it cut nothing: nobody held its role when it started
		}
		s.Heal()
		if n := len(a.partitions); n > 0 {
			p := a.faults[a.partitions[n-1]]
			_ = s.Partition(p.Nodes, p.Others)
		}
		for _, j := range a.blocks {
			for _, l := range a.links[j] {
				_ = s.Block(l[0], l[1])
			}
		}
	case Loss:
		for _, k := range a.links[i] {
			a.losses[k] = slices.DeleteFunc(a.losses[k], func(j int) bool { return j == i })
			a.setLoss(s, k)
		}
	}
}

// setLoss sets link k to its configured settings with the highest loss of
// the Loss faults under way on it (or the configured loss if none is).
func (a *applier[M]) setLoss(s *sim.Sim[M], k [2]string) {
	l, ok := a.cfg.Links[k]
	if !ok {
		l = a.cfg.Link
	}
	if under := a.losses[k]; len(under) > 0 {
		l.Loss = 0
		for _, j := range under {
			l.Loss = max(l.Loss, a.faults[j].Loss)
		}
	}
	_ = s.SetLink(k[0], k[1], l)
}
