// Command benchratio reads the output of benchmarks run in several passes
// (see ../../interleave.sh) and prints, for every benchmark that has an
// impl=ours variant and others, the ratio of the other's time to ours pass
// by pass: its median and its range over the passes. A ratio above 1 means
// ours is faster. Because each pass measured both sides back to back, the
// pass-by-pass ratio cancels much of the machine's load, which moves both;
// the range says how much was left. A range that contains 1 is within
// noise.
//
//	go run ./cmd/benchratio [-base ours] [-unit sec/op] out.txt...
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var procs = regexp.MustCompile(`-\d+$`)

// sample is one benchmark line: the name without its impl= part, the
// impl, and the time per op in nanoseconds.
type sample struct {
	key, impl string
	ns        float64
}

func parse(r io.Reader) ([]sample, error) {
	var out []sample
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		ns := -1.0
		for i := 2; i+1 < len(f); i += 2 {
			if f[i+1] == "ns/op" {
				v, err := strconv.ParseFloat(f[i], 64)
				if err != nil {
					return nil, fmt.Errorf("%q: %v", sc.Text(), err)
				}
				ns = v
			}
		}
		if ns < 0 {
			continue
		}
		name := procs.ReplaceAllString(f[0], "")
		var parts []string
		impl := ""
		for _, p := range strings.Split(name, "/") {
			if v, ok := strings.CutPrefix(p, "impl="); ok {
				impl = v
				continue
			}
			parts = append(parts, p)
		}
		if impl == "" {
			continue
		}
		out = append(out, sample{strings.Join(parts, "/"), impl, ns})
	}
	return out, sc.Err()
}

func main() {
	base := flag.String("base", "ours", "the impl= value the others are divided by")
	flag.Parse()
	var all []sample
	for _, name := range flag.Args() {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		s, err := parse(f)
		f.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		all = append(all, s...)
	}
	// times[key][impl] lists the times in the order of the passes.
	times := map[string]map[string][]float64{}
	var keys []string
	implOrder := map[string][]string{}
	for _, s := range all {
		if times[s.key] == nil {
			times[s.key] = map[string][]float64{}
			keys = append(keys, s.key)
		}
		if times[s.key][s.impl] == nil {
			implOrder[s.key] = append(implOrder[s.key], s.impl)
		}
		times[s.key][s.impl] = append(times[s.key][s.impl], s.ns)
	}
	fmt.Printf("%-50s %-14s %6s %8s %17s  %s\n", "benchmark", "other", "passes", "median", "range", "other/"+*base)
	for _, k := range keys {
		ours := times[k][*base]
		if ours == nil {
			continue
		}
		for _, impl := range implOrder[k] {
			if impl == *base {
				continue
			}
			other := times[k][impl]
			n := min(len(ours), len(other))
			r := make([]float64, n)
			for i := range n {
				r[i] = other[i] / ours[i]
			}
			slices.Sort(r)
			med := r[n/2]
			if n%2 == 0 {
				med = (r[n/2-1] + r[n/2]) / 2
			}
			verdict := "ours faster in every pass"
			switch {
			case r[0] <= 1 && r[n-1] >= 1:
				verdict = "within noise (the range contains 1)"
			case r[n-1] < 1:
				verdict = "other faster in every pass"
			}
			fmt.Printf("%-50s %-14s %6d %8.2f %8.2f..%-7.2f  %s\n", k, impl, n, med, r[0], r[n-1], verdict)
		}
	}
}
