package sim

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/clocks"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/render")

// stampTrace numbers the events and computes their Lamport and vector
// clocks by the trace conventions (Lamport 1978, IR1 and IR2; Fidge and
// Mattern for vectors): a node event ticks the node's clocks, a delivery
// first merges the clocks the message carried, and network events (Drop,
// Duplicate, Fault) carry none.
func stampTrace(tr *Trace) *Trace {
	type stamp struct {
		l uint64
		v clocks.Vector
	}
	lam := make(map[string]*clocks.Lamport)
	vec := make(map[string]*clocks.Vector)
	sent := make(map[int]stamp)
	for i := range tr.Events {
		e := &tr.Events[i]
		e.Seq = i
		if renderNetworkEvent(e.Kind) {
			if e.Kind == Duplicate {
				sent[e.Copy] = sent[e.MsgID]
			}
			continue
		}
		if lam[e.Node] == nil {
			lam[e.Node], vec[e.Node] = new(clocks.Lamport), new(clocks.Vector)
		}
		l, v := lam[e.Node], vec[e.Node]
		if e.Kind == Deliver {
			if s, ok := sent[e.MsgID]; ok {
				v.Merge(s.v)
				l.Witness(s.l)
				v.Tick(e.Node)
				e.Lamport, e.Vector = l.Now(), v.Clone()
				continue
			}
		}
		e.Lamport = l.Tick()
		v.Tick(e.Node)
		e.Vector = v.Clone()
		if e.Kind == Send {
			sent[e.MsgID] = stamp{e.Lamport, e.Vector}
		}
	}
	return tr
}

// sampleTrace is a small run with every kind of event: a, b and c exchange
// pings; b's pong is lost; the network duplicates one ping; c crashes and
// restarts; b pauses; a partition comes and goes; c's last message is
// still in flight when the trace ends.
func sampleTrace() *Trace {
	ms := time.Millisecond
	return stampTrace(&Trace{
		Seed:  42,
		Nodes: []string{"a", "b", "c"},
		Events: []Event{
			{Time: 0, Kind: Send, Node: "a", Peer: "b", MsgID: 1, Text: "ping 1"},
			{Time: 0, Kind: Send, Node: "a", Peer: "c", MsgID: 2, Text: "ping 1"},
			{Time: 1 * ms, Kind: Deliver, Node: "b", Peer: "a", MsgID: 1, Text: "ping 1"},
			{Time: 1 * ms, Kind: Send, Node: "b", Peer: "a", MsgID: 3, Text: "pong 1"},
			{Time: 1 * ms, Kind: Drop, Node: "b", Peer: "a", MsgID: 3, Text: "pong 1"},
			{Time: 1200 * time.Microsecond, Kind: Deliver, Node: "c", Peer: "a", MsgID: 2, Text: "ping 1"},
			{Time: 1200 * time.Microsecond, Kind: Local, Node: "c", Text: "stored 1"},
			{Time: 5 * ms, Kind: Crash, Node: "c"},
			{Time: 10 * ms, Kind: Timer, Node: "a", Text: "retry"},
			{Time: 10 * ms, Kind: Send, Node: "a", Peer: "b", MsgID: 4, Text: "ping 2"},
			{Time: 10 * ms, Kind: Duplicate, Node: "a", Peer: "b", MsgID: 4, Copy: 5, Text: "ping 2"},
			{Time: 10 * ms, Kind: Send, Node: "a", Peer: "c", MsgID: 6, Text: "ping 2"},
			{Time: 11 * ms, Kind: Deliver, Node: "b", Peer: "a", MsgID: 4, Text: "ping 2"},
			{Time: 11 * ms, Kind: Drop, Node: "a", Peer: "c", MsgID: 6, Text: "ping 2"},
			{Time: 12 * ms, Kind: Deliver, Node: "b", Peer: "a", MsgID: 5, Text: "ping 2"},
			{Time: 20 * ms, Kind: Restart, Node: "c"},
			{Time: 20 * ms, Kind: Local, Node: "c", Text: "stored (none)"},
			{Time: 25 * ms, Kind: Fault, Text: "partition a | b c"},
			{Time: 25 * ms, Kind: Pause, Node: "b", Text: "5ms"},
			{Time: 26 * ms, Kind: Send, Node: "a", Peer: "b", MsgID: 7, Text: "ping 3"},
			{Time: 26 * ms, Kind: Drop, Node: "a", Peer: "b", MsgID: 7, Text: "ping 3"},
			{Time: 30 * ms, Kind: Resume, Node: "b"},
			{Time: 30 * ms, Kind: Fault, Text: "heal"},
			{Time: 31 * ms, Kind: Send, Node: "b", Peer: "b", MsgID: 8, Text: "self"},
			{Time: 32 * ms, Kind: Deliver, Node: "b", Peer: "b", MsgID: 8, Text: "self"},
			{Time: 33 * ms, Kind: Send, Node: "c", Peer: "a", MsgID: 9, Text: "late"},
		},
	})
}

