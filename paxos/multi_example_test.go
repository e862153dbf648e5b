package paxos_test

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
)

// counter is a tiny StateMachine: "add n" adds n to a total, and the
// result a client is told is the new total.
type counter struct{ total int }

func (c *counter) Apply(cmd paxos.Command) string {
	n, err := strconv.Atoi(strings.TrimPrefix(cmd.Op, "add "))
	if err != nil {
		return err.Error() // the client is told; the total is unchanged
	}
	c.total += n
	return strconv.Itoa(c.total)
}

func (c *counter) Snapshot() ([]byte, error) { return []byte(strconv.Itoa(c.total)), nil }

func (c *counter) Restore(b []byte) error {
	n, err := strconv.Atoi(string(b))
	if err != nil && len(b) > 0 {
		return err
	}
	c.total = n
	return nil
}

// deliverAll hands every message to its destination until none is left.
func deliverAll(rs map[string]*paxos.Replica, queue []paxos.LogMessage) error {
	for len(queue) > 0 {
		m := queue[0]
		queue = queue[1:]
		out, err := rs[m.To].Step(m)
		if err != nil {
			return err
		}
		queue = append(queue, out...)
	}
	return nil
}

// A replicated counter on three replicas: a client adds 5 and 7, then
// retries its first command (same Client and Seq) after a timeout. The
// retry is not applied again; the session remembers the last result.
func ExampleStateMachine() {
	sys, err := quorum.Majority("a", "b", "c")
	if err != nil {
		fmt.Println(err)
		return
	}
	rs := map[string]*paxos.Replica{}
	apps := map[string]*counter{}
	for _, id := range sys.Names() {
		apps[id] = &counter{}
		rs[id], err = paxos.NewReplica(paxos.ReplicaConfig{ID: id, Quorums: sys, ElectionTicks: 1, StateMachine: apps[id]},
			&paxos.MemoryLogStorage{})
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	out, err := rs["a"].Tick() // a is elected
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := deliverAll(rs, out); err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range []paxos.Command{{Client: "c1", Seq: 1, Op: "add 5"}, {Client: "c1", Seq: 2, Op: "add 7"}, {Client: "c1", Seq: 1, Op: "add 5"}} {
		out, err = rs["a"].Submit(c)
		if err != nil {
			fmt.Println(err)
			return
		}
		if err := deliverAll(rs, out); err != nil {
			fmt.Println(err)
			return
		}
	}
	for _, id := range sys.Names() {
		seq, result, _ := rs[id].Session("c1")
		fmt.Printf("%s: total %d, c1's last command %d returned %s\n", id, apps[id].total, seq, result)
	}
	// Output:
	// a: total 12, c1's last command 2 returned 12
	// b: total 12, c1's last command 2 returned 12
	// c: total 12, c1's last command 2 returned 12
}

func ExampleCommand() {
	fmt.Println(paxos.Command{Client: "c1", Seq: 3, Op: "add 5"})
	fmt.Println(paxos.Command{Op: "add 5"}) // no session
	// Output:
	// c1#3:add 5
	// add 5
}

// A binary payload is carried as it is: build the Command from the bytes
// (one copy, so the caller may reuse its buffer), and read the op as
// bytes in Apply without another copy.
func ExampleCommand_OpBytes() {
	payload := []byte{0x00, 0xff, 0x10, 0x00} // not text: zero bytes, invalid UTF-8
	cmd := paxos.Command{Client: "c1", Seq: 1, Op: string(payload)}
	payload[0] = 0x42 // the command has its own copy

	op := cmd.OpBytes() // read-only: shares the op's memory
	fmt.Println(len(op), binary.BigEndian.Uint16(op[2:]))
	fmt.Println(cmd) // traces quote a binary op
	// Output:
	// 4 4096
	// c1#1:"\x00\xff\x10\x00"
}

// A follower counts a stale accept (from a ballot below its promise) as a
// Nack it sent; the leader counts as dropped the promise that came after
// it was elected and an acceptance for a slot it never proposed.
func ExampleReplicaStats() {
	sys, err := quorum.Majority("a", "b", "c")
	if err != nil {
		fmt.Println(err)
		return
	}
	rs := map[string]*paxos.Replica{}
	for _, id := range sys.Names() {
		rs[id], err = paxos.NewReplica(paxos.ReplicaConfig{ID: id, Quorums: sys, ElectionTicks: 1}, &paxos.MemoryLogStorage{})
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	out, err := rs["b"].Tick() // b is elected with ballot 1.b
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := deliverAll(rs, out); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := rs["c"].Step(paxos.LogMessage{Type: paxos.LogAccept, From: "a", To: "c", Ballot: paxos.Ballot{Round: 1, Node: "a"}}); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := rs["b"].Step(paxos.LogMessage{Type: paxos.LogAccepted, From: "c", To: "b", Ballot: paxos.Ballot{Round: 1, Node: "b"}, Entry: paxos.Entry{Slot: 9}}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("c: %+v\n", rs["c"].Stats())
	fmt.Printf("b: dropped %d, elections %d\n", rs["b"].Stats().Dropped, rs["b"].Stats().Elections)
	// Output:
	// c: {Dropped:0 Nacks:1 Elections:0 Proposed:0 Applied:0 Duplicates:0 SnapshotsTaken:0 SnapshotsSent:0 SnapshotsInstalled:0 CatchUps:0}
	// b: dropped 2, elections 1
}

// Size is the length of the canonical encoding, which a simulated link
// charges for bandwidth.
func ExampleLogMessage_Size() {
	m := paxos.LogMessage{Type: paxos.LogAccept, From: "a", To: "b", Ballot: paxos.Ballot{Round: 2, Node: "a"},
		Entry: paxos.Entry{Slot: 7, Commands: []paxos.Command{{Client: "c1", Seq: 1, Op: "add 5"}}}}
	data, err := m.MarshalBinary()
	if err != nil {
		fmt.Println(err)
		return
	}
	var back paxos.LogMessage
	err = back.UnmarshalBinary(data)
	fmt.Println(m.Size(), len(data), err, back)
	// Output: 33 33 <nil> accept 2.a [7]=c1#1:add 5
}

// The leader's LeaderHint is itself; a follower learns it from the
// leader's messages, and Applied is the length of the applied prefix.
func ExampleReplica_LeaderHint() {
	sys, err := quorum.Majority("a", "b", "c")
	if err != nil {
		fmt.Println(err)
		return
	}
	rs := map[string]*paxos.Replica{}
	for _, id := range sys.Names() {
		rs[id], err = paxos.NewReplica(paxos.ReplicaConfig{ID: id, Quorums: sys, ElectionTicks: 1}, &paxos.MemoryLogStorage{})
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	out, err := rs["c"].Tick()
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := deliverAll(rs, out); err != nil {
		fmt.Println(err)
		return
	}
	out, err = rs["a"].Submit(paxos.Command{Op: "x"}) // forwarded to c
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := deliverAll(rs, out); err != nil {
		fmt.Println(err)
		return
	}
	for _, id := range sys.Names() {
		fmt.Println(id, rs[id].LeaderHint(), rs[id].Applied())
	}
	// Output:
	// a c 1
	// b c 1
	// c c 1
}

// durableCounter is a counter whose total survives a restart, as a
// database's would: each slot's additions and the count of slots applied
// are committed together in SetApplied.
type durableCounter struct {
	counter
	slots   uint64 // committed with total
	pending int    // additions of the slot being applied
}

func (d *durableCounter) Apply(cmd paxos.Command) string {
	n, err := strconv.Atoi(strings.TrimPrefix(cmd.Op, "add "))
	if err != nil {
		return err.Error()
	}
	d.pending += n
	return strconv.Itoa(d.total + d.pending)
}

func (d *durableCounter) SetApplied(n uint64) error {
	d.total, d.pending, d.slots = d.total+d.pending, 0, n
	return nil
}

func (d *durableCounter) Applied() uint64 { return d.slots }

// A replica restarts without a snapshot and learns its log again; its
// durable state machine already holds the first two slots, so they are
// not applied again: the total stays 12, not 24.
func ExampleDurableStateMachine() {
	sys, err := quorum.Majority("a", "b", "c")
	if err != nil {
		fmt.Println(err)
		return
	}
	rs := map[string]*paxos.Replica{}
	stores := map[string]*paxos.MemoryLogStorage{}
	b := &durableCounter{}
	for _, id := range sys.Names() {
		stores[id] = &paxos.MemoryLogStorage{}
		var sm paxos.StateMachine = &counter{}
		if id == "b" {
			sm = b
		}
		rs[id], err = paxos.NewReplica(paxos.ReplicaConfig{ID: id, Quorums: sys, ElectionTicks: 1, StateMachine: sm}, stores[id])
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	out, err := rs["a"].Tick() // a is elected
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := deliverAll(rs, out); err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range []paxos.Command{{Client: "c1", Seq: 1, Op: "add 5"}, {Client: "c1", Seq: 2, Op: "add 7"}} {
		out, err = rs["a"].Submit(c)
		if err != nil {
			fmt.Println(err)
			return
		}
		if err := deliverAll(rs, out); err != nil {
			fmt.Println(err)
			return
		}
	}
	out, err = rs["a"].Tick() // the heartbeat tells b that both slots are decided
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := deliverAll(rs, out); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("before the restart: b applied %d slots, total %d\n", rs["b"].Applied(), b.total)

	// b's process restarts: its replica is rebuilt from its LogStorage,
	// its state machine kept its own state.
	rs["b"], err = paxos.NewReplica(paxos.ReplicaConfig{ID: "b", Quorums: sys, ElectionTicks: 1, StateMachine: b}, stores["b"])
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err = rs["a"].Tick()
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := deliverAll(rs, out); err != nil {
		fmt.Println(err)
		return
	}
	seq, _, _ := rs["b"].Session("c1")
	fmt.Printf("after: b applied %d slots, total %d, c1's last command %d\n", rs["b"].Applied(), b.total, seq)
	// Output:
	// before the restart: b applied 2 slots, total 12
	// after: b applied 2 slots, total 12, c1's last command 2
}
