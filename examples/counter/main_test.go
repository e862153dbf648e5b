package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"github.com/eventually-perfect/primitives/examples/internal/outdir"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/examples/counter/scenario"
	"github.com/eventually-perfect/primitives/paxos"
)

func paxosCmd(op string) paxos.Command { return paxos.Command{Op: op} }

// wellFormed reports whether data parses as XML from start to end.
func wellFormed(data []byte) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// checkRun holds a run against the claims the program makes: the
// replicas converge to one log and one counter value, equal to the number
// of distinct increments, each applied exactly once (client sessions,
// "Paxos Made Simple" section 3 for the state machine); the leader changed
// after the crash; the lost slot was filled with a no-op.
func checkRun(t *testing.T, res *scenario.Result) {
	t.Helper()
	want := int64(len(res.Submitted))
	require.Len(t, res.Submitted, 10, "c1's 8 increments and c2's and c3's")
	for _, id := range res.Replicas {
		assert.Equal(t, want, res.Values[id], "seed %d: %s's counter is not the number of distinct increments", res.Seed, id)
		assert.Equal(t, res.Log[res.Replicas[0]], res.Log[id], "seed %d: the decided logs of %s and %s differ", res.Seed, res.Replicas[0], id)
		for _, c := range res.Submitted {
			assert.Equal(t, 1, res.Applied[id][c], "seed %d: %s applied %s %d times, not exactly once", res.Seed, id, c, res.Applied[id][c])
		}
		assert.Len(t, res.Applied[id], len(res.Submitted), "seed %d: %s applied a command nobody submitted", res.Seed, id)
	}
	require.GreaterOrEqual(t, len(res.Leaders), 2, "seed %d: no leader change", res.Seed)
	last := res.Leaders[len(res.Leaders)-1]
	assert.NotEqual(t, res.Crashed, last.Node, "seed %d: the crashed leader leads at the end", res.Seed)
	assert.Greater(t, last.At, res.CrashAt, "seed %d: no leader elected after the crash", res.Seed)
	require.NotEmpty(t, res.Lost, "seed %d: no proposal was lost", res.Seed)
	assert.True(t, slices.ContainsFunc(res.Lost, func(p scenario.Proposal) bool { return p.Entry == "c2#1:inc" }),
		"seed %d: c2#1's proposal was not lost: %v", res.Seed, res.Lost)
	for _, l := range res.Lost {
		assert.Contains(t, res.NoOps, l.Slot, "seed %d: slot %d, whose proposal nobody received, is not a no-op; no-ops: %v", res.Seed, l.Slot, res.NoOps)
		assert.Less(t, l.Slot, res.Kept.Slot, "seed %d: the kept proposal must come after the lost ones", res.Seed)
	}
	require.Less(t, int(res.Kept.Slot), len(res.Log[res.Replicas[0]]))
	assert.Equal(t, "c3#1:inc", res.Log[res.Replicas[0]][res.Kept.Slot], "seed %d: c3#1 must be decided in the slot the old leader proposed it in", res.Seed)
	assert.Greater(t, res.RestartAt, res.CrashAt)
}

func TestCounter(t *testing.T) {
	dir := t.TempDir()
	svg := filepath.Join(dir, "counter.svg")
	var out bytes.Buffer
	res, err := run(&out, scenario.Options{Seed: 1}, dir)
	require.NoError(t, err)
	checkRun(t, res)
	text := out.String()
	flat := strings.Join(strings.Fields(text), " ")

	assert.Contains(t, text, "Every increment was applied exactly once on every replica")
	assert.Contains(t, text, "identical on n1, n2, n3")
	assert.Contains(t, text, res.Crashed+"  crashes")
	assert.Regexp(t, `filled (it|each) with a no-op\. The clients' retries were decided in later slots\.`, flat)
	assert.Contains(t, text, "written to "+svg)
	for _, id := range res.Replicas {
		assert.Contains(t, text, id+"=10", "the final counter printed for %s", id)
	}

	data, err := os.ReadFile(svg)
	require.NoError(t, err, "the diagram was not written")
	require.NoError(t, wellFormed(data), "the diagram is not well-formed XML")
	assert.Contains(t, string(data), "<svg")
	assert.Contains(t, string(data), "request c2#1:inc", "the diagram should show the lost request")
	assert.NotContains(t, string(data), "heartbeat", "the diagram should leave heartbeats out")

	var again bytes.Buffer
	_, err = run(&again, scenario.Options{Seed: 1}, dir)
	require.NoError(t, err)
	assert.Equal(t, text, again.String(), "two runs with the same seed told different stories")
	data2, err := os.ReadFile(svg)
	require.NoError(t, err)
	assert.Equal(t, data, data2, "two runs with the same seed drew different diagrams")
}

