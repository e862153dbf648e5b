package main

import (
	"bytes"
	"github.com/eventually-perfect/primitives/examples/internal/outdir"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The command is teaching material: check that it says what the chapter
// says it shows, and writes the diagrams it lists.
func TestLessons(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	var out bytes.Buffer
	require.NoError(t, run(&out, dir, 2))
	text := out.String()

	// section returns the text of the lesson whose heading starts with
	// title, up to the next heading.
	titles := []string{"1. ", "2. Two-phase commit is safe", "3. Two-phase commit blocks",
		"4. Three-phase commit does not block", "5. Three-phase commit splits", "Diagrams\n"}
	section := func(title string) string {
		k := slices.Index(titles, title)
		require.GreaterOrEqual(t, k, 1)
		i := strings.Index(text, "\n"+title)
		j := strings.Index(text, "\n"+titles[k+1])
		require.True(t, i >= 0 && j > i, "lesson %q is missing or out of order", title)
		return text[i:j]
	}
	assert.Contains(t, section("2. Two-phase commit is safe"), "found:    no violation", "2PC safety")
	assert.Contains(t, section("3. Two-phase commit blocks"), "running but undecided", "2PC blocking")
	assert.Contains(t, section("3. Two-phase commit blocks"), "coord=down p1=undecided p2=undecided p3=undecided")
	assert.Contains(t, section("4. Three-phase commit does not block"), "found:    no violation", "3PC crash")
	assert.Contains(t, section("5. Three-phase commit splits"), "decided differently", "3PC partition")
	assert.Contains(t, section("5. Three-phase commit splits"), "coord=commit p1=commit p2=abort p3=abort")

	for _, name := range []string{"2pc-blocked.svg", "3pc-partition.svg", "3pc-partition-timed.svg"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err, "the command did not write %s", name)
		assert.True(t, bytes.HasPrefix(bytes.TrimSpace(data), []byte("<")), "%s is not XML", name)
		assert.Contains(t, text, filepath.Join(dir, name), "the command does not say where %s is", name)
	}

	var again bytes.Buffer
	require.NoError(t, run(&again, dir, 2))
	assert.Equal(t, text, again.String(), "two runs printed different lessons")
}

// files lists the files under dir, as paths relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	out, err := outdir.Files(dir)
	require.NoError(t, err)
	return out
}

// The command writes its diagrams into the folder -out names (created if
// missing) and, without -out, into a new temporary folder whose paths it
// prints; it writes nothing anywhere else (the current folder, the
// temporary folder's parent).
func TestOutputFolder(t *testing.T) {
	cwd, tmp := t.TempDir(), t.TempDir()
	t.Chdir(cwd)
	t.Setenv("TMPDIR", tmp)
	diagrams := []string{"2pc-blocked.svg", "3pc-partition.svg", "3pc-partition-timed.svg"}

	given := filepath.Join(t.TempDir(), "new", "folder")
	var out bytes.Buffer
	require.NoError(t, run(&out, given, 1))
	assert.ElementsMatch(t, diagrams, files(t, given), "the given folder holds the diagrams only")
	assert.Empty(t, files(t, cwd), "nothing written into the current folder")
	assert.Empty(t, files(t, tmp), "nothing written into the temporary folder when -out is given")

	out.Reset()
	require.NoError(t, run(&out, "", 1))
	written := files(t, tmp)
	require.Len(t, written, len(diagrams), "without -out, the diagrams in one new temporary folder")
	dir := filepath.Dir(written[0])
	for _, name := range diagrams {
		assert.Contains(t, written, filepath.Join(dir, name))
		assert.Contains(t, out.String(), filepath.Join(tmp, dir, name), "the command prints where it wrote %s", name)
	}
	assert.Empty(t, files(t, cwd), "nothing written into the current folder")
}
