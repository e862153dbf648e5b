// Command counter runs a replicated counter on three simulated Multi-Paxos
// replicas through a leader crash, tells what happened, and draws the run
// as a space-time diagram.
//
// Run it from the repository root:
//
//	go run ./examples/counter                      # seed 1, diagram in a new temporary folder
//	go run ./examples/counter -seed 7 -out /tmp/counter
//	go run ./examples/counter -steps docs/diagrams/paxos-steps.svg
//
// Three replicas n1, n2, n3 (paxos.Replica, each applying the decided
// commands to its own counter) and client c1, which submits increments in
// its session and retries at another replica when no reply comes, run in
// the simulator (package sim). The leader's links fail for a few
// milliseconds, losing its proposal of client c2's increment, then it
// proposes client c3's increment in the next slot and crashes. A new
// leader is elected, fills the lost slot with a no-op, and the crashed
// replica restarts and catches up. Every replica ends with the same log
// and the same counter, each increment applied exactly once. The scenario
// itself is in package scenario.
//
// The output is deterministic for a given -seed. The diagram (SVG) leaves
// out the replicas' ticks and heartbeats; it is written as counter.svg
// into the folder -out names (created if missing), by default a new
// temporary folder whose path the command prints; nothing else is
// written anywhere. With -steps FILE the command instead writes
// the space-time diagram of one failure-free single-decree Paxos run on
// three nodes (prepare, promise, accept, accepted) to FILE and exits: the
// diagram docs/paxos.md shows.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"github.com/eventually-perfect/primitives/examples/internal/outdir"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/eventually-perfect/primitives/examples/counter/scenario"
)

