package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"github.com/eventually-perfect/primitives/examples/internal/outdir"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// quickOptions are the flags of "fpaxos -quick -seed seed".
func quickOptions(seed uint64) options {
	o := options{nRange: "3-10", quick: true, workers: 2}
	o.st.Warmup, o.st.Tick, o.st.Seed, o.st.Service, o.st.Bandwidth, o.st.Outstanding = defaultWarmup, defaultTick, seed, defaultService, defaultBandwidth, 10
	return o
}

// quick holds the -quick sweeps of seeds 1 and 2, each run once for every
// test that reads it.
var quick = map[uint64]func() ([]result, error){
	1: sync.OnceValues(func() ([]result, error) { res, _, _, err := measure(quickOptions(1)); return res, err }),
	2: sync.OnceValues(func() ([]result, error) { res, _, _, err := measure(quickOptions(2)); return res, err }),
}

// quickResults returns the -quick sweep of seed.
func quickResults(t *testing.T, seed uint64) []result {
	t.Helper()
	res, err := quick[seed]()
	require.NoError(t, err)
	return res
}

// find returns the result of configuration c.
func find(t *testing.T, res []result, c config) result {
	t.Helper()
	for _, r := range res {
		if r.config == c {
			return r
		}
	}
	t.Fatalf("no result for %v", c)
	return result{}
}

// Majority Multi-Paxos and flexible quorums with q2 = floor(n/2)+1 use
// the same phase-2 quorums; once the leader is elected, phase 1 is over,
// so their steady state is the same run.
func TestMajorityIsTheLargestQ2(t *testing.T) {
	res := quickResults(t, 1)
	for _, r := range res {
		if !r.Majority {
			continue
		}
		flex := find(t, res, config{N: r.N, Q1: r.N - (r.N/2 + 1) + 1, Q2: r.N/2 + 1, Thrifty: r.Thrifty})
		assert.InEpsilon(t, flex.Throughput, r.Throughput, 0.02,
			"%v: majority Multi-Paxos measures as q2 = floor(n/2)+1 (%v)", r.config, flex.config)
	}
}

// byQ2 returns the flexible (non-majority) results for n in one mode,
// by increasing q2.
func byQ2(res []result, n int, thrifty bool) []result {
	var out []result
	for _, r := range res {
		if r.N == n && r.Thrifty == thrifty && !r.Majority {
			out = append(out, r)
		}
	}
	return out
}

// The FPaxos claim (Howard, Malkhi and Spiegelman 2016, sections 1 and
// 5): with thrifty phase 2 the leader handles one reply per member of the
// phase-2 quorum, so when it is the bottleneck a smaller q2 raises
// throughput and does not raise latency.
func TestThriftyThroughputRisesAsQ2Shrinks(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { thriftyClaims(t, quickResults(t, seed)) })
	}
}

func thriftyClaims(t *testing.T, res []result) {
	for _, n := range []int{3, 5, 7} {
		rs := byQ2(res, n, true)
		require.NotEmpty(t, rs, "n=%d", n)
		for i := 1; i < len(rs); i++ {
			small, large := rs[i-1], rs[i]
			assert.GreaterOrEqual(t, small.Throughput, 0.98*large.Throughput,
				"n=%d: thrifty throughput with q2=%d is at least that with q2=%d", n, small.Q2, large.Q2)
			assert.LessOrEqual(t, small.Mean, large.Mean+large.Mean/50,
				"n=%d: thrifty mean latency with q2=%d is no higher than with q2=%d", n, small.Q2, large.Q2)
		}
		require.Equal(t, 1, rs[0].Q2, "n=%d: the sweep starts at q2=1", n)
		assert.Less(t, rs[0].Mean, rs[1].Mean*6/10,
			"n=%d: with q2=1 the leader decides alone: one client round trip instead of two round trips", n)
		if len(rs) >= 3 {
			first, last := rs[0], rs[len(rs)-1]
			assert.Greater(t, first.Throughput, 1.1*last.Throughput,
				"n=%d: the smallest q2 (%d) beats the majority-sized one (%d) by more than 10%%", n, first.Q2, last.Q2)
		}
	}
}

