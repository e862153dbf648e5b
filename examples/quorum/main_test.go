package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/quorum"
)

// The command's report for quoracle's 2x3 grid shows the published figures
// (Whittaker et al. 2021): resiliences 1 and 2, load 0.375 and capacity
// 8/3 at read fraction 0.25.
func TestGridReport(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	o := opts(0.25, "", "load.svg", quorum.Goal{})
	o.out = dir
	require.NoError(t, run(&out, []string{"a*b*c + d*e*f"}, o))
	for _, want := range []string{
		"writes: (a + b + c)*(d + e + f)",
		"minimal write quorums (9)",
		"resilience (failures always survived): reads 1, writes 2, both 1",
		"load 0.3750  capacity 2.6667",
	} {
		assert.Contains(t, out.String(), want)
	}
	chart := filepath.Join(dir, "load.svg")
	assert.Contains(t, out.String(), "chart written to "+chart)
	svg, err := os.ReadFile(chart)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(svg), "<svg"), "the chart is an SVG file")
}

// opts returns the options of a run at read fraction fr.
func opts(fr float64, capacities, chart string, goal quorum.Goal) options {
	return options{fraction: fr, capacities: capacities, chart: chart, goal: goal}
}

func TestBadInput(t *testing.T) {
	var out bytes.Buffer
	err := run(&out, []string{"a*b + (c"}, opts(0.25, "", "", quorum.Goal{}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "column 9", "the parse error is positioned")
	assert.Error(t, run(&out, []string{"a+b", "c"}, opts(0.25, "", "", quorum.Goal{})), "non-intersecting sides are refused")
	assert.Error(t, run(&out, []string{"a*b"}, opts(1.5, "", "", quorum.Goal{})), "read fraction out of range")
	assert.Error(t, run(&out, []string{"a*b"}, opts(0.5, "a=0", "", quorum.Goal{})), "zero capacity")
	assert.Error(t, run(&out, []string{"a*b"}, opts(0.5, "a", "", quorum.Goal{})), "malformed capacity")
}

func TestCapacities(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out, []string{"choose(2, a, b, c)", "choose(2, a, b, c)"}, opts(0.5, "a=2/2", "", quorum.Goal{})))
	assert.Contains(t, out.String(), "load 0.5000  capacity 2.0000", "a node twice as fast takes twice the work")
}

// Naor and Wool (1998): a majority's load stays above 1/2, a k x k grid's
// is 1/k.
func TestScaling(t *testing.T) {
	majority, grid, err := scaling()
	require.NoError(t, err)
	for _, m := range majority {
		assert.InDelta(t, float64(m.n/2+1)/float64(m.n), m.load, 1e-9, "majority of %d", m.n)
		assert.Greater(t, m.load, 0.5)
	}
	for _, g := range grid {
		k := map[int]float64{4: 2, 9: 3, 16: 4, 25: 5}[g.n]
		assert.InDelta(t, 1/k, g.load, 1e-9, "grid of %d", g.n)
	}
	assert.Contains(t, string(scalingChart(majority, grid)), "<polyline")
}

// quoracle's latency example (Whittaker et al. 2021): a*b + c*d, with a
// and b twice as fast but 4 s away, c and d 1 s away; the lowest latency
// with load at most 1/150 of the paper's units (here capacities are
// divided by 100, so 2/3) reads ab 1/3 and cd 2/3 of the time, 2 s.
func TestLatencyGoal(t *testing.T) {
	var out bytes.Buffer
	goal, err := goalOf("latency", 2.0/3+1e-9)
	require.NoError(t, err)
	require.NoError(t, run(&out, []string{"a*b + c*d"}, opts(1, "a=2/1@4s,b=2/1@4s,c=1/0.5@1s,d=1/0.5@1s", "", goal)))
	assert.Contains(t, out.String(), "lowest latency with load at most")
	assert.Contains(t, out.String(), "latency 2s")
	_, err = goalOf("speed", 0)
	assert.Error(t, err)
	assert.Error(t, run(&out, []string{"a*b"}, opts(0.5, "a=1@x", "", quorum.Goal{})), "malformed latency")
}

