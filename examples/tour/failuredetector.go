package main

import (
	"bytes"
	"fmt"
	"math"
	"time"

	fd "github.com/eventually-perfect/primitives/failuredetector"
)

// The failure-detector section: one peer's heartbeats, including a
// garbage-collection pause of the sender and then a crash, watched by a
// fixed timeout and by two φ accrual detectors. The data comes from pure
// functions (fdTourTrace, fdTourRun, fdTourCurve) that
// failuredetector_test.go checks the prose against.

func init() {
	register(section{order: 40, name: "failuredetector", title: "Failure detectors: crashed or just slow?", run: failuredetectorSection})
}

// The story's schedule.
const (
	fdPeriod   = time.Second
	fdPauseAt  = 11500 * time.Millisecond // the sender stalls (GC)...
	fdPauseFor = 3 * time.Second          // ...for this long
	fdCrash    = 30500 * time.Millisecond // and later crashes
	fdEnd      = 40 * time.Second
)

// fdTourTrace is the heartbeat trace of the lesson: one heartbeat a second
// arriving 10 ms later with a few milliseconds of jitter, none sent during
// the GC pause (one is sent when it ends), none after the crash.
func fdTourTrace() fd.Trace {
	jitter := []time.Duration{0, 15, -10, 5, -5} // ms, a fixed pattern
	var arr []time.Duration
	resumed := false
	for i := 0; time.Duration(i)*fdPeriod < fdCrash; i++ {
		sent := time.Duration(i) * fdPeriod
		if sent >= fdPauseAt && sent < fdPauseAt+fdPauseFor {
			continue
		}
		if sent >= fdPauseAt+fdPauseFor && !resumed {
			resumed = true // the stalled timer fires as the pause ends
			arr = append(arr, fdPauseAt+fdPauseFor+10*time.Millisecond)
		}
		arr = append(arr, sent+10*time.Millisecond+jitter[i%len(jitter)]*time.Millisecond)
	}
	return fd.Trace{Arrivals: arr, Crashed: true, Crash: fdCrash, End: fdEnd}
}

// fdDetector is one detector of the lesson.
type fdDetector struct {
	name string
	new  func() (fd.Detector, error)
}

func fdPhiConfig(pause time.Duration) fd.Config {
	cfg := fd.DefaultConfig() // Akka's: threshold 8, min std dev 100 ms, ...
	cfg.AcceptableHeartbeatPause = pause
	return cfg
}

var fdDetectors = []fdDetector{
	{"timeout 2 s", func() (fd.Detector, error) { return fd.NewTimeout(fd.TimeoutConfig{Timeout: 2 * time.Second}) }},
	{"phi, no acceptable pause", func() (fd.Detector, error) { return fd.NewPhi(fdPhiConfig(0)) }},
	{"phi, Akka's 3 s acceptable pause", func() (fd.Detector, error) { return fd.NewPhi(fdPhiConfig(3 * time.Second)) }},
}

