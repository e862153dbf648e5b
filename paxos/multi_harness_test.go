package paxos_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/stretchr/testify/require"
)

// mpOpLog is a StateMachine that records every command it applies; its
// snapshot is the record itself, so a restored replica can be compared
// with one that applied everything.
type mpOpLog struct{ ops []string }

func (l *mpOpLog) Apply(c paxos.Command) string {
	l.ops = append(l.ops, c.String())
	return "ok " + c.Op
}

func (l *mpOpLog) Snapshot() ([]byte, error) { return []byte(strings.Join(l.ops, "\n")), nil }

func (l *mpOpLog) Restore(b []byte) error {
	if len(b) == 0 {
		l.ops = nil
		return nil
	}
	if b[0] == '!' {
		return errors.New("refused")
	}
	l.ops = strings.Split(string(b), "\n")
	return nil
}

// mpCluster is a set of replicas joined by a perfect FIFO network that a
// test can cut (down nodes, drop filters), crash and restart.
type mpCluster struct {
	t     testing.TB
	sys   *quorum.System
	cfg   func(id string) paxos.ReplicaConfig
	rs    map[string]*paxos.Replica
	st    map[string]*paxos.MemoryLogStorage
	sm    map[string]*mpOpLog
	down  map[string]bool
	queue []paxos.LogMessage
	sent  []paxos.LogMessage // every message sent, in order
	// spec checks every step against the abstract Paxos specification
	// (spec_test.go); a violation fails the test at the step it happens.
	spec *spec
	// durable, if it names a replica, is its state machine, kept across
	// restarts (instead of a fresh mpOpLog at each start).
	durable map[string]paxos.StateMachine
}

func newMPCluster(t testing.TB, sys *quorum.System, mod func(*paxos.ReplicaConfig)) *mpCluster {
	c := &mpCluster{t: t, sys: sys, rs: map[string]*paxos.Replica{}, st: map[string]*paxos.MemoryLogStorage{},
		sm: map[string]*mpOpLog{}, down: map[string]bool{}, spec: newSpec(sys)}
	c.cfg = func(id string) paxos.ReplicaConfig {
		cfg := paxos.ReplicaConfig{ID: id, Quorums: sys, ElectionTicks: 1}
		if mod != nil {
			mod(&cfg)
		}
		return cfg
	}
	for _, id := range sys.Names() {
		c.st[id] = &paxos.MemoryLogStorage{}
		c.start(id)
	}
	return c
}

func mp3(t testing.TB, mod func(*paxos.ReplicaConfig)) *mpCluster {
	sys, err := quorum.Majority("a", "b", "c")
	require.NoError(t, err)
	return newMPCluster(t, sys, mod)
}

func (c *mpCluster) start(id string) {
	cfg := c.cfg(id)
	c.sm[id] = &mpOpLog{}
	cfg.StateMachine = c.sm[id]
	if sm, ok := c.durable[id]; ok {
		cfg.StateMachine = sm
	}
	paxos.OnLearn(&cfg, func(e paxos.Entry) { c.spec.learn(id, e) })
	r, err := paxos.NewReplica(cfg, &specStorage{LogStorage: c.st[id], id: id, g: c.spec})
	require.NoError(c.t, err)
	c.rs[id] = r
	c.down[id] = false
	c.observe(id)
}

// observe checks what id decided against the specification.
func (c *mpCluster) observe(id string) {
	r := c.rs[id]
	c.spec.observe(id, r, 0, r.Applied()+64)
	if c.spec.err != nil {
		c.t.Fatalf("%v", c.spec.err)
	}
}

// crash discards id's volatile state; restart rebuilds it from its storage.
func (c *mpCluster) crash(id string)   { c.down[id] = true }
func (c *mpCluster) restart(id string) { c.start(id) }

func (c *mpCluster) emit(id string, out []paxos.LogMessage, err error) {
	require.NoError(c.t, err)
	for _, m := range out {
		c.spec.sent(m)
	}
	c.queue = append(c.queue, out...)
	c.sent = append(c.sent, out...)
	c.observe(id)
}

func (c *mpCluster) tick(id string) {
	out, err := c.rs[id].Tick()
	c.emit(id, out, err)
}

func (c *mpCluster) submit(id string, cmds ...paxos.Command) {
	for _, cmd := range cmds {
		out, err := c.rs[id].Submit(cmd)
		c.emit(id, out, err)
	}
}

// deliver hands m to its destination now.
func (c *mpCluster) deliver(m paxos.LogMessage) {
	out, err := c.rs[m.To].Step(m)
	c.emit(m.To, out, err)
}

// run delivers queued messages until none is left, dropping those to or
// from down replicas and those drop selects.
func (c *mpCluster) run(drop func(paxos.LogMessage) bool) {
	for len(c.queue) > 0 {
		m := c.queue[0]
		c.queue = c.queue[1:]
		if c.down[m.To] || c.down[m.From] || drop != nil && drop(m) {
			continue
		}
		c.deliver(m)
	}
}

// elect makes id the leader over the replicas that are up.
func (c *mpCluster) elect(id string) {
	for i := 0; i < 5 && !c.rs[id].Leader(); i++ {
		c.tick(id) // a Nack may teach it a higher ballot first
		c.run(nil)
	}
	require.True(c.t, c.rs[id].Leader(), "%s is elected", id)
}

func mpCmd(client string, seq uint64, op string) paxos.Command {
	return paxos.Command{Client: client, Seq: seq, Op: op}
}

// batches returns the number of commands in each decided slot of r's log.
func mpBatches(r *paxos.Replica) []int {
	var out []int
	for _, e := range r.Log() {
		out = append(out, len(e.Commands))
	}
	return out
}

func mpCount(ms []paxos.LogMessage, f func(paxos.LogMessage) bool) int {
	n := 0
	for _, m := range ms {
		if f(m) {
			n++
		}
	}
	return n
}
