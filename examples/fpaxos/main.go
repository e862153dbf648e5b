// Command fpaxos reproduces the experiment of Flexible Paxos (Howard,
// Malkhi and Spiegelman, "Flexible Paxos: Quorum intersection revisited",
// 2016) in the simulator, with the sweep of the authors' published
// Mininet script (github.com/fpaxos/fpaxos-test): n = 3 to 10 Multi-Paxos
// replicas, phase-2 (replication) quorums q2 = 1 to floor(n/2)+1 with
// phase-1 quorums q1 = n - q2 + 1, phase 2 sent to one q2-quorum only
// (thrifty) or to every acceptor, and one client keeping 10 requests in
// flight; throughput and latency are measured for each q2, next to
// majority Multi-Paxos. docs/paxos.md discusses the results and how the
// setup differs from the paper's.
//
// Run it from the repository root:
//
//	go run ./examples/fpaxos                          # the whole sweep, n = 3..10
//	go run ./examples/fpaxos -quick                   # a few configurations
//	go run ./examples/fpaxos -n 5-7 -duration 5s -seed 2
//	go run ./examples/fpaxos -out /tmp/fpaxos         # write fpaxos.md and fpaxos-throughput.svg there
//	go run ./examples/fpaxos -chart docs/diagrams/fpaxos-throughput.svg   # the chart of docs/paxos.md
//
// The command prints the table, and writes it (fpaxos.md) and the chart
// (fpaxos-throughput.svg) into the folder -out names (created if
// missing), by default a new temporary folder whose path it prints;
// -chart FILE writes the chart to FILE instead. It writes nothing else.
//
// The output is deterministic for a seed: the simulation is, and the
// configurations run in a fixed order.
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
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	var o options
	flag.StringVar(&o.nRange, "n", "3-10", "replica counts: a range lo-hi or one number")
	flag.DurationVar(&o.st.Duration, "duration", 10*time.Second, "simulated measurement window per configuration")
	flag.DurationVar(&o.st.Warmup, "warmup", defaultWarmup, "simulated warm-up (election, client start) before the window")
	flag.DurationVar(&o.st.Tick, "tick", defaultTick, "the replicas' tick (heartbeat) period")
	flag.Uint64Var(&o.st.Seed, "seed", 1, "seed of the network and of every simulation")
	flag.DurationVar(&o.st.Service, "service", defaultService, "simulated service time per message at every node")
	flag.Float64Var(&o.st.Bandwidth, "bandwidth", defaultBandwidth, "bytes per second per one-way link (0: unlimited)")
	flag.IntVar(&o.st.Outstanding, "outstanding", 10, "client requests in flight")
	flag.StringVar(&o.out, "out", "", "folder to write fpaxos.md (the table) and fpaxos-throughput.svg into (created if missing; default: a new temporary folder)")
	flag.StringVar(&o.chart, "chart", "", "write the chart to this SVG file (instead of into -out)")
	flag.BoolVar(&o.quick, "quick", false, "a few configurations only (n = 3, 5, 7), 2 s windows")
	flag.IntVar(&o.workers, "workers", runtime.GOMAXPROCS(0), "configurations simulated at once")
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	_, err := run(w, o)
	if err = errors.Join(err, w.Flush()); err != nil {
		fmt.Fprintln(os.Stderr, "fpaxos:", err)
		os.Exit(1)
	}
}

// Defaults of the setup.
//
// The service time stands for the CPU one message costs a replica
// (receive, decode, update, reply). A message that costs about 50 µs of a
// whole core costs about ten times as much on the hosts of the paper's
// experiment, which its published Mininet script (github.com/fpaxos/
// fpaxos-test, deploy_mininet.py) caps at 0.9/(n+1) of the machine's CPU
// each: hence 500 µs. With 10 requests in flight and round trips of about
// 20 ms, a node needs more than about 2 ms of work per command to be the
// bottleneck, so at 50-100 µs per message the leader idles, throughput is
// set by latency alone and q2 hardly matters (-service 100us shows it);
// throttled, the leader is the bottleneck, as in the paper.
const (
	defaultWarmup    = 2 * time.Second
	defaultTick      = 50 * time.Millisecond
	defaultService   = 500 * time.Microsecond
	defaultBandwidth = 10e6 / 8 // 10 Mbit/s, the paper's emulated links
)

// options are the command's flags.
type options struct {
	nRange  string
	st      setup
	out     string
	chart   string
	quick   bool
	workers int
}

// defaultSetup fills what the flags leave unset: 5 ms links (the
// paper's per-host link delay) with a ±10% spread drawn once per link,
// and 64 bytes per operation.
func defaultSetup(st setup) setup {
	st.Latency = 5 * time.Millisecond
	st.Spread = 0.1
	st.OpSize = 64
	return st
}

// parseRange parses "lo-hi" or "n" into replica counts in [3, 10].
func parseRange(s string) ([]int, error) {
	lo, hi, ok := strings.Cut(s, "-")
	if !ok {
		hi = lo
	}
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	if err := errors.Join(err1, err2); err != nil || a < 3 || b > 10 || a > b {
		return nil, fmt.Errorf("fpaxos: -n %q: want lo-hi within 3-10", s)
	}
	var ns []int
	for n := a; n <= b; n++ {
		ns = append(ns, n)
	}
	return ns, nil
}

