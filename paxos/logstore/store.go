package logstore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/eventually-perfect/primitives/disk"
	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/wal"
)

// DefaultMaxSnapshotSize is the largest snapshot when
// Options.MaxSnapshotSize is zero: 256 MiB.
const DefaultMaxSnapshotSize = 256 << 20

// Options configure a Store or a StateStore. The zero value gives the
// wal's defaults (64 MiB segments, records up to 16 MiB), snapshots up to
// 256 MiB, and group commit (writes durable at Sync).
type Options struct {
	// WAL configures the write-ahead log under the store (segment size,
	// largest record, Repair). Its FirstIndex is ignored.
	WAL wal.Options
	// MaxSnapshotSize bounds a snapshot, in bytes: SetSnapshot refuses a
	// larger one with ErrTooLarge, and Open refuses a snapshot file that
	// claims more (ErrCorrupt) before it allocates anything for it.
	// Default DefaultMaxSnapshotSize.
	MaxSnapshotSize int64
	// SyncEachWrite makes every SetHardState and PutEntry durable before
	// it returns (one fsync each): the store then keeps the first form of
	// paxos.LogStorage's contract, for a Replica that runs without
	// ReplicaConfig.GroupCommit. Without it (the default), writes become
	// durable at the next Sync, and the Replica must run with
	// GroupCommit. StateStore ignores it: its Save always syncs.
	SyncEachWrite bool

	// mutant, for the package's tests only, breaks one rule on purpose
	// (mutant.go).
	mutant mutant
}

func (o Options) maxSnapshot() int64 {
	if o.MaxSnapshotSize <= 0 {
		return DefaultMaxSnapshotSize
	}
	return o.MaxSnapshotSize
}

// live is where the last acceptance of a slot is in the log.
type live struct {
	slot, index uint64
}

// Store is a paxos.LogStorage on a write-ahead log in one directory of a
// disk.FS: the durable state of a Multi-Paxos Replica. Each write appends
// one record to the log; Sync makes every write so far durable with one
// fsync (group commit); SetSnapshot writes the snapshot to a file of its
// own, atomically, and drops the log below it. See the package
// documentation for the guarantees and the format.
//
// Memory: the store keeps the hard state and 16 bytes per live entry (its
// slot and where its record is), not the entries themselves, which Load
// reads back from the log. A Store is safe for concurrent use; its
// methods run one at a time. Create one with Open; the zero value is not
// usable.
type Store struct {
	mu   sync.Mutex
	fs   disk.FS
	dir  string
	opts Options
	log  *wal.Log

	promised paxos.Ballot
	round    uint64
	snapSlot uint64 // the compaction point: the slot of snapshot gen
	gen      uint64 // the generation of the current snapshot file, 0 if none
	live     []live // sorted by slot, none below snapSlot

	err    error // the error that stopped the store (wraps ErrBroken)
	closed bool
}

var _ paxos.LogStorage = (*Store)(nil)

// Open opens the store in directory dir of fsys, creating an empty one if
// the directory holds none, and recovers it: the log is recovered (see
// wal.Open: a torn tail is cut, damage that a crash cannot explain is
// reported), unfinished snapshot files are removed, the newest snapshot
// file is checked against the log, older ones are removed, and every
// record is read and decoded once. Damage fails with an error wrapping
// ErrCorrupt. The directory must exist. Cost: one pass over the log;
// memory: one wal segment at a time and 16 bytes per live entry.
func Open(fsys disk.FS, dir string, opts Options) (*Store, error) {
	l, err := openLog(fsys, dir, opts)
	if err != nil {
		return nil, err
	}
	s := &Store{fs: fsys, dir: dir, opts: opts, log: l}
	if err := s.recover(); err != nil {
		_ = l.Close()
		return nil, err
	}
	return s, nil
}

// openError wraps an error of wal.Open with the store's sentinel.
func openError(dir string, err error) error {
	if errors.Is(err, wal.ErrCorrupt) {
		return fmt.Errorf("logstore: open %s: %w: %w", dir, ErrCorrupt, err)
	}
	return fmt.Errorf("logstore: open %s: %w", dir, err)
}