// Other seeds change the election jitter and the link delays, hence who
// leads and when; the claims must hold for each.
func TestCounterSeeds(t *testing.T) {
	leaders := map[string]bool{}
	for seed := uint64(2); seed <= 41; seed++ {
		res, err := scenario.Run(scenario.Options{Seed: seed})
		require.NoError(t, err, "seed %d", seed)
		checkRun(t, res)
		leaders[res.Leaders[0].Node] = true
	}
	assert.Greater(t, len(leaders), 1, "the seed should change who is elected first")
}

func TestCounterStateMachine(t *testing.T) {
	var c scenario.Counter
	cmds := []struct{ op, want string }{{"inc", "1"}, {"add 41", "42"}, {"add -2", "40"}, {"mul 2", `error: unknown operation "mul 2"`}, {"add x", ""}}
	for _, tc := range cmds {
		got := c.Apply(paxosCmd(tc.op))
		if tc.want == "" {
			assert.True(t, strings.HasPrefix(got, "error:"), "add with a non-number must be refused, got %q", got)
			continue
		}
		assert.Equal(t, tc.want, got, "Apply(%q)", tc.op)
	}
	assert.EqualValues(t, 40, c.Value(), "refused operations must change nothing")
	snap, err := c.Snapshot()
	require.NoError(t, err)
	var d scenario.Counter
	require.NoError(t, d.Restore(snap))
	assert.EqualValues(t, 40, d.Value(), "Restore(Snapshot()) must give the same value")
	for _, bad := range [][]byte{nil, {0x80}, append(slices.Clone(snap), 0)} {
		assert.ErrorIs(t, d.Restore(bad), scenario.ErrBadSnapshot, "Restore(%x)", bad)
		assert.EqualValues(t, 40, d.Value(), "a failed Restore must change nothing")
	}
}

// The step diagram in docs/diagrams is what -steps writes today.
func TestStepsDiagram(t *testing.T) {
	path := filepath.Join(t.TempDir(), "steps.svg")
	var out bytes.Buffer
	require.NoError(t, writeSteps(&out, path))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, wellFormed(data), "the step diagram is not well-formed XML")
	for _, m := range []string{"prepare 1.a", "promise 1.a", "accept 1.a=v", "accepted 1.a=v", "decided v"} {
		assert.Contains(t, string(data), m, "the step diagram should show %q", m)
	}
	docs, err := os.ReadFile(filepath.Join("..", "..", "docs", "diagrams", "paxos-steps.svg"))
	require.NoError(t, err)
	assert.Equal(t, string(data), string(docs),
		"docs/diagrams/paxos-steps.svg is out of date: go run ./examples/counter -steps docs/diagrams/paxos-steps.svg")
}

// files lists the files under dir, as paths relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	out, err := outdir.Files(dir)
	require.NoError(t, err)
	return out
}

// The command writes counter.svg into the folder -out names (created if
// missing) and, without -out, into a new temporary folder whose path it
// prints; it writes nothing anywhere else (the current folder, the
// temporary folder's parent).
func TestOutputFolder(t *testing.T) {
	cwd, tmp := t.TempDir(), t.TempDir()
	t.Chdir(cwd)
	t.Setenv("TMPDIR", tmp)

	given := filepath.Join(t.TempDir(), "new", "folder")
	var out bytes.Buffer
	_, err := run(&out, scenario.Options{Seed: 1}, given)
	require.NoError(t, err)
	assert.Equal(t, []string{"counter.svg"}, files(t, given), "the given folder holds the diagram only")
	assert.Contains(t, out.String(), "written to "+filepath.Join(given, "counter.svg"))
	assert.Empty(t, files(t, cwd), "nothing written into the current folder")
	assert.Empty(t, files(t, tmp), "nothing written into the temporary folder when -out is given")

	out.Reset()
	_, err = run(&out, scenario.Options{Seed: 1}, "")
	require.NoError(t, err)
	written := files(t, tmp)
	require.Len(t, written, 1, "without -out, one file in one new temporary folder")
	assert.Equal(t, "counter.svg", filepath.Base(written[0]))
	assert.Contains(t, out.String(), "written to "+filepath.Join(tmp, written[0]), "the command prints where it wrote")
	assert.Empty(t, files(t, cwd), "nothing written into the current folder")
}
