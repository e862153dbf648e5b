package sim

import (
	"fmt"
	"runtime/debug"
	"time"

	"golang.org/x/sync/errgroup"
)

// This file holds the breadth-first search: levels, the parallel phases,
// the visited set and the way back from a state to the initial one.
//
// Each level runs in up to three phases, each split across the workers:
//
//  1. check: Invariant and Quiescent on every state of the level;
//  2. expand: each worker computes the successors of a contiguous slice of
//     the level, in order, and keeps those whose hash is neither in the
//     visited set (read only during this phase) nor among its own earlier
//     successors;
//  3. merge: the candidates are inserted into the visited set, one worker
//     per group of shards, each scanning the candidates in order; a
//     candidate is new if its insertion succeeds.
//
// The new states then form the next level in candidate order, which is
// the order of (parent, action): exactly the level a one-worker search
// builds, with the same parent for each state. The visited set needs no
// lock because no phase both reads and writes the same shard.

// minChunk is the fewest states a worker gets in a phase: below it the
// goroutine costs more than it saves.
const minChunk = 32

// candidate is a successor found in phase 2.
type candidate[M any, N any] struct {
	h      [2]uint64
	parent int32  // index of the parent in its level
	act    action // the action from the parent
	isNew  bool   // set in phase 3
	st     *state[M, N]
}

// parentRec links a state to its parent in the previous level.
type parentRec struct {
	parent int32
	act    action
}

// failure is a panic in node code during phase 2 (or building the initial
// state): the parent state, the action, the node, and what it panicked
// with.
type failure struct {
	parent int
	act    action
	node   int
	value  any
	stack  string
}

// found is a violation in phase 1.
type found struct {
	idx       int
	err       error
	quiescent bool
}

// run performs the search.
func (x *explorer[M, N]) run() (*ExploreResult, error) {
	start := time.Now()
	workers := make([]*worker[M, N], x.workers) // created when first needed
	workers[0] = newWorker(x)
	res := &ExploreResult{Complete: true}

	var init *state[M, N]
	if f := workers[0].guard(func() { init = workers[0].initial() }); f != nil {
		return nil, x.panicError(f, nil, true)
	}
	x.visited.insert(init.h)
	frontier := []*state[M, N]{init}
	levels := [][]parentRec{{{parent: -1}}}
	truncated := false
	for depth := 0; ; depth++ {
		res.Depth = depth
		res.Frontier = max(res.Frontier, len(frontier))
		res.Distinct += len(frontier)
		if v := x.check(workers, frontier); v != nil {
			res.Violation = &Violation{
				Err:       v.err,
				Quiescent: v.quiescent,
				Depth:     depth,
				Trace:     x.replay(pathTo(levels, depth, v.idx)),
			}
			res.Complete = false
			break
		}
		if truncated {
			res.Complete = false
			break
		}
		if x.cfg.MaxDepth > 0 && depth == x.cfg.MaxDepth {
			for _, s := range frontier {
				if x.hasActions(s) {
					res.Complete = false
					break
				}
			}
			break
		}
		next, recs, trunc, f := x.expand(workers, frontier, res.Distinct)
		if f != nil {
			return nil, x.panicError(f, pathTo(levels, depth, f.parent), false)
		}
		res.Explored += len(frontier)
		if len(next) == 0 {
			break
		}
		frontier, truncated = next, trunc
		levels = append(levels, recs)
	}

	res.Elapsed = time.Since(start)
	if s := res.Elapsed.Seconds(); s > 0 {
		res.StatesPerSecond = float64(res.Distinct) / s
	}
	mem := x.visited.bytes()
	for _, l := range levels {
		mem += cap(l) * 8 // sizeof(parentRec)
	}
	res.BytesPerState = float64(mem) / float64(res.Distinct)
	return res, nil
}

// pathTo returns the actions that lead from the initial state to state idx
// of level depth.
func pathTo(levels [][]parentRec, depth, idx int) []action {
	path := make([]action, depth)
	for l := depth; l > 0; l-- {
		r := levels[l][idx]
		path[l-1] = r.act
		idx = int(r.parent)
	}
	return path
}

// split cuts n states into contiguous chunks, at most one per worker and
// none smaller than minChunk (except when n itself is).
func (x *explorer[M, N]) split(n int) [][2]int {
	k := min(x.workers, (n+minChunk-1)/minChunk)
	k = max(k, 1)
	chunks := make([][2]int, k)
	for i := range chunks {
		chunks[i] = [2]int{n * i / k, n * (i + 1) / k}
	}
	return chunks
}