func main() {
	seed := flag.Uint64("seed", 1, "seed of the simulation (the same seed gives the same run)")
	out := flag.String("out", "", "folder to write counter.svg into (created if missing; default: a new temporary folder)")
	incs := flag.Int("increments", 8, "number of increments client c1 submits (at least 4)")
	steps := flag.String("steps", "", "write the single-decree step diagram to this file instead, and exit")
	flag.Parse()
	if flag.NArg() > 0 || *incs < 4 {
		flag.Usage()
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	var err error
	if *steps != "" {
		err = writeSteps(w, *steps)
	} else {
		_, err = run(w, scenario.Options{Seed: *seed, Increments: *incs}, *out)
	}
	if err = errors.Join(err, w.Flush()); err != nil {
		fmt.Fprintln(os.Stderr, "counter:", err)
		os.Exit(1)
	}
}

// printer prints and remembers the first write error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// ms formats a simulated time in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%7.1fms", float64(d)/float64(time.Millisecond)) }

// run runs the scenario, prints its story to w and writes the diagram,
// counter.svg, into dir (see outputDir).
func run(w io.Writer, opt scenario.Options, dir string) (*scenario.Result, error) {
	res, err := scenario.Run(opt)
	if err != nil {
		return nil, err
	}
	p := &printer{w: w}
	p.printf("A replicated counter on three simulated Multi-Paxos replicas (seed %d)\n\n", res.Seed)
	p.printf("Replicas %s each apply the decided log to their own counter. Client c1\n", strings.Join(res.Replicas, ", "))
	p.printf("submits %d increments one at a time (commands c1#1, c1#2, ...: its session),\n", len(res.Submitted)-2)
	p.printf("retrying the same command at the next replica after 80 ms without a reply.\n")
	p.printf("Clients c2 and c3 submit one increment each, at the moment of the failure.\n\n")

	p.printf("What happened (simulated time, node, event):\n")
	for _, l := range res.Story {
		p.printf("  %s  %-3s %s\n", ms(l.At), l.Node, l.Text)
	}
	p.printf("\n")

	p.printf("Leaders: ")
	for i, l := range res.Leaders {
		if i > 0 {
			p.printf(", then ")
		}
		p.printf("%s from %s", l.Node, strings.TrimSpace(ms(l.At)))
	}
	p.printf(".\n\n")
	var lost, lostSlots []string
	allFilled := true
	for _, l := range res.Lost {
		lost = append(lost, fmt.Sprintf("%s in slot %d", l.Entry, l.Slot))
		lostSlots = append(lostSlots, fmt.Sprint(l.Slot))
		allFilled = allFilled && slices.Contains(res.NoOps, l.Slot)
	}
	story := fmt.Sprintf(`At %s the links from the leader %s to the others failed for 4.5 ms. %s
	proposed %s around then: nobody else received %s. With the links back it
	proposed %s in slot %d, which the others accepted, and crashed at %s, before
	its next tick would have sent %s again.`,
		strings.TrimSpace(ms(res.CrashAt-9*time.Millisecond)), res.Crashed, res.Crashed,
		strings.Join(lost, " and "), plural(len(lost), "that proposal", "those proposals"),
		res.Kept.Entry, res.Kept.Slot, strings.TrimSpace(ms(res.CrashAt)), plural(len(lost), "it", "them"))
	if allFilled && len(res.Lost) > 0 {
		story += fmt.Sprintf(` The new leader's phase 1 found slot %d accepted and %s %s empty
		on the majority that answered, so nothing can have been chosen there: it
		filled %s with a no-op. The clients' retries were decided in later slots.`,
			res.Kept.Slot, plural(len(lost), "slot", "slots"), strings.Join(lostSlots, " and "), plural(len(lost), "it", "each"))
	}
	story += fmt.Sprintf(" %s restarted at %s with what it had saved, and caught up.",
		res.Crashed, strings.TrimSpace(ms(res.RestartAt)))
	p.printf("%s\n\n", wrap(story, 78))

	ref := res.Log[res.Replicas[0]]
	same := true
	for _, id := range res.Replicas[1:] {
		same = same && slices.Equal(res.Log[id], ref)
	}
	if same {
		p.printf("The decided log, identical on %s:\n", strings.Join(res.Replicas, ", "))
	} else {
		p.printf("The decided log of %s (the logs DIFFER between replicas):\n", res.Replicas[0])
	}
	for slot, e := range ref {
		p.printf("  slot %2d  %s\n", slot, e)
	}
	p.printf("\nFinal counters at %s:", strings.TrimSpace(ms(res.End)))
	for _, id := range res.Replicas {
		p.printf(" %s=%d", id, res.Values[id])
	}
	p.printf(" (%d distinct increments submitted).\n", len(res.Submitted))
	once := true
	for _, id := range res.Replicas {
		for _, c := range res.Submitted {
			once = once && res.Applied[id][c] == 1
		}
		once = once && len(res.Applied[id]) == len(res.Submitted)
	}
	if once {
		p.printf("Every increment was applied exactly once on every replica, retries included\n")
		p.printf("(c1 retried %s; c2 and c3 retried once each, at the new leader).\n", plural(res.Retries, "once", fmt.Sprintf("%d times", res.Retries)))
	} else {
		p.printf("Some increment was NOT applied exactly once: %v\n", res.Applied)
	}

	var svg bytes.Buffer
	if err := res.Diagram.WriteSVG(&svg); err != nil {
		return nil, err
	}
	dir, err = outdir.Prepare(dir, "counter")
	if err != nil {
		return nil, err
	}
	svgPath := filepath.Join(dir, "counter.svg")
	if err := os.WriteFile(svgPath, svg.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("writing the diagram: %w", err)
	}
	p.printf("\nSpace-time diagram (%d of the run's %d events: ticks and heartbeats left out)\nwritten to %s\n",
		len(res.Diagram.Events), len(res.Trace.Events), svgPath)
	return res, p.err
}

// wrap folds text into lines of at most width columns.
func wrap(text string, width int) string {
	var b strings.Builder
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > width {
			b.WriteString(line + "\n")
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	b.WriteString(line)
	return b.String()
}

// plural returns one if n is 1 and many otherwise.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// writeSteps writes the single-decree step diagram to path.
func writeSteps(w io.Writer, path string) error {
	t, err := scenario.Steps()
	if err != nil {
		return err
	}
	var svg bytes.Buffer
	if err := t.WriteSVG(&svg); err != nil {
		return err
	}
	if err := os.WriteFile(path, svg.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing the diagram: %w", err)
	}
	_, err = fmt.Fprintf(w, "Single-decree Paxos, a proposes v to acceptors and learners a, b, c: %d events\nwritten to %s\n", len(t.Events), path)
	return err
}