// awkwardTrace has names and texts that a careless renderer would break
// on: XML metacharacters, quotes, newlines, control characters, invalid
// UTF-8, spaces in node names, a client outside Nodes, and a message with
// no Send (injected).
func awkwardTrace() *Trace {
	return stampTrace(&Trace{
		Seed:  7,
		Nodes: []string{"node <1>", `"b" & co`, "c\nd"},
		Events: []Event{
			{Kind: Deliver, Node: "node <1>", Peer: "client", MsgID: 1, Text: "<script>alert('x')</script>"},
			{Kind: Send, Node: "node <1>", Peer: `"b" & co`, MsgID: 2, Text: "a]]>b\x00\x01\ttab\nnew line"},
			{Kind: Deliver, Node: `"b" & co`, Peer: "node <1>", MsgID: 2, Text: "a]]>b\x00\x01\ttab\nnew line"},
			{Kind: Local, Node: "c\nd", Text: "bad \xff utf8 \u2028 sep"},
			{Kind: Fault, Text: "link {x} -> y"},
			{Kind: Timer, Node: "elsewhere", Text: "t}"},
			{Kind: EventKind(99), Node: "c\nd", Text: "?"},
		},
	})
}

// golden compares got with testdata/render/name, or rewrites the file with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "render", name)
	if *updateGolden {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing: run go test ./sim -run Render -update")
	assert.Equal(t, string(want), string(got), "output differs from %s (rerun with -update after checking the change)", path)
}

// render calls one of the writers and returns what it wrote.
func render(t *testing.T, write func(io.Writer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, write(&b))
	return b.Bytes()
}

func TestRenderGolden(t *testing.T) {
	for name, tr := range map[string]*Trace{"sample": sampleTrace(), "awkward": awkwardTrace()} {
		t.Run(name, func(t *testing.T) {
			golden(t, name+".transcript", render(t, tr.WriteTranscript))
			golden(t, name+".svg", render(t, tr.WriteSVG))
			golden(t, name+".shiviz", render(t, tr.WriteShiViz))
		})
	}
}

func TestRenderDeterministic(t *testing.T) {
	tr := sampleTrace()
	for _, w := range []func(*Trace) func(io.Writer) error{
		func(t *Trace) func(io.Writer) error { return t.WriteTranscript },
		func(t *Trace) func(io.Writer) error { return t.WriteSVG },
		func(t *Trace) func(io.Writer) error { return t.WriteShiViz },
	} {
		first := render(t, w(tr))
		for range 3 {
			assert.Equal(t, string(first), string(render(t, w(sampleTrace()))), "rendering the same trace twice gives different output")
		}
	}
}

func TestTranscriptOneLinePerEvent(t *testing.T) {
	for _, tr := range []*Trace{sampleTrace(), awkwardTrace()} {
		lines := strings.Split(strings.TrimSuffix(string(render(t, tr.WriteTranscript)), "\n"), "\n")
		require.Len(t, lines, len(tr.Events)+2, "a transcript is a header, a column line and one line per event")
		assert.True(t, strings.HasPrefix(lines[0], "# trace: seed "), "first line is the header: %q", lines[0])
		for i, l := range lines {
			assert.Equal(t, strings.TrimRight(l, " "), l, "line %d ends in spaces", i)
		}
		// Columns are aligned: the kind column starts at the same offset
		// on every event line.
		col := strings.Index(lines[1], "kind")
		require.Positive(t, col)
		for i, e := range tr.Events {
			line := []rune(lines[i+2])
			assert.True(t, strings.HasPrefix(string(line[col:]), e.Kind.String()),
				"event %d: the kind column is not aligned: %q", i, lines[i+2])
		}
	}
}

