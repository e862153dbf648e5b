package sim

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// svgMaxEvents is the number of events WriteSVG draws at most; a longer
// trace is drawn as its first and last svgMaxEvents/2 events with a band
// for the rest.
const svgMaxEvents = 300

// Layout of the space-time diagram, in SVG user units (pixels). Every
// coordinate is an integer, so the output is identical on every platform.
const (
	svgColumn    = 34  // distance between consecutive events
	svgRow       = 100 // distance between process lines
	svgTop       = 96  // room for the title and the labels of the first line
	svgDot       = 6   // event radius
	svgNameChars = 20  // longest node name drawn in full
	svgLabelRune = 16  // longest label drawn in full
	svgLineGap   = 18  // line height of the notes under the diagram
)

// WriteSVG writes the trace as a standalone SVG space-time diagram, in the
// style of Lamport's 1978 figures turned on their side: one horizontal line
// per node (in Trace.Nodes order, then any other node the events name),
// time flowing to the right.
//
// Events are placed left to right in trace order, one column each, not in
// proportion to their time: a burst of events in one millisecond and a
// quiet minute then take the same room, so both stay readable; the times
// are printed under the lines wherever they change. The drawing uses:
//
//   - a dot per event; timers are hollow, notes (Context.Note) are purple
//     diamonds labelled with their text;
//   - an arrow from each Send to the matching Deliver (same MsgID), labelled
//     with the message;
//   - a red line ending in a cross for a dropped message, placed where the
//     drop happened in trace order;
//   - an orange "2" where the network duplicated a message, and a dashed
//     orange arrow for the copy's delivery;
//   - a red X for a crash, with the node's line dashed until it restarts;
//   - a grey band over a node's line while it is paused;
//   - a dashed vertical line across all nodes for a network fault
//     (partition, heal, link change), labelled with its text;
//   - a grey dashed arrow running off the end of the lines for a message
//     still in flight when the trace ends (as in an explorer
//     counterexample that stops mid-protocol).
//
// Every element carries a tooltip with the event's full description,
// Lamport time and vector clock. All text is escaped, so the output is
// well-formed XML whatever the trace holds. A trace of more than 300
// events is drawn as its first and last 150 events with a grey band
// standing for the rest, and a note says how many were left out; the
// transcript (WriteTranscript) has them all.
//
// The output depends only on the trace. A nil Trace is drawn as an empty
// one. The only error returned is w's.
func (t *Trace) WriteSVG(w io.Writer) error {
	var tr Trace
	if t != nil {
		tr = *t
	}
	d := newSVGDiagram(&tr)
	var b bytes.Buffer
	d.draw(&b)
	_, err := w.Write(b.Bytes())
	return err
}

// svgDiagram holds the layout of one space-time diagram.
type svgDiagram struct {
	tr       *Trace
	rows     []string       // node names, top to bottom
	row      map[string]int // node name to row
	col      []int          // event index to column; the band's column for elided events
	kept     []bool         // event index: drawn in full
	band     int            // column of the elision band, or -1
	elided   int            // number of elided events
	columns  int
	left     int // x of the start of the process lines
	width    int
	linesEnd int // x of the end of the process lines
	abstract bool

	sendOf    map[int]int // MsgID to the index of its Send event
	deliverOf map[int]int // MsgID to the index of its first Deliver event
	copyOf    map[int]int // MsgID of a copy to the MsgID it copies
}

