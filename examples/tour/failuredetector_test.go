package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The failure-detector section's claims, checked against the data it
// prints and draws.
func TestFailureDetectorSectionClaims(t *testing.T) {
	tr := fdTourTrace()
	require.NoError(t, tr.Validate())
	// The trace has exactly one long gap, the GC pause, before the crash.
	long := 0
	for i := 1; i < len(tr.Arrivals); i++ {
		if tr.Arrivals[i]-tr.Arrivals[i-1] > 1500*time.Millisecond {
			long++
			assert.Greater(t, tr.Arrivals[i], fdPauseAt, "the long gap is the GC pause")
			assert.Less(t, tr.Arrivals[i-1], fdPauseAt)
		}
	}
	assert.Equal(t, 1, long, "one GC pause in the trace")

	qs, err := fdTourRun()
	require.NoError(t, err)
	timeout, raw, akka := qs[0], qs[1], qs[2]
	assert.Equal(t, 1, timeout.Mistakes, "the 2 s timeout mistakes the GC pause for a crash")
	assert.Equal(t, 1, raw.Mistakes, "phi without an acceptable pause does too")
	assert.Equal(t, 0, akka.Mistakes, "phi with Akka's 3 s acceptable pause does not")
	for i, q := range qs {
		assert.True(t, q.Detected, "%s detects the crash", fdDetectors[i].name)
	}
	assert.Greater(t, akka.DetectionTime, raw.DetectionTime+3*time.Second, "the acceptable pause costs at least 3 s of detection time")

	curve, err := fdTourCurve(50 * time.Millisecond)
	require.NoError(t, err)
	peak := fdPeakDuring(curve, fdPauseAt, fdPauseAt+fdPauseFor+time.Second)
	assert.Greater(t, peak[0], 100.0, "phi without a pause climbs past 100 during the pause")
	assert.Less(t, peak[1], 8.0, "phi with the pause never crosses the threshold during it")
	before, after, err := fdTourSpread()
	require.NoError(t, err)
	assert.Greater(t, after, 3*before, "accepting the pause widens the estimated spread")

	dir := t.TempDir()
	var out bytes.Buffer
	files, err := run(&out, dir, "failuredetector", true)
	require.NoError(t, err)
	assert.Equal(t, []string{"fd-tour-phi.svg"}, files)
	// The printed figures are the computed ones.
	m := regexp.MustCompile(`climbs to (\d+)`).FindStringSubmatch(out.String())
	require.NotNil(t, m, "the section states the peak of phi")
	n, _ := strconv.Atoi(m[1])
	assert.InDelta(t, peak[0], float64(n), 0.5)
	assert.Contains(t, out.String(), "0 mistake(s)")
	svg, err := os.ReadFile(filepath.Join(dir, "fd-tour-phi.svg"))
	require.NoError(t, err)
	dec := xml.NewDecoder(bytes.NewReader(svg))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "the diagram is well-formed XML")
	}
}