func TestTranscriptColumns(t *testing.T) {
	out := string(render(t, sampleTrace().WriteTranscript))
	// The drop of b's pong has no clocks; the duplicate names both ids;
	// the Deliver of ping 1 at b carries a's entry (merge, then tick).
	assert.Regexp(t, `(?m)^ +4 +1ms +b +drop +a +m3 +- +- +pong 1$`, out)
	assert.Regexp(t, `(?m)^ +10 +10ms +a +duplicate +b +m4->m5 +- +- +ping 2$`, out)
	assert.Regexp(t, `(?m)^ +2 +1ms +b +deliver +a +m1 +2 +\{a:1, b:1\} +ping 1$`, out)
	assert.Regexp(t, `(?m)^ +17 +25ms +- +fault +- +- +- +- +partition a \| b c$`, out)
}

func TestTranscriptUntimed(t *testing.T) {
	tr := sampleTrace()
	for i := range tr.Events {
		tr.Events[i].Time = time.Duration(i) // as the Explorer records them
	}
	out := string(render(t, tr.WriteTranscript))
	assert.Contains(t, out, "untimed (steps)")
	assert.NotContains(t, strings.SplitN(out, "\n", 3)[1], "time", "an untimed transcript has no time column")
}

func TestTranscriptNilAndEmpty(t *testing.T) {
	var nilTrace *Trace
	for _, tr := range []*Trace{nilTrace, {}} {
		assert.Equal(t, "# trace: seed 0, 0 events, nodes: (none)\nseq  time  node  kind  peer  msg  lamport  vector  text\n",
			string(render(t, tr.WriteTranscript)))
		assert.NoError(t, xml.Unmarshal(render(t, tr.WriteSVG), new(svgDoc)))
		assert.Equal(t, shivizRegexp+"\n\n", string(render(t, tr.WriteShiViz)))
	}
}

// failingWriter fails every write.
type failingWriter struct{}

var errWrite = fmt.Errorf("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestRenderReturnsWriteErrors(t *testing.T) {
	tr := sampleTrace()
	assert.ErrorIs(t, tr.WriteTranscript(failingWriter{}), errWrite)
	assert.ErrorIs(t, tr.WriteSVG(failingWriter{}), errWrite)
	assert.ErrorIs(t, tr.WriteShiViz(failingWriter{}), errWrite)
}

// svgDoc is the part of an SVG document the tests look at.
type svgDoc struct {
	XMLName xml.Name  `xml:"http://www.w3.org/2000/svg svg"`
	Width   int       `xml:"width,attr"`
	Height  int       `xml:"height,attr"`
	Title   string    `xml:"title"`
	Texts   []svgText `xml:"text"`
	Groups  []svgG    `xml:"g"`
	Lines   []svgLine `xml:"line"`
	Rects   []struct {
		Fill  string `xml:"fill,attr"`
		Title string `xml:"title"`
	} `xml:"rect"`
}

type svgText struct {
	Text  string `xml:",chardata"`
	Title string `xml:"title"`
}

type svgLine struct {
	Stroke string `xml:"stroke,attr"`
	Dash   string `xml:"stroke-dasharray,attr"`
}

type svgG struct {
	Title   string    `xml:"title"`
	Texts   []svgText `xml:"text"`
	Lines   []svgLine `xml:"line"`
	Paths   []svgLine `xml:"path"`
	Circles []struct {
		Fill string `xml:"fill,attr"`
	} `xml:"circle"`
}

func decodeSVG(t *testing.T, data []byte) svgDoc {
	t.Helper()
	var doc svgDoc
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	require.NoError(t, d.Decode(&doc), "the SVG is not well-formed XML")
	// Decoding token by token also catches anything after the root.
	d = xml.NewDecoder(bytes.NewReader(data))
	for {
		_, err := d.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "the SVG is not well-formed XML")
	}
	return doc
}