func newSVGDiagram(tr *Trace) *svgDiagram {
	d := &svgDiagram{tr: tr, row: make(map[string]int), band: -1, abstract: renderUntimed(tr)}
	addRow := func(n string) {
		if _, ok := d.row[n]; !ok {
			d.row[n] = len(d.rows)
			d.rows = append(d.rows, n)
		}
	}
	for _, n := range tr.Nodes {
		addRow(n)
	}
	for _, e := range tr.Events {
		if e.Node != "" && e.Kind != Fault {
			addRow(e.Node)
		}
	}

	n := len(tr.Events)
	d.col = make([]int, n)
	d.kept = make([]bool, n)
	if n <= svgMaxEvents {
		for i := range n {
			d.col[i], d.kept[i] = i, true
		}
		d.columns = n
	} else {
		head := svgMaxEvents / 2
		tail := svgMaxEvents - head
		d.band = head
		d.elided = n - head - tail
		for i := range n {
			switch {
			case i < head:
				d.col[i], d.kept[i] = i, true
			case i >= n-tail:
				d.col[i], d.kept[i] = head+1+i-(n-tail), true
			default:
				d.col[i] = head
			}
		}
		d.columns = svgMaxEvents + 1
	}

	longest := 1
	for _, r := range d.rows {
		longest = max(longest, utf8.RuneCountInString(svgShorten(renderOneLine(r), svgNameChars)))
	}
	d.left = max(30+8*longest, 80)
	d.linesEnd = d.x(max(d.columns-1, 0)) + 40
	d.width = max(d.linesEnd+110, 600) // room for the last labels, drawn slanting right

	d.sendOf = make(map[int]int)
	d.copyOf = make(map[int]int)
	d.deliverOf = make(map[int]int)
	for i, e := range tr.Events {
		switch e.Kind {
		case Deliver:
			if _, ok := d.deliverOf[e.MsgID]; !ok {
				d.deliverOf[e.MsgID] = i
			}
		case Send:
			if _, ok := d.sendOf[e.MsgID]; !ok {
				d.sendOf[e.MsgID] = i
			}
		case Duplicate:
			if e.Copy != e.MsgID {
				d.copyOf[e.Copy] = e.MsgID
			}
		}
	}
	return d
}

// x returns the x coordinate of a column.
func (d *svgDiagram) x(col int) int { return d.left + 24 + svgColumn*col }

// y returns the y coordinate of a row.
func (d *svgDiagram) y(row int) int { return svgTop + svgRow*row }

// ex returns the x coordinate of event i.
func (d *svgDiagram) ex(i int) int { return d.x(d.col[i]) }

// origin returns the index of the Send that message id (or the message it
// is a copy of) came from, and whether id is a copy.
func (d *svgDiagram) origin(id int) (send int, isCopy, ok bool) {
	for range 64 { // copies of copies, but never loop forever
		if s, found := d.sendOf[id]; found {
			return s, isCopy, true
		}
		orig, found := d.copyOf[id]
		if !found {
			return 0, isCopy, false
		}
		id, isCopy = orig, true
	}
	return 0, isCopy, false
}

func (d *svgDiagram) draw(b *bytes.Buffer) {
	tr := d.tr
	linesBottom := d.y(max(len(d.rows)-1, 0))
	axisY := linesBottom + 42
	notes := d.notes()
	height := axisY + 56 + svgLineGap*len(notes)

	fmt.Fprintf(b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="11">`+"\n",
		d.width, height, d.width, height)
	title := fmt.Sprintf("Trace: seed %d, %d nodes, %d events", tr.Seed, len(d.rows), len(tr.Events))
	if d.abstract {
		title = fmt.Sprintf("Trace: %d nodes, %d events, untimed", len(d.rows), len(tr.Events))
	}
	fmt.Fprintf(b, "<title>%s</title>\n", svgEscape(title))
	b.WriteString(`<defs>` +
		`<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker>` +
		`<marker id="arrow-copy" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#d9822b"/></marker>` +
		`</defs>` + "\n")
	fmt.Fprintf(b, `<rect width="%d" height="%d" fill="white"/>`+"\n", d.width, height)
	fmt.Fprintf(b, `<text x="20" y="28" font-size="15" font-weight="bold">%s</text>`+"\n", svgEscape(title))

	if d.band >= 0 {
		bx := d.x(d.band)
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#eeeeee"><title>%s</title></rect>`+"\n",
			bx-svgColumn/2+3, svgTop-40, svgColumn-6, linesBottom-svgTop+80, svgEscape(fmt.Sprintf("%d events elided", d.elided)))
		fmt.Fprintf(b, `<text x="%d" y="%d" fill="#777" text-anchor="middle">…</text>`+"\n", bx, svgTop-46)
	}

	d.drawPauses(b)
	d.drawLines(b)
	d.drawFaults(b, linesBottom)
	d.drawMessages(b)
	d.drawEvents(b)
	d.drawAxis(b, axisY)

	for i, note := range notes {
		fmt.Fprintf(b, `<text x="20" y="%d" fill="#333">%s</text>`+"\n", axisY+40+svgLineGap*i, svgEscape(note))
	}
	b.WriteString("</svg>\n")
}

