// Package lessons runs the experiments of the agreement chapter
// (docs/agreement.md) on the protocols of package commit: simulator runs
// with a concrete fault schedule, and explorations that check a property
// in every schedule within some fault bounds or find the shortest one that
// breaks it. The command examples/agreement prints them, the tour shows a
// short version, and the package's tests keep the chapter's diagrams
// (docs/diagrams/2pc-*.svg and 3pc-*.svg) in step with the code.
//
// # Usage
//
//	x, err := lessons.Blocked2PC(lessons.Team(3))
//	if err != nil { ... }
//	fmt.Println(x.Result.Distinct, x.Result.Violation) // states, and the blocked schedule
//	err = x.Result.Violation.Trace.WriteTranscript(os.Stdout)
//
// Every function is deterministic: the same arguments give the same
// results, traces and diagrams.
package lessons

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/eventually-perfect/primitives/examples/agreement/commit"
	"github.com/eventually-perfect/primitives/sim"
)

// Team returns the configuration of the lessons: a coordinator "coord"
// and n participants "p1", "p2", ... that all vote yes, with the default
// timeout. An uncertain two-phase participant does not query
// (Queries 0): its timer fires once, it notes that it is blocked, and it
// falls silent, so that a blocked run comes to rest and the explorer can
// see it stuck. n must be between 1 and commit.MaxParticipants.
func Team(n int) commit.Config {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = fmt.Sprintf("p%d", i+1)
	}
	return commit.Config{Coordinator: "coord", Participants: ps}
}

// Bounds are the faults an exploration allows on one path, and the timing
// model.
type Bounds struct {
	Drops, Duplicates, Crashes, Restarts, Timeouts int
	// Synchronous selects the explorer's synchronous model: a timer fires
	// only when no message can be delivered, so a timeout means a loss or
	// a crash (sim.ExploreConfig.Synchronous).
	Synchronous bool
}

// String lists the bounds in words, such as "1 crash, 4 timeouts".
func (b Bounds) String() string {
	var parts []string
	add := func(n int, one, many string) {
		switch {
		case n == 1:
			parts = append(parts, "1 "+one)
		case n > 1:
			parts = append(parts, fmt.Sprintf("%d %s", n, many))
		}
	}
	add(b.Drops, "drop", "drops")
	add(b.Duplicates, "duplicate", "duplicates")
	add(b.Crashes, "crash", "crashes")
	add(b.Restarts, "restart", "restarts")
	add(b.Timeouts, "timeout", "timeouts")
	if len(parts) == 0 {
		parts = append(parts, "no faults, no timeouts")
	}
	if b.Synchronous {
		parts = append(parts, "timeouts only when no message can arrive")
	}
	return strings.Join(parts, ", ")
}

// Exploration is one run of the explorer: the claim it checks, the
// bounds, and what it found.
type Exploration struct {
	// Claim says in words what the exploration checks.
	Claim string
	// Config is the transaction explored.
	Config commit.Config
	// Bounds are the faults allowed on one path.
	Bounds Bounds
	// Result is the explorer's report, with the violation if one was
	// found.
	Result *sim.ExploreResult
}

// explore runs the explorer on one protocol.
func explore[N interface {
	sim.Explorable[commit.Msg, N]
	commit.Decider
}](claim string, cfg commit.Config, newNode func(string) N, b Bounds,
	invariant, quiescent func(*sim.World[commit.Msg, N]) error) (*Exploration, error) {
	res, err := sim.Explore(sim.ExploreConfig[commit.Msg, N]{
		Nodes:         cfg.Nodes(),
		New:           newNode,
		Invariant:     invariant,
		Quiescent:     quiescent,
		MaxDrops:      b.Drops,
		MaxDuplicates: b.Duplicates,
		MaxCrashes:    b.Crashes,
		MaxRestarts:   b.Restarts,
		MaxTimeouts:   b.Timeouts,
		Synchronous:   b.Synchronous,
	})
	if err != nil {
		return nil, err
	}
	return &Exploration{Claim: claim, Config: cfg, Bounds: b, Result: res}, nil
}

// Safe2PC explores two-phase commit within b and checks agreement and
// validity (commit.Safety) in every state. The expected result has no
// violation.
func Safe2PC(cfg commit.Config, b Bounds) (*Exploration, error) {
	newNode, err := commit.NewTwoPhase(cfg)
	if err != nil {
		return nil, err
	}
	return explore("no two nodes decide differently, and commit only if every participant voted yes",
		cfg, newNode, b, commit.Safety[*commit.TwoPhase](cfg), nil)
}