// Sending phase 2 to every acceptor, the leader handles every reply
// whatever q2 is: once it is the bottleneck, q2 from 2 up does not change
// throughput, and majority Multi-Paxos slows down as n grows. Only q2 = 1
// differs: the leader decides alone, so no acceptor round trip delays a
// command and ten requests keep the leader busier.
func TestAllAcceptorsThroughputIgnoresQ2(t *testing.T) {
	res := quickResults(t, 1)
	var prev float64
	for _, n := range []int{3, 5, 7} {
		rs := byQ2(res, n, false)
		require.Greater(t, len(rs), 1, "n=%d", n)
		require.Equal(t, 1, rs[0].Q2)
		assert.Greater(t, rs[0].Throughput, rs[1].Throughput, "n=%d: to all acceptors, q2=1 decides without a round trip", n)
		assert.InDelta(t, 1.0, rs[0].LeaderBusy, 0.02, "n=%d: to all acceptors with q2=1 the leader is saturated", n)
		for _, r := range rs[2:] {
			assert.InEpsilon(t, rs[1].Throughput, r.Throughput, 0.03,
				"n=%d: phase 2 to all acceptors: q2=%d measures as q2=%d", n, r.Q2, rs[1].Q2)
		}
		m := find(t, res, config{N: n, Q1: n/2 + 1, Q2: n/2 + 1, Majority: true})
		if prev > 0 {
			assert.Less(t, m.Throughput, 0.9*prev, "n=%d: majority Multi-Paxos is slower than with fewer replicas", n)
		}
		prev = m.Throughput
	}
}

// The paper's comparison: FPaxos with thrifty phase 2 and q2 = 2 against
// majority Multi-Paxos (LibPaxos3 sends phase 2 to every acceptor). From
// five replicas on, the leader's load makes the difference.
func TestThriftyQ2TwoBeatsMajority(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		res := quickResults(t, seed)
		for _, n := range []int{5, 7} {
			f := find(t, res, config{N: n, Q1: n - 1, Q2: 2, Thrifty: true})
			m := find(t, res, config{N: n, Q1: n/2 + 1, Q2: n/2 + 1, Majority: true})
			assert.Greater(t, f.Throughput, 1.25*m.Throughput, "seed %d, n=%d: thrifty q2=2 beats majority Multi-Paxos by more than 25%%", seed, n)
			assert.Less(t, f.Mean, m.Mean, "seed %d, n=%d: and answers sooner on average", seed, n)
		}
	}
}

// With a fast node (100 µs per message) and ten requests in flight the
// leader is mostly idle and throughput is set by the round trips, not by
// q2: thrifty q2=2 and majority Multi-Paxos are within 10%, but the
// thrifty leader is far less busy.
func TestLatencyBoundWhenNodesAreFast(t *testing.T) {
	st := defaultSetup(setup{Seed: 1, Warmup: defaultWarmup, Tick: defaultTick, Duration: 2 * time.Second, Service: 100 * time.Microsecond,
		Bandwidth: defaultBandwidth, Outstanding: 10})
	f, err := st.run(config{N: 7, Q1: 6, Q2: 2, Thrifty: true})
	require.NoError(t, err)
	m, err := st.run(config{N: 7, Q1: 4, Q2: 4, Majority: true})
	require.NoError(t, err)
	assert.InEpsilon(t, m.Throughput, f.Throughput, 0.1, "latency-bound: q2 hardly matters")
	assert.Less(t, f.LeaderBusy, 0.6*m.LeaderBusy, "but the thrifty leader does much less work")
}