func TestSVGWellFormedAndEscaped(t *testing.T) {
	for _, tr := range []*Trace{sampleTrace(), awkwardTrace()} {
		data := render(t, tr.WriteSVG)
		doc := decodeSVG(t, data)
		assert.Positive(t, doc.Width)
		assert.Positive(t, doc.Height)
		assert.NotContains(t, string(data), "<script>", "text must be escaped")
	}
	doc := decodeSVG(t, render(t, awkwardTrace().WriteSVG))
	var titles []string
	for _, g := range doc.Groups {
		titles = append(titles, g.Title)
	}
	all := strings.Join(titles, "\n")
	assert.Contains(t, all, `<script>alert('x')</script>`, "the tooltip carries the message text, escaped and decoded back")
	assert.Contains(t, all, "deliver m1 from client", "a message with no Send is drawn (from a client)")
}

// TestSVGDrawsEveryElement checks that each kind of event becomes the mark
// the documentation promises.
func TestSVGDrawsEveryElement(t *testing.T) {
	tr := sampleTrace()
	doc := decodeSVG(t, render(t, tr.WriteSVG))

	var names []string
	for _, txt := range doc.Texts {
		names = append(names, txt.Text)
	}
	for _, n := range tr.Nodes {
		assert.Contains(t, names, n, "every node has a named line")
	}

	// byTitle returns the marks whose tooltip mentions s, leaving out the
	// plain dots of sends and deliveries.
	byTitle := func(s string) []svgG {
		var out []svgG
		for _, g := range doc.Groups {
			dot := len(g.Circles) == 1 && g.Circles[0].Fill == "#1f4e79"
			if strings.Contains(g.Title, s) && !dot {
				out = append(out, g)
			}
		}
		return out
	}
	// Deliveries: m1, m4 and b's message to itself are arrows; m5 is the
	// duplicate's copy, drawn dashed and orange.
	for _, m := range []string{"deliver m1 from a", "deliver m4 from a", "deliver m2 from a"} {
		g := byTitle(m)
		require.Len(t, g, 1, m)
		require.Len(t, g[0].Lines, 1, "%s is drawn as one arrow", m)
		assert.Empty(t, g[0].Lines[0].Dash, "%s is a solid arrow", m)
	}
	self := byTitle("deliver m8 from b")
	require.Len(t, self, 1)
	assert.Len(t, self[0].Paths, 1, "a message to oneself is an arc")
	cp := byTitle("deliver m5 from a")
	require.Len(t, cp, 1)
	require.Len(t, cp[0].Lines, 1)
	assert.NotEmpty(t, cp[0].Lines[0].Dash, "the copy of a duplicated message is dashed")
	assert.Equal(t, "#d9822b", cp[0].Lines[0].Stroke)

	// Drops: a red dashed line and a cross.
	for _, m := range []string{"drop m3 from b to a", "drop m6 from a to c", "drop m7 from a to b"} {
		g := byTitle(m)
		require.Len(t, g, 1, m)
		require.Len(t, g[0].Lines, 1, "%s: a line from the send", m)
		assert.Equal(t, "#c62828", g[0].Lines[0].Stroke)
		require.Len(t, g[0].Paths, 1, "%s: a cross", m)
	}
	dup := byTitle("duplicate m4 from a to b as m5")
	require.Len(t, dup, 1)
	assert.Equal(t, "2", dup[0].Texts[0].Text, "a duplicate is marked with a 2")

	crash := byTitle("on c: crash")
	require.Len(t, crash, 1)
	require.Len(t, crash[0].Paths, 1, "a crash is a red X")
	assert.Equal(t, "#c62828", crash[0].Paths[0].Stroke)

	// c's line is dashed from its crash to its restart.
	var dashed int
	for _, l := range doc.Lines {
		if l.Stroke == "#c62828" && l.Dash != "" {
			dashed++
		}
	}
	assert.Equal(t, 1, dashed, "one node was down once: one dashed stretch of line")

	var paused bool
	for _, r := range doc.Rects {
		paused = paused || r.Title == "b paused"
	}
	assert.True(t, paused, "a pause is a grey band over the node's line")

	for _, f := range []string{"partition a | b c", "heal"} {
		g := byTitle("fault: " + f)
		require.Len(t, g, 1, f)
		require.Len(t, g[0].Lines, 1, "a fault is a vertical line")
		assert.Equal(t, f, g[0].Texts[0].Text, "a fault is labelled with its text")
	}
	late := byTitle("m9 is still in flight at the end")
	require.Len(t, late, 1, "a message still in flight at the end is drawn")
	require.Len(t, late[0].Lines, 1)
	assert.NotEmpty(t, late[0].Lines[0].Dash, "a message in flight is a dashed arrow")
	assert.Equal(t, "late", late[0].Texts[0].Text, "a message in flight is labelled with its text; the title and legend say it is in flight")

	notes := byTitle("note: stored 1")
	require.Len(t, notes, 1)
	assert.Equal(t, "stored 1", notes[0].Texts[0].Text, "a note is labelled with its text")
	assert.Contains(t, notes[0].Title, "Lamport 4, vector {a:2, c:2}", "tooltips carry the clocks")
}

