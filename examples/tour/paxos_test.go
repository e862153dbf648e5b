package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The paxos section's claims, checked against what it prints and against
// the facts recomputed here.
func TestPaxosSection(t *testing.T) {
	dir := t.TempDir()
	out, files := runTour(t, dir, "paxos")
	flat := unwrap(out)
	f, err := paxosFacts()
	require.NoError(t, err)

	require.Contains(t, flat, "Decisions: a=v, b=v, c=v.", "every node of the failure-free run must decide the proposal")
	require.Contains(t, flat, "do not all intersect", "the unsafe configuration must be refused with the intersection error")

	// The counterexample: the step count claimed equals the steps listed,
	// p1 and p2 decide different values, and the diagram exists.
	m := regexp.MustCompile(`in (\d+) steps and without any failure: agreement violated: p1 decided x and p2 decided y\. The (\d+) deliveries`).FindStringSubmatch(flat)
	require.NotNil(t, m, "the counterexample paragraph is missing or changed")
	steps, _ := strconv.Atoi(m[1])
	listed := regexp.MustCompile(`(?m)^\s+\d+\. (p\d|a\d) -> `).FindAllString(out, -1)
	require.Len(t, listed, steps, "the section claims %d steps but lists %d deliveries", steps, len(listed))
	require.Equal(t, m[1], m[2])
	require.Contains(t, files, "paxos-unsafe-fpaxos.svg")
	svg, err := os.ReadFile(filepath.Join(dir, "paxos-unsafe-fpaxos.svg"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(svg), "<svg") || strings.Contains(string(svg[:200]), "<svg"), "the diagram is not an SVG")
	require.Contains(t, string(svg), "decided x")
	require.Contains(t, string(svg), "decided y")

	// The safe exploration: complete and violation-free, as printed.
	require.True(t, f.safeComplete)
	require.Contains(t, flat, "reaches "+strconv.Itoa(f.safeStates)+" distinct states, all of them, and every one is safe")
}