// Blocked2PC explores two-phase commit with one crash and enough
// timeouts for every timer to fire (one per participant and one for the
// coordinator), and checks that every running node has decided once
// nothing is left to happen. The expected result is a violation: the
// coordinator crashes after asking for votes and the participants that
// voted yes stay undecided.
func Blocked2PC(cfg commit.Config) (*Exploration, error) {
	newNode, err := commit.NewTwoPhase(cfg)
	if err != nil {
		return nil, err
	}
	b := Bounds{Crashes: 1, Timeouts: len(cfg.Participants) + 1}
	return explore("every running node decides", cfg, newNode, b,
		commit.Safety[*commit.TwoPhase](cfg), commit.Termination[*commit.TwoPhase](cfg))
}

// NonBlocking3PC explores three-phase commit with one crash (of any node)
// and enough timeouts for every timer to fire, and checks that every
// running node has decided once nothing is left to happen. The expected
// result has no violation: three-phase commit does not block.
func NonBlocking3PC(cfg commit.Config) (*Exploration, error) {
	newNode, err := commit.NewThreePhase(cfg)
	if err != nil {
		return nil, err
	}
	b := Bounds{Crashes: 1, Timeouts: len(cfg.Participants) + 1}
	return explore("every running node decides", cfg, newNode, b,
		nil, commit.Termination[*commit.ThreePhase](cfg))
}

// Split3PC explores three-phase commit with up to two lost messages (a
// partition's work) and enough timeouts for every timer to fire, in the
// synchronous model three-phase commit assumes (a timer fires only when no
// message can arrive), and checks that no two participants decide
// differently. The expected result is a violation: a participant that got
// PreCommit commits on its timeout, while one whose PreCommit was lost is
// still uncertain when its timer fires and aborts.
func Split3PC(cfg commit.Config) (*Exploration, error) {
	newNode, err := commit.NewThreePhase(cfg)
	if err != nil {
		return nil, err
	}
	b := Bounds{Drops: 2, Timeouts: len(cfg.Participants) + 1, Synchronous: true}
	agree := func(w *sim.World[commit.Msg, *commit.ThreePhase]) error {
		return commit.CheckAgreement(cfg.Participants, w.Storage)
	}
	return explore("no two participants decide differently", cfg, newNode, b, agree, nil)
}

// simulate runs one transaction in the simulator, with the default link
// (a constant 1 ms) and seed 1, after scheduling faults, until nothing is
// left to happen. A fault that fails records its error in *failed.
func simulate[N sim.Node[commit.Msg]](cfg commit.Config, newNode func(string) N, faults func(s *sim.Sim[commit.Msg], failed *error)) (*sim.Sim[commit.Msg], error) {
	s, err := sim.New(sim.Config{Seed: 1, Nodes: cfg.Nodes()}, func(id string) sim.Node[commit.Msg] { return newNode(id) })
	if err != nil {
		return nil, err
	}
	var failed error
	if faults != nil {
		faults(s, &failed)
	}
	if err := s.Run(); err != nil {
		return nil, err
	}
	if failed != nil {
		return nil, failed
	}
	return s, nil
}

// HappyPath2PC runs two-phase commit without faults in the simulator.
func HappyPath2PC(cfg commit.Config) (*sim.Sim[commit.Msg], error) {
	newNode, err := commit.NewTwoPhase(cfg)
	if err != nil {
		return nil, err
	}
	return simulate(cfg, newNode, nil)
}

// HappyPath3PC runs three-phase commit without faults in the simulator.
func HappyPath3PC(cfg commit.Config) (*sim.Sim[commit.Msg], error) {
	newNode, err := commit.NewThreePhase(cfg)
	if err != nil {
		return nil, err
	}
	return simulate(cfg, newNode, nil)
}

// The timed fault schedules, for the default 1 ms links. The coordinator
// sends Prepare at 0 ms, the votes leave at 1 ms and reach it at 2 ms,
// when the decision (2PC) or PreCommit (3PC) leaves.
const (
	// CrashAt is when CoordinatorCrash crashes the coordinator: the votes
	// are on their way to it.
	CrashAt = 1500 * time.Microsecond
	// PartitionAt is when Partition3PC cuts the network: PreCommit has
	// left the coordinator and is on its way.
	PartitionAt = 2500 * time.Microsecond
	// HealAt is when Partition3PC heals the network, after every timer
	// has fired.
	HealAt = 50 * time.Millisecond
)

// CoordinatorCrash2PC runs two-phase commit in the simulator and crashes
// the coordinator at CrashAt; it does not come back.
func CoordinatorCrash2PC(cfg commit.Config) (*sim.Sim[commit.Msg], error) {
	newNode, err := commit.NewTwoPhase(cfg)
	if err != nil {
		return nil, err
	}
	return simulate(cfg, newNode, crashCoordinator(cfg))
}

