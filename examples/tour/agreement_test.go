package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The agreement section's claims, checked against what it prints: the
// stories it tells must be the schedules it says they are, and the
// diagrams it points to must exist and show them.

// printedStory is a counterexample as the section prints it.
type printedStory struct {
	claimed int      // the step count the paragraph before it states
	steps   []string // the numbered steps, numbers removed
	lines   []string // every line in order, numbered or indented, trimmed
}

var (
	storyStep    = regexp.MustCompile(`^\s+\d+\. (.*)$`)
	claimedCount = regexp.MustCompile(`(?:in (\d+) steps|(\d+) steps long)`)
)

// parseStory reads the story printed after the first paragraph of out
// that starts with intro.
func parseStory(t *testing.T, out, intro string) printedStory {
	t.Helper()
	i := strings.Index(out, intro)
	require.GreaterOrEqual(t, i, 0, "the section does not print %q", intro)
	parts := strings.SplitN(out[i:], "\n\n", 3)
	require.Len(t, parts, 3, "no story after %q", intro)
	var s printedStory
	m := claimedCount.FindStringSubmatch(unwrap(parts[0]))
	require.NotNil(t, m, "no step count in %q", parts[0])
	var err error
	s.claimed, err = strconv.Atoi(m[1] + m[2])
	require.NoError(t, err)
	for line := range strings.SplitSeq(parts[1], "\n") {
		if m := storyStep.FindStringSubmatch(line); m != nil {
			s.steps = append(s.steps, m[1])
			s.lines = append(s.lines, m[1])
		} else {
			s.lines = append(s.lines, strings.TrimSpace(line))
		}
	}
	return s
}

func TestAgreementSection(t *testing.T) {
	dir := t.TempDir()
	out, files := runTour(t, dir, "agreement")
	flat := unwrap(out)

	// The happy path: three messages per participant, everyone commits.
	assert.Contains(t, flat, "that is 6 messages for 2 participants, and everyone commits: coord commit, p1 commit, p2 commit.")
	assert.Contains(t, flat, "and found no violation", "the 2PC safety search should pass")

	// The blocked story: the participants vote yes, time out and note that
	// they are blocked; the coordinator crashes; nobody decides.
	blocked := parseStory(t, out, "Is it live?")
	assert.Equal(t, blocked.claimed, len(blocked.steps), "the story has a different number of steps than the lesson says")
	assert.Equal(t, "coord crashes", blocked.steps[len(blocked.steps)-1])
	for _, p := range []string{"p1", "p2"} {
		assert.Contains(t, blocked.steps, p+" receives prepare from coord")
		assert.Contains(t, blocked.lines, p+" sends yes to coord, still on its way at the end", "%s should have voted yes", p)
		assert.Contains(t, blocked.lines, p+": blocked")
	}
	for _, l := range blocked.lines {
		assert.NotContains(t, l, "decide", "somebody decided in the blocked story")
	}

	// The split story: one participant commits on its "commit" timer
	// (prepared), the other aborts on its "precommit" timer (uncertain).
	split := parseStory(t, out, "The price is")
	assert.Equal(t, split.claimed, len(split.steps))
	timer := regexp.MustCompile(`^(p\d)'s "(\w+)" timer fires$`)
	decide := regexp.MustCompile(`^(p\d): decide (\w+)$`)
	decided, lastTimer := map[string]string{}, map[string]string{}
	for _, l := range split.lines {
		if m := timer.FindStringSubmatch(l); m != nil {
			lastTimer[m[1]] = m[2]
		}
		if m := decide.FindStringSubmatch(l); m != nil {
			decided[m[1]] = lastTimer[m[1]] + " timer -> " + m[2]
		}
	}
	assert.Equal(t, map[string]string{"p1": "commit timer -> commit", "p2": "precommit timer -> abort"}, decided,
		"the prepared participant should commit on its timer and the uncertain one abort on its")

	// The diagrams the section points to.
	require.Equal(t, []string{"2pc-blocked.svg", "3pc-partition.svg"}, files)
	for _, f := range files {
		assert.Contains(t, flat, "The diagram "+f, "the section does not point to %s", f)
		data, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		texts := strings.Join(svgTexts(t, data), "\n")
		switch f {
		case "2pc-blocked.svg":
			assert.Contains(t, texts, "blocked")
			assert.Contains(t, texts, "crash")
			assert.NotContains(t, texts, "decide")
		case "3pc-partition.svg":
			assert.Contains(t, texts, "decide commit")
			assert.Contains(t, texts, "decide abort")
		}
	}
}
