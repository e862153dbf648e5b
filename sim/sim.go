package sim

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"time"

	"github.com/eventually-perfect/primitives/clocks"
)

// Sim is a deterministic discrete-event simulator of nodes of type Node[M]
// exchanging messages of type M over a simulated network. Everything that
// happens, happens because an event taken off one time-ordered queue made
// it happen, and every random choice is drawn from sources seeded by
// Config.Seed, so a run replays exactly from its Config.
//
// A Sim is not safe for concurrent use; run independent simulations in
// separate goroutines instead. Create one with New.
type Sim[M any] struct {
	cfg     Config
	newNode func(id string) Node[M]
	rng     *rand.Rand // the network's choices: loss, duplication, latency
	now     time.Duration
	seq     uint64
	queue   eventQueue

	procs []*proc[M] // the nodes, in Config.Nodes order, then clients
	index map[string]int32
	n     int32 // number of nodes: procs[:n]

	links       []link             // n×n, links[from*n+to]
	clientLinks map[[2]int32]*link // links to or from clients
	partitioned bool
	blocked     map[[2]int32]bool
	holds       []hold[M] // hold-back faults under way, see Hold

	flights     []flight[M]
	freeFlights []int32
	timers      []timerRec
	freeTimers  []int32
	actions     []func(*Sim[M])
	freeActions []int32

	ctx         Context[M]
	tracing     bool
	trace       Trace
	traceBuf    []Event   // recorded events not yet in trace.Events: the last chunk
	traceChunks [][]Event // ... the full chunks before it
	buffered    int       // ... and their number
	stats       Stats
	nextMsg     int
	timerGen    uint64
	maxEvents   int
	err         error
}

// proc is a node or a client: anything with a line in the trace.
type proc[M any] struct {
	id      string
	idx     int32
	client  bool // a name that is not a node: it only sends (Inject) and receives
	node    Node[M]
	up      bool
	peers   []string
	storage *Storage
	rand    *rand.Rand
	clock   ClockConfig
	skewed  bool

	incarnation uint32 // bumped at each crash: stale service events are ignored
	timers      map[string]uint64

	paused       bool
	pausedUntil  time.Duration
	pauseGen     uint32
	busy         bool // serving current until an evDone
	doneOnResume bool // the evDone came during a pause
	current      input
	inbox        []input // inputs waiting while busy or paused, from inbox[head]
	head         int

	group   int // partition group; -1 for clients, which no partition cuts
	lamport clocks.Lamport
	vector  clocks.Vector
}

// input is a message (flights[ref]) or an expired timer (timers[ref])
// waiting for a node to handle it.
type input struct {
	ref   int32
	timer bool
}

// flight is a message in the network or in a node's inbox.
type flight[M any] struct {
	msg      M
	from, to int32
	id       int
	lamport  uint64        // the sender's clocks at the send, when tracing
	vector   clocks.Vector // shared by a message and its duplicate: read only
	text     string
}

// timerRec is a pending timer; it is live while the node's timers map
// holds gen under name.
type timerRec struct {
	name string
	gen  uint64
	node int32
}

// link is the state of one one-way link.
type link struct {
	cfg       LinkConfig
	lat       Latency
	busyUntil time.Duration // when the link has finished transmitting
}

// Stats counts what happened during a run.
type Stats struct {
	// Events is the number of events taken off the queue (Step calls that
	// did something).
	Events int
	// Sends is the number of messages sent, injected ones included.
	Sends int
	// Deliveries is the number of messages handed to a node's Receive, or
	// to a client.
	Deliveries int
	// Drops is the number of messages lost: to Loss, to a partition or
	// block, or to a crashed destination.
	Drops int
	// Duplicates is the number of extra copies the network made.
	Duplicates int
	// Timers is the number of timers that fired (Timeout calls).
	Timers int
	// Crashes, Restarts and Pauses count the node faults.
	Crashes, Restarts, Pauses int
	// Held is the number of messages (duplicates counted once with their
	// original) held back by Hold or HoldIf: delayed, not lost.
	Held int
}

// simCall says which Node method a handler call invokes.
type simCall uint8

const (
	simStart simCall = iota
	simReceive
	simTimeout
)

// masterStream is the PCG stream of the network's random source; node
// sources use a stream derived from the node's identifier.
const masterStream = 0x9e3779b97f4a7c15

