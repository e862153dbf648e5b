package main

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/clocks"
)

// The tour is teaching material: these tests check that what it prints is
// true. They read the printed lesson, as a student would, and hold each
// claim against an independent oracle (the happened-before relation built
// from the script by its definition) or against the clocks themselves.

// runTour runs the tour (one section, or all when only is "") into dir and
// returns what it printed and the files it wrote.
func runTour(t *testing.T, dir, only string) (string, []string) {
	t.Helper()
	var out bytes.Buffer
	files, err := run(&out, dir, only, true)
	require.NoError(t, err, "the tour failed")
	return out.String(), files
}

func TestTourIsDeterministic(t *testing.T) {
	dir1, dir2 := t.TempDir(), t.TempDir()
	out1, files1 := runTour(t, dir1, "")
	out2, files2 := runTour(t, dir2, "")
	out3, _ := runTour(t, dir1, "") // again into the same folder, overwriting
	require.NotEmpty(t, out1)
	assert.Equal(t, out1, out2, "two runs of the tour printed different lessons")
	assert.Equal(t, out1, out3, "a run into a folder that already has diagrams printed a different lesson")
	require.Equal(t, files1, files2, "two runs wrote different sets of diagrams")
	for _, f := range files1 {
		a, err := os.ReadFile(filepath.Join(dir1, f))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(dir2, f))
		require.NoError(t, err)
		assert.Equal(t, a, b, "two runs drew %s differently", f)
	}
}

func TestTourCreatesTheOutputFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "does", "not", "exist")
	_, files := runTour(t, dir, "clocks")
	require.NotEmpty(t, files, "the clocks section wrote no diagram")
	for _, f := range files {
		assert.FileExists(t, filepath.Join(dir, f))
	}
}

func TestTourSectionFlag(t *testing.T) {
	all, _ := runTour(t, t.TempDir(), "")
	one, _ := runTour(t, t.TempDir(), "clocks")
	assert.Contains(t, all, one[strings.Index(one, "\n"):], "the clocks section alone should print what it prints within the whole tour")

	_, err := run(io.Discard, t.TempDir(), "no-such-section", false)
	require.Error(t, err, "an unknown section must be an error")
	assert.Contains(t, err.Error(), "clocks", "the error should list the sections that exist")
}

func TestTourDiagramsAreWellFormedSVG(t *testing.T) {
	dir := t.TempDir()
	_, files := runTour(t, dir, "")
	require.Contains(t, files, "clocks-spacetime.svg")
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		texts := svgTexts(t, data)
		if f == "clocks-spacetime.svg" {
			// One labelled dot per event of the run.
			for _, e := range lamportVectorRun(threeProcesses) {
				assert.Contains(t, texts, e.name, "the diagram has no label for event %s", e.name)
				assert.Contains(t, texts, compactVector(e.vector), "the diagram does not show %s's vector", e.name)
			}
		}
	}
}

// svgTexts decodes an SVG document completely, failing the test if it is
// not well-formed XML with an <svg> root, and returns the character data of
// its <text> elements.
func svgTexts(t *testing.T, data []byte) []string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	var texts []string
	var root string
	inText := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "the SVG is not well-formed XML")
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
			}
			inText = tok.Name.Local == "text"
		case xml.EndElement:
			inText = false
		case xml.CharData:
			if inText {
				texts = append(texts, string(tok))
			}
		}
	}
	require.Equal(t, "svg", root, "the document's root element is not <svg>")
	return texts
}

// happenedBefore is the oracle: Lamport's relation computed from a script
// by its definition (process order, send before receive, transitively
// closed), without any clock. hb[i][j] means event i happened before event
// j; events are numbered in script order.
func happenedBefore(script []step) [][]bool {
	n := len(script)
	hb := make([][]bool, n)
	for i := range hb {
		hb[i] = make([]bool, n)
	}
	sendOf := map[string]int{}
	for j, s := range script {
		for i := range j {
			if script[i].proc == s.proc {
				hb[i][j] = true
			}
		}
		switch s.kind {
		case sendStep:
			sendOf[s.msg] = j
		case receiveStep:
			hb[sendOf[s.msg]][j] = true
		}
	}
	// Transitive closure; events are in run order, so a single pass over
	// intermediate events k < j suffices (Warshall's algorithm).
	for k := range n {
		for i := range n {
			if hb[i][k] {
				for j := range n {
					if hb[k][j] {
						hb[i][j] = true
					}
				}
			}
		}
	}
	return hb
}

