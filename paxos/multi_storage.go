package paxos

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
)

// LogState is what a Replica persists, and what LogStorage.Load returns:
// the acceptor's promise, the highest round its leader used, the last
// snapshot of the replicated state with its compaction point, and the
// acceptor's highest-ballot acceptance of each slot from the compaction
// point on, sorted by slot.
//
// Durability contract: a Replica writes what a message depends on (the
// promise a Promise or Accepted reports, the acceptance an Accepted
// reports, the round a Prepare uses) through its LogStorage, and the
// write returns, before the call that produced the message returns it. An
// acceptor must remember what it promised and accepted across a crash
// ("Paxos Made Simple", section 2.3); decisions need not be persisted,
// since a restarted replica learns them again from the others.
type LogState struct {
	// Promised is the highest ballot the acceptor promised.
	Promised Ballot
	// Round is the highest round this replica's leader used.
	Round uint64
	// SnapshotSlot is the compaction point: Snapshot holds the replicated
	// state after applying the slots below it (client sessions and the
	// StateMachine's snapshot), and no entry below it is kept.
	SnapshotSlot uint64
	Snapshot     []byte
	// Entries are the acceptances, sorted by slot, none below SnapshotSlot.
	Entries []Entry
}

const logStateVersion = 2

// AppendBinary appends the canonical encoding of s to b: a version byte,
// the promise, the round, the compaction point, the snapshot (length
// prefixed) and the counted entries (see Entry.AppendBinary). A string
// longer than MaxOpSize, which no decoder would accept, is an error
// wrapping ErrBadMessage, and b is returned unchanged.
func (s LogState) AppendBinary(b []byte) ([]byte, error) {
	if err := encodable(s.Promised.Node); err != nil {
		return b, fmt.Errorf("paxos: encode log state: %w", err)
	}
	for _, e := range s.Entries {
		if err := encodableEntry(e); err != nil {
			return b, fmt.Errorf("paxos: encode log state: %w", err)
		}
	}
	b = append(b, logStateVersion)
	b = appendBallot(b, s.Promised)
	b = binary.AppendUvarint(b, s.Round)
	b = binary.AppendUvarint(b, s.SnapshotSlot)
	b = appendBytes(b, s.Snapshot)
	b = binary.AppendUvarint(b, uint64(len(s.Entries)))
	for _, e := range s.Entries {
		b = appendEntry(b, e)
	}
	return b, nil
}

// MarshalBinary returns the encoding of AppendBinary.
func (s LogState) MarshalBinary() ([]byte, error) { return s.AppendBinary(nil) }

// UnmarshalBinary decodes what AppendBinary encoded. Malformed,
// truncated, non-canonical or trailing input, entries out of order or
// below the compaction point, is an error wrapping ErrCorrupt and leaves
// s unchanged. It checks the whole input before it allocates anything;
// what it then allocates is at most 16 bytes per input byte (see
// "Decoding cost" in the package documentation).
func (s *LogState) UnmarshalBinary(data []byte) error {
	d := dryRun(data, "log state")
	d.logState()
	if !d.rewind(data) {
		return d.err
	}
	t := d.logState()
	if d.err != nil { // a bug: the dry pass read the same input
		return d.err
	}
	*s = t
	return nil
}

func (d *decoder) logState() LogState {
	var s LogState
	if v := d.byte(); v != logStateVersion && d.err == nil {
		d.fail("unknown log state version %d", v)
	}
	s.Promised = d.ballot()
	s.Round = d.uvarint()
	s.SnapshotSlot = d.uvarint()
	s.Snapshot = d.bytes()
	s.Entries = d.entries(true, s.SnapshotSlot)
	return s
}

