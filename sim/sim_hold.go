package sim

import (
	"fmt"
	"time"
)

// Hold-back faults. A message held back is delayed, not lost: it leaves
// its sender as usual (its Send is recorded when it is sent), waits in
// the network until the hold ends, then takes the latency it drew and
// arrives. Rare orders in distributed protocols often need one message to
// be overtaken by many others: a catch-up request answered only after two
// elections, a heartbeat from a deposed leader delivered after its
// successor has been heard from. Random latencies almost never produce
// such a delay (it would have to be many times the mean), and a loss is a
// different fault: the protocol never sees the message at all.

// hold is a hold-back fault under way: messages from procs[from] to
// procs[to] (-1: any) for which match returns true (nil: every message)
// are held until until.
type hold[M any] struct {
	from, to int32
	match    func(from, to string, msg M) bool
	until    time.Duration
}

// Hold holds back every message sent on the one-way link from from to to
// (nodes or clients already known) from now for d. Such a message is not
// lost: it waits until the hold ends, at Now()+d, then takes the latency
// it drew and arrives, after messages sent later on other links or
// (with a latency that reorders) on the same one. What happens when it
// arrives is what happens to any message then: a partition or block under
// way at that time drops it, and so does a crashed destination. Messages
// already in flight are not affected, and neither are copies made by
// duplication before the hold started. Heal does not end a hold; holds
// that overlap hold a message until the last of them ends.
//
// The trace records a fault event "hold from->to for d"; the held
// messages' sends and deliveries are recorded as usual, and
// Stats.Held counts them. An unknown name is an error wrapping
// ErrUnknownNode, a negative d one wrapping ErrInvalidConfig; a link from
// a node to itself is never held (a node always reaches itself at once,
// as with Block).
func (s *Sim[M]) Hold(from, to string, d time.Duration) error {
	f, err := s.known("hold", from)
	if err != nil {
		return err
	}
	t, err := s.known("hold", to)
	if err != nil {
		return err
	}
	if f == t {
		return fmt.Errorf("sim: hold: a node always reaches itself (%q): %w", from, ErrInvalidConfig)
	}
	if d < 0 {
		return fmt.Errorf("sim: hold %s->%s for negative duration %v: %w", from, to, d, ErrInvalidConfig)
	}
	s.addHold(hold[M]{from: f, to: t, until: satAdd(s.now, d)}, fmt.Sprintf("hold %s->%s for %v", from, to, d))
	return nil
}

// HoldIf holds back, from now for d, every message for which match
// returns true when it is sent: a message class ("catch-up replies",
// "heartbeats of ballot 3") rather than a link. Held messages are treated
// as with Hold: delayed until Now()+d, then delivered after their latency,
// never lost by the hold itself. match receives the sender's and the
// destination's identifiers (a client's name for an injected message) and
// the message; it is called once for each message sent while the hold is
// under way, on the simulator's goroutine, and must not panic or call the
// simulator. what names the class in the trace's fault event ("hold what
// for d"). A nil match or a negative d is an error wrapping
// ErrInvalidConfig.
func (s *Sim[M]) HoldIf(what string, d time.Duration, match func(from, to string, msg M) bool) error {
	if match == nil {
		return fmt.Errorf("sim: hold %q: nil match: %w", what, ErrInvalidConfig)
	}
	if d < 0 {
		return fmt.Errorf("sim: hold %q for negative duration %v: %w", what, d, ErrInvalidConfig)
	}
	s.addHold(hold[M]{from: -1, to: -1, match: match, until: satAdd(s.now, d)}, fmt.Sprintf("hold %s for %v", what, d))
	return nil
}

// addHold installs h and records the fault.
func (s *Sim[M]) addHold(h hold[M], text string) {
	if h.until > s.now {
		s.holds = append(s.holds, h)
	}
	s.fault(text)
}

// heldUntil returns when the message msg from procs[from] to procs[to],
// sent now, may leave: the latest end of the holds under way that match
// it, or 0 if none does. Holds that have ended are forgotten.
func (s *Sim[M]) heldUntil(from, to int32, msg M) time.Duration {
	var until time.Duration
	live := s.holds[:0]
	for _, h := range s.holds {
		if h.until <= s.now {
			continue
		}
		live = append(live, h)
		if from == to || h.until <= until ||
			(h.from >= 0 && h.from != from) || (h.to >= 0 && h.to != to) {
			continue
		}
		if h.match != nil && !h.match(s.procs[from].id, s.procs[to].id, msg) {
			continue
		}
		until = h.until
	}
	clear(s.holds[len(live):])
	s.holds = live
	return until
}