// printedEvent is a row of the printed event table.
type printedEvent struct {
	index   int // row number, which is script order
	name    string
	proc    string
	lamport uint64
	vector  clocks.Vector
}

var eventRow = regexp.MustCompile(`^  ([a-z]\d+)\s+(alice|bob|carol)\s+.*?\s(\d+)  (\{.*\})$`)

// parseVector reads the String form "{alice:2, bob:3}" back into a Vector,
// independently of the package's own decoders.
func parseVector(t *testing.T, s string) clocks.Vector {
	t.Helper()
	require.True(t, strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"), "vector %q", s)
	var entries []clocks.Entry
	for part := range strings.SplitSeq(s[1:len(s)-1], ", ") {
		if part == "" {
			continue
		}
		id, count, ok := strings.Cut(part, ":")
		require.True(t, ok, "vector entry %q", part)
		n, err := strconv.ParseUint(count, 10, 64)
		require.NoError(t, err, "vector entry %q", part)
		entries = append(entries, clocks.Entry{ID: id, Count: n})
	}
	return clocks.VectorOf(entries...)
}

// unwrap joins the lines of every paragraph of the printed lesson, so that
// sentences can be matched whatever the line wrapping.
func unwrap(out string) string {
	return strings.Join(strings.Fields(out), " ")
}

func TestTourLamportAndVectorClaims(t *testing.T) {
	out, _ := runTour(t, t.TempDir(), "clocks")
	hb := happenedBefore(threeProcesses)

	// The event table: one row per step of the script, in order.
	var events []printedEvent
	byName := map[string]printedEvent{}
	for line := range strings.SplitSeq(out, "\n") {
		m := eventRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		l, err := strconv.ParseUint(m[3], 10, 64)
		require.NoError(t, err)
		e := printedEvent{index: len(events), name: m[1], proc: m[2], lamport: l, vector: parseVector(t, m[4])}
		events = append(events, e)
		byName[e.name] = e
	}
	require.Len(t, events, len(threeProcesses), "the event table should have one row per step of the run")

	for _, x := range events {
		assert.Equal(t, threeProcesses[x.index].proc, x.proc, "row %s is on the wrong process", x.name)
		for _, y := range events {
			if x.index == y.index {
				continue
			}
			got := x.vector.Compare(y.vector)
			switch {
			case hb[x.index][y.index]:
				assert.Equal(t, clocks.Before, got, "strong clock condition: %s happened before %s, so V(%s) < V(%s)", x.name, y.name, x.name, y.name)
				assert.Less(t, x.lamport, y.lamport, "clock condition: %s happened before %s, so L(%s) < L(%s)", x.name, y.name, x.name, y.name)
			case hb[y.index][x.index]:
				assert.Equal(t, clocks.After, got, "strong clock condition: %s happened before %s", y.name, x.name)
			default:
				assert.Equal(t, clocks.Concurrent, got, "strong clock condition: %s and %s are concurrent, so their vectors must be incomparable", x.name, y.name)
			}
		}
	}

	// The matrix: row x, column y, the relation of x to y.
	header := regexp.MustCompile(`(?m)^      ((?:\s+[a-z]\d+)+)$`).FindStringSubmatch(out)
	require.NotNil(t, header, "the lesson prints no relation matrix")
	cols := strings.Fields(header[1])
	require.Len(t, cols, len(events))
	rows := 0
	matrix := out[strings.Index(out, header[0])+len(header[0])+1:]
	matrix = matrix[:strings.Index(matrix, "\n\n")]
	for line := range strings.SplitSeq(matrix, "\n") {
		f := strings.Fields(line)
		require.Len(t, f, len(cols)+1, "matrix row %q", line)
		require.NotEmpty(t, byName[f[0]].name, "matrix row %q", line)
		rows++
		x := byName[f[0]]
		for k, sym := range f[1:] {
			y := byName[cols[k]]
			want := "||"
			switch {
			case x.index == y.index:
				want = "="
			case hb[x.index][y.index]:
				want = "->"
			case hb[y.index][x.index]:
				want = "<-"
			}
			assert.Equal(t, want, sym, "the matrix misstates how %s relates to %s", x.name, y.name)
		}
	}
	assert.Equal(t, len(events), rows, "the matrix should have a row per event")

	// The counts in the summary.
	ordered, concurrent, split := 0, 0, 0
	for i := range events {
		for j := i + 1; j < len(events); j++ {
			if hb[i][j] || hb[j][i] {
				ordered++
			} else {
				concurrent++
				if events[i].lamport != events[j].lamport {
					split++
				}
			}
		}
	}
	text := unwrap(out)
	assert.Contains(t, text, fmt.Sprintf("Of the %d pairs of events, %d are causally ordered and %d are concurrent. For %d of the %d ordered pairs",
		ordered+concurrent, ordered, concurrent, ordered, ordered))
	assert.Contains(t, text, fmt.Sprintf("%d of the %d concurrent pairs have different Lamport times", split, concurrent))

	// The pair the lesson explains.
	m := regexp.MustCompile(`Lamport orders (\w+) before (\w+) \(L\(\w+\) = (\d+) < L\(\w+\) = (\d+)\), yet they are concurrent\.`).FindStringSubmatch(text)
	require.NotNil(t, m, "the lesson names no Lamport-ordered concurrent pair")
	x, y := byName[m[1]], byName[m[2]]
	require.NotEmpty(t, x.name, "%s is not in the event table", m[1])
	require.NotEmpty(t, y.name, "%s is not in the event table", m[2])
	assert.Equal(t, fmt.Sprint(x.lamport), m[3], "the lesson misquotes L(%s)", x.name)
	assert.Equal(t, fmt.Sprint(y.lamport), m[4], "the lesson misquotes L(%s)", y.name)
	assert.Less(t, x.lamport, y.lamport, "the pair is not Lamport-ordered")
	assert.False(t, hb[x.index][y.index] || hb[y.index][x.index], "%s and %s are causally related, not concurrent", x.name, y.name)
	assert.Equal(t, clocks.Concurrent, x.vector.Compare(y.vector), "Compare does not call %s and %s concurrent", x.name, y.name)

	// The chain that explains L(y): a real causal chain whose length is L(y).
	m = regexp.MustCompile(`For (\w+) that is ([\w >-]+) \((\d+) events\)`).FindStringSubmatch(text)
	require.NotNil(t, m, "the lesson does not explain the Lamport time with a chain")
	require.Equal(t, y.name, m[1])
	chain := strings.Split(m[2], " -> ")
	assert.Equal(t, fmt.Sprint(len(chain)), m[3], "the chain's length is misquoted")
	assert.Equal(t, fmt.Sprint(y.lamport), m[3], "a Lamport time is the length of the longest chain ending at the event")
	assert.Equal(t, y.name, chain[len(chain)-1], "the chain should end at %s", y.name)
	for k := 1; k < len(chain); k++ {
		a, b := byName[chain[k-1]], byName[chain[k]]
		assert.True(t, hb[a.index][b.index], "the chain's step %s -> %s is not happened-before", a.name, b.name)
	}
}

func TestTourHybridClaims(t *testing.T) {
	rows := hybridRun(hlcScript)
	require.Len(t, rows, len(hlcScript))

	// The spread of the physical clocks of the nodes whose timestamps were
	// accepted, computed here from the offsets and the clock steps.
	offsets := map[string]time.Duration{}
	for n, o := range hlcOffsets {
		offsets[n] = o
	}
	lo, hi := offsets["alice"], offsets["alice"]
	refused := map[string]bool{}
	for _, r := range rows {
		if r.err != nil {
			refused[r.remote.String()] = true
		}
	}
	spread := func() {
		for n, o := range offsets {
			if n == "dave" {
				continue // every timestamp of dave's is refused, checked below
			}
			lo, hi = min(lo, o), max(hi, o)
		}
	}
	spread()

	last := map[string]clocks.Timestamp{}
	sent := map[string]clocks.Timestamp{}
	steppedBack := false
	for _, r := range rows {
		if r.kind == hlcAdjust {
			offsets[r.node] += r.shift
			spread()
			steppedBack = steppedBack || r.shift < 0
			assert.Equal(t, r.before, r.ts, "adjusting a physical clock must not change the hybrid clock")
			continue
		}
		if r.err != nil {
			assert.ErrorIs(t, r.err, clocks.ErrClockOffset, "a refused timestamp must wrap ErrClockOffset")
			assert.Equal(t, r.before, r.ts, "a refused Update must leave the clock unchanged")
			assert.Greater(t, time.Duration(r.remote.Wall-r.physical), hlcMaxOffset, "only timestamps beyond the maximum offset may be refused")
			continue
		}
		if r.node == "dave" {
			continue
		}
		assert.GreaterOrEqual(t, r.ts.Wall, r.physical, "%s at %s: the wall part fell behind the physical clock", r.node, r.at)
		assert.LessOrEqual(t, time.Duration(r.ts.Wall-r.physical), hi-lo, "%s at %s: the wall part got further ahead of physical time than the clocks disagree", r.node, r.at)
		if prev, ok := last[r.node]; ok {
			assert.True(t, prev.Before(r.ts), "monotonicity: %s issued %s after %s", r.node, r.ts, prev)
		}
		last[r.node] = r.ts
		switch r.kind {
		case hlcSend:
			sent[r.msg] = r.ts
		case hlcReceive:
			assert.True(t, sent[r.msg].Before(r.ts), "causality: receiving %s must be after sending it", r.msg)
		}
	}
	assert.True(t, steppedBack, "the lesson promises a physical clock stepping backwards")
	assert.Len(t, refused, 1, "the lesson promises exactly one refused timestamp")

	// What the lesson prints about the run.
	out, _ := runTour(t, t.TempDir(), "clocks")
	text := unwrap(out)
	m := regexp.MustCompile(`at most (\S+) here, while the clocks of alice, bob and carol were up to (\S+) apart`).FindStringSubmatch(text)
	require.NotNil(t, m, "the lesson does not state the divergence bound")
	ahead, err := time.ParseDuration(m[1])
	require.NoError(t, err)
	apart, err := time.ParseDuration(m[2])
	require.NoError(t, err)
	assert.LessOrEqual(t, ahead, apart, "bounded divergence: the hybrid clock ran further ahead than the clocks disagree")
	assert.Equal(t, hi-lo, apart, "the lesson misstates how far apart the clocks were")
	assert.Contains(t, text, "errors.Is reports true")
	assert.Contains(t, out, "refused")
}

func TestTourITCClaims(t *testing.T) {
	records, err := itcRun(itcScript)
	require.NoError(t, err)
	compares := 0
	for _, r := range records {
		if r.kind != itcCompare {
			continue
		}
		compares++
		assert.Equal(t, r.vvSays, r.itcSays, "ITC and version vectors disagree comparing %s with %s", r.who, r.other)
	}
	require.NotZero(t, compares)

	out, _ := runTour(t, t.TempDir(), "clocks")
	// Every printed comparison names the same order twice.
	cmp := regexp.MustCompile(`compare (\w+) with (\w+): the stamps say (\w+), the version vectors say (\w+)`)
	printed := cmp.FindAllStringSubmatch(out, -1)
	assert.Len(t, printed, compares, "the lesson should print every comparison")
	for _, m := range printed {
		assert.Equal(t, m[3], m[4], "the lesson shows a disagreement comparing %s with %s", m[1], m[2])
	}
	// A fork really produces concurrent replicas once both record events.
	assert.Contains(t, out, "compare alice with bob: the stamps say concurrent")

	// The final stamp the lesson shows is the final stamp of the run, and
	// it is as small as a seed.
	final := records[len(records)-1]
	require.Len(t, final.stamps, 1)
	m := regexp.MustCompile(`the stamp is (\(1, \d+\)):`).FindStringSubmatch(unwrap(out))
	require.NotNil(t, m, "the lesson does not show the collapsed stamp")
	shown, err := clocks.ParseStamp(m[1])
	require.NoError(t, err)
	for _, st := range final.stamps {
		assert.True(t, st.Equal(shown), "the lesson shows %s but the run ended with %s", shown, st)
		n := clocks.Seed()
		for range 64 {
			if n.Compare(st) != clocks.Before {
				break
			}
			n = n.Event()
		}
		assert.True(t, n.Equal(st), "a collapsed stamp should equal a seed that recorded as many events")
	}
}

// pointwise compares two event trees as functions over [0, 1), the
// definition of the order on interval tree clocks, using the tour's own
// reading of the paper notation (independent of Stamp.Compare).
func pointwise(t *testing.T, a, b clocks.Stamp) clocks.Order {
	t.Helper()
	_, ea, err := parseStampNotation(a.String())
	require.NoError(t, err)
	_, eb, err := parseStampNotation(b.String())
	require.NoError(t, err)
	sa, sb := ea.segments(0, 1, 0), eb.segments(0, 1, 0)
	var cuts []float64
	for _, s := range append(slices.Clone(sa), sb...) {
		cuts = append(cuts, s.lo, s.hi)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	at := func(segs []span, x float64) uint64 {
		for _, s := range segs {
			if s.lo <= x && x < s.hi {
				return s.value
			}
		}
		t.Fatalf("no segment covers %v", x)
		return 0
	}
	le, ge := true, true
	for k := 1; k < len(cuts); k++ {
		mid := (cuts[k-1] + cuts[k]) / 2
		va, vb := at(sa, mid), at(sb, mid)
		le = le && va <= vb
		ge = ge && va >= vb
	}
	switch {
	case le && ge:
		return clocks.Equal
	case le:
		return clocks.Before
	case ge:
		return clocks.After
	}
	return clocks.Concurrent
}

func TestTourITCDrawing(t *testing.T) {
	records, err := itcRun(itcScript)
	require.NoError(t, err)
	for _, r := range records {
		// The ids of live replicas never overlap, and together they always
		// cover the whole interval: a retiring replica hands its part back.
		var owned []span
		for n, st := range r.stamps {
			id, _, err := parseStampNotation(st.String())
			require.NoError(t, err, "the tour cannot read %s's stamp %s", n, st)
			owned = append(owned, id.owned(0, 1)...)
		}
		slices.SortFunc(owned, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
		total := 0.0
		for k, s := range owned {
			if k > 0 {
				assert.LessOrEqual(t, owned[k-1].hi, s.lo, "after %q two replicas own overlapping ids", r.what)
			}
			total += s.hi - s.lo
		}
		assert.InDelta(t, 1.0, total, 1e-12, "after %q the ids do not cover the interval", r.what)

		if r.kind == itcCompare {
			assert.Equal(t, pointwise(t, r.stamps[r.who], r.stamps[r.other]), r.itcSays,
				"comparing %s with %s: Compare disagrees with the pointwise order of the event trees", r.who, r.other)
		}
	}
}

// TestTourShortPath: the default tour is short, says how to get the rest
// in its first lines, and each of its sections is the beginning of the
// same section in the full tour, cut where the full one goes on with a
// pointer to it.
func TestTourShortPath(t *testing.T) {
	var short, full bytes.Buffer
	_, err := run(&short, t.TempDir(), "", false)
	require.NoError(t, err)
	_, err = run(&full, t.TempDir(), "", true)
	require.NoError(t, err)
	shortLines, fullLines := strings.Count(short.String(), "\n"), strings.Count(full.String(), "\n")
	require.Less(t, shortLines*10, fullLines*7, "the short tour (%d lines) must be well under the full one (%d lines)", shortLines, fullLines)
	head := strings.Join(strings.SplitN(short.String(), "\n", 6)[:5], "\n")
	for _, flagName := range []string{"-full", "-section", "-out"} {
		require.Contains(t, head, flagName, "the tour's first lines must say how to use %s", flagName)
	}

	cuts := 0
	for _, s := range sections {
		var one, all bytes.Buffer
		_, err := run(&one, t.TempDir(), s.name, false)
		require.NoError(t, err)
		_, err = run(&all, t.TempDir(), s.name, true)
		require.NoError(t, err)
		pointer := "go run ./examples/tour -full -section " + s.name
		text := one.String()
		if !strings.Contains(text, pointer) {
			require.Equal(t, all.String(), text, "section %s has no brief point, so the short and full versions must be equal", s.name)
			continue
		}
		cuts++
		i := strings.LastIndex(text, "The full tour goes on with")
		require.Greater(t, i, 0)
		require.True(t, strings.HasPrefix(all.String(), text[:i]),
			"the short version of section %s must be the beginning of the full one", s.name)
		require.Less(t, len(text), len(all.String()), "section %s: the full version goes on", s.name)
		require.Contains(t, short.String(), pointer, "the whole short tour stops section %s at the same point", s.name)
	}
	require.GreaterOrEqual(t, cuts, 4, "most sections have a short path")
}
