package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// Chart geometry, in SVG user units.
const (
	chartW, chartH = 680.0, 420.0
	left, right    = 70.0, 190.0 // margins; the legend sits on the right
	top, bottom    = 50.0, 50.0
)

var colours = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// writeChart draws throughput against q2, one colour per n: solid lines
// for thrifty phase 2, dashed for phase 2 to all acceptors, and a ring on
// majority Multi-Paxos. It is a self-contained SVG.
func writeChart(w io.Writer, st setup, res []result) error {
	var ns []int
	maxQ2, maxT := 1, 0.0
	for _, r := range res {
		if !slices.Contains(ns, r.N) {
			ns = append(ns, r.N)
		}
		maxQ2 = max(maxQ2, r.Q2)
		maxT = max(maxT, r.Throughput)
	}
	top2 := niceCeil(maxT)
	x0, x1, y0, y1 := left, chartW-right, chartH-bottom, top
	xOf := func(q2 int) float64 {
		if maxQ2 == 1 {
			return (x0 + x1) / 2
		}
		return x0 + 20 + float64(q2-1)/float64(maxQ2-1)*(x1-x0-40)
	}
	yOf := func(t float64) float64 { return y0 - t/top2*(y0-y1) }

	b := bufio.NewWriter(w)
	var werr error // the first write error; the rest of the chart is skipped
	p := func(format string, args ...any) {
		if werr == nil {
			_, werr = fmt.Fprintf(b, format, args...)
		}
	}
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="sans-serif" font-size="12">`+"\n", chartW, chartH, chartW, chartH)
	p(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	p(`<text x="%g" y="20" font-size="14">Multi-Paxos throughput against the phase-2 quorum size (simulated)</text>`+"\n", left)
	p(`<text x="%g" y="37" font-size="11" fill="#555">links %v one way, %v per message, %d requests in flight, %v measured, seed %d</text>`+"\n",
		left, st.Latency, st.Service, st.Outstanding, st.Duration, st.Seed)
	p(`<path d="M%g %gV%gH%g" fill="none" stroke="black"/>`+"\n", x0, y1, y0, x1)
	for q2 := 1; q2 <= maxQ2; q2++ {
		x := xOf(q2)
		p(`<text x="%.1f" y="%g" text-anchor="middle">%d</text>`+"\n", x, y0+16, q2)
	}
	for i := 0; i <= 5; i++ {
		v := top2 * float64(i) / 5
		y := yOf(v)
		p(`<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#ddd"/>`+"\n", x0, y, x1, y)
		p(`<text x="%g" y="%.1f" text-anchor="end" dominant-baseline="middle">%g</text>`+"\n", x0-6, y, v)
	}
	p(`<text x="%g" y="%g" text-anchor="middle">phase-2 quorum size q2 (q1 = n - q2 + 1)</text>`+"\n", (x0+x1)/2, chartH-12)
	p(`<text transform="translate(18 %g) rotate(-90)" text-anchor="middle">commands applied per simulated second</text>`+"\n", (y0+y1)/2)

	for i, n := range ns {
		c := colours[i%len(colours)]
		for _, thrifty := range []bool{true, false} {
			var d strings.Builder
			var pts []result
			for _, r := range res {
				if r.N == n && r.Thrifty == thrifty && !r.Majority {
					pts = append(pts, r)
				}
			}
			for j, r := range pts {
				cmd := "L"
				if j == 0 {
					cmd = "M"
				}
				fmt.Fprintf(&d, "%s%.1f %.1f", cmd, xOf(r.Q2), yOf(r.Throughput)) // a strings.Builder's writes never fail
			}
			dash := ""
			if !thrifty {
				dash = ` stroke-dasharray="5 4"`
			}
			p(`<path d="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", d.String(), c, dash)
			for _, r := range pts {
				p(`<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%v: %.0f ops/s, mean %s, p99 %s</title></circle>`+"\n",
					xOf(r.Q2), yOf(r.Throughput), c, r.config, r.Throughput, ms(r.Mean), ms(r.P99))
			}
		}
		for _, r := range res {
			if r.N == n && r.Majority && !r.Thrifty {
				p(`<circle cx="%.1f" cy="%.1f" r="7" fill="none" stroke="%s" stroke-width="1.5"><title>%v: %.0f ops/s</title></circle>`+"\n",
					xOf(r.Q2), yOf(r.Throughput), c, r.config, r.Throughput)
			}
		}
		ly := top + 10 + float64(i)*20
		p(`<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="2"/>`+"\n", x1+14, ly, x1+34, ly, c)
		p(`<text x="%g" y="%g" dominant-baseline="middle">n = %d</text>`+"\n", x1+40, ly, n)
	}
	ly := top + 20 + float64(len(ns))*20
	p(`<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black" stroke-width="2"/>`+"\n", x1+14, ly, x1+34, ly)
	p(`<text x="%g" y="%g" dominant-baseline="middle">thrifty phase 2</text>`+"\n", x1+40, ly)
	ly += 20
	p(`<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black" stroke-width="2" stroke-dasharray="5 4"/>`+"\n", x1+14, ly, x1+34, ly)
	p(`<text x="%g" y="%g" dominant-baseline="middle">to all acceptors</text>`+"\n", x1+40, ly)
	ly += 20
	p(`<circle cx="%g" cy="%g" r="7" fill="none" stroke="black" stroke-width="1.5"/>`+"\n", x1+24, ly)
	p(`<text x="%g" y="%g" dominant-baseline="middle">majority Multi-Paxos</text>`+"\n", x1+40, ly)
	p("</svg>\n")
	return errors.Join(werr, b.Flush())
}
