// Package logstore keeps Paxos on disk: a paxos.LogStorage (Store, the
// durable state of a Multi-Paxos Replica) and a paxos.Storage
// (StateStore, of a single-decree Node) on a write-ahead log (package
// wal) over a disk.FS. Package paxos decides and does no I/O; this
// package does the I/O and decides nothing.
//
// # Usage
//
//	st, err := logstore.Open(disk.OS{}, dir, logstore.Options{}) // creates or recovers
//	r, err := paxos.NewReplica(paxos.ReplicaConfig{..., GroupCommit: true}, st)
//	out, err := r.Step(m)        // any number of steps: their writes are appended
//	err = st.Sync()              // one fsync for all of them
//	// then send out (a failed Sync: discard r, reopen st, start a new Replica)
//
//	ns, err := logstore.OpenState(disk.OS{}, dir, logstore.Options{})
//	n, err := paxos.New(paxos.Config{...}, ns) // every Save is durable
//
// # Guarantees
//
//   - Group commit, in order: SetHardState and PutEntry append a record
//     each and return; Sync makes every write so far durable with one
//     fsync. Writes become durable in the order they were made: a crash
//     keeps the state after some prefix of the calls, which includes
//     every call before the last Sync that returned nil. This is the
//     contract of paxos.LogStorage for a Replica with
//     ReplicaConfig.GroupCommit; Options.SyncEachWrite gives the other
//     form (each write durable when it returns) for a Replica without it.
//   - Snapshots are atomic and durable: SetSnapshot syncs the log (every
//     earlier write durable first), writes the snapshot to a temporary
//     file, syncs it, renames it into place and syncs the directory
//     (the commit point), then compacts the log. A crash leaves the old
//     snapshot or the new one, whole, never a mix; when SetSnapshot
//     returns nil the new one and every write before it are durable.
//   - Recovery: Open and Load return the last hard state, the newest
//     snapshot and the last acceptance of each slot at or above it.
//     Loading twice, or recovering twice, gives the same state.
//   - fsyncgate: an I/O error (a failed write, fsync, rename or directory
//     sync) stops the store: every later call fails with ErrBroken until
//     it is closed and opened again, which recovers from what the disk
//     holds. The Replica must then be discarded too (it may have counted
//     on writes that are lost) and a new one started from the store.
//   - Damage that no crash explains (a record that does not decode, a
//     snapshot that fails its CRC32C, a snapshot the log refers to that
//     is missing, damage the wal reports) fails Open or Load with
//     ErrCorrupt, never silently.
//   - Bounded memory on hostile files: records are framed and bounded by
//     the wal (Options.WAL.MaxRecordSize) and decoded by the paxos
//     package's decoders, which allocate at most 16 bytes per input byte;
//     a snapshot file's size is checked against Options.MaxSnapshotSize
//     before anything is allocated for it. The Store keeps 16 bytes per
//     live entry in memory (its slot and the index of its record), not
//     the entries, which Load reads back.
//   - Errors are sentinels wrapped with %w (ErrBroken, ErrCorrupt,
//     ErrClosed, ErrTooLarge, ErrInvalid), with the wal's or the file
//     system's error wrapped as well; nothing panics (fuzzed).
//
// # The format
//
// A Store is one directory: the wal's segments and at most one snapshot
// file (two for a moment during SetSnapshot). Each wal record is a kind
// byte and a payload:
//
//	1 hard state  paxos.State{Promised, Round} (its canonical encoding, no acceptance)
//	2 entry       paxos.Entry (an acceptance)
//	3 snapshot    uvarint generation, uvarint slot: snapshot file <generation> exists
//	4 state       paxos.State (a StateStore's only kind)
//
// Replay applies the records in order: the last hard state wins, the
// last acceptance of each slot wins, entries below the snapshot's slot
// are dropped. The snapshot file "snapshot-<generation>.snap" (16
// hexadecimal digits) holds a 36-byte header (magic "pxsnap01",
// generation, slot, length, CRC32C of the header and the data) and the
// snapshot's bytes; the newest generation is the snapshot, and it must
// be at least the generation of the last snapshot marker in the log.
//
// # Compaction
//
// After a snapshot is committed, SetSnapshot appends a checkpoint: the
// snapshot marker, the hard state and a copy of the last record of every
// live entry (at or above the snapshot's slot), and truncates the log
// before it (wal.TruncateBefore, which syncs). Every record of the
// checkpoint restates what the log already says, so a crash anywhere in
// it loads the same state, and after the truncation the log holds
// exactly what the state needs. Then the previous snapshot file is
// removed; Open removes what a crash left behind (temporary files, older
// snapshots, after syncing the directory so that the newest one's name
// is durable).
//
// A StateStore appends the whole State at every Save, syncs, and every
// 64 saves truncates its log before the last record.
//
// # Trade-offs
//
// One record per state change keeps each write small (never the whole
// log, as the paxos.LogStorage contract asks) and makes group commit one
// wal.Sync; the price is a log that also holds superseded records (an
// acceptance replaced, an older promise) until the next snapshot, and a
// recovery that reads all of them once. Load reads each live entry back
// (one read each) rather than keeping a copy in memory beside the
// Replica's. SetSnapshot costs about seven fsyncs and directory syncs,
// the snapshot's bytes written once and the live entries copied; a
// Replica snapshots every ReplicaConfig.SnapshotEvery slots, so this is
// amortised over many slots. The snapshot lives in its own file, not in
// the log, so a large snapshot is never bounded by the wal's record
// size and never copied by a compaction. The copy of live entries keeps
// the log after a snapshot as small as the state, where truncating only
// below the oldest live record would save the copy but let one old
// acceptance pin the whole log.
//
// # Verification
//
// Crash-consistency tests drive random sequences of SetHardState,
// PutEntry, SetSnapshot, Sync and reopenings on sim.Disk, with crashes
// between calls and inside them and inside Open (the disk halts after a
// drawn number of operations), failed fsyncs and directory syncs and
// short writes in a third of the workloads, and check after every
// recovery, against paxos.MemoryLogStorage fed the same calls: everything
// synced is loaded; the loaded state is the state after a prefix of the
// calls that includes every synced one; the snapshot is one that was set,
// whole; a crash never makes Open fail with ErrCorrupt; a stopped store
// refuses every call; loading and recovering twice give the same state.
// 20,000 crash points per go test (about 1.5 s; 5,000 under -race), a
// million with go test ./paxos/logstore -args -long; the same workloads
// drawn by rapid shrink a failure to a transcript. Seven deliberately
// broken stores (mutant.go: a Sync that does not sync, a snapshot
// committed before the log is synced, a snapshot file renamed before it
// is synced, a checkpoint without the hard state or without the entries,
// the old snapshot removed first, the first acceptance winning) must each
// break a law (TestMutantsKilled). The randomised simulation of package
// paxos runs a quarter of its schedules with every replica on a Store on
// its own sim.Disk, crashed at each restart, and checks agreement,
// validity, log integrity, exactly-once and the specification. Fuzz
// targets cover the record framing, the snapshot file and Open on a
// damaged directory. A test on the real file system writes, syncs,
// reopens and finds the same state.
//
// References: Lamport, "Paxos Made Simple", 2001, section 2.3 (an
// acceptor remembers its promise and acceptance across a restart); etcd
// raft's Ready loop (persist, then send); Pillai et al., "All File
// Systems Are Not Created Equal", OSDI 2014 (write, fsync, rename, fsync
// the directory); Rebello et al., "Can Applications Recover from fsync
// Failures?", ATC 2020 (a failed fsync is fatal).
package logstore
