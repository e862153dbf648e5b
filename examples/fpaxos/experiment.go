package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/eventually-perfect/primitives/sim"
)

// setup is what every configuration of a sweep shares: the network, the
// nodes' speed, the client and the measurement window.
type setup struct {
	Seed        uint64
	Latency     time.Duration // one-way link latency, before the spread
	Spread      float64       // each link's latency is Latency·(1±Spread), drawn once per link
	Bandwidth   float64       // bytes per second per one-way link; 0 unlimited
	Service     time.Duration // per-message (and per-tick) service time at every node
	Outstanding int           // the client's requests in flight (closed loop)
	OpSize      int           // bytes of operation per request
	Tick        time.Duration // the replicas' tick: heartbeats, retransmission after 1-2 ticks, elections after 10-20
	Warmup      time.Duration // measurement starts here
	Duration    time.Duration // and lasts this long
}

// config is one point of the sweep.
type config struct {
	N        int
	Q1, Q2   int
	Majority bool // quorum.Majority rather than quorum.Flexible
	Thrifty  bool // phase 2 to one phase-2 quorum only
}

func (c config) String() string {
	mode := "all acceptors"
	if c.Thrifty {
		mode = "thrifty"
	}
	if c.Majority {
		return fmt.Sprintf("n=%d majority %s", c.N, mode)
	}
	return fmt.Sprintf("n=%d q1=%d q2=%d %s", c.N, c.Q1, c.Q2, mode)
}

// result is what one configuration measured over the window.
type result struct {
	config
	Leader     string
	Completed  int           // client requests completed in the window
	Throughput float64       // commands applied per simulated second
	Mean, P99  time.Duration // client latency, request sent to reply received
	LeaderBusy float64       // fraction of the window the leader spent handling inputs
}

// errUnstable reports a run whose leader changed, or in which an election
// was started, during the measurement: the experiment assumes a stable
// leader.
var errUnstable = errors.New("fpaxos: the leader was not stable during the measurement")

// errStalled reports a run in which no request completed in the window.
var errStalled = errors.New("fpaxos: no request completed in the measurement window")

// replicaNames returns r1..rn.
func replicaNames(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("r%d", i+1)
	}
	return ids
}

// links draws each one-way link's latency once from a source seeded by
// the seed and n alone, so that every quorum configuration of one n runs
// on the same network.
func (st setup) links(nodes []string) map[[2]string]sim.LinkConfig {
	rng := rand.New(rand.NewPCG(st.Seed, uint64(len(nodes))))
	out := map[[2]string]sim.LinkConfig{}
	for _, a := range nodes {
		for _, b := range nodes {
			if a == b {
				continue
			}
			f := 1 + st.Spread*(2*rng.Float64()-1)
			d := time.Duration(float64(st.Latency) * f).Round(10 * time.Microsecond)
			out[[2]string{a, b}] = sim.LinkConfig{Latency: sim.Constant(d), Bandwidth: st.Bandwidth}
		}
	}
	return out
}

// quorums builds the configuration's quorum system over ids.
func (c config) quorums(ids []string) (*quorum.System, error) {
	if c.Majority {
		return quorum.Majority(ids...)
	}
	return quorum.Flexible(ids, c.Q1, c.Q2)
}

// clientNode is a closed-loop client: once a leader is elected it keeps
// Outstanding requests in flight at the leader, sending a new one as each
// reply arrives, and records the latency of every reply.
type clientNode struct {
	st      setup
	leader  func() string // who leads now (the harness looks)
	to      string
	next    uint64
	sent    map[uint64]time.Duration
	done    []time.Duration // reply times, in order
	latency []time.Duration // their latencies
	op      string
}

func (c *clientNode) Start(ctx *sim.Context[msg]) {
	c.sent = map[uint64]time.Duration{}
	c.op = strings.Repeat("x", c.st.OpSize)
	ctx.SetTimer("start", pollEvery)
}