// notes returns the lines printed under the diagram: the legend, and what
// was left out.
func (d *svgDiagram) notes() []string {
	notes := []string{
		"● event · ○ timer · ◆ note · → message · ✕ dropped",
		"2 duplicated (the copy dashed) · grey dashed arrow: in flight at the end",
		"X crash (the line dashed while down) · grey band: paused · purple dashed line: network fault",
	}
	if d.band >= 0 {
		notes = append(notes, fmt.Sprintf("%d of %d events are not drawn (between the first and the last %d); the transcript has them all.",
			d.elided, len(d.tr.Events), svgMaxEvents/2))
	}
	if d.abstract {
		notes = append(notes, "Untimed trace (explorer): the axis counts steps.")
	}
	return notes
}

// drawPauses draws a grey band over each node's line while it is paused.
func (d *svgDiagram) drawPauses(b *bytes.Buffer) {
	start := make(map[string]int)
	for i, e := range d.tr.Events {
		switch e.Kind {
		case Pause:
			if _, ok := start[e.Node]; !ok {
				start[e.Node] = d.ex(i)
			}
		case Resume:
			if s, ok := start[e.Node]; ok {
				d.pauseBand(b, e.Node, s, d.ex(i))
				delete(start, e.Node)
			}
		}
	}
	for _, n := range d.rows { // still paused at the end
		if s, ok := start[n]; ok {
			d.pauseBand(b, n, s, d.linesEnd)
		}
	}
}

func (d *svgDiagram) pauseBand(b *bytes.Buffer, node string, x1, x2 int) {
	y := d.y(d.row[node])
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="16" fill="#9e9e9e" fill-opacity="0.45"><title>%s</title></rect>`+"\n",
		x1, y-8, max(x2-x1, 2), svgEscape(renderOneLine(node)+" paused"))
}

// drawLines draws each node's name and line: solid while up, dashed
// while crashed.
func (d *svgDiagram) drawLines(b *bytes.Buffer) {
	type segment struct{ from, to int }
	down := make(map[string][]segment)
	since := make(map[string]int)
	for i, e := range d.tr.Events {
		switch e.Kind {
		case Crash:
			if _, ok := since[e.Node]; !ok {
				since[e.Node] = d.ex(i)
			}
		case Restart:
			if s, ok := since[e.Node]; ok {
				down[e.Node] = append(down[e.Node], segment{s, d.ex(i)})
				delete(since, e.Node)
			}
		}
	}
	for r, n := range d.rows {
		y := d.y(r)
		fmt.Fprintf(b, `<text x="%d" y="%d" font-size="13" font-weight="bold" text-anchor="end">%s<title>%s</title></text>`+"\n",
			d.left-10, y+4, svgEscape(svgShorten(renderOneLine(n), svgNameChars)), svgEscape(renderOneLine(n)))
		if s, ok := since[n]; ok {
			down[n] = append(down[n], segment{s, d.linesEnd})
		}
		x := d.left
		for _, s := range down[n] {
			if s.from > x {
				fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#222" stroke-width="1.5"/>`+"\n", x, y, s.from, y)
			}
			fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#c62828" stroke-width="1.5" stroke-dasharray="4 4"/>`+"\n", s.from, y, s.to, y)
			x = s.to
		}
		if d.linesEnd > x {
			fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#222" stroke-width="1.5"/>`+"\n", x, y, d.linesEnd, y)
		}
	}
}

// drawFaults draws a dashed vertical line for each network fault.
func (d *svgDiagram) drawFaults(b *bytes.Buffer, linesBottom int) {
	for i, e := range d.tr.Events {
		if e.Kind != Fault || !d.kept[i] {
			continue
		}
		x := d.ex(i)
		fmt.Fprintf(b, `<g><title>%s</title>`, svgEscape(d.tooltip(i)))
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#6a1b9a" stroke-width="1.2" stroke-dasharray="6 3"/>`, x, svgTop-30, x, linesBottom+22)
		fmt.Fprintf(b, `<text x="%d" y="%d" fill="#6a1b9a" transform="rotate(-30 %d %d)">%s</text></g>`+"\n",
			x+3, svgTop-34, x+3, svgTop-34, svgEscape(svgShorten(renderOneLine(e.Text), 2*svgLabelRune)))
	}
}

