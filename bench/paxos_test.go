// Side-by-side benchmarks of package paxos's Multi-Paxos Replica against
// etcd's Raft (go.etcd.io/raft/v3 RawNode): a replicated log of three
// replicas in one process, with in-memory storage, an in-memory
// transport and no fsync. Run in one process:
//
//	cd bench && go test -run '^$' -bench ReplicatedLog -benchmem -count 6 -benchtime 100000x | tee paxos.txt
//	benchstat -col /impl paxos.txt
//
// The workload is the same for both. A client submits commands of 64
// bytes to the leader in batches of B (B = 1, 16, 64) and keeps at most
// 2*Window batches outstanding, Window = 32: a command is outstanding
// from its submission until every replica has applied it. Ours: one
// Submit per command; the leader proposes at once while fewer than
// ReplicaConfig.Window slots are undecided and queues otherwise, packing
// up to ReplicaConfig.MaxBatch = B queued commands into each slot. etcd:
// one MsgProp carrying the batch's B entries; raft.Config.MaxInflightMsgs
// = Window appends in flight per follower, and MaxSizePerMsg = B entries'
// size, so that an append carries at most B commands as a slot does.
// Because the client keeps twice the window outstanding, both leaders
// replicate full batches; the benchmark reports the batch size achieved
// as cmds/round (commands per Accept, or per MsgApp with entries).
// Neither side uses client sessions or ticks once a leader is elected (no
// heartbeats, no retransmissions).
//
// Messages travel through a deterministic pump: a FIFO queue whose
// messages are handed in turn to their destination's Step. Ours returns
// its messages from Step, its state saved before (MemoryLogStorage).
// etcd's RawNodes run the Ready loop etcd prescribes after each pass over
// the queue: append the new entries and hard state to MemoryStorage,
// queue the messages, apply the committed entries (all of them:
// MaxCommittedSizePerReady is unbounded), Advance. A state machine that
// counts is the application on both sides.
//
// One benchmark operation is one command committed and applied on all
// three replicas: ns/op is the time per command, allocs/op (with
// -benchmem) the allocations per command of the whole cluster and the
// driver; the benchmark also reports cmds/s and allocs/cmd itself.

package bench

import (
	"fmt"
	"io"
	"log"
	"runtime"
	"slices"
	"testing"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
	"go.etcd.io/raft/v3"
	raftpb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// logWindow is how many batches the client keeps outstanding.
const logWindow = 32

// logPayload is the 64-byte command every benchmark submits.
var logPayload = func() []byte {
	b := make([]byte, 64)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}()

// logBatches are the batch sizes compared.
func logBatches() []int { return []int{1, 16, 64} }

// replicatedLog is one implementation of the benchmark's cluster.
type replicatedLog interface {
	// propose submits n commands to the leader as one batch.
	propose(n int) error
	// pump delivers the messages queued so far, in order, and queues what
	// they cause; it returns how many it delivered.
	pump() (int, error)
	// applied is the number of commands applied on every replica.
	applied() int
	// rounds is the number of replication messages the leader sent to
	// followers with commands in them (ours: Accept; etcd: MsgApp with
	// entries), and carried the number of commands they carried: their
	// ratio is the batch size achieved.
	rounds() (rounds, carried int)
}

// logOutstanding is how many batches the client keeps outstanding: twice
// the window, so that the leader always has batches waiting for the
// window to open and replicates full batches.
const logOutstanding = 2 * logWindow

// runLog drives c until total commands are applied everywhere, keeping at
// most logOutstanding batches of batch commands outstanding.
func runLog(c replicatedLog, total, batch int) error {
	proposed := 0
	for c.applied() < total {
		for proposed < total && proposed-c.applied() < logOutstanding*batch {
			n := min(batch, total-proposed)
			if err := c.propose(n); err != nil {
				return err
			}
			proposed += n
		}
		moved, err := c.pump()
		if err != nil {
			return err
		}
		if moved == 0 && c.applied() < total && (proposed == total || proposed-c.applied() >= logOutstanding*batch) {
			return fmt.Errorf("stuck: %d of %d commands applied everywhere, nothing in flight", c.applied(), total)
		}
	}
	return nil
}

func BenchmarkReplicatedLog(b *testing.B) {
	impls := []struct {
		name string
		make func(batch int) (replicatedLog, error)
	}{
		{"ours", newOursLog},
		{"etcdraft", newEtcdLog},
	}
	for _, batch := range logBatches() {
		for _, impl := range impls {
			b.Run(fmt.Sprintf("impl=%s/batch=%d", impl.name, batch), func(b *testing.B) {
				b.ReportAllocs()
				c, err := impl.make(batch)
				if err != nil {
					b.Fatal(err)
				}
				var m0, m1 runtime.MemStats
				runtime.ReadMemStats(&m0)
				b.ResetTimer()
				if err := runLog(c, b.N, batch); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				runtime.ReadMemStats(&m1)
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cmds/s")
				b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/float64(b.N), "allocs/cmd")
				if r, n := c.rounds(); r > 0 {
					b.ReportMetric(float64(n)/float64(r), "cmds/round")
				}
			})
		}
	}
}

