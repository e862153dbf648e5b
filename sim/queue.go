package sim

import "time"

// evKind says what a queued event does.
type evKind uint8

const (
	evArrive evKind = iota // message flights[ref] reaches its destination
	evTimer                // timer timers[ref] expires
	evDone                 // node finishes the input it is serving (gen: incarnation)
	evResume               // node's pause ends (gen: pause generation)
	evAction               // run actions[ref] (At)
)

// event is an entry of the event queue. It is a small value with no
// pointers: what it refers to lives in the simulator's typed slices
// (flights, timers, actions), so queueing an event allocates nothing once
// the queue has grown.
type event struct {
	at   time.Duration // true time
	seq  uint64        // order of scheduling: breaks ties in at
	ref  int32
	node int32
	gen  uint32
	kind evKind
}

// before orders events by time, then by the order they were scheduled, so
// that simultaneous events run in a deterministic order.
func (e *event) before(o *event) bool {
	if e.at != o.at {
		return e.at < o.at
	}
	return e.seq < o.seq
}

// eventQueue is a binary min-heap of events ordered by before. It is the
// algorithm of container/heap written for one element type, because
// container/heap's Push and Pop take an any and would allocate to box
// every event. Push and pop cost O(log n).
type eventQueue []event

func (q *eventQueue) push(e event) {
	h := append(*q, e)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h[i].before(&h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	*q = h
}

// pop removes and returns the earliest event; the queue must not be empty.
func (q *eventQueue) pop() event {
	h := *q
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h[r].before(&h[l]) {
			m = r
		}
		if !h[m].before(&h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	*q = h
	return top
}