// LogStorage is where a Replica keeps its LogState across crashes. Writes
// are incremental: one small write per promise, acceptance or snapshot,
// never the whole log.
//
// Durability contract: persist, then send (etcd raft's Ready loop). The
// messages a call of Step, Tick or Submit returns may depend on what that
// call wrote, so they are sent only once every write made before they
// were returned is durable (on a disk: written and synced). There are two
// ways to keep it:
//
//   - every method makes its write durable before it returns (one fsync
//     per promise or acceptance); the Replica then needs nothing more;
//   - group commit: the methods only write, and the caller steps the
//     replica any number of times, syncs once, and then sends everything
//     those steps returned. The Replica must then run with
//     ReplicaConfig.GroupCommit, so that a leader counts its own
//     acceptance only after the sync (it returns an acknowledgement
//     addressed to itself, which the caller hands back to Step with the
//     rest of the batch).
//
// Writes must become durable in the order they were made: a crash keeps a
// prefix of the unsynced writes, as a write-ahead log does. Nothing sent
// depends on the writes a crash loses, so the replica restarts as if the
// unsent steps had not happened. If a sync fails, the caller must not send
// the batch and must discard the Replica: after a failed fsync the storage
// cannot say what it kept, so a new Replica is started from the storage
// once it has recovered.
//
// The tests check the contract: the simulator (sim.Config.ExplicitSync)
// loses every write since a node's last Storage.Sync in a crash, and the
// specification checker refuses a promise or an acknowledgement sent
// before the promise or acceptance it reports is durable, and a decision
// resting on an acceptance that is not.
type LogStorage interface {
	// Load returns the state written so far (the zero LogState if none).
	Load() (LogState, error)
	// SetHardState records the acceptor's promise and the leader's round.
	SetHardState(promised Ballot, round uint64) error
	// PutEntry records an acceptance, replacing any earlier acceptance of
	// the same slot.
	PutEntry(e Entry) error
	// SetSnapshot records a snapshot covering the slots below slot, and may
	// then forget the entries below slot.
	SetSnapshot(slot uint64, snapshot []byte) error
}

// MemoryLogStorage is a LogStorage in memory, for tests, simulations and
// benchmarks. PutEntry costs amortised O(1) for slots above every slot
// stored, O(log n) to replace one and O(n) to insert below; it keeps the
// entries it is given without copying them (entries are immutable). The
// zero value is empty. It is not safe for concurrent use.
type MemoryLogStorage struct {
	promised Ballot
	round    uint64
	snapSlot uint64
	snap     []byte
	entries  chunked[Entry]
	writes   int
}

// Load returns a copy of the state written so far.
func (m *MemoryLogStorage) Load() (LogState, error) {
	return LogState{Promised: m.promised, Round: m.round, SnapshotSlot: m.snapSlot,
		Snapshot: slices.Clone(m.snap), Entries: m.entries.appendTo(nil)}, nil
}

// SetHardState records the promise and the round.
func (m *MemoryLogStorage) SetHardState(promised Ballot, round uint64) error {
	m.promised, m.round = promised, round
	m.writes++
	return nil
}

// PutEntry records e, replacing the entry of the same slot. An entry below
// the compaction point is refused with an error wrapping ErrStorage.
func (m *MemoryLogStorage) PutEntry(e Entry) error {
	if e.Slot < m.snapSlot {
		return fmt.Errorf("paxos: entry %d below the snapshot at %d: %w", e.Slot, m.snapSlot, ErrStorage)
	}
	m.writes++
	if n := m.entries.len(); n == 0 || m.entries.at(n-1).Slot < e.Slot {
		m.entries.push(e)
		return nil
	}
	k := sort.Search(m.entries.len(), func(i int) bool { return m.entries.at(i).Slot >= e.Slot })
	if k < m.entries.len() && m.entries.at(k).Slot == e.Slot {
		*m.entries.at(k) = e
	} else {
		m.entries.insert(k, e)
	}
	return nil
}

// SetSnapshot records the snapshot and drops the entries below slot. A
// snapshot older than the one stored is ignored.
func (m *MemoryLogStorage) SetSnapshot(slot uint64, snapshot []byte) error {
	if slot < m.snapSlot {
		return nil
	}
	m.writes++
	m.snapSlot, m.snap = slot, slices.Clone(snapshot)
	k := 0
	for k < m.entries.len() && m.entries.at(k).Slot < slot {
		k++
	}
	m.entries.drop(k)
	return nil
}

// Writes returns how many writes (SetHardState, PutEntry, SetSnapshot)
// were made.
func (m *MemoryLogStorage) Writes() int { return m.writes }

// Len returns how many entries are stored.
func (m *MemoryLogStorage) Len() int { return m.entries.len() }