// TestReplicatedLogHarness checks that both clusters of the benchmark
// really replicate: every command submitted is applied on all three
// replicas, for every batch size, so that the benchmark measures
// committed commands and not a short cut.
func TestReplicatedLogHarness(t *testing.T) {
	for _, batch := range logBatches() {
		for name, mk := range map[string]func(int) (replicatedLog, error){"ours": newOursLog, "etcdraft": newEtcdLog} {
			c, err := mk(batch)
			if err != nil {
				t.Fatalf("%s batch=%d: %v", name, batch, err)
			}
			const total = 1000
			if err := runLog(c, total, batch); err != nil {
				t.Fatalf("%s batch=%d: %v", name, batch, err)
			}
			if got := c.applied(); got != total {
				t.Fatalf("%s batch=%d: %d commands applied on every replica, want %d", name, batch, got, total)
			}
		}
	}
}

// etcdEntrySize is the encoded size of one of the benchmark's entries at a
// log index of 2^20 (at lower indices one byte less): raft's MaxSizePerMsg
// set to batch entries of this size caps a MsgApp at batch entries, as
// MaxBatch caps a slot.
var etcdEntrySize = proto.Size(&raftpb.Entry{Term: new(uint64(1)), Index: new(uint64(1 << 20)), Data: logPayload})

// etcdLog is three etcd raft RawNodes with MemoryStorage.
type etcdLog struct {
	nodes  []*raft.RawNode
	stores []*raft.MemoryStorage
	done   []int // commands applied per node
	queue  []*raftpb.Message
	spare  []*raftpb.Message // the queue's previous backing array, reused
	leader int
	apps   int // MsgApp messages with entries
	ents   int // entries they carried
}

func newEtcdLog(batch int) (replicatedLog, error) {
	c := &etcdLog{done: make([]int, 3)}
	peers := []uint64{1, 2, 3}
	for _, id := range peers {
		st := raft.NewMemoryStorage()
		if err := st.ApplySnapshot(&raftpb.Snapshot{Metadata: &raftpb.SnapshotMetadata{ConfState: &raftpb.ConfState{Voters: peers}}}); err != nil {
			return nil, err
		}
		n, err := raft.NewRawNode(&raft.Config{
			ID:            id,
			ElectionTick:  10,
			HeartbeatTick: 1,
			Storage:       st,
			MaxSizePerMsg: uint64(batch * etcdEntrySize),
			// Apply everything committed at once, as ours does (the
			// default is MaxSizePerMsg).
			MaxCommittedSizePerReady: 1 << 30,
			MaxInflightMsgs:          logWindow,
			Logger:                   &raft.DefaultLogger{Logger: log.New(io.Discard, "", 0)},
		})
		if err != nil {
			return nil, err
		}
		c.nodes, c.stores = append(c.nodes, n), append(c.stores, st)
	}
	if err := c.nodes[0].Campaign(); err != nil {
		return nil, err
	}
	for range 100 {
		moved, err := c.pump()
		if err != nil {
			return nil, err
		}
		if moved == 0 {
			break
		}
	}
	if c.nodes[0].BasicStatus().RaftState != raft.StateLeader {
		return nil, fmt.Errorf("etcd: node 1 did not become leader")
	}
	return c, nil
}

// propose hands the leader one MsgProp with n entries, as
// RawNode.Propose does for one.
func (c *etcdLog) propose(n int) error {
	ents := make([]*raftpb.Entry, n)
	for i := range ents {
		ents[i] = &raftpb.Entry{Data: logPayload}
	}
	return c.nodes[c.leader].Step(&raftpb.Message{Type: raftpb.MessageType_MsgProp.Enum(), From: new(uint64(c.leader + 1)), Entries: ents})
}

// ready runs node i's Ready loop once if it has anything to do: persist
// entries and hard state, queue the messages, apply the committed
// entries, Advance. It reports whether it ran.
func (c *etcdLog) ready(i int) (bool, error) {
	n := c.nodes[i]
	if !n.HasReady() {
		return false, nil
	}
	rd := n.Ready()
	st := c.stores[i]
	if !raft.IsEmptySnap(rd.Snapshot) {
		if err := st.ApplySnapshot(rd.Snapshot); err != nil {
			return false, err
		}
	}
	if len(rd.Entries) > 0 {
		if err := st.Append(rd.Entries); err != nil {
			return false, err
		}
	}
	if !raft.IsEmptyHardState(rd.HardState) {
		if err := st.SetHardState(rd.HardState); err != nil {
			return false, err
		}
	}
	c.queue = append(c.queue, rd.Messages...)
	for _, e := range rd.CommittedEntries {
		if e.GetType() == raftpb.EntryType_EntryNormal && len(e.GetData()) > 0 {
			c.done[i]++
		}
	}
	n.Advance(rd)
	return true, nil
}

