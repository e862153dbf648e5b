package logstore

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/eventually-perfect/primitives/disk"
	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/sim"
	"github.com/eventually-perfect/primitives/wal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newDisk(t *testing.T) *sim.Disk {
	d, err := sim.NewDisk(rand.New(rand.NewPCG(1, 2)), sim.DiskConfig{})
	require.NoError(t, err)
	return d
}

// small gives opts 64 KiB segments unless they say otherwise: sim.Disk
// keeps every byte of a preallocated segment in memory, twice.
func small(opts Options) Options {
	if opts.WAL.SegmentSize == 0 {
		opts.WAL.SegmentSize = 64 << 10
	}
	return opts
}

func openT(t *testing.T, fsys disk.FS, opts Options) *Store {
	st, err := Open(fsys, dir, small(opts))
	require.NoError(t, err)
	return st
}

var b1, b2 = paxos.Ballot{Round: 1, Node: "a"}, paxos.Ballot{Round: 2, Node: "b"}

func entry(slot uint64, b paxos.Ballot, op string) paxos.Entry {
	return paxos.Entry{Slot: slot, Ballot: b, Commands: []paxos.Command{{Client: "c", Seq: slot + 1, Op: op}}}
}

// The last hard state and the last acceptance of each slot win, across
// a restart ("Paxos Made Simple", section 2.3: an acceptor remembers its
// highest promise and acceptance).
func TestLastWriteWins(t *testing.T) {
	d := newDisk(t)
	st := openT(t, d, Options{})
	require.NoError(t, st.SetHardState(b1, 1))
	require.NoError(t, st.PutEntry(entry(3, b1, "x")))
	require.NoError(t, st.PutEntry(entry(1, b1, "y")))
	require.NoError(t, st.SetHardState(b2, 4))
	require.NoError(t, st.PutEntry(entry(3, b2, "z")))
	require.NoError(t, st.Sync())
	d.Crash()
	st = openT(t, d, Options{})
	s, err := st.Load()
	require.NoError(t, err)
	assert.Equal(t, paxos.LogState{Promised: b2, Round: 4, Entries: []paxos.Entry{entry(1, b1, "y"), entry(3, b2, "z")}}, s,
		"the last hard state and the last acceptance per slot must be loaded")
}

// Group commit: any number of writes, one fsync.
func TestGroupCommitOneFsync(t *testing.T) {
	d := newDisk(t)
	st := openT(t, d, Options{})
	before := d.Stats().Syncs
	for i := range uint64(100) {
		require.NoError(t, st.PutEntry(entry(i, b1, "op")))
	}
	assert.Equal(t, before, d.Stats().Syncs, "writes must not sync before Sync")
	require.NoError(t, st.Sync())
	assert.Equal(t, before+1, d.Stats().Syncs, "Sync must cost one fsync for 100 writes")
	require.NoError(t, st.Sync())
	assert.Equal(t, before+1, d.Stats().Syncs, "a Sync with nothing new must cost nothing")
	st2 := openT(t, newDisk(t), Options{SyncEachWrite: true})
	d2 := st2.fs.(*sim.Disk)
	before = d2.Stats().Syncs
	require.NoError(t, st2.PutEntry(entry(0, b1, "op")))
	assert.Equal(t, before+1, d2.Stats().Syncs, "SyncEachWrite must sync every write")
}

