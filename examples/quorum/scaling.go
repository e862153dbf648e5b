package main

import (
	"bytes"
	"fmt"

	"github.com/eventually-perfect/primitives/quorum"
)

// scalingPoint is the lowest load of one system at read fraction 1/2.
type scalingPoint struct {
	n    int
	load float64
}

// scaling computes the optimal load at read fraction 1/2 of majorities of
// 3 to 15 nodes and of k x k grids for k = 2 to 5, with the package's own
// linear program (Naor and Wool 1998: a majority's load is about 1/2
// whatever n, a grid's falls like 1/sqrt(n)).
func scaling() (majority, grid []scalingPoint, err error) {
	w, err := quorum.ReadFraction(0.5)
	if err != nil {
		return nil, nil, err
	}
	optimal := func(s *quorum.System) (float64, error) {
		st, err := s.Optimal(quorum.Goal{Workload: w})
		if err != nil {
			return 0, err
		}
		return st.Load(), nil
	}
	for n := 3; n <= 15; n += 2 {
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("n%d", i+1)
		}
		s, err := quorum.Majority(names...)
		if err != nil {
			return nil, nil, err
		}
		l, err := optimal(s)
		if err != nil {
			return nil, nil, err
		}
		majority = append(majority, scalingPoint{n, l})
	}
	for k := 2; k <= 5; k++ {
		g, err := quorum.GridNames(k, k)
		if err != nil {
			return nil, nil, err
		}
		s, err := quorum.Grid(g)
		if err != nil {
			return nil, nil, err
		}
		l, err := optimal(s)
		if err != nil {
			return nil, nil, err
		}
		grid = append(grid, scalingPoint{k * k, l})
	}
	return majority, grid, nil
}

// scalingChart draws the two curves of scaling.
func scalingChart(majority, grid []scalingPoint) []byte {
	const (
		width, height = 480, 300
		left, right   = 56, 20
		top, bottom   = 30, 46
		nmax          = 26.0
	)
	x := func(n int) float64 { return left + float64(n)/nmax*(width-left-right) }
	y := func(l float64) float64 { return height - bottom - l*(height-top-bottom) }
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="18" font-size="13">lowest load at read fraction 1/2 against the number of nodes</text>`+"\n", left)
	for i := 0; i <= 4; i++ {
		l := float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", x(0), y(l), x(int(nmax)), y(l))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%.3g</text>`+"\n", x(0)-6, y(l)+4, l)
	}
	for n := 0; n <= 25; n += 5 {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%d</text>`+"\n", x(n), y(0)+16, n)
	}
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", x(0), y(0), x(int(nmax)), y(0))
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", x(0), y(0), x(0), y(1))
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">nodes</text>`+"\n", x(13), height-8)
	curve := func(pts []scalingPoint, color, label string, ly int) {
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="`, color)
		for _, p := range pts {
			fmt.Fprintf(&b, "%.1f,%.1f ", x(p.n), y(p.load))
		}
		b.WriteString(`"/>` + "\n")
		for _, p := range pts {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", x(p.n), y(p.load), color)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="%s">%s</text>`+"\n", x(0)+8+200, ly, color, label)
	}
	curve(majority, "#bf3f1f", "majority of n (n odd)", top+4)
	curve(grid, "#1f5fbf", "k x k grid (n = k*k)", top+20)
	b.WriteString("</svg>\n")
	return b.Bytes()
}
