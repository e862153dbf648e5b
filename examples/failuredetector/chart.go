package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strings"
)

// Chart geometry, in SVG user units.
const (
	chartW, chartH = 640.0, 400.0
	left, right    = 70.0, 200.0 // margins; the legend sits on the right
	top, bottom    = 30.0, 50.0
	maxDetection   = 10.0 // seconds on the x axis
	minRate        = 0.1  // mistakes/day at the bottom; 0 is drawn there
	maxRate        = 1e5
)

var colours = []string{"#1f77b4", "#17becf", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"}

func xOf(seconds float64) float64 {
	return left + math.Min(seconds, maxDetection)/maxDetection*(chartW-left-right)
}

func yOf(perDay float64) float64 {
	v := math.Log10(math.Max(perDay, minRate))
	lo, hi := math.Log10(minRate), math.Log10(maxRate)
	return chartH - bottom - (math.Min(v, hi)-lo)/(hi-lo)*(chartH-top-bottom)
}

// writeChart draws mistakes per day (log scale) against detection time,
// one line per detector family, as a self-contained SVG.
func writeChart(w io.Writer, pts [][]point) error {
	b := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="sans-serif" font-size="12">`+"\n", chartW, chartH, chartW, chartH)
	p(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	p(`<text x="%g" y="18" font-size="14">Mistakes per day against detection time</text>`+"\n", left)
	// Axes and grid.
	x0, x1, y0, y1 := left, chartW-right, chartH-bottom, top
	p(`<path d="M%g %gV%gH%g" fill="none" stroke="black"/>`+"\n", x0, y1, y0, x1)
	for s := 0.0; s <= maxDetection; s += 2 {
		x := xOf(s)
		p(`<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#ddd"/>`+"\n", x, y0, x, y1)
		p(`<text x="%g" y="%g" text-anchor="middle">%g s</text>`+"\n", x, y0+16, s)
	}
	for e := math.Log10(minRate); e <= math.Log10(maxRate); e++ {
		y := yOf(math.Pow(10, e))
		label := fmt.Sprintf("%g", math.Round(math.Pow(10, e)*10)/10)
		if e == math.Log10(minRate) {
			label = "≤0.1"
		}
		p(`<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#ddd"/>`+"\n", x0, y, x1, y)
		p(`<text x="%g" y="%g" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", x0-6, y, label)
	}
	p(`<text x="%g" y="%g" text-anchor="middle">worst detection time after the crash</text>`+"\n", (x0+x1)/2, chartH-10)
	p(`<text transform="translate(16 %g) rotate(-90)" text-anchor="middle">mistakes per day (log)</text>`+"\n", (y0+y1)/2)
	// One polyline per family, points marked, legend on the right.
	for i, f := range families {
		c := colours[i%len(colours)]
		var d strings.Builder
		for j, pt := range pts[i] {
			cmd := "L"
			if j == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%.1f %.1f", cmd, xOf(pt.detection.Seconds()), yOf(pt.perDay))
		}
		p(`<path d="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", d.String(), c)
		for _, pt := range pts[i] {
			p(`<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s %g: %.2f s, %.2f/day</title></circle>`+"\n",
				xOf(pt.detection.Seconds()), yOf(pt.perDay), c, f.param, pt.param, pt.detection.Seconds(), pt.perDay)
		}
		ly := top + 20 + float64(i)*20
		p(`<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="2"/>`+"\n", x1+12, ly, x1+32, ly, c)
		p(`<text x="%g" y="%g" dominant-baseline="middle">%s</text>`+"\n", x1+38, ly, f.name)
	}
	p("</svg>\n")
	return b.Flush()
}
