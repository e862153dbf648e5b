package logstore

import (
	"testing"

	"github.com/eventually-perfect/primitives/disk"
	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/wal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// On the real file system: write, sync, reopen, the same state; a
// snapshot, reopen, the same state.
func TestRealDisk(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(disk.OS{}, dir, Options{WAL: wal.Options{SegmentSize: 1 << 20}})
	require.NoError(t, err)
	require.NoError(t, st.SetHardState(b2, 3))
	for i := range uint64(20) {
		require.NoError(t, st.PutEntry(entry(i, b1, "op")))
	}
	require.NoError(t, st.PutEntry(entry(7, b2, "replaced")))
	require.NoError(t, st.Sync())
	want, err := st.Load()
	require.NoError(t, err)
	require.NoError(t, st.Close())

	st, err = Open(disk.OS{}, dir, Options{WAL: wal.Options{SegmentSize: 1 << 20}})
	require.NoError(t, err)
	got, err := st.Load()
	require.NoError(t, err)
	assert.Equal(t, want, got, "reopening must load the state synced")

	require.NoError(t, st.SetSnapshot(10, []byte("state at 10")))
	want, err = st.Load()
	require.NoError(t, err)
	require.NoError(t, st.Close())
	st, err = Open(disk.OS{}, dir, Options{WAL: wal.Options{SegmentSize: 1 << 20}})
	require.NoError(t, err)
	got, err = st.Load()
	require.NoError(t, err)
	assert.Equal(t, want, got, "reopening after a snapshot must load the same state")
	assert.Equal(t, uint64(10), got.SnapshotSlot)
	assert.Len(t, got.Entries, 10)
	require.NoError(t, st.Close())

	sdir := t.TempDir()
	ss, err := OpenState(disk.OS{}, sdir, Options{})
	require.NoError(t, err)
	s := paxos.State{Promised: b2, Accepted: b1, Value: "v", Round: 1}
	require.NoError(t, ss.Save(s))
	require.NoError(t, ss.Close())
	ss, err = OpenState(disk.OS{}, sdir, Options{})
	require.NoError(t, err)
	got2, err := ss.Load()
	require.NoError(t, err)
	assert.Equal(t, s, got2)
	require.NoError(t, ss.Close())
}