// drawMessages draws an arrow for every delivered message, a line ending
// in a cross for every dropped one, a mark where one was duplicated, and
// an arrow running off the end of the lines for every message still in
// flight when the trace ends.
func (d *svgDiagram) drawMessages(b *bytes.Buffer) {
	settled := make(map[int]bool) // delivered or dropped
	for _, e := range d.tr.Events {
		if e.Kind == Deliver || e.Kind == Drop {
			settled[e.MsgID] = true
		}
	}
	for i, e := range d.tr.Events {
		switch {
		case e.Kind == Send && !settled[e.MsgID]:
			d.drawInFlight(b, i, i, e.MsgID, false)
		case e.Kind == Duplicate && !settled[e.Copy]:
			if s, _, ok := d.origin(e.MsgID); ok {
				d.drawInFlight(b, i, s, e.Copy, true)
			}
		}
	}
	for i, e := range d.tr.Events {
		switch e.Kind {
		case Deliver:
			d.drawDelivery(b, i, e)
		case Drop:
			d.drawDrop(b, i, e)
		case Duplicate:
			if !d.kept[i] {
				continue
			}
			x, y := d.ex(i), d.dupY(i, e)
			fmt.Fprintf(b, `<g><title>%s</title><circle cx="%d" cy="%d" r="7" fill="white" stroke="#d9822b" stroke-width="1.5"/>`+
				`<text x="%d" y="%d" font-size="10" font-weight="bold" fill="#d9822b" text-anchor="middle">2</text></g>`+"\n",
				svgEscape(d.tooltip(i)), x, y, x, y+4)
		}
	}
}

// partY is a height partway from the line of from towards that of to:
// halfway to the next line at most, so that a mark placed there is never
// taken for an event of a node in between.
func (d *svgDiagram) partY(from, to string) int {
	yf := d.nodeY(from)
	r, ok := d.row[to]
	if !ok {
		return yf - 30
	}
	yt := d.y(r)
	switch {
	case yt > yf:
		return yf + min((yt-yf)/2, svgRow/2-10)
	case yt < yf:
		return yf - min((yf-yt)/2, svgRow/2-10)
	}
	return yf - 24
}

// dupY is where the mark of Duplicate event i goes: on the arrow of the
// original message if it was delivered, else partway to the receiver.
func (d *svgDiagram) dupY(i int, e Event) int {
	s, sok := d.sendOf[e.MsgID]
	r, rok := d.deliverOf[e.MsgID]
	if !sok || !rok {
		return d.partY(e.Node, e.Peer)
	}
	x1, y1 := d.ex(s), d.nodeY(d.tr.Events[s].Node)
	x2, y2 := d.ex(r), d.nodeY(d.tr.Events[r].Node)
	if x2 == x1 || y2 == y1 {
		return d.partY(e.Node, e.Peer)
	}
	return y1 + (y2-y1)*(d.ex(i)-x1)/(x2-x1)
}

// nodeY returns the y of a node's line, or a point above the first line for
// a sender that is not a node (a client).
func (d *svgDiagram) nodeY(n string) int {
	if r, ok := d.row[n]; ok {
		return d.y(r)
	}
	return svgTop - 40
}

