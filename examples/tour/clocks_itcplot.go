package main

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/eventually-perfect/primitives/clocks"
)

// itcPlot draws the interval tree clock run: one row per step, the unit
// interval [0, 1) running left to right. The coloured band at the bottom of
// a row shows which replica owns which part of the interval (the id trees);
// the step lines above it show each replica's event tree as a function over
// the interval. The drawing is computed from the stamps' String form, the
// notation of the paper, so it shows exactly what the package printed.
func itcPlot(records []itcRecord) ([]byte, error) {
	const (
		left, axisW, top, rowH = 290, 440, 60, 84
		unit                   = 12 // pixels per event count
		band                   = 10 // height of the ownership band
		width                  = left + axisW + 150
	)
	colour := map[string]string{"alice": "#1f5fa8", "bob": "#c0392b", "carol": "#2e8b3a"}
	rows := []itcRecord{{
		itcStep: itcStep{what: "start: alice holds the seed"},
		stamps:  map[string]clocks.Stamp{"alice": clocks.Seed()},
	}}
	for _, r := range records {
		if r.kind != itcCompare {
			rows = append(rows, r)
		}
	}
	height := top + rowH*len(rows) + 50
	x := func(f float64) int { return left + int(f*axisW+0.5) }

	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif">`+"\n",
		width, height, width, height)
	b.WriteString("<title>Interval tree clocks: ownership of the id space and event trees, step by step</title>\n")
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="20" y="28" font-size="16" font-weight="bold">%s</text>`+"\n",
		esc("Interval tree clocks: who owns which part of [0, 1), and what each has seen"))
	for _, f := range []float64{0, 0.25, 0.5, 0.75, 1} {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" fill="#555" text-anchor="middle">%s</text>`+"\n",
			x(f), top-8, strconv.FormatFloat(f, 'f', -1, 64))
	}

	for i, r := range rows {
		base := top + rowH*(i+1) - 14 // the baseline of the event functions
		fmt.Fprintf(&b, `<text x="20" y="%d" font-size="12">%s</text>`+"\n", base-20, esc(r.what))
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#bbb"/>`+"\n", x(0), base, x(1), base)
		names := slices.Sorted(maps.Keys(r.stamps))
		for k, n := range names {
			id, ev, err := parseStampNotation(r.stamps[n].String())
			if err != nil {
				return nil, err
			}
			for _, s := range id.owned(0, 1) {
				fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s" fill-opacity="0.8"/>`+"\n",
					x(s.lo), base+2, x(s.hi)-x(s.lo), band, colour[n])
			}
			// The event tree as a step function, each replica nudged up a
			// little so that equal values stay visible.
			var pts []string
			for _, s := range ev.segments(0, 1, 0) {
				h := base - int(s.value)*unit - 2*k
				pts = append(pts, fmt.Sprintf("%d,%d %d,%d", x(s.lo), h, x(s.hi), h))
			}
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(pts, " "), colour[n])
		}
		// The stamps themselves, in the paper's notation.
		for k, n := range names {
			fmt.Fprintf(&b, `<text x="20" y="%d" font-size="10" font-family="Menlo, Consolas, monospace" fill="%s">%s %s</text>`+"\n",
				base-6+11*k, colour[n], esc(n), esc(r.stamps[n].String()))
		}
	}

	// Legend.
	ly := top + 10
	for _, n := range []string{"alice", "bob", "carol"} {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="16" height="10" fill="%s"/>`+"\n", left+axisW+20, ly-9, colour[n])
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12">%s</text>`+"\n", left+axisW+42, ly, esc(n))
		ly += 20
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#555">band: owned id</text>`+"\n", left+axisW+20, ly+6)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#555">line: event tree,</text>`+"\n", left+axisW+20, ly+20)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#555">%d px per count</text>`+"\n", left+axisW+20, ly+34, unit)
	b.WriteString("</svg>\n")
	return b.Bytes(), nil
}

// itcTree is a node of an id tree or an event tree in the paper's notation:
// a leaf holds n; an id node (l, r) has n = 0; an event node (n, l, r)
// adds n to both halves.
type itcTree struct {
	n    uint64
	l, r *itcTree
}

// span is a subinterval [lo, hi) of the unit interval with a value.
type span struct {
	lo, hi float64
	value  uint64
}

// owned lists the parts of [lo, hi) an id tree owns.
func (t *itcTree) owned(lo, hi float64) []span {
	if t.l == nil {
		if t.n == 1 {
			return []span{{lo, hi, 1}}
		}
		return nil
	}
	mid := (lo + hi) / 2
	return append(t.l.owned(lo, mid), t.r.owned(mid, hi)...)
}

// segments writes an event tree as a step function over [lo, hi), adding
// base to every value.
func (t *itcTree) segments(lo, hi float64, base uint64) []span {
	if t.l == nil {
		return []span{{lo, hi, base + t.n}}
	}
	mid := (lo + hi) / 2
	return append(t.l.segments(lo, mid, base+t.n), t.r.segments(mid, hi, base+t.n)...)
}

// parseStampNotation reads "(id, event)" as printed by Stamp.String: an id
// is 0, 1 or (l, r); an event tree is n or (n, l, r).
func parseStampNotation(s string) (id, ev *itcTree, err error) {
	p := &notation{s: s}
	if !p.eat("(") {
		return nil, nil, p.fail()
	}
	if id, err = p.tree(false); err != nil {
		return nil, nil, err
	}
	if !p.eat(", ") {
		return nil, nil, p.fail()
	}
	if ev, err = p.tree(true); err != nil {
		return nil, nil, err
	}
	if !p.eat(")") || p.i != len(s) {
		return nil, nil, p.fail()
	}
	return id, ev, nil
}

// notation is a cursor over a stamp's text.
type notation struct {
	s string
	i int
}

func (p *notation) eat(tok string) bool {
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

func (p *notation) fail() error {
	return fmt.Errorf("cannot read stamp %q at offset %d", p.s, p.i)
}

// tree reads an id tree (event false) or an event tree (event true).
func (p *notation) tree(event bool) (*itcTree, error) {
	if !p.eat("(") {
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		n, err := strconv.ParseUint(p.s[p.i:j], 10, 64)
		if err != nil {
			return nil, p.fail()
		}
		p.i = j
		return &itcTree{n: n}, nil
	}
	t := &itcTree{}
	if event {
		v, err := p.tree(false) // the node's own count: a plain number
		if err != nil || v.l != nil || !p.eat(", ") {
			return nil, p.fail()
		}
		t.n = v.n
	}
	var err error
	if t.l, err = p.tree(event); err != nil {
		return nil, err
	}
	if !p.eat(", ") {
		return nil, p.fail()
	}
	if t.r, err = p.tree(event); err != nil {
		return nil, err
	}
	if !p.eat(")") {
		return nil, p.fail()
	}
	return t, nil
}