func (c *clientNode) request(ctx *sim.Context[msg]) {
	c.next++
	c.sent[c.next] = ctx.Now()
	ctx.Send(c.to, msg{Kind: kindRequest, Seq: c.next, Op: c.op})
}

func (c *clientNode) Timeout(ctx *sim.Context[msg], _ string) {
	if c.to = c.leader(); c.to == "" {
		ctx.SetTimer("start", pollEvery) // no leader yet: look again
		return
	}
	for range c.st.Outstanding {
		c.request(ctx)
	}
}

func (c *clientNode) Receive(ctx *sim.Context[msg], _ string, m msg) {
	t0, ok := c.sent[m.Seq]
	if m.Kind != kindReply || !ok {
		return
	}
	delete(c.sent, m.Seq)
	c.done = append(c.done, ctx.Now())
	c.latency = append(c.latency, ctx.Now()-t0)
	c.request(ctx)
}

// run simulates one configuration and measures it.
func (st setup) run(c config) (result, error) {
	ids := replicaNames(c.N)
	sys, err := c.quorums(ids)
	if err != nil {
		return result{}, fmt.Errorf("%v: %w", c, err)
	}
	nodes := append(slices.Clone(ids), clientName)
	var s *sim.Sim[msg]
	client := &clientNode{st: st, leader: func() string { return leaderOf(s, ids) }}
	end := st.Warmup + st.Duration
	s, err = sim.New(sim.Config{
		Seed:        st.Seed,
		Nodes:       nodes,
		Links:       st.links(nodes),
		ServiceTime: st.Service,
		NoTrace:     true,
		MaxEvents:   -1,
	}, func(id string) sim.Node[msg] {
		if id == clientName {
			return client
		}
		nd := newReplicaNode(id, sys, c, st.Seed)
		nd.tick = st.Tick
		nd.from, nd.to = st.Warmup, end
		return nd
	})
	if err != nil {
		return result{}, fmt.Errorf("%v: %w", c, err)
	}
	if err := s.RunFor(st.Warmup); err != nil {
		return result{}, fmt.Errorf("%v: %w", c, err)
	}
	lead := leaderOf(s, ids)
	if lead == "" || lead != client.to {
		return result{}, fmt.Errorf("%v: leader %q at the warm-up's end, client sends to %q: %w", c, lead, client.to, errUnstable)
	}
	before := elections(s, ids)
	if err := s.RunFor(st.Duration); err != nil {
		return result{}, fmt.Errorf("%v: %w", c, err)
	}
	if now, after := leaderOf(s, ids), elections(s, ids); now != lead || after != before {
		return result{}, fmt.Errorf("%v: leader %q, then %q, %d elections: %w", c, lead, now, after-before, errUnstable)
	}
	var lat []time.Duration
	for i, t := range client.done {
		if t >= st.Warmup && t < end {
			lat = append(lat, client.latency[i])
		}
	}
	if len(lat) == 0 {
		return result{}, fmt.Errorf("%v: %w", c, errStalled)
	}
	nd, ok := s.Node(lead)
	leader, isReplica := nd.(*replicaNode)
	if !ok || !isReplica {
		return result{}, fmt.Errorf("%v: leader %q is not a running replica", c, lead)
	}
	res := result{
		config:     c,
		Leader:     lead,
		Completed:  len(lat),
		Throughput: float64(len(lat)) / st.Duration.Seconds(),
		LeaderBusy: float64(leader.handled) * float64(st.Service) / float64(st.Duration),
	}
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	res.Mean = sum / time.Duration(len(lat))
	slices.Sort(lat)
	res.P99 = lat[(len(lat)*99+99)/100-1] // nearest rank
	return res, nil
}

// newReplicaNode configures replica id for configuration c.
func newReplicaNode(id string, sys *quorum.System, c config, seed uint64) *replicaNode {
	return &replicaNode{cfg: paxos.ReplicaConfig{
		ID: id, Quorums: sys, Seed: seed, Thrifty: c.Thrifty,
		MaxBatch: 1, // one command per slot, as LibPaxos3: the leader's work per command is what q2 changes
	}}
}