func (d *svgDiagram) drawDelivery(b *bytes.Buffer, i int, e Event) {
	s, isCopy, ok := d.origin(e.MsgID)
	x2, y2 := d.ex(i), d.nodeY(e.Node)
	var x1, y1 int
	if ok {
		x1, y1 = d.ex(s), d.nodeY(d.tr.Events[s].Node)
		if !d.kept[i] && !d.kept[s] {
			return
		}
	} else {
		// No Send in the trace: the message came from outside (a client,
		// Sim.Inject); draw a short arrow from above.
		if !d.kept[i] {
			return
		}
		x1, y1 = x2-svgColumn, y2-36
	}
	stroke, marker, dash := "#555", "arrow", ""
	if isCopy {
		stroke, marker, dash = "#d9822b", "arrow-copy", ` stroke-dasharray="5 3"`
	}
	if !d.kept[i] || !d.kept[s] {
		dash = ` stroke-dasharray="2 3"`
	}
	fmt.Fprintf(b, `<g><title>%s</title>`, svgEscape(d.tooltip(i)))
	if y1 == y2 && x1 != x2 {
		// A message to itself: an arc above the line.
		fmt.Fprintf(b, `<path d="M %d %d Q %d %d %d %d" fill="none" stroke="%s" stroke-width="1.2"%s marker-end="url(#%s)"/>`,
			x1, y1, (x1+x2)/2, y1-40, x2-svgDot, y2-svgDot, stroke, dash, marker)
	} else {
		ex, ey := svgPullBack(x1, y1, x2, y2, svgDot+1)
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="1.2"%s marker-end="url(#%s)"/>`,
			x1, y1, ex, ey, stroke, dash, marker)
	}
	label := e.Text
	if isCopy {
		label = "copy: " + label
	}
	if label != "" {
		// Two fifths of the way along, so that an arrow spanning three
		// lines does not put its label on the middle one; three fifths
		// for a copy, which usually runs beside its original.
		k := 2
		if isCopy {
			k = 3
		}
		lx, ly := x1+(x2-x1)*k/5, y1+(y2-y1)*k/5
		if y1 == y2 {
			ly -= 24
		}
		fmt.Fprintf(b, `<text x="%d" y="%d" fill="%s" font-size="10" font-style="italic"%s>%s</text>`,
			lx+4, ly, stroke, svgHalo, svgEscape(svgShorten(renderOneLine(label), svgLabelRune)))
	}
	b.WriteString("</g>\n")
}

// drawInFlight draws message id, sent at event s (and, for a copy, made
// at event i), as a dashed arrow that leaves the picture at the end of the
// lines: it was neither delivered nor dropped when the trace ended.
func (d *svgDiagram) drawInFlight(b *bytes.Buffer, i, s, id int, isCopy bool) {
	if !d.kept[s] {
		return
	}
	send := d.tr.Events[s]
	x1, y1 := d.ex(s), d.nodeY(send.Node)
	x2, y2 := d.linesEnd, d.partY(send.Node, send.Peer)
	stroke, marker := "#888", "arrow"
	text := send.Text
	if isCopy {
		stroke, marker, text = "#d9822b", "arrow-copy", "copy: "+text
	}
	title := d.tooltip(i) + "; " + renderMsg(id) + " is still in flight at the end"
	fmt.Fprintf(b, `<g><title>%s</title>`, svgEscape(title))
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="1.2" stroke-dasharray="6 4" marker-end="url(#%s)"/>`,
		x1, y1, x2, y2, stroke, marker)
	fmt.Fprintf(b, `<text x="%d" y="%d" fill="%s" font-size="10" font-style="italic"%s>%s</text>`,
		// The label sits near the start of the arrow, above it, clear of
		// the notes and timers drawn further right; the legend and the
		// tooltip say that a grey dashed arrow is still in flight.
		x1+(x2-x1)/6+4, y1+(y2-y1)/6-6, stroke, svgHalo, svgEscape(svgShorten(renderOneLine(text), svgLabelRune)))
	b.WriteString("</g>\n")
}

func (d *svgDiagram) drawDrop(b *bytes.Buffer, i int, e Event) {
	x2, y2 := d.ex(i), d.partY(e.Node, e.Peer)
	s, _, ok := d.origin(e.MsgID)
	if !d.kept[i] && (!ok || !d.kept[s]) {
		return
	}
	fmt.Fprintf(b, `<g><title>%s</title>`, svgEscape(d.tooltip(i)))
	if ok {
		x1, y1 := d.ex(s), d.nodeY(d.tr.Events[s].Node)
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#c62828" stroke-width="1.2" stroke-dasharray="4 2"/>`, x1, y1, x2, y2)
	}
	const c = 5
	fmt.Fprintf(b, `<path d="M %d %d L %d %d M %d %d L %d %d" stroke="#c62828" stroke-width="2.2"/>`,
		x2-c, y2-c, x2+c, y2+c, x2-c, y2+c, x2+c, y2-c)
	b.WriteString("</g>\n")
}

