package logstore

import "errors"

// Sentinel errors. The stores wrap them with a message that names the
// problem (and, where there is one, the error of the layer below: a
// wal or file system error); test for them with errors.Is.
var (
	// ErrBroken reports a store stopped by an I/O error: a failed write,
	// fsync, rename or directory sync. After a failed fsync the disk
	// cannot say what it kept, so every later call fails with ErrBroken
	// until the store is closed and opened again, which recovers from
	// what the disk holds. A Replica whose store broke must be discarded,
	// and a new one started from the reopened store (see
	// paxos.LogStorage).
	ErrBroken = errors.New("logstore: stopped after an I/O error, reopen it to recover")
	// ErrCorrupt reports files that no crash explains: a record that
	// does not decode, a snapshot file that fails its checksum, a
	// snapshot that the log says exists and that is missing. It also
	// wraps wal.ErrCorrupt when the log below reports damage.
	ErrCorrupt = errors.New("logstore: corrupt store")
	// ErrClosed reports a call on a closed store.
	ErrClosed = errors.New("logstore: store closed")
	// ErrTooLarge reports a write larger than the store takes: a
	// snapshot over Options.MaxSnapshotSize, an entry over the log's
	// record size. Nothing is written, and the store goes on.
	ErrTooLarge = errors.New("logstore: too large")
	// ErrInvalid reports a write the store refuses without writing
	// anything: an entry below the snapshot, a ballot or entry that the
	// paxos decoders would refuse to read back. The store goes on.
	ErrInvalid = errors.New("logstore: invalid write")
)
