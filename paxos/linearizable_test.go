package paxos_test

// Linearizability checking of client histories (level 7 of DESIGN.md's
// verification ladder). Three or five Replicas run in the simulator with
// a key-value StateMachine; clients with sessions put, append and get on
// a few keys, retrying at other replicas, while the network loses,
// duplicates and reorders messages, the leader crashes and restarts and
// a partition cuts one replica off. Each operation's invocation and
// response are recorded in simulated time (one that never returns stays
// pending, with an unbounded return time) and the history is checked
// against a sequential key-value model with porcupine (Athalye,
// github.com/anishathalye/porcupine, after Wing and Gong 1993 and Lowe
// 2017), one key at a time. Herlihy and Wing 1990 define the property.

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/eventually-perfect/primitives/sim"
)

// lzOp is one client operation: Kind is "put", "append" or "get".
type lzOp struct {
	Kind, Key, Val string
}

func (o lzOp) encode() string { return o.Kind + " " + o.Key + " " + o.Val }

func lzDecode(s string) lzOp {
	p := strings.SplitN(s, " ", 3)
	for len(p) < 3 {
		p = append(p, "")
	}
	return lzOp{Kind: p[0], Key: p[1], Val: p[2]}
}

// lzKV is the replicated key-value store. Apply's result is what the
// client is told: the value for a get, "ok" otherwise.
type lzKV struct{ m map[string]string }

func (kv *lzKV) Apply(c paxos.Command) string {
	op := lzDecode(c.Op)
	switch op.Kind {
	case "put":
		kv.m[op.Key] = op.Val
	case "append":
		kv.m[op.Key] += op.Val
	case "get":
		return kv.m[op.Key]
	}
	return "ok"
}

func (kv *lzKV) Snapshot() ([]byte, error) { return json.Marshal(kv.m) }

func (kv *lzKV) Restore(b []byte) error {
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	kv.m = m
	return nil
}

// lzMsg travels through the simulated network: a replica's message or a
// client's request.
type lzMsg struct {
	Log paxos.LogMessage
	Req *paxos.Command
}

// lzClient is one client: its operations, the one in progress and the
// history it recorded.
type lzClient struct {
	name    string
	ops     []lzOp
	cur     int // index of the operation in progress (len(ops): done)
	call    time.Duration
	waiting bool
}

// lzRun is one simulated run.
type lzRun struct {
	seed    uint64
	nodes   []string
	broken  bool // answer gets from the contacted replica's state, bypassing the log
	sys     *quorum.System
	s       *sim.Sim[lzMsg]
	rng     *rand.Rand
	up      map[string]*lzNode
	clients []*lzClient
	asked   map[string]map[string]uint64 // node -> client -> Seq asked there
	hist    []porcupine.Operation
	err     error
	retries int // requests sent again to another replica
	faults  int // leader crashes and partitions that struck
}

// lzNode is one replica as a sim node; its durable state is in the
// node's sim.Storage (rsStore, shared with replica_sim_test.go).
type lzNode struct {
	run *lzRun
	id  string
	r   *paxos.Replica
	kv  *lzKV
	st  *rsStore
}

const lzTick = 5 * time.Millisecond

func (n *lzNode) Start(ctx *sim.Context[lzMsg]) {
	n.run.up[n.id] = n
	n.run.asked[n.id] = map[string]uint64{}
	n.kv = &lzKV{m: map[string]string{}}
	n.st = &rsStore{s: ctx.Storage()}
	r, err := paxos.NewReplica(paxos.ReplicaConfig{
		ID: n.id, Quorums: n.run.sys, Seed: n.run.seed, MaxBatch: 4, Window: 4,
		SnapshotEvery: 16, StateMachine: n.kv,
	}, n.st)
	if err != nil {
		n.run.err = fmt.Errorf("restart of %s: %w", n.id, err)
		return
	}
	n.r = r
	ctx.SetTimer("tick", time.Duration(ctx.Rand().Int64N(int64(lzTick)))+1)
}

func (n *lzNode) Receive(ctx *sim.Context[lzMsg], from string, m lzMsg) {
	if n.r == nil {
		return
	}
	n.st.s = ctx.Storage()
	if m.Req != nil {
		if n.run.broken && strings.HasPrefix(m.Req.Op, "get ") {
			// The deliberate bug: a read answered from local state.
			n.run.reply(m.Req.Client, m.Req.Seq, n.kv.Apply(*m.Req))
			return
		}
		n.run.asked[n.id][m.Req.Client] = m.Req.Seq
		out, err := n.r.Submit(*m.Req)
		n.after(ctx, out, err)
		return
	}
	out, err := n.r.Step(m.Log)
	n.after(ctx, out, err)
}