// configs lists the sweep for each n: every q2 from 1 to floor(n/2)+1
// with q1 = n - q2 + 1, then majority quorums, each thrifty and not.
func configs(ns []int) []config {
	var out []config
	for _, n := range ns {
		for q2 := 1; q2 <= n/2+1; q2++ {
			for _, thrifty := range []bool{true, false} {
				out = append(out, config{N: n, Q1: n - q2 + 1, Q2: q2, Thrifty: thrifty})
			}
		}
		for _, thrifty := range []bool{true, false} {
			out = append(out, config{N: n, Q1: n/2 + 1, Q2: n/2 + 1, Majority: true, Thrifty: thrifty})
		}
	}
	return out
}

// sweep runs every configuration, workers at a time, and returns the
// results in the order of cfgs.
func sweep(st setup, cfgs []config, workers int) ([]result, error) {
	res := make([]result, len(cfgs))
	errs := make([]error, len(cfgs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			for i := range next {
				res[i], errs[i] = st.run(cfgs[i])
			}
		})
	}
	for i := range cfgs {
		next <- i
	}
	close(next)
	wg.Wait()
	return res, errors.Join(errs...)
}

// run sweeps, writes the table to w, writes the table and the chart into
// the folder o.out (see outputDir; the chart to o.chart if set), and
// returns the results.
func run(w io.Writer, o options) ([]result, error) {
	res, st, table, err := measure(o)
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(w, table); err != nil {
		return nil, err
	}
	dir, err := outdir.Prepare(o.out, "fpaxos")
	if err != nil {
		return nil, err
	}
	md := filepath.Join(dir, "fpaxos.md")
	if err := os.WriteFile(md, []byte(table), 0o644); err != nil {
		return nil, fmt.Errorf("writing the table: %w", err)
	}
	chart := o.chart
	if chart == "" {
		chart = filepath.Join(dir, "fpaxos-throughput.svg")
	}
	f, err := os.Create(chart)
	if err != nil {
		return nil, fmt.Errorf("writing the chart: %w", err)
	}
	if err := errors.Join(writeChart(f, st, res), f.Close()); err != nil {
		return nil, fmt.Errorf("writing the chart: %w", err)
	}
	if _, err := fmt.Fprintf(w, "\nThe table is written to %s, the chart to %s\n", md, chart); err != nil {
		return nil, err
	}
	return res, nil
}

// measure runs the sweep the options describe and returns its results,
// the setup it used and the table of writeTable.
func measure(o options) ([]result, setup, string, error) {
	ns, err := parseRange(o.nRange)
	if err != nil {
		return nil, setup{}, "", err
	}
	if o.quick {
		ns = []int{3, 5, 7}
		o.st.Duration = 2 * time.Second
	}
	if o.st.Duration <= 0 || o.st.Warmup <= 0 || o.st.Tick <= 0 || o.st.Service < 0 || o.st.Bandwidth < 0 || o.st.Outstanding < 1 {
		return nil, setup{}, "", fmt.Errorf("fpaxos: -duration, -warmup, -tick and -outstanding must be positive, -service and -bandwidth not negative")
	}
	st := defaultSetup(o.st)
	res, err := sweep(st, configs(ns), o.workers)
	if err != nil {
		return nil, setup{}, "", err
	}
	var table strings.Builder
	writeTable(&table, st, res)
	return res, st, table.String(), nil
}

// writeTable writes the results as a markdown table, one row per quorum
// configuration with the thrifty and all-acceptor measurements side by
// side (into a strings.Builder, whose writes never fail).
func writeTable(w *strings.Builder, st setup, res []result) {
	fmt.Fprintf(w, "Simulated: links %v one way (±%.0f%%, fixed per link), %.0f Mbit/s per link, %v per message at every node, "+
		"one client with %d requests in flight, %v measured after %v (seed %d).\n\n",
		st.Latency, st.Spread*100, st.Bandwidth*8/1e6, st.Service, st.Outstanding, st.Duration, st.Warmup, st.Seed)
	fmt.Fprintln(w, "| n | quorums | thrifty ops/s | mean | p99 | leader busy | all-acceptors ops/s | mean | p99 | leader busy |")
	fmt.Fprintln(w, "|---:|:---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for i := 0; i+1 < len(res); i += 2 {
		t, a := res[i], res[i+1]
		q := fmt.Sprintf("q1=%d q2=%d", t.Q1, t.Q2)
		if t.Majority {
			q = fmt.Sprintf("**majority** (%d)", t.Q2)
		}
		fmt.Fprintf(w, "| %d | %s | %.0f | %s | %s | %.0f%% | %.0f | %s | %s | %.0f%% |\n", t.N, q,
			t.Throughput, ms(t.Mean), ms(t.P99), 100*t.LeaderBusy,
			a.Throughput, ms(a.Mean), ms(a.P99), 100*a.LeaderBusy)
	}
}

// ms formats a duration in milliseconds with one decimal.
func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
