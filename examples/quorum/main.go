// Command quorum analyses a read/write quorum system given as an
// expression, as quoracle does: its minimal quorums, its resilience, the
// strategy with the lowest load for a read fraction, and that strategy's
// load, capacity and per-node load.
//
// Run it from the repository root:
//
//	go run ./examples/quorum 'a*b*c + d*e*f'                 # reads; writes are the dual
//	go run ./examples/quorum 'choose(2, a, b, c)' 'choose(2, a, b, c)'   # reads and writes
//	go run ./examples/quorum -fraction 0.9 -capacity a=2,b=2 'majority(a, b, c, d, e)'
//	go run ./examples/quorum -fraction 1 -capacity 'a=2/1@4s,b=2/1@4s,c=1/0.5@1s,d=1/0.5@1s' -optimize latency -max-load 0.6667 'a*b + c*d'
//	go run ./examples/quorum -resilience 1 -capacity 'a=1@1ms,b=1@2ms,c=1@100ms' 'majority(a, b, c)'
//	go run ./examples/quorum '"10.0.0.1:7000" * "10.0.0.2:7000" + "10.0.0.3:7000"'   # quoted names
//	go run ./examples/quorum -chart load.svg 'a*b*c + d*e*f' # also draw load against read fraction
//
// The chart (SVG) plots the load of the strategy optimised for -fraction
// against the read fraction, next to the best load reachable at each read
// fraction. With -resilience f the strategy contacts sets that keep a
// quorum after any f of their nodes fail, and an operation's latency is
// the time until the fastest quorum among the contacted nodes answers. The diagrams of docs/quorum.md were drawn with
//
//	go run ./examples/quorum -fraction 0 -chart docs/diagrams/quorum-grid-load.svg 'a*b*c + d*e*f'
//	go run ./examples/quorum -scaling docs/diagrams/quorum-scaling.svg
//
// The second prints and charts the lowest load of majorities and of
// square grids as they grow.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/eventually-perfect/primitives/quorum"
)