func (n *lzNode) Timeout(ctx *sim.Context[lzMsg], _ string) {
	if n.r == nil {
		return
	}
	n.st.s = ctx.Storage()
	out, err := n.r.Tick()
	n.after(ctx, out, err)
	ctx.SetTimer("tick", lzTick)
}

// after sends the replica's messages and answers the clients that asked
// this replica for a command it has now applied (Session's result).
func (n *lzNode) after(ctx *sim.Context[lzMsg], out []paxos.LogMessage, err error) {
	if err != nil {
		n.run.err = fmt.Errorf("%s: %w", n.id, err)
		return
	}
	for _, m := range out {
		ctx.Send(m.To, lzMsg{Log: m})
	}
	asked := n.run.asked[n.id]
	for _, c := range slices.Sorted(mapKeys(asked)) {
		if seq, res, ok := n.r.Session(c); ok && seq >= asked[c] {
			if seq == asked[c] {
				n.run.reply(c, seq, res)
			}
			delete(asked, c)
		}
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// reply sends result to client c for its command seq over a lossy link
// (1-5 ms, lost with probability 0.05).
func (r *lzRun) reply(c string, seq uint64, result string) {
	if r.rng.Float64() < 0.05 {
		return
	}
	at := r.s.Now() + time.Millisecond + time.Duration(r.rng.Int64N(int64(4*time.Millisecond)))
	r.s.At(at, func(*sim.Sim[lzMsg]) { r.response(c, seq, result) })
}

func (r *lzRun) clientIndex(name string) int {
	return slices.IndexFunc(r.clients, func(c *lzClient) bool { return c.name == name })
}

// response completes client name's operation seq (Seq is index+1) if it
// is the one in progress, records it and invokes the next after a pause.
func (r *lzRun) response(name string, seq uint64, result string) {
	ci := r.clientIndex(name)
	c := r.clients[ci]
	if !c.waiting || uint64(c.cur+1) != seq {
		return // a duplicate or late answer
	}
	op := c.ops[c.cur]
	r.hist = append(r.hist, porcupine.Operation{
		ClientId: ci, Input: op, Call: int64(c.call), Output: result, Return: int64(r.s.Now()),
	})
	c.waiting = false
	c.cur++
	if c.cur < len(c.ops) {
		think := time.Duration(r.rng.Int64N(int64(60 * time.Millisecond)))
		r.s.At(r.s.Now()+think, func(*sim.Sim[lzMsg]) { r.invoke(ci) })
	}
}

// invoke starts client ci's current operation.
func (r *lzRun) invoke(ci int) {
	c := r.clients[ci]
	c.call, c.waiting = r.s.Now(), true
	r.send(ci, c.cur, 0)
}

// send (re)sends operation i of client ci to a replica, choosing another
// replica on every retry, and retries after 40-80 ms if no answer came.
func (r *lzRun) send(ci, i, attempt int) {
	c := r.clients[ci]
	if !c.waiting || c.cur != i {
		return
	}
	cmd := paxos.Command{Client: c.name, Seq: uint64(i + 1), Op: c.ops[i].encode()}
	to := r.nodes[(ci+i+attempt)%len(r.nodes)]
	if attempt > 0 {
		r.retries++
	}
	if err := r.s.Inject(c.name, to, lzMsg{Req: &cmd}); err != nil {
		r.err = err
	}
	retry := 40*time.Millisecond + time.Duration(r.rng.Int64N(int64(40*time.Millisecond)))
	r.s.At(r.s.Now()+retry, func(*sim.Sim[lzMsg]) { r.send(ci, i, attempt+1) })
}

// leader returns a replica that believes it leads ("" if none).
func (r *lzRun) leader() string {
	for _, id := range r.nodes {
		if n := r.up[id]; n != nil && n.r != nil && n.r.Leader() {
			return id
		}
	}
	return ""
}

// lzStats is what a run exercised.
type lzStats struct {
	retries, faults, drops, dups int
	end                          time.Duration
}

// lzKeys are the keys the clients use.
var lzKeys = []string{"x", "y", "z"}

// lzHistory runs n replicas and clients clients of ops operations each
// under seed's faults and returns the recorded history (pending
// operations included). A run ends when every client is done or, if stop
// is not 0, at stop, with operations still in flight (pending).
func lzHistory(seed uint64, n, clients, ops int, stop time.Duration, broken bool) ([]porcupine.Operation, lzStats, error) {
	run := &lzRun{seed: seed, broken: broken, rng: rand.New(rand.NewPCG(seed, 0x11a)),
		up: map[string]*lzNode{}, asked: map[string]map[string]uint64{}}
	for i := range n {
		run.nodes = append(run.nodes, fmt.Sprintf("n%d", i+1))
	}
	var err error
	if run.sys, err = quorum.Majority(run.nodes...); err != nil {
		return nil, lzStats{}, err
	}
	link := sim.LinkConfig{Latency: sim.Uniform(time.Millisecond, 6*time.Millisecond), Loss: 0.05, Duplicate: 0.05}
	run.s, err = sim.New(sim.Config{Seed: seed, Nodes: run.nodes, Link: link, NoTrace: true, MaxEvents: 2_000_000},
		func(id string) sim.Node[lzMsg] { return &lzNode{run: run, id: id} })
	if err != nil {
		return nil, lzStats{}, err
	}
	s := run.s
	for ci := range clients {
		c := &lzClient{name: fmt.Sprintf("c%d", ci)}
		for j := range ops {
			k := lzKeys[run.rng.IntN(len(lzKeys))]
			switch run.rng.IntN(3) {
			case 0:
				c.ops = append(c.ops, lzOp{Kind: "put", Key: k, Val: fmt.Sprintf("%d.%d", ci, j)})
			case 1:
				c.ops = append(c.ops, lzOp{Kind: "append", Key: k, Val: fmt.Sprintf("<%d.%d>", ci, j)})
			default:
				c.ops = append(c.ops, lzOp{Kind: "get", Key: k})
			}
		}
		run.clients = append(run.clients, c)
		start := 150*time.Millisecond + time.Duration(run.rng.Int64N(int64(50*time.Millisecond)))
		s.At(start, func(*sim.Sim[lzMsg]) { run.invoke(ci) })
	}
	// Faults on top of the lossy, duplicating, reordering links: the
	// leader crashes at 250 ms and restarts 200 ms later; at 550 ms the
	// leader of the moment is cut off for 300 ms.
	var crashed string
	s.At(250*time.Millisecond, func(s *sim.Sim[lzMsg]) {
		if crashed = run.leader(); crashed != "" {
			run.faults++
			delete(run.up, crashed)
			_ = s.Crash(crashed)
		}
	})
	s.At(450*time.Millisecond, func(s *sim.Sim[lzMsg]) {
		if crashed != "" {
			_ = s.Restart(crashed)
		}
	})
	s.At(550*time.Millisecond, func(s *sim.Sim[lzMsg]) {
		run.faults++
		l := run.leader()
		if l == "" {
			l = run.nodes[0]
		}
		rest := slices.DeleteFunc(slices.Clone(run.nodes), func(id string) bool { return id == l })
		_ = s.Partition([]string{l}, rest)
	})
	s.At(850*time.Millisecond, func(s *sim.Sim[lzMsg]) { s.Heal() })
	done := func() bool {
		for _, c := range run.clients {
			if c.cur < len(c.ops) {
				return false
			}
		}
		return true
	}
	err = s.RunUntil(func() bool {
		return run.err != nil || done() || s.Now() > 10*time.Second || (stop > 0 && s.Now() >= stop)
	})
	if err == nil {
		err = run.err
	}
	if err != nil {
		return nil, lzStats{}, err
	}
	// An operation that never returned is pending: its return time is
	// unbounded. A pending get has no effect and no output, so it is left
	// out.
	for ci, c := range run.clients {
		if c.waiting && c.ops[c.cur].Kind != "get" {
			run.hist = append(run.hist, porcupine.Operation{
				ClientId: ci, Input: c.ops[c.cur], Call: int64(c.call), Output: "", Return: math.MaxInt64,
			})
		}
	}
	st := s.Stats()
	return run.hist, lzStats{retries: run.retries, faults: run.faults, drops: int(st.Drops), dups: int(st.Duplicates), end: s.Now()}, nil
}

// lzModel is the sequential specification: one register per key holding
// a string, which put replaces and append extends, and get returns.
// Partition checks each key's sub-history on its own (linearizability is
// local: Herlihy and Wing 1990, section 3.3).
var lzModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		by := map[string][]porcupine.Operation{}
		for _, o := range h {
			k := o.Input.(lzOp).Key
			by[k] = append(by[k], o)
		}
		var out [][]porcupine.Operation
		for _, k := range slices.Sorted(mapKeys(by)) {
			out = append(out, by[k])
		}
		return out
	},
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		st, op := state.(string), input.(lzOp)
		switch op.Kind {
		case "put":
			return true, op.Val
		case "append":
			return true, st + op.Val
		default:
			return output.(string) == st, st
		}
	},
	DescribeOperation: func(input, output any) string {
		op := input.(lzOp)
		if op.Kind == "get" {
			return fmt.Sprintf("get(%s) -> %q", op.Key, output)
		}
		return fmt.Sprintf("%s(%s, %q)", op.Kind, op.Key, op.Val)
	},
	DescribeState: func(state any) string { return fmt.Sprintf("%q", state) },
}