// New validates cfg (errors wrap ErrInvalidConfig or ErrUnknownNode),
// creates every node with newNode and calls its Start at time 0, in the
// order of cfg.Nodes. newNode is also called to rebuild a node at each
// Restart; it must return a fresh value every time, sharing nothing
// mutable with earlier ones, or state would survive a crash that should
// have lost it. If a Start panics, New returns a *NodePanicError.
func New[M any](cfg Config, newNode func(id string) Node[M]) (*Sim[M], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if newNode == nil {
		return nil, fmt.Errorf("sim: nil node factory: %w", ErrInvalidConfig)
	}
	n := len(cfg.Nodes)
	s := &Sim[M]{
		cfg:       cfg,
		newNode:   newNode,
		rng:       rand.New(rand.NewPCG(cfg.Seed, masterStream)),
		index:     make(map[string]int32, n),
		n:         int32(n),
		links:     make([]link, n*n),
		tracing:   !cfg.NoTrace,
		maxEvents: cfg.MaxEvents,
	}
	if s.maxEvents == 0 {
		s.maxEvents = DefaultMaxEvents
	} else if s.maxEvents < 0 {
		s.maxEvents = math.MaxInt
	}
	s.trace = Trace{Seed: cfg.Seed, Nodes: append([]string(nil), cfg.Nodes...)}
	for i, id := range cfg.Nodes {
		p := &proc[M]{
			id:      id,
			idx:     int32(i),
			up:      true,
			peers:   peersOf(cfg.Nodes, id),
			storage: new(Storage),
			rand:    rand.New(rand.NewPCG(cfg.Seed, streamOf(id))),
			clock:   cfg.Clocks[id],
			timers:  make(map[string]uint64),
		}
		p.skewed = p.clock != ClockConfig{}
		s.procs = append(s.procs, p)
		s.index[id] = int32(i)
	}
	for i, from := range cfg.Nodes {
		for j, to := range cfg.Nodes {
			l, ok := cfg.Links[[2]string{from, to}]
			if !ok {
				l = cfg.Link
			}
			s.links[i*n+j] = newLink(l)
		}
	}
	for _, p := range s.procs[:n] {
		if err := s.boot(p); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// streamOf derives a node's PCG stream from its identifier, so that a
// node's random choices depend on the seed and its name only: adding a
// node does not change what the others draw.
func streamOf(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

func newLink(l LinkConfig) link {
	lat := l.Latency
	if lat == nil {
		lat = Constant(DefaultLatency)
	}
	return link{cfg: l, lat: lat}
}

// boot creates p's node value and calls Start.
func (s *Sim[M]) boot(p *proc[M]) error {
	node, err := s.create(p)
	if err != nil {
		p.up = false
		return err
	}
	p.node = node
	var zero M
	s.call(p, simStart, "", zero, "")
	return s.err
}

// create calls the node factory, turning a panic or a nil node into an
// error.
func (s *Sim[M]) create(p *proc[M]) (node Node[M], err error) {
	defer func() {
		if r := recover(); r != nil {
			s.fail(p, r)
			err = s.err
		}
	}()
	node = s.newNode(p.id)
	if node == nil {
		return nil, fmt.Errorf("sim: node factory returned nil for %q: %w", p.id, ErrInvalidConfig)
	}
	return node, nil
}

// Now returns the current true (simulated) time: the time of the last
// event processed, or the end of the last RunFor.
func (s *Sim[M]) Now() time.Duration { return s.now }

// Config returns the configuration the simulator was created with.
func (s *Sim[M]) Config() Config { return s.cfg }

// Node returns the current value of node id, so tests can inspect it; false
// if id is crashed or unknown. The value is replaced at each restart.
func (s *Sim[M]) Node(id string) (Node[M], bool) {
	i, ok := s.index[id]
	if !ok || i >= s.n || !s.procs[i].up {
		return nil, false
	}
	return s.procs[i].node, true
}

// Up reports whether node id is known and not crashed (a paused node is
// up).
func (s *Sim[M]) Up(id string) bool {
	_, ok := s.Node(id)
	return ok
}

// Storage returns the durable storage of node id (nil if id is not a
// node). It survives crashes; tests may read it, and may write it to
// model an operator's intervention.
func (s *Sim[M]) Storage(id string) *Storage {
	i, ok := s.index[id]
	if !ok || i >= s.n {
		return nil
	}
	return s.procs[i].storage
}

// Trace returns the trace recorded so far. It is the simulator's own and
// keeps growing as the run goes on. With Config.NoTrace it has no events.
func (s *Sim[M]) Trace() *Trace {
	s.flushTrace()
	return &s.trace
}

// Stats returns the counts of what has happened so far.
func (s *Sim[M]) Stats() Stats { return s.stats }

// Pending returns the number of events waiting in the queue: messages in
// flight, timers, service completions, resumes and scheduled actions.
func (s *Sim[M]) Pending() int { return len(s.queue) }

// At schedules action to run at true time t (or now, if t is in the past),
// after the events already scheduled for that time. Use it for faults and
// client requests. An action cannot return an error; one that may fail
// records it for the test to check after the run:
//
//	var crashErr error
//	s.At(time.Second, func(s *Sim[M]) { crashErr = s.Crash("a") })
func (s *Sim[M]) At(t time.Duration, action func(s *Sim[M])) {
	if action == nil {
		return
	}
	var ref int32
	if k := len(s.freeActions); k > 0 {
		ref = s.freeActions[k-1]
		s.freeActions = s.freeActions[:k-1]
		s.actions[ref] = action
	} else {
		ref = int32(len(s.actions))
		s.actions = append(s.actions, action)
	}
	s.schedule(event{at: max(t, s.now), kind: evAction, ref: ref})
}

// schedule queues e, numbering it so that ties break in scheduling order.
func (s *Sim[M]) schedule(e event) {
	e.seq = s.seq
	s.seq++
	s.queue.push(e)
}

// Inject sends msg to node to as if from had sent it now, through the
// network (latency, loss, partitions...). from may be a node or a client:
// any other name, which then appears in the trace as a process of its own
// that sends the injected messages and receives what nodes send to it.
func (s *Sim[M]) Inject(from, to string, msg M) error {
	if from == "" {
		return fmt.Errorf("sim: inject from an empty name: %w", ErrInvalidConfig)
	}
	t, ok := s.index[to]
	if !ok || t >= s.n {
		return fmt.Errorf("sim: inject to %q: %w", to, ErrUnknownNode)
	}
	f := s.procOf(from)
	s.send(f, t, msg)
	return nil
}

// procOf returns the process named id, registering a client if id is not
// known yet.
func (s *Sim[M]) procOf(id string) *proc[M] {
	if i, ok := s.index[id]; ok {
		return s.procs[i]
	}
	p := &proc[M]{id: id, idx: int32(len(s.procs)), client: true, up: true, group: -1}
	s.procs = append(s.procs, p)
	s.index[id] = p.idx
	s.trace.Nodes = append(s.trace.Nodes, id)
	return p
}

// Step processes the next event. It returns false when there was nothing
// left to do, or when the run stopped with an error: a *NodePanicError
// (after which every call returns the same error) or ErrEventLimit.
func (s *Sim[M]) Step() (bool, error) {
	if s.err != nil {
		return false, s.err
	}
	if len(s.queue) == 0 {
		return false, nil
	}
	if s.stats.Events >= s.maxEvents {
		return false, fmt.Errorf("sim: stopped after %d events at %v (seed %d): %w", s.stats.Events, s.now, s.cfg.Seed, ErrEventLimit)
	}
	e := s.queue.pop()
	s.now = e.at
	s.stats.Events++
	s.dispatch(e)
	if s.err != nil {
		return false, s.err
	}
	return true, nil
}

// Run processes events until none is left, the event limit is reached or
// a node panics.
func (s *Sim[M]) Run() error {
	for {
		ok, err := s.Step()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
	}
}

// RunFor processes every event up to d from now, then advances the clock
// to now+d.
func (s *Sim[M]) RunFor(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("sim: run for negative duration %v: %w", d, ErrInvalidConfig)
	}
	end := satAdd(s.now, d)
	for len(s.queue) > 0 && s.queue[0].at <= end {
		if _, err := s.Step(); err != nil {
			return err
		}
	}
	if s.err != nil {
		return s.err
	}
	s.now = max(s.now, end)
	return nil
}

// RunUntil processes events until cond holds (checked before each event).
// It returns an error wrapping ErrQuiescent if the events run out first.
func (s *Sim[M]) RunUntil(cond func() bool) error {
	for !cond() {
		ok, err := s.Step()
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("sim: nothing left to do at %v and the condition does not hold (seed %d): %w", s.now, s.cfg.Seed, ErrQuiescent)
		}
	}
	return nil
}

// dispatch carries out one event.
func (s *Sim[M]) dispatch(e event) {
	switch e.kind {
	case evArrive:
		s.arrive(e.ref)
	case evTimer:
		rec := &s.timers[e.ref]
		p := s.procs[rec.node]
		if !p.up || p.timers[rec.name] != rec.gen {
			s.freeTimer(e.ref) // cancelled, replaced or crashed
			return
		}
		s.accept(p, input{ref: e.ref, timer: true})
	case evDone:
		p := s.procs[e.node]
		if e.gen != p.incarnation || !p.busy {
			return
		}
		if p.paused {
			p.doneOnResume = true
			return
		}
		s.finish(p)
	case evResume:
		p := s.procs[e.node]
		if e.gen != p.pauseGen || !p.paused || !p.up {
			return
		}
		p.paused = false
		s.local(p, Resume, "")
		if p.doneOnResume {
			p.doneOnResume = false
			s.finish(p)
		} else {
			s.drain(p)
		}
	case evAction:
		action := s.actions[e.ref]
		s.actions[e.ref] = nil
		s.freeActions = append(s.freeActions, e.ref)
		action(s)
	}
}

// accept hands an input to p: served at once if p is idle, queued if it is
// busy or paused.
func (s *Sim[M]) accept(p *proc[M], in input) {
	if p.paused || p.busy || p.head < len(p.inbox) {
		p.inbox = append(p.inbox, in)
		return
	}
	s.serve(p, in)
}

// serve starts serving in: at once without a service time, else after it.
func (s *Sim[M]) serve(p *proc[M], in input) {
	if s.cfg.ServiceTime == 0 {
		s.handle(p, in)
		return
	}
	p.busy = true
	p.current = in
	s.schedule(event{at: satAdd(s.now, s.cfg.ServiceTime), kind: evDone, node: p.idx, gen: p.incarnation})
}

// finish completes the input p was serving and starts on the next.
func (s *Sim[M]) finish(p *proc[M]) {
	p.busy = false
	s.handle(p, p.current)
	s.drain(p)
}

// drain serves queued inputs while p is up, idle and not paused.
func (s *Sim[M]) drain(p *proc[M]) {
	for p.up && !p.paused && !p.busy && p.head < len(p.inbox) && s.err == nil {
		in := p.inbox[p.head]
		p.head++
		if p.head == len(p.inbox) {
			p.inbox, p.head = p.inbox[:0], 0
		}
		s.serve(p, in)
	}
}

// handle calls the node's handler for in.
func (s *Sim[M]) handle(p *proc[M], in input) {
	if in.timer {
		rec := s.timers[in.ref]
		s.freeTimer(in.ref)
		if p.timers[rec.name] != rec.gen {
			return // cancelled by an input served before it
		}
		delete(p.timers, rec.name)
		s.stats.Timers++
		s.local(p, Timer, rec.name)
		var zero M
		s.call(p, simTimeout, "", zero, rec.name)
		return
	}
	f := &s.flights[in.ref]
	msg, from := f.msg, s.procs[f.from].id
	s.recordDeliver(p, f)
	s.freeFlight(in.ref)
	s.call(p, simReceive, from, msg, "")
}

// call runs one handler of p's node and carries out what it asked for. A
// panic stops the run with a *NodePanicError.
func (s *Sim[M]) call(p *proc[M], kind simCall, from string, msg M, name string) {
	ctx := &s.ctx
	ctx.reset(p.id, p.peers, s.localNow(p), p.rand, p.storage)
	defer func() {
		if r := recover(); r != nil {
			s.fail(p, r)
		}
	}()
	switch kind {
	case simStart:
		p.node.Start(ctx)
	case simReceive:
		p.node.Receive(ctx, from, msg)
	case simTimeout:
		p.node.Timeout(ctx, name)
	}
	if !s.cfg.ExplicitSync {
		p.storage.Sync()
	}
	s.apply(p)
}

// fail records a panic of p's node (or factory) and stops the run.
func (s *Sim[M]) fail(p *proc[M], r any) {
	s.err = &NodePanicError{
		Node:  p.id,
		Seed:  s.cfg.Seed,
		Time:  s.now,
		Value: r,
		Stack: string(debug.Stack()),
		Trace: s.Trace(),
	}
}

// apply carries out the requests a handler left in the context: notes,
// timers, then sends.
func (s *Sim[M]) apply(p *proc[M]) {
	ctx := &s.ctx
	for _, text := range ctx.notes {
		s.local(p, Local, text)
	}
	for _, op := range ctx.timers {
		if op.cancel {
			delete(p.timers, op.name)
			continue
		}
		s.setTimer(p, op.name, op.after)
	}
	for i := range ctx.sends {
		out := &ctx.sends[i]
		s.send(p, s.procOf(out.To).idx, out.Msg)
		var zero M
		out.Msg = zero // do not keep messages alive through the context
	}
}

// setTimer (re)arms p's timer name to fire after d of p's local time.
func (s *Sim[M]) setTimer(p *proc[M], name string, d time.Duration) {
	s.timerGen++
	gen := s.timerGen
	p.timers[name] = gen
	var ref int32
	rec := timerRec{name: name, gen: gen, node: p.idx}
	if k := len(s.freeTimers); k > 0 {
		ref = s.freeTimers[k-1]
		s.freeTimers = s.freeTimers[:k-1]
		s.timers[ref] = rec
	} else {
		ref = int32(len(s.timers))
		s.timers = append(s.timers, rec)
	}
	s.schedule(event{at: satAdd(s.now, s.trueDuration(p, d)), kind: evTimer, ref: ref, node: p.idx})
}

func (s *Sim[M]) freeTimer(ref int32) {
	s.timers[ref] = timerRec{}
	s.freeTimers = append(s.freeTimers, ref)
}

// localNow returns p's clock reading: Offset + (1+Drift)·now.
func (s *Sim[M]) localNow(p *proc[M]) time.Duration {
	if !p.skewed {
		return s.now
	}
	return p.clock.Offset + time.Duration((1+p.clock.Drift)*float64(s.now))
}

// trueDuration converts d of p's local time into true time, rounding up so
// that the local clock has advanced by at least d when a timer fires.
func (s *Sim[M]) trueDuration(p *proc[M], d time.Duration) time.Duration {
	if p.clock.Drift == 0 {
		return d
	}
	return satDuration(math.Ceil(float64(d) / (1 + p.clock.Drift)))
}

// satAdd returns t+d for t, d >= 0, saturating at the largest Duration
// (about 292 years) instead of wrapping around into the past.
func satAdd(t, d time.Duration) time.Duration {
	if d > math.MaxInt64-t {
		return math.MaxInt64
	}
	return t + d
}

// satDuration converts a non-negative number of nanoseconds to a Duration,
// saturating at the largest one.
func satDuration(ns float64) time.Duration {
	if ns >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(ns)
}

// local records a local event of p: tick its clocks (IR1), then record.
func (s *Sim[M]) local(p *proc[M], kind EventKind, text string) {
	if !s.tracing {
		return
	}
	lam := p.lamport.Tick()
	p.vector.Tick(p.id)
	s.record(Event{Kind: kind, Node: p.id, Text: text, Lamport: lam, Vector: p.vector.Clone()})
}

// traceChunk is the number of events in each buffer of recorded events.
const traceChunk = 4096

// record appends e to the trace at the current time. Events collect in
// fixed-size chunks that flushTrace copies into Trace.Events only when the
// trace is read, so a long run neither copies a huge slice at each growth
// nor makes the garbage collector wait on such copies.
func (s *Sim[M]) record(e Event) {
	e.Seq = len(s.trace.Events) + s.buffered
	e.Time = s.now
	if len(s.traceBuf) == cap(s.traceBuf) {
		if len(s.traceBuf) > 0 {
			s.traceChunks = append(s.traceChunks, s.traceBuf)
		}
		s.traceBuf = make([]Event, 0, traceChunk)
	}
	s.traceBuf = append(s.traceBuf, e)
	s.buffered++
}

// flushTrace moves the buffered events into Trace.Events.
func (s *Sim[M]) flushTrace() {
	if s.buffered == 0 {
		return
	}
	need := len(s.trace.Events) + s.buffered
	if need > cap(s.trace.Events) {
		grown := make([]Event, len(s.trace.Events), max(need, 2*cap(s.trace.Events)))
		copy(grown, s.trace.Events)
		s.trace.Events = grown
	}
	for _, c := range s.traceChunks {
		s.trace.Events = append(s.trace.Events, c...)
	}
	s.trace.Events = append(s.trace.Events, s.traceBuf...)
	s.traceChunks = nil
	clear(s.traceBuf)
	s.traceBuf = s.traceBuf[:0]
	s.buffered = 0
}
