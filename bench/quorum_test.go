// Side-by-side benchmarks of package quorum against etcd raft's quorum
// package (go.etcd.io/raft/v3/quorum), which counts votes and computes the
// committed index for majorities only. Run in one process:
//
//	cd bench && go test -run '^$' -bench Quorum -benchmem -count 6 -benchtime 300ms | tee quorum.txt
//	benchstat -col /impl quorum.txt
//
// Vote: record one vote and learn the result, cycling through a whole
// election (etcd keeps the votes in a map and recounts them; ours keeps two
// bitsets and evaluates the quorum expression). CommittedIndex: the
// largest index acknowledged by a majority, from per-node acknowledged
// indices (etcd reads them through its AckedIndexer interface backed by a
// map, as raft's tracker does; ours takes a slice indexed by node).

package bench

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/eventually-perfect/primitives/quorum"
	etcdquorum "go.etcd.io/raft/v3/quorum"
)

var sinkVote int

type etcdAcks map[uint64]etcdquorum.Index

func (m etcdAcks) AckedIndex(id uint64) (etcdquorum.Index, bool) {
	i, ok := m[id]
	return i, ok
}

func quorumSizes() []int { return []int{3, 5, 7} }

func BenchmarkQuorumVote(b *testing.B) {
	for _, n := range quorumSizes() {
		votes := make([]bool, n) // a third vote no
		for i := range votes {
			votes[i] = i%3 != 2
		}
		b.Run(fmt.Sprintf("n=%d/impl=ours", n), func(b *testing.B) {
			b.ReportAllocs()
			names := make([]string, n)
			for i := range names {
				names[i] = strconv.Itoa(i + 1)
			}
			s, err := quorum.Majority(names...)
			if err != nil {
				b.Fatal(err)
			}
			t := quorum.NewTracker(s, quorum.Write)
			i := 0
			for b.Loop() {
				if i == n {
					t.Reset()
					i = 0
				}
				r, _ := t.Vote(i, votes[i])
				sinkVote += int(r)
				i++
			}
		})
		b.Run(fmt.Sprintf("n=%d/impl=etcd", n), func(b *testing.B) {
			b.ReportAllocs()
			c := etcdquorum.MajorityConfig{}
			for i := range n {
				c[uint64(i+1)] = struct{}{}
			}
			m := make(map[uint64]bool, n)
			i := 0
			for b.Loop() {
				if i == n {
					clear(m)
					i = 0
				}
				m[uint64(i+1)] = votes[i]
				sinkVote += int(c.VoteResult(m))
				i++
			}
		})
	}
}

func BenchmarkQuorumCommittedIndex(b *testing.B) {
	for _, n := range quorumSizes() {
		acked := make([]uint64, n)
		for i := range acked {
			acked[i] = uint64(100 + (i*37)%11)
		}
		b.Run(fmt.Sprintf("n=%d/impl=ours", n), func(b *testing.B) {
			b.ReportAllocs()
			names := make([]string, n)
			for i := range names {
				names[i] = strconv.Itoa(i + 1)
			}
			s, err := quorum.Majority(names...)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				c, _ := s.CommittedIndex(quorum.Write, acked)
				sinkU64 = c
			}
		})
		b.Run(fmt.Sprintf("n=%d/impl=etcd", n), func(b *testing.B) {
			b.ReportAllocs()
			c := etcdquorum.MajorityConfig{}
			l := etcdAcks{}
			for i := range n {
				c[uint64(i+1)] = struct{}{}
				l[uint64(i+1)] = etcdquorum.Index(acked[i])
			}
			for b.Loop() {
				sinkU64 = uint64(c.CommittedIndex(l))
			}
		})
	}
}

// TestQuorumAgreesWithEtcd checks that both implementations compute the
// same committed index and vote results on the benchmarks' inputs, so the
// comparison is between equal work.
func TestQuorumAgreesWithEtcd(t *testing.T) {
	for _, n := range quorumSizes() {
		names := make([]string, n)
		c := etcdquorum.MajorityConfig{}
		l := etcdAcks{}
		acked := make([]uint64, n)
		for i := range names {
			names[i] = strconv.Itoa(i + 1)
			acked[i] = uint64(100 + (i*37)%11)
			c[uint64(i+1)] = struct{}{}
			l[uint64(i+1)] = etcdquorum.Index(acked[i])
		}
		s, _ := quorum.Majority(names...)
		got, _ := s.CommittedIndex(quorum.Write, acked)
		if want := uint64(c.CommittedIndex(l)); got != want {
			t.Errorf("n=%d: committed index %d, etcd says %d", n, got, want)
		}
		tr := quorum.NewTracker(s, quorum.Write)
		m := map[uint64]bool{}
		for i := range n {
			r, _ := tr.Vote(i, i%3 != 2)
			m[uint64(i+1)] = i%3 != 2
			want := map[etcdquorum.VoteResult]quorum.VoteResult{etcdquorum.VotePending: quorum.Pending, etcdquorum.VoteWon: quorum.Won, etcdquorum.VoteLost: quorum.Lost}[c.VoteResult(m)]
			if r != want {
				t.Errorf("n=%d after %d votes: %v, etcd says %v", n, i+1, r, want)
			}
		}
	}
}