// recover replays the log into the store's index and finds the snapshot.
func (s *Store) recover() error {
	var marker record // the last snapshot marker in the log
	it := s.log.Iterator(s.log.FirstIndex())
	for it.Next() {
		r, err := decodeRecord(it.Record())
		if err != nil {
			return fmt.Errorf("logstore: open %s: record %d: %w", s.dir, it.Index(), err)
		}
		switch r.kind {
		case kindHardState:
			s.promised, s.round = r.promised, r.round
		case kindEntry:
			s.put(r.entry.Slot, it.Index(), s.opts.mutant == mutFirstAcceptanceWins)
		case kindSnapshot:
			marker = r
		default:
			return fmt.Errorf("logstore: open %s: record %d: %w: a record of kind %d in a Store", s.dir, it.Index(), ErrCorrupt, r.kind)
		}
	}
	if err := it.Err(); err != nil {
		if errors.Is(err, wal.ErrCorrupt) {
			return fmt.Errorf("logstore: open %s: %w: %w", s.dir, ErrCorrupt, err)
		}
		return fmt.Errorf("logstore: open %s: %w", s.dir, err)
	}
	gens, err := s.snapshotFiles()
	if err != nil {
		return err
	}
	if len(gens) > 0 {
		s.gen = gens[len(gens)-1]
		slot, _, err := s.readSnapshot(s.gen, false)
		if err != nil {
			return err
		}
		s.snapSlot = slot
	}
	switch {
	case marker.gen > s.gen:
		return fmt.Errorf("logstore: open %s: %w: the log refers to snapshot %s, which is missing", s.dir, ErrCorrupt, snapName(marker.gen))
	case marker.gen == s.gen && marker.gen != 0 && marker.slot != s.snapSlot:
		return fmt.Errorf("logstore: open %s: %w: snapshot %s holds slot %d, the log says %d", s.dir, ErrCorrupt, snapName(s.gen), s.snapSlot, marker.slot)
	}
	s.dropBelow(s.snapSlot)
	// The newest snapshot file's name may not be durable yet (a store
	// stopped by a failed directory sync, reopened without a crash): make
	// it so before the state is reported, and before the older files,
	// garbage once it is, are removed.
	if len(gens) > 0 {
		if err := s.fs.SyncDir(s.dir); err != nil {
			return fmt.Errorf("logstore: open %s: %w", s.dir, err)
		}
		for _, g := range gens[:len(gens)-1] {
			if err := s.fs.Remove(s.path(snapName(g))); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("logstore: open %s: %w", s.dir, err)
			}
		}
	}
	return nil
}

// snapshotFiles removes unfinished snapshot files and returns the
// generations of the others, sorted.
func (s *Store) snapshotFiles() ([]uint64, error) {
	names, err := s.fs.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("logstore: open %s: %w", s.dir, err)
	}
	var gens []uint64
	for _, n := range names {
		if strings.HasPrefix(n, snapPrefix) && strings.HasSuffix(n, snapSuffix+tmpSuffix) {
			if err := s.fs.Remove(s.path(n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("logstore: open %s: %w", s.dir, err)
			}
			continue
		}
		if g, ok := parseSnapName(n); ok {
			gens = append(gens, g)
		}
	}
	slices.Sort(gens)
	return gens, nil
}

func (s *Store) path(name string) string { return filepath.Join(s.dir, name) }

