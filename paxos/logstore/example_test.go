package logstore_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/eventually-perfect/primitives/disk"
	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/paxos/logstore"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/eventually-perfect/primitives/wal"
)

// A replica's acceptor writes its promise and an acceptance, syncs once
// for both (group commit), and finds them again after a restart.
func ExampleStore() {
	dir, err := os.MkdirTemp("", "logstore")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	st, err := logstore.Open(disk.OS{}, dir, logstore.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	b := paxos.Ballot{Round: 2, Node: "a"}
	if err := st.SetHardState(b, 2); err != nil {
		fmt.Println(err)
		return
	}
	if err := st.PutEntry(paxos.Entry{Slot: 1, Ballot: b, Commands: []paxos.Command{{Client: "c1", Seq: 1, Op: "x=1"}}}); err != nil {
		fmt.Println(err)
		return
	}
	if err := st.Sync(); err != nil { // one fsync: both writes durable
		fmt.Println(err)
		return
	}
	if err := st.Close(); err != nil {
		fmt.Println(err)
		return
	}

	st, err = logstore.Open(disk.OS{}, dir, logstore.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	s, err := st.Load()
	e := s.Entries[0]
	fmt.Println(s.Promised, s.Round, e.Slot, e.Ballot, e, err)
	// Output:
	// 2.a 2 1 2.a c1#1:x=1 <nil>
}

// A snapshot is written to a file of its own, atomically, and the
// acceptances below it are dropped from the log.
func ExampleStore_SetSnapshot() {
	dir, err := os.MkdirTemp("", "logstore")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	st, err := logstore.Open(disk.OS{}, dir, logstore.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	b := paxos.Ballot{Round: 1, Node: "a"}
	for slot := uint64(0); slot < 4; slot++ {
		if err := st.PutEntry(paxos.Entry{Slot: slot, Ballot: b, NoOp: true}); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := st.SetSnapshot(3, []byte("state after slots 0-2")); err != nil {
		fmt.Println(err)
		return
	}
	s, err := st.Load()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("snapshot at %d: %q, %d entry, at slot %d\n", s.SnapshotSlot, s.Snapshot, len(s.Entries), s.Entries[0].Slot)
	names, err := disk.OS{}.ReadDir(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, n := range names {
		if filepath.Ext(n) == ".snap" {
			fmt.Println(n)
		}
	}
	// Output:
	// snapshot at 3: "state after slots 0-2", 1 entry, at slot 3
	// snapshot-0000000000000001.snap
}

// The group-commit driver: step the replicas, sync each store once, then
// deliver what the steps returned (persist, then send). The replicas run
// with GroupCommit, so a leader counts its own acceptance only once it
// is durable. After every replica restarts from its store, the decided
// command is still in the log.
func ExampleStore_Sync() {
	root, err := os.MkdirTemp("", "logstore")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(root)
	sys, err := quorum.Majority("a", "b", "c")
	if err != nil {
		fmt.Println(err)
		return
	}
	stores := map[string]*logstore.Store{}
	replicas := map[string]*paxos.Replica{}
	start := func() error {
		for _, id := range sys.Names() {
			dir := filepath.Join(root, id)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			st, err := logstore.Open(disk.OS{}, dir, logstore.Options{WAL: wal.Options{SegmentSize: 1 << 20}})
			if err != nil {
				return err
			}
			r, err := paxos.NewReplica(paxos.ReplicaConfig{ID: id, Quorums: sys, ElectionTicks: 1, GroupCommit: true}, st)
			if err != nil {
				return err
			}
			stores[id], replicas[id] = st, r
		}
		return nil
	}
	// run syncs the store of the replica that returned out, then delivers
	// out, and so on until nothing is left.
	run := func(from string, out []paxos.LogMessage) error {
		type batch struct {
			from string
			out  []paxos.LogMessage
		}
		queue := []batch{{from, out}}
		for len(queue) > 0 {
			b := queue[0]
			queue = queue[1:]
			if err := stores[b.from].Sync(); err != nil {
				return err // discard the replica, reopen the store
			}
			for _, m := range b.out {
				out, err := replicas[m.To].Step(m)
				if err != nil {
					return err
				}
				queue = append(queue, batch{m.To, out})
			}
		}
		return nil
	}
	if err := start(); err != nil {
		fmt.Println(err)
		return
	}
	out, err := replicas["a"].Tick() // a is elected
	if err == nil {
		err = run("a", out)
	}
	if err == nil {
		out, err = replicas["a"].Submit(paxos.Command{Client: "c1", Seq: 1, Op: "x=1"})
	}
	if err == nil {
		err = run("a", out)
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	log := replicas["a"].Log()
	e := log[len(log)-1]
	_, ok := replicas["a"].Decided(e.Slot)
	fmt.Println("decided:", e.Slot, e, ok)
	for _, st := range stores {
		if err := st.Close(); err != nil {
			fmt.Println(err)
			return
		}
	}

	if err := start(); err != nil { // every replica restarts from its disk
		fmt.Println(err)
		return
	}
	for _, id := range sys.Names() {
		s, err := stores[id].Load()
		if err != nil {
			fmt.Println(err)
			return
		}
		e := s.Entries[len(s.Entries)-1]
		fmt.Println(id, "promised", s.Promised, "accepted", e.Slot, e.Ballot, e)
		if err := stores[id].Close(); err != nil {
			fmt.Println(err)
			return
		}
	}
	// Output:
	// decided: 0 c1#1:x=1 true
	// a promised 1.a accepted 0 1.a c1#1:x=1
	// b promised 1.a accepted 0 1.a c1#1:x=1
	// c promised 1.a accepted 0 1.a c1#1:x=1
}

// Options for a small store whose every write is durable when it
// returns, for a Replica that runs without GroupCommit: smaller segments
// than the 64 MiB default, and snapshots of at most 1 MiB.
func ExampleOptions() {
	dir, err := os.MkdirTemp("", "logstore")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	opts := logstore.Options{
		WAL:             wal.Options{SegmentSize: 1 << 20},
		MaxSnapshotSize: 1 << 20,
		SyncEachWrite:   true,
	}
	st, err := logstore.Open(disk.OS{}, dir, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	fmt.Println(st.SetHardState(paxos.Ballot{Round: 1, Node: "a"}, 1)) // durable now
	fmt.Println(st.SetSnapshot(0, make([]byte, 2<<20)))
	// Output:
	// <nil>
	// logstore: set snapshot: 2097152 bytes, over 1048576: logstore: too large
}

// A single-decree node's state on disk: every Save is durable when it
// returns.
func ExampleStateStore() {
	dir, err := os.MkdirTemp("", "logstore")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	sys, err := quorum.Majority("a")
	if err != nil {
		fmt.Println(err)
		return
	}
	st, err := logstore.OpenState(disk.OS{}, dir, logstore.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	n, err := paxos.New(paxos.Config{ID: "a", Quorums: sys, Learners: []string{"a"}}, st)
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := n.Propose("v"); err != nil {
		fmt.Println(err)
		return
	}
	v, ok := n.Decided()
	fmt.Println("decided:", v, ok)
	if err := st.Close(); err != nil {
		fmt.Println(err)
		return
	}

	st, err = logstore.OpenState(disk.OS{}, dir, logstore.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	s, err := st.Load()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("after a restart: promised %v, accepted %q at %v\n", s.Promised, s.Value, s.Accepted)
	// Output:
	// decided: v true
	// after a restart: promised 1.a, accepted "v" at 1.a
}
