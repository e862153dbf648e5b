package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// quick runs the command with -quick once for every test that reads it.
var quick = sync.OnceValues(func() (quickRun, error) {
	dir, err := os.MkdirTemp("", "fpaxos")
	if err != nil {
		return quickRun{}, err
	}
	var out bytes.Buffer
	o := options{nRange: "3-10", quick: true, out: dir, workers: 2}
	o.st.Warmup, o.st.Seed, o.st.Service, o.st.Bandwidth, o.st.Outstanding = defaultWarmup, 1, defaultService, defaultBandwidth, 10
	res, err := run(&out, o)
	return quickRun{dir: dir, table: out.String(), res: res}, err
})

type quickRun struct {
	dir   string
	table string
	res   []result
}

func quickResults(t *testing.T) quickRun {
	t.Helper()
	q, err := quick()
	require.NoError(t, err)
	return q
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
	q := quickResults(t)
	for _, r := range q.res {
		if !r.Majority {
			continue
		}
		flex := find(t, q.res, config{N: r.N, Q1: r.N - (r.N/2 + 1) + 1, Q2: r.N/2 + 1, Thrifty: r.Thrifty})
		assert.InEpsilon(t, flex.Throughput, r.Throughput, 0.02,
			"%v: majority Multi-Paxos measures as q2 = floor(n/2)+1 (%v)", r.config, flex.config)
	}
}

// The command prints one markdown row per configuration pair and writes
// the table and a well-formed SVG chart naming every n.
func TestOutput(t *testing.T) {
	q := quickResults(t)
	rows := strings.Count(q.table, "\n| ")
	assert.Equal(t, len(q.res)/2, rows-1, "one row per configuration, thrifty and not side by side, after the header")
	md, err := os.ReadFile(filepath.Join(q.dir, "fpaxos.md"))
	require.NoError(t, err)
	assert.Equal(t, q.table, string(md), "-out writes the table printed")
	svg, err := os.ReadFile(filepath.Join(q.dir, "fpaxos-throughput.svg"))
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
	st := defaultSetup(setup{Seed: 7, Warmup: defaultWarmup, Duration: defaultWarmup, Service: defaultService,
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
	o.st.Warmup, o.st.Outstanding = defaultWarmup, 10
	_, err := run(&out, o)
	assert.Error(t, err, "a zero -duration is refused")
}