// TestSVGElidesLongTraces checks the cap: a long trace keeps the first and
// last events and says how many it left out.
func TestSVGElidesLongTraces(t *testing.T) {
	tr := &Trace{Nodes: []string{"a", "b"}}
	for i := range 1000 {
		from, to := "a", "b"
		if i%2 == 1 {
			from, to = "b", "a"
		}
		tr.Events = append(tr.Events,
			Event{Time: time.Duration(i) * time.Millisecond, Kind: Send, Node: from, Peer: to, MsgID: i + 1, Text: fmt.Sprint("m", i)},
			Event{Time: time.Duration(i)*time.Millisecond + 500*time.Microsecond, Kind: Deliver, Node: to, Peer: from, MsgID: i + 1, Text: fmt.Sprint("m", i)})
	}
	stampTrace(tr)
	data := render(t, tr.WriteSVG)
	doc := decodeSVG(t, data)
	assert.Less(t, len(data), 400_000, "the SVG of a long trace stays small")
	assert.LessOrEqual(t, doc.Width, 24+svgColumn*(svgMaxEvents+2)+200, "the SVG of a long trace stays narrow")
	var note string
	for _, txt := range doc.Texts {
		if strings.Contains(txt.Text, "not drawn") {
			note = txt.Text
		}
	}
	assert.Equal(t, "1700 of 2000 events are not drawn (between the first and the last 150); the transcript has them all.", note)
	var first, last bool
	for _, g := range doc.Groups {
		first = first || strings.HasPrefix(g.Title, "#1 ")
		last = last || strings.HasPrefix(g.Title, "#1999 ")
		assert.False(t, strings.HasPrefix(g.Title, "#1000 "), "an event in the middle is drawn")
	}
	assert.True(t, first && last, "the first and last events are drawn")
}

// shivizHostRE and friends come from the regular expression the log
// declares on its first line.
func parseShiViz(t *testing.T, data []byte) (re *regexp.Regexp, lines []string) {
	t.Helper()
	text := string(data)
	require.True(t, strings.HasSuffix(text, "\n"), "the log ends with a newline")
	all := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	require.GreaterOrEqual(t, len(all), 2, "a ShiViz file has a regexp line and a delimiter line")
	// ShiViz writes named groups as (?<name>...), JavaScript style; Go's
	// own syntax is (?P<name>...).
	goRE := strings.ReplaceAll(all[0], "(?<", "(?P<")
	re = regexp.MustCompile(goRE)
	for _, g := range []string{"host", "clock", "event"} {
		require.GreaterOrEqual(t, re.SubexpIndex(g), 0, "the regexp has the named group %q ShiViz requires", g)
	}
	assert.Empty(t, all[1], "no delimiter: the log holds one execution")
	return re, all[2:]
}

// TestShiVizFormat checks the log against what ShiViz requires of it
// (ShiViz's documentation and its ModelGraph checks): every line matches
// the regexp; each clock is a JSON object holding the host's own entry;
// a host's own entries run 1, 2, 3, ... in log order; every host a clock
// names is a host of the log, with a count it reached; and the clocks
// order sends before their deliveries.
func TestShiVizFormat(t *testing.T) {
	for _, tr := range []*Trace{sampleTrace(), awkwardTrace()} {
		checkShiViz(t, render(t, tr.WriteShiViz))
	}
}

