package clocks_test

import (
	"testing"

	"pgregory.net/rapid"
)

// TestHistoryReferenceIsAStrictPartialOrder checks the test oracle itself:
// happened-before must be irreflexive and transitive, must contain process
// order and send-to-receive edges, and must only point forwards in time.
func TestHistoryReferenceIsAStrictPartialOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := drawHistory(t, 4, 30)
		n := len(h.events)
		for i := range n {
			if h.happenedBefore(i, i) {
				t.Fatalf("happened-before is not irreflexive: e%d -> e%d\n%s", i, i, h)
			}
			for j := range n {
				if h.happenedBefore(i, j) && j <= i {
					t.Fatalf("happened-before points backwards in execution order: e%d -> e%d\n%s", i, j, h)
				}
				for k := range n {
					if h.happenedBefore(i, j) && h.happenedBefore(j, k) && !h.happenedBefore(i, k) {
						t.Fatalf("happened-before is not transitive: e%d -> e%d -> e%d\n%s", i, j, k, h)
					}
				}
			}
		}
		for j, ev := range h.events {
			if ev.kind == recvEvent && !h.happenedBefore(ev.msg, j) {
				t.Fatalf("a send must happen before its receipt: e%d, e%d\n%s", ev.msg, j, h)
			}
			for i := range j {
				if h.events[i].proc == ev.proc && !h.happenedBefore(i, j) {
					t.Fatalf("process order must be in happened-before: e%d, e%d\n%s", i, j, h)
				}
			}
		}
	})
}