// BenchmarkQuorumJointVote: Raft's joint consensus (Ongaro and Ousterhout
// 2014, section 6) needs a majority of the old and of the new
// configuration. etcd has a dedicated JointConfig; here it is just the
// expression majority(old) * majority(new), over 1..5 and 3..7.
func BenchmarkQuorumJointVote(b *testing.B) {
	const n = 7
	old, cur := []string{"1", "2", "3", "4", "5"}, []string{"3", "4", "5", "6", "7"}
	votes := make([]bool, n)
	for i := range votes {
		votes[i] = i%3 != 2
	}
	b.Run("impl=ours", func(b *testing.B) {
		b.ReportAllocs()
		s, err := quorum.New(quorum.Config{
			Reads:  quorum.And(quorum.MajorityOf(quorum.Leaves(old...)...), quorum.MajorityOf(quorum.Leaves(cur...)...)),
			Writes: quorum.And(quorum.MajorityOf(quorum.Leaves(old...)...), quorum.MajorityOf(quorum.Leaves(cur...)...)),
		})
		if err != nil {
			b.Fatal(err)
		}
		idx := make([]int, n)
		for i := range idx {
			idx[i], _ = s.Index(strconv.Itoa(i + 1))
		}
		t := quorum.NewTracker(s, quorum.Write)
		i := 0
		for b.Loop() {
			if i == n {
				t.Reset()
				i = 0
			}
			r, _ := t.Vote(idx[i], votes[i])
			sinkVote += int(r)
			i++
		}
	})
	b.Run("impl=etcd", func(b *testing.B) {
		b.ReportAllocs()
		c := etcdquorum.JointConfig{etcdquorum.MajorityConfig{}, etcdquorum.MajorityConfig{}}
		for _, id := range old {
			v, _ := strconv.ParseUint(id, 10, 64)
			c[1][v] = struct{}{}
		}
		for _, id := range cur {
			v, _ := strconv.ParseUint(id, 10, 64)
			c[0][v] = struct{}{}
		}
		m := make(map[uint64]bool, n)
		i := 0
		for b.Loop() {
			if i == n {
				clear(m)
				i = 0
			}
			m[uint64(i+1)] = votes[i]
			sinkVote += int(c.VoteResult(m))
			i++
		}
	})
}

// TestQuorumJointAgreesWithEtcd: for every assignment of yes, no or no
// vote to the 7 nodes of the joint configuration, our expression and
// etcd's JointConfig give the same result.
func TestQuorumJointAgreesWithEtcd(t *testing.T) {
	old, cur := []string{"1", "2", "3", "4", "5"}, []string{"3", "4", "5", "6", "7"}
	joint := quorum.And(quorum.MajorityOf(quorum.Leaves(old...)...), quorum.MajorityOf(quorum.Leaves(cur...)...))
	s, err := quorum.New(quorum.Config{Reads: joint, Writes: joint})
	if err != nil {
		t.Fatal(err)
	}
	c := etcdquorum.JointConfig{etcdquorum.MajorityConfig{}, etcdquorum.MajorityConfig{}}
	for i := uint64(1); i <= 5; i++ {
		c[1][i] = struct{}{}
		c[0][i+2] = struct{}{}
	}
	conv := map[etcdquorum.VoteResult]quorum.VoteResult{etcdquorum.VotePending: quorum.Pending, etcdquorum.VoteWon: quorum.Won, etcdquorum.VoteLost: quorum.Lost}
	for code := 0; code < 2187; code++ { // 3^7
		tr := quorum.NewTracker(s, quorum.Write)
		m := map[uint64]bool{}
		x := code
		for id := 1; id <= 7; id++ {
			switch x % 3 {
			case 1:
				m[uint64(id)] = true
			case 2:
				m[uint64(id)] = false
			}
			if v, ok := m[uint64(id)]; ok {
				i, _ := s.Index(strconv.Itoa(id))
				tr.Vote(i, v)
			}
			x /= 3
		}
		if got, want := tr.Result(), conv[c.VoteResult(m)]; got != want {
			t.Fatalf("votes %v: %v, etcd's JointConfig says %v", m, got, want)
		}
	}
}
