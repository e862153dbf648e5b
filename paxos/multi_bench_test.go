package paxos_test

import (
	"fmt"
	"testing"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
)

type countSM struct{ n int }

func (s *countSM) Apply(paxos.Command) string { s.n++; return "" }
func (s *countSM) Snapshot() ([]byte, error)  { return nil, nil }
func (s *countSM) Restore([]byte) error       { return nil }

// BenchmarkReplica: three replicas in one process (MemoryLogStorage, a
// FIFO in-memory network, no ticks once elected) replicate commands of 64
// bytes with client sessions; the client keeps 2*Window*MaxBatch commands
// outstanding, so slots carry full batches. One operation is one command
// applied on all three replicas; cmds/s is the throughput. The bench
// module compares the same workload with go.etcd.io/raft/v3.
func BenchmarkReplica(b *testing.B) {
	payload := string(make([]byte, 64))
	for _, batch := range []int{1, 16, 64} {
		{
			b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
				b.ReportAllocs()
				sys, _ := quorum.Majority("a", "b", "c")
				rs := map[string]*paxos.Replica{}
				sms := map[string]*countSM{}
				for _, id := range sys.Names() {
					sms[id] = &countSM{}
					rs[id], _ = paxos.NewReplica(paxos.ReplicaConfig{ID: id, Quorums: sys, ElectionTicks: 1, MaxBatch: batch,
						SnapshotEvery: 1 << 14, StateMachine: sms[id]}, &paxos.MemoryLogStorage{})
				}
				var queue, spare []paxos.LogMessage
				pump := func() {
					q := queue
					queue = spare[:0]
					for i := range q {
						out, err := rs[q[i].To].Step(q[i])
						if err != nil {
							b.Fatal(err)
						}
						queue = append(queue, out...)
					}
					clear(q)
					spare = q
				}
				queue, _ = rs["a"].Tick()
				for len(queue) > 0 {
					pump()
				}
				applied := func() int { return min(sms["a"].n, sms["b"].n, sms["c"].n) }
				b.ResetTimer()
				sent := 0
				for applied() < b.N {
					for sent < b.N && sent-applied() < 2*32*batch {
						sent++
						out, err := rs["a"].Submit(paxos.Command{Client: "k", Seq: uint64(sent), Op: payload})
						if err != nil {
							b.Fatal(err)
						}
						queue = append(queue, out...)
					}
					pump()
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cmds/s")
			})
		}
	}
}
