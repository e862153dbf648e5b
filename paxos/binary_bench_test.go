package paxos_test

import (
	"encoding"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
)

// opDecoder stands for an application's decoder of binary ops (a
// protobuf or gob message...): called through an interface, as a
// StateMachine would, so the compiler cannot prove that a []byte(op)
// conversion stays on the stack and must allocate it.
type opDecoder struct{ first, last byte }

func (d *opDecoder) UnmarshalBinary(p []byte) error {
	if len(p) > 0 {
		d.first, d.last = p[0], p[len(p)-1]
	}
	return nil
}

var decodeInto encoding.BinaryUnmarshaler = &opDecoder{}

// How a StateMachine reads a binary op.
var opReaders = []struct {
	name string
	wrap func([]byte) string // how the client builds Op from its payload
	read func(paxos.Command) error
}{
	// base64: the detour a text-only Op would force (encode on submit,
	// decode in Apply).
	{"base64", base64.StdEncoding.EncodeToString, func(c paxos.Command) error {
		p, err := base64.StdEncoding.DecodeString(c.Op)
		if err != nil {
			return err
		}
		return decodeInto.UnmarshalBinary(p)
	}},
	// copy: the bytes in the string, converted back with []byte(c.Op).
	{"copy", func(p []byte) string { return string(p) }, func(c paxos.Command) error {
		return decodeInto.UnmarshalBinary([]byte(c.Op))
	}},
	// OpBytes: the bytes in the string, read in place.
	{"OpBytes", func(p []byte) string { return string(p) }, func(c paxos.Command) error {
		return decodeInto.UnmarshalBinary(c.OpBytes())
	}},
}

// randomBytes returns n bytes from a seeded source.
func randomBytes(n int) []byte {
	var c rand.ChaCha8
	p := make([]byte, n)
	_, _ = c.Read(p) // ChaCha8.Read never fails
	return p
}

// BenchmarkOpRead: what it costs a StateMachine to hand a binary op to a
// decoder, per op, by size and by the way the op is read.
func BenchmarkOpRead(b *testing.B) {
	for _, size := range []int{64, 4096, 65536} {
		payload := randomBytes(size)
		for _, rd := range opReaders {
			b.Run(fmt.Sprintf("size=%d/%s", size, rd.name), func(b *testing.B) {
				b.ReportAllocs()
				cmd := paxos.Command{Client: "k", Seq: 1, Op: rd.wrap(payload)}
				for b.Loop() {
					if err := rd.read(cmd); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// binarySM decodes every op it applies with read and returns an empty
// result.
type binarySM struct {
	n    int
	read func(paxos.Command) error
	err  error
}

func (s *binarySM) Apply(c paxos.Command) string {
	s.n++
	if err := s.read(c); err != nil && s.err == nil {
		s.err = err
	}
	return ""
}
func (s *binarySM) Snapshot() ([]byte, error) { return nil, nil }
func (s *binarySM) Restore([]byte) error      { return nil }

// BenchmarkReplicaBinary is BenchmarkReplica's workload (three replicas
// in one process, batches of 16, one operation is one command applied on
// all three) with random binary payloads of 4 KiB that the client holds
// as a []byte and every replica's StateMachine decodes: the share of the
// payload's copies in a replicated command, by the way the op is built
// and read (see opReaders).
func BenchmarkReplicaBinary(b *testing.B) {
	const batch, size = 16, 4096
	payload := randomBytes(size)
	for _, rd := range opReaders {
		b.Run(rd.name, func(b *testing.B) {
			b.ReportAllocs()
			sys, err := quorum.Majority("a", "b", "c")
			if err != nil {
				b.Fatal(err)
			}
			rs := map[string]*paxos.Replica{}
			sms := map[string]*binarySM{}
			for _, id := range sys.Names() {
				sms[id] = &binarySM{read: rd.read}
				rs[id], err = paxos.NewReplica(paxos.ReplicaConfig{ID: id, Quorums: sys, ElectionTicks: 1, MaxBatch: batch,
					SnapshotEvery: 1 << 14, StateMachine: sms[id]}, &paxos.MemoryLogStorage{})
				if err != nil {
					b.Fatal(err)
				}
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
			queue, err = rs["a"].Tick()
			if err != nil {
				b.Fatal(err)
			}
			for len(queue) > 0 {
				pump()
			}
			applied := func() int { return min(sms["a"].n, sms["b"].n, sms["c"].n) }
			b.ResetTimer()
			sent := 0
			for applied() < b.N {
				for sent < b.N && sent-applied() < 2*32*batch {
					sent++
					out, err := rs["a"].Submit(paxos.Command{Client: "k", Seq: uint64(sent), Op: rd.wrap(payload)})
					if err != nil {
						b.Fatal(err)
					}
					queue = append(queue, out...)
				}
				pump()
			}
			for _, sm := range sms {
				if sm.err != nil {
					b.Fatal(sm.err)
				}
			}
		})
	}
}