// drawEvents draws the events on the nodes' lines, with their labels.
func (d *svgDiagram) drawEvents(b *bytes.Buffer) {
	for i, e := range d.tr.Events {
		if !d.kept[i] || e.Kind == Fault || renderNetworkEvent(e.Kind) {
			continue
		}
		r, ok := d.row[e.Node]
		if !ok {
			continue
		}
		x, y := d.ex(i), d.y(r)
		label := ""
		fmt.Fprintf(b, `<g><title>%s</title>`, svgEscape(d.tooltip(i)))
		switch e.Kind {
		case Crash:
			const c = 8
			fmt.Fprintf(b, `<path d="M %d %d L %d %d M %d %d L %d %d" stroke="#c62828" stroke-width="3"/>`,
				x-c, y-c, x+c, y+c, x-c, y+c, x+c, y-c)
			label = "crash"
		case Timer:
			fmt.Fprintf(b, `<circle cx="%d" cy="%d" r="%d" fill="white" stroke="#1f4e79" stroke-width="2"/>`, x, y, svgDot)
			label = e.Text
		case Local:
			fmt.Fprintf(b, `<path d="M %d %d L %d %d L %d %d L %d %d z" fill="#7b1fa2"/>`, x, y-8, x+7, y, x, y+8, x-7, y)
			label = e.Text
		case Restart:
			fmt.Fprintf(b, `<circle cx="%d" cy="%d" r="%d" fill="#2e7d32"/>`, x, y, svgDot)
			label = "restart"
		case Pause, Resume:
			fmt.Fprintf(b, `<rect x="%d" y="%d" width="4" height="14" fill="#616161"/>`, x-2, y-7)
			label = e.Kind.String()
		case Send, Deliver:
			fmt.Fprintf(b, `<circle cx="%d" cy="%d" r="%d" fill="#1f4e79"/>`, x, y, svgDot)
		default:
			fmt.Fprintf(b, `<circle cx="%d" cy="%d" r="%d" fill="#888"/>`, x, y, svgDot)
			label = e.Kind.String()
		}
		if label != "" {
			fmt.Fprintf(b, `<text x="%d" y="%d" transform="rotate(-30 %d %d)"%s>%s</text>`,
				x+2, y-12, x+2, y-12, svgHalo, svgEscape(svgShorten(renderOneLine(label), svgLabelRune)))
		}
		b.WriteString("</g>\n")
	}
}

// drawAxis prints the time (or, untimed, the step) under the lines
// wherever it changes, leaving room between labels.
func (d *svgDiagram) drawAxis(b *bytes.Buffer, y int) {
	name := "time →"
	if d.abstract {
		name = "step →"
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" fill="#555" text-anchor="end">%s</text>`+"\n", d.left-10, y, name)
	lastX := -1 << 30
	var last time.Duration = -1
	for i, e := range d.tr.Events {
		if !d.kept[i] {
			continue
		}
		x := d.ex(i)
		label := ""
		if d.abstract {
			if x-lastX >= 3*svgColumn {
				label = strconv.Itoa(e.Seq)
			}
		} else if e.Time != last && x-lastX >= 2*svgColumn {
			label = renderTime(e.Time)
			last = e.Time
		}
		if label == "" {
			continue
		}
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#999"/>`, x, y-14, x, y-8)
		fmt.Fprintf(b, `<text x="%d" y="%d" font-size="10" fill="#555" text-anchor="middle">%s</text>`+"\n", x, y+2, svgEscape(label))
		lastX = x
	}
}

// tooltip is the full description of event i.
func (d *svgDiagram) tooltip(i int) string {
	e := d.tr.Events[i]
	s := "#" + strconv.Itoa(e.Seq)
	if !d.abstract {
		s += " at " + renderTime(e.Time)
	}
	if e.Node != "" && e.Kind != Drop && e.Kind != Duplicate {
		s += " on " + renderOneLine(e.Node)
	}
	s += ": " + renderDescribe(e)
	if !renderNetworkEvent(e.Kind) {
		s += " (Lamport " + strconv.FormatUint(e.Lamport, 10) + ", vector " + e.Vector.String() + ")"
	}
	return s
}

// svgHalo draws a text's outline in white under its fill, so that lines
// behind it do not make it unreadable.
const svgHalo = ` stroke="white" stroke-width="3" paint-order="stroke"`

// svgEscape escapes text for SVG character data. Characters XML cannot carry
// (most control characters, invalid UTF-8) become U+FFFD.
func svgEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s)) // a bytes.Buffer never fails
	return b.String()
}

// svgShorten cuts s to at most n runes, ending in "…" if it was longer.
func svgShorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// svgPullBack moves the end (x2, y2) of a segment by n units towards its
// start, so that an arrow head stops at the edge of a dot.
func svgPullBack(x1, y1, x2, y2, n int) (int, int) {
	dx, dy := x2-x1, y2-y1
	l := svgIsqrt(dx*dx + dy*dy)
	if l <= n {
		return x2, y2
	}
	return x2 - dx*n/l, y2 - dy*n/l
}

// svgIsqrt is the integer square root, so that the layout stays in integers.
func svgIsqrt(n int) int {
	if n <= 0 {
		return 0
	}
	r := n
	for {
		s := (r + n/r) / 2
		if s >= r {
			return r
		}
		r = s
	}
}
