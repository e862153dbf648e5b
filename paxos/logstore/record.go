package logstore

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"

	"github.com/eventually-perfect/primitives/paxos"
)

// A record of the write-ahead log is a kind byte followed by its payload.
// The wal frames each record with its length and checksums; the payloads
// are the paxos package's own canonical encodings, decoded with its
// decoders (which bound what they allocate), except the snapshot marker,
// which is two uvarints.
const (
	// kindHardState: a paxos.State holding only Promised and Round (no
	// acceptance): the acceptor's promise and the leader's round.
	kindHardState byte = 1
	// kindEntry: a paxos.Entry, an acceptance.
	kindEntry byte = 2
	// kindSnapshot: the snapshot marker, uvarint generation and uvarint
	// slot: from here on the snapshot file of that generation (or a later
	// one) must exist.
	kindSnapshot byte = 3
	// kindState: a paxos.State, the whole state of a single-decree node
	// (StateStore).
	kindState byte = 4
)

// record is one decoded record.
type record struct {
	kind     byte
	promised paxos.Ballot // kindHardState
	round    uint64       // kindHardState
	entry    paxos.Entry  // kindEntry
	gen      uint64       // kindSnapshot
	slot     uint64       // kindSnapshot
	state    paxos.State  // kindState
}

// checkBallot refuses a ballot that the paxos decoders would not read
// back: a round without a node or a node without a round, a node over
// paxos.MaxOpSize.
func checkBallot(b paxos.Ballot) error {
	if (b.Round == 0) != (b.Node == "") {
		return fmt.Errorf("ballot %v: a round needs a node and a node a round: %w", b, ErrInvalid)
	}
	if len(b.Node) > paxos.MaxOpSize {
		return fmt.Errorf("ballot node of %d bytes, over %d: %w", len(b.Node), paxos.MaxOpSize, ErrInvalid)
	}
	return nil
}

func encodeHardState(promised paxos.Ballot, round uint64) ([]byte, error) {
	if err := checkBallot(promised); err != nil {
		return nil, err
	}
	return paxos.State{Promised: promised, Round: round}.AppendBinary([]byte{kindHardState})
}

func encodeEntry(e paxos.Entry) ([]byte, error) {
	if err := checkBallot(e.Ballot); err != nil {
		return nil, err
	}
	if e.NoOp && len(e.Commands) > 0 {
		return nil, fmt.Errorf("entry %d: a no-op with %d commands: %w", e.Slot, len(e.Commands), ErrInvalid)
	}
	b, err := e.AppendBinary([]byte{kindEntry})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return b, nil
}

func encodeSnapshotMarker(gen, slot uint64) []byte {
	b := binary.AppendUvarint([]byte{kindSnapshot}, gen)
	return binary.AppendUvarint(b, slot)
}

func encodeState(s paxos.State) ([]byte, error) {
	if err := checkBallot(s.Promised); err != nil {
		return nil, err
	}
	if err := checkBallot(s.Accepted); err != nil {
		return nil, err
	}
	if len(s.Value) > paxos.MaxOpSize || s.Accepted.IsZero() && s.Value != "" {
		return nil, fmt.Errorf("state value of %d bytes with acceptance %v: %w", len(s.Value), s.Accepted, ErrInvalid)
	}
	return s.AppendBinary([]byte{kindState})
}

// decodeRecord decodes a record. Anything malformed, truncated,
// non-canonical or of an unknown kind is an error wrapping ErrCorrupt.
// It allocates what the paxos decoders allocate for the payload (at most
// 16 bytes per input byte) and nothing else.
func decodeRecord(b []byte) (record, error) {
	if len(b) == 0 {
		return record{}, fmt.Errorf("%w: empty record", ErrCorrupt)
	}
	r := record{kind: b[0]}
	p := b[1:]
	switch r.kind {
	case kindHardState:
		var s paxos.State
		if err := s.UnmarshalBinary(p); err != nil {
			return record{}, fmt.Errorf("%w: hard state: %w", ErrCorrupt, err)
		}
		if !s.Accepted.IsZero() || s.Value != "" {
			return record{}, fmt.Errorf("%w: hard state with an acceptance", ErrCorrupt)
		}
		r.promised, r.round = s.Promised, s.Round
	case kindEntry:
		if err := r.entry.UnmarshalBinary(p); err != nil {
			return record{}, fmt.Errorf("%w: entry: %w", ErrCorrupt, err)
		}
	case kindSnapshot:
		gen, n := binary.Uvarint(p)
		if n <= 0 || n != uvarintLen(gen) {
			return record{}, fmt.Errorf("%w: snapshot marker: bad generation", ErrCorrupt)
		}
		slot, m := binary.Uvarint(p[n:])
		if m <= 0 || m != uvarintLen(slot) || n+m != len(p) {
			return record{}, fmt.Errorf("%w: snapshot marker: bad slot or trailing bytes", ErrCorrupt)
		}
		if gen == 0 {
			return record{}, fmt.Errorf("%w: snapshot marker of generation 0", ErrCorrupt)
		}
		r.gen, r.slot = gen, slot
	case kindState:
		if err := r.state.UnmarshalBinary(p); err != nil {
			return record{}, fmt.Errorf("%w: state: %w", ErrCorrupt, err)
		}
	default:
		return record{}, fmt.Errorf("%w: unknown record kind %d", ErrCorrupt, r.kind)
	}
	return r, nil
}