// checkShiViz checks a log against ShiViz's rules; see TestShiVizFormat.
func checkShiViz(t *testing.T, data []byte) {
	t.Helper()
	re, lines := parseShiViz(t, data)
	type entry struct {
		host  string
		clock map[string]uint64
	}
	var entries []entry
	own := make(map[string]uint64)
	for i, l := range lines {
		m := re.FindStringSubmatch(l)
		require.NotNil(t, m, "line %d does not match the regexp: %q", i+3, l)
		assert.Equal(t, l, m[0], "the regexp matches whole lines")
		e := entry{host: m[re.SubexpIndex("host")]}
		require.NoError(t, json.Unmarshal([]byte(m[re.SubexpIndex("clock")]), &e.clock), "line %d: the clock is not JSON", i+3)
		require.Contains(t, e.clock, e.host, "line %d: the clock lacks the host's own entry", i+3)
		assert.Equal(t, own[e.host]+1, e.clock[e.host], "line %d: a host's own clock entries must run 1, 2, 3...", i+3)
		own[e.host] = e.clock[e.host]
		for _, c := range e.clock {
			assert.Positive(t, c, "line %d: zero entries are not allowed", i+3)
		}
		entries = append(entries, e)
	}
	// Every entry names a host of the log with a count it reaches.
	for i, e := range entries {
		for h, c := range e.clock {
			require.Contains(t, own, h, "entry %d names host %q, which has no event", i, h)
			assert.LessOrEqual(t, c, own[h], "entry %d: %q never reaches %d", i, h, c)
		}
	}
}

// TestShiVizClocksMatchTrace checks that for a trace whose clocks follow
// the conventions, the log's clocks are the trace's own vectors.
func TestShiVizClocksMatchTrace(t *testing.T) {
	tr := sampleTrace()
	assert.Equal(t, 2, checkShiVizClocks(t, tr), "faults are events of the network pseudo-host")
	out := string(render(t, tr.WriteShiViz))
	assert.Contains(t, out, "send m3 to a: pong 1 (dropped)", "a send says when its message was lost")
	assert.Contains(t, out, "send m4 to b: ping 2 (duplicated as m5)")
}

// checkShiVizClocks checks that every node event of tr is a line of its
// ShiViz log, in order, with the event's own vector clock, and returns the
// number of network (fault) lines.
func checkShiVizClocks(t *testing.T, tr *Trace) (faults int) {
	t.Helper()
	re, lines := parseShiViz(t, render(t, tr.WriteShiViz))
	var nodeEvents []Event
	for _, e := range tr.Events {
		if !renderNetworkEvent(e.Kind) {
			nodeEvents = append(nodeEvents, e)
		}
	}
	for _, l := range lines {
		m := re.FindStringSubmatch(l)
		require.NotNil(t, m)
		if m[re.SubexpIndex("host")] == "network" {
			faults++
			continue
		}
		require.NotEmpty(t, nodeEvents, "more lines than node events")
		e := nodeEvents[0]
		nodeEvents = nodeEvents[1:]
		var v clocks.Vector
		require.NoError(t, json.Unmarshal([]byte(m[re.SubexpIndex("clock")]), &v))
		assert.True(t, v.Equal(e.Vector), "event %d: the log's clock %v differs from the trace's %v", e.Seq, v, e.Vector)
		assert.Equal(t, e.Node, m[re.SubexpIndex("host")])
	}
	assert.Empty(t, nodeEvents, "every node event is in the log")
	return faults
}

// chatter is a protocol for TestRenderRealRun: every node greets every
// other at start and on a timer, and answers greetings.
type chatter struct{ rounds int }

func (c *chatter) Start(ctx *Context[string]) {
	ctx.Broadcast("hello")
	ctx.SetTimer("again", 5*time.Millisecond)
}

func (c *chatter) Receive(ctx *Context[string], from, msg string) {
	if msg == "hello" {
		ctx.Send(from, "welcome")
	}
}

func (c *chatter) Timeout(ctx *Context[string], name string) {
	if c.rounds++; c.rounds < 3 {
		ctx.Broadcast("hello")
		ctx.SetTimer("again", 5*time.Millisecond)
		return
	}
	ctx.Note("done")
}

