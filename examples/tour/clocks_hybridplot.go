package main

import (
	"bytes"
	"fmt"
	"slices"
	"time"
)

// hybridPlot draws the hybrid clock run as a chart: true time runs to the
// right, and up is how far a reading is ahead of true time. Each node's
// physical clock is a dashed line at its offset (alice's steps down when NTP
// corrects it) and each hybrid timestamp a dot at its wall part, labelled
// with its logical counter. The dots sit on or above their node's line and
// never above the highest line: that is the bounded divergence.
func hybridPlot(rows []hlcRow, nodes []string) []byte {
	const (
		left, right, top, bottom = 80, 150, 50, 60
		width, height            = 820, 400
		plotW, plotH             = width - left - right, height - top - bottom
		grid                     = 50 * time.Millisecond
	)
	colour := map[string]string{"alice": "#1f5fa8", "bob": "#c0392b", "carol": "#2e8b3a"}

	// The physical clock of each node as steps: offset from true time, from
	// a true time on.
	type segment struct {
		from   time.Duration
		offset time.Duration
	}
	lines := map[string][]segment{}
	for _, n := range nodes {
		lines[n] = []segment{{0, hlcOffsets[n]}}
	}
	end := rows[len(rows)-1].at + 20*time.Millisecond
	lo, hi := time.Duration(0), time.Duration(0)
	for _, r := range rows {
		if r.kind == hlcAdjust && slices.Contains(nodes, r.node) {
			segs := lines[r.node]
			lines[r.node] = append(segs, segment{r.at, segs[len(segs)-1].offset + r.shift})
		}
	}
	for _, n := range nodes {
		for _, s := range lines[n] {
			lo, hi = min(lo, s.offset), max(hi, s.offset)
		}
	}
	lo = (lo/grid - 1) * grid
	hi = (hi/grid + 1) * grid
	end = (end/grid + 1) * grid

	x := func(d time.Duration) int { return left + int(int64(plotW)*int64(d)/int64(end)) }
	y := func(d time.Duration) int { return top + int(int64(plotH)*int64(hi-d)/int64(hi-lo)) }

	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif">`+"\n",
		width, height, width, height)
	b.WriteString("<title>Hybrid logical clock timestamps against skewed physical clocks</title>\n")
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="20" y="28" font-size="16" font-weight="bold">%s</text>`+"\n",
		esc("Hybrid clocks stay between their own physical clock and the fastest one"))

	// Grid and axes.
	for d := lo; d <= hi; d += grid {
		stroke := "#ddd"
		if d == 0 {
			stroke = "#888"
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s"/>`+"\n", left, y(d), left+plotW, y(d), stroke)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="end">%s</text>`+"\n", left-6, y(d)+4, esc(signed(d)))
	}
	for d := time.Duration(0); d <= end; d += grid {
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#888"/>`+"\n", x(d), top+plotH, x(d), top+plotH+5)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="middle">%s</text>`+"\n", x(d), top+plotH+18, esc(d.String()))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="middle">true time since the start of the run</text>`+"\n", left+plotW/2, height-14)
	fmt.Fprintf(&b, `<text x="18" y="%d" font-size="12" text-anchor="middle" transform="rotate(-90 18 %d)">reading minus true time</text>`+"\n", top+plotH/2, top+plotH/2)

	// Physical clocks.
	for _, n := range nodes {
		segs := lines[n]
		for i, s := range segs {
			to := end
			if i+1 < len(segs) {
				to = segs[i+1].from
			}
			fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2" stroke-dasharray="6 4"/>`+"\n",
				x(s.from), y(s.offset), x(to), y(s.offset), colour[n])
			if i+1 < len(segs) {
				fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="1" stroke-dasharray="2 3"/>`+"\n",
					x(to), y(s.offset), x(to), y(segs[i+1].offset), colour[n])
			}
		}
	}

	// Hybrid timestamps.
	for _, r := range rows {
		if r.kind == hlcAdjust || r.err != nil || !slices.Contains(nodes, r.node) {
			continue
		}
		ahead := time.Duration(r.ts.Wall-hlcEpoch) - r.at
		fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="6" fill="%s" stroke="white" stroke-width="1.5"/>`+"\n", x(r.at), y(ahead), colour[r.node])
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" text-anchor="middle"%s>%d</text>`+"\n", x(r.at), y(ahead)-10, halo, r.ts.Logical)
	}

	// Legend.
	ly := top + 10
	for _, n := range nodes {
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2" stroke-dasharray="6 4"/>`+"\n", left+plotW+15, ly, left+plotW+40, ly, colour[n])
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12">%s's clock</text>`+"\n", left+plotW+46, ly+4, esc(n))
		ly += 20
		fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="6" fill="%s"/>`+"\n", left+plotW+27, ly, colour[n])
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12">%s's HLC</text>`+"\n", left+plotW+46, ly+4, esc(n))
		ly += 28
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11">numbers: logical</text>`+"\n", left+plotW+15, ly)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11">counter of each</text>`+"\n", left+plotW+15, ly+14)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11">timestamp</text>`+"\n", left+plotW+15, ly+28)
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// signed writes a duration with an explicit sign: "+50ms", "-100ms", "0s".
func signed(d time.Duration) string {
	if d > 0 {
		return "+" + d.String()
	}
	return d.String()
}
