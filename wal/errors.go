package wal

import (
	"errors"
	"fmt"
)

// Sentinel errors. The log wraps them with a message that names the
// problem; test for them with errors.Is.
var (
	// ErrCorrupt reports a log that is damaged somewhere a crash cannot
	// explain: a record that fails its checksum (or a segment with a bad
	// header, a missing segment) followed by records written after it was
	// synced. The error is a *CorruptError naming the segment and offset.
	// Open returns it unless Options.Repair is set.
	ErrCorrupt = errors.New("wal: corrupt log")
	// ErrBroken reports a log stopped by an I/O error (a failed write,
	// fsync or directory sync, a full disk): after a failed fsync the
	// kernel may have dropped the pages it could not write, so no later
	// success would prove them durable. Every mutating call fails with
	// it until the log is closed and opened again, which recovers from
	// what the disk holds. The error also wraps the I/O error.
	ErrBroken = errors.New("wal: log stopped after an I/O error, reopen it to recover")
	// ErrClosed reports a call on a closed log.
	ErrClosed = errors.New("wal: log closed")
	// ErrTooLarge reports a record larger than Options.MaxRecordSize.
	ErrTooLarge = errors.New("wal: record too large")
	// ErrOutOfRange reports an index outside the log: below its first
	// record (compacted away) or after its last.
	ErrOutOfRange = errors.New("wal: index out of range")
	// ErrInvalidOptions reports Options the log cannot run with.
	ErrInvalidOptions = errors.New("wal: invalid options")
)

// CorruptError locates damage in a log. It wraps ErrCorrupt.
type CorruptError struct {
	// Segment is the file name of the damaged segment, in the log's
	// directory.
	Segment string
	// Offset is the byte offset in Segment of the first damaged record
	// (or of the header, 0).
	Offset int64
	// Index is the index the damaged record should have had.
	Index uint64
	// Reason says what is wrong.
	Reason string
}

// Error names the segment, the offset, the index and the reason.
func (e *CorruptError) Error() string {
	return fmt.Sprintf("wal: corrupt log: segment %s offset %d (record %d): %s", e.Segment, e.Offset, e.Index, e.Reason)
}

// Unwrap returns ErrCorrupt.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }
