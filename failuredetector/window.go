package failuredetector

import (
	"fmt"
	"math"
	"math/bits"
	"time"
)

// MaxWindow is the largest window size accepted (2^20 samples).
const MaxWindow = 1 << 20

// MaxSample is the longest interval a Window records; longer intervals are
// recorded as MaxSample (about 18 minutes). The bound keeps the running
// sums exact in 128-bit integers.
const MaxSample = time.Duration(1 << 40)

// Window holds the most recent heartbeat intervals in a ring of fixed size,
// with running sums of the samples and of their squares so that the mean
// and the variance cost O(1). The sums are kept exactly, as integers
// (nanoseconds, and nanoseconds squared in 128 bits), so they never drift
// however many samples pass through: the statistics equal a direct
// recomputation over the samples held.
//
// The zero value is not usable; create a Window with NewWindow. A Window is
// not safe for concurrent use; the detectors that own one guard it.
type Window struct {
	samples []int64 // ring; samples[(head+i)%len] is the i-th oldest
	head    int     // index of the oldest sample
	n       int     // number of samples held
	sum     int64   // Σ samples (at most MaxWindow·MaxSample = 2^60)
	sqHi    uint64  // Σ samples², high word
	sqLo    uint64  // Σ samples², low word
}

// NewWindow returns an empty window holding at most size samples.
// It returns an error wrapping ErrInvalidConfig unless 1 <= size <= MaxWindow.
func NewWindow(size int) (*Window, error) {
	if size < 1 || size > MaxWindow {
		return nil, fmt.Errorf("failuredetector: window size %d not in [1, %d]: %w", size, MaxWindow, ErrInvalidConfig)
	}
	return &Window{samples: make([]int64, size)}, nil
}

// Add records one interval, evicting the oldest when the window is full.
// Negative intervals are recorded as 0 and intervals above MaxSample as
// MaxSample. It costs O(1) and does not allocate.
func (w *Window) Add(d time.Duration) {
	x := int64(min(max(d, 0), MaxSample))
	if w.n == len(w.samples) {
		old := w.samples[w.head]
		w.samples[w.head] = x
		w.head++
		if w.head == len(w.samples) {
			w.head = 0
		}
		w.sum -= old
		w.subSq(old)
	} else {
		i := w.head + w.n
		if i >= len(w.samples) {
			i -= len(w.samples)
		}
		w.samples[i] = x
		w.n++
	}
	w.sum += x
	w.addSq(x)
}

func (w *Window) addSq(x int64) {
	hi, lo := bits.Mul64(uint64(x), uint64(x))
	var c uint64
	w.sqLo, c = bits.Add64(w.sqLo, lo, 0)
	w.sqHi, _ = bits.Add64(w.sqHi, hi, c)
}

func (w *Window) subSq(x int64) {
	hi, lo := bits.Mul64(uint64(x), uint64(x))
	var b uint64
	w.sqLo, b = bits.Sub64(w.sqLo, lo, 0)
	w.sqHi, _ = bits.Sub64(w.sqHi, hi, b)
}

// Reset empties the window.
func (w *Window) Reset() {
	w.head, w.n, w.sum, w.sqHi, w.sqLo = 0, 0, 0, 0, 0
}

// Len returns the number of samples held.
func (w *Window) Len() int { return w.n }

// Cap returns the most samples the window holds.
func (w *Window) Cap() int { return len(w.samples) }

// At returns the i-th oldest sample (0 <= i < Len) and false if i is out of
// range.
func (w *Window) At(i int) (time.Duration, bool) {
	if i < 0 || i >= w.n {
		return 0, false
	}
	j := w.head + i
	if j >= len(w.samples) {
		j -= len(w.samples)
	}
	return time.Duration(w.samples[j]), true
}

// Sum returns the sum of the samples held.
func (w *Window) Sum() time.Duration { return time.Duration(w.sum) }

// Mean returns the mean of the samples in nanoseconds, 0 when empty.
func (w *Window) Mean() float64 {
	if w.n == 0 {
		return 0
	}
	return float64(w.sum) / float64(w.n)
}

// Variance returns the population variance of the samples in nanoseconds
// squared, 0 when empty. It is never negative.
func (w *Window) Variance() float64 {
	if w.n == 0 {
		return 0
	}
	// n·Σx² − (Σx)², exactly in 128 bits: n <= 2^20 and Σx² < 2^100, and
	// Σx < 2^60, so neither product overflows and the difference is the
	// non-negative n²·variance (Cauchy-Schwarz).
	n := uint64(w.n)
	aHi, aLo := bits.Mul64(w.sqLo, n)
	aHi += w.sqHi * n
	bHi, bLo := bits.Mul64(uint64(w.sum), uint64(w.sum))
	dLo, borrow := bits.Sub64(aLo, bLo, 0)
	dHi, _ := bits.Sub64(aHi, bHi, borrow)
	d := float64(dHi)*0x1p64 + float64(dLo)
	nf := float64(w.n)
	return d / (nf * nf)
}

// StdDev returns the population standard deviation of the samples in
// nanoseconds.
func (w *Window) StdDev() float64 { return math.Sqrt(w.Variance()) }

// Max returns the largest sample held, 0 when empty. It costs O(Len).
func (w *Window) Max() time.Duration {
	var m int64
	for i := range w.n {
		j := (w.head + i) % len(w.samples)
		m = max(m, w.samples[j])
	}
	return time.Duration(m)
}

// CountAbove returns how many samples exceed x (in nanoseconds). It costs
// O(Len) and does not allocate.
func (w *Window) CountAbove(x float64) int {
	c := 0
	for i := range w.n {
		j := w.head + i
		if j >= len(w.samples) {
			j -= len(w.samples)
		}
		if float64(w.samples[j]) > x {
			c++
		}
	}
	return c
}
