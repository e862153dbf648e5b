package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The command's report for quoracle's 2x3 grid shows the published figures
// (Whittaker et al. 2021): resiliences 1 and 2, load 0.375 and capacity
// 8/3 at read fraction 0.25.
func TestGridReport(t *testing.T) {
	var out bytes.Buffer
	chart := filepath.Join(t.TempDir(), "load.svg")
	require.NoError(t, run(&out, []string{"a*b*c + d*e*f"}, 0.25, "", chart))
	for _, want := range []string{
		"writes: (a + b + c)*(d + e + f)",
		"minimal write quorums (9)",
		"resilience (failures always survived): reads 1, writes 2, both 1",
		"load 0.3750  capacity 2.6667",
	} {
		assert.Contains(t, out.String(), want)
	}
	svg, err := os.ReadFile(chart)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(svg), "<svg"), "the chart is an SVG file")
}

func TestBadInput(t *testing.T) {
	var out bytes.Buffer
	err := run(&out, []string{"a*b + (c"}, 0.25, "", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "column 9", "the parse error is positioned")
	assert.Error(t, run(&out, []string{"a+b", "c"}, 0.25, "", ""), "non-intersecting sides are refused")
	assert.Error(t, run(&out, []string{"a*b"}, 1.5, "", ""), "read fraction out of range")
	assert.Error(t, run(&out, []string{"a*b"}, 0.5, "a=0", ""), "zero capacity")
	assert.Error(t, run(&out, []string{"a*b"}, 0.5, "a", ""), "malformed capacity")
}

func TestCapacities(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out, []string{"choose(2, a, b, c)", "choose(2, a, b, c)"}, 0.5, "a=2/2", ""))
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
