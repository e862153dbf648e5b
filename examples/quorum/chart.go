package main

import (
	"bytes"
	"fmt"

	"github.com/eventually-perfect/primitives/quorum"
)

// loadChart draws, against the read fraction from 0 to 1, the load of
// strategy st (optimised for one fraction, marked) and the lowest load
// any strategy reaches at each fraction, like quoracle's load plots.
func loadChart(s *quorum.System, st *quorum.Strategy, at float64) ([]byte, error) {
	const (
		width, height = 480, 300
		left, right   = 56, 20
		top, bottom   = 30, 46
		steps         = 40
	)
	var fixed, best []float64
	top1 := 0.0
	for i := 0; i <= steps; i++ {
		f := float64(i) / steps
		w, err := quorum.ReadFraction(f)
		if err != nil {
			return nil, err
		}
		o, err := s.Optimal(quorum.Goal{Workload: w})
		if err != nil {
			return nil, err
		}
		here := st.At(w).Load() // the same strategy, measured at read fraction f
		fixed = append(fixed, here)
		best = append(best, o.Load())
		top1 = max(top1, here)
	}
	ymax := 1.0
	if top1 < 0.5 {
		ymax = 0.5
	}
	x := func(f float64) float64 { return left + f*(width-left-right) }
	y := func(l float64) float64 { return height - bottom - l/ymax*(height-top-bottom) }
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="18" font-size="13">load of %s</text>`+"\n", left, escape(s.Expr(quorum.Read).String()))
	// axes and grid
	for i := 0; i <= 4; i++ {
		l := ymax * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", x(0), y(l), x(1), y(l))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%.3g</text>`+"\n", x(0)-6, y(l)+4, l)
		f := float64(i) / 4
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%.2g</text>`+"\n", x(f), y(0)+16, f)
	}
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", x(0), y(0), x(1), y(0))
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", x(0), y(0), x(0), y(ymax))
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">read fraction</text>`+"\n", x(0.5), height-8)
	line := func(vals []float64, color, dash string) {
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" stroke-dasharray="%s" points="`, color, dash)
		for i, v := range vals {
			fmt.Fprintf(&b, "%.1f,%.1f ", x(float64(i)/steps), y(v))
		}
		b.WriteString(`"/>` + "\n")
	}
	line(best, "#888", "5,4")
	line(fixed, "#1f5fbf", "")
	fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="#1f5fbf"/>`+"\n", x(at), y(st.Load()))
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#1f5fbf">strategy optimised for read fraction %g</text>`+"\n", x(0)+8, top+4, at)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#666">best load at each read fraction (dashed)</text>`+"\n", x(0)+8, top+20)
	b.WriteString("</svg>\n")
	return b.Bytes(), nil
}

func escape(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