// CoordinatorCrash3PC runs three-phase commit in the simulator and
// crashes the coordinator at CrashAt; it does not come back.
func CoordinatorCrash3PC(cfg commit.Config) (*sim.Sim[commit.Msg], error) {
	newNode, err := commit.NewThreePhase(cfg)
	if err != nil {
		return nil, err
	}
	return simulate(cfg, newNode, crashCoordinator(cfg))
}

func crashCoordinator(cfg commit.Config) func(*sim.Sim[commit.Msg], *error) {
	return func(s *sim.Sim[commit.Msg], failed *error) {
		s.At(CrashAt, func(s *sim.Sim[commit.Msg]) { *failed = s.Crash(cfg.Coordinator) })
	}
}

// Partition3PC runs three-phase commit in the simulator and, at
// PartitionAt, separates the coordinator and the first participant from
// the other participants, until HealAt.
func Partition3PC(cfg commit.Config) (*sim.Sim[commit.Msg], error) {
	newNode, err := commit.NewThreePhase(cfg)
	if err != nil {
		return nil, err
	}
	near := []string{cfg.Coordinator, cfg.Participants[0]}
	far := cfg.Participants[1:]
	return simulate(cfg, newNode, func(s *sim.Sim[commit.Msg], failed *error) {
		s.At(PartitionAt, func(s *sim.Sim[commit.Msg]) { *failed = s.Partition(near, far) })
		s.At(HealAt, func(s *sim.Sim[commit.Msg]) { s.Heal() })
	})
}

// Decisions returns each node's decision in a finished run: "commit",
// "abort", "undecided", or "down" for a crashed node.
func Decisions(s *sim.Sim[commit.Msg], cfg commit.Config) map[string]string {
	out := make(map[string]string)
	for _, id := range cfg.Nodes() {
		n, up := s.Node(id)
		if !up {
			out[id] = "down"
			continue
		}
		if d, ok := n.(commit.Decider); ok {
			out[id] = d.Decision().String()
		}
	}
	return out
}

// Diagram is one of the chapter's space-time diagrams: a file name and
// the trace it draws.
type Diagram struct {
	// Name is the file name under docs/diagrams, such as
	// "2pc-blocked.svg".
	Name string
	// Caption says what the diagram shows.
	Caption string
	// Trace is the run drawn.
	Trace *sim.Trace
}

// SVG renders the diagram.
func (d Diagram) SVG() ([]byte, error) {
	var b bytes.Buffer
	if err := d.Trace.WriteSVG(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Diagrams computes the chapter's diagrams, with three participants:
//
//   - 2pc-blocked.svg: the explorer's shortest schedule in which two-phase
//     commit blocks (Blocked2PC);
//   - 3pc-partition.svg: the explorer's shortest schedule in which two
//     three-phase participants decide differently (Split3PC);
//   - 3pc-partition-timed.svg: the same story in the simulator, with a
//     real partition and real time (Partition3PC).
func Diagrams() ([]Diagram, error) {
	team := Team(3)
	blocked, err := Blocked2PC(team)
	if err != nil {
		return nil, err
	}
	split, err := Split3PC(team)
	if err != nil {
		return nil, err
	}
	diagrams, err := ExplorerDiagrams(blocked, split)
	if err != nil {
		return nil, err
	}
	timed, err := Partition3PC(team)
	if err != nil {
		return nil, err
	}
	return append(diagrams, Diagram{Name: "3pc-partition-timed.svg",
		Caption: "the same split in the simulator: a partition cuts the PreCommit off", Trace: timed.Trace()}), nil
}

// ExplorerDiagrams returns the diagrams of the counterexamples found by
// Blocked2PC (2pc-blocked.svg) and Split3PC (3pc-partition.svg), or an
// error if either found none.
func ExplorerDiagrams(blocked, split *Exploration) ([]Diagram, error) {
	for _, x := range []*Exploration{blocked, split} {
		if x.Result.Violation == nil {
			return nil, fmt.Errorf("lessons: the exploration of %q found no violation to draw", x.Claim)
		}
	}
	return []Diagram{
		{Name: "2pc-blocked.svg", Caption: "two-phase commit blocks: the coordinator crashes after asking for votes", Trace: blocked.Result.Violation.Trace},
		{Name: "3pc-partition.svg", Caption: "three-phase commit splits: one participant commits on its timeout, another aborts on its own", Trace: split.Result.Violation.Trace},
	}, nil
}