// readSnapshot reads the snapshot file of generation gen: its header
// always, its data (checked against the checksum) if withData. The size
// is checked before anything is allocated for the data.
func (s *Store) readSnapshot(gen uint64, withData bool) (uint64, []byte, error) {
	name := snapName(gen)
	f, err := s.fs.Open(s.path(name))
	if err != nil {
		return 0, nil, fmt.Errorf("logstore: snapshot file %s: %w", name, err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return 0, nil, fmt.Errorf("logstore: snapshot file %s: %w", name, err)
	}
	h := make([]byte, snapHeaderSize)
	if size < snapHeaderSize {
		return 0, nil, fmt.Errorf("%w: snapshot file %s: a file of %d bytes", ErrCorrupt, name, size)
	}
	if _, err := f.ReadAt(h, 0); err != nil {
		return 0, nil, fmt.Errorf("logstore: snapshot file %s: %w", name, err)
	}
	slot, n, err := decodeSnapshotHeader(h, gen, size, s.opts.maxSnapshot())
	if err != nil || !withData {
		return slot, nil, err
	}
	data := make([]byte, n)
	if _, err := f.ReadAt(data, snapHeaderSize); err != nil && !(errors.Is(err, io.EOF) && n == 0) {
		return 0, nil, fmt.Errorf("logstore: snapshot file %s: %w", name, err)
	}
	if err := checkSnapshotData(h, data, gen); err != nil {
		return 0, nil, err
	}
	if n == 0 {
		data = nil
	}
	return slot, data, nil
}

// put records that the last acceptance of slot is at index (or, with
// firstWins, keeps an earlier one: a mutant).
func (s *Store) put(slot, index uint64, firstWins bool) {
	if n := len(s.live); n == 0 || s.live[n-1].slot < slot {
		s.live = append(s.live, live{slot, index})
		return
	}
	k := sort.Search(len(s.live), func(i int) bool { return s.live[i].slot >= slot })
	if s.live[k].slot == slot {
		if !firstWins {
			s.live[k].index = index
		}
		return
	}
	s.live = slices.Insert(s.live, k, live{slot, index})
}

// dropBelow forgets the entries below slot.
func (s *Store) dropBelow(slot uint64) {
	k := sort.Search(len(s.live), func(i int) bool { return s.live[i].slot >= slot })
	if k > 0 {
		s.live = slices.Clone(s.live[k:])
	}
}

// usable returns the error that keeps the store from being used, if any.
func (s *Store) usable() error {
	if s.closed {
		return ErrClosed
	}
	return s.err
}

// stop stops the store after an I/O error: every later call fails with
// the returned error, which wraps ErrBroken and err.
func (s *Store) stop(what string, err error) error {
	s.err = fmt.Errorf("logstore: %s: %w: %w", what, ErrBroken, err)
	return s.err
}

// Load returns the state written so far: the last hard state, the newest
// snapshot and, for each slot at or above it, the last acceptance. It
// reads the snapshot file and the live entries' records back from the
// disk and decodes them again; loading twice gives the same state.
// Cost: one read per live entry and the snapshot file; memory: the state
// returned.
func (s *Store) Load() (paxos.LogState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return paxos.LogState{}, err
	}
	st := paxos.LogState{Promised: s.promised, Round: s.round, SnapshotSlot: s.snapSlot}
	if s.gen != 0 {
		slot, data, err := s.readSnapshot(s.gen, true)
		if err != nil {
			return paxos.LogState{}, fmt.Errorf("logstore: load: %w", err)
		}
		if slot != s.snapSlot {
			return paxos.LogState{}, fmt.Errorf("logstore: load: %w: snapshot %s holds slot %d, not %d", ErrCorrupt, snapName(s.gen), slot, s.snapSlot)
		}
		st.Snapshot = data
	}
	if len(s.live) > 0 {
		st.Entries = make([]paxos.Entry, 0, len(s.live))
	}
	for _, e := range s.live {
		b, err := s.log.Read(e.index)
		if err != nil {
			if errors.Is(err, wal.ErrCorrupt) {
				return paxos.LogState{}, fmt.Errorf("logstore: load: %w: %w", ErrCorrupt, err)
			}
			return paxos.LogState{}, fmt.Errorf("logstore: load: %w", err)
		}
		r, err := decodeRecord(b)
		if err == nil && (r.kind != kindEntry || r.entry.Slot != e.slot) {
			err = fmt.Errorf("%w: record %d is not the entry of slot %d", ErrCorrupt, e.index, e.slot)
		}
		if err != nil {
			return paxos.LogState{}, fmt.Errorf("logstore: load: %w", err)
		}
		st.Entries = append(st.Entries, r.entry)
	}
	return st, nil
}

