package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The sweep shows the trade-off (a larger parameter never detects faster)
// and writes a well-formed SVG chart.
func TestSweep(t *testing.T) {
	trs, err := traces(2 * time.Hour)
	require.NoError(t, err)
	pts, err := sweep(trs)
	require.NoError(t, err)
	for i, f := range families {
		for j := 1; j < len(pts[i]); j++ {
			assert.GreaterOrEqual(t, pts[i][j].detection, pts[i][j-1].detection,
				"%s: a larger %s must not detect faster", f.name, f.param)
		}
		for _, p := range pts[i] {
			assert.Less(t, p.detection, p.silence,
				"%s at %v: the peer was already silent when it crashed, so detection from the crash is shorter than from the last heartbeat", f.name, p.param)
		}
		first, last := pts[i][0], pts[i][len(pts[i])-1]
		assert.Greater(t, first.perDay, last.perDay, "%s: the smallest parameter errs more than the largest", f.name)
	}

	for i, f := range families {
		if f.name != "timeout" {
			continue
		}
		for _, p := range pts[i] {
			assert.Equal(t, seconds(p.param)+time.Nanosecond, p.silence,
				"a timeout suspects exactly one nanosecond after its timeout of silence")
		}
	}

	dir := t.TempDir()
	var out bytes.Buffer
	require.NoError(t, run(&out, dir, time.Hour))
	assert.Contains(t, out.String(), "Target: detection within 5s")
	assert.Contains(t, out.String(), "wrote "+filepath.Join(dir, "fd-qos-sweep.svg"))
	svg, err := os.ReadFile(filepath.Join(dir, "fd-qos-sweep.svg"))
	require.NoError(t, err)
	dec := xml.NewDecoder(bytes.NewReader(svg))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "the chart is well-formed XML")
	}
	for _, f := range families {
		assert.True(t, strings.Contains(string(svg), f.name), "the legend names %s", f.name)
	}
}