// fdTourRun evaluates every detector of the lesson on the trace.
func fdTourRun() ([]fd.QoS, error) {
	tr := fdTourTrace()
	out := make([]fd.QoS, len(fdDetectors))
	for i, d := range fdDetectors {
		det, err := d.new()
		if err != nil {
			return nil, err
		}
		if out[i], err = fd.Evaluate(tr, det, time.Millisecond); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fdSample is φ of both phi detectors at one time.
type fdSample struct {
	at       time.Duration
	phi      [2]float64 // no pause, 3 s pause
	suspects [2]bool
}

// fdTourCurve replays the trace into the two φ detectors and samples them
// every step.
func fdTourCurve(step time.Duration) ([]fdSample, error) {
	tr := fdTourTrace()
	var ps [2]*fd.Phi
	for i, pause := range []time.Duration{0, 3 * time.Second} {
		p, err := fd.NewPhi(fdPhiConfig(pause))
		if err != nil {
			return nil, err
		}
		ps[i] = p
	}
	var out []fdSample
	next := 0
	for at := time.Duration(0); at <= tr.End; at += step {
		for next < len(tr.Arrivals) && tr.Arrivals[next] <= at {
			for _, p := range ps {
				if err := p.Heartbeat(tr.Arrivals[next]); err != nil {
					return nil, err
				}
			}
			next++
		}
		s := fdSample{at: at}
		for i, p := range ps {
			s.phi[i], s.suspects[i] = p.Phi(at), p.Suspect(at)
		}
		out = append(out, s)
	}
	return out, nil
}

func failuredetectorSection(t *tour) error {
	t.para(`A node that has crashed sends nothing. A node that is alive but slow,
		because its garbage collector stopped the world, its virtual machine
		was descheduled or the network is dropping packets, also sends
		nothing. From the outside the two look the same, and in an
		asynchronous network no algorithm can tell them apart for sure
		(Fischer, Lynch and Paterson's impossibility result rests on exactly
		this). A failure detector guesses from heartbeats: each node sends
		"I am alive" every second, and the detector suspects a peer that has
		been silent too long. Every detector trades two things: how soon it
		suspects a crashed peer (detection time) and how often it wrongly
		suspects a live one (mistakes).`)

	tr := fdTourTrace()
	t.heading("One peer's heartbeats")
	t.para(fmt.Sprintf(`Here is a peer that sends a heartbeat every %v. At %v its garbage
		collector pauses it for %v: the heartbeats due meanwhile are never
		sent, and the one its stalled timer owed is sent when it resumes. At
		%v it crashes for real. The detector sees only arrival times; the
		gaps between them are:`, fdPeriod, fdPauseAt, fdPauseFor, fdCrash))
	for i := 1; i < len(tr.Arrivals); i++ {
		gap := tr.Arrivals[i] - tr.Arrivals[i-1]
		if gap > 1500*time.Millisecond {
			t.printf("  heartbeat at %-8v after a gap of %v  <- GC pause\n", tr.Arrivals[i], gap)
		}
	}
	last := tr.Arrivals[len(tr.Arrivals)-1]
	t.printf("  last heartbeat at %v, then silence until %v  <- crash at %v\n\n", last, tr.End, tr.Crash)

	qs, err := fdTourRun()
	if err != nil {
		return err
	}
	t.para(`Three detectors watch it. A fixed timeout of 2 s. A φ accrual detector
		(Hayashibara et al. 2004, as in Akka and Cassandra) that keeps the
		mean and standard deviation of recent intervals and reports
		φ = -log10 P(a heartbeat would arrive this late), with Akka's
		threshold of 8. The same with Akka's "acceptable heartbeat pause" of
		3 s added to the expected interval, for pauses like this one.`)
	for i, d := range fdDetectors {
		q := qs[i]
		t.printf("  %-34s %d mistake(s), wrongly suspected for %v; crash detected after %v\n",
			d.name+":", q.Mistakes, (q.MistakeDuration * time.Duration(q.Mistakes)).Round(time.Millisecond), q.DetectionTime.Round(time.Millisecond))
	}
	t.printf("\n")

	curve, err := fdTourCurve(50 * time.Millisecond)
	if err != nil {
		return err
	}
	peak := fdPeakDuring(curve, fdPauseAt, fdPauseAt+fdPauseFor+time.Second)
	before, after, err := fdTourSpread()
	if err != nil {
		return err
	}
	t.para(fmt.Sprintf(`Heartbeats this regular make a normal distribution very sure of
		itself (the standard deviation is held at its 100 ms minimum), so
		during the pause φ without an acceptable pause climbs to %.0f: a
		chance of about 1 in 10^%.0f that the peer is merely late, which the
		pause proves wrong. With the acceptable pause φ stays near 0 (its peak is %.1f) and
		never crosses 8. The price comes at the crash: it waits those 3 s
		longer, and because it accepted the pause as a normal interval, its
		estimate of the spread of intervals grew from %v to %v, which makes
		it slower still. That is the whole trade-off in one picture:
		fd-tour-phi.svg plots both φ curves.`, peak[0], math.Round(peak[0]), peak[1],
		before.Round(time.Millisecond), after.Round(time.Millisecond)))
	t.para(`How to read φ: it is a logarithm, so φ = 1 means about a 10% chance
		that suspecting now is a mistake, φ = 2 about 1%, φ = 8 about one in a
		hundred million, if the intervals really follow the assumed
		distribution. They rarely do in the tail (GC pauses are not normal),
		which is why real deployments add an acceptable pause and why the
		package's QoS tools measure mistakes on traces instead of trusting
		the formula. go run ./examples/failuredetector sweeps each detector's
		threshold and charts mistakes per day against detection time.`)
	t.para(`Mistakes cannot be avoided, only made rare, and agreement protocols
		are designed to survive them: Chandra and Toueg showed that consensus
		needs only an eventually perfect detector (◇P), one that may err for
		a while but eventually suspects exactly the crashed nodes. The
		package's EventuallyPerfect detector gets there by lengthening its
		timeout after each mistake.`)
	return t.writeFile("fd-tour-phi.svg", fdPlot(curve, tr))
}

// fdTourSpread returns the standard deviation of the intervals the
// detector with the 3 s acceptable pause holds just before the GC pause and
// at the crash.
func fdTourSpread() (before, after time.Duration, err error) {
	tr := fdTourTrace()
	p, err := fd.NewPhi(fdPhiConfig(3 * time.Second))
	if err != nil {
		return 0, 0, err
	}
	for _, a := range tr.Arrivals {
		if a > fdPauseAt && before == 0 {
			before = p.Stats().StdDev
		}
		if err := p.Heartbeat(a); err != nil {
			return 0, 0, err
		}
	}
	return before, p.Stats().StdDev, nil
}

// fdPeakDuring returns the largest φ of each detector in [from, to].
func fdPeakDuring(curve []fdSample, from, to time.Duration) [2]float64 {
	var peak [2]float64
	for _, s := range curve {
		if s.at >= from && s.at <= to {
			for i := range peak {
				peak[i] = max(peak[i], s.phi[i])
			}
		}
	}
	return peak
}

// fdPlot draws both φ curves (clipped at 20), the threshold, the
// heartbeats, the GC pause and the crash.
func fdPlot(curve []fdSample, tr fd.Trace) []byte {
	const (
		w, h          = 720.0, 300.0
		l, r, top, bt = 50.0, 20.0, 40.0, 40.0
		maxPhi        = 20.0
	)
	x := func(d time.Duration) float64 { return l + d.Seconds()/tr.End.Seconds()*(w-l-r) }
	y := func(phi float64) float64 { return h - bt - math.Min(phi, maxPhi)/maxPhi*(h-top-bt) }
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	p(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	p(`<text x="%g" y="20" font-size="14">φ of one peer: a GC pause at %v, a crash at %v</text>`+"\n", l, fdPauseAt, tr.Crash)
	p(`<rect x="%.1f" y="%g" width="%.1f" height="%g" fill="#fde9c8"/>`+"\n", x(fdPauseAt), top, x(fdPauseAt+fdPauseFor)-x(fdPauseAt), h-top-bt)
	p(`<line x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="black" stroke-dasharray="4 3"/>`+"\n", x(tr.Crash), top, x(tr.Crash), h-bt)
	p(`<text x="%.1f" y="%g">crash</text>`+"\n", x(tr.Crash)+4, top+12)
	p(`<text x="%.1f" y="%g">GC pause</text>`+"\n", x(fdPauseAt)+4, top+28)
	p(`<path d="M%g %gV%gH%g" fill="none" stroke="black"/>`+"\n", l, top, h-bt, w-r)
	for s := 0; s <= int(tr.End.Seconds()); s += 5 {
		p(`<text x="%.1f" y="%g" text-anchor="middle">%d s</text>`+"\n", x(time.Duration(s)*time.Second), h-bt+28, s)
	}
	for _, v := range []float64{0, 8, 20} {
		p(`<text x="%g" y="%.1f" text-anchor="end" dominant-baseline="middle">%g</text>`+"\n", l-6, y(v), v)
	}
	p(`<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#888" stroke-dasharray="2 2"/>`+"\n", l, y(8), w-r, y(8))
	p(`<text x="%g" y="%.1f" fill="#888">threshold 8</text>`+"\n", w-r-80, y(8)-4)
	for _, a := range tr.Arrivals {
		p(`<line x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="#444"/>`+"\n", x(a), h-bt, x(a), h-bt+8)
	}
	colours := []string{"#d62728", "#1f77b4"}
	names := []string{"φ, no acceptable pause", "φ, 3 s acceptable pause"}
	for i := range 2 {
		var d bytes.Buffer
		for j, s := range curve {
			cmd := "L"
			if j == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%.1f %.1f", cmd, x(s.at), y(s.phi[i]))
		}
		p(`<path d="%s" fill="none" stroke="%s" stroke-width="1.5"/>`+"\n", d.String(), colours[i])
		p(`<text x="%g" y="%g" fill="%s">%s</text>`+"\n", l+10+float64(i)*220, top-6, colours[i], names[i])
	}
	p("</svg>\n")
	return b.Bytes()
}