func main() {
	fraction := flag.Float64("fraction", 0.25, "read fraction to optimise for, in [0, 1]")
	capacity := flag.String("capacity", "", "node capacities and latencies, comma separated: name=c, name=read/write, optionally @latency (name=2/1@5ms); default 1, 0s")
	optimize := flag.String("optimize", "load", "what the strategy minimises: load, network or latency")
	maxLoad := flag.Float64("max-load", 0, "upper limit on the load when optimising something else (0: none)")
	resilience := flag.Int("resilience", 0, "contact sets that still hold a quorum after this many of their nodes fail (at most 16 nodes)")
	chart := flag.String("chart", "", "write an SVG chart of load against read fraction to this file")
	scale := flag.String("scaling", "", "instead of analysing a system, chart the lowest load of majorities and grids against their size into this SVG file")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: quorum [flags] READS [WRITES]\n\nREADS and WRITES are expressions such as 'a*b*c + d*e*f',\n'choose(2, a, b, c)' or 'majority(a, b, c)'; WRITES defaults to the dual of READS.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *scale != "" && flag.NArg() == 0 {
		if err := writeScaling(os.Stdout, *scale); err != nil {
			fmt.Fprintln(os.Stderr, "quorum:", err)
			os.Exit(1)
		}
		return
	}
	if flag.NArg() < 1 || flag.NArg() > 2 {
		flag.Usage()
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	goal, err := goalOf(*optimize, *maxLoad)
	goal.Resilience = *resilience
	if err == nil {
		err = run(w, flag.Args(), *fraction, *capacity, *chart, goal)
	}
	if err = errors.Join(err, w.Flush()); err != nil {
		if !strings.HasPrefix(err.Error(), "quorum:") {
			err = fmt.Errorf("quorum: %w", err)
		}
		fmt.Fprintln(os.Stderr, err)
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

// goalOf turns the -optimize and -max-load flags into a Goal (without its
// workload).
func goalOf(optimize string, maxLoad float64) (quorum.Goal, error) {
	objectives := map[string]quorum.Objective{"load": quorum.MinLoad, "network": quorum.MinNetworkLoad, "latency": quorum.MinLatency}
	obj, ok := objectives[optimize]
	if !ok {
		return quorum.Goal{}, fmt.Errorf("-optimize %q: want load, network or latency", optimize)
	}
	return quorum.Goal{Objective: obj, MaxLoad: maxLoad}, nil
}

// parseCapacities reads "a=2,b=3/1@5ms" into Node descriptions.
func parseCapacities(s string) ([]quorum.Node, error) {
	var nodes []quorum.Node
	if s == "" {
		return nil, nil
	}
	for _, item := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return nil, fmt.Errorf("capacity %q: want name=c or name=read/write", item)
		}
		val, lat, timed := strings.Cut(val, "@")
		var latency time.Duration
		if timed {
			var err error
			if latency, err = time.ParseDuration(lat); err != nil {
				return nil, fmt.Errorf("latency %q: %w", item, err)
			}
		}
		rs, ws, two := strings.Cut(val, "/")
		if !two {
			ws = rs
		}
		r, err1 := strconv.ParseFloat(rs, 64)
		wc, err2 := strconv.ParseFloat(ws, 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("capacity %q: %w", item, err)
		}
		nodes = append(nodes, quorum.Node{Name: name, ReadCapacity: r, WriteCapacity: wc, Latency: latency})
	}
	return nodes, nil
}

// run analyses the system and prints the report to out, finding the
// strategy that meets goal at the read fraction; with chart != "" it also
// writes the SVG chart there.
func run(out io.Writer, exprs []string, fraction float64, capacities, chart string, goal quorum.Goal) error {
	var cfg quorum.Config
	for i, text := range exprs {
		e, err := quorum.Parse(text)
		if err != nil {
			var pe *quorum.ParseError
			if errors.As(err, &pe) {
				return fmt.Errorf("%w\n  %s\n  %s^", err, text, strings.Repeat(" ", pe.Offset))
			}
			return err
		}
		if i == 0 {
			cfg.Reads = e
		} else {
			cfg.Writes = e
		}
	}
	nodes, err := parseCapacities(capacities)
	if err != nil {
		return err
	}
	cfg.Nodes = nodes
	s, err := quorum.New(cfg)
	if err != nil {
		return err
	}
	w, err := quorum.ReadFraction(fraction)
	if err != nil {
		return err
	}
	p := &printer{w: out}
	p.printf("reads:  %s\nwrites: %s\nnodes:  %s\n\n", s.Expr(quorum.Read), s.Expr(quorum.Write), strings.Join(s.Names(), " "))
	for _, side := range []quorum.Side{quorum.Read, quorum.Write} {
		qs, err := s.MinimalQuorums(side)
		if err != nil {
			return err
		}
		p.printf("minimal %s quorums (%d):", side, len(qs))
		for i, q := range qs {
			if i == 12 {
				p.printf(" ...")
				break
			}
			p.printf(" %s", s.FormatSet(q))
		}
		p.printf("\n")
	}
	rr, err := s.Resilience(quorum.Read)
	if err != nil {
		return err
	}
	wr, err := s.Resilience(quorum.Write)
	if err != nil {
		return err
	}
	p.printf("resilience (failures always survived): reads %d, writes %d, both %d\n\n", rr, wr, min(rr, wr))

	goal.Workload = w
	st, err := s.Optimal(goal)
	if err != nil {
		return err
	}
	what := map[quorum.Objective]string{quorum.MinLoad: "lowest load", quorum.MinNetworkLoad: "lowest network load", quorum.MinLatency: "lowest latency"}[goal.Objective]
	if goal.MaxLoad > 0 {
		what += fmt.Sprintf(" with load at most %g", goal.MaxLoad)
	}
	if goal.Resilience == 1 {
		what += ", surviving 1 failure,"
	} else if goal.Resilience > 1 {
		what += fmt.Sprintf(", surviving %d failures,", goal.Resilience)
	}
	p.printf("strategy with the %s at read fraction %g:\n", what, fraction)
	for _, side := range []quorum.Side{quorum.Read, quorum.Write} {
		qs, ps := st.Quorums(side)
		for i, q := range qs {
			p.printf("  %-5s %-24s %.3f\n", side, s.FormatSet(q), ps[i])
		}
	}
	p.printf("load %.4f  capacity %.4f  network load %.3f  latency %v\n\n", st.Load(w), st.Capacity(w), st.NetworkLoad(w), st.Latency(w).Round(time.Microsecond))
	p.printf("  %-8s %8s %12s %11s\n", "node", "load", "utilisation", "throughput")
	for i, n := range s.Names() {
		p.printf("  %-8s %8.4f %12.4f %11.4f\n", n, st.NodeLoad(i, w), st.NodeUtilization(i, w), st.NodeThroughput(i, w))
	}
	if p.err != nil || chart == "" {
		return p.err
	}
	svg, err := loadChart(s, st, fraction)
	if err != nil {
		return err
	}
	if err := os.WriteFile(chart, svg, 0o644); err != nil {
		return err
	}
	p.printf("\nchart written to %s\n", chart)
	return p.err
}

// writeScaling prints the scaling table and writes its chart to file.
func writeScaling(out io.Writer, file string) error {
	majority, grid, err := scaling()
	if err != nil {
		return err
	}
	p := &printer{w: out}
	p.printf("lowest load at read fraction 1/2\n")
	for _, m := range majority {
		p.printf("  majority of %2d: %.4f\n", m.n, m.load)
	}
	for _, g := range grid {
		p.printf("  grid of %2d:     %.4f\n", g.n, g.load)
	}
	if p.err != nil {
		return p.err
	}
	return os.WriteFile(file, scalingChart(majority, grid), 0o644)
}