// parallel runs f on each chunk, chunk i on worker i, in goroutines when
// there is more than one chunk. f must not panic.
func parallel[M any, N Explorable[M, N]](workers []*worker[M, N], chunks [][2]int, f func(w *worker[M, N], lo, hi int)) {
	for i := range chunks {
		if workers[i] == nil {
			workers[i] = newWorker(workers[0].x)
		}
	}
	if len(chunks) == 1 {
		f(workers[0], chunks[0][0], chunks[0][1])
		return
	}
	var g errgroup.Group
	for i, c := range chunks {
		w := workers[i]
		g.Go(func() error {
			f(w, c[0], c[1])
			return nil
		})
	}
	_ = g.Wait() // f reports through its worker, never through an error
}

// check runs phase 1 and returns the first violation of the level in
// state order, or nil.
func (x *explorer[M, N]) check(workers []*worker[M, N], frontier []*state[M, N]) *found {
	if x.cfg.Invariant == nil && x.cfg.Quiescent == nil {
		return nil
	}
	chunks := x.split(len(frontier))
	var panics [][2]any
	parallel(workers, chunks, func(w *worker[M, N], lo, hi int) {
		w.violation = nil
		w.checkPanic = nil
		defer func() {
			if r := recover(); r != nil {
				w.checkPanic = &[2]any{r, string(debug.Stack())}
			}
		}()
		for i := lo; i < hi; i++ {
			if v := w.checkState(frontier[i]); v != nil {
				v.idx = i
				w.violation = v
				return
			}
		}
	})
	for i := range chunks {
		if p := workers[i].checkPanic; p != nil {
			panics = append(panics, *p)
		}
	}
	if len(panics) > 0 {
		// A bug in the property, not in the protocol: fail loudly, on the
		// caller's goroutine.
		panic(fmt.Sprintf("sim: explore: Invariant or Quiescent panicked: %v\n%s", panics[0][0], panics[0][1]))
	}
	for i := range chunks {
		if v := workers[i].violation; v != nil {
			return v
		}
	}
	return nil
}

// checkState checks one state.
func (w *worker[M, N]) checkState(s *state[M, N]) *found {
	x := w.x
	w.world.s = s
	defer func() { w.world.s = nil }()
	if x.cfg.Invariant != nil {
		if err := x.cfg.Invariant(&w.world); err != nil {
			return &found{err: err}
		}
	}
	if x.cfg.Quiescent != nil && x.quiescent(s) {
		if err := x.cfg.Quiescent(&w.world); err != nil {
			return &found{err: err, quiescent: true}
		}
	}
	return nil
}

// expand runs phases 2 and 3 and returns the next level with the links to
// its parents. distinct is the number of states found so far: the level is
// cut to keep the total within MaxStates, and truncated reports whether it
// was. A node panic stops the search: f is the panic with the least
// (parent, action), the one a one-worker search meets first.
func (x *explorer[M, N]) expand(workers []*worker[M, N], frontier []*state[M, N], distinct int) (next []*state[M, N], recs []parentRec, truncated bool, f *failure) {
	chunks := x.split(len(frontier))
	parallel(workers, chunks, func(w *worker[M, N], lo, hi int) { w.expand(frontier, lo, hi) })
	lists := workers[:len(chunks)]
	for _, w := range lists {
		if w.failure != nil {
			f = w.failure
			break
		}
	}
	if f != nil {
		for _, w := range lists {
			clear(w.cands)
			w.cands = w.cands[:0]
		}
		return nil, nil, false, f
	}

	// Phase 3: insert into the visited set, shard groups in parallel.
	total := 0
	for _, w := range lists {
		total += len(w.cands)
	}
	groups := min(x.workers, numShards, max(1, total/(4*minChunk)))
	merge := func(g int) {
		for _, w := range lists {
			for i := range w.cands {
				c := &w.cands[i]
				if sh := shardOf(c.h); sh%groups == g {
					c.isNew = x.visited.shards[sh].insert(c.h)
				}
			}
		}
	}
	if groups == 1 {
		merge(0)
	} else {
		var eg errgroup.Group
		for g := range groups {
			eg.Go(func() error { merge(g); return nil })
		}
		_ = eg.Wait()
	}

	room := x.maxStates - distinct
	for _, w := range lists {
		for i := range w.cands {
			c := &w.cands[i]
			if !c.isNew {
				continue
			}
			if len(next) == room {
				truncated = true
				continue
			}
			next = append(next, c.st)
			recs = append(recs, parentRec{parent: c.parent, act: c.act})
		}
		clear(w.cands) // let the duplicates go
		w.cands = w.cands[:0]
	}
	return next, recs, truncated, nil
}

