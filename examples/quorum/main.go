// Command quorum analyses a read/write quorum system given as an
// expression, as quoracle does: its minimal quorums, its resilience, the
// strategy that best meets a goal for a read fraction, that strategy's
// load, capacity and per-node load, and its f-resilient strategies. With
// -search it looks for the best system over a set of nodes instead.
//
// Run it from the repository root:
//
//	go run ./examples/quorum 'a*b*c + d*e*f'                 # reads; writes are the dual
//	go run ./examples/quorum 'choose(2, a, b, c)' 'choose(2, a, b, c)'   # reads and writes
//	go run ./examples/quorum -fraction 0.9 -capacity a=2,b=2 'majority(a, b, c, d, e)'
//	go run ./examples/quorum -fraction 1 -capacity 'a=2/1@4s,b=2/1@4s,c=1/0.5@1s,d=1/0.5@1s' -optimize latency -max-load 0.6667 'a*b + c*d'
//	go run ./examples/quorum -f 1 -capacity 'a=1@1ms,b=1@2ms,c=1@100ms' 'majority(a, b, c)'
//	go run ./examples/quorum '"10.0.0.1:7000" * "10.0.0.2:7000" + "10.0.0.3:7000"'   # quoted names
//	go run ./examples/quorum -chart load.svg 'a*b*c + d*e*f' # also draw load against read fraction
//	go run ./examples/quorum -search -fraction 0.75 -f 1 -min-resilience 1 -capacity 'a=1,b=1,c=1,d=1,e=1'
//
// With -f F the strategy contacts sets that keep a quorum after any F of
// their nodes fail, and an operation's latency is the time until the
// fastest quorum among the contacted nodes answers; the report lists the
// f-resilient strategies for every f the system allows (at most 16
// nodes). With -search the nodes are those of -capacity, and the command
// prints the best system over them (quorum.Search, bounded by -timeout and
// -max-systems).
//
// Files (the chart, the scaling chart) are written into the folder given
// by -out, or by default into a new temporary folder whose path the
// command prints; -chart and -scaling take a file name, not a path. The
// diagrams of docs/quorum.md were drawn with
//
//	go run ./examples/quorum -out docs/diagrams -fraction 0 -chart quorum-grid-load.svg 'a*b*c + d*e*f'
//	go run ./examples/quorum -out docs/diagrams -scaling quorum-scaling.svg
//
// The second prints and charts the lowest load of majorities and of
// square grids as they grow.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/eventually-perfect/primitives/examples/internal/outdir"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/eventually-perfect/primitives/quorum"
)

// options are the command's flags.
type options struct {
	fraction      float64
	capacities    string
	goal          quorum.Goal // without its workload
	out           string      // folder for files; "" means a new temporary one
	chart, scale  string      // file names inside out
	search        bool
	minResilience int
	timeout       time.Duration
	maxSystems    int
}