// Issue 11 and quoracle: an f-resilient strategy waits for the fastest
// quorum among the nodes it contacts. majority(a, b, c) with latencies 1,
// 2 and 100 ms and f = 1 contacts all three and takes 2 ms, not 100 ms.
func TestResilientLatency(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out, []string{"majority(a, b, c)"}, opts(0.5, "a=1@1ms,b=1@2ms,c=1@100ms", "", quorum.Goal{Resilience: 1})))
	assert.Contains(t, out.String(), "surviving 1 failure,")
	assert.Contains(t, out.String(), "read  {a, b, c}")
	assert.Contains(t, out.String(), "latency 2ms")
}

// Names that are not identifiers are quoted, and the report writes them
// back quoted.
func TestQuotedNames(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out, []string{`"10.0.0.1:7000"*"10.0.0.2:7000" + "10.0.0.3:7000"`}, opts(0.5, "", "", quorum.Goal{})))
	assert.Contains(t, out.String(), `reads:  "10.0.0.1:7000"*"10.0.0.2:7000" + "10.0.0.3:7000"`)
	assert.Contains(t, out.String(), `writes: ("10.0.0.1:7000" + "10.0.0.2:7000")*"10.0.0.3:7000"`)
}

// Without -out, files go into a new temporary folder whose path is
// printed; a file name that is a path is refused.
func TestOutFolder(t *testing.T) {
	var out bytes.Buffer
	o := opts(0.5, "", "load.svg", quorum.Goal{})
	require.NoError(t, run(&out, []string{"majority(a, b, c)"}, o))
	require.Contains(t, out.String(), "writing files into ")
	line := strings.SplitN(strings.SplitN(out.String(), "writing files into ", 2)[1], "\n", 2)[0]
	t.Cleanup(func() {
		if err := os.RemoveAll(line); err != nil {
			t.Error(err)
		}
	})
	_, err := os.Stat(filepath.Join(line, "load.svg"))
	require.NoError(t, err, "the chart is in the printed temporary folder")
	assert.True(t, strings.HasPrefix(line, os.TempDir()), "the folder is a temporary one")

	for _, bad := range []string{"../load.svg", "sub/load.svg", "/tmp/load.svg", ".."} {
		o := opts(0.5, "", bad, quorum.Goal{})
		o.out = t.TempDir()
		assert.Error(t, run(&out, []string{"majority(a, b, c)"}, o), "file name %q", bad)
	}

	o = options{scale: "scaling.svg", out: filepath.Join(t.TempDir(), "new")}
	out.Reset()
	require.NoError(t, writeScaling(&out, o))
	_, err = os.Stat(filepath.Join(o.out, "scaling.svg"))
	assert.NoError(t, err, "-out is created when missing")
}

// The report lists the f-resilient strategies of every f the system
// allows: a majority of 5 survives 2 failures; its optimal load at f = 0,
// 1, 2 is 3/5, 4/5, 1 (quorums of 3, 4, 5 nodes), the same as uniform.
func TestResilientTable(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out, []string{"majority(a, b, c, d, e)"}, opts(0.5, "", "", quorum.Goal{Resilience: 1})))
	for _, want := range []string{
		"strategy with the lowest load, surviving 1 failure, at read fraction 0.5",
		"f-resilient strategies",
		"  0       0.6000     1.6667      3.000           0s       0.6000",
		"  1       0.8000     1.2500      4.000           0s       0.8000",
		"  2       1.0000     1.0000      5.000           0s       1.0000",
	} {
		assert.Contains(t, out.String(), want)
	}
}

// -search finds quoracle's README system (see quorum's
// TestQuoracleReadmeSearch), here over five unit nodes.
func TestSearch(t *testing.T) {
	var out bytes.Buffer
	o := opts(0.9, "a=1,b=1,c=1,d=1,e=1", "", quorum.Goal{})
	o.minResilience = 1
	require.NoError(t, search(context.Background(), &out, o))
	assert.Contains(t, out.String(), "searched 885 systems over 5 nodes, every candidate examined")
	assert.Contains(t, out.String(), "reads:  majority(a, b, c) + d*e")
	assert.Contains(t, out.String(), "load 0.4200")

	o.maxSystems = 3
	out.Reset()
	require.NoError(t, search(context.Background(), &out, o))
	assert.Contains(t, out.String(), "searched 3 systems over 5 nodes, stopped early")

	assert.Error(t, search(context.Background(), &out, opts(0.5, "", "", quorum.Goal{})), "no nodes")
}
