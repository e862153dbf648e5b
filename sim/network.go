package sim

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/eventually-perfect/primitives/clocks"
)

// send puts msg from p to procs[to] into the network: record the Send,
// then drop it (partition, block, loss), or transmit it and perhaps a
// duplicate.
func (s *Sim[M]) send(p *proc[M], to int32, msg M) {
	s.stats.Sends++
	s.nextMsg++
	id := s.nextMsg
	var (
		lam  uint64
		vec  clocks.Vector
		text string
	)
	if s.tracing {
		text = fmt.Sprint(msg)
		lam = p.lamport.Tick()
		p.vector.Tick(p.id)
		vec = p.vector.Clone() // shared by the event and the message: both read only
		s.record(Event{Kind: Send, Node: p.id, Peer: s.procs[to].id, MsgID: id, Text: text, Lamport: lam, Vector: vec})
	}
	l := s.link(p.idx, to)
	if s.cut(p.idx, to) || (l.cfg.Loss > 0 && s.rng.Float64() < l.cfg.Loss) {
		s.drop(p.idx, to, id, text)
		return
	}
	var until time.Duration // held back until then (see Hold)
	if len(s.holds) > 0 {
		if until = s.heldUntil(p.idx, to, msg); until > 0 {
			s.stats.Held++
		}
	}
	s.transmit(l, s.newFlight(flight[M]{msg: msg, from: p.idx, to: to, id: id, lamport: lam, vector: vec, text: text}), until)
	if l.cfg.Duplicate > 0 && s.rng.Float64() < l.cfg.Duplicate {
		s.nextMsg++
		copyID := s.nextMsg
		s.stats.Duplicates++
		if s.tracing {
			s.record(Event{Kind: Duplicate, Node: p.id, Peer: s.procs[to].id, MsgID: id, Copy: copyID, Text: text})
		}
		s.transmit(l, s.newFlight(flight[M]{msg: msg, from: p.idx, to: to, id: copyID, lamport: lam, vector: vec, text: text}), until)
	}
}

// transmit schedules the arrival of flights[ref] over l: after the link
// has finished sending what was queued before it and the message itself
// (with a bandwidth limit), and no earlier than until (a hold-back fault),
// plus a latency drawn from l's distribution.
func (s *Sim[M]) transmit(l *link, ref int32, until time.Duration) {
	depart := s.now
	if l.cfg.Bandwidth > 0 {
		tx := satDuration(math.Ceil(float64(sizeOf(&s.flights[ref].msg)) / l.cfg.Bandwidth * float64(time.Second)))
		l.busyUntil = satAdd(max(s.now, l.busyUntil), tx)
		depart = l.busyUntil
	}
	depart = max(depart, until)
	s.schedule(event{at: satAdd(depart, l.lat.Sample(s.rng)), kind: evArrive, ref: ref})
}

// arrive handles flights[ref] reaching its destination: dropped if the
// link is now cut or the destination is down, handed to a client, or
// accepted by the node (which may queue it while busy or paused).
func (s *Sim[M]) arrive(ref int32) {
	f := &s.flights[ref]
	p := s.procs[f.to]
	if !p.up || s.cut(f.from, f.to) {
		s.drop(f.from, f.to, f.id, f.text)
		s.freeFlight(ref)
		return
	}
	if p.client {
		s.recordDeliver(p, f)
		s.freeFlight(ref)
		return
	}
	s.accept(p, input{ref: ref})
}

// recordDeliver counts and records the delivery of f to p: merge the
// message's clocks into p's and tick (IR2), then record.
func (s *Sim[M]) recordDeliver(p *proc[M], f *flight[M]) {
	s.stats.Deliveries++
	if !s.tracing {
		return
	}
	p.vector.Merge(f.vector)
	p.vector.Tick(p.id)
	lam := p.lamport.Witness(f.lamport)
	s.record(Event{Kind: Deliver, Node: p.id, Peer: s.procs[f.from].id, MsgID: f.id, Text: f.text, Lamport: lam, Vector: p.vector.Clone()})
}

// drop counts and records the loss of message id from procs[from] to
// procs[to].
func (s *Sim[M]) drop(from, to int32, id int, text string) {
	s.stats.Drops++
	if s.tracing {
		s.record(Event{Kind: Drop, Node: s.procs[from].id, Peer: s.procs[to].id, MsgID: id, Text: text})
	}
}

func (s *Sim[M]) newFlight(f flight[M]) int32 {
	if k := len(s.freeFlights); k > 0 {
		ref := s.freeFlights[k-1]
		s.freeFlights = s.freeFlights[:k-1]
		s.flights[ref] = f
		return ref
	}
	s.flights = append(s.flights, f)
	return int32(len(s.flights) - 1)
}

func (s *Sim[M]) freeFlight(ref int32) {
	s.flights[ref] = flight[M]{} // let the message be collected
	s.freeFlights = append(s.freeFlights, ref)
}

