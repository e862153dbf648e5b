package scenario

import (
	"fmt"
	"slices"
	"time"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/sim"
)

// msgKind says what a Msg carries.
type msgKind uint8

const (
	kindLog     msgKind = iota + 1 // a Multi-Paxos message between replicas
	kindRequest                    // a client's command to a replica
	kindReply                      // a replica's answer to a client
)

// Msg is what travels in the simulated network: a Multi-Paxos message
// between replicas, or a client's request and its reply.
type Msg struct {
	Kind   msgKind
	Log    paxos.LogMessage
	Cmd    paxos.Command // the request's command, or the command replied to
	Result string        // the reply's result: the counter after the command
	Leader string        // the reply's hint: the replica believed to lead
}

// String renders the message in traces and diagrams.
func (m Msg) String() string {
	switch m.Kind {
	case kindLog:
		return m.Log.String()
	case kindRequest:
		return "request " + m.Cmd.String()
	case kindReply:
		return fmt.Sprintf("reply %s = %s", m.Cmd, m.Result)
	}
	return "?"
}

// tickPeriod is how often a replica's Tick runs.
const tickPeriod = 10 * time.Millisecond

// replicaNode runs a paxos.Replica with a Counter as a sim node. Its disk
// (the replica's LogStorage) is kept by the scenario, outside the node
// value, so that it survives a crash as a disk would; the Counter is
// volatile and rebuilt from the log after a restart.
type replicaNode struct {
	cfg     paxos.ReplicaConfig
	disk    paxos.LogStorage
	sm      *Counter
	r       *paxos.Replica
	waiting []waiter // requests received here and not yet answered
	leading bool
}

// waiter is a client waiting for a command's result.
type waiter struct {
	from string
	cmd  paxos.Command
}

func (n *replicaNode) Start(ctx *sim.Context[Msg]) {
	n.sm = &Counter{}
	cfg := n.cfg
	cfg.StateMachine = n.sm
	r, err := paxos.NewReplica(cfg, n.disk)
	if err != nil {
		panic(err)
	}
	n.r = r
	ctx.SetTimer("tick", tickPeriod)
}

func (n *replicaNode) Receive(ctx *sim.Context[Msg], from string, m Msg) {
	switch m.Kind {
	case kindLog:
		out, err := n.r.Step(m.Log)
		n.emit(ctx, out, err)
	case kindRequest:
		if !slices.Contains(n.waiting, waiter{from, m.Cmd}) {
			n.waiting = append(n.waiting, waiter{from, m.Cmd})
		}
		out, err := n.r.Submit(m.Cmd)
		n.emit(ctx, out, err)
	}
}

func (n *replicaNode) Timeout(ctx *sim.Context[Msg], _ string) {
	out, err := n.r.Tick()
	n.emit(ctx, out, err)
	ctx.SetTimer("tick", tickPeriod)
}

// emit sends what the replica returned, notes a change of leadership, and
// answers the clients whose command has now been applied here.
func (n *replicaNode) emit(ctx *sim.Context[Msg], out []paxos.LogMessage, err error) {
	if err != nil {
		panic(err) // the simulator stops with the trace; nothing here sends bad input
	}
	for _, m := range out {
		ctx.Send(m.To, Msg{Kind: kindLog, Log: m})
	}
	if l := n.r.Leader(); l != n.leading {
		n.leading = l
		if l {
			ctx.Note("leader")
		}
	}
	n.waiting = slices.DeleteFunc(n.waiting, func(w waiter) bool {
		res, ok := n.sm.result(w.cmd.Client, w.cmd.Seq)
		if ok {
			ctx.Send(w.from, Msg{Kind: kindReply, Cmd: w.cmd, Result: res, Leader: n.r.LeaderHint()})
		}
		return ok
	})
}

// clientNode submits total increments one after the other, each in its
// session (Client = its name, Seq = 1, 2, ...). It sends each to the
// replica it believes leads and, when no reply comes within its timeout,
// sends the same command (same Seq) to the next replica.
type clientNode struct {
	replicas []string
	total    int
	timeout  time.Duration

	seq    uint64 // the command outstanding, or total+1 when done
	target int    // index into replicas
	acked  int
	tries  int // retries so far
}

func (c *clientNode) Start(ctx *sim.Context[Msg]) {
	c.seq = 1
	c.send(ctx)
}

func (c *clientNode) send(ctx *sim.Context[Msg]) {
	ctx.Send(c.replicas[c.target], Msg{Kind: kindRequest, Cmd: paxos.Command{Client: ctx.ID(), Seq: c.seq, Op: "inc"}})
	ctx.SetTimer("retry", c.timeout)
}

func (c *clientNode) Receive(ctx *sim.Context[Msg], from string, m Msg) {
	if m.Kind != kindReply || m.Cmd.Seq != c.seq {
		return // a late reply to a command already answered
	}
	c.acked++
	if k := slices.Index(c.replicas, m.Leader); k >= 0 {
		c.target = k
	} else {
		c.target = slices.Index(c.replicas, from)
	}
	c.seq++
	if int(c.seq) > c.total {
		ctx.CancelTimer("retry")
		return
	}
	c.send(ctx)
}

func (c *clientNode) Timeout(ctx *sim.Context[Msg], _ string) {
	c.target = (c.target + 1) % len(c.replicas)
	c.tries++
	ctx.Note(fmt.Sprintf("timeout: retry #%d at %s", c.seq, c.replicas[c.target]))
	c.send(ctx)
}

func (c *clientNode) done() bool { return int(c.seq) > c.total }