// expand computes the successors of frontier[lo:hi] into w.cands, or
// stops at the first panic, recorded in w.failure.
func (w *worker[M, N]) expand(frontier []*state[M, N], lo, hi int) {
	x := w.x
	w.failure = nil
	w.cands = w.cands[:0]
	clear(w.local)
	var (
		p int
		a action
	)
	defer func() {
		if r := recover(); r != nil {
			w.failure = &failure{parent: p, act: a, node: w.running, value: r, stack: string(debug.Stack())}
			w.running = -1
		}
	}()
	for p = lo; p < hi; p++ {
		s := frontier[p]
		x.forActions(s, func(act action) bool {
			a = act
			t := w.step(s, act)
			if x.visited.has(t.h) {
				return true
			}
			if _, ok := w.local[t.h]; ok {
				return true
			}
			w.local[t.h] = struct{}{}
			w.cands = append(w.cands, candidate[M, N]{h: t.h, parent: int32(p), act: act, st: t.keep()})
			return true
		})
	}
}

// guard runs f and returns its panic, if any, as a failure.
func (w *worker[M, N]) guard(f func()) (fail *failure) {
	defer func() {
		if r := recover(); r != nil {
			fail = &failure{node: w.running, value: r, stack: string(debug.Stack())}
			w.running = -1
		}
	}()
	f()
	return nil
}

// panicError builds the error for a node panic: it replays path, then
// (unless the panic was in the initial state) the failed action, to record
// the trace up to the panic.
func (x *explorer[M, N]) panicError(f *failure, path []action, initial bool) error {
	switch f.node {
	case injecting:
		return fmt.Errorf("sim: explore: encoding an injected message: %v: %w", f.value, ErrInvalidConfig)
	case -1:
		// Not node code: a bug in the explorer. Do not disguise it as a
		// node panic.
		panic(fmt.Sprintf("%v\n%s", f.value, f.stack))
	}
	w := newWorker(x)
	w.tr = newTracer[M](x.ids)
	_ = w.guard(func() {
		s := w.initial()
		for _, a := range path {
			s = w.step(s, a).keep()
		}
		if !initial {
			w.step(s, f.act)
		}
	})
	tr := &w.tr.t
	return &NodePanicError{
		Node:  x.ids[f.node],
		Time:  time.Duration(len(tr.Events)),
		Value: f.value,
		Stack: f.stack,
		Trace: tr,
	}
}

// replay rebuilds the path from the initial state with a tracer and
// returns the trace.
func (x *explorer[M, N]) replay(path []action) *Trace {
	w := newWorker(x)
	w.tr = newTracer[M](x.ids)
	s := w.initial()
	for _, a := range path {
		s = w.step(s, a).keep()
	}
	return &w.tr.t
}

// The visited set: 2^shardBits shards, each an open-addressing table of
// 128-bit hashes with linear probing. The top bits of a hash choose the
// shard, the low bits of its other half the slot. A table doubles when it
// is three quarters full, so it costs between 21 and 43 bytes per hash.
const (
	shardBits = 6
	numShards = 1 << shardBits
)

type visitedSet struct {
	shards [numShards]hashSet
}

func shardOf(h [2]uint64) int { return int(h[0] >> (64 - shardBits)) }

func (v *visitedSet) has(h [2]uint64) bool { return v.shards[shardOf(h)].has(h) }

func (v *visitedSet) insert(h [2]uint64) bool { return v.shards[shardOf(h)].insert(h) }

// bytes returns the memory held by the tables.
func (v *visitedSet) bytes() int {
	n := 0
	for i := range v.shards {
		n += len(v.shards[i].slots) * 16
	}
	return n
}

// hashSet is a set of non-zero 128-bit hashes; the zero value is empty.
type hashSet struct {
	slots [][2]uint64 // length a power of two, or 0
	n     int
}

func (s *hashSet) has(h [2]uint64) bool {
	if len(s.slots) == 0 {
		return false
	}
	mask := uint64(len(s.slots) - 1)
	for i := h[1] & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return true
		case [2]uint64{}:
			return false
		}
	}
}

// insert adds h and reports whether it was absent. The table grows only
// when h is new, so its size depends on the set alone, not on how many
// times each hash was offered.
func (s *hashSet) insert(h [2]uint64) bool {
	if s.has(h) {
		return false
	}
	if 4*(s.n+1) > 3*len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := h[1] & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return false
		case [2]uint64{}:
			s.slots[i] = h
			s.n++
			return true
		}
	}
}

func (s *hashSet) grow() {
	old := s.slots
	s.slots = make([][2]uint64, max(16, 2*len(old)))
	mask := uint64(len(s.slots) - 1)
	for _, h := range old {
		if h == ([2]uint64{}) {
			continue
		}
		i := h[1] & mask
		for s.slots[i] != ([2]uint64{}) {
			i = (i + 1) & mask
		}
		s.slots[i] = h
	}
}