// A snapshot drops the log below it: what is left is a checkpoint (the
// marker, the hard state and the live entries), and one snapshot file.
func TestSnapshotCompacts(t *testing.T) {
	d := newDisk(t)
	st := openT(t, d, Options{WAL: wal.Options{SegmentSize: 1024}})
	require.NoError(t, st.SetHardState(b1, 1))
	for i := range uint64(50) {
		require.NoError(t, st.PutEntry(entry(i, b1, "some operation")))
	}
	require.NoError(t, st.SetSnapshot(48, []byte("first")))
	require.NoError(t, st.SetSnapshot(48, []byte("second"))) // replaces one at the same slot
	require.NoError(t, st.SetSnapshot(10, []byte("older")))  // ignored
	assert.Equal(t, uint64(4), st.log.LastIndex()-st.log.FirstIndex()+1, "after a snapshot the log must hold the marker, the hard state and the 2 live entries")
	names, err := d.ReadDir(dir)
	require.NoError(t, err)
	var snaps []string
	for _, n := range names {
		if _, ok := parseSnapName(n); ok {
			snaps = append(snaps, n)
		}
	}
	assert.Equal(t, []string{snapName(2)}, snaps, "older snapshot files must be removed")
	err = st.PutEntry(entry(47, b2, "late"))
	assert.ErrorIs(t, err, ErrInvalid, "an entry below the snapshot must be refused")
	require.NoError(t, st.PutEntry(entry(49, b2, "new")))
	require.NoError(t, st.Close())
	st = openT(t, d, Options{})
	s, err := st.Load()
	require.NoError(t, err)
	assert.Equal(t, paxos.LogState{Promised: b1, Round: 1, SnapshotSlot: 48, Snapshot: []byte("second"),
		Entries: []paxos.Entry{entry(48, b1, "some operation"), entry(49, b2, "new")}}, s)
}

// Writes that the paxos decoders would not read back are refused, and
// the store goes on.
func TestInvalidWrites(t *testing.T) {
	st := openT(t, newDisk(t), Options{MaxSnapshotSize: 10})
	assert.ErrorIs(t, st.SetHardState(paxos.Ballot{Round: 1}, 0), ErrInvalid, "a round without a node")
	assert.ErrorIs(t, st.PutEntry(paxos.Entry{Ballot: paxos.Ballot{Node: "a"}}), ErrInvalid, "a node without a round")
	assert.ErrorIs(t, st.PutEntry(paxos.Entry{Ballot: b1, NoOp: true, Commands: []paxos.Command{{}}}), ErrInvalid, "a no-op with commands")
	assert.ErrorIs(t, st.PutEntry(paxos.Entry{Ballot: b1, Commands: []paxos.Command{{Op: string(make([]byte, paxos.MaxOpSize+1))}}}), ErrInvalid, "an op over MaxOpSize")
	assert.ErrorIs(t, st.SetSnapshot(1, make([]byte, 11)), ErrTooLarge)
	assert.ErrorIs(t, st.PutEntry(paxos.Entry{Ballot: b1, Commands: []paxos.Command{{Op: string(make([]byte, wal.DefaultMaxRecordSize))}}}), ErrInvalid)
	require.NoError(t, st.PutEntry(entry(0, b1, "fine")), "the store must go on after refusing a write")
	require.NoError(t, st.Close())
	assert.ErrorIs(t, st.Sync(), ErrClosed)
	assert.ErrorIs(t, st.Close(), ErrClosed)
}

// A failed fsync stops the store (fsyncgate): every later call fails
// with ErrBroken until it is reopened, which recovers what the disk
// holds.
func TestFailedSyncStops(t *testing.T) {
	d := newDisk(t)
	st := openT(t, d, Options{})
	require.NoError(t, st.PutEntry(entry(0, b1, "durable")))
	require.NoError(t, st.Sync())
	require.NoError(t, d.SetFaults(sim.DiskFaults{SyncFailure: 1}))
	require.NoError(t, st.PutEntry(entry(1, b1, "lost")))
	err := st.Sync()
	require.ErrorIs(t, err, ErrBroken)
	assert.ErrorIs(t, err, wal.ErrBroken, "the error must wrap the log's")
	for name, err := range map[string]error{
		"SetHardState": st.SetHardState(b2, 2), "PutEntry": st.PutEntry(entry(2, b1, "x")),
		"SetSnapshot": st.SetSnapshot(1, nil), "Sync": st.Sync(),
	} {
		assert.ErrorIs(t, err, ErrBroken, "a stopped store must refuse %s", name)
	}
	_, err = st.Load()
	assert.ErrorIs(t, err, ErrBroken, "a stopped store must refuse Load")
	assert.ErrorIs(t, st.Close(), ErrBroken)
	require.NoError(t, d.SetFaults(sim.DiskFaults{}))
	d.Crash()
	st = openT(t, d, Options{})
	s, err := st.Load()
	require.NoError(t, err)
	assert.Equal(t, entry(0, b1, "durable"), s.Entries[0], "what was synced must survive")
}

