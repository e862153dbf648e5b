// Command agreement runs the lessons of the agreement chapter
// (docs/agreement.md): two-phase and three-phase commit in the simulator
// and in the explorer, with the counterexamples that show what each
// protocol cannot do.
//
// Run it from the repository root:
//
//	go run ./examples/agreement                        # every lesson, three participants
//	go run ./examples/agreement -out /tmp/agreement    # choose where the diagrams go
//	go run ./examples/agreement -participants 2        # smaller explorations
//
// The output is deterministic. The space-time diagrams (SVG) of the
// counterexamples are written into the folder -out names (created if
// missing), by default a new temporary folder whose path the command
// prints; it writes nothing else. The chapter shows the same diagrams
// from docs/diagrams.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"github.com/eventually-perfect/primitives/examples/internal/outdir"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/eventually-perfect/primitives/examples/agreement/commit"
	"github.com/eventually-perfect/primitives/examples/agreement/lessons"
	"github.com/eventually-perfect/primitives/sim"
)

func main() {
	out := flag.String("out", "", "folder to write the diagrams into (created if missing; default: a new temporary folder)")
	n := flag.Int("participants", 3, "number of participants in the explorations (1 to 3; the state space grows fast)")
	flag.Parse()
	if flag.NArg() > 0 || *n < 1 || *n > 3 {
		flag.Usage()
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	err := run(w, *out, *n)
	if err = errors.Join(err, w.Flush()); err != nil {
		fmt.Fprintln(os.Stderr, "agreement:", err)
		os.Exit(1)
	}
}

// printer prints the lessons and remembers the first write error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) heading(s string) {
	p.printf("\n%s\n%s\n\n", s, strings.Repeat("-", len(s)))
}

// transcript prints a trace indented.
func (p *printer) transcript(tr *sim.Trace) {
	var b strings.Builder
	if err := tr.WriteTranscript(&b); err != nil && p.err == nil {
		p.err = err
	}
	for line := range strings.SplitSeq(strings.TrimRight(b.String(), "\n"), "\n") {
		p.printf("    %s\n", line)
	}
}

// exploration prints what an exploration checked and found.
func (p *printer) exploration(x *lessons.Exploration) {
	r := x.Result
	p.printf("  explorer: coordinator and %d participants, %s\n", len(x.Config.Participants), x.Bounds)
	p.printf("  checked:  %s\n", x.Claim)
	p.printf("  states:   %d explored, %d distinct, depth %d, complete %v\n", r.Explored, r.Distinct, r.Depth, r.Complete)
	if v := r.Violation; v != nil {
		p.printf("  found:    a counterexample of %d steps: %v\n", v.Depth, v.Err)
	} else {
		p.printf("  found:    no violation\n")
	}
}

// decisions prints every node's decision in a simulator run.
func (p *printer) decisions(s *sim.Sim[commit.Msg], cfg commit.Config) {
	d := lessons.Decisions(s, cfg)
	var parts []string
	for _, id := range cfg.Nodes() {
		parts = append(parts, id+"="+d[id])
	}
	var last time.Duration
	if ev := s.Trace().Events; len(ev) > 0 {
		last = ev[len(ev)-1].Time
	}
	p.printf("  decisions when the run falls silent (%v): %s\n", last, strings.Join(parts, " "))
}

// run prints every lesson to w, with explorations over n participants,
// and writes the diagrams into dir (see outputDir).
func run(w io.Writer, dir string, n int) error {
	p := &printer{w: w}
	team := lessons.Team(n)
	steps := []func(*printer, commit.Config) error{happyPaths, safety2PC, blocking2PC, crash3PC, partition3PC}
	p.printf("Agreement: two-phase and three-phase commit\n")
	p.printf("===========================================\n")
	for _, step := range steps {
		if err := step(p, team); err != nil {
			return err
		}
	}
	if p.err != nil {
		return p.err
	}
	return writeDiagrams(p, dir)
}