// link returns the state of the one-way link from procs[from] to
// procs[to]. Links to and from clients are created on first use with
// Config.Link.
func (s *Sim[M]) link(from, to int32) *link {
	if from < s.n && to < s.n {
		return &s.links[from*s.n+to]
	}
	k := [2]int32{from, to}
	l, ok := s.clientLinks[k]
	if !ok {
		if s.clientLinks == nil {
			s.clientLinks = make(map[[2]int32]*link)
		}
		nl := newLink(s.cfg.Link)
		l = &nl
		s.clientLinks[k] = l
	}
	return l
}

// cut reports whether a partition or a block stops messages from
// procs[from] to procs[to]. A node always reaches itself.
func (s *Sim[M]) cut(from, to int32) bool {
	if from == to {
		return false
	}
	if s.partitioned {
		gf, gt := s.procs[from].group, s.procs[to].group
		if gf >= 0 && gt >= 0 && gf != gt {
			return true
		}
	}
	return len(s.blocked) > 0 && s.blocked[[2]int32{from, to}]
}

// Partition splits the network into the given groups of nodes: from now
// on, until Heal or the next Partition, every message between nodes of
// different groups is lost, in both directions, including messages
// already in flight when they arrive. Nodes named in no group form one
// more group together, so Partition([]string{"a"}) isolates a. Clients
// are in no group: partitions never cut them off. A node named twice is
// an error wrapping ErrInvalidConfig, an unknown one ErrUnknownNode; on
// error nothing changes.
func (s *Sim[M]) Partition(groups ...[]string) error {
	group := make([]int, s.n)
	named := make([]bool, s.n)
	for g, ids := range groups {
		for _, id := range ids {
			i, ok := s.index[id]
			if !ok || i >= s.n {
				return fmt.Errorf("sim: partition: node %q: %w", id, ErrUnknownNode)
			}
			if named[i] {
				return fmt.Errorf("sim: partition names node %q twice: %w", id, ErrInvalidConfig)
			}
			named[i] = true
			group[i] = g + 1
		}
	}
	for i, p := range s.procs[:s.n] {
		p.group = group[i]
	}
	s.partitioned = true
	s.fault("partition " + s.describeGroups(group))
	return nil
}

// describeGroups renders a partition as "a b | c", groups in order of
// their first member.
func (s *Sim[M]) describeGroups(group []int) string {
	var parts []string
	done := make(map[int]bool)
	for i := range group {
		g := group[i]
		if done[g] {
			continue
		}
		done[g] = true
		var ids []string
		for j := i; j < len(group); j++ {
			if group[j] == g {
				ids = append(ids, s.procs[j].id)
			}
		}
		parts = append(parts, strings.Join(ids, " "))
	}
	return strings.Join(parts, " | ")
}

// Block cuts the one-way link from from to to (nodes or clients already
// known) until Heal: an asymmetric partition, where to no longer hears
// from but from still hears to. Messages in flight on the link when it is
// blocked are lost when they arrive.
func (s *Sim[M]) Block(from, to string) error {
	f, err := s.known("block", from)
	if err != nil {
		return err
	}
	t, err := s.known("block", to)
	if err != nil {
		return err
	}
	if f == t {
		return fmt.Errorf("sim: block: a node always reaches itself (%q): %w", from, ErrInvalidConfig)
	}
	if s.blocked == nil {
		s.blocked = make(map[[2]int32]bool)
	}
	s.blocked[[2]int32{f, t}] = true
	s.fault("block " + from + "->" + to)
	return nil
}

// Heal removes every partition and block.
func (s *Sim[M]) Heal() {
	for _, p := range s.procs[:s.n] {
		p.group = 0
	}
	s.partitioned = false
	s.blocked = nil
	s.fault("heal")
}

// SetLink replaces the configuration of the one-way link from from to to,
// two nodes, from now on; messages already in flight keep the delay they
// drew. Invalid settings are an error wrapping ErrInvalidConfig.
func (s *Sim[M]) SetLink(from, to string, l LinkConfig) error {
	f, ok := s.index[from]
	if !ok || f >= s.n {
		return fmt.Errorf("sim: set link: node %q: %w", from, ErrUnknownNode)
	}
	t, ok := s.index[to]
	if !ok || t >= s.n {
		return fmt.Errorf("sim: set link: node %q: %w", to, ErrUnknownNode)
	}
	if err := l.validate(); err != nil {
		return fmt.Errorf("sim: set link %s->%s: %w", from, to, err)
	}
	k := &s.links[f*s.n+t]
	busy := k.busyUntil
	*k = newLink(l)
	k.busyUntil = busy
	s.fault(fmt.Sprintf("link %s->%s %v", from, to, l))
	return nil
}

// known returns the index of a node or known client.
func (s *Sim[M]) known(op, id string) (int32, error) {
	i, ok := s.index[id]
	if !ok {
		return 0, fmt.Errorf("sim: %s: %q: %w", op, id, ErrUnknownNode)
	}
	return i, nil
}

// fault records a network fault.
func (s *Sim[M]) fault(text string) {
	if s.tracing {
		s.record(Event{Kind: Fault, Text: text})
	}
}