// Damage that no crash explains is reported with ErrCorrupt: a snapshot
// file that fails its checksum, or one that the log says exists and that
// is missing.
func TestCorruptionReported(t *testing.T) {
	d := newDisk(t)
	st := openT(t, d, Options{})
	require.NoError(t, st.PutEntry(entry(5, b1, "x")))
	require.NoError(t, st.SetSnapshot(3, []byte("the state")))
	require.NoError(t, st.Close())
	name := dir + "/" + snapName(1)
	f, err := d.Open(name)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte{'X'}, snapHeaderSize+2)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
	st = openT(t, d, Options{}) // Open reads the header only
	_, err = st.Load()
	assert.ErrorIs(t, err, ErrCorrupt, "a snapshot that fails its checksum")
	require.NoError(t, st.Close())

	require.NoError(t, d.Remove(name))
	require.NoError(t, d.SyncDir(dir))
	_, err = Open(d, dir, small(Options{}))
	assert.ErrorIs(t, err, ErrCorrupt, "a missing snapshot")

	d = newDisk(t)
	st = openT(t, d, Options{})
	require.NoError(t, st.SetSnapshot(1, []byte("big")))
	require.NoError(t, st.Close())
	_, err = Open(d, dir, small(Options{MaxSnapshotSize: 2}))
	assert.ErrorIs(t, err, ErrCorrupt, "a snapshot file over MaxSnapshotSize")
	assert.ErrorIs(t, err, ErrTooLarge)
}

// StateStore keeps the last State, and drops older ones from its log.
func TestStateStore(t *testing.T) {
	d := newDisk(t)
	st, err := OpenState(d, dir, Options{WAL: wal.Options{SegmentSize: 512}})
	require.NoError(t, err)
	var last paxos.State
	for i := range uint64(200) {
		last = paxos.State{Promised: paxos.Ballot{Round: i + 1, Node: "a"}, Accepted: b1, Value: "v", Round: i}
		require.NoError(t, st.Save(last))
	}
	assert.Less(t, st.log.LastIndex()-st.log.FirstIndex(), uint64(stateCompactEvery), "the log must be truncated every 64 saves")
	assert.ErrorIs(t, st.Save(paxos.State{Value: "no acceptance"}), ErrInvalid)
	d.Crash() // every Save was durable
	st, err = OpenState(d, dir, small(Options{}))
	require.NoError(t, err)
	got, err := st.Load()
	require.NoError(t, err)
	assert.Equal(t, last, got)
	require.NoError(t, d.SetFaults(sim.DiskFaults{SyncFailure: 1}))
	assert.ErrorIs(t, st.Save(paxos.State{}), ErrBroken)
	_, err = st.Load()
	assert.ErrorIs(t, err, ErrBroken)
	assert.ErrorIs(t, st.Close(), ErrBroken)
	assert.ErrorIs(t, st.Close(), ErrClosed)

	// A Store's directory is not a StateStore's.
	d = newDisk(t)
	s := openT(t, d, Options{})
	require.NoError(t, s.SetHardState(b1, 1))
	require.NoError(t, s.Close())
	_, err = OpenState(d, dir, small(Options{}))
	assert.ErrorIs(t, err, ErrCorrupt)
}

func TestSnapshotFileRoundTrip(t *testing.T) {
	data := []byte("snapshot")
	b := encodeSnapshotFile(7, 42, data)
	slot, got, err := decodeSnapshotFile(b, 7, 100)
	require.NoError(t, err)
	assert.Equal(t, uint64(42), slot)
	assert.True(t, bytes.Equal(data, got))
	_, _, err = decodeSnapshotFile(b, 8, 100)
	assert.ErrorIs(t, err, ErrCorrupt, "a file named for another generation")
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 1
		_, _, err := decodeSnapshotFile(c, 7, 100)
		assert.True(t, errors.Is(err, ErrCorrupt), "a flipped bit at %d must be reported", i)
	}
}