// lzCheck checks h with a 10 s bound and writes the diagram when
// PAXOS_WRITE_DIAGRAMS=1.
func lzCheck(t *testing.T, name string, h []porcupine.Operation) porcupine.CheckResult {
	t.Helper()
	res, info := porcupine.CheckOperationsVerbose(lzModel, h, 10*time.Second)
	if os.Getenv("PAXOS_WRITE_DIAGRAMS") == "1" {
		p := filepath.Join(t.TempDir(), name+".html")
		if dir := os.Getenv("PAXOS_DIAGRAM_DIR"); dir != "" {
			p = filepath.Join(dir, name+".html")
		}
		if err := porcupine.VisualizePath(lzModel, info, p); err != nil {
			t.Errorf("visualization: %v", err)
		} else {
			t.Logf("wrote %s", p)
		}
	}
	return res
}

// TestReplicaLinearizable runs three and five replicas under loss,
// duplication, reordering, a leader crash and restart and a partition of
// the leader, each from 20 seeds (4 with -short, 500·k with PAXOS_LONG=k),
// and checks that every recorded client history is linearizable with
// respect to a sequential key-value store (porcupine): a run that returns
// a get's value which no linearization of the puts and appends explains
// fails the test. Half the runs stop during the partition, so their
// histories end with operations pending.
func TestReplicaLinearizable(t *testing.T) {
	seeds := 20
	if testing.Short() {
		seeds = 4
	}
	if v := os.Getenv("PAXOS_LONG"); v != "" {
		k, err := strconv.Atoi(v)
		if err != nil || k < 1 {
			k = 1
		}
		seeds = 500 * k
	}
	histories, total, pending := 0, 0, 0
	var sum lzStats
	for _, n := range []int{3, 5} {
		for seed := range uint64(seeds) {
			// Every other run stops in the middle of the partition, leaving
			// operations pending.
			var stop time.Duration
			if seed%2 == 1 {
				stop = 700 * time.Millisecond
			}
			h, st, err := lzHistory(seed+1, n, 4, 12, stop, false)
			if err != nil {
				t.Fatalf("%d replicas, seed %d: the simulation stopped: %v", n, seed+1, err)
			}
			histories++
			sum.retries += st.retries
			sum.faults += st.faults
			sum.drops += st.drops
			sum.dups += st.dups
			sum.end = max(sum.end, st.end)
			total += len(h)
			for _, o := range h {
				if o.Return == math.MaxInt64 {
					pending++
				}
			}
			switch lzCheck(t, fmt.Sprintf("paxos-kv-%d-%d", n, seed+1), h) {
			case porcupine.Illegal:
				t.Errorf("linearizability: %d replicas, seed %d: the clients' history of %d operations has no linearization: some answer contradicts every order of the operations that respects real time", n, seed+1, len(h))
			case porcupine.Unknown:
				t.Logf("%d replicas, seed %d: the checker timed out (Unknown), not counted as a failure", n, seed+1)
			}
		}
	}
	t.Logf("%d histories checked, %d operations (%d pending); %d leader faults struck, %d client retries, %d messages lost, %d duplicated; the longest run took %v simulated",
		histories, total, pending, sum.faults, sum.retries, sum.drops, sum.dups, sum.end)
}

// TestReplicaLinearizableCanFail shows that the check can fail: with a
// deliberately broken replica that answers gets from its own state
// instead of through the log, a replica cut off by the partition (or
// lagging behind) serves stale reads, and porcupine must report Illegal
// for at least one of the seeds.
func TestReplicaLinearizableCanFail(t *testing.T) {
	for seed := range uint64(8) {
		h, _, err := lzHistory(seed+1, 3, 4, 12, 0, true)
		if err != nil {
			t.Fatalf("seed %d: the simulation stopped: %v", seed+1, err)
		}
		if lzCheck(t, fmt.Sprintf("paxos-kv-broken-%d", seed+1), h) == porcupine.Illegal {
			t.Logf("seed %d: Illegal, as expected", seed+1)
			return
		}
	}
	t.Fatal("the checker found no violation in 8 histories of replicas that answer reads from local state: it cannot detect stale reads")
}