// append appends one record and, with Options.SyncEachWrite, syncs it.
// A record too large is refused without stopping the store.
func (s *Store) append(what string, rec []byte) (uint64, error) {
	i, err := s.log.Append(rec)
	if errors.Is(err, wal.ErrTooLarge) {
		return 0, fmt.Errorf("logstore: %s: %w: %w", what, ErrTooLarge, err)
	}
	if err != nil {
		return 0, s.stop(what, err)
	}
	if s.opts.SyncEachWrite {
		if err := s.syncLog(); err != nil {
			return 0, s.stop(what, err)
		}
	}
	return i, nil
}

// SetHardState records the acceptor's promise and the leader's round:
// one record appended to the log, durable at the next Sync (at once with
// Options.SyncEachWrite). A ballot that the paxos decoders would not
// read back is refused with ErrInvalid.
func (s *Store) SetHardState(promised paxos.Ballot, round uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	rec, err := encodeHardState(promised, round)
	if err != nil {
		return fmt.Errorf("logstore: set hard state: %w", err)
	}
	if _, err := s.append("set hard state", rec); err != nil {
		return err
	}
	s.promised, s.round = promised, round
	return nil
}

// PutEntry records an acceptance, replacing any earlier acceptance of the
// same slot: one record appended to the log, durable at the next Sync
// (at once with Options.SyncEachWrite). An entry below the snapshot, or
// one that the paxos decoders would not read back, is refused with
// ErrInvalid; one over the log's record size with ErrTooLarge.
func (s *Store) PutEntry(e paxos.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	if e.Slot < s.snapSlot {
		return fmt.Errorf("logstore: put entry %d below the snapshot at %d: %w", e.Slot, s.snapSlot, ErrInvalid)
	}
	rec, err := encodeEntry(e)
	if err != nil {
		return fmt.Errorf("logstore: put entry %d: %w", e.Slot, err)
	}
	i, err := s.append(fmt.Sprintf("put entry %d", e.Slot), rec)
	if err != nil {
		return err
	}
	s.put(e.Slot, i, false)
	return nil
}

// Sync makes every write so far durable: one wal.Sync, so one write and
// one fsync whatever the number of writes since the last Sync (none if
// there were none). The group-commit driver calls it after stepping the
// Replica and before sending what the steps returned. If it fails, the
// store is stopped (ErrBroken): discard the Replica, reopen the store and
// start a new Replica from it.
func (s *Store) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	if err := s.syncLog(); err != nil {
		return s.stop("sync", err)
	}
	return nil
}

func (s *Store) syncLog() error {
	if s.opts.mutant == mutSyncNoLog {
		return nil
	}
	return s.log.Sync()
}