// uvarintLen is the length of x's canonical uvarint encoding.
func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// The snapshot file "snapshot-<generation>.snap" (16 hexadecimal digits)
// holds a 36-byte header, then the snapshot's bytes:
//
//	magic "pxsnap01" | generation (8, little endian) | slot (8) |
//	length (8) | CRC32C (Castagnoli) of the first 32 bytes and the data (4)
const (
	snapMagic      = "pxsnap01"
	snapHeaderSize = 36
	snapPrefix     = "snapshot-"
	snapSuffix     = ".snap"
	tmpSuffix      = ".tmp"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func snapName(gen uint64) string { return fmt.Sprintf("%s%016x%s", snapPrefix, gen, snapSuffix) }

// parseSnapName parses a name made by snapName.
func parseSnapName(name string) (uint64, bool) {
	hex, ok := strings.CutPrefix(name, snapPrefix)
	if !ok {
		return 0, false
	}
	hex, ok = strings.CutSuffix(hex, snapSuffix)
	if !ok || len(hex) != 16 {
		return 0, false
	}
	gen, err := strconv.ParseUint(hex, 16, 64)
	if err != nil || gen == 0 || snapName(gen) != name {
		return 0, false
	}
	return gen, true
}

// encodeSnapshotFile returns the contents of the snapshot file of
// generation gen.
func encodeSnapshotFile(gen, slot uint64, data []byte) []byte {
	b := make([]byte, snapHeaderSize, snapHeaderSize+len(data))
	copy(b, snapMagic)
	binary.LittleEndian.PutUint64(b[8:], gen)
	binary.LittleEndian.PutUint64(b[16:], slot)
	binary.LittleEndian.PutUint64(b[24:], uint64(len(data)))
	crc := crc32.Update(crc32.Checksum(b[:32], castagnoli), castagnoli, data)
	binary.LittleEndian.PutUint32(b[32:], crc)
	return append(b, data...)
}

// decodeSnapshotHeader checks a snapshot file's header against the
// generation its name gives, the file's size and the largest snapshot
// taken, and returns the slot and the data's length. Nothing is
// allocated: the caller allocates the data only after this check.
func decodeSnapshotHeader(h []byte, gen uint64, size, maxSize int64) (slot uint64, n int64, err error) {
	if len(h) < snapHeaderSize || string(h[:8]) != snapMagic {
		return 0, 0, fmt.Errorf("%w: snapshot file %s: bad header", ErrCorrupt, snapName(gen))
	}
	if g := binary.LittleEndian.Uint64(h[8:]); g != gen {
		return 0, 0, fmt.Errorf("%w: snapshot file %s holds generation %d", ErrCorrupt, snapName(gen), g)
	}
	slot = binary.LittleEndian.Uint64(h[16:])
	length := binary.LittleEndian.Uint64(h[24:])
	if length > uint64(maxSize) {
		return 0, 0, fmt.Errorf("%w: snapshot file %s of %d bytes, over %d: %w", ErrCorrupt, snapName(gen), length, maxSize, ErrTooLarge)
	}
	if int64(length) != size-snapHeaderSize {
		return 0, 0, fmt.Errorf("%w: snapshot file %s: %d bytes of data in a file of %d", ErrCorrupt, snapName(gen), length, size)
	}
	return slot, int64(length), nil
}

// checkSnapshotData checks the data against the header's checksum.
func checkSnapshotData(h, data []byte, gen uint64) error {
	crc := crc32.Update(crc32.Checksum(h[:32], castagnoli), castagnoli, data)
	if crc != binary.LittleEndian.Uint32(h[32:]) {
		return fmt.Errorf("%w: snapshot file %s fails its checksum", ErrCorrupt, snapName(gen))
	}
	return nil
}

// decodeSnapshotFile decodes a whole snapshot file's contents (the fuzz
// target's entry point; the store reads the header first, then the data).
func decodeSnapshotFile(b []byte, gen uint64, maxSize int64) (slot uint64, data []byte, err error) {
	slot, n, err := decodeSnapshotHeader(b, gen, int64(len(b)), maxSize)
	if err != nil {
		return 0, nil, err
	}
	data = b[snapHeaderSize : snapHeaderSize+n]
	if err := checkSnapshotData(b, data, gen); err != nil {
		return 0, nil, err
	}
	return slot, data, nil
}
