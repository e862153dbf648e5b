package paxos_test

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/quorum"
)

// Issue 11: a Thrifty replica picks one quorum to send to, and used to
// enumerate every minimal quorum of its system to find it. With
// majority(a0, ..., a16)*majority(b0, ..., b16), 34 replicas and
// 590976100 minimal phase-1 quorums, NewReplica died out of memory. The
// quorum package now refuses that enumeration with quorum.ErrTooLarge in
// bounded time and memory, so NewReplica must either refuse the
// configuration with an error or build a replica that works (without the
// thrifty shortcut), and never allocate more than a few MiB deciding.
func TestThriftyReplicaOnHugeQuorumSystem(t *testing.T) {
	var a, b []string
	for i := range 17 {
		a = append(a, fmt.Sprintf("a%d", i))
		b = append(b, fmt.Sprintf("b%d", i))
	}
	e, err := quorum.Parse("majority(" + strings.Join(a, ", ") + ") * majority(" + strings.Join(b, ", ") + ")")
	require.NoError(t, err)
	for name, cfg := range map[string]quorum.Config{
		"phase 2 the dual": {Reads: e},
		"both phases":      {Reads: e, Writes: e},
	} {
		sys, err := quorum.New(cfg)
		require.NoError(t, err, name)
		_, err = sys.MinimalQuorums(quorum.Read)
		require.ErrorIs(t, err, quorum.ErrTooLarge, "%s: the phase-1 quorums are too many to list", name)

		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		r, err := paxos.NewReplica(paxos.ReplicaConfig{ID: "a0", Quorums: sys, Thrifty: true, ElectionTicks: 1}, &paxos.MemoryLogStorage{})
		runtime.ReadMemStats(&after)
		allocated := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s: NewReplica with Thrifty allocated %d bytes (error: %v)", name, allocated, err)
		assert.Less(t, allocated, uint64(16<<20), "%s: NewReplica with Thrifty allocated %d bytes: it must not enumerate the quorums", name, allocated)
		if err != nil {
			assert.True(t, errors.Is(err, quorum.ErrTooLarge) || errors.Is(err, paxos.ErrInvalidConfig),
				"%s: a refusal names its cause (quorum.ErrTooLarge or paxos.ErrInvalidConfig): %v", name, err)
			continue
		}
		require.NotNil(t, r, name)
		var sent int
		for range 4 { // long enough to time out and start an election
			out, err := r.Tick()
			require.NoError(t, err, name)
			sent += len(out)
		}
		assert.Positive(t, sent, "%s: the replica campaigns", name)
	}
}
