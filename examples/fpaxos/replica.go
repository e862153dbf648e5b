package main

import (
	"fmt"
	"time"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/sim"
)

// This file adapts paxos.Replica to the simulator: every API-specific line
// of the experiment lives here.

// msgKind says what a msg carries.
type msgKind uint8

const (
	kindLog     msgKind = iota // a Multi-Paxos message between replicas
	kindRequest                // a client request to the leader
	kindReply                  // the leader's answer once the command is applied
)

// msg is the simulator's message type: replica traffic, or the client's
// requests and replies.
type msg struct {
	Kind msgKind
	Log  paxos.LogMessage
	Seq  uint64 // request and reply: the client's sequence number
	Op   string // request: the operation
}

// String formats the message for traces.
func (m msg) String() string {
	switch m.Kind {
	case kindRequest:
		return fmt.Sprintf("request %d", m.Seq)
	case kindReply:
		return fmt.Sprintf("reply %d", m.Seq)
	}
	return m.Log.String()
}

// Size is the message's size in bytes for the links' bandwidth
// (sim.Sizer): a replica message's encoded size (LogMessage.Size), and
// for the client's messages a small header (type, client, sequence) plus
// the operation.
func (m msg) Size() int {
	switch m.Kind {
	case kindRequest:
		return 16 + len(m.Op)
	case kindReply:
		return 16
	}
	return m.Log.Size()
}

// clientName is the client's node.
const clientName = "client"

// pollEvery is how often the client looks for a leader before it starts.
const pollEvery = 10 * time.Millisecond

// machine is the replicated state machine of the experiment: it applies
// nothing and remembers which of the client's commands were applied since
// the node last looked, so that the replica the client talks to can reply.
type machine struct{ applied []uint64 }

func (sm *machine) Apply(cmd paxos.Command) string {
	if cmd.Client == clientName {
		sm.applied = append(sm.applied, cmd.Seq)
	}
	return ""
}

func (sm *machine) Snapshot() ([]byte, error) { return nil, nil }
func (sm *machine) Restore([]byte) error      { return nil }

// replicaNode runs a paxos.Replica as a sim node. It ticks every tick, submits the client's requests, applies the decided prefix
// and, for the requests it received, replies to the client once the
// command is applied.
type replicaNode struct {
	cfg     paxos.ReplicaConfig
	tick    time.Duration
	r       *paxos.Replica
	sm      *machine
	waiting map[uint64]bool // client requests received here, not yet applied

	from, to time.Duration // the measurement window
	handled  int           // inputs (messages and ticks) handled in it
}

// count counts an input if it is handled in the measurement window.
func (p *replicaNode) count(ctx *sim.Context[msg]) {
	if now := ctx.Now(); now >= p.from && now < p.to {
		p.handled++
	}
}

func (p *replicaNode) emit(ctx *sim.Context[msg], out []paxos.LogMessage, err error) {
	if err != nil {
		panic(err) // the simulator reports it as a *sim.NodePanicError
	}
	for _, m := range out {
		ctx.Send(m.To, msg{Kind: kindLog, Log: m})
	}
	for _, seq := range p.sm.applied {
		if p.waiting[seq] {
			delete(p.waiting, seq)
			ctx.Send(clientName, msg{Kind: kindReply, Seq: seq})
		}
	}
	p.sm.applied = p.sm.applied[:0]
}

func (p *replicaNode) Start(ctx *sim.Context[msg]) {
	p.sm = &machine{}
	cfg := p.cfg
	cfg.StateMachine = p.sm
	r, err := paxos.NewReplica(cfg, &paxos.MemoryLogStorage{})
	if err != nil {
		panic(err)
	}
	p.r, p.waiting = r, map[uint64]bool{}
	ctx.SetTimer("tick", p.tick)
}

func (p *replicaNode) Receive(ctx *sim.Context[msg], _ string, m msg) {
	p.count(ctx)
	switch m.Kind {
	case kindLog:
		out, err := p.r.Step(m.Log)
		p.emit(ctx, out, err)
	case kindRequest:
		p.waiting[m.Seq] = true
		out, err := p.r.Submit(paxos.Command{Client: clientName, Seq: m.Seq, Op: m.Op})
		p.emit(ctx, out, err)
	}
}

func (p *replicaNode) Timeout(ctx *sim.Context[msg], _ string) {
	p.count(ctx)
	out, err := p.r.Tick()
	p.emit(ctx, out, err)
	ctx.SetTimer("tick", p.tick)
}

// leaderOf returns the replica that leads now, or "".
func leaderOf(s *sim.Sim[msg], ids []string) string {
	for _, id := range ids {
		if nd, ok := s.Node(id); ok && nd.(*replicaNode).r.Leader() {
			return id
		}
	}
	return ""
}

// elections counts the elections every replica has started so far.
func elections(s *sim.Sim[msg], ids []string) uint64 {
	var n uint64
	for _, id := range ids {
		if nd, ok := s.Node(id); ok {
			n += nd.(*replicaNode).r.Stats().Elections
		}
	}
	return n
}
