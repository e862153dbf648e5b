package lessons_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/examples/agreement/commit"
	"github.com/eventually-perfect/primitives/examples/agreement/lessons"
	"github.com/eventually-perfect/primitives/sim"
)

var update = flag.Bool("update", false, "rewrite docs/diagrams/2pc-*.svg and 3pc-*.svg from the lessons")

const diagramDir = "../../../docs/diagrams"

// The chapter shows these diagrams; they must be what the code draws
// today. After a change to the protocols, the explorer or the renderer,
// regenerate them with
//
//	go test ./examples/agreement/lessons -run Diagrams -update
func TestDiagramsAreUpToDate(t *testing.T) {
	diagrams, err := lessons.Diagrams()
	require.NoError(t, err)
	require.Len(t, diagrams, 3)
	for _, d := range diagrams {
		got, err := d.SVG()
		require.NoError(t, err)
		checkSVG(t, d.Name, got)
		path := filepath.Join(diagramDir, d.Name)
		if *update {
			require.NoError(t, os.WriteFile(path, got, 0o644))
			continue
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err, "run with -update to create %s", path)
		checkSVG(t, path, want)
		assert.True(t, bytes.Equal(want, got),
			"%s is stale: run go test ./examples/agreement/lessons -run Diagrams -update", path)
	}
}

// checkSVG fails unless data is well-formed XML with an <svg> root.
func checkSVG(t *testing.T, name string, data []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	root := ""
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "%s is not well-formed XML", name)
		if s, ok := tok.(xml.StartElement); ok && root == "" {
			root = s.Name.Local
		}
	}
	assert.Equal(t, "svg", root, "%s: the root element is not <svg>", name)
}

func TestBlocked2PCFindsTheCoordinatorCrash(t *testing.T) {
	x, err := lessons.Blocked2PC(lessons.Team(3))
	require.NoError(t, err)
	v := x.Result.Violation
	require.NotNil(t, v, "2PC should block when the coordinator crashes")
	assert.True(t, v.Quiescent, "the violation should be a stuck state, not a broken invariant")
	assert.ErrorIs(t, v, commit.ErrUndecided)
	// Three deliveries of Prepare, three timeouts, one crash.
	assert.Equal(t, 7, v.Depth)
	assert.Equal(t, 1, kinds(v.Trace)[sim.Crash])
	assert.Equal(t, 3, notes(v.Trace)["blocked"], "each participant should note that it is blocked")
	assert.Zero(t, notes(v.Trace)["decide commit"]+notes(v.Trace)["decide abort"], "nobody should decide")
}

func TestNonBlocking3PCExploresEveryCrash(t *testing.T) {
	x, err := lessons.NonBlocking3PC(lessons.Team(2))
	require.NoError(t, err)
	assert.Nil(t, x.Result.Violation, "3PC blocked after a crash")
	assert.True(t, x.Result.Complete, "the exploration should cover every schedule within the bounds")
}

func TestSplit3PCFindsDisagreement(t *testing.T) {
	x, err := lessons.Split3PC(lessons.Team(3))
	require.NoError(t, err)
	v := x.Result.Violation
	require.NotNil(t, v, "3PC participants should be able to disagree")
	assert.ErrorIs(t, v, commit.ErrDisagreement)
	// The story of the brief: one participant times out prepared and
	// commits, another times out uncertain and aborts.
	var committed, aborted string
	timer := map[string]string{}
	for _, e := range v.Trace.Events {
		switch {
		case e.Kind == sim.Timer:
			timer[e.Node] = e.Text
		case e.Kind == sim.Local && e.Text == "decide commit" && timer[e.Node] == "commit":
			committed = e.Node
		case e.Kind == sim.Local && e.Text == "decide abort" && timer[e.Node] == "precommit":
			aborted = e.Node
		}
	}
	assert.NotEmpty(t, committed, "no participant committed on its timeout in the prepared state")
	assert.NotEmpty(t, aborted, "no participant aborted on its timeout in the uncertain state")
}

func TestPartition3PCSplitsTheDecision(t *testing.T) {
	team := lessons.Team(3)
	s, err := lessons.Partition3PC(team)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"coord": "commit", "p1": "commit", "p2": "abort", "p3": "abort"}, lessons.Decisions(s, team))
	assert.ErrorIs(t, commit.CheckSafety(team, s.Storage), commit.ErrDisagreement)
}

func TestCoordinatorCrash(t *testing.T) {
	team := lessons.Team(3)
	s, err := lessons.CoordinatorCrash2PC(team)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"coord": "down", "p1": "undecided", "p2": "undecided", "p3": "undecided"}, lessons.Decisions(s, team))
	s, err = lessons.CoordinatorCrash3PC(team)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"coord": "down", "p1": "abort", "p2": "abort", "p3": "abort"}, lessons.Decisions(s, team))
}

func TestHappyPaths(t *testing.T) {
	team := lessons.Team(2)
	for name, run := range map[string]func(commit.Config) (*sim.Sim[commit.Msg], error){
		"2PC": lessons.HappyPath2PC, "3PC": lessons.HappyPath3PC,
	} {
		s, err := run(team)
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"coord": "commit", "p1": "commit", "p2": "commit"}, lessons.Decisions(s, team), name)
	}
}

func TestSafe2PC(t *testing.T) {
	x, err := lessons.Safe2PC(lessons.Team(2), lessons.Bounds{Drops: 1, Crashes: 1, Restarts: 1, Timeouts: 3})
	require.NoError(t, err)
	assert.Nil(t, x.Result.Violation, "2PC broke agreement or validity")
	assert.True(t, x.Result.Complete)
	assert.Greater(t, x.Result.Distinct, 1000, "the exploration covered suspiciously few states")
}

func TestBoundsString(t *testing.T) {
	assert.Equal(t, "no faults, no timeouts", lessons.Bounds{}.String())
	assert.Equal(t, "1 drop, 2 duplicates, 1 crash, 3 restarts, 4 timeouts",
		lessons.Bounds{Drops: 1, Duplicates: 2, Crashes: 1, Restarts: 3, Timeouts: 4}.String())
}

func kinds(tr *sim.Trace) map[sim.EventKind]int {
	m := map[sim.EventKind]int{}
	for _, e := range tr.Events {
		m[e.Kind]++
	}
	return m
}

func notes(tr *sim.Trace) map[string]int {
	m := map[string]int{}
	for _, e := range tr.Events {
		if e.Kind == sim.Local {
			m[e.Text]++
		}
	}
	return m
}