// TestRenderRealRun renders a simulated run with every kind of fault and
// checks the three renderings against one another and the trace.
func TestRenderRealRun(t *testing.T) {
	s, err := New(Config{
		Seed:  3,
		Nodes: []string{"a", "b", "c"},
		Link:  LinkConfig{Latency: Uniform(time.Millisecond, 4*time.Millisecond), Loss: 0.15, Duplicate: 0.15},
	}, func(string) Node[string] { return &chatter{} })
	require.NoError(t, err)
	ms := time.Millisecond
	s.At(2*ms, func(s *Sim[string]) { _ = s.Inject("client", "a", "hello") })
	s.At(3*ms, func(s *Sim[string]) { _ = s.Partition([]string{"a"}, []string{"b", "c"}) })
	s.At(6*ms, func(s *Sim[string]) { _ = s.Crash("c") })
	s.At(7*ms, func(s *Sim[string]) { _ = s.Pause("b", 3*ms) })
	s.At(8*ms, func(s *Sim[string]) { s.Heal() })
	s.At(12*ms, func(s *Sim[string]) { _ = s.Restart("c") })
	require.NoError(t, s.Run())
	tr := s.Trace()
	kinds := make(map[EventKind]bool)
	for _, e := range tr.Events {
		kinds[e.Kind] = true
	}
	for k := Send; k <= Fault; k++ {
		require.True(t, kinds[k], "the run should have a %s event", k.String())
	}

	lines := strings.Split(strings.TrimSuffix(string(render(t, tr.WriteTranscript)), "\n"), "\n")
	assert.Len(t, lines, len(tr.Events)+2, "one transcript line per event")

	doc := decodeSVG(t, render(t, tr.WriteSVG))
	marks := 0
	for _, g := range doc.Groups {
		if strings.HasPrefix(g.Title, "#") {
			marks++
		}
	}
	assert.GreaterOrEqual(t, marks, len(tr.Events), "every event has at least one mark in the SVG")

	checkShiViz(t, render(t, tr.WriteShiViz))
	faults := 0
	for _, e := range tr.Events {
		if e.Kind == Fault {
			faults++
		}
	}
	assert.Equal(t, faults, checkShiVizClocks(t, tr), "the simulator's clocks are the ones ShiViz needs; one network line per fault")
}

func TestShiVizHostNames(t *testing.T) {
	tr := stampTrace(&Trace{
		Nodes: []string{"a b", "a_b", "network", "x{y}", "", "h:7000"},
		Events: []Event{
			{Kind: Local, Node: "a b"}, {Kind: Local, Node: "a_b"}, {Kind: Local, Node: "network"},
			{Kind: Local, Node: "x{y}"}, {Kind: Local, Node: ""}, {Kind: Local, Node: "h:7000"},
			{Kind: Fault, Text: "heal"},
		},
	})
	re, lines := parseShiViz(t, render(t, tr.WriteShiViz))
	var hosts []string
	for _, l := range lines {
		hosts = append(hosts, re.FindStringSubmatch(l)[re.SubexpIndex("host")])
	}
	// An event with no node cannot be shown; the rest get distinct hosts
	// made of safe characters.
	assert.Equal(t, []string{"a_b", "a_b~2", "network", "x_y_", "h:7000", "network~2"}, hosts)
}

// BenchmarkRender measures the three renderings of a 2,000-event trace
// (the SVG draws 300 of them).
func BenchmarkRender(b *testing.B) {
	tr := &Trace{Nodes: []string{"a", "b", "c"}}
	for i := range 1000 {
		from, to := []string{"a", "b", "c"}[i%3], []string{"a", "b", "c"}[(i+1)%3]
		tr.Events = append(tr.Events,
			Event{Time: time.Duration(i) * time.Millisecond, Kind: Send, Node: from, Peer: to, MsgID: i + 1, Text: fmt.Sprint("msg ", i)},
			Event{Time: time.Duration(i)*time.Millisecond + 500*time.Microsecond, Kind: Deliver, Node: to, Peer: from, MsgID: i + 1, Text: fmt.Sprint("msg ", i)})
	}
	stampTrace(tr)
	for name, write := range map[string]func(io.Writer) error{
		"Transcript": tr.WriteTranscript, "SVG": tr.WriteSVG, "ShiViz": tr.WriteShiViz,
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := write(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