func main() {
	var o options
	flag.Float64Var(&o.fraction, "fraction", 0.25, "read fraction to optimise for, in [0, 1]")
	flag.StringVar(&o.capacities, "capacity", "", "node capacities and latencies, comma separated: name=c, name=read/write, optionally @latency (name=2/1@5ms); default 1, 0s")
	optimize := flag.String("optimize", "load", "what the strategy minimises: load, network or latency")
	maxLoad := flag.Float64("max-load", 0, "upper limit on the load when optimising something else (0: none)")
	f := flag.Int("f", 0, "contact sets that still hold a quorum after this many of their nodes fail (f-resilient strategies; at most 16 nodes)")
	flag.StringVar(&o.out, "out", "", "folder to write files into (default: a new temporary folder, printed)")
	flag.StringVar(&o.chart, "chart", "", "write an SVG chart of load against read fraction to this file name inside -out")
	flag.StringVar(&o.scale, "scaling", "", "instead of analysing a system, chart the lowest load of majorities and grids against their size into this file name inside -out")
	flag.BoolVar(&o.search, "search", false, "instead of analysing a system, search for the best one over the nodes of -capacity")
	flag.IntVar(&o.minResilience, "min-resilience", 0, "with -search: failures the system's read and write quorums must survive")
	flag.DurationVar(&o.timeout, "timeout", 30*time.Second, "with -search: stop and print the best so far after this long")
	flag.IntVar(&o.maxSystems, "max-systems", 0, "with -search: most candidate systems examined (0: quorum.DefaultMaxSystems)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: quorum [flags] READS [WRITES]\n       quorum -search -capacity NODES [flags]\n       quorum -scaling FILE [-out DIR]\n\nREADS and WRITES are expressions such as 'a*b*c + d*e*f',\n'choose(2, a, b, c)' or 'majority(a, b, c)'; WRITES defaults to the dual of READS.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	goal, err := goalOf(*optimize, *maxLoad)
	goal.Resilience = *f
	o.goal = goal
	if err == nil && o.scale == "" && !o.search && (flag.NArg() < 1 || flag.NArg() > 2) {
		flag.Usage()
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	if err == nil {
		err = dispatch(w, flag.Args(), o)
	}
	if err = errors.Join(err, w.Flush()); err != nil {
		if !strings.HasPrefix(err.Error(), "quorum:") {
			err = fmt.Errorf("quorum: %w", err)
		}
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// dispatch runs the mode the flags select.
func dispatch(w io.Writer, args []string, o options) error {
	switch {
	case o.scale != "" && len(args) == 0:
		return writeScaling(w, o)
	case o.search:
		ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
		defer cancel()
		return search(ctx, w, o)
	}
	return run(w, args, o)
}

// outFile returns the path of file name inside o.out, creating the folder
// (a new temporary one when o.out is empty, whose path it prints) on first
// use. name must be a plain file name, not a path.
func (o *options) outFile(p *printer, name string) (string, error) {
	if name != filepath.Base(name) || name == "." || name == ".." || !filepath.IsLocal(name) {
		return "", fmt.Errorf("file name %q: want a name inside -out, not a path", name)
	}
	temporary := o.out == ""
	dir, err := outdir.Prepare(o.out, "quorum")
	if err != nil {
		return "", err
	}
	if temporary {
		p.printf("writing files into %s\n", dir)
	}
	o.out = dir
	return filepath.Join(o.out, name), nil
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
// strategy that meets o.goal at the read fraction; with o.chart != "" it
// also writes the SVG chart into the output folder.
func run(out io.Writer, exprs []string, o options) error {
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
	nodes, err := parseCapacities(o.capacities)
	if err != nil {
		return err
	}
	cfg.Nodes = nodes
	s, err := quorum.New(cfg)
	if err != nil {
		return err
	}
	w, err := quorum.ReadFraction(o.fraction)
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

	goal := o.goal
	goal.Workload = w
	st, err := s.Optimal(goal)
	if err != nil {
		return err
	}
	p.printf("strategy with the %s at read fraction %g:\n", describe(goal), o.fraction)
	printStrategy(p, st)
	if err := resilientTable(p, s, goal, min(rr, wr)); err != nil {
		return err
	}
	if p.err != nil || o.chart == "" {
		return p.err
	}
	svg, err := loadChart(s, st, o.fraction)
	if err != nil {
		return err
	}
	file, err := o.outFile(p, o.chart)
	if err != nil {
		return err
	}
	if err := os.WriteFile(file, svg, 0o644); err != nil {
		return err
	}
	p.printf("\nchart written to %s\n", file)
	return p.err
}

// describe says what a goal asks for: "lowest load with load at most 0.5,
// surviving 1 failure,".
func describe(g quorum.Goal) string {
	what := map[quorum.Objective]string{quorum.MinLoad: "lowest load", quorum.MinNetworkLoad: "lowest network load", quorum.MinLatency: "lowest latency"}[g.Objective]
	if g.MaxLoad > 0 {
		what += fmt.Sprintf(" with load at most %g", g.MaxLoad)
	}
	if g.Resilience == 1 {
		what += ", surviving 1 failure,"
	} else if g.Resilience > 1 {
		what += fmt.Sprintf(", surviving %d failures,", g.Resilience)
	}
	return what
}

// printStrategy prints a strategy's quorums and its measures under the
// workload it was made for.
func printStrategy(p *printer, st *quorum.Strategy) {
	s := st.System()
	for _, side := range []quorum.Side{quorum.Read, quorum.Write} {
		qs, ps := st.Quorums(side)
		for i, q := range qs {
			p.printf("  %-5s %-24s %.3f\n", side, s.FormatSet(q), ps[i])
		}
	}
	p.printf("load %.4f  capacity %.4f  network load %.3f  latency %v\n\n", st.Load(), st.Capacity(), st.NetworkLoad(), st.Latency().Round(time.Microsecond))
	p.printf("  %-8s %8s %12s %11s\n", "node", "load", "utilisation", "throughput")
	for i, n := range s.Names() {
		p.printf("  %-8s %8.4f %12.4f %11.4f\n", n, st.NodeLoad(i), st.NodeUtilization(i), st.NodeThroughput(i))
	}
}

// resilientTable prints, for every f from 0 to the system's resilience,
// the f-resilient strategy that meets goal and the uniform one over the
// minimal f-resilient sets (quoracle's f-resilient strategies). It needs
// at most 16 nodes and prints nothing for larger systems.
func resilientTable(p *printer, s *quorum.System, goal quorum.Goal, resilience int) error {
	if s.Len() > 16 {
		return nil
	}
	p.printf("\nf-resilient strategies (contacted sets keep a quorum after any f of their nodes fail):\n")
	p.printf("  %-3s %10s %10s %10s %12s %12s\n", "f", "load", "capacity", "network", "latency", "uniform load")
	for f := 0; f <= resilience; f++ {
		g := goal
		g.Resilience = f
		st, err := s.Optimal(g)
		if errors.Is(err, quorum.ErrInfeasible) {
			p.printf("  %-3d %s\n", f, "no strategy meets the goal")
			continue
		}
		if err != nil {
			return err
		}
		u, err := s.Uniform(g.Workload, f)
		if err != nil {
			return err
		}
		p.printf("  %-3d %10.4f %10.4f %10.3f %12v %12.4f\n", f, st.Load(), st.Capacity(), st.NetworkLoad(), st.Latency().Round(time.Microsecond), u.Load())
	}
	return nil
}

// search looks for the best system over the nodes of -capacity.
func search(ctx context.Context, out io.Writer, o options) error {
	nodes, err := parseCapacities(o.capacities)
	if err != nil {
		return err
	}
	if len(nodes) == 0 {
		return errors.New("-search needs the nodes in -capacity (a=1,b=1,c=1)")
	}
	w, err := quorum.ReadFraction(o.fraction)
	if err != nil {
		return err
	}
	goal := o.goal
	goal.Workload = w
	res, err := quorum.Search(ctx, quorum.SearchConfig{Nodes: nodes, Goal: goal, MinResilience: o.minResilience, MaxSystems: o.maxSystems})
	if err != nil {
		return err
	}
	p := &printer{w: out}
	status := "every candidate examined"
	if !res.Complete {
		status = "stopped early (timeout or -max-systems): the best so far"
	}
	p.printf("searched %d systems over %d nodes, %s\n", res.Examined, len(nodes), status)
	p.printf("best for the %s at read fraction %g", describe(goal), o.fraction)
	if o.minResilience > 0 {
		p.printf(", resilience at least %d", o.minResilience)
	}
	p.printf(":\nreads:  %s\nwrites: %s\n\n", res.System.Expr(quorum.Read), res.System.Expr(quorum.Write))
	printStrategy(p, res.Strategy)
	return p.err
}

// writeScaling prints the scaling table and writes its chart into the
// output folder.
func writeScaling(out io.Writer, o options) error {
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
	file, err := o.outFile(p, o.scale)
	if err != nil {
		return err
	}
	if err := os.WriteFile(file, scalingChart(majority, grid), 0o644); err != nil {
		return err
	}
	p.printf("chart written to %s\n", file)
	return p.err
}
