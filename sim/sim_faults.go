package sim

import (
	"fmt"
	"time"
)

// Crash stops node id now: its volatile state (the Node value) is
// discarded, its pending timers are cancelled, the inputs it had queued
// (and the one it was serving) are lost, and messages that reach it while
// it is down are dropped. Its Storage is kept, without the writes it had
// not synced (see Storage). Crashing a crashed node does nothing. An
// unknown id is an error wrapping ErrUnknownNode.
func (s *Sim[M]) Crash(id string) error {
	p, err := s.nodeProc("crash", id)
	if err != nil {
		return err
	}
	if !p.up {
		return nil
	}
	s.stats.Crashes++
	s.local(p, Crash, "")
	p.up = false
	p.node = nil
	p.storage.lose()
	p.incarnation++
	clear(p.timers)
	if p.busy {
		s.discard(p, p.current)
	}
	for _, in := range p.inbox[p.head:] {
		s.discard(p, in)
	}
	p.inbox, p.head = p.inbox[:0], 0
	p.busy, p.doneOnResume, p.paused = false, false, false
	p.pauseGen++
	return nil
}

// discard throws away an input of a crashing node: a message is recorded
// as dropped.
func (s *Sim[M]) discard(p *proc[M], in input) {
	if in.timer {
		s.freeTimer(in.ref)
		return
	}
	f := &s.flights[in.ref]
	s.drop(f.from, f.to, f.id, f.text)
	s.freeFlight(in.ref)
}

// Restart brings crashed node id back: the factory given to New creates a
// new value, and its Start runs now with the Storage the node had. Only
// what the node persisted survives. Restarting a node that is up does
// nothing. An unknown id is an error wrapping ErrUnknownNode; if the
// factory or Start panics, the run stops and Restart returns the
// *NodePanicError.
func (s *Sim[M]) Restart(id string) error {
	p, err := s.nodeProc("restart", id)
	if err != nil {
		return err
	}
	if s.err != nil {
		return s.err
	}
	if p.up {
		return nil
	}
	s.stats.Restarts++
	p.up = true
	s.local(p, Restart, "")
	return s.boot(p)
}

// Pause stops node id from processing for d, as a long garbage-collection
// pause or a descheduled VM would: messages that arrive meanwhile and
// timers that expire meanwhile wait, and are handled in order when the
// pause ends; an input being served when the pause starts completes at the
// end of the pause at the earliest. The network is not affected. Pausing a
// paused node extends the pause if d reaches further; pausing a crashed
// node does nothing. An unknown id is an error wrapping ErrUnknownNode, a
// negative d one wrapping ErrInvalidConfig.
func (s *Sim[M]) Pause(id string, d time.Duration) error {
	p, err := s.nodeProc("pause", id)
	if err != nil {
		return err
	}
	if d < 0 {
		return fmt.Errorf("sim: pause %q for negative duration %v: %w", id, d, ErrInvalidConfig)
	}
	if !p.up {
		return nil
	}
	end := satAdd(s.now, d)
	if p.paused && end <= p.pausedUntil {
		return nil // already paused for longer
	}
	s.stats.Pauses++
	s.local(p, Pause, d.String())
	p.paused = true
	p.pausedUntil = end
	p.pauseGen++
	s.schedule(event{at: end, kind: evResume, node: p.idx, gen: p.pauseGen})
	return nil
}

// nodeProc returns the node named id.
func (s *Sim[M]) nodeProc(op, id string) (*proc[M], error) {
	i, ok := s.index[id]
	if !ok || i >= s.n {
		return nil, fmt.Errorf("sim: %s: %q: %w", op, id, ErrUnknownNode)
	}
	return s.procs[i], nil
}
