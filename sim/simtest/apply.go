package simtest

import (
	"slices"

	"github.com/eventually-perfect/primitives/sim"
)

// Apply schedules every fault of sched on s with s.At, to happen when the
// simulation reaches its start and end times (true time since the start
// of the run; times already past happen at once). Call it before running
// the simulation. It returns an error, and schedules nothing, if the
// schedule is not valid for s's nodes (see Schedule.Validate).
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
//
// Every one of these is recorded in the trace as the simulator records
// it: crash, restart, pause and resume events, and fault events for the
// network.
func Apply[M any](s *sim.Sim[M], sched Schedule) error {
	cfg := s.Config()
	if err := sched.Validate(cfg.Nodes); err != nil {
		return err
	}
	a := &applier[M]{
		faults: slices.Clone(sched.Faults),
		cfg:    cfg,
		down:   make(map[string]int),
		losses: make(map[[2]string][]int),
	}
	for i, f := range a.faults {
		s.At(f.At, func(s *sim.Sim[M]) { a.start(s, i) })
		if f.Kind != Pause {
			s.At(f.End(), func(s *sim.Sim[M]) { a.end(s, i) })
		}
	}
	return nil
}

// applier carries out a schedule, keeping track of the faults under way so
// that overlapping ones combine as Apply documents.
type applier[M any] struct {
	faults     []Fault
	cfg        sim.Config
	down       map[string]int // crashed node -> the fault that crashed it
	partitions []int          // partitions under way, in start order
	blocks     []int          // blocks under way, in start order
	losses     map[[2]string][]int
}

// The errors of the simulator's operations below cannot happen: Apply has
// checked every node and value. A node panic in Restart stops the run, and
// the run reports it.

func (a *applier[M]) start(s *sim.Sim[M], i int) {
	f := a.faults[i]
	switch f.Kind {
	case Crash:
		id := f.Nodes[0]
		if s.Up(id) {
			_ = s.Crash(id)
			a.down[id] = i
		}
	case Pause:
		_ = s.Pause(f.Nodes[0], f.For)
	case Partition:
		a.partitions = append(a.partitions, i)
		_ = s.Partition(f.Nodes, f.Others)
	case Block:
		a.blocks = append(a.blocks, i)
		_ = s.Block(f.Nodes[0], f.Nodes[1])
	case Loss:
		k := [2]string{f.Nodes[0], f.Nodes[1]}
		a.losses[k] = append(a.losses[k], i)
		a.setLoss(s, k)
	}
}

func (a *applier[M]) end(s *sim.Sim[M], i int) {
	f := a.faults[i]
	switch f.Kind {
	case Crash:
		id := f.Nodes[0]
		if by, ok := a.down[id]; ok && by == i {
			delete(a.down, id)
			_ = s.Restart(id)
		}
	case Partition, Block:
		a.partitions = slices.DeleteFunc(a.partitions, func(j int) bool { return j == i })
		a.blocks = slices.DeleteFunc(a.blocks, func(j int) bool { return j == i })
		s.Heal()
		if n := len(a.partitions); n > 0 {
			p := a.faults[a.partitions[n-1]]
			_ = s.Partition(p.Nodes, p.Others)
		}
		for _, j := range a.blocks {
			_ = s.Block(a.faults[j].Nodes[0], a.faults[j].Nodes[1])
		}
	case Loss:
		k := [2]string{f.Nodes[0], f.Nodes[1]}
		a.losses[k] = slices.DeleteFunc(a.losses[k], func(j int) bool { return j == i })
		a.setLoss(s, k)
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
