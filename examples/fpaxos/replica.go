package main

import (
	"fmt"
	"strconv"
	"strings"
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
// (sim.Sizer): a replica message's encoded size, and for the client's
// messages a small header (type, client, sequence) plus the operation.
func (m msg) Size() int {
	switch m.Kind {
	case kindRequest:
		return 16 + len(m.Op)
	case kindReply:
		return 16
	}
	return logSize(m.Log)
}

// logSize estimates the encoded size of a replica message: a header of
// type, sender, receiver and ballot, plus the values carried.
func logSize(m paxos.LogMessage) int {
	n := 1 + len(m.From) + len(m.To) + 2*(10+len(m.Ballot.Node)) + 10 + 2
	n += entrySize(m.Entry) + len(m.Command)
	for _, e := range m.Entries {
		n += entrySize(e)
	}
	return n
}

func entrySize(e paxos.Entry) int { return 10 + 10 + len(e.Ballot.Node) + len(e.Value) + 1 }

// clientName is the client's node.
const clientName = "client"

// tickEvery is the replicas' tick period: heartbeats, retransmissions and
// election timeouts count in ticks.
const tickEvery = 10 * time.Millisecond

// command encodes the client's request seq as a replicated command.
func command(seq uint64, op string) string {
	return clientName + ":" + strconv.FormatUint(seq, 10) + ":" + op
}

// seqOf returns the client sequence number of a replicated command.
func seqOf(cmd string) (uint64, bool) {
	rest, ok := strings.CutPrefix(cmd, clientName+":")
	if !ok {
		return 0, false
	}
	s, _, ok := strings.Cut(rest, ":")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// replicaNode runs a paxos.Replica as a sim node. It ticks every
// tickEvery, submits the client's requests, applies the decided prefix
// and, for the requests it received, replies to the client once the
// command is applied.
type replicaNode struct {
	cfg     paxos.ReplicaConfig
	r       *paxos.Replica
	applied uint64          // slots applied so far
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
	for {
		e, ok := p.r.Decided(p.applied)
		if !ok {
			return
		}
		p.applied++
		if e.NoOp {
			continue
		}
		if seq, ok := seqOf(e.Value); ok && p.waiting[seq] {
			delete(p.waiting, seq)
			ctx.Send(clientName, msg{Kind: kindReply, Seq: seq})
		}
	}
}

func (p *replicaNode) Start(ctx *sim.Context[msg]) {
	r, err := paxos.NewReplica(p.cfg, &paxos.MemoryLogStorage{})
	if err != nil {
		panic(err)
	}
	p.r, p.waiting = r, map[uint64]bool{}
	ctx.SetTimer("tick", tickEvery)
}

func (p *replicaNode) Receive(ctx *sim.Context[msg], _ string, m msg) {
	p.count(ctx)
	switch m.Kind {
	case kindLog:
		out, err := p.r.Step(m.Log)
		p.emit(ctx, out, err)
	case kindRequest:
		p.waiting[m.Seq] = true
		out, err := p.r.Submit(command(m.Seq, m.Op))
		p.emit(ctx, out, err)
	}
}

func (p *replicaNode) Timeout(ctx *sim.Context[msg], _ string) {
	p.count(ctx)
	out, err := p.r.Tick()
	p.emit(ctx, out, err)
	ctx.SetTimer("tick", tickEvery)
}

// ballotOf is the leader's identity for the stability check: the
// replica's ID while it leads.
func leaderOf(s *sim.Sim[msg], ids []string) string {
	for _, id := range ids {
		if nd, ok := s.Node(id); ok && nd.(*replicaNode).r.Leader() {
			return id
		}
	}
	return ""
}
