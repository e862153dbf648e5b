package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
)

// A spacetime diagram draws a run of a message-passing system the way
// Lamport drew them in 1978, turned on its side: one horizontal line per
// process with time flowing left to right, a dot for every event, and an
// arrow from each send to the matching receive. Any section can fill one
// in and render it with svg.
type spacetime struct {
	title  string
	procs  []string         // one line each, top to bottom
	events []spacetimeEvent // in the order they ran; that order sets x
	arrows []spacetimeArrow
	notes  []string // lines printed under the diagram
}

// spacetimeEvent is one dot.
type spacetimeEvent struct {
	proc      int    // index into procs
	name      string // e.g. "a3", drawn above the dot with top
	top       string // the first label above the dot, e.g. "L=3"
	bottom    string // the label under the dot, e.g. "[3,0,0]"
	highlight bool   // drawn in the accent colour
}

// spacetimeArrow is a message from one event to another (indices into
// events).
type spacetimeArrow struct {
	from, to int
	label    string // e.g. "m1", drawn at the middle of the arrow
}

// Layout, in SVG user units (pixels).
const (
	stLeft    = 90  // room for process names
	stRight   = 40  // margin after the last event
	stTop     = 70  // room for the title and the first labels
	stRow     = 110 // distance between process lines
	stColumn  = 84  // distance between consecutive events
	stDot     = 7   // event radius
	stNoteGap = 22  // line height of the notes
)

// svg renders the diagram as a standalone SVG document. The output depends
// only on the diagram, so it is byte-for-byte reproducible.
func (d *spacetime) svg() []byte {
	width := stLeft + stRight + stColumn*max(len(d.events)-1, 1) + 40
	linesBottom := stTop + stRow*(len(d.procs)-1)
	height := linesBottom + 60 + stNoteGap*len(d.notes) + 10

	x := func(i int) int { return stLeft + 20 + stColumn*i }
	y := func(p int) int { return stTop + 20 + stRow*p }

	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif">`+"\n",
		width, height, width, height)
	fmt.Fprintf(&b, "<title>%s</title>\n", esc(d.title))
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">` +
		`<path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>` + "\n")
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="28" font-size="16" font-weight="bold">%s</text>`+"\n", 20, esc(d.title))

	// Process lines, with time flowing to the right.
	for p, name := range d.procs {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="14" font-weight="bold" text-anchor="end">%s</text>`+"\n", stLeft-10, y(p)+5, esc(name))
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#222" stroke-width="1.5" marker-end="url(#arrow)"/>`+"\n",
			stLeft, y(p), width-15, y(p))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#555" text-anchor="end">time →</text>`+"\n", width-15, linesBottom+45)

	// Messages first, so the dots are drawn over the arrow ends.
	for _, a := range d.arrows {
		from, to := d.events[a.from], d.events[a.to]
		x1, y1, x2, y2 := x(a.from), y(from.proc), x(a.to), y(to.proc)
		// Stop the arrow at the edge of the receiving dot.
		dx, dy := x2-x1, y2-y1
		n := isqrt(dx*dx + dy*dy)
		if n > 0 {
			x2 -= dx * (stDot + 1) / n
			y2 -= dy * (stDot + 1) / n
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#555" stroke-width="1.2" marker-end="url(#arrow)"/>`+"\n", x1, y1, x2, y2)
		if a.label != "" {
			// Two fifths of the way along, so that an arrow spanning three
			// lines does not put its label on the middle one.
			lx, ly := x1+(x2-x1)*2/5, y1+(y2-y1)*2/5
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#555" font-style="italic"%s>%s</text>`+"\n", lx+6, ly, halo, esc(a.label))
		}
	}

	// Events and their labels. Labels get a white halo so that arrows
	// passing behind them do not make them unreadable.
	for i, e := range d.events {
		fill, stroke := "#1f4e79", "#1f4e79"
		if e.highlight {
			fill, stroke = "#e07b00", "#a05000"
		}
		cx, cy := x(i), y(e.proc)
		if e.highlight {
			fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="%d" fill="none" stroke="%s" stroke-width="2" stroke-dasharray="3 2"/>`+"\n", cx, cy, stDot+5, stroke)
		}
		fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="%d" fill="%s" stroke="%s"/>`+"\n", cx, cy, stDot, fill, stroke)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" font-weight="bold" text-anchor="middle" fill="%s"%s>%s</text>`+"\n", cx, cy-30, stroke, halo, esc(e.name))
		if e.top != "" {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="middle"%s>%s</text>`+"\n", cx, cy-16, halo, esc(e.top))
		}
		if e.bottom != "" {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="middle" font-family="Menlo, Consolas, monospace"%s>%s</text>`+"\n", cx, cy+24, halo, esc(e.bottom))
		}
	}

	for i, note := range d.notes {
		fmt.Fprintf(&b, `<text x="20" y="%d" font-size="12">%s</text>`+"\n", linesBottom+70+stNoteGap*i, esc(note))
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// halo is the attribute set that draws a text's outline in white under
// its fill.
const halo = ` stroke="white" stroke-width="3" paint-order="stroke"`

// esc escapes text for use as SVG character data.
func esc(s string) string {
	var b strings.Builder
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		panic(err) // cannot happen: writing to a strings.Builder never fails
	}
	return b.String()
}

// isqrt is the integer square root, so that the layout stays in integers
// and the SVG is identical on every platform.
func isqrt(n int) int {
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