func happyPaths(p *printer, _ commit.Config) error {
	team := lessons.Team(3)
	p.heading("1. Both protocols without failures (simulator, 1 ms links)")
	s, err := lessons.HappyPath2PC(team)
	if err != nil {
		return err
	}
	p.printf("  two-phase commit: %d messages (3 per participant)\n", s.Stats().Deliveries)
	p.decisions(s, team)
	p.transcript(s.Trace())
	s, err = lessons.HappyPath3PC(team)
	if err != nil {
		return err
	}
	p.printf("\n  three-phase commit: %d messages (5 per participant), one more round trip\n", s.Stats().Deliveries)
	p.decisions(s, team)
	return nil
}

func safety2PC(p *printer, team commit.Config) error {
	p.heading("2. Two-phase commit is safe")
	b := lessons.Bounds{Drops: 1, Crashes: 1, Restarts: 1, Timeouts: len(team.Participants) + 1}
	x, err := lessons.Safe2PC(team, b)
	if err != nil {
		return err
	}
	p.exploration(x)
	p.printf("\n  In every schedule within the bounds, whatever is lost, whoever crashes and\n")
	p.printf("  restarts, no two nodes decide differently and nobody commits without a yes\n")
	p.printf("  from every participant.\n")
	return nil
}

func blocking2PC(p *printer, team commit.Config) error {
	p.heading("3. Two-phase commit blocks when the coordinator crashes")
	x, err := lessons.Blocked2PC(team)
	if err != nil {
		return err
	}
	p.exploration(x)
	if v := x.Result.Violation; v != nil {
		p.printf("\n  The shortest schedule: every participant votes yes, the votes are on their\n")
		p.printf("  way when the coordinator crashes, and each participant times out and can\n")
		p.printf("  only wait. (The explorer lists the crash last; nothing happens at the\n")
		p.printf("  coordinator in between, so it may as well have come first.)\n\n")
		p.transcript(v.Trace)
	}
	s, err := lessons.CoordinatorCrash2PC(lessons.Team(3))
	if err != nil {
		return err
	}
	p.printf("\n  simulator: the coordinator crashes at %v and stays down\n", lessons.CrashAt)
	p.decisions(s, lessons.Team(3))
	return nil
}

func crash3PC(p *printer, team commit.Config) error {
	p.heading("4. Three-phase commit does not block on a crash")
	x, err := lessons.NonBlocking3PC(team)
	if err != nil {
		return err
	}
	p.exploration(x)
	s, err := lessons.CoordinatorCrash3PC(lessons.Team(3))
	if err != nil {
		return err
	}
	p.printf("\n  simulator: the coordinator crashes at %v and stays down; the participants\n", lessons.CrashAt)
	p.printf("  time out uncertain and abort\n")
	p.decisions(s, lessons.Team(3))
	return nil
}

func partition3PC(p *printer, team commit.Config) error {
	p.heading("5. Three-phase commit splits under a partition")
	x, err := lessons.Split3PC(team)
	if err != nil {
		return err
	}
	p.exploration(x)
	if v := x.Result.Violation; v != nil {
		p.printf("\n  The shortest schedule: one participant receives PreCommit, times out and\n")
		p.printf("  commits; the PreCommits to the others are lost, as in a partition, so they\n")
		p.printf("  are still uncertain when their timers fire, and they abort. Timers fire\n")
		p.printf("  only once no message can arrive, so each timeout is an honest one.\n\n")
		p.transcript(v.Trace)
	}
	s, err := lessons.Partition3PC(lessons.Team(3))
	if err != nil {
		return err
	}
	p.printf("\n  simulator: at %v a partition separates coord and p1 from p2 and p3\n", lessons.PartitionAt)
	p.decisions(s, lessons.Team(3))
	if err := commit.CheckSafety(lessons.Team(3), s.Storage); err != nil {
		p.printf("  %v\n", err)
	}
	return nil
}

func writeDiagrams(p *printer, dir string) error {
	diagrams, err := lessons.Diagrams()
	if err != nil {
		return err
	}
	dir, err = outdir.Prepare(dir, "agreement")
	if err != nil {
		return err
	}
	p.heading("Diagrams")
	for _, d := range diagrams {
		data, err := d.SVG()
		if err != nil {
			return err
		}
		path := filepath.Join(dir, d.Name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return fmt.Errorf("writing a diagram: %w", err)
		}
		p.printf("  %s: %s\n", path, d.Caption)
	}
	return p.err
}