// pump runs every node's Ready loop, then delivers the messages queued;
// the next pump runs the Ready loops again, so a node handles every
// message that reached it in one pass before it persists and sends, as
// etcd's node goroutine does between two Ready cycles.
func (c *etcdLog) pump() (int, error) {
	readies := 0
	for i := range c.nodes {
		ran, err := c.ready(i)
		if err != nil {
			return 0, err
		}
		if ran {
			readies++
		}
	}
	q := c.queue
	c.queue = c.spare[:0]
	for _, m := range q {
		if m.GetType() == raftpb.MessageType_MsgApp && len(m.GetEntries()) > 0 {
			c.apps++
			c.ents += len(m.GetEntries())
		}
		if err := c.nodes[int(m.GetTo())-1].Step(m); err != nil {
			return 0, err
		}
	}
	clear(q)
	c.spare = q
	return len(q) + readies, nil
}

func (c *etcdLog) applied() int { return slices.Min(c.done) }

func (c *etcdLog) rounds() (int, int) { return c.apps, c.ents }

// oursLog is three paxos.Replicas with MemoryLogStorage and a state
// machine that counts the commands applied.
type oursLog struct {
	reps   []*paxos.Replica
	sms    []*countingSM
	index  map[string]int
	queue  []paxos.LogMessage
	spare  []paxos.LogMessage
	leader int
	accs   int // Accept messages with commands
	cmds   int // commands they carried
}

// countingSM is the trivial state machine: it counts what it applies.
type countingSM struct{ n int }

func (s *countingSM) Apply(paxos.Command) string    { s.n++; return "" }
func (s *countingSM) Snapshot() ([]byte, error)     { return nil, nil }
func (s *countingSM) Restore(snapshot []byte) error { return nil }

// newOursLog builds the cluster and elects replica "1" by ticking it
// alone until it leads. One Submit per command: the leader proposes a
// command at once while its window has room and queues it otherwise, and
// packs up to MaxBatch queued commands into each slot that frees up; with
// the client keeping Window batches of batch commands outstanding, the
// window stays full and slots carry batch commands (cmds/round reports
// the batch size achieved).
func newOursLog(batch int) (replicatedLog, error) {
	names := []string{"1", "2", "3"}
	sys, err := quorum.Majority(names...)
	if err != nil {
		return nil, err
	}
	c := &oursLog{index: map[string]int{}}
	for i, id := range names {
		sm := &countingSM{}
		r, err := paxos.NewReplica(paxos.ReplicaConfig{ID: id, Quorums: sys, MaxBatch: batch, Window: logWindow, StateMachine: sm, Seed: uint64(i)}, &paxos.MemoryLogStorage{})
		if err != nil {
			return nil, err
		}
		c.reps, c.sms, c.index[id] = append(c.reps, r), append(c.sms, sm), i
	}
	for range 100 {
		out, err := c.reps[0].Tick()
		if err != nil {
			return nil, err
		}
		c.queue = append(c.queue, out...)
		for {
			moved, err := c.pump()
			if err != nil {
				return nil, err
			}
			if moved == 0 {
				break
			}
		}
		if c.reps[0].Leader() {
			return c, nil
		}
	}
	return nil, fmt.Errorf("ours: replica 1 did not become leader")
}

var oursPayload = string(logPayload)

func (c *oursLog) propose(n int) error {
	for range n {
		out, err := c.reps[c.leader].Submit(paxos.Command{Op: oursPayload})
		if err != nil {
			return err
		}
		c.queue = append(c.queue, out...)
	}
	return nil
}

// pump delivers the messages queued, in order.
func (c *oursLog) pump() (int, error) {
	q := c.queue
	c.queue = c.spare[:0]
	for i := range q {
		m := &q[i]
		if m.Type == paxos.LogAccept && len(m.Entry.Commands) > 0 {
			c.accs++
			c.cmds += len(m.Entry.Commands)
		}
		out, err := c.reps[c.index[m.To]].Step(*m)
		if err != nil {
			return 0, err
		}
		c.queue = append(c.queue, out...)
	}
	clear(q)
	c.spare = q
	return len(q), nil
}

func (c *oursLog) applied() int {
	return min(c.sms[0].n, c.sms[1].n, c.sms[2].n)
}

func (c *oursLog) rounds() (int, int) { return c.accs, c.cmds }
