package paxos_test

import (
	"testing"

	"github.com/eventually-perfect/primitives/quorum"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReplicaPhase2QuorumOfOne: with q2 = 1 and q1 = n (FPaxos, section
// 3: q1 + q2 > n is enough), a leader's own acceptance is a phase-2
// quorum, so each proposal is decided the moment it is made. Every slot
// must still be proposed once, in order: none may be skipped.
func TestReplicaPhase2QuorumOfOne(t *testing.T) {
	sys, err := quorum.Flexible([]string{"a", "b", "c"}, 3, 1)
	require.NoError(t, err)
	c := newMPCluster(t, sys, nil)
	c.elect("a")
	for i := 1; i <= 3; i++ {
		c.submit("a", mpCmd("k", uint64(i), "x"))
	}
	c.run(nil)
	st := c.rs["a"].Stats()
	assert.Equal(t, st.Proposed, c.rs["a"].Applied(), "with q2 = 1 every slot the leader proposed is applied at once: no slot is skipped")
	assert.Len(t, c.sm["a"].ops, 3, "the leader applies the three commands")
	c.tick("a") // the others learn the last decision from the heartbeat
	c.run(nil)
	for _, id := range []string{"a", "b", "c"} {
		assert.Len(t, c.sm[id].ops, 3, "%s applies the three commands", id)
	}
}