// The command prints one markdown row per configuration pair and writes
// the table and a well-formed SVG chart naming every n into -out.
func TestOutput(t *testing.T) {
	o := quickOptions(1)
	o.out = t.TempDir()
	var out bytes.Buffer
	res, err := run(&out, o)
	require.NoError(t, err)
	assert.Equal(t, quickResults(t, 1), res, "the same sweep, with or without -out")
	table, where, found := strings.Cut(out.String(), "\nThe table is written to ")
	require.True(t, found, "the command says where it wrote the table")
	assert.Equal(t, filepath.Join(o.out, "fpaxos.md")+", the chart to "+filepath.Join(o.out, "fpaxos-throughput.svg")+"\n", where)
	rows := strings.Count(table, "\n| ")
	assert.Equal(t, len(res)/2, rows-1, "one row per configuration, thrifty and not side by side, after the header")
	md, err := os.ReadFile(filepath.Join(o.out, "fpaxos.md"))
	require.NoError(t, err)
	assert.Equal(t, table, string(md), "-out writes the table printed")
	svg, err := os.ReadFile(filepath.Join(o.out, "fpaxos-throughput.svg"))
	require.NoError(t, err)
	dec := xml.NewDecoder(bytes.NewReader(svg))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "the chart is well-formed XML")
	}
	for _, n := range []string{"n = 3", "n = 5", "n = 7"} {
		assert.Contains(t, string(svg), n, "the legend names %s", n)
	}
}

// The same seed gives the same measurement: the simulation is
// deterministic and nothing reads the wall clock.
func TestDeterministic(t *testing.T) {
	st := defaultSetup(setup{Seed: 7, Warmup: defaultWarmup, Tick: defaultTick, Duration: defaultWarmup, Service: defaultService,
		Bandwidth: defaultBandwidth, Outstanding: 10})
	c := config{N: 4, Q1: 3, Q2: 2, Thrifty: true}
	a, err := st.run(c)
	require.NoError(t, err)
	b, err := st.run(c)
	require.NoError(t, err)
	assert.Equal(t, a, b, "two runs of %v with one seed", c)
	assert.Positive(t, a.Completed)
}

func TestBadFlags(t *testing.T) {
	var out bytes.Buffer
	for _, n := range []string{"2-5", "3-11", "7-5", "x", ""} {
		_, err := run(&out, options{nRange: n, workers: 1})
		assert.Error(t, err, "-n %q", n)
	}
	o := options{nRange: "3", workers: 1}
	o.st.Warmup, o.st.Tick, o.st.Outstanding = defaultWarmup, defaultTick, 10
	_, err := run(&out, o)
	assert.Error(t, err, "a zero -duration is refused")
}

// files lists the files under dir, as paths relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	out, err := outdir.Files(dir)
	require.NoError(t, err)
	return out
}

// The command writes fpaxos.md and fpaxos-throughput.svg into the folder
// -out names (created if missing) and, without -out, into a new temporary
// folder whose path it prints; it writes nothing anywhere else (the
// current folder, the temporary folder's parent), and nothing at all when
// its flags are refused.
func TestOutputFolder(t *testing.T) {
	cwd, tmp := t.TempDir(), t.TempDir()
	t.Chdir(cwd)
	t.Setenv("TMPDIR", tmp)
	o := quickOptions(1)
	o.nRange, o.st.Duration = "3", 500*time.Millisecond // a small sweep: only where it writes matters here

	o.out = filepath.Join(t.TempDir(), "new", "folder")
	var out bytes.Buffer
	_, err := run(&out, o)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"fpaxos.md", "fpaxos-throughput.svg"}, files(t, o.out), "the given folder holds the table and the chart only")
	assert.Contains(t, out.String(), "written to "+filepath.Join(o.out, "fpaxos.md"))
	assert.Empty(t, files(t, cwd), "nothing written into the current folder")
	assert.Empty(t, files(t, tmp), "nothing written into the temporary folder when -out is given")

	o.out = ""
	out.Reset()
	_, err = run(&out, o)
	require.NoError(t, err)
	written := files(t, tmp)
	require.Len(t, written, 2, "without -out, two files in one new temporary folder")
	dir := filepath.Dir(written[0])
	assert.ElementsMatch(t, []string{filepath.Join(dir, "fpaxos.md"), filepath.Join(dir, "fpaxos-throughput.svg")}, written)
	assert.Contains(t, out.String(), "written to "+filepath.Join(tmp, dir, "fpaxos.md"), "the command prints where it wrote")
	assert.Empty(t, files(t, cwd), "nothing written into the current folder")

	o.nRange = "2"
	_, err = run(&out, o)
	require.Error(t, err)
	assert.Len(t, files(t, tmp), 2, "refused flags create no folder")
}