// SetSnapshot records a snapshot covering the slots below slot, and
// drops the entries below slot; a snapshot below the current one is
// ignored (the log is synced all the same). It is durable when it
// returns nil, and so is every write made before it:
//
//  1. the log is synced (every earlier write durable first, so that no
//     crash keeps the snapshot and loses them);
//  2. the snapshot is written to a temporary file, which is synced,
//     renamed to "snapshot-<generation>.snap", and the directory synced:
//     the rename is the commit point, a crash leaves the old snapshot or
//     the new one, whole;
//  3. a checkpoint is appended to the log (a snapshot marker, the hard
//     state, and a copy of each live entry at or above slot), and the log
//     is truncated before it (wal.TruncateBefore, which syncs);
//  4. the previous snapshot file is removed.
//
// Cost: about seven fsyncs and directory syncs, the snapshot's bytes
// written once, and the live entries above slot read and written again.
// An I/O error stops the store (ErrBroken); a snapshot over
// Options.MaxSnapshotSize is refused with ErrTooLarge.
func (s *Store) SetSnapshot(slot uint64, snapshot []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	if slot < s.snapSlot {
		if err := s.syncLog(); err != nil {
			return s.stop("set snapshot", err)
		}
		return nil
	}
	if int64(len(snapshot)) > s.opts.maxSnapshot() {
		return fmt.Errorf("logstore: set snapshot: %d bytes, over %d: %w", len(snapshot), s.opts.maxSnapshot(), ErrTooLarge)
	}
	mut := s.opts.mutant
	if mut != mutSnapshotNoPreSync {
		if err := s.log.Sync(); err != nil {
			return s.stop("set snapshot", err)
		}
	}
	old, gen := s.gen, s.gen+1
	if mut == mutRemoveOldFirst && old != 0 {
		if err := s.fs.Remove(s.path(snapName(old))); err != nil {
			return s.stop("set snapshot", err)
		}
	}
	if err := s.writeSnapshot(gen, slot, snapshot); err != nil {
		return s.stop("set snapshot", err)
	}
	s.gen, s.snapSlot = gen, slot
	s.dropBelow(slot)
	// The checkpoint: everything the log holds at or above the new first
	// index must be enough to load the state.
	recs := [][]byte{encodeSnapshotMarker(gen, slot)}
	if mut != mutCheckpointNoHardState {
		rec, err := encodeHardState(s.promised, s.round)
		if err != nil { // it was encoded once already
			return s.stop("set snapshot", err)
		}
		recs = append(recs, rec)
	}
	if mut != mutCheckpointNoEntries {
		for _, e := range s.live {
			b, err := s.log.Read(e.index)
			if err != nil {
				return s.stop("set snapshot", err)
			}
			recs = append(recs, b)
		}
	}
	first, err := s.log.AppendBatch(recs)
	if err != nil {
		return s.stop("set snapshot", err)
	}
	if mut != mutCheckpointNoEntries {
		for i := range s.live {
			s.live[i].index = first + uint64(len(recs)-len(s.live)+i)
		}
	}
	if err := s.log.TruncateBefore(first); err != nil {
		return s.stop("set snapshot", err)
	}
	if old != 0 && mut != mutRemoveOldFirst {
		if err := s.fs.Remove(s.path(snapName(old))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return s.stop("set snapshot", err)
		}
	}
	return nil
}

// writeSnapshot writes the snapshot file of generation gen atomically:
// temporary file, sync, rename, directory sync.
func (s *Store) writeSnapshot(gen, slot uint64, data []byte) error {
	name := s.path(snapName(gen))
	tmp := name + tmpSuffix
	f, err := s.fs.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(encodeSnapshotFile(gen, slot, data), 0); err != nil {
		_ = f.Close()
		return err
	}
	if s.opts.mutant == mutRenameBeforeSync {
		if err := s.fs.Rename(tmp, name); err != nil {
			_ = f.Close()
			return err
		}
		if err := s.fs.SyncDir(s.dir); err != nil {
			_ = f.Close()
			return err
		}
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if s.opts.mutant == mutRenameBeforeSync {
		return nil
	}
	if err := s.fs.Rename(tmp, name); err != nil {
		return err
	}
	return s.fs.SyncDir(s.dir)
}

// Close syncs the store and closes its files. Closing a stopped store
// closes its files and returns the error that stopped it; closing twice
// returns ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.closed = true
	err := s.log.Close()
	if s.err != nil {
		return s.err
	}
	if err != nil {
		return fmt.Errorf("logstore: close: %w", err)
	}
	return nil
}

// openLog opens the write-ahead log under a store (either kind): the
// log's indexes are the store's own, so opts.WAL.FirstIndex is ignored.
func openLog(fsys disk.FS, dir string, opts Options) (*wal.Log, error) {
	wo := opts.WAL
	wo.FirstIndex = 0
	l, err := wal.Open(fsys, dir, wo)
	if err != nil {
		return nil, openError(dir, err)
	}
	return l, nil
}
